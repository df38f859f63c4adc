"""Safe reading shared by the handlers: bounded size, safe XML, failures as differences.

Also the few helpers every handler needs in the same way: tolerant numbers, ignore patterns, the
per-file cap on differences, and the alignment of two sequences (CSV rows, log lines).

Artifacts come from CI runs we do not control, so every read is bounded and every parse failure
becomes a Difference of kind ``unreadable`` instead of an exception: one malformed report must
not stop the comparison of ten thousand other files. Handlers raise :class:`Unreadable` from
their loaders and let :func:`load_pair` turn it into the difference for the bad side.
"""

from __future__ import annotations

import difflib
import fnmatch
import io
import math
import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring

from ghtotekton import limits
from ghtotekton.compare.handlers.base import Difference, HandlerOptions, Tolerance

T = TypeVar("T")
H = TypeVar("H", bound=Hashable)
Side = Literal["a", "b"]

DEFAULT_ARTIFACT_BYTES = 128 * 1024**2
"""What a handler parses into memory when ``limits`` has no artifact limit of its own.

``limits.MAX_FILE_BYTES`` is sized for workflow YAML (10 MB); real JUnit and coverage reports of
large suites reach tens of MB, and refusing them would turn a big but healthy run divergent.
"""

DEFAULT_MAX_DIFFERENCES = 20
"""Differences reported per file before the rest are summarised: a reviewer reads the first few;
thousands of lines of a reformatted log help no one and bloat the ledger."""

SHORT = 200
"""Characters kept of one side's rendering in a Difference."""


class Unreadable(Exception):
    """A file that cannot be compared; the message says why in words a reviewer understands."""


def max_bytes(options: HandlerOptions) -> int:
    """The parse limit for one file: ``extra["max_bytes"]``, else the global artifact limit."""
    override = options.extra.get("max_bytes")
    if isinstance(override, int) and not isinstance(override, bool) and override > 0:
        return override
    configured = getattr(limits, "MAX_ARTIFACT_BYTES", None)
    if isinstance(configured, int) and configured > 0:
        return configured
    return max(limits.MAX_FILE_BYTES, DEFAULT_ARTIFACT_BYTES)


def max_differences(options: HandlerOptions) -> int:
    """How many differences a file reports before one summary difference for the rest."""
    value = options.extra.get("max_differences")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return DEFAULT_MAX_DIFFERENCES


