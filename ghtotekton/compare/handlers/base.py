"""The contract every file handler keeps, and the differences they report.

A handler knows one file type and its own notion of "the same" (a JUnit report is the same when
every test case has the same outcome, not when the bytes match). The engine pairs files, picks a
handler per file by the configuration, and classes differences as noise using a baseline run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

DifferenceKind = Literal[
    "missing-on-a",
    "missing-on-b",
    "outcome-changed",
    "value-beyond-tolerance",
    "value-changed",
    "cell-error",
    "count-changed",
    "content-changed",
    "unit-status",
    "run-status",
    "unreadable",
]


class Difference(BaseModel):
    """One located difference between run A and run B."""

    model_config = ConfigDict(extra="forbid")

    handler: str
    """``junit``, ``notebook``, ``coverage``, ``html``, ``json``, ``yaml``, ``csv``, ``text``,
    ``binary``, or ``units`` for job/task status."""
    path: str
    """Artifact path (posix, relative to ``artifacts/``), or the unit name for ``units``."""
    location: str = ""
    """Where inside: test id, ``cell 3 output 0``, JSON path ``root['a'][2]``, ``line 12``."""
    kind: DifferenceKind
    message: str
    a: str | None = None
    """Short rendering of A's side (kept under a few hundred characters)."""
    b: str | None = None
    noise: bool = False
    """Also differs between A and the baseline A2: not a regression (Diffy's rule)."""

    def key(self) -> tuple[str, str, str, str]:
        """What identifies "the same difference" across comparisons (for noise matching)."""
        return (self.handler, self.path, self.location, self.kind)


class Tolerance(BaseModel):
    """Numbers are equal when within ``abs`` OR within ``rel`` of the larger magnitude."""

    model_config = ConfigDict(extra="forbid")

    abs: float = Field(default=1e-9, ge=0)
    rel: float = Field(default=1e-6, ge=0)

    def close(self, x: float, y: float) -> bool:
        if x == y:
            return True
        return abs(x - y) <= max(self.abs, self.rel * max(abs(x), abs(y)))


@dataclass(frozen=True, slots=True)
class HandlerOptions:
    """Per-file settings the configuration resolved for this pair."""

    tolerance: Tolerance = field(default_factory=Tolerance)
    ignore: tuple[str, ...] = ()
    """Handler-specific things to ignore: JSON paths (deepdiff regex), CSV columns, test ids..."""
    sanitizers: tuple[tuple[str, str], ...] = ()
    """(regex, replacement) applied to text before comparing (text, logs, HTML, notebook text)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Handler-specific switches, e.g. ``{"compare_images": "hash"}`` for notebooks."""


class Handler(Protocol):
    """Compares one file of run A with the same file of run B."""

    name: str

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        """Differences between the two files; [] when they are the same for this file type.

        Must not raise on bad input: an unreadable or malformed file is a Difference of kind
        ``unreadable`` (on the side that is bad), never an exception.
        """
        ...
