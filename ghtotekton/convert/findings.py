"""How well each job and step converted, with the rule that decided and the reason.

The classes follow GitHub Actions Importer (converted / partial / manual / unsupported) so people
who know that report read this one; ``dropped`` is a converted step that needs no Tekton form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ghtotekton.errors import Position

Status = Literal["converted", "partial", "manual", "unsupported", "dropped"]
SEVERITY: dict[str, int] = {
    "converted": 0,
    "dropped": 0,
    "partial": 1,
    "manual": 2,
    "unsupported": 3,
}


def worst(statuses: list[Status]) -> Status:
    """The status of a whole: the worst of its parts."""
    if not statuses:
        return "converted"
    top = max(statuses, key=lambda s: SEVERITY[s])
    return "converted" if top == "dropped" else top


@dataclass(slots=True)
class Finding:
    """One thing the report tells a person: what, where, which rule, what to do."""

    status: Status
    message: str
    position: Position
    rule: str = ""
    action: str = ""
    """What a person should do (empty when nothing)."""


@dataclass(slots=True)
class StepOutcome:
    index: int
    label: str
    position: Position
    status: Status
    rule: str = ""
    reason: str = ""
    uses: str | None = None
    tekton_step: str = ""
    """The Tekton step name it became ('' when dropped)."""


@dataclass(slots=True)
class JobOutcome:
    job_id: str
    position: Position
    pipeline_task: str
    task: str
    steps: list[StepOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    runner_rule: str = ""

    @property
    def status(self) -> Status:
        return worst([s.status for s in self.steps] + [f.status for f in self.findings])
