"""`ghtotekton validate`: Tekton's structural and admission-webhook rules, offline.

Two layers, as a cluster applies them. Structure: each document is read with the strict models of
``tekton.model`` (what the API server's schema would refuse). Semantics: the checks of Tekton's
webhooks (tektoncd/pipeline ``pkg/apis/pipeline/v1/*_validation.go``, tektoncd/triggers
``pkg/apis/triggers/v1beta1/*_validation.go``), plus the reconciler checks that fail a run at once
and can be decided from the files alone (a required param or workspace never given, a result no
task declares). Files are validated together, so a Pipeline's ``taskRef`` to a Task in the same set
is checked against that Task.

No false positives matters more than coverage: where Tekton propagates params and workspaces into
embedded specs, or leaves a question to the cluster (a Task not in the files), nothing is reported.

Every finding has a rule id (:data:`RULES`) and a position at the offending value; a substitution
inside a script is reported on its own line.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.tekton import model as m
from ghtotekton.tekton import triggers_model as tm
from ghtotekton.tekton import validate_names as names
from ghtotekton.tekton.k8s import ObjectMeta, Volume, VolumeMount
from ghtotekton.tekton.validate_refs import (
    ARGS,
    ELEMENT,
    PARAM_VALUE,
    STRING,
    Locator,
    ParamScope,
    PipelineGraph,
    Problem,
    StepRefs,
    container_strings,
    context_problems,
    expressions,
    fill_placeholders,
    find_cycle,
    find_vars,
    given_type,
    listing,
    param_problems,
    param_value_strings,
    pipeline_result_problems,
    pipeline_task_values,
    result_path_problems,
    result_refs,
    status_problems,
    step_extra_strings,
    steps_problems,
    task_spec_strings,
    tt_params,
    unknown_prefix_problems,
    volume_strings,
    walk_strings,
    when_strings,
    whole_reference,
    workspace_problems,
    workspaces_used,
)
from ghtotekton.yamlsource import PathKey, YamlDocument, load_yaml_documents, read_limited

# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: str  # "error" | "warning" | "info"
    summary: str


def _rules(*rules: tuple[str, str, str]) -> dict[str, Rule]:
    return {rid: Rule(rid, sev, text) for rid, sev, text in rules}


RULES: Final = _rules(
    ("tekton/unreadable", "error", "A file that cannot be read as YAML (exit code 2)."),
    ("tekton/schema", "error", "A field is unknown, misspelt or of the wrong type for its kind."),
    ("tekton/unknown-kind", "error", "A Tekton apiVersion and kind this Tekton does not serve."),
    ("tekton/deprecated-api", "warning", "An old Tekton API version; move it to the current one."),
    ("tekton/not-tekton", "info", "A document that is not a Tekton resource was skipped."),
    ("tekton/missing-field", "error", "A field Tekton requires is absent or empty."),
    ("tekton/invalid-name", "error", "A name Kubernetes or Tekton would refuse."),
    ("tekton/invalid-metadata", "error", "A namespace, label or annotation Kubernetes refuses."),
    ("tekton/invalid-value", "error", "A value outside the ones Tekton accepts."),
    ("tekton/invalid-duration", "error", "A duration Go's time.ParseDuration cannot read."),
    ("tekton/invalid-quantity", "error", "A resource quantity Kubernetes cannot read."),
    ("tekton/duplicate-step", "error", "Two steps of a task have the same name."),
    ("tekton/duplicate-param", "error", "A param is declared or given twice."),
    ("tekton/duplicate-result", "warning", "A result is declared twice."),
    ("tekton/duplicate-workspace", "error", "A workspace is declared or bound twice."),
    ("tekton/duplicate-task", "error", "Two pipeline tasks have the same name."),
    ("tekton/duplicate-volume", "error", "Two volumes of a task have the same name."),
    ("tekton/invalid-volume", "error", "A volume needs exactly one source."),
    ("tekton/workspace-mount-path", "error", "A workspace mounts where another mount already is."),
    ("tekton/ref-or-spec", "error", "Exactly one of the ref and the inline spec must be given."),
    ("tekton/invalid-ref", "error", "A taskRef, pipelineRef or step ref Tekton would refuse."),
    ("tekton/step-fields", "error", "Step fields that cannot go together (script and command...)."),
    (
        "tekton/unknown-param-ref",
        "error",
        "A $(params.x) names no param declared where it is used.",
    ),
    ("tekton/param-type-mismatch", "error", "A param is used in a way its type does not allow."),
    ("tekton/invalid-reference", "error", "A $(...) reference in a form Tekton refuses."),
    ("tekton/unknown-workspace-ref", "error", "A workspace reference names no declared workspace."),
    ("tekton/unknown-result-ref", "error", "A result reference names no declared result."),
    ("tekton/unknown-step-ref", "error", "A $(steps.x...) reference names no step of the task."),
    ("tekton/step-result-placement", "error", "Step results may be used in env, command, args."),
    ("tekton/unknown-task-ref", "error", "A runAfter or $(tasks.x...) names no pipeline task."),
    ("tekton/dependency-cycle", "error", "Pipeline tasks depend on each other in a cycle."),
    ("tekton/unknown-context-ref", "error", "A $(context.x) variable Tekton does not provide."),
    ("tekton/unknown-variable-prefix", "error", "A $(x...) in a pipeline task Tekton cannot fill."),
    ("tekton/execution-status-ref", "error", "Task status variables are only for finally tasks."),
    (
        "tekton/finally-result-ref",
        "error",
        "A finally task reads a result of another finally task.",
    ),
    ("tekton/finally-run-after", "error", "Finally tasks cannot have runAfter."),
    ("tekton/invalid-when", "error", "A when expression Tekton would refuse."),
    ("tekton/matrix-param", "error", "A matrix param that Tekton would refuse."),
    ("tekton/pipeline-result", "error", "A pipeline result must be made of task results."),
    ("tekton/missing-param", "error", "A required param (no default) is never given a value."),
    ("tekton/missing-workspace-binding", "error", "A required workspace is never bound."),
    (
        "tekton/workspace-not-declared",
        "error",
        "A workspace is bound that the Task does not declare.",
    ),
    ("tekton/unused-workspace-binding", "warning", "A bound workspace the inline task never uses."),
    ("tekton/workspace-binding", "error", "A workspace binding needs exactly one volume source."),
    ("tekton/invalid-timeout", "error", "Timeouts that do not fit inside each other."),
    ("tekton/param-in-script", "error", "A StepAction script cannot use $(params...)."),
    (
        "tekton/undeclared-tt-param",
        "error",
        "A $(tt.params.x) the TriggerTemplate does not declare.",
    ),
    ("tekton/invalid-trigger", "error", "An EventListener, Trigger or binding Triggers refuses."),
    ("tekton/feature-flag", "info", "A feature that needs a Tekton feature flag or API level."),
)

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


@dataclass(slots=True)
class Report:
    """What validating a set of files found."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    checked: int = 0
    bad_input: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, severity: str) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)


