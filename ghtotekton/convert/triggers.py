"""Tekton Triggers from a workflow's ``on:``: what starts the converted Pipeline, and when.

A converted Pipeline that nothing starts is not a migration. Each event a workflow listens to
becomes one trigger of an EventListener: the GitHub interceptor checks the webhook's HMAC and the
event type, a CEL interceptor carries GitHub's filters (branches, tags, paths, activity types) and
the traffic-split bucket, a TriggerBinding per event reads what the Pipeline's ``github.*`` params
need from that event's payload, and one TriggerTemplate per workflow creates the PipelineRun.

One trigger per event, not per workflow, because GitHub starts one run per event: a push to a
pull request branch runs a ``push`` and a ``pull_request`` workflow run, each with its own
``github.*`` values. Schedules have no webhook, so a CronJob per cron posts a signed synthetic
event to the listener. The filters are written so that GitHub's decision and the filter's agree
for every payload; tests evaluate them with a real CEL implementation against GitHub's payloads.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ghtotekton.convert import bucket, cel
from ghtotekton.convert import expressions as cx
from ghtotekton.convert.claims import CACHE, SHARED
from ghtotekton.convert.findings import Finding
from ghtotekton.convert.globs import GlobError, Rule, compile_patterns, glob_to_regex
from ghtotekton.convert.naming import dns_label, param_name, unique
from ghtotekton.convert.platform import is_approval
from ghtotekton.convert.run_spec import (
    run_annotations,
    run_workspaces,
    task_run_specs,
    task_run_template,
)
from ghtotekton.convert.workflow import WorkflowConversion
from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.github import expressions as ex
from ghtotekton.github import model as m
from ghtotekton.github.loader import LoadedWorkflow
from ghtotekton.github.repository import find_repo_root

bucket_of = bucket.bucket_of
tekton_owns = bucket.tekton_owns
github_bucket_condition = bucket.github_condition
"""The traffic-split bucket for the rollout and the GitHub side (defined in :mod:`bucket`)."""

TRIGGERS_API = "triggers.tekton.dev/v1beta1"
SOURCE_ANNOTATION = "ghtotekton.dev/source"
MANAGED = {"app.kubernetes.io/managed-by": "ghtotekton"}

WEBHOOK_SECRET = {"secretName": "github-webhook-secret", "secretKey": "secretToken"}
"""The HMAC secret configured on the GitHub webhook; the listener refuses unsigned events."""
TOKEN_SECRET = {"secretName": "github-secrets", "secretKey": "GITHUB_TOKEN"}
"""A GitHub token: the interceptor lists changed files with it, the CronJob reads the HEAD."""
PIPELINE_SA = "ghtotekton-pipeline"
CLUSTER_ROLE = "ghtotekton-eventlistener"
SHARED_FILE = "triggers/ghtotekton-shared.yaml"
CRON_IMAGE = "docker.io/library/python:3.12-slim"
LISTENER_PORT = 8080
"""The port of the Service Triggers creates for an EventListener (``el-<name>``)."""

PR_DEFAULT_TYPES = ["opened", "synchronize", "reopened"]
DRAFT_RELEASE_SKIPPED = ["created", "edited", "deleted"]
"""GitHub does not run workflows for these release activities of a draft release."""
CALLED_ONLY = {"workflow_call"}
"""Events of workflows that other workflows call: inlined there, nothing to trigger here."""


class TriggerSettings(Protocol):
    """What the trigger side reads from the convert options (``engine.Options`` has these)."""

    @property
    def namespace(self) -> str | None: ...
    @property
    def listener(self) -> str: ...
    @property
    def tekton_share(self) -> int: ...
    @property
    def allow_fork_prs(self) -> bool: ...
    @property
    def storage_class(self) -> str | None: ...


# --- one event of one workflow ------------------------------------------------------------------


@dataclass(slots=True)
class EventPlan:
    """How one GitHub event of a workflow becomes a trigger."""

    event: str
    """The ``X-GitHub-Event`` value the GitHub interceptor lets through."""
    key: str
    """Resource name suffix (``push``, ``pull-request`` ...)."""
    filter: str
    values: dict[str, str]
    """``github.*`` key (``sha``, ``ref`` ...) -> binding value, for this event's payload."""
    overlays: dict[str, str] = field(default_factory=dict)
    """CEL overlays (extensions.<key>) for values a binding cannot cut out of the payload."""
    changed_files: bool = False
    body_inputs: bool = False
    """workflow_dispatch: ``inputs.*`` come from the payload (otherwise they are empty)."""


def _common_values(event: str) -> dict[str, str]:
    """``github.*`` values every event's payload gives the same way."""
    return {
        "repository": "$(body.repository.full_name)",
        "repository_owner": "$(body.repository.owner.login)",
        "server_url": "https://github.com",
        "api_url": "https://api.github.com",
        "event_name": event,
        "actor": "$(body.sender.login)",
        "triggering_actor": "$(body.sender.login)",
        "actor_id": "$(body.sender.id)",
        "repository_id": "$(body.repository.id)",
        "repository_owner_id": "$(body.repository.owner.id)",
        "repositoryurl": "$(body.repository.git_url)",
        "run_id": "$(context.eventID)",
        "run_attempt": "1",
        "head_ref": "",
        "base_ref": "",
        "git_url": "$(body.repository.clone_url)",
        "pull_request_number": "",
    }


REF_NAME_OVERLAY = "body.ref.substring(body.ref.indexOf('/', 5) + 1)"
"""``refs/heads/a/b`` -> ``a/b`` (cel-go's string extension, which Tekton's CEL offers)."""
REF_TYPE_OVERLAY = "body.ref.startsWith('refs/tags/') ? 'tag' : 'branch'"


