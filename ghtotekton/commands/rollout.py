"""`ghtotekton rollout init|status|record|promote|abort`: the gated shift to Tekton.

Like a canary rollout with analysis, for CI: Tekton takes a growing, fixed share of commits; both
systems' runs of those commits are compared and the verdicts recorded; a phase ends only when its
gate holds, and too many divergences send it back automatically.

The tool never touches a cluster. ``promote`` and ``abort`` write files for a pull request: the
whole ``tekton/`` tree regenerated with the new share (the share also lands in
``migration-map.json``'s options, so ``convert``/``check`` see what was generated), and at 100%
the original workflows reduced to their manual trigger. Regenerating the tree through the
converter, rather than editing CEL filters in place, keeps a single writer of those files: the
output is byte-identical to ``ghtotekton convert --tekton-share N`` run from the repository root,
but for the ``rollout_phase`` migration-map.json records beside the share.

A crash (even ``kill -9``) at any point leaves a story the next command can finish. Before the
files are written the change is noted in the ledger as pending; once they are written the change
is logged and the note cleared, in one transaction. The next ``promote`` or ``abort``
(``--sync`` included) that finds a note writes the files for its target again (restoring
workflows is byte-exact, conversion deterministic, the tree is swapped in whole) and logs the
change. And every command that writes first checks the ledger against the files
(``rollout.consistency``), so a deleted or emptied ledger cannot restart at phase 0 over files
that say 50%.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import sys
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from ghtotekton.convert import bucket
from ghtotekton.errors import Diagnostic, ExitCode, InputError, Position, UsageError
from ghtotekton.rollout import chart, patch
from ghtotekton.rollout.consistency import check_not_behind, files_phase
from ghtotekton.rollout.gates import GateStatus
from ghtotekton.rollout.ledger import (
    ComparisonRow,
    Ledger,
    PhaseChange,
    State,
    load_document,
    parse_document,
    timestamp,
    utcnow,
)
from ghtotekton.rollout.ledger import record as record_verdict
from ghtotekton.rollout.plan import Plan, default_plan, load_plan, parse_shares, render_plan
from ghtotekton.summary import record as record_facts
from ghtotekton.summary import say

RECENT = 60

# --- init ------------------------------------------------------------------------------------


def init(*, plan: Path, phases: str = "10,50,100", force: bool = False) -> int:
    shares = parse_shares(phases)
    if plan.exists() and not force:
        raise UsageError(
            Diagnostic(
                Position(str(plan)),
                "a rollout plan exists already",
                "edit it, or pass --force to start from the defaults again",
            )
        )
    text = render_plan(default_plan(shares))
    _write_text(plan, text)
    record_facts(plan=str(plan), phases=list(shares))
    sys.stderr.write(
        f"wrote {plan}: phases {', '.join(f'{s}%' for s in shares)}; review the gates, commit "
        "it, then `ghtotekton rollout promote` starts phase 1\n"
    )
    return int(ExitCode.OK)


# --- record ----------------------------------------------------------------------------------


def record(
    *,
    plan: Path,
    compare_json: Path,
    db: Path | None = None,
    now: datetime | None = None,
) -> int:
    """Exit 1 when this verdict tripped the failure limit (the phase was aborted)."""
    the_plan = load_plan(plan)
    verdict = parse_document(load_document(compare_json), str(compare_json))
    with Ledger.open(db or the_plan.ledger_path) as ledger:
        outcome = record_verdict(
            ledger, the_plan, verdict, report=_report_path(compare_json, the_plan), now=now
        )
    row = outcome.row
    if 0 < row.share < 100 and not bucket.tekton_owns(row.commit, row.share):
        sys.stderr.write(
            f"note: {row.commit[:12]} is not in Tekton's {row.share}% (a manual run?); it "
            "counts like any other comparison\n"
        )
    record_facts(
        commit=row.commit,
        verdict=row.verdict,
        phase=row.phase,
        share=row.share,
        duplicate=outcome.duplicate,
        gate=_gate_facts(outcome.gate),
        aborted=None,
    )
    if outcome.duplicate:
        say(f"{row.commit[:12]}: already recorded in phase {row.phase}")
    else:
        say(
            f"{row.commit[:12]}: {row.verdict}, recorded in phase {row.phase} ({row.share}%); "
            f"gate: {_gate_line(outcome.gate)}"
        )
    if outcome.aborted is not None:
        a = outcome.aborted
        record_facts(
            aborted={
                "from_phase": a.from_phase,
                "to_phase": a.to_phase,
                "from_share": a.from_share,
                "to_share": a.to_share,
                "reason": a.reason,
            }
        )
        say(
            f"ABORTED automatically: phase {a.from_phase} ({a.from_share}%) -> {a.to_phase} "
            f"({a.to_share}%): {a.reason}\n"
            "write the files for the pull request with "
            "`ghtotekton rollout abort --sync --reason '...'`"
        )
        return int(ExitCode.FOUND)
    return int(ExitCode.OK)


def _report_path(path: Path, plan: Plan) -> str:
    """Relative to the repository when inside it, so status finds it from any folder."""
    return _shown(path, plan.root.resolve())


def _gate_facts(gate: GateStatus) -> dict[str, Any]:
    """The gate for the JSON summary: holds, and each check with its value and need."""
    return {
        "holds": gate.holds,
        "checks": [
            {"name": c.name, "actual": c.actual, "required": c.required, "ok": c.ok}
            for c in gate.checks
        ],
    }


def _gate_line(gate: GateStatus) -> str:
    if not gate.checks:
        return "none in phase 0"
    failing = gate.failing()
    if not failing:
        return "holds"
    return "; ".join(f"{c.name} {c.actual} (needs {c.required})" for c in failing)


# --- promote / abort -------------------------------------------------------------------------


def _actor(actor: str | None) -> str:
    """Who: --actor, else the CI's user (GITHUB_ACTOR), else the login name."""
    if actor:
        return actor
    for var in ("GITHUB_ACTOR", "GHTOTEKTON_ACTOR"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def promote(
    *,
    plan: Path,
    force: bool = False,
    reason: str | None = None,
    db: Path | None = None,
    actor: str | None = None,
    workflows: Path | None = None,
    tekton: Path | None = None,
    now: datetime | None = None,
) -> int:
    """Exit 1 when the gate refuses; with --force --reason it goes ahead and says so in the log."""
    if force and not (reason and reason.strip()):
        raise UsageError(
            Diagnostic(Position("--force"), "a forced promotion needs --reason", "say why")
        )
    the_plan = load_plan(plan)
    moment = now or utcnow()
    db_path = db or the_plan.ledger_path
    _refuse_if_behind(the_plan, db_path, tekton)
    _finish_pending(the_plan, db_path, workflows, tekton, moment)
    with Ledger.open(db_path) as ledger:
        state = ledger.state()
        _check_phase(the_plan, state)
        if state.phase >= the_plan.last:
            raise UsageError(
                Diagnostic(
                    Position(the_plan.file),
                    f"the rollout is in its last phase ({the_plan.share(state.phase)}%)",
                    "nothing to promote to",
                )
            )
        gate = ledger.gate_status(the_plan, state, moment)
    if not gate.holds and not force:
        record_facts(refused=True, phase=state.phase, gate=_gate_facts(gate))
        say(
            f"refused: the gate of phase {state.phase} ({the_plan.share(state.phase)}%) does not "
            "hold:"
        )
        for check in gate.failing():
            say(f"  {check.name}: {check.actual} (needs {check.required})")
        say("wait for more verdicts, or `--force --reason '...'` (logged)")
        return int(ExitCode.FOUND)
    forced = force and not gate.holds
    text = (reason or "").strip() or "gate held"
    move = _Move("promote", state.phase, state.phase + 1, forced, _actor(actor), text)
    change, written = _change_phase(db_path, the_plan, state, move, gate, moment, workflows, tekton)
    _report_change(change, written)
    return int(ExitCode.OK)


def abort(
    *,
    plan: Path,
    reason: str,
    db: Path | None = None,
    actor: str | None = None,
    workflows: Path | None = None,
    tekton: Path | None = None,
    sync: bool = False,
    now: datetime | None = None,
) -> int:
    """Back one phase; with --sync only the files for the ledger's phase (after an auto-abort)."""
    if not reason.strip():
        raise UsageError(Diagnostic(Position("--reason"), "say why the rollout goes back"))
    the_plan = load_plan(plan)
    moment = now or utcnow()
    db_path = db or the_plan.ledger_path
    _refuse_if_behind(the_plan, db_path, tekton)
    finished = _finish_pending(the_plan, db_path, workflows, tekton, moment)
    with Ledger.open(db_path) as ledger:
        state = ledger.state()
        _check_phase(the_plan, state)
        gate = ledger.gate_status(the_plan, state, moment)
    if sync and finished:
        return int(ExitCode.OK)  # the files were just written for the ledger's phase
    if sync:
        written = write_phase_files(the_plan, state.phase, workflows, tekton)
        record_facts(synced=True, phase=state.phase, share=the_plan.share(state.phase))
        say(
            f"files written for phase {state.phase} ({the_plan.share(state.phase)}%), the "
            "ledger's phase; nothing logged"
        )
        _report_files(written)
        return int(ExitCode.OK)
    if state.phase == 0:
        raise UsageError(
            Diagnostic(Position(the_plan.file), "the rollout has not started: nothing to abort")
        )
    move = _Move("abort", state.phase, state.phase - 1, False, _actor(actor), reason.strip())
    change, written = _change_phase(db_path, the_plan, state, move, gate, moment, workflows, tekton)
    _report_change(change, written)
    return int(ExitCode.OK)


def _check_phase(plan: Plan, state: State) -> None:
    if state.phase > plan.last:
        raise InputError(
            Diagnostic(
                Position(plan.file),
                f"the ledger is in phase {state.phase}, the plan has {plan.last} phase(s)",
                "phases were removed from rollout.yaml after the rollout reached them",
            )
        )


@dataclass(frozen=True, slots=True)
class _Move:
    """A phase change a person asked for, as the pending note records it."""

    kind: Literal["promote", "abort"]
    from_phase: int
    to_phase: int
    forced: bool
    actor: str
    reason: str


def _refuse_if_behind(plan: Plan, db_path: Path, tekton: Path | None) -> None:
    """Before anything is written (the ledger file included): is the ledger behind the files?"""
    files = files_phase(plan, tekton.resolve() if tekton else None)
    if files is None or files.phase == 0:
        return
    if not db_path.exists() or db_path.stat().st_size == 0:
        check_not_behind(plan, 0, None, files, ledger_where=str(db_path))
        return
    with Ledger.open(db_path) as ledger:
        ledger.check_against(plan, files)


def _change_phase(
    db_path: Path,
    plan: Plan,
    before: State,
    move: _Move,
    gate: GateStatus,
    moment: datetime,
    workflows: Path | None,
    tekton: Path | None,
) -> tuple[PhaseChange, Written]:
    """Note the change as pending, write its files, then log it and clear the note together."""
    note = {
        "kind": move.kind,
        "from_phase": move.from_phase,
        "to_phase": move.to_phase,
        "forced": move.forced,
        "actor": move.actor,
        "reason": move.reason,
        "at": timestamp(moment),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "workflows": str(workflows) if workflows else None,
        "tekton": str(tekton) if tekton else None,
        "gate": gate.as_json(),
    }
    with Ledger.open(db_path) as ledger, ledger.transaction():
        now_state = ledger.state()
        if now_state.stint != before.stint or ledger.pending() is not None:
            raise InputError(
                Diagnostic(
                    Position(str(db_path)),
                    f"the rollout changed while this command ran (now phase "
                    f"{now_state.phase}); nothing written",
                    "see `ghtotekton rollout status`, then run the command again",
                )
            )
        ledger.set_pending(note)
    try:
        written = write_phase_files(plan, move.to_phase, workflows, tekton)
    except BaseException:
        # The tree is swapped in whole, so it is either phase's. Keep the note when it is the
        # new phase's (the next command finishes the change), drop it when nothing moved.
        now_files = files_phase(plan, tekton.resolve() if tekton else None)
        if now_files is None or now_files.phase != move.to_phase:
            with Ledger.open(db_path) as ledger, ledger.transaction():
                ledger.set_pending(None)
        raise
    change = _log_pending(db_path, plan, note, moment)
    return change, written


def _log_pending(db_path: Path, plan: Plan, note: dict[str, Any], moment: datetime) -> PhaseChange:
    """Log the noted change and clear the note, in one transaction."""
    with Ledger.open(db_path) as ledger, ledger.transaction():
        if ledger.pending() != note:
            raise InputError(
                Diagnostic(
                    Position(str(db_path)),
                    "another command finished this phase change first; nothing logged twice",
                    "see `ghtotekton rollout status`",
                )
            )
        ledger.set_pending(None)
        return ledger.insert_change(
            at=moment,
            from_phase=int(note["from_phase"]),
            to_phase=int(note["to_phase"]),
            plan=plan,
            kind="promote" if note["kind"] == "promote" else "abort",
            forced=bool(note["forced"]),
            actor=str(note["actor"]),
            reason=str(note["reason"]),
            gate=note.get("gate") or {},
        )


def _alive(note: dict[str, Any]) -> bool:
    """The noting process still runs here (a concurrent promote, not a crashed one)."""
    if note.get("host") != socket.gethostname():
        return False
    try:
        pid = int(note.get("pid") or 0)
    except (TypeError, ValueError):
        return False
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _finish_pending(
    plan: Plan,
    db_path: Path,
    workflows: Path | None,
    tekton: Path | None,
    moment: datetime,
) -> bool:
    """Finish a phase change cut off while its files were written; True when one was."""
    if not db_path.exists():
        return False
    with Ledger.open(db_path) as ledger:
        note = ledger.pending()
    if note is None:
        return False
    if _alive(note):
        raise InputError(
            Diagnostic(
                Position(str(db_path)),
                f"a `rollout {note.get('kind')}` (pid {note.get('pid')}) is writing the files "
                "right now",
                "wait for it to finish, then see `ghtotekton rollout status`",
            )
        )
    to_phase = int(note["to_phase"])
    wf = workflows or (Path(note["workflows"]) if note.get("workflows") else None)
    tk = tekton or (Path(note["tekton"]) if note.get("tekton") else None)
    sys.stderr.write(
        f"rollout: finishing the {note.get('kind')} to phase {to_phase} "
        f"({plan.share(to_phase)}%) that stopped at {note.get('at')} while it wrote the files\n"
    )
    written = write_phase_files(plan, to_phase, wf, tk)
    change = _log_pending(db_path, plan, note, moment)
    _report_change(change, written)
    return True


def _report_change(change: PhaseChange, written: Written) -> None:
    verb = "promoted" if change.kind == "promote" else "aborted"
    extra = " (FORCED: the gate did not hold)" if change.forced else ""
    record_facts(
        change={
            "kind": change.kind,
            "from_phase": change.from_phase,
            "to_phase": change.to_phase,
            "from_share": change.from_share,
            "to_share": change.to_share,
            "forced": change.forced,
            "actor": change.actor,
            "reason": change.reason,
        }
    )
    say(
        f"{verb}: phase {change.from_phase} ({change.from_share}%) -> {change.to_phase} "
        f"({change.to_share}%){extra}; logged for {change.actor}: {change.reason}"
    )
    _report_files(written)


def _report_files(written: Written) -> None:
    record_facts(
        files={
            "tekton": written.tekton,
            "tekton_files": written.tekton_files,
            "handed_over": written.handed_over,
            "restored": written.restored,
            "bundled": written.bundled,
            "notes": written.notes,
        }
    )
    say(f"  {written.tekton}/: {written.tekton_files} files regenerated")
    for path in written.handed_over:
        say(f"  {path}: manual trigger only (Tekton runs its events)")
    for path in written.restored:
        say(f"  {path}: triggers restored")
    for path in written.bundled:
        say(f"  {path}: jobs upload their run bundle for the shadow comparison")
    for line in written.notes:
        sys.stderr.write(f"note: {line}\n")
    say("open a pull request with these files; nothing was applied to a cluster")


# --- the files of a phase --------------------------------------------------------------------


@dataclass(slots=True)
class Written:
    tekton: str
    tekton_files: int = 0
    handed_over: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    bundled: list[str] = field(default_factory=list)
    """Workflows whose jobs now upload their run bundle (``convert --shadow-compare``)."""
    notes: list[str] = field(default_factory=list)


def _write_text(path: Path, text: str) -> None:
    """Temporary sibling + rename: an interrupted write leaves the old file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InputError(
            Diagnostic(Position(str(path)), f"cannot write: {exc.strerror or exc}")
        ) from None


def _read_text(path: Path) -> str:
    with path.open("r", encoding="utf-8", newline="") as fh:
        return fh.read()


def _workflow_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))


def _convert_options(tekton_dir: Path, share: int) -> Any:
    """The options of the last ``convert`` (migration-map.json) with the new share."""
    from ghtotekton.convert.engine import Options

    options = Options(tekton_share=share)
    mmap = tekton_dir / "migration-map.json"
    if mmap.is_file():
        try:
            recorded = json.loads(mmap.read_text(encoding="utf-8")).get("options", {})
        except (json.JSONDecodeError, AttributeError):
            raise InputError(
                Diagnostic(Position(str(mmap)), "not readable as JSON", "re-run convert")
            ) from None
        known = {f.name for f in fields(Options)}
        for key, value in recorded.items():
            if key in known and key not in ("tekton_share", "rollout_phase"):
                setattr(options, key, value)
        options.mappings = [Path(p) for p in options.mappings]
    return options


def write_phase_files(
    plan: Plan, phase: int, workflows: Path | None = None, tekton: Path | None = None
) -> Written:
    """Make the repository's files say ``phase``: tekton/ regenerated, workflows (un)patched.

    The phase is recorded in migration-map.json (``rollout_phase``), so a ledger that lost its
    history is caught against the files (``rollout.consistency``).

    Workflows are restored first, so the converter always reads the original triggers (a
    workflow reduced to ``workflow_dispatch`` would otherwise convert into a Pipeline that
    nothing starts), and handed over last, only when Tekton takes every commit.
    """
    from ghtotekton.convert.engine import convert_paths
    from ghtotekton.tekton.emit import write_tree

    root = plan.root.resolve()
    wf_dir = (workflows or plan.workflows_path).resolve()
    tk_dir = (tekton or plan.tekton_path).resolve()
    written = Written(tekton=_shown(tk_dir, root))
    for path in _workflow_files(wf_dir):
        text = _read_text(path)
        if patch.is_handed_over(text):
            restored = patch.restore(text, _shown(path, root))
            _write_text(path, restored.text)
            written.restored.append(_shown(path, root))
    share = plan.share(phase)
    options = _convert_options(tk_dir, share)
    options.rollout_phase = phase
    if options.target != "triggers":
        written.notes.append(
            f"target `{options.target}` has no EventListener: the {share}% split applies to "
            "the `triggers` target only"
        )
    with contextlib.chdir(root):
        result = convert_paths([Path(os.path.relpath(wf_dir, root))], options)
    # With --shadow-compare the workflows themselves upload their run bundle: the patched
    # workflows are applied to the repository (they are the pull request), then converted again
    # so the resources name the lines of the workflows as committed (what `check` compares).
    for conv in result.conversions:
        path = root / conv.display
        if conv.github_file and path.is_file():
            wanted = result.files[conv.github_file]
            if _read_text(path) != wanted:
                _write_text(path, wanted)
                written.bundled.append(_shown(path, root))
    if written.bundled:
        with contextlib.chdir(root):
            result = convert_paths([Path(os.path.relpath(wf_dir, root))], options)
    for display, errors in sorted(result.failed.items()):
        written.notes.append(f"{display} did not convert and stays on GitHub: {errors[0]}")
    write_tree(tk_dir, result.files)
    written.tekton_files = len(result.files)
    if share >= 100:
        for conv in result.conversions:
            if conv.pipeline is None:
                continue
            path = root / conv.display
            if not path.is_file():
                continue
            shown = _shown(path, root)
            served = _served_events(path, options)
            outcome = patch.handover(_read_text(path), shown, share, served)
            if outcome.changed:
                _write_text(path, outcome.text)
                written.handed_over.append(shown)
                if shown in written.restored:
                    written.restored.remove(shown)
    return written


def _served_events(path: Path, options: Any) -> list[str] | None:
    """The events the converter generated a trigger for; only those leave GitHub.

    ``None`` (the patch's default list) when the converter cannot say, e.g. an older API.
    """
    try:
        from ghtotekton.convert.triggers import plan_events
        from ghtotekton.github.loader import load_workflow

        plans, _findings = plan_events(load_workflow(path), options)
    except (ImportError, InputError):
        return None
    return sorted({p.event for p in plans})


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


# --- status ----------------------------------------------------------------------------------


def status(
    *,
    plan: Path,
    format: str = "text",
    db: Path | None = None,
    limit: int = RECENT,
    now: datetime | None = None,
) -> int:
    the_plan = load_plan(plan)
    document = status_document(the_plan, db, limit, now or utcnow())
    out = sys.stdout
    if format == "json":
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    elif format == "markdown":
        out.write(render_markdown(document))
    elif format == "csv":
        out.write(render_csv(document))
    else:
        out.write(render_text(document, color=out.isatty()))
    return int(ExitCode.OK)


def _link(plan: Plan, row: ComparisonRow) -> str | None:
    return plan.report_link(row.commit, row.phase, row.digest) or row.report


def status_document(plan: Plan, db: Path | None, limit: int, now: datetime) -> dict[str, Any]:
    """Everything status shows, as data; the text and Markdown views render this."""
    with Ledger.open(db or plan.ledger_path, create=False) as ledger:
        state = ledger.state()
        _check_phase(plan, state)
        gate = ledger.gate_status(plan, state, now)
        recent = ledger.comparisons(limit)
        stint = ledger.stint_records(state.stint)
        history = ledger.changes()
        total = ledger.count()
        pending = ledger.pending()
    latest = {r.commit: r for r in stint}
    diverged = [latest[c] for c in gate.divergent_commits]
    share = plan.share(state.phase)
    files = files_phase(plan)
    files_share = files.share if files is not None else None
    handed = [
        str(p.relative_to(plan.root)) if p.is_relative_to(plan.root) else str(p)
        for p in _workflow_files(plan.workflows_path)
        if patch.is_handed_over(_read_text(p))
    ]
    the_gate = plan.gate(state.phase)
    change = state.change
    return {
        "plan": plan.file,
        "ledger": str(db or plan.ledger_path),
        "phase": state.phase,
        "phases": plan.last,
        "share": share,
        "next_share": plan.share(state.phase + 1) if state.phase < plan.last else None,
        "since": timestamp(change.at) if change else None,
        "last_change": change.as_json() if change else None,
        "complete": state.phase == plan.last and gate.holds,
        "gate": {
            **gate.as_json(),
            "required": the_gate.model_dump() if the_gate else None,
        },
        "records": total,
        "recent": [
            {"commit": r.commit, "verdict": r.verdict, "phase": r.phase, "at": timestamp(r.at)}
            for r in recent
        ],
        "diverged": [
            {
                "commit": r.commit,
                "at": timestamp(r.at),
                "phase": r.phase,
                "share": r.share,
                "differences": r.differences,
                "missing": r.missing,
                "first": r.summary.get("first", []),
                "link": _link(plan, r),
            }
            for r in diverged
        ],
        "history": [c.as_json() for c in history],
        "pending": {k: pending.get(k) for k in ("kind", "from_phase", "to_phase", "at", "actor")}
        if pending
        else None,
        "files": {
            "tekton_share": files_share,
            "rollout_phase": files.phase if files is not None and files.phase else None,
            "in_sync": files_share == share if files_share is not None else None,
            "handed_over": handed,
        },
        "ownership": {
            "cel": bucket.cel_condition("body.after", share),
            "github": bucket.github_condition(share),
        },
    }


def _phase_line(doc: dict[str, Any]) -> str:
    head = f"phase {doc['phase']}/{doc['phases']}: Tekton runs {doc['share']}% of commits"
    if doc["next_share"] is not None:
        head += f"; next {doc['next_share']}%"
    change = doc["last_change"]
    if change:
        forced = " FORCED" if change["forced"] else ""
        head += (
            f" (since {change['at'][:19].replace('T', ' ')} UTC, {change['kind']}{forced} by "
            f"{change['actor']}: {change['reason']})"
        )
    return head


def _sync_line(doc: dict[str, Any]) -> str | None:
    files = doc["files"]
    pending = doc.get("pending")
    if pending:
        return (
            f"a {pending['kind']} from phase {pending['from_phase']} to {pending['to_phase']} "
            f"stopped at {pending['at']} while it wrote the files: the next `rollout promote`, "
            "`abort` or `abort --sync` finishes it"
        )
    if files["in_sync"] is False and doc["phase"] == 0 and not files.get("rollout_phase"):
        # a plain `convert` (Tekton takes every commit once applied), before the first promote
        return (
            f"the files in tekton/ were written by `convert` for {files['tekton_share']}% of "
            f"commits: `ghtotekton rollout promote` rewrites them for {doc['next_share']}% "
            "(do not apply them before)"
        )
    if files["in_sync"] is False:
        return (
            f"the files in tekton/ are for {files['tekton_share']}%, the ledger is at "
            f"{doc['share']}%: run `ghtotekton rollout abort --sync --reason '...'`"
        )
    return None


def render_text(doc: dict[str, Any], *, color: bool = False, width: int = 100) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        markup=False,  # commit messages and paths hold brackets; they are text, not markup
    )
    console.print(Text(_phase_line(doc), style="bold"))
    gate = doc["gate"]
    if gate["checks"]:
        if doc["complete"]:
            title = "the gate holds: the rollout is complete"
        elif doc["phase"] == doc["phases"]:
            title = "gate (the rollout is complete when it holds)"
        else:
            title = "gate holds: `rollout promote` may go ahead" if gate["holds"] else "gate"
        table = Table(title=title, title_justify="left", box=None, pad_edge=False)
        for col in ("", "check", "now", "needs"):
            table.add_column(col)
        for c in gate["checks"]:
            mark = Text("✓", style="green") if c["ok"] else Text("✗", style="bold red")
            table.add_row(mark, c["name"], c["actual"], c["required"])
        console.print(table)
    else:
        console.print("phase 0 has no gate: `ghtotekton rollout promote` starts phase 1")
    rate = gate["equivalence_rate"]
    console.print(
        f"this phase: {gate['compared']} compared commit(s), {gate['equivalent']} equivalent, "
        f"{gate['divergent']} divergent, {gate['incomplete']} incomplete; equivalence "
        + ("n/a" if rate is None else f"{rate * 100:.1f}%")
    )
    verdicts = [r["verdict"] for r in doc["recent"]]
    if verdicts:
        line = Text(f"last {len(verdicts)} verdicts (oldest first): ")
        line.append_text(chart.strip(verdicts))
        console.print(line)
        console.print(
            f"equivalence per 10 verdicts: {chart.sparkline(chart.rates(verdicts))}  "
            "(✓ equivalent, ✗ divergent, ? incomplete)"
        )
    if doc["diverged"]:
        console.print(Text("diverged in this phase", style="bold"))
        for d in doc["diverged"]:
            first = d["first"][0] if d["first"] else f"{d['differences']} difference(s)"
            console.print(f"  {d['commit'][:12]}  {first}  {d['link'] or '(no report link)'}")
    sync = _sync_line(doc)
    if sync:
        console.print(Text(sync, style="yellow"))
    return buf.getvalue()


def render_markdown(doc: dict[str, Any]) -> str:
    gate = doc["gate"]
    lines = [f"### ghtotekton rollout: {_phase_line(doc)}", ""]
    if gate["checks"]:
        lines += ["| | check | now | needs |", "|---|---|---|---|"]
        for c in gate["checks"]:
            mark = "✅" if c["ok"] else "❌"
            lines.append(f"| {mark} | {c['name']} | {c['actual']} | {c['required']} |")
        lines.append("")
        verdict = "holds" if gate["holds"] else "does not hold yet"
        lines.append(
            f"The gate {verdict}." + (" The rollout is complete." if doc["complete"] else "")
        )
    rate = gate["equivalence_rate"]
    lines.append(
        f"Equivalence in this phase: {'n/a' if rate is None else f'{rate * 100:.1f}%'} "
        f"({gate['equivalent']} of {gate['compared']} compared commits)."
    )
    verdicts = [r["verdict"] for r in doc["recent"]]
    if verdicts:
        lines += ["", f"Recent verdicts, oldest first: {chart.emoji_strip(verdicts)}"]
    if doc["diverged"]:
        lines += ["", "| diverged commit | first difference | report |", "|---|---|---|"]
        for d in doc["diverged"]:
            first = (d["first"][0] if d["first"] else "").replace("|", "\\|")
            link = f"[report]({d['link']})" if d["link"] else "-"
            lines.append(f"| `{d['commit'][:12]}` | {first} | {link} |")
    sync = _sync_line(doc)
    if sync:
        lines += ["", f"> {sync}"]
    return "\n".join(lines) + "\n"


def render_csv(doc: dict[str, Any]) -> str:
    """The recent verdicts, one row each, for a spreadsheet."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["at", "commit", "phase", "verdict"])
    for r in doc["recent"]:
        writer.writerow([r["at"], r["commit"], r["phase"], r["verdict"]])
    return buf.getvalue()
