"""Resource-class splitting: a job whose steps mix GPU and CPU work becomes a chain of tasks.

On a GPU runner the GPU is the machine's for the whole job, checkout and uploads included. In
Tekton a Task is a pod, and a pod holds its GPUs from start to end; splitting the job into
consecutive tasks by resource class means only the GPU task holds one, and a shared GPU pool
serves more jobs. The tasks of a split job share their files through a workspace of their own
(a PVC, ``<task>-files``), including the runner files ($GITHUB_ENV, step outputs) that a job's
steps pass to each other, so the steps see what they saw in one job.

A checkout of another repository that no GPU step reads (a test repository checked out into its
own ``path:``) is independent CPU work: it runs in parallel with the GPU task.

Not split (and said so): jobs with a matrix (the instances would share one files workspace),
jobs whose steps track each other's status (always()/failure() steps read exit codes of earlier
steps of the same pod), and ``finally`` jobs.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from ghtotekton.convert.environment_changes import split_breaks_environment
from ghtotekton.convert.findings import Finding, JobOutcome, StepOutcome
from ghtotekton.convert.gpu import holds_gpu
from ghtotekton.convert.jobs import JobConversion
from ghtotekton.convert.steps import GHT_DIR
from ghtotekton.errors import Position

SCAFFOLDING = {"ghtotekton-setup", "ghtotekton-outputs", "ghtotekton-status"}
DEFAULT_SECONDS = {"checkout": 15, "upload-artifact": 10, "download-artifact": 10, "cache": 10}
"""Assumed step durations (seconds) when no run has been recorded: for the GPU-seconds estimate."""
RUN_SECONDS = 60
GPU_RUN_SECONDS = 300
POD_START_SECONDS = 20
"""What starting one more pod costs the GPU task (image already on the node)."""


@dataclass(slots=True)
class Segment:
    kind: str
    """``gpu`` or ``cpu``."""
    steps: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[StepOutcome] = field(default_factory=list)
    parallel: bool = False
    """Independent CPU work that runs beside the next GPU segment."""
    final: bool = False
    """The trailing ``always()`` steps: a task after the chain (``chains.py``), or ``finally``."""


@dataclass(slots=True)
class SplitJob:
    tasks: list[dict[str, Any]]
    pipeline_tasks: list[dict[str, Any]]
    runners: dict[str, dict[str, Any]]
    workspace: str
    """The pipeline workspace the tasks share their files through (a PVC)."""
    gpu_seconds_saved: int
    gpu_seconds_total: int
    ends: list[str] = field(default_factory=list)
    """The last pipeline task of each chain: what jobs that need this one wait for."""
    finally_tasks: list[dict[str, Any]] = field(default_factory=list)
    """The job's trailing ``always()`` steps: they run whatever happened before."""
    chains: list[Chain] = field(default_factory=list)
    """Per matrix cell, its pipeline tasks in order and its always() tail (``chains.py``)."""


@dataclass(slots=True)
class Chain:
    """One cell of a split job: its pipeline tasks, and its tail (a finally task until
    ``chains.tails_into_dag`` moves it after them)."""

    members: list[str]
    tail: str | None
    after: list[str]
    """What the tail would run after in the DAG (the chain's last tasks)."""


def not_split_reason(conv: JobConversion, tail: int = 0) -> str | None:
    """Why a job that mixes GPU and CPU steps stays one task (None: it can be split).

    ``tail``: how many trailing steps would be a task of their own (``always()`` steps)."""
    if conv.is_finally:
        return "it runs in `finally`"
    matrix = conv.pipeline_task.get("matrix")
    if matrix and (matrix.get("params") or not matrix.get("include")):
        return "its matrix is computed at run time, so its instances cannot be laid out as tasks"
    names = {s["name"] for s in conv.task["spec"]["steps"]}
    if "ghtotekton-status" in names:
        return "its steps run on always()/failure() and read the exit codes of earlier steps"
    if any(".exitCode.path)" in s.get("script", "") for s in conv.task["spec"]["steps"]):
        return "its steps read `steps.<id>.outcome`, an earlier step's exit code in the same pod"
    return split_breaks_environment(_pods(conv, tail))


