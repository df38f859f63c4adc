"""Steps that change the environment later steps run in, which a GPU split must not cut off.

On a runner every step of a job shares one machine: ``pip install`` in one step is there for the
next, ``apt-get install`` too, and a line appended to ``$GITHUB_PATH`` points at a tool the step
put somewhere. Once a job is split by resource class, each task is a pod of its own and only the
workspace is shared: what a step wrote into the image's own folders (site-packages, ``/usr``,
``/opt``) is gone in the next pod. A split that separates such a step from the steps after it
changes what they run with, so the job stays whole instead.

A change is kept across pods when it lands in the workspace:

- ``pip``/``uv pip`` in the job's shared virtual environment (``python_env.py``), with
  ``--target``/``--prefix``/``--user`` into the workspace (``$HOME`` is in it), or into a conda
  installed in the workspace;
- ``conda``/``mamba``, ``pixi`` and ``uv`` commands once a setup step installed that tool under
  ``$GHT_DIR/tools`` (the setup rules of ``mappings/actions-setup.yaml`` do);
- a ``$GITHUB_PATH`` entry or an ``activate`` script under the workspace.

Package managers of the image itself (``apt-get``, ``yum``, ``dnf``, ``apk``, ``npm -g``) never
are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from ghtotekton.convert.python_env import VENV

_START: Final = r"(?:^|[;&|(]|\bthen\b|\bdo\b|\bsudo\b|\bexec\b)\s*"
_WORKSPACE_VARS: Final = ("GHT_DIR", "HOME", "GITHUB_WORKSPACE", "PWD", "CONDA", "CONDA_PREFIX")
_PIP: Final = re.compile(
    _START + r"(?:\S*/)?(?:uv\s+pip|pip3?(?:\.\d+)?|python3?(?:\.\d+)?\s+-m\s+pip)\s+install\b"
    r"(?P<args>[^\n;&|]*)",
    re.M,
)
_SYSTEM: Final = re.compile(
    _START + r"(?P<what>apt(?:-get)?\s+(?:-\S+\s+)*install|yum\s+install|dnf\s+install"
    r"|apk\s+add|npm\s+(?:install|i)\s+(?:-\S+\s+)*-g\b|pipx\s+install)",
    re.M,
)
_TOOL: Final = re.compile(
    _START + r"(?:\S*/)?(?P<tool>conda|mamba|micromamba|pixi|uv|poetry)\s+"
    r"(?P<verb>install|create|activate|env\s+create|sync|add)\b",
    re.M,
)
_ACTIVATE: Final = re.compile(_START + r"(?:source|\.)\s+(?P<path>\S*activate)\b", re.M)
_CONDA_SH: Final = re.compile(_START + r"(?:source|\.)\s+(?P<path>\S*/conda\.sh)\b", re.M)
_PATH_ENTRY: Final = re.compile(
    r"(?:echo|printf\s+'%s\\n')\s+[\"']?(?P<entry>[^\"'\s]+)[\"']?\s*>>?\s*\"?\$\{?GITHUB_PATH\b"
)
_ASSIGN: Final = re.compile(r"^\s*(?:export\s+)?(\w+)=\"?([^\"\s]*)", re.M)
_TOOLS_DIR: Final = re.compile(r"\$\{?GHT_DIR\}?/tools/(\w+)")
_TOOL_FAMILY: Final = {"mamba": "conda", "micromamba": "conda"}


@dataclass(slots=True)
class Workspace:
    """What the job's earlier steps put in the workspace (tools under ``$GHT_DIR/tools``)."""

    tools: set[str] = field(default_factory=set)


def environment_change(step: dict[str, Any], ws: Workspace | None = None) -> str | None:
    """What the step changes outside the workspace (``"pip install"``...), or None.

    ``ws`` is what earlier steps of the job installed into the workspace; the step's own tool
    installs are added to it.
    """
    ws = ws if ws is not None else Workspace()
    script = _code(step)
    if script is None:
        return None
    local = _workspace_names(script)
    change = _change(step, script, ws, local)
    ws.tools |= _tools(script)
    ws.tools |= {"conda" for m in _CONDA_SH.finditer(script) if _in_workspace(m["path"], local)}
    return change


def _tools(script: str) -> set[str]:
    """Tools the script installs under ``$GHT_DIR/tools/<name>`` (through its own variables
    too: ``tools="$GHT_DIR/tools"`` then ``$tools/uv``)."""
    expanded = script
    for name, value in _ASSIGN.findall(script):
        if "GHT_DIR" in value:
            expanded = re.sub(rf"\$\{{?{name}\b\}}?", value.replace("\\", ""), expanded)
    return set(_TOOLS_DIR.findall(expanded))


