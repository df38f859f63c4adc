"""``docker compose`` in ``run:`` steps, resolved against the compose files, as Tekton steps.

A pod has no Docker daemon, so ``docker compose`` cannot run as written. What it would do can
be said in Tekton terms because the compose file says it: ``run``/``exec SERVICE CMD`` is a step
in the service's image with its environment, working directory and GPUs; ``up -d`` of a service
that does real work is a sidecar (its healthcheck a readiness probe); ``up -d`` of a service that
only keeps a container alive for later ``exec`` calls needs no container at all, because each
``exec`` becomes a step in that image; ``down``/``pull``/``logs`` have nothing to do.

Paths: compose bind-mounts the checkout (``.:/workspace``); the step works in the Task's source
workspace instead, and a symlink from the container path keeps absolute paths in commands
working. Named volumes become emptyDir volumes shared by the Task's containers; ``shm_size``
becomes a memory-backed emptyDir at ``/dev/shm``.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtotekton.compose import ComposeCall, ComposeProject, Service, load_compose
from ghtotekton.compose.interpolate import VARIABLE_RULE, looks_secret
from ghtotekton.compose.loader import OBSOLETE_RULE, find_compose_files
from ghtotekton.convert.findings import Finding, Status
from ghtotekton.convert.image_variants import ImageVariant, marker, variant_of
from ghtotekton.convert.naming import dns_label
from ghtotekton.convert.secret_scope import SECRETS, VARS_CONFIGMAP
from ghtotekton.errors import Diagnostic, GhToTektonError, Position

SOURCE = "$(workspaces.source.path)"
KEEPALIVE = re.compile(
    r"^(?:sleep\s+(?:infinity|inf|\d{4,})|tail\s+-f\s+/dev/null|cat|/bin/(?:ba)?sh|bash|sh)$"
)
"""Commands that only keep a container running so that ``exec`` can use it."""

GPU_RESOURCE = "nvidia.com/gpu"
DROPPED = {
    "down": "the Task's containers stop when the TaskRun ends",
    "stop": "the Task's containers stop when the TaskRun ends",
    "rm": "the Task's containers are removed with its pod",
    "kill": "the Task's containers stop when the TaskRun ends",
    "pull": "the kubelet pulls each image when the pod starts",
    "logs": "sidecar and step logs are in the TaskRun's pod logs",
    "ps": "Kubernetes shows the pod's containers (`kubectl get pod`)",
    "config": "only prints the merged compose file",
    "ls": "only lists compose projects",
    "images": "only lists images",
    "top": "only lists processes",
    "version": "only prints the compose version",
    "wait": "the steps of a Task already run one after another",
}


@dataclass(slots=True)
class ComposeSession:
    """What the compose calls of one job have set up so far, and what the Task must declare."""

    repo_root: Path | None
    env: dict[str, str]
    """Static env of the workflow and job (``COMPOSE_FILE``, interpolation values)."""
    projects: dict[tuple[str, ...], ComposeProject | str] = field(default_factory=dict)
    started: dict[str, Service] = field(default_factory=dict)
    sidecars: list[dict[str, Any]] = field(default_factory=list)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    host_aliases: set[str] = field(default_factory=set)
    image_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    gpu: int = 0
    """The largest GPU count one container of this Task asks for (for scheduling)."""
    classify: Callable[[str], str | None] | None = None
    """The rule table's resource class of a command (``gpu``/``cpu``/None)."""
    noted: set[str] = field(default_factory=set)
    """Findings already reported for this job (one per service and kind, not one per step)."""
    matrix_env: dict[str, str] = field(default_factory=dict)
    """Env vars holding one matrix value (var -> matrix key), where compose can read them."""
    image_variants: dict[str, ImageVariant] = field(default_factory=dict)
    """Image params whose image differs per matrix cell (``image_variants.py``)."""
    marked: ComposeProject | None = None
    """The compose files of the current call read with markers for ``matrix_env``."""
    secrets: set[str] = field(default_factory=set)
    """Keys of ``github-secrets`` the Task reads (values of local files, secret-looking); the
    ``github-vars`` keys are read back from the Tasks (``cluster.py``), as ``vars.X`` are."""


@dataclass(slots=True)
class ComposeOutcome:
    steps: list[dict[str, Any]]
    status: Status
    reasons: list[str]
    findings: list[Finding]
    dropped_only: bool = True
    """Every call was one with nothing to do in Tekton (``down``, ``pull``, ``logs`` ...)."""
    binds: list[dict[str, str]] = field(default_factory=list)
    """Per step: container folder -> its place in the source workspace (checkout bind mounts)."""
    mixed: bool = False
    """One step runs the whole script: its compose calls became ``(cd DIR && exec CMD)`` lines."""


