"""Finding ``$(...)`` substitutions in Tekton strings, the way Tekton's webhook finds them.

Tekton does not parse its substitutions; it matches regexes (pkg/substitution/substitution.go and
pkg/apis/pipeline/v1/resultref.go). What counts as a reference, what name it resolves to and which
malformed forms are refused all follow from those patterns, so they are reproduced here as the same
regular expressions (Python's ``re`` and Go's RE2 agree on leftmost-first, non-greedy matching),
not reinvented: a "better" parser would accept or refuse different strings than the cluster.

The second half maps an offset inside a scalar back to a line and column in the file, so an
unknown ``$(params.x)`` on line 30 of a script is reported on line 30, not where the script starts.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from ghtotekton.errors import Position
from ghtotekton.tekton import model as m
from ghtotekton.tekton.k8s import EnvVar, Volume
from ghtotekton.yamlsource import PathKey, YamlDocument

_VAR_SUBSTITUTION = re.compile(r"\$\([_a-zA-Z0-9.-]+(\.[_a-zA-Z0-9.-]+)*(\[([0-9]+|\*)\])?\)")
"""resultref.go's variableSubstitutionFormat: what a pipeline task's param or when holds."""

WORKSPACE_ATTRS: Final = ("path", "bound", "claim", "volume")
VALID_PREFIXES: Final = ("params", "tasks", "finally", "context", "workspaces", "results")
_ARRAY_INDEX = re.compile(r"\[([0-9])*\*?\]")
_INT_INDEX = re.compile(r"\[([0-9]+)\]$")
_TT_PARAM = re.compile(r"\$\(tt\.params\.(?P<var>[_a-zA-Z][_a-zA-Z0-9.-]*)\)")
"""trigger_template_validation.go's paramsRegexp (its unescaped dots are escaped here; the
Triggers pattern also matches ``$(ttXparams.y)``, which nobody writes)."""


@dataclass(frozen=True, slots=True)
class VarRef:
    """One ``$(<prefix>...)`` match in a string.

    ``raw`` is the text after the prefix as Tekton captures it (``foo``, ``foo[*]``, ``obj.key``,
    ``arr[2]``); ``name`` is what Tekton looks the reference up by; ``key`` is the object key of
    ``$(params.obj.key)``; ``error`` is set when Tekton refuses the form outright.
    """

    start: int
    end: int
    text: str
    raw: str
    name: str
    key: str
    star: bool
    index: int | None
    bracket: bool
    error: str = ""


@lru_cache(maxsize=64)
def _brace_regex(prefix: str) -> re.Pattern[str]:
    body = r".*?(\[\*\])?"
    return re.compile(
        rf"\$\({prefix}(\.(?P<var1>{body})|\[\"(?P<var2>{body})\"\]|\['(?P<var3>{body})'\])\)"
    )


def find_vars(value: str, prefix: str) -> list[VarRef]:
    """Every ``$(prefix.x)``, ``$(prefix["x"])`` and ``$(prefix['x'])`` in ``value``.

    ``prefix`` is a regex fragment, as in Go (``params``, ``context\\.taskRun``). Dot notation
    allows at most two components after the prefix (``obj.key``), as ExtractVariablesFromString
    enforces; brackets keep dots inside a name (``$(params["a.b"])``).
    """
    if "$(" not in value:
        return []
    out: list[VarRef] = []
    for match in _brace_regex(prefix).finditer(value):
        var1, var2, var3 = match.group("var1"), match.group("var2"), match.group("var3")
        raw = var1 if var1 is not None else (var2 if var2 is not None else (var3 or ""))
        bracket = var1 is None
        error = ""
        name_part, key = raw, ""
        if not bracket and "." in raw:
            parts = raw.split(".")
            if len(parts) > 2:
                readable = prefix.replace("\\", "")
                error = (
                    f"only two dot-separated parts are allowed after `{readable}`"
                    " (use bracket notation for names with dots)"
                )
            name_part, _, key = raw.partition(".")
        star = raw.endswith("[*]")
        index_match = _INT_INDEX.search(raw)
        index = int(index_match.group(1)) if index_match else None
        name = trim_array_index(name_part)
        key = trim_array_index(key)
        out.append(
            VarRef(
                start=match.start(),
                end=match.end(),
                text=match.group(0),
                raw=raw,
                name=name,
                key=key,
                star=star,
                index=index,
                bracket=bracket,
                error=error,
            )
        )
    return out


def trim_array_index(text: str) -> str:
    """Tekton's TrimArrayIndex: drop every ``[i]`` and ``[*]``."""
    return _ARRAY_INDEX.sub("", text)


