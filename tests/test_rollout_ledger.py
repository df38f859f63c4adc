"""The ledger: records once, never changes, survives concurrent writers and a crash mid-write."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ghtotekton.commands import rollout as cmd
from ghtotekton.compare.engine import Comparison, RunSummary
from ghtotekton.compare.handlers.base import Difference
from ghtotekton.compare.report import SCHEMA_VERSION, to_json_document
from ghtotekton.errors import InputError
from ghtotekton.rollout import ledger as lg
from ghtotekton.rollout.plan import Gate, Phase, Plan, load_plan, render_plan

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def compare_doc(sha: str, verdict: str = "equivalent", run: str = "1") -> dict[str, Any]:
    """A real compare JSON document (built by the compare report code, not by hand)."""
    diffs = []
    if verdict == "divergent":
        diffs = [
            Difference(
                handler="junit",
                path="reports/junit.xml",
                location="tests.test_io::test_read",
                kind="outcome-changed",
                message="passed on A, failed on B",
            )
        ]
    missing = []
    if verdict == "incomplete":
        missing = [
            Difference(
                handler="binary", path="dist/app.whl", kind="missing-on-b", message="missing on B"
            )
        ]
    comparison = Comparison(
        verdict=verdict,  # type: ignore[arg-type]
        run_a=RunSummary(
            source="a", system="github-actions", run_id=f"gh-{run}", commit=sha, status="succeeded"
        ),
        run_b=RunSummary(
            source="b", system="tekton", run_id=f"tk-{run}", commit=sha, status="succeeded"
        ),
        differences=diffs,
        missing=missing,
    )
    return to_json_document(comparison)


def sha_of(n: int) -> str:
    return f"{n:040x}"[::-1]  # varied leading digits, so commits spread over buckets


def make_plan(tmp_path: Path, *gates: Gate, shares: tuple[int, ...] = (10, 50, 100)) -> Path:
    default = Gate(min_compared=1, max_divergence_rate=0.5, failure_limit=5, min_time="0")
    phases = [
        Phase(share=s, gate=gates[i] if i < len(gates) else default) for i, s in enumerate(shares)
    ]
    path = tmp_path / "rollout.yaml"
    path.write_text(render_plan(Plan(phases=phases)))
    return path


def record_doc(
    plan_path: Path, doc: dict[str, Any], now: datetime | None = None
) -> lg.RecordOutcome:
    plan = load_plan(plan_path)
    with lg.Ledger.open(plan.ledger_path) as ledger:
        return lg.record(ledger, plan, lg.parse_document(doc), now=now)


def promote_in_ledger(plan_path: Path, now: datetime = T0) -> None:
    """A phase change without the files (those are the scenario test's business)."""
    plan = load_plan(plan_path)
    with lg.Ledger.open(plan.ledger_path) as ledger, ledger.transaction():
        state = ledger.state()
        ledger.insert_change(
            at=now,
            from_phase=state.phase,
            to_phase=state.phase + 1,
            plan=plan,
            kind="promote",
            forced=False,
            actor="test",
            reason="test",
            gate=None,
        )


# --- documents --------------------------------------------------------------------------------


def test_the_compare_report_is_the_schema_the_ledger_reads() -> None:
    assert lg.COMPARE_SCHEMA == SCHEMA_VERSION
    sha = "A1B2C3" + "0" * 34
    verdict = lg.parse_document(compare_doc(sha, "divergent"))
    assert verdict.commit == sha.lower()
    assert verdict.verdict == "divergent" and verdict.differences == 1
    assert verdict.summary["first"] == [
        "[junit] reports/junit.xml:tests.test_io::test_read: passed on A, failed on B"
    ]
    assert verdict.summary["run_b"] == {"system": "tekton", "run_id": "tk-1"}
    # The digest is of the content, not of the key order.
    shuffled = dict(reversed(list(compare_doc(sha, "divergent").items())))
    assert lg.digest_of(shuffled) == verdict.digest


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.pop("verdict"), "verdict"),
        (lambda d: d.update(verdict="fine"), "verdict"),
        (lambda d: d.update(schema_version=2), "schema 2"),
        (lambda d: (d["summary"].update(commit=""), d["run_a"].update(commit="")), "no commit"),
        (lambda d: d["run_b"].update(commit="f" * 40), "different commits"),
    ],
)
def test_bad_documents_are_input_errors(change: Any, words: str) -> None:
    doc = compare_doc("ab" * 20)
    change(doc)
    with pytest.raises(InputError) as caught:
        lg.parse_document(doc, "cmp.json")
    assert caught.value.first.position.file == "cmp.json"
    assert words in caught.value.first.message


