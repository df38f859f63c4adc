"""``rollout.yaml``: the phases of the shift to Tekton and the gate that lets each one end.

The plan is data a team reviews in a pull request, so it is plain YAML with comments, validated
with pydantic and reported by ``file:line:col`` like every other input. It holds no state: which
phase the rollout is in lives in the ledger (an append-only history), never in this file, so
editing the plan cannot silently move the rollout.

Phase numbers are 1-based positions in ``phases``; phase 0 is "not started" (Tekton owns no
commit). The gate of a phase is what must hold before the rollout may leave it for the next one,
and its failure limit is what sends the rollout back automatically.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from ghtotekton.errors import Diagnostic, InputError, Position, UsageError
from ghtotekton.pydantic_errors import Shapes, validate_document
from ghtotekton.yamlsource import YamlDocument, load_yaml_file

DEFAULT_PLAN = Path("rollout.yaml")
DEFAULT_LEDGER = ".ghtotekton/rollout.db"
DEFAULT_WORKFLOWS = ".github/workflows"
DEFAULT_TEKTON = "tekton"
DEFAULT_SHARES = (10, 50, 100)
REPORT_FIELDS = frozenset({"commit", "short", "phase", "share", "digest"})
"""What a ``report_url`` template may name; anything else would fail only at status time."""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"\s*(\d+)\s*([smhdw])\s*")


def parse_duration(text: str) -> int:
    """Seconds in ``30m``, ``24h``, ``1d12h``, ``2w`` or ``0``; ValueError otherwise.

    Units are required (a bare ``24`` could mean hours or seconds, and a gate that silently
    waits 24 seconds instead of a day is exactly the mistake a gate exists to prevent).
    """
    if text.strip() == "0":
        return 0
    pos = 0
    total = 0
    while pos < len(text):
        match = _DURATION.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(
                f"`{text}` is not a duration: write a number with a unit, e.g. 30m, 24h, 3d, 1w"
            )
        total += int(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos == 0:
        raise ValueError("empty duration: write e.g. 24h, or 0 for no minimum")
    return total


def format_duration(seconds: float) -> str:
    """The largest two units, e.g. ``1d 2h``; for humans reading a gate's progress."""
    rest = max(int(seconds), 0)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size or (unit == "s" and not parts):
            parts.append(f"{rest // size}{unit}")
            rest %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