def _change(step: dict[str, Any], script: str, ws: Workspace, local: set[str]) -> str | None:
    found = _SYSTEM.search(script)
    if found:
        return " ".join(found.group("what").split()[:2])
    mine = ws.tools | _tools(script)
    for match in _CONDA_SH.finditer(script):  # a conda the job installed (~/conda, say)
        if _in_workspace(match["path"], local):
            mine.add("conda")
    for match in _TOOL.finditer(script):
        tool = _TOOL_FAMILY.get(match["tool"], match["tool"])
        if tool == "poetry" or tool in mine:
            continue  # poetry's environments live under $HOME, which is in the workspace
        return f"{match['tool']} {match['verb'].split()[0]}"
    for match in _PIP.finditer(script):
        if in_shared_venv(step) or "conda" in mine or _into_workspace(match["args"], local):
            continue
        return "pip install"
    for match in _ACTIVATE.finditer(script):
        if not _in_workspace(match["path"], local):
            return f"{match['path']}"
    for match in _PATH_ENTRY.finditer(script):
        entry = match["entry"]
        if not _in_workspace(entry, local) and _writes_under(script, match[0], entry):
            return "a $GITHUB_PATH entry"
    return None


def _writes_under(script: str, line: str, entry: str) -> bool:
    """Whether the script puts files where a ``$GITHUB_PATH`` entry outside the workspace
    points (``tar -C /opt/tool`` then ``/opt/tool/bin``). An entry to a folder of the image
    (``/usr/local/cuda/bin``, or ``$PATH`` after ``module load``) changes nothing the next pod's
    image lacks: the path file itself is in the workspace."""
    parts = [p for p in entry.split("/") if p]
    if len(parts) < 2 or "$" in parts[0]:
        return False
    prefix = "/" + "/".join(parts[:2])
    rest = script.replace(line, line.replace(entry, "", 1), 1)
    return prefix in rest


def in_shared_venv(step: dict[str, Any]) -> bool:
    """The step runs in the job's virtual environment in the runner folder (kept across pods)."""
    env = step.get("env") or []
    return any(e.get("name") == "VIRTUAL_ENV" and e.get("value") == VENV for e in env)


def _into_workspace(args: str, local: set[str]) -> bool:
    words = args.split()
    if "--user" in words:
        return True  # $HOME is the runner folder's home/, in the workspace
    for flag in ("--target", "-t", "--prefix", "--root"):
        for i, word in enumerate(words):
            value = word.split("=", 1)[1] if word.startswith(flag + "=") else None
            if word == flag and i + 1 < len(words):
                value = words[i + 1]
            if value is not None:
                return _in_workspace(value, local)
    return False


def _in_workspace(path: str, local: set[str]) -> bool:
    """A path under the workspace: relative, ``/workspace/...``, or led by a variable that
    holds one (``$GHT_DIR``, ``$HOME`` ... or one the script set from them)."""
    path = path.strip("'\"")
    if not path:
        return True
    if path.startswith("/"):
        return path.startswith("/workspace/") or path == "/workspace"
    lead = re.match(r"\$\{?(\w+)", path)
    if lead is None:
        return True  # relative to the step's folder, in the checkout
    return lead.group(1) in (*_WORKSPACE_VARS, *local)


def _workspace_names(script: str) -> set[str]:
    """Variables the script assigns a workspace path to (``home="$GHT_DIR/tools/pixi"``)."""
    names: set[str] = set()
    for _ in range(2):  # one level of indirection (envdir="$prefix/envs/x")
        for name, value in _ASSIGN.findall(script):
            if value and _in_workspace(value, names) and (value.startswith("$") or "/" in value):
                names.add(name)
    return names


def _code(step: dict[str, Any]) -> str | None:
    script = step.get("script")
    if script is None:
        return " ".join(str(a) for a in step.get("args") or []) or None
    return "\n".join(line for line in str(script).splitlines() if not line.lstrip().startswith("#"))


def split_breaks_environment(pods: Iterable[list[dict[str, Any]]]) -> str | None:
    """Why splitting into these pods (in order) would change what a step runs with, or None."""
    groups = list(pods)
    ws = Workspace()
    for index, group in enumerate(groups):
        later = any(groups[index + 1 :])
        for step in group:
            change = environment_change(step, ws)
            if change is not None and later:
                return (
                    f"step `{step['name']}` changes the environment ({change}) outside the shared "
                    "workspace, and the steps after it would run in other pods without it"
                )
    return None
