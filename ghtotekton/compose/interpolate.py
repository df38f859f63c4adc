"""Compose's ``${VAR}`` interpolation, and the ``.env`` file that feeds it.

Compose substitutes variables in every string value of the file before it validates anything, so
``shm_size: ${SHM:-2gb}`` is a size only after this step; the loader runs it first for the same
reason. The converter also needs to know which variables a file uses that nobody set (in CI they
often come from the workflow's ``env:``), so every reference is recorded, including those inside
defaults that were not needed.

A hand-written scanner rather than a regex: defaults nest (``${A:-${B:-x}}``) and compose rejects
a lone ``$`` (``$1``), and both need a position in the error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.yamlsource import PathKey, YamlDocument, read_limited

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


SECRET_WORDS = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "KEY")
"""Parts of a variable name that mark its value as a secret (case does not matter)."""

VARIABLE_RULE = "compose-variable"
LOCAL_SECRET_RULE = "compose-local-secret"


def looks_secret(name: str) -> bool:
    """Whether a variable's name says it holds a secret (``DB_PASSWORD``, ``API_TOKEN``...)."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


def is_environment_value(path: PathKey) -> bool:
    """``services.<name>.environment.<key or index>``: a value a container gets as a variable,
    which the converter can take from a Secret instead of writing it out."""
    return len(path) == 4 and path[0] == "services" and path[2] == "environment"


