"""Load workflow and action files into the models, with every problem tied to file:line:col.

pydantic reports errors by ``loc`` path; the YAML layer kept the position of every path, so each
error lands on the line a person has to change. After the shape checks come the checks GitHub does
across the file: ``needs`` targets exist and form no cycle, step ids are unique, expressions parse,
matrices expand.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ghtotekton.errors import Diagnostic, InputError
from ghtotekton.github import model as m
from ghtotekton.pydantic_errors import (
    Shapes,
    data_path,
    dotted,
    kind_of,
    order,
    validate_document,
    validation_diagnostics,
    value_at,
)
from ghtotekton.yamlsource import PathKey, YamlDocument, load_yaml_bytes, load_yaml_file


@dataclass(slots=True)
class LoadedWorkflow:
    """A workflow that passed every check, with its source kept for positions."""

    path: Path
    display: str
    doc: YamlDocument
    workflow: m.Workflow
    warnings: list[Diagnostic] = field(default_factory=list)

    def events(self) -> list[str]:
        """The workflow's events in the order the file lists them."""
        events = self.workflow.on.events()
        raw = self.doc.data.get("on") if isinstance(self.doc.data, dict) else None
        if isinstance(raw, dict):
            order = list(raw)
        elif isinstance(raw, list):
            order = [e for e in raw if isinstance(e, str)]
        else:
            order = [raw] if isinstance(raw, str) else []
        return sorted(events, key=lambda e: order.index(e) if e in order else len(order))


@dataclass(slots=True)
class LoadedAction:
    """A local ``action.yml`` that passed every check."""

    path: Path
    display: str
    doc: YamlDocument
    action: m.Action
    warnings: list[Diagnostic] = field(default_factory=list)


def load_workflow(path: Path, display: str | None = None) -> LoadedWorkflow:
    """Read and check one workflow file; raises InputError carrying every error found."""
    name = display or str(path)
    return workflow_from_document(load_yaml_file(path, name), path)


def load_workflow_text(text: str, display: str = "workflow.yml") -> LoadedWorkflow:
    """Same as :func:`load_workflow` for text in memory (tests, ``check``)."""
    return workflow_from_document(load_yaml_bytes(text, display), Path(display))


def workflow_from_document(doc: YamlDocument, path: Path) -> LoadedWorkflow:
    if doc.data is None:
        raise InputError(
            Diagnostic(doc.pos(()), "empty file", "a workflow needs at least `on` and `jobs`")
        )
    if not isinstance(doc.data, dict):
        raise InputError(
            Diagnostic(
                doc.pos(()),
                f"a workflow must be a mapping, not {kind_of(doc.data, quote=False)}",
                "start with keys such as `name:`, `on:` and `jobs:`",
            )
        )
    doc, warnings = _lenient_events(doc)
    workflow = validate_document(m.Workflow, doc, WORKFLOW_SHAPES)
    _stamp_positions(workflow, doc)
    errors: list[Diagnostic] = []
    errors.extend(check_needs(workflow, doc))
    errors.extend(_check_step_ids(workflow, doc))
    from ghtotekton.github.semantics import check_workflow_semantics

    sem_errors, sem_warnings = check_workflow_semantics(workflow, doc)
    errors.extend(sem_errors)
    warnings.extend(sem_warnings)
    warnings.extend(number_warnings(doc))
    if errors:
        raise InputError(sorted(errors, key=order))
    return LoadedWorkflow(path, doc.file, doc, workflow, warnings)


def load_action(path: Path, display: str | None = None) -> LoadedAction:
    """Read and check one ``action.yml``."""
    name = display or str(path)
    doc = load_yaml_file(path, name)
    if not isinstance(doc.data, dict):
        raise InputError(
            Diagnostic(
                doc.pos(()),
                f"an action file must be a mapping, not {kind_of(doc.data, quote=False)}",
                "an action.yml has `name`, `inputs` and `runs`",
            )
        )
    action, lenient = _validate_action(doc)
    if isinstance(action.runs, m.CompositeRuns):
        for i, step in enumerate(action.runs.steps):
            step.pos = doc.pos(("runs", "steps", i))
    return LoadedAction(path, doc.file, doc, action, lenient + number_warnings(doc))


