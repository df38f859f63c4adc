"""A split job's always() tail runs in the DAG (ghtotekton/convert/chains.py): the chain's later
tasks read only the first one's result and check the others' markers, and Tekton runs the tail
after a failure anywhere in the chain but the first task."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from ghtotekton.convert.chains import MARKERS, NEEDS_STEP
from ghtotekton.convert.engine import Options, convert_paths
from tests import oracle
from tests.conftest import FIXTURES

OK = "$(tasks.{}.results.ghtotekton-ok)"


def _convert(tmp_path: Path, edit: Any = None) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "gpu-notebook", repo)
    if edit is not None:
        workflow = repo / ".github" / "workflows" / "gpu-notebooks.yml"
        workflow.write_text(edit(workflow.read_text()))
    result = convert_paths([repo], Options())
    out = oracle.write_files(
        {k: v for k, v in result.files.items() if k != "README"}, tmp_path / "out"
    )
    pipeline = next(
        d
        for d in yaml.safe_load_all(result.files["pipelines/gpu-notebooks.yaml"])
        if d and d["kind"] == "Pipeline"
    )
    tasks = {
        d["metadata"]["name"]: d
        for rel, text in result.files.items()
        if rel.startswith("tasks/")
        for d in yaml.safe_load_all(text)
        if d and d["kind"] == "Task"
    }
    return out, pipeline, tasks


def test_later_tasks_read_only_the_first_and_check_markers(tmp_path: Path) -> None:
    _, pipeline, tasks = _convert(tmp_path)
    dag = {t["name"]: t for t in pipeline["spec"]["tasks"]}
    first = OK.format("notebooks-m1-1-cpu")
    for name in ("notebooks-m1-2-cpu-parallel", "notebooks-m1-3-gpu", "notebooks-m1"):
        assert [w["input"] for w in dag[name]["when"]] == [first], name
    assert "when" not in dag["notebooks-m1-always"]
    assert dag["notebooks-m1-always"]["runAfter"] == ["notebooks-m1"]
    last = tasks["gpu-notebooks-notebooks"]["spec"]["steps"]
    assert last[0]["name"] == NEEDS_STEP
    assert (
        "gpu-notebooks-notebooks-2-cpu-parallel gpu-notebooks-notebooks-3-gpu" in last[0]["script"]
    )
    for name in ("gpu-notebooks-notebooks-1-cpu", "gpu-notebooks-notebooks-3-gpu"):
        ok = next(s for s in tasks[name]["spec"]["steps"] if s["name"] == "ghtotekton-ok")
        assert f'"{MARKERS}/{name}"' in ok["script"]
    # the GPU task starts no pod only to check: the first task's result gates it
    assert NEEDS_STEP not in [
        s["name"] for s in tasks["gpu-notebooks-notebooks-3-gpu"]["spec"]["steps"]
    ]


def test_tekton_runs_the_tail_and_the_mail_after_the_gpu_task_fails(tmp_path: Path) -> None:
    out, _, _ = _convert(tmp_path)
    run = oracle.run(out, out / "examples" / "gpu-notebooks-run.yaml", fail="notebooks-m2-3-gpu")
    ran = {tr["pipelineTask"]: tr["status"] for tr in run.data["taskRuns"]}
    assert ran["notebooks-m2-3-gpu"] == "Failed"
    assert "notebooks-m2" in ran and "notebooks-m2-always" in ran  # the last task checks, fails
    assert "notify" in ran
    assert run.github_status == "Failed"


def test_a_continue_on_error_job_keeps_its_tail_in_finally(tmp_path: Path) -> None:
    def edit(text: str) -> str:
        return text.replace(
            "    timeout-minutes: 120\n", "    timeout-minutes: 120\n    continue-on-error: true\n"
        )

    out, pipeline, _ = _convert(tmp_path, edit)
    assert "notebooks-m1-always" in [t["name"] for t in pipeline["spec"]["finally"]]
    assert "notebooks-m1-always" not in [t["name"] for t in pipeline["spec"]["tasks"]]
    run = oracle.run(out, out / "examples" / "gpu-notebooks-run.yaml", fail="notebooks-m1-3-gpu")
    assert "notebooks-m1-always" in {tr["pipelineTask"] for tr in run.data["taskRuns"]}
