"""Recursive-descent parser for `${{ }}` expressions, with GitHub's grammar and limits.

Precedence, low to high: `||`, `&&`, `==` `!=`, `<` `<=` `>` `>=`, `!`, then postfix access and
calls. Property access applies only to a context, a call or a parenthesised group, as in GitHub.
Unknown contexts and functions, and wrong argument counts, fail here rather than at run time,
because GitHub refuses the whole workflow for them.
"""

from __future__ import annotations

import functools
from typing import Final

from ghtotekton.github.expr_ast import (
    Call,
    Compare,
    ExpressionError,
    Filter,
    Index,
    Literal,
    Logical,
    Node,
    Not,
    Property,
    Variable,
    depth,
)
from ghtotekton.github.expr_lexer import T, Token, tokenize

CONTEXTS: Final = frozenset(
    {
        "github",
        "env",
        "vars",
        "job",
        "jobs",
        "steps",
        "runner",
        "secrets",
        "strategy",
        "matrix",
        "needs",
        "inputs",
    }
)

_MANY: Final = 255  # GitHub's cap on variadic functions

# lowercase name -> (canonical spelling, fewest arguments, most arguments)
FUNCTIONS: Final[dict[str, tuple[str, int, int]]] = {
    "contains": ("contains", 2, 2),
    "startswith": ("startsWith", 2, 2),
    "endswith": ("endsWith", 2, 2),
    "format": ("format", 1, _MANY),
    "join": ("join", 1, 2),
    "tojson": ("toJSON", 1, 1),
    "fromjson": ("fromJSON", 1, 1),
    "hashfiles": ("hashFiles", 1, _MANY),
    "success": ("success", 0, 0),
    "always": ("always", 0, 0),
    "cancelled": ("cancelled", 0, 0),
    "failure": ("failure", 0, 0),
    "case": ("case", 3, 10_000),
}

MAX_NESTING: Final = 50  # GitHub's parser depth limit; also keeps recursion far from Python's
MAX_TREE_DEPTH: Final = 250  # keeps every recursive walk of the tree safe

_COMPARISONS = {T.LT: "<", T.LE: "<=", T.GT: ">", T.GE: ">="}
_EQUALITIES = {T.EQ: "==", T.NE: "!="}


def parse(source: str, *, offset: int = 0) -> Node:
    """Parse the inside of `${{ }}`; positions in the tree and in errors are `offset`-shifted.

    Trees are immutable, and loading, checking and converting a workflow parse the same
    expressions again and again (``matrix.os``, ``github.ref`` in every job): parsed once each.
    """
    return _parse(source, offset)


