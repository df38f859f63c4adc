"""The outcome of a check for people (text), for GitHub Actions, and for machines (JSON, SARIF).

GitHub reads workflow commands from a step's output: ``::error file=F,line=L::message`` becomes an
annotation on the pull request's diff. Their values must be escaped (``%``, CR and LF in the
message; also ``:`` and ``,`` in properties) or a message cuts itself short or sets properties of
its own. Diffs are printed between ``::stop-commands::`` markers with a random token, because a
generated script may itself contain ``::`` lines that the runner would otherwise obey.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterable
from typing import Any, Final

from ghtotekton.check.drift import FileDrift
from ghtotekton.check.policy import Outcome, all_rules
from ghtotekton.errors import Diagnostic
from ghtotekton.tekton.sarif import to_sarif

MAX_DIFF_LINES: Final = 400
"""Per file in logs: enough to see what changed, bounded for a whole new workflow's output."""
MAX_SUMMARY_DIFF_LINES: Final = 120
MAX_SUMMARY_CHARS: Final = 900_000
"""GitHub refuses job summaries over 1 MiB; stay under it with room for the tables."""
JSON_VERSION: Final = 1
_LEVEL: Final = {"error": "error", "warning": "warning", "info": "notice"}


def _capped(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... {len(lines) - limit} more diff lines not shown"]


# --- summary ---------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def drift_counts(drift: Iterable[FileDrift]) -> dict[str, int]:
    counts = {"added": 0, "deleted": 0, "changed": 0}
    for item in drift:
        counts[item.status] += 1
    return counts


def summary_line(outcome: Outcome) -> str:
    """One line for the log: the verdict and what decided it."""
    counts = drift_counts(outcome.drift)
    detail = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    drift = _plural(len(outcome.drift), "drifted file") + (f" ({detail})" if detail else "")
    manual = _plural(outcome.manual, "manual/unsupported finding")
    if not outcome.strict and outcome.manual:
        manual += " (fail with --strict)"
    verdict = "passed" if outcome.exit_code() == 0 else "FAILED"
    broken = (
        f", {_plural(outcome.broken_workflows, 'workflow error')}"
        if outcome.broken_workflows
        else ""
    )
    return (
        f"check {verdict}: {drift} of {outcome.compared} compared; "
        f"{_plural(outcome.invalid, 'error')} in {outcome.validated} Tekton documents; "
        f"{manual}{broken}"
    )


# --- text --------------------------------------------------------------------------------------


def render_text(outcome: Outcome) -> str:
    """Diffs first (what to look at), then every finding as ``file:line:col: severity: ...``."""
    out: list[str] = []
    for item in outcome.drift:
        source = f", generated from {item.source}" if item.source else ""
        out.append(f"drift: {item.path} ({item.status}{source})")
        out.extend(_capped(item.diff, MAX_DIFF_LINES))
        out.append("")
    if outcome.drift:
        out.append(
            "(- lines are committed, + lines are what `ghtotekton convert` generates now; "
            f"run `{outcome.layout.regenerate_command}` from the repository root to update)"
        )
        out.append("")
    out.extend(d.format() for d in outcome.diagnostics)
    for display in outcome.restored:
        out.append(f"note: {display} is handed over to Tekton; checked with its original triggers")
    return "\n".join(out).rstrip("\n") + ("\n" if out else "")


# --- GitHub workflow commands --------------------------------------------------------------------


def escape_data(text: str) -> str:
    """The message part of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): ``:`` and ``,`` would end it early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(diag: Diagnostic, prefix: str = "") -> str:
    """``::error file=…,line=…,col=…,title=…::message``; paths relative to the workspace."""
    props: list[tuple[str, str]] = []
    if diag.position.file:
        props.append(("file", prefix + diag.position.file))
    if diag.position.line > 0:
        props.append(("line", str(diag.position.line)))
        if diag.position.col > 0:
            props.append(("col", str(diag.position.col)))
    props.append(("title", f"ghtotekton check [{diag.rule}]" if diag.rule else "ghtotekton check"))
    text = diag.message + (f" ({diag.hint})" if diag.hint else "")
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{_LEVEL.get(diag.severity, 'warning')} {joined}::{escape_data(text)}"


def render_github(outcome: Outcome, prefix: str = "", token: str | None = None) -> str:
    """Annotations, then each diff in a collapsed log group with workflow commands stopped."""
    stop = token or secrets.token_hex(16)
    out = [workflow_command(d, prefix) for d in outcome.diagnostics]
    for item in outcome.drift:
        out.append(f"::group::{escape_data(f'drift: {item.path} ({item.status})')}")
        out.append(f"::stop-commands::{stop}")
        out.extend(_capped(item.diff, MAX_DIFF_LINES))
        out.append(f"::{stop}::")
        out.append("::endgroup::")
    out.append(summary_line(outcome))
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Plain text inside Markdown tables and lists: no HTML, no column breaks."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\r", " ")
        .replace("\n", " ")
    )


def _fence(lines: list[str]) -> str:
    """A code fence longer than any backtick run inside, so the diff cannot close it."""
    ticks = 3
    for line in lines:
        run = 0
        for ch in line:
            run = run + 1 if ch == "`" else 0
            ticks = max(ticks, run + 1)
    return "`" * ticks


def step_summary(outcome: Outcome) -> str:
    """The Markdown job summary: verdict, drifted files with their diffs, findings."""
    verdict = "passed" if outcome.exit_code() == 0 else "failed"
    icon = ":white_check_mark:" if verdict == "passed" else ":x:"
    out = [f"## {icon} ghtotekton check {verdict}", "", _md(summary_line(outcome)), ""]
    if outcome.drift:
        out += ["### Drift", "", "| file | status | generated from |", "|---|---|---|"]
        for item in outcome.drift:
            out.append(f"| `{_md(item.path)}` | {item.status} | {_md(item.source) or '-'} |")
        out += [
            "",
            f"Run `{_md(outcome.layout.regenerate_command)}` from the repository root and commit "
            "the result.",
            "",
        ]
        used = sum(len(line) for line in out)
        for item in outcome.drift:
            lines = _capped(item.diff, MAX_SUMMARY_DIFF_LINES)
            size = sum(len(line) + 1 for line in lines)
            if used + size > MAX_SUMMARY_CHARS:
                out += [f"(diff of `{_md(item.path)}` left out: the summary is full)", ""]
                continue
            used += size
            fence = _fence(lines)
            out += [
                f"<details><summary>{_md(item.path)}</summary>",
                "",
                f"{fence}diff",
                *lines,
                fence,
                "",
                "</details>",
                "",
            ]
    if outcome.diagnostics:
        out += ["### Findings", "", "| severity | where | rule | message |", "|---|---|---|---|"]
        for d in outcome.diagnostics:
            text = d.message + (f" ({d.hint})" if d.hint else "")
            out.append(f"| {d.severity} | `{_md(str(d.position))}` | {d.rule} | {_md(text)} |")
        out.append("")
    return "\n".join(out)


# --- JSON and SARIF ------------------------------------------------------------------------------


def diagnostic_json(diag: Diagnostic) -> dict[str, Any]:
    return {
        "file": diag.position.file,
        "line": diag.position.line,
        "column": diag.position.col,
        "severity": diag.severity,
        "rule": diag.rule,
        "message": diag.message,
        "hint": diag.hint,
    }


def render_json(outcome: Outcome) -> str:
    """Stable keys (sorted), full diffs; ``version`` changes only when a key changes meaning."""
    document = {
        "version": JSON_VERSION,
        "passed": outcome.exit_code() == 0,
        "exit_code": outcome.exit_code(),
        "strict": outcome.strict,
        "workflows": outcome.layout.workflows,
        "tekton": outcome.layout.tekton,
        "summary": {
            "compared_files": outcome.compared,
            "validated_documents": outcome.validated,
            "drift": drift_counts(outcome.drift),
            "invalid": outcome.invalid,
            "manual": outcome.manual,
            "workflow_errors": outcome.broken_workflows,
        },
        "drift": [
            {
                "path": item.path,
                "status": item.status,
                "line": item.line,
                "source": item.source,
                "diff": item.diff,
            }
            for item in outcome.drift
        ],
        "findings": [diagnostic_json(d) for d in outcome.diagnostics],
        "restored_workflows": outcome.restored,
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_sarif(outcome: Outcome) -> str:
    """SARIF with repository-relative URIs (resolved from the root, whatever the current folder)."""
    with contextlib.chdir(outcome.layout.root):
        log = to_sarif(outcome.diagnostics, all_rules(), outcome.layout.root)
    return json.dumps(log, indent=2) + "\n"
