"""Resource-class splitting: the GPU is held only by the task that runs GPU work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ghtotekton.convert.engine import Options, convert_paths
from tests.conftest import FIXTURES


def _files(split: bool = True) -> dict[str, Any]:
    result = convert_paths([FIXTURES / "gpu-notebook"], Options(split_gpu=split))
    return {
        k: yaml.safe_load(v)
        for k, v in result.files.items()
        if k.startswith(("tasks/", "pipelines/", "examples/"))
    }


def _steps(task: dict[str, Any]) -> list[str]:
    return [s["name"] for s in task["spec"]["steps"]]


def _gpu_steps(task: dict[str, Any]) -> list[str]:
    return [s["name"] for s in task["spec"]["steps"] if "computeResources" in s]


def test_fixture_splits_into_cpu_gpu_parallel_and_always_tasks() -> None:
    files = _files()
    prefix = "tasks/gpu-notebooks-notebooks"
    first = files[f"{prefix}-1-cpu.yaml"]
    parallel = files[f"{prefix}-2-cpu-parallel.yaml"]
    gpu = files[f"{prefix}-3-gpu.yaml"]
    last = files[f"{prefix}.yaml"]
    final = files[f"{prefix}-always.yaml"]
    # the tasks other tasks need end by saying they succeeded (convert/job_failures.py)
    assert _steps(first) == ["ghtotekton-setup", "checkout", "names", "ghtotekton-ok"]
    assert _steps(parallel) == ["check-out-the-test-repository", "ghtotekton-ok"]
    assert _steps(gpu) == ["execute-the-notebook-with-papermill", "ghtotekton-ok"]
    assert _gpu_steps(gpu) == ["execute-the-notebook-with-papermill"]
    # the last task checks the tasks before it (their markers) and leaves its own
    assert _steps(last)[0] == "ghtotekton-needs"
    assert _steps(last)[-2:] == ["ghtotekton-outputs", "ghtotekton-ok"]
    assert "convert-to-html" in _steps(last)
    assert "run-the-test-repository-against-the-results" in _steps(last)
    assert _steps(final) == ["upload-reports"]
    for task in (first, parallel, last, final):
        assert _gpu_steps(task) == []
    # the runner files live in the shared files workspace, not in the pod
    assert "$(workspaces.source.path)/.ghtotekton" in yaml.safe_dump(gpu)
    assert "/workspace/.ghtotekton" not in yaml.safe_dump(gpu).replace(
        "$(workspaces.source.path)/.ghtotekton", ""
    )


def test_pipeline_chains_each_matrix_combination_with_its_own_folder() -> None:
    pipeline = _files()["pipelines/gpu-notebooks.yaml"]["spec"]
    tasks = {t["name"]: t for t in pipeline["tasks"]}
    assert sorted(n for n in tasks if n.startswith("notebooks-m1")) == [
        "notebooks-m1",
        "notebooks-m1-1-cpu",
        "notebooks-m1-2-cpu-parallel",
        "notebooks-m1-3-gpu",
        "notebooks-m1-always",
    ]
    assert tasks["notebooks-m1-2-cpu-parallel"]["runAfter"] == ["notebooks-m1-1-cpu"]
    assert tasks["notebooks-m1-3-gpu"]["runAfter"] == ["notebooks-m1-1-cpu"]
    assert tasks["notebooks-m1"]["runAfter"] == [
        "notebooks-m1-2-cpu-parallel",
        "notebooks-m1-3-gpu",
    ]
    # the always() tail runs after the chain, in the DAG (convert/chains.py)
    assert tasks["notebooks-m1-always"]["runAfter"] == ["notebooks-m1"]
    assert "when" not in tasks["notebooks-m1-always"]
    assert len([n for n in tasks if n.startswith("notebooks-m")]) == 20  # 4 combinations x 5
    combo4 = {p["name"]: p["value"] for p in tasks["notebooks-m4-3-gpu"]["params"]}
    assert combo4["matrix-epochs"] == "2" and combo4["matrix-python"] == "3.12"
    for name, task in tasks.items():
        if name.startswith("notebooks-m"):
            [source] = [w for w in task["workspaces"] if w["name"] == "source"]
            assert source == {
                "name": "source",
                "workspace": "shared",
                "subPath": f"files/notebooks/{name.split('-')[1]}",
            }
    finals = [t["name"] for t in pipeline["finally"]]
    assert not [n for n in finals if n.startswith("notebooks-m")]
    assert "notify" in finals


def test_only_gpu_tasks_hold_a_gpu_and_the_gpu_pool_is_where_the_assistant_goes() -> None:
    files = _files()
    run = files["examples/gpu-notebooks-run.yaml"]["spec"]
    # The tasks share one claim, so their pods join its affinity assistant's node, and the
    # assistant is placed with taskRunTemplate.podTemplate only (affinity_assistant.go): the
    # GPU pool's selector and toleration are there, never in taskRunSpecs.
    pool = run["taskRunTemplate"]["podTemplate"]
    assert any(t.get("key") == "nvidia.com/gpu" for t in pool["tolerations"])
    for spec in run.get("taskRunSpecs", []):
        assert (
            "tolerations" not in spec["podTemplate"] and "nodeSelector" not in spec["podTemplate"]
        )
    [shared] = [w for w in run["workspaces"] if "volumeClaimTemplate" in w]
    assert shared["name"] == "shared"
    # Only the GPU tasks request a GPU: the others run on the pool without holding one.
    pipeline = files["pipelines/gpu-notebooks.yaml"]["spec"]
    for pt in pipeline["tasks"]:
        task = files[f"tasks/{pt['taskRef']['name']}.yaml"]["spec"]
        gpus = [s for s in task["steps"] if "nvidia.com/gpu" in str(s.get("computeResources"))]
        assert bool(gpus) == pt["name"].endswith("-gpu"), pt["name"]


def test_report_gives_the_gpu_seconds_saved() -> None:
    result = convert_paths([FIXTURES / "gpu-notebook"], Options())
    job = next(j for j in result.conversions[0].jobs if j.job_id == "notebooks")
    [note] = [f.message for f in job.findings if f.rule == "split-gpu"]
    # Per combination, at the default durations: checkouts 15+15, three scripts 60 each, the
    # papermill step 300, the upload 10, one pod start 20 -> 540 held without the split; with it
    # the GPU task holds 300 + its pod start 20 = 320. Four combinations.
    assert "saves 880 of 2160 GPU-seconds per run" in note


def test_no_split_keeps_one_task_per_job() -> None:
    files = _files(split=False)
    tasks = [k for k in files if k.startswith("tasks/")]
    assert sorted(tasks) == [
        "tasks/ghtotekton-publish-bundle.yaml",
        "tasks/gpu-notebooks-notebooks.yaml",
        "tasks/gpu-notebooks-notify.yaml",
    ]


def test_a_job_not_worth_splitting_keeps_its_always_steps_tracked(tmp_path: Path) -> None:
    """Trying the split converts the job without status tracking; when the split does not pay,
    the always() step must still run after a failure, as on GitHub."""
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  gpu:\n    runs-on: [self-hosted, linux, gpu]\n    steps:\n"
        "      - run: python train.py\n"
        "      - run: nvidia-smi\n        if: always()\n"
    )
    result = convert_paths([root], Options())
    tasks = [k for k in result.files if k.startswith("tasks/")]
    assert tasks == ["tasks/ci-gpu.yaml"]
    task = yaml.safe_load(result.files["tasks/ci-gpu.yaml"])
    names = [s["name"] for s in task["spec"]["steps"]]
    assert "ghtotekton-status" in names  # the job's steps still track each other's status
    assert all(s.get("onError") == "continue" for s in task["spec"]["steps"][1:-1])
