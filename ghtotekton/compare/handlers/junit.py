"""JUnit XML: the same when every test case has the same outcome.

Durations, timestamps, hostnames, properties and captured output always differ between two runs
and say nothing about whether the code behaves the same, so only the test ids and their outcomes
(pass, fail, error, skip) are compared, plus the counts per outcome as a summary a reviewer can
check at a glance.

Test ids are ``classname::name``, prefixed with ``file::`` when the report names the file
(pytest's xunit1 family does). An absolute file path keeps only its base name: the checkout lives
under ``/home/runner/work/...`` on GitHub and under ``/workspace/...`` on Tekton, and the
classname already tells files apart. A test case without a classname takes the name of the suite
it sits in. Ids that repeat (parametrized reruns, the same test in two suites) get an ordinal
suffix ``#2``, ``#3`` in document order, so reruns pair with reruns.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ghtotekton.compare.handlers._readers import (
    Unreadable,
    glob_any,
    load_pair,
    local_name,
    max_bytes,
    parse_xml,
    read_bytes,
    short,
)
from ghtotekton.compare.handlers.base import Difference, HandlerOptions

Outcome = Literal["pass", "fail", "error", "skip"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "error", "skip")

_RANKED: tuple[tuple[str, Outcome], ...] = (
    ("error", "error"),
    ("failure", "fail"),
    ("skipped", "skip"),
)

_MAX_DEPTH = 100
"""Nesting of test suites; real reports nest two or three levels."""


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test case as far as the comparison cares: its outcome and why."""

    __test__ = False  # not a pytest test class, despite the name

    outcome: Outcome
    message: str = ""


def test_id(classname: str, name: str, file: str = "") -> str:
    """The id a test case is paired by (see the module docstring for the rules)."""
    parts: list[str] = []
    if file:
        file = file.replace("\\", "/")
        if file.startswith("/") or (len(file) > 2 and file[1] == ":" and file[2] == "/"):
            file = posixpath.basename(file)
        parts.append(file)
    if classname:
        parts.append(classname)
    parts.append(name)
    return "::".join(parts)


def _outcome(case: ET.Element) -> TestResult:
    """The outcome of one ``<testcase>``; an error outranks a failure, which outranks a skip.

    pytest adds an ``<error>`` next to a ``<failure>`` when teardown also breaks; ranking keeps
    the outcome a single word while both sides still agree on the same ranking.
    """
    found: dict[str, ET.Element] = {}
    for child in case:
        tag = local_name(child.tag)
        if tag in ("failure", "error", "skipped") and tag not in found:
            found[tag] = child
    for tag, outcome in _RANKED:
        element = found.get(tag)
        if element is not None:
            return TestResult(outcome, _message(element))
    return TestResult("pass")


def _message(element: ET.Element) -> str:
    text = element.get("message") or (element.text or "").strip()
    kind = element.get("type") or ""
    first = text.splitlines()[0] if text else ""
    if kind and first and not first.startswith(kind):
        return short(f"{kind}: {first}")
    return short(first or kind)


def parse_report(root: ET.Element) -> dict[str, TestResult]:
    """Test id -> result for a parsed report, in document order."""
    tag = local_name(root.tag)
    if tag not in ("testsuites", "testsuite"):
        raise Unreadable(f"not a JUnit report: root element is <{tag}>")
    results: dict[str, TestResult] = {}
    seen: dict[str, int] = {}
    # Depth-first in document order; a test case is pushed as a leaf (depth None).
    stack: list[tuple[ET.Element, str, int | None]] = [(root, root.get("name") or "", 0)]
    while stack:
        element, suite, depth = stack.pop()
        if depth is None:
            _add(results, seen, element, suite)
            continue
        if depth > _MAX_DEPTH:
            raise Unreadable(f"test suites nested deeper than {_MAX_DEPTH} levels")
        for child in reversed(list(element)):  # reversed: the stack pops them in order
            child_tag = local_name(child.tag)
            if child_tag == "testsuite":
                stack.append((child, child.get("name") or suite, depth + 1))
            elif child_tag == "testcase":
                stack.append((child, suite, None))
    return results


def _add(
    results: dict[str, TestResult], seen: dict[str, int], case: ET.Element, suite: str
) -> None:
    base = test_id(case.get("classname") or suite, case.get("name") or "", case.get("file") or "")
    count = seen.get(base, 0) + 1
    seen[base] = count
    key = base if count == 1 else f"{base}#{count}"
    while key in results:  # an explicit "x#2" in the report next to a rerun of "x"
        count += 1
        seen[base] = count
        key = f"{base}#{count}"
    results[key] = _outcome(case)


def load(path: Path, limit: int) -> dict[str, TestResult]:
    """Read and parse one JUnit file, or raise :class:`Unreadable`."""
    return parse_report(parse_xml(read_bytes(path, limit)))


def _render(result: TestResult) -> str:
    return f"{result.outcome}: {result.message}" if result.message else result.outcome


class JUnitHandler:
    """Per test case outcome, plus counts per outcome."""

    name = "junit"

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        limit = max_bytes(options)
        ra, rb, out = load_pair(self.name, path, a, b, lambda p: load(p, limit))
        if ra is None or rb is None:
            return out
        return self.compare_results(path, ra, rb, options)

    def compare_results(
        self,
        path: str,
        ra: dict[str, TestResult],
        rb: dict[str, TestResult],
        options: HandlerOptions,
    ) -> list[Difference]:
        """Differences between two parsed reports (ids in A's order, then B's new ones)."""
        if options.ignore:
            ra = {k: v for k, v in ra.items() if not glob_any(k, options.ignore)}
            rb = {k: v for k, v in rb.items() if not glob_any(k, options.ignore)}
        out: list[Difference] = []
        for tid, left in ra.items():
            right = rb.get(tid)
            if right is None:
                out.append(
                    Difference(
                        handler=self.name,
                        path=path,
                        location=tid,
                        kind="missing-on-b",
                        message=f"test {tid} ran in A ({left.outcome}) but not in B",
                        a=_render(left),
                    )
                )
            elif right.outcome != left.outcome:
                out.append(
                    Difference(
                        handler=self.name,
                        path=path,
                        location=tid,
                        kind="outcome-changed",
                        message=f"test {tid}: {left.outcome} in A, {right.outcome} in B",
                        a=_render(left),
                        b=_render(right),
                    )
                )
        for tid, right in rb.items():
            if tid not in ra:
                out.append(
                    Difference(
                        handler=self.name,
                        path=path,
                        location=tid,
                        kind="missing-on-a",
                        message=f"test {tid} ran in B ({right.outcome}) but not in A",
                        b=_render(right),
                    )
                )
        out.extend(self._counts(path, ra, rb))
        return out

    def _counts(
        self, path: str, ra: dict[str, TestResult], rb: dict[str, TestResult]
    ) -> list[Difference]:
        out: list[Difference] = []
        totals = [("tests", len(ra), len(rb))]
        for outcome in OUTCOMES:
            na = sum(1 for r in ra.values() if r.outcome == outcome)
            nb = sum(1 for r in rb.values() if r.outcome == outcome)
            totals.append((outcome, na, nb))
        for what, na, nb in totals:
            if na != nb:
                out.append(
                    Difference(
                        handler=self.name,
                        path=path,
                        location=f"count {what}",
                        kind="count-changed",
                        message=f"{what}: {na} in A, {nb} in B",
                        a=str(na),
                        b=str(nb),
                    )
                )
        return out


HANDLER = JUnitHandler()
