"""The Pipelines-as-Code target: documented annotations, GitHub's decisions, valid resources.

PaC's matcher is reproduced here from its source (``pkg/matcher``): ``on-event`` and
``on-target-branch`` through its ``branchMatch`` (gobwas globs without separators, ``refs/heads/``
added to short names), ``on-path-change`` through the same function on file paths, and
``on-cel-expression`` with PaC's CEL variables, including the ``refs/heads/`` stripping of a push's
``target_branch`` when the expression holds no such constant. GitHub's decision comes from the
rules GitHub documents (``github_push`` / ``github_pr`` of test_cel_filters); for every payload
variation the PipelineRuns PaC would start must be the ones GitHub would.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import celpy
import pytest
import yaml
from celpy import celtypes as ct

from ghtotekton.convert import pac
from ghtotekton.convert.engine import Options, Result, convert_paths
from ghtotekton.convert.pac import (
    ON_CEL_EXPRESSION,
    ON_EVENT,
    ON_PATH_CHANGE,
    ON_TARGET_BRANCH,
    PacRun,
    pac_glob_ok,
    plan_runs,
)
from ghtotekton.convert.workflow import WorkflowConversion
from ghtotekton.errors import InputError
from ghtotekton.github.loader import LoadedWorkflow, load_workflow_text
from ghtotekton.github.repository import repositories
from ghtotekton.tekton.validate import validate_paths
from ghtotekton.tekton.validate_runtime import RUNTIME_RULES
from tests.conftest import CORPUS, FIXTURES, SHARED, need_shared
from tests.test_cel_filters import (
    CHANGED,
    PR_CHANGED,
    PR_DEFAULT,
    PR_FILTERS,
    PUSH_FILTERS,
    REFS,
    _yaml,
    github_pr,
    github_push,
    load,
)

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_PAC = Path(__file__).parent / "golden_pac"
GOLDEN_CASES = {
    # case -> folder converted (golden workflows of tests/golden, and the GPU notebook demo)
    "checkout-artifacts-cache": GOLDEN / "checkout-artifacts-cache",
    "job-if-when": GOLDEN / "job-if-when",
    "script-injection": GOLDEN / "script-injection",
    "secrets-env": GOLDEN / "secrets-env",
    "workflow-dispatch-inputs": GOLDEN / "workflow-dispatch-inputs",
    "runner-labels-gpu": GOLDEN / "runner-labels-gpu",
    "gpu-notebook": FIXTURES / "gpu-notebook",
}
DOCUMENTED = {
    # The PaC annotations this target writes, exactly as PaC's docs (and pkg/apis/.../keys) name
    # them.
    "pipelinesascode.tekton.dev/on-event",
    "pipelinesascode.tekton.dev/on-target-branch",
    "pipelinesascode.tekton.dev/on-path-change",
    "pipelinesascode.tekton.dev/on-cel-expression",
    "pipelinesascode.tekton.dev/max-keep-runs",
}


def workflow(on: str, name: str = "ci.yml", steps: str = "      - run: echo\n") -> LoadedWorkflow:
    text = f"on:\n{on}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    return load_workflow_text(text, f".github/workflows/{name}")


def runs_for(on: str, **options: Any) -> list[tuple[str, PacRun]]:
    loaded = workflow(on)
    runs, _findings = plan_runs(WorkflowConversion(loaded.display, "ci", None), loaded,
                                Options(**options), set())  # fmt: skip
    return runs


def convert_in(folder: Path, **options: Any) -> Result:
    cwd = os.getcwd()
    os.chdir(folder)  # paths in the output are relative to this folder
    try:
        return convert_paths([Path(".")], Options(target="pac", **options))
    finally:
        os.chdir(cwd)


def convert_text(on: str, steps: str = "      - run: echo\n", **options: Any) -> Result:
    """Convert one workflow written to a temporary repository."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        wf = Path(tmp) / ".github" / "workflows" / "ci.yml"
        wf.parent.mkdir(parents=True)
        text = f"on:\n{on}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
        wf.write_text(text)
        return convert_in(Path(tmp), **options)


