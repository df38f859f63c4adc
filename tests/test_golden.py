"""Golden files: each folder under tests/golden/ holds a small workflow and the reviewed output.

A case is `tests/golden/<name>/.github/workflows/*.yml` (plus any local actions and an optional
`options.json` of convert options), and the expected output under `tests/golden/<name>/expected/`
(Tasks, Pipelines, report, and the patched workflows of `--shadow-compare`). When a change to the
converter is meant to change output, regenerate with `GHTOTEKTON_UPDATE_GOLDEN=1 pytest
tests/test_golden.py`, read the diff, and commit it with the change that caused it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ghtotekton.convert.engine import Options, convert_paths
from tests.conftest import FIXTURES, SHARED

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / ".github").is_dir())
COMPARED = (
    "tasks/",
    "pipelines/",
    "examples/",
    "kustomization.yaml",
    "migration-report.md",
    "github-actions/",
)
CORPUS_CASES = {
    # Whole real workflows from ../shared/corpus: (repository folder, workflow file).
    "sglang-execute-notebook": ("sgl-project__sglang", "execute-notebook.yml"),
    "sglang-e2e-multi-gpu": ("sgl-project__sglang", "e2e-test-multi-gpu.yml"),
    "fastapi-template-test-backend": ("fastapi__full-stack-fastapi-template", "test-backend.yml"),
    "kompose-test": ("kubernetes__kompose", "test.yml"),
    "sklearn-cuda-ci": ("scikit-learn__scikit-learn", "cuda-ci.yml"),
}


@pytest.mark.parametrize("split_gpu", [True, False])
def test_golden_gpu_notebook_fixture(split_gpu: bool) -> None:
    """The demo: one golden set split by resource class, one kept as one task per job."""
    files = _convert_in(FIXTURES / "gpu-notebook", Path("."), Options(split_gpu=split_gpu))
    _check(
        files,
        GOLDEN / "fixtures" / f"gpu-notebook-{'split' if split_gpu else 'whole'}" / "expected",
    )


def _convert_in(folder: Path, target: Path, options: Options | None = None) -> dict[str, str]:
    cwd = os.getcwd()
    os.chdir(folder)  # paths in the output are relative to this folder
    try:
        result = convert_paths([target], options or Options())
    finally:
        os.chdir(cwd)
    return {k: v for k, v in result.files.items() if k.startswith(COMPARED)}


def _generated(case: str) -> dict[str, str]:
    """A case converts with default options, or with those of its ``options.json``."""
    chosen = GOLDEN / case / "options.json"
    options = Options(**json.loads(chosen.read_text())) if chosen.is_file() else None
    return _convert_in(GOLDEN / case, Path("."), options)


def _check(files: dict[str, str], expected_dir: Path) -> None:
    if os.environ.get("GHTOTEKTON_UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, text in files.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_text(text)
    expected = {
        str(p.relative_to(expected_dir)): p.read_text()
        for p in sorted(expected_dir.rglob("*"))
        if p.is_file()
    }
    assert sorted(files) == sorted(expected), "files written differ from the golden set"
    for rel, text in files.items():
        assert text == expected[rel], (
            f"{expected_dir.parent.name}/{rel} differs from the golden file"
        )


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    _check(_generated(case), GOLDEN / case / "expected")


@pytest.mark.corpus
@pytest.mark.parametrize("case", sorted(CORPUS_CASES))
def test_golden_real_workflow(case: str) -> None:
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared/corpus is not beside this clone")
    repo, workflow = CORPUS_CASES[case]
    files = _convert_in(SHARED / "corpus" / repo, Path(".github/workflows") / workflow)
    _check(files, GOLDEN / "corpus" / case / "expected")


@pytest.mark.parametrize("case", CASES)
def test_converting_twice_is_byte_identical(case: str) -> None:
    assert _generated(case) == _generated(case)


@pytest.mark.parametrize("case", CASES)
def test_golden_output_validates_against_tekton_schemas(case: str, tmp_path: Path) -> None:
    tool = SHARED / "tools" / "validate_tekton.py"
    if not tool.exists():
        pytest.skip("../shared is not beside this checkout")
    paths = []
    for rel, text in _generated(case).items():
        if rel.endswith(".yaml") and not rel.startswith("kustomization"):
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            paths.append(str(path))
    result = subprocess.run(
        [sys.executable, str(tool), *paths], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
