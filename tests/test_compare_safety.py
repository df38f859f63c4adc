"""A bundle is untrusted input: zips cannot escape or explode, folders cannot lead outside."""

from __future__ import annotations

import builtins
import json
import os
import stat
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ghtotekton.compare import safezip
from ghtotekton.compare.bundle import (
    BundleError,
    BundleLimits,
    RunInfo,
    open_bundle,
    write_bundle,
)
from ghtotekton.compare.safezip import Budget, extract_zip

INFO = RunInfo(system="github-actions", run_id="1", commit="abc", status="succeeded")
INFO_B = RunInfo(system="tekton", run_id="ci-abc", commit="abc", status="succeeded")
"""Run B of INFO's commit: compare refuses a run compared with itself (issue 21)."""


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def _bundle_zip(path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    return _zip(path, [("run.json", INFO.model_dump_json().encode()), *extra])


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# -- zip slip ---------------------------------------------------------------------------------

SLIP = [
    "../evil.txt",
    "artifacts/../../evil.txt",
    "artifacts/a/../../../evil.txt",
    "/tmp/evil.txt",
    "//server/share/evil.txt",
    "C:/evil.txt",
    "c:evil.txt",
    "C:\\evil.txt",
    "artifacts\\..\\..\\evil.txt",
    "..\\evil.txt",
]


@pytest.mark.parametrize("name", SLIP)
def test_zip_slip_is_refused(tmp_path: Path, name: str) -> None:
    archive = _bundle_zip(tmp_path / "b.zip", [(zipfile.ZipInfo(name), b"pwned")])
    assert name in zipfile.ZipFile(archive).namelist()  # the zip really holds the raw name
    work = tmp_path / "deep" / "work"
    with pytest.raises(BundleError) as err:
        open_bundle(archive, workdir=work)
    assert err.value.first.hint
    assert [p for p in tmp_path.rglob("*evil*")] == []
    assert _tree(work) == []  # the refused extraction left nothing behind


def test_nothing_is_written_when_any_entry_is_unsafe(tmp_path: Path) -> None:
    """Names are checked before the first byte is written, not entry by entry."""
    archive = _zip(tmp_path / "a.zip", [("good.txt", b"ok"), ("../bad.txt", b"x")])
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(BundleError):
        extract_zip(archive, target)
    assert _tree(target) == []


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("artifacts/passwd")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _bundle_zip(tmp_path / "b.zip", [(link, b"/etc/passwd")])
    work = tmp_path / "work"
    with pytest.raises(BundleError) as err:
        open_bundle(archive, workdir=work)
    assert "symlink" in err.value.first.message
    assert _tree(work) == []


def test_device_entry_is_refused(tmp_path: Path) -> None:
    dev = zipfile.ZipInfo("artifacts/null")
    dev.create_system = 3
    dev.external_attr = (stat.S_IFCHR | 0o666) << 16
    archive = _bundle_zip(tmp_path / "b.zip", [(dev, b"")])
    with pytest.raises(BundleError):
        open_bundle(archive, workdir=tmp_path / "work")


def test_encrypted_entry_is_refused(tmp_path: Path) -> None:
    archive = _bundle_zip(tmp_path / "b.zip", [("artifacts/secret.txt", b"x")])
    raw = bytearray(archive.read_bytes())  # zipfile cannot write encrypted entries: set the flag
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.rfind(sig) + offset
        raw[at] |= 0x1
    archive.write_bytes(bytes(raw))
    assert zipfile.ZipFile(archive).getinfo("artifacts/secret.txt").flag_bits & 0x1
    with pytest.raises(BundleError) as err:
        open_bundle(archive, workdir=tmp_path / "work")
    assert "encrypted" in err.value.first.message


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize(
    "entries",
    [
        [("artifacts/a.txt", b"1"), ("artifacts/a.txt", b"2")],
        [("artifacts/a", b"file"), ("artifacts/a/b", b"under a file")],
    ],
    ids=["duplicate", "file-and-folder"],
)
def test_ambiguous_entries_are_refused(tmp_path: Path, entries: list[tuple[str, bytes]]) -> None:
    archive = _bundle_zip(tmp_path / "b.zip", list(entries))
    with pytest.raises(BundleError):
        open_bundle(archive, workdir=tmp_path / "work")


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "b.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(BundleError) as err:
        open_bundle(bad, workdir=tmp_path / "work")
    assert err.value.first.position.file == str(bad)


# -- zip bombs --------------------------------------------------------------------------------

MiB = 1024 * 1024


def test_total_size_limit(tmp_path: Path) -> None:
    archive = _bundle_zip(tmp_path / "b.zip", [("artifacts/zeros.bin", bytes(8 * MiB))])
    assert archive.stat().st_size < 64 * 1024  # the bomb is small on disk
    limits = BundleLimits(max_total_bytes=4 * MiB, max_ratio=1e9)
    work = tmp_path / "work"
    with pytest.raises(BundleError) as err:
        open_bundle(archive, workdir=work, limits=limits)
    assert "total limit" in err.value.first.message
    assert _tree(work) == []
    # the same zip opens under a limit it fits
    roomy = BundleLimits(max_total_bytes=16 * MiB, max_ratio=1e9)
    with open_bundle(archive, workdir=work, limits=roomy) as bundle:
        assert bundle.size("zeros.bin") == 8 * MiB


def test_total_is_counted_across_entries(tmp_path: Path) -> None:
    entries: list[tuple[zipfile.ZipInfo | str, bytes]] = [
        (f"artifacts/{i}.bin", bytes(MiB)) for i in range(5)
    ]
    archive = _bundle_zip(tmp_path / "b.zip", entries)
    limits = BundleLimits(max_total_bytes=4 * MiB, max_entry_bytes=2 * MiB, max_ratio=1e9)
    with pytest.raises(BundleError):
        open_bundle(archive, workdir=tmp_path / "work", limits=limits)


def test_per_entry_limit(tmp_path: Path) -> None:
    archive = _bundle_zip(tmp_path / "b.zip", [("artifacts/zeros.bin", bytes(3 * MiB))])
    limits = BundleLimits(max_entry_bytes=2 * MiB, max_ratio=1e9)
    with pytest.raises(BundleError) as err:
        open_bundle(archive, workdir=tmp_path / "work", limits=limits)
    assert "per-entry" in err.value.first.message


def test_compression_ratio_limit(tmp_path: Path) -> None:
    """Caught while streaming: the ratio check uses the bytes that came out, not the header."""
    archive = _bundle_zip(tmp_path / "b.zip", [("artifacts/zeros.bin", bytes(8 * MiB))])
    info = zipfile.ZipFile(archive).getinfo("artifacts/zeros.bin")
    ratio = info.file_size / info.compress_size
    with pytest.raises(BundleError) as err:
        open_bundle(archive, workdir=tmp_path / "w1", limits=BundleLimits(max_ratio=ratio / 2))
    assert "expands" in err.value.first.message
    with open_bundle(archive, workdir=tmp_path / "w2", limits=BundleLimits(max_ratio=ratio * 2)):
        pass


def test_small_files_are_never_refused_for_their_ratio(tmp_path: Path) -> None:
    archive = _bundle_zip(tmp_path / "b.zip", [("artifacts/zeros.bin", bytes(512 * 1024))])
    limits = BundleLimits(max_ratio=2, ratio_grace_bytes=MiB)
    with open_bundle(archive, workdir=tmp_path / "work", limits=limits) as bundle:
        assert bundle.size("zeros.bin") == 512 * 1024


def test_lying_header_is_not_trusted(tmp_path: Path) -> None:
    """A header claiming fewer bytes than the data holds must not yield a silent, cut file."""
    archive = _bundle_zip(tmp_path / "b.zip", [("artifacts/data.bin", os.urandom(64 * 1024))])
    raw = bytearray(archive.read_bytes())
    small = (1000).to_bytes(4, "little")
    local = raw.rfind(b"PK\x03\x04")  # the last local header is data.bin's
    central = raw.rfind(b"PK\x01\x02")
    raw[local + 22 : local + 26] = small
    raw[central + 24 : central + 28] = small
    archive.write_bytes(bytes(raw))
    assert zipfile.ZipFile(archive).getinfo("artifacts/data.bin").file_size == 1000
    with pytest.raises(BundleError) as err:
        open_bundle(archive, workdir=tmp_path / "work")
    assert "corrupt" in err.value.first.message


def test_entry_count_limit(tmp_path: Path) -> None:
    entries: list[tuple[zipfile.ZipInfo | str, bytes]] = [
        (f"artifacts/{i}.txt", b"x") for i in range(20)
    ]
    archive = _bundle_zip(tmp_path / "b.zip", entries)
    with pytest.raises(BundleError) as err:
        open_bundle(archive, workdir=tmp_path / "w1", limits=BundleLimits(max_entries=10))
    assert "entries" in err.value.first.message
    with open_bundle(archive, workdir=tmp_path / "w2", limits=BundleLimits(max_entries=21)) as b:
        assert len(b.artifacts()) == 20


def test_budget_is_shared_between_zips(tmp_path: Path) -> None:
    """Remote runs extract one zip per artifact; the limits hold for their sum."""
    one = _zip(tmp_path / "one.zip", [("a.bin", bytes(3 * MiB))])
    budget = Budget(BundleLimits(max_total_bytes=5 * MiB, max_ratio=1e9))
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    extract_zip(one, tmp_path / "x", budget)
    with pytest.raises(BundleError):
        extract_zip(one, tmp_path / "y", budget)


def test_entry_kind() -> None:
    plain = zipfile.ZipInfo("a.txt")
    assert safezip.entry_kind(plain) == "file"
    folder = zipfile.ZipInfo("a/")
    assert safezip.entry_kind(folder) == "dir"


# -- folders ----------------------------------------------------------------------------------


def test_huge_sparse_file_is_listed_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_bundle(tmp_path / "b", INFO, {"small.txt": b"s"})
    huge = root / "artifacts" / "huge.bin"
    with huge.open("wb") as fh:
        fh.truncate(2 * 1024**3)
    real_open = builtins.open

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(str(file)) == huge:
            raise AssertionError("the bundle layer read the huge file")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    start = time.monotonic()
    bundle = open_bundle(root)
    listed = bundle.artifacts()
    size = bundle.size("huge.bin")
    elapsed = time.monotonic() - start
    assert list(listed) == ["huge.bin", "small.txt"]
    assert size == 2 * 1024**3
    assert elapsed < 2.0
    with pytest.raises(BundleError) as err:
        bundle.read_bytes("huge.bin", 10 * MiB)  # refused by its size, before any read
    assert "limit" in err.value.first.message


def test_symlinks_do_not_lead_out_of_a_folder_bundle(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    root = write_bundle(tmp_path / "b", INFO, {"ok.txt": b"ok"})
    (root / "artifacts" / "sub").symlink_to(outside, target_is_directory=True)
    (root / "artifacts" / "file").symlink_to(outside / "secret.txt")
    bundle = open_bundle(root)
    assert list(bundle.artifacts()) == ["ok.txt"]
    assert all(outside not in p.parents for p in bundle.artifacts().values())


def test_symlinked_artifacts_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    root = write_bundle(tmp_path / "b", INFO, {})
    (root / "artifacts").rmdir()
    (root / "artifacts").symlink_to(outside, target_is_directory=True)
    bundle = open_bundle(root)
    assert bundle.artifacts() == {}
    assert "symlink" in bundle.skipped()["."]


def test_symlinked_run_json_is_refused(tmp_path: Path) -> None:
    real = write_bundle(tmp_path / "real", INFO, {})
    root = tmp_path / "b"
    root.mkdir()
    (root / "run.json").symlink_to(real / "run.json")
    with pytest.raises(BundleError) as err:
        open_bundle(root)
    assert "symlink" in err.value.first.message


def test_run_json_that_is_a_folder(tmp_path: Path) -> None:
    root = tmp_path / "b"
    (root / "run.json").mkdir(parents=True)
    with pytest.raises(BundleError) as err:
        open_bundle(root)
    assert "not a regular file" in err.value.first.message


def test_folder_where_an_artifact_file_is_expected(tmp_path: Path) -> None:
    root = write_bundle(tmp_path / "b", INFO, {"dir/inner.txt": b"x"})
    bundle = open_bundle(root)
    with pytest.raises(BundleError) as err:
        bundle.open("dir")
    assert "not a regular file" in err.value.first.message


def test_unreadable_artifact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_bundle(tmp_path / "b", INFO, {"locked.txt": b"x"})
    locked = root / "artifacts" / "locked.txt"
    if os.geteuid() != 0:
        locked.chmod(0)
    else:
        # root reads anything, so make the open fail the way permissions would
        real = Path.open

        def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self == locked:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", deny)
    bundle = open_bundle(root)
    assert "locked.txt" in bundle.artifacts()  # listing never needs read access
    with pytest.raises(BundleError) as err:
        bundle.read_bytes("locked.txt", 100)
    assert err.value.first.position.file == str(locked)
    assert "Permission denied" in err.value.first.message
    assert "permission" in err.value.first.hint


def test_unreadable_run_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_bundle(tmp_path / "b", INFO, {})
    run_json = root / "run.json"
    real = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self == run_json:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(BundleError) as err:
        open_bundle(root)
    assert err.value.first.position.file == str(run_json)
    assert "Permission denied" in err.value.first.message


def test_unlistable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_bundle(tmp_path / "b", INFO, {"ok.txt": b"1", "closed/x.txt": b"2"})
    closed = root / "artifacts" / "closed"
    real = os.scandir

    def deny(path: Any) -> Any:
        if Path(path) == closed:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", deny)
    bundle = open_bundle(root)
    assert list(bundle.artifacts()) == ["ok.txt"]
    assert "Permission denied" in bundle.skipped()["closed"]


# -- end to end: hostile bundles through `ghtotekton compare` with the default limits ---------
# The tests above drive bundle.py and safezip.py with small limits; these hand hostile runs to
# the command a CI job runs, with nothing lowered, and check the exit code, the message, what
# is left on disk, and that nothing hostile is read into memory or into the report.

BILLION_LAUGHS_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>\n"
).encode()
"""Nine levels of ten: expanding ``&lol9;`` would make a billion "lol"s (3 GB)."""


def _cli(*args: str | Path) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from ghtotekton.cli import app

    result = CliRunner().invoke(app, ["compare", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def _good_pair(tmp_path: Path, files: dict[str, bytes]) -> Path:
    return write_bundle(tmp_path / "a", INFO, files)


def test_cli_refuses_a_zip_bomb_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 MiB of zeros deflate ~1000:1, five times the default ratio limit of 200."""
    bomb = tmp_path / "run-b.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("run.json", INFO.model_dump_json())
        with zf.open("artifacts/weights.bin", "w") as fh:
            for _ in range(64):
                fh.write(bytes(MiB))
    assert bomb.stat().st_size < MiB
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    a = _good_pair(tmp_path, {"weights.bin": b"w"})
    code, out, err = _cli("--run-a", a, "--run-b", bomb, "-f", "json")
    assert code == 2, (out, err)
    assert out == ""
    assert "weights.bin" in err and "expands" in err
    assert list(scratch.iterdir()) == []  # the partial extraction was removed


def test_cli_refuses_zip_slip_and_writes_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slip = _bundle_zip(tmp_path / "run-b.zip", [("artifacts/../../../evil.txt", b"owned")])
    scratch = tmp_path / "deep" / "er" / "tmp"
    scratch.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    a = _good_pair(tmp_path, {})
    code, _, err = _cli("--run-a", a, "--run-b", slip)
    assert code == 2
    assert "escapes" in err
    assert not list(tmp_path.rglob("evil.txt"))
    assert list(scratch.iterdir()) == []


def test_entity_expansion_in_reports_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    """Billion laughs in JUnit and Cobertura, and an external entity that would read a file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    junit_ok = b'<testsuite name="s" tests="1"><testcase classname="t" name="ok"/></testsuite>'
    cov_ok = b'<coverage line-rate="1" branch-rate="1" version="7"><packages/></coverage>'
    a = _good_pair(tmp_path, {"junit.xml": junit_ok, "coverage.xml": cov_ok, "x.xml": cov_ok})
    hostile = {
        "junit.xml": BILLION_LAUGHS_DTD + b"<testsuite>&lol9;</testsuite>",
        "coverage.xml": BILLION_LAUGHS_DTD + b'<coverage line-rate="&lol9;"/>',
        "x.xml": (
            b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY s SYSTEM "'
            + secret.as_uri().encode()
            + b'">]><coverage line-rate="1">&s;</coverage>'
        ),
    }
    b = write_bundle(tmp_path / "b", INFO.model_copy(update={"system": "tekton"}), hostile)
    start = time.monotonic()
    code, out, err = _cli("--run-a", a, "--run-b", b, "-f", "json")
    assert time.monotonic() - start < 30
    assert code == 1, err
    assert "TOP-SECRET-TOKEN" not in out
    doc = json.loads(out)
    assert doc["verdict"] == "divergent"
    unreadable = {d["path"] for d in doc["differences"] if d["kind"] == "unreadable"}
    assert unreadable == {"junit.xml", "coverage.xml", "x.xml"}


def test_sparse_2gb_artifacts_of_every_type_are_not_loaded(tmp_path: Path) -> None:
    """A 2 GiB file (sparse: no disk used) under each handler's extension, on one side only.

    Sizes differ, so no byte comparison runs; every handler must refuse or hash by size rather
    than parse, and the comparison must stay small and quick.
    """
    import resource

    from ghtotekton.compare.engine import compare

    names = ["r.json", "nb.ipynb", "junit.xml", "coverage.xml", "log.txt", "page.html"]
    names += ["data.bin", "t.csv", "c.yaml"]
    a = _good_pair(tmp_path, {n: b"{}\n" for n in names})
    b = write_bundle(tmp_path / "b", INFO_B, {n: b"" for n in names})
    for name in names:
        with (b / "artifacts" / name).open("r+b") as fh:
            fh.truncate(2 * 1024**3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    with open_bundle(a) as run_a, open_bundle(b) as run_b:
        result = compare(run_a, run_b)
    elapsed = time.monotonic() - start
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert elapsed < 20, elapsed
    assert grown_mib < 100, grown_mib
    assert result.verdict == "divergent"
    assert {f.path for f in result.files if f.status == "different"} == set(names)


def test_unreadable_artifact_is_a_difference_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handlers open through os.open; a permission error there becomes an unreadable difference.

    Root reads anything, so the denial is made at os.open, for B's files only.
    """
    from ghtotekton.compare.engine import compare

    files = {"junit.xml": b'<testsuite name="s"><testcase classname="t" name="a"/></testsuite>'}
    files["log.txt"] = b"line\n"
    a = _good_pair(tmp_path, files)
    b = write_bundle(tmp_path / "b", INFO_B, {k: v + b" " for k, v in files.items()})
    locked = {os.fspath(b / "artifacts" / name) for name in files}
    real_open = os.open

    def deny(path: Any, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path) in locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    with open_bundle(a) as run_a, open_bundle(b) as run_b:
        result = compare(run_a, run_b)
    assert result.verdict == "divergent"
    unreadable = [d for d in result.differences if d.kind == "unreadable"]
    assert {d.path for d in unreadable} == set(files)
    # B's side is named as the unreadable one, with the reason; A's side was read fine
    assert all(d.a is None and "permission denied" in (d.b or "").lower() for d in unreadable)
    assert all("run B" in d.message for d in unreadable)
