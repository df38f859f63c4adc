"""Coverage reports: the same when total and per-file rates agree within a tolerance.

Reads Cobertura XML (``coverage xml``, also gcovr, JaCoCo converters) and coverage.py's JSON
(``coverage json``); the two are reduced to the same model, line rate and branch rate as
fractions, so either side may be either format.

Tolerance: coverage rates are fractions in [0, 1] where only absolute differences mean
something (0.1 percentage point is 0.001 whatever the rate), so the generic default tolerance
(``abs=1e-9, rel=1e-6``, meant for arbitrary floats) is replaced by ``abs=0.001, rel=0``. A
tolerance the configuration sets explicitly wins; ``extra["rate_tolerance"]`` sets just the
absolute tolerance for rates. Line counts of the same code run the same way are deterministic,
so 0.001 only absorbs rounding in the reports (coverage.py writes rates with 4 digits).

Paths: the checkout lives under ``/home/runner/work/R/R`` on GitHub and ``/workspace/source`` on
Tekton. A Cobertura file path is taken relative to the report's ``<source>`` root when it lies
inside one; what is still absolute (or relative to a different folder) pairs with the file of
the other side sharing the longest unambiguous path suffix. ``options.ignore`` holds file globs.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtotekton.compare.handlers._readers import (
    Unreadable,
    capped,
    glob_any,
    load_pair,
    local_name,
    max_bytes,
    parse_xml,
    read_bytes,
)
from ghtotekton.compare.handlers.base import Difference, HandlerOptions, Tolerance

DEFAULT_RATE_TOLERANCE = Tolerance(abs=0.001, rel=0.0)
"""0.1 percentage point; see the module docstring."""

_CONDITION = re.compile(r"\((\d+)\s*/\s*(\d+)\)")


@dataclass(slots=True)
class Rates:
    """Line rate and, when measured, branch rate of a file or of the whole report."""

    line: float
    branch: float | None = None


@dataclass(slots=True)
class CoverageReport:
    """A coverage report reduced to what is compared."""

    total: Rates
    files: dict[str, Rates] = field(default_factory=dict)
    format: str = ""


# ---------------------------------------------------------------------------------------------
# reading


def _float(value: str | None, what: str) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise Unreadable(f"{what} is not a number: {value[:40]!r}") from None
    if not math.isfinite(number):
        raise Unreadable(f"{what} is not a finite number: {value[:40]!r}")
    return number


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unreadable(f"{what} is not a count: {str(value)[:40]!r}")
    try:
        number = int(float(value)) if isinstance(value, str) else int(value)
    except (ValueError, OverflowError):
        raise Unreadable(f"{what} is not a count: {str(value)[:40]!r}") from None
    if number < 0:
        raise Unreadable(f"{what} is negative")
    return number


def normalise(path: str) -> str:
    """Posix separators, no ``./`` or doubled slashes; absolute stays absolute."""
    path = path.replace("\\", "/")
    if not path:
        return path
    return posixpath.normpath(path)


def _is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(re.match(r"^[A-Za-z]:/", path))


def _relative_to_sources(path: str, sources: list[str]) -> str:
    if not _is_absolute(path):
        return path
    for root in sorted(sources, key=len, reverse=True):
        if root and (path == root or path.startswith(root.rstrip("/") + "/")):
            return path[len(root.rstrip("/")) + 1 :] or posixpath.basename(path)
    return path


def parse_cobertura(root: ET.Element) -> CoverageReport:
    """Cobertura XML to rates; line rates per file are recomputed from the ``<line>`` hits."""
    if local_name(root.tag) != "coverage":
        raise Unreadable(f"not a Cobertura report: root element is <{local_name(root.tag)}>")
    sources = [
        normalise((s.text or "").strip())
        for s in root.iter()
        if local_name(s.tag) == "source" and (s.text or "").strip()
    ]
    hits: dict[str, dict[int, int]] = defaultdict(dict)
    branches: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    declared: dict[str, float] = {}
    for cls in root.iter():
        if local_name(cls.tag) != "class":
            continue
        filename = cls.get("filename")
        if not filename:
            continue
        name = _relative_to_sources(normalise(filename), sources)
        rate = _float(cls.get("line-rate"), f"line-rate of {name}")
        if rate is not None:
            declared.setdefault(name, rate)
        file_hits = hits[name]
        for line in cls.iter():
            if local_name(line.tag) != "line":
                continue
            number = _int(line.get("number", ""), f"line number in {name}")
            count = _int(line.get("hits", "0"), f"hits of {name}:{number}")
            file_hits[number] = max(file_hits.get(number, 0), count)
            if line.get("branch") == "true":
                match = _CONDITION.search(line.get("condition-coverage") or "")
                if match:
                    covered, total = int(match.group(1)), int(match.group(2))
                    old = branches[name].get(number, (0, 0))
                    branches[name][number] = (max(old[0], covered), max(old[1], total))
    files: dict[str, Rates] = {}
    for name, file_hits in hits.items():
        if file_hits:
            line_rate = sum(1 for h in file_hits.values() if h > 0) / len(file_hits)
        else:
            line_rate = declared.get(name, 1.0)
        file_branches = branches.get(name)
        branch_rate = None
        if file_branches:
            total = sum(t for _, t in file_branches.values())
            branch_rate = sum(c for c, _ in file_branches.values()) / total if total else None
        files[name] = Rates(line_rate, branch_rate)
    return CoverageReport(_cobertura_total(root, hits, branches), files, "cobertura")


def _cobertura_total(
    root: ET.Element,
    hits: dict[str, dict[int, int]],
    branches: dict[str, dict[int, tuple[int, int]]],
) -> Rates:
    line_rate = _float(root.get("line-rate"), "total line-rate")
    if line_rate is None:
        valid = sum(len(h) for h in hits.values())
        covered = sum(1 for h in hits.values() for n in h.values() if n > 0)
        line_rate = covered / valid if valid else 1.0
    branch_total = sum(t for fb in branches.values() for _, t in fb.values())
    valid_attr = root.get("branches-valid")
    measured = (
        _int(valid_attr, "branches-valid") > 0 if valid_attr is not None else branch_total > 0
    )
    branch_rate: float | None = None
    if measured:
        branch_rate = _float(root.get("branch-rate"), "total branch-rate")
        if branch_rate is None and branch_total:
            branch_rate = sum(c for fb in branches.values() for c, _ in fb.values()) / branch_total
    return Rates(line_rate, branch_rate)


def _summary_rates(summary: Any, what: str, branch: bool) -> Rates:
    if not isinstance(summary, dict):
        raise Unreadable(f"{what}: summary is not an object")
    statements = _int(summary.get("num_statements", 0), f"{what}: num_statements")
    covered = _int(summary.get("covered_lines", 0), f"{what}: covered_lines")
    line = covered / statements if statements else 1.0
    branch_rate: float | None = None
    if branch and "num_branches" in summary:
        num = _int(summary.get("num_branches", 0), f"{what}: num_branches")
        hit = _int(summary.get("covered_branches", 0), f"{what}: covered_branches")
        branch_rate = hit / num if num else None
    return Rates(line, branch_rate)


def parse_coverage_json(data: Any) -> CoverageReport:
    """coverage.py's JSON report to rates, from each file's and the totals' summary counts."""
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise Unreadable("not a coverage.py JSON report: no 'files' object")
    meta = data.get("meta")
    branch = bool(meta.get("branch_coverage")) if isinstance(meta, dict) else True
    files: dict[str, Rates] = {}
    for raw_name, entry in data["files"].items():
        name = normalise(str(raw_name))
        if not isinstance(entry, dict):
            raise Unreadable(f"entry of {name} is not an object")
        files[name] = _summary_rates(entry.get("summary"), name, branch)
    totals = data.get("totals")
    if totals is None:
        raise Unreadable("not a coverage.py JSON report: no 'totals' object")
    return CoverageReport(_summary_rates(totals, "totals", branch), files, "coverage.py json")


