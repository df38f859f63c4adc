"""Convert many repositories in memory, one at a time, so a caller can show progress.

``convert`` renders one output folder; ``audit`` only needs the outcomes, over many repositories
at once, and tells the person how far it got.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ghtotekton.boundary import within
from ghtotekton.convert.rules import RuleSet
from ghtotekton.convert.workflow import WorkflowConversion, convert_workflow
from ghtotekton.github.loader import LoadedWorkflow
from ghtotekton.github.repository import Repository, repositories


@dataclass(slots=True)
class Batch:
    conversions: list[WorkflowConversion] = field(default_factory=list)
    failed: dict[str, list[str]] = field(default_factory=dict)
    """File -> its one-line positioned errors, for files that did not load."""
    repositories: list[Repository] = field(default_factory=list)
    loaded: list[LoadedWorkflow] = field(default_factory=list)
    """The source of each conversion, in the same order (triggers and PaC read its ``on:``)."""


def convert_repositories(
    paths: Sequence[Path],
    rules: RuleSet,
    progress: Callable[[Repository], None] | None = None,
    *,
    split_gpu: bool = True,
    shadow_compare: bool = False,
) -> Batch:
    """Load and convert every workflow under ``paths``; ``progress`` hears of each repository."""
    batch = Batch()
    taken: set[str] = set()
    for repo in repositories(paths):
        batch.repositories.append(repo)
        for display, errors in repo.errors.items():
            batch.failed[display] = [d.format() for d in errors]
        for display in repo.files:
            loaded = repo.workflows.get(display)
            if loaded is not None:
                with within(repo.root):  # compose files, .env, env_file: inside the repository
                    conversion = convert_workflow(
                        loaded, rules, repo, taken, split_gpu, shadow_compare
                    )
                batch.conversions.append(conversion)
                batch.loaded.append(loaded)
        if progress is not None:
            progress(repo)
    return batch
