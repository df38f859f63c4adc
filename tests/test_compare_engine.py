"""The compare engine: pairing, configuration, noise baseline, verdict, handler failures.

Handlers are mostly small fakes here, so these tests say what the engine does whatever the real
handlers decide; where a real handler module exists, the fixture bundles run through it too.
"""

from __future__ import annotations

import json
import tempfile
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtotekton.compare import registry as registry_mod
from ghtotekton.compare.bundle import RunBundle, RunInfo, UnitRecord, open_bundle, write_bundle
from ghtotekton.compare.config import (
    DEFAULT_CONFIG,
    CompareConfig,
    detect_handler,
    glob_match,
    load_config,
)
from ghtotekton.compare.engine import Comparison, compare
from ghtotekton.compare.handlers.base import Difference, Handler, HandlerOptions
from ghtotekton.compare.pairing import MigrationMap, load_migration_map, normalise
from ghtotekton.compare.registry import BYTE_HANDLER, Registry
from ghtotekton.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COMMIT = "3f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39"


# --------------------------------------------------------------------------------------------
# helpers


class LineHandler:
    """A fake text handler: the first differing line, with digits ignored (like a sanitiser)."""

    def __init__(self, name: str = "text", ignore_digits: bool = True) -> None:
        self.name = name
        self.ignore_digits = ignore_digits
        self.calls: list[str] = []

    def _lines(self, path: Path) -> list[str]:
        text = path.read_text(encoding="utf-8", errors="replace")
        if self.ignore_digits:
            text = "".join("0" if ch.isdigit() else ch for ch in text)
        return text.splitlines()

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        self.calls.append(path)
        la, lb = self._lines(a), self._lines(b)
        for i in range(max(len(la), len(lb))):
            x = la[i] if i < len(la) else None
            y = lb[i] if i < len(lb) else None
            if x != y:
                return [
                    Difference(
                        handler=self.name,
                        path=path,
                        location=f"line {i + 1}",
                        kind="content-changed",
                        message=f"line {i + 1} differs",
                        a=x,
                        b=y,
                    )
                ]
        return []


class CrashHandler:
    name = "json"

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        raise RuntimeError("boom in the parser")


def fakes(**extra: Handler) -> Registry:
    """Every handler a fake or the byte handler, so verdicts do not depend on real handlers."""
    base: dict[str, Handler] = {
        name: BYTE_HANDLER for name in ("junit", "coverage", "notebook", "html", "yaml", "csv")
    }
    base["text"] = LineHandler()
    base["json"] = LineHandler("json", ignore_digits=False)
    base["binary"] = BYTE_HANDLER
    base.update(extra)
    return Registry(base)


def unit(name: str, status: str = "succeeded", kind: str = "job", **extra: Any) -> UnitRecord:
    return UnitRecord.model_validate({"name": name, "kind": kind, "status": status, **extra})


def make(
    root: Path,
    name: str,
    files: Mapping[str, bytes | str],
    units: list[UnitRecord] | None = None,
    *,
    system: str = "github-actions",
    status: str = "succeeded",
    commit: str = COMMIT,
) -> RunBundle:
    kind = "job" if system == "github-actions" else "task"
    info = RunInfo.model_validate(
        {
            "system": system,
            "run_id": f"{name}-1",
            "commit": commit,
            "status": status,
            "units": [u.model_dump() for u in units]
            if units is not None
            else [{"name": "test", "kind": kind, "status": "succeeded"}],
        }
    )
    data = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    return open_bundle(write_bundle(root / name, info, data))


FILES = {
    "junit/report.xml": "<testsuite name='u' tests='1'><testcase name='t'/></testsuite>\n",
    "results/metrics.json": '{"accuracy": 0.91}\n',
    "logs/run.log": "started at 10:00:01\nok\n",
}


def kinds(c: Comparison) -> list[tuple[str, str, str]]:
    return [(d.path, d.location, d.kind) for d in c.differences]


# --------------------------------------------------------------------------------------------
# verdicts


def test_identical_runs_are_equivalent(tmp_path: Path) -> None:
    a = make(tmp_path, "a", FILES)
    b = make(tmp_path, "b", FILES, [unit("test", kind="task")], system="tekton")
    c = compare(a, b, registry=fakes())
    assert c.verdict == "equivalent"
    assert c.differences == [] and c.missing == [] and c.noise == []
    assert [f.status for f in c.files] == ["same", "same", "same"]
    assert c.run_a.files == 3 and c.run_b.files == 3
    assert c.units[0].same and c.units[0].kind_b == "task"
    # junit and metrics under the byte handler (fakes), the log under the line handler
    assert c.counts["text"].files == 1 and c.counts["json"].files == 1