def _rules(
    patterns: list[str], doc_path: tuple[str | int, ...], loaded: LoadedWorkflow
) -> list[Rule]:
    """Compile a filter list; a pattern GitHub refuses is an input error at its line."""
    for i, pattern in enumerate(patterns):
        try:
            glob_to_regex(pattern.removeprefix("!"))
        except GlobError as exc:
            where = loaded.doc.pos((*doc_path, i))
            raise InputError(Diagnostic(where, str(exc), "fix the filter pattern")) from None
    return compile_patterns(patterns)


def _ref_filter(
    flt: m.PushFilter, kind: str, prefix: str, loaded: LoadedWorkflow, event: str = "push"
) -> str:
    """GitHub's include list (``!`` inside, last match wins) or ignore list, on one ref kind."""
    include = getattr(flt, kind)
    ignore = getattr(flt, f"{kind}_ignore")
    if include is not None:
        rules = _rules(include, ("on", event, kind), loaded)
        return cel.last_match_wins("body.ref", rules, prefix)
    is_kind = f"body.ref.startsWith({cel.string(prefix)})"
    if ignore is not None:
        rules = _rules(ignore, ("on", event, f"{kind}-ignore"), loaded)
        return cel.all_of([is_kind, cel.negate(cel.last_match_wins("body.ref", rules, prefix))])
    return is_kind


def _paths_filter(flt: m.PushFilter, event: str, loaded: LoadedWorkflow) -> str | None:
    """Changed files: some file is included (``paths``) or some file is not ignored."""
    if flt.paths is not None:
        test = cel.last_match_wins("f", _rules(flt.paths, ("on", event, "paths"), loaded))
    elif flt.paths_ignore is not None:
        rules = _rules(flt.paths_ignore, ("on", event, "paths-ignore"), loaded)
        test = cel.negate(cel.last_match_wins("f", rules))
    else:
        return None
    each = cel.all_of(["f != ''", test])
    return f"extensions.changed_files.split(',').exists(f, {each})"


def plan_push(flt: m.PushFilter | None, loaded: LoadedWorkflow) -> EventPlan:
    flt = flt or m.PushFilter()
    has_branches = flt.branches is not None or flt.branches_ignore is not None
    has_tags = flt.tags is not None or flt.tags_ignore is not None
    branch_ok = _ref_filter(flt, "branches", "refs/heads/", loaded)
    tag_ok = _ref_filter(flt, "tags", "refs/tags/", loaded)
    # A push filter that names only branches does not run on tags, and the other way round.
    if has_branches and has_tags:
        refs = cel.any_of([branch_ok, tag_ok])
    elif has_branches:
        refs = branch_ok
    elif has_tags:
        refs = tag_ok
    else:
        refs = cel.TRUE
    paths = None if has_tags and not has_branches else _paths_filter(flt, "push", loaded)
    if paths is not None:
        # Path filters are not evaluated for pushes of tags.
        refs = cel.all_of([refs, cel.any_of(["body.ref.startsWith('refs/tags/')", paths])])
    values = _common_values("push") | {
        "sha": "$(body.after)",
        "revision": "$(body.after)",
        "ref": "$(body.ref)",
        "ref_name": "$(extensions.ght_ref_name)",
        "ref_type": "$(extensions.ght_ref_type)",
    }
    return EventPlan(
        "push",
        "push",
        cel.all_of(["!body.deleted", refs]),
        values,
        {"ght_ref_name": REF_NAME_OVERLAY, "ght_ref_type": REF_TYPE_OVERLAY},
        changed_files=paths is not None,
    )


def plan_pull_request(
    flt: m.PullRequestFilter | None, loaded: LoadedWorkflow, allow_forks: bool
) -> EventPlan:
    flt = flt or m.PullRequestFilter()
    types = flt.types if flt.types is not None else PR_DEFAULT_TYPES
    parts = [f"body.action in {cel.strings(types)}"]
    base = "body.pull_request.base.ref"
    if flt.branches is not None:
        rules = _rules(flt.branches, ("on", "pull_request", "branches"), loaded)
        parts.append(cel.last_match_wins(base, rules))
    elif flt.branches_ignore is not None:
        rules = _rules(flt.branches_ignore, ("on", "pull_request", "branches-ignore"), loaded)
        parts.append(cel.negate(cel.last_match_wins(base, rules)))
    if not allow_forks:
        parts.append(SAME_REPO)
    paths = _paths_filter(flt, "pull_request", loaded)
    if paths is not None:
        parts.append(paths)
    values = _common_values("pull_request") | {
        "sha": "$(body.pull_request.head.sha)",
        "revision": "$(body.pull_request.head.sha)",
        "ref": "refs/pull/$(body.number)/merge",
        "ref_name": "$(body.number)/merge",
        "ref_type": "branch",
        "head_ref": "$(body.pull_request.head.ref)",
        "base_ref": "$(body.pull_request.base.ref)",
        "pull_request_number": "$(body.number)",
    }
    return EventPlan(
        "pull_request", "pull-request", cel.all_of(parts), values, changed_files=paths is not None
    )


SAME_REPO = (
    "type(body.pull_request.head.repo) == map && "
    "body.pull_request.head.repo.full_name == body.repository.full_name"
)
"""A pull request whose head branch lives in this repository (not a fork, nor a deleted one).

``type(...) == map`` rather than ``!= null``: comparing a map with null needs heterogeneous
equality, which not every CEL implementation has.
"""


def workflow_file(loaded: LoadedWorkflow) -> str:
    """The path GitHub puts in ``workflow`` of a workflow_dispatch payload."""
    return f".github/workflows/{Path(loaded.display).name}"


def plan_dispatch(loaded: LoadedWorkflow) -> EventPlan:
    values = _common_values("workflow_dispatch") | {
        "sha": "$(body.ref)",
        "revision": "$(body.ref)",
        "ref": "$(body.ref)",
        "ref_name": "$(extensions.ght_ref_name)",
        "ref_type": "$(extensions.ght_ref_type)",
    }
    return EventPlan(
        "workflow_dispatch",
        "workflow-dispatch",
        f"body.workflow == {cel.string(workflow_file(loaded))}",
        values,
        {"ght_ref_name": REF_NAME_OVERLAY, "ght_ref_type": REF_TYPE_OVERLAY},
        body_inputs=True,
    )