def tekton_docs(result: Result, rel: str = ".tekton/ci.yaml") -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(result.files[rel]) if d is not None]


def run_docs(result: Result) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in tekton_docs(result) if d["kind"] == "PipelineRun"}


# --- PaC's matcher, from its source ---------------------------------------------------------


def gobwas(pattern: str, text: str) -> bool:
    """gobwas/glob compiled without separators, for the characters our annotations use."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            while i < len(pattern) and pattern[i] == "*":
                i += 1
            out.append(".*")  # without separators `*` and `**` both cross `/`
            continue
        assert char not in "?[]{}\\!", f"the emulator has no `{char}` ({pattern})"
        out.append(re.escape(char))
        i += 1
    return re.fullmatch("".join(out), text, re.DOTALL) is not None


def branch_match(prun: str, base: str) -> bool:
    """PaC's ``branchMatch``: short names get ``refs/heads/``, then a glob match."""
    full = base if base.startswith(("refs/heads/", "refs/tags/")) else "refs/heads/" + base
    if prun.startswith("refs/heads/"):
        return gobwas(prun, full)
    if not prun.startswith("refs/tags/"):
        return gobwas("refs/heads/" + prun, full)
    return gobwas(prun, base)


def match_on_annotation(annotation: str, values: list[str], branches: bool) -> bool:
    text = annotation.strip()
    items = [s.strip() for s in text[1:-1].split(",")] if text.startswith("[") else [text]
    assert items and items[0], f"PaC refuses the empty annotation {annotation!r}"
    return any(v == e or (branches and branch_match(v, e)) for v in items for e in values)


@dataclass
class PacEvent:
    """What PaC's GitHub provider makes of a webhook (``parse_payload.go``)."""

    event: str
    target_branch: str
    source_url: str
    target_url: str
    files: list[str]
    body: dict[str, Any]


def push_event(body: dict[str, Any], changed: list[str]) -> PacEvent | None:
    if body["deleted"]:  # a deletion has a zero `after`, which PaC refuses
        return None
    url = body["repository"]["html_url"]
    return PacEvent("push", body["ref"], url, url, changed, body)


PAC_OPEN = {"opened", "synchronize", "reopened", "ready_for_review"}


def pr_event(body: dict[str, Any], changed: list[str]) -> PacEvent | None:
    action = body["action"]
    if action == "closed":
        kind = "pull_request_closed"
    elif action in PAC_OPEN:
        kind = "pull_request"
    else:  # labeled goes to on-label runs only; other actions are not delivered
        return None
    pr = body["pull_request"]
    head = pr["head"]["repo"]
    source = head["html_url"] if head else ""
    return PacEvent(kind, pr["base"]["ref"], source, pr["base"]["repo"]["html_url"], changed, body)


_CEL = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}
_BODIES: dict[int, tuple[dict[str, Any], Any]] = {}
"""Payloads converted to CEL values, by identity (payloads are not changed once built)."""


def pac_cel(expr: str, ev: PacEvent) -> bool:
    program = _PROGRAMS.get(expr)
    if program is None:
        program = _PROGRAMS[expr] = _CEL.program(_CEL.compile(expr))
    target = ev.target_branch
    if ev.event == "push" and "refs/heads/" not in expr:
        target = target.removeprefix("refs/heads/")  # PaC's cel.go does this
    cached = _BODIES.get(id(ev.body))
    if cached is None or cached[0] is not ev.body:
        cached = _BODIES[id(ev.body)] = (ev.body, celpy.json_to_cel(ev.body))
    activation = {
        "event": ct.StringType(ev.event),
        "target_branch": ct.StringType(target),
        "source_branch": ct.StringType(target),
        "target_url": ct.StringType(ev.target_url),
        "source_url": ct.StringType(ev.source_url),
        "body": cached[1],
        "files": celpy.json_to_cel({"all": ev.files}),
    }
    result = program.evaluate(activation)
    assert isinstance(result, ct.BoolType), (expr, result)  # an error skips the run in PaC
    return bool(result)


