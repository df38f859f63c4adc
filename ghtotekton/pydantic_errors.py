"""pydantic validation errors -> one clear, positioned diagnostic per place in the file.

pydantic reports errors by ``loc`` path, with union branches and validator names mixed in; the
YAML layer kept the position of every data path. This module walks each ``loc`` through the data
to find the place a person has to change, drops the noise unions produce, and words the message
(with a "did you mean" for misspelt keys).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ghtotekton.errors import Diagnostic, InputError
from ghtotekton.yamlsource import PathKey, YamlDocument

Shapes = Sequence[tuple[tuple[str, ...], type[BaseModel], str]]
"""(path pattern, model, label): which model sits where; `*` any key, `#` any index."""

_TYPE_WORDS = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "none_required": "nothing (an empty value)",
}


def _shape_at(
    path: PathKey, shapes: Sequence[tuple[tuple[str, ...], type[BaseModel], str]]
) -> tuple[type[BaseModel], str] | None:
    for pattern, model, label in shapes:
        if len(pattern) != len(path):
            continue
        if all(
            (p == "*" and isinstance(x, str)) or (p == "#" and isinstance(x, int)) or p == x
            for p, x in zip(pattern, path, strict=True)
        ):
            return model, label
    return None


def data_path(loc: Iterable[int | str], data: Any) -> PathKey:
    """Follow a pydantic ``loc`` through the data, skipping union-branch and validator names."""
    path: list[str | int] = []
    cur = data
    for elem in loc:
        in_dict = isinstance(cur, dict) and isinstance(elem, str) and elem in cur
        in_list = isinstance(cur, list) and isinstance(elem, int) and 0 <= elem < len(cur)
        if in_dict or in_list:
            path.append(elem)
            cur = cur[elem]
    return tuple(path)


_M = TypeVar("_M", bound=BaseModel)


def validate_document(model: type[_M], doc: YamlDocument, shapes: Shapes = ()) -> _M:
    """Validate a loaded document against a model; errors become one InputError."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(validation_diagnostics(exc, doc, shapes)) from None


def validation_diagnostics(
    exc: ValidationError, doc: YamlDocument, shapes: Shapes = ()
) -> list[Diagnostic]:
    """Turn pydantic's errors into one clear diagnostic per place in the file."""
    grouped: dict[tuple[PathKey, str | None], list[dict[str, Any]]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = data_path(loc, doc.data)
        extra_key: str | None = None
        if err["type"] in ("extra_forbidden", "missing"):
            last = loc[-1] if loc else None
            extra_key = str(last) if last is not None else None
            if err["type"] == "extra_forbidden" and path and path[-1] == last:
                path = path[:-1]
        grouped.setdefault((path, extra_key), []).append(dict(err))
    # A union reports one type error per branch it tried; when a branch got further (a deeper
    # place, or a key-level error), those type errors are noise next to it.
    keys = list(grouped)
    deepest = [k for k in keys if not _dominated(k, keys, grouped[k])]
    out: list[Diagnostic] = []
    for path, key in deepest:
        out.append(_diagnostic(doc, path, key, grouped[(path, key)], shapes))
    return sorted(out, key=order)


def _dominated(
    key: tuple[PathKey, str | None],
    keys: list[tuple[PathKey, str | None]],
    errors: list[dict[str, Any]],
) -> bool:
    path, extra = key
    if extra is not None or any(e["type"] not in _TYPE_WORDS for e in errors):
        return False
    return any(
        other != key
        and other[0][: len(path)] == path
        and (len(other[0]) > len(path) or other[1] is not None)
        for other in keys
    )


def _diagnostic(
    doc: YamlDocument,
    path: PathKey,
    key: str | None,
    errors: list[dict[str, Any]],
    shapes: Shapes,
) -> Diagnostic:
    types = {e["type"] for e in errors}
    shape = _shape_at(path, shapes)
    where = dotted(path)
    if "extra_forbidden" in types and key is not None:
        label = shape[1] if shape else (f"`{where}`" if where else "this mapping")
        hint = ""
        if shape:
            allowed = sorted(
                f.alias or name
                for name, f in shape[0].model_fields.items()
                if not f.exclude and name != "pos"
            )
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
            hint = (
                f"did you mean `{close[0]}`?" if close else "expected one of: " + ", ".join(allowed)
            )
        return Diagnostic(
            doc.key_pos((*path, key)), f'unexpected key "{key}" for {label}', hint, rule="syntax"
        )
    if "missing" in types and key is not None:
        label = shape[1] if shape else (f"`{where}`" if where else "the file")
        return Diagnostic(doc.pos(path), f'"{key}" is required in {label}', rule="syntax")
    custom = [e for e in errors if e["type"] in ("value_error", "assertion_error", "invalid_runs")]
    if custom:
        msg = str(custom[0]["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return Diagnostic(doc.pos(path), f"{where}: {msg}" if where else msg, rule="syntax")
    literal = [e for e in errors if e["type"] == "literal_error"]
    if literal:
        msg = str(literal[0]["msg"]).replace("Input should be", "expected")
        return Diagnostic(doc.pos(path), f"{where or 'value'}: {msg}", rule="syntax")
    wanted = sorted({_TYPE_WORDS.get(t, t.replace("_", " ")) for t in types})
    got = kind_of(value_at(doc.data, path))
    return Diagnostic(
        doc.pos(path),
        f"{where or 'value'}: expected {' or '.join(wanted)}, got {got}",
        rule="syntax",
    )


def value_at(data: Any, path: PathKey) -> Any:
    for elem in path:
        data = data[elem]
    return data


def kind_of(value: Any, *, quote: bool = True) -> str:
    """What a value is, for a message; ``quote=False`` never shows its text (a whole file that is
    one scalar is not YAML the tool knows, and may be a credential file)."""
    if not quote and isinstance(value, str | int | float) and not isinstance(value, bool):
        return (
            f"a {'string' if isinstance(value, str) else 'number'} ({len(str(value))} characters)"
        )
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'the string "{shown}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def dotted(path: PathKey) -> str:
    out = ""
    for elem in path:
        out += f"[{elem}]" if isinstance(elem, int) else (f".{elem}" if out else str(elem))
    return out


def order(d: Diagnostic) -> tuple[int, int, str]:
    return (d.position.line, d.position.col, d.message)