def convert_compose_run(
    calls: list[ComposeCall],
    script: str,
    workdir: str | None,
    step_env: dict[str, str],
    session: ComposeSession,
    name: str,
    where: Position,
) -> ComposeOutcome | None:
    """The Tekton form of a script made only of compose calls; None when it has other commands."""
    segments = compose_segments(script)
    if segments is None:
        return _mixed(calls, script, workdir, step_env, session, name, where)
    if len(segments) != len(calls):
        return None
    out = ComposeOutcome([], "converted", [], [])
    for index, (call, raw) in enumerate(zip(calls, segments, strict=True)):
        step_name = name if len(calls) == 1 else f"{name}-{index + 1}"
        _one_call(call, raw, workdir, step_env, session, step_name, where, out)
    return out


_COMPOSE_START = re.compile(
    r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:sudo\s+(?:-E\s+)?)?(?:docker\s+compose|docker-compose)\b"
)
_NOISE = re.compile(r"^(?:set\s+[-+][a-z]+|true|:)$")


def compose_segments(script: str) -> list[str] | None:
    """The script's commands, as written, when each is a compose call (None otherwise).

    Commands are split at unquoted ``&&``, ``||``, ``;`` and line ends; continuation lines are
    joined. A pipe, a redirection to another program or any other command makes it None.
    """
    joined = re.sub(r"[ \t]*\\\n\s*", " ", script)
    out: list[str] = []
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for part in _split_commands(stripped):
            part = part.strip()
            if not part or _NOISE.match(part):
                continue
            if not _COMPOSE_START.match(part) or _has_unquoted(part, "|"):
                return None
            out.append(part)
    return out


def _split_commands(text: str) -> list[str]:
    return [command for command, _separator in _commands_with_separators(text)]


def _commands_with_separators(text: str) -> list[tuple[str, str]]:
    """(command, the ``&&``/``||``/``;`` after it, or "") at unquoted separators; a comment ends
    the line."""
    parts: list[tuple[str, str]] = []
    quote = ""
    start = i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or text[i - 1].isspace()):
            break
        elif text.startswith(("&&", "||"), i):
            parts.append((text[start:i], text[i : i + 2]))
            i += 2
            start = i
            continue
        elif c == ";":
            parts.append((text[start:i], ";"))
            start = i + 1
        i += 1
    parts.append((text[start:i], ""))
    return parts


def _has_unquoted(text: str, char: str) -> bool:
    quote = ""
    for c in text:
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == char:
            return True
    return False


_DOCKER = re.compile(r"(?:^|[\s;&|(`])(?:docker|docker-compose|podman)(?=\s|$)")
_CD = re.compile(r"^cd\s+(?P<path>\S+)$")


@dataclass(slots=True)
class _Piece:
    """One command of a script line, the separator after it, and what it becomes."""

    text: str
    separator: str
    compose: bool
    rendered: str = ""


def _script_pieces(script: str) -> list[list[_Piece]] | None:
    """The script's commands per logical line, or None where reading them as plain commands
    could be wrong: a heredoc, a quote across lines, or ``docker`` outside a compose call
    that starts its command (inside ``then``, a function, a pipe or a substitution)."""
    joined = re.sub(r"[ \t]*\\\n\s*", " ", script)
    if "<<" in joined:
        return None
    out: list[list[_Piece]] = []
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            shlex.split(stripped, comments=True)
        except ValueError:
            return None
        pieces: list[_Piece] = []
        for command, separator in _commands_with_separators(stripped):
            text = command.strip()
            if not text:
                continue
            compose = bool(_COMPOSE_START.match(text))
            if compose and _has_unquoted(text, "|"):
                return None
            if not compose and (_DOCKER.search(text) or ("$(" in text and "docker" in text)):
                return None
            pieces.append(_Piece(text, separator, compose))
        out.append(pieces)
    return out


_WORKSPACE = ("$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}", SOURCE)
"""How a script names the checkout's root (``${{ github.workspace }}`` reads as ``SOURCE``)."""


def _from_workspace(path: str, cwd: str | None) -> tuple[str | None, str]:
    """(the folder ``path`` is relative to, the rest): ``$GITHUB_WORKSPACE/sub`` is ``sub``
    from the checkout's root; any other path is relative to ``cwd``."""
    for root in _WORKSPACE:
        if path == root or path.startswith(root + "/"):
            return None, path[len(root) :].lstrip("/") or "."
    return cwd, path


