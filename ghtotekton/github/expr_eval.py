"""Static evaluation: what an expression is worth before the run, from what is known already.

Whatever depends on the run (a missing context or key, `success()`, `hashFiles()`) is `UNKNOWN`
and spreads, except where GitHub's short-circuit makes the answer certain anyway
(`false && x`, `true || x`). Everything else follows GitHub's evaluator to the letter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from ghtotekton.github.expr_ast import (
    Call,
    Compare,
    EvaluationError,
    Filter,
    Index,
    Literal,
    Logical,
    Node,
    Not,
    Property,
    Variable,
)
from ghtotekton.github.expr_values import (
    ARRAY,
    BOOLEAN,
    MISSING,
    OBJECT,
    UNKNOWN,
    FilteredArray,
    UnknownInside,
    compare,
    is_primitive,
    is_truthy,
    kind,
    lookup,
    loose_equals,
    to_json,
    to_number,
    to_string,
    upper,
)

_RUNTIME_ONLY = frozenset({"success", "always", "cancelled", "failure", "hashfiles"})


def evaluate(node: Node, ctx: Mapping[str, Any], *, complete: bool = False) -> Any:
    """The value of `node` given the contexts in `ctx` (e.g. {"github": {...}, "matrix": {...}}).

    By default `ctx` is partial knowledge: a context or key it lacks is UNKNOWN. With
    `complete=True` it is the whole truth and a missing key is null, as at run time.
    Raises EvaluationError where GitHub's evaluation would fail (bad format string, bad JSON).
    """
    return _Evaluator(ctx, complete).eval(node)


class _Evaluator:
    def __init__(self, ctx: Mapping[str, Any], complete: bool) -> None:
        self.ctx = ctx
        self.complete = complete

    def missing(self) -> Any:
        return None if self.complete else UNKNOWN

    def eval(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Variable):
            value = lookup(self.ctx, node.name)
            return self.missing() if value is MISSING else value
        if isinstance(node, Property):
            return self.access(self.eval(node.obj), node.name, star=False)
        if isinstance(node, Index):
            index = self.eval(node.index)
            obj = self.eval(node.obj)
            if obj is UNKNOWN:
                return UNKNOWN
            if index is UNKNOWN:
                return UNKNOWN if kind(obj) in (ARRAY, OBJECT) else None
            return self.access(obj, index, star=False)
        if isinstance(node, Filter):
            return self.access(self.eval(node.obj), None, star=True)
        if isinstance(node, Not):
            value = self.eval(node.expr)
            return UNKNOWN if value is UNKNOWN else not is_truthy(value)
        if isinstance(node, Compare):
            left, right = self.eval(node.left), self.eval(node.right)
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            return compare(node.op, left, right)
        if isinstance(node, Logical):
            return self.logical(node)
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(f"not an expression node: {node!r}")

    def logical(self, node: Logical) -> Any:
        left = self.eval(node.left)
        if left is UNKNOWN:
            # Whichever operand comes back, it is not known which; evaluate the right side only
            # so that its errors surface as GitHub's would.
            self.eval(node.right)
            return UNKNOWN
        stop = (not is_truthy(left)) if node.op == "&&" else is_truthy(left)
        return left if stop else self.eval(node.right)

    # --- property access, as GitHub's IndexAccess ---

    def access(self, obj: Any, index: Any, *, star: bool) -> Any:
        if obj is UNKNOWN:
            return UNKNOWN
        name, position = _index_forms(index, star)
        if isinstance(obj, FilteredArray):
            return self.filtered_access(obj, name, position, star)
        k = kind(obj)
        if k == ARRAY:
            if star:
                return FilteredArray(obj)
            if position is not None and position < len(obj):
                return obj[position]
            return None
        if k == OBJECT:
            if star:
                return FilteredArray(obj.values())
            if name is not None:
                value = lookup(obj, name)
                return self.missing() if value is MISSING else value
            return None
        return FilteredArray() if star else None

    def filtered_access(
        self, items: FilteredArray, name: str | None, position: int | None, star: bool
    ) -> Any:
        result = FilteredArray()
        for item in items:
            if item is UNKNOWN:
                return UNKNOWN
            k = kind(item)
            if k == OBJECT:
                if star:
                    result.extend(item.values())
                elif name is not None:
                    value = lookup(item, name)
                    if value is MISSING:
                        if not self.complete:
                            return UNKNOWN
                    else:
                        result.append(value)
            elif k == ARRAY:
                if star:
                    result.extend(item)
                elif position is not None and position < len(item):
                    result.append(item[position])
        return result

    # --- functions ---

    def call(self, node: Call) -> Any:
        name = node.name.lower()
        if name in _RUNTIME_ONLY:
            return UNKNOWN
        args = [self.eval(arg) for arg in node.args]
        if name == "case":
            return _case(node, args)
        if name == "format":
            return _format(node, args)
        if any(arg is UNKNOWN for arg in args):
            return UNKNOWN
        function = _FUNCTIONS.get(name)
        if function is None:
            raise EvaluationError(f"unrecognized function {node.name!r}", node.start)
        return function(node, args)


def _index_forms(index: Any, star: bool) -> tuple[str | None, int | None]:
    """The string and the array position an index stands for, as GitHub's idxHelper reads it."""
    if star:
        return None, None
    name = to_string(index) if is_primitive(index) else None
    number = to_number(index)
    position = math.floor(number) if math.isfinite(number) and number >= 0 else None
    return name, position


