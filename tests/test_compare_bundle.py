"""Run bundles: write, read back (folder and zip), and the errors a broken run.json gives."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtotekton.compare.bundle import (
    BundleError,
    BundleLimits,
    RunBundle,
    RunInfo,
    StepRecord,
    UnitRecord,
    open_bundle,
    write_bundle,
)
from ghtotekton.errors import InputError


def _info(**over: object) -> RunInfo:
    data: dict[str, object] = {
        "system": "tekton",
        "run_id": "ci/build-x7",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "ref": "main",
        "event": "push",
        "started": "2024-05-01T10:00:00Z",
        "finished": "2024-05-01T10:05:30+00:00",
        "status": "failed",
        "units": [
            {
                "name": "build",
                "kind": "task",
                "status": "failed",
                "duration_s": 12.5,
                "steps": [
                    {"name": "clone", "status": "succeeded", "duration_s": 1.0},
                    {"name": "test", "status": "failed"},
                    {"name": "upload", "status": "skipped"},
                ],
            },
            {"name": "lint", "kind": "task", "status": "succeeded"},
        ],
    }
    data.update(over)
    return RunInfo.model_validate(data)


def _contents(bundle: RunBundle) -> dict[str, bytes]:
    return {rel: path.read_bytes() for rel, path in bundle.artifacts().items()}


# -- round trips ------------------------------------------------------------------------------


def test_folder_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "report.xml"
    src.write_bytes(b"<testsuite/>")
    files: dict[str, Path | bytes] = {
        "junit/report.xml": src,
        "notebooks/a b.ipynb": b'{"cells": []}',
        "log.txt": b"line 1\nline 2\n",
    }
    target = write_bundle(tmp_path / "bundle", _info(), files)
    assert target == tmp_path / "bundle"
    assert (target / "run.json").is_file()

    bundle = open_bundle(target)
    assert bundle.info == _info()
    assert bundle.root == target
    assert bundle.source == str(target)
    assert list(bundle.artifacts()) == sorted(files)
    expected = {rel: (v.read_bytes() if isinstance(v, Path) else v) for rel, v in files.items()}
    assert _contents(bundle) == expected
    assert bundle.size("log.txt") == len(expected["log.txt"])
    assert bundle.read_bytes("log.txt", 100) == expected["log.txt"]


def test_zip_round_trip(tmp_path: Path) -> None:
    files: dict[str, Path | bytes] = {"a/b/c.json": b'{"x": 1}', "top.txt": b"hello"}
    target = write_bundle(tmp_path / "bundle.zip", _info(system="github-actions"), files)
    assert zipfile.is_zipfile(target)
    work = tmp_path / "work"
    with open_bundle(target, workdir=work) as bundle:
        assert bundle.info == _info(system="github-actions")
        assert _contents(bundle) == files
        assert bundle.root.is_relative_to(work)
        assert bundle.source == str(target)


def test_zip_with_the_bundle_folder_at_its_top(tmp_path: Path) -> None:
    """`zip -r b.zip bundle/` puts everything under bundle/; that is a bundle too."""
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("bundle/run.json", _info().model_dump_json())
        zf.writestr("bundle/artifacts/x.txt", b"x")
    with open_bundle(archive) as bundle:
        assert bundle.info == _info()
        assert _contents(bundle) == {"x.txt": b"x"}


def test_zip_temp_folder_is_removed_on_close(tmp_path: Path) -> None:
    archive = write_bundle(tmp_path / "b.zip", _info(), {"x": b"1"})
    bundle = open_bundle(archive)
    root = bundle.root
    assert root.is_dir()
    bundle.close()
    assert not root.exists()


def test_zip_without_run_json(tmp_path: Path) -> None:
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("artifacts/x.txt", b"x")
    with pytest.raises(BundleError) as err:
        open_bundle(archive)
    assert "no run.json" in err.value.first.message
    assert err.value.first.position.file == str(archive)


def test_write_replaces_an_existing_bundle(tmp_path: Path) -> None:
    target = tmp_path / "b"
    write_bundle(target, _info(), {"old.txt": b"old"})
    write_bundle(target, _info(status="succeeded"), {"new.txt": b"new"})
    bundle = open_bundle(target)
    assert bundle.info.status == "succeeded"
    assert _contents(bundle) == {"new.txt": b"new"}
    assert [p.name for p in tmp_path.iterdir()] == ["b"]  # no staging or backup left behind


def test_write_refuses_to_overwrite_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.tex").write_text("years of work")
    with pytest.raises(BundleError):
        write_bundle(target, _info(), {})
    assert (target / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize("rel", ["../x", "/etc/x", "a/../../x", "C:/x", "a\\b", ""])
def test_write_refuses_unsafe_artifact_paths(tmp_path: Path, rel: str) -> None:
    with pytest.raises(BundleError):
        write_bundle(tmp_path / "b", _info(), {rel: b"x"})
    assert not (tmp_path / "b").exists()
    assert not (tmp_path / "x").exists()


def test_write_names_an_unreadable_source_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(BundleError) as err:
        write_bundle(tmp_path / "b", _info(), {"n.txt": missing})
    assert err.value.first.position.file == str(missing)
    assert not (tmp_path / "b").exists()


# -- run.json errors --------------------------------------------------------------------------


def _bundle_with(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "b"
    root.mkdir()
    (root / "run.json").write_text(text, encoding="utf-8")
    return root


def test_invalid_json_is_positioned(tmp_path: Path) -> None:
    text = '{\n  "system": "tekton",\n  "run_id": ,\n  "commit": "abc"\n}\n'
    root = _bundle_with(tmp_path, text)
    with pytest.raises(BundleError) as err:
        open_bundle(root)
    pos = err.value.first.position
    assert pos.file == str(root / "run.json")
    line_text = text.splitlines()[pos.line - 1]
    assert pos.line == 3
    assert pos.col == line_text.index(",") + 1
    assert err.value.first.hint
    assert isinstance(err.value, InputError)


def test_schema_errors_name_the_field(tmp_path: Path) -> None:
    data = _info().model_dump(mode="json")
    data["units"][0]["steps"][1]["status"] = "exploded"
    del data["commit"]
    root = _bundle_with(tmp_path, json.dumps(data, indent=2))
    with pytest.raises(BundleError) as err:
        open_bundle(root)
    messages = [d.message for d in err.value.diagnostics]
    assert any(m.startswith("units[0].steps[1].status:") for m in messages), messages
    assert any(m.startswith("commit:") for m in messages), messages
    assert all(d.position.file == str(root / "run.json") for d in err.value.diagnostics)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"system": "tekton", "system": "tekton"}', "duplicate key"),
        ('{"system": NaN}', "NaN"),
        ("[1, 2]", "JSON object"),
        ("", "invalid JSON"),
    ],
)
def test_other_run_json_errors(tmp_path: Path, text: str, words: str) -> None:
    root = _bundle_with(tmp_path, text)
    with pytest.raises(BundleError) as err:
        open_bundle(root)
    assert words in str(err.value)


def test_timestamps_must_be_iso_8601(tmp_path: Path) -> None:
    data = _info().model_dump(mode="json")
    data["started"] = "yesterday at noon"
    root = _bundle_with(tmp_path, json.dumps(data))
    with pytest.raises(BundleError) as err:
        open_bundle(root)
    assert "started" in err.value.first.message


def test_negative_or_infinite_durations_are_refused() -> None:
    with pytest.raises(ValueError):
        StepRecord(name="s", status="succeeded", duration_s=-1.0)
    with pytest.raises(ValueError):
        UnitRecord(name="u", kind="job", status="succeeded", duration_s=float("inf"))


def test_unknown_keys_survive_a_round_trip(tmp_path: Path) -> None:
    """A newer writer may add fields; an older reader must keep, not drop or refuse, them."""
    data = _info().model_dump(mode="json")
    data["runner"] = {"os": "linux"}
    data["units"][0]["steps"][0]["exit_code"] = 0
    root = _bundle_with(tmp_path, json.dumps(data))
    info = open_bundle(root).info
    out = write_bundle(tmp_path / "again", info, {})
    assert json.loads((out / "run.json").read_text()) == data


def test_missing_run_json(tmp_path: Path) -> None:
    (tmp_path / "b" / "artifacts").mkdir(parents=True)
    with pytest.raises(BundleError) as err:
        open_bundle(tmp_path / "b")
    assert err.value.first.position.file == str(tmp_path / "b" / "run.json")
    assert "missing" in err.value.first.message


def test_run_json_over_the_limit(tmp_path: Path) -> None:
    root = write_bundle(tmp_path / "b", _info(), {})
    size = (root / "run.json").stat().st_size
    with pytest.raises(BundleError) as err:
        open_bundle(root, limits=BundleLimits(max_run_json_bytes=size - 1))
    assert str(size) in err.value.first.message
    assert open_bundle(root, limits=BundleLimits(max_run_json_bytes=size)).info == _info()


def test_source_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(BundleError) as err:
        open_bundle(tmp_path / "nowhere")
    assert "github:" in err.value.first.hint


def test_source_that_is_neither_folder_nor_zip(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hi")
    with pytest.raises(BundleError):
        open_bundle(f)


# -- listing ----------------------------------------------------------------------------------


def test_artifacts_lists_regular_files_only(tmp_path: Path) -> None:
    root = write_bundle(tmp_path / "b", _info(), {"z.txt": b"z", "a/b.txt": b"b", "a/a.txt": b"a"})
    art = root / "artifacts"
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (art / "link.txt").symlink_to(outside)
    (art / "linkdir").symlink_to(tmp_path)
    os.mkfifo(art / "pipe")
    bundle = open_bundle(root)
    assert list(bundle.artifacts()) == ["a/a.txt", "a/b.txt", "z.txt"]
    skipped = bundle.skipped()
    assert set(skipped) == {"link.txt", "linkdir", "pipe"}
    assert "symlink" in skipped["link.txt"]
    assert "FIFO" in skipped["pipe"]
    for rel in ("link.txt", "linkdir/secret.txt", "pipe"):
        with pytest.raises(BundleError):
            bundle.open(rel)


def test_read_bytes_refuses_more_than_the_limit(tmp_path: Path) -> None:
    root = write_bundle(tmp_path / "b", _info(), {"big.bin": b"x" * 100})
    bundle = open_bundle(root)
    with pytest.raises(BundleError) as err:
        bundle.read_bytes("big.bin", 99)
    assert "100" in err.value.first.message
    assert bundle.read_bytes("big.bin", 100) == b"x" * 100


# -- property ---------------------------------------------------------------------------------

_name = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20
)
_time = st.datetimes().map(lambda d: d.isoformat())
_duration = st.none() | st.floats(min_value=0, max_value=1e7, allow_nan=False)
_step = st.builds(
    StepRecord,
    name=_name,
    status=st.sampled_from(["succeeded", "failed", "skipped", "cancelled"]),
    duration_s=_duration,
)
_unit = st.builds(
    UnitRecord,
    name=_name,
    kind=st.sampled_from(["job", "task"]),
    status=st.sampled_from(["succeeded", "failed", "skipped", "cancelled"]),
    duration_s=_duration,
    steps=st.lists(_step, max_size=4),
)
_run = st.builds(
    RunInfo,
    system=st.sampled_from(["github-actions", "tekton"]),
    run_id=_name,
    commit=st.text(alphabet="0123456789abcdef", min_size=1, max_size=40),
    ref=st.none() | _name,
    event=st.none() | _name,
    started=st.none() | _time,
    finished=st.none() | _time,
    status=st.sampled_from(["succeeded", "failed", "cancelled"]),
    units=st.lists(_unit, max_size=4),
)
_segment = st.text(alphabet="abcXYZ019_-. é", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..") and s.strip(".") != ""
)
_files = st.dictionaries(
    st.lists(_segment, min_size=1, max_size=3).map("/".join), st.binary(max_size=64), max_size=5
)


def _no_prefix_clash(files: dict[str, bytes]) -> bool:
    """A path cannot be both a file and a folder."""
    return not any(a != b and b.startswith(a + "/") for a in files for b in files)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(info=_run, files=_files.filter(_no_prefix_clash), as_zip=st.booleans())
def test_round_trip_property(info: RunInfo, files: dict[str, bytes], as_zip: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / ("b.zip" if as_zip else "b")
        write_bundle(target, info, dict(files))
        with open_bundle(target, workdir=Path(tmp) / "work") as bundle:
            assert bundle.info == info
            assert _contents(bundle) == files


def test_written_bundle_is_readable_by_others(tmp_path: Path) -> None:
    """Written through a temporary sibling, but with the mode a plain mkdir/open would give."""
    umask = os.umask(0o022)
    try:
        folder = write_bundle(tmp_path / "b", _info(), {"x": b"1"})
        archive = write_bundle(tmp_path / "b.zip", _info(), {"x": b"1"})
    finally:
        os.umask(umask)
    assert folder.stat().st_mode & 0o777 == 0o755
    assert archive.stat().st_mode & 0o777 == 0o644


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"


@pytest.mark.parametrize("name", ["minimal-github", "minimal-tekton"])
def test_fixture_bundles_open(name: str) -> None:
    bundle = open_bundle(FIXTURES / name)
    assert bundle.info.system == ("github-actions" if "github" in name else "tekton")
    assert "junit/report.xml" in bundle.artifacts()
    assert bundle.skipped() == {}


def test_fixture_bundles_are_one_commit() -> None:
    """The pair is a shadow run: both systems built the same commit."""
    a, b = (open_bundle(FIXTURES / n).info for n in ("minimal-github", "minimal-tekton"))
    assert a.commit == b.commit
    assert [u.name for u in a.units] == [u.name for u in b.units]
