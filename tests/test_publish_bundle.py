"""The run-bundle publisher: it uploads a bundle `compare` reads and annotates its own run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import yaml

from ghtotekton.compare.bundle import open_bundle
from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.publish import SCRIPT, publish_task
from tests.conftest import FIXTURES


class _Store(BaseHTTPRequestHandler):
    received: ClassVar[dict[str, Any]] = {}

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received["zip"] = self.rfile.read(length)
        self.received["put_path"] = self.path
        self.send_response(200)
        self.end_headers()

    def do_PATCH(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received["patch"] = json.loads(self.rfile.read(length))
        self.received["patch_path"] = self.path
        self.received["auth"] = self.headers["Authorization"]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def test_publisher_uploads_a_bundle_compare_can_read(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    (artifacts / "notebooks").mkdir(parents=True)
    (artifacts / "notebooks" / "analysis.ipynb").write_text('{"cells": []}')
    (artifacts / "junit.xml").write_text("<testsuite/>")
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "namespace").write_text("ci")
    (sa / "token").write_text("t0ken")
    server = HTTPServer(("127.0.0.1", 0), _Store)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    script = tmp_path / "publish.py"
    script.write_text(SCRIPT)
    env = {
        **os.environ,
        "BUNDLE_URL": f"{base}/bundles/run-1.zip?X-Signature=abc",
        "ARTIFACTS": str(artifacts),
        "PIPELINE_RUN": "gpu-notebooks-x7k2p",
        "AGGREGATE": "Failed",
        "COMMIT": "0123456789abcdef0123456789abcdef01234567",
        "REF": "refs/heads/main",
        "EVENT": "push",
        "GHT_SA_DIR": str(sa),
        "GHT_KUBE_API": base,
        "GHT_BUNDLE_ZIP": str(tmp_path / "made.zip"),
    }
    args = ["notebooks-m1=Succeeded", "notebooks-m2=Failed", "notify=None"]
    done = subprocess.run(
        [sys.executable, str(script), *args], env=env, capture_output=True, text=True
    )
    server.shutdown()
    assert done.returncode == 0, done.stderr
    got = _Store.received
    assert got["put_path"] == "/bundles/run-1.zip?X-Signature=abc"
    assert got["patch_path"] == "/apis/tekton.dev/v1/namespaces/ci/pipelineruns/gpu-notebooks-x7k2p"
    assert got["patch"] == {
        "metadata": {"annotations": {"ghtotekton.dev/artifacts-url": f"{base}/bundles/run-1.zip"}}
    }
    assert got["auth"] == "Bearer t0ken"
    (tmp_path / "bundle.zip").write_bytes(got["zip"])
    bundle = open_bundle(tmp_path / "bundle.zip", workdir=tmp_path / "open")
    info = bundle.info
    assert info.system == "tekton" and info.status == "failed"
    assert [(u.name, u.status) for u in info.units] == [
        ("notebooks-m1", "succeeded"),
        ("notebooks-m2", "failed"),
        ("notify", "skipped"),
    ]
    assert sorted(bundle.artifacts()) == ["junit.xml", "notebooks/analysis.ipynb"]


def test_pipelines_with_artifacts_end_with_the_publisher() -> None:
    result = convert_paths([FIXTURES / "gpu-notebook"], Options())
    pipeline = yaml.safe_load(result.files["pipelines/gpu-notebooks.yaml"])["spec"]
    [publish] = [t for t in pipeline["finally"] if t["name"] == "ghtotekton-publish"]
    statuses = publish["params"][-1]["value"]
    assert "notebooks-m1-3-gpu=$(tasks.notebooks-m1-3-gpu.status)" in statuses
    assert publish["when"] == [
        {"input": "$(params.bundle-url)", "operator": "notin", "values": [""]}
    ]
    assert any(p["name"] == "bundle-url" and p["default"] == "" for p in pipeline["params"])
    task = yaml.safe_load(result.files["tasks/ghtotekton-publish-bundle.yaml"])
    assert task == publish_task()
    kustomization = yaml.safe_load(result.files["kustomization.yaml"])["resources"]
    assert len(kustomization) == len(set(kustomization))


class _GitHub(BaseHTTPRequestHandler):
    calls: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.calls.append(self.path)
        runs = [
            {"id": 7, "path": ".github/workflows/other.yml", "status": "completed"},
            {"id": 41, "path": ".github/workflows/ci.yml", "status": "completed", "run_attempt": 1},
            {"id": 42, "path": ".github/workflows/ci.yml", "status": "completed", "run_attempt": 2},
        ]
        body = json.dumps({"workflow_runs": runs}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_shadow_compare_finds_githubs_run_compares_and_records(tmp_path: Path) -> None:
    from ghtotekton.convert.publish import SHADOW_SCRIPT

    server = HTTPServer(("127.0.0.1", 0), _GitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.txt"
    fake = bin_dir / "ghtotekton"  # stands in for the installed tool: logs, writes a verdict
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {log}\n'
        'if [ "$1" = compare ]; then\n'
        '  while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done\n'
        '  echo \'{"verdict": "equivalent"}\' > "$out"\n'
        "fi\n"
    )
    fake.chmod(0o755)
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    (ledger / "rollout.yaml").write_text("phases: []\n")
    script = tmp_path / "shadow.py"
    script.write_text(SHADOW_SCRIPT.replace("/workspace/", f"{tmp_path}/"))
    verdict = tmp_path / "verdict"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GITHUB_API_URL": f"http://127.0.0.1:{server.server_port}",
        "REPOSITORY": "acme/app",
        "COMMIT": "0123456789abcdef0123456789abcdef01234567",
        "WORKFLOW_FILE": ".github/workflows/ci.yml",
        "WAIT_SECONDS": "30",
        "VERDICT_PATH": str(verdict),
        "LEDGER": str(ledger),
    }
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True)
    server.shutdown()
    assert done.returncode == 0, done.stderr
    assert _GitHub.calls == [
        "/repos/acme/app/actions/runs?head_sha=0123456789abcdef0123456789abcdef01234567&per_page=100"
    ]
    compare, record = log.read_text().splitlines()
    assert compare.startswith("compare --run-a github:acme/app/runs/42 --run-b ")  # latest attempt
    assert record.startswith("rollout record ") and f"--db {ledger}/rollout.db" in record
    assert verdict.read_text() == "equivalent"


def test_shadow_compare_is_opt_in() -> None:
    plain = convert_paths([FIXTURES / "gpu-notebook"], Options())
    shadow = convert_paths([FIXTURES / "gpu-notebook"], Options(shadow_compare=True))
    task = yaml.safe_load(plain.files["tasks/ghtotekton-publish-bundle.yaml"])
    assert [s["name"] for s in task["spec"]["steps"]] == ["publish"]
    task = yaml.safe_load(shadow.files["tasks/ghtotekton-publish-bundle.yaml"])
    assert [s["name"] for s in task["spec"]["steps"]] == ["publish", "shadow-compare"]
    pipeline = yaml.safe_load(shadow.files["pipelines/gpu-notebooks.yaml"])["spec"]
    [publish] = [t for t in pipeline["finally"] if t["name"] == "ghtotekton-publish"]
    values = {p["name"]: p["value"] for p in publish["params"]}
    assert values["workflow-file"] == ".github/workflows/gpu-notebooks.yml"
    assert values["repository"] == "$(params.github-repository)"
