"""`ghtotekton check`, its three integrations, and the valid/invalid Tekton fixtures.

Every check test starts from a real ``convert . -o tekton`` of a small repository, then changes
one thing the way a pull request would, so a passing check means the regeneration reproduces
``convert`` byte for byte and a failing one names the file with a diff.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result as CliResult
from pydantic import BaseModel, ConfigDict
from typer.testing import CliRunner

from ghtotekton.check import drift, formats
from ghtotekton.check.drift import RecordedOptions
from ghtotekton.cli import app
from ghtotekton.convert.engine import Options
from ghtotekton.errors import Diagnostic, Position
from ghtotekton.github import model as gm
from ghtotekton.github.loader import load_action
from ghtotekton.rollout import patch
from ghtotekton.tekton.validate import validate_paths
from tests.conftest import FIXTURES, REPO, SHARED, need_shared

CI = """name: CI
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Test
        run: make test
"""
UNKNOWN_ACTION = """name: Odd
on: push
jobs:
  odd:
    runs-on: ubuntu-latest
    steps:
      - uses: someone/unknown-action@v1
        with:
          level: 3
"""
VALID = FIXTURES / "tekton-valid"
INVALID = FIXTURES / "tekton-invalid"
TASK = REPO / "integrations" / "tekton" / "ghtotekton-check.yaml"
ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
# A workflow command line: ::name prop=value,prop=value::message, values without raw , or :
COMMAND = re.compile(
    r"^::(?P<name>[a-z-]+)(?: (?P<props>[a-z]+=[^,:\r\n]*(?:,[a-z]+=[^,:\r\n]*)*))?::"
    r"(?P<message>[^\r\n]*)$"
)
ANNOTATIONS = {"error", "warning", "notice"}


# --- helpers ---------------------------------------------------------------------------------


def make_repo(root: Path, workflows: dict[str, str] | None = None) -> Path:
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in (workflows or {"ci.yml": CI}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return root


def run(cli: CliRunner, *args: str) -> CliResult:
    return cli.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with its Tekton folder converted as the documented convention says."""
    root = make_repo(tmp_path / "project")
    monkeypatch.chdir(root)
    converted = run(cli, "convert", ".", "-o", "tekton")
    assert converted.exit_code == 0, converted.stderr
    return root


def check(cli: CliRunner, *args: str) -> CliResult:
    return run(cli, "check", *args)


def drifted(result: CliResult) -> dict[str, str]:
    """path -> status, from the JSON format."""
    return {d["path"]: d["status"] for d in json.loads(result.stdout)["drift"]}


# --- the policy ------------------------------------------------------------------------------


def test_an_untouched_conversion_passes(repo: Path, cli: CliRunner) -> None:
    result = check(cli)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "drift" not in result.stdout
    assert "check passed: 0 drifted files" in result.stderr


def test_an_edited_generated_file_fails_with_its_diff(repo: Path, cli: CliRunner) -> None:
    task = repo / "tekton" / "tasks" / "ci-test.yaml"
    text = task.read_text()
    assert "make test" in text
    task.write_text(text.replace("make test", "make test || true"))
    result = check(cli)
    assert result.exit_code == 1
    out = result.stdout
    assert (
        "drift: tekton/tasks/ci-test.yaml (changed, generated from .github/workflows/ci.yml)"
        in (out)
    )
    assert "--- a/tekton/tasks/ci-test.yaml" in out
    assert "+++ b/tekton/tasks/ci-test.yaml" in out
    assert re.search(r"^-\s+make test \|\| true$", out, re.MULTILINE)
    assert re.search(r"^\+\s+make test$", out, re.MULTILINE)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "make test" in t)
    assert f"tekton/tasks/ci-test.yaml:{line}:1: error: differs from" in out
    assert "[check/drift-changed]" in out
    assert "check FAILED: 1 drifted file (1 changed)" in result.stderr


