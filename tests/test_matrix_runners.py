"""Issue 21: a matrix with Windows or macOS cells is never flattened into Linux runs.

psf/requests' `os: [ubuntu, macOS, windows]` once became identical Linux runs (a false green)
with Windows and macOS never named. The cells a runner rule sends to manual work are left out
of the Tekton matrix and named in a manual finding; a job with only such cells never runs.
"""

from __future__ import annotations

from pathlib import Path

from tests import oracle
from tests.converted import convert_repo

WORKFLOW = """\
name: Tests
on: [push]
jobs:
  build:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        python-version: ["3.11", "3.12"]
        os: [ubuntu-22.04, macOS-latest, windows-latest]
        include:
          - python-version: "3.8"
            os: ubuntu-22.04
    steps:
      - run: pytest
"""


def _cells(pipeline: dict) -> list[dict[str, str]]:
    [task] = pipeline["spec"]["tasks"]
    return [{p["name"]: p["value"] for p in entry["params"]} for entry in task["matrix"]["include"]]


def test_windows_and_macos_cells_are_left_out_and_named(tmp_path: Path) -> None:
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    cells = _cells(conv.pipeline("ci"))
    assert [c["matrix-os"] for c in cells] == ["ubuntu-22.04"] * 3
    assert sorted(c["matrix-python-version"] for c in cells) == ["3.11", "3.12", "3.8"]
    [finding] = [m for m in conv.messages() if "matrix combinations" in m]
    assert finding.startswith(
        "4 of 7 matrix combinations need runners that a Kubernetes cluster of Linux nodes does "
        "not reproduce (macOS-latest, windows-latest)"
    )
    for cell in (
        "python-version=3.11, os=macOS-latest",
        "python-version=3.11, os=windows-latest",
        "python-version=3.12, os=macOS-latest",
        "python-version=3.12, os=windows-latest",
    ):
        assert cell in finding
    assert conv.result.report["workflows"][0]["jobs"][0]["status"] == "manual"
    assert oracle.admit([conv.out]).refused == []


def test_a_matrix_of_only_foreign_cells_never_runs(tmp_path: Path) -> None:
    text = (
        WORKFLOW.replace("[ubuntu-22.04, macOS-latest, windows-latest]", "[macos-14]")
        .replace('          - python-version: "3.8"\n            os: ubuntu-22.04\n', "")
        .replace("        include:\n", "")
    )
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": text})
    [task] = conv.pipeline("ci")["spec"]["tasks"]
    assert "matrix" not in task
    assert task["when"] == [{"input": "not-translated", "operator": "in", "values": ["translated"]}]
    assert any(m.startswith("2 of 2 matrix combinations") for m in conv.messages())


def test_no_finding_is_cut_off_in_the_markdown_report(tmp_path: Path) -> None:
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": WORKFLOW})
    markdown = conv.result.files["migration-report.md"]
    assert "python-version=3.12, os=windows-latest" in markdown
    assert "... |" not in markdown and "...\n" not in markdown
