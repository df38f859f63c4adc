"""What every PipelineRun of a converted workflow binds: workspaces and per-task scheduling.

The example PipelineRun and the TriggerTemplate's PipelineRun must agree, or a run started by a
webhook would differ from the one a person tried by hand; both take them from here.
"""

from __future__ import annotations

from typing import Any

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
    of a job split by resource class are shared by several tasks, so they get a claim per run;
    the cache outlives runs, so it is a claim the cluster keeps."""
    out: list[dict[str, Any]] = [{"name": "source", "emptyDir": {}}]
    if "artifacts" in conv.workspaces:
        out.append({"name": "artifacts", "volumeClaimTemplate": _claim(storage_class)})
    for name in sorted(w for w in conv.workspaces if w.endswith("-files")):
        out.append({"name": name, "volumeClaimTemplate": _claim(storage_class)})
    if "cache" in conv.workspaces:
        out.append({"name": "cache", "persistentVolumeClaim": {"claimName": "ghtotekton-cache"}})
    return out


def task_run_specs(conv: WorkflowConversion) -> list[dict[str, Any]]:
    """Node selector, tolerations (GPU pools) and host aliases (compose service names)."""
    specs = []
    for task, runner in sorted(conv.runners.items()):
        pod: dict[str, Any] = {}
        for key in ("nodeSelector", "tolerations", "hostAliases"):
            if runner.get(key):
                pod[key] = runner[key]
        if pod:
            specs.append({"pipelineTaskName": task, "podTemplate": pod})
    return specs
