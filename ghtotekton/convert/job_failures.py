"""A failed job stops only the jobs that need it, as on GitHub, not the whole PipelineRun.

On GitHub a failing job skips the jobs that need it (unless their ``if:`` asks for failures) and
nothing else: independent jobs and the other combinations of a ``fail-fast: false`` matrix run to
the end. Tekton schedules no new task once one has failed (``IsStopping`` in
``pkg/reconciler/pipelinerun/resources/pipelinerunstate.go``), unless that pipeline task says
``onError: continue`` (on by default: ``enable-api-fields`` is ``beta``). So:

- every pipeline task whose failure can be scoped gets ``onError: continue``, and its Task ends
  with a step that writes the result ``ghtotekton-ok`` (reached only when every step before it
  succeeded: Tekton skips the steps after a failed one);
- a task that needs it reads that result in a ``when``: when the task it needs failed the result
  is missing and Tekton skips the reader ("Results were missing", ``MissingResultsSkip``, decided
  for readers that say ``onError: continue`` in ``skipBecauseResultReferencesAreMissing``), and
  the tasks after a skipped one are skipped too (``skipBecauseParentTaskWasSkipped``); a task that
  needs one skipped by its own ``when`` is skipped the same way, as GitHub skips it;
- a failure let through still fails the run: the ``finally`` task ``ghtotekton-verdict`` fails
  when one of those tasks failed, since Tekton reports a run whose only failures were let
  through as Succeeded. ``$(tasks.status)`` is Failed in that case already, so failure
  notifications (``when: $(tasks.status) in [Failed]``) fire as before.

A matrixed pipeline task (Tekton fans it out) publishes its results as arrays, which a ``when``
cannot test cell by cell: when another task needs it, it and every task upstream of it keep
Tekton's stop-on-failure (jobs split per matrix cell are not matrixed: each cell is its own).
So does a task that retries (Tekton forbids ``onError: continue`` with ``retries``) or whose
Task is not among ours.
"""

from __future__ import annotations

import re
from typing import Any, Final

OK_RESULT: Final = "ghtotekton-ok"
OK_STEP: Final = "ghtotekton-ok"
VERDICT_TASK: Final = "ghtotekton-verdict"
VERDICT_IMAGE: Final = "docker.io/library/ubuntu:24.04"

_TASK_REF = re.compile(r"\$\(tasks\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.results\.")

_VERDICT_SCRIPT: Final = """\
#!/bin/sh
# Tasks whose failure was let through, so that the jobs not needing them ran as on GitHub.
failed=""
for entry in "$@"; do
  case "$entry" in *=Failed) failed="$failed ${entry%=Failed}" ;; esac
done
if [ -n "$failed" ]; then
  echo "failed:$failed (the tasks that do not need them ran, as GitHub runs its jobs)" >&2
  exit 1
fi
"""


def scopable_tasks(pipeline_tasks: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> set[str]:
    """The pipeline tasks whose failures ``let_failures_through`` would let through."""
    return _graph(pipeline_tasks, tasks)[3]


def _graph(
    pipeline_tasks: list[dict[str, Any]], tasks: list[dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, set[str]], dict[str, dict[str, Any]], set[str]]:
    """(pipeline tasks by name, their parents, Tasks by name, the scopable ones)."""
    by_name = {t["metadata"]["name"]: t for t in tasks}
    parents = {pt["name"]: _parents(pt) for pt in pipeline_tasks}
    readers: dict[str, set[str]] = {pt["name"]: set() for pt in pipeline_tasks}
    for name, needed in parents.items():
        for parent in needed:
            if parent in readers:
                readers[parent].add(name)
    own = {pt["name"]: pt for pt in pipeline_tasks}
    return own, parents, by_name, _scopable(own, readers, by_name)


def let_failures_through(
    pipeline_tasks: list[dict[str, Any]], tasks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Scope each failure to the tasks that need the failed one (in place); the finally task
    that fails the run when a let-through task failed, as a list (empty when none is)."""
    own, parents, by_name, scoped = _graph(pipeline_tasks, tasks)
    if not scoped:
        return []
    for name in scoped:
        pt = own[name]
        for parent in sorted(parents[name]):
            if parent in scoped and own[parent].get("onError") != "continue":
                pt.setdefault("when", []).append(
                    {
                        # written only when the task succeeded: any value means it did
                        "input": f"$(tasks.{parent}.results.{OK_RESULT})",
                        "operator": "notin",
                        "values": [""],
                    }
                )
    gated = {p for name in scoped for p in parents[name] if p in scoped}
    for name in sorted(gated):
        if own[name].get("onError") != "continue":
            _add_ok_step(by_name[own[name]["taskRef"]["name"]])
    let_through = [n for n in own if n in scoped and "onError" not in own[n]]
    for name in let_through:
        own[name]["onError"] = "continue"
    if not let_through:
        return []
    return [_verdict(let_through)]


def _parents(pt: dict[str, Any]) -> set[str]:
    """The tasks this one runs after or reads results of."""
    out = set(pt.get("runAfter") or [])
    out.update(m.group(1) for m in _TASK_REF.finditer(repr(pt)))
    out.discard(pt["name"])
    return out


def _scopable(
    own: dict[str, dict[str, Any]],
    readers: dict[str, set[str]],
    by_name: dict[str, dict[str, Any]],
) -> set[str]:
    """Tasks that can say ``onError: continue``: not retried, one of our Tasks, matrixed only
    when no task needs it (its results are arrays), and read only by tasks that can say it too
    (a reader that stops on failure would fail the run on the missing result instead of being
    skipped)."""
    candidates = {
        name
        for name, pt in own.items()
        if ("matrix" not in pt or not readers[name])
        and not pt.get("retries")
        and (pt.get("taskRef") or {}).get("name") in by_name
        and pt.get("onError") in (None, "continue")
    }
    changed = True
    while changed:
        changed = False
        for name in sorted(candidates):
            if readers[name] - candidates:
                candidates.discard(name)
                changed = True
    return candidates


def _add_ok_step(task: dict[str, Any]) -> None:
    spec = task.setdefault("spec", {})
    results = spec.setdefault("results", [])
    if any(r.get("name") == OK_RESULT for r in results):
        return
    results.append(
        {
            "name": OK_RESULT,
            "type": "string",
            "description": "true when every step succeeded (the tasks that need this one read it)",
        }
    )
    step: dict[str, Any] = {"name": OK_STEP}
    if not (spec.get("stepTemplate") or {}).get("image"):
        step["image"] = VERDICT_IMAGE
    step["script"] = f'#!/bin/sh\nprintf true > "$(results.{OK_RESULT}.path)"\n'
    spec.setdefault("steps", []).append(step)


def _verdict(let_through: list[str]) -> dict[str, Any]:
    return {
        "name": VERDICT_TASK,
        "params": [
            {"name": "statuses", "value": [f"{n}=$(tasks.{n}.status)" for n in let_through]}
        ],
        "when": [{"input": "$(tasks.status)", "operator": "in", "values": ["Failed"]}],
        "timeout": "0h10m0s",
        "taskSpec": {
            "params": [{"name": "statuses", "type": "array"}],
            "steps": [
                {
                    "name": "verdict",
                    "image": VERDICT_IMAGE,
                    "args": ["$(params.statuses[*])"],
                    "script": _VERDICT_SCRIPT,
                }
            ],
        },
    }
