"""Extract an untrusted zip without letting it write outside its folder or fill the disk.

Zips reach us from artifact uploads anyone with a pull request can shape, so every entry is
checked before a byte is written (names that escape, symlinks, special files, encryption, header
sizes), and the data is then streamed with its own byte counter: a zip's headers can lie, the
bytes that come out of the decompressor cannot (DESIGN.md section 4).
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ghtotekton.compare.bundle import (
    DEFAULT_LIMITS,
    BundleError,
    BundleLimits,
    bundle_error,
    safe_relpath,
)

_CHUNK = 1024 * 1024
_ENCRYPTED = 0x1


@dataclass(slots=True)
class Budget:
    """What one bundle may still extract, shared by every zip that goes into it."""

    limits: BundleLimits = DEFAULT_LIMITS
    bytes_used: int = 0
    entries_used: int = 0

    def take_entries(self, count: int, where: str) -> None:
        self.entries_used += count
        if self.entries_used > self.limits.max_entries:
            raise bundle_error(
                where,
                f"more than {self.limits.max_entries} zip entries in one bundle",
                "a bundle this large is refused as a possible zip bomb; raise max_entries if real",
            )


def entry_kind(info: zipfile.ZipInfo) -> str:
    """'file', 'dir', 'symlink' or 'special', from the Unix mode in external_attr."""
    mode = (info.external_attr >> 16) & 0xFFFF
    ftype = stat.S_IFMT(mode)
    if ftype == stat.S_IFLNK:
        return "symlink"
    if ftype == stat.S_IFDIR or info.filename.endswith("/"):
        return "dir"
    if ftype in (0, stat.S_IFREG):
        return "file"
    return "special"


def extract_zip(
    zip_path: Path, target: Path, budget: Budget | None = None, label: str | None = None
) -> list[str]:
    """Extract zip_path into target (which must exist); returns the files written, posix, sorted.

    Refuses the whole zip (BundleError, nothing written) when any entry name or type is unsafe;
    refuses mid-way when the streamed bytes pass a limit (the caller removes the folder).
    """
    bud = budget or Budget()
    where = label or str(zip_path)
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise bundle_error(where, f"not a readable zip: {exc}", "re-create the archive") from None
    with zf:
        plan = _plan(zf, where, bud)
        written: list[str] = []
        for info, rel in plan:
            dest = target.joinpath(*rel.parts)
            try:
                if entry_kind(info) == "dir":
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                _stream(zf, info, dest, bud, f"{where}: {info.filename}")
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
                raise bundle_error(
                    f"{where}: {info.filename}",
                    f"entry clashes with another entry ({exc.strerror})",
                    "a zip must not hold a file and a folder of the same name",
                ) from None
            written.append(str(rel))
    return sorted(written)


def _plan(
    zf: zipfile.ZipFile, where: str, bud: Budget
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    infos = zf.infolist()
    bud.take_entries(len(infos), where)
    lim = bud.limits
    seen: set[str] = set()
    plan: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    declared = 0
    for info in infos:
        name = f"{where}: {info.filename}"
        kind = entry_kind(info)
        if kind == "dir" and info.filename.strip("/") in ("", "."):
            continue
        rel = safe_relpath(info.filename, name)
        if kind == "symlink":
            raise bundle_error(name, "symlink entries are refused", "zip the files, not links")
        if kind == "special":
            raise bundle_error(name, "device, FIFO or socket entries are refused")
        if info.flag_bits & _ENCRYPTED:
            raise bundle_error(
                name, "encrypted entries are not supported", "zip without a password"
            )
        key = str(rel)
        if kind == "file":
            if key in seen:
                raise bundle_error(name, "duplicate entry", "a zip must name each file once")
            if info.file_size > lim.max_entry_bytes:
                raise _too_big(name, info.file_size, lim.max_entry_bytes, "per-entry")
            declared += info.file_size
            if bud.bytes_used + declared > lim.max_total_bytes:
                raise _too_big(where, bud.bytes_used + declared, lim.max_total_bytes, "total")
        seen.add(key)
        plan.append((info, rel))
    return plan


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, bud: Budget, name: str) -> None:
    lim = bud.limits
    count = 0
    ratio_cap = max(info.compress_size, 1) * lim.max_ratio
    try:
        entry = zf.open(info)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError) as exc:
        # OSError: a header offset past the end of a truncated archive makes the seek fail
        raise bundle_error(
            name, f"corrupt or unsupported entry: {exc}", "re-create the zip"
        ) from None
    try:
        with entry as src, dest.open("xb") as out:
            while chunk := src.read(_CHUNK):
                count += len(chunk)
                if count > lim.max_entry_bytes:
                    raise _too_big(name, count, lim.max_entry_bytes, "per-entry")
                if bud.bytes_used + count > lim.max_total_bytes:
                    raise _too_big(name, bud.bytes_used + count, lim.max_total_bytes, "total")
                if count > lim.ratio_grace_bytes and count > ratio_cap:
                    raise bundle_error(
                        name,
                        f"expands more than {lim.max_ratio:g}x ({info.compress_size} compressed "
                        f"bytes gave over {count})",
                        "refused as a possible zip bomb; raise max_ratio if the file is real",
                    )
                out.write(chunk)
    except BundleError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise bundle_error(
            name, f"corrupt or unsupported entry: {exc}", "re-create the zip"
        ) from None
    bud.bytes_used += count


def _too_big(name: str, size: int, limit: int, which: str) -> BundleError:
    return bundle_error(
        name,
        f"{size} bytes uncompressed, over the {which} limit of {limit}",
        "refused as a possible zip bomb; raise the limit in BundleLimits if the data is real",
    )
