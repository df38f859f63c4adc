"""Jupyter notebooks: the same when every cell has the same source and, after sanitising, outputs.

A notebook executed twice never has the same bytes: execution counts, papermill and kernel
timings, object addresses, temp paths and float noise differ every time, and papermill gives its
injected-parameters cell a fresh random id on every run. So cells are paired by id (by source
where ids do not line up), metadata is not compared, and outputs are compared the way nbval does:
text after sanitising, numbers under tolerance, errors by name and value, images by pixel size
(or hash, or not at all). A cell can opt out with nbval's markers.

Streams are merged per name (stdout, stderr) within a cell before comparing, because how the
kernel chunks a stream, and how stdout interleaves with stderr, depends on timing only.

Options: ``extra["compare_images"]`` is ``size`` (default), ``hash`` or ``ignore``;
``ignore`` entries are stream names (``stderr``), ``mime:<type>`` (``mime:application/javascript``)
or ``cell:<id or index>``. Locations read ``cell 3 (id abc) output 0`` with A's cell index (B's
for a cell only in B); cell metadata, execution counts and notebook metadata are never compared.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import nbformat

from ghtotekton.compare.handlers._readers import (
    Unreadable,
    capped,
    decode_text,
    load_pair,
    max_bytes,
    read_bytes,
    short,
)
from ghtotekton.compare.handlers.base import Difference, DifferenceKind, HandlerOptions
from ghtotekton.compare.handlers.html import (
    decode_base64_prefix,
    describe_image,
    image_dimensions,
    svg_size,
    visible_text,
)
from ghtotekton.compare.handlers.sanitize import compare_sanitized, normalize_terminal, sanitize

NAME = "notebook"

_NBFORMAT: Any = nbformat  # partly untyped; typed at the boundary below

IGNORE_OUTPUT_TAGS = frozenset({"nbval-ignore-output", "ghtotekton-ignore-output"})
SKIP_TAGS = frozenset({"nbval-skip", "ghtotekton-skip"})
IGNORE_OUTPUT_COMMENT = re.compile(r"#\s*NBVAL_IGNORE_OUTPUT\b", re.I)
SKIP_COMMENT = re.compile(r"#\s*NBVAL_SKIP\b", re.I)
"""nbval's markers, on the first line of a cell's source."""
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
"""Papermill inserts a markdown cell with this tag at the top of a failed notebook; the failure
itself is reported at the cell that raised, so this cell is not compared."""

TEXT_ORDER = ("text/plain", "text/html", "text/markdown", "text/latex")
"""Representations compared first; after the first one that differs, the rest of the same output
are not reported (a changed DataFrame would otherwise show up in text/plain and text/html)."""

IMAGE_MODES = ("size", "hash", "ignore")


# --------------------------------------------------------------------------------------------
# a small, defensive model of what we compare


@dataclass(slots=True)
class Output:
    index: int
    output_type: str
    data: dict[str, Any] = field(default_factory=dict)
    ename: str = ""
    evalue: str = ""


@dataclass(slots=True)
class Cell:
    index: int
    cell_id: str
    cell_type: str
    source: str
    tags: frozenset[str]
    executed: bool
    streams: dict[str, str] = field(default_factory=dict)
    """Stream text per name (stdout, stderr), all chunks of the cell joined in order."""
    stream_index: dict[str, int] = field(default_factory=dict)
    """Index of each stream's first output, for locations."""
    outputs: list[Output] = field(default_factory=list)
    """Every output that is not a stream, in order."""

    @property
    def error(self) -> Output | None:
        return next((o for o in self.outputs if o.output_type == "error"), None)

    @property
    def first_line(self) -> str:
        return self.source.lstrip().split("\n", 1)[0].strip()

    @property
    def skipped(self) -> bool:
        return bool(self.tags & SKIP_TAGS) or SKIP_COMMENT.match(self.first_line) is not None

    @property
    def outputs_ignored(self) -> bool:
        if self.tags & IGNORE_OUTPUT_TAGS:
            return True
        return IGNORE_OUTPUT_COMMENT.match(self.first_line) is not None

    def where(self) -> str:
        return f"cell {self.index} (id {self.cell_id})" if self.cell_id else f"cell {self.index}"


