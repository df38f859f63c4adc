"""Pipelines-as-Code: each converted workflow as ``.tekton/<workflow>.yaml`` PipelineRuns.

Pipelines-as-Code (PaC) reads the ``.tekton/`` folder at the root of a repository on every event
and creates the PipelineRuns whose annotations match it. So instead of an EventListener with
bindings, this target writes one PipelineRun per workflow and event kind, with the matching
annotations and params filled from PaC's dynamic variables (``{{ revision }}`` ...). Facts from
PaC's documentation and source that shape this module:

- Matching: ``on-event`` and ``on-target-branch`` are both required, ``on-path-change`` narrows
  to changed files, and ``on-cel-expression`` *replaces* all of them when present, so a run
  either uses the plain annotations or one CEL expression with everything in it.
- PaC's annotation globs are gobwas/glob without separators: ``*`` crosses ``/``, ``?`` is one
  character, ``{a,b}`` alternates, and ``on-path-change-ignore`` skips a run when *any* changed
  file matches. GitHub's ``*`` stops at ``/``, ``?`` and ``+`` repeat the character before them,
  ``**/`` may match no folder, and ``paths-ignore`` skips only when *every* file is ignored. A
  pattern therefore becomes an annotation glob only where both read it the same way (literal
  characters and ``**`` not followed by ``/``); anything else becomes CEL with the RE2 of
  :mod:`globs`, through the same :mod:`cel` builders as the Triggers target.
- In CEL, ``target_branch`` of a push is the full ref (``refs/heads/x``, ``refs/tags/v1``), but
  PaC strips ``refs/heads/`` when the expression holds no string constant containing it; every
  branch test below carries that prefix, and tag tests do not care.
- ``{{ ... }}`` placeholders are replaced in the raw text of every ``.tekton/`` file before YAML
  is parsed. Values an outsider controls (titles, bodies) would rewrite the PipelineRun, so
  ``github.event.*`` is bound only where a standard variable holds it (never ``{{ body.* }}``).
  Branch names cannot hold a newline, so the worst a branch named with a ``'`` can do is break
  the quoted scalar it lands in: PaC then refuses the file for that event.
- PaC's resolver inlines the Pipeline and Tasks it finds in ``.tekton/`` and fails a run whose
  plain ``pipelineRef`` it cannot find there. The Pipeline and Tasks therefore travel in the same
  file as the PipelineRuns: every commit runs the definitions it carries (as GitHub runs the
  workflow file of the commit under test), nothing has to be installed first, and the copies can
  take PaC's per-run token where the workflow used ``GITHUB_TOKEN``.

Variables used: ``revision``, ``repo_url``, ``repo_owner``, ``repo_name``, ``sender``,
``source_branch``, ``target_branch``, ``pull_request_number``, ``git_tag`` (PaC >= 0.34) and
``git_auth_secret``; ``on-path-change`` needs PaC >= 0.30.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ghtotekton.convert import cel
from ghtotekton.convert import expressions as cx
from ghtotekton.convert.findings import Finding
from ghtotekton.convert.naming import dns_label, param_name, unique
from ghtotekton.convert.run_spec import (
    run_annotations,
    run_workspaces,
    task_run_specs,
    task_run_template,
)
from ghtotekton.convert.triggers import (
    MANAGED,
    PR_DEFAULT_TYPES,
    SOURCE_ANNOTATION,
    TOKEN_SECRET,
    _rules,
    github_references,
    pipeline_timeout,
)
from ghtotekton.convert.workflow import WorkflowConversion
from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.github import model as m
from ghtotekton.github.loader import LoadedWorkflow
from ghtotekton.tekton.emit import dump_documents, header_for

PAC = "pipelinesascode.tekton.dev"
ON_EVENT = f"{PAC}/on-event"
ON_TARGET_BRANCH = f"{PAC}/on-target-branch"
ON_PATH_CHANGE = f"{PAC}/on-path-change"
ON_CEL_EXPRESSION = f"{PAC}/on-cel-expression"
MAX_KEEP_RUNS = f"{PAC}/max-keep-runs"
DEFAULT_MAX_KEEP_RUNS = 5

TEKTON_DIR = ".tekton"
SHARED_FILE = f"{TEKTON_DIR}/_ghtotekton-shared.yaml"
"""Tasks several workflows use (``_`` keeps it apart from workflow names, which are DNS labels)."""

REVISION = "{{ revision }}"
SENDER = "{{ sender }}"
PR_NUMBER = "{{ pull_request_number }}"
SOURCE_BRANCH = "{{ source_branch }}"
TARGET_BRANCH = "{{ target_branch }}"
GIT_AUTH_SECRET = "{{ git_auth_secret }}"
GIT_AUTH_KEY = "git-provider-token"
"""The key of PaC's per-run git auth secret that holds the raw token."""