def test_fixture_bundles_equivalent_when_timings_are_sanitised() -> None:
    """The two fixture runs differ only in timings (0.42 s vs 0.47 s in junit and the log)."""
    a = open_bundle(FIXTURES / "bundles" / "minimal-github")
    b = open_bundle(FIXTURES / "bundles" / "minimal-tekton")
    reg = Registry({"text": LineHandler(), "junit": LineHandler("junit")})
    c = compare(a, b, registry=reg)
    assert c.verdict == "equivalent", c.differences
    # byte for byte, both files differ: the sanitising handler is what made them equal
    strict = compare(a, b, registry=Registry({"text": BYTE_HANDLER, "junit": BYTE_HANDLER}))
    assert strict.verdict == "divergent"
    assert {d.path for d in strict.differences} == {"junit/report.xml", "logs/summary.txt"}


def test_fixture_bundles_through_real_junit_handler() -> None:
    pytest.importorskip("ghtotekton.compare.handlers.junit")
    a = open_bundle(FIXTURES / "bundles" / "minimal-github")
    b = open_bundle(FIXTURES / "bundles" / "minimal-tekton")
    c = compare(a, b, registry=Registry({"text": LineHandler()}))
    junit = next(f for f in c.files if f.path == "junit/report.xml")
    assert junit.handler == "junit"
    assert junit.status == "same"  # durations differ, outcomes do not


def test_changed_file_is_divergent_and_located(tmp_path: Path) -> None:
    a = make(tmp_path, "a", FILES)
    changed = dict(FILES, **{"results/metrics.json": '{"accuracy": 0.75}\n'})
    b = make(tmp_path, "b", changed)
    c = compare(a, b, registry=fakes())
    assert c.verdict == "divergent"
    assert kinds(c) == [("results/metrics.json", "line 1", "content-changed")]
    assert c.differences[0].a == '{"accuracy": 0.91}'
    metrics = next(f for f in c.files if f.path == "results/metrics.json")
    assert metrics.status == "different" and metrics.differences == 1
    assert c.counts["json"].differences == 1


def test_missing_required_file_is_incomplete(tmp_path: Path) -> None:
    a = make(tmp_path, "a", FILES)
    b = make(tmp_path, "b", {k: v for k, v in FILES.items() if k != "junit/report.xml"})
    c = compare(a, b, registry=fakes())
    assert c.verdict == "incomplete"
    assert [(d.path, d.kind) for d in c.missing] == [("junit/report.xml", "missing-on-b")]
    assert c.missing == [d for d in c.differences if d.kind == "missing-on-b"]


def test_file_only_in_b_is_incomplete_too(tmp_path: Path) -> None:
    a = make(tmp_path, "a", FILES)
    b = make(tmp_path, "b", dict(FILES, **{"extra/new.csv": "x\n1\n"}))
    c = compare(a, b, registry=fakes())
    assert c.verdict == "incomplete"
    assert kinds(c) == [("extra/new.csv", "", "missing-on-a")]


def test_missing_log_is_only_a_note(tmp_path: Path) -> None:
    a = make(tmp_path, "a", FILES)
    b = make(tmp_path, "b", {k: v for k, v in FILES.items() if k != "logs/run.log"})
    c = compare(a, b, registry=fakes())
    assert c.verdict == "equivalent"
    assert any("logs/run.log" in n and "not required" in n for n in c.notes)


def test_unit_status_and_run_status(tmp_path: Path) -> None:
    a = make(tmp_path, "a", {}, [unit("build"), unit("test")])
    b = make(
        tmp_path,
        "b",
        {},
        [unit("build", kind="task"), unit("test", "failed", kind="task")],
        system="tekton",
        status="failed",
    )
    c = compare(a, b, registry=fakes())
    assert c.verdict == "divergent"
    assert kinds(c) == [("(run)", "", "run-status"), ("test", "", "unit-status")]
    status = c.differences[1]
    assert (status.a, status.b) == ("succeeded", "failed")


