"""Local reusable workflows (``uses: ./.github/workflows/x.yml``) inlined as pipeline tasks.

GitHub runs a called workflow's jobs as if they were jobs of the caller, named ``caller / job``.
Tekton has no call between Pipelines that a PipelineRun can wait on (pipelines-in-pipelines is
alpha), so the faithful form is the same as GitHub's: the called jobs become pipeline tasks of the
caller's Pipeline, prefixed with the calling job's name. What crosses the call boundary is rewired:

* ``inputs.*`` of the called workflow are the caller's ``with:`` values (or the input defaults),
  passed as pipeline-task params instead of Pipeline params;
* ``secrets.*`` are renamed to what the caller passes (``inherit`` keeps the names);
* jobs that ``needs:`` the calling job run after the called workflow's last tasks, and
  ``needs.<caller>.outputs.*`` read the task results the called ``workflow_call.outputs`` name.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from ghtotekton.convert import expressions as cx
from ghtotekton.convert.findings import Finding, JobOutcome
from ghtotekton.convert.jobs import (
    NEVER,
    JobConversion,
    _result_name,
    convert_job,
    shell_task,
)
from ghtotekton.convert.naming import dns_label, env_name, param_name, unique
from ghtotekton.convert.rules import RuleSet
from ghtotekton.errors import Position
from ghtotekton.github import expressions as ex
from ghtotekton.github import model as m
from ghtotekton.github.loader import LoadedWorkflow
from ghtotekton.github.matrix import MatrixError, expand_matrix
from ghtotekton.github.repository import Repository

MAX_DEPTH = 4
"""GitHub allows a chain of at most four levels of called workflows."""

_INPUT_PARAM = re.compile(r"\$\(params\.inputs-([A-Za-z0-9_.-]+)\)")
_TASK_RESULT = re.compile(r"\$\(tasks\.([a-z0-9-]+)\.results\.([A-Za-z0-9_.-]+)\)")
_TASK_STATUS = re.compile(r"\$\(tasks\.([a-z0-9-]+)\.status\)")


@dataclass(slots=True)
class InlinedCall:
    """What inlining one calling job produced."""

    outcome: JobOutcome
    jobs: list[JobConversion] = field(default_factory=list)
    outcomes: list[JobOutcome] = field(default_factory=list)
    leaves: list[str] = field(default_factory=list)
    """Pipeline tasks that end the called workflow: what ``needs: <caller>`` waits for."""
    outputs: dict[str, str] = field(default_factory=dict)
    """``workflow_call`` output name -> the Tekton value it reads (a task result)."""
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Pipeline params the rewired values need (``github-*``, the caller's own inputs)."""
    nested: dict[str, InlinedCall] = field(default_factory=dict)
    values: _Values | None = None
    """The task that computes computed ``with:`` values, when the call has any."""
    untranslated: list[str] = field(default_factory=list)
    """``with:`` values that have no Tekton value at the pipeline level (computed, or a matrix
    known only at run time): the inlined tasks then never run."""


def find_target(loaded: LoadedWorkflow, job: m.Job, repo: Repository | None) -> str | None:
    """The loaded called workflow's key, when the call is local and it loaded."""
    if repo is None or job.pos is None:
        return None
    for link in repo.links:
        if link.kind == "workflow" and link.status == "ok" and link.source == job.pos:
            return link.target if link.target in repo.workflows else None
    return None


@dataclass(frozen=True, slots=True)
class _Site:
    """Where a call is inlined: the calling workflow and what its conversion has taken so far."""

    loaded: LoadedWorkflow
    task_names: dict[str, str]
    """The calling workflow's job ids -> their pipeline task names."""
    pipeline_name: str
    rules: RuleSet
    repo: Repository
    taken_tasks: set[str]
    """Task resource names used in this output."""
    pt_taken: set[str]
    """Pipeline task names used in the Pipeline."""
    depth: int = 1


