"""The rollout ledger: an append-only SQLite history of verdicts and phase changes.

Why SQLite and not a JSON file in the repository: verdicts arrive from CI jobs of both systems at
the same time, several per minute in a busy repository, and each one must land exactly once. SQLite
gives that with the standard library: WAL mode (readers never block the writer), a busy timeout
(a second writer waits instead of failing) and ``BEGIN IMMEDIATE`` transactions (the write lock is
taken before anything is read, so "read the phase, insert the verdict, check the failure limit,
maybe abort" is one atomic step and two writers cannot both abort the same phase). A crash
mid-transaction is rolled back by SQLite on the next open, so nothing is ever half-written.

Rows are never changed: triggers refuse UPDATE and DELETE, so the ledger is evidence for the
phase decisions it records. A verdict is unique per (commit, phase, digest of the compare JSON),
so a retried CI job records nothing twice. WAL needs a local file system (not NFS); point
``ledger:`` in rollout.yaml at a volume the recording jobs share.

The phase is the ``to_phase`` of the newest phase change (0 without any). The records of the
current *stint* (those recorded after the newest phase change) feed the gate, so a phase entered
again after an abort starts counting afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, overload

from pydantic import BaseModel, ConfigDict, ValidationError

from ghtotekton.compare.engine import same_commit
from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.rollout import gates
from ghtotekton.rollout.consistency import FilesPhase, check_not_behind, files_phase
from ghtotekton.rollout.plan import DEFAULT_PLAN, Plan, load_plan

SCHEMA_VERSION = 1
COMPARE_SCHEMA = 1
"""The ``schema_version`` of ``compare --format json`` documents this ledger understands."""
BUSY_TIMEOUT_S = 60.0
AUTO_ACTOR = "ghtotekton (automatic)"
SUMMARY_DIFFERENCES = 5

ChangeKind = Literal["promote", "abort", "auto-abort"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS phase_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    from_phase INTEGER NOT NULL,
    to_phase INTEGER NOT NULL,
    from_share INTEGER NOT NULL,
    to_share INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('promote', 'abort', 'auto-abort')),
    forced INTEGER NOT NULL DEFAULT 0,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    gate TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS comparisons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    phase INTEGER NOT NULL,
    share INTEGER NOT NULL,
    stint INTEGER NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('equivalent', 'divergent', 'incomplete')),
    differences INTEGER NOT NULL,
    missing INTEGER NOT NULL,
    noise INTEGER NOT NULL,
    summary TEXT NOT NULL,
    digest TEXT NOT NULL,
    report TEXT,
    document TEXT NOT NULL,
    UNIQUE (commit_sha, phase, digest)
);
CREATE INDEX IF NOT EXISTS comparisons_stint ON comparisons (stint, id);
"""