@functools.lru_cache(maxsize=1 << 14)
def _parse(source: str, offset: int) -> Node:
    parser = _Parser(tokenize(source, offset))
    node = parser.parse()
    if depth(node) > MAX_TREE_DEPTH:
        raise ExpressionError(f"expression nests deeper than {MAX_TREE_DEPTH} levels", node.start)
    return node


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.nesting = 0

    # --- helpers ---

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.type is not T.EOF:
            self.pos += 1
        return token

    def accept(self, kind: T) -> Token | None:
        if self.tokens[self.pos].type is kind:
            return self.advance()
        return None

    def expect(self, kind: T, what: str) -> Token:
        token = self.peek()
        if token.type is not kind:
            raise self.unexpected(token, what)
        return self.advance()

    @staticmethod
    def unexpected(token: Token, wanted: str) -> ExpressionError:
        if token.type is T.EOF:
            return ExpressionError(f"unexpected end of expression, expected {wanted}", token.start)
        return ExpressionError(f"unexpected {token.text!r}, expected {wanted}", token.start)

    def enter(self, token: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExpressionError(f"expression nests deeper than {MAX_NESTING} levels", token.start)

    # --- grammar ---

    def parse(self) -> Node:
        if self.peek().type is T.EOF:
            raise ExpressionError("expected an expression, found nothing", self.peek().start)
        node = self.expression()
        token = self.peek()
        if token.type is not T.EOF:
            raise self.unexpected(token, "an operator or the end of the expression")
        return node

    def expression(self) -> Node:
        self.enter(self.peek())
        try:
            return self.logical_or()
        finally:
            self.nesting -= 1

    def logical_or(self) -> Node:
        node = self.logical_and()
        while self.accept(T.OR):
            right = self.logical_and()
            node = Logical("||", node, right, start=node.start, end=right.end)
        return node

    def logical_and(self) -> Node:
        node = self.equality()
        while self.accept(T.AND):
            right = self.equality()
            node = Logical("&&", node, right, start=node.start, end=right.end)
        return node

    def equality(self) -> Node:
        node = self.comparison()
        while (op := _EQUALITIES.get(self.peek().type)) is not None:
            self.advance()
            right = self.comparison()
            node = Compare(op, node, right, start=node.start, end=right.end)
        return node

    def comparison(self) -> Node:
        node = self.unary()
        while (op := _COMPARISONS.get(self.peek().type)) is not None:
            self.advance()
            right = self.unary()
            node = Compare(op, node, right, start=node.start, end=right.end)
        return node

    def unary(self) -> Node:
        bang = self.accept(T.NOT)
        if bang is None:
            return self.postfix()
        self.enter(bang)
        try:
            inner = self.unary()
        finally:
            self.nesting -= 1
        return Not(inner, start=bang.start, end=inner.end)

    def postfix(self) -> Node:
        node, accessible = self.primary()
        if not accessible:
            return node
        while True:
            if self.accept(T.DOT):
                if star := self.accept(T.STAR):
                    node = Filter(node, start=node.start, end=star.end)
                    continue
                name = self.expect(T.IDENT, "a property name or '*' after '.'")
                node = Property(node, name.text, start=node.start, end=name.end)
            elif self.accept(T.LBRACKET):
                if self.accept(T.STAR):
                    close = self.expect(T.RBRACKET, "']' after '[*'")
                    node = Filter(node, start=node.start, end=close.end)
                    continue
                index = self.expression()
                close = self.expect(T.RBRACKET, "']' to close the index")
                node = Index(node, index, start=node.start, end=close.end)
            else:
                return node

    def primary(self) -> tuple[Node, bool]:
        """The operand, and whether property access may follow it."""
        token = self.advance()
        kind = token.type
        if kind is T.STRING or kind is T.NUMBER:
            return Literal(token.value, start=token.start, end=token.end), False
        if kind is T.TRUE or kind is T.FALSE:
            return Literal(kind is T.TRUE, start=token.start, end=token.end), False
        if kind is T.NULL:
            return Literal(None, start=token.start, end=token.end), False
        if kind is T.LPAREN:
            inner = self.expression()
            self.expect(T.RPAREN, "')' to close the group")
            return inner, True
        if kind is T.IDENT:
            if self.peek().type is T.LPAREN:
                return self.call(token), True
            name = token.text.lower()
            if name not in CONTEXTS:
                known = ", ".join(sorted(CONTEXTS))
                raise ExpressionError(
                    f"unrecognized named-value {token.text!r} (contexts are {known})",
                    token.start,
                )
            return Variable(name, start=token.start, end=token.end), True
        raise self.unexpected(token, "a value, a context, a function call or '('")

    def call(self, name: Token) -> Node:
        self.advance()  # the '('
        args: list[Node] = []
        # GitHub's parser tolerates one trailing comma: `f(a, b,)`.
        while not self.accept(T.RPAREN):
            args.append(self.expression())
            if self.peek().type is not T.RPAREN:
                self.expect(T.COMMA, "',' or ')' in the argument list")
        close = self.tokens[self.pos - 1]
        spelling = _check_call(name, len(args))
        return Call(spelling, tuple(args), start=name.start, end=close.end)


def _check_call(name: Token, count: int) -> str:
    entry = FUNCTIONS.get(name.text.lower())
    if entry is None:
        raise ExpressionError(f"unrecognized function {name.text!r}", name.start)
    spelling, fewest, most = entry
    if count < fewest:
        raise ExpressionError(
            f"too few arguments for {spelling}(): {count}, needs at least {fewest}", name.start
        )
    if count > most:
        raise ExpressionError(
            f"too many arguments for {spelling}(): {count}, takes at most {most}", name.start
        )
    if spelling == "case" and count % 2 == 0:
        raise ExpressionError(
            "case() takes an odd number of arguments: predicate/value pairs, then a default",
            name.start,
        )
    return spelling
