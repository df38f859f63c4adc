"""One PersistentVolumeClaim per run: the workspaces tasks share live in folders of one claim.

Under Tekton's default ``coschedule: workspaces`` the TaskRun reconciler fails a TaskRun that
binds more than one PVC at once ("more than one PersistentVolumeClaim is bound",
``pkg/workspace/validate.go`` ``ValidateOnlyOnePVCIsUsed``). A task that uploads artifacts and
also reads the files of a job split by resource class would bind two. So the run gets one
claim, the pipeline workspace ``shared``, and each of those workspaces is a folder of it
(``subPath``): ``artifacts``, ``files/<job>`` (one folder per matrix cell below it, as before),
``cache``. Kubernetes creates a missing subPath folder when it mounts it.

The cache is a claim the cluster keeps between runs; a task that binds it and nothing else of the
shared claim keeps it. A task that binds both would hold two claims, so there the cache is the
run's ``cache`` folder instead: it starts empty each run, which an ``actions/cache`` miss means
on GitHub too.
"""

from __future__ import annotations

from typing import Any, Final

SHARED: Final = "shared"
"""The pipeline workspace backed by the run's one claim."""

CACHE: Final = "cache"
ARTIFACTS: Final = "artifacts"


def per_run(workspace: str) -> bool:
    """A pipeline workspace that lives for one run on a claim (not ``source``, an emptyDir)."""
    return workspace == ARTIFACTS or workspace.endswith("-files")


def folder(workspace: str) -> str:
    """The folder of the shared claim that holds ``workspace``."""
    if workspace.endswith("-files"):
        return f"files/{workspace.removesuffix('-files')}"
    return workspace


def share_one_claim(pipeline_tasks: list[dict[str, Any]], workspaces: set[str]) -> bool:
    """Rebind every per-run workspace of the pipeline tasks to a folder of ``shared``, the cache
    too where a task binds both; update ``workspaces`` (the pipeline's declarations). Returns
    whether a task's cache moved into the run's claim."""
    cache_moved = False
    for task in pipeline_tasks:
        bindings = task.get("workspaces") or []
        claims = {b.get("workspace", b["name"]) for b in bindings}
        moves = {w for w in claims if per_run(w)}
        if moves and CACHE in claims:
            moves.add(CACHE)
            cache_moved = True
        for binding in bindings:
            target = binding.get("workspace", binding["name"])
            if target not in moves:
                continue
            sub = folder(target)
            if binding.get("subPath"):
                sub = f"{sub}/{binding['subPath']}"
            binding["workspace"] = SHARED
            binding["subPath"] = sub
    bound = {
        b.get("workspace", b["name"]) for t in pipeline_tasks for b in t.get("workspaces") or []
    }
    if any(per_run(w) for w in workspaces) or SHARED in bound:
        workspaces.difference_update({w for w in workspaces if per_run(w)})
        workspaces.add(SHARED)
    if CACHE in workspaces and CACHE not in bound:
        workspaces.discard(CACHE)
    return cache_moved
