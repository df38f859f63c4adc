"""Checks of Tasks and StepActions: steps, sidecars, volumes, workspaces, results, when.

One of the validator's mixins (see ``validate_core``). The pipeline and run checks build on it: a
pipeline task or a TaskRun may embed a task spec, checked here with what it may reference
(:class:`TaskScope`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ghtotekton.tekton import model as m
from ghtotekton.tekton import validate_names as names
from ghtotekton.tekton.k8s import Volume, VolumeMount
from ghtotekton.tekton.validate_core import Document, ValidatorBase, declare_specs
from ghtotekton.tekton.validate_refs import (
    ARGS,
    STRING,
    ParamScope,
    StepRefs,
    container_strings,
    context_problems,
    find_vars,
    listing,
    param_problems,
    result_path_problems,
    step_extra_strings,
    steps_problems,
    volume_strings,
    workspace_problems,
)
from ghtotekton.yamlsource import PathKey

TASK_CONTEXT: Final = {
    "context\\.taskRun": frozenset({"name", "namespace", "uid"}),
    "context\\.task": frozenset({"name", "retry-count"}),
}
RESERVED_SIDECAR: Final = "tekton-log-results"


@dataclass(slots=True)
class TaskScope:
    """What a task spec's strings may reference, where it sits."""

    params: ParamScope
    workspaces: set[str]


