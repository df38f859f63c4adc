"""One exception family for everything the user can get wrong.

Every error that comes from the user's input carries the place it came from, so the CLI can print
``file:line:col: error: what (what to do)`` and never a traceback. Exit codes live here too, so that
every command maps outcomes the same way (DESIGN.md section 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes of every command (DESIGN.md section 2)."""

    OK = 0
    FOUND = 1  # ran fine and found something: divergence, invalid resource, drift, manual work
    BAD_INPUT = 2  # bad usage or bad input
    INTERNAL = 3  # a bug in ghtotekton


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a source file; line and column are 1-based, as editors show them."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.col <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One message about the input, tied to a position."""

    position: Position
    message: str
    hint: str = ""
    severity: str = "error"  # "error" | "warning"
    rule: str = ""

    def format(self) -> str:
        text = f"{self.position}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        if self.rule:
            text += f" [{self.rule}]"
        return text

    def __str__(self) -> str:
        return self.format()


class GhToTektonError(Exception):
    """Base of every error we expect and render without a traceback."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str) -> None:
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(Position("ghtotekton"), diagnostics)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]


class InputError(GhToTektonError):
    """The input (a workflow, a compose file, a bundle, an option) is wrong: exit 2."""


class UsageError(GhToTektonError):
    """The command line itself is wrong: exit 2."""


class NotImplementedYet(GhToTektonError):
    """A command of the contract that this version does not build yet: exit 2."""


def input_error(
    file: str, line: int, col: int, message: str, hint: str = "", rule: str = ""
) -> InputError:
    """Shorthand for the common case of one positioned error."""
    return InputError(Diagnostic(Position(file, line, col), message, hint, rule=rule))