PAC_VARIABLES = frozenset(
    {
        "body", "event", "event_type", "git_auth_secret", "git_tag", "headers",
        "pull_request_labels", "pull_request_number", "repo_name", "repo_owner", "repo_url",
        "revision", "sender", "source_branch", "source_url", "target_branch",
        "target_namespace", "trigger_comment",
    }
)  # fmt: skip
"""Dynamic variables PaC substitutes (plus ``body.*``, ``headers.*``, ``files.*``, ``cel:``)."""
_PLACEHOLDER = re.compile(r"\{\{([^}]{2,})\}\}")
"""PaC's own placeholder pattern (``keys.ParamsRe``)."""

PAC_PR_ACTIONS = ("opened", "synchronize", "reopened", "ready_for_review")
"""Pull request actions PaC delivers as ``pull_request`` (closed and labeled are other events)."""

_SAFE_GLOB = re.compile(r"(?:[^*?+\[\]{}\\!,&\s]|(?<!\*)\*\*(?![*/]))+")
"""Patterns GitHub and PaC's gobwas globs read alike: literals, and ``**`` not before ``/``."""

HEADS = "refs/heads/"
TAGS = "refs/tags/"
REF = "target_branch"


class PacSettings(Protocol):
    """What this target reads from the convert options (``engine.Options`` has these)."""

    @property
    def allow_fork_prs(self) -> bool: ...
    @property
    def storage_class(self) -> str | None: ...
    @property
    def max_keep_runs(self) -> int: ...


def pac_glob_ok(pattern: str) -> bool:
    """Whether PaC's annotation glob matches exactly the names GitHub's pattern matches."""
    return bool(_SAFE_GLOB.fullmatch(pattern)) and not pattern.startswith("refs/")


def _glob_list(patterns: Sequence[str]) -> str:
    return "[" + ", ".join(patterns) + "]"


@dataclass(slots=True)
class PacRun:
    """One PipelineRun of a workflow: the event kind it answers and how PaC recognises it."""

    key: str
    """Name suffix (``push``, ``push-tags``, ``pull-request``, ``workflow-dispatch``)."""
    event: str
    """``github.event_name`` of the runs it starts."""
    annotations: dict[str, str]
    values: dict[str, str]
    """``github.*`` key -> value (PaC dynamic variables or literals)."""
    findings: list[Finding] = field(default_factory=list)


def _annotations(
    event: str, branches: Sequence[str], paths: Sequence[str] | None
) -> dict[str, str]:
    out = {ON_EVENT: f"[{event}]", ON_TARGET_BRANCH: _glob_list(branches)}
    if paths:
        out[ON_PATH_CHANGE] = _glob_list(paths)
    return out


@dataclass(slots=True)
class _Paths:
    """A paths filter in both forms: PaC's annotation globs when faithful, and CEL always."""

    globs: list[str] | None
    cel: str
    faithful: bool
    """True when the annotation form (or no filter at all) says what GitHub means."""


def _paths(flt: m.PushFilter, event: str, loaded: LoadedWorkflow) -> _Paths:
    if flt.paths is not None:
        rules = _rules(flt.paths, ("on", event, "paths"), loaded)
        test = cel.last_match_wins("f", rules)
        ok = bool(flt.paths) and all(pac_glob_ok(p) for p in flt.paths)
        globs = list(flt.paths) if ok else None
    elif flt.paths_ignore is not None:
        rules = _rules(flt.paths_ignore, ("on", event, "paths-ignore"), loaded)
        test, ok, globs = cel.negate(cel.last_match_wins("f", rules)), False, None
    else:
        return _Paths(None, cel.TRUE, True)
    # Some changed file is selected (paths) or some changed file is not ignored (paths-ignore).
    expr = cel.FALSE if test == cel.FALSE else f"files.all.exists(f, {test})"
    return _Paths(globs, expr, ok)


