"""`ghtotekton convert`: not built yet; the CLI contract is in place so scripts can rely on it."""

from __future__ import annotations

from typing import Any

from ghtotekton.commands._stub import not_implemented


def run(**_: Any) -> int:
    not_implemented("convert")