def test_unit_on_one_side_is_incomplete(tmp_path: Path) -> None:
    a = make(tmp_path, "a", {}, [unit("build"), unit("lint")])
    b = make(tmp_path, "b", {}, [unit("build", kind="task")], system="tekton")
    c = compare(a, b, registry=fakes())
    assert c.verdict == "incomplete"
    assert [(d.path, d.kind) for d in c.missing] == [("lint", "missing-on-b")]


def test_ignored_units_and_files(tmp_path: Path) -> None:
    a = make(tmp_path, "a", FILES, [unit("build")])
    b = make(
        tmp_path,
        "b",
        dict(FILES, **{"bundle/manifest.txt": "x"}),
        [unit("build", kind="task"), unit("publish-bundle", kind="task")],
        system="tekton",
    )
    assert compare(a, b, registry=fakes()).verdict == "incomplete"
    config = CompareConfig.model_validate(
        {"units": {"ignore": ["publish-*"]}, "ignore_files": ["bundle/**"]}
    )
    c = compare(a, b, config, registry=fakes())
    assert c.verdict == "equivalent", c.differences
    assert all(f.path != "bundle/manifest.txt" for f in c.files)


def test_handler_crash_becomes_unreadable_difference(tmp_path: Path) -> None:
    a = make(tmp_path, "a", FILES)
    b = make(tmp_path, "b", dict(FILES, **{"results/metrics.json": '{"accuracy": 0.92}\n'}))
    c = compare(a, b, registry=fakes(json=CrashHandler()))
    assert c.verdict == "divergent"
    assert len(c.differences) == 1
    diff = c.differences[0]
    assert (diff.path, diff.kind, diff.handler) == ("results/metrics.json", "unreadable", "json")
    assert "json handler failed" in diff.message and "boom in the parser" in diff.message
    # the other files were still compared
    assert {f.path: f.status for f in c.files}["junit/report.xml"] == "same"


def test_identical_files_skip_the_handler(tmp_path: Path) -> None:
    """Byte-equal files are the same for any handler; parsing them would only cost time."""
    a = make(tmp_path, "a", FILES)
    b = make(tmp_path, "b", dict(FILES, **{"logs/run.log": "started at 10:00:02\nok\n"}))
    text = LineHandler()
    c = compare(a, b, registry=fakes(text=text, json=CrashHandler()))
    assert c.verdict == "equivalent"  # the crashing json handler was never asked
    assert text.calls == ["logs/run.log"]


def test_results_do_not_depend_on_workers(tmp_path: Path) -> None:
    files = {f"f{i:03d}.txt": f"line {i}\nvalue {i % 7}\n" for i in range(60)}
    other = {
        k: (v.replace("value", "VALUE") if k.endswith(("3.txt", "7.txt")) else v)
        for k, v in files.items()
    }
    a = make(tmp_path, "a", files)
    b = make(tmp_path, "b", other)
    one = compare(a, b, registry=fakes(), workers=1)
    two = compare(a, b, registry=fakes(), workers=2)
    assert one.differences == two.differences
    assert [f.path for f in one.files] == [f.path for f in two.files] == sorted(files)
    assert len(one.differences) == 12  # 6 of 60 end in 3, 6 in 7


# --------------------------------------------------------------------------------------------
# noise baseline


def test_baseline_marks_noise(tmp_path: Path) -> None:
    files = dict(FILES, **{"results/seed.txt": "random 0.123\n", "results/acc.txt": "acc 0.9\n"})
    a = make(tmp_path, "a", files)
    a2 = make(tmp_path, "a2", dict(files, **{"results/seed.txt": "random 0.456\n"}))
    plain = LineHandler(ignore_digits=False)
    b_same = make(tmp_path, "b", dict(files, **{"results/seed.txt": "random 0.789\n"}))
    c = compare(a, b_same, baseline=a2, registry=fakes(text=plain))
    assert c.verdict == "equivalent"
    assert [(d.path, d.noise) for d in c.noise] == [("results/seed.txt", True)]
    assert c.differences == []
    seed = next(f for f in c.files if f.path == "results/seed.txt")
    assert seed.status == "noise" and seed.noise == 1
    assert c.baseline is not None and c.baseline.run_id == "a2-1"
    # a change that A and its baseline do not show is still a regression
    b_bad = make(
        tmp_path,
        "b2",
        dict(files, **{"results/seed.txt": "random 0.789\n", "results/acc.txt": "acc 0.5\n"}),
    )
    c2 = compare(a, b_bad, baseline=a2, registry=fakes(text=plain))
    assert c2.verdict == "divergent"
    assert kinds(c2) == [("results/acc.txt", "line 1", "content-changed")]
    assert len(c2.noise) == 1
    # without the baseline both count
    assert len(compare(a, b_bad, registry=fakes(text=plain)).differences) == 2


