"""The validator's base: what was read, reporting, reading a document, the checks all kinds share.

:class:`ValidatorBase` collects the findings and indexes the files, reads each document into a
Tekton resource (or reports why it cannot), and holds the checks that Tasks, Pipelines, runs and
Triggers have in common: metadata, resource quantities, durations, declared params, refs, lookups
across files. The checks of each kind are mixins built on it (``validate_tasks``,
``validate_pipelines``, ``validate_runs``, ``validate_triggers``), so that no module has to hold all
of them; ``validate.Validator`` puts them together and dispatches each document by its kind.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from ghtotekton.errors import Diagnostic, InputError
from ghtotekton.tekton import model as m
from ghtotekton.tekton import validate_names as names
from ghtotekton.tekton.core_model import CORE_KINDS
from ghtotekton.tekton.k8s import ObjectMeta
from ghtotekton.tekton.validate_refs import Locator, ParamScope, Problem
from ghtotekton.tekton.validate_rules import RULES
from ghtotekton.yamlsource import PathKey, YamlDocument

# --- what was read ----------------------------------------------------------------------------


@dataclass(slots=True)
class SourceFile:
    """One file: its display name and lines (to place findings inside scripts)."""

    display: str
    locator: Locator


@dataclass(slots=True)
class Document:
    """One YAML document of a file, and the resource read from it when it is a Tekton one."""

    source: SourceFile
    yaml: YamlDocument
    number: int
    api: str = ""
    kind: str = ""
    resource: Any = None

    @property
    def name(self) -> str:
        meta = getattr(self.resource, "metadata", None)
        return (meta.name or "") if isinstance(meta, ObjectMeta) else ""


# --- the validator ----------------------------------------------------------------------------

OLDER_APIS: Final = frozenset(
    {("tekton.dev/v1beta1", k) for k in ("Task", "TaskRun", "Pipeline", "PipelineRun")}
    | {
        ("triggers.tekton.dev/v1alpha1", k)
        for k in ("TriggerBinding", "ClusterTriggerBinding", "TriggerTemplate", "Trigger")
    }
    | {("triggers.tekton.dev/v1alpha1", "EventListener")}
)
"""Still served by Tekton (tekton-schemas/index.json), but not the version ghtotekton models."""
OTHER_SERVED: Final = frozenset(
    {
        ("tekton.dev/v1beta1", "CustomRun"),
        ("tekton.dev/v1alpha1", "VerificationPolicy"),
        ("triggers.tekton.dev/v1alpha1", "Interceptor"),
        ("triggers.tekton.dev/v1alpha1", "ClusterInterceptor"),
    }
)
"""Tekton kinds that are served but are not pipelines or triggers: skipped with a note."""


class ValidatorBase(ABC):
    """Findings over a set of documents, and the checks every kind uses; see the module doc."""

    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents
        self.found: list[Diagnostic] = []
        self._seen: set[tuple[str, int, int, str, str]] = set()
        self._features: set[tuple[str, int, str]] = set()
        self.checked = 0
        self.kube_checked = 0
        """Kubernetes documents of the kinds ``convert`` writes, checked by ``core_model``."""
        self.workflows: list[Document] = []
        """GitHub Actions workflows among the inputs (not Tekton: the caller decides)."""
        self.index: dict[tuple[str, str], list[Document]] = {}

    # -- reporting --

    def report(
        self,
        doc: Document,
        path: PathKey,
        rule: str,
        message: str,
        hint: str = "",
        *,
        value: str | None = None,
        span: tuple[int, int] | None = None,
        key: bool = False,
        severity: str | None = None,
    ) -> None:
        if value is not None and span is not None:
            where = doc.source.locator.at(doc.yaml, path, value, span[0], span[1])
        elif key:
            where = doc.yaml.key_pos(path)
        else:
            where = doc.yaml.pos(path)
        level = severity or RULES[rule].severity
        seen = (where.file, where.line, where.col, rule, message)
        if seen in self._seen:
            return
        self._seen.add(seen)
        self.found.append(Diagnostic(where, message, hint, severity=level, rule=rule))

    def feature(self, doc: Document, path: PathKey, what: str, flag: str) -> None:
        """Once per document and feature: what to enable for it (an info, not an error)."""
        mark = (doc.source.display, doc.number, what)
        if mark in self._features:
            return
        self._features.add(mark)
        self.report(doc, path, "tekton/feature-flag", f"{what} needs {flag}")

    # -- driver --

    def run(self) -> None:
        parsed: list[Document] = []
        for doc in self.documents:
            if self._read(doc):
                parsed.append(doc)
        for doc in parsed:
            if doc.name:
                self.index.setdefault((doc.kind, doc.name), []).append(doc)
        for doc in parsed:
            self.checked += 1
            self._semantics(doc)

    def _read(self, doc: Document) -> bool:
        data = doc.yaml.data
        if not isinstance(data, dict):
            self.report(
                doc,
                (),
                "tekton/missing-field",
                "a resource must be a mapping with apiVersion and kind",
            )
            return False
        api, kind = data.get("apiVersion"), data.get("kind")
        if api is None and kind is None and "jobs" in data and "on" in data:
            # e.g. convert --shadow-compare's github-actions/ folder beside the resources
            self.workflows.append(doc)
            self.report(doc, (), "tekton/not-tekton", "a GitHub Actions workflow: skipped")
            return False
        if not isinstance(api, str) or not isinstance(kind, str):
            missing = "apiVersion" if not isinstance(api, str) else "kind"
            where: PathKey = (missing,) if missing in data else ()
            self.report(
                doc,
                where,
                "tekton/missing-field",
                f"`{missing}` must be set (as a string): kubectl refuses a document without it",
            )
            return False
        doc.api, doc.kind = api, kind
        group = api.split("/")[0] if "/" in api else ""
        if group not in m.TEKTON_GROUPS:
            core = CORE_KINDS.get((api, kind))
            if core is not None:
                self._core(doc, core)
            else:
                self.report(
                    doc, (), "tekton/not-tekton", f"{api} {kind} is not a Tekton kind: skipped"
                )
            return False
        if (api, kind) not in m.KINDS:
            self._unknown_kind(doc, api, kind)
            return False
        try:
            doc.resource = m.parse_document(doc.yaml)
        except InputError as exc:
            for diag in exc.diagnostics:
                self._schema(doc, diag)
            return False
        return True

    def _core(self, doc: Document, model: type[BaseModel]) -> None:
        """A Kubernetes kind ``convert`` writes: its fields checked as strictly as Tekton's."""
        self.kube_checked += 1
        try:
            model.model_validate(doc.yaml.data)
        except ValidationError as exc:
            for diag in m.model_diagnostics(exc, doc.yaml, model):
                self._schema(doc, diag)

    def _schema(self, doc: Document, diag: Diagnostic) -> None:
        seen = (diag.position.file, diag.position.line, diag.position.col, "tekton/schema", "")
        if (*seen[:4], diag.message) in self._seen:
            return
        self._seen.add((*seen[:4], diag.message))
        self.found.append(
            Diagnostic(
                diag.position, diag.message, diag.hint, severity="error", rule="tekton/schema"
            )
        )

    def _unknown_kind(self, doc: Document, api: str, kind: str) -> None:
        if (api, kind) in OLDER_APIS:
            current = sorted(a for (a, k) in m.KINDS if k == kind)
            self.report(
                doc,
                ("apiVersion",),
                "tekton/deprecated-api",
                f"{api} {kind} is an older API version: not checked",
                f"move it to {' or '.join(current)}",
            )
        elif (api, kind) in OTHER_SERVED:
            self.report(doc, ("kind",), "tekton/not-tekton", f"{api} {kind} is not checked")
        else:
            group = api.split("/")[0]
            known = sorted({f"{a} {k}" for (a, k) in m.KINDS if a.split("/")[0] == group})
            self.report(
                doc,
                ("kind",) if "kind" in doc.yaml.data else (),
                "tekton/unknown-kind",
                f"{api} {kind} is not a kind Tekton serves",
                "known: " + ", ".join(known),
            )

    @abstractmethod
    def _semantics(self, doc: Document) -> None:
        """The checks of a read document's kind (``validate.Validator`` dispatches them)."""

    # -- metadata and formats --

    def _metadata(self, doc: Document, meta: ObjectMeta) -> None:
        limit = names.RESOURCE_NAME_MAX
        if doc.kind == "EventListener":
            limit = names.EVENTLISTENER_NAME_MAX
        if meta.name is not None:
            if not names.is_dns1123_subdomain(meta.name):
                self.report(
                    doc,
                    ("metadata", "name"),
                    "tekton/invalid-name",
                    f'invalid resource name "{meta.name}": must be lower case letters, digits, '
                    "'-' and '.', starting and ending with a letter or digit",
                )
            elif len(meta.name) > limit:
                self.report(
                    doc,
                    ("metadata", "name"),
                    "tekton/invalid-name",
                    f'resource name "{meta.name}" is {len(meta.name)} characters; '
                    f"{doc.kind} names may have at most {limit}",
                )
        elif meta.generate_name is not None:
            if not names.is_dns1123_subdomain(meta.generate_name + "x"):
                self.report(
                    doc,
                    ("metadata", "generateName"),
                    "tekton/invalid-name",
                    f'invalid generateName "{meta.generate_name}": names made from it would not '
                    "be valid",
                )
        else:
            self.report(
                doc,
                ("metadata",),
                "tekton/missing-field",
                "metadata.name or generateName is required",
            )
        if meta.namespace is not None and not names.is_dns1123_label(meta.namespace):
            self.report(
                doc,
                ("metadata", "namespace"),
                "tekton/invalid-metadata",
                f'invalid namespace "{meta.namespace}": must be a DNS label',
            )
        for label, value in (meta.labels or {}).items():
            if not names.is_qualified_name(label):
                self.report(
                    doc,
                    ("metadata", "labels", label),
                    "tekton/invalid-metadata",
                    f'invalid label key "{label}"',
                    key=True,
                )
            if not names.is_label_value(value):
                self.report(
                    doc,
                    ("metadata", "labels", label),
                    "tekton/invalid-metadata",
                    f'invalid value for label "{label}": at most 63 letters, digits, '
                    "'-', '_' or '.', starting and ending with a letter or digit",
                )
        for annotation in meta.annotations or {}:
            if not names.is_qualified_name(annotation):
                self.report(
                    doc,
                    ("metadata", "annotations", annotation),
                    "tekton/invalid-metadata",
                    f'invalid annotation key "{annotation}"',
                    key=True,
                )

    def _quantities(self, doc: Document, data: Any, path: PathKey) -> None:
        """Resource amounts anywhere (steps, sidecars, pod templates, claims, emptyDir sizes)."""
        if isinstance(data, dict):
            for k, v in data.items():
                sub = (*path, k)
                amounts = k in ("limits", "requests") and len(path) >= 1
                amounts = amounts and path[-1] in ("computeResources", "resources")
                if amounts and isinstance(v, dict):
                    for name, amount in v.items():
                        if isinstance(amount, int | float | str) and not names.is_quantity(amount):
                            self.report(
                                doc,
                                (*sub, name),
                                "tekton/invalid-quantity",
                                f'"{amount}" is not a quantity',
                                "e.g. 500m, 2, 1Gi",
                            )
                elif k == "sizeLimit" and isinstance(v, str) and not names.is_quantity(v):
                    self.report(
                        doc, sub, "tekton/invalid-quantity", f'"{v}" is not a quantity', "e.g. 1Gi"
                    )
                elif k not in ("resourcetemplates", "status", "managedFields"):
                    self._quantities(doc, v, sub)
        elif isinstance(data, list):
            for i, item in enumerate(data):
                self._quantities(doc, item, (*path, i))

    def duration(self, doc: Document, path: PathKey, text: str | None) -> float | None:
        """Seconds of a Go duration field; a value Go cannot parse is reported."""
        if text is None:
            return None
        if text.startswith("$("):
            return None
        seconds = names.parse_go_duration(text)
        if seconds is None:
            self.report(
                doc,
                path,
                "tekton/invalid-duration",
                f'"{text}" is not a duration',
                "Go durations look like 90s, 1h30m, 0 (no timeout)",
            )
        elif seconds < 0:
            self.report(doc, path, "tekton/invalid-value", f'timeout "{text}" must not be negative')
        return seconds

    # -- shared pieces --

    def problems(self, doc: Document, path: PathKey, value: str, found: Iterable[Problem]) -> None:
        for problem in found:
            self.report(
                doc,
                path,
                problem.rule,
                problem.message,
                problem.hint,
                value=value,
                span=(problem.start, problem.end),
                severity=problem.severity or None,
            )

    def param_specs(self, doc: Document, path: PathKey, specs: list[m.ParamSpec] | None) -> None:
        """Declared params: types, defaults, object properties, names, duplicates, enums."""
        seen: set[str] = set()
        for i, spec in enumerate(specs or []):
            here = (*path, i)
            if spec.name in seen:
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/duplicate-param",
                    f'param "{spec.name}" is declared more than once',
                )
            seen.add(spec.name)
            ptype = param_type(spec)
            if ptype not in ("string", "array", "object"):
                self.report(
                    doc,
                    (*here, "type"),
                    "tekton/invalid-value",
                    f'param type "{ptype}" is not one of string, array, object',
                )
                continue
            if spec.default is not None and value_type(spec.default) != ptype:
                self.report(
                    doc,
                    (*here, "default"),
                    "tekton/invalid-value",
                    f'param "{spec.name}" is of type {ptype} but its default is '
                    f"{article(value_type(spec.default))}",
                )
            if ptype == "object":
                if spec.properties is None:
                    self.report(
                        doc,
                        here,
                        "tekton/missing-field",
                        f'object param "{spec.name}" needs `properties`',
                    )
                for key, prop in (spec.properties or {}).items():
                    if prop.type not in (None, "string"):
                        self.report(
                            doc,
                            (*here, "properties", key, "type"),
                            "tekton/invalid-value",
                            f'property "{key}" of "{spec.name}" must be of type string',
                        )
                    if not names.is_object_param_name(key):
                        self.report(
                            doc,
                            (*here, "properties", key),
                            "tekton/invalid-name",
                            f'invalid key "{key}" of object param "{spec.name}"',
                            "letters, digits, '-' and '_', starting with a letter or '_'",
                            key=True,
                        )
                if not names.is_object_param_name(spec.name):
                    self.report(
                        doc,
                        (*here, "name"),
                        "tekton/invalid-name",
                        f'invalid object param name "{spec.name}"',
                        "letters, digits, '-' and '_', starting with a letter or '_'",
                    )
            elif not names.is_param_name(spec.name):
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/invalid-name",
                    f'invalid param name "{spec.name}"',
                    "letters, digits, '-', '_' and '.', starting with a letter or '_'",
                )
            if spec.enum:
                self.feature(doc, (*here, "enum"), "param enum", 'enable-param-enum: "true"')
                if ptype != "string":
                    self.report(
                        doc,
                        (*here, "enum"),
                        "tekton/invalid-value",
                        "enum can only be set on a string param",
                    )
                if len(set(spec.enum)) != len(spec.enum):
                    self.report(doc, (*here, "enum"), "tekton/invalid-value", "enum values repeat")
                if isinstance(spec.default, str) and spec.default and spec.default not in spec.enum:
                    self.report(
                        doc,
                        (*here, "default"),
                        "tekton/invalid-value",
                        f'default "{spec.default}" is not in the enum',
                    )

    def validate_ref(
        self,
        doc: Document,
        path: PathKey,
        name: str | None,
        resolver: str | None,
        params: list[m.Param] | None,
    ) -> None:
        """taskRef, pipelineRef and step ref: a name, or a resolver with params (validateRef)."""
        if resolver or params is not None:
            if params is not None:
                if name:
                    self.report(
                        doc,
                        (*path, "name"),
                        "tekton/invalid-ref",
                        "a ref has either a name or resolver params, not both",
                    )
                if not resolver:
                    self.report(doc, path, "tekton/invalid-ref", "ref params need a `resolver`")
                self._duplicate_params(doc, (*path, "params"), params, fold_case=True)
            if resolver:
                self.feature(
                    doc,
                    (*path, "resolver"),
                    "remote resolution (resolver)",
                    "enable-api-fields: beta",
                )
                if name:
                    if _looks_like_url(name):
                        self.feature(
                            doc,
                            (*path, "name"),
                            "a resolver reference by URL",
                            'enable-concise-resolver-syntax: "true"',
                        )
                    else:
                        self.report(
                            doc,
                            (*path, "name"),
                            "tekton/invalid-ref",
                            f'with a resolver, name must be a URL, not "{name}"',
                        )
        elif name:
            if _looks_like_url(name):
                self.report(doc, path, "tekton/invalid-ref", "a ref by URL needs a `resolver`")
            elif not names.is_qualified_name(name):
                self.report(
                    doc,
                    (*path, "name"),
                    "tekton/invalid-ref",
                    f"invalid name \"{name}\": letters, digits, '-', '_' and '.'",
                )
        else:
            self.report(doc, path, "tekton/invalid-ref", "a ref needs a `name` or a `resolver`")

    def _duplicate_params(
        self, doc: Document, path: PathKey, params: list[m.Param] | None, *, fold_case: bool
    ) -> None:
        seen: set[str] = set()
        for i, param in enumerate(params or []):
            key = param.name.lower() if fold_case else param.name
            if key in seen:
                self.report(
                    doc,
                    (*path, i, "name"),
                    "tekton/duplicate-param",
                    f'param "{param.name}" is given more than once',
                )
            seen.add(key)

    # -- cross-file lookups --

    def resolve(self, doc: Document, kind: str, name: str | None) -> Document | None:
        """The resource of that kind and name in the files, nearest to ``doc``; None if unsure."""
        if not name:
            return None
        candidates = self.index.get((kind, name), [])
        if not candidates:
            return None
        here = Path(doc.source.display).parent.parts
        scored = sorted(
            ((_shared_prefix(here, Path(c.source.display).parent.parts), c) for c in candidates),
            key=lambda pair: -pair[0],
        )
        best = scored[0][0]
        top = [c for score, c in scored if score == best]
        if len(top) > 1:
            same_file = [c for c in top if c.source is doc.source]
            return same_file[0] if len(same_file) == 1 else None
        return top[0]


