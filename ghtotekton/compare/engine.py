"""Two run bundles in, one verdict out: pairing, per-file handlers, noise baseline, verdict.

The verdict must be something a reviewer can trust in both directions, so:

* a handler that crashes does not stop the comparison; its file becomes an ``unreadable``
  difference that names the handler (an unknown is never reported as "the same");
* with a baseline (a second run of system A on the same commit), whatever also differs between
  A and the baseline is noise, as in Diffy: marked, shown, not counted;
* something missing (a required file, a job or task) makes the result ``incomplete``, any other
  difference that is not noise makes it ``divergent``;
* the evidence is checked before the files are believed: A and B must have built one commit, and
  a baseline must be another run of A's system on that commit. Otherwise the comparison proves
  nothing, so the verdict is ``incomplete`` with the reason in ``evidence`` (a wrong baseline is
  not used for noise at all: a failing Tekton run passed as the baseline would otherwise excuse
  its own failure).

Files are handed to handlers as paths, never read here, so memory does not grow with the bundle.
Results are sorted, so the same inputs always give the same report, whatever the thread timing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ghtotekton.compare.bundle import RunBundle
from ghtotekton.compare.config import DEFAULT_CONFIG, CompareConfig
from ghtotekton.compare.handlers.base import Difference
from ghtotekton.compare.pairing import (
    FilePair,
    MigrationMap,
    UnitPair,
    held_jobs,
    is_held,
    pair_files,
    pair_units,
    unit_differences,
)
from ghtotekton.compare.registry import Registry, same_bytes

Verdict = Literal["equivalent", "divergent", "incomplete"]
FileStatus = Literal["same", "different", "noise", "missing-on-a", "missing-on-b", "skipped"]

_MISSING = ("missing-on-a", "missing-on-b")


class RunSummary(BaseModel):
    """What a report says about one side."""

    model_config = ConfigDict(extra="forbid")

    source: str
    system: str
    run_id: str
    commit: str
    ref: str | None = None
    event: str | None = None
    status: str
    started: str | None = None
    finished: str | None = None
    units: int = 0
    files: int = 0


class FileResult(BaseModel):
    """One artifact path, how it was judged and what came out."""

    model_config = ConfigDict(extra="forbid")

    path: str
    path_b: str | None = None
    """Set when B's file has another name (a configured rename)."""
    handler: str
    rule: str
    required: bool
    status: FileStatus
    differences: int = 0
    noise: int = 0
    size_a: int | None = None
    size_b: int | None = None
    duration_s: float = 0.0


class UnitResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    name_b: str | None = None
    kind_a: str | None = None
    kind_b: str | None = None
    status_a: str | None = None
    status_b: str | None = None
    same: bool
    noise: bool = False
    """The status differs between A and its baseline too."""


class HandlerCount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: int = 0
    differences: int = 0
    noise: int = 0