_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS {table}_no_{op} BEFORE {op} ON {table}
BEGIN SELECT RAISE(ABORT, 'the rollout ledger is append-only'); END;
"""


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    id: int
    at: datetime
    commit: str
    phase: int
    share: int
    stint: int
    verdict: str
    differences: int
    missing: int
    noise: int
    summary: dict[str, Any]
    digest: str
    report: str | None


@dataclass(frozen=True, slots=True)
class _Verdict:
    id: int
    commit: str
    verdict: str


@dataclass(frozen=True, slots=True)
class PhaseChange:
    id: int
    at: datetime
    from_phase: int
    to_phase: int
    from_share: int
    to_share: int
    kind: str
    forced: bool
    actor: str
    reason: str
    gate: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": timestamp(self.at),
            "from_phase": self.from_phase,
            "to_phase": self.to_phase,
            "from_share": self.from_share,
            "to_share": self.to_share,
            "kind": self.kind,
            "forced": self.forced,
            "actor": self.actor,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class State:
    """Where the rollout is: the phase and the change that brought it there."""

    phase: int
    change: PhaseChange | None

    @property
    def stint(self) -> int:
        return self.change.id if self.change is not None else 0


_COMPARISON_COLUMNS = (
    "id, at, commit_sha, phase, share, stint, verdict, differences, missing, noise, summary, "
    "digest, report"
)
_CHANGE_COLUMNS = (
    "id, at, from_phase, to_phase, from_share, to_share, kind, forced, actor, reason, gate"
)


def _comparison(row: tuple[Any, ...]) -> ComparisonRow:
    return ComparisonRow(
        id=row[0],
        at=_parse_ts(row[1]),
        commit=row[2],
        phase=row[3],
        share=row[4],
        stint=row[5],
        verdict=row[6],
        differences=row[7],
        missing=row[8],
        noise=row[9],
        summary=json.loads(row[10]),
        digest=row[11],
        report=row[12],
    )


def _change(row: tuple[Any, ...]) -> PhaseChange:
    return PhaseChange(
        id=row[0],
        at=_parse_ts(row[1]),
        from_phase=row[2],
        to_phase=row[3],
        from_share=row[4],
        to_share=row[5],
        kind=row[6],
        forced=bool(row[7]),
        actor=row[8],
        reason=row[9],
        gate=json.loads(row[10]),
    )


class Ledger:
    """One connection to the ledger file; use :meth:`open` (a context manager)."""

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        self.conn = conn
        self.where = where

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path, *, create: bool = True) -> Iterator[Ledger]:
        """Open (and when ``create``, make) the ledger; without ``create`` a missing file reads
        as an empty ledger, so ``status`` never leaves a database behind."""
        where = str(path)
        if not create and not path.exists():
            conn = sqlite3.connect(":memory:", isolation_level=None)
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
            except (OSError, sqlite3.Error) as exc:
                raise InputError(
                    Diagnostic(Position(where), f"cannot open the rollout ledger: {exc}")
                ) from None
        ledger = cls(conn, where)
        try:
            ledger._prepare()
            yield ledger
        except sqlite3.DatabaseError as exc:
            raise InputError(
                Diagnostic(
                    Position(where),
                    f"the rollout ledger cannot be used: {exc}",
                    "is this file a ghtotekton ledger? set `ledger:` in rollout.yaml or --db",
                )
            ) from None
        finally:
            conn.close()

    def _prepare(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        self._set_wal()
        self.conn.execute("PRAGMA synchronous = FULL")
        if self._schema() == SCHEMA_VERSION:
            return  # the common case: no write lock needed just to open
        with self.transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self.conn.execute(statement)
            for table in ("comparisons", "phase_changes"):
                for op in ("UPDATE", "DELETE"):
                    self.conn.execute(_APPEND_ONLY.format(table=table, op=op))
            found = self._schema()
            if found is None:
                self.conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?), ('created', ?)",
                    (str(SCHEMA_VERSION), timestamp(utcnow())),
                )
            elif found > SCHEMA_VERSION:
                raise InputError(
                    Diagnostic(
                        Position(self.where),
                        f"the ledger has schema {found}, newer than this ghtotekton knows "
                        f"({SCHEMA_VERSION})",
                        "upgrade ghtotekton",
                    )
                )

    def _schema(self) -> int | None:
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return int(row[0]) if row else None

    def _set_wal(self) -> None:
        """Switch to WAL; the switch itself needs a moment without other writers, so retry."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL").fetchone()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; any exception rolls everything back."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- reading ---------------------------------------------------------------------------

    def state(self) -> State:
        row = self.conn.execute(
            f"SELECT {_CHANGE_COLUMNS} FROM phase_changes ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return State(0, None)
        change = _change(row)
        return State(change.to_phase, change)

    def pending(self) -> dict[str, Any] | None:
        """The phase change whose files were being written when the process stopped, if any.

        ``promote`` and ``abort`` note the change here before they write the files and log it
        (and clear this) after, in one transaction; a ``kill -9`` in between leaves the note, and
        the next command that writes finishes the change instead of guessing.
        """
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'pending'").fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None

    def set_pending(self, value: Mapping[str, Any] | None) -> None:
        """Note (or with ``None`` clear) the change in flight; call inside a transaction."""
        if value is None:
            self.conn.execute("DELETE FROM meta WHERE key = 'pending'")
        else:
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('pending', ?)",
                (json.dumps(dict(value), sort_keys=True),),
            )

    def check_against(self, plan: Plan, files: FilesPhase | None) -> None:
        """Refuse when ``files`` are ahead of this ledger for no reason it records."""
        state = self.state()
        pending = self.pending()
        check_not_behind(
            plan,
            state.phase,
            state.change.from_phase if state.change else None,
            files,
            in_flight=int(pending["to_phase"]) if pending else None,
            ledger_where=self.where,
        )

    def created(self) -> datetime:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'created'").fetchone()
        return _parse_ts(row[0]) if row else utcnow()

    def stint_records(self, stint: int) -> list[ComparisonRow]:
        rows = self.conn.execute(
            f"SELECT {_COMPARISON_COLUMNS} FROM comparisons WHERE stint = ? ORDER BY id", (stint,)
        ).fetchall()
        return [_comparison(r) for r in rows]

    def comparisons(self, limit: int | None = None) -> list[ComparisonRow]:
        """Newest last; ``limit`` keeps the newest ``limit`` rows."""
        if limit is None:
            rows = self.conn.execute(
                f"SELECT {_COMPARISON_COLUMNS} FROM comparisons ORDER BY id"
            ).fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT {_COMPARISON_COLUMNS} FROM comparisons ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
            rows.reverse()
        return [_comparison(r) for r in rows]

    def count(self) -> int:
        row = self.conn.execute("SELECT COUNT(*) FROM comparisons").fetchone()
        return int(row[0])

    def changes(self) -> list[PhaseChange]:
        rows = self.conn.execute(f"SELECT {_CHANGE_COLUMNS} FROM phase_changes ORDER BY id")
        return [_change(r) for r in rows.fetchall()]

    def document(self, row_id: int) -> dict[str, Any]:
        row = self.conn.execute("SELECT document FROM comparisons WHERE id = ?", (row_id,))
        found = row.fetchone()
        return dict(json.loads(found[0])) if found else {}

    def stint_verdicts(self, stint: int) -> list[_Verdict]:
        """Only what the gate reads: cheap enough to run inside every record's transaction."""
        rows = self.conn.execute(
            "SELECT id, commit_sha, verdict FROM comparisons WHERE stint = ? ORDER BY id", (stint,)
        ).fetchall()
        return [_Verdict(*r) for r in rows]

    def gate_status(self, plan: Plan, state: State, now: datetime) -> gates.GateStatus:
        entered = state.change.at if state.change is not None else self.created()
        return gates.evaluate(
            plan.gate(state.phase), self.stint_verdicts(state.stint), entered, now
        )

    # --- writing (call inside transaction()) ----------------------------------------------

    def insert_change(
        self,
        *,
        at: datetime,
        from_phase: int,
        to_phase: int,
        plan: Plan,
        kind: ChangeKind,
        forced: bool,
        actor: str,
        reason: str,
        gate: gates.GateStatus | Mapping[str, Any] | None,
    ) -> PhaseChange:
        cur = self.conn.execute(
            "INSERT INTO phase_changes (at, from_phase, to_phase, from_share, to_share, kind, "
            "forced, actor, reason, gate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                timestamp(at),
                from_phase,
                to_phase,
                plan.share(from_phase),
                plan.share(to_phase),
                kind,
                int(forced),
                actor,
                reason,
                json.dumps(
                    gate.as_json() if isinstance(gate, gates.GateStatus) else dict(gate or {}),
                    sort_keys=True,
                ),
            ),
        )
        row = self.conn.execute(
            f"SELECT {_CHANGE_COLUMNS} FROM phase_changes WHERE id = ?", (cur.lastrowid,)
        ).fetchone()
        return _change(row)


