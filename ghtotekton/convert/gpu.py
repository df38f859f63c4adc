"""GPU requests and GPU scheduling for a job's Task.

Where a GPU comes from on GitHub: the runner (a GPU machine picked by its labels), the job's
container (``options: --gpus all``) or a compose service (device reservations, ``gpus:``,
``runtime: nvidia``; handled where the compose call is converted). In Kubernetes a GPU is an
extended resource that each container requests for itself, and the requests of a pod's
containers add up: so the GPU goes on the steps that run the work, never on the stepTemplate,
and the pod is sent to GPU nodes with a node selector and the toleration of the GPU taint
(written into the PipelineRun's ``taskRunSpecs`` podTemplate).
"""

from __future__ import annotations

import re
from typing import Any

from ghtotekton.convert.compose_steps import GPU_RESOURCE, ComposeSession
from ghtotekton.convert.findings import Finding, JobOutcome
from ghtotekton.convert.rules import RuleSet
from ghtotekton.errors import Position
from ghtotekton.github import model as m

GPUS_SUMMED = "gpu-per-pod"
"""Rule of the finding that several steps each request GPUs (the pod needs their sum)."""

_GPUS_OPTION = re.compile(r"--gpus(?:=|\s+)(?:\"|')?([^\s\"']+)")


def holds_gpu(step: dict[str, Any]) -> bool:
    """Whether a step's container requests a GPU (any vendor's ``*/gpu`` resource)."""
    limits = (step.get("computeResources") or {}).get("limits") or {}
    return any("gpu" in k for k in limits)


def container_gpus(job: m.Job, findings: list[Finding], where: Position) -> int:
    """GPUs of ``container.options: --gpus all|N|device=...``; 0 when none."""
    container = job.container
    options = container.options if isinstance(container, m.Container) else None
    match = _GPUS_OPTION.search(options or "")
    if match is None:
        return 0
    value = match.group(1)
    if value.isdigit():
        return int(value)
    if value.startswith("device="):
        findings.append(
            Finding(
                "partial",
                f"`--gpus {value}` picks GPUs by id; Kubernetes gives any GPUs of the node",
                where,
                rule="gpu",
            )
        )
        return len(value.removeprefix("device=").split(","))
    findings.append(
        Finding(
            "partial",
            f"`--gpus {value}` asks for every GPU of the machine; the Task requests 1",
            where,
            rule="gpu",
            action="set the number of GPUs the job needs in a runner rule or `--gpus N`",
        )
    )
    return 1


def apply_gpus(
    job: m.Job,
    outcome: JobOutcome,
    steps: list[dict[str, Any]],
    session: ComposeSession | None,
    runner: dict[str, Any],
    findings: list[Finding],
    where: Position,
    rules: RuleSet,
) -> dict[str, Any]:
    """Put GPU requests on the steps that need them; return the runner scheduling to use.

    Script steps need the GPU unless the rule table classes their command ``cpu``.
    """
    resource = runner.get("gpuResource") or GPU_RESOURCE
    count = session.gpu if session is not None else 0
    if count and resource != GPU_RESOURCE:
        # The runners table maps this pool to another resource (a MIG slice, another vendor):
        # the compose service's GPU request is asked for in those terms.
        for step in steps:
            for kind in ("requests", "limits"):
                amounts = (step.get("computeResources") or {}).get(kind) or {}
                if GPU_RESOURCE in amounts:
                    amounts[resource] = amounts.pop(GPU_RESOURCE)
    wanted = container_gpus(job, findings, where) or int(runner.get("gpu") or 0)
    if wanted:
        by_name = {s["name"]: s for s in steps}
        runs = [
            by_name[o.tekton_step]
            for o in outcome.steps
            if o.rule.split(",")[0] == "run" and o.tekton_step in by_name
        ]
        classes = {s["name"]: rules.resource_class(s.get("script", "")) for s in runs}
        # When the job's GPU work is known (it executes notebooks), a command no rule classes
        # is not it: it runs without the GPU. Otherwise an unknown command keeps the GPU.
        known = any(rules.is_gpu_work(s.get("script", "")) for s in steps)
        targets = [s for s in runs if classes[s["name"]] == "gpu" or (
            classes[s["name"]] is None and not known)]  # fmt: skip
        freed = [s["name"] for s in runs if classes[s["name"]] is None and known]
        if freed:
            findings.append(
                Finding(
                    "converted",
                    "the job's GPU work is notebook execution: "
                    + ", ".join(f"`{n}`" for n in freed)
                    + (" runs" if len(freed) == 1 else " run")
                    + " without the GPU",
                    where,
                    rule="gpu",
                    action="give a command `class: gpu` in the rule table (--mappings) if it "
                    "needs the GPU",
                )
            )
        for step in targets:
            amount = str(wanted)
            step["computeResources"] = {
                "requests": {resource: amount},
                "limits": {resource: amount},
            }
        holders = [s for s in steps if "computeResources" in s]
        if len(holders) > 1:
            total = sum(
                int(next(iter(s["computeResources"]["limits"].values()), 0)) for s in holders
            )
            findings.append(
                Finding(
                    "partial",
                    f"{len(holders)} steps run GPU work and each requests its GPUs: a pod's "
                    f"containers each get their own, so this Task needs {total} on one node",
                    where,
                    action="keep the GPU only on the steps that use it (a rule with `class: cpu` "
                    "for the others) or let the converter split the job by resource class",
                    rule=GPUS_SUMMED,
                )
            )
        if targets:
            count = max(count, wanted)
    if not count:
        return runner
    scheduled = dict(runner)
    scheduled["gpu"] = count
    scheduled["gpuResource"] = resource
    tolerations = list(scheduled.get("tolerations") or [])
    if not any(t.get("key") == resource for t in tolerations):
        tolerations.append({"key": resource, "operator": "Exists", "effect": "NoSchedule"})
    scheduled["tolerations"] = tolerations
    if not scheduled.get("nodeSelector") and resource == GPU_RESOURCE:
        scheduled["nodeSelector"] = {"nvidia.com/gpu.present": "true"}
    return scheduled
