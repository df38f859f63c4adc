"""Does a phase's gate hold? Pure arithmetic over the verdicts recorded in the phase.

Kept apart from the ledger so the rules can be read (and tested) without a database, and so the
ledger applies exactly the same rules inside its write transaction when it decides whether a new
verdict trips the failure limit.

Counting is per commit, by its latest verdict in the phase: re-running a comparison after fixing
a false divergence (a noise rule in compare.yaml) is how a team clears it, and a commit compared
twice is still one commit's worth of evidence. ``incomplete`` verdicts say a run or an artifact is
missing; they are neither evidence of equivalence nor of divergence, so they count towards
neither, which keeps a broken bundle upload from ever opening a gate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ghtotekton.rollout.plan import Gate, format_duration

VERDICTS = ("equivalent", "divergent", "incomplete")


class VerdictLike(Protocol):
    """What the gate needs of a recorded comparison (ledger rows have these)."""

    @property
    def id(self) -> int: ...
    @property
    def commit(self) -> str: ...
    @property
    def verdict(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    actual: str
    required: str


@dataclass(slots=True)
class GateStatus:
    compared: int = 0
    equivalent: int = 0
    divergent: int = 0
    incomplete: int = 0
    records: int = 0
    seconds_in_phase: float = 0.0
    checks: list[Check] = field(default_factory=list)
    failure_limit: int | None = None
    divergent_commits: list[str] = field(default_factory=list)
    """Commits whose latest verdict in the phase is divergent, newest first."""

    @property
    def holds(self) -> bool:
        """Every check passes; phase 0 (no gate) holds trivially."""
        return all(c.ok for c in self.checks)

    @property
    def limit_reached(self) -> bool:
        return self.failure_limit is not None and self.divergent >= self.failure_limit

    @property
    def divergence_rate(self) -> float:
        return self.divergent / self.compared if self.compared else 0.0

    @property
    def equivalence_rate(self) -> float | None:
        return self.equivalent / self.compared if self.compared else None

    def failing(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def as_json(self) -> dict[str, Any]:
        return {
            "holds": self.holds,
            "limit_reached": self.limit_reached,
            "compared": self.compared,
            "equivalent": self.equivalent,
            "divergent": self.divergent,
            "incomplete": self.incomplete,
            "records": self.records,
            "divergence_rate": round(self.divergence_rate, 6),
            "equivalence_rate": (
                None if self.equivalence_rate is None else round(self.equivalence_rate, 6)
            ),
            "seconds_in_phase": round(self.seconds_in_phase, 3),
            "checks": [
                {"name": c.name, "ok": c.ok, "actual": c.actual, "required": c.required}
                for c in self.checks
            ],
        }


def _percent(value: float) -> str:
    return f"{value * 100:.4g}%"


def latest_by_commit(records: Iterable[VerdictLike]) -> dict[str, VerdictLike]:
    """Each commit's newest record (highest id: ids grow with every insert)."""
    latest: dict[str, VerdictLike] = {}
    for rec in records:
        seen = latest.get(rec.commit)
        if seen is None or rec.id > seen.id:
            latest[rec.commit] = rec
    return latest


def evaluate(
    gate: Gate | None, records: Iterable[VerdictLike], entered: datetime, now: datetime
) -> GateStatus:
    """The gate's state over the records of the current stay in the phase."""
    rows = list(records)
    latest = latest_by_commit(rows)
    status = GateStatus(records=len(rows))
    for rec in latest.values():
        if rec.verdict == "equivalent":
            status.equivalent += 1
        elif rec.verdict == "divergent":
            status.divergent += 1
        else:
            status.incomplete += 1
    status.compared = status.equivalent + status.divergent
    status.divergent_commits = [
        r.commit
        for r in sorted(latest.values(), key=lambda r: r.id, reverse=True)
        if r.verdict == "divergent"
    ]
    status.seconds_in_phase = max((now - entered).total_seconds(), 0.0)
    if gate is None:
        return status
    status.failure_limit = gate.failure_limit
    status.checks = [
        Check(
            "compared commits",
            status.compared >= gate.min_compared,
            str(status.compared),
            f">= {gate.min_compared}",
        ),
        Check(
            "divergence rate",
            status.divergence_rate <= gate.max_divergence_rate + 1e-12,
            _percent(status.divergence_rate),
            f"<= {_percent(gate.max_divergence_rate)}",
        ),
        Check(
            "divergent commits",
            status.divergent < gate.failure_limit,
            str(status.divergent),
            f"< {gate.failure_limit} (the failure limit)",
        ),
        Check(
            "time in phase",
            status.seconds_in_phase >= gate.min_time_s,
            format_duration(status.seconds_in_phase),
            f">= {format_duration(gate.min_time_s)}",
        ),
    ]
    return status
