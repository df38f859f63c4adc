"""The notebook handler: what two runs of one notebook must agree on, and what they may not.

Small notebooks built with nbformat pin each rule (pairing, sanitising, tolerance, errors,
images, nbval markers, bad input); a real notebook executed twice with papermill checks that
the defaults call two honest runs equivalent, and that regressions injected into a run are found
at the right cell.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from ghtotekton.compare.handlers.base import Difference, HandlerOptions, Tolerance
from ghtotekton.compare.handlers.notebook import HANDLER, pair_cells
from ghtotekton.compare.handlers.sanitize import (
    compare_sanitized,
    compare_text,
    normalize_terminal,
    sanitize,
    split_numbers,
)

OPTS = HandlerOptions()


def stream(text: str, name: str = "stdout") -> Any:
    return new_output("stream", name=name, text=text)


def code(source: str, *outputs: Any, cell_id: str | None = None, **kw: Any) -> Any:
    cell = new_code_cell(source, outputs=list(outputs), execution_count=1, **kw)
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def notebook(*cells: Any) -> Any:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def write(tmp: Path, name: str, nb: Any) -> Path:
    path = tmp / name
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


def compare(tmp: Path, a: Any, b: Any, options: HandlerOptions = OPTS) -> list[Difference]:
    return HANDLER.compare("nb.ipynb", write(tmp, "a.ipynb", a), write(tmp, "b.ipynb", b), options)


def png(width: int, height: int, seed: int) -> str:
    """A valid PNG whose pixel bytes depend on ``seed``: same canvas, other bytes."""
    row = bytes([0]) + bytes((seed * 7 + i) % 256 for i in range(width * 3))
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
    data += chunk(b"IEND", b"")
    return base64.b64encode(data).decode()


# --------------------------------------------------------------------------------------------
# sanitising and numbers (shared with the HTML and text handlers)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("<object object at 0x7f3a2c1d5e80>", "<object object at 0x55d0aa01be10>"),
        ("started 2024-03-08T10:30:00.123Z", "started 2025-11-01 07:01:59,999"),
        ("Fri, 08 Mar 2024 10:30:00 GMT", "Sat, 09 Mar 2024 11:00:01 GMT"),
        ("5 passed in 0.12s", "5 passed in 13.40s"),
        ("Wall time: 1.2 ms", "Wall time: 2.34 s"),
        ("took 1m23.4s", "took 2m0.1s"),
        ("100%|#####| 10/10 [00:01<00:00, 9.52it/s]", "100%|#####| 10/10 [00:03<00:00, 3.10it/s]"),
        ("wrote /tmp/tmpa1b2c3d4/out.csv", "wrote /tmp/tmpzz99yy88/out.csv"),
        ("id 140234567890123", "id 94811122233344"),
        ("t=1717171717.123456", "t=1717175000.5"),
        ("run d0c1b2a3-1111-2222-3333-444455556666", "run 9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff"),
    ],
)
def test_noise_is_sanitised_away(a: str, b: str) -> None:
    assert a != b
    assert sanitize(a) == sanitize(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("speed 3 m/s", "speed 4 m/s"),  # a length per second is data, not a duration
        ("id 12345678901234", "id 12345678901235"),  # below any userspace address: data
        ("flag 0xff", "flag 0xfe"),  # short hex constants are data
        ("float32", "float64"),
    ],
)
def test_data_is_not_sanitised(a: str, b: str) -> None:
    assert sanitize(a) != sanitize(b)


def test_user_sanitizers_run_first_and_bad_ones_do_not_raise() -> None:
    # the user's regex sees the raw text, before our placeholders replace the digits
    assert sanitize("host runner-42 ok", [(r"runner-\d+", "RUNNER")]) == "host RUNNER ok"
    assert sanitize("a(b", [("(", "X")]) == "aXb"  # invalid regex: taken literally
    assert sanitize("abc", [("b", r"\9")]) == r"a\9c"  # invalid group reference: literal


def test_terminal_normalising_keeps_the_final_state_of_a_line() -> None:
    assert normalize_terminal("\x1b[31mred\x1b[0m\n 10%\r 50%\r100%\nend\r\n") == "red\n100%\nend\n"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab x0123456789.-+eE_\n\x00", max_size=80))
def test_property_split_numbers_positions_map_back(text: str) -> None:
    split = split_numbers(text)
    assert split.skeleton.count("\x00") == len(split.tokens)
    assert len(split.text_pos) == len(split.skel_pos) == len(split.tokens)
    for token, at_text, at_skel in zip(split.tokens, split.text_pos, split.skel_pos, strict=True):
        assert split.text[at_text : at_text + len(token)] == token
        assert split.skeleton[at_skel] == "\x00"
    for i, char in enumerate(split.skeleton):
        if char != "\x00":
            assert split.text[split.text_index(i)] == char


def test_numbers_are_split_from_words() -> None:
    split = split_numbers("x=-1.5e3 float32 [2] 3.")
    assert split.tokens == ("-1.5e3", "2", "3.")
    assert "float32" in split.skeleton


def test_compare_text_tolerance_and_first_mismatch() -> None:
    tol = Tolerance(abs=0, rel=1e-6)
    assert compare_text("loss 1.0000001\n", "loss 1.0000002\n", tol) is None
    found = compare_text("a 1\nloss 1.0\nb 2.0", "a 1\nloss 1.1\nb 2.5", tol)
    assert found is not None
    assert found.kind == "value-beyond-tolerance"
    assert found.line == 2
    assert "1 more numbers differ" in found.message
    changed = compare_text("a 1\nb c\n", "a 1\nb d\n", tol)
    assert changed is not None and changed.kind == "content-changed" and changed.line == 2
    assert (changed.a, changed.b) == ("b c", "b d")


def test_compare_sanitized_reports_the_original_line_number() -> None:
    a = "".join(f"row {i} at 0x7f00000000{i:02d}\n" for i in range(50)) + "final 1.0\n"
    b = "".join(f"row {i} at 0x7f11111111{i:02d}\n" for i in range(50)) + "final 2.0\n"
    found = compare_sanitized(a, b, Tolerance())
    assert found is not None and found.line == 51 and "line 51" in found.message


# --------------------------------------------------------------------------------------------
# cells and outputs


def test_identical_and_noisy_notebooks_are_the_same(tmp_path: Path) -> None:
    a = notebook(
        new_markdown_cell("# Title"),
        code("print(x)", stream("value 1.0000000001\nat 0x7f3a2c1d5e80\n"), cell_id="c1"),
        code("%time f()", stream("CPU times: user 5 ms\nWall time: 1.2 s\n"), cell_id="c2"),
    )
    b = copy.deepcopy(a)
    b.cells[1].outputs = [stream("value 1.0000000002\nat 0x55aa00112233\n")]
    b.cells[1].execution_count = 7
    b.cells[1].metadata["execution"] = {"iopub.status.busy": "2030-01-01T00:00:00Z"}
    b.cells[2].outputs = [stream("CPU times: user 7 ms\nWall time: 3.5 s\n")]
    assert compare(tmp_path, a, a) == []
    assert compare(tmp_path, a, b) == []


def test_number_beyond_tolerance_is_located(tmp_path: Path) -> None:
    a = notebook(
        code("x", cell_id="first"), code("print(loss)", stream("loss 0.25\n"), cell_id="abc")
    )
    b = copy.deepcopy(a)
    b.cells[1].outputs = [stream("loss 0.26\n")]
    [diff] = compare(tmp_path, a, b)
    assert diff.kind == "value-beyond-tolerance"
    assert diff.location == "cell 1 (id abc) output 0"
    assert "0.25 vs 0.26" in diff.message
    # a looser tolerance accepts it
    assert compare(tmp_path, a, b, HandlerOptions(tolerance=Tolerance(rel=0.1))) == []


def test_stream_chunking_and_interleaving_do_not_matter(tmp_path: Path) -> None:
    a = notebook(code("f()", stream("a\nb\n"), stream("w\n", "stderr"), stream("c\n"), cell_id="x"))
    b = notebook(code("f()", stream("a\n"), stream("b\nc\n"), stream("w\n", "stderr"), cell_id="x"))
    assert compare(tmp_path, a, b) == []


def test_stderr_can_be_ignored(tmp_path: Path) -> None:
    a = notebook(code("f()", stream("ok\n"), stream("warning A\n", "stderr"), cell_id="x"))
    b = notebook(code("f()", stream("ok\n"), stream("warning B\n", "stderr"), cell_id="x"))
    [diff] = compare(tmp_path, a, b)
    assert diff.location == "cell 0 (id x) output 1" and "stderr" in diff.message
    assert compare(tmp_path, a, b, HandlerOptions(ignore=("stderr",))) == []


def test_source_change_is_reported(tmp_path: Path) -> None:
    a = notebook(code("a = 1\nb = 2", cell_id="s"))
    b = notebook(code("a = 1\nb = 3", cell_id="s"))
    [diff] = compare(tmp_path, a, b)
    assert diff.kind == "content-changed"
    assert diff.location == "cell 0 (id s)"
    assert "line 2" in diff.message and (diff.a, diff.b) == ("b = 2", "b = 3")


def test_removed_and_inserted_cells(tmp_path: Path) -> None:
    cells = [code(f"step({i})", stream(f"{i}\n"), cell_id=f"c{i}") for i in range(5)]
    a = notebook(*cells)
    b = notebook(*[c for c in copy.deepcopy(cells) if c.id != "c2"])
    [removed] = compare(tmp_path, a, b)
    assert removed.kind == "missing-on-b" and removed.location == "cell 2 (id c2)"
    [inserted] = compare(tmp_path, b, a)
    assert inserted.kind == "missing-on-a" and inserted.location == "cell 2 (id c2)"


def test_cells_without_ids_pair_by_source() -> None:
    from ghtotekton.compare.handlers.notebook import Cell

    def cell(i: int, src: str) -> Cell:
        return Cell(i, "", "code", src, frozenset(), True)

    a = [cell(0, "a"), cell(1, "b"), cell(2, "c")]
    b = [cell(0, "a"), cell(1, "c")]
    pairs = [(x.source if x else None, y.source if y else None) for x, y in pair_cells(a, b)]
    assert pairs == [("a", "a"), ("b", None), ("c", "c")]


def test_papermill_injected_cell_with_a_fresh_id_still_pairs(tmp_path: Path) -> None:
    def run(injected_id: str) -> Any:
        injected = code(
            "# Parameters\nseed = 1\n",
            cell_id=injected_id,
            metadata={"tags": ["injected-parameters"]},
        )
        return notebook(
            code("seed = 0", cell_id="params"),
            injected,
            code("print(seed)", stream("1\n"), cell_id="p"),
        )

    assert compare(tmp_path, run("aaaa1111"), run("bbbb2222")) == []


def test_cell_error_on_one_side_only(tmp_path: Path) -> None:
    ok = notebook(code("f()", stream("fine\n"), cell_id="e"))
    bad = notebook(
        code(
            "f()",
            new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[]),
            cell_id="e",
        )
    )
    [diff] = compare(tmp_path, ok, bad)
    assert diff.kind == "cell-error" and diff.location == "cell 0 (id e)"
    assert diff.b == "ZeroDivisionError: division by zero" and diff.a == "(no error)"


def test_errors_compare_by_name_and_sanitised_value(tmp_path: Path) -> None:
    def err(ename: str, evalue: str) -> Any:
        tb = [f"Traceback at 0x{id(evalue):x}"]
        return notebook(
            code("f()", new_output("error", ename=ename, evalue=evalue, traceback=tb), cell_id="e")
        )

    same_a = err("KeyError", "'missing' in /tmp/tmpabcdef12/x.json")
    same_b = err("KeyError", "'missing' in /tmp/tmpzzzzzz99/x.json")
    assert compare(tmp_path, same_a, same_b) == []
    [diff] = compare(tmp_path, same_a, err("ValueError", "bad"))
    assert diff.kind == "content-changed" and diff.location == "cell 0 (id e) output 0"


def test_execution_stopping_early_is_one_difference(tmp_path: Path) -> None:
    cells = [code(f"s{i}", stream(f"{i}\n"), cell_id=f"c{i}") for i in range(5)]
    a = notebook(*cells)
    b = copy.deepcopy(a)
    for cell in b.cells[2:]:
        cell.outputs = []
        cell.execution_count = None
    [diff] = compare(tmp_path, a, b)
    assert diff.location == "cell 2 (id c2)"
    assert "3 cells" in diff.message and "not executed in B" in diff.message


def test_nbval_markers(tmp_path: Path) -> None:
    a = notebook(
        code("# NBVAL_IGNORE_OUTPUT\nprint(random())", stream("0.1\n"), cell_id="i1"),
        code(
            "print(random())",
            stream("0.1\n"),
            cell_id="i2",
            metadata={"tags": ["nbval-ignore-output"]},
        ),
        code(
            "print(r())",
            stream("0.1\n"),
            cell_id="i3",
            metadata={"tags": ["ghtotekton-ignore-output"]},
        ),
        code("# NBVAL_SKIP\nslow()", stream("x\n"), cell_id="s1"),
        code("slow()", stream("x\n"), cell_id="s2", metadata={"tags": ["nbval-skip"]}),
    )
    b = copy.deepcopy(a)
    for cell in b.cells:
        cell.outputs = [stream("0.9\n")]
    b.cells[3].source = "# NBVAL_SKIP\nslower()"  # skipped: not even the source is compared
    assert compare(tmp_path, a, b) == []
    # without the markers every one of these cells differs
    for cell in a.cells + b.cells:
        cell.metadata.pop("tags", None)
        cell.source = cell.source.replace("# NBVAL_IGNORE_OUTPUT\n", "").replace(
            "# NBVAL_SKIP\n", ""
        )
    assert len(compare(tmp_path, a, b)) == 6


def test_images_by_size_hash_or_ignored(tmp_path: Path) -> None:
    def with_image(data: str) -> Any:
        out = new_output(
            "display_data", data={"image/png": data, "text/plain": "<Figure size 640x480>"}
        )
        return notebook(code("plot()", out, cell_id="img"))

    a, b = with_image(png(4, 3, seed=1)), with_image(png(4, 3, seed=2))
    assert a.cells[0].outputs[0].data["image/png"] != b.cells[0].outputs[0].data["image/png"]
    assert compare(tmp_path, a, b) == []
    [diff] = compare(tmp_path, a, with_image(png(5, 3, seed=1)))
    assert diff.location == "cell 0 (id img) output 0"
    assert (diff.a, diff.b) == ("image/png 4x3", "image/png 5x3")
    [hashed] = compare(tmp_path, a, b, HandlerOptions(extra={"compare_images": "hash"}))
    assert "sha256" in hashed.message
    wider = with_image(png(9, 9, seed=3))
    assert compare(tmp_path, a, wider, HandlerOptions(extra={"compare_images": "ignore"})) == []


def test_html_outputs_compare_as_visible_text(tmp_path: Path) -> None:
    def table(value: str, div_id: str) -> Any:
        cells = f"<tr><td>acc</td><td>{value}</td></tr>"
        html = f'<div id="{div_id}"><style>.x{{}}</style><table>{cells}</table></div>'
        out = new_output(
            "execute_result", data={"text/html": html, "text/plain": "<HTML>"}, execution_count=1
        )
        return notebook(code("df", out, cell_id="h"))

    assert compare(tmp_path, table("0.930000001", "T_1a"), table("0.930000002", "T_9z")) == []
    [diff] = compare(tmp_path, table("0.93", "T_1a"), table("0.95", "T_1a"))
    assert diff.kind == "value-beyond-tolerance" and "text/html" in diff.message


def test_one_difference_per_output(tmp_path: Path) -> None:
    def df(v: str) -> Any:
        data = {"text/plain": f"   a\n0  {v}", "text/html": f"<table><tr><td>{v}</td></tr></table>"}
        return notebook(
            code("df", new_output("execute_result", data=data, execution_count=1), cell_id="d")
        )

    [diff] = compare(tmp_path, df("1.5"), df("2.5"))
    assert "text/plain" in diff.message


def test_output_only_on_one_side(tmp_path: Path) -> None:
    res = new_output("execute_result", data={"text/plain": "42"}, execution_count=1)
    a = notebook(code("f()", stream("x\n"), res, cell_id="o"))
    b = notebook(code("f()", stream("x\n"), cell_id="o"))
    [diff] = compare(tmp_path, a, b)
    assert diff.kind == "missing-on-b" and diff.location == "cell 0 (id o) output 1"


# --------------------------------------------------------------------------------------------
# bad input never raises


def test_unreadable_files_become_differences(tmp_path: Path) -> None:
    good = write(tmp_path, "good.ipynb", notebook(code("x", cell_id="x")))
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [', encoding="utf-8")
    not_nb = tmp_path / "list.ipynb"
    not_nb.write_text("[1, 2, 3]", encoding="utf-8")
    bad_cells = tmp_path / "cells.ipynb"
    bad_cells.write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 7})
    )
    for bad in (broken, not_nb, bad_cells, tmp_path / "absent.ipynb", tmp_path):
        [diff] = HANDLER.compare("nb.ipynb", good, bad, OPTS)
        assert diff.kind == "unreadable" and diff.b is not None and diff.a is None
    diffs = HANDLER.compare("nb.ipynb", broken, not_nb, OPTS)
    assert [d.kind for d in diffs] == ["unreadable", "unreadable"]


def test_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "n.ipynb", notebook(code("print(1)", stream("1\n" * 1000), cell_id="x")))
    diffs = HANDLER.compare("n.ipynb", path, path, HandlerOptions(extra={"max_bytes": 1000}))
    assert [(d.kind, d.a is None, d.b is None) for d in diffs] == [
        ("unreadable", False, True),
        ("unreadable", True, False),
    ]
    assert "limit" in diffs[0].message
    assert HANDLER.compare("n.ipynb", path, path, OPTS) == []


def test_garbage_inside_a_valid_notebook_does_not_raise(tmp_path: Path) -> None:
    nb = json.loads(nbformat.writes(notebook(code("x", stream("1\n"), cell_id="x"))))
    nb["cells"][0]["outputs"] = [
        {"output_type": "display_data", "data": {"text/plain": 5, "application/json": {"k": [1]}}},
        {"output_type": "error"},
    ]
    nb["cells"][0]["metadata"] = {"tags": "not-a-list"}
    odd = tmp_path / "odd.ipynb"
    odd.write_text(json.dumps(nb), encoding="utf-8")
    assert HANDLER.compare("odd.ipynb", odd, odd, OPTS) == []
    good = write(tmp_path, "good.ipynb", notebook(code("x", stream("1\n"), cell_id="x")))
    [diff] = HANDLER.compare("odd.ipynb", good, odd, OPTS)
    assert diff.kind == "cell-error"  # the bare error output still counts as an error
    nb["cells"][0]["outputs"] = [7]  # nbformat itself refuses this one
    odd.write_text(json.dumps(nb), encoding="utf-8")
    [diff] = HANDLER.compare("odd.ipynb", good, odd, OPTS)
    assert diff.kind == "unreadable" and diff.b is not None


# --------------------------------------------------------------------------------------------
# properties

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ ", min_size=1, max_size=10)
VALUES = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
LINES = st.lists(st.tuples(WORDS, VALUES), min_size=1, max_size=4)
NOTEBOOKS = st.lists(st.tuples(WORDS, LINES), min_size=1, max_size=5)


def build(spec: list[tuple[str, list[tuple[str, float]]]]) -> Any:
    cells = []
    for source, lines in spec:
        text = "".join(f"{word}: {value!r};\n" for word, value in lines)
        cells.append(new_code_cell(source, outputs=[stream(text)], execution_count=1))
    return notebook(*cells)


def compare_in_tempdir(a: Any, b: Any) -> list[Difference]:
    with tempfile.TemporaryDirectory() as tmp:
        return compare(Path(tmp), a, b)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NOTEBOOKS)
def test_property_a_notebook_equals_itself(spec: list[tuple[str, list[tuple[str, float]]]]) -> None:
    nb = build(spec)
    assert compare_in_tempdir(nb, copy.deepcopy(nb)) == []


def test_minus_one_changed_by_two_thousandths_is_found() -> None:
    # the case hypothesis found when the property test shifted -1.0 back onto itself
    diffs = compare_in_tempdir(build([("_", [("_", -1.0)])]), build([("_", [("_", -0.998)])]))
    assert [d.kind for d in diffs] == ["value-beyond-tolerance"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NOTEBOOKS, st.data())
def test_property_one_changed_number_is_found(
    spec: list[tuple[str, list[tuple[str, float]]]], data: st.DataObject
) -> None:
    cell = data.draw(st.integers(0, len(spec) - 1))
    line = data.draw(st.integers(0, len(spec[cell][1]) - 1))
    word, value = spec[cell][1][line]
    # 1e-3 relative plus 1e-3 absolute is far beyond the default 1e-6 / 1e-9 tolerance; both
    # shifts go the same way so they cannot cancel (value * 1.001 + 0.001 is -1.0 again for -1.0)
    changed_value = value + abs(value) * 1e-3 + 1e-3
    changed = copy.deepcopy(spec)
    changed[cell][1][line] = (word, changed_value)
    a, b = build(spec), build(changed)
    diffs = compare_in_tempdir(a, b)
    assert len(diffs) == 1
    assert diffs[0].kind == "value-beyond-tolerance"
    assert diffs[0].location == f"cell {cell} (id {a.cells[cell].id}) output 0"
    assert f"line {line + 1}" in diffs[0].message


# --------------------------------------------------------------------------------------------
# real runs: papermill executes one notebook twice (and once with a failure)

PNG_CELL = """\
import struct, zlib
from IPython.display import HTML, Image, display