def pac_matches(annotations: dict[str, str], ev: PacEvent) -> bool:
    if ON_CEL_EXPRESSION in annotations:  # it replaces every other matching annotation
        return pac_cel(annotations[ON_CEL_EXPRESSION], ev)
    ok = match_on_annotation(annotations[ON_EVENT], [ev.event], False)
    ok = ok and match_on_annotation(annotations[ON_TARGET_BRANCH], [ev.target_branch], True)
    if ok and ON_PATH_CHANGE in annotations:
        ok = match_on_annotation(annotations[ON_PATH_CHANGE], ev.files, True)
    return ok


# --- annotations -----------------------------------------------------------------------------


def test_annotation_names_are_the_documented_ones() -> None:
    assert pac.ON_EVENT == "pipelinesascode.tekton.dev/on-event"
    assert pac.ON_TARGET_BRANCH == "pipelinesascode.tekton.dev/on-target-branch"
    assert pac.ON_PATH_CHANGE == "pipelinesascode.tekton.dev/on-path-change"
    assert pac.ON_CEL_EXPRESSION == "pipelinesascode.tekton.dev/on-cel-expression"
    assert pac.MAX_KEEP_RUNS == "pipelinesascode.tekton.dev/max-keep-runs"
    result = convert_in(FIXTURES / "gpu-notebook")
    used = {
        key
        for rel, text in result.files.items()
        if rel.startswith(".tekton/")
        for doc in yaml.safe_load_all(text)
        for key in doc["metadata"].get("annotations", {})
        if key.startswith("pipelinesascode.tekton.dev/")
    }
    assert used == DOCUMENTED


def test_plain_push_filter_uses_target_branch_and_path_change() -> None:
    on = "  push:\n    branches: [main, 'release/**']\n    paths: ['src/**', Dockerfile]"
    runs = runs_for(on)
    assert [name for name, _run in runs] == ["ci-push"]
    assert runs[0][1].annotations == {
        "pipelinesascode.tekton.dev/on-event": "[push]",
        "pipelinesascode.tekton.dev/on-target-branch": "[main, release/**]",
        "pipelinesascode.tekton.dev/on-path-change": "[src/**, Dockerfile]",
    }


@pytest.mark.parametrize(
    ("on", "key"),
    [
        ("  push:\n    branches-ignore: [gh-pages]", "push"),
        ("  push:\n    tags: ['v*']", "push-tags"),
        ("  push:\n    tags-ignore: [nightly]", "push-tags"),
        ("  push:\n    branches: ['release/*']", "push"),  # GitHub's `*` stops at `/`
        ("  push:\n    branches: [main, '!main-old']", "push"),
        ("  push:\n    branches: [main]\n    paths-ignore: [docs/**]", "push"),
        ("  push:\n    branches: [main]\n    paths: ['**/README.md']", "push"),
    ],
)
def test_filters_pac_reads_differently_go_to_cel(on: str, key: str) -> None:
    runs = dict((run.key, run) for _name, run in runs_for(on))
    assert set(runs[key].annotations) == {ON_CEL_EXPRESSION}
    expr = runs[key].annotations[ON_CEL_EXPRESSION]
    assert expr.startswith("event == 'push' && ") and "target_branch" in expr


def test_literal_tags_use_the_full_ref() -> None:
    runs = runs_for("  push:\n    tags: [v1.2.3, 'v2/**']")
    assert [run.key for _name, run in runs] == ["push-tags"]
    assert runs[0][1].annotations[ON_TARGET_BRANCH] == "[refs/tags/v1.2.3, refs/tags/v2/**]"


def test_pac_glob_ok() -> None:
    for good in ("main", "release/**", "v1.2.3", "a**b", "**"):
        assert pac_glob_ok(good), good
    for bad in ("*", "feat/*", "**/x", "***", "v?", "v+", "[ab]", "{a,b}", "!x", "a,b", "refs/x"):
        assert not pac_glob_ok(bad), bad


