"""Tekton's own reconcilers (``tekton-oracle run``) on what we generate: does it run, and run
what GitHub would?

Each case converts a repository, picks one Pipeline with its example PipelineRun, and lets the
real PipelineRun and TaskRun reconcilers drive it to the end twice: every step passing, then
with the first job failing. The verdicts are GitHub's (``tests/github_jobs.py``): with all steps
passing the run succeeds and every job GitHub runs has a TaskRun; with a job failing, the tasks
of the jobs GitHub runs on failure ran, those GitHub skips did not, and nothing else failed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ghtotekton.convert.engine import Options, convert_paths
from tests import oracle
from tests.conftest import CORPUS, FIXTURES, SHARED
from tests.github_jobs import expected_runs, read_jobs

# The known defects of today's output, as Tekton reports them; a case whose every problem is one
# of them is an expected failure until the generated output is made runnable, any other problem
# fails the test.
# - two PVC-backed workspaces in one TaskRun under coschedule: workspaces (pkg/workspace), which
#   the output no longer has (one claim per run) and would be reported if it came back;
# - Tekton stops scheduling once a task fails (pkg/reconciler/pipelinerun/resources/
#   pipelinerunstate.go IsStopping) where GitHub goes on running the jobs that do not need the
#   failed one.
TWO_PVCS = oracle.TWO_PVCS
STOPPING = "PipelineRun was stopping"
KNOWN_DEFECTS = (TWO_PVCS, STOPPING)
SAMPLE = 36  # corpus pipelines in each outcome (some have no job to fail, or it does not run)


@dataclass
class Case:
    """One Pipeline of a converted repository, with what is needed to judge its runs."""

    root: Path  # the converted output
    run_file: Path  # the example PipelineRun
    task_jobs: dict[str, str]  # pipeline task -> GitHub job id
    finally_tasks: set[str]
    jobs_file: Path


_Loader = oracle.YAML_LOADER


def _load(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.load_all(path.read_text(), Loader=_Loader) if isinstance(d, dict)]


def convert_to(repo: Path, out: Path) -> Path:
    result = convert_paths([repo], Options())
    return oracle.write_files({k: v for k, v in result.files.items() if k != "README"}, out)


def cases_in(root: Path, source_root: Path) -> list[Case]:
    """Every Pipeline of a converted output that has an example run, mapped back to its jobs."""
    task_source: dict[str, str] = {}
    for path in sorted((root / "tasks").glob("*.yaml")):
        for doc in _load(path):
            ann = (doc.get("metadata") or {}).get("annotations") or {}
            task_source[doc["metadata"]["name"]] = ann.get("ghtotekton.dev/source", "")
    out = []
    for run_file in sorted((root / "examples").glob("*.yaml")):
        run = _load(run_file)[0]
        name = run["spec"]["pipelineRef"]["name"]
        pipeline = next(
            (d for p in (root / "pipelines").glob("*.yaml") for d in _load(p)
             if d.get("kind") == "Pipeline" and d["metadata"]["name"] == name),
            None,
        )  # fmt: skip
        if pipeline is None:
            continue
        workflow = pipeline["metadata"]["annotations"]["ghtotekton.dev/source"].rsplit(":", 1)[0]
        workflow_path = source_root / workflow
        if not workflow_path.is_file():
            workflow_path = Path(workflow)
        lines = workflow_path.read_text(encoding="utf-8").splitlines()
        jobs = read_jobs(workflow_path)
        task_jobs: dict[str, str] = {}
        spec = pipeline["spec"]
        for task in [*(spec.get("tasks") or []), *(spec.get("finally") or [])]:
            ref = (task.get("taskRef") or {}).get("name", "")
            src = task_source.get(ref, "")
            if not src.startswith(workflow + ":"):
                continue
            line = int(src.rsplit(":", 1)[1])
            job = _job_at(lines, line, jobs)
            if job:
                task_jobs[task["name"]] = job
        finally_tasks = {t["name"] for t in spec.get("finally") or []}
        out.append(Case(root, run_file, task_jobs, finally_tasks, workflow_path))
    return out


def _job_at(lines: list[str], line: int, jobs: dict[str, Any]) -> str | None:
    """The job whose key is on ``line`` (1-based) of the workflow."""
    if 0 < line <= len(lines):
        key = lines[line - 1].strip().split(":", 1)[0].strip("'\"")
        if key in jobs:
            return key
    return None


STATUS_FUNCTIONS = ("always()", "failure()", "cancelled()", "success()")


def first_failable(case: Case) -> tuple[str, str] | None:
    """(job, pipeline task) to fail: the first job GitHub runs unconditionally, else the first
    whose condition reads only the event (no status function), that has tasks."""
    jobs = read_jobs(case.jobs_file)
    runs = expected_runs(jobs)
    candidates = [(t, j) for t, j in case.task_jobs.items() if t not in case.finally_tasks]
    for unconditional in (True, False):
        for task, job in candidates:
            spec = jobs[job]
            if spec.continue_on_error:
                continue
            if unconditional and spec.condition is None and runs.get(job) is True:
                return job, task
            cond = spec.condition or ""
            if not unconditional and not any(f in cond for f in STATUS_FUNCTIONS):
                return job, task
    return None


_ALL_CELLS_FOREIGN = re.compile(r"^(\d+) of \1 matrix combinations need")


def foreign_jobs(root: Path) -> set[str]:
    """Jobs every matrix cell of which needs Windows or macOS, as the report says: they stay on
    GitHub, so Tekton must not run them (as Linux, a false green)."""
    report = json.loads((root / "migration-report.json").read_text())
    return {
        j["id"]
        for w in report["workflows"]
        for j in w["jobs"]
        if any(_ALL_CELLS_FOREIGN.match(f["message"]) for f in j["findings"])
    }


def judge(case: Case, result: oracle.RunResult, failed: tuple[str, str] | None) -> list[str]:
    """What GitHub would have run that Tekton did not, or the reverse; empty when they agree."""
    problems = []
    jobs = read_jobs(case.jobs_file)
    expected = expected_runs(jobs, failed[0] if failed else None)
    ran = {t for t, runs in result.by_task.items() if runs}
    foreign = foreign_jobs(case.root)
    for job, should in expected.items():
        tasks = {t for t, j in case.task_jobs.items() if j == job}
        if not tasks or should is None or (failed and job == failed[0]):
            continue
        if job in foreign:
            if tasks & ran:
                problems.append(f"job {job} needs Windows or macOS; Tekton ran it on Linux")
            continue
        if should and not tasks & ran:
            reasons = {result.skipped.get(t, "no TaskRun") for t in tasks}
            problems.append(f"job {job} runs on GitHub; no task of it ran on Tekton: {reasons}")
        if not should and tasks & ran:
            problems.append(f"job {job} is skipped on GitHub; Tekton ran {sorted(tasks & ran)}")
    allowed = {failed[1]} if failed else set()
    for task in sorted(result.failed_tasks() - allowed):
        problems.append(f"task {task} failed: {result.by_task[task][0]['message'][:200]}")
    want = "Failed" if failed else "Succeeded"
    if result.github_status != want:
        problems.append(f"the PipelineRun is {result.github_status}, GitHub's run would be {want}")
    return problems


def approvals(case: Case) -> dict[str, str]:
    """Every environment approval of the run, given: GitHub's reviewers approve a deploy, so the
    run compared with GitHub's is the one a person started with the approval params set."""
    docs = yaml.safe_load_all(case.run_file.read_text())
    names = [p["name"] for d in docs if d for p in d["spec"].get("params") or []]
    return {n: "approved" for n in names if n.startswith("approve-")}


