"""A GPU split never cuts a step that changes the environment (package installs, `$GITHUB_PATH`,
`conda activate`) off from the steps after it: each task is a pod of its own and only the
workspace is shared, so they would run without what it installed. Installs kept in the workspace
(the job's shared virtual environment) do not stop the split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ghtotekton.convert.environment_changes import environment_change
from ghtotekton.convert.python_env import VENV
from tests.converted import convert_repo

JOB = """\
on: push
jobs:
  gpu:
    runs-on: [self-hosted, gpu]
    {container}
    steps:
      - uses: actions/checkout@v4
{setup}      - run: {change}
      - run: papermill notebook.ipynb out.ipynb
      - run: jupyter nbconvert --to html out.ipynb
"""


def _job(tmp_path: Path, change: str, *, setup: str = "", container: str = "") -> dict[str, Any]:
    workflow = JOB.format(change=change, setup=setup, container=container)
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": workflow})
    [job] = conv.result.report["workflows"][0]["jobs"]
    tasks = [
        t["metadata"]["name"]
        for t in conv.result.conversions[0].tasks
        if t["metadata"]["name"] != "ghtotekton-publish-bundle"
    ]
    return {"job": job, "tasks": tasks}


@pytest.mark.parametrize(
    "change",
    [
        'pip install -e "python[all]"',
        "python -m pip install torch",
        "sudo apt-get install -y libgl1",
        "conda install -y cupy",
        "uv sync",
        'tar -xzf tool.tgz -C /opt/tool && echo "/opt/tool/bin" >> "$GITHUB_PATH"',
        "source /opt/venv/bin/activate",
    ],
)
def test_a_job_that_changes_its_environment_before_gpu_work_stays_whole(
    tmp_path: Path, change: str
) -> None:
    found = _job(tmp_path, change)
    assert found["tasks"] == ["ci-gpu"], found["tasks"]
    reasons = [f["message"] for f in found["job"]["findings"] if f["rule"] == "split-gpu"]
    assert len(reasons) == 1 and "changes the environment" in reasons[0], reasons
    assert "stays one task" in reasons[0]
    assert not any("GPU-seconds" in f["message"] for f in found["job"]["findings"])


def test_installs_into_the_shared_environment_are_kept_and_the_job_splits(tmp_path: Path) -> None:
    setup = "      - uses: actions/setup-python@v5\n        with: {python-version: '3.12'}\n"
    found = _job(tmp_path, "pip install papermill", setup=setup)
    assert len(found["tasks"]) > 1, found
    assert any("GPU-seconds" in f["message"] for f in found["job"]["findings"])


def test_commands_that_change_nothing_outside_the_workspace_split(tmp_path: Path) -> None:
    found = _job(tmp_path, "make build && echo done > build.log")
    assert len(found["tasks"]) > 1, found


@pytest.mark.parametrize(
    ("script", "change"),
    [
        ("pip3 install x", "pip install"),
        ("cd a && pip install .", "pip install"),
        ("# pip install x\necho hi", None),
        ("echo pip install", None),
        ("mamba env create -f env.yml", "mamba env"),
        ("npm install -g pnpm", "npm install"),
        ("npm install", None),
        ('echo "/usr/local/cuda/bin" >> "$GITHUB_PATH"', None),  # a folder of the image
        ('echo "${PATH}" >> $GITHUB_PATH', None),
        ('mkdir -p /opt/t\necho "/opt/t/bin" >> "$GITHUB_PATH"', "a $GITHUB_PATH entry"),
        ('echo "$HOME/.local/bin" >> "$GITHUB_PATH"', None),
        (". .venv/bin/activate", None),  # in the checkout, which is in the workspace
        (". /opt/env/bin/activate", "/opt/env/bin/activate"),
    ],
)
def test_what_counts_as_a_change(script: str, change: str | None) -> None:
    assert environment_change({"name": "s", "script": script}) == change
    shared = {
        "name": "s",
        "script": "pip install x",
        "env": [{"name": "VIRTUAL_ENV", "value": VENV}],
    }
    assert environment_change(shared) is None