def test_forks_are_excluded_unless_allowed() -> None:
    ((name, guarded),) = runs_for("  pull_request:\n    branches: [main]")
    assert name == "ci-pull-request"
    assert guarded.annotations == {
        ON_CEL_EXPRESSION: "event == 'pull_request' && target_branch.matches('^(?:main)$') "
        "&& source_url == target_url"
    }
    ((_name, open_run),) = runs_for("  pull_request:\n    branches: [main]", allow_fork_prs=True)
    assert open_run.annotations == {ON_EVENT: "[pull_request]", ON_TARGET_BRANCH: "[main]"}


def test_dispatch_is_an_incoming_webhook_and_other_events_are_findings() -> None:
    loaded = workflow("  workflow_dispatch:\n  schedule:\n    - cron: '0 1 * * *'\n  release:")
    conv = WorkflowConversion(loaded.display, "ci", None)
    runs, findings = plan_runs(conv, loaded, Options(), set())
    assert [(name, run.annotations) for name, run in runs] == [
        ("ci-workflow-dispatch", {ON_EVENT: "[incoming]", ON_TARGET_BRANCH: "[*]"})
    ]
    rules = sorted((f.rule, f.status) for f in findings)
    assert rules == [
        ("pac-dispatch", "converted"),
        ("pac-event", "manual"),
        ("pac-event", "manual"),
    ]


def test_unsupported_pull_request_types_are_manual() -> None:
    loaded = workflow("  pull_request:\n    types: [opened, labeled, closed]")
    _runs, findings = plan_runs(WorkflowConversion(loaded.display, "ci", None), loaded,
                                Options(), set())  # fmt: skip
    manual = [f for f in findings if f.status == "manual"]
    assert len(manual) == 1 and "`labeled`, `closed`" in manual[0].message


def test_max_keep_runs_option() -> None:
    result = convert_text("  push:\n    branches: [main]", max_keep_runs=12)
    (run,) = run_docs(result).values()
    assert run["metadata"]["annotations"]["pipelinesascode.tekton.dev/max-keep-runs"] == "12"
    default = run_docs(convert_text("  push:\n    branches: [main]"))["ci-push"]
    assert default["metadata"]["annotations"]["pipelinesascode.tekton.dev/max-keep-runs"] == "5"
    with pytest.raises(InputError):
        convert_text("  push:", max_keep_runs=0)


# --- GitHub's decisions ------------------------------------------------------------------------

PAC_PUSH_FILTERS: list[dict[str, list[str]]] = [
    *PUSH_FILTERS,
    {"branches": ["main"]},
    {"branches": ["release/**", "main"], "paths": ["src/**", "docs/**"]},
    {"tags": ["v1.2.3", "v2"]},
    {"branches": ["feature/*"]},
    {"branches": ["feat**"], "tags": ["**"]},
    {"paths": ["*.md"]},
    {"paths": ["**/readme.md"]},
    {"branches": []},
]
PAC_REFS = [
    *REFS, "refs/heads/feature/a/b", "refs/heads/featx", "refs/heads/main/sub",
    "refs/tags/v1.2.3/x",
]  # fmt: skip
PAC_CHANGED = [*CHANGED, ["docs/x/y.md"], ["readme.md"], ["a/readme.md"]]


def _push_bodies() -> list[dict[str, Any]]:
    base = load("push/payload.json")
    out = []
    for ref in PAC_REFS:
        for deleted in (False, True):
            body = copy.deepcopy(base)
            body["ref"], body["deleted"] = ref, deleted
            out.append(body)
    return out