def inline_call(
    loaded: LoadedWorkflow,
    job_id: str,
    job: m.Job,
    pt_name: str,
    caller_task_names: dict[str, str],
    pipeline_name: str,
    rules: RuleSet,
    repo: Repository,
    taken_tasks: set[str],
    pt_taken: set[str],
) -> InlinedCall | None:
    """Convert the jobs of the workflow ``job`` calls, or None when it cannot be inlined."""
    site = _Site(loaded, caller_task_names, pipeline_name, rules, repo, taken_tasks, pt_taken)
    return _inline(site, job_id, job, pt_name)


def _inline(site: _Site, job_id: str, job: m.Job, pt_name: str) -> InlinedCall | None:
    loaded, repo, pt_taken = site.loaded, site.repo, site.pt_taken
    target = find_target(loaded, job, repo)
    if target is None:
        return None
    cells = _cells(job)
    if cells:
        return _inline_cells(site, cells, job_id, job, pt_name)
    called = repo.workflows[target]
    where = job.pos or Position(loaded.display)
    outcome = JobOutcome(job_id, where, pt_name, "")
    result = InlinedCall(outcome)
    if site.depth > MAX_DEPTH:
        outcome.findings.append(
            Finding(
                "unsupported",
                f"`{job.uses}` is called more than {MAX_DEPTH} levels deep; GitHub refuses this",
                where,
            )
        )
        return result
    outcome.findings.append(
        Finding(
            "converted",
            f"calls `{job.uses}`: its jobs are inlined as pipeline tasks `{pt_name}-*`",
            where,
        )
    )
    gate = _call_gate(site, job_id, job, pt_name)
    outcome.findings.extend(gate.findings)
    result.values = _Values(unique(dns_label(f"{pt_name}-inputs"), set(pt_taken)))
    values = _input_values(called, job, site.task_names, result, where)
    if result.values.results:
        pt_taken.add(result.values.name)
    else:
        result.values = None
    secret_names = _secret_names(job)
    inner_names = {
        cid: unique(dns_label(f"{pt_name}-{cid}"), pt_taken) for cid in called.workflow.jobs
    }
    prefix = f"{site.pipeline_name}-{job_id}"
    outer_needs = [site.task_names[n] for n in _needs(job) if n in site.task_names]
    inner = dataclasses.replace(
        site, loaded=called, task_names=inner_names, pipeline_name=prefix, depth=site.depth + 1
    )
    needed: set[str] = set()
    finally_ids: set[str] = set()
    for cid, cjob in called.workflow.jobs.items():
        needed.update(n for n in _needs(cjob))
        if cjob.is_call:
            nested = _inline(inner, cid, cjob, inner_names[cid])
            if nested is not None:
                result.nested[inner_names[cid]] = nested
                result.outcomes.append(_renamed(nested.outcome, job_id))
                result.outcomes.extend(_renamed(o, job_id) for o in nested.outcomes)
                result.jobs.extend(nested.jobs)
                result.params.update(nested.params)
                continue
            fallback = JobOutcome(cid, cjob.pos or where, inner_names[cid], "")
            fallback.findings.append(
                Finding("manual", f"job `{cid}` calls `{cjob.uses}`, which is not local", where)
            )
            result.outcomes.append(_renamed(fallback, job_id))
            continue
        conv = convert_job(
            called, prefix, cid, cjob, inner_names, site.rules, repo, site.taken_tasks
        )
        _rewire_inputs(conv, values)
        _rename_secrets(conv, secret_names)
        if not _needs(cjob) and outer_needs:
            conv.pipeline_task["runAfter"] = sorted(
                set(conv.pipeline_task.get("runAfter", [])) | set(outer_needs)
            )
        conv.pipeline_params = {
            k: v for k, v in conv.pipeline_params.items() if not k.startswith("inputs-")
        }
        result.params.update(conv.pipeline_params)
        if conv.is_finally:
            finally_ids.add(cid.lower())
        result.jobs.append(conv)
        result.outcomes.append(_renamed(conv.outcome, job_id))
    _apply_gate(gate, result)
    if result.values is not None and result.jobs:
        result.jobs[0].guards.append(result.values.task())
    if result.untranslated:
        # Run with an empty or literal input, the called jobs would do something else than on
        # GitHub (build the wrong ref, deploy to ""): they wait for a person instead.
        outcome.findings.append(
            Finding(
                "manual",
                f"inputs {', '.join(result.untranslated)} of `{job.uses}` have no value at the "
                "pipeline level: the inlined tasks never run until a person gives them one",
                where,
                action="compute the value in a task and pass its result, or give a literal",
            )
        )
        for conv in result.jobs:
            conv.pipeline_task["when"] = [*(conv.pipeline_task.get("when") or []), dict(NEVER)]
    needed_lower = {n.lower() for n in needed}
    result.leaves = sorted(
        inner_names[cid]
        for cid in called.workflow.jobs
        if cid.lower() not in needed_lower and cid.lower() not in finally_ids
    )
    call = called.workflow.on.workflow_call
    for name, out in ((call.outputs or {}) if call else {}).items():
        feed = _output_feed(out.value, inner_names)
        if feed is None:
            outcome.findings.append(
                Finding(
                    "partial",
                    f"output `{name}` of `{job.uses}` ({out.value}) is not a single job output",
                    where,
                    action="read the job result it combines in the jobs that need it",
                )
            )
        else:
            result.outputs[name] = feed
    return result


