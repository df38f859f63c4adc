"""Canonical text for an expression tree: minimal parentheses, one spelling per construct.

The promise is `parse(unparse(tree)) == tree`, so every choice here (where parentheses go,
how numbers print) is made so that the parser reads back exactly the same tree.
"""

from __future__ import annotations

import math
import re

from ghtotekton.github.expr_ast import (
    Call,
    Compare,
    Filter,
    Index,
    Literal,
    LiteralValue,
    Logical,
    Node,
    Not,
    Property,
    Variable,
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_LEVELS = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}
_NOT_LEVEL = 5
_POSTFIX_LEVEL = 6


def _level(node: Node) -> int:
    if isinstance(node, Logical | Compare):
        return _LEVELS[node.op]
    if isinstance(node, Not):
        return _NOT_LEVEL
    return _POSTFIX_LEVEL


def literal_text(value: LiteralValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value)
    return "'" + value.replace("'", "''") + "'"


def _number_text(value: float) -> str:
    try:
        number = float(value)
    except OverflowError:
        number = math.inf if value > 0 else -math.inf
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return repr(number)  # shortest text that reads back as the same double


def unparse(node: Node) -> str:
    """Canonical source text of a tree (without the `${{ }}` around it)."""
    if isinstance(node, Literal):
        return literal_text(node.value)
    if isinstance(node, Variable):
        return node.name
    if isinstance(node, Property):
        if _IDENTIFIER.fullmatch(node.name):
            return f"{_operand(node.obj)}.{node.name}"
        return f"{_operand(node.obj)}[{literal_text(node.name)}]"
    if isinstance(node, Index):
        return f"{_operand(node.obj)}[{unparse(node.index)}]"
    if isinstance(node, Filter):
        return f"{_operand(node.obj)}.*"
    if isinstance(node, Not):
        return "!" + _wrap(node.expr, _NOT_LEVEL)
    if isinstance(node, Compare | Logical):
        level = _LEVELS[node.op]
        # Left-associative: an equal-level operator on the right needs parentheses.
        return f"{_wrap(node.left, level)} {node.op} {_wrap(node.right, level + 1)}"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(unparse(arg) for arg in node.args)})"
    raise TypeError(f"not an expression node: {node!r}")


def _wrap(node: Node, minimum: int) -> str:
    text = unparse(node)
    return text if _level(node) >= minimum else f"({text})"


def _operand(node: Node) -> str:
    """The left side of `.name` / `[i]`: GitHub allows only contexts, calls and groups there."""
    text = unparse(node)
    if isinstance(node, Variable | Call | Property | Index | Filter):
        return text
    return f"({text})"
