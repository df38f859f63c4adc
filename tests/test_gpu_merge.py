"""A job that stays one task runs its GPU steps as one step, so its pod requests the GPUs once
(a pod's containers each get their own and the requests add up). The merged step behaves as the
steps did: each in turn, with its own variables and folder, step outputs passed on, and the
first failure stops the rest."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from ghtotekton.convert.engine import Options
from ghtotekton.convert.findings import JobOutcome
from ghtotekton.convert.gpu_merge import merge_gpu_steps
from tests.converted import convert_repo
from tests.tekton_sim import run_task

# `test` is a command no rule classes, so each step keeps the GPU (echo alone would be `cpu`).
WORKFLOW = """\
on: push
jobs:
  train:
    runs-on: [self-hosted, gpu]
    steps:
      - id: a
        run: test -d . && echo "x=from-a" >> "$GITHUB_OUTPUT"; echo "A saw ${WHO}"
        env:
          WHO: first
      - run: test -d . && echo "B in $(basename "$PWD") saw ${{ steps.a.outputs.x }} ${WHO:-nobody}"
        working-directory: sub
      - run: THIRD
      - run: test -d . && echo "D ran"
"""


def _task(
    tmp_path: Path, third: str = "test -d . && echo C"
) -> tuple[dict[str, Any], dict[str, Any]]:
    conv = convert_repo(
        tmp_path,
        {".github/workflows/ci.yml": WORKFLOW.replace("THIRD", third), "sub/.keep": ""},
        Options(split_gpu=False),
    )
    [job] = conv.result.report["workflows"][0]["jobs"]
    return conv.task("ci-train"), job


def _gpu_steps(task: dict[str, Any]) -> list[str]:
    return [s["name"] for s in task["spec"]["steps"] if "computeResources" in s]


def test_the_gpu_steps_become_one_container_that_requests_the_gpu_once(tmp_path: Path) -> None:
    task, job = _task(tmp_path)
    assert len(_gpu_steps(task)) == 1
    assert [f["rule"] for f in job["findings"] if f["rule"] == "gpu-merge"] == ["gpu-merge"]
    assert not any("each requests" in f["message"] for f in job["findings"])
    merged = _gpu_steps(task)[0]
    assert {s["tekton_step"] for s in job["steps"]} == {merged}


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_merged_step_keeps_each_steps_variables_folder_and_outputs(tmp_path: Path) -> None:
    task, _ = _task(tmp_path)
    run = run_task(task, tmp_path / "run")
    merged = _gpu_steps(task)[0]
    out = run.out(merged)
    assert "A saw first" in out
    assert "B in sub saw from-a nobody" in out  # A's WHO is not B's
    assert out.index("A saw") < out.index("B in") < out.index("C") < out.index("D ran")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_first_failure_stops_the_rest_and_fails_the_step(tmp_path: Path) -> None:
    task, _ = _task(tmp_path, third="exit 3")
    run = run_task(task, tmp_path / "run")
    merged = next(s for s in run.steps if s.name == _gpu_steps(task)[0])
    assert merged.returncode != 0
    assert "D ran" not in merged.stdout


def _step(name: str, gpu: bool = True, **extra: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"name": name, "script": f"#!/bin/sh\necho {name}\n", **extra}
    if gpu:
        step["computeResources"] = {"limits": {"nvidia.com/gpu": "1"}}
    return step


@pytest.mark.parametrize(
    ("second", "merged"),
    [
        (_step("b"), True),
        (_step("b", onError="continue"), False),  # Tekton's own per-step behaviour
        (_step("b", image="other:1"), False),
        (_step("b", env=[{"name": "T", "valueFrom": {"secretKeyRef": {"name": "s"}}}]), False),
        ({"name": "b", "script": "echo no shebang", "computeResources": {}}, False),
    ],
)
def test_only_steps_that_can_share_a_container_are_merged(
    second: dict[str, Any], merged: bool
) -> None:
    task = {"spec": {"stepTemplate": {"image": "cuda:12"}, "steps": [_step("a"), second]}}
    done = merge_gpu_steps(task, JobOutcome("j", None, "", ""))  # type: ignore[arg-type]
    assert bool(done) is merged


def test_a_step_whose_exit_code_is_read_is_not_merged() -> None:
    reader = _step("status", gpu=False)
    reader["script"] = "#!/bin/sh\ncat $(steps.step-b.exitCode.path)\n"
    task = {"spec": {"steps": [_step("a"), _step("b"), reader]}}
    assert merge_gpu_steps(task, JobOutcome("j", None, "", "")) == []  # type: ignore[arg-type]


TRACKED = """\
on: push
jobs:
  train:
    runs-on: [self-hosted, gpu]
    steps:
      - run: test -d . && echo "A ran"
      - run: test -d . && echo "B fails" && exit 4
      - run: test -d . && echo "C ran"
      - if: always()
        run: test -d . && echo "D ran (always)"
      - if: failure()
        id: report
        run: test -d . && echo "E ran (failure)"
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_steps_that_track_each_others_status_merge_and_keep_github_semantics(
    tmp_path: Path,
) -> None:
    """`always()`/`failure()` steps read the exit codes of earlier ones: each part writes its
    code where they read it, every part runs, and the job still fails."""
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": TRACKED}, Options(split_gpu=False))
    task = conv.task("ci-train")
    assert len(_gpu_steps(task)) == 1
    assert "exitCode.path" not in str([s.get("script") for s in task["spec"]["steps"]]).replace(
        "steps.step-ghtotekton", ""
    )
    run = run_task(task, tmp_path / "run")
    out = run.out(_gpu_steps(task)[0])
    assert "A ran" in out and "B fails" in out
    assert "C ran" not in out  # after a failure, as on GitHub
    assert "D ran (always)" in out and "E ran (failure)" in out
    status = next(s for s in run.steps if s.name == "ghtotekton-status")
    assert status.returncode != 0  # the job fails: B had to succeed
