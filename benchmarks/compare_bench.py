"""How fast `ghtotekton compare` is next to the tools a reviewer would otherwise reach for.

Two measurements, one run (issue 7, "Checked by"):

(a) Two identical run bundles of about 1 GB in 10,000 files: `ghtotekton compare` (a fresh CLI
    process, as a user runs it, and the engine alone in this process) against `diff -rq` on the
    same two folders. Equal trees are the common case of a healthy shadow run, and the case where
    a comparator has no excuse to be slower than a byte comparison. Files are random bytes of
    varied sizes under 100 folders, in the mix of types a CI run uploads; B is a real copy (not
    hard links, which the engine would recognise by inode). The page cache is warm for both
    tools: one untimed pass each first, then the median of --repeat runs.
(b) Two ~50 MB notebooks from two runs of the same training notebook (same cells and results;
    execution counts, timings, float noise at the 1e-9 level and image bytes differ): our
    notebook handler, in a fresh process and in this one, against nbdime's `nbdiff`. nbdime is
    not a dependency: install it in a throwaway venv and pass its `nbdiff` with --nbdiff or
    NBDIFF (or have it on PATH); without it part (b) prints our time only.

Peak memory is each child's maximum resident set size from wait4(); for the in-process engine
run, the growth of this process's peak during it. Prints ratios; no thresholds.

Usage:
    .venv/bin/python benchmarks/compare_bench.py [--files 10000] [--total-mb 1024]
        [--notebook-mb 50] [--repeat 3] [--workdir DIR] [--nbdiff PATH] [--only a|b]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghtotekton.compare.bundle import RunInfo, UnitRecord, write_bundle  # noqa: E402

MiB = 1024 * 1024
SUFFIXES = (".bin", ".json", ".txt", ".xml", ".log", ".csv", ".html", ".npy")
"""Extensions in the trees: each routes to another handler, but equal bytes never reach one."""


# --------------------------------------------------------------------------------------------
# running and measuring


def run_child(args: list[str], **kw: object) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB and exit code of one child process (rusage from wait4)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, **kw)  # type: ignore[call-overload]
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            tail = err.read().decode(errors="replace").strip()[-500:]
            print(f"  ! {args[0]} exited {code}: {tail}", file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, code


def median_runs(
    fn: Callable[[], tuple[float, float, int]], repeat: int
) -> tuple[float, float, int]:
    """One untimed warm-up run, then the median time of ``repeat`` runs; the peak of them all.

    The warm-up counts for memory: for the in-process runs only the first one can raise this
    process's peak.
    """
    runs = [fn() for _ in range(repeat + 1)]
    return (
        statistics.median(r[0] for r in runs[1:]),
        max(r[1] for r in runs),
        runs[-1][2],
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ghtotekton(*args: str) -> list[str]:
    return [sys.executable, "-m", "ghtotekton", *args]


def info(system: str, run_id: str) -> RunInfo:
    kind = "job" if system == "github-actions" else "task"
    return RunInfo(
        system=system,  # type: ignore[arg-type]
        run_id=run_id,
        commit="0" * 40,
        status="succeeded",
        units=[UnitRecord(name="build", kind=kind, status="succeeded")],  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------------------------
# (a) two identical trees


def make_trees(root: Path, files: int, total_bytes: int) -> tuple[Path, Path]:
    """Bundle A with ``files`` random files of about ``total_bytes`` together, and a copy B.

    Sizes are spread from a quarter to 1.75 times the mean, so the tree is not one block size.
    """
    rng = random.Random(7)
    mean = total_bytes // files
    a = write_bundle(root / "a", info("github-actions", "1"), {})
    b = write_bundle(root / "b", info("tekton", "1"), {})
    chunk = os.urandom(2 * mean + 4096)
    written = 0
    for i in range(files):
        rel = f"d{i % 100:02d}/f{i:05d}{SUFFIXES[i % len(SUFFIXES)]}"
        size = rng.randint(mean // 4, mean * 7 // 4)
        start = rng.randrange(0, len(chunk) - size)
        data = chunk[start : start + size]
        for side in (a, b):
            path = side / "artifacts" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)  # two real files: no hard links
        written += size
    print(f"  trees: {files} files, {written / MiB:,.0f} MiB each side")
    return a, b


def bench_trees(work: Path, files: int, total_mb: int, repeat: int) -> None:
    print(f"(a) two identical trees, {files} files, ~{total_mb} MiB each")
    started = time.perf_counter()
    a, b = make_trees(work / "trees", files, total_mb * MiB)
    print(f"  written in {time.perf_counter() - started:.1f} s")

    diff_t, diff_m, diff_rc = median_runs(
        lambda: run_child(["diff", "-rq", str(a / "artifacts"), str(b / "artifacts")]), repeat
    )
    report = work / "report.json"
    cli_t, cli_m, cli_rc = median_runs(
        lambda: run_child(
            ghtotekton(
                "compare", "--run-a", str(a), "--run-b", str(b), "-f", "json", "-o", str(report)
            ),
            cwd=REPO,
        ),
        repeat,
    )
    verdict = json.loads(report.read_text())["verdict"] if report.exists() else "?"

    from ghtotekton.compare.bundle import open_bundle
    from ghtotekton.compare.engine import compare

    def engine_once() -> tuple[float, float, int]:
        before = peak_rss_mib()
        t0 = time.perf_counter()
        with open_bundle(a) as ra, open_bundle(b) as rb:
            result = compare(ra, rb)
        return (
            time.perf_counter() - t0,
            peak_rss_mib() - before,
            int(result.verdict != "equivalent"),
        )

    eng_t, eng_m, _ = median_runs(engine_once, repeat)

    print(f"  diff -rq                  {diff_t:7.3f} s   peak {diff_m:6.1f} MiB   exit {diff_rc}")
    print(
        f"  ghtotekton compare (CLI)  {cli_t:7.3f} s   peak {cli_m:6.1f} MiB   exit {cli_rc}"
        f" ({verdict})   ratio {cli_t / diff_t:5.2f}x"
    )
    print(
        f"  engine only (in process)  {eng_t:7.3f} s   peak +{eng_m:5.1f} MiB"
        f"                 ratio {eng_t / diff_t:5.2f}x"
    )
    startup_t, startup_m, _ = median_runs(lambda: run_child(ghtotekton("--help"), cwd=REPO), repeat)
    print(f"  (CLI start-up alone, `ghtotekton --help`: {startup_t:.3f} s, {startup_m:.1f} MiB)")
    shutil.rmtree(work / "trees", ignore_errors=True)


# --------------------------------------------------------------------------------------------
# (b) two large notebooks


def _png(width: int, height: int, rng: random.Random) -> bytes:
    """A valid PNG of random pixels (stored, not compressed: it should weigh what it shows)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


