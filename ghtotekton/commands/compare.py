"""`ghtotekton compare`: are run A (GitHub Actions) and run B (Tekton) of one commit the same?

Exit 0 equivalent, 1 divergent or incomplete (something is missing), 2 bad input (a bundle,
compare.yaml or the migration map is wrong; the message names the file) and also when the
evidence does not hold: runs of different commits, one run given twice, a baseline that is not
another run of system A. Then the report is still written, its verdict INCOMPLETE with the reason
as its headline, and ``--record`` refuses it: a gate must not learn from such a comparison. The
report goes to stdout or ``-o FILE``; notes about the run (what --record did) go to stderr so
stdout stays machine-readable.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ghtotekton.compare.bundle import RunBundle, open_bundle
from ghtotekton.compare.config import load_config
from ghtotekton.compare.engine import Comparison, compare
from ghtotekton.compare.pairing import load_migration_map
from ghtotekton.compare.report import render, to_json_document
from ghtotekton.errors import Diagnostic, ExitCode, InputError, Position


def run(
    *,
    run_a: str,
    run_b: str,
    baseline: str | None = None,
    config: Path | None = None,
    format: str = "text",
    output: Path | None = None,
    migration_map: Path | None = None,
    record: bool = False,
) -> int:
    # Cheap inputs first, so a typo in compare.yaml fails before a remote run is downloaded.
    settings = load_config(config)
    mmap = load_migration_map(migration_map) if migration_map is not None else None
    with contextlib.ExitStack() as stack:
        bundles: list[RunBundle] = []
        for source in (run_a, run_b, baseline):
            if source is not None:
                bundles.append(stack.enter_context(open_bundle(source)))
        comparison = compare(
            bundles[0],
            bundles[1],
            settings,
            bundles[2] if baseline is not None else None,
            migration_map=mmap,
        )
    color = output is None and format == "text" and sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if color else 120
    text = render(comparison, format, color=color, width=width)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write(output, text)
    if comparison.evidence:
        for problem in comparison.evidence:
            sys.stderr.write(f"error: {problem}\n")
        if record:
            sys.stderr.write(
                "error: --record refused: the rollout gate records only comparisons "
                "of one commit's runs on both systems\n"
            )
        return int(ExitCode.BAD_INPUT)
    if record:
        _record(comparison)
    return int(ExitCode.OK) if comparison.verdict == "equivalent" else int(ExitCode.FOUND)


def _write(path: Path, text: str) -> None:
    """Through a temporary sibling and a rename, so a cut-off run leaves no half report."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InputError(
            Diagnostic(
                Position(str(path)),
                f"cannot write the report: {exc.strerror or type(exc).__name__}",
                "choose another --output",
            )
        ) from None


def _record(comparison: Comparison) -> None:
    """Hand the JSON document to the rollout ledger, when this version has one."""
    try:
        ledger: Any = importlib.import_module("ghtotekton.rollout.ledger")
    except ModuleNotFoundError:
        sys.stderr.write("note: --record: the rollout ledger is not part of this version\n")
        return
    hook = getattr(ledger, "record_comparison", None)
    if hook is None:
        sys.stderr.write("note: --record: the rollout ledger has no record_comparison()\n")
        return
    hook(to_json_document(comparison))
