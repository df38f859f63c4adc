"""The GitHub Actions side of the last phase: a workflow keeps only its manual trigger.

When Tekton runs every commit, the original workflows stay in the repository as the backup a
person can start by hand (``workflow_dispatch``), and stop reacting to pushes and pull requests.
The change must be small enough to review in a pull request and must not disturb anything else
in the file, so it is a text splice guided by ruamel.yaml, not a re-dump: ruamel's composer (the
C parser, with a line and column on every node) finds exactly which lines hold the ``on:`` block,
the splice replaces those lines only, and a second parse checks that everything but ``on:``
reads back the same. A ruamel round-trip dump would be shorter to write, but it normalises
indentation and wraps long lines, which turns a few changed lines into a noisy diff (and it is
several times slower than composing).

The original ``on:`` block is kept in the file, commented out line by line between two marker
comments, so no comment is lost and ``rollout abort`` can restore the triggers byte for byte.

Only the events Tekton's triggers serve are handed over; other events (``issue_comment``,
``workflow_run``, ...) have no Tekton trigger and stay on GitHub, and ``workflow_call`` stays so a
backup run of a calling workflow can still call this one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node

from ghtotekton.yamlsource import load_yaml_bytes
from ghtotekton.yamlsplice import (
    compose,
    entries,
    fail,
    is_filler,
    lines_of,
    newline_of,
    with_ending,
)

HANDED_OVER = frozenset(
    {"push", "pull_request", "schedule", "release", "create", "delete", "merge_group"}
)
"""Events Tekton's triggers serve, when the caller does not say which ones the converter
generated for this workflow (``rollout promote`` asks the converter)."""
NEVER_HANDED_OVER = frozenset({"workflow_dispatch", "workflow_call"})
BEGIN = "# ghtotekton-rollout-begin:"
END = "# ghtotekton-rollout-end"
KEEP = "#~"
"""Prefix of a commented-out original line (``#~`` then a space, or nothing for a blank line)."""


@dataclass(slots=True)
class PatchResult:
    text: str
    changed: bool
    handed_over: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Doc:
    """The composed top-level mapping: key -> (key node, value node), in file order."""

    entries: list[tuple[str, Node, Node]]

    def get(self, key: str) -> tuple[Node, Node] | None:
        for name, k, v in self.entries:
            if name == key:
                return k, v
        return None


def _parse(text: str, display: str) -> _Doc:
    """Compose with ruamel.yaml's C parser: node marks give each key's line and column."""
    node = compose(text, display)
    if not isinstance(node, MappingNode):
        raise fail(display, 1, "no `on:` block to patch", "is this a workflow file?")
    doc = _Doc(entries(node))
    if doc.get("on") is None:
        raise fail(display, 1, "no `on:` block to patch", "is this a workflow file?")
    return doc


def _data(text: str, display: str) -> dict[str, Any]:
    """Plain data as GitHub reads it (YAML 1.2 core schema), for comparing before and after."""
    data = load_yaml_bytes(text, display).data
    return dict(data) if isinstance(data, dict) else {}


def _events(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return [str(k) for k in value]
    return []


def _region(doc: _Doc, lines: list[str]) -> tuple[int, int, int]:
    """(first line, end line, key column) of the ``on:`` entry, 0-based, end exclusive."""
    key, _value = doc.get("on") or (None, None)
    assert key is not None
    start, col = key.start_mark.line, key.start_mark.column
    later = [k.start_mark.line for _n, k, _v in doc.entries if k.start_mark.line > start]
    end = min(later) if later else len(lines)
    while end - 1 > start and is_filler(lines[end - 1], col):
        end -= 1
    return start, end, col


def _sub_block(on: MappingNode, event: str, end: int, lines: list[str], indent: int) -> list[str]:
    found = [k.start_mark.line for name, k, _v in entries(on) if name == event]
    start = found[0]
    later = [k.start_mark.line for _n, k, _v in entries(on) if k.start_mark.line > start]
    stop = min([*later, end])
    while stop - 1 > start and is_filler(lines[stop - 1], indent):
        stop -= 1
    return lines[start:stop]


def is_handed_over(text: str) -> bool:
    return any(line.lstrip().startswith(BEGIN) for line in text.splitlines())


def handover(
    text: str, display: str, share: int = 100, served: Iterable[str] | None = None
) -> PatchResult:
    """The workflow with only its manual trigger (and events Tekton does not serve) left on.

    ``served``: the events Tekton has a trigger for in this workflow (default HANDED_OVER).
    """
    if is_handed_over(text):
        return PatchResult(text, False)
    doc = _parse(text, display)
    plain = _data(text, display)
    events = _events(plain.get("on"))
    serving = (HANDED_OVER if served is None else frozenset(served)) - NEVER_HANDED_OVER
    handed = [e for e in events if e in serving]
    kept = [e for e in events if e not in serving]
    if not handed:
        return PatchResult(text, False, [], kept)
    nl = newline_of(text)
    lines = lines_of(text)
    start, end, col = _region(doc, lines)
    on = (doc.get("on") or (None, None))[1]
    block = isinstance(on, MappingNode) and not on.flow_style and len(on.value) > 0
    child = on.value[0][0].start_mark.column if isinstance(on, MappingNode) and block else col + 2
    pad = " " * child
    key_line = lines[start]
    colon = key_line.index(":", col)
    new = [key_line[:colon] + ":" + nl]
    new.append(
        f"{pad}{BEGIN} Tekton runs {', '.join(handed)} ({share}%); this is the manual backup."
        f" `ghtotekton rollout abort` restores:{nl}"
    )
    for line in lines[start:end]:
        body = line.rstrip("\r\n")
        new.append(f"{pad}{KEEP} {body}{nl}" if body.strip() else f"{pad}{KEEP}{nl}")
    new.append(f"{pad}{END}{nl}")
    if "workflow_dispatch" not in kept:
        kept.insert(0, "workflow_dispatch")
        new.append(f"{pad}workflow_dispatch:{nl}")
    for event in kept:
        if event == "workflow_dispatch" and event not in events:
            continue
        config = plain["on"].get(event) if isinstance(plain["on"], dict) else None
        if block and isinstance(on, MappingNode):
            new.extend(with_ending(x, nl) for x in _sub_block(on, event, end, lines, col))
        elif config is not None:
            new.append(f"{pad}{event}: {json.dumps(config)}{nl}")
        else:
            new.append(f"{pad}{event}:{nl}")
    if not lines[end - 1].endswith(("\n", "\r")) and end == len(lines):
        new[-1] = new[-1].rstrip("\r\n")
    patched = "".join(lines[:start] + new + lines[end:])
    _verify(text, patched, display, kept)
    return PatchResult(patched, True, handed, kept)


def _verify(before: str, after: str, display: str, kept: list[str]) -> None:
    """Everything but ``on:`` reads back the same, and ``on:`` holds exactly the kept events."""
    old = _data(before, display)
    new = _data(after, display)
    old_on, new_on = old.pop("on", None), new.pop("on", None)
    if old != new or sorted(_events(new_on)) != sorted(kept):
        raise fail(
            display,
            1,
            "cannot patch the triggers of this workflow without changing more than `on:`",
            "an anchor in `on:` used elsewhere? keep only `workflow_dispatch` by hand",
        )
    if isinstance(old_on, dict) and isinstance(new_on, dict):
        for event in kept:
            if event in old_on and old_on[event] != new_on.get(event):
                raise fail(display, 1, f"the `{event}` trigger would change; patch by hand")


def restore(text: str, display: str) -> PatchResult:
    """Undo :func:`handover`: the original ``on:`` block, byte for byte."""
    if not is_handed_over(text):
        return PatchResult(text, False)
    lines = lines_of(text)
    begin = next(i for i, line in enumerate(lines) if line.lstrip().startswith(BEGIN))
    try:
        stop = next(i for i in range(begin, len(lines)) if lines[i].strip() == END)
    except StopIteration:
        raise fail(display, begin + 1, f"`{BEGIN}` without `{END}`", "restore by hand") from None
    pad = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    original: list[str] = []
    for i in range(begin + 1, stop):
        body = lines[i].rstrip("\r\n")
        ending = lines[i][len(body) :]
        if body == pad + KEEP:
            original.append(ending)
        elif body.startswith(pad + KEEP + " "):
            original.append(body[len(pad + KEEP) + 1 :] + ending)
        else:
            raise fail(display, i + 1, "the saved triggers were edited", "restore by hand")
    start, end, _col = _region(_parse(text, display), lines)
    if not start < begin < end:
        raise fail(display, begin + 1, "the saved triggers are not inside `on:`", "restore by hand")
    if original and end == len(lines) and not lines[end - 1].endswith(("\n", "\r")):
        original[-1] = original[-1].rstrip("\r\n")
    restored = "".join(lines[:start] + original + lines[end:])
    _data(restored, display)
    return PatchResult(restored, True)