class TaskChecks(ValidatorBase):
    """TaskSpec.Validate, StepActionSpec.Validate, and the when expressions of steps and tasks."""

    # -- tasks --

    def task_spec(self, doc: Document, path: PathKey, spec: m.TaskSpec, scope: TaskScope) -> None:
        """TaskSpec.Validate, plus the references a standalone Task must declare."""
        if not spec.steps:
            where = (*path, "steps") if spec.steps is not None else path
            self.report(doc, where, "tekton/missing-field", "a task needs at least one step")
        self.volumes(doc, (*path, "volumes"), spec.volumes)
        self.declared_workspaces(doc, path, spec)
        self.workspace_usages(doc, path, spec)
        self.steps(doc, path, spec)
        self.sidecars(doc, path, spec)
        self.param_specs(doc, (*path, "params"), spec.params)
        self.task_results(doc, (*path, "results"), spec.results)
        self.task_strings(doc, path, spec, scope)

    def volumes(self, doc: Document, path: PathKey, volumes: list[Volume] | None) -> None:
        seen: set[str] = set()
        for i, volume in enumerate(volumes or []):
            if volume.name in seen:
                self.report(
                    doc,
                    (*path, i, "name"),
                    "tekton/duplicate-volume",
                    f'more than one volume is called "{volume.name}"',
                )
            seen.add(volume.name)
            sources = [k for k, v in volume if k != "name" and v is not None]
            if len(sources) > 1:
                self.report(
                    doc,
                    (*path, i),
                    "tekton/invalid-volume",
                    f'volume "{volume.name}" has more than one source ({", ".join(sources)}); '
                    "it needs exactly one",
                )

    def declared_workspaces(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        mounts: set[str] = set()
        for step in spec.steps or []:
            mounts |= {posixpath.normpath(vm.mount_path) for vm in step.volume_mounts or []}
        if spec.step_template is not None:
            template_mounts = spec.step_template.volume_mounts or []
            mounts |= {posixpath.normpath(vm.mount_path) for vm in template_mounts}
        seen: set[str] = set()
        for i, ws in enumerate(spec.workspaces or []):
            here = (*path, "workspaces", i)
            if ws.name in seen:
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/duplicate-workspace",
                    f'workspace "{ws.name}" is declared more than once',
                )
            seen.add(ws.name)
            mount = posixpath.normpath(ws.mount_path or f"/workspace/{ws.name}")
            if mount in mounts:
                where = (*here, "mountPath") if ws.mount_path else (*here, "name")
                self.report(
                    doc,
                    where,
                    "tekton/workspace-mount-path",
                    f'workspace "{ws.name}" mounts at {mount}, where something else is mounted',
                )
            mounts.add(mount)

    def workspace_usages(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        declared = {w.name for w in spec.workspaces or []}
        containers: list[tuple[str, Sequence[m.Step | m.Sidecar]]] = [
            ("steps", spec.steps or []),
            ("sidecars", spec.sidecars or []),
        ]
        for section, items in containers:
            for i, item in enumerate(items):
                if item.workspaces:
                    self.feature(
                        doc,
                        (*path, section, i, "workspaces"),
                        f"workspaces on {section}",
                        "enable-api-fields: beta",
                    )
                for j, usage in enumerate(item.workspaces or []):
                    if usage.name not in declared:
                        self.report(
                            doc,
                            (*path, section, i, "workspaces", j, "name"),
                            "tekton/unknown-workspace-ref",
                            f'workspace "{usage.name}" is not declared by the task',
                            listing("declared", declared),
                        )

    def steps(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        template = spec.step_template
        seen: set[str] = set()
        for i, step in enumerate(spec.steps or []):
            here = (*path, "steps", i)
            if step.name:
                if step.name in seen:
                    self.report(
                        doc,
                        (*here, "name"),
                        "tekton/duplicate-step",
                        f'more than one step is called "{step.name}"',
                    )
                seen.add(step.name)
                if not names.is_dns1123_label(step.name) and "$(" not in step.name:
                    self.report(
                        doc,
                        (*here, "name"),
                        "tekton/invalid-name",
                        f'invalid step name "{step.name}": must be a DNS label (lower case '
                        "letters, digits and '-', at most 63)",
                    )
            if step.ref is not None:
                self.step_with_ref(doc, here, step)
            else:
                if step.params:
                    self.report(
                        doc, (*here, "params"), "tekton/step-fields", "step params need a `ref`"
                    )
                image = step.image or (template.image if template else None)
                if not image:
                    self.report(doc, here, "tekton/missing-field", "a step needs an `image`")
                command = step.command or (template.command if template else None)
                if step.script and command:
                    self.report(
                        doc,
                        (*here, "script"),
                        "tekton/step-fields",
                        "a step cannot have both `script` and `command`"
                        + ("" if step.command else " (the command comes from stepTemplate)"),
                    )
            self.duration(doc, (*here, "timeout"), step.timeout)
            self.volume_mounts(doc, (*here, "volumeMounts"), step.volume_mounts)
            on_error = step.on_error or ""
            if not on_error.startswith("$(params") and on_error not in (
                "",
                "continue",
                "stopAndFail",
            ):
                self.report(
                    doc,
                    (*here, "onError"),
                    "tekton/invalid-value",
                    f'onError "{step.on_error}" must be continue or stopAndFail',
                )
            if step.script and step.script.strip().startswith("#!win"):
                self.feature(doc, (*here, "script"), "Windows scripts", "enable-api-fields: alpha")
            for stream in ("stdoutConfig", "stderrConfig"):
                if getattr(step, "stdout_config" if stream == "stdoutConfig" else "stderr_config"):
                    self.feature(doc, (*here, stream), f"step {stream}", "enable-api-fields: alpha")
            if step.results is not None:
                self.step_results(doc, (*here, "results"), step.results)
            if step.when:
                self.when_list(doc, (*here, "when"), step.when)

    def step_with_ref(self, doc: Document, path: PathKey, step: m.Step) -> None:
        ref = step.ref
        assert ref is not None
        self.feature(
            doc,
            (*path, "ref"),
            "StepActions (step `ref`)",
            'a Tekton release with StepActions on (enable-step-actions: "true" before they '
            "became stable)",
        )
        self.validate_ref(doc, (*path, "ref"), ref.name, ref.resolver, ref.params)
        for key, attr in (
            ("image", "image"),
            ("command", "command"),
            ("args", "args"),
            ("script", "script"),
            ("workingDir", "working_dir"),
            ("env", "env"),
            ("volumeMounts", "volume_mounts"),
            ("results", "results"),
        ):
            if getattr(step, attr):
                self.report(
                    doc,
                    (*path, key),
                    "tekton/step-fields",
                    f"`{key}` cannot be used with `ref`: the StepAction defines it",
                )
        action = self.resolve(doc, "StepAction", ref.name) if not ref.resolver else None
        if action is not None:
            given = {p.name for p in step.params or []}
            for spec in action.resource.spec.params or []:
                if spec.default is None and spec.name not in given:
                    self.report(
                        doc,
                        (*path, "ref", "name"),
                        "tekton/missing-param",
                        f'StepAction "{ref.name}" needs param "{spec.name}", which is not given',
                    )

    def volume_mounts(self, doc: Document, path: PathKey, mounts: list[VolumeMount] | None) -> None:
        for j, vm in enumerate(mounts or []):
            clean = posixpath.normpath(vm.mount_path)
            if clean.startswith("/tekton/") and not clean.startswith("/tekton/home"):
                self.report(
                    doc,
                    (*path, j, "mountPath"),
                    "tekton/invalid-value",
                    f"volume mounts cannot go under /tekton/ ({vm.mount_path})",
                )
            if vm.name.startswith("tekton-internal-"):
                self.report(
                    doc,
                    (*path, j, "name"),
                    "tekton/invalid-name",
                    f'volume mount name "{vm.name}" cannot start with "tekton-internal-"',
                )

    def step_results(self, doc: Document, path: PathKey, results: list[m.StepResult]) -> None:
        self.feature(
            doc,
            path,
            "step results",
            'a Tekton release with StepActions on (enable-step-actions: "true" before they '
            "became stable)",
        )
        self._results(doc, path, results)

    def task_results(
        self, doc: Document, path: PathKey, results: list[m.TaskResult] | None
    ) -> None:
        self._results(doc, path, results or [])
        for i, result in enumerate(results or []):
            if result.value is None:
                continue
            where = (*path, i, "value")
            if not isinstance(result.value, str):
                self.report(
                    doc,
                    where,
                    "tekton/invalid-value",
                    "a result value must be a string $(steps.<step>.results.<result>)",
                )
                continue
            found = _STEP_RESULT_VALUE.search(result.value)
            if found is None:
                self.report(
                    doc,
                    where,
                    "tekton/invalid-value",
                    "a result value must look like $(steps.<step>.results.<result>)",
                )
            elif not names.is_dns1123_label(found.group(1)) or not names.is_result_name(
                found.group(2)
            ):
                self.report(
                    doc, where, "tekton/invalid-name", "invalid step or result name in the value"
                )

    def _results(
        self, doc: Document, path: PathKey, results: Sequence[m.TaskResult | m.StepResult]
    ) -> None:
        seen: set[str] = set()
        for i, result in enumerate(results):
            here = (*path, i)
            if not names.is_result_name(result.name):
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/invalid-name",
                    f'invalid result name "{result.name}"',
                    "letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
                )
            if result.name in seen:
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/duplicate-result",
                    f'result "{result.name}" is declared more than once',
                )
            seen.add(result.name)
            rtype = result.type or "string"
            if rtype not in ("string", "array", "object"):
                self.report(
                    doc,
                    (*here, "type"),
                    "tekton/invalid-value",
                    f'result type "{rtype}" is not one of string, array, object',
                )
            elif rtype == "object":
                if result.properties is None:
                    self.report(
                        doc,
                        here,
                        "tekton/missing-field",
                        f'object result "{result.name}" needs `properties`',
                    )
                for key, prop in (result.properties or {}).items():
                    if prop.type not in (None, "string"):
                        self.report(
                            doc,
                            (*here, "properties", key, "type"),
                            "tekton/invalid-value",
                            f'property "{key}" of result "{result.name}" must be of type string',
                        )

    def sidecars(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        for i, sidecar in enumerate(spec.sidecars or []):
            here = (*path, "sidecars", i)
            if sidecar.name == RESERVED_SIDECAR:
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/invalid-name",
                    f'"{RESERVED_SIDECAR}" is reserved for Tekton\'s own sidecar',
                )
            elif (
                sidecar.name
                and not names.is_dns1123_label(sidecar.name)
                and "$(" not in sidecar.name
            ):
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/invalid-name",
                    f'invalid sidecar name "{sidecar.name}": must be a DNS label',
                )
            if not sidecar.image:
                self.report(doc, here, "tekton/missing-field", "a sidecar needs an `image`")
            if sidecar.script and sidecar.command:
                self.report(
                    doc,
                    (*here, "script"),
                    "tekton/step-fields",
                    "a sidecar cannot have both `script` and `command`",
                )
            self.volume_mounts(doc, (*here, "volumeMounts"), sidecar.volume_mounts)

    def step_refs(self, doc: Document, spec: m.TaskSpec) -> StepRefs:
        results: dict[str, frozenset[str] | None] = {}
        containers: set[str] = set()
        for i, step in enumerate(spec.steps or []):
            containers.add(f"step-{step.name}" if step.name else f"step-unnamed-{i}")
            if not step.name:
                continue
            if step.ref is not None:
                action = (
                    None if step.ref.resolver else self.resolve(doc, "StepAction", step.ref.name)
                )
                if action is None:
                    results[step.name] = None
                else:
                    action_results = action.resource.spec.results or []
                    results[step.name] = frozenset(r.name for r in action_results)
            else:
                results[step.name] = frozenset(r.name for r in step.results or [])
        return StepRefs(results, frozenset(containers))

    def task_strings(
        self, doc: Document, path: PathKey, spec: m.TaskSpec, scope: TaskScope
    ) -> None:
        """Every $(...) in the task's containers, volumes and workspaces resolves, with its type."""
        declared_results = {r.name for r in spec.results or []}
        steps = self.step_refs(doc, spec)
        for i, step in enumerate(spec.steps or []):
            here = (*path, "steps", i)
            own = {r.name for r in step.results or []}
            for where, value, kind, results_ok in container_strings(here, step):
                found = param_problems(value, scope.params, kind)
                found += context_problems(value, TASK_CONTEXT)
                found += workspace_problems(value, scope.workspaces)
                if where[-1] in ("script", "value") or "command" in where or "args" in where:
                    found += result_path_problems(value, "results", declared_results, "the task")
                    if step.ref is None:
                        found += result_path_problems(
                            value, "step\\.results", own, f'step "{step.name or i}"'
                        )
                found += steps_problems(value, steps, results_ok)
                self.problems(doc, where, value, found)
            for where, value, kind in step_extra_strings(here, step, scope.params):
                found = param_problems(value, scope.params, kind)
                found += context_problems(value, TASK_CONTEXT)
                found += workspace_problems(value, scope.workspaces)
                self.problems(doc, where, value, found)
        for i, sidecar in enumerate(spec.sidecars or []):
            for where, value, kind, _ in container_strings((*path, "sidecars", i), sidecar):
                found = param_problems(value, scope.params, kind)
                found += context_problems(value, TASK_CONTEXT)
                found += workspace_problems(value, scope.workspaces)
                self.problems(doc, where, value, found)
        if spec.step_template is not None:
            template_path = (*path, "stepTemplate")
            for where, value, kind, _ in container_strings(template_path, spec.step_template):
                found = param_problems(value, scope.params, kind)
                found += context_problems(value, TASK_CONTEXT)
                found += workspace_problems(value, scope.workspaces)
                self.problems(doc, where, value, found)
        for where, value in volume_strings((*path, "volumes"), spec.volumes or []):
            self.problems(doc, where, value, param_problems(value, scope.params, STRING))
        for i, ws in enumerate(spec.workspaces or []):
            if ws.mount_path:
                where = (*path, "workspaces", i, "mountPath")
                found = param_problems(ws.mount_path, scope.params, STRING)
                self.problems(doc, where, ws.mount_path, found)

    def step_action(self, doc: Document, spec: m.StepActionSpec) -> None:
        """StepActionSpec.Validate: a standalone step whose params must all be declared."""
        path: PathKey = ("spec",)
        if not spec.image:
            self.report(doc, path, "tekton/missing-field", "a StepAction needs an `image`")
        if spec.script:
            if spec.command:
                self.report(
                    doc,
                    (*path, "script"),
                    "tekton/step-fields",
                    "a StepAction cannot have both `script` and `command`",
                )
            if spec.script.strip().startswith("#!win"):
                self.feature(doc, (*path, "script"), "Windows scripts", "enable-api-fields: alpha")
            for ref in find_vars(spec.script, "params"):
                self.report(
                    doc,
                    (*path, "script"),
                    "tekton/param-in-script",
                    f"{ref.text}: a StepAction script cannot use params",
                    "pass the param in an env var and read it from the script",
                    value=spec.script,
                    span=(ref.start, ref.end),
                )
        self.param_specs(doc, (*path, "params"), spec.params)
        scope = ParamScope()
        declare_specs(scope, spec.params or [])
        declared_results = {r.name for r in spec.results or []}
        self._results(doc, (*path, "results"), spec.results or [])
        fields: list[tuple[PathKey, str, str]] = []
        if spec.image:
            fields.append(((*path, "image"), spec.image, STRING))
        for i, item in enumerate(spec.command or []):
            fields.append(((*path, "command", i), item, ARGS))
        for i, item in enumerate(spec.args or []):
            fields.append(((*path, "args", i), item, ARGS))
        for i, env in enumerate(spec.env or []):
            if env.value:
                fields.append(((*path, "env", i, "value"), env.value, STRING))
        if spec.working_dir:
            fields.append(((*path, "workingDir"), spec.working_dir, STRING))
        for where, value, kind in fields:
            self.problems(doc, where, value, param_problems(value, scope, kind))
        for where, value in (((*path, "script"), spec.script or ""),):
            found = result_path_problems(value, "results", declared_results, "the StepAction")
            found += result_path_problems(
                value, "step\\.results", declared_results, "the StepAction"
            )
            self.problems(doc, where, value, found)
        for i, vm in enumerate(spec.volume_mounts or []):
            refs = find_vars(vm.name, "params")
            where = (*path, "volumeMounts", i, "name")
            if len(refs) != 1 or refs[0].text != vm.name:
                self.report(
                    doc,
                    where,
                    "tekton/invalid-value",
                    f'a StepAction volume mount name must be one param reference, not "{vm.name}"',
                )
            else:
                self.problems(doc, where, vm.name, param_problems(vm.name, scope, STRING))

    # -- when --

    def when_list(self, doc: Document, path: PathKey, whens: list[m.WhenExpression]) -> None:
        for i, when in enumerate(whens):
            here = (*path, i)
            if when.cel is not None:
                self.feature(
                    doc,
                    (*here, "cel"),
                    "CEL in when expressions",
                    'enable-cel-in-whenexpression: "true"',
                )
                if when.input or when.operator or when.values:
                    self.report(
                        doc,
                        here,
                        "tekton/invalid-when",
                        "a when expression has either `cel` or input/operator/values, not both",
                    )
                continue
            if not (when.input or when.operator or when.values):
                self.report(doc, here, "tekton/invalid-when", "empty when expression")
                continue
            if when.operator not in ("in", "notin"):
                self.report(
                    doc,
                    (*here, "operator") if when.operator is not None else here,
                    "tekton/invalid-when",
                    f'when operator "{when.operator or ""}" is not `in` or `notin`',
                )
            if not when.values:
                self.report(
                    doc,
                    (*here, "values") if when.values is not None else here,
                    "tekton/invalid-when",
                    "a when expression needs at least one value",
                )


# --- helpers ----------------------------------------------------------------------------------

_STEP_RESULT_VALUE = re.compile(r"\$\(steps\.(.*?)\.results\.(.*?)\)")