def test_a_changed_workflow_that_was_not_regenerated_fails(repo: Path, cli: CliRunner) -> None:
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.write_text(CI.replace("make test", "make check"))
    result = check(cli, "--format", "json")
    assert result.exit_code == 1
    assert drifted(result) == {"tekton/tasks/ci-test.yaml": "changed"}
    task = json.loads(result.stdout)["drift"][0]
    assert "-        make test" in task["diff"]
    assert "+        make check" in task["diff"]
    assert task["source"] == ".github/workflows/ci.yml"


def test_a_deleted_generated_file_fails(repo: Path, cli: CliRunner) -> None:
    (repo / "tekton" / "pipelines" / "ci.yaml").unlink()
    result = check(cli)
    assert result.exit_code == 1
    assert "drift: tekton/pipelines/ci.yaml (added, generated from .github/workflows/ci.yml)" in (
        result.stdout
    )
    assert "--- /dev/null" in result.stdout
    assert "+++ b/tekton/pipelines/ci.yaml" in result.stdout
    assert "+kind: Pipeline" in result.stdout
    # The annotation goes on the workflow: the missing file has no line to point at.
    assert ".github/workflows/ci.yml: error: `ghtotekton convert` generates" in result.stdout


def test_a_new_workflow_that_was_not_converted_fails(repo: Path, cli: CliRunner) -> None:
    release = CI.replace("name: CI", "name: Release").replace("make test", "make release")
    (repo / ".github" / "workflows" / "release.yml").write_text(release)
    result = check(cli, "--format", "json")
    assert result.exit_code == 1
    found = drifted(result)
    assert found["tekton/pipelines/release.yaml"] == "added"
    assert found["tekton/tasks/release-test.yaml"] == "added"
    assert found["tekton/kustomization.yaml"] == "changed"
    kustomization = next(
        d for d in json.loads(result.stdout)["drift"] if d["path"] == "tekton/kustomization.yaml"
    )
    assert "+  - pipelines/release.yaml" in kustomization["diff"]


def test_a_hand_written_file_is_not_drift_as_convert_keeps_it(repo: Path, cli: CliRunner) -> None:
    (repo / "tekton" / "notes.txt").write_text("hand-written\n")
    result = check(cli)
    assert result.exit_code == 0, result.stdout
    assert "notes.txt" not in result.stdout


def test_a_generated_file_convert_no_longer_writes_is_drift(repo: Path, cli: CliRunner) -> None:
    """A file the committed map lists as written by convert, which a fresh run would not write
    (a removed workflow's task): convert would delete it, so it is drift."""
    stale = repo / "tekton" / "tasks" / "old-task.yaml"
    stale.write_text("kind: Task\n")
    map_path = repo / "tekton" / "migration-map.json"
    data = json.loads(map_path.read_text())
    data["files"]["tasks/old-task.yaml"] = "0" * 64
    map_path.write_text(json.dumps(data, indent=2) + "\n")
    result = check(cli)
    assert result.exit_code == 1
    assert "drift: tekton/tasks/old-task.yaml (deleted)" in result.stdout
    assert "+++ /dev/null" in result.stdout
    assert "[check/drift-deleted]" in result.stdout


def test_a_missing_final_newline_is_drift_and_shown(repo: Path, cli: CliRunner) -> None:
    path = repo / "tekton" / "kustomization.yaml"
    path.write_text(path.read_text().rstrip("\n"))
    result = check(cli)
    assert result.exit_code == 1
    assert "\\ No newline at end of file" in result.stdout


def test_a_crlf_checkout_is_not_drift(repo: Path, cli: CliRunner) -> None:
    for path in (repo / "tekton").rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    result = check(cli)
    assert result.exit_code == 0, result.stdout


def test_an_invalid_committed_resource_fails_with_validate_rule(repo: Path, cli: CliRunner) -> None:
    task = repo / "tekton" / "tasks" / "ci-test.yaml"
    task.write_text(task.read_text().replace("name: ci-test", "name: CI_Test", 1))
    result = check(cli, "--format", "json")
    assert result.exit_code == 1
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"}
    assert "tekton/invalid-name" in rules
    assert json.loads(result.stdout)["summary"]["invalid"] >= 1


