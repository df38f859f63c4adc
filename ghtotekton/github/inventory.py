"""What a loaded repository contains, as plain data: the audit report's first half.

Kept apart from rendering so the same facts feed text, Markdown, JSON and CSV, and later the
migration report.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ghtotekton.errors import Diagnostic
from ghtotekton.github import model as m
from ghtotekton.github.loader import LoadedWorkflow
from ghtotekton.github.repository import Repository


def diagnostic_dict(d: Diagnostic) -> dict[str, Any]:
    return {
        "file": d.position.file,
        "line": d.position.line,
        "col": d.position.col,
        "severity": d.severity,
        "message": d.message,
        "hint": d.hint,
        "rule": d.rule,
    }


def workflow_inventory(loaded: LoadedWorkflow) -> dict[str, Any]:
    wf = loaded.workflow
    actions: Counter[str] = Counter()
    labels: list[str] = []
    jobs: list[dict[str, Any]] = []
    steps_total = 0
    for job_id, job in wf.jobs.items():
        steps = job.steps or []
        steps_total += len(steps)
        for step in steps:
            if step.uses:
                actions[step.uses] += 1
        for label in job.runner_labels():
            if label not in labels:
                labels.append(label)
        jobs.append(
            {
                "id": job_id,
                "name": job.name,
                "line": job.pos.line if job.pos else 0,
                "kind": "call" if job.is_call else "steps",
                "uses": job.uses,
                "runs_on": job.runner_labels(),
                "needs": job.needs,
                "steps": len(steps),
                "run_steps": sum(1 for s in steps if s.run is not None),
                "matrix": job.strategy is not None and job.strategy.matrix is not None,
                "container": _image(job.container),
                "services": sorted(job.services or {}),
            }
        )
    return {
        "path": loaded.display,
        "kind": "workflow",
        "status": "ok",
        "name": wf.name,
        "triggers": loaded.events(),
        "jobs": jobs,
        "steps": steps_total,
        "actions": dict(sorted(actions.items())),
        "runner_labels": labels,
        "diagnostics": [diagnostic_dict(d) for d in loaded.warnings],
    }


def _image(container: str | m.Container | None) -> str | None:
    if container is None:
        return None
    return container if isinstance(container, str) else container.image


def repository_inventory(repo: Repository) -> dict[str, Any]:
    """Per file: what it contains, or its errors; plus the links and findings across files."""
    files: list[dict[str, Any]] = []
    order = list(dict.fromkeys([*repo.files, *repo.workflows, *repo.errors]))
    for display in order:
        if display in repo.workflows:
            files.append(workflow_inventory(repo.workflows[display]))
        elif display in repo.errors:
            files.append(
                {
                    "path": display,
                    "kind": "workflow"
                    if not display.endswith(("action.yml", "action.yaml"))
                    else "action",
                    "status": "error",
                    "diagnostics": [diagnostic_dict(d) for d in repo.errors[display]],
                }
            )
    for key, action in sorted(repo.actions.items()):
        runs = action.action.runs
        files.append(
            {
                "path": action.display,
                "kind": "action",
                "status": "ok",
                "name": action.action.name,
                "uses_key": key,
                "using": runs.using,
                "steps": len(runs.steps) if isinstance(runs, m.CompositeRuns) else 0,
                "diagnostics": [diagnostic_dict(d) for d in action.warnings],
            }
        )
    return {
        "root": str(repo.root) if repo.root else None,
        "files": files,
        "links": [
            {
                "from": str(link.source),
                "uses": link.raw,
                "kind": link.kind,
                "status": link.status,
                "target": link.target,
            }
            for link in repo.links
        ],
        "findings": [diagnostic_dict(d) for d in repo.findings],
    }
