"""What every PipelineRun of a converted workflow binds: workspaces and per-task scheduling.

The example PipelineRun and the TriggerTemplate's PipelineRun must agree, or a run started by a
webhook would differ from the one a person tried by hand; both take them from here.
"""

from __future__ import annotations

from typing import Any

from ghtotekton.convert.claims import CACHE, SHARED
from ghtotekton.convert.workflow import WorkflowConversion

CLAIM_SIZE = "5Gi"


def _claim(storage_class: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": CLAIM_SIZE}},
    }
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"spec": spec}


def run_workspaces(conv: WorkflowConversion, storage_class: str | None) -> list[dict[str, Any]]:
    """``source`` is per TaskRun (each job clones afresh, as on GitHub); artifacts and the files
    of a job split by resource class are shared by several tasks, so they are folders of the
    run's one claim (``claims``: a TaskRun binds one PVC); the cache outlives runs, so it is a
    claim the cluster keeps."""
    out: list[dict[str, Any]] = [{"name": "source", "emptyDir": {}}]
    if SHARED in conv.workspaces:
        out.append({"name": SHARED, "volumeClaimTemplate": _claim(storage_class)})
    if CACHE in conv.workspaces:
        out.append({"name": "cache", "persistentVolumeClaim": {"claimName": "ghtotekton-cache"}})
    return out


PLACEMENT = ("nodeSelector", "tolerations")

AUTO_CLEANUP_PVC = "tekton.dev/auto-cleanup-pvc"
"""Tekton (v1.11 and later) deletes a run's volumeClaimTemplate claims when the run is done
(``pkg/reconciler/pipelinerun/affinity_assistant.go``); without it every run leaves one."""


def run_annotations(conv: WorkflowConversion) -> dict[str, str]:
    """Annotations every PipelineRun of the workflow carries: the claim's cleanup."""
    return {AUTO_CLEANUP_PVC: "true"} if SHARED in conv.workspaces else {}


def shared_placement(conv: WorkflowConversion) -> dict[str, Any]:
    """Where every pod of the run goes when its tasks share the run's claim.

    Pods that share a PVC must run on the node of its affinity assistant, and the assistant is
    placed with ``taskRunTemplate.podTemplate`` only, never with ``taskRunSpecs``
    (``pkg/reconciler/pipelinerun/affinity_assistant.go``). So the node selector and tolerations
    of the tasks on the claim (a GPU pool's) go to the run's pod template, where the assistant
    gets them too. Tasks that ask for different pools cannot share one node: then nothing moves,
    and ``validate`` names the task the assistant cannot follow.
    """
    sharing = _claim_tasks(conv)
    selector: dict[str, str] = {}
    tolerations: list[Any] = []
    for task in sorted(sharing):
        runner = conv.runners.get(task, {})
        for key, value in (runner.get("nodeSelector") or {}).items():
            if selector.setdefault(key, value) != value:
                return {}
        for toleration in runner.get("tolerations") or []:
            if toleration not in tolerations:
                tolerations.append(toleration)
    placement: dict[str, Any] = {}
    if selector:
        placement["nodeSelector"] = selector
    if tolerations:
        placement["tolerations"] = tolerations
    return placement


def _claim_tasks(conv: WorkflowConversion) -> set[str]:
    if conv.pipeline is None:
        return set()
    spec = conv.pipeline["spec"]
    return {
        t["name"]
        for t in [*spec.get("tasks", []), *spec.get("finally", [])]
        if any(b.get("workspace") == SHARED for b in t.get("workspaces") or [])
    }


def task_run_specs(conv: WorkflowConversion) -> list[dict[str, Any]]:
    """Node selector, tolerations (GPU pools) and host aliases (compose service names); the
    placement of tasks on the run's claim is in the run's pod template (``shared_placement``)."""
    shared = _claim_tasks(conv) if shared_placement(conv) else set()
    specs = []
    for task, runner in sorted(conv.runners.items()):
        pod: dict[str, Any] = {}
        for key in ("nodeSelector", "tolerations", "hostAliases"):
            if runner.get(key) and not (key in PLACEMENT and task in shared):
                pod[key] = runner[key]
        if pod:
            specs.append({"pipelineTaskName": task, "podTemplate": pod})
    return specs


def task_run_template(conv: WorkflowConversion, **fields: Any) -> dict[str, Any]:
    """The run's ``taskRunTemplate``: ``fields`` (a service account) and the shared placement."""
    template = dict(fields)
    placement = shared_placement(conv)
    if placement:
        template["podTemplate"] = placement
    return template