def _mixed(
    calls: list[ComposeCall],
    script: str,
    workdir: str | None,
    step_env: dict[str, str],
    session: ComposeSession,
    name: str,
    where: Position,
) -> ComposeOutcome | None:
    """A script that runs commands (``mkdir``, ``cd``, ``export`` ...) around its compose calls,
    as one step in the image of the service it runs or execs in: compose bind-mounts the
    checkout, so what those commands do to files is seen the same way in the pod; each compose
    call becomes its command, run from the service's working directory. None when the calls
    need more than one image, or when the script cannot be read as plain commands."""
    lines = _script_pieces(script)
    if lines is None:
        return None
    pieces = [p for line in lines for p in line]
    composed = [p for p in pieces if p.compose]
    if not composed or len(composed) != len(calls):
        return None
    saved = _snapshot(session)
    temp = ComposeOutcome([], "converted", [], [])
    cwd = workdir
    calls_left = iter(calls)
    for piece in pieces:
        if not piece.compose:
            moved = _CD.match(piece.text)
            if moved:
                path = moved.group("path").strip("'\"")
                base, path = _from_workspace(path, cwd)
                if "$" in path or "~" in path or path.startswith("/"):
                    _restore(session, saved)
                    return None
                cwd = posixpath.normpath(posixpath.join(base or ".", path))
            continue
        before = len(temp.steps)
        _one_call(next(calls_left), piece.text, cwd, step_env, session, name, where, temp)
        if len(temp.steps) == before:
            piece.rendered = ":"
            continue
        made = temp.steps[-1]
        command = made["script"].rstrip("\n").split("\n")[-1].removeprefix("exec ")
        piece.rendered = f'(cd "{made["workingDir"]}" && exec {command})'
    same = ("image", "env", "computeResources", "volumeMounts", "securityContext")
    first = temp.steps[0] if temp.steps else None
    if first is None or any(s.get(k) != first.get(k) for s in temp.steps[1:] for k in same):
        _restore(session, saved)
        return None
    links: list[str] = []
    for made in temp.steps:
        for line in made["script"].rstrip("\n").split("\n")[2:-1]:
            if line not in links:
                links.append(line)
    body = [
        " ".join(f"{p.rendered or p.text} {p.separator}".rstrip() for p in line) for line in lines
    ]
    step = {k: v for k, v in first.items() if k != "script"}
    step["name"] = name
    step["workingDir"] = _source(workdir)
    step["script"] = "\n".join(["#!/bin/sh", "set -e", *links, *body]) + "\n"
    binds: dict[str, str] = {}
    for found in temp.binds:
        binds.update(found)
    reasons = [
        *temp.reasons,
        "the script's other commands run in the same step, in the service's image, on the "
        "checkout compose bind-mounts",
    ]
    return ComposeOutcome(
        [step], temp.status, reasons, temp.findings, dropped_only=False, binds=[binds], mixed=True
    )


def _snapshot(session: ComposeSession) -> tuple[Any, ...]:
    return (
        dict(session.started), list(session.sidecars), dict(session.volumes),
        set(session.host_aliases), dict(session.image_params), session.gpu, set(session.noted),
        dict(session.image_variants), set(session.secrets),
    )  # fmt: skip


def _restore(session: ComposeSession, saved: tuple[Any, ...]) -> None:
    """Undo what compose calls set up when their script falls back to a manual stub."""
    (session.started, session.sidecars, session.volumes, session.host_aliases,
     session.image_params, session.gpu, session.noted, session.image_variants,
     session.secrets) = saved  # fmt: skip


def _worse(out: ComposeOutcome, status: Status) -> None:
    order = {"converted": 0, "partial": 1, "manual": 2, "unsupported": 3}
    if order.get(status, 0) > order.get(out.status, 0):
        out.status = status


def _one_call(
    call: ComposeCall,
    raw: str,
    workdir: str | None,
    step_env: dict[str, str],
    session: ComposeSession,
    name: str,
    where: Position,
    out: ComposeOutcome,
) -> None:
    if call.unparsed:
        out.dropped_only = False
        _worse(out, "manual")
        out.reasons.append(f"`{raw}` was not understood: {call.unparsed}")
        return
    sub = call.subcommand or ""
    if sub in DROPPED:
        out.reasons.append(f"`{call.program} {sub}` dropped: {DROPPED[sub]}")
        return
    out.dropped_only = False
    project = _project(call, workdir, step_env, session)
    if isinstance(project, str):
        _worse(out, "manual")
        out.reasons.append(project)
        return
    _unset_variables(project, session, out)
    session.marked = None
    if session.matrix_env:
        markers = {var: marker(var) for var in session.matrix_env}
        marked = _project(call, workdir, {**step_env, **markers}, session)
        session.marked = marked if isinstance(marked, ComposeProject) else None
    try:
        _dispatch(call, raw, project, workdir, step_env, session, name, where, out)
    finally:
        session.marked = None


