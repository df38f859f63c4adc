"""Tekton's own admission (``tekton-oracle admit``) on everything we have and generate.

Decoding is strict (unknown and duplicate fields are errors, as the API server's strict field
validation and knative's webhook make them), then ``SetDefaults`` and ``Validate`` run under
Tekton's default feature flags, with the API server's metadata validation first.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ghtotekton.convert.engine import Options, convert_paths
from tests import oracle
from tests.conftest import CORPUS, FIXTURES, REPO, SHARED, need_shared

GOLDEN = REPO / "tests" / "golden"
INVALID = FIXTURES / "tekton-invalid"
EXPECT = re.compile(r"# expect: (tekton/[a-z-]+)")

# Invalid fixtures whose defect Tekton's admission does not see: the reconciler does when a run
# starts (checked through `run` in test_oracle_agreement.py), or the finding is our advice only.
NOT_ADMISSION = {
    "deprecated-api.yaml": "a warning of ours: v1beta1 is still served",
    "duplicate-result.yaml": "a warning of ours: Tekton keeps the last declaration",
    "invalid-trigger-binding.yaml": "Triggers reads binding values only when an event arrives",
    "invalid-volume.yaml": "Tekton does not validate Task volumes; the Pod is refused later",
    "matrix-param-undeclared.yaml": "the PipelineRun reconciler checks params against the Task",
    "missing-param-task.yaml": "the TaskRun reconciler checks params against the Task",
    "missing-param.yaml": "the PipelineRun reconciler checks params against the Pipeline",
    "missing-workspace-binding.yaml": "the reconciler checks bindings against the Pipeline",
    "not-tekton.yaml": "a Kubernetes kind, not Tekton's to validate",
    "param-type-mismatch-call.yaml": "the reconciler checks param types against the Task",
    "unknown-result-ref-pipeline.yaml": "the reconciler resolves results of referenced Tasks",
    "unknown-step-ref.yaml": "the TaskRun reconciler resolves $(steps...) when it builds the pod",
    "unknown-workspace-ref.yaml": "Task.Validate does not check $(workspaces.x) of undeclared x",
    "unused-workspace-binding.yaml": "a warning of ours: an unused binding is harmless",
    "workspace-not-declared.yaml": "the reconciler checks workspaces against the Task",
    "one-pvc-per-taskrun.yaml": "the TaskRun reconciler refuses two PVCs (pkg/workspace)",
    "affinity-placement.yaml": "placement is decided by the scheduler, not admission",
    "env-reference-order.yaml": "Kubernetes expands env references in the kubelet",
    "gpu-per-pod.yaml": "a warning of ours: the scheduler sums the GPU requests",
    "gpu-visible.yaml": "a warning of ours: the NVIDIA runtime reads the env in the node",
    "secret-every-step.yaml": "a note of ours: every step may read what the stepTemplate gives",
    "secret-required.yaml": "the kubelet resolves Secret keys when it creates the container",
}


def test_oracle_names_the_tekton_it_links() -> None:
    import subprocess

    out = subprocess.run([str(oracle.oracle()), "version"], capture_output=True, text=True)
    versions = json.loads(out.stdout)
    assert versions["pipeline"].startswith("v1."), versions
    assert versions["triggers"].startswith("v0."), versions
    readme = (REPO / "README.md").read_text()
    assert versions["pipeline"] in readme and versions["triggers"] in readme


def test_every_upstream_example_is_admitted() -> None:
    examples = need_shared(SHARED / "tekton-examples" / "pipeline")
    files = sorted(examples.glob("*.yaml"))
    assert len(files) >= 87
    result = oracle.admit(files)
    assert result.returncode == 0, [(d.file, d.errors) for d in result.refused]
    tekton = [d for d in result.documents if d.validated]
    assert len(tekton) >= 87


def test_valid_fixtures_are_admitted() -> None:
    result = oracle.admit([FIXTURES / "tekton-valid"])
    assert result.returncode == 0, [(d.file, d.errors) for d in result.refused]


@pytest.mark.parametrize("case", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_fixture_is_refused_by_admission_unless_the_reconciler_decides(case: Path) -> None:
    result = oracle.admit([case])
    if case.name in NOT_ADMISSION:
        # Pinned both ways: when Tekton starts refusing one of these, this list must learn it.
        assert result.returncode == 0, [d.errors for d in result.refused]
        return
    assert result.returncode in (1, 2), result.documents
    assert result.refused, result.documents


def test_bad_yaml_is_exit_2_and_a_missing_path_too(tmp_path: Path) -> None:
    result = oracle.admit([INVALID / "unreadable.yaml"])
    assert result.returncode == 2 and result.refused
    result = oracle.admit([tmp_path / "absent.yaml"])
    assert result.returncode == 2 and "absent.yaml" in result.stderr


def test_strict_decoding_refuses_an_unknown_field(tmp_path: Path) -> None:
    case = tmp_path / "task.yaml"
    case.write_text(
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\n"
        "spec:\n  steps:\n    - name: s\n      image: alpine\n      scirpt: echo\n"
    )
    result = oracle.admit([case])
    assert result.returncode == 1
    assert any('unknown field "spec.steps[0].scirpt"' in e for e in result.refused[0].errors)


def test_feature_flags_change_the_verdict(tmp_path: Path) -> None:
    case = INVALID / "feature-flag.yaml"
    assert oracle.admit([case]).returncode == 1
    flags = tmp_path / "flags.yaml"
    flags.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: feature-flags, namespace: "
        'tekton-pipelines}\ndata:\n  enable-cel-in-whenexpression: "true"\n'
    )
    assert oracle.admit([case], flags=flags).returncode == 0


def _tekton_output(expected: Path) -> list[Path]:
    """A golden case's Tekton files: everything but the patched GitHub workflows beside them."""
    return [
        p
        for p in sorted(expected.iterdir())
        if (p.is_dir() and p.name != "github-actions") or p.suffix in (".yaml", ".yml")
    ]


