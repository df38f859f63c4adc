"""Small, reviewable edits of YAML text: find lines with ruamel's composer, splice text there.

A ruamel round-trip dump would be shorter to write, but it normalises indentation and wraps long
lines, so a change of a few lines would show up in review as a rewrite of the file. Composing
(the C parser, a line and column on every node) and splicing lines keeps every other byte, and
the callers re-read the result to prove nothing else changed.
"""

from __future__ import annotations

import re

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from ghtotekton.errors import Diagnostic, InputError, Position

ODD_BREAKS = ("\x85", "\u2028", "\u2029")
"""Line breaks to YAML 1.1 readers but not to ours: line numbers would disagree, so refuse."""

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")


def fail(display: str, line: int, message: str, hint: str = "") -> InputError:
    return InputError(Diagnostic(Position(display, line, 1 if line else 0), message, hint))


def compose(text: str, display: str) -> Node | None:
    """The node graph of the text's first document, with marks (refuses odd line breaks)."""
    if any(ch in text for ch in ODD_BREAKS):
        raise fail(display, 1, "unusual line breaks (NEL, LS, PS) in the file", "patch by hand")
    try:
        node: Node | None = YAML(typ="safe", pure=False).compose(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise fail(display, line, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return node


def entries(node: MappingNode) -> list[tuple[str, Node, Node]]:
    """A mapping's (key text, key node, value node) in file order; non-scalar keys skipped."""
    return [(str(k.value), k, v) for k, v in node.value if isinstance(k, ScalarNode)]


def value_of(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    for name, _k, v in entries(node):
        if name == key:
            return v
    return None


def lines_of(text: str) -> list[str]:
    """Lines with their endings, split only where YAML sees a line break."""
    return [m.group(0) for m in _LINE.finditer(text) if m.group(0)]


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def is_filler(line: str, indent: int) -> bool:
    """Blank, or a comment no deeper than ``indent``: it belongs to what comes next."""
    stripped = line.strip()
    if not stripped:
        return True
    return stripped.startswith("#") and (len(line) - len(line.lstrip())) <= indent


def with_ending(line: str, newline: str) -> str:
    return line if line.endswith(("\n", "\r")) else line + newline