def _dispatch(
    call: ComposeCall,
    raw: str,
    project: ComposeProject,
    workdir: str | None,
    step_env: dict[str, str],
    session: ComposeSession,
    name: str,
    where: Position,
    out: ComposeOutcome,
) -> None:
    sub = call.subcommand or ""
    if sub == "build":
        for svc in call.services or sorted(project.services):
            service = project.service(svc)
            if service is not None and service.build is not None:
                _image_of(service, session, out, where)
        return
    if sub in ("up", "start", "create", "restart"):
        _up(call, project, session, step_env, where, out)
        return
    if sub in ("run", "exec"):
        _run_or_exec(call, raw, project, workdir, step_env, session, name, where, out)
        return
    _worse(out, "manual")
    out.reasons.append(f"`{call.program} {sub}` has no Tekton form here")


def _unset_variables(project: ComposeProject, session: ComposeSession, out: ComposeOutcome) -> None:
    """A finding, once per job, for each variable the compose files read that has no value here.

    Compose would stop on a required one (``${VAR:?msg}``) and warn on the others; the
    converter has no CI secrets, so the generated env holds ``''`` where the run had a value:
    the report must say so at the variable's line, with what to set.
    """
    for diag in project.warnings:
        key = f"compose-variable:{diag.position.file}:{diag.message}"
        if key in session.noted:
            continue
        session.noted.add(key)
        if diag.rule != VARIABLE_RULE:
            out.findings.append(_compose_note(diag))
            continue
        required = diag.message.startswith("required variable")
        found = _VARIABLE.search(diag.message)
        name = found.group(1) if found else "it"
        out.findings.append(
            Finding(
                "manual" if required else "partial",
                f"`{diag.position.file}`: {diag.message}; the generated env has '' where the "
                "run had a value",
                diag.position,
                rule="compose-variable",
                action=f"give the Task a param or a secretKeyRef for {name} (a Secret for "
                "passwords and tokens); never copy a value from a developer's machine",
            )
        )


_VARIABLE = re.compile(r'variable "?([A-Za-z_][A-Za-z0-9_]*)')


def _project(
    call: ComposeCall, workdir: str | None, step_env: dict[str, str], session: ComposeSession
) -> ComposeProject | str:
    """Load (once per file set) the compose files this call reads."""
    root = session.repo_root
    if root is None:
        return "the compose file cannot be found: no repository root (.github/) above the workflow"
    env = {**session.env, **step_env, **call.assignments}
    base = root / (workdir or ".")
    if call.project_directory:
        base = base / call.project_directory
    names = list(call.files)
    if not names and env.get("COMPOSE_FILE"):
        names = env["COMPOSE_FILE"].split(env.get("COMPOSE_PATH_SEPARATOR", ":"))
    if any("$" in n for n in names):
        return f"the compose file `{' '.join(names)}` is named by a variable not known before a run"
    files = [base / n for n in names] if names else find_compose_files(base, root=root)
    if not files:
        return f"no compose file in {base.relative_to(root) if base.is_relative_to(root) else base}"
    key = tuple(str(f) for f in files) + tuple(f"{k}={v}" for k, v in sorted(env.items()))
    if key not in session.projects:
        try:
            session.projects[key] = load_compose(
                files, env, display_root=root, strict_required=False
            )
        except GhToTektonError as exc:
            first = exc.diagnostics[0].format() if exc.diagnostics else str(exc)
            session.projects[key] = f"the compose file does not load: {first}"
        except OSError as exc:
            session.projects[key] = f"the compose file cannot be read: {exc}"
    return session.projects[key]


def _note_variant(service: Service, session: ComposeSession) -> None:
    """Record how the service's image depends on the matrix, when the call that starts or
    builds it sees matrix values (a later ``exec`` does not, and keeps what was built)."""
    if session.marked is None:
        return
    variant = variant_of(service, session.marked.service(service.name), session.matrix_env)
    if variant is not None:
        session.image_variants.setdefault(dns_label(f"image-{service.name}"), variant)


