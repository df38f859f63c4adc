"""Find the workflows under a path, load them, and link the local actions and workflows they use.

A repository is what GitHub sees: ``.github/workflows/*.yml`` plus whatever ``./`` paths those
files point at. Every file is loaded once; a broken file is reported with its errors and does not
stop the others, because one typo should not hide the rest of a migration.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ghtotekton.boundary import within
from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.github import model as m
from ghtotekton.github.loader import LoadedAction, LoadedWorkflow, load_action, load_workflow
from ghtotekton.github.uses import UsesError, UsesRef, parse_uses

WORKFLOWS_DIR = Path(".github") / "workflows"
LinkStatus = Literal["ok", "missing", "remote", "docker", "invalid", "not-callable"]


@dataclass(slots=True)
class Link:
    """One ``uses:`` of a step or a job, and what it resolved to."""

    source: Position
    raw: str
    kind: Literal["action", "workflow"]
    status: LinkStatus
    ref: UsesRef | None = None
    target: str = ""
    """Key into ``Repository.actions`` / ``Repository.workflows`` when status is ``ok``."""


@dataclass(slots=True)
class Repository:
    """Everything loaded for one repository (or for loose workflow files)."""

    root: Path | None
    workflows: dict[str, LoadedWorkflow] = field(default_factory=dict)
    actions: dict[str, LoadedAction] = field(default_factory=dict)
    errors: dict[str, list[Diagnostic]] = field(default_factory=dict)
    findings: list[Diagnostic] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Display names of the entry files, in order (the workflows asked for)."""

    @property
    def ok(self) -> bool:
        return not self.errors


