"""``validate``'s rules for what the controller decides agree with Tekton's own reconcilers.

For each input, ``ghtotekton validate`` says which of the runtime rules (``RUNTIME_RULES``) it
finds, and ``tekton-oracle run`` shows what Tekton and Kubernetes do with it; both are reduced to
(rule, where) pairs and compared:

- ``one-pvc-per-taskrun``: a TaskRun the TaskRun reconciler fails with "more than one
  PersistentVolumeClaim is bound";
- ``affinity-placement``: a Pod bound to an affinity assistant (pod affinity to it) that asks for
  a node label or a toleration the assistant's own pod template lacks (the scheduler must put the
  two on one node, and the assistant went wherever its template let it);
- ``env-reference-order``: a container of a Pod Tekton built whose env value names, as
  ``$(VAR)``, a variable that comes at or after it in the container's env (Kubernetes leaves it);
- ``gpu-per-pod``: a Pod whose containers together request more than one GPU where more than one
  container requests them;
- ``gpu-visible``: a container of a Pod that requests no GPU and has ``NVIDIA_VISIBLE_DEVICES``
  naming devices (the NVIDIA runtime shows them to it).

Inputs: our fixtures for each rule and their valid counterparts, Tekton's upstream examples (no
rule may fire), the demo's output and a sample of the converted corpus. A task the oracle never
reached (the run stopped first) is not a disagreement; the printed table counts it apart.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.tekton.validate import validate_paths
from ghtotekton.tekton.validate_runtime import RUNTIME_RULES
from tests import oracle
from tests.conftest import CORPUS, FIXTURES, SHARED, need_shared

INVALID = FIXTURES / "tekton-invalid"
VALID = FIXTURES / "tekton-valid"
TWO_PVCS = oracle.TWO_PVCS
GPU_VAR = "NVIDIA_VISIBLE_DEVICES"
_REF = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_TASK_IN_MESSAGE = re.compile(r"`([a-z0-9][a-z0-9.-]*)`")
_Loader = oracle.YAML_LOADER


@dataclass
class Verdicts:
    """(rule, Task name) pairs each side found, and what the oracle could not observe: Tasks
    without a TaskRun (the run stopped first), Tasks without a Pod (refused before one)."""

    validate: set[tuple[str, str]] = field(default_factory=set)
    oracle: set[tuple[str, str]] = field(default_factory=set)
    no_taskrun: set[str] = field(default_factory=set)
    no_pod: set[str] = field(default_factory=set)

    def unobserved(self, finding: tuple[str, str]) -> bool:
        rule, task = finding
        return task in (self.no_taskrun if rule == "one-pvc-per-taskrun" else self.no_pod)

    def disagreements(self) -> set[tuple[str, str]]:
        only_validate = {v for v in self.validate - self.oracle if not self.unobserved(v)}
        return only_validate | (self.oracle - self.validate)


def _docs(folder: Path) -> list[dict[str, Any]]:
    files = [folder] if folder.is_file() else sorted(folder.rglob("*.yaml"))
    return [
        d
        for f in files
        for d in yaml.load_all(f.read_text(), Loader=_Loader)
        if isinstance(d, dict) and d.get("kind")
    ]


def _task_of(docs: list[dict[str, Any]], pipeline: str) -> dict[str, str]:
    """Pipeline task -> the Task it runs (its own name for an inline spec)."""
    for d in docs:
        if d["kind"] == "Pipeline" and d["metadata"]["name"] == pipeline:
            spec = d["spec"]
            return {
                t["name"]: (t.get("taskRef") or {}).get("name") or t["name"]
                for t in [*(spec.get("tasks") or []), *(spec.get("finally") or [])]
            }
    return {}


def validate_verdicts(
    folder: Path, run_file: Path, docs: list[dict[str, Any]], pipeline: str
) -> set[tuple[str, str]]:
    """The runtime findings of ``validate`` on the folder, for the one run and its Tasks."""
    tasks = _task_of(docs, pipeline)
    used = set(tasks.values())
    found: set[tuple[str, str]] = set()
    report = validate_paths([folder])
    run_path = str(run_file.resolve())
    for d in report.diagnostics:
        if d.rule not in RUNTIME_RULES:
            continue
        rule = d.rule.removeprefix("tekton/")
        if rule in ("one-pvc-per-taskrun", "affinity-placement"):
            if str(Path(d.position.file).resolve()) != run_path:
                continue  # another run of the same folder (a TriggerTemplate's, say)
            for pt in _TASK_IN_MESSAGE.findall(d.message):
                if pt in tasks:
                    found.add((rule, tasks[pt]))
        else:
            name = _task_at(Path(d.position.file), d.position.line)
            if name in used:
                found.add((rule, name))
    return found


def _task_at(path: Path, line: int) -> str:
    """The name of the Task document that holds ``line`` of ``path``."""
    current = ""
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if number > line:
            break
        if text.startswith("kind: "):
            kind = text.split(":", 1)[1].strip()
            current = "?" if kind != "Task" else ""
        if current == "" and re.match(r"^  name: ", text):
            current = text.split(":", 1)[1].strip()
    return current


def oracle_verdicts(
    result: oracle.RunResult, tasks: dict[str, str]
) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    found: set[tuple[str, str]] = set()
    assistants = result.data["affinityAssistants"]
    for pt, runs in result.by_task.items():
        task = tasks.get(pt, pt)
        for tr in runs:
            if TWO_PVCS in tr["message"]:
                found.add(("one-pvc-per-taskrun", task))
            pod = tr["pod"]
            if pod is None:
                continue
            if _pending_by_placement(pod, assistants):
                found.add(("affinity-placement", task))
            gpu_containers = [c for c in pod["containers"] if _gpus(c) > 0]
            if len(gpu_containers) > 1:
                found.add(("gpu-per-pod", task))
            for c in pod["containers"]:
                shown = next((e.get("value") for e in c["env"] if e["name"] == GPU_VAR), None)
                if shown not in (None, "", "void", "none") and not _gpus(c):
                    found.add(("gpu-visible", task))
                position = {}
                for i, e in enumerate(c["env"]):
                    position.setdefault(e["name"], i)
                for i, e in enumerate(c["env"]):
                    if any(position.get(r, -1) >= i for r in _REF.findall(e.get("value") or "")):
                        found.add(("env-reference-order", task))
    with_run = {tasks.get(pt, pt) for pt, runs in result.by_task.items() if runs}
    with_pod = {
        tasks.get(pt, pt) for pt, runs in result.by_task.items() if any(r["pod"] for r in runs)
    }
    return found, set(tasks.values()) - with_run, set(tasks.values()) - with_pod


def _gpus(container: dict[str, Any]) -> float:
    res = container.get("resources") or {}
    amounts = [
        float(v)
        for block in (res.get("limits") or {}, res.get("requests") or {})
        for k, v in block.items()
        if k.endswith("/gpu")
    ]
    return max(amounts, default=0.0)


def _pending_by_placement(pod: dict[str, Any], assistants: list[dict[str, Any]]) -> bool:
    """The pod must share a node with an assistant it cannot follow to its node's pool."""
    affinity = (pod.get("affinity") or {}).get("podAffinity") or {}
    terms = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or []
    names = {
        (t.get("labelSelector") or {}).get("matchLabels", {}).get("app.kubernetes.io/instance")
        for t in terms
    }
    for a in assistants:
        if a["name"] not in names:
            continue
        selector = pod.get("nodeSelector") or {}
        if any(a["nodeSelector"].get(k) != v for k, v in selector.items()):
            return True
        if any(t not in a["tolerations"] for t in pod.get("tolerations") or []):
            return True
    return False


