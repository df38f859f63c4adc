"""Unit tests for the `${{ }}` expression language: lexer, parser, printer, evaluator, finder.

Expected values come from GitHub's documentation ("Evaluate expressions in workflows and
actions") and from GitHub's own evaluator rules, worked out by hand.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from ghtotekton.github.expressions import (
    UNKNOWN,
    Call,
    Compare,
    EvaluationError,
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
    parse_if,
    parse_number,
    references,
    strip_if,
    to_string,
    unparse,
)

GITHUB = Variable("github")
MATRIX = Variable("matrix")


def ev(source: str, ctx: dict[str, Any] | None = None, *, complete: bool = False) -> Any:
    return evaluate(parse(source), ctx or {}, complete=complete)


# --- lexer and literals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ("711", 711.0),
        ("-9.2", -9.2),
        ("0xff", 255.0),
        ("0x1F", 31.0),
        ("-2.99e-2", -0.0299),
        ("1e3", 1000.0),
        ("1E+3", 1000.0),
        (".5", 0.5),
        ("1.", 1.0),
        ("+5", 5.0),
        ("0o17", 15.0),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        ("'It''s open source!'", "It's open source!"),
        ("''", ""),
        ("'a''''b'", "a''b"),
        ("'}}'", "}}"),
    ],
)
def test_literals(source: str, value: Any) -> None:
    node = parse(source)
    assert node == Literal(value)
    assert type(node.value) is type(value)  # type: ignore[attr-defined]


def test_nan_literal() -> None:
    node = parse("NaN")
    assert isinstance(node, Literal) and isinstance(node.value, float)
    assert math.isnan(node.value)


@pytest.mark.parametrize(
    ("source", "offset"),
    [
        ("1 = 2", 2),
        ('"double"', 0),
        ("'unterminated", 0),
        ("github.sha & 1", 11),
        ("github.sha | 1", 11),
        ("1.2.3", 0),
        ("-0x1F", 0),
        ("1-2", 0),
        ("github.sha + 1", 11),
        ("0xZZ", 0),
        ("a$b", 0),
        ("github.s\u00e9", 7),
        ("True", 0),
        ("#", 0),
    ],
)
def test_lexer_errors_carry_offset(source: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert info.value.offset == offset


def test_error_is_a_value_error_with_message() -> None:
    with pytest.raises(ValueError, match="single quotes"):
        parse('"x"')


def test_offsets_shift_with_base() -> None:
    node = parse("github.sha", offset=10)
    assert (node.start, node.end) == (10, 20)
    with pytest.raises(ExpressionError) as info:
        parse("github.sha ==", offset=10)
    assert info.value.offset == 23


# --- parser: structure and precedence -----------------------------------------------------------


def v(name: str) -> Node:
    return Property(GITHUB, name)


A, B, C, D = v("a"), v("b"), v("c"), v("d")


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("github.a || github.b && github.c", Logical("||", A, Logical("&&", B, C))),
        ("github.a && github.b || github.c", Logical("||", Logical("&&", A, B), C)),
        (
            "github.a && github.b || github.c && github.d",
            Logical("||", Logical("&&", A, B), Logical("&&", C, D)),
        ),
        ("github.a || github.b || github.c", Logical("||", Logical("||", A, B), C)),
        ("(github.a || github.b) && github.c", Logical("&&", Logical("||", A, B), C)),
        ("github.a == github.b && github.c", Logical("&&", Compare("==", A, B), C)),
        ("github.a == github.b < github.c", Compare("==", A, Compare("<", B, C))),
        ("github.a < github.b == github.c", Compare("==", Compare("<", A, B), C)),
        ("github.a < github.b < github.c", Compare("<", Compare("<", A, B), C)),
        ("github.a != github.b == github.c", Compare("==", Compare("!=", A, B), C)),
        ("!github.a == github.b", Compare("==", Not(A), B)),
        ("!(github.a == github.b)", Not(Compare("==", A, B))),
        ("!!github.a", Not(Not(A))),
        ("!github.a.b", Not(Property(A, "b"))),
        ("github.a <= github.b", Compare("<=", A, B)),
        ("github.a >= github.b", Compare(">=", A, B)),
        ("github.a > github.b", Compare(">", A, B)),
    ],
)
def test_precedence(source: str, tree: Node) -> None:
    assert parse(source) == tree


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("github", GITHUB),
        ("GitHub.SHA", Property(GITHUB, "SHA")),
        ("matrix['os']", Index(MATRIX, Literal("os"))),
        ("matrix[github.a]", Index(MATRIX, A)),
        ("github.event.*", Filter(Property(GITHUB, "event"))),
        ("github.event[*]", Filter(Property(GITHUB, "event"))),
        ("github.x.*.name", Property(Filter(Property(GITHUB, "x")), "name")),
        ("github.true", Property(GITHUB, "true")),
        ("github.null.NaN", Property(Property(GITHUB, "null"), "NaN")),
        ("github.with-dash_1", Property(GITHUB, "with-dash_1")),
        ("github.commits[0]", Index(Property(GITHUB, "commits"), Literal(0.0))),
        ("('abc').length", Property(Literal("abc"), "length")),
        ("fromJson('[1]')[0]", Index(Call("fromJSON", (Literal("[1]"),)), Literal(0.0))),
        ("TOJSON(github)", Call("toJSON", (GITHUB,))),
        ("success()", Call("success", ())),
        ("format('x', 1,)", Call("format", (Literal("x"), Literal(1.0)))),
        ("  github . sha  ", Property(GITHUB, "sha")),
        ("github\n&&\tmatrix", Logical("&&", GITHUB, MATRIX)),
    ],
)
def test_postfix_and_calls(source: str, tree: Node) -> None:
    assert parse(source) == tree


def test_every_known_context_parses() -> None:
    known = "github env vars job jobs steps runner secrets strategy matrix needs inputs"
    for name in known.split(" "):
        assert parse(name.upper()) == Variable(name)


@pytest.mark.parametrize(
    "source",
    [
        "",
        "   ",
        "github.",
        "github..sha",
        "github.sha ==",
        "1 2",
        "github.sha )",
        "(github.sha",
        "github[",
        "github['a'",
        "github.*.",
        "'abc'.length",
        "'abc'[0]",
        "1[0]",
        "foo.bar",
        "nosuchcontext",
        "unknownFunc()",
        "contains('a')",
        "contains('a', 'b', 'c')",
        "success(1)",
        "toJSON()",
        "join()",
        "join(1, 2, 3)",
        "case(true, 'a')",
        "case(true)",
        "case(true, 'a', false, 'b')",
        "format()",
        "hashFiles()",
        "f(,)",
        "contains(,'a')",
        "!",
        "github.0",
        "github[*",
        "(" * 60 + "github" + ")" * 60,
        "!" * 60 + "github",
    ],
)
def test_parse_errors(source: str) -> None:
    with pytest.raises(ExpressionError):
        parse(source)


@pytest.mark.parametrize(
    ("source", "offset", "fragment"),
    [
        ("foo.bar", 0, "named-value"),
        ("github.sha == nope", 14, "named-value"),
        ("contains('a')", 0, "too few"),
        ("github.sha && startsWith(1, 2, 3)", 14, "too many"),
        ("github.sha ==", 13, "end of expression"),
        ("github.sha )", 11, "')'"),
        ("case(true, 'a', false, 'b')", 0, "odd"),
        ("nope(1)", 0, "function"),
    ],
)
def test_parse_error_messages(source: str, offset: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert info.value.offset == offset
    assert fragment in info.value.message


def test_positions() -> None:
    node = parse("!contains(github.event.name, 'x')")
    assert isinstance(node, Not)
    assert (node.start, node.end) == (0, 33)
    call = node.expr
    assert isinstance(call, Call)
    assert (call.start, call.end) == (1, 33)
    prop = call.args[0]
    assert (prop.start, prop.end) == (10, 27)
    lit = call.args[1]
    assert (lit.start, lit.end) == (29, 32)
    cmp = parse("github.a  ==  'b'")
    assert (cmp.start, cmp.end) == (0, 17)


def test_positions_do_not_take_part_in_equality() -> None:
    assert parse("github.sha") == parse("   github.sha")
    assert hash(parse("github.sha")) == hash(parse("   github.sha"))
    assert parse("1") != parse("true")  # bool is not a number, even in Python
    assert parse("0") != parse("false")
    assert parse("NaN") == parse("NaN")


def test_long_chains_within_limits_parse() -> None:
    source = " || ".join(f"github.x{i}" for i in range(100))
    node = parse(source)
    assert len(references(node)) == 100


# --- printer --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("GitHub.SHA", "github.SHA"),
        ("TOJSON( github )", "toJSON(github)"),
        ("startswith(github.ref,'refs/tags/')", "startsWith(github.ref, 'refs/tags/')"),
        ("(github.a || github.b) && github.c", "(github.a || github.b) && github.c"),
        ("(github.a && github.b) || github.c", "github.a && github.b || github.c"),
        ("github.a || (github.b || github.c)", "github.a || (github.b || github.c)"),
        ("(github.a == 1) == 2", "github.a == 1 == 2"),
        ("!(github.a)", "!github.a"),
        ("!(github.a == 1)", "!(github.a == 1)"),
        ("('a').b", "('a').b"),
        ("(!github.a).b", "(!github.a).b"),
        ("github[*]", "github.*"),
        ("matrix['o''s']", "matrix['o''s']"),
        ("0xff", "255"),
        ("3.10", "3.1"),
        ("1e21", "1e+21"),
        ("-0.5", "-0.5"),
        ("NaN", "NaN"),
        ("-Infinity", "-Infinity"),
        ("null", "null"),
    ],
)
def test_unparse_canonical(source: str, text: str) -> None:
    assert unparse(parse(source)) == text
    assert parse(text) == parse(source)


def test_unparse_property_with_odd_name_uses_brackets() -> None:
    assert unparse(Property(GITHUB, "a b")) == "github['a b']"


# --- evaluator: operators and coercion ------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # the documentation's coercion table
        ("null == 0", True),
        ("null == false", True),
        ("false == 0", True),
        ("true == 1", True),
        ("true == 2", False),
        ("'' == 0", True),
        ("'' == null", True),
        ("'' == false", True),
        ("' 12 ' == 12", True),
        ("'1e3' == 1000", True),
        ("'0x10' == 16", True),
        ("'abc' == 0", False),
        ("true == '1'", True),
        ("true == 'true'", False),
        ("fromJSON('[]') == 0", False),
        ("fromJSON('{}') == fromJSON('{}')", False),
        ("fromJSON('[]') == fromJSON('[]')", False),
        ("NaN == NaN", False),
        ("NaN != NaN", True),
        ("'abc' == 'ABC'", True),
        ("'abc' != 'ABC'", False),
        ("null == null", True),
        ("null == ''", True),
        ("1 == 1.0", True),
        # ordering
        ("'a' < 'B'", True),
        ("'B' > 'a'", True),
        ("'abc' <= 'ABC'", True),
        ("'abc' < 'ABC'", False),
        ("2 > '10'", False),
        ("'2' > '10'", True),
        ("null < 1", True),
        ("false < true", True),
        ("true > false", True),
        ("true < true", False),
        ("null > null", False),
        ("null >= null", True),
        ("1 < 'abc'", False),
        ("1 >= 'abc'", False),
        ("NaN < 1", False),
        ("NaN >= NaN", False),
        ("fromJSON('[]') < fromJSON('[]')", False),
        ("1 <= 1", True),
        ("-Infinity < -1e308", True),
    ],
)
def test_comparison_rules(source: str, expected: bool) -> None:
    assert ev(source) is expected


def test_same_instance_objects_are_equal() -> None:
    event = {"a": [1]}
    assert ev("github.event == github.event", {"github": {"event": event}}) is True
    assert ev("github.event.a == github.event.a", {"github": {"event": event}}) is True
    assert ev(
        "github.event == github.other", {"github": {"event": event, "other": {"a": [1]}}}
    ) is (False)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'' || 'default'", "default"),
        ("'a' && 'b'", "b"),
        ("'a' || 'b'", "a"),
        ("null || false", False),
        ("null && false", None),
        ("0 && 'x'", 0.0),
        ("1 && 0 || 'z'", "z"),
        ("!0", True),
        ("!''", True),
        ("!'false'", False),
        ("!'0'", False),
        ("!null", True),
        ("!NaN", True),
        ("!-0", True),
        ("!fromJSON('[]')", False),
        ("!fromJSON('{}')", False),
    ],
)
def test_logical_operators_return_operands(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (False, False),
        (0, False),
        (-0.0, False),
        ("", False),
        (None, False),
        (math.nan, False),
        (True, True),
        (1, True),
        ("false", True),
        ("0", True),
        ([], True),
        ({}, True),
        (-1, True),
    ],
)
def test_is_truthy(value: Any, truthy: bool) -> None:
    assert is_truthy(value) is truthy


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (False, "false"),
        (3.10, "3.1"),
        (1.0, "1"),
        (711, "711"),
        (-9.2, "-9.2"),
        (0.1 + 0.2, "0.3"),
        (1e21, "1e+21"),
        (123456789012, "123456789012"),
        (-0.0, "0"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (1e-16, "0"),
        (2.5e-5, "0.000025"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        ("text", "text"),
        ([1], "Array"),
        ({"a": 1}, "Object"),
    ],
)
def test_to_string(value: Any, text: str) -> None:
    assert to_string(value) == text


def test_unknown_has_no_string_or_truth() -> None:
    with pytest.raises(ValueError):
        to_string(UNKNOWN)
    with pytest.raises(ValueError):
        is_truthy(UNKNOWN)
    with pytest.raises(TypeError):
        bool(UNKNOWN)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("", 0.0),
        ("  ", 0.0),
        (" 42 ", 42.0),
        ("-1.5e2", -150.0),
        ("0x1f", 31.0),
        ("0o10", 8.0),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
    ],
)
def test_parse_number(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["abc", "1_000", "nan", "inf", "1,5", "0x", "--1", "1e", "\u0661"])
def test_parse_number_nan(text: str) -> None:
    assert math.isnan(parse_number(text))


# --- evaluator: contexts and property access ------------------------------------------------------

CTX: dict[str, Any] = {
    "github": {
        "event_name": "push",
        "Ref": "refs/heads/main",
        "event": {
            "issue": {"labels": [{"name": "bug"}, {"name": "help wanted"}]},
            "commits": [{"message": "first"}, {"message": "second"}],
        },
    },
    "matrix": {"os": "ubuntu-latest", "python": 3.1},
    "inputs": {
        "fruits": [
            {"name": "apple", "quantity": 1},
            {"name": "orange", "quantity": 2},
            {"name": "pear", "quantity": 1},
        ],
        "nested": [[1, 2], [3]],
        "map": {"a": {"x": 1}, "b": {"x": 2}, "c": {"y": 3}},
    },
    "job": {"status": "success"},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("github.event_name", "push"),
        ("GITHUB.EVENT_NAME", "push"),
        ("github.ref", "refs/heads/main"),
        ("github['REF']", "refs/heads/main"),
        ("github.event.commits[1].message", "second"),
        ("github.event.commits['1'].message", "second"),
        ("github.event.commits[1.7].message", "second"),
        ("github.event.commits[5]", None),
        ("github.event.commits[-1]", None),
        ("github.event.commits.message", None),
        ("github.event_name.length", None),
        ("github.event.commits[0].message.x", None),
        ("inputs.fruits.*.name", ["apple", "orange", "pear"]),
        ("inputs.fruits[*].quantity", [1, 2, 1]),
        ("inputs.nested.*[0]", [1, 3]),
        ("inputs.nested.*.*", [1, 2, 3]),
        ("github.event_name.*", []),
        ("matrix.python == '3.1'", True),
        ("format('{0}', matrix.python)", "3.1"),
    ],
)
def test_property_access(source: str, expected: Any) -> None:
    assert ev(source, CTX) == expected


def test_filter_skips_missing_keys_only_when_complete() -> None:
    assert ev("inputs.map.*.x", CTX, complete=True) == [1, 2]
    assert ev("inputs.map.*.x", CTX) is UNKNOWN


def test_missing_is_unknown_unless_complete() -> None:
    assert ev("github.nope", CTX) is UNKNOWN
    assert ev("github.nope", CTX, complete=True) is None
    assert ev("secrets.TOKEN", CTX) is UNKNOWN
    assert ev("secrets.TOKEN", CTX, complete=True) is None
    assert ev("secrets.TOKEN.x", CTX) is UNKNOWN
    assert ev("github.event.commits[github.nope]", CTX) is UNKNOWN
    assert ev("github.event_name[github.nope]", CTX) is None


def test_docs_examples() -> None:
    assert ev("contains('Hello world', 'llo')") is True
    assert ev("contains(github.event.issue.labels.*.name, 'bug')", CTX) is True
    assert ev('contains(fromJSON(\'["push", "pull_request"]\'), github.event_name)', CTX) is True
    assert ev("startsWith('Hello world', 'He')") is True
    assert ev("endsWith('Hello world', 'ld')") is True
    assert ev("format('Hello {0} {1} {2}', 'Mona', 'the', 'Octocat')") == "Hello Mona the Octocat"
    assert (
        ev("format('{{Hello {0} {1} {2}!}}', 'Mona', 'the', 'Octocat')")
        == "{Hello Mona the Octocat!}"
    )
    assert ev("join(github.event.issue.labels.*.name, ', ')", CTX) == "bug, help wanted"
    assert ev("toJSON(job)", CTX) == '{\n  "status": "success"\n}'
    assert ev("fromJSON('{\"a\": 10}').a == 10") is True


# --- evaluator: functions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("contains('Hello', 'LL')", True),
        ("contains('Hello', 'x')", False),
        ("contains(fromJSON('[1, 2]'), '2')", True),
        ("contains(fromJSON('[\"a\"]'), 'A')", True),
        ("contains(fromJSON('[\"a\"]'), 'b')", False),
        ("contains('abc', fromJSON('[]'))", False),
        ("contains(fromJSON('{\"a\": 1}'), 'a')", False),
        ("contains(1234, 23)", True),
        ("contains('true', true)", True),
        ("contains(null, '')", True),
        ("startsWith('Hello', 'he')", True),
        ("startsWith('Hello', 'lo')", False),
        ("endsWith('Hello', 'LO')", True),
        ("startsWith(12, 1)", True),
        ("startsWith(fromJSON('[]'), '')", False),
        ("endsWith('x', fromJSON('{}'))", False),
        ("join('abc')", "abc"),
        ("join('abc', '-')", "abc"),
        ("join(fromJSON('[1, \"a\", true, null]'))", "1,a,true,"),
        ("join(fromJSON('[1, \"a\"]'), null)", "1a"),
        ("join(fromJSON('[1, [2], {}]'), ' ')", "1 Array Object"),
        ("join(fromJSON('{\"a\": 1}'))", ""),
        ("join(null)", ""),
        ("toJSON('abc')", '"abc"'),
        ("toJSON('a\"b\\c\nd')", '"a\\"b\\\\c\\nd"'),  # no escapes in expression strings
        ("toJSON(1.5)", "1.5"),
        ("toJSON(true)", "true"),
        ("toJSON(null)", "null"),
        ("toJSON(NaN)", "null"),
        ("toJSON(fromJSON('[]'))", "[]"),
        ("toJSON(fromJSON('{}'))", "{}"),
        ("toJSON(fromJSON('[1, [2]]'))", "[\n  1,\n  [\n    2\n  ]\n]"),
        ("fromJSON('true')", True),
        ("fromJSON('null')", None),
        ("fromJSON(' \"x\" ')", "x"),
        ("fromJSON('[1, 2]')[1]", 2.0),
        ('fromJSON(\'{"A": {"b": 1}}\').a.B', 1.0),
        ("case(true, 'a', 'b')", "a"),
        ("case(false, 'a', 'b')", "b"),
        ("case(false, 'a', true, 'b', 'c')", "b"),
        ("case(false, 'a', false, 'b', 'c')", "c"),
        ("case(1 == 1, 'equal', 'not equal')", "equal"),
        ("CASE(true, 1, 2)", 1.0),
        ("format('{0}}}', 'x')", "x}"),
        ("format('{0}{0}', 'a')", "aa"),
        ("format('{1}-{0}', 'a', 'b')", "b-a"),
        ("format('plain')", "plain"),
        ("format('{0}', null)", ""),
        ("format('{0} {1}', fromJSON('[]'), fromJSON('{}'))", "Array Object"),
        ("format('{0}', 0.1)", "0.1"),
    ],
)
def test_functions(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


def test_to_json_nested_object() -> None:
    source = 'toJSON(fromJSON(\'{"a": [1, 2, {"b": null}], "c": "x"}\'))'
    expected = '{\n  "a": [\n    1,\n    2,\n    {\n      "b": null\n    }\n  ],\n  "c": "x"\n}'
    assert ev(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "format('{0')",
        "format('{0}')",
        "format('}')",
        "format('{')",
        "format('{a}', 1)",
        "format('{1}', 'x')",
        "format('{ 0}', 'x')",
        "format('{-1}', 'x')",
        "fromJSON('')",
        "fromJSON('  ')",
        "fromJSON('{')",
        "fromJSON('NaN')",
        "fromJSON('[1,]')",
        "fromJSON(fromJSON('[1]'))",
        "case(1, 'a', 'b')",
        "case('true', 'a', 'b')",
        "case(false, 'a', null, 'b', 'c')",
    ],
)
def test_evaluation_errors(source: str) -> None:
    with pytest.raises(EvaluationError):
        ev(source)


def test_evaluation_error_points_at_the_call() -> None:
    with pytest.raises(EvaluationError) as info:
        ev("github.a || format('{0')")
    assert info.value.offset == 12


# --- evaluator: UNKNOWN ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("false && github.nope", False),
        ("true || github.nope", True),
        ("'' && github.nope", ""),
        ("'x' || github.nope", "x"),
        ("case(true, 'a', github.nope, 'b', 'c')", "a"),
        ("case(false, 'a', true, github.nope, 'c')", UNKNOWN),
        ("case(github.nope, 'a', 'b')", UNKNOWN),
        ("format('{0}', 'a', github.nope)", "a"),
        ("format('{1}', 'a', github.nope)", UNKNOWN),
        ("format(github.nope, 'a')", UNKNOWN),
        ("!github.nope", UNKNOWN),
        ("github.nope && false", UNKNOWN),
        ("github.nope || true", UNKNOWN),
        ("true && github.nope", UNKNOWN),
        ("github.nope == github.nope", UNKNOWN),
        ("github.nope == 1", UNKNOWN),
        ("contains(github.nope, 'a')", UNKNOWN),
        ("startsWith('a', github.nope)", UNKNOWN),
        ("toJSON(github.nope)", UNKNOWN),
        ("fromJSON(github.nope)", UNKNOWN),
        ("join(github.nope)", UNKNOWN),
        ("github.nope.deeper['x'].*.y", UNKNOWN),
        ("success()", UNKNOWN),
        ("always()", UNKNOWN),
        ("failure() || true", UNKNOWN),
        ("cancelled()", UNKNOWN),
        ("hashFiles('**/*.lock')", UNKNOWN),
    ],
)
def test_unknown_propagation(source: str, expected: Any) -> None:
    result = ev(source, {"github": {}})
    if expected is UNKNOWN:
        assert result is UNKNOWN
    else:
        assert result == expected


def test_unknown_inside_values() -> None:
    ctx = {"github": {"list": ["a", UNKNOWN], "obj": {"k": UNKNOWN}}}
    assert ev("contains(github.list, 'a')", ctx) is True
    assert ev("contains(github.list, 'b')", ctx) is UNKNOWN
    assert ev("join(github.list)", ctx) is UNKNOWN
    assert ev("toJSON(github.obj)", ctx) is UNKNOWN
    assert ev("github.obj.*.x", ctx) is UNKNOWN


# --- references and calls -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "paths"),
    [
        (
            "github.event.pull_request.title",
            [("github", "event", "pull_request", "title")],
        ),
        ("secrets.TOKEN", [("secrets", "TOKEN")]),
        ("matrix['python']", [("matrix", "python")]),
        ("needs.build.outputs.x", [("needs", "build", "outputs", "x")]),
        ("github.event.commits[0].message", [("github", "event", "commits", "0", "message")]),
        ("needs.*.result", [("needs", "*", "result")]),
        ("steps[matrix.id].outputs.x", [("steps", "*", "outputs", "x"), ("matrix", "id")]),
        ("fromJSON(needs.a.outputs.m).include", [("needs", "a", "outputs", "m")]),
        ("GitHub.sha == github.sha", [("github", "sha")]),
        (
            "contains(github.event.issue.labels.*.name, 'bug') && github.actor",
            [("github", "event", "issue", "labels", "*", "name"), ("github", "actor")],
        ),
        ("matrix[github.a][github.b]", [("matrix", "*", "*"), ("github", "a"), ("github", "b")]),
        ("'literal' == 1", []),
        ("env", [("env",)]),
    ],
)
def test_references(source: str, paths: list[tuple[str, ...]]) -> None:
    assert references(parse(source)) == paths


def test_calls() -> None:
    assert calls(parse("always() && Failure() || !CANCELLED()")) == {
        "always",
        "failure",
        "cancelled",
    }
    assert calls(parse("github.sha")) == set()
    assert calls(parse("contains(toJSON(github), 'x')")) == {"contains", "tojson"}


# --- finder ---------------------------------------------------------------------------------------


def test_find_expressions_basic() -> None:
    text = "echo ${{ github.sha }} and ${{matrix.os}}"
    found = find_expressions(text)
    assert [e.source for e in found] == ["github.sha", "matrix.os"]
    assert [(e.start, e.end) for e in found] == [(5, 22), (27, 41)]
    assert all(text[e.start : e.start + 3] == "${{" for e in found)
    assert all(text[e.end - 2 : e.end] == "}}" for e in found)
    first = found[0].node
    assert first is not None
    assert text[first.start : first.end] == "github.sha"
    assert found[0].error is None


def test_find_expressions_close_braces_inside_strings() -> None:
    text = "x ${{ format('{0}}}', github.sha) }} y"
    (found,) = find_expressions(text)
    assert found.source == "format('{0}}}', github.sha)"
    assert found.end == len(text) - 2
    assert found.node == Call("format", (Literal("{0}}}"), Property(GITHUB, "sha")))


def test_find_expressions_quotes_and_stray_braces() -> None:
    (found,) = find_expressions("${{ 'it''s }}' }}}")
    assert found.node == Literal("it's }}")
    assert found.end == len("${{ 'it''s }}' }}")
    (literal,) = find_expressions("${{ '${{' }}")
    assert literal.node == Literal("${{")
    assert find_expressions("a }} b {{ c") == []


def test_find_expressions_errors() -> None:
    text = "ok ${{ github.sha }} then ${{ bad.ctx }} and ${{ never closed"
    found = find_expressions(text)
    assert [e.error is None for e in found] == [True, False, False]
    assert found[1].error is not None and found[1].error.offset == text.index("bad.ctx")
    last = found[2]
    assert last.node is None and last.end == len(text)
    assert last.error is not None and last.error.offset == text.index("${{ never")
    (empty,) = find_expressions("${{ }}")
    assert empty.error is not None and empty.node is None
    (quote,) = find_expressions("${{ 'open }}")
    assert quote.error is not None and quote.end == len("${{ 'open }}")


def test_find_expressions_in_a_script() -> None:
    script = "\n".join(
        f"echo ${{{{ matrix.v{i} }}}} '}}}}' \"${{{{ env.E }}}}\"" for i in range(50)
    )
    found = find_expressions(script)
    assert len(found) == 100
    assert all(e.error is None for e in found)


def test_strip_if() -> None:
    assert strip_if("github.ref == 'refs/heads/main'") == "github.ref == 'refs/heads/main'"
    assert strip_if("  ${{ github.ref == 'x' }}") == "format('  {0}', github.ref == 'x')"
    assert strip_if("${{ github.ref == 'x' }}") == "github.ref == 'x'"
    assert strip_if("${{ false }} && true") == "format('{0} && true', false)"
    assert strip_if("") == "success()"
    with pytest.raises(ExpressionError):
        strip_if("${{ a.b }}{x}")
    with pytest.raises(ExpressionError) as info:
        strip_if("${{ github.a")
    assert info.value.offset == 0


def test_parse_if() -> None:
    assert parse_if("github.event_name == 'push'") == parse("github.event_name == 'push'")
    assert parse_if("${{ always() }}") == Call("always", ())
    node = parse_if("${{ github.sha }}")
    assert (node.start, node.end) == (4, 14)
    mixed = parse_if("${{ false }} && {x}")
    assert mixed == Call("format", (Literal("{0} && {{x}}"), Literal(False)))
    assert evaluate(mixed, {}) == "false && {x}"
    block = parse_if("${{ github.a }}\n")  # a block scalar's newline: always true on GitHub
    assert isinstance(block, Call) and block.name == "format"
    assert parse_if("   ") == Call("success", ())
    with pytest.raises(ExpressionError) as info:
        parse_if("x ${{ nope }}")
    assert info.value.offset == 6
    with pytest.raises(ExpressionError):
        parse_if("${{ github.a")
