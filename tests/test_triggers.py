"""Triggers output: resources that Tekton accepts, the listener layouts, findings, the bucket.

Resources are checked three ways: parsed with our strict Triggers / Pipelines / k8s models,
validated with Tekton's own schemas (../shared/tools/validate_tekton.py), and read for what they
must say (secret references, event types, params bound from the payload). The bucket is checked
statistically (share, monotony) and for exact agreement between its Python, CEL and GitHub forms.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import celpy
import pytest
import re2
import yaml
from celpy import celtypes as ct
from typer.testing import CliRunner

from ghtotekton.cli import app
from ghtotekton.convert import bucket
from ghtotekton.convert.engine import Options, Result, convert_paths
from ghtotekton.github.expressions import evaluate as gh_evaluate
from ghtotekton.github.expressions import parse as gh_parse
from ghtotekton.tekton import k8s
from ghtotekton.tekton import triggers_model as tm
from ghtotekton.tekton.model import parse_resource
from tests.conftest import CORPUS, FIXTURES, SHARED, need_shared

VALIDATOR = SHARED / "tools" / "validate_tekton.py"

CI = """\
name: CI
on:
  push:
    branches: [main, 'release/**']
    paths-ignore: ['docs/**']
  pull_request:
    types: [opened, synchronize, labeled]
    branches: [main]
  workflow_dispatch:
    inputs:
      level:
        type: choice
        options: [fast, full]
        default: fast
      dry-run:
        type: boolean
        default: false
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }} ${{ github.event.inputs.level }}"
      - run: echo ${{ inputs.level }}
  deploy:
    needs: test
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    timeout-minutes: 45
    steps:
      - run: echo deploy
"""
NIGHTLY = """\
on:
  schedule:
    - cron: '0 3 * * *'
    - cron: '30 12 * * 1-5'
  release:
    types: [published]
  create:
  delete:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo ${{ github.event.schedule }}
