"""Per GPU job of the corpus and the demo: tasks produced, which hold a GPU, GPU-seconds saved.

Uses the default step durations of ``ghtotekton.convert.split`` (no recorded runs), so the saving
is an estimate of the shape, not a measurement. Run: .venv/bin/python benchmarks/gpu_split_report.py
"""

from __future__ import annotations

import re
from pathlib import Path

from ghtotekton.convert.engine import Options, convert_paths

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SPLIT = re.compile(r"split into (\d+) tasks .*?saves (\d+) of (\d+) GPU-seconds")


def report(paths: list[Path]) -> tuple[int, int, int]:
    result = convert_paths(paths, Options())
    jobs = saved = total = 0
    for conv in result.conversions:
        gpu_tasks = {
            t["metadata"]["name"]
            for t in conv.tasks
            if any("computeResources" in s for s in t["spec"].get("steps", []))
            or any("computeResources" in s for s in t["spec"].get("sidecars", []))
        }
        for job in conv.jobs:
            mine = sorted(t for t in gpu_tasks if t == job.task or t.startswith(job.task + "-"))
            if not mine:
                continue
            jobs += 1
            split = next(
                (SPLIT.search(f.message) for f in job.findings if f.rule == "split-gpu"), None
            )
            if split:
                n, s, t = (int(x) for x in split.groups())
                saved, total = saved + s, total + t
                print(f"{conv.display}:{job.job_id}: {n} tasks, GPU in {', '.join(mine)}; "
                      f"saves {s} of {t} GPU-s")  # fmt: skip
            else:
                reason = next((f.message for f in job.findings if f.rule == "split-gpu"), "")
                why = reason.split(": ", 1)[-1] if reason else "all its steps use the GPU"
                print(f"{conv.display}:{job.job_id}: 1 task, GPU in {', '.join(mine)}; "
                      f"not split ({why})")  # fmt: skip
    return jobs, saved, total


def main() -> None:
    print("== fixtures/gpu-notebook")
    report([REPO / "fixtures" / "gpu-notebook"])
    if CORPUS.is_dir():
        print("== ../shared/corpus")
        repos = sorted(p for p in CORPUS.iterdir() if (p / ".github" / "workflows").is_dir())
        jobs, saved, total = report(repos)
        print(f"{jobs} GPU jobs; split ones save {saved} of {total} GPU-seconds per run")


if __name__ == "__main__":
    main()
