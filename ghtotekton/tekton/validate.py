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

This module is the entry point: reading files, :func:`validate_paths` and :func:`validate_text`,
and :class:`Validator`, assembled from the checks of ``validate_core`` (reporting, reading, what all
kinds share), ``validate_tasks``, ``validate_pipelines``, ``validate_runs`` and
``validate_triggers``; the rule catalogue is ``validate_rules``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.tekton import model as m
from ghtotekton.tekton import triggers_model as tm
from ghtotekton.tekton.validate_core import Document, SourceFile, declare_specs
from ghtotekton.tekton.validate_pipelines import PipelineChecks
from ghtotekton.tekton.validate_refs import Locator, ParamScope
from ghtotekton.tekton.validate_rules import RULES, Rule
from ghtotekton.tekton.validate_runs import RunChecks
from ghtotekton.tekton.validate_runtime import COSCHEDULE_MODES, ClusterSettings, RuntimeChecks
from ghtotekton.tekton.validate_tasks import TaskChecks, TaskScope
from ghtotekton.tekton.validate_triggers import TriggerChecks
from ghtotekton.yamlsource import PathKey, YamlDocument, load_yaml_documents, read_limited

__all__ = [
    "COSCHEDULE_MODES",
    "RULES",
    "YAML_SUFFIXES",
    "ClusterSettings",
    "Document",
    "Report",
    "Rule",
    "SourceFile",
    "Validator",
    "collect_files",
    "load_documents",
    "order_key",
    "validate_paths",
    "validate_text",
]

# --- the report -------------------------------------------------------------------------------


@dataclass(slots=True)
class Report:
    """What validating a set of files found."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    checked: int = 0
    kube_checked: int = 0
    """Kubernetes documents of the kinds ``convert`` writes (RBAC, ConfigMap, CronJob, ...)."""
    workflows: list[str] = field(default_factory=list)
    """Files holding GitHub Actions workflows, which are not Tekton input."""
    inputs: list[Path] = field(default_factory=list)
    """The paths given, as given."""
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


def validate_paths(paths: Sequence[Path], settings: ClusterSettings | None = None) -> Report:
    """Validate every Tekton document under ``paths`` together (cross-references included),
    for a cluster set as ``settings`` says (Tekton's defaults when None)."""
    started = time.perf_counter()
    files, problems = collect_files(paths)
    report = Report(files=len(files), bad_input=problems, inputs=list(paths))
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
    validator = Validator(documents, settings)
    validator.run()
    report.checked = validator.checked
    report.kube_checked = validator.kube_checked
    report.workflows = sorted({d.source.display for d in validator.workflows})
    report.diagnostics = sorted(validator.found, key=order_key)
    report.seconds = time.perf_counter() - started
    return report


def validate_text(
    text: str, file: str = "<input>", settings: ClusterSettings | None = None
) -> list[Diagnostic]:
    """Validate YAML text (tests, and callers that build resources in memory)."""
    source = SourceFile(file, Locator(text.splitlines()))
    documents = [
        Document(source, doc, number)
        for number, doc in enumerate(load_yaml_documents(text, file))
        if doc.data is not None
    ]
    validator = Validator(documents, settings)
    validator.run()
    return sorted(validator.found, key=order_key)


_SEVERITY_ORDER: Final = {"error": 0, "warning": 1, "info": 2}


def order_key(d: Diagnostic) -> tuple[str, int, int, int, str, str]:
    """Findings by file and place; at one place errors first."""
    pos = d.position
    return (pos.file, pos.line, pos.col, _SEVERITY_ORDER.get(d.severity, 3), d.rule, d.message)


# --- the validator ----------------------------------------------------------------------------


class Validator(TriggerChecks, RunChecks, PipelineChecks, TaskChecks, RuntimeChecks):
    """Runs every check over a set of documents and collects the findings.

    The checks live in mixins, one module per family of kinds (``validate_tasks``,
    ``validate_pipelines``, ``validate_runs``, ``validate_triggers``, and ``validate_runtime`` for
    what the controller decides when a run starts) on the base of ``validate_core``; this class
    puts them together and sends each document to its kind's checks.
    """

    def __init__(self, documents: list[Document], settings: ClusterSettings | None = None) -> None:
        super().__init__(documents)
        self.settings = settings or ClusterSettings()

    def task_spec(self, doc: Document, path: PathKey, spec: m.TaskSpec, scope: TaskScope) -> None:
        super().task_spec(doc, path, spec, scope)
        self.runtime_task_spec(doc, path, spec)

    def pipeline_run(self, doc: Document, spec: m.PipelineRunSpec) -> None:
        super().pipeline_run(doc, spec)
        pipeline = spec.pipeline_spec
        ref = spec.pipeline_ref
        if pipeline is None and ref is not None and not ref.resolver and not ref.api_version:
            target = self.resolve(doc, "Pipeline", ref.name)
            pipeline = target.resource.spec if target is not None else None
        self.runtime_pipeline_run(doc, spec, pipeline)

    def task_run(self, doc: Document, spec: m.TaskRunSpec) -> None:
        super().task_run(doc, spec)
        self.runtime_task_run(doc, spec)

    def _semantics(self, doc: Document) -> None:
        resource = doc.resource
        self._metadata(doc, resource.metadata)
        self._quantities(doc, doc.yaml.data, ())
        if isinstance(resource, m.Task):
            scope = TaskScope(ParamScope(), set())
            declare_specs(scope.params, resource.spec.params or [])
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
