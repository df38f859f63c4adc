"""Shadow runs for real: the same commit run twice on the CPU, compared by `ghtotekton compare`.

Hand-written outputs only ever contain the noise their author thought of. Here every artifact
comes from a real process: papermill executes ``fixtures/shadow-run/shadow.ipynb`` (seeded
numbers, but clocks, timings, object addresses and papermill's random cell ids differ per run),
nbconvert renders it to HTML, and pytest with pytest-cov runs the fixture project in two
different checkouts (``/home/runner/work/...`` for GitHub Actions, ``/workspace/source`` for
Tekton), writing JUnit XML, Cobertura XML and its console log. Each run becomes a bundle through
``write_bundle``, with job/task statuses taken from the processes' exit codes, and the two are
paired through ``fixtures/shadow-run/migration-map.json``.

The two runs must come out ``equivalent``. Then each regression of issue 7 is produced, as far
as possible, by rerunning only the process that changes (an environment variable read by the
fixture makes a test fail, skips a test, biases a number or raises in a cell); the run that
failed is a run.json edit and the missing artifact a deleted file, since those are what a broken
CI system leaves behind. Every regression must come out ``divergent`` at the right place, except
the missing artifact: the engine defines a missing required file as ``incomplete`` (exit 1
either way). A third run of system A, with an unseeded number printed in all three notebook
runs, checks that ``--baseline`` turns real run-to-run noise into noise and not a regression.

All real processes of the session run once, concurrently, in one session fixture.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ghtotekton.cli import app
from ghtotekton.compare.bundle import RunInfo, StepRecord, UnitRecord, write_bundle
from tests.conftest import FIXTURES
from tests.test_handlers_notebook import kernel_env  # noqa: F401  (session fixture, reused)

pytestmark = pytest.mark.slow

SHADOW = FIXTURES / "shadow-run"
NOTEBOOK = SHADOW / "shadow.ipynb"
PROJECT = SHADOW / "project"
MIGRATION_MAP = SHADOW / "migration-map.json"

NB = "notebooks/shadow.ipynb"
HTML = "notebooks/shadow.html"
JUNIT = "reports/junit.xml"
COVERAGE = "reports/coverage.xml"
LOG = "logs/pytest.txt"

# Unit names on each side; migration-map.json pairs them (they differ on purpose).
JOBS = {"tests": "unit-tests", "notebook": "run-notebook"}

PROCESS_TIMEOUT_S = 300


# --------------------------------------------------------------------------------------------
# running things for real


@dataclass
class Process:
    """One real process: what it wrote, how it ended, how long it took."""

    exit_code: int
    duration_s: float
    outputs: dict[str, Path]
    stderr: str = ""


def _clean_env(**shadow: str) -> dict[str, str]:
    """The environment for a child run: ours minus what would leak this pytest session into it.

    When this suite itself runs under pytest-cov or with PYTEST_ADDOPTS, those variables would
    make the fixture project's pytest measure or configure itself differently per caller.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COV_CORE_", "PYTEST_", "SHADOW_", "COVERAGE_"))
    }
    env.update(shadow)
    return env


def _run_pytest(checkout: Path, *args: str, **shadow: str) -> Process:
    """pytest with JUnit XML and Cobertura coverage, in a fresh copy of the fixture project."""
    shutil.copytree(PROJECT, checkout)
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            f"--junitxml={JUNIT}",
            "--cov",
            f"--cov-report=xml:{COVERAGE}",
            *args,
        ],
        cwd=checkout,
        env=_clean_env(**shadow),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    log = checkout / LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout, encoding="utf-8")
    assert (checkout / JUNIT).is_file(), proc.stdout + proc.stderr
    assert (checkout / COVERAGE).is_file(), proc.stdout + proc.stderr
    return Process(
        proc.returncode,
        time.perf_counter() - started,
        {JUNIT: checkout / JUNIT, COVERAGE: checkout / COVERAGE, LOG: log},
        proc.stderr,
    )


