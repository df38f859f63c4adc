"""The demo's output run for real: Tekton's reconcilers decide, the host runs every Pod.

``tekton-oracle run --kubelet`` drives the real PipelineRun and TaskRun reconcilers and hands
each Pod, as Tekton built it, to ``tests/host_kubelet.py``, which runs its steps on this machine
with real git, papermill, nbconvert and pytest (env order, volumes, exit codes and results as a
kubelet and Tekton's entrypoint give them). The workflow is the demo fixture's, with its mail
server pointed at a loopback SMTP server this test starts; the repositories it checks out are
the fixture and ``fixtures/notebook-tests``, served from local git folders.

Checked: every matrix cell's executed notebook, HTML, junit.xml and coverage.xml end in the
artifacts workspace; a notebook that raises fails its cell (and only its cell), still uploads,
and the team gets exactly one mail; a passing run sends none; the GPU is only on the container
that runs papermill; the mail as the job's own `if: failure()` step mails once; an `always()`
upload that fails fails the run and mails once.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from ghtotekton.cli import app
from tests import oracle
from tests.conftest import FIXTURES
from tests.test_handlers_notebook import kernel_env  # noqa: F401 (a fixture)

CELLS = {  # artifact name (the workflow's `names` step) -> notebook of that cell
    "nb-analysis-py3.11": "analysis",
    "nb-training-py3.11": "training",
    "nb-analysis-py3.12": "analysis",
    "nb-training-py3.12": "training",
}
RAISES = """
if epochs > 1:
    raise RuntimeError("training diverged")
"""


class _SMTP(socketserver.StreamRequestHandler):
    """Enough SMTP for smtplib: EHLO, AUTH, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 loopback ESMTP")
        mail: dict[str, Any] = {"to": []}
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-loopback")
                self.reply("250 AUTH PLAIN LOGIN")
            elif verb == "AUTH":
                self.reply("235 2.7.0 accepted")
            elif verb == "MAIL":
                mail["from"] = line
                self.reply("250 ok")
            elif verb == "RCPT":
                mail["to"].append(line)
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                body = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    body.append(data)
                mail["data"] = "".join(body)
                self.server.mails.append(dict(mail))  # type: ignore[attr-defined]
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def smtp() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTP)
    server.mails = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def _serve(source: Path, server: Path, name: str) -> str:
    """A repository at SERVER/NAME holding SOURCE in one commit; its commit."""
    repo = server / name
    shutil.copytree(source, repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "fixture")
    return _git(repo, "rev-parse", "HEAD")


def _raise_in_training(notebook: Path) -> None:
    """The training notebook raises in the cell that runs with ``epochs: 2`` (one matrix cell)."""
    doc = json.loads(notebook.read_text())
    code = [c for c in doc["cells"] if c["cell_type"] == "code"]
    code[-1]["source"] = "".join(code[-1]["source"]) + RAISES
    notebook.write_text(json.dumps(doc, indent=1))


@dataclass
class Run:
    result: oracle.RunResult
    root: Path
    artifacts: Path
    mails: list[dict[str, Any]]
    records: list[dict[str, Any]] = field(default_factory=list)

    def explain(self) -> str:
        lines = [self.result.explain()]
        for log in sorted((self.root / "logs").glob("*/*.log")):
            text = log.read_text()
            if "Error" in text or "error" in text:
                lines.append(f"--- {log.relative_to(self.root)}\n{text[-1500:]}")
        return "\n".join(lines)


