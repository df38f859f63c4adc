"""A workflow -> one Pipeline, one Task per job, and the outcome of every job and step."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtotekton.convert.calls import InlinedCall, inline_call, rewire_calls
from ghtotekton.convert.findings import Finding, JobOutcome, Status, worst
from ghtotekton.convert.jobs import SOURCE_ANNOTATION, JobConversion, convert_job
from ghtotekton.convert.naming import dns_label, unique
from ghtotekton.convert.platform import (
    concurrency_findings,
    environment_findings,
    permissions_findings,
)
from ghtotekton.convert.rules import RuleSet
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

    @property
    def status(self) -> Status:
        return worst([j.status for j in self.jobs] + [f.status for f in self.findings])


def convert_workflow(
    loaded: LoadedWorkflow, rules: RuleSet, repo: Repository | None, taken: set[str]
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
    result.findings += concurrency_findings(wf.concurrency, top, "the workflow's")
    result.findings += permissions_findings(wf.permissions, top, "the workflow's")
    pt_taken: set[str] = set()
    task_names = {job_id: unique(dns_label(job_id), pt_taken) for job_id in wf.jobs}
    tasks: list[dict[str, Any]] = []
    pipeline_tasks: list[dict[str, Any]] = []
    finally_tasks: list[dict[str, Any]] = []
    params: dict[str, dict[str, Any]] = {}
    calls: dict[str, InlinedCall] = {}
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
        conv: JobConversion = convert_job(loaded, name, job_id, job, task_names, rules, repo, taken)
        job_where = job.pos or Position(loaded.display)
        conv.outcome.findings += concurrency_findings(job.concurrency, job_where, f"job `{job_id}`")
        conv.outcome.findings += permissions_findings(job.permissions, job_where, f"job `{job_id}`")
        conv.outcome.findings += environment_findings(job.environment, job_where, job_id)
        result.jobs.append(conv.outcome)
        _add_job(result, conv, tasks, pipeline_tasks, finally_tasks, params)
    if calls:
        rewire_calls(pipeline_tasks, calls)
        rewire_calls(finally_tasks, calls)
    _inputs_defaults(loaded, params)
    spec: dict[str, Any] = {}
    if params:
        spec["params"] = [params[k] for k in sorted(params)]
    spec["workspaces"] = [
        {"name": ws, **({"optional": True} if ws == "cache" else {})}
        for ws in sorted(result.workspaces | {"source"})
    ]
    if not pipeline_tasks and finally_tasks:
        pipeline_tasks, finally_tasks = finally_tasks, []
    spec["tasks"] = pipeline_tasks
    if finally_tasks:
        for task in finally_tasks:
            task.pop("runAfter", None)
        spec["finally"] = finally_tasks
    annotations = {SOURCE_ANNOTATION: f"{loaded.display}:1"}
    if wf.name:
        annotations["ghtotekton.dev/workflow-name"] = wf.name
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
    result.tasks = tasks
    return result


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
    params.update(conv.pipeline_params)
    result.secrets |= conv.secrets
    result.workspaces |= conv.workspaces
    if conv.runner:
        result.runners[conv.pipeline_task["name"]] = conv.runner


def _inputs_defaults(loaded: LoadedWorkflow, params: dict[str, dict[str, Any]]) -> None:
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
        entry["default"] = scalar_text(spec.default)
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
