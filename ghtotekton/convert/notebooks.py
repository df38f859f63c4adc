"""Notebook steps: a papermill (or ``nbconvert --execute``) run also reports what it produced.

Executed notebooks are what a GPU notebook CI exists for, and what the shadow-run comparison
reads: so the step copies the output notebook into the artifacts workspace (where the run bundle
is collected) and the Task exposes ``output-notebook`` (its path) and ``execution-seconds``
as results, for later tasks and for people reading the TaskRun.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from ghtotekton.errors import Position

COPIES = "ghtotekton/notebooks"
"""Where executed notebooks are copied in the artifacts workspace: a folder of the Tekton side
that ``compare`` does not require on the GitHub side (its default rules say so)."""


def cell_folder(job_id: str, matrix_env: list[str]) -> str:
    """The folder (shell text for inside double quotes) of one job's notebook copies, under
    ``COPIES``: one per job, and per matrix combination (``JOB-VALUE-VALUE...``, from the env
    vars holding the combination's values, made a safe folder name by ``tr``), so the cells of
    a matrix do not overwrite each other's notebooks. Both systems' steps use this text, with
    the same env vars, so ``compare`` pairs their copies by path."""
    if not matrix_env:
        return f"{COPIES}/{job_id}"
    name = "-".join([job_id, *(f"${{{env}}}" for env in matrix_env)])
    return f'{COPIES}/$(printf %s "{name}" | tr -c A-Za-z0-9._- _)'


_PAPERMILL = re.compile(r"(?:^|[\s;&|(])(?P<name>papermill)\s+(?P<args>[^\n]*)$")
_VALUE_OPTIONS = {"-p", "--parameters", "-r", "--parameters_raw", "-y", "--parameters_yaml",
                  "-f", "--parameters_file", "-b", "--parameters_base64", "-k", "--kernel",
                  "-l", "--language", "--cwd", "--engine", "--execution-timeout",
                  "--start-timeout", "--log-level", "--inject-paths"}  # fmt: skip
_TWO_VALUE_OPTIONS = {"-p", "--parameters", "-r", "--parameters_raw"}
_NOT_A_COMMAND = {"echo", "printf", "print", "#"}


def _arguments(program: re.Pattern[str], command: str) -> list[str] | None:
    """The words after the program's name (quotes kept), or None when the line does not run it:
    ``echo papermill is done`` prints the word, it runs nothing."""
    text = command.strip()
    match = program.search(text)
    if match is None:
        return None
    before = text[: match.start("args")].split()
    name_words = len(match.group("name").split())
    if any(word in _NOT_A_COMMAND for word in before[-1 - name_words : -name_words]):
        return None
    try:
        lexer = shlex.shlex(match.group("args"), posix=False, punctuation_chars=False)
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return None


def papermill_output(command: str) -> str | None:
    """The output notebook argument of a ``papermill IN OUT ...`` command, as written."""
    words = _arguments(_PAPERMILL, command)
    if words is None:
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


_NBCONVERT = re.compile(r"(?:^|[\s;&|(])(?P<name>jupyter[\s-]nbconvert)\s+(?P<args>[^\n]*)$")
_NBCONVERT_VALUES = {"--to", "--output", "--output-dir", "--template", "--log-level",
                     "--ExecutePreprocessor.timeout", "--ExecutePreprocessor.kernel_name",
                     "--config", "--writer", "--post", "--reveal-prefix", "--nbformat"}  # fmt: skip


def nbconvert_output(command: str) -> str | None:
    """The notebook ``jupyter nbconvert --execute --to notebook IN`` writes, as nbconvert names it:
    ``--inplace`` rewrites IN; else ``--output`` (``.ipynb`` added) or ``IN``'s stem with
    ``.nbconvert.ipynb``, in ``--output-dir`` or beside IN. None for other conversions (HTML...)
    and for several inputs or a glob, whose outputs a reader cannot name."""
    words = _arguments(_NBCONVERT, command)
    if words is None:
        return None
    options: dict[str, str] = {}
    flags: set[str] = set()
    inputs: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("&&", "||", ";", "|"):
            break
        name, eq, value = word.partition("=")
        if word.startswith("--") and eq:
            options[name] = value
        elif word in _NBCONVERT_VALUES and i + 1 < len(words):
            options[word] = words[i + 1]
            i += 1
        elif word.startswith("-"):
            flags.add(word)
        else:
            inputs.append(word)
        i += 1
    to = _unquoted(options.get("--to", "")).lower()
    if "--execute" not in flags or len(inputs) != 1 or any(c in inputs[0] for c in "*?["):
        return None
    source = _unquoted(inputs[0])
    if "--inplace" in flags:
        return source
    if to not in ("notebook", "ipynb"):
        return None
    name = _unquoted(options.get("--output", ""))
    if name:
        name = name if name.endswith(".ipynb") else name + ".ipynb"
    else:
        stem = posixpath.basename(source)
        stem = stem[: -len(".ipynb")] if stem.endswith(".ipynb") else stem
        name = stem + ".nbconvert.ipynb"
    folder = _unquoted(options.get("--output-dir", "")) or posixpath.dirname(source)
    return posixpath.join(folder, name) if folder else name


def notebook_output(command: str) -> str | None:
    """The executed notebook a papermill or ``nbconvert --execute`` command writes."""
    return papermill_output(command) or nbconvert_output(command)


def _quoted(word: str) -> str:
    """The path as a double-quoted shell word (variables still expand)."""
    word = _unquoted(word)
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def with_notebook_results(
    script: str, command_line: str, suffix: str, folder: str = COPIES
) -> str | None:
    """``script`` whose last line runs ``exec <papermill ...>``, rewritten to also record the
    results ``output-notebook<suffix>`` and ``execution-seconds<suffix>`` and to copy the notebook
    into the artifacts workspace; None when the command does not execute a notebook."""
    out = notebook_output(command_line)
    lines = script.rstrip("\n").split("\n")
    if out is None or not lines[-1].startswith("exec "):
        return None
    body = lines[-1][len("exec ") :]
    recorded = _recorded(body, out, suffix, folder)
    return "\n".join([*lines[:-1], *recorded, 'exit "$ght_rc"']) + "\n"


def _recorded(body: str, written: str, suffix: str, folder: str) -> list[str]:
    """Lines that run ``body`` (a notebook run writing ``written``), record its results and copy
    the notebook into the artifacts workspace, with the exit code left in ``$ght_rc``."""
    path = _quoted(written)
    return [
        "ght_start=$(date +%s)",
        "set +e",
        body,
        "ght_rc=$?",
        "set -e",
        f"printf '%s' {path} > \"$(results.output-notebook{suffix}.path)\"",
        f'echo $(( $(date +%s) - ght_start )) > "$(results.execution-seconds{suffix}.path)"',
        f'if [ -f {path} ]; then mkdir -p "$(workspaces.artifacts.path)/{folder}" && '
        f'cp {path} "$(workspaces.artifacts.path)/{folder}/"; fi',
    ]


_INLINE = re.compile(r'^(?P<indent>\s*)\(cd "(?P<dir>[^"]*)" && exec (?P<body>.*)\)$')


def with_inline_notebook_results(
    script: str, suffixes: Iterator[str], folder: str = COPIES
) -> tuple[str, list[tuple[str, str]]]:
    """``script`` where each line ``(cd "DIR" && exec CMD)`` whose CMD executes a notebook also
    records its results (one suffix each, in order) and copies the notebook, as
    ``with_notebook_results`` does for a last ``exec`` line; and the (notebook as written, DIR)
    of each, for the GitHub side."""
    lines: list[str] = []
    found: list[tuple[str, str]] = []
    for line in script.rstrip("\n").split("\n"):
        match = _INLINE.match(line)
        written = notebook_output(match.group("body")) if match else None
        if match is None or written is None:
            lines.append(line)
            continue
        indent, workdir = match.group("indent"), match.group("dir")
        block = [
            "ght_back=$(pwd)",
            f'cd "{workdir}"',
            *_recorded(match.group("body"), written, next(suffixes), folder),
            'cd "$ght_back"',
            '[ "$ght_rc" = 0 ] || exit "$ght_rc"',
        ]
        lines.extend(indent + b for b in block)
        found.append((written, workdir))
    return "\n".join(lines) + "\n", found


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


# --- where each side finds the executed notebook (the GitHub side of ``--shadow-compare``) ---


@dataclass(frozen=True, slots=True)
class NotebookCopy:
    """An executed notebook of a job, as the GitHub job can collect it for its run bundle.

    ``path`` is relative to the GitHub workspace (or absolute), in the workflow's own text, so
    ``${{ }}`` expressions still work there; None when the notebook only ever exists inside a
    container (no bind mount of the checkout holds it), which ``why`` explains.
    """

    written: str
    path: str | None
    step: str
    where: Position
    why: str = ""


_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


def outputs_in(script: str) -> list[str]:
    """Every papermill output notebook of a script, in order, as written (``${{ }}`` kept whole:
    an expression's spaces do not split a word, GitHub fills it in before the shell runs)."""
    expressions: list[str] = []

    def hold(match: re.Match[str]) -> str:
        expressions.append(match.group(0))
        return f"GHTEXPR{len(expressions) - 1}X"

    held = re.sub(r"[ \t]*\\\n\s*", " ", _EXPRESSION.sub(hold, script))  # continuation lines
    found = []
    for line in held.splitlines():
        out = notebook_output(line)
        if out is not None:
            found.append(re.sub(r"GHTEXPR(\d+)X", lambda m: expressions[int(m.group(1))], out))
    return found


def host_path(written: str, workdir: str | None) -> str:
    """A notebook written by a step on the runner itself, relative to the workspace."""
    out = _unquoted(written)
    if out.startswith("/") or not workdir:
        return out
    return posixpath.normpath(posixpath.join(workdir, out))


def container_path(written: str, step_dir: str, binds: dict[str, str], source: str) -> str | None:
    """A notebook written inside a compose container: its place in the checkout, if mounted.

    ``step_dir`` is the Tekton step's workingDir and ``binds`` maps container folders to their
    place under ``source`` (the source workspace), as the compose conversion worked them out.
    """
    out = _unquoted(written)
    if out.startswith("/"):
        for target in sorted(binds, key=len, reverse=True):
            if out == target or out.startswith(target.rstrip("/") + "/"):
                rest = out[len(target) :].lstrip("/")
                step_dir = binds[target]
                out = rest
                break
        else:
            return None
    if step_dir != source and not step_dir.startswith(source + "/"):
        return None
    rel = step_dir[len(source) :].lstrip("/")
    joined = posixpath.normpath(posixpath.join(rel, out)) if out else rel
    return None if joined.startswith("../") or joined in ("", ".", "..") else joined


def _unquoted(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def copy_trap(outputs: list[str], folder: str = COPIES) -> str | None:
    """A shell EXIT trap that copies the notebooks a host script wrote into the artifacts
    workspace, whether or not the script failed (papermill saves a failed run too)."""
    quoted = [_quoted(o) for o in outputs]
    if not quoted or any("'" in q for q in quoted):
        return None
    folder = f'"$(workspaces.artifacts.path)/{folder}"'
    body = (
        f"ght_rc=$?; for ght_nb in {' '.join(quoted)}; do "
        'case "$ght_nb" in /*) ;; *) ght_nb="$ght_nb_cwd/$ght_nb" ;; esac; '
        f'if [ -f "$ght_nb" ]; then mkdir -p {folder} && cp "$ght_nb" {folder}/; fi; '
        'done; exit "$ght_rc"'
    )
    return f"ght_nb_cwd=$(pwd)\ntrap '{body}' EXIT"