def plan_schedule(loaded: LoadedWorkflow) -> EventPlan:
    """The synthetic event the CronJob posts (see :func:`cron_jobs` for its body)."""
    values = _common_values("schedule") | {
        "sha": "$(body.after)",
        "revision": "$(body.after)",
        "ref": "$(body.ref)",
        "ref_name": "$(body.ref_name)",
        "ref_type": "branch",
    }
    return EventPlan(
        "schedule",
        "schedule",
        f"body.workflow == {cel.string(workflow_file(loaded))}",
        values,
    )


def plan_release(flt: m.TypesFilter | None) -> EventPlan:
    parts = []
    if flt is not None and flt.types is not None:
        parts.append(f"body.action in {cel.strings(flt.types)}")
    parts.append(
        f"!(body.action in {cel.strings(DRAFT_RELEASE_SKIPPED)} && body.release.draft == true)"
    )
    values = _common_values("release") | {
        "sha": "refs/tags/$(body.release.tag_name)",
        "revision": "refs/tags/$(body.release.tag_name)",
        "ref": "refs/tags/$(body.release.tag_name)",
        "ref_name": "$(body.release.tag_name)",
        "ref_type": "tag",
    }
    return EventPlan("release", "release", cel.all_of(parts), values)


def plan_create() -> EventPlan:
    full_ref = "(body.ref_type == 'tag' ? 'refs/tags/' : 'refs/heads/') + body.ref"
    values = _common_values("create") | {
        "sha": "$(extensions.ght_ref)",
        "revision": "$(extensions.ght_ref)",
        "ref": "$(extensions.ght_ref)",
        "ref_name": "$(body.ref)",
        "ref_type": "$(body.ref_type)",
    }
    return EventPlan(
        "create", "create", "body.ref_type in ['branch', 'tag']", values, {"ght_ref": full_ref}
    )


def plan_delete() -> EventPlan:
    """``delete`` runs on the default branch (GitHub's GITHUB_REF for this event)."""
    ref = "refs/heads/$(body.repository.default_branch)"
    values = _common_values("delete") | {
        "sha": ref,
        "revision": ref,
        "ref": ref,
        "ref_name": "$(body.repository.default_branch)",
        "ref_type": "branch",
    }
    return EventPlan("delete", "delete", "body.ref_type in ['branch', 'tag']", values)


def plan_merge_group(flt: m.MergeGroupFilter | None, loaded: LoadedWorkflow) -> EventPlan:
    """A merge queue's test merge; ``branches`` filters the branch the queue merges into."""
    flt = flt or m.MergeGroupFilter()
    parts = [f"body.action in {cel.strings(flt.types or ['checks_requested'])}"]
    base = "body.merge_group.base_ref"
    if flt.branches is not None:
        rules = _rules(flt.branches, ("on", "merge_group", "branches"), loaded)
        parts.append(cel.last_match_wins(base, rules, "refs/heads/"))
    elif flt.branches_ignore is not None:
        rules = _rules(flt.branches_ignore, ("on", "merge_group", "branches-ignore"), loaded)
        parts.append(cel.negate(cel.last_match_wins(base, rules, "refs/heads/")))
    values = _common_values("merge_group") | {
        "sha": "$(body.merge_group.head_sha)",
        "revision": "$(body.merge_group.head_sha)",
        "ref": "$(body.merge_group.head_ref)",
        "ref_name": "$(extensions.ght_ref_name)",
        "ref_type": "branch",
    }
    overlay = "body.merge_group.head_ref.substring(body.merge_group.head_ref.indexOf('/', 5) + 1)"
    return EventPlan(
        "merge_group", "merge-group", cel.all_of(parts), values, {"ght_ref_name": overlay}
    )


SHA_OF = {
    "merge_group": "body.merge_group.head_sha",
    "push": "body.after",
    "pull_request": "body.pull_request.head.sha",
    "schedule": "body.after",
}
"""Events whose payload names the commit; the traffic split needs it."""


# --- what the pipeline reads ----------------------------------------------------------------


def _strings_in(value: Any, key: str = "") -> list[tuple[str, str]]:
    """Every string of the workflow with the key that holds it (``if`` needs no ``${{``)."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(value, key)]
    while stack:
        current, k = stack.pop()
        if isinstance(current, dict):
            stack.extend((v, str(kk)) for kk, v in current.items())
        elif isinstance(current, list):
            stack.extend((v, k) for v in current)
        elif isinstance(current, str):
            out.append((current, k))
    return out


def github_references(loaded: LoadedWorkflow) -> dict[str, tuple[str, ...]]:
    """Pipeline param name -> ``github.*`` path, for every reference in the workflow."""
    found: dict[str, tuple[str, ...]] = {}
    for text, key in _strings_in(loaded.doc.data):
        nodes: list[ex.Node] = []
        if key == "if" and "${{" not in text:
            try:
                nodes.append(ex.parse_if(text))
            except ex.ExpressionError:
                continue
        else:
            nodes.extend(e.node for e in ex.find_expressions(text) if e.node is not None)
        for node in nodes:
            for path in ex.references(node):
                if len(path) < 2 or path[0].lower() != "github" or "*" in path:
                    continue
                src = cx.default_resolve(("github", *path[1:]))
                if isinstance(src, cx.Source) and src.kind == "param":
                    found.setdefault(src.param, tuple(p for p in path[1:]))
    return found


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def body_path(parts: Sequence[str]) -> str:
    """``$(body.a.b)``; keys with other characters use JSONPath's bracket form."""
    out = "body"
    for part in parts:
        out += f".{part}" if _PLAIN_KEY.match(part) else f"['{part}']"
    return f"$({out})"