def _image_of(
    service: Service, session: ComposeSession, out: ComposeOutcome, where: Position
) -> str:
    """The image reference a step uses: the built image's param when compose builds it, or
    when the image differs per matrix cell."""
    _note_variant(service, session)
    if service.build is None and service.image:
        # `docker compose run other` after `up` built this image: compose runs the local build.
        twin = next(
            (s for s in session.started.values()
             if s.build is not None and s.image == service.image and s.name != service.name),
            None,
        )  # fmt: skip
        if twin is not None:
            return _image_of(twin, session, out, where)
    param = dns_label(f"image-{service.name}")
    if service.build is None:
        if param not in session.image_variants:
            return service.image or ""
        session.image_params.setdefault(
            param,
            {
                "name": param,
                "type": "string",
                "description": f"Image of compose service `{service.name}` (one per matrix cell)",
                "default": service.image or "",
            },
        )
        return f"$(params.{param})"
    if param not in session.image_params:
        session.image_params[param] = {
            "name": param,
            "type": "string",
            "description": f"Image of compose service `{service.name}` (compose builds it)",
            "default": service.image or "",
        }
        _worse(out, "partial")
        context = service.build.context or "."
        if param in session.image_variants:
            return f"$(params.{param})"  # one image per matrix cell: image_variants.py says so
        out.findings.append(
            Finding(
                "partial",
                f"compose service `{service.name}` builds its image from `{context}`: a pod cannot "
                f"build the images it runs; the steps use the param `{param}` (default "
                f"`{service.image or 'none'}`)",
                where,
                rule="compose-build",
                action="build and push the image before this task (the Tekton catalog's kaniko "
                f"or buildah task) and pass its reference as `{param}`",
            )
        )
    return f"$(params.{param})"


def _up(
    call: ComposeCall,
    project: ComposeProject,
    session: ComposeSession,
    step_env: dict[str, str],
    where: Position,
    out: ComposeOutcome,
) -> None:
    names = call.services or sorted(
        n for n, s in project.services.items() if s.enabled(set(call.profiles))
    )
    wanted: list[str] = []
    for svc in names:
        service = project.service(svc)
        if service is None:
            _worse(out, "manual")
            out.reasons.append(f"service `{svc}` is not in the compose file")
            continue
        if not call.no_deps:
            wanted += [d for d in service.depends_on if d not in wanted]
        if svc not in wanted:
            wanted.append(svc)
    if not call.detach:
        _worse(out, "partial")
        out.reasons.append(
            "`up` without `-d` runs the services until they stop; they become sidecars here"
        )
    for svc in wanted:
        service = project.service(svc)
        if service is None or svc in session.started:
            continue
        session.started[svc] = service
        session.host_aliases.add(svc)
        _note_variant(service, session)
        argv = service.command_argv() or []
        if argv and not service.entrypoint_argv() and KEEPALIVE.match(" ".join(argv)):
            out.reasons.append(
                f"service `{svc}` only keeps a container alive for `exec`: each `exec` becomes a "
                "step in its image"
            )
            continue
        out.reasons.append(f"service `{svc}` runs as a sidecar")
        session.sidecars.append(_sidecar(service, project, session, step_env, out, where))


def _compose_note(diag: Diagnostic) -> Finding:
    """A compose warning that is not about a variable (an ignored key, a local secret kept out
    of the output, an ``env_file`` not read), at its line."""
    status: Status = "converted" if diag.rule == OBSOLETE_RULE else "partial"
    return Finding(
        status,
        f"`{diag.position.file}`: {diag.message}",
        diag.position,
        rule=diag.rule or "compose",
        action=diag.hint,
    )


