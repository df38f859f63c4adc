"""Notebook steps: a papermill run keeps its arguments and also reports what it produced.

Executed notebooks are what a GPU notebook CI exists for, and what the shadow-run comparison
reads: so the step copies the output notebook into the artifacts workspace (where the run bundle
is collected) and the Task exposes ``output-notebook`` (its path) and ``execution-seconds``
as results, for later tasks and for people reading the TaskRun.
"""

from __future__ import annotations

import re
import shlex

COPIES = "ghtotekton/notebooks"
"""Where executed notebooks are copied in the artifacts workspace: a folder of the Tekton side
that ``compare`` does not require on the GitHub side (its default rules say so)."""

_PAPERMILL = re.compile(r"(?:^|[\s;&|(])papermill\s+(?P<args>[^\n]*)$")
_VALUE_OPTIONS = {"-p", "--parameters", "-r", "--parameters_raw", "-y", "--parameters_yaml",
                  "-f", "--parameters_file", "-b", "--parameters_base64", "-k", "--kernel",
                  "-l", "--language", "--cwd", "--engine", "--execution-timeout",
                  "--start-timeout", "--log-level", "--inject-paths"}  # fmt: skip
_TWO_VALUE_OPTIONS = {"-p", "--parameters", "-r", "--parameters_raw"}


def papermill_output(command: str) -> str | None:
    """The output notebook argument of a ``papermill IN OUT ...`` command, as written."""
    match = _PAPERMILL.search(command.strip())
    if match is None:
        return None
    try:
        lexer = shlex.shlex(match.group("args"), posix=False, punctuation_chars=False)
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:
        return None
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _TWO_VALUE_OPTIONS:
            i += 3
            continue
        if word in _VALUE_OPTIONS:
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        positional.append(word)
        i += 1
    if len(positional) < 2 or positional[1] == "-":
        return None
    return positional[1]


def _quoted(word: str) -> str:
    """The path as a double-quoted shell word (variables still expand)."""
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        word = word[1:-1]
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def with_notebook_results(script: str, command_line: str, suffix: str) -> str | None:
    """``script`` whose last line runs ``exec <papermill ...>``, rewritten to also record the
    results ``output-notebook<suffix>`` and ``execution-seconds<suffix>`` and to copy the notebook
    into the artifacts workspace; None when the command is not a papermill run."""
    out = papermill_output(command_line)
    lines = script.rstrip("\n").split("\n")
    if out is None or not lines[-1].startswith("exec "):
        return None
    path = _quoted(out)
    body = lines[-1][len("exec ") :]
    tail = [
        "ght_start=$(date +%s)",
        "set +e",
        body,
        "ght_rc=$?",
        "set -e",
        f"printf '%s' {path} > \"$(results.output-notebook{suffix}.path)\"",
        f'echo $(( $(date +%s) - ght_start )) > "$(results.execution-seconds{suffix}.path)"',
        f'if [ -f {path} ]; then mkdir -p "$(workspaces.artifacts.path)/{COPIES}" && '
        f'cp {path} "$(workspaces.artifacts.path)/{COPIES}/"; fi',
        'exit "$ght_rc"',
    ]
    return "\n".join([*lines[:-1], *tail]) + "\n"


def notebook_results(suffix: str) -> list[dict[str, str]]:
    return [
        {
            "name": f"output-notebook{suffix}",
            "type": "string",
            "description": "Path of the notebook papermill wrote (also copied to artifacts).",
        },
        {
            "name": f"execution-seconds{suffix}",
            "type": "string",
            "description": "How long papermill ran, in seconds.",
        },
    ]