def _case(node: Call, args: list[Any]) -> Any:
    for i in range(0, len(args) - 1, 2):
        predicate = args[i]
        if predicate is UNKNOWN:
            return UNKNOWN
        if kind(predicate) != BOOLEAN:
            raise EvaluationError(
                f"case() predicate {i // 2 + 1} is not a boolean", node.args[i].start
            )
        if predicate:
            return args[i + 1]
    return args[-1]


def _format(node: Call, args: list[Any]) -> Any:
    if args[0] is UNKNOWN:
        return UNKNOWN
    template = to_string(args[0])
    out: list[str] = []
    i = 0
    size = len(template)
    while i < size:
        char = template[i]
        if char == "{":
            if template.startswith("{{", i):
                out.append("{")
                i += 2
                continue
            close = template.find("}", i + 1)
            digits = template[i + 1 : close] if close > 0 else ""
            if not (digits.isascii() and digits.isdigit()):
                raise EvaluationError(f"invalid format string {template!r}", node.start)
            number = int(digits)
            if number + 1 >= len(args):
                raise EvaluationError(
                    f"format string {template!r} references argument {{{number}}} "
                    f"but only {len(args) - 1} were given",
                    node.start,
                )
            value = args[number + 1]
            if value is UNKNOWN:
                return UNKNOWN
            out.append(to_string(value))
            i = close + 1
        elif char == "}":
            if not template.startswith("}}", i):
                raise EvaluationError(f"invalid format string {template!r}", node.start)
            out.append("}")
            i += 2
        else:
            nxt = min(
                (p for p in (template.find("{", i), template.find("}", i)) if p >= 0), default=size
            )
            out.append(template[i:nxt])
            i = nxt
    return "".join(out)


def _contains(node: Call, args: list[Any]) -> Any:
    haystack, needle = args
    if is_primitive(haystack):
        if not is_primitive(needle):
            return False
        return to_string(needle).lower() in to_string(haystack).lower()
    if kind(haystack) == ARRAY:
        unknown = False
        for item in haystack:
            if item is UNKNOWN:
                unknown = True
            elif loose_equals(needle, item):
                return True
        return UNKNOWN if unknown else False
    return False


def _affix(check: Callable[[str, str], bool]) -> Callable[[Call, list[Any]], Any]:
    def function(node: Call, args: list[Any]) -> Any:
        text, affix = args
        if not (is_primitive(text) and is_primitive(affix)):
            return False
        return check(upper(to_string(text)), upper(to_string(affix)))

    return function


def _join(node: Call, args: list[Any]) -> Any:
    items = args[0]
    if is_primitive(items):
        return to_string(items)
    if kind(items) != ARRAY:
        return ""
    separator = ","
    if len(args) > 1 and is_primitive(args[1]):
        separator = to_string(args[1])
    if any(item is UNKNOWN for item in items):
        return UNKNOWN
    return separator.join(to_string(item) for item in items)


def _to_json(node: Call, args: list[Any]) -> Any:
    try:
        return to_json(args[0])
    except UnknownInside:
        return UNKNOWN
    except RecursionError as err:
        raise EvaluationError("toJSON() value nests too deeply", node.start) from err


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _from_json(node: Call, args: list[Any]) -> Any:
    text = to_string(args[0])
    if not text.strip():
        raise EvaluationError("fromJSON() of an empty string", node.start)
    try:
        return json.loads(text, parse_int=float, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        raise EvaluationError(f"fromJSON() could not parse its input: {err}", node.start) from err


_FUNCTIONS: dict[str, Callable[[Call, list[Any]], Any]] = {
    "contains": _contains,
    "startswith": _affix(str.startswith),
    "endswith": _affix(str.endswith),
    "join": _join,
    "tojson": _to_json,
    "fromjson": _from_json,
}