def load(path: Path, limit: int) -> CoverageReport:
    """Either format, told apart by the first character: ``<`` is XML, ``{`` is JSON."""
    data = read_bytes(path, limit)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return parse_cobertura(parse_xml(data))
    if head == b"{":
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise Unreadable(f"not valid JSON: {str(exc)[:120]}") from None
        return parse_coverage_json(doc)
    raise Unreadable("neither Cobertura XML nor coverage.py JSON")


# ---------------------------------------------------------------------------------------------
# pairing files


def pair_paths(
    left: list[str], right: list[str]
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Pairs of the same file, then A's unpaired and B's unpaired paths.

    Equal paths pair first. The rest pair by the longest path suffix (in whole components) that
    names exactly one unpaired file on each side, so ``/home/runner/work/r/r/src/a.py`` pairs
    with ``/workspace/source/src/a.py`` while two ``util.py`` in different folders never pair
    by their base name alone.
    """
    right_set = set(right)
    pairs = [(p, p) for p in left if p in right_set]
    paired = {p for p, _ in pairs}
    rest_a = [p for p in left if p not in paired]
    rest_b = [p for p in right if p not in paired]
    if not rest_a or not rest_b:
        return pairs, rest_a, rest_b
    index_a = _suffix_index(rest_a)
    index_b = _suffix_index(rest_b)
    free_a, free_b = set(rest_a), set(rest_b)
    for path in rest_a:
        parts = tuple(path.strip("/").split("/"))
        for k in range(len(parts), 0, -1):
            key = parts[-k:]
            cand_b = [p for p in index_b.get(key, ()) if p in free_b]
            if not cand_b:
                continue
            cand_a = [p for p in index_a.get(key, ()) if p in free_a]
            if len(cand_b) == 1 and len(cand_a) == 1:
                pairs.append((path, cand_b[0]))
                free_a.discard(path)
                free_b.discard(cand_b[0])
            break
    return pairs, [p for p in rest_a if p in free_a], [p for p in rest_b if p in free_b]


def _suffix_index(paths: list[str]) -> dict[tuple[str, ...], list[str]]:
    index: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in paths:
        parts = tuple(path.strip("/").split("/"))
        for k in range(1, len(parts) + 1):
            index[parts[-k:]].append(path)
    return index


# ---------------------------------------------------------------------------------------------
# comparing


def rate_tolerance(options: HandlerOptions) -> Tolerance:
    """The tolerance for rates (see the module docstring for why it differs from the default)."""
    if options.tolerance != Tolerance():
        return options.tolerance
    extra = options.extra.get("rate_tolerance")
    if isinstance(extra, int | float) and not isinstance(extra, bool) and extra >= 0:
        return Tolerance(abs=float(extra), rel=0.0)
    return DEFAULT_RATE_TOLERANCE


def _pct(rate: float | None) -> str:
    return "not measured" if rate is None else f"{rate * 100:.2f}%"


class CoverageHandler:
    """Total and per-file line and branch rates within a tolerance; files on one side only."""

    name = "coverage"

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        limit = max_bytes(options)
        ca, cb, out = load_pair(self.name, path, a, b, lambda p: load(p, limit))
        if ca is None or cb is None:
            return out
        return self.compare_reports(path, ca, cb, options)

    def compare_reports(
        self, path: str, ca: CoverageReport, cb: CoverageReport, options: HandlerOptions
    ) -> list[Difference]:
        """Differences between two loaded reports: totals first, then files in A's order."""
        tol = rate_tolerance(options)
        out = self._rates(path, "total", ca.total, cb.total, tol)
        files_a = [f for f in ca.files if not glob_any(f, options.ignore)]
        files_b = [f for f in cb.files if not glob_any(f, options.ignore)]
        pairs, only_a, only_b = pair_paths(files_a, files_b)
        order = {name: i for i, name in enumerate(files_a)}
        for fa, fb in sorted(pairs, key=lambda p: order[p[0]]):
            out.extend(self._rates(path, fa, ca.files[fa], cb.files[fb], tol))
        for name in only_a:
            out.append(
                Difference(
                    handler=self.name,
                    path=path,
                    location=name,
                    kind="missing-on-b",
                    message=f"{name} is measured in A only",
                    a=_pct(ca.files[name].line),
                )
            )
        for name in only_b:
            out.append(
                Difference(
                    handler=self.name,
                    path=path,
                    location=name,
                    kind="missing-on-a",
                    message=f"{name} is measured in B only",
                    b=_pct(cb.files[name].line),
                )
            )
        return capped(out, options, self.name, path, "coverage differences")

    def _rates(
        self, path: str, where: str, ra: Rates, rb: Rates, tol: Tolerance
    ) -> list[Difference]:
        out: list[Difference] = []
        for what, x, y in (("line-rate", ra.line, rb.line), ("branch-rate", ra.branch, rb.branch)):
            location = f"{where} ({what})"
            if x is None and y is None:
                continue
            if x is None or y is None:
                side = "A" if y is None else "B"
                out.append(
                    Difference(
                        handler=self.name,
                        path=path,
                        location=location,
                        kind="value-changed",
                        message=f"{where}: {what} is measured in {side} only",
                        a=_pct(x),
                        b=_pct(y),
                    )
                )
            elif not tol.close(x, y):
                delta = (y - x) * 100
                out.append(
                    Difference(
                        handler=self.name,
                        path=path,
                        location=location,
                        kind="value-beyond-tolerance",
                        message=f"{where}: {what} {_pct(x)} in A, {_pct(y)} in B ({delta:+.2f}"
                        f" points, tolerance {tol.abs * 100:g} points)",
                        a=_pct(x),
                        b=_pct(y),
                    )
                )
        return out


HANDLER = CoverageHandler()
