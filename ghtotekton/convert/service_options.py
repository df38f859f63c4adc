"""A job service's ``options:`` (``docker create`` flags) read for what a sidecar can say.

The health flags are the ones that matter: GitHub waits for a service's health check before
the job's first step, and Tekton starts a TaskRun's steps only once its sidecars are Ready
(``pkg/pod/status.go``), so ``--health-cmd`` and its interval, timeout, retries and start period
become the sidecar's readiness probe. Without it a sidecar is Ready as soon as it starts, and the
tests run against a database that is not accepting connections yet.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

_HEALTH = {
    "--health-cmd": "cmd",
    "--health-interval": "periodSeconds",
    "--health-timeout": "timeoutSeconds",
    "--health-retries": "failureThreshold",
    "--health-start-period": "initialDelaySeconds",
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


@dataclass(slots=True)
class ServiceOptions:
    probe: dict[str, Any] | None = None
    """The readiness probe from the ``--health-*`` flags, if ``--health-cmd`` is there."""
    other: list[str] = field(default_factory=list)
    """Flags with no sidecar form, as written."""
    problems: list[str] = field(default_factory=list)


def read_options(text: str) -> ServiceOptions:
    out = ServiceOptions()
    try:
        words = shlex.split(text)
    except ValueError as exc:
        out.problems.append(f"the options do not split into words: {exc}")
        return out
    health: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        flag, _, inline = word.partition("=")
        if flag in _HEALTH:
            value = (
                inline if inline or "=" in word else (words[i + 1] if i + 1 < len(words) else "")
            )
            i += 1 if inline or "=" in word else 2
            health[_HEALTH[flag]] = value
            continue
        out.other.append(word)
        i += 1
    if not health:
        return out
    if "cmd" not in health or not health["cmd"].strip():
        out.problems.append("`--health-*` without `--health-cmd`: nothing to probe")
        return out
    probe: dict[str, Any] = {"exec": {"command": ["/bin/sh", "-c", health.pop("cmd")]}}
    for key, raw in health.items():
        number = _seconds(raw) if key != "failureThreshold" else _count(raw)
        if number is None:
            out.problems.append(f"`{raw}` is not a duration or count Docker reads")
            continue
        probe[key] = number if key != "initialDelaySeconds" else max(0, number)
    out.probe = probe
    return out


def _seconds(text: str) -> int | None:
    """A Docker duration (``10s``, ``1m30s``, ``500ms``) in whole seconds, at least 1."""
    text = text.strip()
    if not text or _DURATION.sub("", text):
        return None
    total = sum(float(n) * _UNIT[u] for n, u in _DURATION.findall(text))
    return max(1, math.ceil(total))


def _count(text: str) -> int | None:
    return int(text) if text.strip().isdigit() and int(text) > 0 else None