def check_case(case: Case, outcome: str) -> None:
    failed = first_failable(case) if outcome == "failure" else None
    if outcome == "failure" and failed is None:
        pytest.skip("no job GitHub runs unconditionally to fail")
    result = oracle.run(
        case.root, case.run_file, params=approvals(case), fail=failed[1] if failed else None
    )
    if failed and not result.data["failInjected"]:
        pytest.skip(f"the task to fail ({failed[1]}) did not run: {result.skipped.get(failed[1])}")
    problems = judge(case, result, failed)
    known = [p for p in problems if any(d in p for d in KNOWN_DEFECTS)]
    if known and all(p in known or p.startswith("the PipelineRun is") for p in problems):
        pytest.xfail(f"a known defect: {known[0]}")
    assert not problems, "\n".join(problems) + "\n" + result.explain()


# --- the demo ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Case:
    root = convert_to(FIXTURES / "gpu-notebook", tmp_path_factory.mktemp("demo") / "tekton")
    cwd = Path.cwd()
    return cases_in(root, cwd)[0]


def test_demo_runs_on_one_claim_where_the_gpu_pool_is(demo: Case) -> None:
    """The demo once failed every notebook TaskRun for two PVCs and placed its affinity
    assistants off the GPU pool; Tekton's reconciler now runs it, on one claim."""
    result = oracle.run(demo.root, demo.run_file)
    assert result.status == "Succeeded", result.explain()
    assert not any(TWO_PVCS in tr["message"] for tr in result.data["taskRuns"])
    # The claim is deleted when the run is done (tekton.dev/auto-cleanup-pvc, v1.11 and later).
    [claim] = result.data["persistentVolumeClaims"]
    assert not claim["keptAfterRun"], claim
    [assistant] = result.data["affinityAssistants"]
    assert any(t["key"] == "nvidia.com/gpu" for t in assistant["tolerations"])
    for runs in result.by_task.values():
        for tr in runs:
            pod = tr["pod"]
            assert pod["nodeSelector"] == assistant["nodeSelector"], tr["pipelineTask"]