def judge(folder: Path, run_file: Path) -> Verdicts:
    docs = _docs(folder)
    run = next(d for d in _docs(run_file) if d["kind"] == "PipelineRun")
    pipeline = (run["spec"].get("pipelineRef") or {}).get("name", "")
    tasks = _task_of(docs, pipeline)
    result = oracle.run(folder, run_file)
    found, no_taskrun, no_pod = oracle_verdicts(result, tasks)
    return Verdicts(validate_verdicts(folder, run_file, docs, pipeline), found, no_taskrun, no_pod)


def wrap_tasks(source: Path, folder: Path) -> Path:
    """A Pipeline running every Task of ``source``, and its PipelineRun, beside a copy of it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / source.name).write_text(source.read_text())
    names = [d["metadata"]["name"] for d in _docs(source) if d["kind"] == "Task"]
    tasks = "".join(f"    - name: {n}\n      taskRef:\n        name: {n}\n" for n in names)
    (folder / "pipeline.yaml").write_text(
        "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata:\n  name: wrapped\nspec:\n"
        f"  tasks:\n{tasks}"
    )
    run = folder / "run.yaml"
    run.write_text(
        textwrap.dedent(
            """\
            apiVersion: tekton.dev/v1
            kind: PipelineRun
            metadata:
              name: wrapped-run
            spec:
              pipelineRef:
                name: wrapped
            """
        )
    )
    return run


# --- the cases --------------------------------------------------------------------------------

RUN_FIXTURES = ["one-pvc-per-taskrun.yaml", "affinity-placement.yaml"]
TASK_FIXTURES = ["env-reference-order.yaml", "gpu-per-pod.yaml", "gpu-visible.yaml"]
TABLE: Counter[str] = Counter()


def _record(name: str, verdicts: Verdicts) -> None:
    TABLE["cases"] += 1
    TABLE["agree" if not verdicts.disagreements() else "disagree"] += 1
    TABLE["findings"] += len(verdicts.validate | verdicts.oracle)
    TABLE["not observable"] += len({v for v in verdicts.validate if verdicts.unobserved(v)})
    for rule, _ in verdicts.validate & verdicts.oracle:
        TABLE[f"both found {rule}"] += 1


@pytest.mark.parametrize("case", RUN_FIXTURES)
def test_run_fixture_agrees(case: str, tmp_path: Path) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / case).write_text((INVALID / case).read_text())
    verdicts = judge(folder, folder / case)
    _record(case, verdicts)
    rule = case.removesuffix(".yaml")
    assert {r for r, _ in verdicts.oracle} == {rule}, verdicts
    assert verdicts.disagreements() == set(), verdicts


@pytest.mark.parametrize("case", TASK_FIXTURES)
def test_task_fixture_agrees(case: str, tmp_path: Path) -> None:
    run = wrap_tasks(INVALID / case, tmp_path / "case")
    verdicts = judge(run.parent, run)
    _record(case, verdicts)
    assert {r for r, _ in verdicts.oracle} == {case.removesuffix(".yaml")}, verdicts
    assert verdicts.disagreements() == set(), verdicts


def test_valid_fixtures_agree_on_nothing(tmp_path: Path) -> None:
    verdicts = judge(VALID, VALID / "pipelinerun.yaml")
    _record("tekton-valid", verdicts)
    assert verdicts.validate == verdicts.oracle == set(), verdicts


def test_fixes_of_each_rule_agree_on_nothing(tmp_path: Path) -> None:
    """The same fixtures with the defect mended: neither side finds anything."""
    mended = {
        "one-pvc-per-taskrun.yaml": lambda t: t.replace(
            "persistentVolumeClaim:\n        claimName: pip-cache", "emptyDir: {}"
        ),
        "affinity-placement.yaml": lambda t: (
            t.replace(
                "  taskRunSpecs:\n    - pipelineTaskName: train\n      podTemplate:",
                "  taskRunTemplate:\n    podTemplate:",
            )
            .replace("\n        nodeSelector:", "\n      nodeSelector:")
            .replace(
                "\n        tolerations:\n          - key", "\n      tolerations:\n        - key"
            )
            .replace("\n            operator", "\n          operator")
            .replace("\n            effect", "\n          effect")
        ),
    }
    for case, mend in mended.items():
        folder = tmp_path / case.removesuffix(".yaml")
        folder.mkdir()
        text = mend((INVALID / case).read_text())
        assert text != (INVALID / case).read_text()
        (folder / case).write_text(text)
        verdicts = judge(folder, folder / case)
        _record(f"{case} mended", verdicts)
        assert verdicts.validate == verdicts.oracle == set(), (case, verdicts)
        assert oracle.run(folder, folder / case).status == "Succeeded"
    env = (INVALID / "env-reference-order.yaml").read_text()
    source = tmp_path / "env-mended.yaml"
    source.write_text(env.replace("value: $(REPORT_DIR)/", "value: reports/"))
    run = wrap_tasks(source, tmp_path / "env-mended")
    verdicts = judge(run.parent, run)
    _record("env-reference-order mended", verdicts)
    assert verdicts.validate == verdicts.oracle == set(), verdicts


def test_upstream_examples_agree_on_nothing(tmp_path: Path) -> None:
    """Tekton's own examples: no runtime rule fires on either side."""
    examples = need_shared(SHARED / "tekton-examples" / "pipeline")
    judged = 0
    for example in sorted(examples.glob("pipelineruns-*.yaml")):
        docs = _docs(example)
        run = next((d for d in docs if d["kind"] == "PipelineRun"), None)
        if run is None or (
            "pipelineRef" in run["spec"]
            and not _task_of(docs, run["spec"]["pipelineRef"].get("name", ""))
        ):
            continue  # a Pipeline from a resolver or a bundle: not in the file
        folder = tmp_path / example.stem
        folder.mkdir()
        (folder / example.name).write_text(example.read_text())
        result = oracle.run(folder, folder / example.name)
        tasks = _task_of(docs, (run["spec"].get("pipelineRef") or {}).get("name", ""))
        found, _, _ = oracle_verdicts(result, tasks)
        report = validate_paths([folder])
        mine = [d.format() for d in report.diagnostics if d.rule in RUNTIME_RULES]
        TABLE["cases"] += 1
        TABLE["agree" if not found and not mine else "disagree"] += 1
        assert not found and not mine, (example.name, found, mine)
        judged += 1
    assert judged >= 20


