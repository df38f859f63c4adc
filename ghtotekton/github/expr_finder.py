"""Finding `${{ }}` inside workflow strings, and reading `if:` values, the way GitHub's runner does.

The end of an expression is the first `}}` outside a single-quoted string, so
`${{ format('{0}}}', x) }}` is one expression. A string mixing text and expressions means
`format('text {0} text', expr)`, which is why `if: ${{ false }} && true` is always true on GitHub.
"""

from __future__ import annotations

from dataclasses import dataclass

from ghtotekton.github.expr_ast import Call, ExpressionError, Literal, Node
from ghtotekton.github.expr_parser import parse
from ghtotekton.github.expr_printer import unparse

OPEN = "${{"
CLOSE = "}}"


@dataclass(frozen=True, slots=True)
class Embedded:
    """One `${{ }}` in a text; offsets (also those in `node` and `error`) index that text."""

    start: int  # at "${{"
    end: int  # just past "}}", or the end of the text when unterminated
    source: str  # what is between the braces, stripped
    node: Node | None
    error: ExpressionError | None


def _closing(text: str, pos: int) -> int:
    """Offset of the `}}` that ends an expression whose body starts at `pos`, or -1.

    Each search resumes where the last stopped, so this stays linear on long run: scripts.
    """
    brace = text.find(CLOSE, pos)
    while brace >= 0:
        quote = text.find("'", pos)
        if quote < 0 or brace < quote:
            return brace
        # Skip the string literal; a doubled quote just opens the next literal, same effect.
        end_quote = text.find("'", quote + 1)
        if end_quote < 0:
            return -1
        pos = end_quote + 1
        if brace < pos:
            brace = text.find(CLOSE, pos)
    return -1


def find_expressions(text: str) -> list[Embedded]:
    """Every `${{ }}` in `text`, in order; an unterminated one ends the list with an error."""
    found: list[Embedded] = []
    pos = 0
    while (start := text.find(OPEN, pos)) >= 0:
        body = start + len(OPEN)
        close = _closing(text, body)
        if close < 0:
            error = ExpressionError("'${{' is never closed by '}}'", start)
            found.append(Embedded(start, len(text), text[body:].strip(), None, error))
            break
        raw = text[body:close]
        source = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        try:
            node: Node | None = parse(source, offset=body + lead)
            error_or_none: ExpressionError | None = None
        except ExpressionError as err:
            node, error_or_none = None, err
        found.append(Embedded(start, close + len(CLOSE), source, node, error_or_none))
        pos = close + len(CLOSE)
    return found


def _escape_format(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def parse_if(text: str) -> Node:
    """The condition an `if:` value stands for; offsets index `text`.

    A bare expression and a lone `${{ }}` are the same thing. Anything else around `${{ }}`,
    even a space or a newline, turns the value into a `format()` string, as on GitHub: callers
    can spot that (`Call` named "format") and warn that the condition is always true.
    An empty value is `success()`, GitHub's default.
    """
    found = find_expressions(text)
    if not found:
        if not text.strip():
            return Call("success", (), start=0, end=len(text))  # GitHub's default condition
        return parse(text)
    for embedded in found:
        if embedded.error is not None:
            raise embedded.error
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(text):
        node = found[0].node
        assert node is not None
        return node
    pieces: list[str] = []
    args: list[Node] = []
    pos = 0
    for embedded in found:
        assert embedded.node is not None
        pieces.append(_escape_format(text[pos : embedded.start]))
        pieces.append("{" + str(len(args)) + "}")
        args.append(embedded.node)
        pos = embedded.end
    pieces.append(_escape_format(text[pos:]))
    template = Literal("".join(pieces), start=0, end=len(text))
    return Call("format", (template, *args), start=0, end=len(text))


def strip_if(text: str) -> str:
    """The expression source of an `if:` value: the inside of `${{ }}`, or the bare text.

    A value that mixes text and `${{ }}` comes back as the equivalent `format(...)` source.
    Raises ExpressionError (offsets index `text`) when a `${{ }}` in it is broken.
    """
    found = find_expressions(text)
    if not found:
        return text.strip() or "success()"
    for embedded in found:
        if embedded.error is not None:
            raise embedded.error
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(text):
        return found[0].source
    return unparse(parse_if(text))