@dataclass(slots=True)
class _Gate:
    """The calling job's ``if:`` as Tekton says it for the inlined tasks."""

    when: list[dict[str, Any]] = field(default_factory=list)
    guards: list[dict[str, Any]] = field(default_factory=list)
    """Condition tasks the ``when`` entries read (a shell test of what ``when`` cannot say)."""
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def _call_gate(site: _Site, job_id: str, job: m.Job, pt_name: str) -> _Gate:
    """GitHub skips the whole called workflow when the calling job's ``if:`` is false. Tekton
    scopes a ``when`` to its own task (dependent tasks still run), so every inlined task gets
    the condition. It is translated as the condition of a job with the caller's context (its
    ``needs``, inputs and events) would be; what has no form keeps the tasks from running."""
    gate = _Gate()
    if job.if_ is None or job.if_ is True:
        return gate
    probe = job.model_copy(
        update={"uses": None, "with_": None, "secrets": None, "strategy": None,
                "runs_on": "ubuntu-latest", "steps": [m.Step.model_validate({"run": "true"})]}
    )  # fmt: skip
    names = {**site.task_names, job_id: pt_name}
    conv = convert_job(
        site.loaded, site.pipeline_name, job_id, probe, names, site.rules, site.repo,
        set(site.taken_tasks),
    )  # fmt: skip
    when = list(conv.pipeline_task.get("when") or [])
    # Only a finally task may read statuses; the inlined tasks are not finally.
    gate.when = [w for w in when if not _TASK_STATUS_ANY.search(str(w))]
    if len(gate.when) < len(when):
        gate.findings.append(
            Finding(
                "partial",
                "the call's condition on the jobs' statuses (`always()`, `failure()`, "
                "`needs.*.result`) is not applied: the inlined tasks run when the tasks they "
                "wait for succeed",
                job.pos or Position(site.loaded.display),
            )
        )
    gate.guards = list(conv.guards)
    site.taken_tasks.update(g["name"] for g in gate.guards)
    used = {p for w in gate.when for p in _PARAM_REF.findall(str(w))}
    used |= {p for g in gate.guards for p in _PARAM_REF.findall(str(g.get("params")))}
    gate.params = {k: v for k, v in conv.pipeline_params.items() if k in used}
    gate.findings = [f for f in conv.outcome.findings if "condition" in f.message]
    return gate