def test_baseline_of_other_commit_makes_it_incomplete(tmp_path: Path) -> None:
    """Issue 21: noise learned from another commit could hide a real change."""
    a = make(tmp_path, "a", FILES)
    a2 = make(tmp_path, "a2", FILES, commit="0" * 40)
    b = make(tmp_path, "b", FILES)
    c = compare(a, b, baseline=a2, registry=fakes())
    assert c.verdict == "incomplete"
    assert any("baseline built commit 000000000000" in e for e in c.evidence)


# --------------------------------------------------------------------------------------------
# pairing


def test_file_renames_pair_different_names(tmp_path: Path) -> None:
    a = make(tmp_path, "a", {"gh-results/test-a.txt": "x\n", "gh-results/test-b.txt": "y\n"})
    b = make(tmp_path, "b", {"tekton/test-a.txt": "x\n", "tekton/test-b.txt": "CHANGED\n"})
    assert compare(a, b, registry=fakes()).verdict == "incomplete"
    config = CompareConfig.model_validate({"renames": {"gh-results/*.txt": "tekton/*.txt"}})
    c = compare(a, b, config, registry=fakes())
    assert c.verdict == "divergent"
    assert kinds(c) == [("gh-results/test-b.txt", "line 1", "content-changed")]
    renamed = {f.path: f.path_b for f in c.files}
    assert renamed == {
        "gh-results/test-a.txt": "tekton/test-a.txt",
        "gh-results/test-b.txt": "tekton/test-b.txt",
    }


def test_unit_renames(tmp_path: Path) -> None:
    a = make(tmp_path, "a", {}, [unit("Run the tests")])
    b = make(tmp_path, "b", {}, [unit("pytest", "failed", kind="task")], system="tekton")
    config = CompareConfig.model_validate({"units": {"renames": {"Run the tests": "pytest"}}})
    c = compare(a, b, config, registry=fakes())
    assert kinds(c) == [("Run the tests", "", "unit-status")]
    assert c.units[0].name_b == "pytest"


def _convert_map(tmp_path: Path) -> Path:
    """A migration map written by the real converter, for a named job and a matrix job."""
    from ghtotekton.convert.engine import Options, convert_paths

    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        textwrap.dedent(
            """\
            name: CI
            on: push
            jobs:
              build_docs:
                name: Build Docs
                runs-on: ubuntu-latest
                steps:
                  - run: make docs
              unit_tests:
                runs-on: ubuntu-latest
                strategy:
                  matrix:
                    py: ["3.11", "3.12"]
                steps:
                  - run: pytest
            """
        )
    )
    result = convert_paths([repo], Options())
    path = tmp_path / "migration-map.json"
    path.write_text(result.files["migration-map.json"])
    return path


def test_migration_map_pairs_jobs_with_tasks_and_matrix_in_order(tmp_path: Path) -> None:
    mmap = load_migration_map(_convert_map(tmp_path))
    tasks = {j.job: j.pipeline_task for j in mmap.jobs}
    assert set(tasks) == {"build_docs", "unit_tests"}
    docs_task, test_task = tasks["build_docs"], tasks["unit_tests"]
    assert docs_task and test_task
    # GitHub names jobs by display name; matrix jobs get the combination in parentheses.
    a = make(
        tmp_path,
        "a",
        {},
        [unit("build_docs"), unit("unit_tests (3.11)"), unit("unit_tests (3.12)", "failed")],
        status="failed",
    )
    # Tekton: one TaskRun per combination, numbered in expansion order; listed in any order.
    b_units = [
        unit(f"{test_task}", "failed", kind="task", pipeline_task=test_task, taskrun="pr-x-1"),
        unit("Docs", kind="task", pipeline_task=docs_task, taskrun="pr-docs"),
        unit(f"{test_task}", kind="task", pipeline_task=test_task, taskrun="pr-x-0"),
    ]
    b = make(tmp_path, "b", {}, b_units, system="tekton", status="failed")
    c = compare(a, b, migration_map=mmap, registry=fakes())
    assert c.verdict == "equivalent", c.differences
    assert [(u.name, u.name_b) for u in c.units] == [
        ("build_docs", "Docs"),
        ("unit_tests (3.11)", test_task),
        ("unit_tests (3.12)", test_task),
    ]
    # Swap the outcomes of the two Tekton combinations: both pairs now differ.
    b_units[0] = unit(test_task, kind="task", pipeline_task=test_task, taskrun="pr-x-1")
    b_units[2] = unit(test_task, "failed", kind="task", pipeline_task=test_task, taskrun="pr-x-0")
    b2 = make(tmp_path, "b2", {}, b_units, system="tekton", status="failed")
    c2 = compare(a, b2, migration_map=mmap, registry=fakes())
    assert kinds(c2) == [
        ("unit_tests (3.11)", "", "unit-status"),
        ("unit_tests (3.12)", "", "unit-status"),
    ]


