"""`ghtotekton explain WORKFLOW[:JOB[:STEP]]`: why a step became what it became.

A reviewer of a migration PR asks "where did this Tekton step come from, and which rule decided
it?". This answers with the source lines, the rule (id, file and line in the rule table, its
docs) and the emitted YAML, side by side, for a workflow, one job, or one step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ghtotekton.convert.findings import JobOutcome, StepOutcome
from ghtotekton.convert.rules import RuleSet
from ghtotekton.convert.workflow import WorkflowConversion, convert_workflow
from ghtotekton.errors import Diagnostic, InputError, Position, UsageError
from ghtotekton.github.repository import repositories
from ghtotekton.tekton.emit import dump_documents


def parse_target(target: str) -> tuple[Path, str | None, str | None]:
    """``path[:job[:step]]``; a colon inside the path (Windows drive) is not supported."""
    parts = target.split(":")
    if len(parts) > 3 or not parts[0]:
        raise UsageError(
            Diagnostic(
                Position("explain"),
                f"`{target}` is not WORKFLOW[:JOB[:STEP]]",
                "for example .github/workflows/ci.yml:test:2",
            )
        )
    job = parts[1] if len(parts) > 1 and parts[1] else None
    step = parts[2] if len(parts) > 2 and parts[2] else None
    return Path(parts[0]), job, step


def run(*, target: str, mappings: list[Path], format: str = "text") -> int:
    path, job_id, step_key = parse_target(target)
    if not path.is_file():
        raise UsageError(
            Diagnostic(Position(str(path)), "no such workflow file", "give the path of a .yml file")
        )
    rules = RuleSet.load(mappings)
    conv = _convert(path, rules)
    jobs = _select_jobs(conv, job_id, path)
    source = path.read_text(encoding="utf-8", errors="replace").splitlines()
    tasks = {t["metadata"]["name"]: t for t in conv.tasks}
    items: list[dict[str, Any]] = []
    for job in jobs:
        steps = _select_steps(job, step_key, path) if step_key else job.steps
        task = tasks.get(job.task)
        for st in steps:
            items.append(_explain_step(job, st, task, rules, source, _next_line(job, st)))
    document = {
        "workflow": conv.display,
        "pipeline": conv.name if conv.pipeline else None,
        "jobs": [
            {
                "id": j.job_id,
                "pipeline_task": j.pipeline_task,
                "task": j.task,
                "status": j.status,
                "runner_rule": j.runner_rule,
                "findings": [f"{f.status}: {f.message}" for f in j.findings],
            }
            for j in jobs
        ],
        "steps": items,
    }
    if format == "json":
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        _render_text(document)
    return 0


def _convert(path: Path, rules: RuleSet) -> WorkflowConversion:
    for repo in repositories([path]):
        for display, errors in repo.errors.items():
            if Path(display).resolve() == path.resolve():
                raise InputError(list(errors))
        for display in repo.files:
            loaded = repo.workflows.get(display)
            if loaded is not None:
                return convert_workflow(loaded, rules, repo, set())
    raise UsageError(Diagnostic(Position(str(path)), "not a workflow file"))  # pragma: no cover


def _select_jobs(conv: WorkflowConversion, job_id: str | None, path: Path) -> list[JobOutcome]:
    if job_id is None:
        return conv.jobs
    found = [j for j in conv.jobs if j.job_id.lower() == job_id.lower()]
    if not found:
        known = ", ".join(j.job_id for j in conv.jobs)
        raise UsageError(
            Diagnostic(Position(str(path)), f"no job `{job_id}`", f"jobs are: {known}")
        )
    return found


def _select_steps(job: JobOutcome, key: str, path: Path) -> list[StepOutcome]:
    if key.isdigit():
        chosen = [s for s in job.steps if s.index + 1 == int(key)]
    else:
        lowered = key.lower()
        chosen = [
            s for s in job.steps if s.label.lower() == lowered or s.tekton_step == lowered
        ] or [s for s in job.steps if lowered in s.label.lower()]
    if not chosen:
        labels = "; ".join(f"{s.index + 1}: {s.label}" for s in job.steps)
        raise UsageError(
            Diagnostic(
                Position(str(path)), f"job `{job.job_id}` has no step `{key}`", f"steps: {labels}"
            )
        )
    return chosen


def _next_line(job: JobOutcome, st: StepOutcome) -> int | None:
    later = [s.position.line for s in job.steps if s.position.line > st.position.line]
    return min(later) if later else None


def _block(source: list[str], line: int, next_line: int | None) -> list[str]:
    """The step's lines: from its ``-`` to the next line indented no deeper than that dash."""
    start = max(line - 1, 0)
    if start >= len(source):
        return []
    first = source[start]
    dash = first.index("-") if first.lstrip().startswith("-") else len(first) - len(first.lstrip())
    stop = min(next_line - 1 if next_line else len(source), len(source))
    lines = [first]
    for text in source[start + 1 : stop]:
        if text.strip() and len(text) - len(text.lstrip()) <= dash:
            break
        lines.append(text)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _explain_step(
    job: JobOutcome,
    st: StepOutcome,
    task: dict[str, Any] | None,
    rules: RuleSet,
    source: list[str],
    next_line: int | None,
) -> dict[str, Any]:
    lines = _block(source, st.position.line, next_line)
    emitted = ""
    if task is not None and st.tekton_step:
        for step in task["spec"].get("steps", []):
            if step.get("name") == st.tekton_step:
                emitted = dump_documents([step], "").lstrip("-\n")
    rule_info: list[dict[str, str]] = []
    for rule_id in [r.strip() for r in st.rule.split(",") if r.strip()]:
        loaded = rules.by_id(rule_id)
        if loaded is not None:
            rule_info.append(
                {"id": rule_id, "at": str(loaded.position), "docs": loaded.rule.docs.strip()}
            )
        else:
            rule_info.append({"id": rule_id, "at": "built in", "docs": ""})
    return {
        "job": job.job_id,
        "index": st.index + 1,
        "label": st.label,
        "at": f"{st.position.file}:{st.position.line}",
        "status": st.status,
        "rules": rule_info,
        "reason": st.reason,
        "source": "\n".join(lines),
        "tekton_step": st.tekton_step,
        "task": job.task,
        "emitted": emitted.rstrip("\n"),
    }


