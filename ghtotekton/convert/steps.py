"""One GitHub Actions step -> Tekton step(s), through the rule table.

``run`` steps keep their script; their expressions become env vars (see convert/expressions.py).
``uses`` steps go through the rules: a template step, a catalog StepAction, the job image, a drop
with its reason, or a manual stub that keeps the inputs and fails loudly until a person acts.
Local composite actions are inlined, step by step.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ghtotekton.compose import ComposeCall, parse_compose_calls
from ghtotekton.convert import expressions as cx
from ghtotekton.convert.compose_steps import SOURCE, ComposeSession, convert_compose_run
from ghtotekton.convert.findings import Finding, Status, StepOutcome, worst
from ghtotekton.convert.github_bundle import STEP_IDS as BUNDLE_STEP_IDS
from ghtotekton.convert.image_variants import matrix_env
from ghtotekton.convert.matrix_images import ImageRule
from ghtotekton.convert.naming import dns_label, env_name, unique
from ghtotekton.convert.notebooks import (
    COPIES,
    NotebookCopy,
    container_path,
    copy_trap,
    host_path,
    notebook_results,
    outputs_in,
    with_inline_notebook_results,
    with_notebook_results,
)
from ghtotekton.convert.root_steps import RootScript, as_root, needs_run_as_root
from ghtotekton.convert.rules import (
    LoadedRule,
    RuleSet,
    TemplateContext,
    input_env_name,
    render,
    render_step,
)
from ghtotekton.convert.secret_scope import SECRETS, VARS_CONFIGMAP
from ghtotekton.errors import InputError, Position
from ghtotekton.github import expressions as ex
from ghtotekton.github import model as m
from ghtotekton.github.repository import Repository
from ghtotekton.github.uses import UsesError, parse_uses
from ghtotekton.tekton.leftovers import expressions_left

GHT_DIR = cx.GHT_DIR
STUB_IMAGE = "docker.io/library/busybox:1.36"
PYTHON_IMAGE = "docker.io/library/python:3.12-slim"
PWSH_IMAGE = "mcr.microsoft.com/powershell:7.4-ubuntu-22.04"
PYTHON_SHELL_IMAGE = "docker.io/library/python:3.12-slim"
"""``shell: python`` where the job image is not a Python image: GitHub's runner has python3."""


@dataclass(slots=True)
class StepContext:
    """What the step converter needs from its job."""

    job_id: str
    rules: RuleSet
    repo: Repository | None
    scope: cx.Scope
    default_shell: str | None
    default_workdir: str | None
    job_image: str
    step_names: set[str] = field(default_factory=set)
    image_from_rule: str | None = None
    """Set by an ``image`` rule (setup-python ...): the job image the converter should use."""
    workspaces: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    depth: int = 0
    track_status: bool = False
    """GitHub step status semantics are needed (some step runs on always()/failure()): every
    step continues on error and decides from the earlier steps' exit codes whether to run."""
    must_succeed: list[str] = field(default_factory=list)
    """Tekton steps so far whose failure fails the job (not continue-on-error)."""
    results: list[dict[str, Any]] = field(default_factory=list)
    """Task results steps write besides job outputs (papermill's output notebook and timing)."""
    compose: ComposeSession | None = None
    """``docker compose`` state of the job: started services, sidecars, volumes, GPUs."""
    notebooks: list[NotebookCopy] = field(default_factory=list)
    """Executed notebooks the job writes, for the GitHub side of the shadow comparison."""
    notebook_folder: str = COPIES
    """Where in the artifacts workspace this job copies them (``notebooks.cell_folder``)."""
    remote_later: bool = True
    """A later step of the job talks to a git remote (``git_remote.later_remote_use``); set per
    step by the job, and left True where nobody knows (a composite's own steps)."""
    image_rule: ImageRule | None = None
    """The ``image`` rule, when its inputs read the matrix: each cell may need its own image."""


@dataclass(slots=True)
class Converted:
    steps: list[dict[str, Any]]
    outcome: StepOutcome


def convert_step(step: m.Step, index: int, ctx: StepContext) -> list[Converted]:
    """Convert one step; a local composite action yields one Converted per inlined step."""
    outer_env = ctx.scope.step_env
    ctx.scope.step_env = frozenset(step.env) if isinstance(step.env, dict) else frozenset()
    try:
        converted = _convert_step(step, index, ctx)
    finally:
        ctx.scope.step_env = outer_env
    own = [k for k in step.env if _ENV_NAME.match(k)] if isinstance(step.env, dict) else []
    for item in converted:
        for out in item.steps:
            if not apply_shell_values(out):
                item.outcome.status = worst([item.outcome.status, "partial"])
                reason = "an input needs a value only a shell can compute, and the step has none"
                item.outcome.reason = "; ".join(r for r in (item.outcome.reason, reason) if r)
            _keep_own_env(out, own)
            _fail_closed(out, item.outcome, ctx)
    if ctx.track_status:
        for item in converted:
            for out in item.steps:
                out.setdefault("onError", "continue")
                if step.continue_on_error is not True:
                    ctx.must_succeed.append(out["name"])
                if "script" not in out or not out["script"].startswith("#!/"):
                    ctx.findings.append(
                        Finding(
                            "partial",
                            f"step `{item.outcome.label}` cannot check the earlier steps' status:"
                            " it also runs after a failure",
                            item.outcome.position,
                        )
                    )
    return converted


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _fail_closed(out: dict[str, Any], outcome: StepOutcome, ctx: StepContext) -> None:
    """A step that would still read a GitHub expression as text (no Tekton, shell or param form
    was found for it) does not run with that text: it fails with its reason, its script kept in
    a comment for the person who finishes it, so a wrong value never passes silently."""
    left = stub_leftovers(out)
    if not left:
        return
    shown = ", ".join(f"`{_unexpressed(v)[:80]}`" for v in left[:3])
    reason = (
        f"it still reads {shown}, which has no Tekton form: the step fails until a person writes it"
    )
    outcome.status = "manual"
    outcome.reason = "; ".join(r for r in (outcome.reason, reason) if r)
    ctx.findings.append(Finding("manual", f"step `{outcome.label}`: {reason}", outcome.position))