def _run(
    tmp_path: Path,
    smtp: socketserver.ThreadingTCPServer,
    *,
    failing: bool,
    edit: Callable[[str], str] = lambda text: text,
) -> Run:
    port = smtp.server_address[1]
    app_src = tmp_path / "app"
    shutil.copytree(FIXTURES / "gpu-notebook", app_src)
    workflow = app_src / ".github" / "workflows" / "gpu-notebooks.yml"
    text = edit(workflow.read_text())
    assert "server_address: smtp.example.org" in text and "server_port: 465" in text
    workflow.write_text(
        text.replace("server_address: smtp.example.org", "server_address: 127.0.0.1").replace(
            "server_port: 465", f"server_port: {port}"
        )
    )
    if failing:
        _raise_in_training(app_src / "notebooks" / "training.ipynb")
    served = tmp_path / "git"
    sha = _serve(app_src, served, "example-org/gpu-notebook")
    _serve(FIXTURES / "notebook-tests", served, "example-org/notebook-tests")

    out = tmp_path / "tekton"
    res = CliRunner().invoke(app, ["convert", str(app_src), "-o", str(out)])
    assert res.exit_code == 0, res.output

    root = tmp_path / "host"
    secrets = {
        "github-secrets": {"MAIL_USERNAME": "ci", "MAIL_PASSWORD": "pw", "GITHUB_TOKEN": "t"}
    }
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    kubelet = oracle.host_kubelet(root, secrets, path)
    params = {
        "github-repository": "example-org/gpu-notebook",
        "github-repository-owner": "example-org",
        "github-sha": sha,
        "github-ref": "refs/heads/main",
        "github-ref-name": "main",
        "github-event-name": "push",
        "github-server-url": f"file://{served}",
        "github-run-id": "1",
    }
    result = oracle.run(
        out,
        out / "examples" / "gpu-notebooks-run.yaml",
        params=params,
        kubelet=kubelet,
        timeout=1200,
    )
    claims = sorted((root / "claims").iterdir())
    assert len(claims) == 1, f"one PVC for the shared workspace, got {claims}"
    records = [json.loads(p.read_text()) for p in sorted((root / "logs").glob("*/record.json"))]
    return Run(result, root, claims[0] / "artifacts", list(smtp.mails), records)  # type: ignore[attr-defined]


def _artifact(run: Run, name: str) -> Path:
    folder = run.artifacts / name
    assert folder.is_dir(), f"no artifact {name}: {sorted(p.name for p in run.artifacts.iterdir())}"
    return folder


def _assert_reports(run: Run, name: str, notebook: str, *, tested: bool) -> None:
    folder = _artifact(run, name)
    executed = folder / f"{notebook}.ipynb"
    assert executed.is_file(), sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    if tested:
        assert (folder / "html" / f"{notebook}.html").is_file()
        assert "<html" in (folder / "html" / f"{notebook}.html").read_text().lower()
        suite = ElementTree.parse(folder / "junit.xml").getroot().find("testsuite")
        assert suite is not None
        assert int(suite.get("tests", "0")) >= 3
        assert suite.get("failures") == "0" and suite.get("errors") == "0"
        measured = ElementTree.parse(folder / "coverage.xml").getroot().iter("class")
        assert {c.get("filename"): float(c.get("line-rate", "0")) for c in measured}.get(
            "nbchecks.py", 0.0
        ) > 0.5


def _assert_gpu_only_on_papermill(run: Run) -> None:
    for record in run.records:
        for step in record["steps"]:
            runs_papermill = "papermill " in step["script"]
            assert bool(step["gpu"]) == runs_papermill, (record["pipelineTask"], step["step"])


@pytest.mark.usefixtures("kernel_env")
def test_a_passing_run_uploads_every_cell_and_mails_nobody(
    tmp_path: Path, smtp: socketserver.ThreadingTCPServer
) -> None:
    run = _run(tmp_path, smtp, failing=False)
    assert run.result.github_status == "Succeeded", run.explain()
    for name, notebook in CELLS.items():
        _assert_reports(run, name, notebook, tested=True)
    # The cell with `epochs: 2` in its include ran with it; the others with the default 1.
    assert "n=2000" in (_artifact(run, "nb-training-py3.12") / "training.ipynb").read_text()
    assert "n=1000" in (_artifact(run, "nb-training-py3.11") / "training.ipynb").read_text()
    assert run.mails == []
    _assert_gpu_only_on_papermill(run)
    # Both checkouts had a token; no later step pushes, so neither kept it for the notebook.
    configs = list((run.artifacts.parent / "files").glob("**/.git/config"))
    assert len(configs) == 8, configs  # the repository and the test repository, per cell
    assert not [c for c in configs if "extraheader" in c.read_text()]