def _push_values(kind: str) -> dict[str, str]:
    if kind == "tag":
        ref = {"ref": f"{TAGS}{{{{ git_tag }}}}", "ref_name": "{{ git_tag }}", "ref_type": "tag"}
    else:
        ref = {"ref": f"{HEADS}{TARGET_BRANCH}", "ref_name": TARGET_BRANCH, "ref_type": "branch"}
    return _common_values("push") | ref


def _common_values(event: str) -> dict[str, str]:
    """``github.*`` values that every event kind fills the same way.

    PaC lower-cases ``repo_owner``, ``repo_name`` and ``sender``; GitHub keeps their case. Clone
    URLs and API paths do not care, comparisons in scripts might (a finding says so).
    """
    return {
        "sha": REVISION,
        "revision": REVISION,
        "repository": "{{ repo_owner }}/{{ repo_name }}",
        "repository_owner": "{{ repo_owner }}",
        "server_url": "https://github.com",
        "api_url": "https://api.github.com",
        "event_name": event,
        "actor": SENDER,
        "triggering_actor": SENDER,
        "run_attempt": "1",
        "head_ref": "",
        "base_ref": "",
    }


def _push_runs(flt: m.PushFilter | None, loaded: LoadedWorkflow) -> list[PacRun]:
    """Branch pushes and tag pushes as separate runs, so ``ref_name``/``ref_type`` are exact.

    GitHub: a filter on one ref kind only means pushes of the other kind do not run; no filter
    means both; path filters are not evaluated for tag pushes. PaC never runs branch deletions.
    """
    flt = flt or m.PushFilter()
    has_branches = flt.branches is not None or flt.branches_ignore is not None
    has_tags = flt.tags is not None or flt.tags_ignore is not None
    runs: list[PacRun] = []
    if has_branches or not has_tags:
        match = _push_branch_match(flt, loaded)
        if match is not None:
            runs.append(PacRun("push", "push", match, _push_values("branch")))
    if has_tags or not has_branches:
        match = _push_tag_match(flt, loaded)
        if match is not None:
            runs.append(PacRun("push-tags", "push", match, _push_values("tag")))
    return runs


def _cel_run(parts: list[str]) -> dict[str, str] | None:
    expr = cel.all_of(parts)
    return None if expr == cel.FALSE else {ON_CEL_EXPRESSION: expr}


def _push_branch_match(flt: m.PushFilter, loaded: LoadedWorkflow) -> dict[str, str] | None:
    paths = _paths(flt, "push", loaded)
    is_branch = f"{REF}.startsWith({cel.string(HEADS)})"
    if flt.branches is not None:
        if paths.faithful and all(pac_glob_ok(b) for b in flt.branches):
            return _annotations("push", flt.branches, paths.globs) if flt.branches else None
        rules = _rules(flt.branches, ("on", "push", "branches"), loaded)
        refs = cel.last_match_wins(REF, rules, HEADS)
    elif flt.branches_ignore is not None:
        rules = _rules(flt.branches_ignore, ("on", "push", "branches-ignore"), loaded)
        refs = cel.all_of([is_branch, cel.negate(cel.last_match_wins(REF, rules, HEADS))])
    elif paths.faithful:
        return _annotations("push", [f"{HEADS}*"], paths.globs)
    else:
        refs = is_branch
    return _cel_run(["event == 'push'", refs, paths.cel])


def _push_tag_match(flt: m.PushFilter, loaded: LoadedWorkflow) -> dict[str, str] | None:
    is_tag = f"{REF}.startsWith({cel.string(TAGS)})"
    if flt.tags is not None:
        if all(pac_glob_ok(t) for t in flt.tags):
            return _annotations("push", [TAGS + t for t in flt.tags], None) if flt.tags else None
        refs = cel.last_match_wins(REF, _rules(flt.tags, ("on", "push", "tags"), loaded), TAGS)
    elif flt.tags_ignore is not None:
        rules = _rules(flt.tags_ignore, ("on", "push", "tags-ignore"), loaded)
        refs = cel.all_of([is_tag, cel.negate(cel.last_match_wins(REF, rules, TAGS))])
    else:
        return _annotations("push", [f"{TAGS}*"], None)
    return _cel_run(["event == 'push'", refs])


