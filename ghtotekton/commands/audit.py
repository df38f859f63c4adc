"""`ghtotekton audit PATH...`: convert in memory, write nothing, report what would migrate.

GitHub Actions Importer's audit is the model: per workflow Successful / Partially successful /
Unsupported / Failed, steps Known / Unknown / Unsupported, and the manual tasks left for a person.
It runs over many repositories at once, so it shows progress on a terminal and keeps going past
broken files (they are counted as Failed, with their positioned errors).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ghtotekton.convert.batch import convert_repositories
from ghtotekton.convert.engine import Options, plan_target
from ghtotekton.convert.report import build_report, render_markdown
from ghtotekton.convert.rules import RuleSet
from ghtotekton.convert.workflow import WorkflowConversion
from ghtotekton.errors import ExitCode
from ghtotekton.github.inventory import repository_inventory


def run(*, paths: list[Path], format: str = "text", mappings: list[Path] | None = None) -> int:
    conversions, failed, inventories = _audit_all(paths, mappings or [])
    report = build_report(conversions, failed)  # triggers: audit plans them as convert does
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
    return int(ExitCode.BAD_INPUT) if failed else int(ExitCode.OK)


Audited = tuple[list[WorkflowConversion], dict[str, list[str]], list[dict[str, Any]]]


def _audit_one(path: Path, mappings: list[Path]) -> Audited:
    """One PATH argument in a worker process: its conversions, failures and inventory."""
    batch = convert_repositories([path], _rules(tuple(mappings)))
    plan_target(batch, Options(mappings=list(mappings)))  # the target's findings, as convert
    return (
        batch.conversions,
        batch.failed,
        [repository_inventory(repo) for repo in batch.repositories],
    )


@functools.lru_cache(maxsize=4)
def _rules(mappings: tuple[Path, ...]) -> RuleSet:
    return RuleSet.load(list(mappings))


def _audit_all(paths: list[Path], mappings: list[Path]) -> Audited:
    """Repositories are independent: several PATHs are audited by one process per core, with a
    progress bar on stderr when it is a terminal. Results keep the order of the arguments."""
    _rules(tuple(mappings))  # bad rule files fail here, once, before any work starts
    workers = min(len(paths), os.cpu_count() or 1)
    results: list[Audited] = []
    show = len(paths) > 1 and sys.stderr.isatty()
    with contextlib.ExitStack() as stack:
        tick = _progress(stack, len(paths)) if show else (lambda: None)
        if workers < 2:
            for path in paths:
                results.append(_audit_one(path, mappings))
                tick()
        else:
            pool = stack.enter_context(ProcessPoolExecutor(workers))
            for result in pool.map(_audit_one, paths, [mappings] * len(paths)):
                results.append(result)
                tick()
    conversions = [c for r in results for c in r[0]]
    failed = {k: v for r in results for k, v in r[1].items()}
    inventories = [inv for r in results for inv in r[2]]
    return conversions, failed, inventories


def _progress(stack: contextlib.ExitStack, total: int) -> Callable[[], None]:
    from rich.progress import Progress

    progress = stack.enter_context(Progress(transient=True))
    bar = progress.add_task("auditing", total=total)
    return lambda: progress.update(bar, advance=1)


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
    stores = report["cluster_requirements"]["secrets"]  # the Secrets convert's report creates
    lines.append(
        f"manual tasks: {len(manual['secrets'])} secret(s) to create "
        f"(in {len(stores)} Secret/ConfigMap object(s), the webhook's included), "
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