def test_broken_json_points_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cmp.json"
    path.write_text('{\n  "verdict": "equivalent",\n  oops\n}\n')
    with pytest.raises(InputError) as caught:
        lg.load_document(path)
    assert str(caught.value.first.position) == f"{path}:3:3"


# --- recording --------------------------------------------------------------------------------


def test_record_once_per_commit_phase_and_report(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    doc = compare_doc(sha_of(1))
    first = record_doc(plan, doc, T0)
    again = record_doc(plan, doc, T0 + timedelta(minutes=1))
    assert not first.duplicate and again.duplicate
    assert again.row.id == first.row.id
    rerun = record_doc(plan, compare_doc(sha_of(1), run="2"), T0)  # a new comparison run
    assert not rerun.duplicate
    promote_in_ledger(plan)
    in_next_phase = record_doc(plan, doc, T0)  # the same report, but in phase 1: new evidence
    assert not in_next_phase.duplicate and in_next_phase.row.phase == 1
    with lg.Ledger.open(load_plan(plan).ledger_path) as ledger:
        assert ledger.count() == 3
        stored = ledger.document(first.row.id)
    assert stored == json.loads(json.dumps(doc))


def test_the_ledger_is_append_only(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    record_doc(plan, compare_doc(sha_of(1)))
    promote_in_ledger(plan)
    with lg.Ledger.open(load_plan(plan).ledger_path) as ledger:
        for sql in (
            "UPDATE comparisons SET verdict = 'equivalent'",
            "DELETE FROM comparisons",
            "UPDATE phase_changes SET actor = 'someone else'",
            "DELETE FROM phase_changes",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                ledger.conn.execute(sql)
        assert ledger.count() == 1 and len(ledger.changes()) == 1


def test_failure_limit_aborts_automatically_and_starts_a_new_stint(tmp_path: Path) -> None:
    strict = Gate(min_compared=1, max_divergence_rate=1.0, failure_limit=2, min_time="0")
    plan = make_plan(tmp_path, strict, strict)
    promote_in_ledger(plan)
    promote_in_ledger(plan)  # phase 2 (50%)
    assert record_doc(plan, compare_doc(sha_of(1), "divergent")).aborted is None
    assert record_doc(plan, compare_doc(sha_of(2), "incomplete")).aborted is None
    # The same divergent report again is a duplicate: it must not count twice.
    assert record_doc(plan, compare_doc(sha_of(1), "divergent")).aborted is None
    outcome = record_doc(plan, compare_doc(sha_of(3), "divergent"), T0 + timedelta(hours=1))
    assert outcome.aborted is not None
    assert (outcome.aborted.from_phase, outcome.aborted.to_phase) == (2, 1)
    assert (outcome.aborted.from_share, outcome.aborted.to_share) == (50, 10)
    assert outcome.aborted.actor == lg.AUTO_ACTOR and outcome.aborted.kind == "auto-abort"
    assert "failure limit" in outcome.aborted.reason
    assert outcome.aborted.gate["divergent"] == 2
    # Back in phase 1, counting starts afresh: one more divergence is not the limit.
    nxt = record_doc(plan, compare_doc(sha_of(4), "divergent"))
    assert nxt.row.phase == 1 and nxt.aborted is None and nxt.gate.divergent == 1


def test_record_command_and_the_compare_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = make_plan(tmp_path)
    report = tmp_path / "cmp.json"
    report.write_text(json.dumps(compare_doc(sha_of(7), "divergent")))
    assert cmd.record(plan=plan, compare_json=report) == 0
    assert "divergent, recorded in phase 0" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)  # compare --record: the plan in the current folder
    hooked = lg.record_comparison(compare_doc(sha_of(8)))
    explicit = lg.record_comparison(None, plan, compare_doc(sha_of(9)))
    assert not hooked.duplicate and not explicit.duplicate
    with lg.Ledger.open(load_plan(plan).ledger_path) as ledger:
        rows = ledger.comparisons()
    assert [r.commit for r in rows] == [sha_of(7), sha_of(8), sha_of(9)]
    assert rows[0].report == "cmp.json" and rows[1].report is None  # relative to the repo


def test_not_a_ledger(tmp_path: Path) -> None:
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError) as caught, lg.Ledger.open(bad):
        pass
    assert caught.value.first.position.file == str(bad)


# --- several processes at once ------------------------------------------------------------------


def _worker(plan_path: str, worker: int, barrier: Any, verdict: str, count: int) -> None:
    barrier.wait()
    mine = [compare_doc(sha_of(worker * 1000 + i), verdict) for i in range(count)]
    theirs = [compare_doc(sha_of(((worker + 1) % 4) * 1000 + i), verdict) for i in range(count)]
    for doc in [d for pair in zip(mine, theirs, strict=True) for d in pair]:
        record_doc(Path(plan_path), doc)


def _run_workers(plan: Path, verdict: str, count: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [
        ctx.Process(target=_worker, args=(str(plan), w, barrier, verdict, count)) for w in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]


@pytest.mark.slow
def test_four_processes_record_at_once_and_nothing_is_lost_or_doubled(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    # Each worker records its 50 and, interleaved, the 50 of its neighbour: 400 attempts.
    _run_workers(plan, "equivalent", 50)
    with lg.Ledger.open(load_plan(plan).ledger_path) as ledger:
        rows = ledger.comparisons()
    assert len(rows) == 200
    assert len({r.commit for r in rows}) == 200
    assert {r.commit for r in rows} == {sha_of(w * 1000 + i) for w in range(4) for i in range(50)}
    assert [r.id for r in rows] == sorted({r.id for r in rows})


@pytest.mark.slow
def test_concurrent_divergences_abort_exactly_once(tmp_path: Path) -> None:
    limit = Gate(min_compared=1, max_divergence_rate=1.0, failure_limit=5, min_time="0")
    plan = make_plan(tmp_path, limit)
    promote_in_ledger(plan)
    _run_workers(plan, "divergent", 10)
    with lg.Ledger.open(load_plan(plan).ledger_path) as ledger:
        changes = ledger.changes()
        rows = ledger.comparisons()
    aborts = [c for c in changes if c.kind == "auto-abort"]
    assert len(aborts) == 1 and aborts[0].gate["divergent"] == 5
    # Exactly five verdicts landed in phase 1; the rest arrived after the abort, in phase 0.
    # Each commit was sent twice: once per (commit, phase) at most, so a commit recorded in
    # phase 1 may come again in phase 0 (new evidence there), and the others exactly once.
    assert sum(r.phase == 1 for r in rows) == 5
    assert len({r.commit for r in rows}) == 40
    assert len({(r.commit, r.phase) for r in rows}) == len(rows)
    assert 40 <= len(rows) <= 45


def _crash_inside_the_transaction(plan_path: str) -> None:
    def die(*_: Any, **__: Any) -> Any:
        os._exit(9)  # the comparison row is inserted; the transaction is not committed

    from ghtotekton.rollout import gates

    gates.evaluate = die  # the ledger calls it after the insert, before the commit
    record_doc(Path(plan_path), compare_doc(sha_of(99), "divergent"))


def test_a_crash_mid_write_leaves_nothing_behind(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    record_doc(plan, compare_doc(sha_of(1)))
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_crash_inside_the_transaction, args=(str(plan),))
    proc.start()
    proc.join(timeout=120)
    assert proc.exitcode == 9
    with lg.Ledger.open(load_plan(plan).ledger_path) as ledger:
        assert [r.commit for r in ledger.comparisons()] == [sha_of(1)]
    assert not record_doc(plan, compare_doc(sha_of(99), "divergent")).duplicate
