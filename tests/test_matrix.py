"""`strategy.matrix` expansion against GitHub's documented examples and a plain reference model."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtotekton.github.matrix import (
    MAX_JOBS,
    MatrixError,
    MatrixExpansion,
    combination_name,
    expand_matrix,
    is_expression,
    job_display_name,
)

# --- GitHub's documented examples ("Running variations of jobs in a workflow") --------------------


def test_docs_order_first_key_varies_slowest() -> None:
    result = expand_matrix({"version": [10, 12, 14], "os": ["ubuntu-latest", "windows-latest"]})
    # Written out from the docs' list of the jobs in the order GitHub creates them.
    assert result.combinations == [
        {"version": 10, "os": "ubuntu-latest"},
        {"version": 10, "os": "windows-latest"},
        {"version": 12, "os": "ubuntu-latest"},
        {"version": 12, "os": "windows-latest"},
        {"version": 14, "os": "ubuntu-latest"},
        {"version": 14, "os": "windows-latest"},
    ]
    assert not result.dynamic and result.warnings == []


def test_docs_single_dimension() -> None:
    result = expand_matrix({"version": [10, 12, 14]})
    assert result.combinations == [{"version": 10}, {"version": 12}, {"version": 14}]


def test_docs_include_fruit_and_animal() -> None:
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }
    result = expand_matrix(matrix)
    # The six jobs the docs list, in the docs' order.
    expected = [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]
    assert result.combinations == expected
    assert [list(c) for c in result.combinations] == [list(c) for c in expected]
    # GitHub names product jobs from the product keys only, not from what include added.
    assert result.names == [
        "(apple, cat)",
        "(apple, dog)",
        "(pear, cat)",
        "(pear, dog)",
        "(banana)",
        "(banana, cat)",
    ]


def test_docs_expanding_a_configuration() -> None:
    result = expand_matrix(
        {
            "os": ["windows-latest", "ubuntu-latest"],
            "node": [14, 16],
            "include": [{"os": "windows-latest", "node": 16, "npm": 6}],
        }
    )
    assert result.combinations == [
        {"os": "windows-latest", "node": 14},
        {"os": "windows-latest", "node": 16, "npm": 6},
        {"os": "ubuntu-latest", "node": 14},
        {"os": "ubuntu-latest", "node": 16},
    ]


def test_docs_adding_a_configuration() -> None:
    result = expand_matrix(
        {
            "os": ["macos-latest", "windows-latest", "ubuntu-latest"],
            "version": [12, 14, 16],
            "include": [{"os": "windows-latest", "version": 17}],
        }
    )
    assert len(result.combinations) == 10
    assert result.combinations[-1] == {"os": "windows-latest", "version": 17}
    assert result.names[-1] == "(windows-latest, 17)"


def test_docs_include_only() -> None:
    entries = [
        {"site": "production", "datacenter": "site-a"},
        {"site": "staging", "datacenter": "site-b"},
    ]
    result = expand_matrix({"include": entries})
    assert result.combinations == [
        {"site": "production", "datacenter": "site-a"},
        {"site": "staging", "datacenter": "site-b"},
    ]
    assert result.names == ["(production, site-a)", "(staging, site-b)"]


def test_docs_exclude_partial_match() -> None:
    result = expand_matrix(
        {
            "os": ["macos-latest", "windows-latest"],
            "version": [12, 14, 16],
            "environment": ["staging", "production"],
            "exclude": [
                {"os": "macos-latest", "version": 12, "environment": "production"},
                {"os": "windows-latest", "version": 16},
            ],
        }
    )
    # The docs: 12 configurations minus one, minus the two that match windows-latest/16: nine.
    assert len(result.combinations) == 9
    assert {"os": "macos-latest", "version": 12, "environment": "production"} not in (
        result.combinations
    )
    assert all(
        not (c["os"] == "windows-latest" and c["version"] == 16) for c in result.combinations
    )


def test_include_adds_back_an_excluded_combination_at_the_end() -> None:
    result = expand_matrix(
        {"node": [22, 24], "os": ["a"], "exclude": [{"node": 24}], "include": [{"node": 24}]}
    )
    assert result.combinations == [{"node": 22, "os": "a"}, {"node": 24}]


# --- GitHub's comparison rules --------------------------------------------------------------------


def test_filters_compare_like_the_expression_operator() -> None:
    # GitHub builds `matrix.x == value` per leaf: strings ignore case, '3' equals 3.
    result = expand_matrix(
        {
            "os": ["Ubuntu", "windows"],
            "py": [3, 4],
            "exclude": [{"os": "ubuntu", "py": "3"}],
            "include": [{"OS": "WINDOWS", "arch": "x64"}],
        }
    )
    assert result.combinations == [
        {"os": "Ubuntu", "py": 4},
        {"os": "windows", "py": 3, "arch": "x64"},
        {"os": "windows", "py": 4, "arch": "x64"},
    ]


def test_object_values_match_on_their_listed_leaves() -> None:
    node12 = {"node": 12, "npm": 6}
    node14 = {"node": 14, "npm": 7}
    result = expand_matrix(
        {
            "versions": [node12, node14],
            "os": ["linux"],
            "exclude": [{"versions": {"node": 14}}],
            "include": [{"versions": {"npm": 6}, "extra": True}],
        }
    )
    assert result.combinations == [{"versions": node12, "os": "linux", "extra": True}]
    assert result.names == ["(12, 6, linux)"]


def test_later_include_overwrites_added_value_keeping_first_spelling() -> None:
    result = expand_matrix(
        {"os": ["a", "b"], "include": [{"Color": "green"}, {"os": "a", "color": "pink"}]}
    )
    assert result.combinations == [{"os": "a", "Color": "pink"}, {"os": "b", "Color": "green"}]


def test_unmatched_include_puts_matrix_keys_first() -> None:
    result = expand_matrix({"os": ["a"], "include": [{"color": "x", "os": "z"}]})
    assert [list(c.items()) for c in result.combinations] == [
        [("os", "a")],
        [("os", "z"), ("color", "x")],
    ]


def test_combinations_do_not_share_values() -> None:
    value = {"deep": [1]}
    result = expand_matrix({"v": [value], "w": [1, 2]})
    result.combinations[0]["v"]["deep"].append(2)
    assert result.combinations[1]["v"] == {"deep": [1]}
    assert value == {"deep": [1]}


def test_duplicate_values_give_duplicate_jobs() -> None:
    assert expand_matrix({"a": [1, 1]}).combinations == [{"a": 1}, {"a": 1}]


def test_no_op_entries_are_warned() -> None:
    result = expand_matrix({"os": ["a", "b"], "exclude": [{"os": "c"}], "include": [{"os": "a"}]})
    assert len(result.combinations) == 2
    assert any("exclude` entry 0" in w for w in result.warnings)
    assert any("include` entry 0" in w for w in result.warnings)


# --- names ----------------------------------------------------------------------------------------


def test_combination_name() -> None:
    assert combination_name({"os": "ubuntu-latest", "python": "3.10"}) == "(ubuntu-latest, 3.10)"
    # A YAML 3.10 is the number 3.1, and GitHub prints numbers with .NET's G15 format.
    assert combination_name({"python": 3.10, "n": 1e15, "big": 12}) == "(3.1, 1E+15, 12)"
    assert combination_name({"flag": True, "none": None, "empty": "", "list": ["x", 2]}) == (
        "(true, x, 2)"
    )
    assert combination_name({}) == ""
    assert combination_name({"a": 1, "b": 2}, keys=["B"]) == "(2)"


def test_job_display_name_is_cut_at_100_characters() -> None:
    assert job_display_name("build", {"os": "linux"}) == "build (linux)"
    assert job_display_name("build", {}) == "build"
    long = job_display_name("build", {"os": "x" * 200})
    assert len(long) == 100 and long.endswith("...") and long.startswith("build (xxx")


def test_is_expression() -> None:
    assert is_expression("${{ matrix.os }}")
    assert is_expression("prefix-${{ x }}")
    assert not is_expression("$ { { x } }")
    assert not is_expression(["${{ x }}"])
    assert not is_expression(None)


# --- dynamic matrices -----------------------------------------------------------------------------


def test_whole_matrix_expression() -> None:
    text = "${{ fromJSON(needs.a.outputs.m) }}"
    assert expand_matrix(text) == MatrixExpansion(dynamic=True, expression=text)


def test_dynamic_key_keeps_the_rest() -> None:
    result = expand_matrix(
        {"os": "${{ fromJSON(needs.a.outputs.os) }}", "py": [3, 4], "exclude": [{"os": "x"}]}
    )
    assert result.dynamic and result.dynamic_keys == ["os"] and result.expression is None
    assert result.combinations == [{"py": 3}, {"py": 4}]


@pytest.mark.parametrize(
    "matrix",
    [
        {"a": [1], "exclude": "${{ fromJSON(x) }}"},
        {"a": [1], "include": "${{ fromJSON(x) }}"},
        {"a": [1], "include": ["${{ fromJSON(x) }}"]},
        {"a": [1], "exclude": [{"a": "${{ vars.A }}"}]},
        {"a": [1, "${{ vars.A }}"], "exclude": [{"a": 1}]},
        {"${{ vars.KEY }}": [1]},
    ],
)
def test_run_time_parts_are_dynamic(matrix: dict[str, Any]) -> None:
    assert expand_matrix(matrix).dynamic


def test_expression_values_alone_are_not_dynamic() -> None:
    result = expand_matrix({"a": [1, "${{ vars.A }}"], "include": [{"x": "${{ vars.X }}"}]})
    assert not result.dynamic
    assert result.combinations == [
        {"a": 1, "x": "${{ vars.X }}"},
        {"a": "${{ vars.A }}", "x": "${{ vars.X }}"},
    ]


def test_none_is_no_matrix() -> None:
    assert expand_matrix(None) == MatrixExpansion()


# --- errors ---------------------------------------------------------------------------------------


def _error(matrix: Any) -> MatrixError:
    with pytest.raises(MatrixError) as info:
        expand_matrix(matrix)
    return info.value


def test_unknown_exclude_key() -> None:
    exc = _error({"os": ["a"], "exclude": [{"os": "a"}, {"os": "a"}, {"os": "a", "arch": "x"}]})
    assert exc.path == ("exclude", 2, "arch")
    assert "arch" in exc.message and str(exc) == exc.message


def test_exclude_key_added_only_by_include_is_unknown() -> None:
    exc = _error({"os": ["a"], "include": [{"arch": "x"}], "exclude": [{"arch": "x"}]})
    assert exc.path == ("exclude", 0, "arch")


def test_empty_list() -> None:
    exc = _error({"os": ["a"], "py": []})
    assert exc.path == ("py",) and "does not contain any values" in exc.message


@pytest.mark.parametrize("value", ["ubuntu", 3, True, None, {"a": 1}])
def test_value_that_is_not_a_list(value: Any) -> None:
    assert _error({"os": value}).path == ("os",)


@pytest.mark.parametrize(
    ("matrix", "path"),
    [
        ({}, ()),
        ({"include": []}, ()),
        ({"a": [1], "include": "nope"}, ("include",)),
        ({"a": [1], "include": [{}]}, ("include", 0)),
        ({"a": [1], "include": ["x"]}, ("include", 0)),
        ({"a": [1], "exclude": [{}]}, ("exclude", 0)),
        ({"a": [1], "exclude": None}, ("exclude",)),
        ({"a": [1], "A": [2]}, ("A",)),
        ({"a": [1], "include": [{"x": 1, "X": 2}]}, ("include", 0, "X")),
        ("not an expression", ()),
        ([1, 2], ()),
    ],
)
def test_malformed(matrix: Any, path: tuple[str | int, ...]) -> None:
    assert _error(matrix).path == path


def test_too_many_combinations() -> None:
    assert len(expand_matrix({"a": list(range(16)), "b": list(range(16))}).combinations) == MAX_JOBS
    exc = _error({"a": list(range(17)), "b": list(range(16))})
    assert "272" in exc.message and "256" in exc.message and exc.path == ()
    # include entries count too
    over = {"a": list(range(16)), "b": list(range(16)), "include": [{"a": 99}]}
    assert "257" in _error(over).message
    # exclude brings it back under the limit
    under = {"a": list(range(17)), "b": list(range(16)), "exclude": [{"a": 0}]}
    assert len(expand_matrix(under).combinations) == 256


def test_huge_product_is_refused_without_expanding() -> None:
    exc = _error({k: list(range(10)) for k in "abcdefghij"})
    assert "10000000000" in exc.message


# --- property: compare with a plain reference -----------------------------------------------------

POOL: list[Any] = ["a", "A", "b", "1", "", 1, 2, 0, True, False, None, 1.5]


def _ref_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if value.strip() == "":
        return 0.0
    try:
        return float(value)
    except ValueError:
        return math.nan


def _ref_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string"


def ref_equal(x: Any, y: Any) -> bool:
    """GitHub's `==` on two scalars: same kind compares directly, else both become numbers."""
    if _ref_kind(x) == _ref_kind(y):
        if isinstance(x, str):
            return bool(x.upper() == y.upper())
        return bool(x == y)
    a, b = _ref_number(x), _ref_number(y)
    return not math.isnan(a) and not math.isnan(b) and a == b