def stub_leftovers(out: dict[str, Any]) -> list[str]:
    """Make a converted step that still holds GitHub expressions fail instead of running with
    their text (see ``_fail_closed``); the expressions it held, none when it is left as it is."""
    left = [text.strip() for _, text in expressions_left(out)]
    if not left:
        return []
    # `$ (` in the comment: Tekton would put a param's value (newlines and all) into the script
    script = str(out.get("script", ""))
    body = [f"#   {_unexpressed(line).replace('$(', '$ (')}" for line in script.splitlines()]
    lines = [
        "#!/bin/sh",
        "# ghtotekton: this step reads GitHub expressions that have no Tekton form",
        "# (shown as {{ }}); see migration-report.md. Its script as converted:",
        *body,
        f"echo 'ghtotekton: step {out['name']} needs a person: see migration-report.md' >&2",
        "exit 1",
    ]
    out["script"] = "\n".join(lines) + "\n"
    out["env"] = [e for e in out.get("env", []) if "${{" not in str(e.get("value", ""))]
    if not out["env"]:
        del out["env"]
    for key in ("image", "workingDir"):
        if "${{" in str(out.get(key, "")):
            del out[key]
    for key in ("args", "command"):
        out.pop(key, None)
    return left


def _keep_own_env(out: dict[str, Any], own: list[str]) -> None:
    """Name the step's own env on its ``ght_load_env`` line, so what earlier steps wrote to
    ``$GITHUB_ENV`` does not replace it (on GitHub a step's ``env:`` wins; a job's does not).
    Entries only the shell computes are exported after that line and win anyway."""
    plain = [e["name"] for e in out.get("env") or [] if e["name"] in own and SHELL_VALUE not in e]
    if not plain or "script" not in out:
        return
    lines = out["script"].split("\n")
    for i, line in enumerate(lines):
        if _is_load_line(line):
            kept = line.removeprefix(cx.LOAD_ENV).split()
            lines[i] = " ".join([cx.LOAD_ENV, *kept, *(n for n in plain if n not in kept)])
            out["script"] = "\n".join(lines)
            return


def job_image_note(image: str) -> str:
    """The note of a step whose rule chose the job image (``matrix_images.py`` rewrites it when
    each matrix combination gets its own)."""
    return f"became the job image {image}"


def outcome_command(name: str, soft: bool) -> str:
    """Shell that prints GitHub's ``steps.<id>.outcome`` (``conclusion`` when ``soft``: the step
    continues on error) of the Tekton step ``name`` of this task, from its exit-code file."""
    command = f'ght_outcome {name} "$(steps.step-{name}.exitCode.path)"'
    return f"{command} soft" if soft else command


def failed_check(ctx: StepContext) -> str:
    """Shell test: did a step that had to succeed fail earlier? (Tekton keeps exit codes.)"""
    if not ctx.must_succeed:
        return "false"
    paths = " ".join(f'"$(steps.step-{name}.exitCode.path)"' for name in ctx.must_succeed)
    return f"ght_failed {paths}"


def _convert_step(step: m.Step, index: int, ctx: StepContext) -> list[Converted]:
    where = step.pos or Position("?")
    label = step.label(index)
    if step.id in BUNDLE_STEP_IDS:
        reason = "the GitHub side of the shadow comparison; the Tekton run publishes its own bundle"
        return [
            Converted([], StepOutcome(index, label, where, "dropped", "shadow-compare", reason))
        ]
    if step.run is not None:
        return [_run_step(step, index, label, where, ctx)]
    assert step.uses is not None
    try:
        ref = parse_uses(step.uses)
    except UsesError as exc:
        return [_stub(step, index, label, where, ctx, "unsupported", "", str(exc))]
    if ref.kind == "local":
        return _local_action(step, index, label, where, ctx, ref.path)
    if ref.kind == "docker":
        return [_docker_step(step, index, label, where, ctx, ref.image)]
    rule = ctx.rules.match_uses(ref)
    if rule is None:
        reason = (
            f"no rule for `{ref.name}`: review what it does and add a rule "
            "(mappings/*.yaml, --mappings) or a step"
        )
        return [_stub(step, index, label, where, ctx, "manual", "", reason)]
    return [_rule_step(step, index, label, where, ctx, rule)]


# --- run steps ---------------------------------------------------------------------------------


def _shell_kind(shell: str | None) -> tuple[str, str, str | None]:
    """(kind, shebang line, image override) for GitHub's ``shell`` values."""
    if shell is None:
        return "sh", "#!/usr/bin/env bash\nset -e", None
    word = shell.split()[0] if shell.split() else ""
    if shell == "bash":
        return "sh", "#!/usr/bin/env bash\nset -eo pipefail", None
    if shell == "sh":
        return "sh", "#!/bin/sh\nset -e", None
    if shell == "python":
        return "python", "#!/usr/bin/env python3", None
    if shell in ("pwsh", "powershell"):
        return "pwsh", "#!/usr/bin/env pwsh\n$ErrorActionPreference = 'stop'", PWSH_IMAGE
    if word == "bash" and "{0}" in shell:
        # e.g. `bash -el {0}` (login shell, as conda setups use): keep the flags.
        flags = " ".join(w for w in shell.split()[1:] if w != "{0}")
        return "sh", f"#!/usr/bin/env -S bash {flags}".rstrip(), None
    if "{0}" in shell and word.lower() not in WINDOWS_SHELLS:
        return "wrapped", "#!/usr/bin/env bash\nset -e", None
    return "custom", "", None


WINDOWS_SHELLS = frozenset({"cmd", "cmd.exe", "powershell", "powershell.exe"})
"""Shells only a Windows runner has."""


def _wrapped(shell: str, text: str) -> str:
    """A ``shell: perl {0}`` step as GitHub runs it: the script in a file, the command with
    ``{0}`` as that file's path (the program comes from the step's image)."""
    delimiter = "GHT_SCRIPT_EOF"
    while delimiter in text:
        delimiter += "_"
    command = shell.replace("{0}", '"$ght_script"')
    return "\n".join(
        [
            'ght_script="$(mktemp)"',
            f"cat > \"$ght_script\" <<'{delimiter}'",
            text.rstrip("\n"),
            delimiter,
            command,
        ]
    )


