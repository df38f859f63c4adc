"""The tree of a GitHub Actions `${{ }}` expression, and the walks the converter needs over it.

Positions (`start`, `end`) are 0-based offsets, `end` exclusive, and never take part in equality:
two trees are equal when they mean the same thing, which is what a round trip through the printer
has to preserve.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from ghtotekton.github.expr_values import to_string

LiteralValue = None | bool | float | str


class ExpressionError(ValueError):
    """An expression that GitHub would reject; `offset` is 0-based in the text that was parsed."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at offset {self.offset})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, {self.offset})"


class EvaluationError(ExpressionError):
    """An expression that parses but fails when GitHub evaluates it (bad format, bad JSON)."""


@dataclass(frozen=True, slots=True)
class Node:
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


def _literal_key(value: LiteralValue) -> tuple[str, object]:
    # bool is an int in Python, and NaN is not equal to itself: neither may leak into equality.
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        number = float(value)
        return ("number", "NaN" if math.isnan(number) else number)
    return ("string", value)


@dataclass(frozen=True, slots=True, eq=False)
class Literal(Node):
    value: LiteralValue

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Literal):
            return NotImplemented
        return _literal_key(self.value) == _literal_key(other.value)

    def __hash__(self) -> int:
        return hash(_literal_key(self.value))


@dataclass(frozen=True, slots=True)
class Variable(Node):
    """The root of a context path (`github`, `matrix`...); the name is kept lowercase."""

    name: str


@dataclass(frozen=True, slots=True)
class Property(Node):
    """`obj.name`: the name is kept as written, lookups ignore case."""

    obj: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    """`obj[index]`, including `obj['name']`."""

    obj: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Filter(Node):
    """`obj.*` or `obj[*]`: the object filter."""

    obj: Node


@dataclass(frozen=True, slots=True)
class Not(Node):
    expr: Node


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # one of == != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Logical(Node):
    op: str  # && or ||
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call; `name` is GitHub's canonical spelling (`startsWith`, `toJSON`)."""

    name: str
    args: tuple[Node, ...] = ()


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Property | Filter):
        return (node.obj,)
    if isinstance(node, Index):
        return (node.obj, node.index)
    if isinstance(node, Not):
        return (node.expr,)
    if isinstance(node, Compare | Logical):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def iter_nodes(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, left to right, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def depth(node: Node) -> int:
    """Height of the tree, counted without recursion so that any tree can be measured."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in children(current))
    return best


def calls(node: Node) -> set[str]:
    """Lowercase names of the functions used, e.g. to spot `always()` in an `if:`."""
    return {n.name.lower() for n in iter_nodes(node) if isinstance(n, Call)}


def _path_of(node: Node) -> tuple[tuple[str, ...] | None, list[Node]]:
    """The context path a postfix chain reads, plus the sub-expressions it reads on the way."""
    parts: list[str] = []
    extra: list[Node] = []
    current = node
    while True:
        if isinstance(current, Property):
            parts.append(current.name)
            current = current.obj
        elif isinstance(current, Filter):
            parts.append("*")
            current = current.obj
        elif isinstance(current, Index):
            index = current.index
            if isinstance(index, Literal) and isinstance(index.value, str):
                parts.append(index.value)
            elif (
                isinstance(index, Literal)
                and isinstance(index.value, int | float)
                and not isinstance(index.value, bool)
            ):
                parts.append(to_string(index.value))
            else:
                parts.append("*")
                extra.append(index)
            current = current.obj
        elif isinstance(current, Variable):
            parts.append(current.name)
            return tuple(reversed(parts)), extra
        else:
            extra.append(current)
            return None, extra


def references(node: Node) -> list[tuple[str, ...]]:
    """The context paths an expression reads, longest form only, in source order, no duplicates.

    Constant indexes fold into the path (`matrix['os']` -> `("matrix", "os")`); anything computed
    becomes "*", and the index expression's own reads are listed too.
    """
    found: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Variable | Property | Index | Filter):
            path, extra = _path_of(current)
            if path is not None and path not in seen:
                seen.add(path)
                found.append(path)
            stack.extend(extra)  # collected outermost first, so the innermost pops first
        else:
            stack.extend(reversed(children(current)))
    return found
