"""Issue 20, row 3: the rollout ledger cannot go backwards, and survives ``kill -9``.

The files ``rollout`` writes record the phase they are for (``rollout_phase`` in
migration-map.json); a ledger that lost its history (deleted, emptied, an older copy) is caught
against them before anything is written. A promotion killed at any point is finished by the next
command, so the ledger and ``tekton/`` end up agreeing, never one phase apart for good.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ghtotekton.commands import rollout as cmd
from ghtotekton.errors import InputError
from ghtotekton.rollout import ledger as lg
from ghtotekton.rollout.plan import Gate, load_plan
from tests.test_rollout_ledger import compare_doc, make_plan, sha_of

WORKFLOW = """\
name: CI
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: make test
"""


def repo(tmp_path: Path, *gates: Gate) -> Path:
    root = tmp_path / "app"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    make_plan(root, *gates)
    return root


def promote(root: Path) -> int:
    return cmd.promote(plan=root / "rollout.yaml", force=True, reason="test", actor="t")


def map_options(root: Path) -> dict[str, Any]:
    data = json.loads((root / "tekton" / "migration-map.json").read_text())
    return dict(data["options"])


def ledger_phase(root: Path) -> int:
    plan = load_plan(root / "rollout.yaml")
    with lg.Ledger.open(plan.ledger_path, create=False) as ledger:
        return ledger.state().phase


def record(root: Path, sha: str, verdict: str = "equivalent") -> int:
    report = root / "reports" / f"{sha}-{verdict}.json"
    report.parent.mkdir(exist_ok=True)
    report.write_text(json.dumps(compare_doc(sha, verdict, run=sha[:6])))
    return cmd.record(plan=root / "rollout.yaml", compare_json=report)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".ghtotekton" not in p.parts and "reports" not in p.parts
    }


@pytest.fixture
def at_phase_2(tmp_path: Path) -> Path:
    root = repo(tmp_path)
    assert promote(root) == 0 and promote(root) == 0
    assert ledger_phase(root) == 2
    assert map_options(root)["rollout_phase"] == 2 and map_options(root)["tekton_share"] == 50
    return root


def test_deleted_ledger_is_refused_and_nothing_is_written(at_phase_2: Path) -> None:
    root = at_phase_2
    db = load_plan(root / "rollout.yaml").ledger_path
    db.unlink()
    for wal in db.parent.glob("rollout.db-*"):
        wal.unlink()
    before = tree(root)
    with pytest.raises(InputError) as err:
        promote(root)
    assert "written for phase 2" in str(err.value) and "has no phase change" in str(err.value)
    assert tree(root) == before
    assert not db.exists(), "a refused promote must not start a fresh ledger"
    with pytest.raises(InputError):
        cmd.abort(plan=root / "rollout.yaml", reason="back", sync=True)
    with pytest.raises(InputError):
        record(root, sha_of(1))
    assert tree(root) == before


def test_emptied_ledger_is_refused(at_phase_2: Path) -> None:
    root = at_phase_2
    db = load_plan(root / "rollout.yaml").ledger_path
    for wal in db.parent.glob("rollout.db-*"):
        wal.unlink()
    db.write_bytes(b"")
    before = tree(root)
    with pytest.raises(InputError):
        promote(root)
    with pytest.raises(InputError):
        record(root, sha_of(2))
    assert tree(root) == before


def test_older_copy_of_the_ledger_is_refused(tmp_path: Path) -> None:
    root = repo(tmp_path)
    db = load_plan(root / "rollout.yaml").ledger_path
    assert promote(root) == 0
    backup = tmp_path / "backup.db"
    src, dst = sqlite3.connect(db), sqlite3.connect(backup)
    src.backup(dst)
    src.close()
    dst.close()
    assert promote(root) == 0  # phase 2
    for wal in db.parent.glob("rollout.db-*"):
        wal.unlink()
    shutil.copyfile(backup, db)
    assert ledger_phase(root) == 1
    with pytest.raises(InputError) as err:
        promote(root)
    assert "newest change came from phase 0" in str(err.value)
    with pytest.raises(InputError):
        cmd.abort(plan=root / "rollout.yaml", reason="x", sync=True)  # would move traffic back
    assert map_options(root)["rollout_phase"] == 2


def test_an_abort_behind_the_files_is_allowed(tmp_path: Path) -> None:
    """The ledger may be behind for a reason it records: an automatic abort awaiting its files."""
    strict = Gate(min_compared=1, max_divergence_rate=0.5, failure_limit=1, min_time="0")
    root = repo(tmp_path, strict, strict, strict)
    assert promote(root) == 0 and promote(root) == 0
    assert record(root, sha_of(3), "divergent") == 1  # failure limit: back to phase 1
    assert ledger_phase(root) == 1 and map_options(root)["rollout_phase"] == 2
    assert record(root, sha_of(4)) == 0
    assert cmd.abort(plan=root / "rollout.yaml", reason="sync", sync=True) == 0
    assert map_options(root)["rollout_phase"] == 1 and map_options(root)["tekton_share"] == 10


def test_a_plain_convert_does_not_block_the_start(tmp_path: Path) -> None:
    """`convert` (Tekton at 100% by default) records no phase: the first promote goes ahead."""
    from typer.testing import CliRunner

    from ghtotekton.cli import app

    root = repo(tmp_path)
    result = CliRunner().invoke(
        app, ["convert", str(root / ".github" / "workflows"), "-o", str(root / "tekton")]
    )
    assert result.exit_code in (0, 1), result.stderr
    assert "rollout_phase" not in map_options(root)
    assert promote(root) == 0
    assert map_options(root)["rollout_phase"] == 1


def test_a_note_left_by_a_killed_promote_is_finished(at_phase_2: Path) -> None:
    """Deterministic half of the kill test: the note is there, the files already moved."""
    root = at_phase_2
    plan = load_plan(root / "rollout.yaml")
    cmd.write_phase_files(plan, 3)
    note = {
        "kind": "promote",
        "from_phase": 2,
        "to_phase": 3,
        "forced": True,
        "actor": "t",
        "reason": "killed",
        "at": "2026-12-07T00:00:00+00:00",
        "pid": 999_999_999,
        "host": "elsewhere",
        "workflows": None,
        "tekton": None,
        "gate": {},
    }
    with lg.Ledger.open(plan.ledger_path) as ledger, ledger.transaction():
        ledger.set_pending(note)
    status = cmd.status_document(plan, None, 10, lg.utcnow())
    assert status["pending"]["to_phase"] == 3
    assert record(root, sha_of(5)) == 0  # files at the note's target: consistent
    assert cmd.abort(plan=root / "rollout.yaml", reason="finish", sync=True) == 0
    assert ledger_phase(root) == 3
    with lg.Ledger.open(plan.ledger_path) as ledger:
        assert ledger.pending() is None
        assert [c.reason for c in ledger.changes()][-1] == "killed"


# --- kill -9 at random points ----------------------------------------------------------------


def _cli(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ghtotekton", "rollout", *args],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "GHTOTEKTON_ACTOR": "kill-test"},
    )


def _agree(root: Path) -> tuple[int, int]:
    plan = load_plan(root / "rollout.yaml")
    with lg.Ledger.open(plan.ledger_path, create=False) as ledger:
        assert ledger.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        phase = ledger.state().phase
        assert ledger.pending() is None
    files = map_options(root).get("rollout_phase", 0)
    return phase, files


@pytest.mark.slow
def test_kill_9_during_promote_never_leaves_them_apart(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert promote(root) == 0  # phase 1, files for phase 1
    started = time.perf_counter()
    full = _cli(root, "promote", "--force", "--reason", "timing")
    assert full.wait(120) == 0
    took = time.perf_counter() - started
    assert _agree(root) == (2, 2)
    assert cmd.abort(plan=root / "rollout.yaml", reason="again") == 0
    rng = random.Random(9)
    for _ in range(8):
        before = ledger_phase(root)
        proc = _cli(root, "promote", "--force", "--reason", "killed")
        time.sleep(rng.uniform(0.3 * took, 1.05 * took))  # python starts in the first third
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        # whatever was cut off, the next command finishes it or finds nothing to finish
        assert cmd.abort(plan=root / "rollout.yaml", reason="recover", sync=True) == 0
        phase, files = _agree(root)
        assert phase == files, "the ledger and tekton/ must agree"
        assert phase in (before, before + 1), "the rollout never goes backwards"
        if phase == before + 1:
            assert cmd.abort(plan=root / "rollout.yaml", reason="reset") == 0
        assert _agree(root) == (before, before)


@pytest.mark.slow
def test_kill_9_during_record_keeps_the_ledger_whole(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert promote(root) == 0
    report = root / "r.json"
    report.write_text(json.dumps(compare_doc(sha_of(7))))
    rng = random.Random(7)
    for _ in range(5):
        proc = _cli(root, "record", str(report))
        time.sleep(rng.uniform(0.0, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        phase, files = _agree(root)
        assert (phase, files) == (1, 1)
        with lg.Ledger.open(load_plan(root / "rollout.yaml").ledger_path) as ledger:
            assert ledger.count() in (0, 1)
    # the same report once more: recorded exactly once, whatever the kills left
    assert cmd.record(plan=root / "rollout.yaml", compare_json=report) == 0
    with lg.Ledger.open(load_plan(root / "rollout.yaml").ledger_path) as ledger:
        assert ledger.count() == 1


def test_status_after_a_plain_convert_points_to_promote_not_abort(tmp_path: Path) -> None:
    """Issue 21: the first `rollout status` after `init` told the user to run `abort`."""
    from typer.testing import CliRunner

    from ghtotekton.cli import app

    root = repo(tmp_path)
    runner = CliRunner()
    runner.invoke(app, ["convert", str(root / ".github" / "workflows"), "-o", str(root / "tekton")])
    doc = cmd.status_document(load_plan(root / "rollout.yaml"), None, 10, lg.utcnow())
    line = cmd._sync_line(doc)
    assert line is not None and "abort" not in line
    assert "`ghtotekton rollout promote` rewrites them for 10%" in line