def _container_env(
    service: Service,
    project: ComposeProject,
    session: ComposeSession,
    step_env: dict[str, str],
    out: ComposeOutcome,
) -> dict[str, dict[str, Any]]:
    """A container's env entries by name: its ``env_file``s and ``environment``.

    A value that comes from a file on the developer's machine (``.env``, an ``env_file``) is
    never written out: the entry reads it from ``github-secrets`` when its name (or a variable
    it is built from) looks secret, else from the ``github-vars`` ConfigMap, both optional as
    unset GitHub secrets and variables are empty; the report says what to create.
    """
    env = project.environment_of(service.name, {**session.env, **step_env})
    for diag in env.warnings:
        if f"env:{diag.position}:{diag.message}" not in session.noted:
            session.noted.add(f"env:{diag.position}:{diag.message}")
            out.findings.append(_compose_note(diag))
    entries: dict[str, dict[str, Any]] = {}
    for key, value in env.values.items():
        local = env.local.get(key)
        if local is None:
            entries[key] = {"name": key, "value": value}
            continue
        secret = looks_secret(key) or any(looks_secret(n) for n in local.names)
        store, ref = (SECRETS, "secretKeyRef") if secret else (VARS_CONFIGMAP, "configMapKeyRef")
        if secret:
            session.secrets.add(key)
        entries[key] = {
            "name": key,
            "valueFrom": {ref: {"name": store, "key": key, "optional": True}},
        }
        noted = f"local:{service.name}:{key}"
        if noted not in session.noted:
            session.noted.add(noted)
            kind = "Secret" if secret else "ConfigMap"
            create = "secret generic" if secret else "configmap"
            out.findings.append(
                Finding(
                    "converted",
                    f"`{key}` of service `{service.name}` takes its value from {local.origin}, "
                    f"a file on the developer's machine: the Task reads it from {kind} `{store}` "
                    f"(key `{key}`), and the value is not copied into the output",
                    local.origin,
                    rule="compose-local-value",
                    action=f"kubectl create {create} {store} --from-literal={key}=... (with "
                    "the other keys of the report)",
                )
            )
    return entries


def _sidecar(
    service: Service,
    project: ComposeProject,
    session: ComposeSession,
    step_env: dict[str, str],
    out: ComposeOutcome,
    where: Position,
) -> dict[str, Any]:
    sidecar: dict[str, Any] = {
        "name": dns_label(f"svc-{service.name}"),
        "image": _image_of(service, session, out, where),
    }
    if service.entrypoint_argv():
        sidecar["command"] = service.entrypoint_argv()
    if service.command_argv():
        sidecar["args"] = service.command_argv()
    env = _container_env(service, project, session, step_env, out)
    if env:
        sidecar["env"] = list(env.values())
    if service.working_dir:
        sidecar["workingDir"] = service.working_dir
    probe = _readiness(service)
    if probe:
        sidecar["readinessProbe"] = probe
    mounts = _mounts(service, session, out, where, sidecar)
    if mounts:
        sidecar["volumeMounts"] = mounts
    _resources(service, session, out, where, sidecar)
    return sidecar


def _readiness(service: Service) -> dict[str, Any] | None:
    check = service.healthcheck
    probe = check.probe() if check else None
    if check is None or probe is None:
        return None
    kind, argv = probe
    command = argv if kind == "exec" else ["/bin/sh", "-c", argv[0]]
    out: dict[str, Any] = {"exec": {"command": command}}
    if check.interval:
        out["periodSeconds"] = max(1, int(check.interval))
    if check.timeout:
        out["timeoutSeconds"] = max(1, int(check.timeout))
    if check.retries:
        out["failureThreshold"] = check.retries
    if check.start_period:
        out["initialDelaySeconds"] = int(check.start_period)
    return out


