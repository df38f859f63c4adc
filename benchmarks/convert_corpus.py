"""How long `audit` and `convert` take over the whole ../shared/corpus, next to actionlint.

Both our commands run as a user runs them (a fresh process each time, so import time counts);
actionlint checks the same workflow files in the same run. Prints medians and ratios; no
thresholds. Usage: .venv/bin/python benchmarks/convert_corpus.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parse_corpus import CORPUS, corpus_files, time_actionlint


def time_command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ghtotekton", *args], capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit("../shared/corpus is not beside this checkout")
    workflows = corpus_files()["workflow"]
    roots = [str(p) for p in sorted({w.parents[2] for w in workflows})]
    time_actionlint(workflows[:5])  # warm the file cache
    lint = statistics.median(time_actionlint(workflows)[0] for _ in range(args.repeat))
    audit = statistics.median(
        time_command(["audit", "--format", "json", *roots]) for _ in range(args.repeat)
    )
    with tempfile.TemporaryDirectory() as tmp:
        convert = statistics.median(
            time_command(["convert", *roots, "-o", f"{tmp}/out{i}"]) for i in range(args.repeat)
        )
    print(f"corpus: {len(workflows)} workflows in {len(roots)} repositories; "
          f"median of {args.repeat}")  # fmt: skip
    print(f"actionlint                 {lint:7.3f} s")
    print(f"ghtotekton audit           {audit:7.3f} s   ratio {audit / lint:5.2f}x")
    print(f"ghtotekton convert         {convert:7.3f} s   ratio {convert / lint:5.2f}x")


if __name__ == "__main__":
    main()
