"""A language-version axis selects each matrix cell's image: `setup-python` with
`python-version: ${{ matrix.python }}` gives every combination its own Python image, checked by
Tekton's own reconcilers (the image each TaskRun's pod runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests import oracle
from tests.converted import convert_repo

WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.9", "3.11", "pypy3.10"]
        extra: [a, b]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python }}
      - run: pip install -e . && pytest
"""
IMAGES = {
    "3.9": "docker.io/library/python:3.9-slim",
    "3.11": "docker.io/library/python:3.11-slim",
    "pypy3.10": "docker.io/library/pypy:3.10-slim",
}


def _combos(conv: Any) -> list[dict[str, str]]:
    [task] = [t for t in conv.pipeline("ci")["spec"]["tasks"] if t["name"] == "test"]
    return [{p["name"]: p["value"] for p in c["params"]} for c in task["matrix"]["include"]]


def test_each_combination_names_the_image_of_its_version(tmp_path: Path) -> None:
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    combos = _combos(conv)
    assert len(combos) == 6
    for combo in combos:
        assert combo["ght-image"] == IMAGES[combo["matrix-python"]]
    spec = conv.task("ci-test")["spec"]
    assert spec["stepTemplate"]["image"] == "$(params.ght-image)"
    assert any(p["name"] == "ght-image" for p in spec["params"])
    [job] = conv.result.report["workflows"][0]["jobs"]
    assert any(f["rule"] == "matrix-image" for f in job["findings"])
    [setup] = [s for s in job["steps"] if s["rule"] == "setup-python"]
    assert all(image in setup["reason"] for image in IMAGES.values())
    assert "became the job image" not in setup["reason"]


def test_tekton_runs_each_cell_in_its_own_image(tmp_path: Path) -> None:
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    result = oracle.run(conv.out, conv.out / "examples" / "ci-run.yaml")
    images = set()
    for run in result.by_task["test"]:
        containers = (run.get("pod") or {}).get("containers") or []
        images |= {c["image"] for c in containers if c["name"].startswith("step-run")}
    assert images == set(IMAGES.values()), result.explain()


def test_one_version_for_every_cell_keeps_one_image(tmp_path: Path) -> None:
    workflow = WORKFLOW.replace('["3.9", "3.11", "pypy3.10"]', '["3.11"]')
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": workflow})
    assert all("ght-image" not in c for c in _combos(conv))
    assert conv.task("ci-test")["spec"]["stepTemplate"]["image"] == IMAGES["3.11"]