_TASK_STATUS_ANY = re.compile(r"\$\(tasks\.(?:[a-z0-9-]+\.)?status\)")
_PARAM_REF = re.compile(r"\$\(params\.([A-Za-z0-9_.-]+)\)")


def _apply_gate(gate: _Gate, result: InlinedCall) -> None:
    """Every inlined task (and nested call's) gets the call's condition."""
    if not gate.when:
        return
    for conv in result.jobs:
        conv.pipeline_task["when"] = [*gate.when, *(conv.pipeline_task.get("when") or [])]
    if result.jobs:
        result.jobs[0].guards.extend(gate.guards)
    result.params.update(gate.params)


def _cells(job: m.Job) -> list[tuple[str, dict[str, Any]]]:
    """(name, values) of each combination of a calling job's matrix known before the run;
    empty without a matrix, or when it is computed at run time (the call's finding says so)."""
    matrix = job.strategy.matrix if job.strategy else None
    if matrix is None:
        return []
    try:
        expansion = expand_matrix(matrix)
    except MatrixError:
        return []
    if expansion.dynamic or not expansion.combinations:
        return []
    names = expansion.names or [""] * len(expansion.combinations)
    out: list[tuple[str, dict[str, Any]]] = []
    taken: set[str] = set()
    for index, (name, combo) in enumerate(zip(names, expansion.combinations, strict=True)):
        label = dns_label(name.strip("()")) if name else ""
        out.append((unique(label or f"cell-{index + 1}", taken), combo))
    return out


def _inline_cells(
    site: _Site, cells: list[tuple[str, dict[str, Any]]], job_id: str, job: m.Job, pt_name: str
) -> InlinedCall | None:
    """A calling job with a matrix: GitHub runs the called workflow once per combination, each
    run its own chain of jobs. So it is inlined once per combination, its ``matrix.*`` values
    put into the ``with:`` values; what needs the calling job waits for every combination."""
    where = job.pos or Position(site.loaded.display)
    merged = InlinedCall(JobOutcome(job_id, where, pt_name, ""))
    for label, combo in cells:
        update: dict[str, Any] = {"with_": _with_cell(job.with_, combo), "strategy": None}
        if isinstance(job.if_, str):
            update["if_"] = _if_cell(job.if_, combo)
        cell_job = job.model_copy(update=update)
        inlined = _inline(site, f"{job_id}-{label}", cell_job, dns_label(f"{pt_name}-{label}"))
        if inlined is None:
            return None
        merged.outcome.findings.extend(inlined.outcome.findings)
        merged.jobs.extend(inlined.jobs)
        merged.outcomes.extend(inlined.outcomes)
        merged.leaves.extend(inlined.leaves)
        merged.params.update(inlined.params)
        merged.nested.update(inlined.nested)
        merged.outputs = inlined.outputs  # GitHub too gives one combination's outputs
    merged.outcome.findings.insert(
        0,
        Finding(
            "converted",
            f"its matrix has {len(cells)} combinations: the called workflow is inlined once per "
            "combination, with that combination's values",
            where,
        ),
    )
    if merged.outputs:
        merged.outcome.findings.append(
            Finding(
                "partial",
                "the call's outputs come from one combination (the last one listed), as GitHub "
                "gives the outputs of whichever combination finished last",
                where,
            )
        )
    return merged


def _with_cell(values: dict[str, m.Scalar] | None, combo: dict[str, Any]) -> dict[str, m.Scalar]:
    """``with:`` values of one combination: each expression that reads only ``matrix`` (and
    literals) is replaced by its value; others are left for the call's own translation."""
    out: dict[str, m.Scalar] = {}
    for key, value in (values or {}).items():
        if not isinstance(value, str) or "${{" not in value:
            out[key] = value
            continue
        parts: list[str] = []
        last = 0
        for item in ex.find_expressions(value):
            parts.append(value[last : item.start])
            last = item.end
            bound = _bind(item.node, combo) if item.node is not None else None
            if isinstance(bound, ex.Literal):
                parts.append(ex.to_string(bound.value))
            else:
                parts.append(value[item.start : item.end])
        parts.append(value[last:])
        out[key] = "".join(parts)
    return out


