"""A ``run:`` script's syntax, read by tree-sitter-bash: its commands and its heredocs.

Regular expressions cannot tell ``sudo`` the command from ``sudo`` in a string, or where a
heredoc's body ends; a real parser can. The grammar is loaded on first use, so commands that
never read a script's syntax do not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from ghtotekton.github import expressions as ex

if TYPE_CHECKING:
    from tree_sitter import Node, Parser


@cache
def _parser() -> Parser:
    import tree_sitter_bash
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bash.language()))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command: its name and its words, as byte spans of the script's UTF-8."""

    name: str
    start: int
    """Where the command starts (its leading ``VAR=value`` assignments included)."""
    name_start: int
    name_end: int
    words: tuple[tuple[int, int, str], ...]
    """(start, end, text) of each argument after the name."""


def commands(script: str) -> list[Command]:
    """Every simple command of ``script``, in source order (those inside ``$(...)`` too)."""
    data = script.encode()
    tree = _parser().parse(data)
    out: list[Command] = []
    for node in _walk(tree.root_node):
        if node.type != "command":
            continue
        name = node.child_by_field_name("name")
        if name is None:
            continue
        words = tuple(
            (c.start_byte, c.end_byte, data[c.start_byte : c.end_byte].decode(errors="replace"))
            for c in node.children_by_field_name("argument")
        )
        text = data[name.start_byte : name.end_byte].decode(errors="replace")
        out.append(Command(text, node.start_byte, name.start_byte, name.end_byte, words))
    return out


def open_quoted_heredocs(script: str, may_open: Callable[[ex.Embedded], bool]) -> str:
    """``script`` with each quoted heredoc (``<<'EOF'``, ``<<"EOF"``, ``<<\\EOF``) whose body holds
    ``${{ }}`` turned into an unquoted one that reads the same: its ``\\``, ``$`` and backticks
    escaped, its expressions left for the translation to make ``${VAR}``, which the shell now
    expands, as GitHub's text substitution would have put the value there. A heredoc with an
    expression ``may_open`` refuses is left quoted (the translation then reports it)."""
    if "<<" not in script or "${{" not in script:
        return script
    data = script.encode()
    edits: list[tuple[int, int, bytes]] = []
    for node in _walk(_parser().parse(data).root_node):
        if node.type != "heredoc_redirect":
            continue
        start = next((c for c in node.children if c.type == "heredoc_start"), None)
        body = next((c for c in node.children if c.type == "heredoc_body"), None)
        if start is None or body is None:
            continue
        word = data[start.start_byte : start.end_byte].decode(errors="replace")
        bare = _unquoted(word)
        text = data[body.start_byte : body.end_byte].decode(errors="replace")
        found = ex.find_expressions(text)
        if bare is None or not found or not all(may_open(e) for e in found):
            continue
        edits.append((start.start_byte, start.end_byte, bare.encode()))
        edits.append((body.start_byte, body.end_byte, _escaped(text, found).encode()))
    for begin, end, new in sorted(edits, reverse=True):
        data = data[:begin] + new + data[end:]
    return data.decode(errors="replace")


def _unquoted(word: str) -> str | None:
    """The delimiter of a quoted heredoc word without its quotes; None when it is not quoted
    (or quoted in a way this does not read: the heredoc is then left alone)."""
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        inner = word[1:-1]
    elif word.startswith("\\"):
        inner = word[1:]
    else:
        return None
    return inner if inner and all(c.isalnum() or c in "_-." for c in inner) else None


def _escaped(body: str, found: list[ex.Embedded]) -> str:
    """The body with what an unquoted heredoc would expand escaped, expressions kept as they are."""
    out: list[str] = []
    last = 0
    for item in found:
        out.append(_escape(body[last : item.start]))
        out.append(body[item.start : item.end])
        last = item.end
    out.append(_escape(body[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")


QuoteState = str
"""'none', 'single', 'double' or 'quoted-heredoc': how the shell reads text at a position."""

_CLOSERS = {"raw_string": "single", "ansi_c_string": "single", "string": "double"}
_RESETS = frozenset(
    {"command_substitution", "process_substitution", "subshell", "arithmetic_expansion"}
)


def quote_states(script: str, spans: list[tuple[int, int]]) -> list[QuoteState]:
    """How the shell reads the text at the start of each ``(start, end)`` span of ``script``
    (character offsets of ``${{ }}`` expressions): inside single quotes, double quotes, a quoted
    heredoc's body, or unquoted. The innermost quoting wins, so ``"$(test -n '…')"`` is single
    quotes inside a command substitution, not double quotes. The spans are masked before parsing
    (``${{`` is no shell syntax)."""
    chars = list(script)
    for start, end in spans:
        chars[start:end] = "x" * (end - start)
    masked = "".join(chars)
    data = masked.encode()
    root = _parser().parse(data).root_node
    out: list[QuoteState] = []
    for start, _ in spans:
        offset = len(masked[:start].encode())
        node: Node | None = root.descendant_for_byte_range(offset, offset + 1)
        out.append(_state(node, data))
    return out


def _state(node: Node | None, data: bytes) -> QuoteState:
    while node is not None:
        if node.type in _CLOSERS:
            return _CLOSERS[node.type]
        if node.type in _RESETS:
            return "none"
        if node.type == "heredoc_body":
            redirect = node.parent
            start = next(
                (c for c in (redirect.children if redirect else []) if c.type == "heredoc_start"),
                None,
            )
            word = data[start.start_byte : start.end_byte].decode() if start else ""
            return (
                "quoted-heredoc"
                if _unquoted(word) is not None or "'" in word or '"' in word
                else "none"
            )
        node = node.parent
    return "none"
