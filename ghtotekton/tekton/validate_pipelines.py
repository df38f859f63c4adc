"""Checks of Pipelines: pipeline tasks, custom tasks, matrix, finally, results, dependencies.

One of the validator's mixins (see ``validate_core``), built on the task checks since a pipeline
task may embed a task spec. Besides PipelineSpec.Validate it does what the reconciler checks once
it has a pipeline task's Task, when that Task is in the files: params given, workspaces bound.
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
)
from ghtotekton.tekton.validate_refs import (
    ELEMENT,
    PARAM_VALUE,
    STRING,
    ParamScope,
    PipelineGraph,
    Problem,
    context_problems,
    expressions,
    find_cycle,
    given_type,
    listing,
    param_problems,
    param_value_strings,
    pipeline_result_problems,
    pipeline_task_values,
    result_refs,
    status_problems,
    task_spec_strings,
    unknown_prefix_problems,
    when_strings,
    whole_reference,
    workspace_problems,
    workspaces_used,
)
from ghtotekton.tekton.validate_tasks import TaskChecks, TaskScope
from ghtotekton.yamlsource import PathKey

PIPELINE_CONTEXT: Final = {
    "context\\.pipelineRun": frozenset({"name", "namespace", "uid"}),
    "context\\.pipeline": frozenset({"name"}),
    "context\\.pipelineTask": frozenset({"retries"}),
}
MAX_MATRIX_COMBINATIONS: Final = 256


class PipelineChecks(TaskChecks):
    """PipelineSpec.Validate, Pipeline.Validate's usage checks, and calls of Tasks in the files."""

    # -- pipelines --

    def pipeline(
        self, doc: Document, path: PathKey, spec: m.PipelineSpec, run: m.PipelineRunSpec | None
    ) -> None:
        """PipelineSpec.Validate; with ``run`` None also Pipeline.Validate's usage checks."""
        tasks = spec.tasks or []
        final = spec.finally_ or []
        if not m.dump(spec):
            self.report(doc, path, "tekton/missing-field", "a pipeline needs tasks")
        if final and not tasks:
            self.report(
                doc,
                (*path, "finally"),
                "tekton/invalid-value",
                f"spec.tasks is empty but finally has {len(final)} tasks",
            )
        scope = ParamScope()
        declare_specs(scope, spec.params or [])
        workspaces = {w.name for w in spec.workspaces or []}
        if run is not None:
            declare_values(scope, run.params or [])
            for pt in (*tasks, *final):
                if pt.task_spec is not None:
                    declare_specs(scope, pt.task_spec.params or [], override=False)
                declare_values(scope, pt.params or [])
            workspaces |= {b.name for b in run.workspaces or []}
        self.param_specs(doc, (*path, "params"), spec.params)
        self.pipeline_workspaces(doc, path, spec.workspaces or [])
        graph = PipelineGraph(
            dag={pt.name for pt in tasks if pt.name},
            final={pt.name for pt in final if pt.name},
            results={},
            matrixed={pt.name for pt in (*tasks, *final) if pt.name and _is_matrixed(pt)},
        )
        for pt in (*tasks, *final):
            if pt.name:
                graph.results[pt.name] = self.task_results_of(doc, pt)
        seen: set[str] = set()
        for section, items in (("tasks", tasks), ("finally", final)):
            for i, pt in enumerate(items):
                here = (*path, section, i)
                self.pipeline_task(doc, here, pt, section, scope, workspaces, graph, seen)
        self.dependencies(doc, path, tasks, graph)
        self.pipeline_results(doc, path, spec.results or [], graph)

    def pipeline_workspaces(
        self, doc: Document, path: PathKey, declared: list[m.PipelineWorkspaceDeclaration]
    ) -> None:
        seen: set[str] = set()
        for i, ws in enumerate(declared):
            where = (*path, "workspaces", i, "name")
            if not ws.name:
                self.report(doc, where, "tekton/missing-field", "a workspace needs a name")
            elif ws.name in seen:
                self.report(
                    doc,
                    where,
                    "tekton/duplicate-workspace",
                    f'workspace "{ws.name}" is declared more than once',
                )
            seen.add(ws.name)

    def task_results_of(self, doc: Document, pt: m.PipelineTask) -> frozenset[str] | None:
        """The results a pipeline task's Task declares, when the files say (None: unknown)."""
        if _is_custom(pt):
            return None
        if pt.task_spec is not None:
            return frozenset(r.name for r in pt.task_spec.results or [])
        target = self.task_of(doc, pt.task_ref)
        if target is None:
            return None
        return frozenset(r.name for r in target.resource.spec.results or [])

    def task_of(self, doc: Document, ref: m.TaskRef | None) -> Document | None:
        """The Task a taskRef names, when it is in the files (no resolver, kind Task)."""
        if ref is None or ref.resolver or ref.api_version or ref.kind not in (None, "Task"):
            return None
        return self.resolve(doc, "Task", ref.name)

    def pipeline_task(
        self,
        doc: Document,
        here: PathKey,
        pt: m.PipelineTask,
        section: str,
        scope: ParamScope,
        workspaces: set[str],
        graph: PipelineGraph,
        seen: set[str],
    ) -> None:
        name = pt.name or ""
        if not names.is_dns1123_label(name):
            where = (*here, "name") if pt.name is not None else here
            self.report(
                doc,
                where,
                "tekton/invalid-name" if pt.name is not None else "tekton/missing-field",
                f'invalid pipeline task name "{name}": must be a DNS label (lower case letters, '
                "digits and '-', at most 63)"
                if pt.name is not None
                else "a pipeline task needs a name",
            )
        elif name in seen:
            self.report(
                doc,
                (*here, "name"),
                "tekton/duplicate-task",
                f'more than one pipeline task is called "{name}"',
            )
        seen.add(name)
        given = [
            key
            for key, value in (
                ("taskRef", pt.task_ref),
                ("taskSpec", pt.task_spec),
                ("pipelineRef", pt.pipeline_ref),
                ("pipelineSpec", pt.pipeline_spec),
            )
            if value is not None
        ]
        for key in given:
            if key in ("pipelineRef", "pipelineSpec"):
                self.feature(
                    doc, (*here, key), "pipelines in pipelines", "enable-api-fields: alpha"
                )
        if not given:
            self.report(
                doc, here, "tekton/ref-or-spec", "a pipeline task needs a taskRef or a taskSpec"
            )
        elif len(given) > 1:
            self.report(
                doc,
                (*here, given[1]),
                "tekton/ref-or-spec",
                f"a pipeline task has one of {' or '.join(given)}, not both",
                key=True,
            )
        if pt.task_spec is not None and pt.task_spec.steps:
            for key, value in (
                ("apiVersion", pt.task_spec.api_version),
                ("kind", pt.task_spec.kind),
            ):
                if value:
                    self.report(
                        doc,
                        (*here, "taskSpec", key),
                        "tekton/invalid-value",
                        f"taskSpec.{key} cannot be set together with taskSpec.steps",
                    )
        task_scope: TaskScope | None = None
        if _is_custom(pt):
            self.custom_task(doc, here, pt)
        else:
            if pt.task_ref is not None:
                ref = pt.task_ref
                self.validate_ref(doc, (*here, "taskRef"), ref.name, ref.resolver, ref.params)
            if pt.task_spec is not None:
                inner = scope.copy()
                declare_specs(inner, pt.task_spec.params or [])
                bound = {b.name for b in pt.workspaces or []}
                declared_ws = {w.name for w in pt.task_spec.workspaces or []}
                task_scope = TaskScope(inner, workspaces | bound | declared_ws)
                self.task_spec(doc, (*here, "taskSpec"), pt.task_spec, task_scope)
        if pt.on_error is not None and not pt.on_error.startswith("$(params"):
            self.feature(
                doc, (*here, "onError"), "onError on pipeline tasks", "enable-api-fields: beta"
            )
            if pt.on_error not in ("continue", "stopAndFail"):
                self.report(
                    doc,
                    (*here, "onError"),
                    "tekton/invalid-value",
                    f'onError "{pt.on_error}" must be continue or stopAndFail',
                )
            elif pt.on_error == "continue" and (pt.retries or 0) > 0:
                self.report(
                    doc,
                    (*here, "onError"),
                    "tekton/invalid-value",
                    "onError cannot be continue when retries is greater than 0",
                )
        if pt.retries is not None and pt.retries < 0:
            self.report(doc, (*here, "retries"), "tekton/invalid-value", "retries must be >= 0")
        self.duration(doc, (*here, "timeout"), pt.timeout)
        if pt.when:
            self.when_list(doc, (*here, "when"), pt.when)
        self._duplicate_params(doc, (*here, "params"), pt.params, fold_case=False)
        self.matrix(doc, here, pt)
        self.task_workspace_bindings(doc, here, pt, workspaces)
        self.pipeline_task_strings(doc, here, pt, section, scope, workspaces, graph)
        self.call_checks(doc, here, pt, scope)

    def custom_task(self, doc: Document, here: PathKey, pt: m.PipelineTask) -> None:
        for key, holder in (("taskRef", pt.task_ref), ("taskSpec", pt.task_spec)):
            if holder is None:
                continue
            if not holder.kind:
                self.report(
                    doc, (*here, key), "tekton/missing-field", f"a custom task {key} needs a kind"
                )
            api = holder.api_version
            if not api:
                self.report(
                    doc,
                    (*here, key),
                    "tekton/missing-field",
                    f"a custom task {key} needs an apiVersion",
                )
            elif api.count("/") != 1 or not all(api.split("/")):
                self.report(
                    doc,
                    (*here, key, "apiVersion"),
                    "tekton/invalid-value",
                    f'apiVersion "{api}" must be group/version',
                )

    def matrix(self, doc: Document, here: PathKey, pt: m.PipelineTask) -> None:
        mx = pt.matrix
        if mx is None:
            return
        path = (*here, "matrix")
        if mx.params or mx.include:
            self.feature(doc, path, "matrix", "enable-api-fields: beta (the default) or alpha")
        count = _matrix_combinations(mx)
        if count > MAX_MATRIX_COMBINATIONS:
            self.report(
                doc,
                path,
                "tekton/matrix-param",
                f"the matrix makes {count} combinations; Tekton allows at most "
                f"{MAX_MATRIX_COMBINATIONS} (default-max-matrix-combinations-count)",
            )
        self._duplicate_params(doc, (*path, "params"), mx.params, fold_case=False)
        for i, include in enumerate(mx.include or []):
            self._duplicate_params(
                doc, (*path, "include", i, "params"), include.params, fold_case=False
            )
        in_matrix = {p.name for p in mx.params or []}
        for include in mx.include or []:
            in_matrix |= {p.name for p in include.params or []}
        for i, param in enumerate(pt.params or []):
            if param.name in in_matrix:
                self.report(
                    doc,
                    (*here, "params", i, "name"),
                    "tekton/matrix-param",
                    f'param "{param.name}" is given both in params and in the matrix',
                )
        for i, param in enumerate(mx.params or []):
            value = param.value
            if isinstance(value, str) and not whole_reference(value):
                self.report(
                    doc,
                    (*path, "params", i, "value"),
                    "tekton/matrix-param",
                    f'matrix param "{param.name}" needs an array of values',
                )

    def task_workspace_bindings(
        self, doc: Document, here: PathKey, pt: m.PipelineTask, workspaces: set[str]
    ) -> None:
        seen: set[str] = set()
        for i, binding in enumerate(pt.workspaces or []):
            where = (*here, "workspaces", i)
            if binding.name in seen:
                self.report(
                    doc,
                    (*where, "name"),
                    "tekton/duplicate-workspace",
                    f'workspace "{binding.name}" is bound more than once',
                )
            seen.add(binding.name)
            target = binding.workspace or binding.name
            if target not in workspaces:
                key = "workspace" if binding.workspace else "name"
                self.report(
                    doc,
                    (*where, key),
                    "tekton/unknown-workspace-ref",
                    f'pipeline task "{pt.name}" binds workspace "{target}", which the pipeline '
                    "does not declare",
                    listing("declared", workspaces),
                )

    def pipeline_task_strings(
        self,
        doc: Document,
        here: PathKey,
        pt: m.PipelineTask,
        section: str,
        scope: ParamScope,
        workspaces: set[str],
        graph: PipelineGraph,
    ) -> None:
        """Params, matrix and when of a pipeline task: params, context, results, statuses."""
        values: list[tuple[PathKey, str, str, str]] = []  # path, value, where, part
        for i, param in enumerate(pt.params or []):
            for where, value, kind in param_value_strings(
                (*here, "params", i, "value"), param.value
            ):
                values.append((where, value, kind, "params"))
        if pt.matrix is not None:
            for i, param in enumerate(pt.matrix.params or []):
                base = (*here, "matrix", "params", i, "value")
                if isinstance(param.value, list):
                    for j, item in enumerate(param.value):
                        values.append(((*base, j), item, ELEMENT, "matrix"))
                elif isinstance(param.value, str):
                    values.append((base, param.value, PARAM_VALUE, "matrix"))
            for i, include in enumerate(pt.matrix.include or []):
                for j, param in enumerate(include.params or []):
                    where = (*here, "matrix", "include", i, "params", j, "value")
                    if isinstance(param.value, str):
                        values.append((where, param.value, STRING, "matrix"))
        for i, when in enumerate(pt.when or []):
            for where, value, kind in when_strings((*here, "when", i), when, scope):
                values.append((where, value, kind, "when"))
        for i, binding in enumerate(pt.workspaces or []):
            if binding.sub_path:
                values.append(((*here, "workspaces", i, "subPath"), binding.sub_path, STRING, "ws"))
        for where, value, kind, part in values:
            found = param_problems(value, scope, kind)
            if part in ("params", "matrix"):
                found += context_problems(value, PIPELINE_CONTEXT)
            if part != "ws" and where[-1] != "cel":
                found += unknown_prefix_problems(value)
            found += workspace_problems(value, workspaces, only="bound")
            found += self._result_problems(value, pt, section, graph)
            if part in ("params", "when"):
                found += status_problems(value, section, graph)
            self.problems(doc, where, value, found)
        if pt.task_spec is not None and not _is_custom(pt):
            for where, value in task_spec_strings((*here, "taskSpec"), pt.task_spec):
                self.problems(doc, where, value, self._result_problems(value, pt, section, graph))

    def _result_problems(
        self, value: str, pt: m.PipelineTask, section: str, graph: PipelineGraph
    ) -> list[Problem]:
        out: list[Problem] = []
        for ref in result_refs(value):
            span = (ref.start, ref.end)
            if section == "finally" and ref.task in graph.final:
                out.append(
                    Problem(
                        "tekton/finally-result-ref",
                        f"{ref.text}: a finally task cannot use results of another finally task",
                        *span,
                    )
                )
                continue
            if ref.task not in graph.dag or ref.section != "tasks":
                out.append(
                    Problem(
                        "tekton/unknown-task-ref",
                        f'{ref.text}: "{ref.task}" is a finally task, which runs after all tasks'
                        if ref.task in graph.final
                        else f'{ref.text} refers to task "{ref.task}", which is not a task of the '
                        "pipeline",
                        *span,
                        listing("tasks", graph.dag),
                    )
                )
                continue
            if ref.task == pt.name:
                out.append(
                    Problem(
                        "tekton/dependency-cycle",
                        f"{ref.text}: a task cannot use its own results",
                        *span,
                    )
                )
                continue
            known = graph.results.get(ref.task)
            if known is not None and ref.result not in known:
                out.append(
                    Problem(
                        "tekton/unknown-result-ref",
                        f'{ref.text}: task "{ref.task}" declares no result "{ref.result}"',
                        *span,
                        f"declared: {', '.join(sorted(known)) or 'none'}",
                    )
                )
            elif ref.task in graph.matrixed and not ref.star:
                out.append(
                    Problem(
                        "tekton/matrix-param",
                        f'{ref.text}: results of the matrixed task "{ref.task}" can only be used '
                        "whole, with [*]",
                        *span,
                    )
                )
        return out

    def call_checks(
        self, doc: Document, here: PathKey, pt: m.PipelineTask, scope: ParamScope
    ) -> None:
        """What the reconciler checks once it has the Task: params, matrix, workspaces."""
        if _is_custom(pt):
            return
        inline = pt.task_spec is not None
        target = None if inline else self.task_of(doc, pt.task_ref)
        if inline:
            assert pt.task_spec is not None
            task: m.TaskSpec = pt.task_spec
            anchor: PathKey = (*here, "taskSpec")
        elif target is not None:
            task = target.resource.spec
            anchor = (*here, "taskRef", "name")
        else:
            return
        declared = {p.name: p for p in task.params or []}
        matrix_names: list[tuple[PathKey, str]] = []
        if pt.matrix is not None:
            for i, param in enumerate(pt.matrix.params or []):
                matrix_names.append(((*here, "matrix", "params", i, "name"), param.name))
            for i, include in enumerate(pt.matrix.include or []):
                for j, param in enumerate(include.params or []):
                    where = (*here, "matrix", "include", i, "params", j, "name")
                    matrix_names.append((where, param.name))
        given = {p.name for p in pt.params or []} | {n for _, n in matrix_names}
        for spec in task.params or []:
            if spec.default is not None or spec.name in given:
                continue
            if inline and spec.name in scope.types:
                continue
            self.report(
                doc,
                anchor,
                "tekton/missing-param",
                f'task "{pt.name}" needs param "{spec.name}" (it has no default), which is '
                "not given",
            )
        for i, param in enumerate(pt.params or []):
            wanted = declared.get(param.name)
            if wanted is None:
                continue
            expected, got = param_type(wanted), given_type(param.value)
            if got is not None and got != expected:
                self.report(
                    doc,
                    (*here, "params", i, "value"),
                    "tekton/param-type-mismatch",
                    f'param "{param.name}" is declared {article(expected)} but given '
                    f"{article(got)}",
                )
        seen_matrix: set[str] = set()
        for where, name in matrix_names:
            if name in declared or name in seen_matrix:
                continue
            seen_matrix.add(name)
            # Tekton passes params a Task does not declare and the Task ignores them
            # (pkg/reconciler/taskrun/validate_taskrun.go validateParams): likely a typo, but
            # not a failure, so a warning.
            self.report(
                doc,
                where,
                "tekton/matrix-param",
                f'matrix param "{name}" is not a param of the task: each cell gets it and the '
                "task ignores it",
                listing("declared", declared),
                severity="warning",
            )
        self.workspace_calls(doc, here, pt, task, anchor, inline)

    def workspace_calls(
        self,
        doc: Document,
        here: PathKey,
        pt: m.PipelineTask,
        task: m.TaskSpec,
        anchor: PathKey,
        inline: bool,
    ) -> None:
        declared = {w.name: w for w in task.workspaces or []}
        bound = {b.name for b in pt.workspaces or []}
        used = workspaces_used(task) if inline else set()
        for name, ws in declared.items():
            if ws.optional or name in bound or name in used:
                continue
            self.report(
                doc,
                anchor,
                "tekton/missing-workspace-binding",
                f'task "{pt.name}" needs workspace "{name}", which is not bound',
            )
        for i, binding in enumerate(pt.workspaces or []):
            if binding.name in declared:
                continue
            where = (*here, "workspaces", i, "name")
            if not inline:
                self.report(
                    doc,
                    where,
                    "tekton/workspace-not-declared",
                    f'the task of "{pt.name}" declares no workspace "{binding.name}"',
                    listing("declared", declared),
                )
            elif binding.name not in used:
                self.report(
                    doc,
                    where,
                    "tekton/unused-workspace-binding",
                    f'workspace "{binding.name}" is bound but the task neither declares nor '
                    "uses it",
                )

    def dependencies(
        self, doc: Document, path: PathKey, tasks: list[m.PipelineTask], graph: PipelineGraph
    ) -> None:
        """runAfter names tasks that exist; runAfter and result references make no cycle."""
        deps: dict[str, set[str]] = {}
        where_of: dict[str, PathKey] = {}
        for i, pt in enumerate(tasks):
            if not pt.name:
                continue
            where_of[pt.name] = (*path, "tasks", i, "name")
            mine = deps.setdefault(pt.name, set())
            for j, after in enumerate(pt.run_after or []):
                if after not in graph.dag:
                    self.report(
                        doc,
                        (*path, "tasks", i, "runAfter", j),
                        "tekton/unknown-task-ref",
                        f'runAfter "{after}" is a finally task, which runs after all tasks'
                        if after in graph.final
                        else f'runAfter "{after}" is not a task of the pipeline',
                        listing("tasks", graph.dag),
                    )
                elif after == pt.name:
                    self.report(
                        doc,
                        (*path, "tasks", i, "runAfter", j),
                        "tekton/dependency-cycle",
                        f'task "{pt.name}" cannot run after itself',
                    )
                else:
                    mine.add(after)
            for value in pipeline_task_values(pt):
                mine |= {r.task for r in result_refs(value) if r.task in graph.dag}
            mine.discard(pt.name)
        cycle = find_cycle(deps)
        if cycle:
            self.report(
                doc,
                where_of[cycle[0]],
                "tekton/dependency-cycle",
                "tasks depend on each other in a cycle: " + " -> ".join(cycle),
                "runAfter and $(tasks.<name>.results...) both make a task wait for another",
            )
        final_path = (*path, "finally")
        spec_final = self._final_tasks(doc, path)
        for i, pt in enumerate(spec_final):
            if pt.run_after:
                self.report(
                    doc,
                    (*final_path, i, "runAfter"),
                    "tekton/finally-run-after",
                    f'finally task "{pt.name}" cannot have runAfter: finally tasks run after all '
                    "tasks",
                    key=True,
                )

    def _final_tasks(self, doc: Document, path: PathKey) -> list[m.PipelineTask]:
        spec: Any = doc.resource.spec
        if path[-1] == "pipelineSpec":
            spec = spec.pipeline_spec
        return list(spec.finally_ or []) if isinstance(spec, m.PipelineSpec) else []

    def pipeline_results(
        self, doc: Document, path: PathKey, results: list[m.PipelineResult], graph: PipelineGraph
    ) -> None:
        seen: set[str] = set()
        for i, result in enumerate(results):
            here = (*path, "results", i)
            if result.name in seen:
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/duplicate-result",
                    f'pipeline result "{result.name}" is declared more than once',
                )
            seen.add(result.name)
            strings = list(param_value_strings((*here, "value"), result.value))
            if not any(expressions(value) for _, value, _ in strings):
                self.report(
                    doc,
                    (*here, "value"),
                    "tekton/pipeline-result",
                    "a pipeline result must use task results, e.g. $(tasks.build.results.digest)",
                )
                continue
            for where, value, _ in strings:
                self.problems(doc, where, value, pipeline_result_problems(value, graph))


# --- helpers ----------------------------------------------------------------------------------


def _is_custom(pt: m.PipelineTask) -> bool:
    """A custom task (CustomRun): a ref or spec with an apiVersion, or a kind other than Task."""
    ref, spec = pt.task_ref, pt.task_spec
    if ref is not None and (ref.kind not in (None, "", "Task") or ref.api_version):
        return True
    return spec is not None and (spec.kind not in (None, "", "Task") or bool(spec.api_version))


def _is_matrixed(pt: m.PipelineTask) -> bool:
    return pt.matrix is not None and bool(pt.matrix.params or pt.matrix.include)


def _matrix_combinations(mx: m.Matrix) -> int:
    """Matrix.CountCombinations: the product of the params, plus includes that add a row."""
    params = mx.params or []
    include = mx.include or []
    count = 0
    if params:
        count = 1
        for param in params:
            if isinstance(param.value, list) and param.value:
                count *= len(param.value)
    if not include:
        return count
    if not params:
        return count + len(include)
    values = {p.name: p.value for p in params if isinstance(p.value, list)}
    added = 0
    for row in include:
        for param in row.params or []:
            if param.name in values:
                if param.value not in values[param.name]:
                    added += 1
                else:
                    break
    return count + added
