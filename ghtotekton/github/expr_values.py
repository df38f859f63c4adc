"""Values of the expression language and GitHub's rules for converting and comparing them.

Values are plain Python data as JSON would give them (None, bool, int/float, str, mappings,
sequences) plus `UNKNOWN`, the static evaluator's "cannot know before the run". The rules follow
GitHub's own evaluator (actions/languageservices, `expressions/src/result.ts`): loose equality with
coercion to number, case-insensitive strings, objects equal only to themselves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, Final


class _Unknown:
    """The single value the static evaluator returns for what only the run can tell."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value; test `value is UNKNOWN` first")

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


class FilteredArray(list[Any]):
    """The result of an object filter (`.*`): a further property applies to every element."""


NULL, BOOLEAN, NUMBER, STRING, ARRAY, OBJECT, UNKNOWN_KIND = (
    "null",
    "boolean",
    "number",
    "string",
    "array",
    "object",
    "unknown",
)


def kind(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if value is UNKNOWN:
        return UNKNOWN_KIND
    if isinstance(value, Mapping):
        return OBJECT
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return ARRAY
    # Anything else (dates from a YAML loader, say) is what GitHub's YAML reader makes of it: text.
    return STRING


def is_primitive(value: Any) -> bool:
    return kind(value) in (NULL, BOOLEAN, NUMBER, STRING)


# --- numbers --------------------------------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_OCTAL = re.compile(r"0o[0-7]+")


def parse_number(text: str) -> float:
    """GitHub's string-to-number: decimal with sign and exponent, 0x hex, 0o octal, Infinity.

    Blank text is 0 and anything else is NaN, which is how `'' == 0` comes out true.
    """
    text = text.strip()
    if not text:
        return 0.0
    if _DECIMAL.fullmatch(text):
        return float(text)
    if _HEX.fullmatch(text):
        return _int_to_float(int(text[2:], 16))
    if _OCTAL.fullmatch(text):
        return _int_to_float(int(text[2:], 8))
    if text == "Infinity":
        return math.inf
    if text == "-Infinity":
        return -math.inf
    return math.nan


def _int_to_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def to_number(value: Any) -> float:
    """Coercion to number: null 0, booleans 1/0, strings parsed, arrays and objects NaN."""
    k = kind(value)
    if k == NULL:
        return 0.0
    if k == BOOLEAN:
        return 1.0 if value else 0.0
    if k == NUMBER:
        return _int_to_float(value) if isinstance(value, int) else float(value)
    if k == STRING:
        return parse_number(str(value))
    return math.nan


def js_number(value: float) -> str:
    """ECMAScript Number::toString: the shortest text that reads back as the same double."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits_tuple, exponent = _shortest_digits(abs(value))
    digits = "".join(str(d) for d in digits_tuple)
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    power = n - 1
    return f"{sign}{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def _shortest_digits(value: float) -> tuple[tuple[int, ...], int]:
    # repr() is the shortest round-trip form; Decimal splits it into digits and exponent.
    decimal = Decimal(repr(value)).normalize()
    _, digits, exponent = decimal.as_tuple()
    assert isinstance(exponent, int)
    return digits, exponent


_WIDE = Context(prec=80)
_FIFTEEN_PLACES = Decimal(1).scaleb(-15)


def number_to_string(value: float) -> str:
    """How GitHub prints a number: at most 15 decimal places, so 0.1 + 0.2 prints as 0.3."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return js_number(value)
    if abs(value) < 1e21:
        rounded = Decimal(value).quantize(_FIFTEEN_PLACES, rounding=ROUND_HALF_UP, context=_WIDE)
        value = float(rounded)
        if value == 0:
            return "0"
    return js_number(value)


# --- strings and truth ----------------------------------------------------------------------------


def to_string(value: Any) -> str:
    """GitHub's coercion to string: null '', booleans 'true'/'false', 'Array', 'Object'."""
    k = kind(value)
    if k == NULL:
        return ""
    if k == BOOLEAN:
        return "true" if value else "false"
    if k == NUMBER:
        return number_to_string(to_number(value))
    if k == STRING:
        return value if isinstance(value, str) else str(value)
    if k == ARRAY:
        return "Array"
    if k == OBJECT:
        return "Object"
    raise ValueError("UNKNOWN has no string form; test `value is UNKNOWN` first")


def is_truthy(value: Any) -> bool:
    """False for false, 0, -0, NaN, '', null; true for everything else, empty arrays included."""
    k = kind(value)
    if k == NULL:
        return False
    if k == BOOLEAN:
        return bool(value)
    if k == NUMBER:
        number = to_number(value)
        return not (number == 0 or math.isnan(number))
    if k == STRING:
        return len(to_string(value)) > 0
    if k == UNKNOWN_KIND:
        raise ValueError("UNKNOWN is neither truthy nor falsy; test `value is UNKNOWN` first")
    return True


def upper(text: str) -> str:
    """Case folding for comparisons, as GitHub does it: upper case except the dotless i."""
    if "ı" not in text:
        return text.upper()
    return "ı".join(part.upper() for part in text.split("ı"))


def _utf16(text: str) -> bytes:
    # GitHub orders strings by UTF-16 code unit; big-endian bytes sort the same way.
    return text.encode("utf-16-be", "surrogatepass")


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """Bring two values to one kind where GitHub would, as JavaScript's `==` does."""
    lk, rk = kind(left), kind(right)
    if lk == rk:
        return left, right
    if lk == NUMBER and rk == STRING:
        return left, to_number(right)
    if lk == STRING and rk == NUMBER:
        return to_number(left), right
    if lk in (NULL, BOOLEAN):
        return _coerce(to_number(left), right)
    if rk in (NULL, BOOLEAN):
        return _coerce(left, to_number(right))
    return left, right


def loose_equals(left: Any, right: Any) -> bool:
    left, right = _coerce(left, right)
    lk, rk = kind(left), kind(right)
    if lk != rk:
        return False
    if lk == NULL:
        return True
    if lk == NUMBER:
        a, b = to_number(left), to_number(right)
        return not (math.isnan(a) or math.isnan(b)) and a == b
    if lk == STRING:
        return upper(to_string(left)) == upper(to_string(right))
    if lk == BOOLEAN:
        return bool(left) == bool(right)
    return left is right


def _order(left: Any, right: Any) -> int | None:
    """-1, 0 or 1 when the two values are ordered, None when they are not (NaN, mixed kinds)."""
    left, right = _coerce(left, right)
    lk, rk = kind(left), kind(right)
    if lk != rk:
        return None
    if lk == NUMBER:
        a, b = to_number(left), to_number(right)
        if math.isnan(a) or math.isnan(b):
            return None
        return (a > b) - (a < b)
    if lk == STRING:
        sa, sb = _utf16(upper(to_string(left))), _utf16(upper(to_string(right)))
        return (sa > sb) - (sa < sb)
    if lk == BOOLEAN:
        return int(bool(left)) - int(bool(right))
    return None


def compare(op: str, left: Any, right: Any) -> bool:
    """One of == != < <= > >= by GitHub's rules; `<=` is `==` or `<`, as GitHub defines it."""
    if op == "==":
        return loose_equals(left, right)
    if op == "!=":
        return not loose_equals(left, right)
    order = _order(left, right)
    if op == "<":
        return order == -1
    if op == ">":
        return order == 1
    if op == "<=":
        return loose_equals(left, right) or order == -1
    if op == ">=":
        return loose_equals(left, right) or order == 1
    raise ValueError(f"unknown comparison operator {op!r}")


# --- objects --------------------------------------------------------------------------------------

_MISSING: Final = object()


def lookup(obj: Mapping[Any, Any], name: str) -> Any:
    """Case-insensitive key lookup; the first matching key wins, as in GitHub's dictionaries.

    Returns `MISSING` (this module's sentinel) when no key matches.
    """
    folded = name.lower()
    for key in obj:
        if isinstance(key, str) and key.lower() == folded:
            return obj[key]
    return _MISSING


MISSING: Final = _MISSING


# --- JSON -----------------------------------------------------------------------------------------


class UnknownInside(Exception):
    """Raised while printing JSON when part of the value is UNKNOWN."""


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')


def _json_string(text: str) -> str:
    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return _ESCAPES.get(char) or f"\\u{ord(char):04x}"

    return '"' + _NEEDS_ESCAPE.sub(escape, text) + '"'


def to_json(value: Any, indent: str = "") -> str:
    """`toJSON()`: pretty JSON with two-space indentation, as GitHub prints it."""
    k = kind(value)
    if k == UNKNOWN_KIND:
        raise UnknownInside
    if k == NULL:
        return "null"
    if k == BOOLEAN:
        return "true" if value else "false"
    if k == NUMBER:
        number = to_number(value)
        return "null" if math.isnan(number) or math.isinf(number) else js_number(number)
    if k == STRING:
        return _json_string(to_string(value))
    inner = indent + "  "
    if k == ARRAY:
        if not value:
            return "[]"
        items = [inner + to_json(item, inner) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    if not value:
        return "{}"
    pairs = [
        f"{inner}{_json_string(key if isinstance(key, str) else str(key))}: {to_json(item, inner)}"
        for key, item in value.items()
    ]
    return "{\n" + ",\n".join(pairs) + "\n" + indent + "}"
