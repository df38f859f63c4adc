"""A matrix value that reaches compose (a build arg, an image tag) gives each cell its own image
(ghtotekton/convert/image_variants.py), split or not, and Tekton runs each cell with it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.image_variants import ImageVariant, matrix_env
from tests import oracle
from tests.conftest import FIXTURES
from tests.converted import convert_repo

WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12"]
        pg: ["15", "16"]
        exclude:
          - python: "3.11"
            pg: "16"
    env:
      PG_VERSION: ${{ matrix.pg }}
    steps:
      - run: docker compose up -d db
      - run: docker compose run --rm app pytest
        env:
          PYTHON_VERSION: ${{ matrix.python }}
"""
COMPOSE = """\
services:
  db:
    image: postgres:${PG_VERSION:-14}
  app:
    build:
      context: .
      args:
        PYTHON_VERSION: ${PYTHON_VERSION:-3.10}
    image: example/app
"""


def _convert(tmp_path: Path, split: bool) -> tuple[Path, dict[str, Any], list[str]]:
    files = {".github/workflows/ci.yml": WORKFLOW, "docker-compose.yml": COMPOSE}
    done = convert_repo(tmp_path, files, Options(split_gpu=split))
    return done.out, done.pipeline("ci"), done.messages()


def test_matrix_env_reads_plain_matrix_references() -> None:
    env = {"A": "${{ matrix.python }}", "B": "py${{ matrix.python }}", "C": "3", "D": None}
    assert matrix_env(env) == {"A": "python"}


def test_a_built_image_is_tagged_with_its_build_args() -> None:
    variant = ImageVariant(
        "app", "ghcr.io/o/app:v1", "ghcr.io/o/app:v1", True,
        {"PY": "@@ght-matrix-PY@@"}, {"PY": "python"},
    )  # fmt: skip
    image, args, suffix = variant.cell({"python": "3.12"})
    assert (image, args, suffix) == ("ghcr.io/o/app:v1-3.12", {"PY": "3.12"}, "3.12")


def test_each_cell_gets_its_image_in_a_tekton_matrix(tmp_path: Path) -> None:
    _, pipeline, messages = _convert(tmp_path, split=False)
    task = pipeline["spec"]["tasks"][0]
    assert "image-app" not in {p["name"] for p in task.get("params", [])}
    cells = {
        tuple(sorted((p["name"], p["value"]) for p in combo["params"]))
        for combo in task["matrix"]["include"]
    }
    assert cells == {
        (("image-app", "$(params.image-app-3-11)"), ("image-db", "postgres:15"),
         ("matrix-pg", "15"), ("matrix-python", "3.11")),
        (("image-app", "$(params.image-app-3-12)"), ("image-db", "postgres:15"),
         ("matrix-pg", "15"), ("matrix-python", "3.12")),
        (("image-app", "$(params.image-app-3-12)"), ("image-db", "postgres:16"),
         ("matrix-pg", "16"), ("matrix-python", "3.12")),
    }  # fmt: skip
    declared = {p["name"]: p for p in pipeline["spec"]["params"]}
    assert declared["image-app-3-12"]["default"] == "example/app:latest-3.12"
    assert "image-app" not in declared
    assert any("builds a different image for each matrix cell" in m for m in messages)


def test_tekton_runs_each_cell_with_its_image(tmp_path: Path) -> None:
    out, _, _ = _convert(tmp_path, split=False)
    assert not oracle.admit(sorted(out.rglob("*.yaml"))).refused
    run = oracle.run(out, out / "examples" / "ci-run.yaml")
    assert run.status == "Succeeded", run.explain()
    seen = set()
    for tr in run.by_task["test"]:
        images = {c["name"]: c["image"] for c in tr["pod"]["containers"]}
        seen.add((tr["matrix"]["matrix-python"], tr["matrix"]["matrix-pg"],
                  images["sidecar-svc-db"], images["step-run-2"]))  # fmt: skip
    assert seen == {
        ("3.11", "15", "postgres:15", "example/app:latest-3.11"),
        ("3.12", "15", "postgres:15", "example/app:latest-3.12"),
        ("3.12", "16", "postgres:16", "example/app:latest-3.12"),
    }


def test_split_cells_get_their_image(tmp_path: Path) -> None:
    repo = tmp_path / "demo"
    shutil.copytree(FIXTURES / "gpu-notebook", repo)
    result = convert_paths([repo], Options())
    pipeline = next(
        d
        for d in yaml.safe_load_all(result.files["pipelines/gpu-notebooks.yaml"])
        if d and d["kind"] == "Pipeline"
    )
    for pt in pipeline["spec"]["tasks"] + pipeline["spec"]["finally"]:
        given = {p["name"]: p.get("value") for p in pt.get("params", [])}
        if "matrix-python" in given:
            python = given["matrix-python"]
            assert given["image-notebook"] == f"$(params.image-notebook-{python.replace('.', '-')})"


@pytest.mark.parametrize("compose", [COMPOSE.replace("${PG_VERSION:-14}", "16")])
def test_no_matrix_value_no_variants(tmp_path: Path, compose: str) -> None:
    workflow = WORKFLOW.replace("PYTHON_VERSION: ${{ matrix.python }}", "PYTHON_VERSION: '3.9'")
    files = {".github/workflows/ci.yml": workflow, "docker-compose.yml": compose}
    pipeline = convert_repo(tmp_path, files, Options(split_gpu=False)).pipeline("ci")
    task = pipeline["spec"]["tasks"][0]
    assert {p["name"]: p["value"] for p in task["params"]}["image-app"] == "$(params.image-app)"
    for combo in task["matrix"]["include"]:
        assert "image-app" not in {p["name"] for p in combo["params"]}
