"""What a command of the contract that is not built yet does: say so, exit 2."""

from __future__ import annotations

from typing import NoReturn

from ghtotekton.errors import Diagnostic, NotImplementedYet, Position


def not_implemented(command: str) -> NoReturn:
    raise NotImplementedYet(
        Diagnostic(
            Position("ghtotekton"),
            f"`{command}` is not implemented yet",
            "see the open issues; `ghtotekton audit` works today",
        )
    )