def make_notebook(path: Path, target_bytes: int, run: int) -> None:
    """A training notebook after one run: log lines with metrics, a plot every tenth cell.

    ``run`` changes what differs between two runs of one commit: execution counts, timings, the
    last digits of floats (relative 1e-9, inside the default tolerance) and image bytes (same
    pixel size).
    """
    rng = random.Random(11)  # the results: the same in every run
    noise = random.Random(1000 + run)  # the noise: different per run
    cells: list[dict[str, object]] = []
    size = 0
    i = 0
    while size < target_bytes:
        lines = []
        for step in range(150):
            loss = rng.random()
            acc = rng.random()
            loss *= 1 + noise.uniform(-1e-9, 1e-9)
            took = noise.uniform(0.01, 0.2)
            lines.append(f"epoch {i} step {step}: loss {loss:.12f} acc {acc:.12f} ({took:.3f} s)\n")
        outputs: list[dict[str, object]] = [
            {"output_type": "stream", "name": "stdout", "text": lines}
        ]
        if i % 10 == 0:
            png = base64.b64encode(_png(160, 120, noise)).decode()
            outputs.append(
                {
                    "output_type": "display_data",
                    "data": {"image/png": png, "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
                    "metadata": {},
                }
            )
        cell = {
            "cell_type": "code",
            "id": f"cell-{i}",
            "execution_count": i + 1 + run * 7,
            "metadata": {
                "papermill": {"duration": noise.uniform(0.1, 3), "status": "completed"},
                "execution": {"iopub.status.busy": f"2024-03-0{run + 1}T10:00:{i % 60:02d}Z"},
            },
            "source": [f"train(epoch={i})\n", "plot_history()"],
            "outputs": outputs,
        }
        size += len(json.dumps(cell))
        cells.append(cell)
        i += 1
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "papermill": {"duration": noise.uniform(100, 200), "start_time": f"run {run}"},
        },
        "cells": cells,
    }
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def bench_notebooks(work: Path, notebook_mb: int, repeat: int, nbdiff: str | None) -> None:
    print(f"(b) two notebooks of ~{notebook_mb} MiB from two runs of one commit")
    folder = work / "nb"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "a.ipynb", folder / "b.ipynb"]
    for run, path in enumerate(paths):
        make_notebook(path, notebook_mb * MiB, run)
    cells = len(json.loads(paths[0].read_text())["cells"])
    print(f"  notebooks: {cells} cells, {paths[0].stat().st_size / MiB:.1f} and "
          f"{paths[1].stat().st_size / MiB:.1f} MiB")  # fmt: skip

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ghtotekton.compare.config import DEFAULT_CONFIG\n"
        "from ghtotekton.compare.registry import Registry\n"
        "res = DEFAULT_CONFIG.resolve('run.ipynb')\n"
        "diffs = Registry().get(res.handler).compare("
        "'run.ipynb', Path(sys.argv[1]), Path(sys.argv[2]), res.options)\n"
        "sys.exit(1 if diffs else 0)\n"
    )
    ours_t, ours_m, ours_rc = median_runs(
        lambda: run_child([sys.executable, "-c", script, *map(str, paths)], cwd=REPO), repeat
    )

    from ghtotekton.compare.config import DEFAULT_CONFIG
    from ghtotekton.compare.registry import Registry

    res = DEFAULT_CONFIG.resolve("run.ipynb")
    handler = Registry().get(res.handler)
    found: list[object] = []

    def in_process() -> tuple[float, float, int]:
        before = peak_rss_mib()
        t0 = time.perf_counter()
        found[:] = handler.compare("run.ipynb", paths[0], paths[1], res.options)
        return time.perf_counter() - t0, peak_rss_mib() - before, 0

    inproc_t, inproc_m, _ = median_runs(in_process, repeat)
    verdict = "the same" if not found else f"{len(found)} differences"
    print(
        f"  notebook handler (process) {ours_t:7.3f} s   peak {ours_m:6.1f} MiB   exit {ours_rc}"
        f" ({verdict})"
    )
    print(f"  notebook handler (in proc) {inproc_t:7.3f} s   peak +{inproc_m:5.1f} MiB")
    if nbdiff is None:
        print(
            "  nbdiff: not found; install nbdime in a throwaway venv "
            "(python -m venv /tmp/nbdime && /tmp/nbdime/bin/pip install nbdime) and pass "
            "--nbdiff /tmp/nbdime/bin/nbdiff"
        )
        return
    nb_t, nb_m, nb_rc = median_runs(
        lambda: run_child([nbdiff, "--no-color", *map(str, paths)], cwd=folder), repeat
    )
    print(
        f"  nbdime nbdiff              {nb_t:7.3f} s   peak {nb_m:6.1f} MiB   exit {nb_rc}"
        f"   speed-up {nb_t / ours_t:5.2f}x (process), {nb_t / inproc_t:5.2f}x (in process)"
    )


# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--total-mb", type=int, default=1024, help="size of each tree in MiB")
    parser.add_argument("--notebook-mb", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each; median counts")
    parser.add_argument(
        "--workdir", type=Path, help="where to build the trees (default: a temp dir)"
    )
    parser.add_argument(
        "--nbdiff",
        default=os.environ.get("NBDIFF") or shutil.which("nbdiff"),
        help="nbdime's nbdiff executable (default: $NBDIFF, else nbdiff on PATH)",
    )
    parser.add_argument("--only", choices=("a", "b"), help="run one part only")
    args = parser.parse_args()
    if args.nbdiff and not Path(args.nbdiff).is_file() and not shutil.which(args.nbdiff):
        sys.exit(f"--nbdiff {args.nbdiff}: no such executable")
    with tempfile.TemporaryDirectory(prefix="compare-bench-", dir=args.workdir) as tmp:
        work = Path(tmp)
        if args.only in (None, "a"):
            bench_trees(work, args.files, args.total_mb, args.repeat)
        if args.only in (None, "b"):
            bench_notebooks(work, args.notebook_mb, args.repeat, args.nbdiff)


if __name__ == "__main__":
    main()
