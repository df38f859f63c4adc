"""Containers that hold no GPU must not see the node's GPUs.

The NVIDIA container runtime shows a container the GPUs its ``NVIDIA_VISIBLE_DEVICES`` names,
whatever the scheduler gave it: a compose service's ``NVIDIA_VISIBLE_DEVICES=all`` copied into a
CPU step, or the same variable that CUDA images set in their own ENV, hands every GPU of the node
to a container that requested none (NVIDIA/k8s-device-plugin#61). The device plugin sets the
variable for the containers that do request GPUs. So in a run that goes to a GPU pool, every
step and sidecar without a GPU request gets ``NVIDIA_VISIBLE_DEVICES=void``: once in the
stepTemplate of a task with no GPU step, on the step itself otherwise.

The containers that do request GPUs get no value of ours at all: the device plugin's ``Allocate``
answer sets the variable to the devices it assigned, and a value in the pod spec (compose's
``all``, or a job's ``NVIDIA_VISIBLE_DEVICES: ${{ env.NVIDIA_VISIBLE_DEVICES }}`` that passed the
runner's GPUs through) would compete with that assignment.
"""

from __future__ import annotations

from typing import Any, Final

VARIABLE: Final = "NVIDIA_VISIBLE_DEVICES"
HIDDEN: Final = "void"


def requests_gpu(container: dict[str, Any] | None) -> bool:
    resources = (container or {}).get("computeResources") or {}
    return any(
        name.endswith("/gpu")
        for block in ("limits", "requests")
        for name in resources.get(block) or {}
    )


def task_requests_gpu(task: dict[str, Any]) -> bool:
    spec = task.get("spec") or {}
    template = spec.get("stepTemplate")
    return any(
        requests_gpu(s) or (requests_gpu(template) and "computeResources" not in s)
        for s in spec.get("steps") or []
    ) or any(requests_gpu(s) for s in spec.get("sidecars") or [])


def hide_gpus(tasks: list[dict[str, Any]]) -> None:
    """Set ``NVIDIA_VISIBLE_DEVICES=void`` on the GPU-less containers of a GPU run's tasks, and
    wherever a run without GPUs names devices in it explicitly."""
    if not any(task_requests_gpu(t) for t in tasks):
        for task in tasks:
            _hide_where_named(task.get("spec") or {})
        return
    for task in tasks:
        spec = task.get("spec") or {}
        if not task_requests_gpu(task):
            template = spec.setdefault("stepTemplate", {})
            template["env"] = _hidden(template.get("env"))
            for step in spec.get("steps") or []:
                if "ref" not in step and any(e["name"] == VARIABLE for e in step.get("env") or []):
                    step["env"] = _hidden(step["env"])
        else:
            template = spec.get("stepTemplate")
            if template:
                _unset(template)
            for step in spec.get("steps") or []:
                gpu = requests_gpu(step) or (
                    requests_gpu(template) and "computeResources" not in step
                )
                if "ref" in step:
                    continue
                if not gpu:
                    step["env"] = _hidden(step.get("env"))
                else:
                    _unset(step)
        for sidecar in spec.get("sidecars") or []:
            if not requests_gpu(sidecar):
                sidecar["env"] = _hidden(sidecar.get("env"))
            else:
                _unset(sidecar)


def _hide_where_named(spec: dict[str, Any]) -> None:
    template = spec.get("stepTemplate") or {}
    if _names_devices(template.get("env")):
        template["env"] = _hidden(template["env"])
    for container in [*(spec.get("steps") or []), *(spec.get("sidecars") or [])]:
        if _names_devices(container.get("env")):
            container["env"] = _hidden(container["env"])


def _names_devices(env: list[dict[str, Any]] | None) -> bool:
    return any(
        e["name"] == VARIABLE
        and str(e.get("value", "")).strip().lower() not in ("", "void", "none")
        for e in env or []
    )


def _unset(container: dict[str, Any]) -> None:
    """Drop the variable from a container's env: the device plugin sets it where GPUs are held."""
    if "env" not in container:
        return
    container["env"] = [e for e in container["env"] if e["name"] != VARIABLE]
    if not container["env"]:
        del container["env"]


def _hidden(env: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """``env`` with the variable set to ``void``, in place of any value it had."""
    out = [e for e in env or [] if e["name"] != VARIABLE]
    return [*out, {"name": VARIABLE, "value": HIDDEN}]