@pytest.mark.usefixtures("kernel_env")
def test_a_notebook_that_raises_fails_its_cell_uploads_and_mails_once(
    tmp_path: Path, smtp: socketserver.ThreadingTCPServer
) -> None:
    run = _run(tmp_path, smtp, failing=True)
    assert run.result.github_status == "Failed", run.explain()
    failed = {t for t in run.result.failed_tasks() if t != oracle.VERDICT_TASK}
    # the notebook's task, and the cell's last task, which skipped its steps after it
    assert failed == {"notebooks-m4-3-gpu", "notebooks-m4"}, run.explain()
    assert "ghtotekton-needs" in next(
        tr["message"] for tr in run.result.data["taskRuns"] if tr["pipelineTask"] == "notebooks-m4"
    )
    for name, notebook in CELLS.items():
        _assert_reports(run, name, notebook, tested=name != "nb-training-py3.12")
    # papermill writes the notebook up to the error; the upload still carries it.
    raised = _artifact(run, "nb-training-py3.12") / "training.ipynb"
    assert "training diverged" in raised.read_text()
    assert len(run.mails) == 1, run.mails
    mail = email.message_from_string(run.mails[0]["data"], policy=email.policy.default)
    assert str(mail["Subject"]).startswith("GPU notebooks failed: example-org/gpu-notebook@")
    assert "ml-team@example.org" in run.mails[0]["to"][0]
    # The link goes to this PipelineRun (the Tekton Dashboard), not to a GitHub run.
    body = mail.get_content()
    assert "/actions/runs/" not in body
    assert f"/#/namespaces/default/pipelineruns/{run.result.data['pipelineRun']['name']}" in body
    _assert_gpu_only_on_papermill(run)


def _mail_in_the_job(text: str) -> str:
    """The variant most workflows write: the mail is the job's last step, `if: failure()`."""
    job, notify = text.split("\n  notify:\n")
    steps = notify.split("    steps:\n", 1)[1]
    mail = steps[steps.index("      - name: Send e-mail") :]
    return (
        job.rstrip("\n")
        + "\n"
        + mail.replace(
            "      - name: Send e-mail\n", ("      - name: Send e-mail\n        if: failure()\n"), 1
        )
    )


@pytest.mark.usefixtures("kernel_env")
def test_a_failure_mail_step_in_the_job_mails_for_the_failing_cell_only(
    tmp_path: Path, smtp: socketserver.ThreadingTCPServer
) -> None:
    run = _run(tmp_path, smtp, failing=True, edit=_mail_in_the_job)
    assert run.result.github_status == "Failed", run.explain()
    for name, notebook in CELLS.items():
        _assert_reports(run, name, notebook, tested=name != "nb-training-py3.12")
    assert len(run.mails) == 1, run.mails  # GitHub mails from each failing cell: one
    _assert_gpu_only_on_papermill(run)


def _upload_fails(text: str) -> str:
    """Every cell's upload fails (a path with no files, `if-no-files-found: error`)."""
    old = "          path: ${{ env.REPORT_DIR }}/\n"
    assert old in text
    return text.replace(
        old, "          path: no-such-folder/\n          if-no-files-found: error\n"
    )


@pytest.mark.usefixtures("kernel_env")
def test_a_failing_always_upload_fails_the_run_and_mails_once(
    tmp_path: Path, smtp: socketserver.ThreadingTCPServer
) -> None:
    run = _run(tmp_path, smtp, failing=False, edit=_upload_fails)
    assert run.result.github_status == "Failed", run.explain()
    failed = {t for t in run.result.failed_tasks() if t != oracle.VERDICT_TASK}
    assert failed == {f"notebooks-m{i}-always" for i in range(1, 5)}, run.explain()
    assert len(run.mails) == 1, run.mails  # as GitHub's `needs: notebooks, if: failure()`