# --- compare documents -----------------------------------------------------------------------

_SHA = re.compile(r"[0-9a-fA-F]{7,64}")


class _Run(BaseModel):
    model_config = ConfigDict(extra="allow")
    commit: str = ""
    run_id: str = ""
    system: str = ""
    source: str = ""


class _Summary(BaseModel):
    model_config = ConfigDict(extra="allow")
    differences: int = 0
    noise: int = 0
    missing: int = 0
    commit: str = ""


class _Difference(BaseModel):
    model_config = ConfigDict(extra="allow")
    handler: str = ""
    path: str = ""
    location: str = ""
    message: str = ""


class CompareDocument(BaseModel):
    """The parts of a ``compare --format json`` document the ledger relies on."""

    model_config = ConfigDict(extra="allow")
    schema_version: int
    verdict: Literal["equivalent", "divergent", "incomplete"]
    summary: _Summary = _Summary()
    run_a: _Run
    run_b: _Run
    differences: list[_Difference] = []
    missing: list[_Difference] = []
    baseline: _Run | None = None
    evidence: list[str] = []


@dataclass(frozen=True, slots=True)
class Verdict:
    """A compare document reduced to what a ledger row holds."""

    commit: str
    verdict: str
    differences: int
    missing: int
    noise: int
    summary: dict[str, Any]
    digest: str
    document: str


