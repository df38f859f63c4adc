"""The ledger and the repository's files must tell one story: the rollout never goes backwards.

Two places say which phase the rollout is in: the ledger (the newest phase change) and the files
``rollout`` wrote (``tekton/migration-map.json`` records, beside the ``tekton_share`` they were
generated with, the ``rollout_phase`` they were written for; a plain ``convert`` records no
phase). They may differ for a reason the ledger knows: after an abort (automatic or not) the
ledger is one phase back until the files for the pull request are written; while a promotion is
being written the files may already be one phase on.

Any other difference means the ledger lost history: it was deleted, emptied, or replaced by an
older copy. A fresh ledger would start at phase 0, and the next ``promote`` would write the files
for 10% over files that say 50%, moving traffic back and forgetting every recorded verdict. So
every command that writes checks the two first and refuses, naming both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.rollout.plan import Plan

MAP_FILE = "migration-map.json"


@dataclass(frozen=True, slots=True)
class FilesPhase:
    """What the generated files say: the phase they were written for and its share."""

    phase: int
    """0 when ``rollout`` did not write them (a plain ``convert``)."""
    share: int
    where: str


def files_phase(plan: Plan, tekton: Path | None = None) -> FilesPhase | None:
    """The rollout phase ``tekton/migration-map.json`` records; ``None`` without a readable map."""
    folder = (tekton or plan.tekton_path).resolve()
    if not folder.exists():
        # killed between the two renames of a swap: the old output waits beside it, whole
        olds = sorted(folder.parent.glob(f".{folder.name}.old-*"))
        folder = olds[0] if len(olds) == 1 else folder
    path = folder / MAP_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    options = data.get("options") if isinstance(data, dict) else None
    if not isinstance(options, dict):
        return None
    phase = options.get("rollout_phase", 0)
    share = options.get("tekton_share", 100)
    if not isinstance(phase, int) or not isinstance(share, int) or phase < 0:
        return None
    return FilesPhase(phase, share, str(path))


def check_not_behind(
    plan: Plan,
    ledger_phase: int,
    came_from: int | None,
    files: FilesPhase | None,
    *,
    in_flight: int | None = None,
    ledger_where: str,
) -> None:
    """Refuse when the files are ahead of the ledger for no reason the ledger records.

    ``came_from`` is the phase the newest change left (``None`` for a ledger without changes),
    ``in_flight`` the target of a promotion or abort cut off while it wrote the files.
    """
    if files is None or files.phase == 0 or files.phase <= ledger_phase:
        return  # not written by rollout, or behind: a promotion's files still to be written
    if files.phase in (came_from, in_flight):
        return  # an abort whose pull request is still to come, or a change being written
    history = (
        "has no phase change"
        if came_from is None
        else f"its newest change came from phase {came_from}"
    )
    raise InputError(
        Diagnostic(
            Position(ledger_where),
            f"the files were written for phase {files.phase} (Tekton runs {files.share}% of "
            f"commits, {files.where}), but the ledger is at phase {ledger_phase} "
            f"({plan.share(ledger_phase)}%) and {history}: it was deleted, emptied or "
            "replaced by an older copy; going on would move traffic back and lose the "
            "recorded verdicts",
            "restore the ledger file from its backup; nothing was written",
        )
    )
