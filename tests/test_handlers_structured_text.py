"""JSON, YAML, CSV, text and binary handlers: tolerance, ignores, locations, hostile input."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ghtotekton.compare.handlers import binary, structured, text
from ghtotekton.compare.handlers.base import Difference, HandlerOptions, Tolerance

OPTS = HandlerOptions()
JSON = structured.JSON_HANDLER
YAML = structured.YAML_HANDLER
CSV = structured.CSV_HANDLER


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def pair(tmp_path: Path, a: str | bytes, b: str | bytes, suffix: str = "") -> tuple[Path, Path]:
    return write(tmp_path / f"a{suffix}", a), write(tmp_path / f"b{suffix}", b)


def summary(diffs: list[Difference]) -> list[tuple[str, str]]:
    return [(d.kind, d.location) for d in diffs]


def test_module_exports() -> None:
    assert structured.HANDLER is structured.JSON_HANDLER
    names = [h.name for h in (JSON, YAML, CSV, text.HANDLER, binary.HANDLER)]
    assert names == ["json", "yaml", "csv", "text", "binary"]


# ---------------------------------------------------------------------------------------------
# JSON


def test_json_relative_and_absolute_tolerance(tmp_path: Path) -> None:
    a, b = pair(tmp_path, '{"big": 1000000.0, "small": 0.0}', '{"big": 1000000.5, "small": 1e-10}')
    # big: |diff| 0.5 is 5e-7 of 1e6, inside rel 1e-6; small: 1e-10 is inside abs 1e-9
    assert JSON.compare("m.json", a, b, OPTS) == []
    only_abs = HandlerOptions(tolerance=Tolerance(abs=1e-9, rel=0))
    assert summary(JSON.compare("m.json", a, b, only_abs)) == [("value-beyond-tolerance", "$.big")]
    only_rel = HandlerOptions(tolerance=Tolerance(abs=0, rel=1e-6))
    assert summary(JSON.compare("m.json", a, b, only_rel)) == [
        ("value-beyond-tolerance", "$.small")
    ]


def test_json_locations_kinds_and_sides(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path,
        '{"m": {"loss": 0.5, "acc": 0.9}, "rows": [1, 2, 3], "tag": "x", "old": 1}',
        '{"m": {"loss": 0.5, "acc": 0.8}, "rows": [1, 2], "tag": 7, "key with space": null}',
    )
    diffs = JSON.compare("m.json", a, b, OPTS)
    # document order: A's keys as they come, then the keys only B has
    assert summary(diffs) == [
        ("value-beyond-tolerance", "$.m.acc"),
        ("missing-on-b", "$.rows[2]"),
        ("value-changed", "$.tag"),
        ("missing-on-b", "$.old"),
        ("missing-on-a", '$["key with space"]'),
    ]
    acc = diffs[0]
    assert (acc.a, acc.b) == ("0.9", "0.8")
    removed = diffs[1]
    assert (removed.a, removed.b) == ("3", None)
    assert diffs[4].b == "null"


def test_json_dropped_record_in_noisy_list_is_that_record(tmp_path: Path) -> None:
    records = [{"step": i, "loss": 1 / (i + 1)} for i in range(40)]
    noisy = [{"step": r["step"], "loss": r["loss"] * (1 + 1e-8)} for r in records if r["step"] != 7]
    a, b = pair(tmp_path, json.dumps({"log": records}), json.dumps({"log": noisy}))
    diffs = JSON.compare("j", a, b, OPTS)
    assert summary(diffs) == [("missing-on-b", "$.log[7]")]
    assert diffs[0].a == '{"step": 7, "loss": 0.125}'


def test_json_large_file_change_at_the_end_is_found(tmp_path: Path) -> None:
    # regression: deepdiff's max_diffs counted every comparison and silently stopped early
    doc = {"values": [float(i) for i in range(50_000)]}
    a = write(tmp_path / "a.json", json.dumps(doc))
    doc["values"][-1] = -1.0
    b = write(tmp_path / "b.json", json.dumps(doc))
    assert summary(JSON.compare("j", a, b, OPTS)) == [("value-beyond-tolerance", "$.values[49999]")]


def test_json_list_indexes_sort_numerically(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path, json.dumps(list(range(12))), json.dumps([*range(2), -2, *range(3, 10), -10, 11])
    )
    assert [d.location for d in JSON.compare("l", a, b, OPTS)] == ["$[2]", "$[10]"]


def test_json_ignore_accepts_json_path_and_deepdiff_regexes(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path,
        '{"meta": {"time": 1, "host": "a"}, "runs": [{"id": "x", "v": 1}, {"id": "y", "v": 2}]}',
        '{"meta": {"time": 2, "host": "b"}, "runs": [{"id": "p", "v": 1}, {"id": "q", "v": 2}]}',
    )
    assert len(JSON.compare("j", a, b, OPTS)) == 4
    ignore = (r"^\$\.meta\.time$", r"root\['meta'\]\['host'\]", r"\$\.runs\[\d+\]\.id")
    assert JSON.compare("j", a, b, HandlerOptions(ignore=ignore)) == []
    # a pattern that does not compile is matched literally instead of failing the comparison
    literal = HandlerOptions(ignore=("$.meta.time", "$.meta.host", "[", r"\$\.runs"))
    assert JSON.compare("j", a, b, literal) == []


def test_json_special_numbers(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path, "[NaN, Infinity, 1, true, 1, 1e400]", "[NaN, -Infinity, 1.0, 1, 2, 1e400]"
    )
    assert summary(JSON.compare("j", a, b, OPTS)) == [
        ("value-beyond-tolerance", "$[1]"),  # inf vs -inf: never "close"
        ("value-changed", "$[3]"),  # true is not the number 1
        ("value-beyond-tolerance", "$[4]"),
    ]
    c, d = pair(tmp_path, '{"x": [true, {"y": false}]}', '{"x": [1, {"y": false}]}')
    diffs = JSON.compare("j", c, d, OPTS)
    assert [(x.kind, x.location, x.a, x.b) for x in diffs] == [
        ("value-changed", "$.x[0]", "true", "1")
    ]
    e = write(tmp_path / "e", '{"x": [false]}')
    assert [x.a for x in JSON.compare("j", c, e, OPTS)] == ["true", '{"y": false}']


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"a": 1,}', "not valid JSON at line 1"),
        (b"[" * 5000 + b"]" * 5000, "nesting deeper than"),
        (b'{"a": ' * 300 + b"1" + b"}" * 300, "nesting deeper than"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_json_malformed_is_unreadable(tmp_path: Path, content: bytes, reason: str) -> None:
    a, b = pair(tmp_path, content, b"{}")
    diffs = JSON.compare("j", a, b, OPTS)
    assert summary(diffs) == [("unreadable", "")]
    assert diffs[0].a is not None and reason in diffs[0].a


def test_json_size_limit(tmp_path: Path) -> None:
    a, b = pair(tmp_path, json.dumps(list(range(1000))), "[]")
    diffs = JSON.compare("j", a, b, HandlerOptions(extra={"max_bytes": 1000}))
    assert [d.kind for d in diffs] == ["unreadable"]
    assert diffs[0].a is not None and "limit" in diffs[0].a


def test_json_differences_are_capped_with_a_summary(tmp_path: Path) -> None:
    a, b = pair(tmp_path, json.dumps({f"k{i}": i for i in range(50)}), "{}")
    diffs = JSON.compare("j", a, b, OPTS)
    assert len(diffs) == 21
    assert diffs[-1].location == "more"
    assert "30 more" in diffs[-1].message
    assert len(JSON.compare("j", a, b, HandlerOptions(extra={"max_differences": 100}))) == 50


# ---------------------------------------------------------------------------------------------
# YAML


def test_yaml_same_data_different_layout(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path,
        "# metrics\nloss: 0.25\nlayers: [1, 2]\nname: 'x'\n",
        "name: x\nlayers:\n  - 1\n  - 2\nloss: 2.5e-1\n",
    )
    assert YAML.compare("m.yaml", a, b, OPTS) == []


def test_yaml_multi_document_stream(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path,
        "%YAML 1.2\n---\nkind: A\n---\nkind: B\nv: 1\n",
        "kind: A\n---\nkind: B\nv: 2\n...\n",
    )
    assert summary(YAML.compare("s.yaml", a, b, OPTS)) == [("value-beyond-tolerance", "$[1].v")]


def test_yaml_alias_bomb_and_bad_syntax_are_unreadable(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        levels.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    bomb = "\n".join(levels) + "\n"
    a, b = pair(tmp_path, bomb, "key: [unclosed\n")
    started = time.monotonic()
    diffs = YAML.compare("y", a, b, OPTS)
    assert time.monotonic() - started < 5
    assert [d.kind for d in diffs] == ["unreadable", "unreadable"]
    assert diffs[0].a is not None and "more than" in diffs[0].a
    assert diffs[1].b is not None and "invalid YAML" in diffs[1].b


# ---------------------------------------------------------------------------------------------
# CSV


def test_csv_numeric_tolerance_and_ignored_columns(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path,
        "epoch,loss,seconds\n1,0.5,12.1\n2,0.25,11.9\n",
        "epoch,loss,seconds\n1,0.50000001,13.4\n2,0.3,10.2\n",
    )
    diffs = CSV.compare("m.csv", a, b, HandlerOptions(ignore=("seconds",)))
    assert summary(diffs) == [("value-beyond-tolerance", "row 2, column loss")]
    assert (diffs[0].a, diffs[0].b) == ("0.25", "0.3")


def test_csv_text_cells_and_columns(tmp_path: Path) -> None:
    a, b = pair(tmp_path, "id\tlabel\told\n1\tcat\tx\n", "id\tlabel\tnew\n1\tdog\tx\n")
    assert summary(CSV.compare("t.tsv", a, b, OPTS)) == [
        ("missing-on-b", "column old"),
        ("missing-on-a", "column new"),
        ("value-changed", "row 1, column label"),
    ]


def test_csv_dropped_row_with_noise_is_that_row(tmp_path: Path) -> None:
    rows = [(i, 0.1 * i + 0.123456) for i in range(1, 30)]
    a_text = "step,value\n" + "".join(f"{i},{v!r}\n" for i, v in rows)
    # B: every value moved by 1e-9 relative (noise), and step 17 missing
    b_text = "step,value\n" + "".join(f"{i},{v * (1 + 1e-9)!r}\n" for i, v in rows if i != 17)
    a, b = pair(tmp_path, a_text, b_text)
    diffs = CSV.compare("m.csv", a, b, OPTS)
    assert summary(diffs) == [("missing-on-b", "row 17")]
    assert diffs[0].a is not None and diffs[0].a.startswith("17,")


def test_csv_duplicate_header_and_ragged_rows(tmp_path: Path) -> None:
    a, b = pair(tmp_path, "x,x\n1,2\n3\n", "x,x\n1,2\n3,\n")
    assert CSV.compare("c", a, b, OPTS) == []
    table = structured.load_csv(a, 1000)
    assert table.header == ["x", "x#2"]


def test_csv_oversized_field_is_unreadable(tmp_path: Path) -> None:
    # the csv module refuses fields over 128 KiB: a binary blob, not a table
    a, b = pair(tmp_path, "a,b\n1,2\n3," + "x" * 200_000 + "\n", "a,b\n1,2\n")
    diffs = CSV.compare("c", a, b, OPTS)
    assert [d.kind for d in diffs] == ["unreadable"]
    assert diffs[0].a is not None and "not valid CSV at line" in diffs[0].a


# ---------------------------------------------------------------------------------------------
# text


LOG_A = """\
2024-05-01T12:00:00.123Z INFO starting run 3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f
model <Net object at 0x7f3c2a1b2c10>
writing /tmp/pytest-of-runner/pytest-3/out.bin
checkout /home/runner/work/repo/repo/src/train.py
\x1b[32mloss 0.43120\x1b[0m
===== 5 passed in 3.21s =====
"""

LOG_B = """\
2025-02-03 04:05:06,789 INFO starting run 11111111-2222-3333-4444-555555555555
model <Net object at 0x55aa11223344>
writing /tmp/tmpab12cd34/out.bin
checkout /workspace/source/src/train.py
loss 0.43120000001
===== 5 passed in 17.9s =====
"""


def test_text_builtin_sanitizers_make_noisy_logs_equal(tmp_path: Path) -> None:
    a, b = pair(tmp_path, LOG_A, LOG_B)
    assert text.HANDLER.compare("run.log", a, b, OPTS) == []
    plain = HandlerOptions(extra={"default_sanitizers": False})
    assert len(text.HANDLER.compare("run.log", a, b, plain)) >= 5


def test_text_user_sanitizer_runs_before_the_defaults(tmp_path: Path) -> None:
    a, b = pair(tmp_path, "seed=1234 ok\n", "seed=9876 ok\n")
    assert summary(text.HANDLER.compare("t", a, b, OPTS)) == [("value-beyond-tolerance", "line 1")]
    user = HandlerOptions(sanitizers=((r"seed=\d+", "seed=<seed>"),))
    assert text.HANDLER.compare("t", a, b, user) == []


def test_text_reports_lines_with_numbers(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path,
        "alpha\nbeta\ngamma\ndelta\nepsilon\n",
        "alpha\nBETA\ngamma\nepsilon\nzeta\n",
    )
    diffs = text.HANDLER.compare("t", a, b, OPTS)
    assert summary(diffs) == [
        ("content-changed", "line 2"),
        ("missing-on-b", "line 4"),
        ("missing-on-a", "B line 5"),
    ]
    assert (diffs[0].a, diffs[0].b) == ("beta", "BETA")
    assert diffs[1].a == "delta"
    assert diffs[2].b == "zeta"


def test_text_changed_count_is_found_and_noise_is_not(tmp_path: Path) -> None:
    a, b = pair(tmp_path, "acc 0.912345678\n10 passed\n", "acc 0.912345679\n9 passed\n")
    diffs = text.HANDLER.compare("t", a, b, OPTS)
    assert summary(diffs) == [("value-beyond-tolerance", "line 2")]
    assert "10 in A, 9 in B" in diffs[0].message


def test_text_caps_differences_at_twenty(tmp_path: Path) -> None:
    a, b = pair(
        tmp_path, "".join(f"a{i}\n" for i in range(30)), "".join(f"b{i}\n" for i in range(30))
    )
    diffs = text.HANDLER.compare("t", a, b, OPTS)
    assert len(diffs) == 21
    assert [d.location for d in diffs[:3]] == ["line 1", "line 2", "line 3"]
    assert diffs[-1].location == "more" and "10 more differing lines" in diffs[-1].message


def test_text_crlf_trailing_space_and_invalid_utf8(tmp_path: Path) -> None:
    a, b = pair(tmp_path, b"one\r\ntwo  \r\n\xff\n\n", b"one\ntwo\n\xfe\n")
    # both undecodable bytes become U+FFFD, line endings and trailing blanks do not count
    assert text.HANDLER.compare("t", a, b, OPTS) == []


def test_text_over_limit_falls_back_to_hash(tmp_path: Path) -> None:
    a, b = pair(tmp_path, "x" * 5000, "y" * 5000)
    small = HandlerOptions(extra={"max_bytes": 1000})
    diffs = text.HANDLER.compare("t", a, b, small)
    assert [(d.handler, d.kind) for d in diffs] == [("text", "content-changed")]
    assert "compared by hash" in diffs[0].message
    assert text.HANDLER.compare("t", a, a, small) == []


# ---------------------------------------------------------------------------------------------
# binary


def test_binary_same_and_different_content(tmp_path: Path) -> None:
    a, b = pair(tmp_path, b"\x00\x01" * 1000, b"\x00\x01" * 1000)
    assert binary.HANDLER.compare("w.bin", a, b, OPTS) == []
    c = write(tmp_path / "c", b"\x00\x01" * 999 + b"\x00\x02")
    diffs = binary.HANDLER.compare("w.bin", a, c, OPTS)
    assert [d.kind for d in diffs] == ["content-changed"]
    # 999 equal pairs, then \x00 equal again: the first differing byte is the last one
    assert "content differs from byte 1,999" in diffs[0].message
    assert diffs[0].a == "sha256:" + hashlib.sha256(b"\x00\x01" * 1000).hexdigest()
    d = write(tmp_path / "d", b"short")
    assert (
        "size differs: 2,000 bytes in A, 5 in B"
        in binary.HANDLER.compare("w", a, d, OPTS)[0].message
    )


def sparse(path: Path, size: int, tail: bytes = b"") -> Path:
    with path.open("wb") as fh:
        fh.truncate(size - len(tail))
        fh.seek(size - len(tail))
        fh.write(tail)
    return path


def test_binary_two_gigabyte_sparse_files_stream(tmp_path: Path) -> None:
    a = sparse(tmp_path / "a", 2 * 1024**3)
    b = sparse(tmp_path / "b", 2 * 1024**3 + 1)
    started = time.monotonic()
    diffs = binary.HANDLER.compare("model.bin", a, b, OPTS)
    assert time.monotonic() - started < 1  # sizes differ: nothing is read
    assert [d.kind for d in diffs] == ["content-changed"]
    assert "2,147,483,648 bytes in A, 2,147,483,649 in B" in diffs[0].message
    # the text handler must not load a 2 GB log either: over its limit it compares by size
    started = time.monotonic()
    assert [d.kind for d in text.HANDLER.compare("huge.log", a, b, OPTS)] == ["content-changed"]
    assert time.monotonic() - started < 1


def test_binary_equal_size_sparse_files_are_hashed(tmp_path: Path) -> None:
    size = 64 * 1024**2
    a = sparse(tmp_path / "a", size, b"end")
    b = sparse(tmp_path / "b", size, b"end")
    c = sparse(tmp_path / "c", size, b"END")
    assert binary.HANDLER.compare("x", a, b, OPTS) == []
    diffs = binary.HANDLER.compare("x", a, c, OPTS)
    assert [d.kind for d in diffs] == ["content-changed"]
    assert diffs[0].a != diffs[0].b
    # "end" vs "END" at the very end: the first differing byte is the "e"
    assert f"content differs from byte {size - 3:,}" in diffs[0].message


def test_binary_unreadable_sides(tmp_path: Path) -> None:
    a = write(tmp_path / "a", b"x")
    diffs = binary.HANDLER.compare("x", tmp_path / "missing", tmp_path, OPTS)
    assert [(d.kind, d.a, d.b) for d in diffs] == [
        ("unreadable", "no such file", None),
        ("unreadable", None, "is a directory, not a file"),
    ]
    if os.geteuid() != 0:
        b = write(tmp_path / "b", b"x")
        b.chmod(0)
        try:
            assert binary.HANDLER.compare("x", a, b, OPTS)[0].b == "permission denied"
        finally:
            b.chmod(0o644)


# ---------------------------------------------------------------------------------------------
# property tests

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text(max_size=8)
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=25,
)
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def number_paths(doc: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(doc, bool):
        return []
    if isinstance(doc, int | float):
        return [path]
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in number_paths(v, (*path, k))]
    if isinstance(doc, list):
        return [p for i, v in enumerate(doc) for p in number_paths(v, (*path, i))]
    return []


def replaced(doc: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {k: replaced(v, rest, value) if k == head else v for k, v in doc.items()}
    assert isinstance(doc, list)
    return [replaced(v, rest, value) if i == head else v for i, v in enumerate(doc)]


@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURE_OK)
@given(doc=DOCS, data=st.data())
def test_json_property_self_equal_and_one_number_change_found(
    tmp_path: Path, doc: object, data: st.DataObject
) -> None:
    a = write(tmp_path / "a.json", json.dumps(doc))
    assert JSON.compare("j", a, a, OPTS) == []
    paths = number_paths(doc)
    assume(paths)
    path = data.draw(st.sampled_from(paths))
    old = doc
    for part in path:
        old = old[part]  # type: ignore[index]
    assert isinstance(old, int | float)
    new = old + max(1.0, abs(old) * 1e-3)  # far beyond abs 1e-9 and rel 1e-6
    b = write(tmp_path / "b.json", json.dumps(replaced(doc, path, new)))
    diffs = JSON.compare("j", a, b, OPTS)
    assert summary(diffs) == [("value-beyond-tolerance", structured.json_path(path))]


CELLS = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.integers(-1000, 1000).map(str),
    st.text(alphabet="abcxyz _-", max_size=6),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    ncols = draw(st.integers(1, 4))
    header = [f"c{i}" for i in range(ncols)]
    nrows = draw(st.integers(1, 15))
    rows = [
        [f"id{r}", *draw(st.lists(CELLS, min_size=ncols, max_size=ncols))] for r in range(nrows)
    ]
    return ["id", *header], rows


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def noisy(cell: str) -> str:
    """The same number written with noise far inside the default tolerance."""
    number = structured._number(cell)
    if number is None or number == 0:
        return cell
    return repr(number * (1 + 1e-9))


@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURE_OK)
@given(table=tables(), data=st.data())
def test_csv_property_self_equal_and_dropped_row_found(
    tmp_path: Path, table: tuple[list[str], list[list[str]]], data: st.DataObject
) -> None:
    header, rows = table
    a = write(tmp_path / "a.csv", csv_text(header, rows))
    assert CSV.compare("c", a, a, OPTS) == []
    noise = data.draw(st.booleans())
    b_rows = [[noisy(c) for c in row] for row in rows] if noise else rows
    assert CSV.compare("c", a, write(tmp_path / "n.csv", csv_text(header, b_rows)), OPTS) == []
    drop = data.draw(st.integers(0, len(rows) - 1))
    kept = b_rows[:drop] + b_rows[drop + 1 :]
    diffs = CSV.compare("c", a, write(tmp_path / "b.csv", csv_text(header, kept)), OPTS)
    assert summary(diffs) == [("missing-on-b", f"row {drop + 1}")]


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(table=tables(), data=st.data())
def test_csv_property_one_number_beyond_tolerance_found(
    tmp_path: Path, table: tuple[list[str], list[list[str]]], data: st.DataObject
) -> None:
    header, rows = table
    numeric = [
        (r, c)
        for r, row in enumerate(rows)
        for c, cell in enumerate(row)
        if structured._number(cell) is not None
    ]
    assume(numeric)
    r, c = data.draw(st.sampled_from(numeric))
    value = float(rows[r][c])
    changed = [list(row) for row in rows]
    changed[r][c] = repr(value + max(1.0, abs(value) * 1e-3))
    a = write(tmp_path / "a.csv", csv_text(header, rows))
    b = write(tmp_path / "b.csv", csv_text(header, changed))
    diffs = CSV.compare("c", a, b, OPTS)
    assert summary(diffs) == [("value-beyond-tolerance", f"row {r + 1}, column {header[c]}")]
