"""`ghtotekton check`: the CI check of a migration pull request.

Regenerates the Tekton output in memory with the options the committed ``migration-map.json``
recorded, diffs it with the committed folder, validates the committed resources, and applies the
policy (``ghtotekton.check.policy``). The report goes to stdout in the chosen format; the one-line
verdict goes to stderr (except in the ``github`` format, where the log is the report). With
``--format github`` a Markdown job summary is also appended to ``$GITHUB_STEP_SUMMARY`` when the
runner sets it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ghtotekton.check import formats
from ghtotekton.check.drift import locate
from ghtotekton.check.policy import Outcome, run_check
from ghtotekton.errors import Diagnostic, InputError, Position


def run(*, workflows: Path, tekton: Path, format: str = "text", strict: bool = False) -> int:
    outcome = run_check(locate(workflows, tekton), strict)
    out = sys.stdout
    if format == "json":
        out.write(formats.render_json(outcome))
    elif format == "sarif":
        out.write(formats.render_sarif(outcome))
    elif format == "github":
        out.write(formats.render_github(outcome, workspace_prefix(outcome)))
        write_step_summary(outcome)
    else:
        out.write(formats.render_text(outcome))
    if format != "github":
        sys.stderr.write(formats.summary_line(outcome) + "\n")
    return outcome.exit_code()


def workspace_prefix(outcome: Outcome) -> str:
    """Annotations name files relative to $GITHUB_WORKSPACE; the repository may be a subfolder
    of it (``actions/checkout`` with ``path:``)."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return ""
    try:
        rel = outcome.layout.root.relative_to(Path(workspace).resolve())
    except ValueError:
        return ""
    return "" if str(rel) == "." else f"{rel.as_posix()}/"


def write_step_summary(outcome: Outcome) -> None:
    """Append the Markdown summary to the file the runner names (appending, as steps share it)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(formats.step_summary(outcome) + "\n")
    except OSError as exc:
        raise InputError(
            Diagnostic(Position(target), f"cannot write the job summary: {exc.strerror or exc}")
        ) from None
