"""The YAML layer: GitHub's reading of scalars, positions, and refusal of hostile input."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtotekton import limits
from ghtotekton.errors import InputError
from ghtotekton.yamlsource import load_yaml_bytes, load_yaml_file


def test_yaml_12_core_scalars() -> None:
    doc = load_yaml_bytes(
        "on: push\nyes: no\nv: 3.10\nu: 1_000\nd: 2001-12-14\no: 0o17\nh: 0x1F\n"
        "t: True\nn: ~\ne:\nq: '3.10'\ninf: -.inf\n",
        "f.yml",
    )
    data = doc.data
    assert "on" in data and data["on"] == "push"  # not True, as in YAML 1.1
    assert data["yes"] == "no"
    assert data["v"] == 3.1 and doc.raw_scalars[("v",)] == "3.10"
    assert data["u"] == "1_000"
    assert data["d"] == "2001-12-14"
    assert data["o"] == 15 and data["h"] == 31
    assert data["t"] is True
    assert data["n"] is None and data["e"] is None
    assert data["q"] == "3.10"
    assert math.isinf(data["inf"]) and data["inf"] < 0


def test_positions_of_values_and_keys() -> None:
    doc = load_yaml_bytes("a:\n  b: [1, 2]\n  c:\n    - x: y\n", "p.yml")
    assert doc.positions[("a", "b", 1)] == (2, 10)
    assert doc.key_positions[("a", "c")] == (3, 3)
    assert doc.positions[("a", "c", 0, "x")] == (4, 10)
    assert str(doc.pos(("a", "c", 0, "missing"))) == "p.yml:4:7"


def test_anchors_and_aliases_resolve() -> None:
    doc = load_yaml_bytes("base: &b {image: x, n: 1}\nother: *b\n", "a.yml")
    assert doc.data["other"] == {"image": "x", "n": 1}


def test_merge_keys_only_when_asked() -> None:
    text = "base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\n"
    assert load_yaml_bytes(text, "c.yml", merge_keys=True).data["x"] == {"a": 1, "b": 3}
    assert "<<" in load_yaml_bytes(text, "w.yml").data["x"]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("a: [1\n", "bad.yml:2:1", "invalid YAML"),
        ("a: 1\na: 2\n", "bad.yml:2:1", 'key "a" is duplicated'),
        ('a: "\x07"\n', "bad.yml:1:5", "control characters"),
        ("? [a, b]\n: 1\n", "bad.yml:1:3", "mapping key"),
    ],
)
def test_bad_yaml_is_positioned(text: str, where: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        load_yaml_bytes(text, "bad.yml")
    message = info.value.first.format()
    assert message.startswith(where), message
    assert words in message


def test_binary_bytes_are_refused() -> None:
    with pytest.raises(InputError, match="binary data"):
        load_yaml_bytes(bytes(range(256)) * 4, "b.bin")


def test_alias_bomb_is_refused() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    with pytest.raises(InputError, match="expands to more than"):
        load_yaml_bytes("\n".join(lines) + "\n", "bomb.yml")


def test_a_big_file_without_aliases_is_not_called_an_alias_bomb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 21: a file of 37,000 jobs was refused as "an alias bomb?" (it has no aliases)."""
    monkeypatch.setattr(limits, "MAX_YAML_NODES", 2_000)
    text = "jobs:\n" + "".join(f"  j{i}:\n    runs-on: x\n" for i in range(1_000))
    with pytest.raises(InputError) as err:
        load_yaml_bytes(text.encode(), "big.yml")
    message = str(err.value)
    assert "holds more than 2,000 values, the limit" in message and "alias" not in message


def test_deep_flow_nesting_is_refused_before_the_c_parser() -> None:
    with pytest.raises(InputError, match="nesting deeper than"):
        load_yaml_bytes("a: " + "[" * 200_000 + "]" * 200_000 + "\n", "deep.yml")


def test_deep_block_nesting_is_refused() -> None:
    text = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, limits.MAX_YAML_DEPTH + 20))
    with pytest.raises(InputError, match="nesting deeper than"):
        load_yaml_bytes(text, "deep.yml")


def test_size_limit_is_checked_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.yml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(InputError, match="over the 10 MB limit") as info:
        load_yaml_file(big)
    assert "--max-file-size" in info.value.first.hint
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 100 * 1024 * 1024)
    with pytest.raises(InputError, match="binary data"):  # now read, and the zeros are refused
        load_yaml_file(big)


def test_empty_file_is_none(tmp_path: Path) -> None:
    empty = tmp_path / "e.yml"
    empty.write_text("")
    assert load_yaml_file(empty).data is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    with contextlib.suppress(InputError):
        load_yaml_bytes(text, "fuzz.yml")


# YAML allows only printable characters unescaped (control characters and lone surrogates not).
_printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")), max_size=10)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | _printable,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(_printable.filter(bool), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_round_trip_through_json_text(value: object) -> None:
    """JSON is YAML 1.2: whatever JSON says must load back to the same data.

    Characters are written as themselves: libyaml refuses JSON's surrogate-pair escapes
    (``\\ud800\\udc00``), a known gap between the two specs that workflows never hit.
    """
    import json

    assert load_yaml_bytes(json.dumps(value, ensure_ascii=False), "j.yml").data == value