def _if_cell(text: str, combo: dict[str, Any]) -> str:
    """The calling job's ``if:`` for one combination: its ``matrix.*`` references as values."""
    try:
        node = ex.parse_if(text)
    except ex.ExpressionError:
        return text  # the gate reports it
    return ex.unparse(_bind(node, combo))


def _bind(node: ex.Node, combo: dict[str, Any]) -> ex.Node:
    """``node`` with each reference into ``matrix`` replaced by the combination's value, and
    folded to a literal when that leaves nothing for the run to decide."""
    refs = ex.references(node)
    if refs and all(ref[0] == "matrix" for ref in refs):
        try:
            value = ex.evaluate(node, {"matrix": combo})
        except ex.ExpressionError:
            return node
        if value is ex.UNKNOWN or isinstance(value, dict | list):
            return node
        return ex.Literal(value)
    changes: dict[str, Any] = {}
    for name in ("obj", "index", "expr", "left", "right"):
        child = getattr(node, name, None)
        if isinstance(child, ex.Node):
            changes[name] = _bind(child, combo)
    if isinstance(node, ex.Call):
        changes["args"] = tuple(_bind(a, combo) for a in node.args)
    return dataclasses.replace(node, **changes) if changes else node


def _needs(job: m.Job) -> list[str]:
    needs = job.needs
    if needs is None:
        return []
    return [needs] if isinstance(needs, str) else list(needs)


def _renamed(outcome: JobOutcome, caller: str) -> JobOutcome:
    outcome.job_id = f"{caller}/{outcome.job_id}"
    return outcome


def _input_values(
    called: LoadedWorkflow,
    job: m.Job,
    caller_task_names: dict[str, str],
    result: InlinedCall,
    where: Position,
) -> dict[str, str]:
    """Called input name (lowercase) -> the Tekton value the caller passes, or its default."""
    call = called.workflow.on.workflow_call
    declared = (call.inputs or {}) if call else {}
    given = {k.lower(): v for k, v in (job.with_ or {}).items()}
    values: dict[str, str] = {}
    for name, spec in declared.items():
        raw = given.get(name.lower(), spec.default)
        text = m.scalar_text(raw)
        values[name.lower()] = _tekton_value(text, caller_task_names, result, where, name)
    return values


def _tekton_value(
    text: str, task_names: dict[str, str], result: InlinedCall, where: Position, name: str
) -> str:
    """A ``with:`` value as a pipeline-task param value: literal text or a ``$(...)`` reference."""
    found = ex.find_expressions(text)
    if not found:
        return text
    parts: list[str] = []
    pos = 0
    for item in found:
        parts.append(text[pos : item.start])
        ref = _reference(item, task_names, result)
        if ref is None:
            ref = _computed(item, task_names, result, name)
        if ref is None:
            result.untranslated.append(f"`{name}: {item.source.replace('${{', '{{')}`")
            parts.append("")
        else:
            parts.append(ref)
        pos = item.end
    parts.append(text[pos:])
    return "".join(parts)


@dataclass(slots=True)
class _Values:
    """A pipeline task that computes the calling job's computed ``with:`` values in bash (the
    same forms a step's script gets), one result each; the inlined tasks read the results."""

    name: str
    sources: dict[str, cx.Source] = field(default_factory=dict)
    """Env var -> the param (and its pipeline feed) the task reads it from."""
    lines: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)

    def task(self) -> dict[str, Any]:
        comment = "The call's computed inputs (`with:`), as GitHub works them out."
        sources = sorted(self.sources.items())
        return shell_task(self.name, "compute", comment, self.lines, self.results, sources)


