"""A calling job's matrix and ``if:`` reach the inlined tasks of a local reusable workflow.

GitHub runs the called workflow once per combination of the calling job's matrix, and not at
all when the calling job's ``if:`` is false. Tekton scopes a ``when`` to its own task, so the
condition must guard every inlined task, and each combination is its own chain of tasks.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from ghtotekton.convert.engine import Options, Result, convert_paths
from tests.tekton_sim import run_task

CALLED = """\
on:
  workflow_call:
    inputs:
      arch: {type: string, required: true}
      label: {type: string, default: none}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "arch=${{ inputs.arch }} label=${{ inputs.label }}"
  publish:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo publish
"""


def _convert(tmp_path: Path, caller: str) -> Result:
    flows = tmp_path / "repo" / ".github" / "workflows"
    flows.mkdir(parents=True)
    (flows / "ci.yml").write_text(textwrap.dedent(caller))
    (flows / "called.yml").write_text(CALLED)
    result = convert_paths([tmp_path / "repo"], Options())
    assert not result.failed, result.failed
    return result


def _tasks(result: Result) -> dict[str, dict[str, Any]]:
    pipeline = next(c.pipeline for c in result.conversions if c.display.endswith("ci.yml"))
    assert pipeline is not None
    spec = pipeline["spec"]
    return {t["name"]: t for t in spec["tasks"] + spec.get("finally", [])}


def _param(task: dict[str, Any], name: str) -> str:
    return next(p["value"] for p in task["params"] if p["name"] == name)


def test_each_matrix_combination_is_its_own_chain(tmp_path: Path) -> None:
    result = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          test:
            strategy:
              matrix:
                arch: [amd64, arm64]
            uses: ./.github/workflows/called.yml
            with:
              arch: ${{ matrix.arch }}
              label: ${{ matrix.arch }}-${{ github.ref_name }}
          after:
            needs: test
            runs-on: ubuntu-latest
            steps:
              - run: echo done
        """,
    )
    tasks = _tasks(result)
    assert _param(tasks["test-amd64-build"], "inputs-arch") == "amd64"
    assert _param(tasks["test-arm64-build"], "inputs-arch") == "arm64"
    assert _param(tasks["test-arm64-build"], "inputs-label") == "arm64-$(params.github-ref-name)"
    # each combination's publish waits for its own build, `after` for every combination
    assert tasks["test-amd64-publish"]["runAfter"] == ["test-amd64-build"]
    assert tasks["test-arm64-publish"]["runAfter"] == ["test-arm64-build"]
    assert tasks["after"]["runAfter"] == ["test-amd64-publish", "test-arm64-publish"]
    assert "${{" not in str(tasks)


def test_the_calling_jobs_condition_guards_every_inlined_task(tmp_path: Path) -> None:
    result = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          deploy:
            if: github.ref == 'refs/heads/main'
            uses: ./.github/workflows/called.yml
            with:
              arch: amd64
        """,
    )
    tasks = _tasks(result)
    gate = {"input": "$(params.github-ref)", "operator": "in", "values": ["refs/heads/main"]}
    for name in ("deploy-build", "deploy-publish"):
        assert gate in tasks[name]["when"], name


def test_a_condition_only_a_shell_can_test_gets_its_task(tmp_path: Path) -> None:
    result = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          deploy:
            if: format('{0}/{1}', github.repository_owner, github.actor) == 'acme/alice'
            uses: ./.github/workflows/called.yml
            with:
              arch: amd64
        """,
    )
    tasks = _tasks(result)
    read = {"input": "$(tasks.deploy-if.results.run)", "operator": "in", "values": ["true"]}
    assert read in tasks["deploy-build"]["when"]
    assert read in tasks["deploy-publish"]["when"]
    script = tasks["deploy-if"]["taskSpec"]["steps"][0]["script"]
    assert '== "acme/alice" ]]' in script