def test_push_runs_agree_with_github() -> None:
    bodies = _push_bodies()
    decided = {True: 0, False: 0}
    forms = {"annotations": 0, "cel": 0}
    for flt in PAC_PUSH_FILTERS:
        runs = runs_for(_yaml("push", flt))
        for _name, run in runs:
            forms["cel" if ON_CEL_EXPRESSION in run.annotations else "annotations"] += 1
        for body in bodies:
            for changed in PAC_CHANGED:
                expected = github_push(flt, body, changed)
                ev = push_event(body, changed)
                matched = [r for _n, r in runs if ev is not None and pac_matches(r.annotations, ev)]
                assert len(matched) <= 1, (flt, body["ref"])  # one run per push, as on GitHub
                assert bool(matched) == expected, (flt, body["ref"], changed, runs)
                if matched:  # the branch run for branches, the tag run for tags
                    kind = "tag" if body["ref"].startswith("refs/tags/") else "branch"
                    assert matched[0].values["ref_type"] == kind
                decided[expected] += 1
    assert min(decided.values()) > 500, decided
    assert min(forms.values()) >= 8, forms


PAC_PR_FILTERS: list[dict[str, list[str]]] = [
    *PR_FILTERS,
    {"branches": ["main"]},
    {"branches": ["release/*"]},
    {"paths": ["src/**"]},
    {"types": ["opened"]},
    {"types": ["opened", "synchronize", "reopened", "ready_for_review"]},
    {"branches-ignore": ["main"], "paths-ignore": ["**.md"]},
]
PAC_BASES = ["master", "main", "release/1", "release/1/x", "experimental/x"]
PAC_PR_CHANGED = [*PR_CHANGED, ["src/x/y.py"]]


def _pr_bodies() -> list[dict[str, Any]]:
    out = []
    for action in ("opened", "synchronize", "reopened", "closed", "labeled", "ready_for_review"):
        base = load(f"pull_request/{action}.payload.json")
        for ref in PAC_BASES:
            for head in ("same", "fork", "gone"):
                body = copy.deepcopy(base)
                body["pull_request"]["base"]["ref"] = ref
                if head == "fork":
                    repo = body["pull_request"]["head"]["repo"]
                    repo["full_name"] = "someone/Hello-World"
                    repo["html_url"] = "https://github.com/someone/Hello-World"
                elif head == "gone":  # the fork was deleted
                    body["pull_request"]["head"]["repo"] = None
                out.append(body)
    return out


def _github_pr_for_pac(
    flt: dict[str, list[str]], body: dict[str, Any], changed: list[str], forks: bool
) -> bool:
    """GitHub's decision, with the two differences the findings announce."""
    action = body["action"]
    if action not in PAC_OPEN:  # no PaC pull_request run for these (a manual finding)
        return False
    types = flt.get("types", PR_DEFAULT)
    if action == "ready_for_review" and set(PR_DEFAULT) <= set(types):
        flt = {**flt, "types": [*types, "ready_for_review"]}  # PaC runs it too (a finding)
    return github_pr(flt, body, changed, forks)


@pytest.mark.parametrize("forks", [False, True])
def test_pull_request_runs_agree_with_github(forks: bool) -> None:
    bodies = _pr_bodies()
    decided = {True: 0, False: 0}
    for flt in PAC_PR_FILTERS:
        runs = runs_for(_yaml("pull_request", flt), allow_fork_prs=forks)
        assert len(runs) <= 1
        for body in bodies:
            for changed in PAC_PR_CHANGED:
                expected = _github_pr_for_pac(flt, body, changed, forks)
                ev = pr_event(body, changed)
                got = any(ev is not None and pac_matches(r.annotations, ev) for _n, r in runs)
                assert got == expected, (flt, body["action"], body["pull_request"], changed, runs)
                decided[expected] += 1
    assert min(decided.values()) > 100, decided


# --- params, tokens, placeholders --------------------------------------------------------------


def _substitute(text: str, values: dict[str, str]) -> str:
    """PaC's textual replacement of ``{{ var }}`` in the raw file, before YAML is read."""

    def one(match: re.Match[str]) -> str:
        return values.get(match.group(1).strip(), match.group(0))

    return re.sub(r"\{\{([^}]{2,})\}\}", one, text)


PAC_VALUES = {
    "revision": "0123456789abcdef0123456789abcdef01234567",
    "repo_url": "https://github.com/octo/hello",
    "repo_owner": "octo",
    "repo_name": "hello",
    "sender": "mona",
    "source_branch": "feature/x",
    "target_branch": "main",
    "pull_request_number": "42",
    "git_tag": "v1.0",
    "git_auth_secret": "pac-gitauth-octo-hello-abcde",
}


