"""GitHub Actions `${{ }}` expressions: parse, print, find in strings, evaluate statically.

This module is the public entry point; the work is split over `expr_*` modules with one job
each (tree, lexer, parser, printer, values, evaluator, finder).

    node = parse("github.event_name == 'push' && !cancelled()")
    unparse(node)                  # canonical text
    references(node)               # [("github", "event_name")]
    calls(node)                    # {"cancelled"}
    evaluate(node, {"github": {"event_name": "push"}})   # UNKNOWN (cancelled() needs the run)
"""

from __future__ import annotations

from ghtotekton.github.expr_ast import (
    Call,
    Compare,
    EvaluationError,
    ExpressionError,
    Filter,
    Index,
    Literal,
    LiteralValue,
    Logical,
    Node,
    Not,
    Property,
    Variable,
    calls,
    iter_nodes,
    references,
)
from ghtotekton.github.expr_eval import evaluate
from ghtotekton.github.expr_finder import Embedded, find_expressions, parse_if, strip_if
from ghtotekton.github.expr_parser import CONTEXTS, FUNCTIONS, parse
from ghtotekton.github.expr_printer import unparse
from ghtotekton.github.expr_values import (
    UNKNOWN,
    FilteredArray,
    is_truthy,
    loose_equals,
    parse_number,
    to_json,
    to_number,
    to_string,
)

__all__ = [
    "CONTEXTS",
    "FUNCTIONS",
    "UNKNOWN",
    "Call",
    "Compare",
    "Embedded",
    "EvaluationError",
    "ExpressionError",
    "Filter",
    "FilteredArray",
    "Index",
    "Literal",
    "LiteralValue",
    "Logical",
    "Node",
    "Not",
    "Property",
    "Variable",
    "calls",
    "evaluate",
    "find_expressions",
    "is_truthy",
    "iter_nodes",
    "loose_equals",
    "parse",
    "parse_if",
    "parse_number",
    "references",
    "strip_if",
    "to_json",
    "to_number",
    "to_string",
    "unparse",
]
