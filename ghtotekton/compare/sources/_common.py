"""What both remote sources do the same way: timestamps, and a downloaded zip into the bundle."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from ghtotekton.compare.bundle import RUN_JSON, RunInfo, dump_run_json
from ghtotekton.compare.safezip import Budget, extract_zip
from ghtotekton.compare.sources._http import HttpClient


def duration_s(started: object, finished: object) -> float | None:
    """Seconds between two ISO 8601 timestamps; None when either is missing or unreadable.

    Clamped at 0: clock skew between a runner and the API can put the end a moment before the
    start, and a negative duration would only be noise in the comparison.
    """
    if not isinstance(started, str) or not isinstance(finished, str):
        return None
    try:
        delta = datetime.fromisoformat(finished) - datetime.fromisoformat(started)
    except (ValueError, TypeError):
        return None
    return max(0.0, delta.total_seconds())


def timestamp(value: object) -> str | None:
    """A timestamp the run.json model accepts, or None (APIs send null for runs not started)."""
    if not isinstance(value, str):
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def download_zip(
    client: HttpClient,
    url: str,
    headers: Mapping[str, str],
    dest: Path,
    budget: Budget,
    label: str,
) -> list[str]:
    """Download a zip to a temporary file (never into memory) and extract it safely into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ghtotekton-dl-") as tmp:
        archive = Path(tmp) / "archive.zip"
        client.download(url, headers, archive, budget.limits.max_total_bytes)
        return extract_zip(archive, dest, budget, label)


def write_run_json(root: Path, info: RunInfo) -> None:
    (root / RUN_JSON).write_text(dump_run_json(info), encoding="utf-8")
