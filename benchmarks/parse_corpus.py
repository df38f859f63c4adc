"""How long loading the whole ../shared/corpus takes, next to actionlint on the same files.

Prints times measured in one run and their ratios; no thresholds (timings belong here, not in
unit tests). Usage: .venv/bin/python benchmarks/parse_corpus.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


def corpus_files() -> dict[str, list[Path]]:
    kinds: dict[str, list[Path]] = {"workflow": [], "action": [], "compose": []}
    for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]:
        repo, _commit, path, kind, *_ = line.split("\t")
        kinds.setdefault(kind, []).append(CORPUS / repo.replace("/", "__") / path)
    return kinds


def load_chunk(items: list[tuple[str, str]]) -> int:
    """Load files in a worker; returns how many were refused with errors."""
    from ghtotekton.errors import InputError
    from ghtotekton.github.loader import load_action, load_workflow

    refused = 0
    for kind, path in items:
        try:
            if kind == "workflow":
                load_workflow(Path(path))
            elif kind == "action":
                load_action(Path(path))
            else:
                try:
                    from ghtotekton.compose.loader import load_compose
                except ImportError:
                    continue
                load_compose([Path(path)])
        except InputError:
            refused += 1
    return refused


def time_ours(items: list[tuple[str, str]], jobs: int) -> tuple[float, int]:
    start = time.perf_counter()
    if jobs <= 1:
        refused = load_chunk(items)
    else:
        chunks = [items[i::jobs] for i in range(jobs)]
        with ProcessPoolExecutor(jobs) as pool:
            refused = sum(pool.map(load_chunk, chunks))
    return time.perf_counter() - start, refused


def time_cli(paths: list[Path]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ghtotekton", "audit", "--format", "json", *map(str, paths)],
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


def time_actionlint(workflows: list[Path]) -> tuple[float, int]:
    binary = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    start = time.perf_counter()
    out = subprocess.run(
        [binary, "-no-color", "-format", "{{json .}}", *map(str, workflows)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    return elapsed, len(json.loads(out.stdout or "[]"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit("../shared/corpus is not beside this checkout")
    files = corpus_files()
    items = [(k, str(p)) for k in ("workflow", "action", "compose") for p in files[k]]
    jobs = os.cpu_count() or 1
    # Warm the imports and the file cache once, outside the timings.
    load_chunk(items[:5])
    time_actionlint(files["workflow"][:5])

    ours_1 = [time_ours(items, 1) for _ in range(args.repeat)]
    ours_n = [time_ours(items, jobs) for _ in range(args.repeat)]
    lint = [time_actionlint(files["workflow"]) for _ in range(args.repeat)]
    roots = sorted({p.parents[2] for p in files["workflow"]})
    cli = [time_cli(roots) for _ in range(args.repeat)]

    t1 = statistics.median(t for t, _ in ours_1)
    tn = statistics.median(t for t, _ in ours_n)
    tl = statistics.median(t for t, _ in lint)
    tc = statistics.median(cli)
    counts = {k: len(v) for k, v in files.items()}
    print(f"corpus: {counts['workflow']} workflows, {counts['action']} actions, "
          f"{counts['compose']} compose files; {jobs} cores; median of {args.repeat}")  # fmt: skip
    print(f"actionlint (workflows, all cores)      {tl:7.3f} s   ({lint[0][1]} findings)")
    print(f"ghtotekton loaders, 1 process          {t1:7.3f} s   ratio {t1 / tl:5.2f}x "
          f"({ours_1[0][1]} files refused)")  # fmt: skip
    print(f"ghtotekton loaders, {jobs} processes        {tn:7.3f} s   ratio {tn / tl:5.2f}x")
    print(f"ghtotekton audit CLI (process, all)    {tc:7.3f} s   ratio {tc / tl:5.2f}x")


if __name__ == "__main__":
    main()
