"""The generated CEL filters decide as GitHub does, on GitHub's own payloads and variations of them.

Each filter is evaluated with cel-python. Tekton's CEL environment adds cel-go's string extension;
the one function the filters use from it (``split``) and the two the overlays use (``indexOf``,
``substring``) get Python stand-ins here. GitHub's decision is computed independently, from the
rules GitHub documents for ``on:`` filters (written out in ``github_push`` / ``github_pr`` below),
with the reference glob matcher of test_globs.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import celpy
import pytest
from celpy import celtypes as ct

from ghtotekton.convert import bucket
from ghtotekton.convert.engine import Options
from ghtotekton.convert.triggers import SHA_OF, EventPlan, plan_events
from ghtotekton.github.loader import LoadedWorkflow, load_workflow_text
from tests.conftest import SHARED, need_shared
from tests.test_globs import last_match_wins

HOOKS = SHARED / "github-webhooks"

# --- CEL with the extension functions Tekton's environment has ---------------------------------


def _split(text: Any, sep: Any) -> ct.ListType:
    return ct.ListType([ct.StringType(s) for s in str(text).split(str(sep))])


def _index_of(text: Any, sub: Any, start: Any = 0) -> ct.IntType:
    return ct.IntType(str(text).find(str(sub), int(start)))


def _substring(text: Any, start: Any, end: Any = None) -> ct.StringType:
    s = str(text)
    return ct.StringType(s[int(start) :] if end is None else s[int(start) : int(end)])


FUNCTIONS = {"split": _split, "indexOf": _index_of, "substring": _substring}
_ENV = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}
_BODIES: dict[int, tuple[dict[str, Any], Any]] = {}
"""Converted payloads by identity (bodies are not mutated once a test starts evaluating)."""


def evaluate(expr: str, body: dict[str, Any], changed: list[str] | None = None) -> Any:
    """Evaluate ``expr`` over one event as the CEL interceptor sees it."""
    program = _PROGRAMS.get(expr)
    if program is None:
        program = _ENV.program(_ENV.compile(expr), functions=FUNCTIONS)
        _PROGRAMS[expr] = program
    extensions = {"changed_files": ",".join(changed or [])}
    cached = _BODIES.get(id(body))
    if cached is None or cached[0] is not body:
        cached = (body, celpy.json_to_cel(body))
        _BODIES[id(body)] = cached
    activation = {
        "body": cached[1],
        "extensions": celpy.json_to_cel(extensions),
        "header": celpy.json_to_cel({}),
    }
    return program.evaluate(activation)


def decide(expr: str, body: dict[str, Any], changed: list[str] | None = None) -> bool:
    result = evaluate(expr, body, changed)
    assert isinstance(result, ct.BoolType), f"{expr!r} gave {result!r}"  # an error drops events
    return bool(result)


def load(name: str) -> dict[str, Any]:
    need_shared(HOOKS)
    data: dict[str, Any] = json.loads((HOOKS / name).read_text())
    return data


def workflow(on: str, name: str = "ci.yml") -> LoadedWorkflow:
    text = (
        f"on:\n{on}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n"
    )
    return load_workflow_text(text, f".github/workflows/{name}")


def plan(loaded: LoadedWorkflow, event: str, **options: Any) -> EventPlan:
    plans, _findings = plan_events(loaded, Options(**options))
    found = [p for p in plans if p.event == event]
    assert len(found) == 1
    return found[0]


# --- GitHub's rules, as its documentation states them ----------------------------------------


def _list_allows(include: list[str] | None, ignore: list[str] | None, name: str) -> bool:
    if include is not None:
        return last_match_wins(include, name)
    if ignore is not None:
        return not last_match_wins(ignore, name)
    return True


def _paths_allow(flt: dict[str, list[str]], changed: list[str]) -> bool:
    if "paths" in flt:  # some changed file is selected by the list
        return any(last_match_wins(flt["paths"], f) for f in changed)
    if "paths-ignore" in flt:  # skipped only when every changed file is ignored
        return any(not last_match_wins(flt["paths-ignore"], f) for f in changed)
    return True


def github_push(flt: dict[str, list[str]], body: dict[str, Any], changed: list[str]) -> bool:
    if body["deleted"]:  # deleting a branch or tag runs no push workflow
        return False
    ref: str = body["ref"]
    kind, name = (
        ("tags", ref[len("refs/tags/") :])
        if ref.startswith("refs/tags/")
        else ("branches", ref[len("refs/heads/") :])
    )
    has = {k: k in flt or f"{k}-ignore" in flt for k in ("branches", "tags")}
    if has["branches"] or has["tags"]:
        # A filter for one ref kind only means pushes of the other kind do not run.
        if not has[kind]:
            return False
        if not _list_allows(flt.get(kind), flt.get(f"{kind}-ignore"), name):
            return False
    if kind == "tags":  # path filters are not evaluated for tag pushes
        return True
    return _paths_allow(flt, changed)


PR_DEFAULT = ["opened", "synchronize", "reopened"]


def github_pr(
    flt: dict[str, list[str]], body: dict[str, Any], changed: list[str], forks: bool
) -> bool:
    if body["action"] not in flt.get("types", PR_DEFAULT):
        return False
    pr = body["pull_request"]
    if not _list_allows(flt.get("branches"), flt.get("branches-ignore"), pr["base"]["ref"]):
        return False
    head_repo = pr["head"]["repo"]
    same = head_repo is not None and head_repo["full_name"] == body["repository"]["full_name"]
    if not same and not forks:  # our policy: forks do not reach a Tekton run with secrets
        return False
    return _paths_allow(flt, changed)


def _yaml(event: str, flt: dict[str, list[str]]) -> str:
    if not flt:
        return f"  {event}:"
    lines = [f"  {event}:"]
    for key, values in flt.items():
        lines.append(f"    {key}: {json.dumps(values)}")
    return "\n".join(lines)


# --- push --------------------------------------------------------------------------------------

PUSH_FILTERS: list[dict[str, list[str]]] = [
    {},
    {"branches": ["main", "release/**"]},
    {"branches-ignore": ["dependabot/**", "gh-pages"]},
    {"tags": ["v*", "!v*-rc*"]},
    {"tags-ignore": ["nightly*"]},
    {"branches": ["main"], "tags": ["v[0-9]+.*"]},
    {"paths": ["src/**", "!src/**/*.md"]},
    {"paths-ignore": ["docs/**", "**/*.md"]},
    {"branches": ["main", "!main-old", "main*"], "paths": ["**.py"]},
    {"tags": ["v*"], "paths": ["src/**"]},
    {"branches": ["feature/*", "!feature/x*", "feature/xyz"]},
    {"branches-ignore": ["release/**", "!release/keep"], "tags-ignore": ["*"]},
]
REFS = [
    "refs/heads/main", "refs/heads/master", "refs/heads/release/1.0", "refs/heads/release",
    "refs/heads/dependabot/npm/x", "refs/heads/gh-pages", "refs/heads/feature/a",
    "refs/heads/feature/xa", "refs/heads/feature/xyz", "refs/heads/main-old",
    "refs/heads/release/keep", "refs/tags/v1.2.3", "refs/tags/v1.0-rc1", "refs/tags/nightly-1",
    "refs/tags/v2", "refs/tags/simple-tag",
]  # fmt: skip
CHANGED = [
    ["src/app.py"], ["docs/a.md"], ["README.md"], ["src/x/readme.md"],
    ["src/x/readme.md", "lib/b.py"], [],
]  # fmt: skip


def _push_bodies() -> list[dict[str, Any]]:
    """The real push payloads: one tag deletion, one new branch; then refs swapped in."""
    out = []
    for name in ("push/payload.json", "push/with-new-branch.payload.json"):
        base = load(name)
        for ref in REFS:
            for deleted in (False, True):
                body = copy.deepcopy(base)
                body["ref"], body["deleted"] = ref, deleted
                out.append(body)
    return out


def test_push_filters_agree_with_github() -> None:
    cases = 0
    decided = {True: 0, False: 0}
    bodies = _push_bodies()
    for flt in PUSH_FILTERS:
        expr = plan(workflow(_yaml("push", flt)), "push").filter
        for body in bodies:
            for changed in CHANGED:
                expected = github_push(flt, body, changed)
                assert decide(expr, body, changed) == expected, (flt, body["ref"], changed, expr)
                decided[expected] += 1
                cases += 1
    assert cases >= 200 and min(decided.values()) > 100, decided


def test_real_push_payloads_unchanged() -> None:
    # The payloads as GitHub sent them: a tag deletion never runs; a new master branch runs
    # when master is not excluded.
    deletion, created = load("push/payload.json"), load("push/with-new-branch.payload.json")
    on_push = plan(workflow("  push:"), "push").filter
    assert not decide(on_push, deletion)
    assert decide(on_push, created)
    only_main = plan(workflow(_yaml("push", {"branches": ["main"]})), "push").filter
    assert not decide(only_main, created)


def test_push_needs_changed_files_only_with_paths() -> None:
    assert not plan(workflow(_yaml("push", {"branches": ["main"]})), "push").changed_files
    assert plan(workflow(_yaml("push", {"paths": ["a/**"]})), "push").changed_files
    # tags only: paths would never be evaluated, so no changed-file lookup either
    assert not plan(workflow(_yaml("push", {"tags": ["v*"], "paths": ["a"]})), "push").changed_files


def test_ref_overlays() -> None:
    p = plan(workflow("  push:"), "push")
    for ref, name, kind in (
        ("refs/heads/main", "main", "branch"),
        ("refs/heads/feature/a/b", "feature/a/b", "branch"),
        ("refs/tags/v1.0", "v1.0", "tag"),
    ):
        body = {"ref": ref}
        assert str(evaluate(p.overlays["ght_ref_name"], body)) == name
        assert str(evaluate(p.overlays["ght_ref_type"], body)) == kind


# --- pull_request ------------------------------------------------------------------------------

PR_FILTERS: list[dict[str, list[str]]] = [
    {},
    {"types": ["opened", "closed", "labeled"]},
    {"branches": ["main", "release/**"]},
    {"branches-ignore": ["experimental/**"]},
    {"paths": ["src/**"]},
    {"paths-ignore": ["**.md"]},
    {"types": ["ready_for_review"], "branches": ["master"], "paths": ["**.py", "!tests/**"]},
]
BASES = ["master", "main", "release/1", "experimental/x"]
PR_CHANGED = [["src/a.py"], ["README.md"], ["tests/t.py"], ["README.md", "src/b.md"]]


def _pr_bodies() -> list[dict[str, Any]]:
    need_shared(HOOKS)
    out = []
    actions = ("opened", "synchronize", "reopened", "closed", "labeled", "ready_for_review")
    for action in actions:
        base = load(f"pull_request/{action}.payload.json")
        for ref in BASES:
            for head in ("same", "fork", "gone"):
                body = copy.deepcopy(base)
                body["pull_request"]["base"]["ref"] = ref
                if head == "fork":
                    body["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World"
                elif head == "gone":  # the fork was deleted
                    body["pull_request"]["head"]["repo"] = None
                out.append(body)
    return out


@pytest.mark.parametrize("forks", [False, True])
def test_pull_request_filters_agree_with_github(forks: bool) -> None:
    cases = 0
    decided = {True: 0, False: 0}
    bodies = _pr_bodies()
    for flt in PR_FILTERS:
        expr = plan(workflow(_yaml("pull_request", flt)), "pull_request", allow_fork_prs=forks)
        for body in bodies:
            for changed in PR_CHANGED:
                expected = github_pr(flt, body, changed, forks)
                got = decide(expr.filter, body, changed)
                assert got == expected, (flt, body["action"], changed, expr.filter)
                decided[expected] += 1
                cases += 1
    assert cases >= 200 and min(decided.values()) > 50, decided


def test_real_pull_request_payloads() -> None:
    # `on: pull_request` runs for opened, synchronize and reopened only.
    expr = plan(workflow("  pull_request:"), "pull_request").filter
    for action in ("opened", "synchronize", "reopened"):
        assert decide(expr, load(f"pull_request/{action}.payload.json")), action
    for action in ("closed", "labeled", "assigned", "ready_for_review"):
        assert not decide(expr, load(f"pull_request/{action}.payload.json")), action


# --- release, dispatch, create, delete, schedule -------------------------------------------------


def test_release_types_and_drafts() -> None:
    need_shared(HOOKS)
    every = plan(workflow("  release:"), "release").filter
    published = plan(workflow(_yaml("release", {"types": ["published"]})), "release").filter
    cases = 0
    for path in sorted((HOOKS / "release").glob("*.json")):
        base = json.loads(path.read_text())
        for draft in (False, True):
            body = copy.deepcopy(base)
            body["release"]["draft"] = draft
            action = body["action"]
            # GitHub skips created/edited/deleted of draft releases; otherwise every type runs.
            skipped_draft = draft and action in ("created", "edited", "deleted")
            assert decide(every, body) == (not skipped_draft), (action, draft)
            assert decide(published, body) == (action == "published"), (action, draft)
            cases += 1
    assert cases >= 20


def test_dispatch_only_for_its_own_workflow() -> None:
    body = load("workflow_dispatch/payload.json")  # workflow: .github/workflows/hello-world-...
    on = "  workflow_dispatch:"
    assert decide(plan(workflow(on, "hello-world-workflow.yml"), "workflow_dispatch").filter, body)
    assert not decide(plan(workflow(on, "other.yml"), "workflow_dispatch").filter, body)


def test_schedule_only_for_its_own_workflow() -> None:
    on = "  schedule:\n    - cron: '0 3 * * *'"
    expr = plan(workflow(on, "nightly.yml"), "schedule").filter
    assert decide(expr, {"workflow": ".github/workflows/nightly.yml", "schedule": "0 3 * * *"})
    assert not decide(expr, {"workflow": ".github/workflows/ci.yml", "schedule": "0 3 * * *"})


def test_create_and_delete_payloads() -> None:
    for event in ("create", "delete"):
        expr = plan(workflow(f"  {event}:"), event).filter
        for name in ("payload.json", "with-organization.payload.json"):
            assert decide(expr, load(f"{event}/{name}")), (event, name)
    create = plan(workflow("  create:"), "create")
    body = load("create/payload.json")  # a tag named simple-tag
    assert str(evaluate(create.overlays["ght_ref"], body)) == "refs/tags/simple-tag"
    branch = {**body, "ref_type": "branch"}
    assert str(evaluate(create.overlays["ght_ref"], branch)) == "refs/heads/simple-tag"


# --- the traffic split inside the filter --------------------------------------------------------


def test_bucket_condition_on_the_event_sha() -> None:
    import random

    from ghtotekton.convert.triggers import build_workflow
    from ghtotekton.convert.workflow import WorkflowConversion

    loaded = workflow("  push:\n  pull_request:")
    conv = WorkflowConversion(loaded.display, "ci", {"spec": {"tasks": []}})
    rng = random.Random(5)
    built = build_workflow(conv, loaded, Options(tekton_share=25))
    by_event = {p.event: p.filter for p in built.plans}
    push_base = load("push/with-new-branch.payload.json")
    pr_base = load("pull_request/opened.payload.json")
    for _ in range(150):
        sha = f"{rng.getrandbits(160):040x}"
        push_body, pr_body = copy.deepcopy(push_base), copy.deepcopy(pr_base)
        push_body["after"] = sha
        pr_body["pull_request"]["head"]["sha"] = sha
        owned = bucket.tekton_owns(sha, 25)
        assert decide(by_event["push"], push_body) == owned
        assert decide(by_event["pull_request"], pr_body) == owned
    assert SHA_OF["pull_request"] == "body.pull_request.head.sha"


def test_payload_files_are_there() -> None:
    need_shared(HOOKS)
    assert Path(HOOKS / "push" / "payload.json").is_file()


MERGE_FILTERS: list[dict[str, list[str]]] = [
    {},
    {"branches": ["main"]},
    {"branches-ignore": ["main", "!main"]},
    {"types": ["destroyed"]},
]


def test_merge_group_filters() -> None:
    base = load("merge_group/checks_requested.payload.json")  # queue into refs/heads/main
    cases = 0
    for flt in MERGE_FILTERS:
        expr = plan(workflow(_yaml("merge_group", flt)), "merge_group").filter
        for target in ("main", "release/1", "develop"):
            body = copy.deepcopy(base)
            body["merge_group"]["base_ref"] = f"refs/heads/{target}"
            # GitHub: checks_requested is the default type; branches match the queue's base.
            expected = body["action"] in flt.get("types", ["checks_requested"]) and _list_allows(
                flt.get("branches"), flt.get("branches-ignore"), target
            )
            assert decide(expr, body) == expected, (flt, target)
            cases += 1
    assert cases == 12
    overlay = plan(workflow("  merge_group:"), "merge_group").overlays["ght_ref_name"]
    assert str(evaluate(overlay, base)).startswith("gh-readonly-queue/main/pr-104-")


@pytest.mark.parametrize(
    "text", ["plain", "it's", "back\\slash", "new\nline\ttab", "quote'\\'", "ünï €", "\x01"]
)
def test_cel_string_literals_round_trip(text: str) -> None:
    from ghtotekton.convert import cel

    assert str(evaluate(cel.string(text), {})) == text
    assert decide(f"body.name == {cel.string(text)}", {"name": text})