def test_params_after_pac_substitution_are_githubs_values() -> None:
    result = convert_text(
        "  push:\n    branches: [main]\n  pull_request:\n    branches: [main]",
        steps='      - run: echo "${{ github.event.pull_request.number }} $GITHUB_SHA"\n',
    )
    text = _substitute(result.files[".tekton/ci.yaml"], PAC_VALUES)
    runs = {
        d["metadata"]["name"]: d for d in yaml.safe_load_all(text) if d["kind"] == "PipelineRun"
    }
    params = {n: {p["name"]: p["value"] for p in r["spec"]["params"]} for n, r in runs.items()}
    push, pr = params["ci-push"], params["ci-pull-request"]
    assert push["github-sha"] == PAC_VALUES["revision"]
    assert push["github-ref"] == "refs/heads/main" and push["github-ref-name"] == "main"
    assert push["github-event-name"] == "push" and push["github-repository"] == "octo/hello"
    assert push["github-event-pull-request-number"] == ""  # absent from push events
    assert pr["github-ref"] == "refs/pull/42/merge" and pr["github-head-ref"] == "feature/x"
    assert pr["github-base-ref"] == "main" and pr["github-event-pull-request-number"] == "42"
    assert pr["github-actor"] == "mona" and pr["github-event-name"] == "pull_request"
    assert "{{" not in text


def test_untrusted_event_fields_are_not_pasted_into_yaml() -> None:
    result = convert_in(GOLDEN / "script-injection")
    text = result.files[".tekton/ci.yaml"]
    assert "body." not in text  # a `{{ body.pull_request.title }}` could rewrite the YAML
    values = [f for f in result.conversions[0].findings if f.rule == "pac-values"]
    assert len(values) == 1 and "github.event.pull_request.title" in values[0].message


