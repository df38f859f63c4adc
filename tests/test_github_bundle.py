"""The GitHub side of `convert --shadow-compare`: jobs that write notebooks upload a run bundle.

The patch must add exactly two steps at the end of each such job and nothing else (comments,
odd indentation, CRLF and a missing final newline stay), read back with our parser and with
actionlint, replace itself when converting again, and be dropped by the converter so a
workflow that carries it converts to the same Tekton resources as one that does not.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton.cli import app
from ghtotekton.compare.sources import github as github_source
from ghtotekton.convert import github_bundle as gb
from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.notebooks import container_path, copy_trap, host_path, outputs_in
from ghtotekton.errors import InputError
from ghtotekton.github.loader import load_workflow_text
from tests.conftest import FIXTURES
from tests.test_rollout_patch import actionlint

WORKFLOW = """\
name: Notebooks   # shown in the Actions tab
on: [push]

jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      -   run: papermill a.ipynb out/a.ipynb   # odd indentation a re-dump would normalise
      - name: keep trailing blank lines
        run: |
          echo one

    # a comment that belongs to the next job
  indentless:
    runs-on: ubuntu-latest
    steps:
    - run: papermill b.ipynb b-out.ipynb
    # a comment inside the list, after the last step
  call:
    uses: ./.github/workflows/other.yml
  flow:
    runs-on: ubuntu-latest
    steps: [{run: papermill c.ipynb c-out.ipynb}]
  last:
    runs-on: ubuntu-latest
    steps:
      - run: papermill d.ipynb d-out.ipynb"""  # no final newline

WANTED = {
    "first": ["out/a.ipynb"],
    "indentless": ["b-out.ipynb"],
    "call": ["x.ipynb"],
    "flow": ["c-out.ipynb"],
    "last": ["d-out.ipynb"],
}


def added_lines(before: str, after: str) -> list[str]:
    """The lines the patch added; fails if it removed or changed any."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [d for d in diff if d.startswith("- ")], "a line of the original changed"
    return [d[2:] for d in diff if d.startswith("+ ")]


def test_adds_two_steps_to_each_job_and_changes_nothing_else() -> None:
    patch = gb.add_bundle_steps(WORKFLOW, "nb.yml", WANTED)
    assert patch.changed
    assert patch.jobs == ["first", "indentless", "last"]
    assert set(patch.skipped) == {"call", "flow"}
    assert "flow style" in patch.skipped["flow"]
    added = added_lines(WORKFLOW, patch.text)
    # 3 jobs x (2 markers + the two steps); the last line of the file also gained its newline
    assert sum(1 for line in added if line.strip().startswith(gb.BEGIN)) == 3
    assert sum(1 for line in added if line.strip() == gb.END) == 3
    loaded = load_workflow_text(patch.text, "nb.yml").workflow
    for job_id in patch.jobs:
        steps = loaded.jobs[job_id].steps
        assert [s.id for s in steps[-2:]] == [gb.COLLECT_ID, gb.UPLOAD_ID]
        assert steps[-1].uses == gb.UPLOAD_ACTION
        assert all(s.continue_on_error is True for s in steps[-2:])
        for path in WANTED[job_id]:
            assert f'"{path}"' in (steps[-2].run or "")
    original = load_workflow_text(WORKFLOW, "nb.yml").workflow
    assert [s.run for s in loaded.jobs["first"].steps[:3]] == [
        s.run for s in original.jobs["first"].steps
    ]
    # the step the comment of the next job followed stays the job's last original step
    lines = patch.text.splitlines()
    comment = lines.index("    # a comment that belongs to the next job")
    assert lines[comment - 1] == ""  # the blank line stays with the comment
    assert lines[comment - 2].strip() == gb.END


def test_patching_again_gives_the_same_text_and_strip_restores_the_original() -> None:
    once = gb.add_bundle_steps(WORKFLOW, "nb.yml", WANTED)
    twice = gb.add_bundle_steps(once.text, "nb.yml", WANTED)
    assert twice.text == once.text
    assert not twice.changed
    stripped = gb.strip_bundle_steps(once.text)
    # the only difference left is the newline the last line gained
    assert stripped == WORKFLOW + "\n"


def test_crlf_files_stay_crlf() -> None:
    text = WORKFLOW.replace("\n", "\r\n") + "\r\n"
    patch = gb.add_bundle_steps(text, "nb.yml", {"first": ["out/a.ipynb"]})
    assert patch.changed
    assert "\n" not in patch.text.replace("\r\n", "")
    assert added_lines(text, patch.text)


def test_a_keep_chomped_last_step_is_refused_not_changed() -> None:
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |+\n          echo\n\n"
    with pytest.raises(InputError, match="would change more than"):
        gb.add_bundle_steps(text, "keep.yml", {"a": ["n.ipynb"]})


