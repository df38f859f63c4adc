"""`convert` over the whole ../shared/corpus: no crash, every resource valid for Tekton.

Every generated document is checked twice: parsed back with our strict models, and validated with
Tekton's own CRD schemas (../shared/tools/validate_tekton.py). Converting twice must give
byte-identical files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ghtotekton.convert.engine import Options, Result, convert_paths
from ghtotekton.tekton.model import parse_resource
from tests.conftest import CORPUS, SHARED, need_shared

pytestmark = pytest.mark.corpus

RESOURCE_DIRS = ("tasks/", "pipelines/", "examples/")


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    need_shared(CORPUS)
    out: dict[str, Result] = {}
    for repo in sorted(p for p in CORPUS.iterdir() if (p / ".github" / "workflows").is_dir()):
        out[repo.name] = convert_paths([repo], Options())  # a crash fails the whole module
    return out


def test_every_workflow_converts(converted: dict[str, Result]) -> None:
    workflows = sum(len(r.conversions) for r in converted.values())
    failed = {k: r.failed for k, r in converted.items() if r.failed}
    assert workflows >= 600
    # Only the files the loader refuses (the same ones actionlint refuses) fail.
    assert sum(len(f) for f in failed.values()) <= 2, failed


def test_every_resource_parses_back_with_our_models(converted: dict[str, Result]) -> None:
    count = 0
    for name, result in converted.items():
        for rel, text in result.files.items():
            if rel.startswith(RESOURCE_DIRS):
                for doc in yaml.safe_load_all(text):
                    parse_resource(doc, file=f"{name}/{rel}")
                    count += 1
    assert count > 1500


def test_every_resource_validates_against_tekton_schemas(
    converted: dict[str, Result], tmp_path: Path
) -> None:
    paths = []
    for name, result in converted.items():
        for rel, text in result.files.items():
            if rel.startswith(RESOURCE_DIRS):
                path = tmp_path / name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                paths.append(str(path))
    tool = SHARED / "tools" / "validate_tekton.py"
    result = subprocess.run(
        [sys.executable, str(tool), "-q", *paths], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "0 errors" in result.stdout


def test_converting_twice_gives_identical_files(converted: dict[str, Result]) -> None:
    for name in list(converted)[:10]:
        again = convert_paths([CORPUS / name], Options())
        assert again.files == converted[name].files, name