SAME_REPO = "source_url == target_url"
"""A pull request whose head branch lives in the base repository (not a fork, nor deleted)."""


def _pull_request_run(
    flt: m.PullRequestFilter | None, loaded: LoadedWorkflow, settings: PacSettings
) -> PacRun | None:
    flt = flt or m.PullRequestFilter()
    where = loaded.doc.key_pos(("on", "pull_request"))
    findings: list[Finding] = []
    types = flt.types if flt.types is not None else PR_DEFAULT_TYPES
    wanted = [t for t in types if t in PAC_PR_ACTIONS]
    other = [t for t in types if t not in PAC_PR_ACTIONS]
    if other:
        findings.append(
            Finding(
                "manual",
                f"Pipelines-as-Code starts no pull request run for the activity types "
                f"{', '.join(f'`{t}`' for t in other)}",
                where,
                rule="pac-event",
                action="keep these runs on GitHub (`labeled` has PaC's `on-label` annotation, "
                "which needs the label names)",
            )
        )
    if not wanted:
        return None
    action = cel.TRUE
    if not set(PR_DEFAULT_TYPES) <= set(wanted):
        action = f"body.action in {cel.strings(wanted)}"
        findings.append(
            Finding(
                "converted",
                "the activity types are checked on the webhook body, so `/retest` and `/test` "
                "comments (whose body is the comment's) do not start this run",
                where,
                rule="pac-types",
            )
        )
    elif "ready_for_review" not in wanted:
        findings.append(
            Finding(
                "converted",
                "PaC also starts the run when a draft pull request is marked ready for review "
                "(GitHub does not for the default activity types)",
                where,
                rule="pac-types",
            )
        )
    forks = cel.TRUE if settings.allow_fork_prs else SAME_REPO
    findings.append(_fork_finding(settings, where))
    paths = _paths(flt, "pull_request", loaded)
    plain = paths.faithful and action == cel.TRUE and forks == cel.TRUE
    match: dict[str, str] | None
    if flt.branches is not None and plain and all(pac_glob_ok(b) for b in flt.branches):
        match = _annotations("pull_request", flt.branches, paths.globs) if flt.branches else None
    elif flt.branches is None and flt.branches_ignore is None and plain:
        match = _annotations("pull_request", ["*"], paths.globs)
    else:
        base = cel.TRUE
        if flt.branches is not None:
            base = cel.last_match_wins(
                REF, _rules(flt.branches, ("on", "pull_request", "branches"), loaded)
            )
        elif flt.branches_ignore is not None:
            rules = _rules(flt.branches_ignore, ("on", "pull_request", "branches-ignore"), loaded)
            base = cel.negate(cel.last_match_wins(REF, rules))
        match = _cel_run(["event == 'pull_request'", action, base, forks, paths.cel])
    if match is None:
        return None
    values = _common_values("pull_request") | {
        "ref": f"refs/pull/{PR_NUMBER}/merge",
        "ref_name": f"{PR_NUMBER}/merge",
        "ref_type": "branch",
        "head_ref": SOURCE_BRANCH,
        "base_ref": TARGET_BRANCH,
    }
    return PacRun("pull-request", "pull_request", match, values, findings)


def _fork_finding(settings: PacSettings, where: Position) -> Finding:
    if settings.allow_fork_prs:
        return Finding(
            "converted",
            "pull requests from forks run when PaC's policy allows their author (repository "
            "members, OWNERS) or a maintainer comments `/ok-to-test`; unlike GitHub's fork runs, "
            "they get the namespace's secrets",
            where,
            rule="pac-forks",
        )
    return Finding(
        "converted",
        "pull requests from forks do not start the PipelineRun (`source_url == target_url` in "
        "its CEL expression; GitHub runs them without secrets, a PaC run would get them)",
        where,
        rule="pac-forks",
        action="pass --allow-fork-prs to let PaC's own policy (members, OWNERS, `/ok-to-test`) "
        "decide instead",
    )


