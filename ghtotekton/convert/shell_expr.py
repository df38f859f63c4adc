"""Computed ``${{ }}`` values as bash: the step's shell works out GitHub's value before its script.

A value that is known only when the step runs (``a && 'x' || 'y'``, a comparison, ``format()``,
``hashFiles()``, a lookup in a constant object by a matrix value) cannot be written into the
Task: Tekton has no expression language for a step's env or script. So the step's shell computes
it into a variable, ahead of the user's text, and the text reads the variable. GitHub's rules
are kept: ``&&``/``||`` give an operand (not a boolean), comparisons of strings ignore case, a
status function tests the earlier steps' exit codes. The leaves (references, literals) come from
the caller, which knows where each context lives in Tekton.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from ghtotekton.github import expressions as ex

Word = Callable[[ex.Node], str | None]
"""A leaf or sub-expression as text for inside double quotes (``${VAR}``); None: no form."""
Test = Callable[[ex.Node], str | None]
"""A bash test that succeeds when the expression is truthy; None: no form."""

PREDICATES = frozenset(
    {"contains", "startswith", "endswith", "success", "failure", "always", "cancelled"}
)
"""Functions whose value is a boolean, computed by the caller's test."""

HASH_FILES = (
    "ght_hash_files() (\n"
    '  cd "${GITHUB_WORKSPACE:-$PWD}" || exit 0\n'
    "  shopt -s globstar nullglob dotglob\n"
    "  _ght_all=''\n"
    '  for _ght_pat in "$@"; do for _ght_f in $_ght_pat; do\n'
    '    [ -f "$_ght_f" ] && _ght_all="$_ght_all$(sha256sum "$_ght_f" | cut -c1-64)"\n'
    "  done; done\n"
    '  [ -z "$_ght_all" ] || printf \'%s\' "$_ght_all" | sha256sum | cut -c1-64\n'
    ")"
)
"""``hashFiles()`` on the pod: a SHA-256 over the SHA-256 of each matching file, empty when none
match, as GitHub's is (GitHub hashes the digests' bytes, this their hex: the key is stable from
run to run on Tekton, which is what a cache key needs, but not equal to GitHub's)."""


NUMBER = (
    "ght_num() {\n"
    '  _ght_s=$1 awk \'BEGIN { s = ENVIRON["_ght_s"]\n'
    '    gsub(/^[ \\t\\r\\n]+|[ \\t\\r\\n]+$/, "", s)\n'
    '    if (s == "") { print 0; exit }\n'
    '    if (s !~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/) { print "NaN"; exit }\n'
    '    v = s + 0; if (v == 0) v = 0; printf "%.17g\\n", v }\'\n'
    "}"
)
"""GitHub's string-to-number on the pod, printed as C's ``%.17g`` (the form ``number_text``
gives a number the converter knows); ``NaN`` for text that is not a decimal number (GitHub
also reads ``0x``/``0o`` numbers, which this reads as NaN)."""


def number_text(value: float) -> str:
    """A number as ``ght_num`` prints it, for comparing with what the pod computes."""
    if value != value:
        return "NaN"
    return format(0.0 if value == 0 else value, ".17g")


def temp_name(node: ex.Node) -> str:
    """The variable that holds ``node``'s value: named by its text, so equal expressions of one
    step share it and the name is the same from one conversion to the next."""
    digest = hashlib.sha1(ex.unparse(node).encode(), usedforsecurity=False).hexdigest()
    return f"GHT_X_{digest[:8].upper()}"


def quoted(text: str) -> str | None:
    """A literal for inside double quotes; None for text Tekton itself would substitute."""
    if "$(" in text:
        return None  # Tekton replaces `$(params.x)` in a script before the shell sees it
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")


