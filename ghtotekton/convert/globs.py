"""GitHub's filter patterns (branches, tags, paths) as RE2 regular expressions.

GitHub's cheat sheet gives these patterns their own meaning, close to but not the same as shell
globs: ``*`` stops at ``/``, ``**`` crosses it (and ``**/`` may match no folder at all, so
``**/README.md`` matches ``README.md``), ``?`` and ``+`` repeat the character before them (zero or
one, one or more) instead of standing for a character, ``[...]`` is a character class, a leading
``!`` negates and, in a list, the last pattern that matches decides. The translation targets RE2
because Tekton's CEL ``matches`` is Go's regexp: no lookarounds, no backreferences, no possessive
quantifiers. Every regex is anchored by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

_REGEX_SPECIAL = set("\\.+*?()|[]{}^$")


class GlobError(ValueError):
    """A pattern GitHub would refuse (the caller turns it into a positioned InputError)."""


def _literal(char: str) -> str:
    return "\\" + char if char in _REGEX_SPECIAL else char


def _is_quantified(atom: str) -> bool:
    """Whether an atom already ends with a repetition (``a*``, ``(?:.*/)?``)."""
    return atom.endswith(("*", "+", "?")) and not atom.endswith(("\\*", "\\+", "\\?"))


def _class(pattern: str, start: int) -> tuple[str, int] | None:
    """The character class opening at ``start``; None when the ``[`` is never closed."""
    end = pattern.find("]", start + 1)
    if end < 0 or end == start + 1:
        return None
    body = pattern[start + 1 : end]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = char, body[i + 2]
            if low > high:
                raise GlobError(f"the range `{low}-{high}` in `[{body}]` runs backwards")
            out.append(f"{_class_char(low)}-{_class_char(high)}")
            i += 3
            continue
        out.append(_class_char(char))
        i += 1
    return "[" + "".join(out) + "]", end + 1


def _class_char(char: str) -> str:
    return "\\" + char if char in "\\]^-[" else char


def glob_to_regex(pattern: str) -> str:
    """The regex (unanchored) that matches exactly what ``pattern`` matches on GitHub.

    ``pattern`` is one pattern without its leading ``!``.
    """
    atoms: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            atoms.append(_literal(pattern[i + 1]))
            i += 2
        elif char == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            if j - i >= 2:
                if j < n and pattern[j] == "/":
                    atoms.append("(?:.*/)?")  # `**/` is zero or more whole folders
                    j += 1
                else:
                    atoms.append(".*")
            else:
                atoms.append("[^/]*")
            i = j
        elif char in "?+":
            if atoms:
                last = atoms.pop()
                atoms.append((f"(?:{last})" if _is_quantified(last) else last) + char)
            else:
                atoms.append(_literal(char))
            i += 1
        elif char == "[":
            found = _class(pattern, i)
            if found is None:
                atoms.append(_literal(char))
                i += 1
            else:
                atoms.append(found[0])
                i = found[1]
        else:
            atoms.append(_literal(char))
            i += 1
    return "".join(atoms)


@dataclass(frozen=True, slots=True)
class Rule:
    """A run of patterns of the same sign, merged into one regex alternative."""

    include: bool
    regex: str


def compile_patterns(patterns: list[str]) -> list[Rule]:
    """A pattern list as rules in order; for a name the last rule that matches decides.

    Consecutive patterns of the same sign are merged, which keeps "last match wins" intact: within
    a run every pattern gives the same answer.
    """
    rules: list[Rule] = []
    for raw in patterns:
        include = not raw.startswith("!")
        body = glob_to_regex(raw[1:] if not include else raw)
        if rules and rules[-1].include == include:
            rules[-1] = Rule(include, f"{rules[-1].regex}|{body}")
        else:
            rules.append(Rule(include, body))
    return rules


def anchored(regex: str, prefix: str = "") -> str:
    """``^prefix(?:regex)$``: CEL ``matches`` searches, so both ends are pinned here."""
    return f"^{_escape(prefix)}(?:{regex})$"


def _escape(text: str) -> str:
    return "".join(_literal(c) for c in text)