def binding_values(
    plan: EventPlan, params: list[str], refs: dict[str, tuple[str, ...]]
) -> dict[str, str]:
    """Template param -> value from this event's payload; unknowns keep the template default."""
    out: dict[str, str] = {}
    for name in params:
        value = _value_for(plan, name, refs)
        if value is not None:
            out[name] = value
    return out


@functools.cache
def _standard_github_params() -> dict[str, str]:
    """Param name -> ``github`` context key, for the keys every run has."""
    return {param_name("github", k.replace("_", "-")): k for k in cx.STANDARD_GITHUB}


def _value_for(plan: EventPlan, name: str, refs: dict[str, tuple[str, ...]]) -> str | None:
    if name in EXTRA_PARAMS:
        return plan.values.get(EXTRA_PARAMS[name])
    if name.startswith("inputs-"):
        return body_path(["inputs", name[len("inputs-") :]]) if plan.body_inputs else ""
    path = refs.get(name)
    if path is None:
        key = _standard_github_params().get(name)
        return plan.values.get(key) if key else None
    head = path[0].lower()
    if head == "event":
        return body_path(path[1:]) if len(path) > 1 else "$(body)"
    return plan.values.get(head) if len(path) == 1 else None


EXTRA_PARAMS = {
    "git-url": "git_url",
    "git-revision": "revision",
    "pull-request-number": "pull_request_number",
}
"""Template params beside the pipeline's, for the PipelineRun's annotations (who, what, where)."""


# --- the workflow's triggers --------------------------------------------------------------------


@dataclass(slots=True)
class WorkflowTriggers:
    """Everything one workflow contributes to the trigger side."""

    conv: WorkflowConversion
    loaded: LoadedWorkflow
    plans: list[EventPlan]
    template: dict[str, Any] | None
    bindings: list[dict[str, Any]]
    findings: list[Finding]

    def trigger_entries(self, settings: TriggerSettings) -> list[dict[str, Any]]:
        return [trigger_entry(self.conv.name, p, settings) for p in self.plans]


def _pos(loaded: LoadedWorkflow, *path: str | int) -> Position:
    return loaded.doc.key_pos(("on", *path))


def plan_events(
    loaded: LoadedWorkflow, settings: TriggerSettings
) -> tuple[list[EventPlan], list[Finding]]:
    """The workflow's events as trigger plans, and findings for what GitHub does differently."""
    on = loaded.workflow.on
    plans: list[EventPlan] = []
    findings: list[Finding] = []
    for event in loaded.events():
        where = _pos(loaded, event)
        if event == "push":
            plans.append(plan_push(on.push, loaded))
        elif event == "pull_request":
            plans.append(plan_pull_request(on.pull_request, loaded, settings.allow_fork_prs))
            if not settings.allow_fork_prs:
                findings.append(
                    Finding(
                        "converted",
                        "pull requests from forks do not start the Pipeline (GitHub runs them "
                        "without secrets; a Tekton run would get them)",
                        where,
                        rule="trigger-forks",
                        action="pass --allow-fork-prs only if the Pipeline is safe for "
                        "untrusted code",
                    )
                )
        elif event == "pull_request_target":
            findings.append(
                Finding(
                    "manual",
                    "`pull_request_target` runs with the base repository's secrets and write "
                    "token for pull requests from forks; with a checkout of the pull request's "
                    "code that is arbitrary code execution with those secrets, so no trigger "
                    "is generated",
                    where,
                    rule="trigger-pull-request-target",
                    action="decide which part must run on untrusted pull requests; trigger it "
                    "on `pull_request` without secrets",
                )
            )
        elif event == "workflow_dispatch":
            plans.append(plan_dispatch(loaded))
            findings.extend(_dispatch_findings(loaded, where))
        elif event == "schedule":
            plans.append(plan_schedule(loaded))
        elif event == "release":
            plans.append(plan_release(on.release))
        elif event == "merge_group":
            plans.append(plan_merge_group(on.merge_group, loaded))
        elif event == "create":
            plans.append(plan_create())
        elif event == "delete":
            plans.append(plan_delete())
        elif event in CALLED_ONLY:
            continue
        else:
            findings.append(
                Finding(
                    "manual",
                    f"the `{event}` event has no trigger on the Tekton side yet",
                    where,
                    rule="trigger-event",
                    action=f"keep `{event}` runs on GitHub or add a trigger by hand",
                )
            )
    return plans, findings


def _dispatch_findings(loaded: LoadedWorkflow, where: Position) -> list[Finding]:
    spec = loaded.workflow.on.workflow_dispatch
    inputs = (spec.inputs or {}) if spec is not None else {}
    out: list[Finding] = []
    for key, item in inputs.items():
        if item.type == "choice" and item.options:
            choices = ", ".join(m.scalar_text(o) for o in item.options)
            out.append(
                Finding(
                    "converted",
                    f"input `{key}` is a choice ({choices}); Tekton params take any string",
                    loaded.doc.key_pos(("on", "workflow_dispatch", "inputs", key)),
                    rule="trigger-dispatch",
                )
            )
    return out