def find_repo_root(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` that holds ``.github/``."""
    start = path if path.is_dir() else path.parent
    for folder in (start, *start.parents):
        if (folder / ".github").is_dir():
            return folder
    return None


def workflow_files(path: Path) -> tuple[Path | None, list[Path]]:
    """The repository root (if any) and the workflow files a PATH argument stands for.

    PATH may be a workflow file, a workflows folder, or a repository root.
    """
    if not path.exists():
        raise InputError(Diagnostic(Position(str(path)), "no such file or folder"))
    if path.is_file():
        return find_repo_root(path), [path]
    if (path / WORKFLOWS_DIR).is_dir():
        return path, _yaml_files(path / WORKFLOWS_DIR)
    files = _yaml_files(path)
    if not files:
        raise InputError(
            Diagnostic(
                Position(str(path)),
                "no workflow files here",
                "pass a workflow file, a .github/workflows folder or a repository root",
            )
        )
    return find_repo_root(path), files


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))


def repositories(paths: Sequence[Path]) -> Iterator[Repository]:
    """Load each PATH argument; arguments in the same repository share one Repository."""
    grouped: dict[Path | None, list[Path]] = {}
    for path in paths:
        root, files = workflow_files(path)
        bucket = grouped.setdefault(root.resolve() if root else None, [])
        bucket.extend(f for f in files if f not in bucket)
    for root, files in grouped.items():
        yield load_repository(files, root)


def load_repository(files: Iterable[Path], root: Path | None) -> Repository:
    """Load the given workflow files and everything local they use, none from outside ``root``
    (a symlinked workflow or action folder that leads out is an error of that file)."""
    repo = Repository(root=root)
    with within(root):
        for path in files:
            display = _display(path)
            repo.files.append(display)
            _load_workflow_into(repo, path, display)
        _link(repo)
    return repo


def _display(path: Path) -> str:
    """Paths as the user would type them: relative to the current folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _load_workflow_into(repo: Repository, path: Path, display: str) -> LoadedWorkflow | None:
    if display in repo.workflows:
        return repo.workflows[display]
    if display in repo.errors:
        return None
    try:
        loaded = load_workflow(path, display)
    except InputError as exc:
        repo.errors[display] = exc.diagnostics
        return None
    repo.workflows[display] = loaded
    return loaded


def _load_action_into(repo: Repository, folder: Path, key: str) -> LoadedAction | None:
    if key in repo.actions:
        return repo.actions[key]
    for name in ("action.yml", "action.yaml"):
        candidate = folder / name
        if candidate.is_file():
            display = _display(candidate)
            if display in repo.errors:
                return None
            try:
                loaded = load_action(candidate, display)
            except InputError as exc:
                repo.errors[display] = exc.diagnostics
                return None
            repo.actions[key] = loaded
            return loaded
    return None


def _link(repo: Repository) -> None:
    """Resolve every ``uses:`` reachable from the entry workflows, following local chains."""
    pending_workflows = list(repo.workflows.values())
    pending_actions: list[LoadedAction] = []
    seen_workflows = {w.display for w in pending_workflows}
    seen_actions: set[str] = set()
    while pending_workflows or pending_actions:
        if pending_workflows:
            loaded = pending_workflows.pop(0)
            for job_id, job in loaded.workflow.jobs.items():
                if job.uses is not None:
                    target = _link_workflow_call(repo, loaded, job_id, job)
                    if target is not None and target.display not in seen_workflows:
                        seen_workflows.add(target.display)
                        pending_workflows.append(target)
                for step in job.steps or []:
                    action = _link_step(repo, step)
                    if action is not None and action.display not in seen_actions:
                        seen_actions.add(action.display)
                        pending_actions.append(action)
        else:
            action = pending_actions.pop(0)
            if isinstance(action.action.runs, m.CompositeRuns):
                for step in action.action.runs.steps:
                    nested = _link_step(repo, step)
                    if nested is not None and nested.display not in seen_actions:
                        seen_actions.add(nested.display)
                        pending_actions.append(nested)


def _link_step(repo: Repository, step: m.Step) -> LoadedAction | None:
    if step.uses is None:
        return None
    where = step.pos or Position("?")
    try:
        ref = parse_uses(step.uses)
    except UsesError as exc:
        repo.links.append(Link(where, step.uses, "action", "invalid"))
        repo.findings.append(Diagnostic(where, str(exc), rule="uses"))
        return None
    if ref.kind != "local":
        repo.links.append(Link(where, step.uses, "action", ref.kind, ref))
        return None
    if repo.root is None:
        repo.links.append(Link(where, step.uses, "action", "missing", ref))
        repo.findings.append(
            Diagnostic(
                where,
                f"local action `{step.uses}` cannot be found: no repository root (.github/) "
                "above the workflow",
                "run on the repository root",
                severity="warning",
                rule="local-action",
            )
        )
        return None
    folder = repo.root / ref.path
    action = _load_action_into(repo, folder, ref.path)
    if action is None:
        reason = "has errors" if _action_has_errors(repo, folder) else "is missing"
        repo.links.append(Link(where, step.uses, "action", "missing", ref))
        repo.findings.append(
            Diagnostic(
                where,
                f"local action `{step.uses}` {reason} ({folder}/action.yml)",
                "its steps cannot be converted; a person has to supply them",
                severity="warning",
                rule="local-action",
            )
        )
        return None
    repo.links.append(Link(where, step.uses, "action", "ok", ref, ref.path))
    repo.findings.extend(_check_action_inputs(action, step, where))
    return action


def _action_has_errors(repo: Repository, folder: Path) -> bool:
    return any(_display(folder / name) in repo.errors for name in ("action.yml", "action.yaml"))


def _check_action_inputs(action: LoadedAction, step: m.Step, where: Position) -> list[Diagnostic]:
    """GitHub warns on unknown inputs and fails on missing required ones without a default."""
    declared = action.action.inputs or {}
    given = step.with_ or {}
    out = [
        Diagnostic(
            where,
            f"input `{name}` is not declared by action `{step.uses}`",
            "declared: " + (", ".join(sorted(declared)) or "none"),
            severity="warning",
            rule="action-input",
        )
        for name in given
        if name not in declared
    ]
    for name, spec in declared.items():
        if spec.required is True and spec.default is None and name not in given:
            out.append(
                Diagnostic(
                    where,
                    f"required input `{name}` of action `{step.uses}` is not given",
                    severity="warning",
                    rule="action-input",
                )
            )
    return out


def _link_workflow_call(
    repo: Repository, caller: LoadedWorkflow, job_id: str, job: m.Job
) -> LoadedWorkflow | None:
    assert job.uses is not None
    where = job.pos or Position(caller.display)
    try:
        ref = parse_uses(job.uses)
    except UsesError as exc:
        repo.links.append(Link(where, job.uses, "workflow", "invalid"))
        repo.findings.append(Diagnostic(where, str(exc), rule="uses"))
        return None
    if ref.kind == "docker" or not ref.is_workflow:
        repo.links.append(Link(where, job.uses, "workflow", "invalid", ref))
        repo.findings.append(
            Diagnostic(
                where,
                f"job `{job_id}` uses `{job.uses}`, which is not a workflow file under "
                ".github/workflows/",
                rule="uses",
            )
        )
        return None
    if ref.kind == "remote":
        repo.links.append(Link(where, job.uses, "workflow", "remote", ref))
        return None
    if repo.root is None:
        path = Path(caller.path).parent / Path(ref.path).name
    else:
        path = repo.root / ref.path
    if not path.is_file():
        repo.links.append(Link(where, job.uses, "workflow", "missing", ref))
        repo.findings.append(
            Diagnostic(
                where,
                f"reusable workflow `{job.uses}` is missing ({path})",
                "the jobs it would run cannot be converted; a person has to supply them",
                severity="warning",
                rule="reusable-workflow",
            )
        )
        return None
    target = _load_workflow_into(repo, path, _display(path))
    if target is None:
        repo.links.append(Link(where, job.uses, "workflow", "missing", ref))
        repo.findings.append(
            Diagnostic(
                where,
                f"reusable workflow `{job.uses}` has errors",
                severity="warning",
                rule="reusable-workflow",
            )
        )
        return None
    call = target.workflow.on.workflow_call
    if "workflow_call" not in target.workflow.on.events():
        repo.links.append(Link(where, job.uses, "workflow", "not-callable", ref, target.display))
        repo.findings.append(
            Diagnostic(
                where,
                f"`{job.uses}` has no `on: workflow_call`, so GitHub refuses to call it",
                rule="reusable-workflow",
            )
        )
        return target
    repo.links.append(Link(where, job.uses, "workflow", "ok", ref, target.display))
    repo.findings.extend(_check_call_inputs(job, call, where))
    return target


def _check_call_inputs(
    job: m.Job, call: m.WorkflowCall | None, where: Position
) -> list[Diagnostic]:
    declared = (call.inputs if call else None) or {}
    given = job.with_ or {}
    out = [
        Diagnostic(
            where,
            f"input `{name}` is not declared by `{job.uses}`",
            "declared: " + (", ".join(sorted(declared)) or "none"),
            rule="workflow-call-input",
        )
        for name in given
        if name not in declared
    ]
    for name, spec in declared.items():
        if spec.required is True and spec.default is None and name not in given:
            out.append(
                Diagnostic(
                    where,
                    f"required input `{name}` of `{job.uses}` is not given",
                    rule="workflow-call-input",
                )
            )
    return out
