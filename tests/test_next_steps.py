"""The report ends with numbered steps a newcomer can paste, from this output to a first run:
install Tekton, create every Secret (the webhook's too), apply, expose the listener, create the
webhook, start a run. Each command is valid shell and names only files the output has."""

from __future__ import annotations

import itertools
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ghtotekton.cli import app
from ghtotekton.tekton import versions

WORKFLOW = """\
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
        env:
          TOKEN: ${{ secrets.API_TOKEN }}
          REGION: ${{ vars.REGION }}
"""
TOOLS = {"kubectl", "gh", "openssl", "tkn"}


def _convert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> Path:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["convert", ".", "-o", "tekton", *extra])
    assert result.exit_code == 0, result.stderr
    return repo / "tekton"


def _steps(out: Path) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = json.loads((out / "migration-report.json").read_text())[
        "next_steps"
    ]
    return steps


def _words(command: str) -> list[str]:
    """The command's words up to a heredoc (whose body is data, not words)."""
    return shlex.split(command.split("<<", 1)[0], comments=True)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_every_command_is_valid_shell_and_runs_a_known_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _convert(tmp_path, monkeypatch)
    steps = _steps(out)
    script = "\n".join(c for s in steps for c in s["commands"])
    done = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    for command in (c for s in steps for c in s["commands"]):
        words = _words(command)
        assignment = re.fullmatch(r"[A-Z_]+=.*", words[0]) if words else None
        tool = words[0] if not assignment else (re.findall(r"\$\((\w+)", command) or ["="])[0]
        assert tool in TOOLS | {"="}, command


def test_the_files_the_steps_name_are_in_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _convert(tmp_path, monkeypatch)
    for command in (c for s in _steps(out) for c in s["commands"]):
        words = _words(command)
        if words[:1] != ["kubectl"]:
            continue
        for flag, value in itertools.pairwise(words):
            if flag in ("-f", "-k") and not value.startswith(("http", "-")):
                assert (out / value).exists(), (command, value)
    markdown = (out / "migration-report.md").read_text()
    assert markdown.rstrip().endswith("```")  # the steps close the report
    assert markdown.index("## Next steps") > markdown.index("## `.github/workflows/ci.yml`")


def test_the_steps_cover_install_secrets_apply_expose_webhook_and_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _convert(tmp_path, monkeypatch)
    steps = _steps(out)
    text = "\n".join(c for s in steps for c in s["commands"])
    assert f"pipeline/previous/{versions.PIPELINES}/release.yaml" in text
    assert f"triggers/previous/{versions.TRIGGERS}/interceptors.yaml" in text
    assert "WEBHOOK_SECRET=$(openssl rand -hex 20)" in text
    assert 'github-webhook-secret --from-literal=secretToken="$WEBHOOK_SECRET"' in text
    assert "--from-literal=API_TOKEN=CHANGE-ME" in text
    assert "kubectl create configmap github-vars --from-literal=REGION=CHANGE-ME" in text
    assert "kubectl apply -k ." in text
    listener = next(
        d["metadata"]["name"]
        for p in (out / "triggers").glob("*.yaml")
        for d in yaml.safe_load_all(p.read_text())
        if d and d["kind"] == "EventListener"
    )
    assert f"name: el-{listener}" in text
    webhook = next(c for c in text.splitlines() if c.startswith("gh api"))
    assert sorted(re.findall(r"events\[\]=(\w+)", webhook)) == ["pull_request", "push"]
    assert '"config[secret]=$WEBHOOK_SECRET"' in webhook
    assert "kubectl create -f examples/ci-run.yaml" in text
    # the secrets come before the apply, the apply before the run
    order = [s["title"] for s in steps]
    assert order.index("Create the Secrets and ConfigMaps the runs read") < next(
        i for i, t in enumerate(order) if t.startswith("Apply")
    )


def test_a_namespace_is_created_and_named_in_each_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _convert(tmp_path, monkeypatch, "--namespace", "ci")
    text = "\n".join(c for s in _steps(out) for c in s["commands"])
    assert "kubectl create namespace ci" in text
    for line in text.splitlines():
        if line.startswith("kubectl create secret") or line.startswith("kubectl create -f"):
            assert " -n ci" in line, line


def test_pipelines_as_code_gets_its_own_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _convert(tmp_path, monkeypatch, "--target", "pac")
    text = "\n".join(c for s in _steps(out) for c in s["commands"])
    assert "pipelines-as-code" in text and "tkn pac create repository" in text
    assert "gh api" not in text and "interceptors.yaml" not in text


LABELER = """\
on: pull_request_target
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/labeler@v5
"""


def test_a_workflow_whose_every_step_is_dropped_stays_on_github(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Pipeline, Task or trigger that would run nothing; the report says it stays."""
    out = _convert(tmp_path, monkeypatch)
    repo = out.parent
    (repo / ".github" / "workflows" / "labeler.yml").write_text(LABELER)
    result = CliRunner().invoke(app, ["convert", ".", "-o", "tekton"])
    assert result.exit_code == 0, result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert not [p for p in written if "labeler" in p], written
    assert "pipelines/ci.yaml" in written
    report = json.loads((out / "migration-report.json").read_text())
    labeler = next(w for w in report["workflows"] if w["file"].endswith("labeler.yml"))
    assert labeler["class"] == "successful"
    assert [f["rule"] for f in labeler["findings"]] == ["github-only"]
    assert labeler["jobs"][0]["task"] == ""
    audited = CliRunner().invoke(app, ["audit", "--format", "json", "."])
    migration = json.loads(audited.stdout)["migration"]
    assert [w["class"] for w in migration["workflows"]] == [w["class"] for w in report["workflows"]]


def test_nothing_to_deploy_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "labeler.yml").write_text(LABELER)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["convert", ".", "-o", "tekton"])
    assert result.exit_code == 0, result.stderr
    assert _steps(repo / "tekton") == []
    markdown = (repo / "tekton" / "migration-report.md").read_text()
    assert "Nothing to deploy" in markdown and "github-webhook-secret" not in markdown
