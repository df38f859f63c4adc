"""The CLI contract: commands, help, version, exit codes, one-line errors, --debug."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ghtotekton import __version__
from ghtotekton.cli import app

STUBS = [
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
    for args in [*STUBS, ["audit", "x"]]:
        command = args[:2] if args[0] == "rollout" else args[:1]
        result = cli.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.stdout


def test_version(cli: CliRunner) -> None:
    result = cli.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ghtotekton {__version__}"


def _is_stub(args: list[str]) -> bool:
    """Commands that other issues build replace their stub; only stubs must say so."""
    import importlib

    module = importlib.import_module(f"ghtotekton.commands.{args[0]}")
    return "not_implemented" in module.__dict__


@pytest.mark.parametrize("args", STUBS, ids=lambda a: " ".join(a[:2]))
def test_unbuilt_commands_exit_2_without_traceback(cli: CliRunner, args: list[str]) -> None:
    if not _is_stub(args):
        pytest.skip("built since; its own tests cover it")
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert "not implemented yet" in result.stderr
    assert "Traceback" not in result.output


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