def _run_step(step: m.Step, index: int, label: str, where: Position, ctx: StepContext) -> Converted:
    shell = step.shell or ctx.default_shell
    kind, shebang, image = _shell_kind(shell)
    status: Status = "converted"
    reasons: list[str] = []
    before = len(ctx.scope.problems)
    ctx.scope.status = status_tests(ctx)
    # a wrapped script is the program's text, which no shell reads: values are pasted
    as_text = "custom" if kind == "wrapped" else kind
    translated = cx.translate_script(step.run or "", ctx.scope, shell_kind=as_text)
    if kind == "wrapped":
        status = "partial"
        program = (shell or "").split()[0]
        reasons.append(f"`shell: {shell}` runs `{program}` from the step's image: it must have it")
        translated.text = _wrapped(shell or "", translated.text)
    if kind == "custom":
        status = "partial"
        reasons.append(f"custom shell `{shell}`: the script runs with bash; check the command")
        shebang = "#!/usr/bin/env bash\nset -e"
    lines = [shebang]
    guard = ""
    current = image or ctx.image_from_rule or ctx.job_image
    matched = command_rules(step.run or "", ctx)
    rooted = _as_root(matched, translated, current) if kind == "sh" else None
    if kind in ("sh", "wrapped"):
        lines.append(cx.LOAD_ENV)
        lines.extend(line for line in translated.prelude if line != cx.LOAD_ENV)
        guard = _guard(step, ctx)
        if guard:
            lines.extend(line for line in guard.split("\n") if line != cx.LOAD_ENV)
        if kind == "sh" and ctx.compose is not None and "compose" in (step.run or ""):
            calls = parse_compose_calls(translated.text)
            if calls:
                return _compose_run(step, index, label, where, ctx, calls, translated, guard)
        if kind == "sh" and ("papermill" in translated.text or "nbconvert" in translated.text):
            trap = _host_notebooks(step, label, where, translated.text, ctx)
            if trap:
                lines.append(trap)
    elif step.if_ is not None and not _always_true(step.if_):
        del ctx.scope.problems[before:]
        reason = (
            f"`if:` on a `{shell}` step cannot be tested before it runs; it must not run unguarded"
        )
        return _stub(step, index, label, where, ctx, "manual", "run", reason)
    script = "\n".join(lines) + "\n" + translated.text.rstrip("\n") + "\n"
    problems = ctx.scope.problems[before:]
    if problems:
        status = "partial"
        reasons.extend(f"`{p.source}`: {p.reason}" for p in problems)
    if refused(guard):
        status = "manual"
        reasons.append("its `if:` is not translated: the step fails instead of running unguarded")
    for rule in matched:
        emit = rule.rule.emit
        if emit.root and rooted is not None and not rooted.problems:
            status = worst([status, "partial"])
            reasons.append(f"[{rule.id}] {emit.root.strip()}")
        elif emit.root:
            why = "; ".join(rooted.problems) if rooted is not None else "the script is not bash"
            status = worst([status, "manual"])
            reasons.append(f"[{rule.id}] {why}: install what it needs in the job image")
            ctx.findings.append(Finding("manual", f"step `{label}`: {why}", where, rule.id))
        if emit.manual:
            status = worst([status, "manual"])
            reasons.append(f"[{rule.id}] {emit.manual.strip()}")
            ctx.findings.append(
                Finding("manual", f"step `{label}`: {emit.manual.strip()}", where, rule.id)
            )
    name = unique(dns_label(step.id or step.name or f"run-{index + 1}"), ctx.step_names)
    out: dict[str, Any] = {"name": name}
    if image:
        out["image"] = image
    elif kind == "python":
        current = ctx.image_from_rule or ctx.job_image
        if not current.startswith(("docker.io/library/python", "docker.io/library/pypy")):
            out["image"] = PYTHON_SHELL_IMAGE
            status = "partial"
            reasons.append(f"`shell: python` runs in {PYTHON_SHELL_IMAGE}, not the job image")
    workdir = step.working_directory or ctx.default_workdir
    if workdir:
        out["workingDir"] = _workdir(workdir, ctx)
    env = _step_env(step, ctx, name)
    if env:
        out["env"] = env
    out["script"] = script
    if rooted is not None and not rooted.problems and needs_run_as_root(current):
        out["securityContext"] = {"runAsUser": 0}
    _apply_step_flags(step, out, ctx)
    rule_ids = ", ".join(
        ["run", *(r.id for r in matched if r.rule.emit.manual or r.rule.emit.root)]
    )
    outcome = StepOutcome(index, label, where, status, rule_ids, "; ".join(reasons), None, name)
    return Converted([out], outcome)


def _as_root(
    matched: list[LoadedRule], translated: cx.ScriptTranslation, image: str
) -> RootScript | None:
    """For a script a ``root`` rule matches (``sudo``, ``apt-get install``): its text with
    ``sudo`` removed and the package lists fetched first, put in ``translated``; None when no
    such rule matches or the script is not one the shell runs. With problems, nothing changes
    (the step is manual)."""
    if not any(r.rule.emit.root for r in matched):
        return None
    rooted = as_root(translated.text, image)
    if not rooted.problems:
        translated.text = rooted.text
        translated.prelude.extend(line for line in rooted.prelude if line not in translated.prelude)
    return rooted


def _host_notebooks(
    step: m.Step, label: str, where: Position, script: str, ctx: StepContext
) -> str | None:
    """Notebooks a script executes on the runner (papermill, ``nbconvert --execute``): a trap
    copies them into the artifacts workspace, as the compose form does, and the GitHub side
    learns where they are."""
    tekton_form = outputs_in(script)
    if not tekton_form:
        return None
    github_form = outputs_in(step.run or "")
    workdir = step.working_directory or ctx.default_workdir
    if len(github_form) != len(tekton_form):
        for written in tekton_form:
            why = "its path could not be read back from the workflow's text"
            ctx.notebooks.append(NotebookCopy(written, None, label, where, why))
    for written in github_form if len(github_form) == len(tekton_form) else []:
        path = host_path(written, workdir)
        ok = "$(" not in path and not path.startswith("../")
        why = "" if ok else "its path is computed by the shell (`$(...)`) or leaves the checkout"
        ctx.notebooks.append(NotebookCopy(written, path if ok else None, label, where, why))
    trap = copy_trap(tekton_form, ctx.notebook_folder)
    if trap is not None:
        ctx.workspaces.add("artifacts")
    return trap


