"""`validate`'s rules: each bad case gives its rule at its line; valid Tekton gives no error.

The bad cases live in fixtures/tekton-invalid/, one small file per rule; the line that is wrong
carries a ``# expect: <rule>`` comment (inside a script it is a shell comment, so it stays on its
line). The good side is Tekton's own examples (../shared/tekton-examples, run in Tekton's CI) and
what our converter writes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.errors import Diagnostic
from ghtotekton.tekton import validate_names as names
from ghtotekton.tekton.leftovers import expressions_left, shell_scripts
from ghtotekton.tekton.validate import RULES, validate_paths, validate_text
from ghtotekton.tekton.validate_refs import find_vars
from ghtotekton.tekton.validate_runtime import RUNTIME_RULES, SECRET_RULES
from tests import shellcheck
from tests.conftest import FIXTURES, SHARED, need_shared

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "tekton-invalid"
EXPECT = re.compile(r"# expect: (tekton/[a-z-]+)")
# Rejected by the CRD schemas as well (validate_tekton.py); the rest are webhook semantics.
STRUCTURAL = {
    "schema.yaml",
    "unknown-kind.yaml",
    "invalid-name-metadata.yaml",
    "invalid-metadata.yaml",
    "invalid-quantity.yaml",
    "undeclared-tt-param.yaml",
    "unreadable.yaml",
}


def _expected(path: Path) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            found.add((number, match.group(1)))
    return found


def _errors(found: list[Diagnostic]) -> list[str]:
    return [d.format() for d in found if d.severity == "error"]


def _admission_errors(found: list[Diagnostic]) -> list[str]:
    """Errors of the webhook's rules: what the API server would refuse to create."""
    return [d.format() for d in found if d.severity == "error" and d.rule not in RUNTIME_RULES]


def _runtime_findings(found: list[Diagnostic]) -> list[str]:
    """Findings of the controller's rules: what admission lets through and the run trips on."""
    return [d.format() for d in found if d.rule in RUNTIME_RULES]


# Findings of those rules on the whole converted corpus: 1,063 when the rules came (551 env
# references, 320 placements, 123 two-PVC tasks, 69 GPU pods); 302 once runs share one claim,
# the GPU pool is in the run's pod template and step env references are resolved (229 env
# references to variables only a step sets at run time, 69 GPU pods, 4 runs whose tasks ask for
# two pools); 300 with the GPU-visibility rule added and GPU-less containers given
# NVIDIA_VISIBLE_DEVICES=void (227 env references, 69 GPU pods, 4 placements); 294 once values
# only a shell can compute are exported by the step's script (221 env references); 295 once
# `make test` stopped counting as a CPU build (one accelerate job's test steps each keep the GPU
# they need, which the misclassification had hidden: 70 GPU pods); 74 once a variable only
# `$GITHUB_ENV` sets is read by the step's shell, an input reads the step's own later variable,
# and GPU containers get no device list of ours (0 env references: 70 GPU pods, 4 placements);
# 69 once a job that stays one task runs its GPU steps as one step (65 GPU pods), although 18
# more jobs stay whole because their steps change the environment a split would lose; 47 once
# steps that track each other's status merge too, reading the parts' exit codes from files
# (43 GPU pods).
# The count may only go down; the rules already at zero must stay there.
RUNTIME_FINDINGS_ON_CORPUS = 47
# `${{` left in the functional fields of the converted corpus (script lines, env and param
# values, images): 2,540 fields before computed values ran in the step's shell, calling jobs'
# matrices were inlined and what has no form failed closed; none now.
EXPRESSIONS_LEFT_ON_CORPUS = 0
# Distinct generated shell scripts of the corpus that `shellcheck -S error` refuses: 201 (not
# distinct) of 12,814 at the start of this work: expressions left in scripts, PowerShell handed
# to bash. 13 of 3,843 distinct ones now: 5 are the workflows' own code (SC2045, SC2145), the
# rest cmd or PowerShell scripts of Windows runners the labels do not name.
SHELLCHECK_REFUSED_ON_CORPUS = 13
RUNTIME_RULES_AT_ZERO_ON_CORPUS = frozenset(
    {"tekton/env-reference-order", "tekton/one-pvc-per-taskrun", "tekton/gpu-visible"}
)


