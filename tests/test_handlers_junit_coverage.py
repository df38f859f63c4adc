"""JUnit and coverage handlers: real pytest/coverage output, hand-made edge cases, hostile XML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtotekton.compare.handlers import coverage, junit
from ghtotekton.compare.handlers.base import Difference, HandlerOptions, Tolerance

OPTS = HandlerOptions()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuites><testsuite name="&lol9;"><testcase classname="c" name="t"/></testsuite></testsuites>
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def kinds(diffs: list[Difference]) -> list[str]:
    return [d.kind for d in diffs]


# ---------------------------------------------------------------------------------------------
# JUnit

REPORT_A = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="all" time="12.5">
  <testsuite name="pytest" hostname="fv-az123" timestamp="2024-05-01T10:00:00" time="12.5"
             tests="5" failures="1" errors="0" skipped="1">
    <properties><property name="run" value="1"/></properties>
    <testcase classname="tests.test_a" name="test_pass" time="0.01"/>
    <testcase classname="tests.test_a" name="test_fail" time="0.20">
      <failure message="assert 1 == 2">Traceback...</failure>
    </testcase>
    <testcase classname="tests.test_a" name="test_skip" time="0">
      <skipped message="no gpu" type="pytest.skip"/>
    </testcase>
    <testsuite name="nested">
      <testcase classname="tests.test_b" name="test_deep" time="1.0">
        <system-out>took 1.0s on host fv-az123</system-out>
      </testcase>
    </testsuite>
    <testcase classname="tests.test_a" name="test_err" time="0.3">
      <error message="fixture 'db' not found"/>
    </testcase>
  </testsuite>
</testsuites>
"""


def test_junit_same_outcomes_ignore_durations_hosts_and_timestamps(tmp_path: Path) -> None:
    b_text = (
        REPORT_A.replace('time="0.20"', 'time="9.99"')
        .replace("fv-az123", "tekton-pod-xyz")
        .replace("2024-05-01T10:00:00", "2025-01-01T00:00:00")
        .replace('value="1"', 'value="2"')
        .replace("took 1.0s", "took 7.5s")
    )
    a = write(tmp_path / "a.xml", REPORT_A)
    b = write(tmp_path / "b.xml", b_text)
    assert junit.HANDLER.compare("junit.xml", a, b, OPTS) == []


def test_junit_parses_outcomes_nested_suites_and_ids(tmp_path: Path) -> None:
    results = junit.load(write(tmp_path / "a.xml", REPORT_A), 10**6)
    assert {k: v.outcome for k, v in results.items()} == {
        "tests.test_a::test_pass": "pass",
        "tests.test_a::test_fail": "fail",
        "tests.test_a::test_skip": "skip",
        "tests.test_b::test_deep": "pass",
        "tests.test_a::test_err": "error",
    }
    assert results["tests.test_a::test_fail"].message == "assert 1 == 2"


def test_junit_outcome_change_carries_both_messages_and_counts(tmp_path: Path) -> None:
    b_text = REPORT_A.replace(
        '<testcase classname="tests.test_a" name="test_pass" time="0.01"/>',
        '<testcase classname="tests.test_a" name="test_pass"><failure message="boom"/></testcase>',
    )
    a = write(tmp_path / "a.xml", REPORT_A)
    b = write(tmp_path / "b.xml", b_text)
    diffs = junit.HANDLER.compare("r/junit.xml", a, b, OPTS)
    changed = [d for d in diffs if d.kind == "outcome-changed"]
    assert len(changed) == 1
    assert changed[0].location == "tests.test_a::test_pass"
    assert changed[0].path == "r/junit.xml"
    assert changed[0].a == "pass"
    assert changed[0].b == "fail: boom"
    counts = {d.location: (d.a, d.b) for d in diffs if d.kind == "count-changed"}
    # one pass became a fail: 2 passes -> 1, 1 failure -> 2; the total stays 5
    assert counts == {"count pass": ("2", "1"), "count fail": ("1", "2")}


