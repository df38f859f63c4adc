"""What GitHub would run: the jobs of a workflow after one job fails, for the oracle's verdicts.

A small model of GitHub's job conditions, enough to say which converted pipeline tasks must
have run on Tekton: a job without ``if:`` runs when every job it needs succeeded; ``always()``
and ``!cancelled()`` run whatever happened; ``failure()`` runs when a job it depends on (at any
depth) failed; ``success()`` is the default. Any other condition depends on the event and is
left unjudged (None), as is everything downstream of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_WRAPPED = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$", re.S)


@dataclass(frozen=True)
class Job:
    id: str
    needs: tuple[str, ...]
    condition: str | None  # the `if:` text without ${{ }}, None when absent
    continue_on_error: bool


def read_jobs(workflow: Path) -> dict[str, Job]:
    data: dict[str, Any] = yaml.safe_load(workflow.read_text(encoding="utf-8")) or {}
    jobs: dict[str, Job] = {}
    for job_id, body in (data.get("jobs") or {}).items():
        body = body or {}
        needs = body.get("needs") or []
        if isinstance(needs, str):
            needs = [needs]
        cond = body.get("if")
        if cond is not None:
            text = str(cond).strip()
            match = _WRAPPED.match(text)
            cond = re.sub(r"\s+", "", match.group(1) if match else text)
        jobs[str(job_id)] = Job(
            str(job_id),
            tuple(str(n) for n in needs),
            cond,
            body.get("continue-on-error") is True,
        )
    return jobs


def ancestors(jobs: dict[str, Job], job: str) -> set[str]:
    seen: set[str] = set()
    todo = list(jobs[job].needs)
    while todo:
        n = todo.pop()
        if n in seen or n not in jobs:
            continue
        seen.add(n)
        todo.extend(jobs[n].needs)
    return seen


def expected_runs(jobs: dict[str, Job], failed: str | None = None) -> dict[str, bool | None]:
    """Job -> whether GitHub runs it (None: it depends on the event or on an unknown job)."""
    status: dict[str, str | None] = {}  # "success" | "failure" | "skipped" | None (unknown)

    def decide(job_id: str) -> str | None:
        if job_id in status:
            return status[job_id]
        job = jobs[job_id]
        needs = [decide(n) if n in jobs else None for n in job.needs]
        if job_id == failed:
            result: str | None = "failure"
        elif job.condition in ("always()", "!cancelled()"):
            result = "success"
        elif job.condition == "failure()":
            up = [status.get(a) for a in ancestors(jobs, job_id)]
            result = "success" if "failure" in up else ("skipped" if None not in up else None)
        elif job.condition in (None, "success()"):
            if None in needs:
                result = None
            elif all(n == "success" for n in needs):
                result = "success"
            else:
                result = "skipped"
        else:
            result = None
        if result == "failure" and job.continue_on_error and job_id != failed:
            result = "success"
        status[job_id] = result
        return result

    for job_id in jobs:
        decide(job_id)
    return {j: (None if s is None else s != "skipped") for j, s in status.items()}