def test_without_map_names_pair_after_normalising(tmp_path: Path) -> None:
    assert normalise("Build Docs") == normalise("build_docs") == "build-docs"
    a = make(tmp_path, "a", {}, [unit("Build Docs"), unit("deploy")])
    b = make(tmp_path, "b", {}, [unit("build-docs", kind="task")], system="tekton")
    c = compare(a, b, registry=fakes())
    assert c.verdict == "incomplete"
    assert [(d.path, d.kind) for d in c.missing] == [("deploy", "missing-on-b")]
    assert c.units[0].same


def test_map_prefers_the_task_the_other_run_has(tmp_path: Path) -> None:
    mmap = MigrationMap.model_validate(
        {
            "jobs": [
                {"workflow": "a.yml", "job": "test", "pipeline_task": "test-a"},
                {"workflow": "b.yml", "job": "test", "pipeline_task": "test-b"},
            ]
        }
    )
    a = make(tmp_path, "a", {}, [unit("test")])
    b = make(
        tmp_path, "b", {}, [unit("test-b", kind="task", pipeline_task="test-b")], system="tekton"
    )
    assert compare(a, b, migration_map=mmap, registry=fakes()).verdict == "equivalent"


def test_bad_migration_map_is_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "map.json"
    bad.write_text('{\n  "jobs": [\n    {"job": 1,}\n  ]\n}\n')
    with pytest.raises(InputError) as info:
        load_migration_map(bad)
    assert info.value.first.position.line == 3
    bad.write_text('{"jobs": [{"pipeline_task": "x"}]}')
    with pytest.raises(InputError, match=r"jobs\.0\.job"):
        load_migration_map(bad)


# --------------------------------------------------------------------------------------------
# registry


def test_missing_handler_module_falls_back_to_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        registry_mod.HANDLER_PATHS, "notebook", "ghtotekton.compare.handlers.no_such:HANDLER"
    )
    reg = Registry()
    assert reg.get("notebook") is BYTE_HANDLER
    assert reg.notes() == [
        "the notebook handler is not part of this version; its files were compared byte for byte"
    ]
    a = make(tmp_path, "a", {"nb/run.ipynb": "{}"})
    b = make(tmp_path, "b", {"nb/run.ipynb": "{ }"})
    c = compare(a, b, registry=reg)
    assert c.verdict == "divergent"
    assert c.differences[0].handler == "binary" and c.differences[0].kind == "content-changed"
    assert any("notebook handler is not part" in n for n in c.notes)


def test_byte_handler(tmp_path: Path) -> None:
    x, y, z = tmp_path / "x", tmp_path / "y", tmp_path / "z"
    x.write_bytes(b"\x00" * 3_000_000)
    y.write_bytes(b"\x00" * 2_999_999 + b"\x01")
    z.write_bytes(b"\x00" * 3_000_000)
    opts = HandlerOptions()
    assert BYTE_HANDLER.compare("x", x, z, opts) == []
    (diff,) = BYTE_HANDLER.compare("x", x, y, opts)
    assert diff.kind == "content-changed" and "3000000 vs 3000000" in diff.message
    assert diff.a is not None and diff.b is not None and diff.a != diff.b