def _dispatch_run(loaded: LoadedWorkflow, name: str) -> PacRun:
    """``workflow_dispatch`` as PaC's incoming webhook: a POST that names this PipelineRun."""
    values = _common_values("workflow_dispatch") | {
        "ref": f"{HEADS}{TARGET_BRANCH}",
        "ref_name": TARGET_BRANCH,
        "ref_type": "branch",
    }
    finding = Finding(
        "converted",
        "the Run workflow button becomes PaC's incoming webhook: POST to the controller's "
        f"`/incoming` with `pipelinerun: {name}`, the branch and the Repository CR's incoming "
        f"secret; on a pull request, a `/test {name}` comment starts it too. Inputs keep their "
        "defaults",
        loaded.doc.key_pos(("on", "workflow_dispatch")),
        rule="pac-dispatch",
        action="list the branches under the Repository CR's `spec.incoming`; to pass inputs, "
        "edit the params of this PipelineRun or declare them as the Repository CR's params",
    )
    match = {ON_EVENT: "[incoming]", ON_TARGET_BRANCH: "[*]"}
    return PacRun("workflow-dispatch", "workflow_dispatch", match, values, [finding])


def plan_runs(
    conv: WorkflowConversion, loaded: LoadedWorkflow, settings: PacSettings, taken: set[str]
) -> tuple[list[tuple[str, PacRun]], list[Finding]]:
    """The workflow's PipelineRuns (unique names from ``taken``) and what PaC does differently."""
    on = loaded.workflow.on
    runs: list[tuple[str, PacRun]] = []
    findings: list[Finding] = []

    def add(run: PacRun) -> None:
        name = unique(dns_label(f"{conv.name}-{run.key}", max_len=57), taken)
        runs.append((name, run))

    for event in loaded.events():
        where = loaded.doc.key_pos(("on", event))
        if event == "push":
            for run in _push_runs(on.push, loaded):
                add(run)
        elif event == "pull_request":
            pr = _pull_request_run(on.pull_request, loaded, settings)
            if pr is not None:
                add(pr)
        elif event == "workflow_dispatch":
            name = unique(dns_label(f"{conv.name}-workflow-dispatch", max_len=57), taken)
            runs.append((name, _dispatch_run(loaded, name)))
        elif event == "workflow_call":
            continue  # inlined where it is called
        elif event == "pull_request_target":
            findings.append(
                Finding(
                    "manual",
                    "`pull_request_target` runs with the base repository's secrets for pull "
                    "requests from forks; no PipelineRun is generated",
                    where,
                    rule="pac-pull-request-target",
                    action="decide which part must run on untrusted pull requests; trigger it "
                    "on `pull_request` without secrets",
                )
            )
        else:
            findings.append(
                Finding(
                    "manual",
                    f"the `{event}` event has no Pipelines-as-Code counterpart here (PaC starts "
                    "runs on push, pull request, comment and incoming webhook events)",
                    where,
                    rule="pac-event",
                    action=f"keep `{event}` runs on GitHub, use `--target triggers`, or call "
                    "PaC's incoming webhook (a CronJob can, for a schedule)",
                )
            )
    for _name, run in runs:
        findings.extend(run.findings)
    return runs, findings


# --- params --------------------------------------------------------------------------------------

_EVENT_VALUES: dict[tuple[str, ...], tuple[str, str]] = {
    ("number",): ("pull_request", PR_NUMBER),
    ("pull_request", "number"): ("pull_request", PR_NUMBER),
    ("pull_request", "head", "sha"): ("pull_request", REVISION),
    ("pull_request", "head", "ref"): ("pull_request", SOURCE_BRANCH),
    ("pull_request", "base", "ref"): ("pull_request", TARGET_BRANCH),
    ("pull_request", "head", "repo", "html_url"): ("pull_request", "{{ source_url }}"),
    ("after",): ("push", REVISION),
    ("repository", "name"): ("", "{{ repo_name }}"),
    ("repository", "full_name"): ("", "{{ repo_owner }}/{{ repo_name }}"),
    ("repository", "owner", "login"): ("", "{{ repo_owner }}"),
    ("repository", "html_url"): ("", "{{ repo_url }}"),
    ("sender", "login"): ("", SENDER),
}
"""``github.event.<path>`` -> (the only event that has it, or '' for all; its PaC variable)."""