def digest_of(document: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON: the same document always gives the same digest."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _short(diff: _Difference) -> str:
    where = ":".join(p for p in (diff.path, diff.location) if p)
    text = f"[{diff.handler}] {where}: {diff.message}" if where else diff.message
    return text if len(text) <= 200 else text[:197] + "..."


def parse_document(document: Mapping[str, Any], where: str = "compare JSON") -> Verdict:
    """Check a compare document and reduce it; bad documents are InputErrors naming ``where``."""
    try:
        doc = CompareDocument.model_validate(dict(document))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"]) or "document"
        raise InputError(
            Diagnostic(
                Position(where),
                f"not a compare report: {loc}: {first['msg']}",
                "give the JSON written by `ghtotekton compare --format json`",
            )
        ) from None
    if doc.schema_version != COMPARE_SCHEMA:
        raise InputError(
            Diagnostic(
                Position(where),
                f"compare report schema {doc.schema_version}, this ledger reads {COMPARE_SCHEMA}",
                "record it with the ghtotekton version that wrote it",
            )
        )
    commit = (doc.summary.commit or doc.run_a.commit).strip().lower()
    if not _SHA.fullmatch(commit):
        raise InputError(
            Diagnostic(
                Position(where),
                f"the compared runs name no commit SHA (got {commit or 'nothing'!r})",
                "run.json of both bundles must carry `commit`",
            )
        )
    other = doc.run_b.commit.strip().lower()
    if other and not same_commit(other, commit):
        raise InputError(
            Diagnostic(
                Position(where),
                f"the runs are of different commits ({commit[:12]} and {other[:12]})",
                "a shadow comparison pairs the two systems' runs of one commit",
            )
        )
    _check_evidence(doc, where)
    summary = {
        "differences": doc.summary.differences,
        "missing": doc.summary.missing,
        "noise": doc.summary.noise,
        "run_a": {"system": doc.run_a.system, "run_id": doc.run_a.run_id},
        "run_b": {"system": doc.run_b.system, "run_id": doc.run_b.run_id},
        "first": [_short(d) for d in (doc.differences + doc.missing)[:SUMMARY_DIFFERENCES]],
    }
    text = json.dumps(dict(document), sort_keys=True, ensure_ascii=False)
    return Verdict(
        commit=commit,
        verdict=doc.verdict,
        differences=doc.summary.differences,
        missing=doc.summary.missing,
        noise=doc.summary.noise,
        summary=summary,
        digest=digest_of(document),
        document=text,
    )


def _check_evidence(doc: CompareDocument, where: str) -> None:
    """The gate learns only from one commit's run on each system, with a baseline of A's system.

    ``compare`` refuses such runs itself; this holds for documents written by hand or by an
    older version, so a comparison of a run with itself or a Tekton baseline never counts.
    """
    problems = list(doc.evidence)
    if doc.run_a.system and doc.run_a.system == doc.run_b.system:
        problems.append(f"both runs are {doc.run_a.system} runs")
    base = doc.baseline
    if base is not None:
        if base.system and base.system != doc.run_a.system:
            problems.append(f"the baseline ran on {base.system}, run A on {doc.run_a.system}")
        if base.run_id and base.system == doc.run_b.system and base.run_id == doc.run_b.run_id:
            problems.append("the baseline is run B")
        commit = doc.run_a.commit.strip().lower()
        other = base.commit.strip().lower()
        if not same_commit(other, commit):
            problems.append(
                f"the baseline built commit {other[:12] or 'none'}, run A {commit[:12]}"
            )
    if problems:
        raise InputError(
            Diagnostic(
                Position(where),
                "the rollout gate does not record this comparison: " + "; ".join(problems),
                "compare the GitHub Actions run and the Tekton run of one commit, with a "
                "baseline (if any) that is a second GitHub Actions run of it",
            )
        )


def load_document(path: Path) -> dict[str, Any]:
    """Read a compare JSON file; syntax errors point at their line and column."""
    from ghtotekton.yamlsource import read_limited

    raw = read_limited(path)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(Diagnostic(Position(str(path)), "not UTF-8 text")) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            Diagnostic(Position(str(path), exc.lineno, exc.colno), f"invalid JSON: {exc.msg}")
        ) from None
    if not isinstance(data, dict):
        raise InputError(Diagnostic(Position(str(path), 1, 1), "a compare report is a JSON object"))
    return data