# --------------------------------------------------------------------------------------------
# configuration


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("*.ipynb", "notebooks/deep/train.ipynb", True),
        ("*.ipynb", "train.ipynb.bak", False),
        ("**/junit/*.xml", "junit/report.xml", True),
        ("**/junit/*.xml", "a/b/junit/report.xml", True),
        ("**/junit/*.xml", "a/junit/x/report.xml", False),
        ("reports/*.json", "reports/sub/x.json", False),
        ("reports/**", "reports/sub/x.json", True),
        ("TEST-*.xml", "out/TEST-foo.xml", True),
        ("data[0-9].csv", "data7.csv", True),
        ("data[!0-9].csv", "data7.csv", False),
    ],
)
def test_globs(glob: str, path: str, hit: bool) -> None:
    assert glob_match(glob, path) is hit


@pytest.mark.parametrize(
    ("path", "handler", "required"),
    [
        ("out/analysis.ipynb", "notebook", True),
        ("junit-unit.xml", "junit", True),
        ("reports/TEST-x.xml", "junit", True),
        ("coverage.xml", "coverage", True),
        ("htmlcov/coverage.json", "coverage", True),
        ("report.html", "html", True),
        ("a.json", "json", True),
        ("b.yml", "yaml", True),
        ("c.csv", "csv", True),
        ("build.log", "text", False),
        ("logs/pytest.txt", "text", False),
        ("README.md", "text", True),
        ("summary/unit-tests.md", "skip", False),
        ("model.bin", "binary", True),
    ],
)
def test_default_rules(path: str, handler: str, required: bool) -> None:
    res = DEFAULT_CONFIG.resolve(path)
    assert (res.handler, res.required) == (handler, required)


