"""A job container image written with expressions: Tekton substitutes params in a step's image,
so matrix values, inputs and other jobs' outputs become params; a computed image fails closed."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.jobs import DEFAULT_IMAGE

WORKFLOW = """\
on: push
jobs:
  cfg:
    runs-on: ubuntu-latest
    outputs:
      registry: ${{ steps.r.outputs.registry }}
    steps:
      - id: r
        run: echo "registry=ghcr.io/acme" >> "$GITHUB_OUTPUT"
  test:
    needs: cfg
    runs-on: ubuntu-latest
    strategy:
      matrix:
        cuda: ['12.4', '12.8']
    container:
      image: ${{ needs.cfg.outputs.registry }}/ci:cuda${{ matrix.cuda }}
    steps:
      - run: nvcc --version
  pick:
    runs-on: ubuntu-latest
    container:
      image: ${{ github.ref == 'refs/heads/main' && 'acme/ci:stable' || 'acme/ci:edge' }}
    steps:
      - run: echo hi
"""


def _convert(tmp_path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, Any]]:
    flows = tmp_path / "repo" / ".github" / "workflows"
    flows.mkdir(parents=True)
    (flows / "ci.yml").write_text(textwrap.dedent(WORKFLOW))
    result = convert_paths([tmp_path / "repo"], Options())
    conv = result.conversions[0]
    assert conv.pipeline is not None
    tasks = {t["metadata"]["name"].removeprefix("ci-"): t for t in conv.tasks}
    return tasks, conv.pipeline, result.report


def test_matrix_values_and_job_outputs_become_params_of_the_image(tmp_path: Path) -> None:
    tasks, pipeline, _ = _convert(tmp_path)
    image = "$(params.needs-cfg-registry)/ci:cuda$(params.matrix-cuda)"
    spec = tasks["test"]["spec"]
    assert spec["stepTemplate"]["image"] == image
    assert {p["name"] for p in spec["params"]} >= {"needs-cfg-registry", "matrix-cuda"}
    task = next(t for t in pipeline["spec"]["tasks"] if t["name"] == "test")
    feed = {"name": "needs-cfg-registry", "value": "$(tasks.cfg.results.registry)"}
    assert feed in task["params"]
    cells = [p["value"] for c in task["matrix"]["include"] for p in c["params"]]
    assert cells == ["12.4", "12.8"]


def test_a_computed_image_fails_the_job_before_its_steps(tmp_path: Path) -> None:
    tasks, _, report = _convert(tmp_path)
    spec = tasks["pick"]["spec"]
    assert spec["stepTemplate"]["image"] == DEFAULT_IMAGE
    setup = spec["steps"][0]
    assert setup["script"].rstrip().endswith("exit 1")
    assert "${{" not in str(spec)
    job = next(j for w in report["workflows"] for j in w["jobs"] if j["id"] == "pick")
    assert any(
        f["status"] == "manual" and "container image" in f["message"] for f in job["findings"]
    )
