"""The GPU goes to the job's GPU work (ghtotekton/convert/gpu.py, rules with ``gpu_work``): in a
job that executes notebooks the commands no rule classes run without it; in a job whose GPU
work is not known they keep it. And a notebook step written with a ``mkdir`` and a ``cd
"$GITHUB_WORKSPACE"`` before its compose call converts (compose_steps.py ``_mixed``)."""

from __future__ import annotations

from pathlib import Path

from tests.converted import convert_repo

GPU = "nvidia.com/gpu"

COMPOSE = """\
services:
  lab:
    image: ghcr.io/acme/lab:cuda12
    command: sleep infinity
    working_dir: /work
    volumes: [".:/work"]
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
"""
NOTEBOOKS = """\
on: push
jobs:
  run:
    runs-on: [self-hosted, linux, gpu]
    steps:
      - uses: actions/checkout@v4
      - run: docker compose up -d lab
      - name: Execute
        run: |
          mkdir -p reports
          cd "$GITHUB_WORKSPACE"
          docker compose exec -T lab papermill nb.ipynb reports/out.ipynb
      - uses: actions/checkout@v4
        with: {repository: acme/nb-tests, path: nb-tests}
      - name: Install
        run: pip install poetry && cd nb-tests && poetry install --no-root
      - name: Test
        working-directory: nb-tests
        run: poetry run pytest --junitxml=../reports/junit.xml
      - uses: actions/upload-artifact@v4
        if: always()
        with: {name: reports, path: reports}
"""
GPU_TESTS = """\
on: push
jobs:
  run:
    runs-on: [self-hosted, linux, gpu]
    steps:
      - uses: actions/checkout@v4
      - run: nvidia-smi
      - run: make build
      - run: pytest tests/gpu
"""


def _gpu_steps(tmp_path: Path, workflow: str) -> tuple[dict[str, list[str]], list[str]]:
    done = convert_repo(
        tmp_path, {".github/workflows/ci.yml": workflow, "docker-compose.yml": COMPOSE}
    )
    holders = {
        name: [s["name"] for s in task["spec"]["steps"] if GPU in str(s.get("computeResources"))]
        for name, task in done.documents("Task").items()
    }
    return holders, done.messages()


def test_only_the_notebook_holds_the_gpu(tmp_path: Path) -> None:
    holders, messages = _gpu_steps(tmp_path, NOTEBOOKS)
    assert sorted(n for names in holders.values() for n in names) == ["execute"], holders
    assert "Execute: converted" in messages
    assert any("`test` runs without the GPU" in m for m in messages)


def test_unknown_commands_keep_the_gpu_when_the_gpu_work_is_not_known(tmp_path: Path) -> None:
    holders, _ = _gpu_steps(tmp_path, GPU_TESTS)
    held = sorted(n for names in holders.values() for n in names)
    assert "run-4" in held  # pytest tests/gpu
    assert "run-3" not in held  # make build


def test_a_job_kept_whole_runs_its_gpu_steps_in_one_container(tmp_path: Path) -> None:
    """`pip install` outside the workspace keeps the job one task (a split would lose it); its
    GPU steps then share one container, so the pod requests the GPU once."""
    holders, messages = _gpu_steps(tmp_path, GPU_TESTS.replace("make build", "pip install -e ."))
    held = [n for names in holders.values() for n in names]
    assert held == ["run-2"], holders  # nvidia-smi, pip install and pytest in one step
    assert any("from `run-2` to `run-4`" in m for m in messages)


def test_a_cd_to_the_workspace_expression_converts(tmp_path: Path) -> None:
    workflow = NOTEBOOKS.replace(
        'cd "$GITHUB_WORKSPACE"', "cd ${{ github.workspace }}/notebooks/.."
    )
    holders, messages = _gpu_steps(tmp_path, workflow)
    assert "Execute: converted" in messages
    assert not [m for m in messages if "shell characters" in m]
    assert sorted(n for names in holders.values() for n in names) == ["execute"]