def test_auto_xml_looks_at_the_root_element(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    junit.write_text(
        '<?xml version="1.0"?>\n<!-- pytest -->\n<testsuites><testsuite/></testsuites>'
    )
    cov = tmp_path / "c.xml"
    cov.write_text(
        '<?xml version="1.0" ?>\n<!DOCTYPE coverage SYSTEM "x.dtd">\n<coverage line-rate="1"/>'
    )
    other = tmp_path / "o.xml"
    other.write_text("<project/>")
    assert detect_handler("results.xml", junit) == "junit"
    assert detect_handler("results.xml", cov) == "coverage"
    assert detect_handler("results.xml", other) == "text"
    assert DEFAULT_CONFIG.resolve("out/results.xml", junit).handler == "junit"


def test_user_rules_come_first_and_auto_keeps_their_options(tmp_path: Path) -> None:
    path = tmp_path / "compare.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            version: 1
            rules:
              - glob: "metrics/**"
                tolerance: {abs: 0.01, rel: 0.05}
                ignore: ["root['timestamp']"]
                sanitizers:
                  - pattern: "\\\\d{4}-\\\\d{2}-\\\\d{2}"
                    replace: DATE
              - glob: "*.log"
                handler: skip
            renames:
              "gh/*.xml": "tk/*.xml"
            """
        )
    )
    config = load_config(path)
    res = config.resolve("metrics/run/scores.json")
    assert res.handler == "json"  # auto: by file type
    assert res.options.tolerance.abs == 0.01 and res.options.tolerance.rel == 0.05
    assert res.options.ignore == ("root['timestamp']",)
    assert res.options.sanitizers == ((r"\d{4}-\d{2}-\d{2}", "DATE"),)
    assert res.rule.startswith("compare.yaml rule 1")
    assert config.resolve("x/build.log").handler == "skip"
    assert config.resolve("x/other.txt").rule == "default (*.txt)"
    assert config.rename("gh/junit.xml") == "tk/junit.xml"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("rules:\n  - glob: '*.x'\n    handler: magic\n", 3, "handler"),
        ("rules:\n  - glob: '*.x'\n    sanitizers:\n      - pattern: '(unclosed'\n", 4, "regular"),
        ("rules:\n  - glob: '*.x'\n    tolerence: {abs: 1}\n", 3, "did you mean `tolerance`"),
        ("version: 2\n", 1, "version"),
        ("rules:\n  - glob: '*.x'\n    tolerance: {abs: -1}\n", 3, "tolerance"),
        ("renames:\n  'a/*/*.xml': 'b/*.xml'\n", 2, "wildcard"),
    ],
)
def test_config_errors_are_positioned(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "compare.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(path)
    diag = info.value.first
    assert diag.position.file == str(path)
    assert diag.position.line == line, diag.format()
    assert words in diag.format()


def test_empty_config_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "compare.yaml"
    path.write_text("# nothing yet\n")
    assert load_config(path) is DEFAULT_CONFIG
    assert load_config(None) is DEFAULT_CONFIG


# --------------------------------------------------------------------------------------------
# properties

_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_text_files = st.dictionaries(
    st.builds(lambda d, n: f"{d}/{n}.txt", _names, _names),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200),
    max_size=4,
)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_json_files = st.dictionaries(
    st.builds(lambda n: f"data/{n}.json", _names),
    _json_values.map(lambda v: json.dumps(v, sort_keys=True) + "\n"),
    max_size=3,
)
_units = st.lists(
    st.tuples(_names, st.sampled_from(["succeeded", "failed", "skipped", "cancelled"])),
    max_size=4,
    unique_by=lambda t: t[0],
)
_PROPS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _bundle_pair(
    files: dict[str, str],
    units: list[tuple[str, str]],
    files_b: dict[str, bytes] | None = None,
    units_b: list[tuple[str, str]] | None = None,
) -> tuple[tempfile.TemporaryDirectory[str], RunBundle, RunBundle]:
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    data = {k: v.encode() for k, v in files.items()}
    a = make(root, "a", data, [unit(n, s) for n, s in units])
    b = make(
        root,
        "b",
        files_b if files_b is not None else data,
        [unit(n, s) for n, s in (units_b if units_b is not None else units)],
    )
    return tmp, a, b


@_PROPS
@given(texts=_text_files, jsons=_json_files, units=_units)
def test_property_a_run_equals_itself(
    texts: dict[str, str], jsons: dict[str, str], units: list[tuple[str, str]]
) -> None:
    """With the real handlers (byte fallback where one is not built yet)."""
    tmp, a, b = _bundle_pair({**texts, **jsons}, units)
    with tmp:
        c = compare(a, b)
        assert c.verdict == "equivalent", c.differences
        assert c.differences == [] and c.noise == []
        c_self = compare(a, a)
        assert c_self.differences == [] and c_self.noise == []
        # a run given twice proves nothing: the files agree, the verdict says so
        assert c_self.verdict == "incomplete" and "run B is run A" in c_self.evidence[0]


@_PROPS
@given(
    texts=_text_files.filter(lambda d: any(v for v in d.values())),
    jsons=_json_files,
    units=_units,
    data=st.data(),
)
def test_property_one_changed_byte_is_found(
    texts: dict[str, str],
    jsons: dict[str, str],
    units: list[tuple[str, str]],
    data: st.DataObject,
) -> None:
    files = {**texts, **jsons}
    target = data.draw(st.sampled_from(sorted(k for k, v in files.items() if v)))
    raw = {k: v.encode() for k, v in files.items()}
    blob = bytearray(raw[target])
    index = data.draw(st.integers(0, len(blob) - 1))
    blob[index] = data.draw(st.integers(0, 255).filter(lambda x: x != blob[index]))
    changed = dict(raw, **{target: bytes(blob)})
    tmp, a, b = _bundle_pair(files, units, files_b=changed)
    with tmp:
        strict = Registry({name: BYTE_HANDLER for name in registry_mod.HANDLER_PATHS})
        c = compare(a, b, registry=strict)
        assert c.verdict == "divergent"
        assert [d.path for d in c.differences] == [target]


@_PROPS
@given(units=_units.filter(bool), data=st.data())
def test_property_one_changed_unit_status_is_found(
    units: list[tuple[str, str]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(units) - 1))
    name, status = units[i]
    new = data.draw(
        st.sampled_from(["succeeded", "failed", "skipped", "cancelled"]).filter(
            lambda s: s != status
        )
    )
    units_b = list(units)
    units_b[i] = (name, new)
    tmp, a, b = _bundle_pair({}, units, units_b=units_b)
    with tmp:
        c = compare(a, b, registry=fakes())
        assert c.verdict == "divergent"
        assert [(d.path, d.kind, d.a, d.b) for d in c.differences] == [
            (name, "unit-status", status, new)
        ]


def test_job_split_into_several_tasks_pairs_with_all_of_them(tmp_path: Path) -> None:
    """A GPU job split into a GPU task and a CPU task: both parts stand for the one job."""
    mmap = MigrationMap.model_validate(
        {
            "jobs": [
                {"job": "notebooks", "pipeline_task": "notebooks-gpu"},
                {"job": "notebooks", "pipeline_task": "notebooks-cpu"},
            ]
        }
    )
    a = make(tmp_path, "a", {}, [unit("notebooks", "failed")], status="failed")
    parts = [
        unit("notebooks-gpu", "succeeded", kind="task", pipeline_task="notebooks-gpu"),
        unit("notebooks-cpu", "failed", kind="task", pipeline_task="notebooks-cpu"),
    ]
    b = make(tmp_path, "b", {}, parts, system="tekton", status="failed")
    c = compare(a, b, migration_map=mmap, registry=fakes())
    assert c.verdict == "equivalent", c.differences
    assert [(u.name, u.name_b, u.status_b) for u in c.units] == [
        ("notebooks", "notebooks-gpu + notebooks-cpu", "failed")
    ]
    parts[1] = unit("notebooks-cpu", "succeeded", kind="task", pipeline_task="notebooks-cpu")
    b2 = make(tmp_path, "b2", {}, parts, system="tekton", status="failed")
    c2 = compare(a, b2, migration_map=mmap, registry=fakes())
    assert kinds(c2) == [("notebooks", "", "unit-status")]


def test_flaky_unit_in_baseline_is_noise(tmp_path: Path) -> None:
    a = make(tmp_path, "a", {}, [unit("gpu-smoke"), unit("test")])
    a2 = make(tmp_path, "a2", {}, [unit("gpu-smoke", "failed"), unit("test")])
    b = make(
        tmp_path,
        "b",
        {},
        [unit("gpu-smoke", "failed", kind="task"), unit("test", kind="task")],
        system="tekton",
    )
    c = compare(a, b, baseline=a2, registry=fakes())
    assert c.verdict == "equivalent"
    assert [(d.path, d.kind) for d in c.noise] == [("gpu-smoke", "unit-status")]
    assert [(u.name, u.same, u.noise) for u in c.units] == [
        ("gpu-smoke", False, True),
        ("test", True, False),
    ]


@pytest.mark.parametrize("on_tekton", ["absent", "skipped"])
def test_a_job_tekton_holds_for_approval_is_noted_not_counted(
    tmp_path: Path, on_tekton: str
) -> None:
    """A deploy GitHub's reviewers let through must not run again from the shadow run: when the
    map says Tekton holds it for approval and it did not run there, the runs still agree."""
    held = "job `deploy` deploys to the environment `production` ..."
    mmap = MigrationMap.model_validate(
        {
            "jobs": [
                {"job": "build", "pipeline_task": "build"},
                {"job": "deploy", "pipeline_task": "deploy", "held": held},
            ]
        }
    )
    a = make(tmp_path, "a", {}, [unit("build"), unit("deploy")])
    tekton = [unit("build", kind="task", pipeline_task="build")]
    if on_tekton == "skipped":
        tekton.append(unit("deploy", "skipped", kind="task", pipeline_task="deploy"))
    b = make(tmp_path, "b", {}, tekton, system="tekton")
    c = compare(a, b, migration_map=mmap, registry=fakes())
    assert c.verdict == "equivalent", c.differences
    assert any("holds it for approval" in n for n in c.notes)
    plain = MigrationMap.model_validate(
        {"jobs": [{"job": j, "pipeline_task": j} for j in ("build", "deploy")]}
    )
    assert compare(a, b, migration_map=plain, registry=fakes()).verdict != "equivalent"
    # Once approved on Tekton too, it is compared like any job.
    ran = make(
        tmp_path,
        "ran",
        {},
        [*tekton[:1], unit("deploy", "failed", kind="task", pipeline_task="deploy")],
        system="tekton",
    )
    assert compare(a, ran, migration_map=mmap, registry=fakes()).verdict == "divergent"


def test_the_migration_map_marks_jobs_held_for_approval(tmp_path: Path) -> None:
    from tests.converted import convert_repo

    workflow = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n"
        "  deploy:\n    needs: build\n    environment: production\n    runs-on: ubuntu-latest\n"
        "    steps: [{run: ./deploy.sh}]\n"
    )
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": workflow})
    jobs = {j["job"]: j for j in json.loads(conv.result.files["migration-map.json"])["jobs"]}
    assert "approve-production=approved" in jobs["deploy"]["held"]
    assert "held" not in jobs["build"]
