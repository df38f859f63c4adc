"""Which job of run A is which task of run B, and which file of A is which file of B.

Units: GitHub reports a job by its display name (``name:`` or the job id, plus `` (v1, v2)`` for
each matrix combination); Tekton by its pipeline task (one TaskRun per matrix combination, all
with the same ``pipelineTaskName``). ``migration-map.json``, written by ``convert``, says which
job id became which pipeline task, so with it the names may differ freely; without it units pair
by a normalised name. Several units under one pipeline task (a matrix) pair in run order: GitHub
lists a matrix's jobs in expansion order and Tekton numbers its TaskRuns in the same order.

Files pair by their path under ``artifacts/``, after the configured renames.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ghtotekton.compare.bundle import RunInfo, UnitRecord
from ghtotekton.compare.config import CompareConfig, glob_match
from ghtotekton.compare.handlers.base import Difference
from ghtotekton.errors import Diagnostic, InputError, Position

# --------------------------------------------------------------------------------------------
# migration-map.json


class MapJob(BaseModel):
    """One job of migration-map.json (the shape ghtotekton.convert.report.migration_map writes)."""

    model_config = ConfigDict(extra="allow")

    workflow: str = ""
    pipeline: str | None = None
    job: str
    pipeline_task: str | None = None
    task: str | None = None
    held: str | None = None
    """Why the job's task waits for a person on Tekton (it deploys to a GitHub environment)."""


class MigrationMap(BaseModel):
    model_config = ConfigDict(extra="allow")

    jobs: list[MapJob] = []


def load_migration_map(path: Path) -> MigrationMap:
    """Read migration-map.json; errors name the file and, for JSON syntax, the line."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            Diagnostic(
                Position(file),
                f"cannot read: {exc.strerror or type(exc).__name__}",
                "pass the migration-map.json that `ghtotekton convert` wrote",
            )
        ) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(Diagnostic(Position(file), "not UTF-8 text")) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            Diagnostic(Position(file, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}")
        ) from None
    try:
        return MigrationMap.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(x) for x in err["loc"]) or "the document"
        raise InputError(
            Diagnostic(
                Position(file),
                f"{where}: {err['msg']}",
                "this does not look like a migration-map.json written by `ghtotekton convert`",
            )
        ) from None


# --------------------------------------------------------------------------------------------
# units


def normalise(name: str) -> str:
    """Lowercase, every run of other characters one '-': "Build Docs" == "build-docs"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


_MATRIX_SUFFIX = re.compile(r"^(?P<base>.*?)\s+\((?P<values>[^()]*)\)$")


def _matrix_base(name: str) -> str:
    """``test (3.11, ubuntu)`` -> ``test``: GitHub's display name of a matrix job."""
    match = _MATRIX_SUFFIX.match(name)
    return match["base"] if match else name


def _taskrun_index(unit: UnitRecord) -> int:
    extra = unit.model_extra or {}
    taskrun = extra.get("taskrun")
    if isinstance(taskrun, str):
        match = re.search(r"-(\d+)$", taskrun)
        if match:
            return int(match.group(1))
    return -1


@dataclass(frozen=True, slots=True)
class UnitPair:
    a: UnitRecord | None
    b: UnitRecord | None

    @property
    def name(self) -> str:
        """A's name where there is one: the key noise matching with the baseline uses."""
        unit = self.a or self.b
        assert unit is not None
        return unit.name