def _compose_run(
    step: m.Step,
    index: int,
    label: str,
    where: Position,
    ctx: StepContext,
    calls: list[ComposeCall],
    translated: cx.ScriptTranslation,
    guard: str,
) -> Converted:
    """A ``run:`` of ``docker compose`` calls: steps in the services' images, or a manual stub."""
    assert ctx.compose is not None
    name = unique(dns_label(step.id or step.name or f"run-{index + 1}"), ctx.step_names)
    workdir = step.working_directory or ctx.default_workdir
    static_env = {
        k: m.scalar_text(v)
        for k, v in (step.env.items() if isinstance(step.env, dict) else [])
        if "${{" not in m.scalar_text(v)
    }
    outer_matrix_env = dict(ctx.compose.matrix_env)
    ctx.compose.matrix_env.update(matrix_env(step.env if isinstance(step.env, dict) else {}))
    try:
        result = convert_compose_run(
            calls, translated.text, workdir, static_env, ctx.compose, name, where
        )
    finally:
        ctx.compose.matrix_env = outer_matrix_env
    if result is None:
        reason = (
            "the script mixes `docker compose` with other commands and a pod has no Docker "
            "daemon: split it into steps that only call compose, or run the commands as steps"
        )
        ctx.step_names.discard(name)  # the stub takes the step's own name
        return _stub(step, index, label, where, ctx, "manual", "compose", reason)
    ctx.findings.extend(result.findings)
    host_env = _step_env(step, ctx, name)
    github_form = iter(outputs_in(step.run or ""))
    steps: list[dict[str, Any]] = []
    for i, out in enumerate(result.steps):
        if i:
            out["name"] = unique(out["name"], ctx.step_names)
        service_env = out.pop("env", [])
        out["env"] = _merge_env(host_env, service_env)
        if guard or translated.prelude:
            prelude = "\n".join([f". {GHT_DIR}/lib.sh", *translated.prelude, guard]).strip()
            body = out["script"].split("\n", 2)[2]
            out["script"] = f"#!/usr/bin/env bash\nset -e\n{prelude}\n{body}"
        _apply_step_flags(step, out, ctx)
        if result.mixed:
            out["script"], runs = with_inline_notebook_results(
                out["script"], _suffixes(ctx), ctx.notebook_folder
            )
            for written_here, folder in runs:
                written = next(github_form, None) or written_here
                found = container_path(written, folder, result.binds[i], SOURCE)
                _note_notebook(ctx, written, found, label, where)
            steps.append(out)
            continue
        suffix = f"-{len(ctx.results) // 2 + 1}" if ctx.results else ""
        last_line = out["script"].rstrip().split("\n")[-1]
        recorded = with_notebook_results(out["script"], last_line, suffix, ctx.notebook_folder)
        if recorded is not None:
            out["script"] = recorded
            ctx.results.extend(notebook_results(suffix))
            ctx.workspaces.add("artifacts")
            tekton_form = outputs_in(last_line)
            written = next(github_form, None) or (tekton_form[0] if tekton_form else "")
            found = container_path(written, out.get("workingDir", ""), result.binds[i], SOURCE)
            _note_notebook(ctx, written, found, label, where)
        steps.append(out)
    status: Status = "dropped" if result.dropped_only else result.status
    reasons = "; ".join(result.reasons)
    tekton = steps[0]["name"] if steps else ""
    outcome = StepOutcome(index, label, where, status, "compose", reasons, None, tekton)
    return Converted(steps, outcome)


def _suffixes(ctx: StepContext) -> Iterator[str]:
    """Result-name suffixes for the next notebook runs of the Task ("" first, then -2, -3 ...):
    each call records its two results before the next suffix is drawn."""
    while True:
        suffix = f"-{len(ctx.results) // 2 + 1}" if ctx.results else ""
        ctx.results.extend(notebook_results(suffix))
        ctx.workspaces.add("artifacts")
        yield suffix


def _note_notebook(
    ctx: StepContext, written: str, found: str | None, label: str, where: Position
) -> None:
    """Where the GitHub job finds a notebook a compose step executed (for ``--shadow-compare``)."""
    if found is not None and "$(" in found:
        found = None  # a Tekton reference: not a path the GitHub job can name
    why = (
        ""
        if found is not None
        else "it stays inside the service's container (no bind mount of the checkout holds it)"
    )
    ctx.notebooks.append(NotebookCopy(written, found, label, where, why))


def _merge_env(host: list[dict[str, Any]], container: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The container's variables win, as in the service; the host's feed the command's text."""
    names = {e["name"] for e in container}
    return [e for e in host if e["name"] not in names] + container


def command_rules(script: str, ctx: StepContext) -> list[LoadedRule]:
    """``run`` rules whose command the script contains, outside of comment lines."""
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    return ctx.rules.match_run(code)


def _always_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip() in ("true", "${{ true }}"))


def _workdir(path: str, ctx: StepContext) -> str:
    if "${{" in path:
        translated = cx.translate_script(path, ctx.scope)
        path = translated.text
    if path.startswith("/") or path.startswith("$("):
        return path
    return f"$(workspaces.source.path)/{path}"


def status_tests(ctx: StepContext) -> dict[str, str]:
    """The bash test of each status function at the step being converted: with status
    tracking, ``failure()`` reads the exit codes of the steps before it."""
    status = dict(cx.DEFAULT_STATUS)
    if ctx.track_status:
        failed = failed_check(ctx)
        status.update({"success": f"! {failed}", "failure": failed})
    return status


def _guard(step: m.Step, ctx: StepContext) -> str:
    """A guarded start for ``if:``: GitHub's condition, tested by the shell before the script.

    With status tracking, a step without ``if:`` means ``success()``: it skips itself when an
    earlier step failed, as GitHub does.
    """
    failed = failed_check(ctx)
    status = status_tests(ctx)
    if step.if_ is None or _always_true(step.if_):
        if ctx.track_status and ctx.must_succeed:
            return f'if {failed}; then ght_skip "an earlier step failed"; fi'
        return ""
    text = step.if_ if isinstance(step.if_, str) else m.scalar_text(step.if_)
    try:
        node = ex.parse_if(text)
    except ex.ExpressionError as exc:
        return _refusal(step, ctx, text, f"it does not parse ({exc})")
    statuses = cx.status_calls(node)
    prelude: list[str] = []
    before = len(ctx.scope.problems)
    test = cx.shell_condition(node, ctx.scope, prelude, status)
    if test is None:
        why = "; ".join(p.reason for p in ctx.scope.problems[before:]) or "it has no shell test yet"
        del ctx.scope.problems[before:]
        return _refusal(step, ctx, text, why)
    if not statuses:  # GitHub adds `success() &&` to a condition without a status function
        test = f"{status['success']} && {{ {test}; }}" if ctx.track_status else test
    if "cancelled" in statuses:
        ctx.findings.append(
            Finding(
                "partial",
                f"step `{step.label(0)}`: `cancelled()` is never true on Tekton (a cancelled "
                "TaskRun stops its pod)",
                step.pos or Position("?"),
            )
        )
    # The condition as its canonical text: without `${{`, which only GitHub reads.
    skip = f'if ! {{ {test}; }}; then ght_skip "if: {cx.in_double_quotes(ex.unparse(node))}"; fi'
    return "\n".join([*prelude, skip])