def _render_text(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.syntax import Syntax
    from rich.table import Table

    console = Console(soft_wrap=False)
    console.print(f"[bold]{document['workflow']}[/] -> Pipeline {document['pipeline'] or '-'}")
    for job in document["jobs"]:
        rule = f", runner rule {job['runner_rule']}" if job["runner_rule"] else ""
        console.print(
            f"job [bold]{job['id']}[/] -> task {job['task'] or '-'} "
            f"(pipeline task {job['pipeline_task']}): {job['status']}{rule}"
        )
        for finding in job["findings"]:
            console.print(f"  {finding}", markup=False)
    for item in document["steps"]:
        rules = ", ".join(f"{r['id']} ({r['at']})" for r in item["rules"]) or "-"
        console.rule(f"step {item['index']} of {item['job']}: {item['label']}", align="left")
        console.print(f"{item['at']}: {item['status']}; rule {rules}", markup=False)
        if item["reason"]:
            console.print(item["reason"], markup=False)
        table = Table(show_header=True, expand=True, box=None, pad_edge=False)
        table.add_column(f"GitHub Actions ({item['at']})", ratio=1)
        right = f"Tekton: task {item['task']}, step {item['tekton_step']}"
        table.add_column(right if item["tekton_step"] else "Tekton: nothing emitted", ratio=1)
        table.add_row(
            Syntax(item["source"], "yaml", word_wrap=True, theme="ansi_dark"),
            Syntax(item["emitted"] or "# dropped", "yaml", word_wrap=True, theme="ansi_dark"),
        )
        console.print(table)