@pytest.mark.parametrize(
    "case", sorted(p.name for p in GOLDEN.iterdir() if (p / "expected").is_dir())
)
def test_golden_output_is_admitted(case: str) -> None:
    result = oracle.admit(_tekton_output(GOLDEN / case / "expected"))
    assert result.returncode == 0, [(d.file, d.errors) for d in result.refused]


def test_golden_fixture_cases_are_admitted() -> None:
    for case in sorted((GOLDEN / "fixtures").iterdir()) + sorted((GOLDEN / "corpus").iterdir()):
        result = oracle.admit(_tekton_output(case / "expected"))
        assert result.returncode == 0, (case.name, [(d.file, d.errors) for d in result.refused])


def test_demo_output_is_admitted(tmp_path: Path) -> None:
    result = convert_paths([FIXTURES / "gpu-notebook"], Options())
    out = oracle.write_files(result.files, tmp_path / "tekton")
    admitted = oracle.admit([out])
    assert admitted.returncode == 0, [(d.file, d.errors) for d in admitted.refused]
    kinds = {d.kind for d in admitted.documents if d.validated}
    assert {"Task", "Pipeline", "PipelineRun", "EventListener", "TriggerTemplate"} <= kinds


@pytest.mark.corpus
def test_whole_corpus_output_is_admitted(tmp_path: Path) -> None:
    need_shared(CORPUS)
    repos = sorted(p for p in CORPUS.iterdir() if (p / ".github" / "workflows").is_dir())
    for repo in repos:
        result = convert_paths([repo], Options())
        oracle.write_files(
            {k: v for k, v in result.files.items() if k.endswith(".yaml")}, tmp_path / repo.name
        )
    admitted = oracle.admit([tmp_path])
    refused = [(d.file, d.kind, d.name, d.errors[:2]) for d in admitted.refused]
    assert admitted.returncode == 0, refused[:20]
    assert sum(d.validated for d in admitted.documents) > 4000