def _lenient_events(doc: YamlDocument) -> tuple[YamlDocument, list[Diagnostic]]:
    """Unknown keys inside an event's settings (``workflow_dispatch: {paths: ...}``) are
    warnings: GitHub runs such workflows and ignores the key, so refusing them would refuse
    workflows that run. Everywhere else an unknown key stays an error, as on GitHub."""
    try:
        m.Workflow.model_validate(doc.data)
        return doc, []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    unknown = [
        e
        for e in errors
        if e["type"] == "extra_forbidden" and len(e["loc"]) >= 3 and e["loc"][0] == "on"
    ]
    if not unknown:
        return doc, []
    warnings: list[Diagnostic] = []
    trimmed = copy.deepcopy(doc.data)
    for err in unknown:
        try:
            *parent, key = data_path(err["loc"], doc.data)
        except (KeyError, IndexError, TypeError):
            continue
        holder = value_at(trimmed, tuple(parent))
        if not isinstance(holder, dict) or key not in holder:
            continue
        holder.pop(key)
        event = dotted(tuple(parent))
        warnings.append(
            Diagnostic(
                doc.key_pos((*parent, key)),
                f'unexpected key "{key}" for `{event}` (ignored, as GitHub does)',
                severity="warning",
                rule="syntax",
            )
        )
    return YamlDocument(doc.file, trimmed, doc.positions, doc.key_positions), warnings


def _validate_action(doc: YamlDocument) -> tuple[m.Action, list[Diagnostic]]:
    """Validate an action file; unknown keys are warnings there.

    GitHub's runner reads action metadata leniently (real actions carry keys such as an input's
    ``type`` or a top-level ``permissions`` that it ignores), so refusing them would refuse
    actions that work.
    """
    try:
        return m.Action.model_validate(doc.data), []
    except ValidationError as exc:
        first_error = exc
    unknown = [e for e in first_error.errors(include_url=False) if e["type"] == "extra_forbidden"]
    if len(unknown) != first_error.error_count():
        raise InputError(validation_diagnostics(first_error, doc, ACTION_SHAPES))
    warnings = [
        Diagnostic(d.position, d.message + " (ignored, as GitHub does)", d.hint, "warning", d.rule)
        for d in validation_diagnostics(first_error, doc, ACTION_SHAPES)
    ]
    trimmed = copy.deepcopy(doc.data)
    for err in unknown:
        *parent, key = data_path(err["loc"], doc.data)
        holder = value_at(trimmed, tuple(parent))
        holder.pop(key, None)
    trimmed_doc = YamlDocument(doc.file, trimmed, doc.positions, doc.key_positions)
    return validate_document(m.Action, trimmed_doc, ACTION_SHAPES), warnings


# --- pydantic errors -> positioned diagnostics ---------------------------------------------------


# Which model sits at a path of a workflow (for "expected one of" hints on unknown keys).
WORKFLOW_SHAPES: Shapes = [
    ((), m.Workflow, "workflow"),
    (("on",), m.Triggers, "`on` (events)"),
    (("on", "push"), m.PushFilter, "`push`"),
    (("on", "pull_request"), m.PullRequestFilter, "`pull_request`"),
    (("on", "pull_request_target"), m.PullRequestFilter, "`pull_request_target`"),
    (("on", "workflow_dispatch"), m.WorkflowDispatch, "`workflow_dispatch`"),
    (("on", "workflow_dispatch", "inputs", "*"), m.DispatchInput, "workflow_dispatch input"),
    (("on", "workflow_call"), m.WorkflowCall, "`workflow_call`"),
    (("on", "workflow_call", "inputs", "*"), m.CallInput, "workflow_call input"),
    (("on", "workflow_call", "outputs", "*"), m.CallOutput, "workflow_call output"),
    (("on", "workflow_call", "secrets", "*"), m.CallSecret, "workflow_call secret"),
    (("on", "workflow_run"), m.WorkflowRunFilter, "`workflow_run`"),
    (("on", "merge_group"), m.MergeGroupFilter, "`merge_group`"),
    (("on", "schedule", "#"), m.Schedule, "`schedule` entry"),
    (("on", "*"), m.TypesFilter, "event"),
    (("defaults",), m.Defaults, "`defaults`"),
    (("defaults", "run"), m.RunDefaults, "`defaults.run`"),
    (("concurrency",), m.Concurrency, "`concurrency`"),
    (("jobs", "*"), m.Job, "job"),
    (("jobs", "*", "steps", "#"), m.Step, "step"),
    (("jobs", "*", "strategy"), m.Strategy, "`strategy`"),
    (("jobs", "*", "container"), m.Container, "`container`"),
    (("jobs", "*", "container", "credentials"), m.Credentials, "`credentials`"),
    (("jobs", "*", "services", "*"), m.Container, "service container"),
    (("jobs", "*", "services", "*", "credentials"), m.Credentials, "`credentials`"),
    (("jobs", "*", "defaults"), m.Defaults, "`defaults`"),
    (("jobs", "*", "defaults", "run"), m.RunDefaults, "`defaults.run`"),
    (("jobs", "*", "environment"), m.Environment, "`environment`"),
    (("jobs", "*", "concurrency"), m.Concurrency, "`concurrency`"),
    (("jobs", "*", "runs-on"), m.RunsOnGroup, "`runs-on`"),
]
ACTION_SHAPES: Shapes = [
    ((), m.Action, "action"),
    (("inputs", "*"), m.ActionInput, "action input"),
    (("outputs", "*"), m.ActionOutput, "action output"),
    (("runs",), m.CompositeRuns, "`runs`"),
    (("runs", "steps", "#"), m.CompositeStep, "composite step"),
    (("branding",), m.Branding, "`branding`"),
]