REFUSAL = "exit 1  # ghtotekton: the step's if: is not translated"
"""The last words of the guard of a step whose condition the converter could not translate."""


def _refusal(step: m.Step, ctx: StepContext, text: str, why: str) -> str:
    """A guard that fails the step, with the reason, where ``if:`` could not be translated: a
    dropped condition would run the step for every event and actor (a guarded deploy for
    anyone); failing closed makes the gap visible until a person writes the condition."""
    label = step.label(0)
    ctx.findings.append(
        Finding(
            "manual",
            f"step `{label}`: its condition `{text.strip()}` is not translated ({why}); the "
            "step fails instead of running unguarded",
            step.pos or Position("?"),
            action="write the condition as a shell test at the top of the step's script",
        )
    )
    where = f" (line {step.pos.line})" if step.pos is not None else ""
    # Not the condition's text: Tekton would substitute a `$(params.x)` it holds in the script.
    message = f"ghtotekton: the step's if:{where} is not translated; see migration-report.md"
    return f'echo "{message}" >&2; {REFUSAL}'


def refused(guard: str) -> bool:
    """Whether a guard is the refusal of an untranslated condition."""
    return guard.endswith(REFUSAL)


def _step_env(step: m.Step, ctx: StepContext, name: str) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [{"name": "GITHUB_OUTPUT", "value": f"{GHT_DIR}/outputs/{name}"}]
    if isinstance(step.env, dict):
        env.extend(env_entries(step.env, ctx.scope, shell=True))
    elif isinstance(step.env, str):
        ctx.scope.problems.append(cx.Untranslatable(step.env, "`env:` given as one expression"))
    return env


def env_entries(
    values: dict[str, m.Scalar], scope: cx.Scope, *, shell: bool = False
) -> list[dict[str, Any]]:
    """``env:`` mapping -> Tekton env entries; expressions become param substitutions or refs."""
    out: list[dict[str, Any]] = []
    for key, raw in values.items():
        out.append(env_entry(key, m.scalar_text(raw), scope, shell=shell))
    return out


def env_entry(key: str, text: str, scope: cx.Scope, *, shell: bool = False) -> dict[str, Any]:
    """One env var whose value may hold expressions.

    A whole-value secret or config reference becomes ``valueFrom``; other references become
    Tekton substitutions (params are data here, never script text). With ``shell`` (a step's
    own env), a value that only a shell can compute is left for ``apply_shell_values``.
    """
    text = cx.link_runs(text)
    found = ex.find_expressions(text)
    if not found:
        return {"name": key, "value": text}
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(text) and found[0].node:
        path = cx.reference_path(found[0].node)
        if path is not None:
            src = scope.source_of(path)
            if isinstance(src, cx.Source) and src.kind in ("secret", "configmap"):
                return value_from(key, src)
    if shell and any(_needs_shell(item, scope, key) for item in found):
        deferred = _shell_entry(key, text, found, scope)
        if deferred is not None:
            return deferred
    parts: list[str] = []
    last = 0
    for item in found:
        parts.append(text[last : item.start])
        last = item.end
        value = _env_value(item, scope)
        parts.append(value if value is not None else text[item.start : item.end])
    parts.append(text[last:])
    return {"name": key, "value": "".join(parts)}


def param_text(text: str, scope: cx.Scope) -> str | None:
    """``text`` with each expression as the Tekton param that carries it, for fields Tekton
    substitutes but no shell reads (a step's ``image``); None when one has no param form
    (a computed value, an env var: Kubernetes expands no ``$(VAR)`` in an image)."""
    parts: list[str] = []
    last = 0
    for item in ex.find_expressions(text):
        parts.append(text[last : item.start])
        last = item.end
        if item.node is None:
            return None
        if isinstance(item.node, ex.Literal):
            parts.append(ex.to_string(item.node.value))
            continue
        path = cx.reference_path(item.node)
        src = scope.source_of(path) if path is not None else None
        if isinstance(src, cx.Source) and src.kind == "param":
            parts.append(f"$(params.{src.param})")
        elif isinstance(src, cx.Source) and src.kind == "literal" and "$" not in src.text:
            parts.append(src.text)
        else:
            return None
    parts.append(text[last:])
    return "".join(parts)


SHELL_VALUE = "ght-shell"
"""Key of an env entry whose value only the step's shell can compute (see ``_shell_entry``)."""


def _needs_shell(item: ex.Embedded, scope: cx.Scope, key: str) -> bool:
    """A value no env entry can hold: an earlier step's output, a secret inside a string, an
    ``a || b`` default, or a variable only ``$GITHUB_ENV`` sets (``key: ${{ env.key }}`` is
    the value before this step's own)."""
    if item.node is None or isinstance(item.node, ex.Literal):
        return False
    path = cx.reference_path(item.node)
    if path is None:
        return True  # computed (`a && b || c`, a comparison, a function): only a shell can
    src = scope.resolve(path)
    if not isinstance(src, cx.Source):
        return False
    if src.kind == "env":
        own = scope.step_env
        return src.late and own is not None and (src.env == key or src.env not in own)
    return src.kind in ("runtime", "secret", "configmap")


def _shell_entry(
    key: str, text: str, found: list[ex.Embedded], scope: cx.Scope
) -> dict[str, Any] | None:
    """An env var the step's script sets before its own text runs: ``export KEY="..."`` with the
    same ``${VAR}`` forms scripts use (earlier steps' outputs read from their ``$GITHUB_OUTPUT``
    files, secrets from their env). None when a part has no shell form either."""
    problems = len(scope.problems)
    word = _shell_word(text, found, scope)
    if word is None:
        del scope.problems[problems:]
        return None
    return {"name": key, SHELL_VALUE: word, "value": text}


def _shell_word(
    text: str, found: list[ex.Embedded], scope: cx.Scope
) -> tuple[str, list[str]] | None:
    """``text`` with its expressions as the shell forms scripts use, for inside double quotes,
    and the prelude lines that compute them; None when one has no shell form."""
    prelude: list[str] = []
    parts: list[str] = []
    last = 0
    for item in found:
        parts.append(cx.in_double_quotes(text[last : item.start]))
        last = item.end
        value = cx.shell_value(item.node, scope, prelude) if item.node is not None else None
        if value is None:
            return None
        parts.append(value)
    parts.append(cx.in_double_quotes(text[last:]))
    return "".join(parts), prelude


