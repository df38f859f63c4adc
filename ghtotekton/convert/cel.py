"""Building CEL filter text for the Tekton Triggers CEL interceptor.

Strings are assembled here, in one place, so quoting is right everywhere: a branch pattern or a
workflow path lands inside a CEL string literal, and a stray quote or backslash there would break
the filter (or change its meaning). The functions keep to standard CEL (``matches``,
``startsWith``, ``in``, ``exists``) plus the documented string extensions of Tekton's environment
where the caller asks for them, so the filters also run in other CEL implementations for tests.
"""

from __future__ import annotations

from collections.abc import Iterable

from ghtotekton.convert.globs import Rule, anchored

TRUE = "true"
FALSE = "false"


def string(text: str) -> str:
    """A CEL string literal holding ``text`` exactly."""
    out = ["'"]
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable():
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
        else:
            out.append(char)
    out.append("'")
    return "".join(out)


def strings(items: Iterable[str]) -> str:
    """A CEL list of string literals."""
    return "[" + ", ".join(string(i) for i in items) + "]"


def top_level_operators(expr: str) -> set[str]:
    """Operators outside string literals and brackets: ``&&``, ``||``, ``?``, ``==`` ..."""
    found: set[str] = set()
    depth = 0
    quote = ""
    i = 0
    while i < len(expr):
        char = expr[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            pair = expr[i : i + 2]
            if pair in ("&&", "||", "==", "!=", "<=", ">="):
                found.add(pair)
                i += 2
                continue
            if char in "?<>+-*/%":
                found.add(char)
            elif expr.startswith(" in ", i):
                found.add("in")
        i += 1
    return found


def _group(expr: str, allowed: frozenset[str] = frozenset()) -> str:
    """Parenthesise ``expr`` unless its top-level operators are all in ``allowed``."""
    if top_level_operators(expr) <= allowed:
        return expr
    return f"({expr})"


_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">=", "in", "+", "-", "*", "/", "%"})


def all_of(parts: Iterable[str]) -> str:
    """Conjunction; ``true`` parts drop out, a ``false`` part decides."""
    kept = [p for p in parts if p != TRUE]
    if FALSE in kept:
        return FALSE
    if not kept:
        return TRUE
    if len(kept) == 1:
        return kept[0]
    return " && ".join(_group(p, _COMPARISONS | {"&&"}) for p in kept)


def any_of(parts: Iterable[str]) -> str:
    """Disjunction; ``false`` parts drop out, a ``true`` part decides."""
    kept = [p for p in parts if p != FALSE]
    if TRUE in kept:
        return TRUE
    if not kept:
        return FALSE
    if len(kept) == 1:
        return kept[0]
    return " || ".join(_group(p, _COMPARISONS | {"||"}) for p in kept)


def negate(expr: str) -> str:
    if expr == TRUE:
        return FALSE
    if expr == FALSE:
        return TRUE
    return f"!{_group(expr)}"


def matches(subject: str, regex: str) -> str:
    return f"{subject}.matches({string(regex)})"


def last_match_wins(subject: str, rules: list[Rule], prefix: str = "") -> str:
    """True when the last rule matching ``prefix + name`` includes it (GitHub's ``!`` lists).

    Built from the first rule outwards: an including rule becomes ``match || rest``, an
    excluding one ``!match && rest``, so the outermost test is the last pattern in the list and
    decides when it matches; a name no rule matches is excluded.
    """
    expr = FALSE
    for rule in rules:
        test = matches(subject, anchored(rule.regex, prefix))
        if rule.include:
            expr = test if expr == FALSE else f"{test} || {_group(expr, _COMPARISONS | {'||'})}"
        elif expr != FALSE:
            expr = f"!{test} && {_group(expr, _COMPARISONS | {'&&'})}"
    return expr