def test_demo_agrees(tmp_path: Path) -> None:
    out = oracle.write_files(
        convert_paths([FIXTURES / "gpu-notebook"], Options()).files, tmp_path / "tekton"
    )
    run = next((out / "examples").glob("*.yaml"))
    verdicts = judge(out, run)
    _record("demo", verdicts)
    assert verdicts.validate == verdicts.oracle == set(), verdicts


@pytest.mark.corpus
def test_corpus_sample_agrees(tmp_path: Path) -> None:
    need_shared(CORPUS)
    repos = sorted(p for p in CORPUS.iterdir() if (p / ".github" / "workflows").is_dir())
    judged = 0
    for repo in repos[::6]:
        out = oracle.write_files(convert_paths([repo], Options()).files, tmp_path / repo.name)
        for run in sorted((out / "examples").glob("*.yaml"))[:3]:
            verdicts = judge(out, run)
            _record(f"{repo.name}/{run.stem}", verdicts)
            assert verdicts.disagreements() == set(), (repo.name, run.name, verdicts)
            judged += 1
    assert judged >= 15
    print("\nvalidate vs tekton-oracle:", dict(TABLE))


# Invalid fixtures that admission lets through (test_oracle_admit.NOT_ADMISSION) and that are
# errors for `validate`: Tekton's reconcilers must refuse their run. The warnings must not.
RECONCILE_TIME = [
    "missing-param-task.yaml",
    "missing-param.yaml",
    "param-type-mismatch-call.yaml",
    "unknown-result-ref-pipeline.yaml",
    "unknown-workspace-ref.yaml",
    "workspace-not-declared.yaml",
]
WARNINGS_ONLY = [
    "deprecated-api.yaml",
    "duplicate-result.yaml",
    "unused-workspace-binding.yaml",
    # Was an error of ours until the oracle ran it: Tekton passes undeclared params and the task
    # ignores them (pkg/reconciler/taskrun/validate_taskrun.go validateParams).
    "matrix-param-undeclared.yaml",
]


