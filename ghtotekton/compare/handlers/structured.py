"""JSON, YAML and CSV: the same data, with numbers equal within a tolerance.

Metrics files, benchmark results and exported tables hold floats that GPU and BLAS noise moves in
the last digits; byte equality would call every run divergent. JSON and YAML are loaded into plain
data and walked in step (see :class:`_Walker` for why not deepdiff): numbers are equal within the
configured :class:`Tolerance` (absolute OR relative), booleans are never numbers, object keys are
unordered, lists of unequal length are aligned. Locations are JSON paths (``$.metrics.loss``,
``$.rows[3]``), in document order; ``options.ignore`` holds regexes matched against that form and
against deepdiff's (``root['metrics']['loss']``), so configurations written for either work.

YAML is read by :mod:`ghtotekton.yamlsource` (YAML 1.2 core schema, alias expansion counted, depth
bounded); a stream of several documents compares as the list of its documents.

CSV compares row by row under the header, numeric cells within the tolerance; ``options.ignore``
names columns. Rows are aligned exactly first (difflib), and where noise makes no row exactly
equal, by tolerant equality with a short lookahead, so one dropped row is reported as that row
and not as every row after it shifted. Row numbers count data rows from 1, the header excluded.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghtotekton.compare.handlers._readers import (
    Unreadable,
    align,
    capped,
    compile_patterns,
    glob_any,
    is_number,
    load_pair,
    max_bytes,
    numbers_close,
    read_bytes,
    short,
)
from ghtotekton.compare.handlers.base import Difference, DifferenceKind, HandlerOptions, Tolerance
from ghtotekton.errors import InputError
from ghtotekton.limits import MAX_YAML_DEPTH
from ghtotekton.yamlsource import load_yaml_bytes

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUMBER = re.compile(
    r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:nan|inf|infinity)$", re.I
)
_DOC_START = re.compile(rb"^---(?=[ \t\r\n]|$)", re.M)


# ---------------------------------------------------------------------------------------------
# JSON and YAML


def json_path(parts: Sequence[object]) -> str:
    """``$.a[2]["key with space"]``: where a value is, as a reader of the file names it."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out.append(f"[{part}]")
        elif isinstance(part, str) and _IDENT.match(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(str(part), ensure_ascii=False)}]")
    return "".join(out)


def deepdiff_path(parts: Sequence[object]) -> str:
    """``root['a'][2]``: the same place as deepdiff writes it, for ignore patterns in that form."""
    return "root" + "".join(f"[{p!r}]" for p in parts)