def _run_or_exec(
    call: ComposeCall,
    raw: str,
    project: ComposeProject,
    workdir: str | None,
    step_env: dict[str, str],
    session: ComposeSession,
    name: str,
    where: Position,
    out: ComposeOutcome,
) -> None:
    svc = call.service
    service = project.service(svc) if svc else None
    if service is None:
        _worse(out, "manual")
        out.reasons.append(f"service `{svc}` is not in the compose file")
        return
    sub = call.subcommand
    if sub == "exec" and svc not in session.started:
        out.reasons.append(f"`exec` into `{svc}`, which no earlier step started (`up -d`)")
        _worse(out, "partial")
    elif sub == "exec" and any(s["name"] == dns_label(f"svc-{svc}") for s in session.sidecars):
        _worse(out, "partial")
        out.reasons.append(
            f"`exec` runs in a new container with the image of `{svc}`, not inside its sidecar: "
            "only files in shared volumes are seen by both"
        )
    command_text = _tail_after(call, raw, svc or "")
    entry: list[str] = []
    if sub == "run":
        override = call.entrypoint
        entry = shlex.split(override) if override is not None else (service.entrypoint_argv() or [])
        if not command_text:
            command_text = " ".join(shlex.quote(a) for a in service.command_argv() or [])
    if not command_text and not entry:
        _worse(out, "manual")
        out.reasons.append(f"`{raw}` runs nothing this converter can see")
        return
    line = " ".join([*(shlex.quote(a) for a in entry), command_text]).strip()
    step: dict[str, Any] = {"name": name, "image": _image_of(service, session, out, where)}
    env = _container_env(service, project, session, step_env, out)
    for key, value in call.env.items():
        if value is None:
            if key in step_env:
                env[key] = {"name": key, "value": step_env[key]}
        else:
            env[key] = {"name": key, "value": value}
    binds = _bind_targets(service, project, session)
    container_dir = call.workdir or service.working_dir
    step["workingDir"] = _host_dir(container_dir, binds) if container_dir else _source(workdir)
    links = [
        f'[ -e {shlex.quote(target)} ] || ln -s "{host}" {shlex.quote(target)} 2>/dev/null || true'
        for target, host in sorted(binds.items())
    ]
    if env:
        step["env"] = list(env.values())
    user = call.user or service.user
    if user:
        uid = user.split(":")[0]
        if uid.isdigit():
            step["securityContext"] = {"runAsUser": int(uid)}
        else:
            _worse(out, "partial")
            out.reasons.append(f"user `{user}` is a name; Kubernetes needs a numeric uid")
    mounts = _mounts(service, session, out, where, step)
    if mounts:
        step["volumeMounts"] = mounts
    if session.classify is not None and session.classify(line) == "cpu":
        if service.gpu_request() is not None:
            out.reasons.append("runs without the service's GPU: the rule table classes it `cpu`")
    else:
        _resources(service, session, out, where, step)
    body = "\n".join([*links, f"exec {line}"]) if links else f"exec {line}"
    step["script"] = f"#!/bin/sh\nset -e\n{body}\n"
    out.steps.append(step)
    out.binds.append(binds)
    out.reasons.append(f"`{sub} {svc}` runs as a step in the service's image")


def _tail_after(call: ComposeCall, raw: str, service: str) -> str:
    """The command text after the service name, as written (quotes and variables kept)."""
    text = raw.strip()
    sub = call.subcommand or ""
    at = re.search(rf"(?:^|\s){re.escape(sub)}(?=\s|$)", text)
    if at is None:
        return " ".join(shlex.quote(w) for w in call.command)
    rest = text[at.end() :]
    words = _word_spans(rest)
    for start, end, word in words:
        if word == service and not _is_option_value(rest, start):
            return rest[end:].strip()
    return " ".join(shlex.quote(w) for w in call.command)