def build_workflow(
    conv: WorkflowConversion, loaded: LoadedWorkflow, settings: TriggerSettings
) -> WorkflowTriggers:
    if conv.github_only:
        return WorkflowTriggers(conv, loaded, [], None, [], [])
    plans, findings = plan_events(loaded, settings)
    if conv.pipeline is None:
        missing = [
            Finding(
                "manual",
                "no Pipeline was generated, so nothing to trigger",
                Position(loaded.display, 1, 1),
                rule="trigger-event",
            )
        ]
        return WorkflowTriggers(conv, loaded, [], None, [], missing if plans else [])
    if not plans:
        return WorkflowTriggers(conv, loaded, [], None, [], findings)
    where = Position(loaded.display, 1, 1)
    share = settings.tekton_share
    for plan in plans:
        sha = SHA_OF.get(plan.event)
        if sha is not None:
            plan.filter = cel.all_of([plan.filter, bucket.cel_condition(sha, share)])
        elif share < 100:
            plan.filter = cel.FALSE
            findings.append(
                Finding(
                    "converted",
                    f"`{plan.event}` events name no commit, so the {share}% split cannot bucket "
                    "them: they stay on GitHub until the share is 100%",
                    _pos(loaded, plan.event),
                    rule="trigger-split",
                )
            )
    if any(p.changed_files for p in plans):
        findings.append(
            Finding(
                "converted",
                "path filters need the changed files: the GitHub interceptor lists them with a "
                f"token from secret `{TOKEN_SECRET['secretName']}` (key "
                f"`{TOKEN_SECRET['secretKey']}`); GitHub's 300-file diff limit is not reproduced",
                where,
                rule="trigger-paths",
                action=f"create secret `{TOKEN_SECRET['secretName']}` with a token that can read "
                "the repository's pull requests",
            )
        )
    refs = github_references(loaded)
    params = _template_params(conv)
    names = [p["name"] for p in params]
    template = trigger_template(conv, loaded, params, settings)
    bindings = [
        trigger_binding(conv, loaded, plan, binding_values(plan, names, refs), settings)
        for plan in plans
    ]
    if any(p.event == "schedule" for p in plans) and loaded.workflow.on.schedule:
        findings.append(
            Finding(
                "converted",
                f"each cron becomes a CronJob (time zone {_time_zone(loaded)}) that posts a signed "
                "`schedule` event for the default branch's HEAD",
                _pos(loaded, "schedule"),
                rule="trigger-schedule",
                action=f"create ConfigMap `{_repo_config(conv)}` with key `url` (the "
                "repository's https clone URL)",
            )
        )
    if any(p.event == "workflow_dispatch" for p in plans):
        findings.append(
            Finding(
                "converted",
                "run it by hand: " + tkn_start(conv),
                _pos(loaded, "workflow_dispatch"),
                rule="trigger-dispatch",
            )
        )
    return WorkflowTriggers(conv, loaded, plans, template, bindings, findings)


def tkn_start(conv: WorkflowConversion) -> str:
    """How to run the Pipeline by hand with the inputs' defaults: the example PipelineRun (it
    has everything: workspaces, the GPU pool's placement, the claim's cleanup, the timeout), or
    ``tkn pipeline start`` with every workspace and the timeout, which would otherwise be
    Tekton's default of one hour (``config-defaults``: ``default-timeout-minutes``)."""
    assert conv.pipeline is not None
    timeout = pipeline_timeout(conv.pipeline)
    parts = [f"tkn pipeline start {conv.name}"]
    for p in conv.pipeline["spec"].get("params", []):
        if p["name"].startswith("inputs-"):
            parts.append(f"-p {p['name']}={_shell_word(str(p.get('default', '')))}")
    parts.append("-w name=source,emptyDir=")
    if SHARED in conv.workspaces:
        parts.append(f"-w name={SHARED},volumeClaimTemplateFile=claim.yaml")
    if CACHE in conv.workspaces:
        parts.append("-w name=cache,claimName=ghtotekton-cache")
    parts.append(f"--timeout {timeout}")
    parts.append(f"--serviceaccount {PIPELINE_SA} --use-param-defaults --showlog")
    claim = (
        f" (`claim.yaml`: a PersistentVolumeClaim like the example run's `{SHARED}` claim)"
        if SHARED in conv.workspaces
        else ""
    )
    return (
        f"`kubectl create -f examples/{conv.name}-run.yaml` (set its `inputs-*` params first), "
        f"or `{' '.join(parts)}`{claim}"
    )


def _shell_word(text: str) -> str:
    if text and re.fullmatch(r"[A-Za-z0-9_./:@%+=,-]+", text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def _template_params(conv: WorkflowConversion) -> list[dict[str, Any]]:
    assert conv.pipeline is not None
    params: dict[str, dict[str, Any]] = {}
    for p in conv.pipeline["spec"].get("params", []):
        if is_approval(p["name"]):
            continue  # a person's approval: the Pipeline's default, never a webhook's value
        entry: dict[str, Any] = {"name": p["name"], "default": str(p.get("default", ""))}
        if p.get("description"):
            entry["description"] = p["description"]
        params[p["name"]] = entry
    for key in cx.STANDARD_GITHUB:
        if key in ("job", "workflow"):
            continue
        name = param_name("github", key.replace("_", "-"))
        params.setdefault(name, {"name": name, "default": ""})
    for name in EXTRA_PARAMS:
        params.setdefault(name, {"name": name, "default": ""})
    return [params[k] for k in sorted(params)]


# --- resources --------------------------------------------------------------------------------


def _meta(name: str, settings: TriggerSettings, source: str, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(MANAGED)}
    if settings.namespace:
        meta["namespace"] = settings.namespace
    meta["annotations"] = {SOURCE_ANNOTATION: source}
    meta.update(extra)
    return meta


def _source(loaded: LoadedWorkflow, *path: str | int) -> str:
    pos = loaded.doc.key_pos(path) if path else Position(loaded.display, 1)
    return f"{loaded.display}:{max(pos.line, 1)}"


def binding_name(conv: WorkflowConversion, plan: EventPlan) -> str:
    return dns_label(f"{conv.name}-{plan.key}")


def trigger_binding(
    conv: WorkflowConversion,
    loaded: LoadedWorkflow,
    plan: EventPlan,
    values: dict[str, str],
    settings: TriggerSettings,
) -> dict[str, Any]:
    return {
        "apiVersion": TRIGGERS_API,
        "kind": "TriggerBinding",
        "metadata": _meta(binding_name(conv, plan), settings, _source(loaded, "on", plan.event)),
        "spec": {"params": [{"name": k, "value": values[k]} for k in sorted(values)]},
    }


def trigger_template(
    conv: WorkflowConversion,
    loaded: LoadedWorkflow,
    params: list[dict[str, Any]],
    settings: TriggerSettings,
) -> dict[str, Any]:
    assert conv.pipeline is not None
    declared = {
        p["name"] for p in conv.pipeline["spec"].get("params", []) if not is_approval(p["name"])
    }
    run_spec: dict[str, Any] = {"pipelineRef": {"name": conv.name}}
    if declared:
        run_spec["params"] = [{"name": n, "value": f"$(tt.params.{n})"} for n in sorted(declared)]
    run_spec["workspaces"] = run_workspaces(conv, settings.storage_class)
    specs = task_run_specs(conv)
    if specs:
        run_spec["taskRunSpecs"] = specs
    run_spec["taskRunTemplate"] = task_run_template(conv, serviceAccountName=PIPELINE_SA)
    run_spec["timeouts"] = {"pipeline": pipeline_timeout(conv.pipeline)}
    run: dict[str, Any] = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {
            "generateName": f"{conv.name}-",
            "labels": {**MANAGED, "ghtotekton.dev/workflow": conv.name},
            "annotations": {
                SOURCE_ANNOTATION: _source(loaded),
                "ghtotekton.dev/event": "$(tt.params.github-event-name)",
                "ghtotekton.dev/commit": "$(tt.params.git-revision)",
                "ghtotekton.dev/ref": "$(tt.params.github-ref)",
                "ghtotekton.dev/repository-url": "$(tt.params.git-url)",
                "ghtotekton.dev/pull-request": "$(tt.params.pull-request-number)",
                "ghtotekton.dev/sender": "$(tt.params.github-actor)",
                **run_annotations(conv),
            },
        },
        "spec": run_spec,
    }
    return {
        "apiVersion": TRIGGERS_API,
        "kind": "TriggerTemplate",
        "metadata": _meta(conv.name, settings, _source(loaded)),
        "spec": {"params": params, "resourcetemplates": [run]},
    }


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
DEFAULT_TASK_SECONDS = 360 * 60
"""GitHub's default job timeout, for a pipeline task that states none."""


