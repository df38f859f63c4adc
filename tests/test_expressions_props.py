"""Property tests for the expression language: round trips, robustness, evaluator consistency."""

from __future__ import annotations

import math
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtotekton.github.expr_parser import CONTEXTS, FUNCTIONS
from ghtotekton.github.expressions import (
    UNKNOWN,
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
    calls,
    evaluate,
    find_expressions,
    is_truthy,
    parse,
    references,
    to_json,
    to_string,
    unparse,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,6}", fullmatch=True)
names = st.sampled_from(["a", "b", "os", "Name", "x-y", "outputs", "event", "0"])

literals = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(),
    st.integers(-(10**6), 10**6).map(float),
    st.text(max_size=8),
    st.sampled_from(["", "0", "1e3", "0x10", "true", "[1, 2]", '{"a": 1}', "{0}", "}}", "'"]),
).map(Literal)

variables = st.sampled_from(sorted(CONTEXTS)).map(Variable)


def _calls(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def build(entry: tuple[str, int, int]) -> st.SearchStrategy[Node]:
        name, fewest, most = entry
        most = min(most, fewest + 3)
        counts = st.integers(fewest, most)
        if name == "case":
            counts = st.sampled_from([3, 5])
        return counts.flatmap(
            lambda n: st.lists(children, min_size=n, max_size=n).map(
                lambda args: Call(name, tuple(args))
            )
        )

    return st.sampled_from(sorted(FUNCTIONS.values())).flatmap(build)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(Property, children, identifiers),
        st.builds(Index, children, children),
        st.builds(Filter, children),
        st.builds(Not, children),
        st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(Logical, st.sampled_from(["&&", "||"]), children, children),
        _calls(children),
    )


trees = st.recursive(st.one_of(literals, variables), _extend, max_leaves=12)


# Expression-flavoured text finds more corners of the lexer and parser than arbitrary text.
def _joined(pieces: list[str], max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


_WORDS = ["github", "matrix", "a", "toJSON", "format", "case", "true", "null", "NaN", "{", "}"]
expression_text = _joined([*"().[]*,!=<>&|' -+0123456789xeE", *_WORDS], 40)


@SETTINGS
@given(trees)
def test_unparse_then_parse_round_trips(tree: Node) -> None:
    text = unparse(tree)
    assert parse(text) == tree
    assert unparse(parse(text)) == text


@SETTINGS
@given(st.one_of(st.text(), expression_text))
def test_parse_raises_only_expression_errors(text: str) -> None:
    try:
        node = parse(text)
    except ExpressionError as err:
        assert 0 <= err.offset <= len(text)
        return
    assert parse(unparse(node)) == node
    assert 0 <= node.start <= node.end <= len(text)


@SETTINGS
@given(_joined([*"${} 'ab.x\n", "${{", "}}", "github.a"], 30))
def test_find_expressions_never_crashes(text: str) -> None:
    found = find_expressions(text)
    last = 0
    for embedded in found:
        assert text.startswith("${{", embedded.start)
        assert last <= embedded.start < embedded.end <= len(text)
        assert (embedded.node is None) != (embedded.error is None)
        if embedded.node is not None:
            assert text[embedded.node.start : embedded.node.end].strip() != ""
        last = embedded.end


@SETTINGS
@given(st.text())
def test_find_expressions_on_arbitrary_text(text: str) -> None:
    for embedded in find_expressions(text):
        assert text.startswith("${{", embedded.start)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.floats(allow_nan=True),
        st.text(max_size=5),
        st.sampled_from(["", "1", "a", "[1]", "{}"]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)),
    max_leaves=10,
)
contexts = st.dictionaries(st.sampled_from(sorted(CONTEXTS)), json_values, max_size=4)


def _same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to itself, for comparing two evaluations."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _check_value(value: Any) -> None:
    if value is UNKNOWN:
        return
    to_string(value)
    is_truthy(value)
    to_json(value)


@SETTINGS
@given(trees, contexts)
def test_evaluator_never_crashes(tree: Node, ctx: dict[str, Any]) -> None:
    results: list[tuple[Any] | None] = []
    for complete in (False, True):
        try:
            value = evaluate(tree, ctx, complete=complete)
        except ExpressionError:
            results.append(None)
            continue
        _check_value(value)
        results.append((value,))
    partial, full = results
    if full is not None and full[0] is UNKNOWN:
        # With the whole truth at hand, only what needs the run itself stays unknown.
        assert _uses_runtime(tree)
    # What partial knowledge settles must agree with the whole truth.
    if partial is not None and full is not None and partial[0] is not UNKNOWN:
        assert _same(partial[0], full[0])


def _uses_runtime(tree: Node) -> bool:
    return bool(calls(tree) & {"success", "always", "cancelled", "failure", "hashfiles"})


@SETTINGS
@given(trees)
def test_references_only_name_known_roots(tree: Node) -> None:
    for path in references(tree):
        assert path[0] in CONTEXTS
        assert all(isinstance(part, str) for part in path)


def test_parse_speed() -> None:
    """Not a benchmark: a guard against a lexer that goes quadratic or backtracks."""
    source = (
        "github.event_name == 'push' && (startsWith(github.ref, 'refs/tags/v') || "
        'contains(fromJSON(\'["main", "dev"]\'), github.ref_name)) && !cancelled() && '
        "matrix.os != 'windows-latest' && needs.build.outputs.version >= '1.2'"
    )
    began = time.perf_counter()
    for _ in range(500):
        parse(source)
    assert time.perf_counter() - began < 5.0
    long_text = "x ${{ 'a' " * 2000
    began = time.perf_counter()
    assert len(find_expressions(long_text)) == 1
    assert time.perf_counter() - began < 2.0