class Durations(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total_s: float = 0.0
    files_s: float = 0.0
    """Sum over files of the handler time (over both workers)."""
    baseline_s: float = 0.0


class Comparison(BaseModel):
    """The outcome of comparing run A with run B (and a baseline of A, if given)."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    run_a: RunSummary
    run_b: RunSummary
    baseline: RunSummary | None = None
    differences: list[Difference] = []
    """Differences that count (not noise), sorted."""
    noise: list[Difference] = []
    """Differences that the baseline shows between two runs of A as well."""
    missing: list[Difference] = []
    """The differences that made the verdict ``incomplete`` (also in ``differences``)."""
    counts: dict[str, HandlerCount] = {}
    files: list[FileResult] = []
    units: list[UnitResult] = []
    notes: list[str] = []
    evidence: list[str] = []
    """Why the runs given cannot be judged against each other (different commits, a baseline
    that is not another run of A); any entry makes the verdict ``incomplete``."""
    durations: Durations = Durations()


# --------------------------------------------------------------------------------------------


def _summary(bundle: RunBundle, files: int) -> RunSummary:
    info = bundle.info
    return RunSummary(
        source=bundle.source,
        system=info.system,
        run_id=info.run_id,
        commit=info.commit,
        ref=info.ref,
        event=info.event,
        status=info.status,
        started=info.started,
        finished=info.finished,
        units=len(info.units),
        files=files,
    )


def _sort_key(d: Difference) -> tuple[str, str, str, str, str]:
    return (d.path, d.location, d.kind, d.handler, d.message)


def _stat(path: Path | None) -> os.stat_result | None:
    if path is None:
        return None
    try:
        return os.stat(path)
    except OSError:
        return None


def _identical(a: Path, st_a: os.stat_result | None, b: Path, st_b: os.stat_result | None) -> bool:
    if st_a is None or st_b is None or st_a.st_size != st_b.st_size:
        return False
    if (st_a.st_ino, st_a.st_dev) == (st_b.st_ino, st_b.st_dev):
        return True
    try:
        return same_bytes(a, b)
    except OSError:
        return False  # the handler reports the file as unreadable


class _Raw:
    """One side-pair's differences before noise marking, with the per-file bookkeeping."""

    def __init__(self) -> None:
        self.units: list[UnitPair] = []
        self.unit_diffs: list[Difference] = []
        self.held: dict[str, str] = {}
        """Jobs Tekton holds for a person's approval (migration-map.json ``held``)."""
        self.files: list[tuple[FileResult, list[Difference]]] = []
        self.count_a = 0
        self.count_b = 0
        self.skipped_a: dict[str, str] = {}
        self.skipped_b: dict[str, str] = {}


def _listing(bundle: RunBundle) -> tuple[dict[str, Path], dict[str, str]]:
    """artifacts() and skipped() of one bundle from a single walk of its folder.

    Both public methods walk the tree; on 10,000 files each walk costs a quarter second, a
    large share of an all-equal comparison, so the engine walks once.
    """
    files: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    for rel, path, why in bundle._walk():
        if path is None:
            skipped[rel] = why
        else:
            files[rel] = path
    return dict(sorted(files.items())), dict(sorted(skipped.items()))


def _compare_file(
    pair: FilePair, config: CompareConfig, registry: Registry
) -> tuple[FileResult, list[Difference]]:
    sample = pair.a if pair.a is not None else pair.b
    res = config.resolve(pair.path, sample)
    st_a, st_b = _stat(pair.a), _stat(pair.b)
    result = FileResult(
        path=pair.path,
        path_b=pair.path_b if pair.path_b not in (None, pair.path) else None,
        handler=res.handler,
        rule=res.rule,
        required=res.required,
        status="same",
        size_a=st_a.st_size if st_a is not None else None,
        size_b=st_b.st_size if st_b is not None else None,
    )
    if res.handler == "skip":
        result.status = "skipped"
        return result, []
    if pair.a is None or pair.b is None:
        result.status = "missing-on-a" if pair.a is None else "missing-on-b"
        side = "A" if pair.a is None else "B"
        diff = Difference(
            handler=res.handler,
            path=pair.path,
            kind=result.status,
            message=f"only in {'B' if side == 'A' else 'A'}; run {side} has no such file",
        )
        return result, [diff]
    started = time.perf_counter()
    if _identical(pair.a, st_a, pair.b, st_b):
        # Byte-identical files are the same under any handler's notion of "the same"; skipping
        # the parse keeps an all-equal comparison as cheap as `diff -rq`.
        result.duration_s = round(time.perf_counter() - started, 6)
        return result, []
    handler = registry.get(res.handler)
    try:
        diffs = list(handler.compare(pair.path, pair.a, pair.b, res.options))
    except Exception as exc:  # a handler bug must not abort the comparison
        name = getattr(handler, "name", res.handler)
        diffs = [
            Difference(
                handler=str(name),
                path=pair.path,
                kind="unreadable",
                message=f"the {name} handler failed: {type(exc).__name__}: {exc}"[:500],
            )
        ]
    result.duration_s = round(time.perf_counter() - started, 6)
    result.handler = str(getattr(handler, "name", res.handler))
    if diffs:
        result.status = "different"
    return result, diffs


def _run(
    a: RunBundle,
    b: RunBundle,
    config: CompareConfig,
    mmap: MigrationMap | None,
    registry: Registry,
    *,
    renames: bool,
    workers: int,
) -> _Raw:
    raw = _Raw()
    raw.units = pair_units(a.info, b.info, config, mmap if renames else None)
    raw.held = held_jobs(mmap if renames else None)
    raw.unit_diffs = unit_differences(a.info, b.info, raw.units, raw.held)
    (files_a, raw.skipped_a), (files_b, raw.skipped_b) = _listing(a), _listing(b)
    raw.count_a, raw.count_b = len(files_a), len(files_b)
    pairs, _ignored = pair_files(files_a, files_b, config, renames=renames)
    if workers > 1 and len(pairs) > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compare") as pool:
            raw.files = list(pool.map(lambda p: _compare_file(p, config, registry), pairs))
    else:
        raw.files = [_compare_file(p, config, registry) for p in pairs]
    return raw


def compare(
    bundle_a: RunBundle,
    bundle_b: RunBundle,
    config: CompareConfig = DEFAULT_CONFIG,
    baseline: RunBundle | None = None,
    *,
    migration_map: MigrationMap | None = None,
    registry: Registry | None = None,
    workers: int = 1,
) -> Comparison:
    """Compare run A with run B; ``baseline`` is a second run of A whose differences are noise.

    ``workers`` > 1 compares files on a thread pool. It defaults to 1 because it did not pay:
    handlers parse in Python under the GIL, and on 10,000 cached files two threads took ~1.5x
    the time of one; it can help when reads wait on a slow disk or network file system.
    """
    started = time.perf_counter()
    reg = registry or Registry()
    raw = _run(bundle_a, bundle_b, config, migration_map, reg, renames=True, workers=workers)
    noise_keys: set[tuple[str, str, str, str]] = set()
    base: _Raw | None = None
    baseline_s = 0.0
    notes: list[str] = []
    base_problems = baseline_evidence(bundle_a, bundle_b, baseline) if baseline else []
    evidence = check_evidence(bundle_a, bundle_b) + base_problems
    if baseline is not None:
        t0 = time.perf_counter()
        # Same system on both sides: names match as they are, no renames or map.
        base = _run(bundle_a, baseline, config, None, reg, renames=False, workers=workers)
        baseline_s = time.perf_counter() - t0
        if not base_problems:
            noise_keys = {d.key() for d in base.unit_diffs}
            noise_keys |= {d.key() for _, diffs in base.files for d in diffs}
        else:
            notes.append("the baseline was not used for noise: every difference counts")
        if _same_run(bundle_a, baseline):
            notes.append("the baseline is run A itself: it shows no noise")

    def mark(d: Difference) -> Difference:
        return d.model_copy(update={"noise": True}) if d.key() in noise_keys else d

    counted: list[Difference] = []
    noise: list[Difference] = []
    missing: list[Difference] = []
    counts: dict[str, HandlerCount] = {}
    files: list[FileResult] = []
    for pair in raw.units:
        why = is_held(pair, raw.held)
        if why and pair.a is not None:
            notes.append(f"{pair.a.name}: not run on Tekton, which holds it for approval ({why})")
    for diff in (mark(d) for d in raw.unit_diffs):
        (noise if diff.noise else counted).append(diff)
        if not diff.noise and diff.kind in _MISSING:
            missing.append(diff)
    for result, diffs in raw.files:
        count = counts.setdefault(result.handler, HandlerCount())
        if result.status != "skipped":
            count.files += 1
        marked = [mark(d) for d in diffs]
        for diff in marked:
            if diff.noise:
                noise.append(diff)
                count.noise += 1
                result.noise += 1
                continue
            file_missing = result.status in _MISSING
            if file_missing and not result.required:
                side = "B" if diff.kind == "missing-on-b" else "A"
                notes.append(f"{result.path}: not in run {side}; not required ({result.rule})")
                continue
            counted.append(diff)
            count.differences += 1
            result.differences += 1
            if file_missing:
                missing.append(diff)
        if result.status == "different" and result.differences == 0:
            result.status = "noise" if result.noise else "same"
        if result.status in _MISSING and result.differences == 0:
            result.status = "noise" if result.noise else result.status
        files.append(result)
    notes.extend(reg.notes())
    # What each walk left out is known from the listings already made (no second walk).
    left_out = {"A": raw.skipped_a, "B": raw.skipped_b, "baseline": base.skipped_b if base else {}}
    for side, bundle in (("A", bundle_a), ("B", bundle_b), ("baseline", baseline)):
        if bundle is None:
            continue
        notes.extend(f"run {side}: {w}" for w in bundle.warnings)
        notes.extend(f"run {side}: {rel} left out ({why})" for rel, why in left_out[side].items())
    noise_units = {d.path for d in noise if d.handler == "units"}
    units = [
        UnitResult(
            name=p.name,
            name_b=p.b.name
            if p.b is not None and p.a is not None and p.b.name != p.a.name
            else None,
            kind_a=p.a.kind if p.a else None,
            kind_b=p.b.kind if p.b else None,
            status_a=p.a.status if p.a else None,
            status_b=p.b.status if p.b else None,
            same=p.a is not None and p.b is not None and p.a.status == p.b.status,
            noise=p.name in noise_units,
        )
        for p in raw.units
    ]
    counted.sort(key=_sort_key)
    noise.sort(key=_sort_key)
    missing.sort(key=_sort_key)
    verdict: Verdict = (
        "incomplete" if missing or evidence else ("divergent" if counted else "equivalent")
    )
    return Comparison(
        verdict=verdict,
        run_a=_summary(bundle_a, raw.count_a),
        run_b=_summary(bundle_b, raw.count_b),
        baseline=_summary(baseline, base.count_b) if baseline is not None and base else None,
        differences=counted,
        noise=noise,
        missing=missing,
        counts=dict(sorted(counts.items())),
        files=files,
        units=units,
        notes=_dedupe(notes),
        evidence=evidence,
        durations=Durations(
            total_s=round(time.perf_counter() - started, 6),
            files_s=round(sum(f.duration_s for f in files), 6),
            baseline_s=round(baseline_s, 6),
        ),
    )


def same_commit(a: str, b: str) -> bool:
    """One commit, allowing an abbreviated SHA on one side (``3f1c2a9`` and the full 40)."""
    x, y = a.strip().lower(), b.strip().lower()
    return bool(x) and bool(y) and (x.startswith(y) or y.startswith(x))


def _same_run(x: RunBundle, y: RunBundle) -> bool:
    """The same run given twice: one system and run id, or one bundle on disk."""
    if x.source == y.source or x.root.resolve() == y.root.resolve():
        return True
    return x.info.system == y.info.system and x.info.run_id == y.info.run_id


def check_evidence(a: RunBundle, b: RunBundle) -> list[str]:
    """What makes runs A and B unfit to be judged against each other, from their run.json.

    A shadow comparison says "both systems built this commit and got the same result"; two runs
    of different commits, or one run given twice, prove nothing about that, however alike their
    files are.
    """
    out: list[str] = []
    for side, bundle in (("A", a), ("B", b)):
        if not bundle.info.commit.strip():
            out.append(f"run {side} names no commit in run.json: the runs cannot be matched")
    both = a.info.commit.strip() and b.info.commit.strip()
    if both and not same_commit(a.info.commit, b.info.commit):
        out.append(
            f"run A built commit {a.info.commit[:12]}, run B {b.info.commit[:12]}: they are "
            "not shadow runs of the same commit"
        )
    if _same_run(a, b):
        out.append(
            f"run B is run A ({a.info.system} run {a.info.run_id}): a run compared with itself "
            "proves nothing"
        )
    return out


def baseline_evidence(a: RunBundle, b: RunBundle, baseline: RunBundle) -> list[str]:
    """What makes ``baseline`` unfit to tell noise: noise is only what differs between two runs
    of system A, so a baseline from the other system, another commit, or run B itself would
    count B's own changes as noise."""
    out: list[str] = []
    if baseline.info.system != a.info.system:
        out.append(
            f"the baseline ran on {baseline.info.system}, run A on {a.info.system}: noise is only "
            "what differs between two runs of system A"
        )
    if _same_run(baseline, b):
        out.append("the baseline is run B: B's own differences would be counted as noise")
    if not same_commit(baseline.info.commit, a.info.commit):
        out.append(
            f"the baseline built commit {baseline.info.commit[:12] or 'none'}, run A "
            f"{a.info.commit[:12] or 'none'}: a baseline is a second run of A's commit"
        )
    return out


def _dedupe(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