def _seconds(text: Any) -> int:
    match = _DURATION.match(str(text)) if text else None
    if not match or not any(match.groups()):
        return DEFAULT_TASK_SECONDS
    h, mins, s = (int(g or 0) for g in match.groups())
    return h * 3600 + mins * 60 + s


def pipeline_timeout(pipeline: dict[str, Any]) -> str:
    """The longest chain of task timeouts plus the longest finally task.

    Tekton's default (one hour) would cut jobs that GitHub lets run for six hours each.
    """
    tasks = pipeline["spec"].get("tasks", [])
    by_name = {t["name"]: t for t in tasks}
    longest: dict[str, int] = {}
    pending = list(by_name)
    while pending:  # tasks form a DAG (the loader refused cycles); relax until stable
        progressed = False
        for name in list(pending):
            after = [a for a in by_name[name].get("runAfter", []) if a in by_name]
            if all(a in longest for a in after):
                start = max((longest[a] for a in after), default=0)
                longest[name] = start + _seconds(by_name[name].get("timeout"))
                pending.remove(name)
                progressed = True
        if not progressed:
            for name in pending:
                longest[name] = _seconds(by_name[name].get("timeout"))
            break
    total = max(longest.values(), default=0)
    total += max(
        (_seconds(t.get("timeout")) for t in pipeline["spec"].get("finally", [])), default=0
    )
    h, rest = divmod(total, 3600)
    mins, secs = divmod(rest, 60)
    return f"{h}h{mins}m{secs}s"


def trigger_entry(name: str, plan: EventPlan, settings: TriggerSettings) -> dict[str, Any]:
    """One trigger of an EventListener: verify, filter, bind, create."""
    github_params: list[dict[str, Any]] = [
        {"name": "secretRef", "value": dict(WEBHOOK_SECRET)},
        {"name": "eventTypes", "value": [plan.event]},
    ]
    if plan.changed_files:
        github_params.append(
            {
                "name": "addChangedFiles",
                "value": {"enabled": True, "personalAccessToken": dict(TOKEN_SECRET)},
            }
        )
    cel_params: list[dict[str, Any]] = [{"name": "filter", "value": plan.filter}]
    if plan.overlays:
        cel_params.append(
            {
                "name": "overlays",
                "value": [{"key": k, "expression": v} for k, v in sorted(plan.overlays.items())],
            }
        )
    return {
        "name": dns_label(f"{name}-{plan.key}"),
        "interceptors": [
            {
                "name": "verify-github",
                "ref": {"name": "github", "kind": "ClusterInterceptor"},
                "params": github_params,
            },
            {
                "name": "filter",
                "ref": {"name": "cel", "kind": "ClusterInterceptor"},
                "params": cel_params,
            },
        ],
        "bindings": [{"ref": dns_label(f"{name}-{plan.key}"), "kind": "TriggerBinding"}],
        "template": {"ref": name},
    }


def event_listener(
    name: str, triggers: list[dict[str, Any]], settings: TriggerSettings, source: str
) -> dict[str, Any]:
    return {
        "apiVersion": TRIGGERS_API,
        "kind": "EventListener",
        "metadata": _meta(name, settings, source),
        "spec": {"serviceAccountName": listener_sa(name), "triggers": triggers},
    }


def listener_sa(listener: str) -> str:
    return dns_label(f"{listener}-listener")


def listener_rbac(listener: str, settings: TriggerSettings, source: str) -> list[dict[str, Any]]:
    """A ServiceAccount with only what an EventListener does (upstream's eventlistener roles).

    Namespaced: read the Triggers resources, read config maps (logging, defaults), create
    PipelineRuns and events. Cluster-wide: read ClusterInterceptors and ClusterTriggerBindings,
    through the shared ClusterRole. No secrets: the core interceptors read the webhook secret.
    """
    sa = listener_sa(listener)
    namespace = settings.namespace or "default"
    role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa}
    subject = {"kind": "ServiceAccount", "name": sa, "namespace": namespace}
    cluster_meta: dict[str, Any] = {
        "name": dns_label(f"{namespace}-{sa}"),
        "labels": dict(MANAGED),
        "annotations": {SOURCE_ANNOTATION: source},
    }
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(sa, settings, source)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(sa, settings, source),
            "rules": [
                {
                    "apiGroups": ["triggers.tekton.dev"],
                    "resources": [
                        "eventlisteners",
                        "triggerbindings",
                        "interceptors",
                        "triggertemplates",
                        "triggers",
                    ],
                    "verbs": ["get", "list", "watch"],
                },
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["create"]},
                {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(sa, settings, source),
            "subjects": [subject],
            "roleRef": role_ref,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": cluster_meta,
            "subjects": [subject],
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": CLUSTER_ROLE,
            },
        },
    ]