def open_regular(path: Path) -> io.BufferedReader:
    """Open a regular file for reading, without blocking on a FIFO or following into a device.

    ``O_NONBLOCK`` makes opening a named pipe return at once instead of waiting for a writer;
    the file type is then checked on the open descriptor, so nothing can swap it in between.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Unreadable("no such file") from None
    except PermissionError:
        raise Unreadable("permission denied") from None
    except IsADirectoryError:
        raise Unreadable("is a directory, not a file") from None
    except OSError as exc:
        raise Unreadable(f"cannot open: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise Unreadable("is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise Unreadable("not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return io.BufferedReader(io.FileIO(fd, "rb"))
    except BaseException:
        os.close(fd)
        raise


def file_size(path: Path) -> int:
    """Size in bytes of a regular file, or :class:`Unreadable`."""
    with open_regular(path) as fh:
        return os.fstat(fh.fileno()).st_size


def read_bytes(path: Path, limit: int) -> bytes:
    """The whole file, refused before reading when it is larger than ``limit``."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise Unreadable(
                f"file is {size / 1048576:.1f} MB, over the {limit / 1048576:g} MB limit for"
                " parsing (raise max_bytes for this file if it is meant to be read)"
            )
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise Unreadable(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise Unreadable("file grew past the size limit while it was read")
    return data


def decode_text(data: bytes) -> str:
    """Text of a file in UTF-8 (a BOM dropped); bytes that are not UTF-8 become U+FFFD.

    Lossy on purpose: a log with one stray byte should still be diffed line by line.
    """
    return data.decode("utf-8-sig", errors="replace")


def parse_xml(data: bytes) -> ET.Element:
    """Parse untrusted XML: entity declarations and external references are refused.

    A billion-laughs document fails at its first entity declaration, before any expansion.
    """
    try:
        root: ET.Element = _defused_fromstring(data, forbid_dtd=False)
    except DefusedXmlException as exc:
        raise Unreadable(f"unsafe XML refused: {type(exc).__name__}") from None
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise Unreadable(f"not well-formed XML at line {line}, column {col + 1}") from None
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise Unreadable(f"not readable as XML: {type(exc).__name__}") from None
    return root


def local_name(tag: object) -> str:
    """An element's tag without its ``{namespace}`` (some tools put JUnit in a namespace)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def short(value: object, limit: int = SHORT) -> str:
    """One side of a difference as a short single string."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def unreadable(handler: str, path: str, side: Side, reason: str) -> Difference:
    """The difference for a side that could not be read; the reason goes on that side."""
    label = "A" if side == "a" else "B"
    return Difference(
        handler=handler,
        path=path,
        kind="unreadable",
        message=f"run {label}'s file cannot be compared: {reason}",
        a=short(reason) if side == "a" else None,
        b=short(reason) if side == "b" else None,
    )


def load_pair(
    handler: str, path: str, a: Path, b: Path, loader: Callable[[Path], T]
) -> tuple[T | None, T | None, list[Difference]]:
    """Load both sides; a side that fails is None and comes back as an ``unreadable`` difference.

    Any exception of the loader counts as unreadable input: handlers promise never to raise, and
    a parser's unexpected exception on hostile input is still a statement about the input.
    """
    out: list[Difference] = []
    loaded: list[T | None] = []
    sides: tuple[tuple[Side, Path], ...] = (("a", a), ("b", b))
    for side, file in sides:
        try:
            loaded.append(loader(file))
        except Unreadable as exc:
            loaded.append(None)
            out.append(unreadable(handler, path, side, str(exc)))
        except MemoryError:
            loaded.append(None)
            out.append(unreadable(handler, path, side, "too large to load"))
        except Exception as exc:
            loaded.append(None)
            out.append(unreadable(handler, path, side, f"cannot parse: {type(exc).__name__}"))
    return loaded[0], loaded[1], out


def glob_any(value: str, patterns: Iterable[str]) -> bool:
    """True when ``value`` matches one of the shell-style globs (case-sensitive)."""
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def compile_patterns(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    """Regexes from configuration; one that does not compile is taken literally.

    The configuration is validated elsewhere; a handler must still not crash on a pattern it
    gets, and matching the text literally is what someone writing ``a.b[0]`` most likely meant.
    """
    out: list[re.Pattern[str]] = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except re.error:
            out.append(re.compile(re.escape(p)))
    return out


def capped(
    diffs: list[Difference], options: HandlerOptions, handler: str, path: str, what: str
) -> list[Difference]:
    """The first differences of a file, and one summary difference for the rest."""
    cap = max_differences(options)
    if len(diffs) <= cap:
        return diffs
    rest = len(diffs) - cap
    return [
        *diffs[:cap],
        Difference(
            handler=handler,
            path=path,
            location="more",
            kind="content-changed",
            message=f"{rest} more {what} not shown (limit {cap} per file)",
        ),
    ]


def is_number(value: object) -> bool:
    """True for int and float; bool is an int in Python but never a number here."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def numbers_close(x: float, y: float, tol: Tolerance) -> bool:
    """Tolerant equality that treats NaN as equal to NaN and infinities as exact.

    ``Tolerance.close`` alone would call ``inf`` close to ``-inf`` (the relative bound becomes
    infinite), and an int too large for a float would overflow.
    """
    if x == y:
        return True
    try:
        fx, fy = float(x), float(y)
    except OverflowError:
        return False
    if math.isnan(fx) or math.isnan(fy):
        return math.isnan(fx) and math.isnan(fy)
    if not (math.isfinite(fx) and math.isfinite(fy)):
        return False
    return tol.close(fx, fy)


Step = tuple[int | None, int | None]
"""One unmatched step of an alignment: (i, j) paired, (i, None) only in A, (None, j) only in B."""

LOOKAHEAD = 16
"""Items skipped at most when resynchronising two sequences after dropped or added items."""


def align(a: Sequence[H], b: Sequence[H], close: Callable[[int, int], bool]) -> Iterator[Step]:
    """The items of ``a`` and ``b`` that are not exactly equal, paired where they correspond.

    Exact alignment first (difflib), which places drops and inserts precisely when most items
    are byte-equal. Where noise leaves no exact anchor (every loss printed with other last
    digits), a block of unequal length is walked with the tolerant ``close(i, j)`` and a short
    lookahead, so one dropped item is reported as that item and not as a shift of all that
    follow. Pairs yielded may still be ``close``; the caller decides what differs in them.
    """
    if len(a) == len(b) and all(x == y for x, y in zip(a, b, strict=True)):
        return
    matcher = difflib.SequenceMatcher(None, a, b)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                yield i1 + k, j1 + k
            continue
        yield from _walk(i1, i2, j1, j2, close)


def _walk(i: int, i2: int, j: int, j2: int, close: Callable[[int, int], bool]) -> Iterator[Step]:
    while i < i2 and j < j2:
        if close(i, j):
            yield i, j
            i, j = i + 1, j + 1
            continue
        surplus = (i2 - i) - (j2 - j)
        skip = 0
        for k in range(1, min(abs(surplus), LOOKAHEAD) + 1):
            if surplus > 0 and close(i + k, j):
                skip = k
                break
            if surplus < 0 and close(i, j + k):
                skip = -k
                break
        if skip > 0:
            for k in range(skip):
                yield i + k, None
            i += skip
        elif skip < 0:
            for k in range(-skip):
                yield None, j + k
            j -= skip
        else:
            yield i, j
            i, j = i + 1, j + 1
    for k in range(i, i2):
        yield k, None
    for k in range(j, j2):
        yield None, k
