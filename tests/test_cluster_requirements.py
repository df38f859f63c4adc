"""The report's "Cluster requirements": what the output needs, read from the output itself."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.tekton import versions
from tests.conftest import FIXTURES, REPO


def test_the_versions_named_are_the_ones_the_oracle_links() -> None:
    go_mod = (REPO / "tests" / "oracle" / "go.mod").read_text()
    required = dict(
        re.findall(r"^\s*github\.com/tektoncd/(pipeline|triggers) (v\S+)", go_mod, re.M)
    )
    assert required == {"pipeline": versions.PIPELINES, "triggers": versions.TRIGGERS}


def test_the_gpu_demo_needs_its_pool_the_device_plugin_a_storage_class_and_two_secrets() -> None:
    result = convert_paths([FIXTURES / "gpu-notebook"], Options())
    req = result.report["cluster_requirements"]
    assert req["tekton_pipelines"] == versions.PIPELINES
    assert req["feature_flags"]["enable-api-fields"] == "beta"
    assert req["gpu_resources"] == ["nvidia.com/gpu"]
    assert req["node_selectors"] and req["tolerations"]
    assert any("ReadWriteOnce" in s for s in req["storage"])
    secrets = {s["secret"]: s["command"] for s in req["secrets"]}
    assert set(secrets) == {"github-secrets", "github-webhook-secret"}
    for key in ("MAIL_PASSWORD", "MAIL_USERNAME", "TESTS_REPO_TOKEN"):
        assert f"--from-literal={key}=" in secrets["github-secrets"]
    report = result.files["migration-report.md"]
    section = report.split("## Cluster requirements", 1)[1].split("\n## ", 1)[0]
    assert f"Pipelines {versions.PIPELINES}, Triggers {versions.TRIGGERS}" in section
    assert "`nvidia.com/gpu`" in section and "Taints the runs tolerate" in section
    assert secrets["github-webhook-secret"] in section


def test_a_cpu_workflow_without_claims_asks_for_no_gpu_nor_storage(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        textwrap.dedent(
            """\
            on: push
            jobs:
              test:
                runs-on: ubuntu-latest
                steps:
                  - run: make test
            """
        )
    )
    req = convert_paths([repo], Options()).report["cluster_requirements"]
    assert req["gpu_resources"] == [] and req["storage"] == [] and req["tolerations"] == []
    assert [s["secret"] for s in req["secrets"]] == ["github-webhook-secret"]
