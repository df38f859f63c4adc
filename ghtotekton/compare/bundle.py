"""Run bundles: the one shape `compare` reads, whichever CI system produced the run.

A bundle is a folder with ``run.json`` (what ran, how it ended) and ``artifacts/`` (the files the
run produced). Zips and remote runs are turned into such a folder first, so the engine only ever
sees a folder it can walk. Everything here treats the bundle as untrusted input: paths cannot
leave the bundle, sizes are checked before anything is read, and every problem becomes a
``BundleError`` that names the file and says what to do (DESIGN.md sections 2 and 4).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ghtotekton.errors import Diagnostic, InputError, Position

RUN_JSON = "run.json"
ARTIFACTS = "artifacts"

UnitStatus = Literal["succeeded", "failed", "skipped", "cancelled"]
RunStatus = Literal["succeeded", "failed", "cancelled"]
Duration = Annotated[float, Field(ge=0, allow_inf_nan=False)]


BUNDLE_HELP = "`ghtotekton compare --help` (Run bundle)"
"""Where the bundle format is explained to a user: the help every install has."""


class BundleError(InputError):
    """The bundle is wrong (missing run.json, invalid JSON, unsafe zip, ...): exit 2."""


def bundle_error(
    file: str | Path, message: str, hint: str = "", line: int = 0, col: int = 0
) -> BundleError:
    """One positioned bundle problem; the hint says what the person can do about it."""
    return BundleError(Diagnostic(Position(str(file), line, col), message, hint))


# --------------------------------------------------------------------------------------------
# run.json


def _check_iso8601(value: str | None) -> str | None:
    """Timestamps stay strings (reports quote them as given) but must parse, so durations can."""
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f'"{value}" is not an ISO 8601 timestamp') from None
    return value


class StepRecord(BaseModel):
    """One step of a job or task; unknown keys are kept so newer writers do not break readers."""

    model_config = ConfigDict(extra="allow")

    name: str
    status: UnitStatus
    duration_s: Duration | None = None


class UnitRecord(BaseModel):
    """One GitHub job or Tekton pipeline task, the level at which the two runs are paired."""

    model_config = ConfigDict(extra="allow")

    name: str
    kind: Literal["job", "task"]
    status: UnitStatus
    duration_s: Duration | None = None
    steps: list[StepRecord] = []


class RunInfo(BaseModel):
    """run.json, as ``ghtotekton compare --help`` describes it."""

    model_config = ConfigDict(extra="allow")

    system: Literal["github-actions", "tekton"]
    run_id: str
    commit: str
    ref: str | None = None
    event: str | None = None
    started: str | None = None
    finished: str | None = None
    status: RunStatus
    units: list[UnitRecord] = []

    @field_validator("started", "finished")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        return _check_iso8601(value)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f'duplicate key "{key}"')
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_run_json(text: str, file: str) -> RunInfo:
    """Parse and validate run.json text; every error carries the file and, where known, line:col."""
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise bundle_error(
            file,
            f"invalid JSON: {exc.msg}",
            "fix the JSON syntax of run.json",
            exc.lineno,
            exc.colno,
        ) from None
    except ValueError as exc:
        raise bundle_error(file, f"invalid JSON: {exc}", "fix run.json") from None
    if not isinstance(data, dict):
        raise bundle_error(file, "run.json must hold a JSON object", f"see {BUNDLE_HELP}", 1, 1)
    try:
        return RunInfo.model_validate(data)
    except ValidationError as exc:
        raise BundleError(
            [
                Diagnostic(
                    Position(file),
                    f"{_dotted(err['loc']) or 'run.json'}: {err['msg']}",
                    "" if i else f"run.json must follow the format in {BUNDLE_HELP}",
                )
                for i, err in enumerate(exc.errors(include_url=False))
            ]
        ) from None


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for elem in loc:
        out += f"[{elem}]" if isinstance(elem, int) else (f".{elem}" if out else str(elem))
    return out


def dump_run_json(info: RunInfo) -> str:
    """Stable text (fixed key order, trailing newline) so identical runs give identical files."""
    return json.dumps(info.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# limits


@dataclass(frozen=True, slots=True)
class BundleLimits:
    """How much a bundle may hold; a bundle is untrusted, so every read and extraction is bounded.

    The defaults fit real CI runs (GitHub caps an artifact at a few GB; our largest notebooks and
    coverage reports are tens of MB) and stop bombs long before they fill a disk.
    """

    max_total_bytes: int = 2 * 1024**3
    """Sum of uncompressed bytes extracted from all zips of one bundle."""
    max_entry_bytes: int = 512 * 1024**2
    """Uncompressed size of one zip entry (and of one downloaded archive)."""
    max_entries: int = 100_000
    """Zip entries (files and folders) in one bundle."""
    max_ratio: float = 200.0
    """Uncompressed/compressed bytes of one entry; text compresses ~10x, bombs ~1000x."""
    ratio_grace_bytes: int = 1024**2
    """Entries below this are never refused for their ratio (a small file of zeros is fine)."""
    max_run_json_bytes: int = 16 * 1024**2
    """run.json is metadata: even a run with thousands of steps stays far below this."""
    max_api_bytes: int = 32 * 1024**2
    """One JSON response from a CI API."""
    max_pages: int = 100
    """Pages followed for one paginated API list (100 items a page)."""
    http_timeout_s: float = 30.0
    """Socket timeout of every HTTP request."""


DEFAULT_LIMITS = BundleLimits()


# --------------------------------------------------------------------------------------------
# the bundle


_BAD_COMPONENT = re.compile(r"^[A-Za-z]:|[\x00]")


def safe_relpath(name: str, where: str) -> PurePosixPath:
    """A relative posix path that cannot leave its folder, or a BundleError.

    Refuses what escapes on any system that may later read the folder: ``..``, absolute paths,
    drive letters and backslashes (a separator on Windows), and NUL.
    """
    hint = "bundle paths must be relative and stay inside the bundle"
    if not name or "\\" in name or _BAD_COMPONENT.search(name):
        raise bundle_error(where, f'unsafe path "{name}"', hint)
    if name.startswith("/"):
        raise bundle_error(where, f'absolute path "{name}"', hint)
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts:
        raise bundle_error(where, f'empty path "{name}"', hint)
    if ".." in parts:
        raise bundle_error(where, f'path "{name}" escapes the bundle', hint)
    return PurePosixPath(*parts)


@dataclass
class RunBundle:
    """A run bundle opened as a folder; zips and remote runs are extracted into one first."""

    info: RunInfo
    root: Path
    source: str
    warnings: list[str] = field(default_factory=list)
    """Things that did not stop the bundle from opening but a report should mention."""
    tmpdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    """Owns the extraction folder when open_bundle made one; removed by close() or at exit."""

    @property
    def artifacts_dir(self) -> Path:
        return self.root / ARTIFACTS

    def artifacts(self) -> dict[str, Path]:
        """Regular files under artifacts/, by posix path relative to it, sorted.

        Only lists (lstat, never open or read), so a huge or sparse file costs nothing here.
        Symlinks and special files are left out (see skipped()), so nothing outside the bundle
        and no FIFO that would block a reader can come through.
        """
        return dict(sorted((rel, path) for rel, path, _ in self._walk() if path is not None))

    def skipped(self) -> dict[str, str]:
        """Entries under artifacts/ that artifacts() leaves out, with the reason."""
        return dict(sorted((rel, why) for rel, path, why in self._walk() if path is None))

    def size(self, rel: str) -> int:
        """Apparent size of one artifact, from lstat; cheap for any file size."""
        return self._lstat(rel).st_size

    def open(self, rel: str) -> IO[bytes]:
        """Open one artifact for reading; errors name the file and say why it cannot be read."""
        path = self._regular(rel)
        try:
            return path.open("rb")
        except OSError as exc:
            raise _unreadable(path, exc) from None

    def read_bytes(self, rel: str, max_bytes: int) -> bytes:
        """The whole artifact, refused (not truncated) when it is larger than max_bytes."""
        size = self.size(rel)
        if size > max_bytes:
            raise bundle_error(
                self._regular(rel),
                f"file is {size} bytes, more than the limit of {max_bytes} for reading into memory",
                "raise the limit or compare this file with a streaming handler",
            )
        with self.open(rel) as fh:
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise bundle_error(self._regular(rel), f"file grew past {max_bytes} bytes while read")
        return data

    def close(self) -> None:
        """Remove the extraction folder, if open_bundle made one."""
        if self.tmpdir is not None:
            self.tmpdir.cleanup()
            self.tmpdir = None

    def __enter__(self) -> RunBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------

    def _lstat(self, rel: str) -> os.stat_result:
        path = self._regular(rel)
        try:
            return path.lstat()
        except OSError as exc:
            raise _unreadable(path, exc) from None

    def _regular(self, rel: str) -> Path:
        relpath = safe_relpath(rel, str(self.artifacts_dir))
        path = self.artifacts_dir.joinpath(*relpath.parts)
        # Every component must be a real folder or file: a symlinked folder could lead out.
        cur = self.artifacts_dir
        for part in relpath.parts:
            cur = cur / part
            try:
                st = cur.lstat()
            except OSError as exc:
                raise _unreadable(cur, exc) from None
            if stat.S_ISLNK(st.st_mode):
                raise bundle_error(cur, "is a symlink; bundles never follow symlinks")
        if not stat.S_ISREG(cur.lstat().st_mode):
            raise bundle_error(path, "is not a regular file")
        return path

    def _walk(self) -> Iterator[tuple[str, Path | None, str]]:
        base = self.artifacts_dir
        try:
            st = base.lstat()
        except FileNotFoundError:
            return
        except OSError as exc:
            yield ".", None, _reason(exc)
            return
        if stat.S_ISLNK(st.st_mode):
            yield ".", None, "artifacts/ is a symlink; not followed"
            return
        if not stat.S_ISDIR(st.st_mode):
            yield ".", None, "artifacts is not a folder"
            return
        stack: list[tuple[Path, str]] = [(base, "")]
        while stack:
            folder, prefix = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = list(it)
            except OSError as exc:
                yield prefix.rstrip("/") or ".", None, f"folder cannot be listed: {_reason(exc)}"
                continue
            for entry in entries:
                rel = prefix + entry.name
                try:
                    est = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    yield rel, None, _reason(exc)
                    continue
                if stat.S_ISLNK(est.st_mode):
                    yield rel, None, "symlink; bundles never follow symlinks"
                elif stat.S_ISDIR(est.st_mode):
                    stack.append((Path(entry.path), rel + "/"))
                elif stat.S_ISREG(est.st_mode):
                    yield rel, Path(entry.path), ""
                else:
                    yield rel, None, "not a regular file (device, FIFO or socket)"


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _unreadable(path: Path, exc: OSError) -> BundleError:
    if isinstance(exc, PermissionError):
        hint = "check the file's permissions (the comparator needs read access to every artifact)"
    elif isinstance(exc, IsADirectoryError):
        hint = "a folder stands where a file is expected"
    elif isinstance(exc, FileNotFoundError):
        hint = "the file vanished; was the bundle changed while compare ran?"
    else:
        hint = "check the file"
    return bundle_error(path, f"cannot read: {_reason(exc)}", hint)


# --------------------------------------------------------------------------------------------
# reading


def read_folder(root: Path, source: str, limits: BundleLimits = DEFAULT_LIMITS) -> RunBundle:
    """Open a bundle folder in place (nothing is copied)."""
    if not root.is_dir():
        raise bundle_error(root, "is not a folder", "pass a bundle folder or a .zip")
    run_json = root / RUN_JSON
    try:
        st = run_json.lstat()
    except FileNotFoundError:
        raise bundle_error(
            run_json,
            "run.json is missing",
            f"a run bundle is a folder with run.json and artifacts/ (see {BUNDLE_HELP})",
        ) from None
    except OSError as exc:
        raise _unreadable(run_json, exc) from None
    if stat.S_ISLNK(st.st_mode):
        raise bundle_error(run_json, "run.json is a symlink", "bundles never follow symlinks")
    if not stat.S_ISREG(st.st_mode):
        raise bundle_error(run_json, "run.json is not a regular file")
    if st.st_size > limits.max_run_json_bytes:
        raise bundle_error(
            run_json,
            f"run.json is {st.st_size} bytes, more than the limit of {limits.max_run_json_bytes}",
            "run.json holds metadata only; put large files under artifacts/",
        )
    try:
        raw = run_json.read_bytes()
    except OSError as exc:
        raise _unreadable(run_json, exc) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bundle_error(
            run_json, f"run.json is not UTF-8: {exc.reason}", "save it as UTF-8"
        ) from None
    info = parse_run_json(text, str(run_json))
    return RunBundle(info=info, root=root, source=source)


def open_bundle(
    source: str | Path, *, workdir: Path | None = None, limits: BundleLimits | None = None
) -> RunBundle:
    """Open a bundle from a folder, a .zip, ``github:OWNER/REPO/runs/ID`` or ``tekton:NS/NAME``.

    Zips and remote runs are extracted under ``workdir``; without one, into a temporary folder
    that the bundle owns (``close()`` removes it).
    """
    lim = limits or DEFAULT_LIMITS
    text = str(source)
    if isinstance(source, str) and text.startswith(("github:", "tekton:")):
        root, tmp = _workfolder(workdir)
        try:
            if text.startswith("github:"):
                from ghtotekton.compare.sources.github import fetch_github_run

                warnings = fetch_github_run(text, root, lim)
            else:
                from ghtotekton.compare.sources.tekton import fetch_pipelinerun

                warnings = fetch_pipelinerun(text, root, lim)
            bundle = read_folder(root, text, lim)
            bundle.warnings.extend(warnings)
        except BaseException:
            if tmp is not None:
                tmp.cleanup()
            else:
                shutil.rmtree(root, ignore_errors=True)
            raise
        bundle.tmpdir = tmp
        return bundle
    path = Path(source)
    if path.is_dir():
        return read_folder(path, text, lim)
    if not path.exists():
        raise bundle_error(
            path,
            "no such file or folder",
            "pass a bundle folder, a .zip, github:OWNER/REPO/runs/ID or tekton:NAMESPACE/NAME",
        )
    if not path.is_file():
        raise bundle_error(path, "is not a regular file", "pass a bundle folder or a .zip")
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        return _read_zip(path, text, workdir, lim)
    raise bundle_error(path, "is neither a folder nor a zip", "pass a bundle folder or a .zip")


def _workfolder(workdir: Path | None) -> tuple[Path, tempfile.TemporaryDirectory[str] | None]:
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="ghtotekton-bundle-")
        return Path(tmp.name), tmp
    workdir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="bundle-", dir=workdir)), None


def _read_zip(path: Path, source: str, workdir: Path | None, limits: BundleLimits) -> RunBundle:
    from ghtotekton.compare.safezip import Budget, extract_zip

    root, tmp = _workfolder(workdir)
    try:
        extract_zip(path, root, Budget(limits))
        bundle = read_folder(_bundle_root(root, path), source, limits)
    except BaseException:
        if tmp is not None:
            tmp.cleanup()
        else:
            shutil.rmtree(root, ignore_errors=True)
        raise
    bundle.tmpdir = tmp
    return bundle


def _bundle_root(folder: Path, zip_path: Path) -> Path:
    """run.json at the top of the zip, or inside its single top folder (a zipped bundle folder)."""
    if (folder / RUN_JSON).exists():
        return folder
    tops = list(folder.iterdir())
    one = tops[0] if len(tops) == 1 else None
    if one is not None and one.is_dir() and not one.is_symlink() and (one / RUN_JSON).exists():
        return one
    raise bundle_error(
        zip_path,
        "the zip has no run.json at its top (or in its single top folder)",
        "zip the bundle folder: run.json and artifacts/",
    )


# --------------------------------------------------------------------------------------------
# writing


def write_bundle(target: Path, info: RunInfo, files: Mapping[str, Path | bytes]) -> Path:
    """Write run.json and artifacts/<rel> for each file; a ``.zip`` target gets a zip.

    Written to a temporary sibling first and renamed into place, so an interrupted write leaves
    an existing bundle intact (DESIGN.md section 4). An existing target is replaced only if it is
    a bundle (has run.json) or empty, so a mistyped path cannot wipe unrelated files.
    """
    rels = {str(safe_relpath(rel, str(target))): src for rel, src in files.items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".zip":
        return _write_zip(target, info, rels)
    if target.exists() or target.is_symlink():
        if target.is_symlink() or not target.is_dir():
            raise bundle_error(target, "exists and is not a folder", "choose another target")
        if any(target.iterdir()) and not (target / RUN_JSON).is_file():
            raise bundle_error(
                target, "exists and is not a run bundle", "choose an empty or new folder"
            )
    staging = _sibling(target, "new", folder=True)
    try:
        (staging / ARTIFACTS).mkdir()
        for rel, src in rels.items():
            dest = staging / ARTIFACTS / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            _put(dest, src)
        (staging / RUN_JSON).write_text(dump_run_json(info), encoding="utf-8")
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _sibling(target: Path, tag: str, folder: bool) -> Path:
    """A new hidden path beside target, created with the umask's usual mode.

    Not mkdtemp/mkstemp: those make private (0700/0600) paths, and the renamed bundle would keep
    that mode, unreadable to the colleague or CI step that reads it next.
    """
    for _ in range(100):
        path = target.parent / f".{target.name}.{tag}-{secrets.token_hex(4)}"
        try:
            if folder:
                path.mkdir()
            else:
                path.open("xb").close()
        except FileExistsError:
            continue
        return path
    raise bundle_error(target.parent, "cannot create a temporary file here")


def _put(dest: Path, src: Path | bytes) -> None:
    if isinstance(src, bytes):
        dest.write_bytes(src)
        return
    try:
        shutil.copyfile(src, dest)
    except OSError as exc:
        raise _unreadable(Path(src), exc) from None


def _swap_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    old = _sibling(target, "old", folder=True)
    old.rmdir()
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_zip(target: Path, info: RunInfo, rels: Mapping[str, Path | bytes]) -> Path:
    tmp = _sibling(target, "new", folder=False)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(RUN_JSON, dump_run_json(info))
            zf.writestr(ARTIFACTS + "/", b"")
            for rel, src in sorted(rels.items()):
                arc = f"{ARTIFACTS}/{rel}"
                if isinstance(src, bytes):
                    zf.writestr(arc, src)
                else:
                    try:
                        zf.write(src, arc)
                    except OSError as exc:
                        raise _unreadable(Path(src), exc) from None
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