def png(w, h):
    rows = [b"\\x00" + bytes(random.randrange(256) for _ in range(w * 3)) for _ in range(h)]

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"".join(rows))
    head = b"\\x89PNG\\r\\n\\x1a\\n"
    return head + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


display(Image(data=png(8, 6)))
row = "<tr><td>accuracy</td><td>%r</td></tr>" % (0.93 + random.random() * 1e-9)
display(HTML("<table><tr><th>metric</th><th>value</th></tr>" + row + "</table>"))
"""

SHADOW_CELLS = [
    ("markdown", "# Shadow run\nNumbers below carry float noise."),
    ("parameters", "fail = False"),
    (
        "code",
        "import random, sys, tempfile, time\n"
        "print(1.0 + random.random() * 1e-9)\n"
        "print(time.time())\n"
        "print(id(object()))\n"
        "print(object())\n"
        "print(tempfile.mkdtemp())",
    ),
    (
        "code",
        "total = sum(i * 0.5 for i in range(100))\n"
        "print('total', total)\n"
        "{'mean': 2.0 + random.random() * 1e-9}",
    ),
    ("code", "if fail:\n    raise ValueError('injected failure')\nprint('checked')"),
    ("code", "%time x = sum(range(10000))\nprint('done', x)"),
    ("code", PNG_CELL),
    ("code", "# NBVAL_IGNORE_OUTPUT\nprint(random.random())"),
    ("code", "print('warn at', time.time(), file=sys.stderr)"),
]


def shadow_notebook() -> Any:
    cells = []
    for kind, source in SHADOW_CELLS:
        if kind == "markdown":
            cells.append(new_markdown_cell(source))
        elif kind == "parameters":
            cells.append(new_code_cell(source, metadata={"tags": ["parameters"]}))
        else:
            cells.append(new_code_cell(source))
    nb = notebook(*cells)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


@pytest.fixture(scope="session")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A python3 kernelspec for this venv; registered in a temp prefix when none is found."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" in KernelSpecManager().find_kernel_specs():
        yield
        return
    prefix = tmp_path_factory.mktemp("kernel-prefix")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ipykernel",
            "install",
            "--prefix",
            str(prefix),
            "--name",
            "python3",
        ],
        check=True,
        capture_output=True,
    )
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(prefix / "share" / "jupyter"), previous) if p
    )
    yield
    if previous is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = previous


_SHADOW_RUNS: dict[str, Path] = {}


@pytest.fixture(scope="session")
def shadow_runs(kernel_env: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run A, run B (same parameters) and run C (a cell raises), each executed for real.

    Cached per process: the HTML tests import this fixture and reuse the same runs.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if _SHADOW_RUNS:
        return _SHADOW_RUNS
    root = tmp_path_factory.mktemp("shadow")
    source = write(root, "source.ipynb", shadow_notebook())
    runs: dict[str, Path] = {}
    for name, fail in (("a", False), ("b", False), ("c", True)):
        out = root / f"{name}.ipynb"
        try:
            papermill.execute_notebook(
                str(source),
                str(out),
                parameters={"fail": fail},
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                cwd=str(root),
            )
        except PapermillExecutionError:
            assert fail, "only run C is meant to fail"
        runs[name] = out
    _SHADOW_RUNS.update(runs)
    return runs


def load(path: Path) -> Any:
    return nbformat.read(str(path), as_version=4)


def cell_location(nb: Any, index: int, output: int | None = None) -> str:
    where = f"cell {index} (id {nb.cells[index].id})"
    return where if output is None else f"{where} output {output}"


def index_of(nb: Any, start: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.source.startswith(start))


@pytest.mark.slow
def test_real_runs_compare_equal(shadow_runs: dict[str, Path]) -> None:
    a, b = load(shadow_runs["a"]), load(shadow_runs["b"])
    # the runs really differ byte-wise in the places the defaults must absorb
    assert shadow_runs["a"].read_bytes() != shadow_runs["b"].read_bytes()
    assert a.cells[3].outputs != b.cells[3].outputs
    assert HANDLER.compare("shadow.ipynb", shadow_runs["a"], shadow_runs["b"], OPTS) == []


@pytest.mark.slow
def test_real_run_with_a_failing_cell(shadow_runs: dict[str, Path]) -> None:
    a = load(shadow_runs["a"])
    failing = index_of(a, "if fail:")
    diffs = HANDLER.compare("shadow.ipynb", shadow_runs["a"], shadow_runs["c"], OPTS)
    by_kind = {d.kind: d for d in diffs}
    error = by_kind["cell-error"]
    assert error.location == cell_location(a, failing)
    assert error.b is not None and error.b.startswith("ValueError: injected failure")
    stopped = [d for d in diffs if "not executed in B" in d.message]
    assert [d.location for d in stopped] == [cell_location(a, failing + 1)]
    injected = index_of(a, "# Parameters")
    assert any(
        d.location == cell_location(a, injected) and d.kind == "content-changed" for d in diffs
    )


@pytest.mark.slow
def test_real_run_with_a_number_beyond_tolerance(
    shadow_runs: dict[str, Path], tmp_path: Path
) -> None:
    a, b = load(shadow_runs["a"]), load(shadow_runs["b"])
    target = index_of(b, "total = ")
    [out] = [o for o in b.cells[target].outputs if o.output_type == "stream"]
    assert "total 2475.0" in out.text  # sum(i * 0.5 for i in range(100)) = 0.5 * 4950
    out.text = out.text.replace("total 2475.0", "total 2475.1")
    diffs = HANDLER.compare("shadow.ipynb", shadow_runs["a"], write(tmp_path, "b2.ipynb", b), OPTS)
    [diff] = diffs
    assert diff.kind == "value-beyond-tolerance"
    assert diff.location == cell_location(a, target, 0)


@pytest.mark.slow
def test_real_run_with_a_removed_cell(shadow_runs: dict[str, Path], tmp_path: Path) -> None:
    a, b = load(shadow_runs["a"]), load(shadow_runs["b"])
    removed = index_of(b, "%time")
    del b.cells[removed]
    [diff] = HANDLER.compare("shadow.ipynb", shadow_runs["a"], write(tmp_path, "b3.ipynb", b), OPTS)
    assert diff.kind == "missing-on-b"
    assert diff.location == cell_location(a, removed)


@pytest.mark.slow
def test_real_run_image_changed_size(shadow_runs: dict[str, Path], tmp_path: Path) -> None:
    a, b = load(shadow_runs["a"]), load(shadow_runs["b"])
    target = index_of(b, "import struct")
    image = next(o for o in b.cells[target].outputs if "image/png" in o.get("data", {}))
    assert (
        image.data["image/png"]
        != next(o for o in a.cells[target].outputs if "image/png" in o.get("data", {})).data[
            "image/png"
        ]
    )
    image.data["image/png"] = png(8, 7, seed=5)
    [diff] = HANDLER.compare("shadow.ipynb", shadow_runs["a"], write(tmp_path, "b4.ipynb", b), OPTS)
    assert (diff.a, diff.b) == ("image/png 8x6", "image/png 8x7")
