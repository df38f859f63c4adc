"""Find the ``docker compose ...`` calls in a ``run:`` script and read their arguments.

A step such as ``docker compose -f ci.yml run --rm -e X=1 tests pytest -x`` says which service
runs which command, with which overrides; the converter needs that to build a Tekton step from the
compose service. Scripts are shell, so this splits them the way a shell would as far as it
matters here: ``\\`` continuations, quotes across lines, here-documents skipped, ``&&``, ``||``,
``;`` and ``|`` chains, prefixes such as ``sudo``, ``env X=1`` and ``timeout 10m``.

It never raises: a call it cannot read is still returned, with ``unparsed`` saying why, so the
converter can report it as manual work instead of dropping it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

_EXPR = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_PLACEHOLDER = "__ghtt_expr_{}__"
_PLACEHOLDER_RE = re.compile(r"__ghtt_expr_(\d+)__")
_HEREDOC = re.compile(r"<<-?[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_MAX_JOINED_LINES = 200
"""A quote left open joins lines until it closes; past this many, the text is reported as
unreadable rather than re-split again and again (each try re-reads the whole text)."""
_FD_REDIRECT = re.compile(r"(?<=[\s;&|])\d+(?=[<>])")

# Options, by canonical long name. Short forms and aliases map to them.
_GLOBAL_VALUE = {
    "-f": "--file", "--file": "--file", "-p": "--project-name", "--project-name": "--project-name",
    "--profile": "--profile", "--env-file": "--env-file",
    "--project-directory": "--project-directory", "--workdir": "--project-directory",
    "--ansi": "--ansi", "--parallel": "--parallel", "--progress": "--progress",
    "--log-level": "--log-level", "-H": "--host", "--host": "--host", "-c": "--context",
    "--context": "--context", "--tlscacert": "--tlscacert", "--tlscert": "--tlscert",
    "--tlskey": "--tlskey",
}  # fmt: skip
_GLOBAL_FLAGS = {
    "--compatibility", "--dry-run", "--all-resources", "--verbose", "--no-ansi", "--tls",
    "--tlsverify", "--skip-hostname-check",
}  # fmt: skip

_SUB_VALUE: dict[str, dict[str, str]] = {
    "run": {
        "-e": "--env", "--env": "--env", "-l": "--label", "--label": "--label",
        "-w": "--workdir", "--workdir": "--workdir", "-u": "--user", "--user": "--user",
        "--entrypoint": "--entrypoint", "-v": "--volume", "--volume": "--volume",
        "--name": "--name", "-p": "--publish", "--publish": "--publish",
        "--env-from-file": "--env-from-file", "--cap-add": "--cap-add",
        "--cap-drop": "--cap-drop", "--pull": "--pull",
    },
    "exec": {
        "-e": "--env", "--env": "--env", "-u": "--user", "--user": "--user",
        "-w": "--workdir", "--workdir": "--workdir", "--index": "--index",
    },
    "up": {
        "--scale": "--scale", "-t": "--timeout", "--timeout": "--timeout",
        "--exit-code-from": "--exit-code-from", "--pull": "--pull", "--attach": "--attach",
        "--no-attach": "--no-attach", "--wait-timeout": "--wait-timeout",
    },
    "down": {"--rmi": "--rmi", "-t": "--timeout", "--timeout": "--timeout"},
    "build": {
        "--build-arg": "--build-arg", "--ssh": "--ssh", "--builder": "--builder",
        "-m": "--memory", "--memory": "--memory", "--progress": "--progress",
    },
    "pull": {"--policy": "--policy"},
    "stop": {"-t": "--timeout", "--timeout": "--timeout"},
    "restart": {"-t": "--timeout", "--timeout": "--timeout"},
    "logs": {
        "-n": "--tail", "--tail": "--tail", "--since": "--since", "--until": "--until",
        "--index": "--index",
    },
    "ps": {"--filter": "--filter", "--format": "--format", "--status": "--status"},
    "cp": {"--index": "--index"},
    "config": {"--format": "--format", "-o": "--output", "--output": "--output"},
}  # fmt: skip
_SUB_FLAGS: dict[str, dict[str, str]] = {
    "run": {
        "--rm": "--rm", "-d": "--detach", "--detach": "--detach", "--no-deps": "--no-deps",
        "-T": "--no-TTY", "--no-TTY": "--no-TTY", "-i": "--interactive",
        "--interactive": "--interactive", "-t": "--tty", "--tty": "--tty",
        "-P": "--service-ports", "--service-ports": "--service-ports",
        "--use-aliases": "--use-aliases", "--build": "--build", "--quiet-pull": "--quiet-pull",
        "--remove-orphans": "--remove-orphans", "-q": "--quiet", "--quiet": "--quiet",
        "--quiet-build": "--quiet-build",
    },
    "exec": {
        "-d": "--detach", "--detach": "--detach", "-T": "--no-TTY", "--no-TTY": "--no-TTY",
        "--privileged": "--privileged", "-i": "--interactive", "--interactive": "--interactive",
        "-t": "--tty", "--tty": "--tty",
    },
    "up": {
        "-d": "--detach", "--detach": "--detach", "--build": "--build", "--no-build": "--no-build",
        "--wait": "--wait", "--abort-on-container-exit": "--abort-on-container-exit",
        "--abort-on-container-failure": "--abort-on-container-failure",
        "--force-recreate": "--force-recreate", "--no-recreate": "--no-recreate",
        "--no-deps": "--no-deps", "--remove-orphans": "--remove-orphans",
        "--quiet-pull": "--quiet-pull", "-V": "--renew-anon-volumes",
        "--renew-anon-volumes": "--renew-anon-volumes", "--no-start": "--no-start",
        "--no-color": "--no-color", "--no-log-prefix": "--no-log-prefix",
        "--always-recreate-deps": "--always-recreate-deps", "--timestamps": "--timestamps",
        "-y": "--yes", "--yes": "--yes", "-w": "--watch", "--watch": "--watch",
        "--attach-dependencies": "--attach-dependencies", "--menu": "--menu",
        "--quiet-build": "--quiet-build",
    },
    "down": {
        "-v": "--volumes", "--volumes": "--volumes", "--remove-orphans": "--remove-orphans",
    },
    "build": {
        "--no-cache": "--no-cache", "--pull": "--pull", "-q": "--quiet", "--quiet": "--quiet",
        "--push": "--push", "--with-dependencies": "--with-dependencies", "--check": "--check",
        "--print": "--print", "--parallel": "--parallel",
    },
    "pull": {
        "-q": "--quiet", "--quiet": "--quiet", "--ignore-buildable": "--ignore-buildable",
        "--ignore-pull-failures": "--ignore-pull-failures", "--include-deps": "--include-deps",
        "--no-parallel": "--no-parallel", "--parallel": "--parallel",
    },
    "rm": {
        "-f": "--force", "--force": "--force", "-s": "--stop", "--stop": "--stop",
        "-v": "--volumes", "--volumes": "--volumes",
    },
    "logs": {
        "-f": "--follow", "--follow": "--follow", "--no-color": "--no-color",
        "--no-log-prefix": "--no-log-prefix", "-t": "--timestamps", "--timestamps": "--timestamps",
    },
    "ps": {
        "-a": "--all", "--all": "--all", "-q": "--quiet", "--quiet": "--quiet",
        "--services": "--services", "--no-trunc": "--no-trunc", "--orphans": "--orphans",
    },
}  # fmt: skip
SUBCOMMANDS = frozenset(
    {"run", "exec", "up", "down", "build", "pull", "push", "stop", "start", "restart", "rm",
     "logs", "ps", "config", "create", "kill", "pause", "unpause", "port", "top", "images",
     "events", "cp", "wait", "watch", "ls", "version", "scale", "attach", "stats", "publish",
     "commit", "export", "volumes", "convert"}
)  # fmt: skip
_WITH_COMMAND = frozenset({"run", "exec"})

_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})
_PREFIX_PLAIN = frozenset({"exec", "command", "nohup", "builtin", "nice"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_DOCKER_VALUE = frozenset(
    {"-c", "--context", "-H", "--host", "--config", "-l", "--log-level", "--tlscacert",
     "--tlscert", "--tlskey"}
)  # fmt: skip


@dataclass(slots=True)
class ComposeCall:
    """One ``docker compose`` / ``docker-compose`` call found in a script.

    ``line_offset`` counts the script's lines before the one the call starts on (0 for the first
    line), so the caller adds it to the line where the script starts in its file. ``options``
    holds the subcommand's options that take a value, by long name (``--env`` -> its values in
    order); ``flags`` the ones that do not. Values written as ``${{ ... }}`` are kept verbatim.
    """

    line_offset: int
    text: str
    program: str
    files: list[str] = field(default_factory=list)
    project_name: str | None = None
    profiles: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    project_directory: str | None = None
    global_options: dict[str, list[str]] = field(default_factory=dict)
    subcommand: str | None = None
    options: dict[str, list[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    services: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)
    """``VAR=value`` written before the call: the call's own environment."""
    unknown_options: list[str] = field(default_factory=list)
    unparsed: str | None = None

    @property
    def service(self) -> str | None:
        """The service of ``run`` / ``exec`` (or the first one named)."""
        return self.services[0] if self.services else None

    @property
    def env(self) -> dict[str, str | None]:
        """``-e K=V`` (``-e K`` takes K from the calling shell: None)."""
        out: dict[str, str | None] = {}
        for item in self.options.get("--env", []):
            key, sep, value = item.partition("=")
            out[key] = value if sep else None
        return out

    def option(self, name: str) -> str | None:
        """The last value of a value option (by long name), as the CLI would use it."""
        values = self.options.get(name)
        return values[-1] if values else None

    @property
    def user(self) -> str | None:
        return self.option("--user")

    @property
    def workdir(self) -> str | None:
        return self.option("--workdir")

    @property
    def entrypoint(self) -> str | None:
        return self.option("--entrypoint")

    @property
    def volumes(self) -> list[str]:
        return list(self.options.get("--volume", []))

    @property
    def name(self) -> str | None:
        return self.option("--name")

    @property
    def detach(self) -> bool:
        return "--detach" in self.flags

    @property
    def no_tty(self) -> bool:
        return "--no-TTY" in self.flags

    @property
    def remove(self) -> bool:
        return "--rm" in self.flags

    @property
    def no_deps(self) -> bool:
        return "--no-deps" in self.flags

    @property
    def build(self) -> bool:
        return "--build" in self.flags

    @property
    def wait(self) -> bool:
        return "--wait" in self.flags

    @property
    def abort_on_container_exit(self) -> bool:
        return "--abort-on-container-exit" in self.flags


