"""`ghtotekton audit PATH...`: convert in memory, write nothing, report what would migrate.

GitHub Actions Importer's audit is the model: per workflow Successful / Partially successful /
Unsupported / Failed, steps Known / Unknown / Unsupported, and the manual tasks left for a person.
It runs over many repositories at once, so it shows progress on a terminal and keeps going past
broken files (they are counted as Failed, with their positioned errors).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from ghtotekton.convert.batch import Batch, convert_repositories
from ghtotekton.convert.report import build_report, render_markdown
from ghtotekton.convert.rules import RuleSet
from ghtotekton.errors import ExitCode
from ghtotekton.github.inventory import repository_inventory
from ghtotekton.github.repository import Repository


def run(*, paths: list[Path], format: str = "text", mappings: list[Path] | None = None) -> int:
    rules = RuleSet.load(mappings or [])
    batch = _convert_with_progress(paths, rules)
    report = build_report(batch.conversions, batch.failed)
    inventories = [repository_inventory(repo) for repo in batch.repositories]
    out = sys.stdout
    if format == "json":
        document = {"migration": report, "repositories": inventories}
        out.write(json.dumps(document, indent=2) + "\n")
    elif format == "csv":
        out.write(_csv(report))
    elif format == "markdown":
        out.write(render_markdown(report))
    else:
        out.write(_text(report, inventories))
    return int(ExitCode.BAD_INPUT) if batch.failed else int(ExitCode.OK)


def _convert_with_progress(paths: list[Path], rules: RuleSet) -> Batch:
    """A progress bar on stderr when it is a terminal and there is more than one path."""
    if len(paths) < 2 or not sys.stderr.isatty():
        return convert_repositories(paths, rules)
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        bar = progress.add_task("auditing", total=None)

        def tick(repo: Repository) -> None:
            where = repo.root.name if repo.root else "workflow files"
            progress.update(bar, advance=1, description=f"auditing {where}")

        return convert_repositories(paths, rules, tick)


def _text(report: dict[str, Any], inventories: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for inv in inventories:
        for f in inv["files"]:
            for d in f["diagnostics"]:
                lines.append(_diag_line(d))
        lines.extend(_diag_line(d) for d in inv["findings"])
    if lines:
        lines.append("")
    for wf in report["workflows"]:
        lines.append(f"{wf['file']}: {wf['class']}")
        for err in wf.get("errors", []):
            lines.append(f"  {err}")
        for job in wf["jobs"]:
            counts: dict[str, int] = {}
            for st in job["steps"]:
                counts[st["status"]] = counts.get(st["status"], 0) + 1
            detail = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no steps"
            lines.append(f"  job {job['id']} -> {job['task'] or '-'}: {job['status']} ({detail})")
            for f in job["findings"]:
                if f["status"] != "converted" or f["rule"] == "split-gpu":
                    lines.append(f"    {f['status']}: {f['message']}")
    s = report["summary"]
    lines.append("")
    wf_classes = ", ".join(
        f"{v['count']} {k} ({v['percent']}%)" for k, v in s["workflow_classes"].items()
    )
    step_classes = ", ".join(
        f"{v['count']} {k} ({v['percent']}%)" for k, v in s["step_classes"].items()
    )
    lines.append(f"{s['workflows']} workflow(s): {wf_classes}")
    lines.append(f"{s['steps']} step(s): {step_classes}")
    manual = report["manual_tasks"]
    lines.append(
        f"manual tasks: {len(manual['secrets'])} secret(s) to create, "
        f"{len(manual['runner_labels'])} runner label set(s) to map, "
        f"{len(manual['actions_to_review'])} action(s) to review "
        "(`--format markdown` lists them)"
    )
    return "\n".join(lines) + "\n"


def _diag_line(d: dict[str, Any]) -> str:
    where = f"{d['file']}:{d['line']}:{d['col']}" if d["line"] else d["file"]
    text = f"{where}: {d['severity']}: {d['message']}"
    if d["hint"]:
        text += f" ({d['hint']})"
    return text


CSV_COLUMNS = ["workflow", "class", "job", "task", "step", "line", "status", "rule", "note"]


def _csv(report: dict[str, Any]) -> str:
    """One row per step (and per failed workflow): what a spreadsheet of the migration needs."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for wf in report["workflows"]:
        if wf.get("errors"):
            writer.writerow([wf["file"], wf["class"], "", "", "", "", "failed", "", *wf["errors"]])
            continue
        for job in wf["jobs"]:
            if not job["steps"]:
                note = "; ".join(f["message"] for f in job["findings"])
                row = [wf["file"], wf["class"], job["id"], job["task"], "", job["line"]]
                writer.writerow([*row, job["status"], "", note])
            for st in job["steps"]:
                row = [wf["file"], wf["class"], job["id"], job["task"], st["label"], st["line"]]
                writer.writerow([*row, st["status"], st["rule"], st["reason"]])
    return buf.getvalue()