def _text(value: object) -> str:
    """A multiline notebook string (str, or the list of lines the format also allows)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _cells(nb: Mapping[str, Any]) -> list[Cell]:
    raw_cells = nb.get("cells")
    if not isinstance(raw_cells, list):
        raise Unreadable("not a Jupyter notebook: no list of cells")
    cells: list[Cell] = []
    for index, raw in enumerate(raw_cells):
        if not isinstance(raw, Mapping):
            raise Unreadable(f"cell {index} is not an object")
        meta = raw.get("metadata")
        tags = meta.get("tags") if isinstance(meta, Mapping) else None
        cell = Cell(
            index=index,
            cell_id=str(raw.get("id") or ""),
            cell_type=str(raw.get("cell_type") or ""),
            source=_text(raw.get("source")),
            tags=frozenset(t for t in tags if isinstance(t, str))
            if isinstance(tags, list)
            else (frozenset()),
            executed=raw.get("execution_count") is not None,
        )
        outputs = raw.get("outputs")
        for out_index, out in enumerate(outputs if isinstance(outputs, list) else []):
            if not isinstance(out, Mapping):
                raise Unreadable(f"cell {index} output {out_index} is not an object")
            _add_output(cell, out_index, out)
            cell.executed = True
        cells.append(cell)
    return cells


def _add_output(cell: Cell, index: int, out: Mapping[str, Any]) -> None:
    kind = str(out.get("output_type") or "")
    if kind == "stream":
        name = str(out.get("name") or "stdout")
        cell.streams[name] = cell.streams.get(name, "") + _text(out.get("text"))
        cell.stream_index.setdefault(name, index)
        return
    if kind == "error":
        cell.outputs.append(
            Output(
                index, kind, ename=str(out.get("ename") or ""), evalue=str(out.get("evalue") or "")
            )
        )
        return
    data = out.get("data")
    bundle = {str(k): v for k, v in data.items()} if isinstance(data, Mapping) else {}
    cell.outputs.append(Output(index, kind, data=bundle))


def load_notebook(file: Path, limit: int) -> list[Cell]:
    """Read one side; any problem is :class:`Unreadable` with a reason a reviewer understands.

    Reads like ``nbformat.reads(text, as_version=4)`` minus the schema validation: a real run's
    notebook with a schema wart is still comparable (the model below reads it defensively), and
    validation would log to the application logger and cost a second pass over large files.
    """
    text = decode_text(read_bytes(file, limit))
    try:
        plain = json.loads(text)
    except ValueError:
        plain = None
    if isinstance(plain, dict) and plain.get("nbformat") == 4:
        # the current format needs no conversion: plain data (nbformat's attribute-access
        # copy of every node was a tenth of a large notebook's comparison)
        return _cells(plain)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = _NBFORMAT.convert(_NBFORMAT.reader.reads(text), 4)
    except Exception as exc:
        reason = str(exc).split("\n", 1)[0][:160] or type(exc).__name__
        raise Unreadable(f"not a Jupyter notebook: {reason}") from None
    if not isinstance(nb, Mapping):
        raise Unreadable("not a Jupyter notebook: the top level is not an object")
    return _cells(nb)


# --------------------------------------------------------------------------------------------
# pairing cells

Pair = tuple[Cell | None, Cell | None]


def _source_key(cell: Cell) -> tuple[str, str]:
    return (cell.cell_type, cell.source)


def _unpaired(a: list[Cell], b: list[Cell]) -> list[Pair]:
    return [(c, None) for c in a] + [(None, c) for c in b]


def _align(
    a: list[Cell],
    b: list[Cell],
    key: Callable[[Cell], object],
    rest: Callable[[list[Cell], list[Cell]], list[Pair]],
) -> Iterator[Pair]:
    """Pairs in notebook order: equal keys pair, equal-length replaced runs pair by position
    (the same cells with a new id or an edited source), anything else goes to ``rest``."""
    matcher = SequenceMatcher(None, [key(c) for c in a], [key(c) for c in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            yield from zip(a[i1:i2], b[j1:j2], strict=True)
        else:
            yield from rest(a[i1:i2], b[j1:j2])


def pair_cells(a: list[Cell], b: list[Cell]) -> list[Pair]:
    """Cells of A and B paired; a cell on one side only is paired with None.

    By id when every cell on both sides has one (nbformat 4.5+), else by type and source. Ids
    that do not line up (papermill's injected-parameters cell gets a random id on each run) fall
    back to sources within that stretch, and only then to "inserted" and "removed".
    """
    if a and b and all(c.cell_id for c in a) and all(c.cell_id for c in b):

        def by_source(x: list[Cell], y: list[Cell]) -> list[Pair]:
            return list(_align(x, y, _source_key, _unpaired))

        return list(_align(a, b, lambda c: c.cell_id, by_source))
    return list(_align(a, b, _source_key, _unpaired))


# --------------------------------------------------------------------------------------------
# comparing


@dataclass(frozen=True, slots=True)
class _Context:
    path: str
    options: HandlerOptions
    image_mode: str
    ignore_streams: frozenset[str]
    ignore_mimes: frozenset[str]
    ignore_cells: frozenset[str]

    @classmethod
    def of(cls, path: str, options: HandlerOptions) -> _Context:
        mode = options.extra.get("compare_images", "size")
        streams: set[str] = set()
        mimes: set[str] = set()
        cells: set[str] = set()
        for item in options.ignore:
            if item.startswith("mime:"):
                mimes.add(item[5:])
            elif item.startswith("cell:"):
                cells.add(item[5:])
            else:
                streams.add(item)
        return cls(
            path,
            options,
            mode if mode in IMAGE_MODES else "size",
            frozenset(streams),
            frozenset(mimes),
            frozenset(cells),
        )

    def diff(
        self, location: str, kind: DifferenceKind, message: str, a: str | None, b: str | None
    ) -> Difference:
        return Difference(
            handler=NAME,
            path=self.path,
            location=location,
            kind=kind,
            message=message,
            a=None if a is None else short(a),
            b=None if b is None else short(b),
        )

    def dropped(self, cell: Cell) -> bool:
        return (
            cell.skipped
            or PAPERMILL_ERROR_TAG in cell.tags
            or cell.cell_id in self.ignore_cells
            or str(cell.index) in self.ignore_cells
        )

    def text_difference(self, location: str, what: str, a: str, b: str) -> list[Difference]:
        """Sanitised text with numbers under tolerance; raw-equal text costs nothing."""
        mismatch = compare_sanitized(
            a, b, self.options.tolerance, self.options.sanitizers, terminal=True
        )
        if mismatch is None:
            return []
        return [
            self.diff(
                location, mismatch.kind, f"{what}: {mismatch.message}", mismatch.a, mismatch.b
            )
        ]


def compare_cells(
    path: str, cells_a: list[Cell], cells_b: list[Cell], options: HandlerOptions
) -> list[Difference]:
    """The differences between two notebooks already read, in A's cell order."""
    ctx = _Context.of(path, options)
    a = [c for c in cells_a if not ctx.dropped(c)]
    b = [c for c in cells_b if not ctx.dropped(c)]
    found: list[Difference] = []
    stopped: list[tuple[Cell, str]] = []
    """Consecutive cells executed on one side only: one difference for the run of them."""
    for cell_a, cell_b in pair_cells(a, b):
        if cell_a is not None and cell_b is not None and _executed_on_one_side(cell_a, cell_b):
            side = "B" if cell_a.executed else "A"
            if stopped and stopped[-1][1] != side:
                found.append(_not_executed(ctx, stopped))
                stopped = []
            # a cell whose output is ignored joins a run but never starts one
            if stopped or not (cell_a.outputs_ignored or cell_b.outputs_ignored):
                stopped.append((cell_a, side))
            continue
        if stopped:
            found.append(_not_executed(ctx, stopped))
            stopped = []
        if cell_a is None and cell_b is not None:
            found.append(
                ctx.diff(
                    cell_b.where(),
                    "missing-on-a",
                    f"{cell_b.cell_type} cell only in B",
                    None,
                    cell_b.first_line,
                )
            )
        elif cell_b is None and cell_a is not None:
            found.append(
                ctx.diff(
                    cell_a.where(),
                    "missing-on-b",
                    f"{cell_a.cell_type} cell only in A",
                    cell_a.first_line,
                    None,
                )
            )
        elif cell_a is not None and cell_b is not None:
            found.extend(_compare_cell(ctx, cell_a, cell_b))
    if stopped:
        found.append(_not_executed(ctx, stopped))
    return capped(found, options, NAME, path, "notebook differences")


def _executed_on_one_side(a: Cell, b: Cell) -> bool:
    return (
        a.cell_type == b.cell_type == "code" and a.source == b.source and a.executed != b.executed
    )


def _not_executed(ctx: _Context, cells: list[tuple[Cell, str]]) -> Difference:
    first, side = cells[0]
    other = "A" if side == "B" else "B"
    count = f"{len(cells)} cells from here were" if len(cells) > 1 else "this cell was"
    return ctx.diff(
        first.where(),
        "content-changed",
        f"{count} not executed in {side} (executed in {other}); did execution stop earlier?",
        "executed" if side == "B" else "not executed",
        "not executed" if side == "B" else "executed",
    )


def _compare_cell(ctx: _Context, a: Cell, b: Cell) -> list[Difference]:
    where = a.where()
    if a.cell_type != b.cell_type:
        return [ctx.diff(where, "content-changed", "cell type changed", a.cell_type, b.cell_type)]
    found: list[Difference] = []
    if a.source != b.source:
        found.append(_source_difference(ctx, where, a.source, b.source))
    if a.cell_type != "code" or a.outputs_ignored or b.outputs_ignored:
        return found
    error_a, error_b = a.error, b.error
    if (error_a is None) != (error_b is None):
        side = "A" if error_a is not None else "B"
        found.append(
            ctx.diff(
                where,
                "cell-error",
                f"the cell raised an error in {side} only",
                _error_text(error_a),
                _error_text(error_b),
            )
        )
        return found  # what follows an error is its consequence, not a second finding
    if error_a is not None and error_b is not None:
        found.extend(_compare_errors(ctx, a, error_a, error_b))
    for name in sorted(a.streams.keys() | b.streams.keys()):
        if name in ctx.ignore_streams:
            continue
        index = a.stream_index.get(name, b.stream_index.get(name, 0))
        found.extend(
            ctx.text_difference(
                f"{where} output {index}", name, a.streams.get(name, ""), b.streams.get(name, "")
            )
        )
    outs_a = [o for o in a.outputs if o.output_type != "error"]
    outs_b = [o for o in b.outputs if o.output_type != "error"]
    for k in range(max(len(outs_a), len(outs_b))):
        if k >= len(outs_b):
            out = outs_a[k]
            found.append(
                ctx.diff(
                    f"{where} output {out.index}",
                    "missing-on-b",
                    f"{out.output_type} output only in A",
                    _summary(out),
                    None,
                )
            )
        elif k >= len(outs_a):
            out = outs_b[k]
            found.append(
                ctx.diff(
                    f"{where} output {out.index}",
                    "missing-on-a",
                    f"{out.output_type} output only in B",
                    None,
                    _summary(out),
                )
            )
        else:
            found.extend(
                _compare_output(ctx, f"{where} output {outs_a[k].index}", outs_a[k], outs_b[k])
            )
    return found


def _source_difference(ctx: _Context, where: str, a: str, b: str) -> Difference:
    lines_a, lines_b = a.split("\n"), b.split("\n")
    line = 0
    while line < min(len(lines_a), len(lines_b)) and lines_a[line] == lines_b[line]:
        line += 1
    shown_a = lines_a[line] if line < len(lines_a) else "(end of source)"
    shown_b = lines_b[line] if line < len(lines_b) else "(end of source)"
    return ctx.diff(
        where, "content-changed", f"source differs at line {line + 1}", shown_a, shown_b
    )


def _error_text(error: Output | None) -> str:
    if error is None:
        return "(no error)"
    return f"{error.ename}: {error.evalue}" if error.evalue else error.ename


def _compare_errors(ctx: _Context, cell: Cell, a: Output, b: Output) -> list[Difference]:
    sanitizers = ctx.options.sanitizers
    if (sanitize(a.ename, sanitizers), sanitize(normalize_terminal(a.evalue), sanitizers)) == (
        sanitize(b.ename, sanitizers),
        sanitize(normalize_terminal(b.evalue), sanitizers),
    ):
        return []
    return [
        ctx.diff(
            f"{cell.where()} output {a.index}",
            "content-changed",
            "the cell raised a different error",
            _error_text(a),
            _error_text(b),
        )
    ]


def _summary(out: Output) -> str:
    if out.output_type == "error":
        return _error_text(out)
    for mime in TEXT_ORDER:
        value = out.data.get(mime)
        if isinstance(value, str | list):
            return f"{mime}: {_text(value)}"
    return ", ".join(sorted(out.data)) or out.output_type


def _mime_order(mimes: set[str]) -> list[str]:
    first = [m for m in TEXT_ORDER if m in mimes]
    return first + sorted(mimes.difference(first))


def _compare_output(ctx: _Context, where: str, a: Output, b: Output) -> list[Difference]:
    if a.output_type != b.output_type:
        return [
            ctx.diff(where, "content-changed", "output type changed", a.output_type, b.output_type)
        ]
    mimes_a = {m for m in a.data if m not in ctx.ignore_mimes}
    mimes_b = {m for m in b.data if m not in ctx.ignore_mimes}
    if ctx.image_mode == "ignore":
        mimes_a = {m for m in mimes_a if not m.startswith("image/")}
        mimes_b = {m for m in mimes_b if not m.startswith("image/")}
    if mimes_a != mimes_b:
        return [
            ctx.diff(
                where,
                "content-changed",
                "the output has different representations",
                ", ".join(sorted(mimes_a)),
                ", ".join(sorted(mimes_b)),
            )
        ]
    for mime in _mime_order(mimes_a):
        found = _compare_mime(ctx, where, mime, a.data[mime], b.data[mime])
        if found:
            return found
    return []


def _compare_mime(ctx: _Context, where: str, mime: str, a: object, b: object) -> list[Difference]:
    if a == b:
        return []
    if mime.startswith("image/"):
        return _compare_image(ctx, where, mime, _text(a), _text(b))
    if mime == "text/html":
        return ctx.text_difference(where, mime, visible_text(_text(a)), visible_text(_text(b)))
    if (
        isinstance(a, str | list)
        and isinstance(b, str | list)
        and (mime.startswith("text/") or isinstance(a, str))
    ):
        return ctx.text_difference(where, mime, _text(a), _text(b))
    return ctx.text_difference(where, mime, _json(a), _json(b))


def _json(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        return repr(value)


def _compare_image(ctx: _Context, where: str, mime: str, a: str, b: str) -> list[Difference]:
    if ctx.image_mode == "hash":
        digest_a, digest_b = _image_digest(mime, a), _image_digest(mime, b)
        if digest_a == digest_b:
            return []
        return [
            ctx.diff(where, "content-changed", f"{mime} image differs (sha256)", digest_a, digest_b)
        ]
    size_a, size_b = _image_size(mime, a), _image_size(mime, b)
    if size_a == size_b:
        return []
    return [ctx.diff(where, "content-changed", f"{mime} image differs in size", size_a, size_b)]


def _image_digest(mime: str, data: str) -> str:
    if mime == "image/svg+xml":
        return hashlib.sha256(data.encode("utf-8", "replace")).hexdigest()
    try:
        raw = base64.b64decode("".join(data.split()), validate=False)
    except (binascii.Error, ValueError):
        raw = data.encode("utf-8", "replace")
    return hashlib.sha256(raw).hexdigest()


def _image_size(mime: str, data: str) -> str:
    """Pixel size from the header (the bytes of a redrawn plot differ, its canvas does not)."""
    if mime == "image/svg+xml":
        return f"{mime} {svg_size(data)}".rstrip()
    head, total = decode_base64_prefix(data)
    dims = image_dimensions(head)
    if dims is None:
        return describe_image(mime, head) if len(head) == total else f"{mime} {total} bytes"
    return f"{mime} {dims[0]}x{dims[1]}"


class NotebookHandler:
    """Cell-by-cell comparison of two Jupyter notebooks."""

    name = NAME

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        limit = max_bytes(options)
        cells_a, cells_b, bad = load_pair(NAME, path, a, b, lambda f: load_notebook(f, limit))
        if cells_a is None or cells_b is None:
            return bad
        return compare_cells(path, cells_a, cells_b, options)


HANDLER = NotebookHandler()