def parse_compose_calls(script: str) -> list[ComposeCall]:
    """Every compose call in ``script``, in order."""
    if "compose" not in script:
        return []
    exprs: list[str] = []

    def hide(match: re.Match[str]) -> str:
        exprs.append(match.group())
        return _PLACEHOLDER.format(len(exprs) - 1)

    hidden = _EXPR.sub(hide, script)
    calls: list[ComposeCall] = []
    for start, text in _logical_lines(hidden):
        for call in _calls_in_line(start, text):
            calls.append(_restore(call, exprs))
    return calls


# --- shell splitting ------------------------------------------------------------------------------


def _logical_lines(script: str) -> list[tuple[int, str]]:
    """(0-based line of its start, text) per logical line; continuations and quotes joined."""
    lines = script.split("\n")
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        start = i
        text = lines[i]
        i += 1
        while True:
            if _ends_with_continuation(text) and i < len(lines):
                text = text[:-1] + "\n" + lines[i]
                i += 1
                continue
            if (
                ("'" in text or '"' in text)
                and i < len(lines)
                and i - start < _MAX_JOINED_LINES
                and not _complete(text)
            ):
                text += "\n" + lines[i]
                i += 1
                continue
            break
        out.append((start, text))
        for match in _HEREDOC.finditer(text):
            delimiter = match.group(2)
            while i < len(lines) and lines[i].strip() != delimiter:
                i += 1
            i += 1
    return out


