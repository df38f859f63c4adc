"""`explain`: the source lines, the rule that decided (with its place in the table), the YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton.cli import app
from ghtotekton.commands import explain

CASE = Path(__file__).parent / "golden" / "checkout-artifacts-cache"


def _run(capsys: pytest.CaptureFixture[str], target: str, format: str = "json") -> dict:
    explain.run(target=target, mappings=[], format=format)
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_one_step_names_rule_source_and_emitted_step(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CASE)
    doc = _run(capsys, ".github/workflows/ci.yml:build:4")
    [item] = doc["steps"]
    assert item["label"] == "actions/upload-artifact@v4"
    assert item["at"] == ".github/workflows/ci.yml:14"
    assert item["source"].splitlines()[0].strip() == "- uses: actions/upload-artifact@v4"
    assert "name: dist" in item["source"] and "test:" not in item["source"]
    [rule] = item["rules"]
    assert rule["id"] == "upload-artifact"
    assert rule["at"].split(":")[0].endswith("actions-core.yaml")
    assert rule["docs"]
    assert item["emitted"].startswith(f"name: {item['tekton_step']}")


def test_step_by_name_and_whole_job(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CASE)
    doc = _run(capsys, ".github/workflows/ci.yml:test:cat dist")
    assert [s["label"] for s in doc["steps"]] == ["Run cat dist/out.txt"]
    doc = _run(capsys, ".github/workflows/ci.yml:build")
    assert [s["index"] for s in doc["steps"]] == [1, 2, 3, 4]
    assert doc["jobs"][0]["task"] == "ci-build"


def test_text_output_through_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASE)
    result = CliRunner().invoke(app, ["explain", ".github/workflows/ci.yml:test:1"])
    assert result.exit_code == 0, result.output
    assert "download-artifact" in result.stdout
    assert "step 1 of test" in result.stdout


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (".github/workflows/ci.yml:nope", "no job `nope`"),
        (".github/workflows/ci.yml:build:9", "has no step `9`"),
        ("missing.yml", "no such workflow file"),
        ("a:b:c:d", "is not WORKFLOW[:JOB[:STEP]]"),
    ],
)
def test_bad_targets_exit_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, target: str, message: str
) -> None:
    monkeypatch.chdir(CASE)
    result = CliRunner().invoke(app, ["explain", target])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_workflow_that_does_not_load_gives_its_errors(tmp_path: Path) -> None:
    wf = tmp_path / ".github" / "workflows" / "ci.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text("on:\n  workflow_dispatch:\njobs:\n  a:\n    runs_on: x\n")
    result = CliRunner().invoke(app, ["explain", str(wf)])
    assert result.exit_code == 2
    assert "ci.yml:5:5: error: unexpected key" in result.stderr
    assert "Traceback" not in result.output