def apply_shell_values(step: dict[str, Any], *, job_level: bool = False) -> bool:
    """Move the env entries only a shell can compute into the step's script, right after its
    shebang and ``set`` lines; False when the step has no shell script to put them in (the
    entries then keep the workflow's text, for a finding).

    A step's own entries go after the line that loads ``$GITHUB_ENV`` (on GitHub a step's
    ``env:`` wins over it); ``job_level`` ones before it (``$GITHUB_ENV`` wins over the job's)."""
    env = step.get("env") or []
    deferred = [e for e in env if SHELL_VALUE in e]
    if not deferred:
        return True
    lines = _shell_lines(step)
    if lines is None:
        for entry in deferred:
            del entry[SHELL_VALUE]
        return False
    # After the runner's env file: the step's own env wins over `$GITHUB_ENV`, as on GitHub,
    # and a value that reads a variable an earlier step wrote there finds it.
    at, loaded = _top(lines, after_load=not job_level)
    added: list[str] = []
    for entry in deferred:
        word, prelude = entry.pop(SHELL_VALUE)
        for line in prelude:
            if line not in added and not (loaded and line == cx.LOAD_ENV):
                added.append(line)
        added.append(f'export {entry["name"]}="{word}"')
    if not loaded and cx.LOAD_ENV not in added and any("ght_output" in line for line in added):
        added.insert(0, f". {GHT_DIR}/lib.sh")
    step["env"] = [e for e in env if e not in deferred]
    if not step["env"]:
        del step["env"]
    step["script"] = "\n".join([*lines[:at], *added, *lines[at:]])
    return True


def value_from(key: str, src: cx.Source) -> dict[str, Any]:
    ref = "secretKeyRef" if src.kind == "secret" else "configMapKeyRef"
    store = SECRETS if src.kind == "secret" else VARS_CONFIGMAP
    return {"name": key, "valueFrom": {ref: {"name": store, "key": src.secret_key}}}


def _env_value(item: ex.Embedded, scope: cx.Scope) -> str | None:
    if item.node is None:
        scope.problems.append(cx.Untranslatable(item.source, "does not parse"))
        return None
    if isinstance(item.node, ex.Literal):
        return ex.to_string(item.node.value)
    path = cx.reference_path(item.node)
    if path is None:
        scope.problems.append(cx.Untranslatable(item.source, "computed value in `env:`"))
        return None
    src = scope.source_of(path)
    if isinstance(src, cx.Untranslatable):
        scope.problems.append(src)
        return None
    if src.kind == "literal":
        return src.text
    if src.kind == "param":
        return f"$(params.{src.param})"
    if src.kind == "env":
        return f"$({src.env})"  # Kubernetes expands $(VAR) from earlier env entries
    scope.problems.append(cx.Untranslatable(item.source, f"a {src.kind} value inside a string"))
    return None


def _apply_step_flags(step: m.Step, out: dict[str, Any], ctx: StepContext) -> None:
    if step.continue_on_error is True:
        out["onError"] = "continue"
    elif isinstance(step.continue_on_error, str):
        ctx.scope.problems.append(
            cx.Untranslatable(step.continue_on_error, "`continue-on-error` from an expression")
        )
    if isinstance(step.timeout_minutes, int | float):
        out["timeout"] = duration(step.timeout_minutes)
    elif isinstance(step.timeout_minutes, str):
        ctx.scope.problems.append(
            cx.Untranslatable(step.timeout_minutes, "`timeout-minutes` from an expression")
        )


def duration(minutes: float) -> str:
    """GitHub minutes -> a Go duration string such as ``1h30m0s``."""
    seconds = round(minutes * 60)
    h, rest = divmod(seconds, 3600)
    mins, secs = divmod(rest, 60)
    return f"{h}h{mins}m{secs}s"


# --- uses steps ----------------------------------------------------------------------------------


def _inputs(
    step: m.Step, rule: LoadedRule | None, ctx: StepContext
) -> tuple[dict[str, str], list[dict[str, Any]], list[str]]:
    """(static inputs, env entries INPUT_*, problems) for a ``uses`` step's ``with:``."""
    static: dict[str, str] = {}
    env: list[dict[str, Any]] = []
    secret_inputs = set(rule.rule.secrets) if rule else set()
    given = dict(step.with_ or {})
    defaults = dict(rule.rule.defaults) if rule else {}
    if rule and not ctx.remote_later:
        defaults.update(rule.rule.defaults_unless_remote)
    for key, default in defaults.items():
        if not any(k.lower() == key.lower() for k in given):
            given[key] = default
    for key, raw in given.items():
        text = m.scalar_text(raw)
        if "${{" not in text:
            static[key] = text
            if key in secret_inputs:
                ctx.findings.append(
                    Finding(
                        "partial",
                        f"input `{key}` holds a secret written in the workflow",
                        step.pos or Position("?"),
                        action="move it to a Kubernetes secret",
                    )
                )
        env.append(env_entry(input_env_name(key), text, ctx.scope, shell=True))
    return static, env, []


