"""Text and logs: the same lines after sanitising, with numbers equal within the tolerance.

Two logs of equivalent runs differ in timestamps, durations, addresses, temp folders, ids and the
checkout path, so both sides go through the shared sanitisers (:mod:`.sanitize`: the user's
``options.sanitizers`` first, then the defaults; ``extra["default_sanitizers"] = False`` turns the
defaults off), terminal control (colours, ``\\r`` progress bars) is resolved, and the checkout
roots of both systems become ``<workspace>``.

Lines are aligned exactly where they are equal, and elsewhere by their skeleton (the line with
its numbers taken out) with the numbers under the tolerance, so a loss printed as 0.43120001 on
one side and 0.43120002 on the other still pairs, and a dropped line is that line, not a shift.
Each differing line is one difference, located ``line N`` in A's numbering (``B line N`` for
lines only B has); after ``extra["max_differences"]`` (20) the rest is one summary. A file over
the size limit is not diffed but compared by size and hash.
"""

from __future__ import annotations

import re
from pathlib import Path

from ghtotekton.compare.handlers._readers import (
    align,
    capped,
    decode_text,
    file_size,
    load_pair,
    max_bytes,
    numbers_close,
    read_bytes,
    short,
)
from ghtotekton.compare.handlers.base import (
    Difference,
    DifferenceKind,
    HandlerOptions,
    Tolerance,
)
from ghtotekton.compare.handlers.binary import HANDLER as BINARY
from ghtotekton.compare.handlers.sanitize import (
    NumberedText,
    normalize_terminal,
    sanitize,
    split_numbers,
)

WORKSPACE = re.compile(
    r"/home/runner/work/[^/\s'\"]+/[^/\s'\"]+"  # GitHub-hosted runner checkout
    r"|/__w/[^/\s'\"]+/[^/\s'\"]+"  # GitHub job running in a container
    r"|/workspace/source(?![\w.-])"  # the Tekton workspace our Tasks clone into
)
"""Checkout roots: the same file has a different absolute path on each system."""


def prepare(data: bytes, options: HandlerOptions) -> list[str]:
    """Sanitised lines of a file, trailing whitespace and trailing blank lines dropped."""
    defaults = options.extra.get("default_sanitizers", True) is not False
    text = normalize_terminal(decode_text(data))
    text = sanitize(text, options.sanitizers, defaults=defaults)
    if defaults:
        text = WORKSPACE.sub("<workspace>", text)
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _load(path: Path, limit: int, options: HandlerOptions) -> list[str]:
    return prepare(read_bytes(path, limit), options)


def _numbers_beyond(x: NumberedText, y: NumberedText, tol: Tolerance) -> tuple[str, str] | None:
    """The first pair of numbers of two same-skeleton lines that differ beyond ``tol``."""
    for p, q in zip(x.tokens, y.tokens, strict=True):
        if p == q:
            continue
        try:
            close = numbers_close(float(p), float(q), tol)
        except ValueError:
            close = False
        if not close:
            return p, q
    return None


class TextHandler:
    """Line diff after sanitising; numbers within the tolerance."""

    name = "text"

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        limit = max_bytes(options)
        sizes = load_pair(self.name, path, a, b, file_size)
        if sizes[2]:
            return sizes[2]
        if max(sizes[0] or 0, sizes[1] or 0) > limit:
            return self._too_large(path, a, b, options, limit)
        la, lb, out = load_pair(self.name, path, a, b, lambda p: _load(p, limit, options))
        if la is None or lb is None:
            return out
        return self.compare_lines(path, la, lb, options)

    def _too_large(
        self, path: str, a: Path, b: Path, options: HandlerOptions, limit: int
    ) -> list[Difference]:
        found = BINARY.compare(path, a, b, options)
        note = f" (over the {limit / 1048576:g} MB limit for a line diff, compared by hash)"
        return [
            d.model_copy(update={"handler": self.name, "message": d.message + note}) for d in found
        ]

    def compare_lines(
        self, path: str, la: list[str], lb: list[str], options: HandlerOptions
    ) -> list[Difference]:
        """Differences between two sanitised line lists."""
        if la == lb:
            return []
        tol = options.tolerance
        na: dict[int, NumberedText] = {}
        nb: dict[int, NumberedText] = {}

        def numbered(i: int, j: int) -> tuple[NumberedText, NumberedText]:
            if i not in na:
                na[i] = split_numbers(la[i])
            if j not in nb:
                nb[j] = split_numbers(lb[j])
            return na[i], nb[j]

        def close(i: int, j: int) -> bool:
            x, y = numbered(i, j)
            return x.skeleton == y.skeleton and _numbers_beyond(x, y, tol) is None

        out: list[Difference] = []
        for i, j in align(la, lb, close):
            if j is None:
                assert i is not None
                out.append(self._only(path, "a", i, la[i]))
            elif i is None:
                out.append(self._only(path, "b", j, lb[j]))
            else:
                x, y = numbered(i, j)
                if x.skeleton != y.skeleton:
                    out.append(self._changed(path, la, lb, i, j, None))
                    continue
                beyond = _numbers_beyond(x, y, tol)
                if beyond is not None:
                    out.append(self._changed(path, la, lb, i, j, beyond))
        return capped(out, options, self.name, path, "differing lines")

    def _changed(
        self,
        path: str,
        la: list[str],
        lb: list[str],
        i: int,
        j: int,
        numbers: tuple[str, str] | None,
    ) -> Difference:
        where = f"line {i + 1}" if i == j else f"line {i + 1} (B line {j + 1})"
        kind: DifferenceKind
        if numbers is None:
            kind = "content-changed"
            message = f"{where} differs"
        else:
            kind = "value-beyond-tolerance"
            message = f"{where}: number {numbers[0]} in A, {numbers[1]} in B"
        return Difference(
            handler=self.name,
            path=path,
            location=f"line {i + 1}",
            kind=kind,
            message=message,
            a=short(la[i]),
            b=short(lb[j]),
        )

    def _only(self, path: str, side: str, index: int, line: str) -> Difference:
        if side == "a":
            return Difference(
                handler=self.name,
                path=path,
                location=f"line {index + 1}",
                kind="missing-on-b",
                message=f"line {index + 1} of A has no counterpart in B",
                a=short(line),
            )
        return Difference(
            handler=self.name,
            path=path,
            location=f"B line {index + 1}",
            kind="missing-on-a",
            message=f"line {index + 1} of B has no counterpart in A",
            b=short(line),
        )


HANDLER = TextHandler()
