"""`ghtotekton rollout ...`: not built yet; the CLI contract is in place for scripts."""

from __future__ import annotations

from typing import Any

from ghtotekton.commands._stub import not_implemented


def init(**_: Any) -> int:
    not_implemented("rollout init")


def status(**_: Any) -> int:
    not_implemented("rollout status")


def record(**_: Any) -> int:
    not_implemented("rollout record")


def promote(**_: Any) -> int:
    not_implemented("rollout promote")


def abort(**_: Any) -> int:
    not_implemented("rollout abort")