class TemplateError(ValueError):
    """A malformed template or a required variable without value; the caller adds the place."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(slots=True)
class Interpolation:
    """Substitutes variables from ``env`` and remembers what it saw.

    ``referenced`` keeps every variable name in the order first met; ``unset`` those of them that
    ``env`` lacks (defaults or not); ``warnings`` one diagnostic per variable that was replaced by
    an empty string because it is unset and has no default, as compose warns.
    """

    env: Mapping[str, str]
    strict_required: bool = True
    """False turns ``${VAR:?msg}`` without a value into a warning and an empty string: the
    converter runs without CI's secrets, and must still see the rest of the file."""
    quote_text: bool = True
    """False keeps the text out of error messages: a ``.env`` value is often a local secret."""
    local: Mapping[str, Position] = field(default_factory=dict)
    """Variables whose value comes from a file on the developer's machine (``.env``), and where
    each is set. Such values never reach the output as text: see :attr:`uses`."""
    uses: dict[PathKey, set[str]] = field(default_factory=dict)
    """Path of each string value -> the ``local`` variables its value was built from."""
    referenced: dict[str, None] = field(default_factory=dict)
    unset: dict[str, None] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    _warned: set[str] = field(default_factory=set)
    _used: set[str] = field(default_factory=set)
    _path: PathKey | None = None
    """The string being walked: outside a container's environment a local secret becomes ''."""

    def substitute(self, text: str, where: Position) -> str:
        """``text`` with its variables replaced; InputError (at ``where``) when compose refuses."""
        if "$" not in text:
            return text
        try:
            value, end = self._scan(text, 0, where, evaluate=True, in_braces=False)
        except TemplateError as exc:
            message = exc.message if self.quote_text else "invalid interpolation in this value"
            raise InputError(Diagnostic(where, message, exc.hint, rule="compose")) from None
        assert end == len(text)
        return value

    def document(self, doc: YamlDocument) -> Any:
        """A copy of the document's data with every string value interpolated (keys stay)."""
        return self._walk(doc.data, (), doc)

    def _walk(self, value: Any, path: PathKey, doc: YamlDocument) -> Any:
        if isinstance(value, str):
            self._used, self._path = set(), path
            try:
                out = self.substitute(value, doc.pos(path))
            finally:
                self._path = None
            if self._used:
                self.uses.setdefault(path, set()).update(self._used)
            return out
        if isinstance(value, dict):
            return {k: self._walk(v, (*path, k), doc) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, (*path, i), doc) for i, v in enumerate(value)]
        return value

    # --- the scanner ---------------------------------------------------------------------------

    def _scan(
        self, text: str, pos: int, where: Position, *, evaluate: bool, in_braces: bool
    ) -> tuple[str, int]:
        """Expand from ``pos`` to the end, or to the ``}`` closing the enclosing ``${``."""
        out: list[str] = []
        n = len(text)
        while pos < n:
            char = text[pos]
            if char == "}" and in_braces:
                return "".join(out), pos
            if char != "$":
                start = pos
                while pos < n and text[pos] != "$" and not (in_braces and text[pos] == "}"):
                    pos += 1
                out.append(text[start:pos])
                continue
            nxt = text[pos + 1 : pos + 2]
            if nxt == "$":
                out.append("$")
                pos += 2
            elif nxt == "{":
                value, pos = self._braced(text, pos, where, evaluate)
                out.append(value)
            else:
                match = _NAME.match(text, pos + 1)
                if match is None:
                    raise _invalid(text, pos)
                out.append(self._plain(match.group(), where, evaluate))
                pos = match.end()
        if in_braces:
            raise TemplateError(
                f'unterminated "${{" in "{_short(text)}"', "close it with } or write $$ for a $"
            )
        return "".join(out), pos

    def _braced(self, text: str, start: int, where: Position, evaluate: bool) -> tuple[str, int]:
        match = _NAME.match(text, start + 2)
        if match is None:
            raise _invalid(text, start)
        name, pos = match.group(), match.end()
        if text[pos : pos + 1] == "}":
            return self._plain(name, where, evaluate), pos + 1
        operator = next((op for op in _OPERATORS if text.startswith(op, pos)), None)
        if operator is None:
            if pos >= len(text):
                raise TemplateError(
                    f'unterminated "${{" in "{_short(text)}"', "close it with } or write $$ for a $"
                )
            raise _invalid(text, start)
        self._note(name)
        value = self._value(name, where) if evaluate else None
        is_set = evaluate and name in self.env
        needs_word = evaluate and _needs_word(operator, is_set, value or "")
        word, pos = self._scan(
            text, pos + len(operator), where, evaluate=needs_word, in_braces=True
        )
        pos += 1  # the closing brace; _scan raised if there was none
        if not evaluate:
            return "", pos
        if operator in (":?", "?") and needs_word:
            message = f"required variable {name} is missing a value"
            message = f"{message}: {word}" if word else message
            hint = f"set {name} in the environment or in the .env file"
            if self.strict_required:
                raise TemplateError(message, hint)
            self._warn(name, where, message, hint)
            return "", pos
        if operator in (":-", "-", ":+", "+"):
            if needs_word:
                return word, pos
            return ("" if operator in (":+", "+") else value or ""), pos
        return value or "", pos

    def _plain(self, name: str, where: Position, evaluate: bool) -> str:
        self._note(name)
        if not evaluate:
            return ""
        if name in self.env:
            return self._value(name, where) or ""
        self._warn(
            name,
            where,
            f'variable "{name}" is not set; it becomes an empty string',
            f"set it in the environment or in the .env file, or give a default: ${{{name}:-value}}",
        )
        return ""

    def _value(self, name: str, where: Position) -> str | None:
        """A set variable's value. One from a local file is recorded in :attr:`uses`; a secret
        one outside a container's environment is '' and a warning, so it is never written out
        (a Secret can feed an env var, not an image name or a command line)."""
        if name in self.local and self._path is not None:
            self._used.add(name)
            if looks_secret(name) and not is_environment_value(self._path):
                self._warn(
                    name,
                    where,
                    f"{name} comes from {self.local[name]}, a file on the developer's machine, "
                    "and is used outside a container's environment: the output has '' there, "
                    "never the secret",
                    f"pass it as an environment variable (`environment: [{name}]`) and read it "
                    "there, so the Task can take it from a Secret",
                    rule=LOCAL_SECRET_RULE,
                )
                return ""
        return self.env.get(name)

    def _warn(
        self, name: str, where: Position, message: str, hint: str, rule: str = VARIABLE_RULE
    ) -> None:
        """One warning per variable, at its first use, as compose warns once."""
        if name not in self._warned:
            self._warned.add(name)
            self.warnings.append(Diagnostic(where, message, hint, severity="warning", rule=rule))

    def _note(self, name: str) -> None:
        self.referenced.setdefault(name, None)
        if name not in self.env:
            self.unset.setdefault(name, None)


def _needs_word(operator: str, is_set: bool, value: str) -> bool:
    """Whether the text after the operator is used (the default, the error, the alternative)."""
    if operator in (":-", ":?"):
        return not is_set or value == ""
    if operator in ("-", "?"):
        return not is_set
    if operator == ":+":
        return is_set and value != ""
    return is_set  # "+"


