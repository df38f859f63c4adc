"""A tiny stand-in for Tekton's step runner, to execute generated Tasks' scripts in tests.

It does what matters for GitHub semantics: runs the steps of one Task in order in one shared
`/workspace` (a temp folder here), substitutes `$(params.x)`, `$(workspaces.x.path)` and
`$(results.x.path)`, sets each step's env as the stepTemplate merge orders it (expanding
`$(VAR)` only from earlier entries, as Kubernetes does), and stops at the
first failing step unless the step says `onError: continue`. Secrets come from a dict; a key it
lacks that the env does not mark `optional` stops the pod before any step, as Kubernetes does.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VAR = re.compile(r"\$\((params|workspaces|results|steps)\.([A-Za-z0-9_.-]+?)(?:\.(path))?\)")


def merged_env(template: list[dict[str, Any]], own: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The container's env after Tekton's stepTemplate merge (``pkg/apis/pipeline/v1/merge.go``):
    the step's new names first, then the template's in its order with the step's values."""
    by_name = {e["name"]: e for e in own}
    names = {e["name"] for e in template}
    first = [e for e in own if e["name"] not in names]
    return first + [by_name.get(e["name"], e) for e in template]


class ContainerConfigError(RuntimeError):
    """What Kubernetes reports (CreateContainerConfigError) instead of starting the pod."""


@dataclass
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class TaskRun:
    steps: list[StepRun] = field(default_factory=list)
    results: dict[str, str] = field(default_factory=dict)

    def out(self, name: str) -> str:
        return next(s.stdout for s in self.steps if s.name == name)


def run_task(
    task: dict[str, Any],
    root: Path,
    params: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
) -> TaskRun:
    params = dict(params or {})
    for spec in task["spec"].get("params", []):
        params.setdefault(spec["name"], str(spec.get("default", "")))
    secrets = secrets or {}
    workspace = root / "workspace"
    ght = workspace / ".ghtotekton"
    source = root / "source"
    results_dir = root / "results"
    for d in (workspace, source, results_dir):
        d.mkdir(parents=True, exist_ok=True)

    def subst(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            kind, name = m.group(1), m.group(2)
            if kind == "params":
                return params[name]
            if kind == "workspaces":
                return str(root / name.removesuffix(".path"))
            if kind == "steps":  # $(steps.step-<name>.exitCode.path)
                return str(root / "steps" / name.removesuffix(".exitCode") / "exitCode")
            return str(results_dir / name.removesuffix(".path"))

        return VAR.sub(one, text).replace("/workspace/.ghtotekton", str(ght))

    def env_of(entries: list[dict[str, Any]], base: dict[str, str]) -> dict[str, str]:
        env = dict(base)
        earlier: dict[str, str] = {}  # Kubernetes expands $(VAR) only from earlier entries
        for entry in entries:
            if "value" in entry:
                value = re.sub(
                    r"\$(\$|\(([A-Za-z_][A-Za-z0-9_]*)\))",
                    lambda m: "$" if m.group(1) == "$" else earlier.get(m.group(2), m.group(0)),
                    subst(entry["value"]),
                )
                env[entry["name"]] = earlier[entry["name"]] = value
            else:
                ref = (
                    entry["valueFrom"].get("secretKeyRef") or entry["valueFrom"]["configMapKeyRef"]
                )
                if ref["key"] not in secrets and not ref.get("optional"):
                    # the kubelet does not start a pod whose env names a missing key
                    raise ContainerConfigError(f"couldn't find key {ref['key']} in Secret")
                env[entry["name"]] = earlier[entry["name"]] = secrets.get(ref["key"], "")
        return env

    template = task["spec"].get("stepTemplate", {})
    base = {"PATH": os.environ["PATH"], "HOME": str(root / "home")}
    run = TaskRun()
    for step in task["spec"]["steps"]:
        env = env_of(merged_env(template.get("env", []), step.get("env", [])), base)
        script = root / f"{step['name']}.script"
        script.write_text(subst(step["script"]))
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        cwd = subst(step.get("workingDir", template.get("workingDir", str(source))))
        Path(cwd).mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        run.steps.append(StepRun(step["name"], proc.returncode, proc.stdout, proc.stderr))
        code_file = root / "steps" / f"step-{step['name']}" / "exitCode"
        code_file.parent.mkdir(parents=True, exist_ok=True)
        code_file.write_text(str(proc.returncode))
        if proc.returncode != 0 and step.get("onError") != "continue":
            break
    for path in results_dir.iterdir():
        run.results[path.name] = path.read_text()
    return run