def _event_value(path: tuple[str, ...], run: PacRun) -> str | None:
    found = _EVENT_VALUES.get(tuple(p.lower() for p in path))
    if found is None:
        return None
    event, value = found
    return value if event in ("", run.event) else ""


def run_params(
    conv: WorkflowConversion, loaded: LoadedWorkflow, run: PacRun
) -> tuple[list[dict[str, str]], list[str]]:
    """The PipelineRun's params, and the ``github.*`` references PaC has no safe value for.

    Params without a value are left out, so the Pipeline's default applies (``bundle-url``, a
    dispatch run's inputs, run ids that PaC does not number).
    """
    assert conv.pipeline is not None
    standard = {param_name("github", k.replace("_", "-")): k for k in cx.STANDARD_GITHUB}
    refs = github_references(loaded)
    params: list[dict[str, str]] = []
    missing: list[str] = []
    for declared in conv.pipeline["spec"].get("params", []):
        name = declared["name"]
        value: str | None = None
        if name in standard:
            value = run.values.get(standard[name])
        elif name.startswith("inputs-"):
            value = None if run.event == "workflow_dispatch" else ""
        elif name in refs:
            path = refs[name]
            head = path[0].lower()
            if head == "event":
                value = _event_value(path[1:], run) if len(path) > 1 else None
            elif len(path) == 1:
                value = run.values.get(head)
        if value is not None:
            params.append({"name": name, "value": value})
        elif name in refs:
            missing.append("github." + ".".join(refs[name]))
    return sorted(params, key=lambda p: p["name"]), missing


# --- the Pipeline and Tasks, as PaC's resolver finds them ----------------------------------------


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, str):
            yield current


def substituted_text(doc: dict[str, Any]) -> list[str]:
    """Placeholders in ``doc`` that PaC would replace before the YAML is read."""
    found: set[str] = set()
    for text in _strings(doc):
        for match in _PLACEHOLDER.finditer(text):
            key = match.group(1).strip()
            if key in PAC_VARIABLES or key.startswith(("body", "headers", "files", "cel:")):
                found.add(match.group(0))
    return sorted(found)


def _token_env() -> dict[str, Any]:
    """PaC's per-run token; optional, so a cluster that creates no such secret still clones."""
    ref = {"name": GIT_AUTH_SECRET, "key": GIT_AUTH_KEY, "optional": True}
    return {"name": "GITHUB_TOKEN", "valueFrom": {"secretKeyRef": ref}}


def _use_pac_token(value: Any) -> int:
    """``GITHUB_TOKEN`` from ``github-secrets`` -> PaC's git auth secret; returns how many."""
    count = 0
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("secretKeyRef")
            if (
                isinstance(ref, dict)
                and ref.get("name") == TOKEN_SECRET["secretName"]
                and ref.get("key") == TOKEN_SECRET["secretKey"]
            ):
                current["secretKeyRef"] = {**ref, "name": GIT_AUTH_SECRET, "key": GIT_AUTH_KEY}
                count += 1
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return count


def _checkout_steps(conv: WorkflowConversion) -> dict[str, set[str]]:
    """Task name (or the prefix of a job's split tasks) -> its ``actions/checkout`` steps."""
    out: dict[str, set[str]] = {}
    for job in conv.jobs:
        for step in job.steps:
            if step.rule == "checkout" and step.tekton_step:
                out.setdefault(job.task, set()).add(step.tekton_step)
    return out


def pac_task(task: dict[str, Any], checkouts: dict[str, set[str]]) -> dict[str, Any]:
    """A copy of a Task for ``.tekton/``: no namespace (PaC picks it), PaC's token for git.

    GitHub's checkout clones with ``github.token`` unless told otherwise; here the checkout step
    falls back to ``GITHUB_TOKEN``, which now comes from PaC's per-run secret.
    """
    doc = copy.deepcopy(task)
    doc["metadata"].pop("namespace", None)
    _use_pac_token(doc)
    name = str(doc["metadata"].get("name", ""))
    wanted: set[str] = set()
    for task_name, steps in checkouts.items():
        if name == task_name or name.startswith(f"{task_name}-"):
            wanted |= steps
    for step in doc.get("spec", {}).get("steps", []):
        if step.get("name") in wanted:
            env = step.setdefault("env", [])
            if not any(e.get("name") == "GITHUB_TOKEN" for e in env):
                env.append(_token_env())
    return doc