def run_of(case: Path, folder: Path) -> Path:
    """The fixture's own PipelineRun, else one for its Pipeline, else a Pipeline of its Tasks."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = _docs(case)
    if any(d["kind"] == "PipelineRun" for d in docs):
        (folder / case.name).write_text(case.read_text())
        return folder / case.name
    pipelines = [d["metadata"]["name"] for d in docs if d["kind"] == "Pipeline"]
    if not pipelines:
        return wrap_tasks(case, folder)
    (folder / case.name).write_text(case.read_text())
    pipeline = next(d for d in docs if d["kind"] == "Pipeline")["spec"]
    # Bind what the Pipeline itself asks for, so only the defect inside it can fail the run.
    workspaces = "".join(
        f"    - name: {w['name']}\n      emptyDir: {{}}\n" for w in pipeline.get("workspaces") or []
    )
    params = "".join(
        f"    - name: {p['name']}\n      value: x\n"
        for p in pipeline.get("params") or []
        if "default" not in p
    )
    run = folder / "run.yaml"
    run.write_text(
        "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  name: fixture-run\nspec:\n"
        f"  pipelineRef:\n    name: {pipelines[0]}\n"
        + (f"  workspaces:\n{workspaces}" if workspaces else "")
        + (f"  params:\n{params}" if params else "")
    )
    return run


@pytest.mark.parametrize("case", RECONCILE_TIME)
def test_reconcile_time_error_fails_the_run(case: str, tmp_path: Path) -> None:
    run = run_of(INVALID / case, tmp_path / "case")
    result = oracle.run(run.parent, run)
    assert result.status != "Succeeded", result.explain()
    assert validate_paths([INVALID / case]).count("error") > 0


@pytest.mark.parametrize("case", WARNINGS_ONLY)
def test_warning_fixture_still_runs(case: str, tmp_path: Path) -> None:
    run = run_of(INVALID / case, tmp_path / "case")
    result = oracle.run(run.parent, run)
    assert result.status == "Succeeded", result.explain()
    assert validate_paths([INVALID / case]).count("error") == 0


def test_errors_tekton_lets_through_are_broken_in_the_pod(tmp_path: Path) -> None:
    """Two of our errors that Tekton's reconcilers do not refuse: the Pod they build shows why
    they are errors all the same."""
    # A volume with two sources: Tekton copies it into the Pod, which the API server refuses
    # (Kubernetes pkg/apis/core/validation: one volume source); the fake clients do not validate.
    run = run_of(INVALID / "invalid-volume.yaml", tmp_path / "volume")
    result = oracle.run(run.parent, run)
    pod = result.by_task["build"][0]["pod"]
    cache = next(v for v in pod["volumes"] if v["name"] == "cache")
    assert {"emptyDir", "configMap"} <= set(cache), cache
    # A $(steps.x.results...) naming no step stays in the env as written; the entrypoint's
    # substitution finds no such step at run time, logs it and goes on
    # (pkg/entrypoint/entrypointer.go applyStepResultSubstitutions): the step gets the literal.
    run = run_of(INVALID / "unknown-step-ref.yaml", tmp_path / "step-ref")
    result = oracle.run(run.parent, run)
    build = next(
        c for c in result.by_task["build"][0]["pod"]["containers"] if c["name"] == "step-build"
    )
    assert {"name": "TAG", "value": "$(steps.versions.results.tag)"} in build["env"]
    for case in ("invalid-volume.yaml", "unknown-step-ref.yaml"):
        assert validate_paths([INVALID / case]).count("error") == 1
