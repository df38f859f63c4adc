"""The command line feels like a native tool: metavars, an example in every command's help,
shell completion, global options anywhere, `NO_COLOR`/`--no-color`/`TERM=dumb`, and
`--format json` for every command's summary on stdout."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton.argv import hoist_global_options
from ghtotekton.cli import app

COMMANDS = [
    ["convert"],
    ["audit"],
    ["validate"],
    ["check"],
    ["compare"],
    ["explain"],
    *(["rollout", sub] for sub in ("init", "status", "record", "promote", "abort")),
]
WORKFLOW = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
COLOUR = re.compile(rb"\x1b\[[0-9;]*(?:3[0-9]|9[0-7]|38;[0-9;]+)m")


def _ghtotekton(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed entry point (``main``), as a person runs it."""
    return subprocess.run(
        [sys.executable, "-m", "ghtotekton", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    return tmp_path


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_metavars_and_an_example(command: list[str]) -> None:
    shown = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert "Examples:" in text and f"ghtotekton {' '.join(command)}" in text
    for typename in ("<bool>", "<str>", "<int>", "<path>", "<list[", "{paths}", "{PATH"):
        assert typename not in text, (typename, text)


def test_usage_lines_read_as_unix_tools_write_them() -> None:
    usage = CliRunner().invoke(app, ["convert", "--help"]).stdout.splitlines()[0]
    assert usage == "Usage: ghtotekton convert [OPTIONS] PATH..."
    options = CliRunner().invoke(app, ["convert", "--help"]).stdout
    assert "-o, --output DIR" in options and "--namespace NAME" in options


def test_global_options_are_taken_anywhere(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".github" / "workflows" / "big.yml").write_text(WORKFLOW + "#" * 2000 + "\n")
    done = _ghtotekton(
        "convert", ".", "-o", "out", "--debug", "--max-file-size", "5", "--no-color", cwd=repo
    )
    assert done.returncode == 0, done.stderr
    assert (repo / "out" / "kustomization.yaml").is_file()
    limited = _ghtotekton("convert", ".", "-o", "out2", "--max-file-size=0.001", cwd=repo)
    assert limited.returncode == 2 and "over the" in limited.stderr


def test_an_options_value_that_looks_global_stays_the_value() -> None:
    takes = {"--reason": True, "-o": True}
    assert hoist_global_options(["rollout", "abort", "--reason", "--debug"], takes) == [
        "rollout",
        "abort",
        "--reason",
        "--debug",
    ]
    assert hoist_global_options(["convert", ".", "--debug", "--", "--debug"], takes) == [
        "--debug",
        "convert",
        ".",
        "--",
        "--debug",
    ]


def test_shell_completion_is_offered() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ghtotekton", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "complete" in done.stdout and "ghtotekton" in done.stdout


def _on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> bytes:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ghtotekton", *args],
        stdout=slave,
        stderr=slave,
        stdin=slave,
        cwd=cwd,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    out = b""
    while select.select([master], [], [], 10)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    return out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_follows_no_color_no_color_flag_and_dumb_terminals(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    args = ["explain", ".github/workflows/ci.yml"]
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    base |= {"TERM": "xterm-256color", "COLUMNS": "120"}
    assert COLOUR.search(_on_a_terminal(args, base, repo))  # the test can see colour
    assert not COLOUR.search(_on_a_terminal(args, {**base, "NO_COLOR": "1"}, repo))
    assert not COLOUR.search(_on_a_terminal([*args, "--no-color"], base, repo))
    assert not COLOUR.search(_on_a_terminal(args, {**base, "TERM": "dumb"}, repo))


def test_every_command_has_a_json_summary_on_stdout(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    converted = _ghtotekton("convert", ".", "-o", "tekton", "--format", "json", cwd=repo)
    assert converted.returncode == 0, converted.stderr
    summary = json.loads(converted.stdout)
    assert summary["written"] is True and "kustomization.yaml" in summary["files"]
    assert summary["summary"]["workflows"] == 1
    explained = _ghtotekton("explain", ".github/workflows/ci.yml", "-f", "json", cwd=repo)
    assert json.loads(explained.stdout)["pipeline"] == "ci"
    init = _ghtotekton("rollout", "init", "--format", "json", cwd=repo)
    assert json.loads(init.stdout) == {"plan": "rollout.yaml", "phases": [10, 50, 100]}
    promoted = _ghtotekton("rollout", "promote", "--format", "json", cwd=repo)
    change = json.loads(promoted.stdout)["change"]
    assert (change["from_phase"], change["to_phase"], change["to_share"]) == (0, 1, 10)
    for command in (["audit", "."], ["validate", "tekton"], ["rollout", "status"]):
        done = _ghtotekton(*command, "--format", "json", cwd=repo)
        json.loads(done.stdout)


def test_the_readme_first_screen_sets_up_and_shows_each_everyday_command() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    screen = "\n".join(readme.splitlines()[:40])
    setup = screen.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in setup.strip().splitlines()] == [
        "make demo",
        "make test",
    ]
    assert "../shared" in screen
    examples = [line for line in screen.splitlines() if line.startswith("ghtotekton ")]
    named = {line.split()[1] for line in examples}
    assert named >= {"convert", "audit", "validate", "check", "explain", "compare", "rollout"}
    for line in examples:
        words = line.split("#")[0].split()[1:]
        command = words[:2] if words[0] == "rollout" else words[:1]
        assert CliRunner().invoke(app, [*command, "--help"]).exit_code == 0, line
    assert "DESIGN.md" not in readme  # a file users do not have