def _pods(conv: JobConversion, tail: int) -> list[list[dict[str, Any]]]:
    """The job's steps as a split would lay them out in pods: each GPU step alone, consecutive
    CPU steps together, the ``tail`` last ones apart."""
    user = [s for s in conv.task["spec"]["steps"] if s["name"] not in SCAFFOLDING]
    body, final = (user[:-tail], user[-tail:]) if 0 < tail < len(user) else (user, [])
    pods: list[list[dict[str, Any]]] = []
    for step in body:
        gpu = holds_gpu(step)
        if not pods or gpu or holds_gpu(pods[-1][-1]):
            pods.append([])
        pods[-1].append(step)
    return [*pods, final] if final else pods


def seconds_of(outcome: StepOutcome, gpu: bool) -> int:
    rule = outcome.rule.split(",")[0]
    if rule in DEFAULT_SECONDS:
        return DEFAULT_SECONDS[rule]
    return GPU_RUN_SECONDS if gpu else RUN_SECONDS


def split_job(
    conv: JobConversion, outcome: JobOutcome, where: Position, tail: int = 0
) -> SplitJob | None:
    """The chain of tasks for a job with GPU and CPU steps; None when there is nothing to split.

    ``tail``: how many trailing GitHub steps run on ``always()`` (they become the tail task).
    """
    spec = conv.task["spec"]
    user = [s for s in spec["steps"] if s["name"] not in SCAFFOLDING]
    by_step = {o.tekton_step: o for o in outcome.steps if o.tekton_step}
    last_index = max((o.index for o in outcome.steps), default=-1)
    final_names = {
        o.tekton_step for o in outcome.steps if o.tekton_step and o.index > last_index - tail
    }
    final = [s for s in user if s["name"] in final_names]
    user = [s for s in user if s["name"] not in final_names]
    kinds = ["gpu" if holds_gpu(s) else "cpu" for s in user]
    if "gpu" not in kinds or ("cpu" not in kinds and kinds.count("gpu") < 2 and not final):
        return None
    reason = not_split_reason(conv, tail)
    if reason is not None:
        outcome.findings.append(
            Finding(
                "partial",
                f"the job mixes GPU and CPU steps but stays one task, so the GPU is held for the "
                f"whole job: {reason}",
                where,
                rule="split-gpu",
            )
        )
        return None
    segments: list[Segment] = []
    for step, kind in zip(user, kinds, strict=True):
        # Each GPU step gets a task of its own: a pod's containers each get their own GPUs, so
        # two GPU steps in one pod would ask for twice the GPUs, not share them.
        if not segments or segments[-1].kind != kind or kind == "gpu":
            segments.append(Segment(kind))
        segments[-1].steps.append(step)
        if step["name"] in by_step:
            segments[-1].outcomes.append(by_step[step["name"]])
    _independent_checkouts(segments)
    if final:
        segments.append(
            Segment(
                "gpu" if any(holds_gpu(s) for s in final) else "cpu",
                final,
                [by_step[s["name"]] for s in final if s["name"] in by_step],
                final=True,
            )
        )
    total, saved = _gpu_seconds(conv, outcome, segments)
    if saved <= 0:
        outcome.findings.append(
            Finding(
                "converted",
                "the job stays one task: splitting it by resource class would not save GPU time "
                f"(its GPU steps would each need a pod; about {total} GPU-seconds per run either "
                "way at default step durations)",
                where,
                rule="split-gpu",
            )
        )
        return None
    combos = (conv.pipeline_task.get("matrix") or {}).get("include") or [None]
    split: SplitJob | None = None
    for index, combo in enumerate(combos):
        tag = f"m{index + 1}" if combo is not None else ""
        one = _emit(conv, outcome, segments, tag, combo)
        if split is None:
            split = one
        else:
            split.pipeline_tasks += one.pipeline_tasks
            split.runners.update(one.runners)
            split.ends += one.ends
            split.finally_tasks += one.finally_tasks
            split.chains += one.chains
            split.gpu_seconds_saved += one.gpu_seconds_saved
            split.gpu_seconds_total += one.gpu_seconds_total
    return split