@pytest.mark.parametrize("outcome", ["all-pass", "failure"])
def test_demo_runs_as_github_would(demo: Case, outcome: str) -> None:
    failed = first_failable(demo) if outcome == "failure" else None
    result = oracle.run(demo.root, demo.run_file, fail=failed[1] if failed else None)
    problems = judge(demo, result, failed)
    assert not problems, "\n".join(problems) + "\n" + result.explain()


# --- the corpus -------------------------------------------------------------------------------


def _sample() -> list[tuple[str, str]]:
    """(repository, example run) pairs: an even spread over the corpus of the pipelines with at
    least two tasks, chosen by name so that every run of the suite runs the same ones."""
    if not (SHARED / "corpus").is_dir():
        return []
    candidates = []
    for repo in sorted(p for p in CORPUS.iterdir() if (p / ".github" / "workflows").is_dir()):
        for wf in sorted((repo / ".github" / "workflows").glob("*.y*ml")):
            try:
                jobs = (yaml.load(wf.read_text(encoding="utf-8"), Loader=_Loader) or {}).get(
                    "jobs"
                ) or {}
            except yaml.YAMLError:
                continue
            if isinstance(jobs, dict) and len(jobs) >= 2:
                candidates.append((repo.name, wf.stem))
    step = max(1, len(candidates) // SAMPLE)
    return candidates[::step][:SAMPLE]


_CASES: dict[Path, list[Case]] = {}


def _cases(root: Path) -> list[Case]:
    if root not in _CASES:
        _CASES[root] = cases_in(root, Path.cwd())
    return _CASES[root]


@pytest.fixture(scope="module")
def corpus_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


@pytest.mark.corpus
@pytest.mark.parametrize("outcome", ["all-pass", "failure"])
@pytest.mark.parametrize("repo,workflow", _sample() or [("none", "none")])
def test_corpus_pipeline_runs_as_github_would(
    repo: str,
    workflow: str,
    outcome: str,
    corpus_outputs: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    if repo == "none":
        pytest.skip("../shared/corpus is not beside this clone, or Go is absent")
    oracle.oracle()
    if repo not in corpus_outputs:
        corpus_outputs[repo] = convert_to(CORPUS / repo, tmp_path_factory.mktemp(repo) / "tekton")
    root = corpus_outputs[repo]
    cases = [c for c in _cases(root) if c.jobs_file.stem == workflow]
    if not cases:
        pytest.skip(f"{workflow} converted into no Pipeline with an example run")
    assert len(cases) == 1
    check_case(cases[0], outcome)


def test_the_sample_is_large_enough() -> None:
    if not (SHARED / "corpus").is_dir():
        pytest.skip("../shared/corpus is not beside this clone")
    assert len(_sample()) >= 20