def test_strict_fails_on_a_manual_finding(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "p", {"ci.yml": CI, "odd.yml": UNKNOWN_ACTION})
    monkeypatch.chdir(root)
    assert run(cli, "convert", ".", "-o", "tekton").exit_code == 0
    relaxed = check(cli)
    assert relaxed.exit_code == 0
    assert ".github/workflows/odd.yml:7:" in relaxed.stdout
    assert "warning: step `someone/unknown-action@v1`" in relaxed.stdout
    assert "(fail with --strict)" in relaxed.stderr
    strict = check(cli, "--strict")
    assert strict.exit_code == 1
    assert re.search(
        r"^\.github/workflows/odd\.yml:7:\d+: error: .*unknown-action.*\[check/manual\]$",
        strict.stdout,
        re.MULTILINE,
    )
    # Once per place: the job's finding and the step's outcome are the same work.
    assert strict.stdout.count("[check/manual]") == 1


def test_recorded_options_drive_the_regeneration(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "p")
    monkeypatch.chdir(root)
    args = ["--namespace", "ci-ns", "--listener", "per-workflow", "--tekton-share", "50"]
    assert run(cli, "convert", ".", "-o", "tekton", *args).exit_code == 0
    assert "namespace: ci-ns" in (root / "tekton" / "pipelines" / "ci.yaml").read_text()
    result = check(cli)
    assert result.exit_code == 0, result.stdout


def test_recorded_options_model_follows_the_converter() -> None:
    """Every option the model checks is one the converter records, with the same default."""
    recorded = Options().recorded()
    assert set(RecordedOptions.model_fields) <= set(recorded)
    assert RecordedOptions().model_dump() == {k: recorded[k] for k in RecordedOptions.model_fields}


class FewOptions(BaseModel):
    """A model that lags behind the converter: it names only `target`."""

    model_config = ConfigDict(extra="allow", strict=True)
    target: str = "triggers"


def test_an_option_the_model_does_not_name_yet_is_still_applied() -> None:
    recorded = {**Options().recorded(), "target": "pac", "split_gpu": False, "mappings": ["m"]}
    options, problems = drift.to_options(recorded)
    assert problems == []
    assert options.target == "pac" and options.split_gpu is False
    assert options.mappings == [Path("m")]
    # Outside the model: applied, and checked against the type of its Options field.
    options, problems = drift.to_options({**recorded, "tekton_share": 40}, FewOptions)
    assert problems == [] and options.tekton_share == 40 and options.split_gpu is False
    options, problems = drift.to_options({**recorded, "tekton_share": "40"}, FewOptions)
    assert [key for key, _ in problems] == ["tekton_share"]
    options, problems = drift.to_options({**recorded, "colour": "blue"}, FewOptions)
    assert [key for key, _ in problems] == ["colour"]
    # Inside the model: its constraints apply.
    assert [key for key, _ in drift.to_options({**recorded, "tekton_share": 101})[1]] == [
        "tekton_share"
    ]


def test_the_pac_target_and_its_options_pass(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "p")
    monkeypatch.chdir(root)
    args = ["--target", "pac", "--max-keep-runs", "3"]
    assert run(cli, "convert", ".", "-o", "tekton", *args).exit_code == 0
    assert check(cli).exit_code == 0
    pac = next((root / "tekton").rglob(".tekton/*.yaml"))
    pac.write_text(pac.read_text() + "# edited\n")
    assert check(cli).exit_code == 1


def test_convert_of_the_workflows_folder_from_the_root_passes_too(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "p")
    monkeypatch.chdir(root)
    assert run(cli, "convert", ".github/workflows", "-o", "tekton").exit_code == 0
    assert check(cli).exit_code == 0


