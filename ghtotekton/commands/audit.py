"""`ghtotekton audit PATH...`: read everything, write nothing, report what is there.

The first cut of the migration report: per file, what it contains (jobs, steps, actions, triggers,
runner labels) or its positioned errors. It is also the parser's smoke test on real repositories,
so it keeps going past broken files and says how many there were.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from ghtotekton.errors import ExitCode
from ghtotekton.github.inventory import repository_inventory
from ghtotekton.github.repository import repositories


def run(*, paths: list[Path], format: str = "text") -> int:
    reports = [repository_inventory(repo) for repo in repositories(paths)]
    summary = _summary(reports)
    document = {"repositories": reports, "summary": summary}
    out = sys.stdout
    if format == "json":
        out.write(json.dumps(document, indent=2, sort_keys=False) + "\n")
    elif format == "csv":
        out.write(_csv(reports))
    elif format == "markdown":
        out.write(_markdown(reports, summary))
    else:
        out.write(_text(reports, summary))
    return int(ExitCode.BAD_INPUT) if summary["files_with_errors"] else int(ExitCode.OK)


def _summary(reports: list[dict[str, Any]]) -> dict[str, Any]:
    files = [f for r in reports for f in r["files"]]
    workflows = [f for f in files if f["kind"] == "workflow" and f["status"] == "ok"]
    actions: Counter[str] = Counter()
    for wf in workflows:
        actions.update(wf["actions"])
    return {
        "repositories": len(reports),
        "files": len(files),
        "workflows": len(workflows),
        "local_actions": sum(1 for f in files if f["kind"] == "action" and f["status"] == "ok"),
        "files_with_errors": sum(1 for f in files if f["status"] == "error"),
        "jobs": sum(len(wf["jobs"]) for wf in workflows),
        "steps": sum(wf["steps"] for wf in workflows),
        "actions": dict(actions.most_common()),
        "warnings": sum(1 for f in files for d in f["diagnostics"] if d["severity"] == "warning")
        + sum(len(r["findings"]) for r in reports),
    }


def _diag_line(d: dict[str, Any]) -> str:
    where = f"{d['file']}:{d['line']}:{d['col']}" if d["line"] else d["file"]
    text = f"{where}: {d['severity']}: {d['message']}"
    if d["hint"]:
        text += f" ({d['hint']})"
    return text


def _text(reports: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    lines: list[str] = []
    for report in reports:
        for f in report["files"]:
            if f["status"] == "error":
                lines.append(f"{f['path']}: {len(f['diagnostics'])} error(s)")
                lines.extend(f"  {_diag_line(d)}" for d in f["diagnostics"])
                continue
            if f["kind"] == "action":
                lines.append(
                    f"{f['path']}: action ({f['using']}, {f['steps']} steps), "
                    f"used as ./{f['uses_key']}"
                )
            else:
                lines.append(f"{f['path']}: {f['name'] or '(no name)'}")
                lines.append(f"  triggers: {', '.join(f['triggers']) or '-'}")
                for job in f["jobs"]:
                    where = (
                        job["uses"]
                        if job["kind"] == "call"
                        else (f"{job['steps']} steps on [{', '.join(job['runs_on'])}]")
                    )
                    extra = " (matrix)" if job["matrix"] else ""
                    lines.append(f"  job {job['id']}: {where}{extra}")
                if f["actions"]:
                    used = ", ".join(
                        f"{name} x{n}" if n > 1 else name for name, n in f["actions"].items()
                    )
                    lines.append(f"  actions: {used}")
                if f["runner_labels"]:
                    lines.append(f"  runner labels: {', '.join(f['runner_labels'])}")
            lines.extend(f"  {_diag_line(d)}" for d in f["diagnostics"])
        lines.extend(_diag_line(d) for d in report["findings"])
    lines.append("")
    lines.append(
        f"{summary['files']} file(s) in {summary['repositories']} repositor"
        f"{'y' if summary['repositories'] == 1 else 'ies'}: {summary['workflows']} workflow(s), "
        f"{summary['local_actions']} local action(s), {summary['files_with_errors']} with errors; "
        f"{summary['jobs']} jobs, {summary['steps']} steps, {len(summary['actions'])} distinct "
        f"actions, {summary['warnings']} warning(s)"
    )
    return "\n".join(lines) + "\n"


def _markdown(reports: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    out = ["# ghtotekton audit", ""]
    out.append("| file | status | triggers | jobs | steps | actions |")
    out.append("|---|---|---|---|---|---|")
    for report in reports:
        for f in report["files"]:
            if f["status"] == "error":
                out.append(f"| `{f['path']}` | {len(f['diagnostics'])} error(s) | | | | |")
            elif f["kind"] == "action":
                out.append(f"| `{f['path']}` | action ({f['using']}) | | | {f['steps']} | |")
            else:
                acts = ", ".join(f"`{a}`" for a in f["actions"])
                out.append(
                    f"| `{f['path']}` | ok | {', '.join(f['triggers'])} | {len(f['jobs'])} | "
                    f"{f['steps']} | {acts} |"
                )
    problems = [d for r in reports for f in r["files"] for d in f["diagnostics"]] + [
        d for r in reports for d in r["findings"]
    ]
    if problems:
        out += ["", "## Errors and warnings", ""]
        out.extend(f"- `{_diag_line(d)}`" for d in problems)
    out += [
        "",
        f"**{summary['files']} files**: {summary['workflows']} workflows, "
        f"{summary['local_actions']} local actions, {summary['files_with_errors']} with errors; "
        f"{summary['jobs']} jobs, {summary['steps']} steps.",
        "",
    ]
    return "\n".join(out)


def _csv(reports: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["file", "kind", "status", "job", "runs_on", "steps", "uses", "errors"])
    for report in reports:
        for f in report["files"]:
            errors = "; ".join(_diag_line(d) for d in f["diagnostics"] if d["severity"] == "error")
            if f["status"] == "ok" and f["kind"] == "workflow":
                for job in f["jobs"]:
                    row = [f["path"], "workflow", "ok", job["id"], " ".join(job["runs_on"])]
                    writer.writerow([*row, job["steps"], job["uses"] or "", ""])
                if not f["jobs"]:
                    writer.writerow([f["path"], "workflow", "ok", "", "", 0, "", ""])
            else:
                row = [f["path"], f["kind"], f["status"], "", ""]
                writer.writerow([*row, f.get("steps", ""), "", errors])
    return buf.getvalue()
