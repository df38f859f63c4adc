"""Kubernetes-safe names, deterministic so that converting twice gives the same files."""

from __future__ import annotations

import functools
import hashlib
import re

_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_ENV_BAD = re.compile(r"[^A-Za-z0-9_]+")


def dns_label(text: str, max_len: int = 63) -> str:
    """A DNS-1123 label (lower case, digits, '-', starting and ending alphanumeric).

    When the text must be cut, a short hash of the whole keeps different long names apart.
    """
    name = _NOT_DNS.sub("-", text.lower().replace("_", "-").replace(".", "-")).strip("-")
    name = re.sub(r"-{2,}", "-", name) or "x"
    if not name[0].isalpha():
        name = "x-" + name
    if len(name) > max_len:
        digest = hashlib.sha256(text.encode()).hexdigest()[:6]
        name = name[: max_len - 7].rstrip("-") + "-" + digest
    return name


_PARAM_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


@functools.lru_cache(maxsize=1 << 14)
def param_name(*parts: str) -> str:
    """Param name of a context path (``github.event.number`` -> ``github-event-number``)."""
    name = _PARAM_BAD.sub("-", "-".join(parts)).strip("-")
    return name or "param"


def env_name(*parts: str) -> str:
    """Env var name of a context path (``matrix.python-version`` -> ``MATRIX_PYTHON_VERSION``)."""
    name = _ENV_BAD.sub("_", "_".join(parts)).strip("_").upper()
    if not name or name[0].isdigit():
        name = "V_" + name
    return name


def unique(name: str, taken: set[str], max_len: int = 63) -> str:
    """``name`` or ``name-2``, ``name-3``... whichever is free; records the choice in ``taken``."""
    candidate = name
    n = 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate = name[: max_len - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


WORKFLOWS = ".github/workflows/"


def workflow_path(display: str) -> str:
    """A workflow's path as GitHub names it in a run (``.github/workflows/x.yml``), from the path
    it was shown under (which may start with a repository folder)."""
    shown = display.replace("\\", "/")
    at = shown.rfind(WORKFLOWS)
    return shown[at:] if at >= 0 else WORKFLOWS + shown.rsplit("/", 1)[-1]
