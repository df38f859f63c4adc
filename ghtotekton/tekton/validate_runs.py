"""Checks of PipelineRuns and TaskRuns: refs or inline specs, timeouts, overrides, bindings.

One of the validator's mixins (see ``validate_core``), built on the pipeline checks since a run may
embed a pipeline or task spec. Besides the webhook's checks it does what the reconciler checks
against the Pipeline or Task a run names, when that is in the files: params given, workspaces bound.
"""

from __future__ import annotations

from typing import Any, Final

from ghtotekton.tekton import model as m
from ghtotekton.tekton import validate_names as names
from ghtotekton.tekton.validate_core import (
    Document,
    article,
    declare_specs,
    declare_values,
    param_type,
    value_type,
)
from ghtotekton.tekton.validate_pipelines import PipelineChecks
from ghtotekton.tekton.validate_refs import ParamScope, listing, param_value_strings, result_refs
from ghtotekton.tekton.validate_tasks import TaskScope
from ghtotekton.yamlsource import PathKey

DEFAULT_TIMEOUT_S: Final = 3600.0


class RunChecks(PipelineChecks):
    """PipelineRunSpec.Validate and TaskRunSpec.Validate, and the calls of what runs name."""

    # -- runs --

    def pipeline_run(self, doc: Document, spec: m.PipelineRunSpec) -> None:
        path: PathKey = ("spec",)
        if spec.pipeline_ref is None and spec.pipeline_spec is None:
            self.report(
                doc, path, "tekton/ref-or-spec", "a PipelineRun needs a pipelineRef or pipelineSpec"
            )
        elif spec.pipeline_ref is not None and spec.pipeline_spec is not None:
            self.report(
                doc,
                (*path, "pipelineSpec"),
                "tekton/ref-or-spec",
                "a PipelineRun has a pipelineRef or a pipelineSpec, not both",
                key=True,
            )
        pipeline: m.PipelineSpec | None = None
        anchor: PathKey = path
        if spec.pipeline_ref is not None:
            ref = spec.pipeline_ref
            anchor = (*path, "pipelineRef", "name")
            self.validate_ref(doc, (*path, "pipelineRef"), ref.name, ref.resolver, ref.params)
            if not ref.resolver and not ref.api_version:
                target = self.resolve(doc, "Pipeline", ref.name)
                pipeline = target.resource.spec if target is not None else None
        if spec.pipeline_spec is not None:
            anchor = (*path, "pipelineSpec")
            pipeline = spec.pipeline_spec
            self.pipeline(doc, (*path, "pipelineSpec"), spec.pipeline_spec, run=spec)
        self._duplicate_params(doc, (*path, "params"), spec.params, fold_case=True)
        for i, param in enumerate(spec.params or []):
            for where, value, _ in param_value_strings((*path, "params", i, "value"), param.value):
                for result in result_refs(value):
                    self.report(
                        doc,
                        where,
                        "tekton/invalid-value",
                        f"{result.text}: a PipelineRun param cannot use task results",
                        value=value,
                        span=(result.start, result.end),
                    )
        self.run_timeouts(doc, path, spec)
        for i, trs in enumerate(spec.task_run_specs or []):
            self.task_run_spec(doc, (*path, "taskRunSpecs", i), trs, spec, pipeline)
        if spec.status is not None and spec.status not in (
            "Cancelled",
            "CancelledRunFinally",
            "StoppedRunFinally",
            "PipelineRunPending",
        ):
            self.report(
                doc,
                (*path, "status"),
                "tekton/invalid-value",
                f'status "{spec.status}" must be Cancelled, CancelledRunFinally, '
                "StoppedRunFinally or PipelineRunPending",
            )
        self.workspace_bindings(doc, (*path, "workspaces"), spec.workspaces)
        if pipeline is not None:
            self.run_calls(doc, path, anchor, spec.params or [], spec.workspaces or [], pipeline)

    def run_calls(
        self,
        doc: Document,
        path: PathKey,
        anchor: PathKey,
        params: list[m.Param],
        bindings: list[m.WorkspaceBinding],
        pipeline: m.PipelineSpec,
    ) -> None:
        """The reconciler's checks of a PipelineRun against its Pipeline."""
        given = {p.name for p in params}
        declared = {p.name: p for p in pipeline.params or []}
        for spec in pipeline.params or []:
            if spec.default is None and spec.name not in given:
                self.report(
                    doc,
                    anchor,
                    "tekton/missing-param",
                    f'the pipeline needs param "{spec.name}" (it has no default), which is not '
                    "given",
                )
        self._param_types(doc, path, params, declared)
        bound = {b.name for b in bindings}
        for ws in pipeline.workspaces or []:
            if not ws.optional and ws.name not in bound:
                self.report(
                    doc,
                    anchor,
                    "tekton/missing-workspace-binding",
                    f'the pipeline needs workspace "{ws.name}", which is not bound',
                )

    def _param_types(
        self, doc: Document, path: PathKey, params: list[m.Param], declared: dict[str, m.ParamSpec]
    ) -> None:
        """A param given with another type than its declaration (string, array, object)."""
        for i, param in enumerate(params):
            wanted = declared.get(param.name)
            if wanted is None:
                continue
            expected, got = param_type(wanted), value_type(param.value)
            if got != expected:
                self.report(
                    doc,
                    (*path, "params", i, "value"),
                    "tekton/param-type-mismatch",
                    f'param "{param.name}" is declared {article(expected)} but given '
                    f"{article(got)}",
                )

    def run_timeouts(self, doc: Document, path: PathKey, spec: m.PipelineRunSpec) -> None:
        timeouts = spec.timeouts
        if timeouts is None:
            return
        here = (*path, "timeouts")
        total = self.duration(doc, (*here, "pipeline"), timeouts.pipeline)
        tasks = self.duration(doc, (*here, "tasks"), timeouts.tasks)
        final = self.duration(doc, (*here, "finally"), timeouts.finally_)
        limit = total if timeouts.pipeline is not None else DEFAULT_TIMEOUT_S
        if limit is None or limit < 0:
            return
        what = "pipeline" if timeouts.pipeline is not None else "the default pipeline timeout (1h)"
        for key, value in (("tasks", tasks), ("finally", final)):
            if value is None or value < 0 or limit == 0:
                continue
            if value == 0 or value > limit:
                self.report(
                    doc,
                    (*here, key),
                    "tekton/invalid-timeout",
                    f"timeouts.{key} ({names.format_seconds(value) if value else 'no timeout'}) "
                    f"must fit within {what} ({names.format_seconds(limit)})",
                )
        if tasks and final and limit and tasks + final > limit:
            self.report(
                doc,
                (*here, "tasks"),
                "tekton/invalid-timeout",
                f"timeouts.tasks + timeouts.finally ({names.format_seconds(tasks + final)}) must "
                f"fit within {what} ({names.format_seconds(limit)})",
            )

    def task_run_spec(
        self,
        doc: Document,
        here: PathKey,
        trs: m.PipelineTaskRunSpec,
        run: m.PipelineRunSpec,
        pipeline: m.PipelineSpec | None,
    ) -> None:
        self.overrides(doc, here, trs.step_specs, trs.sidecar_specs, trs.compute_resources)
        seconds = self.duration(doc, (*here, "timeout"), trs.timeout)
        if seconds and run.timeouts is not None:
            bound = run.timeouts.tasks or run.timeouts.pipeline
            limit = names.parse_go_duration(bound) if bound else None
            if limit and seconds > limit:
                self.report(
                    doc,
                    (*here, "timeout"),
                    "tekton/invalid-timeout",
                    f"{names.format_seconds(seconds)} is longer than the pipeline's "
                    f"{names.format_seconds(limit)}",
                )
        if pipeline is not None and trs.pipeline_task_name is not None:
            known = {pt.name for pt in (*(pipeline.tasks or []), *(pipeline.finally_ or []))}
            if trs.pipeline_task_name not in known:
                self.report(
                    doc,
                    (*here, "pipelineTaskName"),
                    "tekton/unknown-task-ref",
                    f'"{trs.pipeline_task_name}" is not a task of the pipeline',
                    listing("tasks", {k for k in known if k}),
                )

    def overrides(
        self,
        doc: Document,
        here: PathKey,
        steps: list[m.TaskRunStepSpec] | None,
        sidecars: list[m.TaskRunSidecarSpec] | None,
        compute: Any,
    ) -> None:
        given: list[tuple[str, list[str] | None]] = [
            ("stepSpecs", None if steps is None else [x.name for x in steps]),
            ("sidecarSpecs", None if sidecars is None else [x.name for x in sidecars]),
        ]
        for key, overridden in given:
            if overridden is None:
                continue
            self.feature(doc, (*here, key), key, "enable-api-fields: beta")
            seen: set[str] = set()
            for i, name in enumerate(overridden):
                if not name:
                    self.report(doc, (*here, key, i), "tekton/missing-field", f"{key} need a name")
                elif name.lower() in seen:
                    self.report(
                        doc,
                        (*here, key, i, "name"),
                        "tekton/duplicate-step",
                        f'"{name}" is named more than once in {key}',
                    )
                seen.add(name.lower())
        if compute is not None:
            self.feature(
                doc, (*here, "computeResources"), "computeResources", "enable-api-fields: beta"
            )
            if any(s.compute_resources.limits or s.compute_resources.requests for s in steps or []):
                self.report(
                    doc,
                    (*here, "computeResources"),
                    "tekton/invalid-value",
                    "computeResources cannot be set together with stepSpecs resources",
                    key=True,
                )

    def workspace_bindings(
        self, doc: Document, path: PathKey, bindings: list[m.WorkspaceBinding] | None
    ) -> None:
        seen: set[str] = set()
        for i, binding in enumerate(bindings or []):
            here = (*path, i)
            if binding.name.lower() in seen:
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/duplicate-workspace",
                    f'workspace "{binding.name}" is bound more than once',
                )
            seen.add(binding.name.lower())
            sources = [
                key
                for key, value in (
                    ("persistentVolumeClaim", binding.persistent_volume_claim),
                    ("volumeClaimTemplate", binding.volume_claim_template),
                    ("emptyDir", binding.empty_dir),
                    ("configMap", binding.config_map),
                    ("secret", binding.secret),
                    ("projected", binding.projected),
                    ("csi", binding.csi),
                )
                if value is not None
            ]
            if len(sources) != 1:
                what = "no volume source" if not sources else "more than one volume source"
                self.report(
                    doc,
                    here,
                    "tekton/workspace-binding",
                    f'workspace "{binding.name}" has {what}; it needs exactly one '
                    "(persistentVolumeClaim, volumeClaimTemplate, emptyDir, configMap, secret, "
                    "projected, csi)",
                )
            if binding.config_map is not None and not binding.config_map.name:
                self.report(
                    doc, (*here, "configMap"), "tekton/missing-field", "configMap.name is required"
                )
            if binding.secret is not None and not binding.secret.secret_name:
                self.report(
                    doc, (*here, "secret"), "tekton/missing-field", "secret.secretName is required"
                )
            if binding.projected is not None and not binding.projected.sources:
                self.report(
                    doc,
                    (*here, "projected"),
                    "tekton/missing-field",
                    "projected.sources is required",
                )

    def task_run(self, doc: Document, spec: m.TaskRunSpec) -> None:
        path: PathKey = ("spec",)
        if spec.task_ref is None and spec.task_spec is None:
            self.report(doc, path, "tekton/ref-or-spec", "a TaskRun needs a taskRef or a taskSpec")
        elif spec.task_ref is not None and spec.task_spec is not None:
            self.report(
                doc,
                (*path, "taskSpec"),
                "tekton/ref-or-spec",
                "a TaskRun has a taskRef or a taskSpec, not both",
                key=True,
            )
        bound = {b.name for b in spec.workspaces or []}
        if spec.task_ref is not None:
            ref = spec.task_ref
            self.validate_ref(doc, (*path, "taskRef"), ref.name, ref.resolver, ref.params)
        if spec.task_spec is not None:
            scope = ParamScope()
            declare_values(scope, spec.params or [])
            declare_specs(scope, spec.task_spec.params or [])
            declared = {w.name for w in spec.task_spec.workspaces or []}
            task_scope = TaskScope(scope, declared | bound)
            self.task_spec(doc, (*path, "taskSpec"), spec.task_spec, task_scope)
        self._duplicate_params(doc, (*path, "params"), spec.params, fold_case=True)
        self.workspace_bindings(doc, (*path, "workspaces"), spec.workspaces)
        if spec.debug is not None:
            self.feature(doc, (*path, "debug"), "debug", "enable-api-fields: alpha")
            breakpoints = spec.debug.breakpoints
            if breakpoints is not None and breakpoints.on_failure not in (None, "enabled"):
                self.report(
                    doc,
                    (*path, "debug", "breakpoints", "onFailure"),
                    "tekton/invalid-value",
                    "onFailure can only be `enabled`",
                )
        self.overrides(doc, path, spec.step_specs, spec.sidecar_specs, spec.compute_resources)
        if spec.status is not None and spec.status not in ("TaskRunCancelled", "TaskRunPending"):
            self.report(
                doc,
                (*path, "status"),
                "tekton/invalid-value",
                f'status "{spec.status}" must be TaskRunCancelled or TaskRunPending',
            )
        if spec.status is None and spec.status_message:
            self.report(
                doc,
                (*path, "statusMessage"),
                "tekton/invalid-value",
                "statusMessage needs a status",
            )
        if spec.retries is not None and spec.retries < 0:
            self.report(doc, (*path, "retries"), "tekton/invalid-value", "retries must be >= 0")
        self.duration(doc, (*path, "timeout"), spec.timeout)
        self.task_run_calls(doc, path, spec)

    def task_run_calls(self, doc: Document, path: PathKey, spec: m.TaskRunSpec) -> None:
        """The reconciler's checks of a TaskRun against its Task: params and workspaces."""
        inline = spec.task_spec is not None
        if inline:
            assert spec.task_spec is not None
            task: m.TaskSpec = spec.task_spec
            anchor: PathKey = (*path, "taskSpec")
        else:
            target = self.task_of(doc, spec.task_ref)
            if target is None:
                return
            task = target.resource.spec
            anchor = (*path, "taskRef", "name")
        given = {p.name for p in spec.params or []}
        declared = {p.name: p for p in task.params or []}
        for param_spec in task.params or []:
            if param_spec.default is None and param_spec.name not in given:
                self.report(
                    doc,
                    anchor,
                    "tekton/missing-param",
                    f'the task needs param "{param_spec.name}" (it has no default), which is not '
                    "given",
                )
        self._param_types(doc, path, spec.params or [], declared)
        bound = {b.name for b in spec.workspaces or []}
        for ws in task.workspaces or []:
            if not ws.optional and ws.name not in bound:
                self.report(
                    doc,
                    anchor,
                    "tekton/missing-workspace-binding",
                    f'the task needs workspace "{ws.name}", which is not bound',
                    "unless the cluster sets default-task-run-workspace-binding",
                )
        if not inline:
            names_declared = {w.name for w in task.workspaces or []}
            for i, binding in enumerate(spec.workspaces or []):
                if binding.name not in names_declared:
                    self.report(
                        doc,
                        (*path, "workspaces", i, "name"),
                        "tekton/workspace-not-declared",
                        f'the task declares no workspace "{binding.name}"',
                        listing("declared", names_declared),
                    )