def _computed(
    item: ex.Embedded, task_names: dict[str, str], result: InlinedCall, name: str
) -> str | None:
    """A computed ``with:`` value (``needs.plan.outputs.push == 'true'``, ``inputs.a || b``): a
    result of the call's values task, worked out from pipeline params and task results; None
    when it reads something such a task cannot have (a matrix, a step, a status)."""
    if item.node is None or result.values is None or cx.status_calls(item.node):
        return None

    def resolve(path: tuple[str, ...]) -> cx.Source | cx.Untranslatable:
        root, rest = path[0], path[1:]
        if root == "needs" and len(rest) == 3 and rest[1] == "outputs":
            target = next((v for k, v in task_names.items() if k.lower() == rest[0].lower()), None)
            if target is None:
                return cx.Untranslatable(".".join(path), f"no job `{rest[0]}`")
            return cx.Source(
                "param",
                env=env_name("GHT_NEEDS", rest[0], "OUTPUTS", rest[2]),
                param=param_name("needs", rest[0], rest[2]),
                feed=f"$(tasks.{target}.results.{_result_name(rest[2])})",
            )
        if root in ("github", "inputs"):
            return cx.default_resolve(path)
        return cx.Untranslatable(".".join(path), "not known to a pipeline task")

    scope = cx.Scope(resolve)
    prelude: list[str] = []
    word = cx.shell_value(item.node, scope, prelude)
    sources = list(scope.used.items())
    if word is None or scope.problems or any(not src.feed for _, src in sources):
        return None
    values = result.values
    for var, src in sources:
        values.sources[var] = src
        if src.feed.startswith("$(params."):
            result.params[src.param] = {"name": src.param, "type": "string", "default": ""}
    out = unique(_result_name(f"{name}-{len(values.results) + 1}"), set(values.results))
    values.results.append(out)
    values.lines += [line for line in prelude if line not in values.lines]
    values.lines.append(f'printf \'%s\' "{word}" > "$(results.{out}.path)"')
    return f"$(tasks.{values.name}.results.{out})"


def _reference(item: ex.Embedded, task_names: dict[str, str], result: InlinedCall) -> str | None:
    if item.node is None:
        return None
    if isinstance(item.node, ex.Literal):
        return m.scalar_text(item.node.value)  # type: ignore[arg-type]
    path = cx.reference_path(item.node)
    if path is None:
        return None
    root, rest = path[0], path[1:]
    if root == "needs" and len(rest) == 3 and rest[1] == "outputs":
        target = next((v for k, v in task_names.items() if k.lower() == rest[0].lower()), None)
        return None if target is None else f"$(tasks.{target}.results.{_result_name(rest[2])})"
    if root in {"github", "inputs"}:
        src = cx.default_resolve(path)
        if isinstance(src, cx.Source) and src.kind == "param":
            result.params[src.param] = {"name": src.param, "type": "string", "default": ""}
            return f"$(params.{src.param})"
    return None


def _rewire_inputs(conv: JobConversion, values: dict[str, str]) -> None:
    """``$(params.inputs-x)`` in the pipeline task becomes the value the caller passes."""

    by_param = {param_name("inputs", name): value for name, value in values.items()}

    def swap(match: re.Match[str]) -> str:
        # GitHub gives an input the called workflow does not declare as empty.
        return by_param.get(f"inputs-{match.group(1)}", "")

    conv.pipeline_task = _map_strings(conv.pipeline_task, lambda s: _INPUT_PARAM.sub(swap, s))
    for guard in list(conv.guards):  # what the condition task is fed (its spec reads its params)
        guard["params"] = _map_strings(guard["params"], lambda s: _INPUT_PARAM.sub(swap, s))
        if any("${{" in str(p.get("value", "")) for p in guard["params"]):
            # The caller passes a value no Tekton text holds: the test would read the
            # expression's text, always true. Fail closed instead.
            conv.guards.remove(guard)
            read = f"$(tasks.{guard['name']}.results.run)"
            conv.pipeline_task["when"] = [
                dict(NEVER) if w.get("input") == read else w
                for w in conv.pipeline_task.get("when", [])
            ]
            conv.outcome.findings.append(
                Finding(
                    "manual",
                    "the job's condition reads an input whose value the caller computes with an "
                    "expression that is not translated: the task never runs until a person "
                    "writes it",
                    conv.outcome.position,
                    action="pass the input a value Tekton can compute, then remove the "
                    "`not-translated` entry",
                )
            )