@dataclass(frozen=True, slots=True)
class Expression:
    """One ``$(a.b.c)`` found by Tekton's generic substitution pattern, without ``$(`` and ``)``."""

    start: int
    end: int
    body: str


def expressions(value: str) -> list[Expression]:
    """All ``$(...)`` substitutions of the generic form, as GetVarSubstitutionExpressions sees."""
    if "$(" not in value:
        return []
    return [
        Expression(m.start(), m.end(), m.group(0)[2:-1]) for m in _VAR_SUBSTITUTION.finditer(value)
    ]


def is_isolated(value: str, ref: VarRef) -> bool:
    """Whether the reference is the whole value (arrays may only be expanded that way)."""
    return value == ref.text


@dataclass(frozen=True, slots=True)
class ResultRef:
    """``$(tasks.<task>.results.<result>...)`` or ``$(finally.<task>.results.<result>...)``."""

    start: int
    end: int
    text: str
    section: str
    task: str
    result: str
    star: bool
    key: str


def result_refs(value: str) -> list[ResultRef]:
    """Result references, as resultref.LooksLikeResultRef and ParseTaskExpression read them."""
    out: list[ResultRef] = []
    for expr in expressions(value):
        parts = expr.body.split(".")
        if len(parts) < 4 or parts[0] not in ("tasks", "finally") or parts[2] != "results":
            continue
        if len(parts) == 4:
            out.append(
                ResultRef(
                    expr.start,
                    expr.end,
                    value[expr.start : expr.end],
                    parts[0],
                    parts[1],
                    trim_array_index(parts[3]),
                    parts[3].endswith("[*]"),
                    "",
                )
            )
        elif len(parts) == 5:
            out.append(
                ResultRef(
                    expr.start,
                    expr.end,
                    value[expr.start : expr.end],
                    parts[0],
                    parts[1],
                    parts[3],
                    False,
                    parts[4],
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class Dotted:
    """A ``$(head.a.b...)`` substitution split on dots, with its span (for steps, workspaces...)."""

    start: int
    end: int
    text: str
    parts: tuple[str, ...]


_DOTTED = re.compile(r"\$\((?P<head>[a-zA-Z]+)\.(?P<rest>[^()\s]*)\)")


def dotted_refs(value: str, head: str) -> Iterator[Dotted]:
    """``$(head.x.y...)`` substitutions whose first part is ``head`` (``workspaces``, ``steps``)."""
    if "$(" not in value:
        return
    for match in _DOTTED.finditer(value):
        if match.group("head") == head:
            yield Dotted(
                match.start(), match.end(), match.group(0), tuple(match.group("rest").split("."))
            )


def tt_params(value: str) -> Iterator[tuple[int, int, str]]:
    """``$(tt.params.x)`` in a TriggerTemplate's resource templates: (start, end, name)."""
    if "$(" not in value:
        return
    for match in _TT_PARAM.finditer(value):
        yield match.start(), match.end(), match.group("var")


def array_reference_name(value: str) -> str:
    """Tekton's ArrayReference: ``$(params.x[*])`` -> ``x`` (anything else comes back unchanged)."""
    return value.removeprefix("$(params.").removesuffix("[*])")


# --- what a reference may name -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """A bad reference found in a string: rule id, message, and the span of the reference."""

    rule: str
    message: str
    start: int
    end: int
    hint: str = ""
    severity: str = ""  # empty: the rule's own


@dataclass(slots=True)
class ParamScope:
    """The params a place may reference: name -> type (string, array, object), object keys."""

    types: dict[str, str] = field(default_factory=dict)
    keys: dict[str, frozenset[str]] = field(default_factory=dict)

    def declare(self, name: str, ptype: str, keys: Iterable[str] = ()) -> None:
        self.types[name] = ptype
        if ptype == "object":
            self.keys[name] = frozenset(keys)

    def copy(self) -> ParamScope:
        return ParamScope(dict(self.types), dict(self.keys))


STRING: Final = "string"
"""A plain string field: whole arrays and objects may not appear, only ``$(params.a[0])``."""
ARGS: Final = "args"
"""A ``command``/``args`` item: a whole array may expand there when it is the entire item."""
PARAM_VALUE: Final = "param-value"
"""A pipeline task's string param: ``$(params.x[*])`` alone passes a whole array or object."""
ELEMENT: Final = "element"
"""An item of an array value (a param or matrix value): whole arrays only as the entire item."""


def param_problems(value: str, scope: ParamScope, where: str) -> list[Problem]:
    """Unknown params, unknown object keys, and params used against their type."""
    out: list[Problem] = []
    for ref in find_vars(value, "params"):
        span = (ref.start, ref.end)
        if ref.error:
            out.append(Problem("tekton/invalid-reference", f"{ref.text}: {ref.error}", *span))
            continue
        ptype = scope.types.get(ref.name)
        if ptype is None:
            close = difflib.get_close_matches(ref.name, list(scope.types), n=1, cutoff=0.75)
            hint = f"did you mean `{close[0]}`?" if close else _declared(scope.types)
            message = f'{ref.text} refers to param "{ref.name}", which is not declared'
            out.append(Problem("tekton/unknown-param-ref", message, *span, hint))
            continue
        problem = _type_problem(value, ref, ptype, scope, where)
        if problem is not None:
            out.append(problem)
    return out


def _declared(names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed:
        return "no params are declared here"
    shown = ", ".join(listed[:8]) + (", ..." if len(listed) > 8 else "")
    return f"declared: {shown}"


def _type_problem(
    value: str, ref: VarRef, ptype: str, scope: ParamScope, where: str
) -> Problem | None:
    span = (ref.start, ref.end)
    whole = ref.index is None and not ref.key
    isolated = is_isolated(value, ref)
    if ptype == "string":
        # Tekton admits these (the name resolves) but nothing substitutes them: the text stays.
        if ref.star or ref.index is not None:
            return Problem(
                "tekton/param-type-mismatch",
                f'{ref.text}: param "{ref.name}" is a string; [*] and [i] are for array params',
                *span,
                "Tekton accepts it but leaves the text as it is",
                severity="warning",
            )
        if ref.key:
            return Problem(
                "tekton/param-type-mismatch",
                f'{ref.text}: param "{ref.name}" is a string and has no keys',
                *span,
                'for a name with dots use $(params["a.b"])',
                severity="warning",
            )
        return None
    if ptype == "array":
        if ref.key:
            return Problem(
                "tekton/param-type-mismatch",
                f'{ref.text}: param "{ref.name}" is an array and has no keys',
                *span,
            )
        if not whole:
            return None
        if where in (ARGS, ELEMENT) and isolated:
            return None
        if where == PARAM_VALUE and isolated and ref.star:
            return None
        if where in (ARGS, ELEMENT):
            message = f'array param "{ref.name}" must be the whole item to expand: "{value}"'
        else:
            message = f'array param "{ref.name}" cannot be used whole here'
        hint = f"use one element, $(params.{ref.name}[0]), or pass it whole in command or args"
        if where == PARAM_VALUE:
            hint = f"pass it whole as exactly $(params.{ref.name}[*])"
        return Problem("tekton/param-type-mismatch", message, *span, hint)
    if ptype == "object":
        if ref.key:
            keys = scope.keys.get(ref.name, frozenset())
            if ref.key not in keys:
                return Problem(
                    "tekton/unknown-param-ref",
                    f'{ref.text}: object param "{ref.name}" has no key "{ref.key}"',
                    *span,
                    f"keys: {', '.join(sorted(keys)) or 'none'}",
                )
            return None
        if ref.index is not None:
            return Problem(
                "tekton/param-type-mismatch",
                f'{ref.text}: param "{ref.name}" is an object; use a key, $(params.{ref.name}.k)',
                *span,
            )
        if where == PARAM_VALUE and isolated and ref.star:
            return None
        return Problem(
            "tekton/param-type-mismatch",
            f'object param "{ref.name}" cannot be used whole here',
            *span,
            f"use one key, $(params.{ref.name}.key)",
        )
    return None


def context_problems(value: str, table: dict[str, frozenset[str]]) -> list[Problem]:
    """``$(context.x.y)`` variables that do not exist (prefix regex -> allowed names)."""
    out: list[Problem] = []
    for prefix, allowed in table.items():
        for ref in find_vars(value, prefix):
            if ref.error or ref.raw not in allowed:
                readable = prefix.replace("\\", "")
                out.append(
                    Problem(
                        "tekton/unknown-context-ref",
                        f"{ref.text} is not a context variable Tekton provides",
                        ref.start,
                        ref.end,
                        "known: " + ", ".join(f"$({readable}.{n})" for n in sorted(allowed)),
                    )
                )
    return out


def workspace_problems(value: str, known: set[str] | None, only: str = "") -> list[Problem]:
    """``$(workspaces.<name>.<attr>)`` with an unknown name or attribute (``known`` None: any).

    ``only`` limits the check to one attribute: a pipeline fills ``$(workspaces.x.bound)`` itself
    and passes ``$(workspaces.x.path)`` through to the task, whose own workspace it names.
    """
    out: list[Problem] = []
    attrs = WORKSPACE_ATTRS
    for ref in dotted_refs(value, "workspaces"):
        if only and ref.parts[-1] != only:
            continue
        if len(ref.parts) < 2:
            out.append(
                Problem(
                    "tekton/invalid-reference",
                    f"{ref.text}: expected $(workspaces.<name>.<attribute>)",
                    ref.start,
                    ref.end,
                )
            )
            continue
        name, attr = ".".join(ref.parts[:-1]), ref.parts[-1]
        if attr not in attrs:
            out.append(
                Problem(
                    "tekton/unknown-workspace-ref",
                    f"{ref.text}: a workspace has no attribute `{attr}`",
                    ref.start,
                    ref.end,
                    "attributes: " + ", ".join(attrs),
                )
            )
        elif known is not None and name not in known:
            # `.bound` of an unknown workspace is left as text, which never equals "true": it
            # works as "not bound", so Tekton's own examples use it. Suspicious, not fatal.
            out.append(
                Problem(
                    "tekton/unknown-workspace-ref",
                    f'{ref.text} refers to workspace "{name}", which is not declared',
                    ref.start,
                    ref.end,
                    _declared_ws(known),
                    severity="warning" if attr == "bound" else "",
                )
            )
    return out


def _declared_ws(known: Iterable[str]) -> str:
    listed = sorted(known)
    return f"declared: {', '.join(listed)}" if listed else "no workspaces are declared here"


def result_path_problems(value: str, prefix: str, declared: set[str], owner: str) -> list[Problem]:
    """``$(results.x.path)`` / ``$(step.results.x.path)`` naming a result nobody declares."""
    out: list[Problem] = []
    for ref in find_vars(value, prefix):
        if ref.error:
            out.append(
                Problem("tekton/invalid-reference", f"{ref.text}: {ref.error}", ref.start, ref.end)
            )
        elif ref.name not in declared:
            listed = ", ".join(sorted(declared)) or "none"
            out.append(
                Problem(
                    "tekton/unknown-result-ref",
                    f'{ref.text}: {owner} declares no result "{ref.name}"',
                    ref.start,
                    ref.end,
                    f"declared: {listed}",
                )
            )
        elif ref.key != "path":
            out.append(
                Problem(
                    "tekton/invalid-reference",
                    f"{ref.text}: results are written to "
                    f"$({prefix.replace(chr(92), '')}.{ref.name}.path)",
                    ref.start,
                    ref.end,
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class StepRefs:
    """The steps of a task as references see them: name -> results (None: not known)."""

    results: dict[str, frozenset[str] | None]
    container_names: frozenset[str]  # step-<name> / unnamed-<i>, for exitCode paths


def steps_problems(value: str, steps: StepRefs, results_allowed: bool) -> list[Problem]:
    """``$(steps.<s>.results.<r>)`` and ``$(steps.step-<s>.exitCode.path)`` references."""
    out: list[Problem] = []
    for ref in dotted_refs(value, "steps"):
        parts = ref.parts
        span = (ref.start, ref.end)
        if len(parts) >= 3 and parts[1] == "results":
            step, result = parts[0], trim_array_index(parts[2])
            if not results_allowed:
                out.append(
                    Problem(
                        "tekton/step-result-placement",
                        f"{ref.text}: step results can only be used in env, command and args",
                        *span,
                    )
                )
            elif step not in steps.results:
                out.append(
                    Problem(
                        "tekton/unknown-step-ref",
                        f'{ref.text} refers to step "{step}", which is not a step of this task',
                        *span,
                        _declared_steps(steps.results),
                    )
                )
            else:
                known = steps.results[step]
                if known is not None and result not in known:
                    out.append(
                        Problem(
                            "tekton/unknown-result-ref",
                            f'{ref.text}: step "{step}" declares no result "{result}"',
                            *span,
                            f"declared: {', '.join(sorted(known)) or 'none'}",
                        )
                    )
        elif parts[1:] == ("exitCode", "path") and parts[0] not in steps.container_names:
            out.append(
                Problem(
                    "tekton/unknown-step-ref",
                    f"{ref.text}: no step is called {parts[0].removeprefix('step-')}",
                    *span,
                    "exit codes are at $(steps.step-<step name>.exitCode.path)",
                )
            )
    return out


def _declared_steps(results: dict[str, frozenset[str] | None]) -> str:
    listed = sorted(results)
    return f"steps: {', '.join(listed)}" if listed else "no step of this task has a name"


def unknown_prefix_problems(value: str) -> list[Problem]:
    """Pipeline task values: ``$(x...)`` must start with a prefix Tekton substitutes there."""
    out: list[Problem] = []
    for expr in expressions(value):
        prefix = expr.body.split(".", 1)[0]
        if prefix not in VALID_PREFIXES:
            out.append(
                Problem(
                    "tekton/unknown-variable-prefix",
                    f"$({expr.body}) is not a variable Tekton fills in a pipeline task",
                    expr.start,
                    expr.end,
                    "variables start with params, tasks, finally, context, workspaces or results;"
                    " for a shell variable write ${VAR}",
                )
            )
    return out


# --- where strings live, and pipeline-level references --------------------------------------


def listing(label: str, items: Iterable[str]) -> str:
    listed = sorted(items)
    return f"{label}: {', '.join(listed)}" if listed else f"none {label}"


ContainerLike = m.Step | m.Sidecar | m.StepTemplate


def container_strings(
    path: PathKey, item: ContainerLike
) -> Iterator[tuple[PathKey, str, str, bool]]:
    """(path, value, where, step results allowed) for every string field Tekton substitutes."""
    name = getattr(item, "name", None)
    if name:
        yield (*path, "name"), name, STRING, False
    if item.image:
        yield (*path, "image"), item.image, STRING, False
    if item.image_pull_policy:
        yield (*path, "imagePullPolicy"), item.image_pull_policy, STRING, False
    script = getattr(item, "script", None)
    if script:
        yield (*path, "script"), script, STRING, False
    if item.working_dir:
        yield (*path, "workingDir"), item.working_dir, STRING, False
    for i, cmd in enumerate(item.command or []):
        yield (*path, "command", i), cmd, ARGS, True
    for i, arg in enumerate(item.args or []):
        yield (*path, "args", i), arg, ARGS, True
    for i, env in enumerate(item.env or []):
        yield from env_strings((*path, "env", i), env)
    for i, env_from in enumerate(item.env_from or []):
        if env_from.prefix:
            yield (*path, "envFrom", i, "prefix"), env_from.prefix, STRING, False
        if env_from.config_map_ref and env_from.config_map_ref.name:
            where = (*path, "envFrom", i, "configMapRef", "name")
            yield where, env_from.config_map_ref.name, STRING, False
        if env_from.secret_ref and env_from.secret_ref.name:
            yield (
                (*path, "envFrom", i, "secretRef", "name"),
                env_from.secret_ref.name,
                STRING,
                False,
            )
    for i, vm in enumerate(item.volume_mounts or []):
        yield (*path, "volumeMounts", i, "name"), vm.name, STRING, False
        yield (*path, "volumeMounts", i, "mountPath"), vm.mount_path, STRING, False
        if vm.sub_path:
            yield (*path, "volumeMounts", i, "subPath"), vm.sub_path, STRING, False
    for i, device in enumerate(item.volume_devices or []):
        yield (*path, "volumeDevices", i, "name"), device.name, STRING, False
        yield (*path, "volumeDevices", i, "devicePath"), device.device_path, STRING, False
    on_error = getattr(item, "on_error", None)
    if on_error:
        yield (*path, "onError"), on_error, STRING, False


def env_strings(path: PathKey, env: EnvVar) -> Iterator[tuple[PathKey, str, str, bool]]:
    if env.value:
        yield (*path, "value"), env.value, STRING, True
    source = env.value_from
    if source is None:
        return
    for attr, key in (
        ("secret_key_ref", "secretKeyRef"),
        ("config_map_key_ref", "configMapKeyRef"),
    ):
        selector = getattr(source, attr)
        if selector is None:
            continue
        if selector.name:
            yield (*path, "valueFrom", key, "name"), selector.name, STRING, False
        yield (*path, "valueFrom", key, "key"), selector.key, STRING, False


def step_extra_strings(
    path: PathKey, step: m.Step, scope: ParamScope
) -> Iterator[tuple[PathKey, str, str]]:
    """A step's when expressions and the values it passes to a StepAction."""
    for i, param in enumerate(step.params or []):
        yield from param_value_strings((*path, "params", i, "value"), param.value)
    for i, when in enumerate(step.when or []):
        yield from when_strings((*path, "when", i), when, scope)


def param_value_strings(path: PathKey, value: Any) -> Iterator[tuple[PathKey, str, str]]:
    if isinstance(value, str):
        yield path, value, PARAM_VALUE
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*path, i), item, ELEMENT
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key), item, STRING


def when_strings(
    path: PathKey, when: m.WhenExpression, scope: ParamScope
) -> Iterator[tuple[PathKey, str, str]]:
    if when.input:
        yield (*path, "input"), when.input, STRING
    for i, item in enumerate(when.values or []):
        is_array = scope.types.get(array_reference_name(item)) == "array"
        yield (*path, "values", i), item, ELEMENT if is_array else STRING
    if when.cel:
        yield (*path, "cel"), when.cel, STRING


def volume_strings(path: PathKey, volumes: list[Volume]) -> Iterator[tuple[PathKey, str]]:
    for i, volume in enumerate(volumes):
        here = (*path, i)
        yield (*here, "name"), volume.name
        if volume.config_map is not None:
            if volume.config_map.name:
                yield (*here, "configMap", "name"), volume.config_map.name
            for j, item in enumerate(volume.config_map.items or []):
                yield (*here, "configMap", "items", j, "key"), item.key
                yield (*here, "configMap", "items", j, "path"), item.path
        if volume.secret is not None:
            if volume.secret.secret_name:
                yield (*here, "secret", "secretName"), volume.secret.secret_name
            for j, item in enumerate(volume.secret.items or []):
                yield (*here, "secret", "items", j, "key"), item.key
                yield (*here, "secret", "items", j, "path"), item.path
        if volume.persistent_volume_claim is not None:
            claim = volume.persistent_volume_claim.claim_name
            yield (*here, "persistentVolumeClaim", "claimName"), claim
        if volume.projected is not None:
            for j, source in enumerate(volume.projected.sources or []):
                if source.config_map and source.config_map.name:
                    yield (
                        (*here, "projected", "sources", j, "configMap", "name"),
                        source.config_map.name,
                    )
                if source.secret and source.secret.name:
                    yield (*here, "projected", "sources", j, "secret", "name"), source.secret.name
        if volume.csi is not None:
            for key, attribute in (volume.csi.volume_attributes or {}).items():
                yield (*here, "csi", "volumeAttributes", key), attribute


@dataclass(slots=True)
class PipelineGraph:
    """The names a pipeline's references are checked against."""

    dag: set[str]
    final: set[str]
    results: dict[str, frozenset[str] | None]
    matrixed: set[str]


def whole_reference(value: str) -> bool:
    """``$(params.x[*])`` or ``$(tasks.t.results.r[*])`` and nothing else: becomes an array."""
    found = expressions(value)
    return len(found) == 1 and found[0].start == 0 and found[0].end == len(value)


def given_type(value: Any) -> str | None:
    """The type of a value given to a param, or None when a reference decides it at run time."""
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if whole_reference(value):
        return None
    return "string"


def status_problems(value: str, section: str, graph: PipelineGraph) -> list[Problem]:
    """$(tasks.x.status), $(tasks.x.reason), $(tasks.status): finally tasks only, real tasks."""
    found = expressions(value)
    if any(looks_like_result(e.body) for e in found):
        return []
    out: list[Problem] = []
    for expr in found:
        body = expr.body
        if not body.startswith("tasks.") or not body.endswith((".status", ".reason")):
            continue
        text = value[expr.start : expr.end]
        if section == "tasks":
            out.append(
                Problem(
                    "tekton/execution-status-ref",
                    f"{text}: only finally tasks can read the status of other tasks",
                    expr.start,
                    expr.end,
                    "move the task to finally, or use runAfter and results",
                )
            )
            continue
        if body == "tasks.status":
            continue
        task = body.removeprefix("tasks.").rsplit(".", 1)[0]
        if task not in graph.dag:
            out.append(
                Problem(
                    "tekton/unknown-task-ref",
                    f'{text}: "{task}" is a finally task; statuses are of the pipeline\'s tasks'
                    if task in graph.final
                    else f'{text} refers to task "{task}", which is not a task of the pipeline',
                    expr.start,
                    expr.end,
                    listing("tasks", graph.dag),
                )
            )
    return out


def looks_like_result(body: str) -> bool:
    parts = body.split(".")
    return len(parts) >= 4 and parts[0] in ("tasks", "finally") and parts[2] == "results"


def pipeline_result_problems(value: str, graph: PipelineGraph) -> list[Problem]:
    out: list[Problem] = []
    for expr in expressions(value):
        text = value[expr.start : expr.end]
        parts = expr.body.split(".")
        if not looks_like_result(expr.body) or len(parts) > 5:
            out.append(
                Problem(
                    "tekton/pipeline-result",
                    f"{text} is not a task result; pipeline results are made of "
                    "$(tasks.<task>.results.<result>) or $(finally.<task>.results.<result>)",
                    expr.start,
                    expr.end,
                )
            )
            continue
    for ref in result_refs(value):
        names_in = graph.dag if ref.section == "tasks" else graph.final
        if ref.task not in names_in:
            out.append(
                Problem(
                    "tekton/unknown-task-ref",
                    f'{ref.text} refers to {ref.section} task "{ref.task}", which does not exist',
                    ref.start,
                    ref.end,
                    listing(ref.section, names_in),
                )
            )
            continue
        known = graph.results.get(ref.task)
        if known is not None and ref.result not in known:
            out.append(
                Problem(
                    "tekton/unknown-result-ref",
                    f'{ref.text}: task "{ref.task}" declares no result "{ref.result}"',
                    ref.start,
                    ref.end,
                    f"declared: {', '.join(sorted(known)) or 'none'}",
                )
            )
    return out


def find_cycle(deps: dict[str, set[str]]) -> list[str]:
    """One dependency cycle (first by name, as Tekton reports it), or [] if there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(deps.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for start in sorted(deps):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return []


def pipeline_task_values(pt: m.PipelineTask) -> Iterator[str]:
    """Strings whose result references make a pipeline task wait (PipelineTaskResultRefs)."""
    for param in pt.params or []:
        yield from flat_strings(param.value)
    if pt.matrix is not None:
        for param in pt.matrix.params or []:
            yield from flat_strings(param.value)
        for include in pt.matrix.include or []:
            for param in include.params or []:
                yield from flat_strings(param.value)
    for when in pt.when or []:
        yield from (s for s in (when.input, when.cel) if s)
        yield from when.values or []
    if pt.task_spec is not None:
        for _, value in task_spec_strings(("taskSpec",), pt.task_spec):
            yield value


def flat_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from value
    elif isinstance(value, dict):
        yield from value.values()


def task_spec_strings(path: PathKey, spec: m.TaskSpec) -> Iterator[tuple[PathKey, str]]:
    for i, step in enumerate(spec.steps or []):
        for where, value, _, _ in container_strings((*path, "steps", i), step):
            yield where, value
    for i, sidecar in enumerate(spec.sidecars or []):
        for where, value, _, _ in container_strings((*path, "sidecars", i), sidecar):
            yield where, value
    if spec.step_template is not None:
        for where, value, _, _ in container_strings((*path, "stepTemplate"), spec.step_template):
            yield where, value


def workspaces_used(spec: m.TaskSpec) -> set[str]:
    """Workspaces an embedded task mentions in $(workspaces.x...) (Tekton binds those for it)."""
    used: set[str] = set()
    for _, value in task_spec_strings((), spec):
        for ref in dotted_refs(value, "workspaces"):
            if len(ref.parts) >= 2:
                used.add(".".join(ref.parts[:-1]))
    return used


_PLACEHOLDER = re.compile(r"\$\((?:tt\.[^)]*|uid)\)")


def fill_placeholders(node: Any) -> Any:
    """Resource templates as Triggers will make them: placeholders become a plain word."""
    if isinstance(node, str):
        return _PLACEHOLDER.sub("x0", node)
    if isinstance(node, list):
        return [fill_placeholders(x) for x in node]
    if isinstance(node, dict):
        return {k: fill_placeholders(v) for k, v in node.items()}
    return node


def walk_strings(path: PathKey, node: Any) -> Iterator[tuple[PathKey, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from walk_strings((*path, i), item)
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from walk_strings((*path, key), item)


# --- positions inside a scalar ----------------------------------------------------------------


class Locator:
    """Turns (document path, offset in the string value) into a file position.

    Literal block scalars (``|``), where scripts live, map line for line; other styles are found by
    searching the source for the same text near where the value starts. When neither works, the
    value's own position is the answer, which is never wrong, only less precise.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def at(self, doc: YamlDocument, path: PathKey, value: str, start: int, end: int) -> Position:
        base = doc.pos(path)
        if tuple(path) not in doc.positions or base.line <= 0 or not self.lines:
            return base
        needle = value[start:end]
        line_index = base.line - 1
        if line_index >= len(self.lines):
            return base
        head = self.lines[line_index][base.col - 1 : base.col]
        if head == "|":
            found = self._in_literal(base, value, start, needle)
        else:
            found = self._search(base, value, start, needle)
        return found or base

    def _in_literal(self, base: Position, value: str, start: int, needle: str) -> Position | None:
        value_line = value.count("\n", 0, start)
        line_start = value.rfind("\n", 0, start) + 1
        target = base.line + 1 + value_line  # 1-based; content starts on the line after `|`
        indent = self._block_indent(base.line)
        if indent is None or target - 1 >= len(self.lines):
            return None
        col = indent + (start - line_start)
        text = self.lines[target - 1]
        if text[col : col + len(needle)] != needle:
            return None
        return Position(base.file, target, col + 1)

    def _block_indent(self, header_line: int) -> int | None:
        for text in self.lines[header_line:]:
            if text.strip():
                return len(text) - len(text.lstrip(" "))
        return None

    def _search(self, base: Position, value: str, start: int, needle: str) -> Position | None:
        occurrence = value.count(needle, 0, start)
        span = value.count("\n") * 2 + 3
        line_index = base.line - 1
        col = base.col - 1
        seen = 0
        for offset in range(span):
            index = line_index + offset
            if index >= len(self.lines):
                return None
            text = self.lines[index]
            pos = text.find(needle, col if offset == 0 else 0)
            while pos >= 0:
                if seen == occurrence:
                    return Position(base.file, index + 1, pos + 1)
                seen += 1
                pos = text.find(needle, pos + 1)
        return None