# --- recording -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    row: ComparisonRow
    duplicate: bool
    """The same document was recorded before in this phase: nothing was added."""
    gate: gates.GateStatus
    aborted: PhaseChange | None
    """The automatic abort this record triggered (failure limit reached), if any."""


def record(
    ledger: Ledger,
    plan: Plan,
    verdict: Verdict,
    *,
    report: str | None = None,
    now: datetime | None = None,
) -> RecordOutcome:
    """Add one verdict and apply the failure limit, atomically.

    A ledger behind the files (deleted, emptied, an old copy) takes no verdict: it would count
    it in the wrong phase (see ``consistency``).
    """
    moment = now or utcnow()
    files = files_phase(plan)
    with ledger.transaction():
        state = ledger.state()
        if state.phase > plan.last:
            raise InputError(
                Diagnostic(
                    Position(plan.file),
                    f"the ledger is in phase {state.phase}, the plan has {plan.last} phase(s)",
                    "phases were removed from rollout.yaml after the rollout reached them",
                )
            )
        ledger.check_against(plan, files)
        cur = ledger.conn.execute(
            "INSERT INTO comparisons (at, commit_sha, phase, share, stint, verdict, differences, "
            "missing, noise, summary, digest, report, document) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (commit_sha, phase, digest) DO NOTHING",
            (
                timestamp(moment),
                verdict.commit,
                state.phase,
                plan.share(state.phase),
                state.stint,
                verdict.verdict,
                verdict.differences,
                verdict.missing,
                verdict.noise,
                json.dumps(verdict.summary, sort_keys=True),
                verdict.digest,
                report,
                verdict.document,
            ),
        )
        duplicate = cur.rowcount == 0
        found = ledger.conn.execute(
            f"SELECT {_COMPARISON_COLUMNS} FROM comparisons "
            "WHERE commit_sha = ? AND phase = ? AND digest = ?",
            (verdict.commit, state.phase, verdict.digest),
        ).fetchone()
        row = _comparison(found)
        status = ledger.gate_status(plan, state, moment)
        aborted = None
        if not duplicate and state.phase > 0 and status.limit_reached:
            aborted = ledger.insert_change(
                at=moment,
                from_phase=state.phase,
                to_phase=state.phase - 1,
                plan=plan,
                kind="auto-abort",
                forced=False,
                actor=AUTO_ACTOR,
                reason=(
                    f"failure limit reached: {status.divergent} divergent commit(s) in phase "
                    f"{state.phase} ({plan.share(state.phase)}%), limit {status.failure_limit}; "
                    f"last: {verdict.commit[:12]}"
                ),
                gate=status,
            )
    return RecordOutcome(row, duplicate, status, aborted)


@overload
def record_comparison(document: Mapping[str, Any], /) -> RecordOutcome: ...
@overload
def record_comparison(
    db_path: Path | None, plan_path: Path | None, document: Mapping[str, Any], /
) -> RecordOutcome: ...
def record_comparison(*args: Any) -> RecordOutcome:
    """The hook ``compare --record`` calls: ``(document)`` or ``(db_path, plan_path, document)``.

    With only the document, the plan is ``rollout.yaml`` in the current folder and the ledger is
    the one it names, which is where a CI job that checked out the repository stands.
    """
    if len(args) == 1:
        db_path, plan_path, document = None, None, args[0]
    elif len(args) == 3:
        db_path, plan_path, document = args
    else:
        raise TypeError("record_comparison(document) or (db_path, plan_path, document)")
    plan = load_plan(plan_path or DEFAULT_PLAN)
    verdict = parse_document(document)
    with Ledger.open(db_path or plan.ledger_path) as ledger:
        outcome = record(ledger, plan, verdict)
    _note(outcome)
    return outcome


def _note(outcome: RecordOutcome) -> None:
    import sys

    row = outcome.row
    if outcome.duplicate:
        sys.stderr.write(
            f"rollout: {row.commit[:12]} was already recorded with this report; nothing added\n"
        )
    else:
        sys.stderr.write(
            f"rollout: recorded {row.verdict} for {row.commit[:12]} in phase {row.phase} "
            f"({row.share}%)\n"
        )
    if outcome.aborted is not None:
        a = outcome.aborted
        sys.stderr.write(
            f"rollout: ABORTED automatically to phase {a.to_phase} ({a.to_share}%): {a.reason}; "
            f"write the files for the PR with `ghtotekton rollout abort --sync --reason ...`\n"
        )