def _rule_step(
    step: m.Step, index: int, label: str, where: Position, ctx: StepContext, rule: LoadedRule
) -> Converted:
    emit = rule.rule.emit
    kind = emit.kind
    if kind == "drop":
        outcome = StepOutcome(index, label, where, "dropped", rule.id, emit.drop or "", step.uses)
        return Converted([], outcome)
    if kind == "manual":
        return _stub(step, index, label, where, ctx, "manual", rule.id, emit.manual or "")
    before = len(ctx.scope.problems)
    static, env, _ = _inputs(step, rule, ctx)
    context = TemplateContext(
        inputs=static,
        given=frozenset((step.with_ or {}).keys()),
        input_env={k: input_env_name(k) for k in (step.with_ or {})},
        job={"id": ctx.job_id, "image": ctx.job_image},
    )
    status: Status = rule.rule.status
    reasons = [rule.rule.docs.strip()] if status == "partial" else []
    name = unique(dns_label(step.id or step.name or rule.id), ctx.step_names)
    if kind == "image":
        try:
            image = render(emit.image or "", context).strip()
        except ValueError as exc:
            raise InputError(f"rule `{rule.id}` ({rule.position}) failed: {exc}") from None
        if ctx.image_from_rule and ctx.image_from_rule != image:
            outcome = StepOutcome(
                index, label, where, "manual", rule.id,
                f"needs the job image {image}, but an earlier step already chose "
                f"{ctx.image_from_rule}: build one image with both, or install this tool in a step",
                step.uses,
            )  # fmt: skip
            return Converted([], outcome)
        ctx.image_from_rule = image
        ctx.image_rule = ImageRule.of(rule, step, ctx.job_id)
        outcome = StepOutcome(
            index, label, where, status, rule.id,
            job_image_note(image) + ("; " + "; ".join(reasons) if reasons else ""),
            step.uses,
        )  # fmt: skip
        return Converted([], outcome)
    if kind == "catalog":
        assert emit.catalog is not None
        params = [
            {"name": k, "value": render(v, context)} for k, v in sorted(emit.catalog.params.items())
        ]
        step_params = []
        for key, param in sorted(emit.catalog.with_params.items()):
            if key in (step.with_ or {}):
                step_params.append({"name": param, "value": f"$({input_env_name(key)})"})
        out: dict[str, Any] = {
            "name": name,
            "ref": {"resolver": emit.catalog.resolver, "params": params},
        }
        if env:
            out["env"] = env
        if step_params:
            out["params"] = step_params
    else:
        rendered = render_step(rule, context)
        out = {"name": name}
        if "image" in rendered:
            out["image"] = rendered["image"]
        if "workingDir" in rendered:
            out["workingDir"] = rendered["workingDir"]
        out_env = [{"name": "GITHUB_OUTPUT", "value": f"{GHT_DIR}/outputs/{name}"}, *env]
        out_env.extend({"name": k, "value": v} for k, v in rendered.get("env", {}).items())
        if isinstance(step.env, dict):
            out_env.extend(env_entries(step.env, ctx.scope, shell=True))
        out["env"] = out_env
        script = rendered["script"]
        guard = _guard(step, ctx)
        if guard and script.startswith("#!"):
            # The guard may read earlier steps' outputs: it needs the helpers first.
            first, _, rest = script.partition("\n")
            script = f'{first}\n. "$GHT_DIR/lib.sh"\n{guard}\n{rest}'
        elif guard:
            del ctx.scope.problems[before:]
            reason = (
                "the rule's step has no shell script to test its `if:`; it must not run unguarded"
            )
            return _stub(step, index, label, where, ctx, "manual", rule.id, reason)
        if refused(guard):
            status = "manual"
            reasons.append(
                "its `if:` is not translated: the step fails instead of running unguarded"
            )
        out["script"] = script
        for ws in ("source", "artifacts", "cache"):
            if f"$(workspaces.{ws}." in json.dumps(out):
                ctx.workspaces.add(ws)
    _apply_step_flags(step, out, ctx)
    problems = ctx.scope.problems[before:]
    if problems:
        status = worst([status, "partial"])
        reasons.extend(f"`{p.source}`: {p.reason}" for p in problems)
    outcome = StepOutcome(index, label, where, status, rule.id, "; ".join(reasons), step.uses, name)
    return Converted([out], outcome)


def _docker_step(
    step: m.Step, index: int, label: str, where: Position, ctx: StepContext, image: str
) -> Converted:
    if step.if_ is not None and not _always_true(step.if_):
        reason = (
            "`if:` on a `docker://` step: the image's entrypoint runs without a shell to test "
            "it first; it must not run unguarded"
        )
        return _stub(step, index, label, where, ctx, "manual", "docker", reason)
    name = unique(dns_label(step.id or step.name or "docker"), ctx.step_names)
    out: dict[str, Any] = {"name": name, "image": image}
    with_ = step.with_ or {}
    if "entrypoint" in with_:
        out["command"] = [m.scalar_text(with_["entrypoint"])]
    if "args" in with_:
        out["args"] = shlex.split(m.scalar_text(with_["args"]))
    env = [
        env_entry(input_env_name(k), m.scalar_text(v), ctx.scope, shell=True)
        for k, v in with_.items()
    ]
    if isinstance(step.env, dict):
        env.extend(env_entries(step.env, ctx.scope, shell=True))
    if env:
        out["env"] = env
    _apply_step_flags(step, out, ctx)
    outcome = StepOutcome(index, label, where, "converted", "docker", "", step.uses, name)
    return Converted([out], outcome)