def _independent_checkouts(segments: list[Segment]) -> None:
    """Move checkouts into their own ``path`` that no GPU step reads beside the GPU segment."""
    for i, seg in enumerate(segments[:-1]):
        after = segments[i + 1]
        if seg.kind != "cpu" or after.kind != "gpu" or seg.parallel:
            continue
        gpu_text = json.dumps(after.steps)
        moved = [
            (step, out)
            for step, out in zip(seg.steps, seg.outcomes, strict=False)
            if out.rule.split(",")[0] == "checkout"
            and (path := _checkout_path(step))
            and path not in gpu_text
        ]
        if moved and len(moved) < len(seg.steps):
            parallel = Segment("cpu", parallel=True)
            for step, out in moved:
                seg.steps.remove(step)
                seg.outcomes.remove(out)
                parallel.steps.append(step)
                parallel.outcomes.append(out)
            segments.insert(i + 1, parallel)
            return


def _checkout_path(step: dict[str, Any]) -> str | None:
    for env in step.get("env", []):
        if env.get("name") == "INPUT_PATH" and env.get("value"):
            return str(env["value"]).strip("/") or None
    return None


def _shared_dir(node: Any) -> Any:
    """Runner files move from the pod's /workspace into the shared files workspace."""
    if isinstance(node, str):
        return node.replace(GHT_DIR, "$(workspaces.source.path)/.ghtotekton")
    if isinstance(node, dict):
        return {k: _shared_dir(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_shared_dir(v) for v in node]
    return node


def _emit(
    conv: JobConversion,
    outcome: JobOutcome,
    segments: list[Segment],
    tag: str,
    combo: dict[str, Any] | None,
) -> SplitJob:
    """One chain of tasks; a matrix job gets one chain per combination (``tag`` m1, m2, ...),
    each with its own folder (``subPath``) of the shared files workspace."""
    base_task = conv.task
    spec = base_task["spec"]
    steps = {s["name"]: s for s in spec["steps"]}
    pt_name = conv.pipeline_task["name"]
    task_name = base_task["metadata"]["name"]
    workspace = f"{pt_name}-files"
    tasks: list[dict[str, Any]] = []
    pipeline_tasks: list[dict[str, Any]] = []
    runners: dict[str, dict[str, Any]] = {}
    previous: list[str] = list(conv.pipeline_task.get("runAfter", []))
    waiting: list[str] = []
    gpu_sidecars = [s for s in spec.get("sidecars", []) if holds_gpu(s)]
    cpu_sidecars = [s for s in spec.get("sidecars", []) if not holds_gpu(s)]
    finals: list[dict[str, Any]] = []
    tail_after: list[str] = []
    chain_segments = [seg for seg in segments if not seg.final]
    for index, seg in enumerate(segments):
        last = seg is chain_segments[-1]
        suffix = f"{index + 1}-{seg.kind}" + ("-parallel" if seg.parallel else "")
        suffix = "always" if seg.final else suffix
        chain = f"{pt_name}-{tag}" if tag else pt_name
        name = chain if last else f"{chain}-{suffix}"
        t_name = task_name if last else f"{task_name}-{suffix}"
        seg_spec = copy.deepcopy({k: v for k, v in spec.items() if k not in ("steps", "results")})
        seg_steps = [copy.deepcopy(s) for s in seg.steps]
        if index == 0:
            seg_steps.insert(0, copy.deepcopy(steps["ghtotekton-setup"]))
        if last and "ghtotekton-outputs" in steps:
            seg_steps.append(copy.deepcopy(steps["ghtotekton-outputs"]))
        # A result goes with the steps that write it (job outputs: the last task).
        written = json.dumps(seg_steps)
        results = [r for r in spec.get("results", []) if f"$(results.{r['name']}.path)" in written]
        if results:
            seg_spec["results"] = copy.deepcopy(results)
        seg_spec["steps"] = seg_steps
        sidecars = cpu_sidecars + (gpu_sidecars if seg.kind == "gpu" else [])
        if sidecars:
            seg_spec["sidecars"] = copy.deepcopy(sidecars)
        else:
            seg_spec.pop("sidecars", None)
        task = copy.deepcopy(base_task)
        task["metadata"]["name"] = t_name
        task["metadata"]["annotations"]["ghtotekton.dev/resource-class"] = seg.kind
        task["spec"] = _shared_dir(seg_spec)
        tasks.append(task)
        pt = copy.deepcopy(conv.pipeline_task)
        pt["name"] = name
        pt["taskRef"] = {"name": t_name}
        after = sorted(set(previous))
        if after:
            pt["runAfter"] = after
        else:
            pt.pop("runAfter", None)
        pt["workspaces"] = [
            {"name": w["name"], "workspace": workspace if w["name"] == "source" else w["workspace"]}
            for w in conv.pipeline_task.get("workspaces", [])
        ]
        if combo is not None:
            pt.pop("matrix", None)
            given = {p["name"]: p for p in combo.get("params", [])}
            pt["params"] = [p for p in pt.get("params", []) if p["name"] not in given] + list(
                given.values()
            )
            for w in pt["workspaces"]:
                if w["name"] == "source":
                    w["subPath"] = tag
        pipeline_tasks.append(pt)
        runner = dict(conv.runner) if seg.kind == "gpu" else _without_gpu(conv.runner)
        if runner:
            runners[name] = runner
        if seg.final:
            pipeline_tasks.pop()
            tail_after = list(pt.pop("runAfter", None) or [])
            finals.append(pt)
            continue
        if seg.parallel:
            waiting.append(name)
            continue
        previous = [name, *waiting]
        waiting = []
    total, saved = _gpu_seconds(conv, outcome, segments)
    chain = Chain(
        [p["name"] for p in pipeline_tasks], finals[0]["name"] if finals else None, tail_after
    )
    return SplitJob(
        tasks, pipeline_tasks, runners, workspace, saved, total, [previous[0]], finals, [chain]
    )


def _without_gpu(runner: dict[str, Any]) -> dict[str, Any]:
    """The scheduling of a CPU task: no GPU, no GPU node selector or GPU taint toleration."""
    out = {k: v for k, v in runner.items() if k not in ("gpu", "gpuResource", "gpuType")}
    selector = {k: v for k, v in (runner.get("nodeSelector") or {}).items() if "gpu" not in k}
    tolerations = [t for t in runner.get("tolerations") or [] if "gpu" not in t.get("key", "")]
    out.pop("nodeSelector", None)
    out.pop("tolerations", None)
    if selector:
        out["nodeSelector"] = selector
    if tolerations:
        out["tolerations"] = tolerations
    return out


def _gpu_seconds(
    conv: JobConversion, outcome: JobOutcome, segments: list[Segment]
) -> tuple[int, int]:
    """GPU-seconds per run held as one task, and saved by the split, at default durations."""
    count = int(conv.runner.get("gpu") or 1)
    all_steps = [o for o in outcome.steps if o.tekton_step]
    gpu_steps = {o.tekton_step for seg in segments if seg.kind == "gpu" for o in seg.outcomes}
    whole = sum(seconds_of(o, o.tekton_step in gpu_steps) for o in all_steps) + POD_START_SECONDS
    gpu_segments = sum(1 for seg in segments if seg.kind == "gpu")
    held = sum(seconds_of(o, True) for o in all_steps if o.tekton_step in gpu_steps)
    held += POD_START_SECONDS * gpu_segments
    return whole * count, max(0, whole - held) * count