def test_junit_missing_tests_on_either_side(tmp_path: Path) -> None:
    b_text = REPORT_A.replace(
        '<testcase classname="tests.test_a" name="test_pass" time="0.01"/>',
        '<testcase classname="tests.test_a" name="test_new"/>',
    )
    diffs = junit.HANDLER.compare(
        "j", write(tmp_path / "a.xml", REPORT_A), write(tmp_path / "b.xml", b_text), OPTS
    )
    located = {(d.kind, d.location) for d in diffs}
    assert ("missing-on-b", "tests.test_a::test_pass") in located
    assert ("missing-on-a", "tests.test_a::test_new") in located
    # same number of tests and of passes: no count differences
    assert "count-changed" not in kinds(diffs)


def test_junit_ignore_globs_drop_tests_from_outcomes_and_counts(tmp_path: Path) -> None:
    b_text = REPORT_A.replace("<error message=\"fixture 'db' not found\"/>", "")
    a = write(tmp_path / "a.xml", REPORT_A)
    b = write(tmp_path / "b.xml", b_text)
    assert kinds(junit.HANDLER.compare("j", a, b, OPTS)).count("outcome-changed") == 1
    ignored = HandlerOptions(ignore=("*::test_err",))
    assert junit.HANDLER.compare("j", a, b, ignored) == []


def test_junit_duplicate_ids_get_ordinals_in_document_order(tmp_path: Path) -> None:
    report = """<testsuite name="s">
      <testcase classname="c" name="t"/>
      <testcase classname="c" name="t"><failure/></testcase>
      <testcase classname="c" name="t"/>
    </testsuite>"""
    results = junit.load(write(tmp_path / "a.xml", report), 10**6)
    assert [(k, v.outcome) for k, v in results.items()] == [
        ("c::t", "pass"),
        ("c::t#2", "fail"),
        ("c::t#3", "pass"),
    ]
    swapped = report.replace("<failure/>", "").replace(
        '<testcase classname="c" name="t"/>\n    </testsuite>',
        '<testcase classname="c" name="t"><failure/></testcase>\n    </testsuite>',
    )
    diffs = junit.HANDLER.compare("j", tmp_path / "a.xml", write(tmp_path / "b.xml", swapped), OPTS)
    assert sorted(d.location for d in diffs if d.kind == "outcome-changed") == ["c::t#2", "c::t#3"]


def test_junit_file_attribute_and_suite_name_in_ids(tmp_path: Path) -> None:
    report = """<testsuites><testsuite name="unit">
      <testcase classname="tests.test_x" name="a" file="tests/test_x.py"/>
      <testcase classname="tests.test_x" name="b" file="/home/runner/work/r/r/tests/test_x.py"/>
      <testcase name="c"/>
    </testsuite></testsuites>"""
    results = junit.load(write(tmp_path / "a.xml", report), 10**6)
    assert list(results) == [
        "tests/test_x.py::tests.test_x::a",
        "test_x.py::tests.test_x::b",
        "unit::c",
    ]


def test_junit_namespaced_and_single_suite_root(tmp_path: Path) -> None:
    report = (
        '<testsuite xmlns="urn:x" name="s">'
        '<testcase classname="c" name="t"><skipped/></testcase></testsuite>'
    )
    results = junit.load(write(tmp_path / "a.xml", report), 10**6)
    assert {k: v.outcome for k, v in results.items()} == {"c::t": "skip"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<testsuites><testsuite>", "not well-formed"),
        (b"<html><body/></html>", "not a JUnit report"),
        (b"", "not well-formed"),
        (b"\x00\x01\x02binary", "not well-formed"),
    ],
)
def test_junit_malformed_side_is_unreadable(tmp_path: Path, content: bytes, reason: str) -> None:
    good = write(tmp_path / "good.xml", REPORT_A)
    bad = write(tmp_path / "bad.xml", content)
    diffs = junit.HANDLER.compare("j", good, bad, OPTS)
    assert kinds(diffs) == ["unreadable"]
    assert diffs[0].a is None
    assert diffs[0].b is not None and reason in diffs[0].b