def _local_action(
    step: m.Step, index: int, label: str, where: Position, ctx: StepContext, path: str
) -> list[Converted]:
    action = ctx.repo.actions.get(path) if ctx.repo else None
    if action is None:
        reason = f"local action `{step.uses}` was not found or has errors"
        return [_stub(step, index, label, where, ctx, "manual", "", reason)]
    runs = action.action.runs
    if not isinstance(runs, m.CompositeRuns):
        reason = f"local `{runs.using}` action: build it into an image and call it as a step"
        return [_stub(step, index, label, where, ctx, "manual", "", reason)]
    if ctx.depth > 8:
        return [_stub(step, index, label, where, ctx, "unsupported", "", "actions nest too deep")]
    # Inside the action, `inputs.x` is what the caller passed (or the default).
    given = step.with_ or {}
    declared = action.action.inputs or {}
    outer = ctx.scope
    # The action's step ids -> (their Tekton steps, whether they continue on error), as converted.
    own_steps: dict[str, tuple[str, bool]] = {}

    def own_step(ref: tuple[str, ...]) -> cx.Source | cx.Untranslatable:
        """Inside the action, `steps.x` is the action's own (earlier) step x."""
        if ref[1].lower() not in own_steps:
            return cx.Untranslatable(
                ".".join(ref), f"no earlier step of the action has id `{ref[1]}`"
            )
        name, soft = own_steps[ref[1].lower()]
        if len(ref) == 4:
            text = f"ght_output {name} {ref[3]}"
        else:
            text = outcome_command(name, soft and ref[2].lower() == "conclusion")
        return cx.Source("runtime", env=env_name("GHT_STEPS", name, *ref[2:]), text=text)

    def resolve(ref: tuple[str, ...]) -> cx.Source | cx.Untranslatable:
        if ref[0] == "steps" and (
            (len(ref) == 4 and ref[2] == "outputs")
            or (len(ref) == 3 and ref[2].lower() in ("outcome", "conclusion"))
        ):
            return own_step(ref)
        if ref[0] == "inputs" and len(ref) == 2:
            key = next((k for k in declared if k.lower() == ref[1].lower()), ref[1])
            raw = given.get(key, declared[key].default if key in declared else None)
            text = m.scalar_text(raw)
            found = ex.find_expressions(text)
            if not found:
                return cx.Source("literal", text=text)
            if (
                len(found) == 1
                and found[0].node is not None
                and found[0].start == 0
                and (found[0].end == len(text))
            ):
                inner = cx.reference_path(found[0].node)
                if inner is not None:
                    return outer.source_of(inner)
            return _computed_input(key, text, found, outer)
        return outer.source_of(ref)

    inner_scope = cx.Scope(resolve)
    sub = StepContext(
        ctx.job_id, ctx.rules, ctx.repo, inner_scope, None, ctx.default_workdir,
        ctx.job_image, ctx.step_names, ctx.image_from_rule, ctx.workspaces, ctx.findings,
        ctx.depth + 1,
    )  # fmt: skip
    sub.notebook_folder = ctx.notebook_folder
    # Inside the action, status functions look at the action's own steps; the caller's `if:`
    # (and the job's status) decide whether any of them runs.
    sub.track_status = ctx.track_status
    caller_guard = _guard(step, ctx)
    caller_env = env_entries(step.env, ctx.scope, shell=True) if isinstance(step.env, dict) else []
    results: list[Converted] = []
    for i, inner in enumerate(runs.steps):
        for converted in convert_step(inner, i, sub):
            converted.outcome.label = f"{label} / {converted.outcome.label}"
            converted.outcome.index = index
            results.append(converted)
            if inner.id and converted.steps:
                soft = inner.continue_on_error is True
                own_steps[inner.id.lower()] = (converted.steps[-1]["name"], soft)
    for converted in results:
        for out in converted.steps:
            if caller_guard and not _add_guard(out, caller_guard):
                reason = (
                    "the `if:` of this call cannot guard the action's step "
                    f"`{out['name']}` (it has no shell script); it must not run unguarded"
                )
                return [_stub(step, index, label, where, ctx, "manual", "", reason)]
            own = {e["name"] for e in out.get("env") or []}
            extra = [e for e in caller_env if e["name"] not in own]
            if extra:
                out["env"] = [*extra, *(out.get("env") or [])]
            if step.continue_on_error is True:
                out["onError"] = "continue"
    ctx.image_from_rule = sub.image_from_rule
    ctx.image_rule = ctx.image_rule or sub.image_rule
    ctx.notebooks.extend(sub.notebooks)
    outer.problems.extend(inner_scope.problems)
    for env_var, source in inner_scope.used.items():
        outer.used.setdefault(env_var, source)
    return results


def _add_guard(out: dict[str, Any], guard: str) -> bool:
    """Put a caller's skip test at the top of a step's shell script (after the line that loads
    the runner's env, which the test may read); False when the step has no shell script."""
    lines = _shell_lines(out)
    if lines is None:
        return False
    at, loaded = _top(lines, after_load=True)
    added = [guard] if loaded else [f". {GHT_DIR}/lib.sh", guard]
    out["script"] = "\n".join([*lines[:at], *added, *lines[at:]])
    return True


def _shell_lines(out: dict[str, Any]) -> list[str] | None:
    """The lines of a step's script when a POSIX shell or bash runs it; None otherwise."""
    script = out.get("script")
    if not isinstance(script, str):
        return None
    lines = script.split("\n")
    if not lines[0].startswith("#!") or not any(sh in lines[0] for sh in ("/sh", "bash", "dash")):
        return None
    return lines


def _top(lines: list[str], *, after_load: bool) -> tuple[int, bool]:
    """Where lines go at the top of a script: after its shebang and ``set`` lines, and after the
    line that loads the runner's env when ``after_load`` and it is there (then True)."""
    at = 1
    while at < len(lines) and lines[at].startswith("set "):
        at += 1
    loaded = after_load and at < len(lines) and _is_load_line(lines[at])
    return (at + 1, True) if loaded else (at, False)


def _is_load_line(line: str) -> bool:
    """``. lib.sh && ght_load_env``, with or without the names of the step's own env."""
    return line == cx.LOAD_ENV or line.startswith(cx.LOAD_ENV + " ")


def _computed_input(
    key: str, text: str, found: list[ex.Embedded], outer: cx.Scope
) -> cx.Source | cx.Untranslatable:
    """An action input such as ``failed on ${{ github.ref_name }}``: the shell of the step that
    reads it computes it (``printf`` of the same ``${VAR}`` forms scripts use)."""
    computed = _shell_word(text, found, outer)
    if computed is None:
        return cx.Untranslatable(text, "an input computed from an expression")
    word, prelude = computed
    command = "; ".join([*prelude, f"printf '%s' \"{word}\""])
    return cx.Source("runtime", env=env_name("GHT_INPUT", key), text=command)


def _unexpressed(text: str) -> str:
    """Text for a comment of a generated script: a ``${{`` there would be the only GitHub
    expression left in the output, and tools that look for unconverted ones would stop at it."""
    return text.replace("${{", "{{")


def _stub(
    step: m.Step,
    index: int,
    label: str,
    where: Position,
    ctx: StepContext,
    status: Status,
    rule_id: str,
    reason: str,
) -> Converted:
    """A step that keeps the inputs, says what to do, and fails until a person replaces it."""
    fallback = step.uses.split("@")[0].split("/")[-1] if step.uses else "manual-step"
    name = unique(dns_label(step.id or step.name or fallback), ctx.step_names)
    lines = [
        "#!/bin/sh",
        f"# ghtotekton: {status} step converted from `{step.uses}` ({where}).",
        f"# {_unexpressed(reason)}",
    ]
    if step.with_:
        lines.append("# Its inputs (each in its INPUT_* env var; expressions shown as {{ }}):")
    for key, value in (step.with_ or {}).items():
        shown = m.scalar_text(value).replace("\n", " ")
        lines.append(f"#   with.{key}: {_unexpressed(shown)}")
    lines.append(f"echo 'ghtotekton: step {name} needs a person: see migration-report.md' >&2")
    lines.append("exit 1")
    out: dict[str, Any] = {"name": name, "image": STUB_IMAGE}
    _, env, _ = _inputs(step, None, ctx)
    if env:
        # The inputs as the INPUT_* variables an action reads, so the replacement has them wired
        # (secrets as secretKeyRef, expressions as params) and the secrets list stays complete.
        out["env"] = env
    out["script"] = "\n".join(lines) + "\n"
    ctx.findings.append(Finding(status, f"step `{label}`: {reason}", where, rule_id))
    outcome = StepOutcome(index, label, where, status, rule_id, reason, step.uses, name)
    return Converted([out], outcome)