def test_the_patched_workflow_passes_actionlint(tmp_path: Path) -> None:
    patch = gb.add_bundle_steps(WORKFLOW, "nb.yml", WANTED)
    lint_me = patch.text.replace(
        "  call:\n    uses: ./.github/workflows/other.yml\n", ""
    )  # actionlint would look for the called file
    result = actionlint(tmp_path, lint_me)
    assert result.returncode == 0, result.stdout + result.stderr


def test_artifact_names_agree_with_the_compare_source() -> None:
    assert gb.ARTIFACT_PREFIX == github_source.BUNDLE_PREFIX
    upload = gb.bundle_steps(["x"], "job", [])[1]
    assert upload["with"]["name"].startswith(github_source.BUNDLE_PREFIX)


# --- where the notebooks are --------------------------------------------------------------


def test_outputs_keep_expressions_whole() -> None:
    script = (
        "docker compose exec -T lab papermill notebooks/${{ matrix.nb }}.ipynb "
        "${{ env.OUT }}/${{ matrix.nb }}.ipynb -p seed 42\necho papermill is done"
    )
    assert outputs_in(script) == ["${{ env.OUT }}/${{ matrix.nb }}.ipynb"]
    assert outputs_in("papermill in.ipynb 'my out.ipynb'\npapermill a b -k py3") == [
        "'my out.ipynb'",
        "b",
    ]


def test_host_and_container_paths() -> None:
    assert host_path("out.ipynb", "docs") == "docs/out.ipynb"
    assert host_path("'../x/out.ipynb'", "docs/sub") == "docs/x/out.ipynb"
    assert host_path("/tmp/out.ipynb", "docs") == "/tmp/out.ipynb"
    source = "$(workspaces.source.path)"
    binds = {"/work": f"{source}/analysis"}
    assert container_path("r.ipynb", f"{source}/analysis", binds, source) == "analysis/r.ipynb"
    assert container_path("/work/sub/r.ipynb", "/elsewhere", binds, source) == (
        "analysis/sub/r.ipynb"
    )
    assert container_path("/tmp/r.ipynb", f"{source}/analysis", binds, source) is None
    assert container_path("r.ipynb", "/scratch", binds, source) is None
    assert container_path("../../r.ipynb", f"{source}/analysis", binds, source) is None


def test_copy_trap_refuses_single_quotes() -> None:
    assert copy_trap(["a'b.ipynb"]) is None
    trap = copy_trap(["out.ipynb"])
    assert trap is not None and trap.startswith("ght_nb_cwd=$(pwd)\ntrap '")


# --- through the converter ------------------------------------------------------------------


def _convert(folder: Path, shadow: bool) -> dict[str, str]:
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return convert_paths([Path(".github/workflows")], Options(shadow_compare=shadow)).files
    finally:
        os.chdir(cwd)


def test_fixture_gets_its_github_side_and_converts_the_same_with_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "gpu-notebook", repo)
    files = _convert(repo, shadow=True)
    rel = "github-actions/.github/workflows/gpu-notebooks.yml"
    assert [k for k in files if k.startswith("github-actions/")] == [rel]
    original = (repo / ".github/workflows/gpu-notebooks.yml").read_text()
    added = added_lines(original, files[rel])
    assert any("${{ env.REPORT_DIR }}/${{ matrix.notebook }}.ipynb" in line for line in added)
    # without the flag nothing is written for GitHub
    plain = _convert(repo, shadow=False)
    assert not [k for k in plain if k.startswith("github-actions/")]
    # a repository that took the patched workflow converts to the same Tekton resources
    (repo / ".github/workflows/gpu-notebooks.yml").write_text(files[rel])
    again = _convert(repo, shadow=True)
    tekton = ("tasks/", "pipelines/", "examples/", "triggers/", "kustomization.yaml")

    def resources(out: dict[str, str]) -> dict[str, str]:
        # the jobs after the patched one moved down: only their source line numbers change
        return {
            k: re.sub(r"gpu-notebooks\.yml:\d+", "gpu-notebooks.yml:N", v)
            for k, v in out.items()
            if k.startswith(tekton)
        }

    assert resources(again) == resources(files)
    assert again[rel] == files[rel]
    report = again["migration-report.md"]
    assert "the GitHub side of the shadow comparison" in report


def test_cli_writes_the_github_side(cli: CliRunner, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "gpu-notebook", repo)
    out = tmp_path / "out"
    result = cli.invoke(
        app, ["convert", str(repo / ".github/workflows"), "-o", str(out), "--shadow-compare"]
    )
    assert result.exit_code == 0, result.output
    patched = out / "github-actions/.github/workflows/gpu-notebooks.yml"
    assert patched.is_file()
    assert "ghtotekton-notebooks-<index>" in (out / "migration-report.md").read_text()


