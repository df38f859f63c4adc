"""A split job's ``always()`` tail runs in the DAG, so that its failure fails the run as GitHub's
failing upload fails the job, and the failure notifications (``$(tasks.status)``) see it.

As a ``finally`` task the tail always ran, but no other task could see how it ended: a finally
task reads only DAG tasks' statuses, and ``$(tasks.status)`` counts only DAG tasks. In the DAG,
a task runs after one that failed with ``onError: continue``, but not after one skipped for a
missing result: that skip spreads to every task after it (``skipBecauseParentTaskWasSkipped``
in ``pkg/reconciler/pipelinerun/resources/pipelinerunresolution.go`` lets through only skips by
a task's own ``when``). So within one chain (a cell of the split job):

- the first task is gated as before (by the jobs it needs);
- every later task reads only the first task's ``ghtotekton-ok`` in its ``when`` (so none runs
  when the first failed), and its first step checks that the tasks right before it in the chain
  succeeded: each chain task's ``ghtotekton-ok`` step leaves a marker in the cell's workspace.
  When one did not, the step fails, the steps after it are skipped as GitHub skips them, and the
  task fails (let through), which the tail does run after;
- the tail runs after the chain's last task, whatever became of it. The jobs that need this one
  still wait for the chain's last task, not for the tail.

A chain whose failures cannot be let through (``job_failures``), or a ``continue-on-error``
job's, keeps its tail in ``finally``. When the chain's first task fails, the tasks after it are
skipped for the missing result, and the tail, which would only upload what nothing wrote, with
them.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ghtotekton.convert.job_failures import OK_RESULT, OK_STEP, VERDICT_IMAGE
from ghtotekton.convert.split import Chain

NEEDS_STEP: Final = "ghtotekton-needs"
MARKERS: Final = "$(workspaces.source.path)/.ghtotekton/ok"
_OK_REF = re.compile(r"^\$\(tasks\.([a-z0-9][-a-z0-9]*)\.results\." + OK_RESULT + r"\)$")


def tails_into_dag(
    chains: list[Chain],
    pipeline_tasks: list[dict[str, Any]],
    finally_tasks: list[dict[str, Any]],
    scopable: set[str],
) -> list[Chain]:
    """Move each tail whose chain can let failures through into the DAG (in place); the chains
    moved, for ``guard_chains`` once ``job_failures`` has gated the tasks."""
    moved = []
    by_pt = {pt["name"]: pt for pt in pipeline_tasks}
    for chain in chains:
        tail = next((t for t in finally_tasks if t["name"] == chain.tail), None)
        if tail is None or not chain.after or not set(chain.members) <= scopable:
            continue
        if any("onError" in by_pt.get(name, {}) for name in chain.members):
            continue  # `continue-on-error`: no task of it stops the run, and none says it ended
        moved.append(chain)
        finally_tasks.remove(tail)
        tail["runAfter"] = sorted(chain.after)
        pipeline_tasks.append(tail)
    return moved


def guard_chains(
    chains: list[Chain], pipeline_tasks: list[dict[str, Any]], tasks: list[dict[str, Any]]
) -> None:
    """Gate the moved chains as the module says (in place)."""
    by_pt = {pt["name"]: pt for pt in pipeline_tasks}
    by_task = {t["metadata"]["name"]: t for t in tasks}
    for chain in chains:
        if not chain.members or chain.tail not in by_pt:
            continue
        first = chain.members[0]
        inside = set(chain.members)
        task_of = {n: by_pt[n]["taskRef"]["name"] for n in chain.members}
        for name in [*chain.members[1:], chain.tail]:
            pt = by_pt[name]
            parents = sorted(set(pt.get("runAfter") or []) & inside)
            when = [w for w in pt.get("when", []) if _ok_of(w) not in inside]
            if name != chain.tail and by_pt[first].get("onError") == "continue":
                when.insert(0, _ok_when(first))
            if when:
                pt["when"] = when
            else:
                pt.pop("when", None)
            if name != chain.tail and set(parents) - {first}:
                # the first task is checked by the when; the others by their markers
                _needs(by_task[pt["taskRef"]["name"]], sorted({task_of[p] for p in parents}))
        for name in chain.members:
            _leave_marker(by_task[task_of[name]])


def _ok_of(when: dict[str, Any]) -> str | None:
    found = _OK_REF.match(str(when.get("input", "")))
    return found.group(1) if found else None


def _ok_when(name: str) -> dict[str, Any]:
    return {"input": f"$(tasks.{name}.results.{OK_RESULT})", "operator": "notin", "values": [""]}


def _image(task: dict[str, Any]) -> dict[str, Any]:
    spec = task["spec"]
    return {} if (spec.get("stepTemplate") or {}).get("image") else {"image": VERDICT_IMAGE}


def _needs(task: dict[str, Any], parents: list[str]) -> None:
    steps = task["spec"]["steps"]
    if any(s["name"] == NEEDS_STEP for s in steps):
        return
    names = " ".join(parents)
    steps.insert(
        0,
        {
            "name": NEEDS_STEP,
            **_image(task),
            "script": "#!/bin/sh\n"
            "# The tasks before this one in the job: did they succeed?\n"
            f"for task in {names}; do\n"
            f'  if [ ! -e "{MARKERS}/$task" ]; then\n'
            '    echo "skipped: $task, an earlier part of this job, did not succeed" >&2\n'
            "    exit 1\n"
            "  fi\n"
            "done\n",
        },
    )


def _leave_marker(task: dict[str, Any]) -> None:
    name = task["metadata"]["name"]
    for step in task["spec"]["steps"]:
        if step["name"] == OK_STEP and MARKERS not in step.get("script", ""):
            step["script"] += f'mkdir -p "{MARKERS}" && : > "{MARKERS}/{name}"\n'
