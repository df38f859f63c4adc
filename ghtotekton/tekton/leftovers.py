"""GitHub expressions (``${{ }}``) left in what Tekton or a container acts on.

A ``${{`` that reaches a script, an env value, an image or a param value is not an expression
any more: the shell, the kubelet or Tekton reads it as text. This finds them in emitted
documents (plain dicts), for the tests that hold the converter to "none left" and the benchmark
that counts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

FUNCTIONAL = frozenset({"script", "value", "image", "workingDir", "input", "default"})
"""Keys whose string values Tekton or the container runtime acts on."""
FUNCTIONAL_LISTS = frozenset({"args", "command", "values"})
"""Keys whose list items are such values."""
SKIPPED = frozenset({"metadata", "description"})


def functional_strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, text) of every functional string under ``node``."""
    key = path.rsplit(".", 1)[-1]
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in SKIPPED:
                yield from functional_strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, str) and key in FUNCTIONAL_LISTS:
                yield f"{path}.{i}", item
            else:
                yield from functional_strings(item, f"{path}.{i}" if key else path)
    elif isinstance(node, str) and key in FUNCTIONAL:
        yield path, node


def live_lines(text: str, path: str) -> list[str]:
    """The parts of a functional value that still hold ``${{``; a script's comment lines are
    not run and do not count."""
    if "${{" not in text:
        return []
    if path.rsplit(".", 1)[-1] != "script":
        return [text]
    return [
        line for line in text.splitlines() if "${{" in line and not line.lstrip().startswith("#")
    ]


def expressions_left(doc: Any) -> list[tuple[str, str]]:
    """(path, text) of each place in ``doc`` where a GitHub expression is left."""
    return [
        (path, line) for path, text in functional_strings(doc) for line in live_lines(text, path)
    ]


def shell_scripts(node: Any) -> Iterator[str]:
    """Every ``script`` under ``node`` that a POSIX shell or bash runs (steps, sidecars,
    StepActions, inline task specs), for checking the shell the converter writes."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "script" and isinstance(value, str) and is_shell(value):
                yield value
            elif key != "script":
                yield from shell_scripts(value)
    elif isinstance(node, list):
        for item in node:
            yield from shell_scripts(item)


def is_shell(script: str) -> bool:
    """No shebang (Tekton runs it with sh), or one naming sh, bash, dash or ksh."""
    first = script.lstrip().splitlines()[0] if script.strip() else ""
    if not first.startswith("#!"):
        return True
    words = [w.rsplit("/", 1)[-1] for w in first[2:].split() if not w.startswith("-")]
    words = [w for w in words if w != "env"]
    return bool(words) and words[0] in ("sh", "bash", "dash", "ksh")
