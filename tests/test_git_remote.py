"""checkout keeps its token in .git/config only when a later step talks to the remote
(ghtotekton/convert/git_remote.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ghtotekton.convert.engine import Options
from ghtotekton.convert.git_remote import REMOTE_GIT, uses_remote
from ghtotekton.github import model as m
from tests.converted import convert_repo


@pytest.mark.parametrize(
    "script",
    [
        "git push origin HEAD",
        "git -C docs push",
        "git --no-pager fetch --depth=1 origin main",
        "cd site && git pull --rebase",
        "git submodule update --init",
        "git ls-remote --tags origin",
    ],
)
def test_remote_git_commands(script: str) -> None:
    assert REMOTE_GIT.search(script)


@pytest.mark.parametrize(
    "script",
    ["git status", "git log -1 --format=%H", "git diff --stat", "echo 'git' push", "pushd x"],
)
def test_local_git_commands(script: str) -> None:
    assert not REMOTE_GIT.search(script)


def test_pushing_actions() -> None:
    assert uses_remote(m.Step(uses="stefanzweifel/git-auto-commit-action@v5"))
    assert not uses_remote(m.Step(uses="actions/upload-artifact@v4"))


def _checkout_env(tmp_path: Path, steps: str) -> list[dict[str, Any]]:
    workflow = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n" + steps
    done = convert_repo(tmp_path, {".github/workflows/ci.yml": workflow}, Options(split_gpu=False))
    steps_ = done.task("ci-build")["spec"]["steps"]
    return next(s for s in steps_ if s["name"] == "checkout")["env"]


def _persist(env: list[dict[str, Any]]) -> str | None:
    return next((e["value"] for e in env if e["name"] == "INPUT_PERSIST_CREDENTIALS"), None)


def test_no_token_is_kept_when_nothing_later_needs_it(tmp_path: Path) -> None:
    env = _checkout_env(tmp_path, "      - uses: actions/checkout@v4\n      - run: make test\n")
    assert _persist(env) == "false"


def test_a_later_push_keeps_the_token(tmp_path: Path) -> None:
    steps = "      - uses: actions/checkout@v4\n      - run: git commit -am x && git push\n"
    assert _persist(_checkout_env(tmp_path, steps)) is None  # the action's own default: true


def test_a_push_before_the_checkout_does_not_count(tmp_path: Path) -> None:
    steps = "      - run: git push || true\n      - uses: actions/checkout@v4\n"
    assert _persist(_checkout_env(tmp_path, steps)) == "false"


def test_the_workflow_says_so(tmp_path: Path) -> None:
    steps = (
        "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: true\n"
        "      - run: make\n"
    )
    assert _persist(_checkout_env(tmp_path, steps)) == "true"