def _run_papermill(workdir: Path, **shadow: str) -> Process:
    """papermill on the fixture notebook; it writes the output notebook even when a cell fails.

    A kernel that never started (jupyter_client picks free ports before the kernel binds them,
    so many kernels started at once can collide) is retried once: that is the test machine's
    problem, not a result. A run whose cells executed is never retried.
    """
    workdir.mkdir(parents=True)
    out = workdir / NB
    out.parent.mkdir(parents=True)
    started = time.perf_counter()
    for attempt in range(2):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "papermill",
                str(NOTEBOOK),
                str(out),
                "-p",
                "n",
                "400",
                "-k",
                "python3",
                "--cwd",
                str(workdir),
                "--no-progress-bar",
            ],
            cwd=workdir,
            env=_clean_env(**shadow),
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT_S,
            check=False,
        )
        if proc.returncode == 0 or attempt or _executed_cells(out):
            break
    assert out.is_file(), proc.stdout + proc.stderr
    return Process(proc.returncode, time.perf_counter() - started, {NB: out}, proc.stderr)


def _executed_cells(notebook: Path) -> int:
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return 0
    return sum(1 for c in cells if c.get("execution_count") is not None)


def _render_html(run: Process) -> None:
    """nbconvert's HTML exporter, as `jupyter nbconvert --to html` runs it, in this process."""
    import nbconvert
    import nbformat

    nbf: Any = nbformat  # untyped libraries, typed at this boundary
    exporter_class: Any = nbconvert.HTMLExporter
    exporter = exporter_class()
    source = run.outputs[NB]
    started = time.perf_counter()
    body, _ = exporter.from_notebook_node(nbf.read(str(source), as_version=4))
    html = source.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    run.outputs[HTML] = html
    run.duration_s += time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# bundles