def reference(
    vectors: dict[str, list[Any]],
    includes: list[dict[str, Any]],
    excludes: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The docs' algorithm, step by step, with nothing clever."""
    product: list[dict[str, Any]] = [{}]
    for key, values in vectors.items():
        grown = []
        for partial in product:
            for value in values:
                combo = dict(partial)
                combo[key] = value
                grown.append(combo)
        product = grown
    if not vectors:
        product = []

    kept = []
    for combo in product:
        excluded = False
        for entry in excludes:
            if all(ref_equal(combo[k], v) for k, v in entry.items()):
                excluded = True
        if not excluded:
            kept.append(combo)

    originals = [dict(c) for c in kept]
    results = [dict(c) for c in kept]
    added = []
    for entry in includes:
        matched_any = False
        for i, original in enumerate(originals):
            fits = True
            for k, v in entry.items():
                if k in original and not ref_equal(original[k], v):
                    fits = False
            if fits:
                matched_any = True
                for k, v in entry.items():
                    if k not in original:
                        results[i][k] = v
        if not matched_any:
            new = {}
            for k, v in entry.items():
                if k in vectors:
                    new[k] = v
            for k, v in entry.items():
                if k not in vectors:
                    new[k] = v
            added.append(new)
    return results + added


values_st = st.sampled_from(POOL)


@st.composite
def matrices(
    draw: st.DrawFn,
) -> tuple[dict[str, list[Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    keys = draw(
        st.lists(st.sampled_from(["os", "py", "arch"]), min_size=2, max_size=3, unique=True)
    )
    vectors = {k: draw(st.lists(values_st, min_size=1, max_size=3)) for k in keys}
    known = st.sampled_from([v for vs in vectors.values() for v in vs])
    some_value = st.one_of(known, values_st)
    includes = draw(
        st.lists(
            st.dictionaries(st.sampled_from([*keys, "color", "shape"]), some_value, min_size=1),
            max_size=4,
        )
    )
    excludes = draw(
        st.lists(st.dictionaries(st.sampled_from(keys), some_value, min_size=1), max_size=3)
    )
    return vectors, includes, excludes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices())
def test_matches_reference(
    case: tuple[dict[str, list[Any]], list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    vectors, includes, excludes = case
    matrix: dict[str, Any] = dict(vectors)
    if includes:
        matrix["include"] = includes
    if excludes:
        matrix["exclude"] = excludes
    result = expand_matrix(matrix)
    expected = reference(vectors, includes, excludes)
    # Compare items in order, so key order and value types (1 vs True vs '1') count too.
    assert [[(k, type(v), v) for k, v in c.items()] for c in result.combinations] == [
        [(k, type(v), v) for k, v in c.items()] for c in expected
    ]
    assert not result.dynamic
    assert len(result.names) == len(result.combinations)


@settings(max_examples=100, deadline=None)
@given(matrices())
def test_include_only_yields_its_entries(
    case: tuple[dict[str, list[Any]], list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    _, includes, _ = case
    if not includes:
        return
    assert expand_matrix({"include": includes}).combinations == includes
