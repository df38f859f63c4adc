"""GitHub's `strategy.matrix` expansion: which jobs a matrix makes, in the order GitHub makes them.

The rules follow GitHub's own workflow parser (actions/runner, `WorkflowParser/Conversion/
MatrixBuilder.cs`) and the docs "Running variations of jobs in a workflow", because a converter that
guesses here runs a different set of jobs than GitHub does:

- The cross product of the keys other than `include`/`exclude`, first key varying slowest.
- `exclude` entries remove every product combination they match. Matching is GitHub's: each leaf of
  the entry is compared with the expression operator `==` (so `'3' == 3`, strings ignore case, and
  a nested object matches when its listed leaves do). Keys of the matrix ignore case too.
- `include` entries are matched on their keys that are product keys (the "original" values, never
  overwritten); their other keys are added to every combination matched, later entries winning.
  An entry that matches no remaining combination becomes a new combination at the end, so it can
  add back an excluded one.
- At most 256 jobs per matrix.

Expressions (`${{ }}`) make parts of a matrix known only at run time. The expansion still returns
what can be known so a converter can show it, and says which part is dynamic.

This module is pure: plain YAML data in, plain data out; errors carry a path relative to the matrix
so the caller can point at the file position.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ghtotekton.github.expr_values import MISSING, lookup, loose_equals

MAX_JOBS: Final = 256
"""GitHub: "A matrix will generate a maximum of 256 jobs per workflow run"."""

MAX_PRODUCT: Final = 65_536
"""Largest cross product we walk before `exclude`: far past anything `exclude` could bring back
under `MAX_JOBS`, and small enough that a hostile workflow cannot make us spin."""

MAX_NAME_LENGTH: Final = 100
"""GitHub cuts a job's display name to 100 characters, the last three being `...`."""

Path = tuple[str | int, ...]