"""
ODD = """\
on:
  issue_comment:
  pull_request_target:
  push:
    tags: ['v*']
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - run: echo
"""
CALLED = """\
on:
  workflow_call:
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - run: echo
"""


def make_repo(root: Path) -> Path:
    repo = root / "shop"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    for name, text in (("ci", CI), ("nightly", NIGHTLY), ("odd", ODD), ("called", CALLED)):
        (wf / f"{name}.yml").write_text(text)
    return repo


def documents(result: Result, prefix: str = "triggers/") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rel, text in sorted(result.files.items()):
        if rel.startswith(prefix) and rel.endswith(".yaml"):
            out.extend(d for d in yaml.safe_load_all(text) if d)
    return out


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


@pytest.fixture
def per_repo(tmp_path: Path) -> Result:
    return convert_paths([make_repo(tmp_path)], Options(namespace="ci"))


# --- layout ------------------------------------------------------------------------------------


def test_per_repo_layout(per_repo: Result) -> None:
    files = sorted(r for r in per_repo.files if r.startswith("triggers/"))
    assert files == [
        "triggers/ci.yaml",
        "triggers/ghtotekton-shared.yaml",
        "triggers/nightly.yaml",
        "triggers/odd.yaml",
        "triggers/shop-listener.yaml",
    ]
    kustomization = yaml.safe_load(per_repo.files["kustomization.yaml"])
    assert set(files) <= set(kustomization["resources"])
    listeners = by_kind(documents(per_repo), "EventListener")
    assert len(listeners) == 1
    names = [t["name"] for t in listeners[0]["spec"]["triggers"]]
    # One trigger per event GitHub would start a run for; workflow_call-only gets none.
    assert names == [
        "ci-push", "ci-pull-request", "ci-workflow-dispatch",
        "nightly-schedule", "nightly-release", "nightly-create", "nightly-delete",
        "odd-push",
    ]  # fmt: skip


def test_per_workflow_layout(tmp_path: Path) -> None:
    result = convert_paths([make_repo(tmp_path)], Options(listener="per-workflow"))
    docs = documents(result)
    listeners = {d["metadata"]["name"] for d in by_kind(docs, "EventListener")}
    assert listeners == {"ci", "nightly", "odd"}
    accounts = {d["metadata"]["name"] for d in by_kind(docs, "ServiceAccount")}
    assert accounts == {"ci-listener", "nightly-listener", "odd-listener", "ghtotekton-pipeline"}
    assert "triggers/shop-listener.yaml" not in result.files
    # No --namespace: each listener's ClusterRoleBinding says `default`, and a finding says so.
    subjects = {b["subjects"][0]["namespace"] for b in by_kind(docs, "ClusterRoleBinding")}
    assert subjects == {"default"}
    assert "trigger-namespace" in {r for _s, r, _m in _findings(result, "ci")}
    recorded = json.loads(result.files["migration-map.json"])["options"]
    assert recorded["listener"] == "per-workflow"  # `check` regenerates with the same layout
    assert recorded["tekton_share"] == 100 and recorded["allow_fork_prs"] is False


def test_no_duplicate_resources(per_repo: Result) -> None:
    """kustomize refuses two resources of the same kind, namespace and name."""
    docs = [d for d in documents(per_repo, "") if isinstance(d, dict) and "kind" in d]
    ids = [(d["kind"], d["metadata"]["name"]) for d in docs if "name" in d.get("metadata", {})]
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes


def test_target_pac_writes_no_triggers(tmp_path: Path) -> None:
    result = convert_paths([make_repo(tmp_path)], Options(target="pac"))
    assert not [r for r in result.files if r.startswith("triggers/")]


# --- the resources -----------------------------------------------------------------------------


def _fill(value: Any) -> Any:
    """Placeholders replaced as Triggers would at run time (strings stay strings)."""
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"\$\(tt\.params\.[^)]+\)", "x0", value)
    return value


def test_documents_parse_with_strict_models(per_repo: Result) -> None:
    docs = documents(per_repo)
    models = {m.model_fields["kind"].default: m for m in tm.KINDS}
    counted = 0
    for doc in docs:
        kind = doc["kind"]
        if doc["apiVersion"] == tm.TRIGGERS_API:
            models[kind].model_validate(doc)
            counted += 1
        if kind == "TriggerTemplate":
            for run in doc["spec"]["resourcetemplates"]:
                parse_resource(_fill(run))
                counted += 1
        if kind == "CronJob":
            pod = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            for env in pod["containers"][0]["env"]:
                k8s.EnvVar.model_validate(env)
            counted += 1
    assert counted >= 15


def test_documents_validate_against_tekton_schemas(per_repo: Result, tmp_path: Path) -> None:
    need_shared(VALIDATOR)
    paths = []
    for rel, text in per_repo.files.items():
        if rel.startswith("triggers/"):
            path = tmp_path / "out" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            paths.append(str(path))
    run = subprocess.run(
        [sys.executable, str(VALIDATOR), *paths], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_listener_verifies_every_event(per_repo: Result) -> None:
    listener = by_kind(documents(per_repo), "EventListener")[0]
    for trigger in listener["spec"]["triggers"]:
        github, cel_step = trigger["interceptors"]
        assert github["ref"]["name"] == "github"
        params = {p["name"]: p["value"] for p in github["params"]}
        assert params["secretRef"] == {"secretName": "github-webhook-secret",
                                       "secretKey": "secretToken"}  # fmt: skip
        assert len(params["eventTypes"]) == 1
        assert cel_step["ref"]["name"] == "cel"
        assert next(p["name"] for p in cel_step["params"]) == "filter"
    push = next(t for t in listener["spec"]["triggers"] if t["name"] == "ci-push")
    changed = {p["name"]: p["value"] for p in push["interceptors"][0]["params"]}
    assert changed["addChangedFiles"] == {
        "enabled": True,
        "personalAccessToken": {"secretName": "github-secrets", "secretKey": "GITHUB_TOKEN"},
    }


def test_bindings_read_the_right_payload_fields(per_repo: Result) -> None:
    bindings = {
        d["metadata"]["name"]: {p["name"]: p["value"] for p in d["spec"]["params"]}
        for d in by_kind(documents(per_repo), "TriggerBinding")
    }
    push, pr, dispatch = (
        bindings["ci-push"],
        bindings["ci-pull-request"],
        bindings["ci-workflow-dispatch"],
    )
    assert push["github-sha"] == "$(body.after)"
    assert pr["github-sha"] == pr["git-revision"] == "$(body.pull_request.head.sha)"
    assert pr["github-head-ref"] == "$(body.pull_request.head.ref)"
    assert pr["github-base-ref"] == "$(body.pull_request.base.ref)"
    assert pr["pull-request-number"] == "$(body.number)"
    assert pr["github-ref"] == "refs/pull/$(body.number)/merge"
    assert push["github-event-name"] == "push" and pr["github-event-name"] == "pull_request"
    assert push["github-actor"] == "$(body.sender.login)"
    assert push["git-url"] == "$(body.repository.clone_url)"
    # github.event.* the workflow reads, whatever the event (missing fields fall to defaults)
    assert pr["github-event-pull-request-title"] == "$(body.pull_request.title)"
    assert dispatch["github-event-inputs-level"] == "$(body.inputs.level)"
    # inputs.* come from the dispatch payload, and are empty on other events (as on GitHub)
    assert dispatch["inputs-level"] == "$(body.inputs.level)"
    assert dispatch["inputs-dry-run"] == "$(body.inputs.dry-run)"
    assert push["inputs-level"] == ""
    schedule = bindings["nightly-schedule"]
    assert schedule["github-event-schedule"] == "$(body.schedule)"


def test_template_binds_every_pipeline_param(per_repo: Result) -> None:
    docs = documents(per_repo, "")
    pipeline = next(d for d in docs if d["kind"] == "Pipeline" and d["metadata"]["name"] == "ci")
    template = next(d for d in by_kind(docs, "TriggerTemplate") if d["metadata"]["name"] == "ci")
    declared = {p["name"] for p in pipeline["spec"]["params"]}
    tt_params = {p["name"]: p for p in template["spec"]["params"]}
    assert declared <= set(tt_params)
    # every template param has a default, so a field missing from a payload never fails a run
    assert all("default" in p for p in tt_params.values())
    assert tt_params["inputs-level"]["default"] == "fast"
    run = template["spec"]["resourcetemplates"][0]
    assert {p["name"] for p in run["spec"]["params"]} == declared
    assert run["spec"]["taskRunTemplate"]["serviceAccountName"] == "ghtotekton-pipeline"
    # 30 min test, then 45 min deploy, then the 10 min of the finally verdict (when a failure
    # was let through): the Pipeline may take 85 minutes
    assert run["spec"]["timeouts"]["pipeline"] == "1h25m0s"


def test_storage_class_reaches_the_claim(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo > x\n      - uses: actions/upload-artifact@v4\n"
        "        with: {name: x, path: x}\n"
    )
    result = convert_paths([repo], Options(storage_class="fast-ssd"))
    template = by_kind(documents(result), "TriggerTemplate")[0]
    spaces = {w["name"]: w for w in template["spec"]["resourcetemplates"][0]["spec"]["workspaces"]}
    claim = spaces["shared"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "fast-ssd"
    assert spaces["source"] == {"name": "source", "emptyDir": {}}


def test_cron_jobs_post_signed_schedule_events(per_repo: Result) -> None:
    crons = by_kind(documents(per_repo), "CronJob")
    assert [c["spec"]["schedule"] for c in crons] == ["0 3 * * *", "30 12 * * 1-5"]
    for cron in crons:
        assert cron["spec"]["timeZone"] == "Etc/UTC"  # GitHub's crons are UTC
        assert len(cron["metadata"]["name"]) <= 52
        container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e for e in container["env"]}
        assert env["EVENT_LISTENER_URL"]["value"] == "http://el-shop:8080"
        assert env["WORKFLOW"]["value"] == ".github/workflows/nightly.yml"
        assert env["WEBHOOK_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "github-webhook-secret"
        script = container["command"][2]
        compile(script, "cron", "exec")  # the posting script is valid Python
        assert "X-Hub-Signature-256" in script and '"X-GitHub-Event", "schedule"' in script


def test_rbac_is_least(per_repo: Result) -> None:
    docs = documents(per_repo)
    roles = by_kind(docs, "Role")
    [pipeline_role] = [r for r in roles if r["metadata"]["name"] == "ghtotekton-pipeline"]
    # the PipelineRuns' account may only read and annotate PipelineRuns (the bundle publisher)
    assert pipeline_role["rules"] == [
        {"apiGroups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["get", "patch"]}
    ]
    role = next(r for r in roles if r is not pipeline_role)
    verbs = {(g, r): set(rule["verbs"]) for rule in role["rules"]
             for g in rule["apiGroups"] for r in rule["resources"]}  # fmt: skip
    assert verbs[("tekton.dev", "pipelineruns")] == {"create"}
    assert all(r != "secrets" for _g, r in verbs)
    assert all(v <= {"get", "list", "watch", "create", "patch"} for v in verbs.values())
    cluster = by_kind(docs, "ClusterRole")[0]
    assert cluster["rules"] == [
        {
            "apiGroups": ["triggers.tekton.dev"],
            "resources": ["clustertriggerbindings", "clusterinterceptors"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    binding = by_kind(docs, "ClusterRoleBinding")[0]
    assert binding["subjects"][0]["namespace"] == "ci"
    assert "namespace" not in binding["metadata"]  # cluster-scoped


# --- findings ----------------------------------------------------------------------------------


def _findings(result: Result, workflow: str) -> list[tuple[str, str, str]]:
    conv = next(c for c in result.conversions if c.name == workflow)
    return [(f.status, f.rule, f.message) for f in conv.findings]


def test_findings_for_what_github_does_differently(per_repo: Result) -> None:
    odd = _findings(per_repo, "odd")
    assert ("manual", "trigger-event") in {(s, r) for s, r, _m in odd}
    target = [m for s, r, m in odd if r == "trigger-pull-request-target"]
    assert target and "secrets" in target[0]
    ci = _findings(per_repo, "ci")
    rules = {r for _s, r, _m in ci}
    assert {"trigger-forks", "trigger-paths", "trigger-dispatch"} <= rules
    tkn = [m for _s, r, m in ci if r == "trigger-dispatch" and "tkn" in m]
    assert tkn and "-p inputs-level=fast" in tkn[0]
    assert any("choice" in m for _s, r, m in ci if r == "trigger-dispatch")
    assert not _findings(per_repo, "called") or all(
        r != "trigger-event" for _s, r, _m in _findings(per_repo, "called")
    )


def test_split_below_100_keeps_shaless_events_on_github(tmp_path: Path) -> None:
    result = convert_paths([make_repo(tmp_path)], Options(tekton_share=10))
    listener = by_kind(documents(result), "EventListener")[0]
    filters = {
        t["name"]: t["interceptors"][1]["params"][0]["value"] for t in listener["spec"]["triggers"]
    }
    assert filters["nightly-release"] == "false"
    assert bucket.regex(10) in filters["ci-push"]
    assert "trigger-split" in {r for _s, r, _m in _findings(result, "nightly")}


def test_bad_options_are_input_errors(tmp_path: Path) -> None:
    from ghtotekton.errors import InputError

    with pytest.raises(InputError):
        convert_paths([make_repo(tmp_path)], Options(listener="per-galaxy"))


def test_bad_pattern_is_a_positioned_input_error(tmp_path: Path) -> None:
    from ghtotekton.errors import InputError

    repo = tmp_path / "r"
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_text(
        "on:\n  push:\n    branches:\n      - main\n      - 'v[9-0]'\njobs:\n  a:\n    runs-on: x\n"
        "    steps:\n      - run: echo\n"
    )
    with pytest.raises(InputError) as info:
        convert_paths([repo], Options())
    assert (info.value.first.position.line, info.value.first.position.col) == (5, 9)


def test_cli_options_reach_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "convert",
            str(make_repo(tmp_path)),
            "-o",
            str(out),
            "--listener",
            "per-workflow",
            "--tekton-share",
            "50",
            "--allow-fork-prs",
            "--storage-class",
            "ssd",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "triggers" / "ci.yaml").is_file()
    listener = by_kind(documents_from(out / "triggers"), "EventListener")
    filters = {t["name"]: t["interceptors"][1]["params"][0]["value"]
               for el in listener for t in el["spec"]["triggers"]}  # fmt: skip
    assert "body.after.matches('^(?:[0-7][0-9a-fA-F]{2})')" in filters["ci-push"]
    assert "type(body.pull_request.head.repo)" not in filters["ci-pull-request"]  # forks allowed
    template = by_kind(documents_from(out / "triggers"), "TriggerTemplate")[0]
    assert "storageClassName" not in str(template)  # no artifacts, so no claim to class
    bad = CliRunner().invoke(app, ["convert", str(tmp_path / "shop"), "--tekton-share", "101"])
    assert bad.exit_code == 2


def test_gpu_fixture_converts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["convert", str(FIXTURES / "gpu-notebook"), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    docs = documents_from(tmp_path / "o" / "triggers")
    template = by_kind(docs, "TriggerTemplate")[0]
    run = template["spec"]["resourcetemplates"][0]["spec"]
    # GPU scheduling reaches the PipelineRun where the affinity assistant of the run's claim
    # gets it too: the run's pod template, beside the service account.
    pool = run["taskRunTemplate"]["podTemplate"]
    assert run["taskRunTemplate"]["serviceAccountName"]
    assert any(t.get("key") == "nvidia.com/gpu" for t in pool["tolerations"])
    for spec in run["taskRunSpecs"]:
        assert "tolerations" not in spec["podTemplate"], spec["pipelineTaskName"]


def documents_from(folder: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        out.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return out


# --- the bucket --------------------------------------------------------------------------------


def _shas(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(160):040x}" for _ in range(n)]


@pytest.mark.parametrize("share", [1, 10, 25, 50, 90])
def test_bucket_share_is_close_to_n(share: int) -> None:
    shas = _shas(10_000, share)
    taken = sum(bucket.tekton_owns(s, share) for s in shas) / len(shas) * 100
    assert abs(taken - share) <= 1.5, taken


def test_bucket_is_monotone() -> None:
    shas = _shas(10_000, 7)
    owned = {n: {s for s in shas if bucket.tekton_owns(s, n)} for n in (0, 10, 50, 100)}
    assert not owned[0]
    assert owned[10] <= owned[50] <= owned[100] == set(shas)
    assert len(owned[10]) < len(owned[50]) < len(owned[100])


def test_bucket_prefix_sets_are_exact() -> None:
    """For every share, the regex takes exactly the 3-digit prefixes below the threshold."""
    for share in range(1, 100):
        compiled = re2.compile(bucket.regex(share))
        limit = bucket.threshold(share)
        for v in range(bucket.SPACE):
            prefix = f"{v:03x}"
            assert bool(compiled.search(prefix + "0" * 37)) == (v < limit), (share, prefix)
            assert (bucket.bucket_of(prefix + "0" * 37) < share) == (v < limit)
        assert (share * bucket.SPACE) / 100 <= limit < (share * bucket.SPACE) / 100 + 1


@pytest.mark.parametrize("share", [0, 1, 10, 33, 50, 90, 100])
def test_cel_and_github_forms_agree_with_python(share: int) -> None:
    env = celpy.Environment()
    program = env.program(env.compile(bucket.cel_condition("sha", share)))
    github = gh_parse(bucket.github_condition(share))
    shas = [*_shas(1000, share), "ABCDEF" + "0" * 34, "F" * 40, "0" * 40, "", "xyz", "12"]
    for sha in shas:
        expected = bucket.tekton_owns(sha, share)
        cel_result = program.evaluate({"sha": ct.StringType(sha)})
        assert bool(cel_result) == expected, (share, sha)
        if re.fullmatch(r"[0-9a-fA-F]{3,}", sha) or share in (0, 100):  # github.sha is a SHA
            assert bool(gh_evaluate(github, {"github": {"sha": sha}})) == expected, (share, sha)


def test_bucket_of_refuses_non_shas() -> None:
    with pytest.raises(ValueError):
        bucket.bucket_of("zz9")
    with pytest.raises(ValueError):
        bucket.tekton_owns("abc", 101)
    assert bucket.bucket_of("000" + "f" * 37) == 0
    assert bucket.bucket_of("fff") == 99


# --- the corpus --------------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_triggers_convert_and_validate(tmp_path: Path) -> None:
    need_shared(CORPUS)
    need_shared(VALIDATOR)
    paths: list[str] = []
    listeners = triggers = 0
    for repo in sorted(p for p in CORPUS.iterdir() if (p / ".github" / "workflows").is_dir()):
        result = convert_paths([repo], Options(tekton_share=50))  # a crash fails the test
        for rel, text in result.files.items():
            if rel.startswith("triggers/"):
                docs = [d for d in yaml.safe_load_all(text) if d]
                for listener in by_kind(docs, "EventListener"):
                    listeners += 1
                    triggers += len(listener["spec"]["triggers"])
                path = tmp_path / repo.name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                paths.append(str(path))
    assert listeners >= 40 and triggers > 600, (listeners, triggers)
    run = subprocess.run(
        [sys.executable, str(VALIDATOR), "-q", *paths], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


# --- the schedule CronJob's script, run against a fake git server and listener -----------------


def test_cron_script_posts_a_signed_event_for_the_default_head(tmp_path: Path) -> None:
    import hashlib
    import hmac
    import os
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from ghtotekton.convert.triggers import CRON_SCRIPT

    sha = "9" * 40
    received: dict[str, Any] = {}

    def pkt(text: bytes) -> bytes:
        return f"{len(text) + 4:04x}".encode() + text

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received["refs_path"] = self.path
            body = (
                pkt(b"# service=git-upload-pack\n")
                + b"0000"
                + pkt(sha.encode() + b" HEAD\0multi_ack symref=HEAD:refs/heads/trunk agent=x\n")
                + pkt(sha.encode() + b" refs/heads/trunk\n")
                + b"0000"
            )
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received["body"] = self.rfile.read(length)
            received["headers"] = dict(self.headers)
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    env = {
        **{k: v for k, v in os.environ.items() if "proxy" not in k.lower()},
        "REPOSITORY_URL": f"{base}/octo/shop",
        "EVENT_LISTENER_URL": f"{base}/",
        "WEBHOOK_SECRET": "s3cret",
        "SCHEDULE": "0 3 * * *",
        "WORKFLOW": ".github/workflows/nightly.yml",
    }
    try:
        run = subprocess.run(
            [sys.executable, "-c", CRON_SCRIPT], env=env, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stderr
    assert received["refs_path"] == "/octo/shop.git/info/refs?service=git-upload-pack"
    payload = received["body"]
    headers = {k.lower(): v for k, v in received["headers"].items()}
    expected = "sha256=" + hmac.new(b"s3cret", payload, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature-256"] == expected  # what the GitHub interceptor checks
    assert headers["x-github-event"] == "schedule"
    body = json.loads(payload)
    assert body["after"] == sha and body["ref"] == "refs/heads/trunk"
    assert body["ref_name"] == "trunk" and body["schedule"] == "0 3 * * *"
    assert body["repository"]["full_name"] == "octo/shop"
    assert body["workflow"] == ".github/workflows/nightly.yml"