@dataclass(slots=True)
class Compiler:
    """Turns one computed expression into prelude lines and the variable that holds its value."""

    word: Word
    test: Test
    prelude: list[str]

    def value(self, node: ex.Node) -> str | None:
        """``${VAR}`` holding GitHub's value of ``node`` once the prelude ran; None: no form."""
        body = self._assign(node, temp_name(node))
        if body is None:
            return None
        for line in body:
            if line not in self.prelude:
                self.prelude.append(line)
        return "${" + temp_name(node) + "}"

    def operand(self, node: ex.Node) -> str | None:
        """An operand for inside double quotes: a literal as text, anything else by ``word``."""
        if isinstance(node, ex.Literal):
            return quoted(ex.to_string(node.value))
        return self.word(node)

    def _assign(self, node: ex.Node, name: str) -> list[str] | None:
        if isinstance(node, ex.Logical):
            return self._logical(node, name)
        if isinstance(node, ex.Not | ex.Compare) or (
            isinstance(node, ex.Call) and node.name.lower() in PREDICATES
        ):
            cond = self.test(node)
            if cond is None:
                return None
            return [f"if {cond}; then {name}=true; else {name}=false; fi"]
        if isinstance(node, ex.Call):
            return self._call(node, name)
        if isinstance(node, ex.Index):
            return self._lookup(node, name)
        return None

    def _logical(self, node: ex.Logical, name: str) -> list[str] | None:
        # GitHub gives an operand: `a && b` is b when a is truthy, else a; `a || b` the reverse.
        left_node = node.left
        if (
            node.op == "||"
            and isinstance(left_node, ex.Logical)
            and left_node.op == "&&"
            and isinstance(left_node.right, ex.Literal)
            and ex.is_truthy(left_node.right.value)
        ):
            # `c && 'x' || y`, the ternary: 'x' is truthy, so the value is 'x' exactly when c is.
            cond = self.test(left_node.left)
            then, other = self.operand(left_node.right), self.operand(node.right)
            if cond is None or then is None or other is None:
                return None
            return [f'if {cond}; then {name}="{then}"; else {name}="{other}"; fi']
        cond = self.test(node.left)
        left = self.operand(node.left)
        right = self.operand(node.right)
        if cond is None or left is None or right is None:
            return None
        then, other = (right, left) if node.op == "&&" else (left, right)
        return [f'if {cond}; then {name}="{then}"; else {name}="{other}"; fi']

    def _call(self, node: ex.Call, name: str) -> list[str] | None:
        fn = node.name.lower()
        constant = _constant(node)
        if constant is not None:
            text = quoted(constant)
            return None if text is None else [f'{name}="{text}"']
        if fn == "format" and node.args and isinstance(node.args[0], ex.Literal):
            text = self._format(ex.to_string(node.args[0].value), node.args[1:])
            return None if text is None else [f'{name}="{text}"']
        if fn == "hashfiles" and node.args:
            patterns = [self.operand(a) for a in node.args]
            if any(p is None for p in patterns):
                return None
            args = " ".join(f'"{p}"' for p in patterns)
            return [HASH_FILES, f'{name}="$(ght_hash_files {args})"']
        return None

    def _format(self, template: str, args: tuple[ex.Node, ...]) -> str | None:
        """``format('{0}-{1}', a, b)``: ``{{``/``}}`` are braces, ``{N}`` the N-th argument."""
        out: list[str] = []
        i = 0
        while i < len(template):
            pair = template[i : i + 2]
            if pair in ("{{", "}}"):
                out.append(pair[0])
                i += 2
                continue
            if template[i] == "{":
                end = template.find("}", i)
                index = template[i + 1 : end] if end > i else ""
                if not index.isdigit() or int(index) >= len(args):
                    return None  # GitHub refuses it too
                part = self.operand(args[int(index)])
                if part is None:
                    return None
                out.append(part)
                i = end + 1
                continue
            text = quoted(template[i])
            if text is None:
                return None
            out.append(text)
            i += 1
        return "".join(out)

    def _lookup(self, node: ex.Index, name: str) -> list[str] | None:
        """``fromJSON('{"a": "x"}')[matrix.k]``: a constant object looked up by a run-time key
        (GitHub matches keys ignoring case; a missing key is the empty string)."""
        try:
            table = ex.evaluate(node.obj, {})
        except ex.ExpressionError:
            return None
        if not isinstance(table, dict):
            return None
        key = self.word(node.index)
        if key is None or not key.startswith("${") or ":-" in key:
            return None
        lines = [f'case "{key[:-1]},,}}" in']
        for k, v in table.items():
            if isinstance(v, dict | list):
                return None
            pattern, value = quoted(str(k).lower()), quoted(ex.to_string(v))
            if pattern is None or value is None:
                return None
            lines.append(f'  "{pattern}") {name}="{value}" ;;')
        lines.append(f"  *) {name}='' ;;")
        lines.append("esac")
        return ["\n".join(lines)]


def _constant(node: ex.Call) -> str | None:
    """A call whose value the converter knows (``toJSON('x')``, ``join(fromJSON('[...]'))``)."""
    try:
        value = ex.evaluate(node, {})
    except ex.ExpressionError:
        return None
    if value is ex.UNKNOWN:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value)
    return ex.to_string(value)