# --- checks across the file ------------------------------------------------------------------


def _stamp_positions(workflow: m.Workflow, doc: YamlDocument) -> None:
    for job_id, job in workflow.jobs.items():
        job.pos = doc.key_pos(("jobs", job_id))
        for i, step in enumerate(job.steps or []):
            step.pos = doc.pos(("jobs", job_id, "steps", i))


def check_needs(workflow: m.Workflow, doc: YamlDocument) -> list[Diagnostic]:
    """``needs`` names jobs of this workflow and forms no cycle, as GitHub requires."""
    out: list[Diagnostic] = []
    by_fold = {job_id.lower(): job_id for job_id in workflow.jobs}
    graph: dict[str, list[str]] = {}
    for job_id, job in workflow.jobs.items():
        targets: list[str] = []
        for i, need in enumerate(job.needs):
            where = (
                ("jobs", job_id, "needs", i)
                if _is_list_at(doc, ("jobs", job_id, "needs"))
                else (
                    "jobs",
                    job_id,
                    "needs",
                )
            )
            target = by_fold.get(need.lower())
            if target is None:
                out.append(
                    Diagnostic(
                        doc.pos(where),
                        f'job "{job_id}" needs "{need}", which is not a job of this workflow',
                        "known jobs: " + ", ".join(sorted(workflow.jobs)),
                        rule="job-needs",
                    )
                )
            elif target == job_id:
                out.append(
                    Diagnostic(doc.pos(where), f'job "{job_id}" needs itself', rule="job-needs")
                )
            else:
                targets.append(target)
        graph[job_id] = targets
    cycle = _find_cycle(graph)
    if cycle:
        first = cycle[0]
        out.append(
            Diagnostic(
                doc.pos(("jobs", first, "needs")),
                "jobs depend on each other in a cycle: " + " -> ".join([*cycle, first]),
                "remove one of these `needs` entries",
                rule="job-needs",
            )
        )
    return out


def _is_list_at(doc: YamlDocument, path: PathKey) -> bool:
    try:
        return isinstance(value_at(doc.data, path), list)
    except (KeyError, IndexError, TypeError):
        return False


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """The first cycle of a depth-first walk in source order (iterative: no recursion limit)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = [start]
        state[start] = 1
        while stack:
            node, idx = stack[-1]
            nexts = graph.get(node, [])
            if idx < len(nexts):
                stack[-1] = (node, idx + 1)
                nxt = nexts[idx]
                if state.get(nxt) == 1:
                    return trail[trail.index(nxt) :]
                if not state.get(nxt):
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    trail.append(nxt)
            else:
                state[node] = 2
                stack.pop()
                trail.pop()
    return None


def _check_step_ids(workflow: m.Workflow, doc: YamlDocument) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for job_id, job in workflow.jobs.items():
        seen: dict[str, int] = {}
        for i, step in enumerate(job.steps or []):
            if step.id is None or m.is_expression(step.id):
                continue
            if not m.JOB_ID_RE.match(step.id):
                out.append(
                    Diagnostic(
                        doc.pos(("jobs", job_id, "steps", i, "id")),
                        f'step id "{step.id}" must start with a letter or `_` and contain only '
                        "letters, digits, `-` and `_`",
                        rule="id",
                    )
                )
            folded = step.id.lower()
            if folded in seen:
                out.append(
                    Diagnostic(
                        doc.pos(("jobs", job_id, "steps", i, "id")),
                        f'step id "{step.id}" is used twice in job "{job_id}"',
                        f"the first is step {seen[folded] + 1}",
                        rule="id",
                    )
                )
            else:
                seen[folded] = i
    return out


def number_warnings(doc: YamlDocument) -> list[Diagnostic]:
    """``3.10`` in YAML is the number 3.1: GitHub reads it so, and people rarely mean it."""
    out: list[Diagnostic] = []
    for path, raw in doc.raw_scalars.items():
        value = value_at(doc.data, path)
        shown = m.scalar_text(value) if isinstance(value, float) else raw
        if isinstance(value, float) and shown != raw and raw.rstrip("0").rstrip(".") == shown:
            out.append(
                Diagnostic(
                    doc.pos(path),
                    f"{raw} is read as the number {shown}",
                    f"quote it ('{raw}') if you mean the text",
                    severity="warning",
                    rule="yaml-number",
                )
            )
    return out
