"""`convert -o DIR` over an earlier output loses nothing: a failed run leaves it exactly as it was,
files ghtotekton did not write survive every run, and generated files the user edited are kept
(and listed) unless `--force`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton.cli import app

GOOD = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: echo a}]\n"
OTHER = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps: [{run: echo b}]\n"
FAILURES = {
    "broken YAML": "on: push\njobs: [\n",
    "not a workflow": "jobs: {a: {runs-on: ubuntu-latest, steps: 3}}\n",
    "alias bomb": "a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
}


def _convert(root: Path, workflow: str, *extra: str) -> tuple[int, str]:
    (root / "ci.yml").write_text(workflow)
    result = CliRunner().invoke(
        app, ["convert", str(root / "ci.yml"), "-o", str(root / "tekton"), *extra]
    )
    return result.exit_code, result.stderr


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _edited_output(root: Path) -> Path:
    """An earlier output with a file the user added, one in a folder of theirs, and an edit."""
    code, err = _convert(root, GOOD)
    assert code == 0, err
    out = root / "tekton"
    (out / "NOTES.md").write_text("our notes\n")
    (out / "ours").mkdir()
    (out / "ours" / "extra.yaml").write_text("kind: ConfigMap\n")
    with (out / "kustomization.yaml").open("a") as f:
        f.write("# reviewed by us\n")
    return out


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_run_leaves_the_previous_output_exactly_as_it_was(
    tmp_path: Path, failure: str
) -> None:
    out = _edited_output(tmp_path)
    before = _snapshot(out)
    code, err = _convert(tmp_path, FAILURES[failure])
    assert code == 2, err
    assert "nothing written" in err
    assert _snapshot(out) == before


def test_files_the_user_added_survive_and_edits_are_kept_unless_forced(tmp_path: Path) -> None:
    out = _edited_output(tmp_path)
    code, err = _convert(tmp_path, OTHER)  # a run that writes other files
    assert code == 0, err
    assert (out / "NOTES.md").read_text() == "our notes\n"
    assert (out / "ours" / "extra.yaml").is_file()
    assert "NOTES.md" in err and "ours/extra.yaml" in err
    kustomization = (out / "kustomization.yaml").read_text()
    assert kustomization.endswith("# reviewed by us\n")  # kept, and said
    assert "kept your edits" in err and "kustomization.yaml" in err
    # Generated files of the earlier run that this one no longer writes are ours to remove.
    assert not list(out.glob("tasks/ci-a*")) and list(out.glob("tasks/ci-b*"))
    # The edit stays an edit on the next run too; --force replaces it.
    code, err = _convert(tmp_path, OTHER)
    assert "kept your edits" in err
    code, err = _convert(tmp_path, OTHER, "--force")
    assert code == 0, err
    assert "# reviewed by us" not in (out / "kustomization.yaml").read_text()
    assert "replaced your edits" in err
    assert (out / "NOTES.md").is_file()  # --force never deletes what is not ours


def test_the_map_lists_what_the_run_wrote(tmp_path: Path) -> None:
    code, err = _convert(tmp_path, GOOD)
    assert code == 0, err
    out = tmp_path / "tekton"
    recorded = json.loads((out / "migration-map.json").read_text())["files"]
    on_disk = _snapshot(out)
    del on_disk["migration-map.json"]
    assert recorded == on_disk


def test_links_the_user_made_in_the_output_survive(tmp_path: Path) -> None:
    out = _edited_output(tmp_path)
    (out / "docs").symlink_to("../elsewhere")  # a link to a folder, dangling or not
    (out / "readme-link.md").symlink_to("NOTES.md")
    code, err = _convert(tmp_path, OTHER)
    assert code == 0, err
    assert (out / "docs").is_symlink() and str((out / "docs").readlink()) == "../elsewhere"
    assert (out / "readme-link.md").read_text() == "our notes\n"


def test_the_output_folder_is_swapped_in_one_step(tmp_path: Path) -> None:
    """Issue 20, atomic output: never a moment without the output folder (Linux exchange)."""
    import sys

    from ghtotekton.tekton import emit

    out = tmp_path / "tekton"
    emit.write_tree(out, {"a.yaml": "one\n", "migration-map.json": "{}\n"})
    inode = out.stat().st_ino
    emit.write_tree(out, {"a.yaml": "two\n", "migration-map.json": "{}\n"})
    assert (out / "a.yaml").read_text() == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tekton"], "no staging or old folder left"
    if sys.platform == "linux" and emit._renameat2() is not None:
        assert out.stat().st_ino != inode  # the new folder took the name, by exchange


def test_a_swap_cut_off_between_its_renames_is_put_back(tmp_path: Path) -> None:
    """Without renameat2 the old output waits as .NAME.old-PID; the next write restores it."""
    from ghtotekton.tekton import emit

    out = tmp_path / "tekton"
    emit.write_tree(out, {"a.yaml": "one\n", "migration-map.json": "{}\n"})
    (out / "mine.txt").write_text("the user's\n")
    out.rename(tmp_path / ".tekton.old-4242")  # where a kill between the renames leaves it
    emit.write_tree(out, {"a.yaml": "two\n", "migration-map.json": "{}\n"})
    assert (out / "a.yaml").read_text() == "two\n"
    assert (out / "mine.txt").read_text() == "the user's\n", "the user's file came back"
    assert not (tmp_path / ".tekton.old-4242").exists()