@pytest.mark.parametrize("case", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_bad_case_gives_exactly_its_rule_at_its_line(case: Path) -> None:
    expected = _expected(case)
    assert expected, f"{case.name} has no `# expect:` comment"
    report = validate_paths([case])
    wanted_rules = {rule for _, rule in expected}
    got = {
        (d.position.line, d.rule)
        for d in [*report.diagnostics, *report.bad_input]
        if d.severity != "info" or d.rule in wanted_rules
    }
    assert got == expected, [d.format() for d in report.diagnostics]


def test_every_rule_has_a_case() -> None:
    covered = {rule for case in CASES.glob("*.yaml") for _, rule in _expected(case)}
    assert set(RULES) - covered == set()


@pytest.mark.parametrize("case", sorted(STRUCTURAL))
def test_structural_cases_are_rejected_by_the_schema_tool_too(case: Path) -> None:
    tool = need_shared(SHARED / "tools" / "validate_tekton.py")
    result = subprocess.run(
        [sys.executable, str(tool), "-q", "--lenient", str(CASES / case)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout


def test_tekton_examples_have_no_errors() -> None:
    examples = need_shared(SHARED / "tekton-examples")
    report = validate_paths([examples])
    assert report.files >= 87
    assert report.checked >= 150
    assert report.bad_input == []
    assert _errors(report.diagnostics) == []
    # The one warning: a `[*]` on a string param, which Tekton admits and never substitutes.
    warnings = [d for d in report.diagnostics if d.severity == "warning"]
    assert [d.rule for d in warnings] == ["tekton/param-type-mismatch"]
    assert "enumparam" in warnings[0].message


def _convert_gpu_notebook(tmp_path: Path) -> list[str]:
    result = convert_paths([FIXTURES / "gpu-notebook"], Options())
    written = []
    for rel, text in result.files.items():
        if rel.endswith(".yaml"):
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(rel)
    return written


def test_converted_gpu_notebook_resources_have_no_errors(tmp_path: Path) -> None:
    written = _convert_gpu_notebook(tmp_path)
    assert any(rel.startswith("pipelines/") for rel in written)
    folders = [tmp_path / d for d in ("tasks", "pipelines", "examples")]
    report = validate_paths(folders)
    assert report.checked >= 4  # pipeline, two tasks, example run
    assert _admission_errors(report.diagnostics) == []


def test_converted_gpu_notebook_triggers_have_no_errors(tmp_path: Path) -> None:
    written = _convert_gpu_notebook(tmp_path)
    assert any(rel.startswith("triggers/") for rel in written)
    report = validate_paths([tmp_path])  # the templates are checked against the pipeline
    assert _admission_errors(report.diagnostics) == []


def test_converted_gpu_notebook_follows_the_controllers_rules(tmp_path: Path) -> None:
    _convert_gpu_notebook(tmp_path)
    found = validate_paths([tmp_path]).diagnostics
    assert _runtime_findings(found) == []
    assert [d.format() for d in found if d.rule in SECRET_RULES] == []  # none job-wide either


def _validate(text: str) -> list[Diagnostic]:
    return [d for d in validate_text(text, "t.yaml") if d.severity != "info"]


def test_embedded_tasks_see_the_params_and_workspaces_of_their_run() -> None:
    # Tekton propagates PipelineRun params and workspaces into inline specs.
    text = """
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {generateName: run-}
spec:
  params: [{name: greeting, value: hi}]
  workspaces: [{name: data, emptyDir: {}}]
  pipelineSpec:
    tasks:
      - name: say
        taskSpec:
          steps:
            - image: alpine
              script: echo $(params.greeting) > $(workspaces.data.path)/out
"""
    assert _validate(text) == []


def test_a_standalone_task_does_not_get_propagated_params() -> None:
    text = """
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: say}
spec:
  steps:
    - image: alpine
      script: echo $(params.greeting)
"""
    [found] = _validate(text)
    assert found.rule == "tekton/unknown-param-ref"
    assert (found.position.line, found.position.col) == (8, 20)


def test_substitutions_in_a_literal_block_are_placed_on_their_own_line() -> None:
    text = """apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  steps:
    - image: alpine
      script: |
        one
          two $(params.nope) three
"""
    [found] = _validate(text)
    assert (found.position.line, found.position.col) == (9, 15)


def test_a_task_ref_to_an_ambiguous_name_is_not_checked(tmp_path: Path) -> None:
    # Two Tasks of the same name in sibling folders: which one the cluster has is unknown.
    task = """apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build}
spec:
  params: [{name: %s}]
  steps: [{image: alpine, script: echo $(params.%s)}]
"""
    for folder, param in (("a", "x"), ("b", "y")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "task.yaml").write_text(task % (param, param))
    pipeline = """apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: ci}
spec:
  tasks: [{name: build, taskRef: {name: build}}]
"""
    (tmp_path / "pipeline.yaml").write_text(pipeline)
    assert _errors(validate_paths([tmp_path]).diagnostics) == []
    # In folder a, the nearest Task is a's, and it needs param x.
    (tmp_path / "a" / "pipeline.yaml").write_text(pipeline)
    errors = _errors(validate_paths([tmp_path]).diagnostics)
    assert len(errors) == 1 and "a/pipeline.yaml" in errors[0] and '"x"' in errors[0]


def test_resource_templates_are_checked_against_the_pipeline_they_run() -> None:
    text = """
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: ci}
spec:
  params: [{name: revision}]
  workspaces: [{name: source}]
  tasks:
    - name: build
      taskSpec:
        steps: [{image: alpine, script: "echo $(params.revision)"}]
---
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerTemplate
metadata: {name: ci}
spec:
  params: [{name: revision}]
  resourcetemplates:
    - apiVersion: tekton.dev/v1
      kind: PipelineRun
      metadata: {generateName: ci-}
      spec:
        pipelineRef: {name: ci}
        params: [{name: revision, value: $(tt.params.revision)}]
"""
    found = _validate(text)
    assert [d.rule for d in found] == ["tekton/missing-workspace-binding"]
    assert found[0].position.line == 23  # the template's pipelineRef


def test_cycles_through_result_references_are_found() -> None:
    text = """
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: ci}
spec:
  tasks:
    - name: a
      taskRef: {name: t}
      params: [{name: p, value: $(tasks.c.results.r)}]
    - name: b
      taskRef: {name: t}
      params: [{name: p, value: $(tasks.a.results.r)}]
    - name: c
      runAfter: [b]
      taskRef: {name: t}
"""
    [found] = _validate(text)
    assert found.rule == "tekton/dependency-cycle"
    assert "a -> c -> b -> a" in found.message


def test_finally_tasks_may_read_statuses_and_dag_results() -> None:
    text = """
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: ci}
spec:
  tasks:
    - name: build
      taskSpec:
        results: [{name: digest}]
        steps: [{image: alpine, script: "echo -n x > $(results.digest.path)"}]
  finally:
    - name: report
      taskRef: {name: report}
      params:
        - {name: digest, value: $(tasks.build.results.digest)}
        - {name: outcome, value: $(tasks.build.status)}
        - {name: all, value: $(tasks.status)}
"""
    assert _validate(text) == []


def test_array_params_expand_whole_only_in_their_own_item() -> None:
    text = """
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  params:
    - {name: flags, type: array}
    - {name: conf, type: object, properties: {host: {}}}
  steps:
    - image: alpine
      command: [run]
      args: ["$(params.flags[*])", "$(params.flags[0])", "--host=$(params.conf.host)"]
      env: [{name: FIRST, value: "$(params.flags[1])"}]
"""
    assert _validate(text) == []


def test_a_resource_without_apiversion_is_an_error() -> None:
    [found] = _validate("kind: Task\nmetadata: {name: t}\n")
    assert found.rule == "tekton/missing-field"
    assert "apiVersion" in found.message


def test_v1beta1_is_reported_but_not_checked() -> None:
    found = _validate("apiVersion: tekton.dev/v1beta1\nkind: Task\nmetadata: {name: t}\n")
    assert [(d.rule, d.severity) for d in found] == [("tekton/deprecated-api", "warning")]


def test_every_rule_has_a_severity_and_summary() -> None:
    for rule in RULES.values():
        assert rule.id.startswith("tekton/")
        assert rule.severity in ("error", "warning", "info")
        assert rule.summary.endswith(".")


@pytest.mark.corpus
@pytest.mark.slow
def test_converted_corpus_has_no_errors(tmp_path: Path) -> None:
    """Everything our converter writes for ../shared/corpus is a resource Tekton accepts."""
    corpus = need_shared(SHARED / "corpus")
    left: list[str] = []
    scripts: list[str] = []
    yaml = YAML(typ="safe")
    for repo in sorted(p for p in corpus.iterdir() if (p / ".github" / "workflows").is_dir()):
        result = convert_paths([repo], Options())
        for rel, text in result.files.items():
            if rel.endswith(".yaml"):
                path = tmp_path / repo.name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                if not rel.startswith("github-actions/"):  # the GitHub side keeps its own
                    for doc in yaml.load_all(text):
                        left += [f"{repo.name}/{rel} {where}" for where, _ in expressions_left(doc)]
                        scripts += shell_scripts(doc)
    # GitHub expressions left as text where Tekton or a shell acts on them: may only go down.
    assert len(left) <= EXPRESSIONS_LEFT_ON_CORPUS, left[:20]
    refused = shellcheck.error_findings(scripts)
    assert len(refused) <= SHELLCHECK_REFUSED_ON_CORPUS, list(refused.values())[:10]
    report = validate_paths([tmp_path])
    assert report.checked > 2000
    assert report.bad_input == []
    assert _admission_errors(report.diagnostics) == []
    # Pinned until the output is runnable: the count may only go down.
    assert len(_runtime_findings(report.diagnostics)) <= RUNTIME_FINDINGS_ON_CORPUS
    at_zero = [d.format() for d in report.diagnostics if d.rule in RUNTIME_RULES_AT_ZERO_ON_CORPUS]
    assert at_zero == []
    # Every secret is optional, as GitHub gives an unset one as an empty string. (Secrets of the
    # job's or workflow's env stay job-wide, as on GitHub: tekton/secret-every-step, info.)
    assert [d.format() for d in report.diagnostics if d.rule == "tekton/secret-required"] == []


# --- the pieces: Tekton's reference patterns, Go's formats, positions ---------------------------


def test_param_references_are_read_as_tekton_reads_them() -> None:
    value = (
        "$(params.a) $(params[\"b.c\"]) $(params['d']) $(params.arr[*]) $(params.o.k) "
        "$(params.x[2])"
    )
    refs = find_vars(value, "params")
    assert [(r.name, r.key, r.star, r.index) for r in refs] == [
        ("a", "", False, None),
        ("b.c", "", False, None),
        ("d", "", False, None),
        ("arr", "", True, None),
        ("o", "k", False, None),
        ("x", "", False, 2),
    ]
    assert value[refs[1].start : refs[1].end] == '$(params["b.c"])'
    [deep] = find_vars("$(params.a.b.c)", "params")
    assert deep.error
    assert find_vars("$(tt.params.a) $(inputs.params.b)", "params") == []


def test_go_durations() -> None:
    assert names.parse_go_duration("1h30m") == 5400
    assert names.parse_go_duration("1.5h") == 5400
    assert names.parse_go_duration("0") == 0
    assert names.parse_go_duration("-2s") == -2
    assert names.parse_go_duration("250ms") == 0.25
    for bad in ("", "90", "1x", "h", "1h 30m", "."):
        assert names.parse_go_duration(bad) is None, bad


def test_names_and_quantities() -> None:
    assert names.is_dns1123_label("build-1")
    assert not names.is_dns1123_label("Build")
    assert not names.is_dns1123_label("a" * 64)
    assert names.is_dns1123_subdomain("a.b-c")
    assert names.is_qualified_name("example.com/my_name")
    assert not names.is_qualified_name("/x")
    assert not names.is_qualified_name("git clone")
    assert names.is_label_value("") and not names.is_label_value("-x")
    assert names.is_param_name("a.b") and not names.is_object_param_name("a.b")
    assert names.is_result_name("my_result.v1") and not names.is_result_name("-r")
    for good in (1, "500m", "1Gi", "1e3", "0.5"):
        assert names.is_quantity(good), good
    for bad in ("lots", "1 Gi", "1GB"):
        assert not names.is_quantity(bad), bad


def test_header_keys_and_closed_substitutions() -> None:
    assert names.canonical_header_key("x-github-event") == "X-Github-Event"
    assert names.is_terminated("$(body.a) and $(header.b)")
    assert not names.is_terminated("$(body.a")


def test_positions_in_folded_and_quoted_scalars() -> None:
    text = """apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  steps:
    - image: alpine
      args: ["--a", "x $(params.q)"]
      script: >
        first line
        then $(params.p)
"""
    found = sorted((d.position.line, d.position.col) for d in _validate(text))
    assert found == [(7, 24), (10, 14)]


def test_exit_code_paths_name_steps_even_unnamed_ones() -> None:
    text = """apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  steps:
    - image: alpine
      script: "true"
    - name: check
      image: alpine
      script: |
        cat $(steps.step-unnamed-0.exitCode.path)
        cat $(steps.step-chek.exitCode.path)
"""
    [found] = _validate(text)
    assert (found.rule, found.position.line) == ("tekton/unknown-step-ref", 12)


def test_api_versions_tekton_no_longer_serves_are_unknown() -> None:
    found = _validate("apiVersion: tekton.dev/v1alpha1\nkind: Task\nmetadata: {name: t}\n")
    assert [d.rule for d in found] == ["tekton/unknown-kind"]
    found = _validate("apiVersion: tekton.dev/v2\nkind: Pipeline\nmetadata: {name: p}\n")
    assert [d.rule for d in found] == ["tekton/unknown-kind"]