def test_junit_billion_laughs_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    bomb = write(tmp_path / "bomb.xml", BILLION_LAUGHS)
    good = write(tmp_path / "good.xml", REPORT_A)
    started = time.monotonic()
    diffs = junit.HANDLER.compare("j", bomb, good, OPTS)
    assert time.monotonic() - started < 2
    assert kinds(diffs) == ["unreadable"]
    assert diffs[0].a is not None and "unsafe XML" in diffs[0].a


def test_junit_external_entity_is_refused(tmp_path: Path) -> None:
    secret = write(tmp_path / "secret.txt", "TOPSECRET")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>
<testsuite name="&s;"><testcase classname="c" name="t"/></testsuite>"""
    diffs = junit.HANDLER.compare("j", write(tmp_path / "x.xml", xxe), secret, OPTS)
    assert "unreadable" in kinds(diffs)
    assert "TOPSECRET" not in json.dumps([d.model_dump() for d in diffs])


def test_junit_over_size_limit_is_unreadable(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xml", REPORT_A)
    small = HandlerOptions(extra={"max_bytes": 100})
    diffs = junit.HANDLER.compare("j", a, a, small)
    assert kinds(diffs) == ["unreadable", "unreadable"]
    assert diffs[0].a is not None and "limit" in diffs[0].a


def test_unreadable_by_permission(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    a = write(tmp_path / "a.xml", REPORT_A)
    b = write(tmp_path / "b.xml", REPORT_A)
    b.chmod(0)
    try:
        diffs = junit.HANDLER.compare("j", a, b, OPTS)
    finally:
        b.chmod(0o644)
    assert kinds(diffs) == ["unreadable"]
    assert diffs[0].b == "permission denied"


def test_directory_and_fifo_are_unreadable_without_blocking(tmp_path: Path) -> None:
    good = write(tmp_path / "a.xml", REPORT_A)
    folder = tmp_path / "dir"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    diffs = junit.HANDLER.compare("j", folder, fifo, OPTS)
    assert time.monotonic() - started < 2
    assert kinds(diffs) == ["unreadable", "unreadable"]
    assert diffs[0].a == "is a directory, not a file"
    assert diffs[1].b == "not a regular file"
    assert junit.HANDLER.compare("j", good, tmp_path / "gone.xml", OPTS)[0].b == "no such file"


PYTEST_PROJECT = """
import pytest

def test_ok():
    assert 1 + 1 == 2

@pytest.mark.parametrize("x", [1, 2, 3])
def test_param(x):
    assert x > 0

def test_flag():
    assert FLAG

@pytest.mark.skip(reason="not here")
def test_skipped():
    pass

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False

class TestGroup:
    def test_inner(self):
        assert "a" in "abc"
