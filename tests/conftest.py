"""Shared test helpers: where ../shared is, and a CLI runner that keeps stdout and stderr apart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

# Property tests explore new examples on every developer run; CI (`.ci/run` sets the profile)
# draws the same ones each time, so a red CI run is about the change, not about the dice.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
FIXTURES = REPO / "fixtures"


def need_shared(path: Path = SHARED) -> Path:
    """Skip only when ../shared is absent (a user's clone); CI always has it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout")
    assert path.exists(), f"{path} is missing from ../shared"
    return path


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()
