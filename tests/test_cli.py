"""The CLI contract: commands, help, version, exit codes, one-line errors, --debug."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton import __version__
from ghtotekton.cli import app

COMMANDS = [
    ["convert", "x"],
    ["validate", "x"],
    ["check"],
    ["compare", "--run-a", "a", "--run-b", "b"],
    ["explain", "wf.yml"],
    ["rollout", "init"],
    ["rollout", "status"],
    ["rollout", "record", "c.json"],
    ["rollout", "promote"],
    ["rollout", "abort", "--reason", "r"],
]


def test_help_lists_every_command(cli: CliRunner) -> None:
    result = cli.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("convert", "audit", "validate", "check", "compare", "explain", "rollout"):
        assert command in result.stdout


def test_every_command_has_help(cli: CliRunner) -> None:
    for args in [*COMMANDS, ["audit", "x"]]:
        command = args[:2] if args[0] == "rollout" else args[:1]
        result = cli.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.stdout


def test_version(cli: CliRunner) -> None:
    result = cli.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ghtotekton {__version__}"


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_on_nothing_fails_cleanly(
    cli: CliRunner, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In an empty folder every command either works (``rollout init`` writes its plan) or says
    in one positioned line what is missing: exit 2, never an internal error or a traceback."""
    monkeypatch.chdir(tmp_path)
    result = cli.invoke(app, args)
    assert result.exit_code in (0, 2), (args, result.output)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert "error" in result.stderr


def test_usage_error_is_exit_2(cli: CliRunner) -> None:
    result = cli.invoke(app, ["audit", "--format", "yaml", "x"])
    assert result.exit_code == 2


def test_internal_error_is_exit_3_and_one_line(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ghtotekton.commands.audit as audit

    def boom(**_: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(audit, "run", boom)
    result = cli.invoke(app, ["audit", "x"])
    assert result.exit_code == 3
    assert "internal error: RuntimeError: kaboom" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.output

    result = cli.invoke(app, ["--debug", "audit", "x"])
    assert result.exit_code == 3
    assert "Traceback" in result.stderr


def test_console_script_starts_light() -> None:
    """--help must not import the heavy modules (pydantic models, ruamel, deepdiff)."""
    code = (
        "import sys; from ghtotekton.cli import app; "
        "heavy = [m for m in ('ruamel.yaml', 'deepdiff', 'pydantic', 'jinja2', 'nbformat') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_environment_problems_exit_2_with_the_path_and_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21: an unwritable -o was "internal error ... report it", exit 3."""
    import errno

    from ghtotekton.tekton import emit

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "gpu-notebook"
    runner = CliRunner()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    result = runner.invoke(app, ["convert", str(fixture), "-o", str(a_file / "tekton")])
    assert result.exit_code == 2, result.stderr
    assert f"{a_file}: error:" in result.stderr and "not a folder" in result.stderr
    assert "internal error" not in result.stderr

    def read_only(*_args: object, **_kw: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "ro"))

    monkeypatch.setattr(emit.tempfile, "mkdtemp", read_only)
    result = runner.invoke(app, ["convert", str(fixture), "-o", str(tmp_path / "ro" / "tekton")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'ro'}: error: Read-only file system" in result.stderr
    assert "read-only" in result.stderr


def test_shadow_compare_that_changes_nothing_says_so(tmp_path: Path) -> None:
    """Issue 21, row 9: a flag that changes nothing says why."""
    repo = tmp_path / "repo" / ".github" / "workflows"
    repo.mkdir(parents=True)
    (repo / "ci.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
    )
    runner = CliRunner()
    args = ["convert", str(repo), "-o", str(tmp_path / "out"), "--shadow-compare"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "--shadow-compare changed nothing" in result.stderr
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "gpu-notebook"
    args = ["convert", str(fixture), "-o", str(tmp_path / "demo"), "--shadow-compare"]
    result = runner.invoke(app, args)
    assert "changed nothing" not in result.stderr
