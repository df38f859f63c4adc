"""What a step installs stays for the next steps of a job in a Python image
(ghtotekton/convert/python_env.py): the shape of the output, and a run on the host where the
install lands in the runner folder's virtual environment, not in the image."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from typing import Any

from ghtotekton.convert.python_env import VENV
from tests import oracle
from tests.converted import convert_repo

WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install --no-index "$WHEEL"
        env:
          WHEEL: {wheel}
      - run: python -c "import tinypkg; print(tinypkg.VALUE)" > "$GITHUB_WORKSPACE/out.txt"
      - uses: actions/checkout@v4
"""


def _wheel(folder: Path) -> Path:
    """A pure-Python wheel pip installs offline."""
    path = folder / "tinypkg-1.0-py3-none-any.whl"
    files = {
        "tinypkg/__init__.py": "VALUE = 42\n",
        "tinypkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
        "tinypkg-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
        z.writestr(
            "tinypkg-1.0.dist-info/RECORD",
            "".join(f"{n},,\n" for n in files) + "tinypkg-1.0.dist-info/RECORD,,\n",
        )
    return path


def _convert(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    workflow = WORKFLOW.format(wheel=_wheel(tmp_path))
    done = convert_repo(tmp_path, {".github/workflows/ci.yml": workflow})
    return done.out, done.task("ci-test")


def test_steps_in_the_python_image_share_the_environment(tmp_path: Path) -> None:
    _, task = _convert(tmp_path)
    assert task["spec"]["stepTemplate"]["image"].startswith("docker.io/library/python:3.11")
    steps = {s["name"]: s for s in task["spec"]["steps"]}
    assert "python3 -m venv" in steps["ghtotekton-setup"]["script"]
    for name, step in steps.items():
        env = {e["name"]: e.get("value") for e in step.get("env", [])}
        if step.get("image", task["spec"]["stepTemplate"]["image"]).startswith("docker.io/alpine"):
            assert "VIRTUAL_ENV" not in env, name  # the checkout keeps its image's tools
        elif name != "ghtotekton-setup":
            assert env["VIRTUAL_ENV"] == VENV and env["PATH"].startswith(f"{VENV}/bin:"), name


def test_an_install_is_there_in_the_next_step(tmp_path: Path) -> None:
    out, _ = _convert(tmp_path)
    root = tmp_path / "host"
    kubelet = oracle.host_kubelet(root)
    run = oracle.run(
        out,
        out / "examples" / "ci-run.yaml",
        kubelet=kubelet,
    )
    steps = {s["name"]: s["exitCode"] for s in run.by_task["test"][0]["steps"]}
    assert steps["run-2"] == 0 and steps["run-3"] == 0, (steps, run.explain())
    written = list(root.glob("**/out.txt"))
    assert [p.read_text().strip() for p in written] == ["42"]
    # pip wrote into the runner folder's environment, a volume of the pod.
    installed = list(
        (root / "pods").glob("*/volumes/*/.ghtotekton/venv/lib/python*/site-packages/tinypkg")
    )
    assert installed, sorted(str(p) for p in (root / "pods").glob("*/volumes/*"))
    assert importlib.util.find_spec("tinypkg") is None  # not in the environment running the test