# --- reading files ----------------------------------------------------------------------------

YAML_SUFFIXES: Final = (".yaml", ".yml")


def collect_files(paths: Sequence[Path]) -> tuple[list[tuple[Path, str]], list[Diagnostic]]:
    """The files to read: given files as they are, folders searched for *.yaml and *.yml."""
    found: list[tuple[Path, str]] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix in YAML_SUFFIXES:
                    found.append((child, str(child)))
        elif path.exists():
            found.append((path, str(path)))
        else:
            problems.append(
                Diagnostic(Position(str(path)), "no such file or folder", rule="tekton/unreadable")
            )
    return found, problems


def load_documents(path: Path, display: str) -> tuple[SourceFile, list[YamlDocument]]:
    """Every document of a multi-document YAML file, with positions; bad YAML is an InputError."""
    raw = read_limited(path, display)
    docs = load_yaml_documents(raw, display)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
    return SourceFile(display, Locator(text.splitlines())), docs


# --- entry point ------------------------------------------------------------------------------


def validate_paths(paths: Sequence[Path]) -> Report:
    """Validate every Tekton document under ``paths`` together (cross-references included)."""
    started = time.perf_counter()
    files, problems = collect_files(paths)
    report = Report(files=len(files), bad_input=problems)
    documents: list[Document] = []
    for path, display in files:
        try:
            source, yaml_docs = load_documents(path, display)
        except InputError as exc:
            report.bad_input.extend(
                dataclasses.replace(d, rule=d.rule or "tekton/unreadable") for d in exc.diagnostics
            )
            continue
        for number, doc in enumerate(yaml_docs):
            if doc.data is not None:
                documents.append(Document(source, doc, number))
    report.documents = len(documents)
    validator = Validator(documents)
    validator.run()
    report.checked = validator.checked
    report.diagnostics = sorted(validator.found, key=order_key)
    report.seconds = time.perf_counter() - started
    return report


