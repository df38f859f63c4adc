"""What a command says when it is done: lines for a person, or one JSON object for a machine.

Every command takes ``--format json``. Commands that already render a document (audit,
validate, check, compare, explain, rollout status) print it; the others (convert, rollout
init/record/promote/abort) say what they did through this module, which prints their lines as
before with ``--format text`` and collects the same facts into one JSON object on stdout with
``--format json``. Progress, notes and errors stay on stderr either way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_CURRENT: ContextVar[Summary | None] = ContextVar("ghtotekton_summary", default=None)


class Summary:
    """The facts of one command run, and its lines for a person."""

    def __init__(self, fmt: str) -> None:
        self.json = fmt == "json"
        self.data: dict[str, Any] = {}

    def line(self, text: str) -> None:
        if not self.json:
            sys.stdout.write(text.rstrip("\n") + "\n")

    def emit(self) -> None:
        if self.json:
            sys.stdout.write(json.dumps(self.data, indent=2, default=str) + "\n")


@contextmanager
def summarised(fmt: str) -> Iterator[Summary]:
    """Collect what the command says; print it (as JSON) when it is done, even on exit 1."""
    summary = Summary(fmt)
    token = _CURRENT.set(summary)
    try:
        yield summary
    finally:
        _CURRENT.reset(token)
    summary.emit()


def say(text: str) -> None:
    """A line for a person on stdout (nothing with ``--format json``)."""
    current = _CURRENT.get()
    if current is None:
        sys.stdout.write(text.rstrip("\n") + "\n")
    else:
        current.line(text)


def record(**facts: Any) -> None:
    """Facts for the JSON summary (ignored with ``--format text``)."""
    current = _CURRENT.get()
    if current is not None:
        current.data.update(facts)
