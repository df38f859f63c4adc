"""Python side of the Tekton oracle: build ``tekton-oracle`` and call it from tests.

The oracle (``tests/oracle/``, Go) links Tekton's released modules: ``admit`` decodes, defaults
and validates documents with Tekton's own code; ``run`` drives the real PipelineRun and TaskRun
reconcilers over fake clients. These helpers build the binary when it is missing or older than
its sources, and skip the calling test only when Go itself is absent (a user's clone); CI has Go.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from ghtotekton.convert.job_failures import VERDICT_TASK
from tests.conftest import REPO

SOURCE = REPO / "tests" / "oracle"
TWO_PVCS = "more than one PersistentVolumeClaim is bound"
"""Tekton's TaskRun reconciler refusing a TaskRun with two PVCs (pkg/workspace/validate.go)."""
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: outputs are large
BINARY = REPO / ".oracle" / "bin" / "tekton-oracle"


def _stale() -> bool:
    if not BINARY.is_file():
        return True
    built = BINARY.stat().st_mtime
    return any(p.stat().st_mtime > built for p in SOURCE.iterdir() if p.is_file())


def oracle() -> Path:
    """The built binary; builds it (as ``make oracle`` does) when needed, skips without Go."""
    if not _stale():
        return BINARY
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed: the Tekton oracle cannot be built")
    BINARY.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename, so parallel test workers never run a half-written file.
    fd, tmp = tempfile.mkstemp(prefix=".tekton-oracle.", dir=BINARY.parent)
    os.close(fd)
    try:
        subprocess.run(
            [go, "build", "-trimpath", "-buildvcs=false", "-o", tmp, "."],
            cwd=SOURCE,
            check=True,
            capture_output=True,
            text=True,
        )
        os.chmod(tmp, 0o755)
        os.replace(tmp, BINARY)
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"building the oracle failed:\n{exc.stderr}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return BINARY


@dataclass(frozen=True)
class Admission:
    """One document as Tekton's admission judged it."""

    file: str
    index: int
    kind: str
    name: str
    errors: tuple[str, ...]
    skipped: str
    validated: bool


@dataclass
class AdmitResult:
    returncode: int
    documents: list[Admission]
    stderr: str

    @property
    def refused(self) -> list[Admission]:
        return [d for d in self.documents if d.errors]


def admit(paths: Iterable[Path | str], flags: Path | None = None) -> AdmitResult:
    """``tekton-oracle admit``: every document of every file, decoded, defaulted, validated."""
    args = [str(oracle()), "admit"]
    if flags is not None:
        args += ["--flags", str(flags)]
    args += [str(p) for p in paths]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1, 2):
        raise AssertionError(f"tekton-oracle admit crashed ({proc.returncode}): {proc.stderr}")
    docs = []
    for line in proc.stdout.splitlines():
        d = json.loads(line)
        docs.append(
            Admission(
                d["file"],
                d["index"],
                d["kind"],
                d["name"],
                tuple(d["errors"]),
                d.get("skipped", ""),
                d["validated"],
            )
        )
    return AdmitResult(proc.returncode, docs, proc.stderr)


@dataclass
class RunResult:
    """What ``tekton-oracle run`` reported."""

    returncode: int
    data: dict[str, Any]
    stderr: str
    by_task: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for tr in self.data.get("taskRuns", []):
            self.by_task.setdefault(tr["pipelineTask"], []).append(tr)

    @property
    def status(self) -> str:
        return str(self.data["pipelineRun"]["status"])

    @property
    def message(self) -> str:
        return str(self.data["pipelineRun"]["message"])

    @property
    def skipped(self) -> dict[str, str]:
        return {s["name"]: s["reason"] for s in self.data.get("skippedTasks", [])}

    @property
    def github_status(self) -> str:
        """The run's status once the verdict's script ran: the oracle exits every step 0, and
        ``ghtotekton-verdict`` exits 1 when one of the statuses it is given is Failed (its
        script is run for real in tests/test_job_failures.py)."""
        for tr in self.by_task.get(VERDICT_TASK, []):
            for container in (tr.get("pod") or {}).get("containers") or []:
                if any(str(a).endswith("=Failed") for a in container.get("args") or []):
                    return "Failed"
        return self.status

    def failed_tasks(self) -> set[str]:
        return {t for t, runs in self.by_task.items() if any(r["status"] == "Failed" for r in runs)}

    def explain(self) -> str:
        """A few lines for an assertion message."""
        lines = [f"pipelineRun: {self.data.get('pipelineRun')}"]
        for tr in self.data.get("taskRuns", []):
            lines.append(
                f"  {tr['pipelineTask']}: {tr['status']} {tr['reason']} {tr['message'][:200]}"
            )
        for name, reason in self.skipped.items():
            lines.append(f"  skipped {name}: {reason}")
        for e in self.data.get("admissionErrors", []):
            lines.append(f"  not admitted {e['kind']} {e['name']}: {e['errors'][:3]}")
        return "\n".join(lines)


def run(
    directory: Path,
    pipelinerun: Path,
    *,
    params: dict[str, str] | None = None,
    fail: str | None = None,
    flags: Path | None = None,
    kubelet: str | None = None,
    timeout: float = 300,
    extra: Sequence[str] = (),
) -> RunResult:
    """``tekton-oracle run``: the real reconcilers over DIR until the PipelineRun is done.

    ``kubelet`` is a command that runs each Pod for real (tests/host_kubelet.py); without it
    every step exits 0 but the one ``fail`` names."""
    args = [str(oracle()), "run", str(directory), "--pipelinerun", str(pipelinerun)]
    for k, v in (params or {}).items():
        args += ["--param", f"{k}={v}"]
    if fail:
        args += ["--fail", fail]
    if flags is not None:
        args += ["--flags", str(flags)]
    if kubelet is not None:
        args += ["--kubelet", kubelet]
    args += list(extra)
    proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=timeout)
    if proc.returncode not in (0, 1, 2) or not proc.stdout.strip():
        raise AssertionError(f"tekton-oracle run gave {proc.returncode}: {proc.stderr[-3000:]}")
    return RunResult(proc.returncode, json.loads(proc.stdout), proc.stderr)


HOST_KUBELET = REPO / "tests" / "host_kubelet.py"


def host_kubelet(
    root: Path, secrets: dict[str, dict[str, str]] | None = None, path: str | None = None
) -> str:
    """The ``--kubelet`` command that runs each Pod on this machine (tests/host_kubelet.py):
    its volumes and logs under ``root``, ``secrets`` as {Secret name: {key: value}}."""
    import shlex
    import sys

    args = [sys.executable, str(HOST_KUBELET), "--root", str(root)]
    if secrets is not None:
        root.mkdir(parents=True, exist_ok=True)
        file = root / "secrets.json"
        file.write_text(json.dumps(secrets))
        args += ["--secrets", str(file)]
    if path is not None:
        args += ["--path", path]
    return shlex.join(args)


def write_files(files: dict[str, str], root: Path) -> Path:
    """Write a conversion's in-memory files to ``root`` (for the oracle to read)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