def _commit() -> str:
    """A stand-in commit id: the hash of the fixture, so "the same commit" is literally true."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(p for p in SHADOW.rglob("*") if p.is_file()):
        digest.update(path.relative_to(SHADOW).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _status(code: int) -> str:
    return "succeeded" if code == 0 else "failed"


def _bundle(
    target: Path,
    system: str,
    run_id: str,
    tests: Process,
    notebook: Process,
    *,
    drop: tuple[str, ...] = (),
    unit_status: Mapping[str, str] | None = None,
) -> Path:
    """run.json with one job (GitHub) or task (Tekton) per part, and the artifacts it made.

    ``drop`` leaves artifacts out; ``unit_status`` overrides a unit's status (keyed by GitHub's
    job name) the way a CI system reports a unit that failed for a reason no artifact shows.
    """
    tekton = system == "tekton"
    overrides = dict(unit_status or {})
    units = []
    for job, steps in (
        ("tests", [("checkout", 0, 0.4), ("pytest", tests.exit_code, tests.duration_s)]),
        (
            "notebook",
            [
                ("checkout", 0, 0.4),
                ("papermill + nbconvert", notebook.exit_code, notebook.duration_s),
            ],
        ),
    ):
        status = _status(max(code for _, code, _ in steps))
        units.append(
            UnitRecord(
                name=JOBS[job] if tekton else job,
                kind="task" if tekton else "job",
                status=overrides.get(job, status),  # type: ignore[arg-type]
                duration_s=round(sum(d for _, _, d in steps), 3),
                steps=[
                    StepRecord(name=name, status=_status(code), duration_s=round(d, 3))  # type: ignore[arg-type]
                    for name, code, d in steps
                ],
            )
        )
    now = datetime.now(UTC)
    info = RunInfo(
        system=system,  # type: ignore[arg-type]
        run_id=run_id,
        commit=_commit(),
        ref="refs/heads/main",
        event="push",
        started=now.isoformat(),
        finished=now.isoformat(),
        status="failed" if any(u.status == "failed" for u in units) else "succeeded",
        units=units,
    )
    files = {**tests.outputs, **notebook.outputs}
    for rel in drop:
        files.pop(rel)
    return write_bundle(target, info, files)


@dataclass
class ShadowRuns:
    a: Path
    b: Path
    b_zip: Path
    variants: dict[str, Path] = field(default_factory=dict)
    """Copies of run B with one regression each."""
    noisy: dict[str, Path] = field(default_factory=dict)
    """A, the baseline A2 and B, all with an unseeded number printed by the notebook."""
    processes: dict[str, Process] = field(default_factory=dict)


@pytest.fixture(scope="session")
def shadow(kernel_env: None, tmp_path_factory: pytest.TempPathFactory) -> ShadowRuns:  # noqa: F811
    """Every real process of this module, started at once and waited for, then the bundles."""
    root = tmp_path_factory.mktemp("shadow-runs")
    gh = root / "github/home/runner/work/shadow/shadow"
    tk = root / "tekton/workspace"
    jobs: dict[str, Any] = {
        # the two shadow runs
        "tests-a": lambda: _run_pytest(gh / "a"),
        "tests-b": lambda: _run_pytest(tk / "b"),
        "nb-a": lambda: _run_papermill(gh / "nb-a"),
        "nb-b": lambda: _run_papermill(tk / "nb-b"),
        # run B again, each time with one regression
        "tests-b-fail": lambda: _run_pytest(tk / "b-fail", SHADOW_BREAK="1"),
        "tests-b-missing": lambda: _run_pytest(
            tk / "b-missing", "--deselect", "tests/test_stats.py::test_mean_of_one"
        ),
        "tests-b-skip": lambda: _run_pytest(tk / "b-skip", SHADOW_SKIP_CLAMP="1"),
        "nb-b-bias": lambda: _run_papermill(tk / "nb-b-bias", SHADOW_BIAS="0.001"),
        "nb-b-error": lambda: _run_papermill(tk / "nb-b-error", SHADOW_FAIL="1"),
        # a third run of A (the baseline), and notebooks with real run-to-run noise
        "tests-a2": lambda: _run_pytest(gh / "a2"),
        "nb-a-noisy": lambda: _run_papermill(gh / "nb-a-noisy", SHADOW_JITTER="1"),
        "nb-a2-noisy": lambda: _run_papermill(gh / "nb-a2-noisy", SHADOW_JITTER="1"),
        "nb-b-noisy": lambda: _run_papermill(tk / "nb-b-noisy", SHADOW_JITTER="1"),
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        runs: dict[str, Process] = {name: f.result() for name, f in futures.items()}
    # Only the runs that inject a failure may fail; anything else is a broken fixture, not a
    # finding, and must not turn into a confusing verdict further down.
    for name, run in runs.items():
        meant_to_fail = name in ("tests-b-fail", "nb-b-error")
        assert (run.exit_code != 0) == meant_to_fail, f"{name}: exit {run.exit_code}\n{run.stderr}"
    for name, run in runs.items():
        if name.startswith("nb-"):
            _render_html(run)

    out = root / "bundles"
    shadow = ShadowRuns(
        a=_bundle(out / "a", "github-actions", "9100", runs["tests-a"], runs["nb-a"]),
        b=_bundle(out / "b", "tekton", "ci-run-7kq2x", runs["tests-b"], runs["nb-b"]),
        b_zip=_bundle(out / "b.zip", "tekton", "ci-run-7kq2x", runs["tests-b"], runs["nb-b"]),
        processes=runs,
    )

    def variant(name: str, tests: str = "tests-b", nb: str = "nb-b", **kw: Any) -> None:
        shadow.variants[name] = _bundle(
            out / f"b-{name}", "tekton", f"ci-run-{name}", runs[tests], runs[nb], **kw
        )

    variant("test-fails", tests="tests-b-fail")
    variant("test-missing", tests="tests-b-missing")
    variant("coverage-drop", tests="tests-b-skip")
    variant("number-beyond-tolerance", nb="nb-b-bias")
    variant("cell-error", nb="nb-b-error")
    variant("artifact-missing", drop=(HTML,))
    variant("unit-failed", unit_status={"tests": "failed"})
    shadow.noisy = {
        "a": _bundle(
            out / "a-noisy", "github-actions", "9101", runs["tests-a"], runs["nb-a-noisy"]
        ),
        "a2": _bundle(
            out / "a2-noisy", "github-actions", "9102", runs["tests-a2"], runs["nb-a2-noisy"]
        ),
        "b": _bundle(
            out / "b-noisy", "tekton", "ci-run-noisy", runs["tests-b"], runs["nb-b-noisy"]
        ),
    }
    return shadow


def compare_cli(a: Path, b: Path, *extra: str | Path) -> tuple[int, dict[str, Any]]:
    """`ghtotekton compare ... --format json` through the real CLI; the exit code and the JSON."""
    result = CliRunner().invoke(
        app,
        [
            "compare",
            "--run-a",
            str(a),
            "--run-b",
            str(b),
            "--migration-map",
            str(MIGRATION_MAP),
            "--format",
            "json",
            *map(str, extra),
        ],
    )
    assert result.exit_code in (0, 1), (result.exit_code, result.stdout, result.stderr)
    return result.exit_code, json.loads(result.stdout)


def triples(doc: dict[str, Any], key: str = "differences") -> set[tuple[str, str, str]]:
    return {(d["handler"], d["path"], d["kind"]) for d in doc[key]}


def locations(doc: dict[str, Any], path: str, key: str = "differences") -> list[str]:
    return [d["location"] for d in doc[key] if d["path"] == path]


def cell_index(notebook: Path, cell_id: str) -> int:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return next(i for i, c in enumerate(cells) if c.get("id") == cell_id)


# --------------------------------------------------------------------------------------------
# the two shadow runs


def test_the_runs_really_differ_byte_wise(shadow: ShadowRuns) -> None:
    """Guard for the test below: equivalence must come from the handlers, not from equal bytes."""
    for rel in (NB, HTML, JUNIT, COVERAGE):
        a = (shadow.a / "artifacts" / rel).read_bytes()
        b = (shadow.b / "artifacts" / rel).read_bytes()
        assert a != b, f"{rel} came out byte-identical; the fixture lost its noise"
    # the log is byte-identical but for pytest's "in 0.81s": the text handler's sanitiser
    log_a = (shadow.a / "artifacts" / LOG).read_text()
    log_b = (shadow.b / "artifacts" / LOG).read_text()
    assert "6 passed" in log_a and "6 passed" in log_b


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_two_real_runs_are_equivalent(shadow: ShadowRuns, zipped: bool) -> None:
    code, doc = compare_cli(shadow.a, shadow.b_zip if zipped else shadow.b)
    assert (code, doc["verdict"]) == (0, "equivalent"), doc["differences"]
    assert doc["differences"] == [] and doc["noise"] == []
    by_path = {f["path"]: f for f in doc["files"]}
    assert {p: by_path[p]["handler"] for p in (NB, HTML, JUNIT, COVERAGE, LOG)} == {
        NB: "notebook",
        HTML: "html",
        JUNIT: "junit",
        COVERAGE: "coverage",
        LOG: "text",
    }
    assert all(f["status"] == "same" for f in doc["files"])
    # paired through migration-map.json, not by name: tests <-> unit-tests
    assert {(u["name"], u["name_b"]) for u in doc["units"]} == {
        ("tests", "unit-tests"),
        ("notebook", "run-notebook"),
    }


# --------------------------------------------------------------------------------------------
# regressions injected into run B


def test_a_test_that_now_fails(shadow: ShadowRuns) -> None:
    code, doc = compare_cli(shadow.a, shadow.variants["test-fails"])
    assert (code, doc["verdict"]) == (1, "divergent")
    found = triples(doc)
    # the pytest process itself failed, so the job fails and with it the run
    assert {
        ("junit", JUNIT, "outcome-changed"),
        ("units", "tests", "unit-status"),
        ("units", "(run)", "run-status"),
    } <= found
    # the counts and the console log (the traceback) differ as well; the notebook does not
    assert {p for _, p, _ in found} == {JUNIT, LOG, "tests", "(run)"}
    outcome = [d for d in doc["differences"] if d["kind"] == "outcome-changed"]
    assert [d["location"] for d in outcome] == ["tests.test_stats::test_variance"]
    assert (outcome[0]["a"], outcome[0]["b"]) == ("pass", "fail") or "pass in A, fail in B" in (
        outcome[0]["message"]
    )


def test_a_test_missing(shadow: ShadowRuns) -> None:
    code, doc = compare_cli(shadow.a, shadow.variants["test-missing"])
    assert (code, doc["verdict"]) == (1, "divergent")
    missing = [d for d in doc["differences"] if d["kind"] == "missing-on-b"]
    assert [(d["path"], d["location"]) for d in missing] == [
        (JUNIT, "tests.test_stats::test_mean_of_one")
    ]
    # test_mean_of_one covers nothing the others do not: coverage stays the same
    assert {p for _, p, _ in triples(doc)} == {JUNIT, LOG}
    assert doc["missing"] == []  # a test missing inside a report is divergent, not incomplete


def test_coverage_drop(shadow: ShadowRuns) -> None:
    code, doc = compare_cli(shadow.a, shadow.variants["coverage-drop"])
    assert (code, doc["verdict"]) == (1, "divergent")
    where = locations(doc, COVERAGE)
    # test_clamp is the only test reaching clamp(): its lines and branches drop, in the file
    # and in the total; the other files keep their rates
    assert {"stats.py (line-rate)", "stats.py (branch-rate)", "total (line-rate)"} <= set(where)
    assert not [w for w in where if "__init__" in w]
    assert {k for h, _, k in triples(doc) if h == "coverage"} == {"value-beyond-tolerance"}
    # the skipped test shows in JUnit too (pass -> skip); nothing else differs
    assert "tests.test_stats::test_clamp" in locations(doc, JUNIT)
    assert {p for _, p, _ in triples(doc)} == {COVERAGE, JUNIT, LOG}


def test_a_number_beyond_tolerance(shadow: ShadowRuns) -> None:
    code, doc = compare_cli(shadow.a, shadow.variants["number-beyond-tolerance"])
    assert (code, doc["verdict"]) == (1, "divergent")
    nb = [d for d in doc["differences"] if d["path"] == NB]
    assert [d["kind"] for d in nb] == ["value-beyond-tolerance"]
    index = cell_index(shadow.a / "artifacts" / NB, "sample")
    assert nb[0]["location"] == f"cell {index} (id sample) output 0"
    # SHADOW_BIAS=0.001 moved the printed mean by exactly that much
    x, y = map(float, re.findall(r"(-?\d+\.\d+) vs (-?\d+\.\d+)", nb[0]["message"])[0])
    assert y - x == pytest.approx(0.001, abs=2e-6)
    # the rendered page shows the same number, so the HTML differs too; nothing else does
    assert {p for _, p, _ in triples(doc)} == {NB, HTML}


def test_a_notebook_cell_error(shadow: ShadowRuns) -> None:
    code, doc = compare_cli(shadow.a, shadow.variants["cell-error"])
    assert (code, doc["verdict"]) == (1, "divergent")
    errors = [d for d in doc["differences"] if d["path"] == NB and d["kind"] == "cell-error"]
    index = cell_index(shadow.a / "artifacts" / NB, "check")
    assert [d["location"].split(" output")[0] for d in errors] == [f"cell {index} (id check)"]
    assert "RuntimeError" in (errors[0]["b"] or "") + errors[0]["message"]
    # papermill exited non-zero, so the notebook task failed on Tekton
    assert ("units", "notebook", "unit-status") in triples(doc)
    assert ("junit", JUNIT, "outcome-changed") not in triples(doc)


def test_a_missing_artifact_is_incomplete(shadow: ShadowRuns) -> None:
    """The engine calls a missing required file ``incomplete``, not ``divergent``; exit 1 too."""
    code, doc = compare_cli(shadow.a, shadow.variants["artifact-missing"])
    assert (code, doc["verdict"]) == (1, "incomplete")
    assert triples(doc) == {("html", HTML, "missing-on-b")}
    assert triples(doc, "missing") == {("html", HTML, "missing-on-b")}


def test_a_unit_that_failed(shadow: ShadowRuns) -> None:
    code, doc = compare_cli(shadow.a, shadow.variants["unit-failed"])
    assert (code, doc["verdict"]) == (1, "divergent")
    assert triples(doc) == {
        ("units", "tests", "unit-status"),
        ("units", "(run)", "run-status"),
    }
    [unit] = [u for u in doc["units"] if u["name"] == "tests"]
    assert (unit["status_a"], unit["status_b"], unit["same"]) == ("succeeded", "failed", False)


# --------------------------------------------------------------------------------------------
# the noise baseline


def test_unseeded_number_diverges_without_a_baseline(shadow: ShadowRuns) -> None:
    code, doc = compare_cli(shadow.noisy["a"], shadow.noisy["b"])
    assert (code, doc["verdict"]) == (1, "divergent")
    index = cell_index(shadow.noisy["a"] / "artifacts" / NB, "jitter")
    assert [w for w in locations(doc, NB) if w.startswith(f"cell {index} (id jitter)")]
    assert {p for _, p, _ in triples(doc)} <= {NB, HTML}


def test_baseline_marks_real_noise_as_noise(shadow: ShadowRuns) -> None:
    code, doc = compare_cli(shadow.noisy["a"], shadow.noisy["b"], "--baseline", shadow.noisy["a2"])
    assert (code, doc["verdict"]) == (0, "equivalent"), doc["differences"]
    index = cell_index(shadow.noisy["a"] / "artifacts" / NB, "jitter")
    assert [w for w in locations(doc, NB, "noise") if w.startswith(f"cell {index} (id jitter)")]
    assert all(d["noise"] for d in doc["noise"])


def test_baseline_does_not_hide_a_real_regression(shadow: ShadowRuns) -> None:
    """Noise is only what A and A2 disagree on: a failing test in B still counts."""
    code, doc = compare_cli(
        shadow.a, shadow.variants["test-fails"], "--baseline", shadow.noisy["a2"]
    )
    assert (code, doc["verdict"]) == (1, "divergent")
    assert ("junit", JUNIT, "outcome-changed") in triples(doc)


# --------------------------------------------------------------------------------------------
# a kernel that splits a cell's stdout


@pytest.fixture(scope="module")
def split_stream(shadow: ShadowRuns, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run B with the "sample" cell's stdout cut in two stream outputs, as seen for real.

    ipykernel sends stdout on a timer, so on a loaded machine one cell's prints can reach the
    notebook as two stream outputs; this suite once got ``"mean 10.054452"`` and
    ``"\\nstd ...\\n"`` that way (``print`` writes the text and the newline separately). That is
    why the fixture notebook now writes each cell's text at once. Here the split is made on
    purpose, from run B's real notebook, and rendered again by nbconvert.
    """
    import nbformat

    nbf: Any = nbformat  # untyped, typed at this boundary
    root = tmp_path_factory.mktemp("split-stream")
    nb = nbf.read(str(shadow.b / "artifacts" / NB), as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "sample")
    [out] = cell.outputs
    cut = out.text.index("\n")
    cell.outputs = [
        nbf.v4.new_output("stream", name="stdout", text=out.text[:cut]),
        nbf.v4.new_output("stream", name="stdout", text=out.text[cut:]),
    ]
    path = root / NB
    path.parent.mkdir(parents=True)
    nbf.write(nb, str(path))
    notebook = Process(0, 1.0, {NB: path})
    _render_html(notebook)
    return _bundle(root / "b", "tekton", "ci-run-split", shadow.processes["tests-b"], notebook)


def test_split_stream_is_the_same_notebook(shadow: ShadowRuns, split_stream: Path) -> None:
    _, doc = compare_cli(shadow.a, split_stream)
    assert [d for d in doc["differences"] if d["path"] == NB] == []


def test_split_stream_is_the_same_html(shadow: ShadowRuns, split_stream: Path) -> None:
    code, doc = compare_cli(shadow.a, split_stream)
    assert [d for d in doc["differences"] if d["path"] == HTML] == []
    assert (code, doc["verdict"]) == (0, "equivalent")
