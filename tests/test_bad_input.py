"""Bad input through the real CLI: exit 2, a positioned one-line error, never a traceback.

These run the console script in a subprocess so that a crash in C code (the YAML parser) or a
hang would show; the timeout is a guard against hangs, not a performance check.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ALIAS_BOMB = "\n".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
)
OK_JOB = "    runs-on: x\n    steps: [{run: a}]\n"

CASES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty file"),
    "not-yaml": (b"on: push\njobs: [\n  a: {\n", "invalid YAML"),
    "binary": (bytes(range(256)) * 64, "binary data"),
    "alias-bomb": (ALIAS_BOMB.encode(), "expands to more than"),
    "deep-flow": (b"on: " + b"[" * 100_000 + b"]" * 100_000, "nesting deeper than"),
    "deep-block": (
        ("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 400))).encode(),
        "nesting deeper than",
    ),
    "list": (b"- on: push\n- jobs: {}\n", "must be a mapping, not a list"),
    "cycle": (
        f"on: push\njobs:\n  a:\n    needs: b\n{OK_JOB}  b:\n    needs: a\n{OK_JOB}".encode(),
        "cycle: a -> b -> a",
    ),
    "unknown-needs": (
        f"on: push\njobs:\n  a:\n    needs: zz\n{OK_JOB}".encode(),
        'needs "zz", which is not a job',
    ),
}

POSITIONED = re.compile(r"^\S+\.yml:\d+:\d+: error: .+$", re.MULTILINE)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ghtotekton", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_workflow_gives_exit_2_and_one_positioned_line(case: str, tmp_path: Path) -> None:
    data, words = CASES[case]
    path = tmp_path / f"{case}.yml"
    path.write_bytes(data)
    result = run_cli("audit", str(path))
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    assert "Traceback" not in output
    errors = [line.strip() for line in output.splitlines() if ": error: " in line]
    assert errors, output[-2000:]
    assert all(POSITIONED.match(line) for line in errors), errors
    assert any(words in line for line in errors), errors
    assert all(len(line) < 400 for line in errors)


def test_fifty_megabytes_is_refused_by_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.yml"
    chunk = b"# padding " + b"x" * 1000 + b"\n"
    with path.open("wb") as fh:
        fh.write(b"on: push\n")
        for _ in range(50 * 1024):
            fh.write(chunk)
    result = run_cli("audit", str(path))
    assert result.returncode == 2
    assert "over the 10 MB limit" in result.stdout
    assert "--max-file-size" in result.stdout
    # The limit is configurable: raised, the file is read (and then fails on its content).
    result = run_cli("--max-file-size", "60", "audit", str(path))
    assert result.returncode == 2
    assert "over the" not in result.stdout
    assert '"jobs" is required' in result.stdout


def test_missing_path_is_exit_2(tmp_path: Path) -> None:
    result = run_cli("audit", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr
