"""Findings as SARIF 2.1.0, the format code-scanning UIs (GitHub, GitLab, IDEs) read.

Minimal but valid: one run, the tool's rules with their default level, one result per finding with
a file/line/column location. Paths are written relative to a base folder when they lie under it,
because code scanning matches results to files by repository-relative URI.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from ghtotekton import __version__
from ghtotekton.errors import Diagnostic

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION: Final = "2.1.0"
_LEVELS: Final = {"error": "error", "warning": "warning", "info": "note"}


def sarif_level(severity: str) -> str:
    """SARIF has error, warning, note and none; our info is a note."""
    return _LEVELS.get(severity, "warning")


def to_sarif(
    diagnostics: Iterable[Diagnostic],
    rules: Mapping[str, tuple[str, str]],
    base: Path | None = None,
) -> dict[str, Any]:
    """A SARIF log; ``rules`` maps rule id -> (default severity, one-line description)."""
    found = list(diagnostics)
    used = sorted({d.rule for d in found if d.rule} | set(rules))
    index = {rule: i for i, rule in enumerate(used)}
    descriptors = []
    for rule in used:
        severity, summary = rules.get(rule, ("error", rule))
        descriptors.append(
            {
                "id": rule,
                "name": rule.split("/")[-1],
                "shortDescription": {"text": summary},
                "defaultConfiguration": {"level": sarif_level(severity)},
            }
        )
    results = [_result(d, index, base) for d in found]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ghtotekton",
                        "version": __version__,
                        "informationUri": "https://github.com/tektoncd/pipeline",
                        "rules": descriptors,
                    }
                },
                "results": results,
            }
        ],
    }


def _result(diag: Diagnostic, index: Mapping[str, int], base: Path | None) -> dict[str, Any]:
    text = diag.message + (f" ({diag.hint})" if diag.hint else "")
    region: dict[str, int] = {}
    if diag.position.line > 0:
        region["startLine"] = diag.position.line
        if diag.position.col > 0:
            region["startColumn"] = diag.position.col
    location: dict[str, Any] = {"artifactLocation": {"uri": _uri(diag.position.file, base)}}
    if region:
        location["region"] = region
    result: dict[str, Any] = {
        "ruleId": diag.rule or "ghtotekton",
        "level": sarif_level(diag.severity),
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
    }
    if diag.rule in index:
        result["ruleIndex"] = index[diag.rule]
    return result


def _uri(file: str, base: Path | None) -> str:
    path = Path(file)
    if base is not None:
        with contextlib.suppress(ValueError, OSError):
            path = path.resolve().relative_to(base.resolve())
    return path.as_posix()