def test_check_from_a_subfolder_uses_the_repository_root(
    repo: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = repo / "src"
    sub.mkdir()
    monkeypatch.chdir(sub)
    result = check(cli, "--workflows", "../.github/workflows", "--tekton", "../tekton")
    assert result.exit_code == 0, result.stdout


def test_output_converted_from_elsewhere_is_explained(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "p")
    monkeypatch.chdir(tmp_path)
    assert run(cli, "convert", "p", "-o", "p/tekton").exit_code == 0
    monkeypatch.chdir(root)
    result = check(cli)
    assert result.exit_code == 1
    assert "[check/workflow-paths]" in result.stdout
    assert "`p/.github/workflows/ci.yml`" in result.stdout


def test_a_workflow_handed_over_at_100_percent_is_checked_with_its_original_triggers(
    repo: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow = repo / ".github" / "workflows" / "ci.yml"
    patched = patch.handover(workflow.read_text(), ".github/workflows/ci.yml", 100)
    assert patched.changed
    workflow.write_text(patched.text)
    assert check(cli).exit_code == 0
    # Without the restore the triggers would be gone and the output would differ: false drift.
    monkeypatch.setattr(drift, "restored_workflows", lambda layout: {})
    assert check(cli).exit_code == 1


def test_a_broken_workflow_is_bad_input(repo: Path, cli: CliRunner) -> None:
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: [\n")
    result = check(cli)
    assert result.exit_code == 2
    assert re.search(
        r"^\.github/workflows/ci\.yml:\d+:\d+: error: .*\[check/workflow-error\]$",
        result.stdout,
        re.MULTILINE,
    )


# --- bad input -------------------------------------------------------------------------------


def test_no_workflows_is_exit_2_saying_what_to_pass(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = check(cli)
    assert result.exit_code == 2
    assert ".github/workflows: error: no workflows folder here" in result.stderr
    assert "--workflows" in result.stderr


def test_no_tekton_folder_or_map_is_exit_2_saying_what_to_run(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(tmp_path / "p")
    monkeypatch.chdir(root)
    missing = check(cli)
    assert missing.exit_code == 2
    assert "tekton: error: no committed Tekton folder here" in missing.stderr
    assert "`ghtotekton convert . -o tekton`" in missing.stderr
    (root / "tekton").mkdir()
    (root / "tekton" / "pipeline.yaml").write_text("kind: Pipeline\n")
    no_map = check(cli)
    assert no_map.exit_code == 2
    assert "tekton/migration-map.json: error: no migration-map.json" in no_map.stderr
    assert "run `ghtotekton convert . -o tekton` from the repository root" in no_map.stderr


def test_a_broken_migration_map_is_exit_2_with_its_position(repo: Path, cli: CliRunner) -> None:
    path = repo / "tekton" / "migration-map.json"
    original = path.read_text()
    path.write_text('{\n  "options": {\n    "target": "triggers",,\n')
    result = check(cli)
    assert result.exit_code == 2
    assert "tekton/migration-map.json:3:26: error: not valid JSON" in result.stderr
    path.write_text(original.replace('"tekton_share": 100', '"tekton_share": "all"'))
    result = check(cli)
    assert result.exit_code == 2
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "tekton_share" in t)
    assert f"tekton/migration-map.json:{line}:5: error: recorded option `tekton_share`" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    path.write_text(original.replace('"target"', '"colour": "blue",\n    "target"'))
    result = check(cli)
    assert result.exit_code == 2
    assert "recorded option `colour` is unknown to this ghtotekton" in result.stderr


# --- output formats --------------------------------------------------------------------------


def parse_commands(text: str) -> list[re.Match[str]]:
    """Every line the runner would treat as a command, honouring stop-commands."""
    commands = []
    stopped: str | None = None
    for line in text.splitlines():
        if stopped is not None:
            if line == f"::{stopped}::":
                stopped = None
            continue
        if not line.startswith("::"):
            continue
        match = COMMAND.match(line)
        assert match, f"not a valid workflow command: {line!r}"
        commands.append(match)
        if match.group("name") == "stop-commands":
            stopped = match.group("message")
            assert len(stopped) >= 32, "the resume token must not be guessable"
    assert stopped is None, "commands were never resumed"
    return commands


def test_github_format_prints_valid_workflow_commands(
    repo: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    task = repo / "tekton" / "tasks" / "ci-test.yaml"
    # A line the runner would obey if the diff were printed as is.
    task.write_text(task.read_text().replace("make test", "::error::forged, 100%"))
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    result = check(cli, "--format", "github")
    assert result.exit_code == 1
    commands = parse_commands(result.stdout)
    names = [m.group("name") for m in commands]
    assert set(names) <= ANNOTATIONS | {"group", "endgroup", "stop-commands"}
    errors = [m for m in commands if m.group("name") == "error"]
    assert len(errors) == 1
    props = dict(p.split("=", 1) for p in errors[0].group("props").split(","))
    assert props["file"] == "tekton/tasks/ci-test.yaml"
    assert int(props["line"]) > 1
    assert props["title"] == "ghtotekton check [check/drift-changed]"
    # The forged line is printed only inside the diff, where the runner obeys no command.
    assert re.search(
        r"^::stop-commands::(\w+)$(?:\n.*)*?\n-.*::error::forged.*(?:\n.*)*?\n::\1::$",
        result.stdout,
        re.MULTILINE,
    )
    assert result.stdout.count("forged") == 1
    written = summary.read_text()
    assert written.startswith("earlier step\n## :x: ghtotekton check failed")
    assert "```diff" in written and "tekton/tasks/ci-test.yaml" in written


def test_github_annotations_are_relative_to_the_workspace(
    repo: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "tekton" / "kustomization.yaml").write_text("changed: true\n")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo.parent))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = check(cli, "--format", "github")
    errors = [m for m in parse_commands(result.stdout) if m.group("name") == "error"]
    assert errors and "file=project/tekton/kustomization.yaml," in errors[0].group(0)


def test_workflow_command_escaping() -> None:
    diag = Diagnostic(
        Position("dir,x/a:b.yaml", 3, 4), "50% done\r\nnext: step", "do, this", rule="r/x"
    )
    line = formats.workflow_command(diag)
    assert line == (
        "::error file=dir%2Cx/a%3Ab.yaml,line=3,col=4,title=ghtotekton check [r/x]"
        "::50%25 done%0D%0Anext: step (do, this)"
    )
    assert COMMAND.match(line)
    info = formats.workflow_command(Diagnostic(Position("f"), "m", severity="info"))
    assert info == "::notice file=f,title=ghtotekton check::m"


def test_json_format_is_stable(repo: Path, cli: CliRunner) -> None:
    (repo / "tekton" / "examples" / "ci-run.yaml").unlink()
    first, second = check(cli, "--format", "json"), check(cli, "--format", "json")
    assert first.exit_code == 1
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert list(document) == sorted(document)
    assert document["version"] == 1
    assert document["passed"] is False and document["exit_code"] == 1
    assert document["summary"]["drift"] == {"added": 1, "changed": 0, "deleted": 0}
    assert document["drift"][0]["path"] == "tekton/examples/ci-run.yaml"
    assert document["drift"][0]["diff"][:2] == [
        "--- /dev/null",
        "+++ b/tekton/examples/ci-run.yaml",
    ]
    assert {"file", "line", "column", "severity", "rule", "message", "hint"} == set(
        document["findings"][0]
    )


def test_sarif_format(repo: Path, cli: CliRunner) -> None:
    task = repo / "tekton" / "tasks" / "ci-test.yaml"
    task.write_text(task.read_text() + "# edited\n")
    result = check(cli, "--format", "sarif")
    assert result.exit_code == 1
    log: dict[str, Any] = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    drift_result = next(r for r in results if r["ruleId"] == "check/drift-changed")
    location = drift_result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "tekton/tasks/ci-test.yaml"
    assert location["region"]["startLine"] == len(task.read_text().splitlines())
    rule_ids = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {"check/drift-changed", "check/manual", "tekton/invalid-name"} <= rule_ids


def test_first_changed_line_of_a_diff() -> None:
    old = "a\nb\nc\nd\ne\nf\n"
    assert drift.first_changed_line(drift.unified_diff(old, old.replace("e", "E"), "x")) == 5
    assert drift.first_changed_line(drift.unified_diff(old, old + "g\n", "x")) == 7
    assert drift.first_changed_line(drift.unified_diff(old, "z\n" + old, "x")) == 1


# --- integrations ------------------------------------------------------------------------------


def _bash_script(text: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        ["bash", "-c", text],
        cwd=cwd,
        env={**os.environ, **env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tekton_task_validates() -> None:
    report = validate_paths([TASK])
    assert report.checked == 1
    assert [d.format() for d in report.diagnostics if d.severity != "info"] == []
    tool = need_shared(SHARED / "tools" / "validate_tekton.py")
    done = subprocess.run(
        [sys.executable, str(tool), str(TASK)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_tekton_task_script_runs_the_check(repo: Path, tmp_path: Path) -> None:
    task = yaml.safe_load(TASK.read_text())
    step = task["spec"]["steps"][0]
    verdict = tmp_path / "verdict"
    env = {
        "WORKFLOWS": ".github/workflows",
        "TEKTON_DIR": "tekton",
        "STRICT": "false",
        "FORMAT": "json",
        "PACKAGE": "",  # the tool is installed already, as with a custom image
        "VERDICT_PATH": str(verdict),
    }
    passed = _bash_script(step["script"], env, repo)
    assert passed.returncode == 0, passed.stderr
    assert verdict.read_text() == "passed"
    assert json.loads((repo / "ghtotekton-check.json").read_text())["passed"] is True
    (repo / "tekton" / "kustomization.yaml").write_text("edited: true\n")
    failed = _bash_script(step["script"], env, repo)
    assert failed.returncode == 1
    assert verdict.read_text() == "failed"
    broken = _bash_script(step["script"], {**env, "WORKFLOWS": "nowhere"}, repo)
    assert broken.returncode == 2 and verdict.read_text() == "error"


def test_the_action_loads_as_a_composite_action() -> None:
    loaded = load_action(ACTION)
    assert loaded.warnings == []
    runs = loaded.action.runs
    assert isinstance(runs, gm.CompositeRuns)
    assert set(loaded.action.inputs or {}) >= {"workflows", "tekton", "strict"}
    uses = [s.uses for s in runs.steps if s.uses]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    scripts = "\n".join(s.run or "" for s in runs.steps)
    assert 'pip install --disable-pip-version-check --quiet "${{ github.action_path }}"' in scripts
    assert "check --format github" in scripts
    assert "${{ inputs." not in scripts  # inputs reach scripts through env only


def _actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(found).exists():
        pytest.skip("actionlint is not installed")
    return found


def test_the_action_passes_actionlint(tmp_path: Path) -> None:
    binary = _actionlint()
    repo = tmp_path / "r"
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, repo / "action.yml")
    action = yaml.safe_load(ACTION.read_text())
    # 1. A workflow that uses the action: actionlint checks the inputs against action.yml.
    user = {
        "on": "pull_request",
        "jobs": {
            "check": {
                "runs-on": "ubuntu-latest",
                "steps": [
                    {"uses": "actions/checkout@v5"},
                    {"uses": "./", "with": {"strict": "true", "tekton": "ci/tekton"}},
                ],
            }
        },
    }
    # 2. The composite steps as a reusable workflow: expressions, action versions, scripts.
    inputs = {
        name: {"type": "string", "required": False, "default": spec.get("default", "")}
        for name, spec in action["inputs"].items()
    }
    steps = [{k: v for k, v in step.items()} for step in action["runs"]["steps"]]
    body = {
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"check": {"runs-on": "ubuntu-latest", "steps": steps}},
    }
    for name, doc in (("uses.yml", user), ("composite.yml", body)):
        (repo / ".github" / "workflows" / name).write_text(yaml.safe_dump(doc, sort_keys=False))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    done = subprocess.run(
        [binary, "-no-color"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The oracle can fail: an input the action does not declare is refused.
    user["jobs"]["check"]["steps"][1]["with"] = {"strictt": "true"}
    (repo / ".github" / "workflows" / "uses.yml").write_text(yaml.safe_dump(user))
    bad = subprocess.run([binary, "-no-color"], cwd=repo, capture_output=True, text=True)
    assert bad.returncode == 1 and "strictt" in bad.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_action_script_runs_the_check(repo: Path) -> None:
    action = yaml.safe_load(ACTION.read_text())
    step = action["runs"]["steps"][-1]
    env = {
        "GHTOTEKTON_WORKFLOWS": ".github/workflows",
        "GHTOTEKTON_TEKTON": "tekton",
        "GHTOTEKTON_STRICT": "true",
        "GITHUB_STEP_SUMMARY": "",
        "GITHUB_WORKSPACE": "",
    }
    done = _bash_script(step["run"], env, repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "check passed" in done.stdout
    (repo / "tekton" / "kustomization.yaml").write_text("edited: true\n")
    done = _bash_script(step["run"], env, repo)
    assert done.returncode == 1
    assert "::error file=tekton/kustomization.yaml,line=1" in done.stdout


def test_the_pre_commit_hook() -> None:
    hooks = yaml.safe_load(HOOKS.read_text())
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert hook["id"] == "ghtotekton-check"
    assert hook["entry"] == "ghtotekton check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in (
        ".github/workflows/ci.yml",
        ".github/actions/setup/action.yml",
        "tekton/tasks/ci-test.yaml",
        "docker-compose.yml",
        "deploy/compose.gpu.yaml",
    ):
        assert files.search(path), path
    for path in ("src/app.py", "docs/tekton.md", "README.md"):
        assert not files.search(path), path


# --- the fixtures of validate ------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(VALID.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_valid_fixture_passes_validate(path: Path) -> None:
    report = validate_paths([path])
    assert report.checked >= 1
    assert not report.bad_input
    assert [d.format() for d in report.diagnostics if d.severity != "info"] == []


def test_the_valid_fixtures_pass_together_and_cover_every_kind() -> None:
    report = validate_paths([VALID])
    assert [d.format() for d in report.diagnostics if d.severity != "info"] == []
    kinds = set()
    for path in VALID.glob("*.yaml"):
        kinds |= {doc["kind"] for doc in yaml.safe_load_all(path.read_text()) if doc}
    assert kinds >= {
        "Task",
        "Pipeline",
        "PipelineRun",
        "TaskRun",
        "StepAction",
        "EventListener",
        "TriggerBinding",
        "TriggerTemplate",
        "Trigger",
    }


def test_the_valid_fixtures_pass_the_schema_tool() -> None:
    tool = need_shared(SHARED / "tools" / "validate_tekton.py")
    files = [str(p) for p in sorted(VALID.glob("*.yaml"))]
    done = subprocess.run(
        [sys.executable, str(tool), *files], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_invalid_fixtures_hold_at_least_40_cases() -> None:
    cases = sorted(INVALID.glob("*.yaml"))
    assert len(cases) >= 40
    # One defect each is checked in test_validate.py; here, that they all are rejected.
    for case in cases:
        report = validate_paths([case])
        assert report.bad_input or report.diagnostics, case.name


NOTEBOOK_CI = """\
name: notebooks
on: [push]
jobs:
  run:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: papermill demo.ipynb out/demo.ipynb
"""


def test_shadow_compare_output_passes_before_and_after_the_github_side_is_applied(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The github-actions/ folder is not Tekton (validate skips it) and is checked for drift
    like every generated file, also once the repository took the patched workflow."""
    root = make_repo(tmp_path / "p", {"nb.yml": NOTEBOOK_CI})
    monkeypatch.chdir(root)
    assert run(cli, "convert", ".", "-o", "tekton", "--shadow-compare").exit_code == 0
    patched = root / "tekton" / "github-actions" / ".github" / "workflows" / "nb.yml"
    assert patched.is_file()
    result = check(cli)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "check/shadow-steps" in result.stdout  # not applied yet: a warning, not a failure
    workflow = root / ".github" / "workflows" / "nb.yml"
    workflow.write_text(patched.read_text())
    assert check(cli).exit_code == 1  # the resources name the workflow's old lines
    assert run(cli, "convert", ".", "-o", "tekton", "--shadow-compare").exit_code == 0
    result = check(cli)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "check/shadow-steps" not in result.stdout
    assert patched.read_text() == workflow.read_text()
    patched.write_text(NOTEBOOK_CI)  # someone edited the generated side by hand
    assert check(cli).exit_code == 1
