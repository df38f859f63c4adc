"""Consecutive GPU steps of a job that stays one task run as one step, so its pod asks for the
GPUs once.

A pod's containers each get their own extended resources and the requests add up: three steps
that each request 2 GPUs make a pod that needs 6 on one node, where the runner had 2 for the whole
job (Kubernetes, "Resource Management for Pods and Containers": a pod's request is the sum of its
containers'; Tekton passes each step's ``computeResources`` to its container). A job that is not
split by resource class (its steps change the environment, or read each other's exit codes, or
splitting is off) keeps its GPU steps in one pod, so they become one container: each step's
script is written to a file and run in turn, in a subshell with that step's own variables and
folder, under its own time limit; the first one that fails stops the rest, as Tekton stops a
Task's steps at the first failure.

Only steps that can share a container are merged: the same image, resources, mounts and security
context, a script with a shebang, no per-step variables taken from Secrets or ConfigMaps that the
others do not get, and no step results read elsewhere (``$(steps.<name>.results...)``).

A job whose steps track each other's status (``always()``/``failure()`` steps) runs every step
with ``onError: continue`` and reads their exit codes from Tekton's files
(``$(steps.step-<name>.exitCode.path)``, written by the entrypoint when a step ends). Such steps
merge too, all of them ``onError: continue``: every part runs, whatever the one before did, and
writes its exit code to ``$GHT_DIR/exit-codes/<name>`` as it ends; the Task's references to the
parts' exit-code files point there instead, so the guards and the status step read the same
codes at the same moments.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from ghtotekton.convert.findings import JobOutcome
from ghtotekton.convert.gpu import holds_gpu

_SHARED_KEYS = ("image", "volumeMounts", "securityContext", "imagePullPolicy")
_MERGEABLE_KEYS = {
    "name",
    "script",
    "env",
    "workingDir",
    "timeout",
    "computeResources",
    "onError",
    *_SHARED_KEYS,
}
EXIT_CODES = "$GHT_DIR/exit-codes"
"""Where merged steps that continue on error write each part's exit code."""
_K8S_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")
_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


@dataclass(slots=True)
class Merged:
    """One merged run: the step it became and the names of the steps it holds."""

    name: str
    parts: list[str]


def merge_gpu_steps(task: dict[str, Any], outcome: JobOutcome) -> list[Merged]:
    """Merge each run of GPU steps of ``task`` (in place), with the CPU steps between them when
    they can share the container (they then run in it too); what was merged."""
    spec = task["spec"]
    steps: list[dict[str, Any]] = spec.get("steps") or []
    image = (spec.get("stepTemplate") or {}).get("image")
    text = json.dumps(spec)
    merged: list[Merged] = []
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(steps):
        run = _run_from(steps, i, text, image)
        if sum(map(holds_gpu, run)) > 1:
            step = _merge(run)
            merged.append(Merged(step["name"], [s["name"] for s in run]))
            out.append(step)
            i += len(run)
        else:
            out.append(steps[i])
            i += 1
    if merged:
        spec["steps"] = _read_exit_codes_from_files(out, merged)
        into = {part: m.name for m in merged for part in m.parts}
        for step_outcome in outcome.steps:
            if step_outcome.tekton_step in into:
                step_outcome.tekton_step = into[step_outcome.tekton_step]
    return merged


def _run_from(steps: list[dict[str, Any]], i: int, text: str, image: Any) -> list[dict[str, Any]]:
    """The steps from ``i`` that can share one container with the GPU step at ``i``, up to the
    last GPU step among them (empty when ``i`` is not a mergeable GPU step)."""
    first = steps[i]
    if not (holds_gpu(first) and _mergeable(first, text)):
        return []
    run = [first]
    for step in steps[i + 1 :]:
        if not (_mergeable(step, text) and _same(first, step, image)):
            break
        if step.get("onError") != first.get("onError"):
            break
        if holds_gpu(step) and step.get("computeResources") != first.get("computeResources"):
            break
        run.append(step)
    while run and not holds_gpu(run[-1]):
        run.pop()
    return run


def _mergeable(step: dict[str, Any], task_text: str) -> bool:
    script = step.get("script")
    if not isinstance(script, str) or not script.startswith("#!"):
        return False
    if set(step) - _MERGEABLE_KEYS or step.get("onError", "continue") != "continue":
        return False  # results, command/args, another kind of step or of onError
    name = re.escape(step["name"])
    if re.search(rf"\$\(steps\.(?:step-)?{name}\.results\.", task_text):
        return False  # its results are read: a container of its own writes them
    # An exit code read elsewhere can come from a file only when the parts continue on error.
    code = re.search(rf"\$\(steps\.step-{name}\.exitCode\.path\)", task_text)
    return code is None or step.get("onError") == "continue"