def test_github_token_comes_from_pacs_git_auth_secret() -> None:
    steps = (
        "      - uses: actions/checkout@v4\n"
        "      - run: gh pr list\n"
        "        env:\n"
        "          GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n"
        "          OTHER: ${{ secrets.DEPLOY_KEY }}\n"
    )
    result = convert_text("  push:", steps=steps)
    (task,) = [
        d for d in tekton_docs(result) if d["kind"] == "Task" and "build" in d["metadata"]["name"]
    ]
    refs = {
        (e["name"], e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for step in task["spec"]["steps"]
        for e in step.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert ("GITHUB_TOKEN", "{{ git_auth_secret }}", "git-provider-token") in refs  # checkout
    assert ("GH_TOKEN", "{{ git_auth_secret }}", "git-provider-token") in refs
    assert ("OTHER", "github-secrets", "DEPLOY_KEY") in refs
    # the installable copy under tasks/ keeps the cluster secret
    assert "git_auth_secret" not in result.files[f"tasks/{task['metadata']['name']}.yaml"]


def test_text_pac_would_replace_is_reported() -> None:
    result = convert_text("  push:", steps="      - run: echo '{{ revision }}' '{{.State}}'\n")
    (finding,) = [f for f in result.conversions[0].findings if f.rule == "pac-placeholders"]
    assert "`{{ revision }}`" in finding.message and "State" not in finding.message


def test_tekton_folder_is_not_in_the_kustomization_and_only_for_pac() -> None:
    result = convert_in(GOLDEN / "checkout-artifacts-cache")
    assert ".tekton/ci.yaml" in result.files
    assert ".tekton" not in result.files["kustomization.yaml"]
    assert result.files[".tekton/ci.yaml"].startswith("---\n# ")  # no comment-only document
    cwd = os.getcwd()
    os.chdir(GOLDEN / "checkout-artifacts-cache")
    try:
        triggers = convert_paths([Path(".")], Options())
    finally:
        os.chdir(cwd)
    assert not any(rel.startswith(".tekton/") for rel in triggers.files)


def test_tasks_several_workflows_share_are_written_once(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    body = (
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: mkdir out\n      - uses: actions/upload-artifact@v4\n"
        "        with: {name: out, path: out}\n"
    )
    (folder / "a.yml").write_text("on: push\n" + body)
    (folder / "b.yml").write_text("on: push\n" + body)
    result = convert_in(tmp_path)
    names: dict[str, list[str]] = {}
    for rel, text in result.files.items():
        if rel.startswith(".tekton/"):
            for doc in yaml.safe_load_all(text):
                if doc["kind"] == "Task":
                    names.setdefault(doc["metadata"]["name"], []).append(rel)
    assert names["ghtotekton-publish-bundle"] == [pac.SHARED_FILE]
    assert all(len(files) == 1 for files in names.values()), names


# --- golden files and validity -----------------------------------------------------------------


def _tekton_files(result: Result) -> dict[str, str]:
    return {k: v for k, v in result.files.items() if k.startswith(".tekton/")}


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_golden_pac(case: str) -> None:
    files = _tekton_files(convert_in(GOLDEN_CASES[case]))
    expected_dir = GOLDEN_PAC / case / "expected"
    if os.environ.get("GHTOTEKTON_UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, text in files.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_text(text)
    expected = {
        str(p.relative_to(expected_dir)): p.read_text()
        for p in sorted(expected_dir.rglob("*"))
        if p.is_file()
    }
    assert files, "no .tekton/ file written"
    assert sorted(files) == sorted(expected), "files written differ from the golden set"
    for rel, text in files.items():
        assert text == expected[rel], f"{case}/{rel} differs from the golden file"


def _write(files: dict[str, str], root: Path) -> list[Path]:
    paths = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(path)
    return paths


def _validate(paths: list[Path]) -> None:
    tool = SHARED / "tools" / "validate_tekton.py"
    need_shared(tool)
    result = subprocess.run(
        [sys.executable, str(tool), "-q", *map(str, paths)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " 0 errors" in result.stdout, result.stdout[-2000:]
    report = validate_paths(paths)
    # The controller's rules (RUNTIME_RULES) are pinned where the converter's output is
    # checked for them (tests/test_validate.py); here, what the API server would refuse.
    errors = [
        d
        for d in [*report.diagnostics, *report.bad_input]
        if d.severity == "error" and d.rule not in RUNTIME_RULES
    ]
    assert not errors, [d.format() for d in errors[:20]]
    assert report.documents >= len(paths)


def test_golden_pac_output_validates(tmp_path: Path) -> None:
    paths = []
    for case, folder in sorted(GOLDEN_CASES.items()):
        paths += _write(_tekton_files(convert_in(folder)), tmp_path / case)
    _validate(paths)


@pytest.mark.corpus
def test_corpus_converts_with_target_pac(tmp_path: Path) -> None:
    """Every corpus workflow's events plan; a third of the repositories convert whole with
    --target pac and a sample of their `.tekton/` files validates (the rest of the conversion
    is test_convert_corpus's; this keeps the test within a minute)."""
    need_shared(CORPUS)
    repos = sorted(p for p in CORPUS.iterdir() if (p / ".github" / "workflows").is_dir())
    planned = 0
    for repo in repositories(repos):
        for loaded in repo.workflows.values():
            conv = WorkflowConversion(loaded.display, "wf", None)
            runs, _findings = plan_runs(conv, loaded, Options(), set())  # a crash fails
            planned += len(runs)
    assert planned >= 500, planned
    written: list[Path] = []
    workflows = runs_written = 0
    for i, repo_path in enumerate(repos[::3]):
        result = convert_paths([repo_path], Options(target="pac"))
        workflows += len(result.conversions)
        files = _tekton_files(result)
        runs_written += sum(text.count("\nkind: PipelineRun\n") for text in files.values())
        if i % 2 == 0:
            written += _write(files, tmp_path / repo_path.name)
    assert workflows >= 150 and runs_written >= 150, (workflows, runs_written)
    assert len(written) >= 50
    _validate(written)
