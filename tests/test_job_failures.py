"""A failed job stops only the jobs that need it (ghtotekton/convert/job_failures.py): the
output's shape, the verdict script run for real, and Tekton's reconcilers on a workflow where
GitHub runs independent jobs after a failure."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.job_failures import OK_RESULT, VERDICT_TASK
from tests import oracle

WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make build
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: make lint
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: make test
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: make deploy
  report:
    needs: [build, lint]
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - run: make report
  mail:
    needs: [deploy, lint]
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo mail
"""


def _convert(tmp_path: Path, workflow: str = WORKFLOW) -> tuple[Path, dict[str, Any]]:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(workflow)
    result = convert_paths([repo], Options())
    out = oracle.write_files(
        {k: v for k, v in result.files.items() if k != "README"}, tmp_path / "out"
    )
    pipeline = next(
        d
        for d in yaml.safe_load_all(result.files["pipelines/ci.yaml"])
        if d and d["kind"] == "Pipeline"
    )
    return out, pipeline


def test_failures_are_let_through_and_read_by_the_tasks_that_need_them(tmp_path: Path) -> None:
    _, pipeline = _convert(tmp_path)
    tasks = {t["name"]: t for t in pipeline["spec"]["tasks"]}
    assert {t.get("onError") for t in tasks.values()} == {"continue"}
    gates = {
        name: sorted(w["input"] for w in t.get("when", []) if OK_RESULT in w["input"])
        for name, t in tasks.items()
    }
    assert gates["test"] == [f"$(tasks.build.results.{OK_RESULT})"]
    assert gates["deploy"] == [f"$(tasks.test.results.{OK_RESULT})"]
    assert gates["build"] == gates["lint"] == []
    # a continue-on-error job is let through by the job itself: nobody gates on it, and its
    # failure does not fail the run (it is not given to the verdict)
    verdict = next(t for t in pipeline["spec"]["finally"] if t["name"] == VERDICT_TASK)
    statuses = verdict["params"][0]["value"]
    assert "report=$(tasks.report.status)" not in statuses
    assert "build=$(tasks.build.status)" in statuses


def _verdict_script(pipeline: dict[str, Any]) -> str:
    verdict = next(t for t in pipeline["spec"]["finally"] if t["name"] == VERDICT_TASK)
    return str(verdict["taskSpec"]["steps"][0]["script"])


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (["build=Succeeded", "lint=Succeeded"], 0),
        (["build=Failed", "lint=Succeeded"], 1),
        (["build=None", "test=None"], 0),  # skipped tasks are not failures
        ([], 0),
    ],
)
def test_the_verdict_fails_the_run_only_for_a_failed_task(
    tmp_path: Path, statuses: list[str], code: int
) -> None:
    _, pipeline = _convert(tmp_path)
    script = tmp_path / "verdict.sh"
    script.write_text(_verdict_script(pipeline))
    run = subprocess.run(["sh", str(script), *statuses], capture_output=True, text=True)
    assert run.returncode == code, run.stderr
    if code:
        assert "build" in run.stderr


needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="needs Go for the oracle")


@needs_go
def test_tekton_runs_the_independent_jobs_after_a_failure_and_skips_its_dependents(
    tmp_path: Path,
) -> None:
    out, _ = _convert(tmp_path)
    result = oracle.run(out, out / "examples" / "ci-run.yaml", fail="build")
    ran = {t for t, runs in result.by_task.items() if runs}
    assert {"build", "lint", "mail", VERDICT_TASK} <= ran, result.explain()
    assert not {"test", "deploy", "report"} & ran, result.explain()
    assert result.skipped["test"] == "Results were missing"
    assert result.github_status == "Failed"
    passing = oracle.run(out, out / "examples" / "ci-run.yaml")
    assert passing.github_status == "Succeeded", passing.explain()
    assert {"build", "lint", "test", "deploy", "report"} <= set(passing.by_task)
    assert VERDICT_TASK in passing.skipped and "mail" in passing.skipped


@needs_go
def test_a_task_skipped_by_its_condition_skips_the_jobs_that_need_it(tmp_path: Path) -> None:
    workflow = textwrap.dedent(
        """\
        on: push
        jobs:
          gate:
            if: github.ref == 'refs/heads/release'
            runs-on: ubuntu-latest
            steps:
              - run: echo gate
          after:
            needs: gate
            runs-on: ubuntu-latest
            steps:
              - run: echo after
          other:
            runs-on: ubuntu-latest
            steps:
              - run: echo other
        """
    )
    out, _ = _convert(tmp_path, workflow)
    result = oracle.run(
        out, out / "examples" / "ci-run.yaml", params={"github-ref": "refs/heads/main"}
    )
    assert "gate" in result.skipped and "after" in result.skipped, result.explain()
    assert "other" in result.by_task
    assert result.github_status == "Succeeded"


def test_a_matrixed_task_that_others_need_keeps_tektons_stop_and_so_does_its_upstream(
    tmp_path: Path,
) -> None:
    workflow = textwrap.dedent(
        """\
        on: push
        jobs:
          setup:
            runs-on: ubuntu-latest
            steps:
              - run: echo setup
          cells:
            needs: setup
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ["3.11", "3.12"]
            steps:
              - run: echo ${{ matrix.python }}
          after:
            needs: cells
            runs-on: ubuntu-latest
            steps:
              - run: echo after
          leaf:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                os: [a, b]
            steps:
              - run: echo ${{ matrix.os }}
        """
    )
    _, pipeline = _convert(tmp_path, workflow)
    on_error = {t["name"]: t.get("onError") for t in pipeline["spec"]["tasks"]}
    # `cells` publishes array results `after` could not test: the chain stops on failure
    assert on_error["setup"] is None and on_error["cells"] is None
    # no task needs the matrixed `leaf` nor `after`: their failures are let through
    assert on_error["leaf"] == on_error["after"] == "continue"


@needs_go
def test_a_job_whose_condition_is_always_false_never_runs(tmp_path: Path) -> None:
    workflow = textwrap.dedent(
        """\
        on: push
        jobs:
          off:
            if: ${{ false }}
            runs-on: ubuntu-latest
            steps:
              - run: echo never
          also-off:
            if: false && github.ref == 'refs/heads/main'
            runs-on: ubuntu-latest
            steps:
              - run: echo never
          on:
            if: ${{ true }}
            runs-on: ubuntu-latest
            steps:
              - run: echo always
        """
    )
    out, pipeline = _convert(tmp_path, workflow)
    tasks = {t["name"]: t for t in pipeline["spec"]["tasks"]}
    assert "when" not in tasks["on"]
    result = oracle.run(out, out / "examples" / "ci-run.yaml")
    assert "on" in result.by_task, result.explain()
    assert "off" in result.skipped and "also-off" in result.skipped, result.explain()