def _plain_task_refs(pipeline: dict[str, Any]) -> set[str]:
    """Task names PaC's resolver must find in ``.tekton/`` (it leaves resolvers and bundles)."""
    names = set()
    spec = pipeline.get("spec", {})
    for pt in [*spec.get("tasks", []), *spec.get("finally", [])]:
        ref = pt.get("taskRef")
        if (
            isinstance(ref, dict)
            and "name" in ref
            and not ref.get("resolver")
            and ref.get("kind") in (None, "Task")
            and not ref.get("bundle")
        ):
            names.add(str(ref["name"]))
    return names


# --- PipelineRuns and files ----------------------------------------------------------------------


def pipeline_run(
    conv: WorkflowConversion,
    loaded: LoadedWorkflow,
    name: str,
    run: PacRun,
    params: list[dict[str, str]],
    settings: PacSettings,
) -> dict[str, Any]:
    """One PaC PipelineRun: matching annotations, params from PaC's variables, the run spec."""
    assert conv.pipeline is not None
    spec: dict[str, Any] = {"pipelineRef": {"name": conv.name}}
    if params:
        spec["params"] = params
    spec["workspaces"] = run_workspaces(conv, settings.storage_class)
    template = task_run_template(conv)
    if template:
        spec["taskRunTemplate"] = template
    specs = task_run_specs(conv)
    if specs:
        spec["taskRunSpecs"] = specs
    # Tekton's default pipeline timeout (1h) would cut jobs GitHub lets run for 6h.
    spec["timeouts"] = {"pipeline": pipeline_timeout(conv.pipeline)}
    line = loaded.doc.key_pos(("on", run.event)).line
    annotations = {
        SOURCE_ANNOTATION: f"{loaded.display}:{max(line, 1)}",
        **run.annotations,
        **run_annotations(conv),
        MAX_KEEP_RUNS: str(settings.max_keep_runs),
    }
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {
            "name": name,
            "labels": {**MANAGED, "ghtotekton.dev/workflow": conv.name},
            "annotations": annotations,
        },
        "spec": spec,
    }


@dataclass(slots=True)
class PacWorkflow:
    """One workflow's ``.tekton/`` documents and findings."""

    runs: list[dict[str, Any]]
    pipeline: dict[str, Any] | None
    tasks: list[dict[str, Any]]
    findings: list[Finding]


def build_workflow(
    conv: WorkflowConversion,
    loaded: LoadedWorkflow,
    settings: PacSettings,
    taken: set[str] | None = None,
) -> PacWorkflow:
    """The PipelineRuns, Pipeline and Tasks PaC needs for one workflow (Tasks unfiltered)."""
    planned, findings = plan_runs(conv, loaded, settings, taken if taken is not None else set())
    top = Position(loaded.display, 1, 1)
    if conv.pipeline is None:
        if planned:
            findings.append(
                Finding(
                    "manual",
                    "no Pipeline was generated, so there is no PipelineRun for PaC",
                    top,
                    rule="pac-event",
                )
            )
        return PacWorkflow([], None, [], findings)
    if not planned:
        return PacWorkflow([], None, [], findings)
    runs = []
    missing: set[str] = set()
    for name, run in planned:
        params, lacking = run_params(conv, loaded, run)
        missing.update(lacking)
        runs.append(pipeline_run(conv, loaded, name, run, params, settings))
    if missing:
        findings.append(
            Finding(
                "manual",
                f"{', '.join(f'`{r}`' for r in sorted(missing))} has no Pipelines-as-Code "
                "variable that is safe to paste into YAML, so the Pipeline's default applies",
                top,
                rule="pac-values",
                action="read the value in a step (the GitHub API with `$GITHUB_TOKEN`), or use "
                "`--target triggers`, whose bindings can carry any payload field",
            )
        )
    hazards = sorted({p for doc in [conv.pipeline, *conv.tasks] for p in substituted_text(doc)})
    if hazards:
        findings.append(
            Finding(
                "manual",
                f"PaC replaces {', '.join(f'`{h}`' for h in hazards)} in the Pipeline or its "
                "Tasks with event values before reading the YAML",
                top,
                rule="pac-placeholders",
                action="change that text in the workflow so it does not read as a PaC "
                "placeholder (for example build the braces in the script)",
            )
        )
    checkouts = _checkout_steps(conv)
    pipeline = copy.deepcopy(conv.pipeline)
    pipeline["metadata"].pop("namespace", None)
    tasks = [pac_task(t, checkouts) for t in conv.tasks]
    findings.append(
        Finding(
            "converted",
            f"`{TEKTON_DIR}/{conv.name}.yaml` holds the Pipelines-as-Code PipelineRuns with the "
            f"Pipeline and its Tasks: commit the output's `{TEKTON_DIR}/` folder at the "
            "repository root. PaC lower-cases `github.repository` and `github.actor`, and a pull "
            "request's `github.actor` is its author",
            top,
            rule="pac-layout",
            action="install Pipelines-as-Code with a Repository CR for this repository; other "
            f"secrets than GITHUB_TOKEN come from Secret `{TOKEN_SECRET['secretName']}` in its "
            "namespace",
        )
    )
    return PacWorkflow(runs, pipeline, tasks, findings)