def _read_exit_codes_from_files(
    steps: list[dict[str, Any]], merged: list[Merged]
) -> list[dict[str, Any]]:
    """Point every reference to a merged part's exit-code file at the file the part writes."""
    parts = [name for m in merged for name in m.parts]
    if not parts:
        return steps
    pattern = re.compile(
        r"\$\(steps\.step-(" + "|".join(map(re.escape, parts)) + r")\.exitCode\.path\)"
    )
    for step in steps:
        if isinstance(step.get("script"), str):
            step["script"] = pattern.sub(lambda hit: f"{EXIT_CODES}/{hit.group(1)}", step["script"])
    return steps


def _same(first: dict[str, Any], step: dict[str, Any], image: Any) -> bool:
    shared = all(
        first.get(k, image if k == "image" else None)
        == step.get(k, image if k == "image" else None)
        for k in _SHARED_KEYS
    )
    return shared and _refs(first) == _refs(step)


def _refs(step: dict[str, Any]) -> list[Any]:
    """Variables from Secrets or ConfigMaps: merged steps must all get the same ones."""
    return sorted(
        (json.dumps(e, sort_keys=True) for e in step.get("env") or [] if "valueFrom" in e),
    )


def _merge(run: list[dict[str, Any]]) -> dict[str, Any]:
    first = run[0]
    step: dict[str, Any] = {"name": first["name"]}
    for key in _SHARED_KEYS:
        if key in first:
            step[key] = first[key]
    step["computeResources"] = first["computeResources"]
    common = [e for e in first.get("env") or [] if all(e in (s.get("env") or []) for s in run)]
    if common:
        step["env"] = common
    keep_going = first.get("onError") == "continue"
    if keep_going:
        step["onError"] = "continue"
    lines = [
        "#!/bin/sh",
        "set -e",
        f"# {len(run)} steps of the job in one container, so the pod requests its GPUs once;",
        "# each runs in turn with its own variables, folder and time limit.",
        'parts="$(mktemp -d 2>/dev/null || echo "/tmp/ght-gpu-steps-$$")"',
        'mkdir -p "$parts"',
        *([f'mkdir -p "{EXIT_CODES}"', "last=0"] if keep_going else []),
    ]
    total = 0.0
    for index, part in enumerate(run, start=1):
        lines += _part(index, part, common, keep_going)
        total += _seconds(part.get("timeout")) or 0
    if keep_going:
        lines.append('exit "$last"')  # the container shows how the last part ended
    step["script"] = "\n".join(lines) + "\n"
    if total and all(p.get("timeout") for p in run):
        step["timeout"] = _duration(total)
    return step


def _part(
    index: int, step: dict[str, Any], common: list[dict[str, Any]], keep_going: bool
) -> list[str]:
    path = f'"$parts/{index}"'
    marker = f"GHT_GPU_STEP_{index}_EOF"
    exports = [
        f"export {e['name']}={_shell_value(e['value'])}"
        for e in step.get("env") or []
        if e not in common and "value" in e
    ]
    folder = step.get("workingDir")
    limit = _seconds(step.get("timeout"))
    run = path
    if limit:
        run = (
            f"if command -v timeout >/dev/null 2>&1; then timeout {int(limit)} {run}; "
            f"else {run}; fi"
        )
    body = [*exports, *_enter(folder), run]
    head = [
        f"# step {index}: {step['name']}",
        f"cat > {path} <<'{marker}'",
        step["script"].rstrip("\n"),
        marker,
        f"chmod +x {path}",
    ]
    # One && chain: a failing cd stops the part even where errexit does not apply (in an if).
    subshell = ["(", "  " + " &&\n  ".join(body), ")"]
    if not keep_going:
        return [*head, *subshell]
    # Every part runs (onError: continue); each one's code lands where the Task reads it.
    code = f'"{EXIT_CODES}/{step["name"]}"'
    return [
        *head,
        "if (",
        *subshell[1:-1],
        "); then last=0; else last=$?; fi",
        f'echo "$last" > {code}',
    ]


def _enter(folder: str | None) -> list[str]:
    """``cd`` into a step's ``workingDir``, made first where Tekton makes it: relative ones and
    those under /workspace/ (the working-dir-initializer of ``pkg/pod/workingdir_init.go``)."""
    if not folder:
        return []
    made = not folder.startswith("/") or folder.startswith(("/workspace/", "$(workspaces."))
    shown = _shell_value(folder)
    return [*([f"mkdir -p {shown}"] if made else []), f"cd {shown}"]


def _shell_value(value: str) -> str:
    """A container env value as the shell gives it: Kubernetes' ``$(VAR)`` becomes ``${VAR}``;
    Tekton's ``$(params.x)``-style references stay (Tekton substitutes them in the script)."""
    parts: list[str] = []
    last = 0
    for match in _K8S_REF.finditer(value):
        parts.append(shlex.quote(value[last : match.start()]))
        parts.append(f'"${{{match.group(1)}}}"')
        last = match.end()
    parts.append(shlex.quote(value[last:]))
    return "".join(p for p in parts if p != "''") or "''"


def _seconds(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    found = _DURATION.findall(value)
    return sum(float(n) * _SECONDS[u] for n, u in found) if found else None


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes}m{rest}s"