def validate_text(text: str, file: str = "<input>") -> list[Diagnostic]:
    """Validate YAML text (tests, and callers that build resources in memory)."""
    source = SourceFile(file, Locator(text.splitlines()))
    documents = [
        Document(source, doc, number)
        for number, doc in enumerate(load_yaml_documents(text, file))
        if doc.data is not None
    ]
    validator = Validator(documents)
    validator.run()
    return sorted(validator.found, key=order_key)


_SEVERITY_ORDER: Final = {"error": 0, "warning": 1, "info": 2}


def order_key(d: Diagnostic) -> tuple[str, int, int, int, str, str]:
    """Findings by file and place; at one place errors first."""
    pos = d.position
    return (pos.file, pos.line, pos.col, _SEVERITY_ORDER.get(d.severity, 3), d.rule, d.message)


# --- the validator ----------------------------------------------------------------------------

TASK_CONTEXT: Final = {
    "context\\.taskRun": frozenset({"name", "namespace", "uid"}),
    "context\\.task": frozenset({"name", "retry-count"}),
}
PIPELINE_CONTEXT: Final = {
    "context\\.pipelineRun": frozenset({"name", "namespace", "uid"}),
    "context\\.pipeline": frozenset({"name"}),
    "context\\.pipelineTask": frozenset({"retries"}),
}
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
MAX_MATRIX_COMBINATIONS: Final = 256
DEFAULT_TIMEOUT_S: Final = 3600.0
RESERVED_SIDECAR: Final = "tekton-log-results"


@dataclass(slots=True)
class TaskScope:
    """What a task spec's strings may reference, where it sits."""

    params: ParamScope
    workspaces: set[str]