class _Keyer:
    """The pipeline task (normalised) a unit stands for, through the map when there is one."""

    def __init__(self, mmap: MigrationMap | None, other_side: Iterable[UnitRecord]) -> None:
        self.by_job: dict[str, list[str]] = {}
        if mmap is not None:
            for job in mmap.jobs:
                if job.pipeline_task:
                    target = normalise(job.pipeline_task)
                    for key in {normalise(job.job), target}:
                        self.by_job.setdefault(key, [])
                        if target not in self.by_job[key]:
                            self.by_job[key].append(target)
        self.tasks_of_other = {self._own(u) for u in other_side}

    @staticmethod
    def _own(unit: UnitRecord) -> str:
        extra = unit.model_extra or {}
        task = extra.get("pipeline_task")
        return normalise(task if isinstance(task, str) and task else unit.name)

    def targets(self, unit: UnitRecord) -> list[str]:
        """The pipeline tasks a unit stands for: one, or several when a job was split."""
        extra = unit.model_extra or {}
        if isinstance(extra.get("pipeline_task"), str) and extra["pipeline_task"]:
            return [normalise(extra["pipeline_task"])]
        name = normalise(unit.name)
        base = normalise(_matrix_base(unit.name))
        for candidate in (name, base):
            targets = self.by_job.get(candidate)
            if targets:
                # Only the tasks the other run has: a job id may recur in other workflows
                # (other pipelines); several present tasks are one job split (GPU and CPU part).
                present = [t for t in targets if t in self.tasks_of_other]
                return present or targets[:1]
        # Same display name on both sides (A against its own baseline), else the matrix base.
        return [name if name in self.tasks_of_other else base]


def pair_units(
    a: RunInfo,
    b: RunInfo,
    config: CompareConfig,
    mmap: MigrationMap | None = None,
) -> list[UnitPair]:
    """Every unit of A and of B, paired where they correspond, in A's order then B's leftovers."""
    units_a = [u for u in a.units if not _unit_ignored(u, config)]
    units_b = [u for u in b.units if not _unit_ignored(u, config)]
    pairs: list[UnitPair] = []
    taken_b: set[int] = set()
    by_name_b = {u.name: i for i, u in enumerate(units_b)}
    rest_a: list[UnitRecord] = []
    for unit in units_a:
        target = config.units.renames.get(unit.name)
        j = by_name_b.get(target) if target is not None else None
        if j is not None and j not in taken_b:
            taken_b.add(j)
            pairs.append(UnitPair(unit, units_b[j]))
        else:
            rest_a.append(unit)
    keyer_a = _Keyer(mmap, units_b)
    keyer_b = _Keyer(mmap, units_a)
    groups_b: dict[str, list[int]] = {}
    for j, unit in enumerate(units_b):
        if j not in taken_b:
            groups_b.setdefault(keyer_b.targets(unit)[0], []).append(j)
    for group in groups_b.values():
        group.sort(key=lambda j: (_taskrun_index(units_b[j]), j))
    for unit in rest_a:
        picked = [groups_b[t].pop(0) for t in keyer_a.targets(unit) if groups_b.get(t)]
        taken_b.update(picked)
        if not picked:
            pairs.append(UnitPair(unit, None))
        elif len(picked) == 1:
            pairs.append(UnitPair(unit, units_b[picked[0]]))
        else:
            pairs.append(UnitPair(unit, _combined([units_b[j] for j in picked])))
    pairs.extend(UnitPair(None, u) for j, u in enumerate(units_b) if j not in taken_b)
    return pairs


_SEVERITY = {"failed": 3, "cancelled": 2, "succeeded": 1, "skipped": 0}


def _combined(units: list[UnitRecord]) -> UnitRecord:
    """Several tasks that together ran one job: the job failed if any part failed, it was
    skipped only if every part was, otherwise it succeeded."""
    status = max((u.status for u in units), key=lambda s: _SEVERITY[s])
    durations = [u.duration_s for u in units if u.duration_s is not None]
    return UnitRecord(
        name=" + ".join(u.name for u in units),
        kind=units[0].kind,
        status=status,
        duration_s=sum(durations) if durations else None,
        steps=[step for u in units for step in u.steps],
    )


def _unit_ignored(unit: UnitRecord, config: CompareConfig) -> bool:
    return any(glob_match(g, unit.name) for g in config.units.ignore)


def _kind_word(unit: UnitRecord) -> str:
    return "job" if unit.kind == "job" else "task"