def test_a_notebook_path_the_shell_computes_is_a_partial_finding(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "nb.yml").write_text(
        "on: push\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: papermill in.ipynb out-$(date +%s).ipynb\n"
        "      - run: papermill in.ipynb kept.ipynb\n"
    )
    files = _convert(repo, shadow=True)
    report = files["migration-report.md"]
    assert "out-$(date" in report and "computed by the shell" in report
    patched = files["github-actions/.github/workflows/nb.yml"]
    assert '"kept.ipynb"' in patched and "date +%s" not in patched.split(gb.BEGIN)[1]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("jupyter nbconvert --to notebook --execute a/b.ipynb", "a/b.nbconvert.ipynb"),
        ("jupyter nbconvert --execute --to=notebook --output out a/b.ipynb", "a/out.ipynb"),
        (
            "jupyter-nbconvert --to notebook --execute --output-dir res nb/x.ipynb",
            "res/x.nbconvert.ipynb",
        ),
        ("jupyter nbconvert --execute --inplace x.ipynb", "x.ipynb"),
        (
            "python -m jupyter nbconvert --to ipynb --execute x.ipynb --output=/tmp/y",
            "/tmp/y.ipynb",
        ),
        ("jupyter nbconvert --to html --execute x.ipynb", None),  # an HTML page, not a notebook
        ("jupyter nbconvert --to notebook x.ipynb", None),  # nothing executed
        ("jupyter nbconvert --to notebook --execute *.ipynb", None),  # names unknown
        ("echo jupyter nbconvert --to notebook --execute x.ipynb", None),
    ],
)
def test_the_notebook_nbconvert_writes(command: str, expected: str | None) -> None:
    from ghtotekton.convert.notebooks import nbconvert_output

    assert nbconvert_output(command) == expected


def test_nbconvert_execute_on_the_runner_is_collected_on_both_sides(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "nb.yml").write_text(
        "on: push\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: jupyter nbconvert --to notebook --execute nb/demo.ipynb\n"
    )
    files = _convert(repo, shadow=True)
    patched = files["github-actions/.github/workflows/nb.yml"]
    assert '"nb/demo.nbconvert.ipynb"' in patched
    task = next(v for k, v in files.items() if k.startswith("tasks/") and "nb-run" in k)
    assert 'trap \'ght_rc=$?; for ght_nb in "nb/demo.nbconvert.ipynb"' in task


@pytest.mark.parametrize("value", ["3.11", "a b/c"])
def test_both_systems_copy_a_matrix_cells_notebook_to_the_same_folder(
    tmp_path: Path, value: str
) -> None:
    """The Tekton step (an inline compose exec of papermill) and the GitHub collect step put a
    cell's notebook in one folder per job and combination, named alike: `compare` pairs them,
    and the cells of a matrix do not overwrite each other."""
    from ghtotekton.convert.notebooks import cell_folder, with_inline_notebook_results

    env = {"GHT_MATRIX_X": value}
    work = tmp_path / "work"
    work.mkdir()
    (work / "in.ipynb").write_text("{}")
    folder = cell_folder("nb", list(env))
    script, _ = with_inline_notebook_results(
        f'(cd "{work}" && exec papermill in.ipynb out.ipynb)\n', iter(["", "-2"]), folder
    )
    artifacts = tmp_path / "artifacts"
    text = (
        script.replace("$(workspaces.artifacts.path)", str(artifacts))
        .replace("$(results.output-notebook.path)", str(tmp_path / "r1"))
        .replace("$(results.execution-seconds.path)", str(tmp_path / "r2"))
    )
    text = 'papermill() { cp "$1" "$2"; }\n' + text
    subprocess.run(["sh", "-c", text], check=True, env={**os.environ, **env}, cwd=work)
    tekton = sorted(p.relative_to(artifacts).as_posix() for p in artifacts.rglob("*.ipynb"))
    collect = gb.bundle_steps(["out.ipynb"], "nb", ["x"])[0]
    assert collect["env"] == {"GHT_MATRIX_X": "${{ matrix.x }}"}
    subprocess.run(
        ["bash", "-c", collect["run"]],
        check=True,
        env={**os.environ, **env, "GITHUB_WORKSPACE": str(work)},
    )
    bundle = work / gb.FOLDER
    github = sorted(
        "ghtotekton/" + p.relative_to(bundle).as_posix() for p in bundle.rglob("*.ipynb")
    )
    assert tekton == github
    assert tekton == [
        f"ghtotekton/notebooks/nb-{value.replace(' ', '_').replace('/', '_')}/out.ipynb"
    ]