# --- helpers (shared by the checks of every kind) --------------------------------------------


def article(word: str) -> str:
    """``word`` with its indefinite article, for messages ("an array", "a string")."""
    return ("an " if word[0] in "aeiou" else "a ") + word


def _looks_like_url(name: str) -> bool:
    return re.search(r"[\w-]+://*", name) is not None


def _shared_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def param_type(spec: m.ParamSpec) -> str:
    """The type Tekton's defaulting gives a param (ParamSpec.SetDefaults)."""
    if spec.type:
        return spec.type
    if spec.properties is not None:
        return "object"
    if spec.default is None:
        return "string"
    return value_type(spec.default)


def value_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def declare_specs(
    scope: ParamScope, specs: Iterable[m.ParamSpec], *, override: bool = True
) -> None:
    """Declared params into ``scope``, with their types and object keys."""
    for spec in specs:
        if not override and spec.name in scope.types:
            continue
        ptype = param_type(spec)
        keys = set(spec.properties or {})
        if isinstance(spec.default, dict):
            keys |= set(spec.default)
        scope.declare(spec.name, ptype, keys)


def declare_values(scope: ParamScope, params: Iterable[m.Param], *, override: bool = False) -> None:
    """Params known from values given; object values add their keys (appendPipelineTaskParams)."""
    for param in params:
        keys = set(param.value) if isinstance(param.value, dict) else set()
        if param.name in scope.types and not override:
            if scope.types[param.name] == "object" and keys:
                scope.keys[param.name] = scope.keys.get(param.name, frozenset()) | keys
            continue
        scope.declare(param.name, value_type(param.value), keys)