def held_jobs(mmap: MigrationMap | None) -> dict[str, str]:
    """Normalised job id and pipeline task -> why Tekton holds it for a person's approval."""
    out: dict[str, str] = {}
    for job in mmap.jobs if mmap is not None else []:
        if job.held:
            out[normalise(job.job)] = job.held
            if job.pipeline_task:
                out[normalise(job.pipeline_task)] = job.held
    return out


def is_held(pair: UnitPair, held: Mapping[str, str]) -> str | None:
    """Why a job that ran on A has no run on B, when Tekton holds it for approval: a deploy
    GitHub's reviewers let through must not run a second time from the shadow run."""
    if pair.a is None or (pair.b is not None and pair.b.status != "skipped"):
        return None
    for name in (pair.a.name, _matrix_base(pair.a.name)):
        if normalise(name) in held:
            return held[normalise(name)]
    return None


def unit_differences(
    a: RunInfo, b: RunInfo, pairs: list[UnitPair], held: Mapping[str, str] | None = None
) -> list[Difference]:
    """Status parity of the run and of every unit; a unit on one side only is a difference,
    except a job Tekton holds for approval (``held``) that did not run there."""
    out: list[Difference] = []
    if a.status != b.status:
        out.append(
            Difference(
                handler="units",
                path="(run)",
                kind="run-status",
                message=f"the run {a.status} on A ({a.system}) but {b.status} on B ({b.system})",
                a=a.status,
                b=b.status,
            )
        )
    for pair in pairs:
        if held and is_held(pair, held):
            continue
        if pair.a is not None and pair.b is not None:
            if pair.a.status != pair.b.status:
                out.append(
                    Difference(
                        handler="units",
                        path=pair.name,
                        kind="unit-status",
                        message=(
                            f'{_kind_word(pair.a)} "{pair.a.name}" {pair.a.status}, '
                            f'{_kind_word(pair.b)} "{pair.b.name}" {pair.b.status}'
                        ),
                        a=pair.a.status,
                        b=pair.b.status,
                    )
                )
        elif pair.a is not None:
            out.append(
                Difference(
                    handler="units",
                    path=pair.name,
                    kind="missing-on-b",
                    message=f'{_kind_word(pair.a)} "{pair.a.name}" has no counterpart in B',
                    a=pair.a.status,
                )
            )
        elif pair.b is not None:
            out.append(
                Difference(
                    handler="units",
                    path=pair.name,
                    kind="missing-on-a",
                    message=f'{_kind_word(pair.b)} "{pair.b.name}" has no counterpart in A',
                    b=pair.b.status,
                )
            )
    return out


# --------------------------------------------------------------------------------------------
# files


@dataclass(frozen=True, slots=True)
class FilePair:
    path: str
    """A's path where there is one (the key for noise matching), else B's."""
    path_b: str | None
    a: Path | None
    b: Path | None


def pair_files(
    files_a: Mapping[str, Path],
    files_b: Mapping[str, Path],
    config: CompareConfig,
    *,
    renames: bool = True,
) -> tuple[list[FilePair], list[str]]:
    """Pairs sorted by path, and the paths left out by ``ignore_files``."""
    ignored = sorted(
        {p for p in files_a if config.ignored(p)} | {p for p in files_b if config.ignored(p)}
    )
    skip = set(ignored)
    remaining_b = {p: f for p, f in files_b.items() if p not in skip}
    pairs: list[FilePair] = []
    deferred: list[str] = []
    # Explicit renames first, so a renamed file cannot be taken by a same-named one.
    for path in sorted(p for p in files_a if p not in skip):
        target = config.rename(path) if renames else None
        if target is not None and target in remaining_b:
            pairs.append(FilePair(path, target, files_a[path], remaining_b.pop(target)))
        else:
            deferred.append(path)
    for path in deferred:
        pairs.append(FilePair(path, path, files_a[path], remaining_b.pop(path, None)))
    pairs = [FilePair(p.path, p.path_b if p.b is not None else None, p.a, p.b) for p in pairs] + [
        FilePair(path, path, None, f) for path, f in remaining_b.items()
    ]
    pairs.sort(key=lambda p: (p.path, p.path_b or ""))
    return pairs, ignored
