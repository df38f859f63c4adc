"""`ghtotekton validate FILE|DIR...`: Tekton's schema and webhook rules on any Tekton YAML.

Findings go to stdout in the chosen format (text lines, a JSON list, or SARIF); the one-line
summary goes to stderr so machine output stays clean. Exit 0 when nothing is an error, 1 when
something is, 2 when a file could not be read as YAML (the other files are still checked, so one
broken file does not hide the rest).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ghtotekton.errors import Diagnostic, ExitCode
from ghtotekton.tekton.sarif import to_sarif
from ghtotekton.tekton.validate import RULES, ClusterSettings, Report, order_key, validate_paths
from ghtotekton.tekton.validate_runtime import read_cluster_settings


def run(
    *,
    paths: list[Path],
    format: str = "text",
    coschedule: str | None = None,
    flags: Path | None = None,
) -> int:
    if flags is not None:
        settings = read_cluster_settings(flags, coschedule)
    else:
        settings = ClusterSettings(coschedule=coschedule or "workspaces")
    report = validate_paths(paths, settings)
    findings = sorted([*report.bad_input, *report.diagnostics], key=order_key)
    out = sys.stdout
    if format == "json":
        json.dump([as_json(d) for d in findings], out, indent=2, sort_keys=True)
        out.write("\n")
    elif format == "sarif":
        rules = {rid: (rule.severity, rule.summary) for rid, rule in RULES.items()}
        json.dump(to_sarif(findings, rules, Path.cwd()), out, indent=2)
        out.write("\n")
    else:
        for diag in findings:
            out.write(diag.format() + "\n")
    sys.stderr.write(summary(report) + "\n")
    if report.bad_input:
        return int(ExitCode.BAD_INPUT)
    return int(ExitCode.FOUND) if report.count("error") else int(ExitCode.OK)


def as_json(diag: Diagnostic) -> dict[str, Any]:
    """One finding as a flat object; keys are stable, so scripts can rely on them."""
    return {
        "file": diag.position.file,
        "line": diag.position.line,
        "column": diag.position.col,
        "severity": diag.severity,
        "rule": diag.rule or "tekton/input",
        "message": diag.message,
        "hint": diag.hint,
    }


def summary(report: Report) -> str:
    unreadable = f", {len(report.bad_input)} unreadable" if report.bad_input else ""
    return (
        f"validated {report.checked} Tekton documents in {report.files} files{unreadable}: "
        f"{report.count('error')} errors, {report.count('warning')} warnings, "
        f"{report.count('info')} notes ({report.seconds:.2f}s)"
    )
