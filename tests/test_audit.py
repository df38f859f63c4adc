"""`audit`: the migration report without writing anything, over one or many repositories."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton.cli import app
from tests.conftest import CORPUS, FIXTURES, need_shared

CI = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: someone/unheard-of-action@v1
        with:
          token: ${{ secrets.DEPLOY_TOKEN }}
      - run: make
  gpu:
    runs-on: [self-hosted, strange-box]
    steps:
      - run: nvidia-smi
"""


def _repo(tmp_path: Path, name: str, text: str) -> Path:
    root = tmp_path / name
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(text)
    return root


def test_text_report_names_classes_and_manual_work(tmp_path: Path) -> None:
    root = _repo(tmp_path, "one", CI)
    result = CliRunner().invoke(app, ["audit", str(root)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ci.yml: partially successful" in out
    assert "job gpu -> ci-gpu: manual" in out
    assert "runner labels [self-hosted, strange-box] are not mapped" in out
    assert "1 workflow(s): 0 successful (0.0%), 1 partially successful (100.0%)" in out
    assert "4 step(s): 3 known (75.0%), 1 unknown (25.0%)" in out
    # DEPLOY_TOKEN, and GITHUB_TOKEN: the checkout's token when the step gives none
    assert (
        "2 secret(s) to create (in 2 Secret/ConfigMap object(s), the webhook's included), 1 "
        "runner label set(s) to map, 1 action(s) to review" in out
    )
    assert not list(root.rglob("*.yaml")), "audit must not write anything"


def test_json_and_markdown_carry_the_migration_report(tmp_path: Path) -> None:
    root = _repo(tmp_path, "one", CI)
    result = CliRunner().invoke(app, ["audit", "--format", "json", str(root)])
    doc = json.loads(result.stdout)
    migration = doc["migration"]
    assert migration["summary"]["step_classes"]["unknown"]["count"] == 1
    assert migration["manual_tasks"]["secrets"][0]["name"] == "DEPLOY_TOKEN"
    assert migration["manual_tasks"]["actions_to_review"] == [
        {"action": "someone/unheard-of-action", "uses": 1}
    ]
    assert doc["repositories"][0]["files"][0]["kind"] == "workflow"
    md = CliRunner().invoke(app, ["audit", "--format", "markdown", str(root)]).stdout
    assert md.startswith("# Migration report")
    assert "kubectl create secret generic github-secrets --from-literal=DEPLOY_TOKEN=..." in md


def test_csv_has_one_row_per_step_and_one_per_failed_file(tmp_path: Path) -> None:
    good = _repo(tmp_path, "good", CI)
    bad = _repo(tmp_path, "bad", "on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n")
    result = CliRunner().invoke(app, ["audit", "--format", "csv", str(good), str(bad)])
    assert result.exit_code == 2  # a workflow that does not load is bad input
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    steps = [r for r in rows if r["status"] != "failed"]
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(steps) == 4
    assert {r["job"] for r in steps} == {"build", "gpu"}
    assert [r["rule"] for r in steps if r["step"] == "actions/checkout@v4"] == ["checkout"]
    assert len(failed) == 1 and failed[0]["workflow"].endswith("bad/.github/workflows/ci.yml")
    assert "stepz" in failed[0]["note"]


def test_audit_over_many_repositories_sums_them(tmp_path: Path) -> None:
    roots = [_repo(tmp_path, f"r{i}", CI) for i in range(3)]
    result = CliRunner().invoke(app, ["audit", "--format", "json", *map(str, roots)])
    summary = json.loads(result.stdout)["migration"]["summary"]
    assert summary["workflows"] == 3
    assert summary["steps"] == 12


def test_demo_fixture_audits_cleanly() -> None:
    result = CliRunner().invoke(app, ["audit", str(FIXTURES / "gpu-notebook")])
    assert result.exit_code == 0, result.output
    assert "gpu-notebooks.yml" in result.stdout


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    [
        "fastapi__full-stack-fastapi-template",
        "psf__requests",
        "NVIDIA__cccl",
        "sgl-project__sglang",
        "astral-sh__uv",
    ],
)
def test_audit_and_convert_agree_on_classes_and_secrets(name: str, tmp_path: Path) -> None:
    """One computation for both: the classes, the step counts and the Secrets to create."""
    root = need_shared(CORPUS / name)
    audited = CliRunner().invoke(app, ["audit", "--format", "json", str(root)])
    converted = CliRunner().invoke(app, ["convert", str(root), "-o", str(tmp_path / "out")])
    assert converted.exit_code in (0, 1, 2), converted.stderr
    report = json.loads((tmp_path / "out" / "migration-report.json").read_text())
    migration = json.loads(audited.stdout)["migration"]
    assert migration["summary"] == report["summary"]
    assert migration["manual_tasks"] == report["manual_tasks"]
    assert migration["cluster_requirements"]["secrets"] == report["cluster_requirements"]["secrets"]
    assert [w["class"] for w in migration["workflows"]] == [w["class"] for w in report["workflows"]]