def _ends_with_continuation(text: str) -> bool:
    stripped = text.rstrip("\r")
    return (len(stripped) - len(stripped.rstrip("\\"))) % 2 == 1


def _complete(text: str) -> bool:
    try:
        _tokens(text)
    except ValueError:
        return False
    return True


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(
        _FD_REDIRECT.sub("", " " + text.replace("\\\n", " ")), posix=True, punctuation_chars=True
    )
    lexer.whitespace_split = True
    return list(lexer)


def _commands(tokens: list[str]) -> list[list[str]]:
    """Simple commands of a tokenised line: split at operators, redirections dropped."""
    out: list[list[str]] = [[]]
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token and set(token) <= set("<>&|;()"):
            if "<" in token or ">" in token:
                skip_next = True  # the redirection's target (a file, an fd, a heredoc word)
                continue
            out.append([])
            continue
        out[-1].append(token)
    return [c for c in out if c]


def _calls_in_line(start: int, text: str) -> list[ComposeCall]:
    if "compose" not in text:
        return []
    try:
        tokens = _tokens(text)
    except ValueError as exc:
        return [
            ComposeCall(
                line_offset=start + text[: text.find("compose")].count("\n"),
                text=text.strip(),
                program="docker compose" if "docker compose" in text else "docker-compose",
                unparsed=f"shell syntax not understood ({exc})",
            )
        ]
    calls = []
    cursor = 0
    for command in _commands(tokens):
        # tokens lost their quotes, so this is a best guess at where the command starts
        found = text.find(command[0], cursor)
        at = found if found >= 0 else cursor
        cursor = at + len(command[0]) if found >= 0 else cursor
        call = _compose_call(command, start + text[:at].count("\n"))
        if call is not None:
            calls.append(call)
    return calls