def test_an_untranslatable_condition_keeps_every_inlined_task_from_running(
    tmp_path: Path,
) -> None:
    result = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          deploy:
            if: toJSON(github.event.pull_request) == '{}'
            uses: ./.github/workflows/called.yml
            with:
              arch: amd64
        """,
    )
    tasks = _tasks(result)
    never = {"input": "not-translated", "operator": "in", "values": ["translated"]}
    assert never in tasks["deploy-build"]["when"]
    assert never in tasks["deploy-publish"]["when"]
    findings = [
        f
        for wf in result.report["workflows"]
        for job in wf["jobs"]
        for f in job["findings"]
        if f["status"] == "manual"
    ]
    assert any("is not translated" in f["message"] for f in findings), findings


def test_a_matrix_value_in_the_condition_is_decided_per_combination(tmp_path: Path) -> None:
    result = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          test:
            if: matrix.arch != 'arm64'
            strategy:
              matrix:
                arch: [amd64, arm64]
            uses: ./.github/workflows/called.yml
            with:
              arch: ${{ matrix.arch }}
        """,
    )
    tasks = _tasks(result)
    never = {"input": "false", "operator": "in", "values": ["true"]}
    assert never not in tasks["test-amd64-build"].get("when", [])
    assert never in tasks["test-arm64-build"]["when"]
    assert never in tasks["test-arm64-publish"]["when"]


def test_an_input_with_no_pipeline_value_keeps_the_called_tasks_from_running(
    tmp_path: Path,
) -> None:
    """A matrix computed at run time: GitHub runs each of its combinations, Tekton knows none;
    the called tasks wait for a person rather than run with an empty input."""
    result = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          plan:
            runs-on: ubuntu-latest
            outputs:
              matrix: ${{ steps.m.outputs.matrix }}
            steps:
              - id: m
                run: echo 'matrix={"arch":["amd64"]}' >> "$GITHUB_OUTPUT"
          test:
            needs: plan
            strategy:
              matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}
            uses: ./.github/workflows/called.yml
            with:
              arch: ${{ matrix.arch }}
        """,
    )
    tasks = _tasks(result)
    never = {"input": "not-translated", "operator": "in", "values": ["translated"]}
    assert never in tasks["test-build"]["when"] and never in tasks["test-publish"]["when"]
    assert _param(tasks["test-build"], "inputs-arch") == ""
    assert "${{" not in str(tasks)
    messages = [
        f["message"]
        for wf in result.report["workflows"]
        for job in wf["jobs"]
        for f in job["findings"]
        if f["status"] == "manual"
    ]
    assert any("`arch: matrix.arch`" in m and "never run" in m for m in messages), messages


def test_a_computed_input_default_is_left_empty_and_said(tmp_path: Path) -> None:
    flows = tmp_path / "repo" / ".github" / "workflows"
    flows.mkdir(parents=True)
    (flows / "build.yml").write_text(
        "on:\n  workflow_dispatch:\n    inputs:\n      commit:\n"
        "        default: ${{ github.sha }}\n"
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: git checkout ${{ inputs.commit }}\n"
    )
    result = convert_paths([tmp_path / "repo"], Options())
    pipeline = result.conversions[0].pipeline
    assert pipeline is not None
    param = next(p for p in pipeline["spec"]["params"] if p["name"] == "inputs-commit")
    assert param["default"] == ""
    findings = result.report["workflows"][0]["findings"]
    assert any("`{{ github.sha }}`" in f["message"] and f["status"] == "partial" for f in findings)


def test_a_computed_input_is_worked_out_by_a_task_of_its_own(tmp_path: Path) -> None:
    result = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          plan:
            runs-on: ubuntu-latest
            outputs:
              push: ${{ steps.p.outputs.push }}
            steps:
              - id: p
                run: echo "push=TRUE" >> "$GITHUB_OUTPUT"
          release:
            needs: plan
            uses: ./.github/workflows/called.yml
            with:
              arch: ${{ needs.plan.outputs.push == 'true' && 'amd64' || 'none' }}
              label: ${{ format('{0}-{1}', github.ref_name, needs.plan.outputs.push) }}
        """,
    )
    tasks = _tasks(result)
    build = tasks["release-build"]
    assert _param(build, "inputs-arch") == "$(tasks.release-inputs.results.arch_1)"
    assert "not-translated" not in str(build.get("when", []))
    values = tasks["release-inputs"]
    feeds = {p["name"]: p["value"] for p in values["params"]}
    assert feeds["needs-plan-push"] == "$(tasks.plan.results.push)"
    run = run_task(
        {"spec": values["taskSpec"]},
        tmp_path / "run",
        {"needs-plan-push": "TRUE", "github-ref-name": "main"},
    )
    assert run.steps[-1].returncode == 0, run.steps
    assert run.results == {"arch_1": "amd64", "label_2": "main-TRUE"}
