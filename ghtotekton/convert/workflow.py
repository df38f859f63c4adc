"""A workflow -> one Pipeline, one Task per job, and the outcome of every job and step."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtotekton.convert.calls import InlinedCall, inline_call, rewire_calls
from ghtotekton.convert.chains import guard_chains, tails_into_dag
from ghtotekton.convert.claims import CACHE, share_one_claim
from ghtotekton.convert.env_order import resolve_env_references
from ghtotekton.convert.findings import Finding, JobOutcome, Status, worst
from ghtotekton.convert.gpu import GPUS_SUMMED
from ghtotekton.convert.gpu_merge import merge_gpu_steps
from ghtotekton.convert.gpu_visibility import hide_gpus
from ghtotekton.convert.job_failures import let_failures_through, scopable_tasks
from ghtotekton.convert.jobs import (
    SOURCE_ANNOTATION,
    JobConversion,
    always_tail,
    convert_job,
    finally_demotions,
)
from ghtotekton.convert.naming import dns_label, unique, workflow_path
from ghtotekton.convert.notebooks import NotebookCopy
from ghtotekton.convert.platform import (
    PLATFORM_RULES,
    concurrency_findings,
    environment_findings,
    permissions_findings,
)
from ghtotekton.convert.publish import (
    BUNDLE_PARAM,
    PUBLISH_TASK,
    bundle_param,
    publish_pipeline_task,
    publish_task,
)
from ghtotekton.convert.rules import RuleSet
from ghtotekton.convert.split import Chain, not_split_reason, split_job
from ghtotekton.errors import Position
from ghtotekton.github.loader import LoadedWorkflow
from ghtotekton.github.repository import Repository


@dataclass(slots=True)
class WorkflowConversion:
    display: str
    name: str
    """The Pipeline's name (and the file stem of everything written for this workflow)."""
    pipeline: dict[str, Any] | None
    tasks: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[JobOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    runners: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Pipeline task name -> scheduling, for the PipelineRun's taskRunSpecs."""
    workspaces: set[str] = field(default_factory=set)
    notebooks: dict[str, list[NotebookCopy]] = field(default_factory=dict)
    """Job id -> the executed notebooks it writes (the GitHub side of ``--shadow-compare``)."""
    github_file: str = ""
    """Output path of this workflow with its run bundle steps (``--shadow-compare``), if any."""
    github_only: bool = False
    """Every step is dropped: the workflow stays in GitHub Actions, nothing is written for it."""

    @property
    def status(self) -> Status:
        return worst([j.status for j in self.jobs] + [f.status for f in self.findings])


def convert_workflow(
    loaded: LoadedWorkflow,
    rules: RuleSet,
    repo: Repository | None,
    taken: set[str],
    split_gpu: bool = True,
    shadow_compare: bool = False,
) -> WorkflowConversion:
    """Convert one loaded workflow; ``taken`` holds resource names already used in this output."""
    wf = loaded.workflow
    stem = Path(loaded.display).stem
    name = unique(dns_label(stem), taken)
    result = WorkflowConversion(loaded.display, name, None)
    if "workflow_call" in wf.on.events() and len(wf.on.events()) == 1:
        result.findings.append(
            Finding(
                "converted",
                "only called by other workflows: its jobs are inlined where a local workflow calls "
                "it; this Pipeline serves callers in other repositories",
                Position(loaded.display, 1, 1),
            )
        )
    top = Position(loaded.display, 1, 1)
    # What the loader noticed and let through (a key GitHub ignores): said, not lost.
    result.findings += [
        Finding("converted", w.message, w.position, w.rule) for w in loaded.warnings
    ]
    result.findings += concurrency_findings(wf.concurrency, top, "the workflow's")
    result.findings += permissions_findings(wf.permissions, top, "the workflow's")
    pt_taken: set[str] = set()
    task_names = {job_id: unique(dns_label(job_id), pt_taken) for job_id in wf.jobs}
    tasks: list[dict[str, Any]] = []
    pipeline_tasks: list[dict[str, Any]] = []
    finally_tasks: list[dict[str, Any]] = []
    chains: list[Chain] = []
    params: dict[str, dict[str, Any]] = {}
    calls: dict[str, InlinedCall] = {}
    aliases: dict[str, list[str]] = {}
    demoted = finally_demotions(wf)
    """A matrix job split into one chain per combination: its name -> the chains' last tasks."""
    for job_id, job in wf.jobs.items():
        if job.is_call:
            inlined = None
            if repo is not None:
                inlined = inline_call(
                    loaded, job_id, job, task_names[job_id], task_names, name, rules, repo,
                    taken, pt_taken,
                )  # fmt: skip
            if inlined is None:
                result.jobs.append(_call_outcome(loaded, job_id, job, task_names[job_id], repo))
                continue
            calls[task_names[job_id]] = inlined
            result.jobs.append(inlined.outcome)
            result.jobs.extend(inlined.outcomes)
            params.update(inlined.params)
            for inner in inlined.jobs:
                _add_job(result, inner, tasks, pipeline_tasks, finally_tasks, params)
            continue
        conv: JobConversion = convert_job(
            loaded, name, job_id, job, task_names, rules, repo, taken,
            demoted=job_id in demoted,
        )  # fmt: skip
        job_where = job.pos or Position(loaded.display)
        conv.outcome.findings += concurrency_findings(job.concurrency, job_where, f"job `{job_id}`")
        conv.outcome.findings += permissions_findings(job.permissions, job_where, f"job `{job_id}`")
        conv.outcome.findings += environment_findings(job.environment, job_where, job_id)
        result.jobs.append(conv.outcome)
        if conv.notebooks:
            result.notebooks[job_id] = list(conv.notebooks)
        tail = always_tail(job) if split_gpu else 0
        split = None
        if tail and conv.runner.get("gpu") and not_split_reason(conv, tail) is not None:
            # Its always() steps can be a finally task instead of steps that read exit codes;
            # kept only if the split happens (else the always() steps keep their guards).
            tracked = conv
            taken.discard(conv.task["metadata"]["name"])
            taken.difference_update(g["name"] for g in conv.guards)
            untracked = convert_job(
                loaded, name, job_id, job, task_names, rules, repo, taken,
                track_status=False, demoted=job_id in demoted,
            )  # fmt: skip
            untracked.outcome.findings += [
                f for f in tracked.outcome.findings if f.rule in PLATFORM_RULES
            ]
            split = split_job(untracked, untracked.outcome, job_where, tail)
            if split is not None:
                conv = untracked
                result.jobs[-1] = conv.outcome
        if split is None and split_gpu:
            split = split_job(conv, conv.outcome, job_where)
        if split is None:
            _one_gpu_request(conv, job_where)
            _add_job(result, conv, tasks, pipeline_tasks, finally_tasks, params)
            continue
        _add_job(result, conv, [], [], [], params)
        result.runners.pop(conv.pipeline_task["name"], None)
        pipeline_tasks.extend(conv.guards)
        tasks.extend(split.tasks)
        pipeline_tasks.extend(split.pipeline_tasks)
        finally_tasks.extend(split.finally_tasks)
        chains.extend(split.chains)
        result.runners.update(split.runners)
        result.workspaces.add(split.workspace)
        if split.ends != [conv.pipeline_task["name"]]:
            aliases[conv.pipeline_task["name"]] = split.ends
        gpu_tasks = [t["metadata"]["name"] for t in split.tasks if _gpu_class(t)]
        # the split gives each GPU step a pod of its own
        conv.outcome.findings[:] = [f for f in conv.outcome.findings if f.rule != GPUS_SUMMED]
        conv.outcome.findings.append(
            Finding(
                "converted",
                f"split into {len(split.tasks)} tasks by resource class; only "
                f"{', '.join(gpu_tasks)} {'hold' if len(gpu_tasks) > 1 else 'holds'} the GPU, "
                "one GPU step per pod. At default step durations this saves "
                f"{split.gpu_seconds_saved} of {split.gpu_seconds_total} GPU-seconds per run",
                job_where,
                rule="split-gpu",
            )
        )
    if calls:
        rewire_calls(pipeline_tasks, calls)
        rewire_calls(finally_tasks, calls)
    if aliases:
        _rewire_aliases(pipeline_tasks + finally_tasks, aliases)
    _inputs_defaults(loaded, params, result.findings)
    spec: dict[str, Any] = {}
    if params:
        spec["params"] = [params[k] for k in sorted(params)]
    if not pipeline_tasks and finally_tasks:
        # Only finally jobs were converted (the others call remote workflows): a Pipeline needs
        # tasks, and a task that is not finally cannot read statuses.
        pipeline_tasks, finally_tasks = finally_tasks, []
        for task in pipeline_tasks:
            _without_status_when(task, result)
    _drop_missing_refs(pipeline_tasks + finally_tasks, result, loaded.display)
    scopable = scopable_tasks(pipeline_tasks, tasks)
    moved = tails_into_dag(chains, pipeline_tasks, finally_tasks, scopable)
    finally_tasks.extend(let_failures_through(pipeline_tasks, tasks))
    guard_chains(moved, pipeline_tasks, tasks)
    if "artifacts" in result.workspaces and pipeline_tasks:
        declared = set(params)
        workflow_file = workflow_path(loaded.display) if shadow_compare else None
        finally_tasks.append(
            publish_pipeline_task([t["name"] for t in pipeline_tasks], declared, workflow_file)
        )
        params[BUNDLE_PARAM] = bundle_param()
        spec["params"] = [params[k] for k in sorted(params)]
        tasks.append(publish_task(shadow=shadow_compare))
    if share_one_claim(pipeline_tasks + finally_tasks, result.workspaces):
        result.findings.append(
            Finding(
                "partial",
                "the cache is a folder of the run's claim where a task also shares artifacts or "
                "files (a TaskRun binds one PVC under Tekton's default coschedule: workspaces): "
                "it starts empty each run, as an actions/cache miss does",
                Position(loaded.display, 1, 1),
                rule="one-claim",
            )
        )
    spec["workspaces"] = [
        {"name": ws, **({"optional": True} if ws == CACHE else {})}
        for ws in sorted(result.workspaces | {"source"})
    ]
    spec["tasks"] = pipeline_tasks
    if finally_tasks:
        for task in finally_tasks:
            task.pop("runAfter", None)
        spec["finally"] = finally_tasks
    annotations = {SOURCE_ANNOTATION: f"{loaded.display}:1"}
    if wf.name:
        annotations["ghtotekton.dev/workflow-name"] = wf.name
    if _serves_only_github(result):
        result.github_only = True
        for outcome in result.jobs:
            outcome.task = outcome.pipeline_task = ""
        result.findings.append(
            Finding(
                "converted",
                "every step of this workflow is dropped (each step says why: it serves GitHub "
                "itself, or has nothing to do in Tekton): a Pipeline of it would run nothing, so "
                "it stays in GitHub Actions and no Pipeline, Task or trigger is written for it",
                top,
                rule="github-only",
            )
        )
        return result
    if pipeline_tasks:
        result.pipeline = {
            "apiVersion": "tekton.dev/v1",
            "kind": "Pipeline",
            "metadata": {
                "name": name,
                "labels": {"app.kubernetes.io/managed-by": "ghtotekton"},
                "annotations": annotations,
            },
            "spec": spec,
        }
    # The publish Task is one for every workflow of a repository: it is ours, in a plain Python
    # image, and stays the same whatever the workflow's pool.
    hide_gpus([t for t in tasks if t["metadata"]["name"] != PUBLISH_TASK])
    for task in tasks:
        resolve_env_references(task)
    result.tasks = tasks
    return result


def _one_gpu_request(conv: JobConversion, where: Position) -> None:
    """A job that stays one task runs its consecutive GPU steps as one step (``gpu_merge.py``),
    so the pod asks for the GPUs once; the finding that it needed N times as many goes."""
    if not conv.runner.get("gpu"):
        return
    merged = merge_gpu_steps(conv.task, conv.outcome)
    if not merged:
        return
    holders = [s for s in conv.task["spec"]["steps"] if "computeResources" in s]
    if len(holders) <= 1:
        conv.outcome.findings[:] = [f for f in conv.outcome.findings if f.rule != GPUS_SUMMED]
    for run in merged:
        conv.outcome.findings.append(
            Finding(
                "converted",
                f"the {len(run.parts)} steps from `{run.parts[0]}` to `{run.parts[-1]}` (its "
                "GPU steps and those between them) run as one step, so the pod requests its GPUs "
                "once (each in turn, with its own variables, folder and time limit; the first "
                "failure stops the rest)",
                where,
                rule="gpu-merge",
            )
        )


def _serves_only_github(result: WorkflowConversion) -> bool:
    """Whether every step of every job is dropped: a Pipeline of it would run nothing."""
    steps = [step for job in result.jobs for step in job.steps]
    return (
        bool(steps)
        and all(job.steps for job in result.jobs)
        and all(step.status == "dropped" for step in steps)
    )


def _without_status_when(task: dict[str, Any], result: WorkflowConversion) -> None:
    when = task.get("when") or []
    kept = [w for w in when if not str(w.get("input", "")).startswith("$(tasks.")]
    if len(kept) == len(when):
        return
    kept.append({"input": "failure()", "operator": "in", "values": ["never"]})
    task["when"] = kept
    result.findings.append(
        Finding(
            "manual",
            f"`{task['name']}` runs after failures of jobs that were not converted (they call "
            "workflows in other repositories): it is kept, and never runs",
            Position(result.display, 1, 1),
            rule="finally",
            action="convert the called workflows, then convert this one again",
        )
    )


def _drop_missing_refs(
    tasks: list[dict[str, Any]], result: WorkflowConversion, display: str
) -> None:
    """runAfter and results of jobs that have no task (not converted) cannot stay in a Pipeline."""
    names = {t["name"] for t in tasks}
    for task in tasks:
        after = task.get("runAfter")
        if after:
            missing = [a for a in after if a not in names]
            if missing:
                kept = [a for a in after if a in names]
                if kept:
                    task["runAfter"] = kept
                else:
                    task.pop("runAfter")
                result.findings.append(
                    Finding(
                        "partial",
                        f"`{task['name']}` needs {', '.join(missing)}, which has no task here "
                        "(not converted): it does not wait for it",
                        Position(display, 1, 1),
                        rule="needs",
                    )
                )
        for param in task.get("params", []):
            value = param.get("value")
            if isinstance(value, str) and "$(tasks." in value:
                refs = re.findall(r"\$\(tasks\.([a-z0-9-]+)\.", value)
                if any(r not in names for r in refs):
                    param["value"] = re.sub(
                        r"\$\(tasks\.([a-z0-9-]+)\.[^)]*\)",
                        lambda m: m.group(0) if m.group(1) in names else "",
                        value,
                    )


def _rewire_aliases(tasks: list[dict[str, Any]], aliases: dict[str, list[str]]) -> None:
    """Jobs that need a matrix job laid out as chains wait for every chain's last task."""
    for task in tasks:
        after = task.get("runAfter")
        if after:
            task["runAfter"] = sorted({n for a in after for n in aliases.get(a, [a])})
        for param in task.get("params", []):
            value = param.get("value")
            if isinstance(value, str):
                for old, new in aliases.items():
                    value = value.replace(f"$(tasks.{old}.", f"$(tasks.{new[0]}.")
                param["value"] = value


def _gpu_class(task: dict[str, Any]) -> bool:
    return bool(task["metadata"]["annotations"].get("ghtotekton.dev/resource-class") == "gpu")


def _add_job(
    result: WorkflowConversion,
    conv: JobConversion,
    tasks: list[dict[str, Any]],
    pipeline_tasks: list[dict[str, Any]],
    finally_tasks: list[dict[str, Any]],
    params: dict[str, dict[str, Any]],
) -> None:
    tasks.append(conv.task)
    (finally_tasks if conv.is_finally else pipeline_tasks).append(conv.pipeline_task)
    pipeline_tasks.extend(conv.guards)
    params.update(conv.pipeline_params)
    result.secrets |= conv.secrets
    result.workspaces |= conv.workspaces
    if conv.runner:
        result.runners[conv.pipeline_task["name"]] = conv.runner


def _inputs_defaults(
    loaded: LoadedWorkflow, params: dict[str, dict[str, Any]], findings: list[Finding]
) -> None:
    """``workflow_dispatch``/``workflow_call`` inputs keep their defaults and descriptions."""
    from ghtotekton.github.model import scalar_text

    on = loaded.workflow.on
    declared: dict[str, Any] = {}
    for source in (on.workflow_dispatch, on.workflow_call):
        if source is not None and source.inputs:
            declared.update(source.inputs)
    for key, spec in declared.items():
        name = f"inputs-{key}"
        entry: dict[str, Any] = {"name": name, "type": "string"}
        if spec.description:
            entry["description"] = spec.description
        default = scalar_text(spec.default)
        if "${{" in default:
            # GitHub computes it when the run starts; a Tekton param default is only text.
            findings.append(
                Finding(
                    "partial",
                    f"input `{key}` defaults to `{default.replace('${{', '{{')}`, which GitHub "
                    "computes when the run starts; the Pipeline's param defaults to empty",
                    Position(loaded.display, 1, 1),
                    action=f"give `{name}` in the PipelineRun (or the trigger) when it matters",
                )
            )
            default = ""
        entry["default"] = default
        params[name] = entry


def _call_outcome(
    loaded: LoadedWorkflow, job_id: str, job: Any, pt_name: str, repo: Repository | None
) -> JobOutcome:
    where = job.pos or Position(loaded.display)
    outcome = JobOutcome(job_id, where, pt_name, "")
    outcome.findings.append(
        Finding(
            "manual",
            f"job `{job_id}` calls the reusable workflow `{job.uses}`; calls are not inlined yet",
            where,
            action="convert the called workflow and run its Pipeline from this one",
        )
    )
    return outcome