def _strip_prefixes(words: list[str]) -> tuple[list[str], dict[str, str]]:
    """Drop what runs a command without being it: keywords, sudo, env, timeout, assignments."""
    assignments: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word in _KEYWORDS or word in _PREFIX_PLAIN:
            i += 1
        elif _ASSIGNMENT.match(word):
            key, _, value = word.partition("=")
            assignments[key] = value
            i += 1
        elif word in ("sudo", "env"):
            i += 1
            while i < len(words) and words[i].startswith("-"):
                takes_value = word == "sudo" and words[i] in ("-u", "-g", "-C", "-D", "-h")
                i += 2 if takes_value else 1
        elif word == "timeout":
            i += 1
            while i < len(words) and words[i].startswith("-"):
                i += 2 if words[i] in ("-s", "-k", "--signal", "--kill-after") else 1
            i += 1  # the duration
        else:
            break
    return words[i:], assignments


def _compose_call(words: list[str], line_offset: int) -> ComposeCall | None:
    words, assignments = _strip_prefixes(words)
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    if program == "docker-compose":
        args = words[1:]
    elif program == "docker":
        i = 1
        while i < len(words) and words[i].startswith("-"):
            i += 2 if words[i] in _DOCKER_VALUE else 1
        if i >= len(words) or words[i] != "compose":
            return None
        program, args = "docker compose", words[i + 1 :]
    else:
        return None
    call = ComposeCall(
        line_offset=line_offset,
        text=shlex.join(words),
        program=program,
        assignments=assignments,
    )
    _parse_args(call, args)
    return call


# --- compose arguments ----------------------------------------------------------------------------


def _split_option(
    args: list[str], i: int, value_opts: dict[str, str], flag_opts: dict[str, str] | set[str]
) -> tuple[str, str | None, int] | None:
    """(canonical name, value or None for a flag, next index); None if not an option we know."""
    arg = args[i]
    name, eq, attached = arg.partition("=")
    if name in value_opts:
        if eq:
            return value_opts[name], attached, i + 1
        if i + 1 < len(args):
            return value_opts[name], args[i + 1], i + 2
        return value_opts[name], "", i + 1
    if not arg.startswith("--") and len(arg) > 2 and arg[:2] in value_opts:
        return value_opts[arg[:2]], arg[2:], i + 1  # -fci.yml
    if arg in flag_opts:
        canonical = flag_opts[arg] if isinstance(flag_opts, dict) else arg
        return canonical, None, i + 1
    if not arg.startswith("--") and len(arg) > 2 and isinstance(flag_opts, dict):
        letters = [f"-{c}" for c in arg[1:]]
        if all(flag in flag_opts for flag in letters):  # -dT
            return ",".join(flag_opts[f] for f in letters), None, i + 1
    return None