"""


def run_pytest(folder: Path, flag: bool) -> Path:
    """A real pytest run with --junitxml in its own folder, as each CI system would do it."""
    folder.mkdir(parents=True)
    (folder / "test_proj.py").write_text(f"FLAG = {flag}\n" + PYTEST_PROJECT)
    report = folder / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         f"--junitxml={report}", "test_proj.py"],
        cwd=folder,
        capture_output=True,
        check=False,
        timeout=120,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
    )  # fmt: skip
    assert report.is_file()
    return report


def test_junit_real_pytest_runs(tmp_path: Path) -> None:
    a = run_pytest(tmp_path / "home/runner/work/r/r", flag=True)
    a2 = run_pytest(tmp_path / "workspace/source", flag=True)
    b = run_pytest(tmp_path / "broken", flag=False)
    assert junit.HANDLER.compare("junit.xml", a, a2, OPTS) == []
    results = junit.load(a, 10**6)
    # 1 ok + 3 params + flag + skip + xfail + inner = 8 test cases; xfail is reported as a skip
    assert Counter(r.outcome for r in results.values()) == {"pass": 6, "skip": 2}
    diffs = junit.HANDLER.compare("junit.xml", a, b, OPTS)
    changed = [d for d in diffs if d.kind == "outcome-changed"]
    assert [d.location for d in changed] == ["test_proj::test_flag"]
    assert changed[0].b is not None and changed[0].b.startswith("fail")


# property tests ---------------------------------------------------------------------------------

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789.[]-", min_size=1, max_size=8)
CASES = st.lists(
    st.tuples(
        st.sampled_from(["pkg.mod", "pkg.other", "Klass"]),
        NAMES,
        st.sampled_from(junit.OUTCOMES),
    ),
    min_size=1,
    max_size=25,
)
_ELEMENT = {"pass": "", "fail": "<failure message='x'/>", "error": "<error/>", "skip": "<skipped/>"}


def junit_xml(cases: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"<testcase classname={quoteattr(c)} name={quoteattr(n)} time='0.1'>"
        f"{_ELEMENT[o]}</testcase>"
        for c, n, o in cases
    )
    return f"<testsuites><testsuite name='s'>{body}</testsuite></testsuites>"


def expected_id(cases: list[tuple[str, str, str]], index: int) -> str:
    classname, name, _ = cases[index]
    earlier = sum(1 for c, n, _ in cases[:index] if (c, n) == (classname, name))
    base = f"{classname}::{name}"
    return base if earlier == 0 else f"{base}#{earlier + 1}"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=CASES, data=st.data())
def test_junit_property_self_equal_and_one_flip_found(
    tmp_path: Path, cases: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    a = write(tmp_path / "a.xml", junit_xml(cases))
    assert junit.HANDLER.compare("j", a, a, OPTS) == []
    index = data.draw(st.integers(0, len(cases) - 1))
    classname, name, outcome = cases[index]
    new = data.draw(st.sampled_from([o for o in junit.OUTCOMES if o != outcome]))
    flipped = [*cases[:index], (classname, name, new), *cases[index + 1 :]]
    b = write(tmp_path / "b.xml", junit_xml(flipped))
    diffs = junit.HANDLER.compare("j", a, b, OPTS)
    changed = [d for d in diffs if d.kind == "outcome-changed"]
    assert [d.location for d in changed] == [expected_id(cases, index)]
    assert changed[0].a is not None and changed[0].a.startswith(outcome)
    counted = {d.location for d in diffs if d.kind == "count-changed"}
    assert counted == {f"count {outcome}", f"count {new}"}


# ---------------------------------------------------------------------------------------------
# coverage

COVERED_MODULE = """\
def classify(x):
    if x > 0:
        return "positive"
    if x < 0:
        return "negative"
    return "zero"


def unused():
    return 42