class MatrixError(Exception):
    """A matrix GitHub would reject; `path` leads from the matrix to the offending node."""

    def __init__(self, message: str, path: Iterable[str | int] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path: Path = tuple(path)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class MatrixExpansion:
    """The combinations of a matrix, and how far they can be trusted.

    When `dynamic` is true the combinations are only the part known before the run: keys in
    `dynamic_keys` are left out of the product, and `include`/`exclude` entries that depend on
    run-time values are left out.
    """

    combinations: list[dict[str, Any]] = field(default_factory=list)
    dynamic: bool = False
    dynamic_keys: list[str] = field(default_factory=list)
    expression: str | None = None
    warnings: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    """Per combination, the suffix GitHub adds to the job's name (see `combination_name`)."""


def is_expression(value: object) -> bool:
    """True for a string holding `${{`, whose value only the run can tell."""
    return isinstance(value, str) and "${{" in value


def combination_name(combo: Mapping[str, Any], keys: Iterable[str] | None = None) -> str:
    """The `(ubuntu-latest, 3.1)` suffix GitHub adds to a matrix job's name; '' when it adds none.

    GitHub names a job from the leaf values of its combination in order (keys left out, nested
    objects and lists flattened, null and '' skipped). For combinations of the product it uses the
    product keys only, not what `include` added; pass those as `keys` to get the same name.
    """
    wanted = None if keys is None else {k.lower() for k in keys}
    segments = [
        text
        for key, value in combo.items()
        if wanted is None or key.lower() in wanted
        for text in _name_segments(value)
    ]
    return f"({', '.join(segments)})" if segments else ""


def job_display_name(
    job_name: str, combo: Mapping[str, Any], keys: Iterable[str] | None = None
) -> str:
    """The whole display name GitHub gives a matrix job, cut to 100 characters as GitHub does."""
    suffix = combination_name(combo, keys)
    name = f"{job_name} {suffix}" if suffix else job_name
    if len(name) > MAX_NAME_LENGTH:
        name = name[: MAX_NAME_LENGTH - 3] + "..."
    return name


def scalar_keys(matrix: Mapping[str, Any] | str | None) -> list[str]:
    """The keys (the matrix's, then those ``include`` adds, in order) whose value is a scalar in
    every combination: what can name a combination in a folder or an artifact. Empty when the
    matrix is computed at run time or does not expand."""
    if not isinstance(matrix, Mapping):
        return []
    try:
        expansion = expand_matrix(matrix)
    except MatrixError:
        return []
    if expansion.dynamic:
        return []
    keys = [k for k in matrix if k not in ("include", "exclude")]
    for entry in matrix.get("include") or []:
        if isinstance(entry, Mapping):
            keys.extend(k for k in entry if k not in keys)
    return [
        k
        for k in keys
        if not any(isinstance(c.get(k), Mapping | list) for c in expansion.combinations)
    ]


def expand_matrix(matrix: Mapping[str, Any] | str | None) -> MatrixExpansion:
    """Expand `strategy.matrix` into GitHub's job combinations; raises `MatrixError`."""
    if matrix is None:
        return MatrixExpansion()
    if isinstance(matrix, str):
        if is_expression(matrix):
            return MatrixExpansion(dynamic=True, expression=matrix)
        raise MatrixError("the matrix must be a mapping of keys to lists, or an expression")
    if not isinstance(matrix, Mapping):
        raise MatrixError(f"the matrix must be a mapping of keys to lists, not {_describe(matrix)}")
    return _Builder(matrix).build()


# --- building -------------------------------------------------------------------------------------


@dataclass
class _Include:
    index: int
    filters: dict[str, Any]  # keys as the entry spells them; each names a product key
    extras: dict[str, Any]
    usable: bool  # False when it depends on a run-time value we cannot know


@dataclass
class _Exclude:
    index: int
    entry: Mapping[str, Any]
    usable: bool


class _Builder:
    """One pass over the matrix mapping, then the product; kept as state to keep functions short."""

    def __init__(self, matrix: Mapping[Any, Any]) -> None:
        self.matrix = matrix
        self.vectors: dict[str, list[Any]] = {}
        self.folded: dict[str, str] = {}  # lower-cased key -> the key as written
        self.dynamic = False
        self.dynamic_keys: list[str] = []
        self.uncertain: set[str] = set()  # product keys with an expression among their values
        self.includes: list[_Include] = []
        self.excludes: list[_Exclude] = []
        self.has_include = False
        self.warnings: list[str] = []

    def build(self) -> MatrixExpansion:
        include_raw: Any = None
        exclude_raw: Any = None
        for key, value in self.matrix.items():
            if key == "include":
                include_raw = value
            elif key == "exclude":
                exclude_raw = value
            else:
                self._add_vector(key, value)
        if "include" in self.matrix:
            self._read_includes(include_raw)
        if "exclude" in self.matrix:
            self._read_excludes(exclude_raw)
        if not self.vectors and not self.dynamic_keys and not self.has_include:
            raise MatrixError(
                "the matrix must define at least one key with a list of values, or `include`"
            )
        combinations, names = self._expand()
        if len(combinations) > MAX_JOBS:
            message = (
                f"the matrix makes {len(combinations)} jobs; GitHub allows at most {MAX_JOBS} "
                "per matrix"
            )
            if not self.dynamic:
                raise MatrixError(message)
            self.warnings.append(message)
        return MatrixExpansion(
            combinations=combinations,
            dynamic=self.dynamic,
            dynamic_keys=self.dynamic_keys,
            warnings=self.warnings,
            names=names,
        )

    # --- reading ---

    def _add_vector(self, key: Any, value: Any) -> None:
        if not isinstance(key, str):
            raise MatrixError(
                f"matrix key {key!r} must be a string", (key if isinstance(key, int) else str(key),)
            )
        if is_expression(key):
            self.dynamic = True
            self.dynamic_keys.append(key)
            return
        other = self.folded.get(key.lower())
        if other is not None:
            raise MatrixError(
                f"matrix key '{key}' repeats '{other}' (GitHub compares keys ignoring case)", (key,)
            )
        self.folded[key.lower()] = key
        if is_expression(value):
            self.dynamic = True
            self.dynamic_keys.append(key)
            return
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise MatrixError(
                f"matrix key '{key}' must have a list of values or an expression, "
                f"not {_describe(value)}",
                (key,),
            )
        if not value:
            raise MatrixError(
                f"matrix key '{key}' has an empty list (GitHub: \"Matrix vector '{key}' does not "
                'contain any values")',
                (key,),
            )
        if any(_has_expression(item) for item in value):
            self.uncertain.add(key)
        self.vectors[key] = list(value)

    def _read_includes(self, raw: Any) -> None:
        if is_expression(raw):
            self.dynamic = self.has_include = True
            return
        if isinstance(raw, str) or not isinstance(raw, Sequence):
            raise MatrixError(
                f"`include` must be a list of mappings, not {_describe(raw)}", ("include",)
            )
        self.has_include = bool(raw)
        for index, entry in enumerate(raw):
            where: Path = ("include", index)
            if is_expression(entry):
                self.dynamic = True
                continue
            mapping = self._entry_mapping(entry, where, "include")
            filters: dict[str, Any] = {}
            extras: dict[str, Any] = {}
            usable = True
            for key, value in mapping.items():
                folded = key.lower()
                if is_expression(key) or any(folded == k.lower() for k in self.dynamic_keys):
                    usable = False  # whether it matches depends on the run
                elif folded in self.folded:
                    filters[key] = value
                    if _has_expression(value):
                        usable = False
                    elif self.folded[folded] in self.uncertain:
                        self.dynamic = True  # applied as written; the run may match otherwise
                else:
                    extras[key] = value
            if not usable:
                self.dynamic = True
            self.includes.append(_Include(index, filters, extras, usable))

    def _read_excludes(self, raw: Any) -> None:
        if is_expression(raw):
            self.dynamic = True
            return
        if isinstance(raw, str) or not isinstance(raw, Sequence):
            raise MatrixError(
                f"`exclude` must be a list of mappings, not {_describe(raw)}", ("exclude",)
            )
        for index, entry in enumerate(raw):
            where: Path = ("exclude", index)
            if is_expression(entry):
                self.dynamic = True
                continue
            mapping = self._entry_mapping(entry, where, "exclude")
            usable = True
            for key, value in mapping.items():
                folded = key.lower()
                if is_expression(key) or any(folded == k.lower() for k in self.dynamic_keys):
                    usable = False
                elif folded not in self.folded:
                    known = ", ".join(f"'{k}'" for k in [*self.vectors, *self.dynamic_keys])
                    raise MatrixError(
                        f"`exclude` key '{key}' is not a key of the matrix"
                        + (f" (the matrix keys are {known})" if known else ""),
                        (*where, key),
                    )
                elif _has_expression(value):
                    usable = False
                elif self.folded[folded] in self.uncertain:
                    self.dynamic = True
            if not usable:
                self.dynamic = True
            self.excludes.append(_Exclude(index, mapping, usable))

    def _entry_mapping(self, entry: Any, where: Path, what: str) -> Mapping[str, Any]:
        if not isinstance(entry, Mapping):
            raise MatrixError(
                f"each `{what}` entry must be a mapping, not {_describe(entry)}", where
            )
        if not entry:
            raise MatrixError(f"`{what}` entry {where[-1]} is empty", where)
        seen: dict[str, str] = {}
        for key in entry:
            if not isinstance(key, str):
                raise MatrixError(f"`{what}` key {key!r} must be a string", where)
            if key.lower() in seen:
                raise MatrixError(
                    f"`{what}` key '{key}' repeats '{seen[key.lower()]}' "
                    "(GitHub compares keys ignoring case)",
                    (*where, key),
                )
            seen[key.lower()] = key
        return entry

    # --- expanding ---

    def _expand(self) -> tuple[list[dict[str, Any]], list[str]]:
        keys = list(self.vectors)
        size = math.prod(len(v) for v in self.vectors.values()) if keys else 0
        if size > MAX_PRODUCT:
            raise MatrixError(
                f"the matrix makes {size} combinations before `exclude`; GitHub allows at most "
                f"{MAX_JOBS} jobs per matrix"
            )
        excludes = [e for e in self.excludes if e.usable]
        includes = [i for i in self.includes if i.usable]
        exclude_hits = [0] * len(excludes)
        include_hit = [False] * len(includes)
        combinations: list[dict[str, Any]] = []
        names: list[str] = []
        for values in itertools.product(*self.vectors.values()) if keys else ():
            combo = dict(zip(keys, values, strict=True))
            hits = [i for i, e in enumerate(excludes) if _filter_matches(e.entry, combo)]
            for i in hits:
                exclude_hits[i] += 1
            if hits:
                continue
            extra: dict[str, Any] = {}
            for i, inc in enumerate(includes):
                if _filter_matches(inc.filters, combo):
                    include_hit[i] = True
                    for key, value in inc.extras.items():
                        _set_folded(extra, key, value)
            names.append(combination_name(combo))
            combinations.append(copy.deepcopy({**combo, **extra}))
        for inc, hit in zip(includes, include_hit, strict=True):
            if not hit:
                combo = {**inc.filters, **inc.extras}
                names.append(combination_name(combo))
                combinations.append(copy.deepcopy(combo))
        if not self.dynamic:
            self._warn_no_ops(excludes, exclude_hits, includes, include_hit)
        return combinations, names

    def _warn_no_ops(
        self,
        excludes: list[_Exclude],
        exclude_hits: list[int],
        includes: list[_Include],
        include_hit: list[bool],
    ) -> None:
        for exc, count in zip(excludes, exclude_hits, strict=True):
            if count == 0:
                self.warnings.append(
                    f"`exclude` entry {exc.index} matches no combination, so it removes nothing"
                )
        for inc, hit in zip(includes, include_hit, strict=True):
            if hit and not inc.extras:
                self.warnings.append(
                    f"`include` entry {inc.index} only repeats values of existing combinations, "
                    "so it adds nothing"
                )


def _set_folded(target: dict[str, Any], key: str, value: Any) -> None:
    """Set a key ignoring case, keeping the spelling and place of the first one, as GitHub does."""
    for existing in target:
        if existing.lower() == key.lower():
            target[existing] = value
            return
    target[key] = value


def _filter_matches(entry: Mapping[str, Any], combo: Mapping[str, Any]) -> bool:
    """GitHub's filter: `matrix<path> == leaf` holds for every leaf of the entry."""
    return all(loose_equals(_index(combo, path), leaf) for path, leaf in _leaves(entry, ()))


def _leaves(value: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _index(value: Any, path: Path) -> Any:
    """Follow `path` the way GitHub's `matrix['a'][0]` does: a missing step gives null."""
    for step in path:
        if isinstance(value, Mapping):
            found = lookup(value, str(step))
            value = None if found is MISSING else found
        elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
            if not isinstance(step, int) or not 0 <= step < len(value):
                return None
            value = value[step]
        else:
            return None
    return value


def _has_expression(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(is_expression(k) or _has_expression(v) for k, v in value.items())
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return any(_has_expression(item) for item in value)
    return is_expression(value)


def _name_segments(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _name_segments(item)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for item in value:
            yield from _name_segments(item)
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, int | float):
        yield _number_text(float(value) if isinstance(value, float) else _int_float(value))
    elif value is not None:
        text = str(value)
        if text:
            yield text


def _int_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _number_text(value: float) -> str:
    """.NET's `ToString("G15")`, which is how GitHub prints a matrix number in a job name."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:.15G}"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string '{value}'" if len(value) <= 40 else "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, Sequence):
        return "a list"
    return type(value).__name__