def check_max_keep_runs(value: int) -> None:
    if value < 1:
        raise InputError(
            Diagnostic(
                Position("--max-keep-runs"),
                f"max-keep-runs must be at least 1, not {value}",
                "PaC keeps this many finished runs of each PipelineRun",
            )
        )


def render_pac(
    items: Sequence[tuple[WorkflowConversion, LoadedWorkflow]], settings: PacSettings
) -> dict[str, str]:
    """``.tekton/`` files (relative path -> text); findings are added to each conversion.

    A Task that several workflows use goes to one shared file, since PaC reads the whole folder
    and two definitions of one name would be ambiguous.
    """
    check_max_keep_runs(settings.max_keep_runs)
    taken: set[str] = set()
    built: list[tuple[WorkflowConversion, LoadedWorkflow, PacWorkflow]] = []
    for conv, loaded in items:
        wf = build_workflow(conv, loaded, settings, taken)
        conv.findings.extend(wf.findings)
        if wf.runs:
            built.append((conv, loaded, wf))
    users: dict[str, int] = {}
    for _conv, _loaded, wf in built:
        for name in {str(t["metadata"]["name"]) for t in wf.tasks}:
            users[name] = users.get(name, 0) + 1
    shared: dict[str, dict[str, Any]] = {}
    files: dict[str, str] = {}
    for conv, loaded, wf in built:
        own = []
        for task in wf.tasks:
            name = str(task["metadata"]["name"])
            if users[name] > 1:
                shared.setdefault(name, task)
            else:
                own.append(task)
        assert wf.pipeline is not None
        available = {str(t["metadata"]["name"]) for t in wf.tasks}
        unresolved = sorted(_plain_task_refs(wf.pipeline) - available)
        if unresolved:
            conv.findings.append(
                Finding(
                    "manual",
                    f"PaC's resolver cannot find Task(s) {', '.join(unresolved)} in "
                    f"`{TEKTON_DIR}/`, so the run would fail",
                    Position(loaded.display, 1, 1),
                    rule="pac-layout",
                    action=f"add those Tasks to `{TEKTON_DIR}/`",
                )
            )
        files[f"{TEKTON_DIR}/{conv.name}.yaml"] = pac_text(
            [*wf.runs, wf.pipeline, *own],
            header_for(
                loaded.display,
                f"Pipelines-as-Code PipelineRuns of {loaded.display}, with Pipeline {conv.name} "
                "and its Tasks.\nThis folder goes at the root of the repository (PaC reads "
                f"`{TEKTON_DIR}/` there).",
            ),
        )
    if shared:
        files[SHARED_FILE] = pac_text(
            [shared[k] for k in sorted(shared)],
            header_for("ghtotekton", "Tasks that several converted workflows use, for PaC."),
        )
    return files


def pac_text(documents: Sequence[dict[str, Any]], header: str) -> str:
    """The YAML of a ``.tekton/`` file, its header comment inside the first document.

    PaC splits the folder's text on ``---`` and reads each part as a resource; a part holding
    only comments would be reported as a document it cannot decode.
    """
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return "---\n" + comments + dump_documents(documents)