def _parse_args(call: ComposeCall, args: list[str]) -> None:
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        hit = _split_option(args, i, _GLOBAL_VALUE, _GLOBAL_FLAGS)
        if hit is None:
            call.unknown_options.append(args[i])
            i += 1
            continue
        name, value, i = hit
        if value is not None:
            call.global_options.setdefault(name, []).append(value)
    _apply_globals(call)
    if i >= len(args):
        call.unparsed = "no subcommand"
        return
    sub = args[i]
    call.subcommand = sub
    i += 1
    if sub not in SUBCOMMANDS:
        call.unparsed = f'unknown compose subcommand "{sub}"'
        return
    value_opts = _SUB_VALUE.get(sub, {})
    flag_opts = _SUB_FLAGS.get(sub, {})
    positional: list[str] = []
    while i < len(args):
        arg = args[i]
        if sub in _WITH_COMMAND and positional:
            call.command = args[i:]
            break
        if arg == "--":
            positional += args[i + 1 :]
            break
        if arg.startswith("-") and arg != "-":
            hit = _split_option(args, i, value_opts, flag_opts)
            if hit is None:
                name, eq, value = arg.partition("=")
                call.unknown_options.append(arg)
                if eq:
                    call.options.setdefault(name, []).append(value)
                else:
                    call.flags.add(name)
                i += 1
                continue
            name, value, i = hit
            if value is None:
                call.flags.update(name.split(","))
            else:
                call.options.setdefault(name, []).append(value)
            continue
        positional.append(arg)
        i += 1
    if sub in _WITH_COMMAND:
        call.services = positional[:1]
        if not positional:
            call.unparsed = f"`{sub}` without a service"
        elif not call.command:
            call.command = positional[1:]
    else:
        call.services = positional


def _apply_globals(call: ComposeCall) -> None:
    """Global options, then the ``COMPOSE_*`` variables set on the same line where no option."""
    opts = call.global_options
    call.files = list(opts.get("--file", []))
    call.profiles = list(opts.get("--profile", []))
    call.env_files = list(opts.get("--env-file", []))
    names = opts.get("--project-name")
    call.project_name = names[-1] if names else None
    dirs = opts.get("--project-directory")
    call.project_directory = dirs[-1] if dirs else None
    env = call.assignments
    if not call.files and env.get("COMPOSE_FILE"):
        separator = env.get("COMPOSE_PATH_SEPARATOR", ":")
        call.files = [f for f in env["COMPOSE_FILE"].split(separator) if f]
    if not call.profiles and env.get("COMPOSE_PROFILES"):
        call.profiles = [p for p in env["COMPOSE_PROFILES"].split(",") if p]
    if call.project_name is None and env.get("COMPOSE_PROJECT_NAME"):
        call.project_name = env["COMPOSE_PROJECT_NAME"]


def _restore(call: ComposeCall, exprs: list[str]) -> ComposeCall:
    """Put the ``${{ }}`` expressions hidden from the shell splitter back."""
    if not exprs:
        return call

    def back(text: str) -> str:
        return _PLACEHOLDER_RE.sub(lambda m: exprs[int(m.group(1))], text)

    def back_list(values: list[str]) -> list[str]:
        return [back(v) for v in values]

    call.text = back(call.text)
    call.files = back_list(call.files)
    call.profiles = back_list(call.profiles)
    call.env_files = back_list(call.env_files)
    call.project_name = back(call.project_name) if call.project_name else call.project_name
    if call.project_directory:
        call.project_directory = back(call.project_directory)
    call.global_options = {k: back_list(v) for k, v in call.global_options.items()}
    call.options = {k: back_list(v) for k, v in call.options.items()}
    call.services = back_list(call.services)
    call.command = back_list(call.command)
    call.assignments = {k: back(v) for k, v in call.assignments.items()}
    call.unknown_options = back_list(call.unknown_options)
    if call.unparsed:
        call.unparsed = back(call.unparsed)
    return call