class Gate(BaseModel):
    """What must hold before the rollout leaves a phase, and when it must turn back."""

    model_config = ConfigDict(extra="forbid")

    min_compared: int
    """Distinct commits with a decisive verdict (equivalent or divergent) in this phase."""
    max_divergence_rate: float
    """Divergent commits over compared commits; ``0.05`` or ``"5%"``."""
    failure_limit: int
    """This many divergent commits in the phase abort it automatically."""
    min_time: str = "0"
    """Time the phase must have run, so rare events (nightly jobs, releases) get a chance."""

    @field_validator("max_divergence_rate", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.endswith("%"):
                try:
                    return float(text[:-1]) / 100.0
                except ValueError:
                    raise ValueError(f"`{value}` is not a percentage") from None
        return value

    @field_validator("max_divergence_rate")
    @classmethod
    def _rate_range(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f'{value:g} is outside 0..1 (write 0.05 or "5%")')
        return value

    @field_validator("min_compared")
    @classmethod
    def _count(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"{value} is negative; 0 means no minimum")
        return value

    @field_validator("failure_limit")
    @classmethod
    def _limit(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"{value} would abort before any divergence; use 1 or more")
        return value

    @field_validator("min_time", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError("write a duration such as 24h or 3d")
        text = str(value).strip()
        parse_duration(text)
        return text

    @property
    def min_time_s(self) -> int:
        return parse_duration(self.min_time)


class Phase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share: int
    """Percent of commits (a fixed bucket of the SHA) that Tekton runs in this phase."""
    gate: Gate

    @field_validator("share")
    @classmethod
    def _share(cls, value: int) -> int:
        if not 1 <= value <= 100:
            raise ValueError(f"{value} is outside 1..100 (percent of commits)")
        return value


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    ledger: str = DEFAULT_LEDGER
    workflows: str = DEFAULT_WORKFLOWS
    tekton: str = DEFAULT_TEKTON
    report_url: str | None = None
    """A link per compared commit, e.g. ``https://ci.example.com/compare/{commit}.html``."""
    phases: list[Phase] = Field(min_length=1)

    _root: Path = PrivateAttr(default=Path("."))
    _file: str = PrivateAttr(default=str(DEFAULT_PLAN))

    @property
    def root(self) -> Path:
        """The repository: the folder of rollout.yaml; relative paths in the plan start here."""
        return self._root

    @property
    def file(self) -> str:
        return self._file

    def bind(self, path: Path) -> Plan:
        self._root = path.parent
        self._file = str(path)
        return self

    def resolve(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self._root / path

    @property
    def ledger_path(self) -> Path:
        return self.resolve(self.ledger)

    @property
    def workflows_path(self) -> Path:
        return self.resolve(self.workflows)

    @property
    def tekton_path(self) -> Path:
        return self.resolve(self.tekton)

    @property
    def last(self) -> int:
        return len(self.phases)

    def share(self, phase: int) -> int:
        """Tekton's share in phase ``phase`` (0 = not started)."""
        if phase <= 0:
            return 0
        return self.phases[min(phase, self.last) - 1].share

    def gate(self, phase: int) -> Gate | None:
        """The gate that must hold to leave ``phase``; phase 0 has none (starting is a choice)."""
        if phase <= 0 or phase > self.last:
            return None
        return self.phases[phase - 1].gate

    def report_link(self, commit: str, phase: int, digest: str) -> str | None:
        if not self.report_url:
            return None
        return self.report_url.format(
            commit=commit, short=commit[:12], phase=phase, share=self.share(phase), digest=digest
        )


PLAN_SHAPES: Shapes = [
    ((), Plan, "the rollout plan"),
    (("phases", "#"), Phase, "a phase"),
    (("phases", "#", "gate"), Gate, "a gate"),
]


def default_gate(share: int, last: bool) -> Gate:
    """Stricter as Tekton takes more: a canary may diverge a little, the main phase barely.

    The last phase has nothing to be promoted to; its gate says when the rollout is done (the
    GitHub workflows can then be retired) and its failure limit still turns it back.
    """
    if last and share >= 100:
        return Gate(min_compared=0, max_divergence_rate=0.05, failure_limit=3, min_time="7d")
    if share < 50:
        return Gate(min_compared=20, max_divergence_rate=0.05, failure_limit=5, min_time="1d")
    return Gate(min_compared=50, max_divergence_rate=0.02, failure_limit=5, min_time="3d")


def parse_shares(text: str, where: str = "--phases") -> list[int]:
    """``10,50,100`` -> [10, 50, 100]; ascending, each 1..100."""
    shares: list[int] = []
    for raw in text.split(","):
        item = raw.strip().removesuffix("%")
        if not item.isdigit():
            raise UsageError(
                Diagnostic(
                    Position(where), f"`{raw.strip()}` is not a percentage", "e.g. 10,50,100"
                )
            )
        shares.append(int(item))
    for i, share in enumerate(shares):
        if not 1 <= share <= 100:
            raise UsageError(Diagnostic(Position(where), f"share {share} is outside 1..100"))
        if i and share <= shares[i - 1]:
            raise UsageError(
                Diagnostic(Position(where), "shares must increase from phase to phase", text)
            )
    return shares


def default_plan(shares: list[int] | tuple[int, ...] = DEFAULT_SHARES) -> Plan:
    return Plan(
        phases=[
            Phase(share=s, gate=default_gate(s, i == len(shares) - 1)) for i, s in enumerate(shares)
        ]
    )


def _rate(value: float) -> str:
    percent = round(value * 100, 4)
    return f'"{percent:g}%"'


def render_plan(plan: Plan) -> str:
    """The plan as commented YAML; written once by ``init``, then edited by people."""
    lines = [
        "# ghtotekton rollout plan: the shift of CI from GitHub Actions to Tekton in phases.",
        "# Tekton runs the commits whose SHA falls in its share (a fixed bucket of the SHA, so",
        "# a commit always goes the same way); GitHub Actions keeps running everything until the",
        "# last phase, and `ghtotekton compare --record` fills the ledger with the verdicts.",
        "# `ghtotekton rollout status` shows the gate; `rollout promote` moves on when it holds.",
        f"version: {plan.version}",
        "# The ledger (SQLite, append-only); CI jobs that record verdicts must reach this file.",
        f"ledger: {plan.ledger}",
        "# Where the workflows and the output of `ghtotekton convert` are (relative to here).",
        f"workflows: {plan.workflows}",
        f"tekton: {plan.tekton}",
        "# A link to each commit's comparison report; may use {commit} {short} {phase} {share}",
        "# {digest}. Without it, status links the compare JSON that `rollout record` was given.",
        f"report_url: {plan.report_url}" if plan.report_url else "report_url: null",
        "phases:",
    ]
    for phase in plan.phases:
        g = phase.gate
        lines += [
            f"  - share: {phase.share}  # percent of commits Tekton runs",
            "    gate:  # must hold before the rollout leaves this phase",
            f"      min_compared: {g.min_compared}  # distinct commits compared in this phase",
            f"      max_divergence_rate: {_rate(g.max_divergence_rate)}  # divergent / compared",
            f"      failure_limit: {g.failure_limit}  # divergent commits that abort the phase",
            f"      min_time: {g.min_time}  # time in the phase (s, m, h, d, w)",
        ]
    return "\n".join(lines) + "\n"


def load_plan(path: Path) -> Plan:
    """Read and check rollout.yaml; every problem is an InputError at its line and column."""
    if not path.exists():
        raise InputError(
            Diagnostic(
                Position(str(path)),
                "no rollout plan here",
                "create one with `ghtotekton rollout init`, or point --plan at it",
            )
        )
    doc = load_yaml_file(path)
    return plan_from_document(doc, path)


def plan_from_document(doc: YamlDocument, path: Path) -> Plan:
    if not isinstance(doc.data, dict):
        raise InputError(
            Diagnostic(doc.pos(()), "the rollout plan must be a mapping with `phases:`")
        )
    plan = validate_document(Plan, doc, PLAN_SHAPES)
    problems: list[Diagnostic] = []
    for i in range(1, len(plan.phases)):
        if plan.phases[i].share <= plan.phases[i - 1].share:
            problems.append(
                Diagnostic(
                    doc.pos(("phases", i, "share")),
                    f"phases[{i}].share: {plan.phases[i].share} does not grow from the phase "
                    f"before ({plan.phases[i - 1].share})",
                    "shares must increase: Tekton takes more commits each phase",
                )
            )
    if plan.report_url:
        problems.extend(_check_template(plan.report_url, doc))
    if problems:
        raise InputError(problems)
    return plan.bind(path)


def _check_template(template: str, doc: YamlDocument) -> list[Diagnostic]:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        return [Diagnostic(doc.pos(("report_url",)), f"report_url: {exc}")]
    unknown = sorted(n for n in names if n not in REPORT_FIELDS)
    if unknown:
        return [
            Diagnostic(
                doc.pos(("report_url",)),
                f"report_url: unknown field {{{unknown[0]}}}",
                "use " + ", ".join("{" + f + "}" for f in sorted(REPORT_FIELDS)),
            )
        ]
    return []