class Validator:
    """Runs every check over a set of documents and collects the findings."""

    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents
        self.found: list[Diagnostic] = []
        self._seen: set[tuple[str, int, int, str, str]] = set()
        self._features: set[tuple[str, int, str]] = set()
        self.checked = 0
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
            self.report(doc, (), "tekton/not-tekton", f"{api} {kind} is not a Tekton kind: skipped")
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

    def _semantics(self, doc: Document) -> None:
        resource = doc.resource
        self._metadata(doc, resource.metadata)
        self._quantities(doc, doc.yaml.data, ())
        if isinstance(resource, m.Task):
            scope = TaskScope(ParamScope(), set())
            _declare_specs(scope.params, resource.spec.params or [])
            scope.workspaces = {w.name for w in resource.spec.workspaces or []}
            self.task_spec(doc, ("spec",), resource.spec, scope)
        elif isinstance(resource, m.StepAction):
            self.step_action(doc, resource.spec)
        elif isinstance(resource, m.Pipeline):
            self.pipeline(doc, ("spec",), resource.spec, run=None)
        elif isinstance(resource, m.PipelineRun):
            self.pipeline_run(doc, resource.spec)
        elif isinstance(resource, m.TaskRun):
            self.task_run(doc, resource.spec)
        elif isinstance(resource, tm.TriggerTemplate):
            self.trigger_template(doc, ("spec",), resource.spec)
        elif isinstance(resource, tm.TriggerBinding | tm.ClusterTriggerBinding):
            self.trigger_binding(doc, resource.spec)
        elif isinstance(resource, tm.Trigger):
            self.trigger(doc, resource.spec)
        elif isinstance(resource, tm.EventListener):
            self.event_listener(doc, resource)

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
                    f"{_article(value_type(spec.default))}",
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
        _declare_specs(scope, spec.params or [])
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
        _declare_specs(scope, spec.params or [])
        workspaces = {w.name for w in spec.workspaces or []}
        if run is not None:
            _declare_values(scope, run.params or [])
            for pt in (*tasks, *final):
                if pt.task_spec is not None:
                    _declare_specs(scope, pt.task_spec.params or [], override=False)
                _declare_values(scope, pt.params or [])
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
                _declare_specs(inner, pt.task_spec.params or [])
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
                    f'param "{param.name}" is declared {_article(expected)} but given '
                    f"{_article(got)}",
                )
        seen_matrix: set[str] = set()
        for where, name in matrix_names:
            if name in declared or name in seen_matrix:
                continue
            seen_matrix.add(name)
            self.report(
                doc,
                where,
                "tekton/matrix-param",
                f'matrix param "{name}" is not a param of the task',
                listing("declared", declared),
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
                    f'param "{param.name}" is declared {_article(expected)} but given '
                    f"{_article(got)}",
                )
        bound = {b.name for b in bindings}
        for ws in pipeline.workspaces or []:
            if not ws.optional and ws.name not in bound:
                self.report(
                    doc,
                    anchor,
                    "tekton/missing-workspace-binding",
                    f'the pipeline needs workspace "{ws.name}", which is not bound',
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
            _declare_values(scope, spec.params or [])
            _declare_specs(scope, spec.task_spec.params or [])
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
        for i, param in enumerate(spec.params or []):
            wanted = declared.get(param.name)
            if wanted is None:
                continue
            expected, got = param_type(wanted), value_type(param.value)
            if got != expected:
                self.report(
                    doc,
                    (*path, "params", i, "value"),
                    "tekton/param-type-mismatch",
                    f'param "{param.name}" is declared {_article(expected)} but given '
                    f"{_article(got)}",
                )
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

    # -- triggers --

    def trigger_template(self, doc: Document, path: PathKey, spec: tm.TriggerTemplateSpec) -> None:
        """Resource templates present, each a resource, every $(tt.params.x) declared; then each
        template is validated as a resource of its own, placeholders filled in."""
        templates = spec.resource_templates or []
        if not templates:
            self.report(
                doc,
                (*path, "resourcetemplates") if spec.resource_templates is not None else path,
                "tekton/missing-field",
                "a TriggerTemplate needs at least one resource template",
            )
        declared = {p.name for p in spec.params or []}
        seen: set[str] = set()
        for i, param in enumerate(spec.params or []):
            if param.name in seen:
                self.report(
                    doc,
                    (*path, "params", i, "name"),
                    "tekton/duplicate-param",
                    f'param "{param.name}" is declared more than once',
                )
            seen.add(param.name)
        for i, template in enumerate(templates):
            here = (*path, "resourcetemplates", i)
            for key in ("apiVersion", "kind"):
                if not isinstance(template.get(key), str) or not template.get(key):
                    self.report(
                        doc,
                        (*here, key) if key in template else here,
                        "tekton/missing-field",
                        f"a resource template needs `{key}` (a string)",
                    )
            for where, value in walk_strings(here, template):
                for start, end, name in tt_params(value):
                    if name not in declared:
                        self.report(
                            doc,
                            where,
                            "tekton/undeclared-tt-param",
                            f"$(tt.params.{name}) is not declared in the TriggerTemplate's params",
                            listing("declared", declared),
                            value=value,
                            span=(start, end),
                        )
            self.embedded(doc, here, template)

    def embedded(self, doc: Document, path: PathKey, template: dict[str, Any]) -> None:
        """Check a resource template as the resource Triggers will create from it."""
        if not m.is_tekton(template):
            return
        filled = fill_placeholders(template)
        n = len(path)
        sub = YamlDocument(
            file=doc.yaml.file,
            data=filled,
            positions={k[n:]: v for k, v in doc.yaml.positions.items() if k[:n] == path},
            key_positions={k[n:]: v for k, v in doc.yaml.key_positions.items() if k[:n] == path},
        )
        inner = Document(doc.source, sub, doc.number)
        if self._read(inner):
            self._semantics(inner)

    def trigger_binding(self, doc: Document, spec: tm.TriggerBindingSpec) -> None:
        path: PathKey = ("spec",)
        if not m.dump(spec):
            self.report(doc, path, "tekton/missing-field", "a TriggerBinding needs params")
        seen: set[str] = set()
        for i, param in enumerate(spec.params or []):
            here = (*path, "params", i)
            if param.name in seen:
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/duplicate-param",
                    f'param "{param.name}" is bound more than once',
                )
            seen.add(param.name)
            if not names.is_terminated(param.value):
                self.report(
                    doc,
                    (*here, "value"),
                    "tekton/invalid-trigger",
                    f'"{param.value}": a $( is not closed',
                )

    def trigger(self, doc: Document, spec: tm.TriggerSpec) -> None:
        path: PathKey = ("spec",)
        self.bindings(doc, (*path, "bindings"), spec.bindings)
        self.trigger_spec_template(doc, (*path, "template"), spec.template, required=True)
        self.interceptors(doc, (*path, "interceptors"), spec.interceptors)

    def bindings(
        self, doc: Document, path: PathKey, bindings: list[tm.TriggerSpecBinding] | None
    ) -> None:
        for i, binding in enumerate(bindings or []):
            here = (*path, i)
            if binding.ref:
                if binding.name:
                    self.report(
                        doc,
                        (*here, "name"),
                        "tekton/invalid-trigger",
                        "a binding has either a `ref` or a `name` and `value`, not both",
                    )
                elif binding.kind not in (None, "", "TriggerBinding", "ClusterTriggerBinding"):
                    self.report(
                        doc,
                        (*here, "kind"),
                        "tekton/invalid-trigger",
                        f'binding kind "{binding.kind}" must be TriggerBinding or '
                        "ClusterTriggerBinding",
                    )
            elif binding.name:
                if binding.value is None:
                    self.report(
                        doc, here, "tekton/invalid-trigger", "an inline binding needs a `value`"
                    )
            else:
                self.report(
                    doc, here, "tekton/invalid-trigger", "a binding needs a `ref` or a `name`"
                )

    def trigger_spec_template(
        self,
        doc: Document,
        path: PathKey,
        template: tm.TriggerSpecTemplate | None,
        *,
        required: bool,
    ) -> None:
        if template is None:
            if required:
                self.report(
                    doc, path[:-1], "tekton/invalid-trigger", "a trigger needs a `template`"
                )
            return
        if template.api_version not in (None, "", "v1alpha1", "v1beta1"):
            self.report(
                doc,
                (*path, "apiversion"),
                "tekton/invalid-trigger",
                f'template apiversion "{template.api_version}" must be v1alpha1 or v1beta1',
            )
        if template.spec is not None and template.ref is not None:
            self.report(
                doc,
                path,
                "tekton/invalid-trigger",
                "a template has either a `ref` or a `spec`, not both",
            )
        elif template.spec is not None:
            self.trigger_template(doc, (*path, "spec"), template.spec)
        elif not template.ref:
            self.report(doc, path, "tekton/invalid-trigger", "a template needs a `ref` or a `spec`")

    def interceptors(
        self, doc: Document, path: PathKey, interceptors: list[tm.TriggerInterceptor] | None
    ) -> None:
        for i, interceptor in enumerate(interceptors or []):
            here = (*path, i)
            webhook = interceptor.webhook
            if webhook is None:
                if interceptor.ref is None or not interceptor.ref.name:
                    self.report(
                        doc,
                        here,
                        "tekton/invalid-trigger",
                        "an interceptor needs a `ref` with a name (or a `webhook`)",
                    )
                continue
            obj = webhook.object_ref
            if obj is None:
                self.report(
                    doc,
                    (*here, "webhook"),
                    "tekton/invalid-trigger",
                    "a webhook interceptor needs an objectRef",
                )
            else:
                if obj.kind != "Service":
                    self.report(
                        doc,
                        (*here, "webhook", "objectRef"),
                        "tekton/invalid-trigger",
                        "a webhook interceptor's objectRef must be a Service",
                    )
                if obj.api_version != "v1":
                    self.report(
                        doc,
                        (*here, "webhook", "objectRef"),
                        "tekton/invalid-trigger",
                        "a webhook interceptor's objectRef needs apiVersion v1",
                    )
            for j, header in enumerate(webhook.header or []):
                if not header.name or names.canonical_header_key(header.name) != header.name:
                    self.report(
                        doc,
                        (*here, "webhook", "header", j, "name"),
                        "tekton/invalid-trigger",
                        f'header name "{header.name}" must be canonical, e.g. '
                        f'"{names.canonical_header_key(header.name) or "X-Header"}"',
                    )
                if not header.value:
                    self.report(
                        doc,
                        (*here, "webhook", "header", j, "value"),
                        "tekton/invalid-trigger",
                        "a header needs a value",
                    )

    def event_listener(self, doc: Document, listener: tm.EventListener) -> None:
        path: PathKey = ("spec",)
        spec = listener.spec
        annotations = listener.metadata.annotations or {}
        payload = annotations.get("tekton.dev/payload-validation")
        if payload is not None and payload not in ("true", "false"):
            self.report(
                doc,
                ("metadata", "annotations", "tekton.dev/payload-validation"),
                "tekton/invalid-trigger",
                "tekton.dev/payload-validation must be true or false",
            )
        selector = spec.namespace_selector
        if (
            spec.label_selector is None
            and not (selector and selector.match_names)
            and not spec.trigger_groups
            and not spec.triggers
        ):
            self.report(
                doc,
                path,
                "tekton/invalid-trigger",
                "an EventListener needs triggers, triggerGroups, a labelSelector or a "
                "namespaceSelector",
            )
        for i, trig in enumerate(spec.triggers or []):
            here = (*path, "triggers", i)
            if trig.template is None and not trig.trigger_ref:
                self.report(
                    doc,
                    here,
                    "tekton/invalid-trigger",
                    "a trigger needs a template or a triggerRef",
                )
            if trig.trigger_ref and (
                trig.template is not None or trig.bindings is not None or trig.interceptors
            ):
                self.report(
                    doc,
                    (*here, "triggerRef"),
                    "tekton/invalid-trigger",
                    "a trigger with triggerRef cannot also have template, bindings or interceptors",
                )
            self.bindings(doc, (*here, "bindings"), trig.bindings)
            self.trigger_spec_template(doc, (*here, "template"), trig.template, required=False)
            self.interceptors(doc, (*here, "interceptors"), trig.interceptors)
            if trig.name is not None and not names.is_label_value(trig.name):
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/invalid-name",
                    f'trigger name "{trig.name}" must be a valid label value',
                )
        resources = spec.resources
        if resources is not None and resources.kubernetes_resource and resources.custom_resource:
            self.report(
                doc,
                (*path, "resources"),
                "tekton/invalid-trigger",
                "resources has either kubernetesResource or customResource, not both",
            )
        if resources is not None and resources.kubernetes_resource is not None:
            replicas = resources.kubernetes_resource.replicas
            if replicas is not None and replicas < 0:
                self.report(
                    doc,
                    (*path, "resources", "kubernetesResource", "replicas"),
                    "tekton/invalid-value",
                    "replicas must be >= 0",
                )
        for i, group in enumerate(spec.trigger_groups or []):
            here = (*path, "triggerGroups", i)
            chosen = group.trigger_selector
            names_given = (
                chosen and chosen.namespace_selector and chosen.namespace_selector.match_names
            )
            if chosen is None or (chosen.label_selector is None and not names_given):
                self.report(
                    doc,
                    here,
                    "tekton/invalid-trigger",
                    "a trigger group needs triggerSelector.labelSelector or namespaceSelector",
                )
            if not group.interceptors:
                self.report(
                    doc, here, "tekton/invalid-trigger", "a trigger group needs interceptors"
                )
            self.interceptors(doc, (*here, "interceptors"), group.interceptors)


# --- helpers ----------------------------------------------------------------------------------

_STEP_RESULT_VALUE = re.compile(r"\$\(steps\.(.*?)\.results\.(.*?)\)")


def _article(word: str) -> str:
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


def _declare_specs(
    scope: ParamScope, specs: Iterable[m.ParamSpec], *, override: bool = True
) -> None:
    for spec in specs:
        if not override and spec.name in scope.types:
            continue
        ptype = param_type(spec)
        keys = set(spec.properties or {})
        if isinstance(spec.default, dict):
            keys |= set(spec.default)
        scope.declare(spec.name, ptype, keys)


def _declare_values(
    scope: ParamScope, params: Iterable[m.Param], *, override: bool = False
) -> None:
    """Params known from values given; object values add their keys (appendPipelineTaskParams)."""
    for param in params:
        keys = set(param.value) if isinstance(param.value, dict) else set()
        if param.name in scope.types and not override:
            if scope.types[param.name] == "object" and keys:
                scope.keys[param.name] = scope.keys.get(param.name, frozenset()) | keys
            continue
        scope.declare(param.name, value_type(param.value), keys)


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