def _invalid(text: str, pos: int) -> TemplateError:
    return TemplateError(
        f'invalid interpolation "{_short(text[pos : pos + 20])}" in "{_short(text)}"',
        "compose reads $ as the start of a variable; write $$ for a literal $",
    )


def _short(text: str) -> str:
    one_line = text.replace("\n", "\\n")
    return one_line if len(one_line) <= 60 else one_line[:57] + "..."


def substitute(text: str, env: Mapping[str, str], where: Position | None = None) -> str:
    """One string, interpolated; the convenience form of :class:`Interpolation`."""
    return Interpolation(env).substitute(text, where or Position("<string>"))


# --- .env files -----------------------------------------------------------------------------------

_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_EXPORT = re.compile(r"export[ \t]+")
_DQ_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "$": "$$"}


def read_env_file(
    path: Path,
    env: Mapping[str, str],
    display: str | None = None,
    positions: dict[str, Position] | None = None,
) -> tuple[dict[str, str], list[Diagnostic]]:
    """Variables of a ``.env`` file (see :func:`parse_env_text`)."""
    name = display or str(path)
    raw = read_limited(path, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(Diagnostic(Position(name, 1, 1), "not UTF-8 text")) from None
    return parse_env_text(text, name, env, positions)


def parse_env_text(
    text: str,
    file: str,
    env: Mapping[str, str],
    positions: dict[str, Position] | None = None,
) -> tuple[dict[str, str], list[Diagnostic]]:
    """Parse ``.env`` text as compose does; returns the variables and warnings.

    ``positions``, when given, receives where each variable is set (the last line that sets it).

    ``KEY=value`` lines, ``export`` prefixes, ``#`` comments (inline ones after a space), single
    quotes (literal), double quotes (escapes, may span lines) and interpolation of unquoted and
    double-quoted values from ``env`` and earlier lines. A bare ``KEY`` copies ``env[KEY]``.
    """
    values: dict[str, str] = {}
    warnings: list[Diagnostic] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i]
        i += 1
        body = line.lstrip()
        if not body or body.startswith("#"):
            continue
        col = len(line) - len(body) + 1
        export = _EXPORT.match(body)
        if export:
            body, col = body[export.end() :], col + export.end()
        key_match = _ENV_KEY.match(body)
        if key_match is None:
            raise InputError(
                Diagnostic(
                    Position(file, lineno, col),
                    ".env line is not KEY=value",
                    "variable names start with a letter or _",
                    rule="compose",
                )
            )
        key = key_match.group()
        rest = body[key_match.end() :].lstrip(" \t")
        if positions is not None:
            positions[key] = Position(file, lineno, col)
        if not rest or rest.startswith("#"):
            if key in env:
                values[key] = env[key]
            continue
        if not rest.startswith("="):
            raise InputError(
                Diagnostic(
                    Position(file, lineno, col + key_match.end()),
                    ".env line is not KEY=value",
                    "write KEY=value; quote values with spaces",
                    rule="compose",
                )
            )
        raw = rest[1:].lstrip(" \t")
        where = Position(file, lineno, col)
        quote = raw[:1]
        if quote in ("'", '"'):
            content = raw[1:]
            while _closing_quote(content, quote) < 0 and i < len(lines):
                content += "\n" + lines[i]
                i += 1
            end = _closing_quote(content, quote)
            if end < 0:
                raise InputError(
                    Diagnostic(where, f"unterminated {quote} quote in .env value of {key}")
                )
            content = content[:end]
            if quote == "'":
                values[key] = content
                continue
            template = _unescape_double(content)
        else:
            template = re.split(r"[ \t]#", raw, maxsplit=1)[0].rstrip()
        lookup = {**values, **env}
        interp = Interpolation(lookup, quote_text=False)
        values[key] = interp.substitute(template, where)
        warnings.extend(interp.warnings)
    return values, warnings


def _closing_quote(text: str, quote: str) -> int:
    i = 0
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def _unescape_double(text: str) -> str:
    """Escapes of double-quoted values; ``\\$`` stays a literal ``$`` through interpolation."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _DQ_ESCAPES:
            out.append(_DQ_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)
