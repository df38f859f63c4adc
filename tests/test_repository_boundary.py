"""The repository is the boundary: no workflow, action, compose file, `.env` or Tekton file is read
from outside it, through a `..` path or a symlink, and no message quotes what such a file holds.

Every attack plants a secret in a file outside the repository and checks that it appears nowhere:
not on stdout or stderr, not in any file written. Links that stay inside the repository still work.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton.boundary import check_inside, within
from ghtotekton.cli import app
from ghtotekton.errors import InputError

SECRET = "hunter2-TOPSECRET-9f3a"
GPU_COMPOSE_STEP = "      - run: docker compose {args} run --rm app python train.py\n"


def _repo(tmp_path: Path, workflow: str | None = None) -> tuple[Path, Path]:
    """A repository and a folder beside it holding files the repository must not reach."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    if workflow is not None:
        (repo / ".github" / "workflows" / "ci.yml").write_text(workflow)
    return repo, outside


def _workflow(step: str) -> str:
    return (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n" + step
    )


def _convert(repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """``convert . -o tekton`` from the repository root; exit code and everything it showed or
    wrote, joined, so a test can look for the secret in all of it at once."""
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["convert", ".", "-o", "tekton"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout + result.stderr + _written(repo / "tekton")


def _written(folder: Path) -> str:
    if not folder.is_dir():
        return ""
    return "".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*")) if p.is_file())


def _report(repo: Path) -> str:
    path = repo / "tekton" / "migration-report.json"
    return path.read_text() if path.is_file() else ""


def test_a_symlinked_workflow_that_leads_out_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, outside = _repo(tmp_path, _workflow("      - run: echo hi\n"))
    (outside / "credentials").write_text(f"{SECRET}\n")
    (repo / ".github" / "workflows" / "creds.yml").symlink_to(outside / "credentials")
    code, seen = _convert(repo, monkeypatch)
    assert code == 2
    assert SECRET not in seen
    assert "creds.yml" in seen and "outside the repository" in seen


def test_a_symlinked_workflow_folder_that_leads_out_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, outside = _repo(tmp_path)
    (repo / ".github" / "workflows").rmdir()
    (outside / "ci.yml").write_text(_workflow(f"      - run: echo {SECRET}\n"))
    (repo / ".github" / "workflows").symlink_to(outside, target_is_directory=True)
    code, seen = _convert(repo, monkeypatch)
    assert code == 2
    assert SECRET not in seen


def test_a_link_that_stays_inside_the_repository_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = _repo(tmp_path)
    (repo / "ci").mkdir()
    (repo / "ci" / "main.yml").write_text(_workflow("      - run: echo inside-the-tree\n"))
    (repo / ".github" / "workflows" / "ci.yml").symlink_to(repo / "ci" / "main.yml")
    code, seen = _convert(repo, monkeypatch)
    assert code == 0, seen
    assert "inside-the-tree" in _written(repo / "tekton")


def test_a_local_action_folder_linked_outside_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, outside = _repo(tmp_path, _workflow("      - uses: ./tools/setup\n"))
    (outside / "action.yml").write_text(
        "name: x\nruns:\n  using: composite\n  steps:\n"
        f"    - run: echo {SECRET}\n      shell: bash\n"
    )
    (repo / "tools").mkdir()
    (repo / "tools" / "setup").symlink_to(outside, target_is_directory=True)
    code, seen = _convert(repo, monkeypatch)
    assert code == 2
    assert SECRET not in seen
    assert "tools/setup/action.yml" in seen


@pytest.mark.parametrize(
    "layout",
    ["dash-f-dotdot", "dash-f-absolute", "symlinked-compose", "include", "extends", "dotenv"],
)
def test_compose_files_outside_the_repository_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    repo, outside = _repo(tmp_path)
    leaked = f"services:\n  app:\n    image: {SECRET.lower()}:1\n"
    (outside / "compose.yml").write_text(leaked)
    args = ""
    local = "services:\n  app:\n    image: python:3.12\n"
    if layout == "dash-f-dotdot":
        args = "-f ../outside/compose.yml"
    elif layout == "dash-f-absolute":
        args = f"-f {outside / 'compose.yml'}"
    elif layout == "symlinked-compose":
        (repo / "compose.yml").symlink_to(outside / "compose.yml")
    elif layout == "include":
        (repo / "compose.yml").write_text(f"include:\n  - {outside / 'compose.yml'}\n")
    elif layout == "extends":
        (repo / "compose.yml").write_text(
            "services:\n  app:\n    extends:\n      file: ../outside/compose.yml\n"
            "      service: app\n"
        )
    elif layout == "dotenv":
        (repo / "compose.yml").write_text(
            "services:\n  app:\n    image: python:3.12\n    environment:\n      TAG: ${TAG}\n"
        )
        (outside / "env").write_text(f"TAG={SECRET}\n")
        (repo / ".env").symlink_to(outside / "env")
    if not (repo / "compose.yml").exists() and not (repo / "compose.yml").is_symlink():
        (repo / "compose.yml").write_text(local)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        _workflow(GPU_COMPOSE_STEP.format(args=args))
    )
    code, seen = _convert(repo, monkeypatch)
    assert SECRET not in seen and SECRET.lower() not in seen
    assert code in (0, 1, 2)
    findings = json.dumps(json.loads(_report(repo))["workflows"])
    assert "outside the repository" in findings


def test_check_never_shows_a_file_a_symlink_in_the_tekton_folder_points_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, outside = _repo(tmp_path, _workflow("      - run: make test\n"))
    code, seen = _convert(repo, monkeypatch)
    assert code == 0, seen
    (outside / "shadow").write_text(f"{SECRET}\n")
    (repo / "tekton" / "tasks" / "stolen.yaml").symlink_to(outside / "shadow")
    result = CliRunner().invoke(app, ["check", "--format", "json"])
    assert result.exit_code == 2, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "stolen.yaml" in result.stderr


def test_a_file_that_is_one_scalar_is_described_not_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = _repo(tmp_path, _workflow("      - run: echo hi\n"))
    (repo / ".github" / "workflows" / "token.yml").write_text(f"{SECRET}\n")
    code, seen = _convert(repo, monkeypatch)
    assert code == 2
    assert SECRET not in seen
    assert f"a string ({len(SECRET)} characters)" in seen


def test_a_broken_dotenv_line_is_located_not_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = _repo(tmp_path, _workflow(GPU_COMPOSE_STEP.format(args="")))
    (repo / "compose.yml").write_text("services:\n  app:\n    image: python:3.12\n")
    (repo / ".env").write_text(f"OK=1\n{SECRET} and more\nBAD=${{{SECRET}\n")
    _, seen = _convert(repo, monkeypatch)
    assert SECRET not in seen
    assert ".env:2" in seen


def test_the_scope_refuses_dotdot_and_links_and_allows_the_tree(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    (repo / "in.yml").write_text("a: 1\n")
    (repo / "link-in.yml").symlink_to(repo / "in.yml")
    (repo / "link-out.yml").symlink_to(outside / "x.yml")
    os.symlink(outside, repo / "dir-out")
    with within(repo):
        check_inside(repo / "in.yml", "in.yml")
        check_inside(repo / "link-in.yml", "link-in.yml")
        for bad in ("link-out.yml", "dir-out/x.yml", "../outside/x.yml"):
            with pytest.raises(InputError) as caught:
                check_inside(repo / bad, bad)
            assert caught.value.diagnostics[0].rule == "repository-boundary"
    check_inside(outside / "x.yml", "x.yml")  # no scope: loose files belong to no repository