def _word_spans(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for match in re.finditer(r"""(?:[^\s'"]+|'[^']*'|"(?:\\.|[^"\\])*")+""", text):
        try:
            words = shlex.split(match.group(0))
        except ValueError:
            words = [match.group(0)]
        spans.append((match.start(), match.end(), words[0] if words else ""))
    return spans


_VALUE_OPTIONS = {"-e", "--env", "-w", "--workdir", "-u", "--user", "--entrypoint", "-v",
                  "--volume", "--name", "-p", "--publish", "-l", "--label", "--index"}  # fmt: skip


def _is_option_value(text: str, start: int) -> bool:
    before = text[:start].split()
    return bool(before) and before[-1] in _VALUE_OPTIONS


def _source(workdir: str | None) -> str:
    if not workdir:
        return SOURCE
    return workdir if workdir.startswith("/") else f"{SOURCE}/{workdir}"


def _bind_targets(
    service: Service, project: ComposeProject, session: ComposeSession
) -> dict[str, str]:
    """Container path -> host path in the source workspace, for bind mounts of the checkout."""
    root = session.repo_root
    out: dict[str, str] = {}
    if root is None:
        return out
    project_dir = project.project_dir
    for mount in service.volumes:
        if mount.type != "bind" or not mount.source:
            continue
        source = Path(mount.source)
        host = source if source.is_absolute() else (project_dir / source)
        try:
            rel = host.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        out[mount.target.rstrip("/") or "/"] = SOURCE if rel == "." else f"{SOURCE}/{rel}"
    return out


def _in_checkout(source: str, session: ComposeSession) -> bool:
    """Whether a bind mount's host path is inside the repository (then the checkout has it)."""
    if session.repo_root is None or source.startswith("~"):
        return False
    path = Path(source)
    if not path.is_absolute():
        return not source.startswith("..")  # relative to the compose file, in the repository
    try:
        path.resolve().relative_to(session.repo_root.resolve())
    except ValueError:
        return False
    return True


def _host_dir(container_dir: str, binds: dict[str, str]) -> str:
    for target in sorted(binds, key=len, reverse=True):
        if container_dir == target or container_dir.startswith(target.rstrip("/") + "/"):
            rest = container_dir[len(target) :].lstrip("/")
            return posixpath.join(binds[target], rest) if rest else binds[target]
    return container_dir


def _mounts(
    service: Service,
    session: ComposeSession,
    out: ComposeOutcome,
    where: Position,
    container: dict[str, Any],
) -> list[dict[str, Any]]:
    mounts: list[dict[str, Any]] = []
    if service.shm_size:
        vol = dns_label(f"shm-{service.name}")
        session.volumes[vol] = {
            "name": vol,
            "emptyDir": {"medium": "Memory", "sizeLimit": _quantity(service.shm_size)},
        }
        mounts.append({"name": vol, "mountPath": "/dev/shm"})
    for mount in service.volumes:
        named = mount.named_volume
        if mount.type == "volume" and named:
            vol = dns_label(f"vol-{named}")
            session.volumes[vol] = {"name": vol, "emptyDir": {}}
            entry: dict[str, Any] = {"name": vol, "mountPath": mount.target}
            if mount.read_only:
                entry["readOnly"] = True
            mounts.append(entry)
        elif mount.type == "tmpfs":
            vol = dns_label(f"tmp-{service.name}-{mount.target}")
            session.volumes[vol] = {"name": vol, "emptyDir": {"medium": "Memory"}}
            mounts.append({"name": vol, "mountPath": mount.target})
        elif mount.type == "bind" and mount.source and not _in_checkout(mount.source, session):
            _note(
                session,
                out,
                Finding(
                    "partial",
                    f"compose service `{service.name}` mounts the host's `{mount.source}` at "
                    f"`{mount.target}`: Tekton pods get no host paths (a Docker socket, `/etc` "
                    "or `/` would hand the node to the job), so it is not there",
                    where,
                    rule="compose-host-mount",
                    action="put what it needs in the checkout or the image; talk to a build "
                    "service instead of the Docker socket",
                ),
            )
    if service.ipc == "host":
        _note(
            session,
            out,
            Finding(
                "partial",
                f"compose service `{service.name}` uses `ipc: host`: a pod does not share the "
                "node's IPC namespace; shared memory comes from the /dev/shm volume instead",
                where,
                rule="compose-ipc",
                action="size /dev/shm with `shm_size` if the workload needs more shared memory",
            ),
        )
    if service.privileged or service.cap_add or (service.devices and not service.gpu_request()):
        _note(
            session,
            out,
            Finding(
                "manual",
                f"compose service `{service.name}` needs privileges, capabilities or host "
                "devices: a pod gets them only through a securityContext the cluster allows",
                where,
                rule="compose-privileges",
                action="add the securityContext your cluster's policy permits, after review",
            ),
        )
    container.setdefault("name", "")
    return mounts


def _note(session: ComposeSession, out: ComposeOutcome, finding: Finding) -> None:
    _worse(out, finding.status)
    if finding.message not in session.noted:
        session.noted.add(finding.message)
        out.findings.append(finding)


def _resources(
    service: Service,
    session: ComposeSession,
    out: ComposeOutcome,
    where: Position,
    container: dict[str, Any],
) -> None:
    request = service.gpu_request()
    if request is None:
        return
    count = 1 if request == "all" else int(request)
    if request == "all":
        _note(
            session,
            out,
            Finding(
                "partial",
                f"compose service `{service.name}` asks for all GPUs of the machine; the step "
                "requests 1 (`nvidia.com/gpu`)",
                where,
                rule="compose-gpu",
                action="set the count the job needs (compose `count: N`) and convert again",
            ),
        )
    devices = _gpu_devices(service)
    if any(d.device_ids for d in devices):
        _note(
            session,
            out,
            Finding(
                "partial",
                f"compose service `{service.name}` picks GPUs by `device_ids`; Kubernetes gives "
                f"any {count} GPU(s) of the node",
                where,
                rule="compose-gpu",
                action="select the GPU model with a node selector in your runners rule",
            ),
        )
    amount = str(count)
    container["computeResources"] = {
        "requests": {GPU_RESOURCE: amount},
        "limits": {GPU_RESOURCE: amount},
    }
    session.gpu = max(session.gpu, count)


def _gpu_devices(service: Service) -> list[Any]:
    deploy = service.deploy
    if deploy is None or deploy.resources is None or deploy.resources.reservations is None:
        return []
    return list(deploy.resources.reservations.devices)


def _quantity(size: int) -> str:
    """Bytes as a Kubernetes quantity, exact and readable (2147483648 -> 2Gi)."""
    for suffix, factor in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if size % factor == 0:
            return f"{size // factor}{suffix}"
    return str(size)