def _secret_names(job: m.Job) -> dict[str, str]:
    """Called secret name -> the caller's secret it reads; empty for ``inherit``."""
    if not isinstance(job.secrets, dict):
        return {}
    names: dict[str, str] = {}
    for key, value in job.secrets.items():
        found = ex.find_expressions(m.scalar_text(value))
        if len(found) == 1 and found[0].node is not None:
            path = cx.reference_path(found[0].node)
            if path is not None and path[0] == "secrets" and len(path) == 2:
                names[key] = path[1]
    return names


def _rename_secrets(conv: JobConversion, names: dict[str, str]) -> None:
    if not names:
        return
    lowered = {k.lower(): v for k, v in names.items()}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict) and str(ref.get("key", "")).lower() in lowered:
                ref["key"] = lowered[str(ref["key"]).lower()]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(conv.task)
    conv.secrets = {lowered.get(s.lower(), s) for s in conv.secrets}


def _output_feed(value: str, inner_names: dict[str, str]) -> str | None:
    found = ex.find_expressions(value)
    if len(found) != 1 or found[0].node is None or value.strip() != value[found[0].start :].strip():
        return None
    path = cx.reference_path(found[0].node)
    if path is None or len(path) != 4 or path[0] != "jobs" or path[2] != "outputs":
        return None
    task = next((v for k, v in inner_names.items() if k.lower() == path[1].lower()), None)
    return None if task is None else f"$(tasks.{task}.results.{_result_name(path[3])})"


def _map_strings(node: Any, fn: Any) -> Any:
    if isinstance(node, str):
        return fn(node)
    if isinstance(node, dict):
        return {k: _map_strings(v, fn) for k, v in node.items()}
    if isinstance(node, list):
        return [_map_strings(v, fn) for v in node]
    return node


def rewire_calls(pipeline_tasks: list[dict[str, Any]], calls: dict[str, InlinedCall]) -> None:
    """Point ``runAfter`` and result references at a call's tasks instead of the call job."""
    flat: dict[str, InlinedCall] = {}

    def collect(items: dict[str, InlinedCall]) -> None:
        for key, call in items.items():
            flat[key] = call
            collect(call.nested)

    collect(calls)

    def leaves(name: str) -> list[str]:
        call = flat.get(name)
        if call is None:
            return [name]
        return sorted({leaf for x in call.leaves for leaf in leaves(x)})

    def results(match: re.Match[str]) -> str:
        call = flat.get(match.group(1))
        if call is None:
            return match.group(0)
        feed = call.outputs.get(match.group(2))
        return _TASK_RESULT.sub(results, feed) if feed else ""

    def status(match: re.Match[str]) -> str:
        # The status of a call is the status of its last tasks; the first one stands for them.
        found = leaves(match.group(1))
        return f"$(tasks.{found[0]}.status)" if found else match.group(0)

    for i, task in enumerate(pipeline_tasks):
        after = task.get("runAfter")
        if after:
            task["runAfter"] = sorted({leaf for name in after for leaf in leaves(name)})
        pipeline_tasks[i] = _map_strings(
            task, lambda s: _TASK_STATUS.sub(status, _TASK_RESULT.sub(results, s))
        )