def _render(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return short(text)


def _key(value: Any) -> str:
    """A hashable stand-in for a value, exact (``true`` is not ``1``), to align lists."""
    try:
        return json.dumps(value, sort_keys=True, default=str, allow_nan=True)
    except (TypeError, ValueError):
        return repr(value)


def _check_depth(data: Any, limit: int = MAX_YAML_DEPTH) -> None:
    """Refuse nesting deeper than we compare: deepdiff recurses once per level."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise Unreadable(f"nesting deeper than {limit} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def load_json(path: Path, limit: int) -> Any:
    """Parse a JSON file (UTF-8/16/32); NaN and Infinity are accepted as Python writes them."""
    data = read_bytes(path, limit)
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise Unreadable(f"not valid JSON at {where}: {exc.msg}") from None
    except RecursionError:
        raise Unreadable(f"nesting deeper than {MAX_YAML_DEPTH} levels") from None
    except (ValueError, UnicodeError) as exc:
        raise Unreadable(f"not valid JSON: {short(str(exc), 120)}") from None
    _check_depth(value)
    return value


def _yaml_chunks(raw: bytes) -> list[bytes]:
    """The documents of a YAML stream, split at ``---`` lines.

    ``yamlsource`` reads one document (workflows have one); a ``---`` at the start of a line
    always starts a document in YAML (no scalar may contain it there), so splitting there is
    exact. Directives and comments before a marker stay with the document that follows.
    """
    starts = [m.start() for m in _DOC_START.finditer(raw)]
    if not starts:
        return [raw]
    pieces = [raw[: starts[0]]] + [
        raw[s : (starts[i + 1] if i + 1 < len(starts) else len(raw))] for i, s in enumerate(starts)
    ]
    chunks: list[bytes] = []
    carry = b""
    for piece in pieces:
        if _only_preamble(piece):
            carry += piece
            continue
        chunks.append(carry + piece)
        carry = b""
    if carry.strip() and chunks:
        chunks[-1] += carry
    return chunks or [raw]


def _only_preamble(piece: bytes) -> bool:
    for line in piece.splitlines():
        text = line.strip()
        if text and not text.startswith((b"#", b"%")) and text not in (b"---", b"..."):
            return False
    return True


def load_yaml(path: Path, limit: int, display: str = "") -> Any:
    """Parse a YAML file safely; several documents become a list of them."""
    raw = read_bytes(path, limit)
    name = display or path.name
    docs: list[Any] = []
    for chunk in _yaml_chunks(raw):
        try:
            docs.append(load_yaml_bytes(chunk, name).data)
        except InputError as exc:
            raise Unreadable(exc.first.message) from None
        except RecursionError:
            raise Unreadable("nesting too deep to read") from None
    data = docs[0] if len(docs) == 1 else docs
    _check_depth(data)
    return data


def same(a: Any, b: Any, tol: Tolerance) -> bool:
    """Deep equality with numbers under ``tol``; booleans are never numbers."""
    if a is b:
        return True
    if is_number(a) and is_number(b):
        return numbers_close(a, b, tol)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k], tol) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class _Walker:
    """Walks two documents in step and records where they differ.

    deepdiff was the first choice, but it spends about 0.25 ms per record whatever the options
    (28 s for a 6.5 MB metrics file with float noise, against under a second here), and it pairs
    lists of objects by position, so one dropped record reads as every later record changed.
    Lists of unequal length are aligned instead, exactly and then under the tolerance.
    """

    def __init__(self, handler: str, path: str, options: HandlerOptions) -> None:
        self.handler, self.path, self.tol = handler, path, options.tolerance
        self.patterns = compile_patterns(options.ignore)
        self.out: list[Difference] = []

    def ignored(self, parts: tuple[object, ...]) -> bool:
        if not self.patterns:
            return False
        jp, dp = json_path(parts), deepdiff_path(parts)
        return any(p.search(jp) or p.search(dp) for p in self.patterns)

    def walk(self, a: Any, b: Any, parts: tuple[object, ...]) -> None:
        if a is b or self.ignored(parts):
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k, v in a.items():
                if k in b:
                    self.walk(v, b[k], (*parts, k))
                else:
                    self.only("a", (*parts, k), v)
            for k, v in b.items():
                if k not in a:
                    self.only("b", (*parts, k), v)
        elif isinstance(a, list) and isinstance(b, list):
            self.walk_list(a, b, parts)
        elif is_number(a) and is_number(b):
            if not numbers_close(a, b, self.tol):
                self.changed("value-beyond-tolerance", parts, a, b)
        elif type(a) is not type(b) or a != b:
            self.changed("value-changed", parts, a, b)

    def walk_list(self, a: list[Any], b: list[Any], parts: tuple[object, ...]) -> None:
        if len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                self.walk(x, y, (*parts, i))
            return
        steps = align(
            [_key(x) for x in a], [_key(y) for y in b], lambda i, j: same(a[i], b[j], self.tol)
        )
        for ia, jb in steps:
            if ia is not None and jb is not None:
                self.walk(a[ia], b[jb], (*parts, ia))
            elif ia is not None:
                self.only("a", (*parts, ia), a[ia])
            elif jb is not None:
                self.only("b", (*parts, jb), b[jb])

    def only(self, side: str, parts: tuple[object, ...], value: Any) -> None:
        if self.ignored(parts):
            return
        where = json_path(parts)
        text = _render(value)
        self.out.append(
            Difference(
                handler=self.handler,
                path=self.path,
                location=where,
                kind="missing-on-b" if side == "a" else "missing-on-a",
                message=f"{where} is present in {side.upper()} only",
                a=text if side == "a" else None,
                b=text if side == "b" else None,
            )
        )

    def changed(self, kind: DifferenceKind, parts: tuple[object, ...], a: Any, b: Any) -> None:
        where = json_path(parts)
        ra, rb = _render(a), _render(b)
        message = f"{where}: {ra} in A, {rb} in B"
        if kind == "value-beyond-tolerance":
            message += f" (tolerance abs {self.tol.abs:g}, rel {self.tol.rel:g})"
        self.out.append(
            Difference(
                handler=self.handler,
                path=self.path,
                location=where,
                kind=kind,
                message=message,
                a=ra,
                b=rb,
            )
        )


def compare_data(
    handler: str, path: str, left: Any, right: Any, options: HandlerOptions
) -> list[Difference]:
    """Differences between two loaded documents in document order, located by JSON path."""
    walker = _Walker(handler, path, options)
    try:
        walker.walk(left, right, ())
    except RecursionError:  # loaders bound the depth; this is the last line of defence
        return [
            Difference(
                handler=handler,
                path=path,
                kind="content-changed",
                message="too deeply nested to compare",
            )
        ]
    return capped(walker.out, options, handler, path, "differences")


class _DataHandler:
    """Shared shape of the JSON and YAML handlers: load both sides, then :func:`compare_data`."""

    def __init__(self, name: str, loader: Callable[[Path, int], Any]) -> None:
        self.name = name
        self._loader = loader

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        limit = max_bytes(options)
        da, db, out = load_pair(self.name, path, a, b, lambda p: (self._loader(p, limit),))
        if da is None or db is None:
            return out
        return compare_data(self.name, path, da[0], db[0], options)


# ---------------------------------------------------------------------------------------------
# CSV


@dataclass(slots=True)
class Table:
    """A CSV file: column names (made unique) and the data rows as strings."""

    header: list[str]
    rows: list[list[str]]


def _delimiter(first_line: str) -> str:
    """The separator used most in the header line; a comma when none is used.

    More predictable than ``csv.Sniffer``, which guesses differently on small samples and
    would let the two sides of one comparison be read with different dialects.
    """
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        n = seen.get(name, 0) + 1
        seen[name] = n
        out.append(name if n == 1 else f"{name}#{n}")
    return out


def load_csv(path: Path, limit: int) -> Table:
    """Parse a CSV (or TSV, semicolon, pipe) file; blank lines are skipped."""
    data = read_bytes(path, limit)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # every byte is a character: exported spreadsheets
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    try:
        rows = [row for row in reader if row]
    except csv.Error as exc:
        raise Unreadable(f"not valid CSV at line {reader.line_num}: {exc}") from None
    if not rows:
        return Table([], [])
    return Table(_unique([c.strip() for c in rows[0]]), rows[1:])


def _number(cell: str) -> float | None:
    text = cell.strip()
    if not _NUMBER.match(text):
        return None
    try:
        return float(text)
    except (ValueError, OverflowError):
        return None


def cells_close(x: str, y: str, tol: Tolerance) -> bool:
    """Equal text, or two numbers within the tolerance."""
    if x == y or x.strip() == y.strip():
        return True
    nx, ny = _number(x), _number(y)
    return nx is not None and ny is not None and numbers_close(nx, ny, tol)


class CsvHandler:
    """Row by row under the header; numeric cells within the tolerance; ignore = column names."""

    name = "csv"

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        limit = max_bytes(options)
        ta, tb, out = load_pair(self.name, path, a, b, lambda p: load_csv(p, limit))
        if ta is None or tb is None:
            return out
        return self.compare_tables(path, ta, tb, options)

    def compare_tables(
        self, path: str, ta: Table, tb: Table, options: HandlerOptions
    ) -> list[Difference]:
        """Differences between two loaded tables: columns first, then rows."""
        out: list[Difference] = []
        keep_a = [c for c in ta.header if not glob_any(c, options.ignore)]
        keep_b = [c for c in tb.header if not glob_any(c, options.ignore)]
        index_b = {c: i for i, c in enumerate(tb.header)}
        index_a = {c: i for i, c in enumerate(ta.header)}
        for c in keep_a:
            if c not in index_b:
                out.append(self._diff(path, f"column {c}", "missing-on-b", f"column {c} in A only"))
        for c in keep_b:
            if c not in index_a:
                out.append(self._diff(path, f"column {c}", "missing-on-a", f"column {c} in B only"))
        columns = [(c, index_a[c], index_b[c]) for c in keep_a if c in index_b]
        rows_a = [tuple(_cell(r, ia) for _, ia, _ in columns) for r in ta.rows]
        rows_b = [tuple(_cell(r, ib) for _, _, ib in columns) for r in tb.rows]
        names = [c for c, _, _ in columns]
        out.extend(_row_differences(self, path, names, rows_a, rows_b, options.tolerance))
        return capped(out, options, self.name, path, "differences")

    def _diff(
        self,
        path: str,
        location: str,
        kind: DifferenceKind,
        message: str,
        a: str | None = None,
        b: str | None = None,
    ) -> Difference:
        return Difference(
            handler=self.name, path=path, location=location, kind=kind, message=message, a=a, b=b
        )


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


Row = tuple[str, ...]


def _row_differences(
    h: CsvHandler, path: str, names: list[str], rows_a: list[Row], rows_b: list[Row], tol: Tolerance
) -> list[Difference]:
    """Rows present on one side only, and the cells that differ in rows that correspond."""
    out: list[Difference] = []

    def close(i: int, j: int) -> bool:
        return all(cells_close(x, y, tol) for x, y in zip(rows_a[i], rows_b[j], strict=True))

    for i, j in align(rows_a, rows_b, close):
        if i is None or j is None:
            side, index = ("A", i) if j is None else ("B", j)
            assert index is not None
            text = short(",".join((rows_a if side == "A" else rows_b)[index]))
            out.append(
                h._diff(
                    path,
                    f"row {index + 1}",
                    "missing-on-b" if side == "A" else "missing-on-a",
                    f"row {index + 1} of {side} has no counterpart in the other run",
                    a=text if side == "A" else None,
                    b=text if side == "B" else None,
                )
            )
            continue
        where = f"row {i + 1}" if i == j else f"row {i + 1} (B row {j + 1})"
        for name, x, y in zip(names, rows_a[i], rows_b[j], strict=True):
            if cells_close(x, y, tol):
                continue
            numeric = _number(x) is not None and _number(y) is not None
            kind: DifferenceKind = "value-beyond-tolerance" if numeric else "value-changed"
            out.append(
                h._diff(
                    path,
                    f"row {i + 1}, column {name}",
                    kind,
                    f"{where}, column {name}: {short(x, 60)} in A, {short(y, 60)} in B",
                    a=short(x),
                    b=short(y),
                )
            )
    return out


JSON_HANDLER = _DataHandler("json", load_json)
YAML_HANDLER = _DataHandler("yaml", load_yaml)
CSV_HANDLER = CsvHandler()
HANDLER = JSON_HANDLER