def shared_resources(settings: TriggerSettings) -> list[dict[str, Any]]:
    """Written once per output: the cluster-wide read role and the PipelineRuns' account."""
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": CLUSTER_ROLE, "labels": dict(MANAGED)},
            "rules": [
                {
                    "apiGroups": ["triggers.tekton.dev"],
                    "resources": ["clustertriggerbindings", "clusterinterceptors"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": PIPELINE_SA,
                "labels": dict(MANAGED),
                **({"namespace": settings.namespace} if settings.namespace else {}),
            },
        },
        # The run-bundle publisher (a finally task) records its upload on its own PipelineRun.
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {
                "name": PIPELINE_SA,
                "labels": dict(MANAGED),
                **({"namespace": settings.namespace} if settings.namespace else {}),
            },
            "rules": [
                {
                    "apiGroups": ["tekton.dev"],
                    "resources": ["pipelineruns"],
                    "verbs": ["get", "patch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {
                "name": PIPELINE_SA,
                "labels": dict(MANAGED),
                **({"namespace": settings.namespace} if settings.namespace else {}),
            },
            "subjects": [{"kind": "ServiceAccount", "name": PIPELINE_SA}],
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": PIPELINE_SA,
            },
        },
    ]


# --- schedules ----------------------------------------------------------------------------------

CRON_SCRIPT = r"""import base64, hashlib, hmac, json, os, sys, urllib.request, uuid

# GitHub runs a schedule on the latest commit of the default branch: ask the git server which
# branch HEAD is and where it points (smart HTTP ref advertisement), as `git ls-remote` would.
url = os.environ["REPOSITORY_URL"].strip().rstrip("/")
if url.endswith(".git"):
    url = url[:-4]
request = urllib.request.Request(url + ".git/info/refs?service=git-upload-pack")
token = os.environ.get("GITHUB_TOKEN", "")
if token:
    basic = base64.b64encode(("x-access-token:" + token).encode()).decode()
    request.add_header("Authorization", "Basic " + basic)
data = urllib.request.urlopen(request, timeout=60).read()
sha = branch = ""
pos = 0
while pos + 4 <= len(data):
    size = int(data[pos:pos + 4], 16)
    line, pos = data[pos + 4:pos + size], pos + max(size, 4)
    if not line or line.startswith(b"#"):
        continue
    refs, _, caps = line.rstrip(b"\n").partition(b"\0")
    if refs.endswith(b" HEAD"):
        sha = refs.split(b" ")[0].decode()
        for cap in caps.split():
            if cap.startswith(b"symref=HEAD:"):
                branch = cap[len(b"symref=HEAD:"):].decode()
        break
if not sha or not branch:
    sys.exit(f"schedule: cannot read the default branch of {url}")
full_name = "/".join(url.split("/")[-2:])
body = {
    "schedule": os.environ["SCHEDULE"],
    "workflow": os.environ["WORKFLOW"],
    "ref": branch,
    "ref_name": branch[len("refs/heads/"):],
    "after": sha,
    "repository": {
        "clone_url": url + ".git",
        "git_url": "git://" + url.split("://", 1)[-1] + ".git",
        "full_name": full_name,
        "name": full_name.split("/")[-1],
        "owner": {"login": full_name.split("/")[0]},
        "default_branch": branch[len("refs/heads/"):],
    },
    "sender": {"login": os.environ.get("ACTOR", "")},
}
payload = json.dumps(body).encode()
secret = os.environ["WEBHOOK_SECRET"].encode()
signature = "sha256=" + hmac.new(secret, payload, hashlib.sha256).hexdigest()
post = urllib.request.Request(os.environ["EVENT_LISTENER_URL"], data=payload, method="POST")
post.add_header("Content-Type", "application/json")
post.add_header("X-GitHub-Event", "schedule")
post.add_header("X-GitHub-Delivery", str(uuid.uuid4()))
post.add_header("X-Hub-Signature-256", signature)
with urllib.request.urlopen(post, timeout=60) as answer:
    print(f"schedule: posted {sha[:12]} of {branch}: HTTP {answer.status}")
"""


def _time_zone(loaded: LoadedWorkflow, index: int = 0) -> str:
    schedules = loaded.workflow.on.schedule or []
    if index < len(schedules) and schedules[index].timezone:
        return schedules[index].timezone or "Etc/UTC"
    return "Etc/UTC"


def _repo_config(conv: WorkflowConversion) -> str:
    return dns_label(f"{conv.name}-repository")