"""


def run_coverage(root: Path, calls: str) -> tuple[Path, Path]:
    """Real coverage.py runs (branch mode) writing both the XML and the JSON report."""
    write(root / "src/pkg/__init__.py", "")
    write(root / "src/pkg/mod.py", COVERED_MODULE)
    write(root / "src/pkg/util.py", "def helper():\n    return 1\n")
    write(
        root / "run.py",
        f"import sys\nsys.path.insert(0, 'src')\nfrom pkg import mod, util\n{calls}\n",
    )
    cov = [sys.executable, "-m", "coverage"]
    env = {**os.environ, "COVERAGE_FILE": str(root / ".coverage")}
    for args in (
        ["run", "--branch", "--source=src", "run.py"],
        ["xml", "-q", "-o", "coverage.xml"],
        ["json", "-q", "-o", "coverage.json"],
    ):
        subprocess.run(
            [*cov, *args], cwd=root, check=True, capture_output=True, env=env, timeout=120
        )
    return root / "coverage.xml", root / "coverage.json"


@pytest.fixture(scope="module")
def cov_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("cov")
    return {
        "github": run_coverage(base / "home/runner/work/r/r", "mod.classify(1)\nutil.helper()"),
        "tekton": run_coverage(base / "workspace/source", "mod.classify(1)\nutil.helper()"),
        "more": run_coverage(base / "more", "mod.classify(1)\nmod.classify(-1)\nutil.helper()"),
    }


def test_coverage_real_runs_in_different_roots_are_equal(
    cov_runs: dict[str, tuple[Path, Path]],
) -> None:
    (xa, ja), (xb, jb) = cov_runs["github"], cov_runs["tekton"]
    assert coverage.HANDLER.compare("coverage.xml", xa, xb, OPTS) == []
    assert coverage.HANDLER.compare("coverage.json", ja, jb, OPTS) == []
    # the two formats of one run agree too: the model is the same
    assert coverage.HANDLER.compare("coverage", xa, jb, OPTS) == []


def test_coverage_reads_rates_from_both_formats(cov_runs: dict[str, tuple[Path, Path]]) -> None:
    xml_path, json_path = cov_runs["github"]
    for report in (coverage.load(xml_path, 10**7), coverage.load(json_path, 10**7)):
        mod = report.files["src/pkg/mod.py"]
        # statements: def classify, if x>0, return positive, if x<0, return negative,
        # return zero, def unused, return 42 = 8; classify(1) runs 2 defs + if + return = 4
        assert mod.line == pytest.approx(4 / 8)
        # branches: 2 ifs, 2 arcs each = 4; classify(1) takes only the True arc of the first
        assert mod.branch == pytest.approx(1 / 4)
        assert report.files["src/pkg/util.py"].line == 1.0
        assert report.files["src/pkg/util.py"].branch is None


def test_coverage_drop_is_found_per_file_and_in_total(
    cov_runs: dict[str, tuple[Path, Path]],
) -> None:
    (xa, ja), (xb, jb) = cov_runs["more"], cov_runs["github"]
    for a, b in ((xa, xb), (ja, jb), (xa, jb)):
        diffs = coverage.HANDLER.compare("cov", a, b, OPTS)
        where = {d.location for d in diffs}
        assert "total (line-rate)" in where
        assert "src/pkg/mod.py (line-rate)" in where
        assert "src/pkg/mod.py (branch-rate)" in where
        assert all(d.kind == "value-beyond-tolerance" for d in diffs)
        mod = next(d for d in diffs if d.location == "src/pkg/mod.py (line-rate)")
        # classify(-1) adds "if x < 0" and "return negative": 6/8 -> 4/8
        assert (mod.a, mod.b) == ("75.00%", "50.00%")


def cobertura(files: dict[str, tuple[int, int]], source: str, total: float | None = None) -> str:
    """Minimal Cobertura: per file (covered, valid) lines."""
    classes = ""
    for name, (covered, valid) in files.items():
        lines = "".join(
            f'<line number="{n}" hits="{1 if n <= covered else 0}"/>' for n in range(1, valid + 1)
        )
        classes += f'<class name="x" filename="{name}"><lines>{lines}</lines></class>'
    rate = f' line-rate="{total}"' if total is not None else ""
    return (
        f"<coverage{rate}><sources><source>{source}</source></sources>"
        f"<packages><package><classes>{classes}</classes></package></packages></coverage>"
    )


def test_coverage_default_tolerance_is_a_tenth_of_a_point(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xml", cobertura({"m.py": (1, 2)}, "/s", total=0.5))
    near = write(tmp_path / "near.xml", cobertura({"m.py": (1, 2)}, "/s", total=0.5009))
    far = write(tmp_path / "far.xml", cobertura({"m.py": (1, 2)}, "/s", total=0.5011))
    assert coverage.HANDLER.compare("c", a, near, OPTS) == []
    diffs = coverage.HANDLER.compare("c", a, far, OPTS)
    assert [(d.location, d.kind) for d in diffs] == [
        ("total (line-rate)", "value-beyond-tolerance")
    ]
    # an explicit tolerance replaces the default, and so does extra["rate_tolerance"]
    strict = HandlerOptions(tolerance=Tolerance(abs=0.0001, rel=0))
    assert len(coverage.HANDLER.compare("c", a, near, strict)) == 1
    loose = HandlerOptions(extra={"rate_tolerance": 0.01})
    assert coverage.HANDLER.compare("c", a, far, loose) == []


def test_coverage_pairs_absolute_paths_by_source_root_and_suffix(tmp_path: Path) -> None:
    gh = "/home/runner/work/r/r"
    a = write(
        tmp_path / "a.xml",
        cobertura({f"{gh}/src/a/util.py": (1, 2), f"{gh}/src/b/util.py": (2, 2)}, gh),
    )
    # B: one file under its source root, the other absolute outside any source
    b = write(
        tmp_path / "b.xml",
        cobertura(
            {"src/a/util.py": (1, 2), "/opt/other/src/b/util.py": (2, 2)}, "/workspace/source"
        ),
    )
    assert coverage.HANDLER.compare("c", a, b, OPTS) == []
    # rates swapped between the two util.py: pairing by base name alone would hide this
    c = write(
        tmp_path / "c.xml",
        cobertura(
            {"src/a/util.py": (2, 2), "/opt/other/src/b/util.py": (1, 2)}, "/workspace/source"
        ),
    )
    assert {d.location for d in coverage.HANDLER.compare("c", a, c, OPTS)} == {
        "src/a/util.py (line-rate)",
        "src/b/util.py (line-rate)",
    }


def test_pair_paths_never_pairs_an_ambiguous_base_name() -> None:
    pairs, only_a, only_b = coverage.pair_paths(["a/util.py", "b/util.py"], ["/w/util.py"])
    assert pairs == []
    assert only_a == ["a/util.py", "b/util.py"]
    assert only_b == ["/w/util.py"]
    pairs, only_a, only_b = coverage.pair_paths(
        ["/home/runner/work/r/r/src/x.py", "same.py"], ["same.py", "/workspace/source/src/x.py"]
    )
    assert sorted(pairs) == [
        ("/home/runner/work/r/r/src/x.py", "/workspace/source/src/x.py"),
        ("same.py", "same.py"),
    ]
    assert only_a == only_b == []


def test_coverage_file_on_one_side_and_ignore(tmp_path: Path) -> None:
    # the totals are declared equal, so only the files differ
    a = write(tmp_path / "a.xml", cobertura({"m.py": (1, 2), "gen/x.py": (0, 3)}, "/s", 0.4))
    b = write(tmp_path / "b.xml", cobertura({"m.py": (1, 2), "new.py": (1, 1)}, "/s", 0.4))
    diffs = coverage.HANDLER.compare("c", a, b, OPTS)
    assert {(d.kind, d.location) for d in diffs} == {
        ("missing-on-b", "gen/x.py"),
        ("missing-on-a", "new.py"),
    }
    assert coverage.HANDLER.compare("c", a, b, HandlerOptions(ignore=("gen/*", "new.py"))) == []


def test_coverage_branch_measured_on_one_side(
    cov_runs: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    ja = cov_runs["github"][1]
    doc = json.loads(ja.read_text())
    doc["meta"]["branch_coverage"] = False
    b = write(tmp_path / "nobranch.json", json.dumps(doc))
    diffs = coverage.HANDLER.compare("c", ja, b, OPTS)
    assert ("total (branch-rate)", "value-changed") in {(d.location, d.kind) for d in diffs}
    assert all(d.kind == "value-changed" and "branch-rate" in d.location for d in diffs)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{}", "no 'files' object"),
        (b'{"files": {"a.py": {"summary": {"num_statements": "x"}}}, "totals": {}}', "not a count"),
        (b"{not json", "not valid JSON"),
        (b"<report/>", "not a Cobertura report"),
        (b'<coverage line-rate="abc"/>', "not a number"),
        (b"plain text", "neither Cobertura XML nor coverage.py JSON"),
        (BILLION_LAUGHS.replace(b"testsuites", b"coverage"), "unsafe XML"),
    ],
)
def test_coverage_malformed_is_unreadable(
    cov_runs: dict[str, tuple[Path, Path]], tmp_path: Path, content: bytes, reason: str
) -> None:
    bad = write(tmp_path / "bad", content)
    diffs = coverage.HANDLER.compare("c", cov_runs["github"][0], bad, OPTS)
    assert kinds(diffs) == ["unreadable"]
    assert diffs[0].b is not None and reason in diffs[0].b
