"""Tokens of a `${{ }}` expression, cut the way GitHub's own lexer cuts them.

Words run to the next boundary character and are then judged whole: a run that starts with a
digit, a sign or a leading dot must read as a number, anything else must be a legal identifier.
This is linear in the input and mirrors GitHub's lexer, so `1-2` or `a+b` fail as they do there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

from ghtotekton.github.expr_ast import ExpressionError
from ghtotekton.github.expr_values import parse_number


class T(Enum):
    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    COMMA = ","
    DOT = "."
    STAR = "*"
    NOT = "!"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    AND = "&&"
    OR = "||"
    NUMBER = "number"
    STRING = "string"
    IDENT = "identifier"
    TRUE = "true"
    FALSE = "false"
    NULL = "null"
    EOF = "end of expression"


@dataclass(frozen=True, slots=True)
class Token:
    type: T
    start: int  # offsets in the text handed to the parser (base offset already added)
    end: int
    text: str
    value: float | str | None = None


_TWO = {"==": T.EQ, "!=": T.NE, "<=": T.LE, ">=": T.GE, "&&": T.AND, "||": T.OR}
_ONE = {
    "(": T.LPAREN,
    ")": T.RPAREN,
    "[": T.LBRACKET,
    "]": T.RBRACKET,
    ",": T.COMMA,
    "*": T.STAR,
    "!": T.NOT,
    "<": T.LT,
    ">": T.GT,
}
_KEYWORDS = {"true": T.TRUE, "false": T.FALSE, "null": T.NULL}
_SPACE = frozenset(" \t\r\n")
# A number runs to the next boundary, dots included; a word stops at dots too.
_NUMBER_RUN = re.compile(r"[^\s()\[\],!<>=&|]*")
_WORD_RUN = re.compile(r"[^\s()\[\],.!<>=&|]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_AFTER_VALUE = frozenset({T.IDENT, T.RBRACKET, T.RPAREN, T.STAR})

MAX_LENGTH = 21000  # GitHub refuses longer expressions


def tokenize(source: str, base: int = 0) -> list[Token]:
    """The tokens of `source`, ending with an EOF token; offsets are shifted by `base`."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", base)
    tokens: list[Token] = []
    pos = 0
    size = len(source)
    while pos < size:
        char = source[pos]
        if char in _SPACE:
            pos += 1
            continue
        pair = source[pos : pos + 2]
        if pair in _TWO:
            tokens.append(Token(_TWO[pair], base + pos, base + pos + 2, pair))
            pos += 2
        elif char in _ONE:
            tokens.append(Token(_ONE[char], base + pos, base + pos + 1, char))
            pos += 1
        elif char == "'":
            pos = _string(source, pos, base, tokens)
        elif char == "." and tokens and tokens[-1].type in _AFTER_VALUE:
            tokens.append(Token(T.DOT, base + pos, base + pos + 1, char))
            pos += 1
        elif char.isascii() and (char.isdigit() or char in "+-."):
            pos = _number(source, pos, base, tokens)
        else:
            pos = _word(source, pos, base, tokens)
    tokens.append(Token(T.EOF, base + size, base + size, ""))
    return tokens


def _string(source: str, pos: int, base: int, tokens: list[Token]) -> int:
    cursor = pos + 1
    while True:
        quote = source.find("'", cursor)
        if quote < 0:
            raise ExpressionError("unterminated string literal", base + pos)
        if source.startswith("''", quote):
            cursor = quote + 2
            continue
        text = source[pos : quote + 1]
        value = text[1:-1].replace("''", "'")
        tokens.append(Token(T.STRING, base + pos, base + quote + 1, text, value))
        return quote + 1


def _number(source: str, pos: int, base: int, tokens: list[Token]) -> int:
    match = _NUMBER_RUN.match(source, pos + 1)
    end = match.end() if match else pos + 1
    text = source[pos:end]
    value = parse_number(text)
    if math.isnan(value) or not text.strip():
        raise ExpressionError(f"unexpected symbol {text!r}: not a number", base + pos)
    tokens.append(Token(T.NUMBER, base + pos, base + end, text, value))
    return end


def _word(source: str, pos: int, base: int, tokens: list[Token]) -> int:
    match = _WORD_RUN.match(source, pos)
    end = match.end() if match else pos
    if end == pos:  # a lone '=', '&', '|' or similar: nothing else starts here
        end = pos + 1
    text = source[pos:end]
    if not _IDENTIFIER.fullmatch(text):
        hint = ""
        if text.startswith('"'):
            hint = " (strings take single quotes)"
        elif text in ("=", "&", "|"):
            hint = f" (did you mean '{text * 2}'?)"
        raise ExpressionError(f"unexpected symbol {text!r}{hint}", base + pos)
    after_dot = bool(tokens) and tokens[-1].type is T.DOT
    if not after_dot and text in _KEYWORDS:
        tokens.append(Token(_KEYWORDS[text], base + pos, base + end, text))
    elif not after_dot and text in ("NaN", "Infinity"):
        number = math.nan if text == "NaN" else math.inf
        tokens.append(Token(T.NUMBER, base + pos, base + end, text, number))
    else:
        tokens.append(Token(T.IDENT, base + pos, base + end, text))
    return end