def cron_jobs(
    conv: WorkflowConversion, loaded: LoadedWorkflow, settings: TriggerSettings, listener: str
) -> list[dict[str, Any]]:
    """A CronJob per cron that posts a signed ``schedule`` event to the listener."""
    out: list[dict[str, Any]] = []
    for i, item in enumerate(loaded.workflow.on.schedule or []):
        name = dns_label(f"{conv.name}-schedule-{i + 1}", max_len=52)
        env: list[dict[str, Any]] = [
            {"name": "SCHEDULE", "value": item.cron},
            {"name": "WORKFLOW", "value": workflow_file(loaded)},
            {
                "name": "EVENT_LISTENER_URL",
                "value": f"http://el-{listener}:{LISTENER_PORT}",
            },
            {
                "name": "REPOSITORY_URL",
                "valueFrom": {"configMapKeyRef": {"name": _repo_config(conv), "key": "url"}},
            },
            {
                "name": "WEBHOOK_SECRET",
                "valueFrom": {
                    "secretKeyRef": {
                        "name": WEBHOOK_SECRET["secretName"],
                        "key": WEBHOOK_SECRET["secretKey"],
                    }
                },
            },
            {
                "name": "GITHUB_TOKEN",
                "valueFrom": {
                    "secretKeyRef": {
                        "name": TOKEN_SECRET["secretName"],
                        "key": TOKEN_SECRET["secretKey"],
                        "optional": True,
                    }
                },
            },
        ]
        out.append(
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": _meta(name, settings, _source(loaded, "on", "schedule", i)),
                "spec": {
                    "schedule": item.cron,
                    "timeZone": _time_zone(loaded, i),
                    "concurrencyPolicy": "Allow",
                    "successfulJobsHistoryLimit": 1,
                    "failedJobsHistoryLimit": 3,
                    "jobTemplate": {
                        "spec": {
                            "backoffLimit": 2,
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "containers": [
                                        {
                                            "name": "post-schedule-event",
                                            "image": CRON_IMAGE,
                                            "command": ["python3", "-c", CRON_SCRIPT],
                                            "env": env,
                                        }
                                    ],
                                }
                            },
                        }
                    },
                },
            }
        )
    return out


# --- putting a repository's triggers together ------------------------------------------------


@dataclass(slots=True)
class TriggerFile:
    rel: str
    source: str
    what: str
    documents: list[dict[str, Any]]


def repo_label(loaded: LoadedWorkflow) -> str:
    """The repository a workflow belongs to: its root folder's name (``workflows`` if none)."""
    root = find_repo_root(loaded.path) if loaded.path.exists() else None
    return root.resolve().name if root is not None else "workflows"


def render_triggers(
    items: Sequence[tuple[WorkflowConversion, LoadedWorkflow]], settings: TriggerSettings
) -> list[TriggerFile]:
    """The trigger files for these workflows; findings are added to each conversion."""
    bucket.check_share(settings.tekton_share)
    if settings.listener not in ("per-repo", "per-workflow"):
        raise InputError(
            Diagnostic(
                Position("--listener"),
                f"unknown listener layout `{settings.listener}`",
                "use per-repo or per-workflow",
            )
        )
    built: list[tuple[str, WorkflowTriggers]] = []
    for conv, loaded in items:
        wt = build_workflow(conv, loaded, settings)
        conv.findings.extend(wt.findings)
        if wt.template is not None:
            built.append((repo_label(loaded), wt))
    if not built:
        return []
    files: list[TriggerFile] = [
        TriggerFile(SHARED_FILE, "ghtotekton", "Shared by every EventListener and PipelineRun.",
                    shared_resources(settings))
    ]  # fmt: skip
    taken: set[str] = set()
    if settings.listener == "per-workflow":
        for _repo, wt in built:
            name = unique(dns_label(wt.conv.name, max_len=60), taken)
            files.append(_workflow_file(wt, settings, name, with_listener=True))
            _namespace_finding(wt, settings)
        return files
    repos: dict[str, list[WorkflowTriggers]] = {}
    for repo, wt in built:
        repos.setdefault(repo, []).append(wt)
    for repo, group in sorted(repos.items()):
        name = unique(dns_label(repo, max_len=60), taken)
        triggers = [t for wt in group for t in wt.trigger_entries(settings)]
        source = group[0].loaded.display
        docs = [
            event_listener(name, triggers, settings, f"{source}:1"),
            *listener_rbac(name, settings, f"{source}:1"),
        ]
        rel = f"triggers/{name}-listener.yaml"
        if any(rel == f"triggers/{w.conv.name}.yaml" for _r, w in built):
            rel = f"triggers/{name}-eventlistener.yaml"  # a workflow is named `<repo>-listener`
        files.append(
            TriggerFile(
                rel,
                ", ".join(wt.loaded.display for wt in group),
                f"EventListener for the workflows of {repo}, with its ServiceAccount and RBAC.",
                docs,
            )
        )
        for wt in group:
            files.append(_workflow_file(wt, settings, name, with_listener=False))
        _namespace_finding(group[0], settings)
    return files


def _namespace_finding(wt: WorkflowTriggers, settings: TriggerSettings) -> None:
    """A ClusterRoleBinding must name its ServiceAccount's namespace; say which one we chose."""
    if settings.namespace:
        return
    wt.conv.findings.append(
        Finding(
            "converted",
            "the listener's ClusterRoleBinding assumes namespace `default`",
            Position(wt.loaded.display, 1, 1),
            rule="trigger-namespace",
            action="pass --namespace to convert for the namespace you deploy to",
        )
    )


def _workflow_file(
    wt: WorkflowTriggers, settings: TriggerSettings, listener: str, *, with_listener: bool
) -> TriggerFile:
    assert wt.template is not None
    source = f"{wt.loaded.display}:1"
    docs: list[dict[str, Any]] = []
    if with_listener:
        docs.append(event_listener(listener, wt.trigger_entries(settings), settings, source))
        docs.extend(listener_rbac(listener, settings, source))
    docs.append(wt.template)
    docs.extend(wt.bindings)
    docs.extend(cron_jobs(wt.conv, wt.loaded, settings, listener))
    return TriggerFile(
        f"triggers/{wt.conv.name}.yaml",
        wt.loaded.display,
        f"Triggers of {wt.loaded.display}: what starts Pipeline {wt.conv.name}.",
        docs,
    )


def triggers_for(
    conv: WorkflowConversion, loaded: LoadedWorkflow, settings: TriggerSettings
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """One workflow's trigger resources on a listener of its own, and the findings."""
    wt = build_workflow(conv, loaded, settings)
    if wt.template is None:
        return [], wt.findings
    name = dns_label(conv.name, max_len=60)
    return _workflow_file(wt, settings, name, with_listener=True).documents, wt.findings
