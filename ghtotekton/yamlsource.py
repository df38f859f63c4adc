"""Read a YAML file into plain Python data plus the source position of every value.

Workflows, composite actions, compose files, rule tables and Tekton files all need errors that point
at ``file:line:col``. ruamel.yaml's C parser composes the node graph fast (with marks); we turn it
into plain dicts and lists ourselves so we can:

* apply the YAML 1.2 core schema as GitHub does (``on``/``yes`` are strings, ``3.10`` is a float,
  ``1_000`` and dates are strings);
* record the position of every value and every mapping key by path, so pydantic errors (which come
  with a ``loc`` path) map back to a place in the file;
* refuse what would hurt: files over a size limit, nesting too deep for the C parser (it recurses
  and would crash the interpreter), alias bombs (expansion is counted), duplicate keys.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from ghtotekton import limits
from ghtotekton.boundary import check_inside
from ghtotekton.errors import Diagnostic, InputError, Position

PathKey = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"

# YAML 1.2 core schema (yaml.org/spec/1.2.2, 10.3.2 tag resolution): what a plain scalar means.
_CORE_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_CORE_FLOAT = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)
_CORE_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False}
_CORE_BOOL["FALSE"] = False
_CORE_NULL = {"", "~", "null", "Null", "NULL"}

_C_PARSER_SAFE_DEPTH = 1000
"""libyaml's composer recurses in C; far deeper input crashes the process, so it never gets it."""


@dataclass(slots=True)
class YamlDocument:
    """One YAML document as plain data, with the position of each value and key by path."""

    file: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    raw_scalars: dict[PathKey, str] = field(default_factory=dict)
    """Source text of scalars that YAML turned into numbers, e.g. ``3.10`` read as 3.1."""
    source: bytes = b""
    """The bytes it was read from (a later splice edits exactly what was converted)."""

    def pos(self, path: PathKey) -> Position:
        """Position of the value at ``path``, or of its nearest ancestor we know."""
        p = tuple(path)
        while p:
            hit = self.positions.get(p)
            if hit is not None:
                return Position(self.file, hit[0], hit[1])
            p = p[:-1]
        hit = self.positions.get(())
        return Position(self.file, *(hit or (1, 1)))

    def key_pos(self, path: PathKey) -> Position:
        """Position of the mapping key that holds ``path`` (falls back to the value)."""
        hit = self.key_positions.get(tuple(path))
        if hit is not None:
            return Position(self.file, hit[0], hit[1])
        return self.pos(path)

    def error(
        self, path: PathKey, message: str, hint: str = "", *, key: bool = False
    ) -> InputError:
        """An InputError located at ``path``."""
        where = self.key_pos(path) if key else self.pos(path)
        return InputError(Diagnostic(where, message, hint))


def read_limited(path: Path, display: str | None = None) -> bytes:
    """Read a file, refusing it before reading when it is larger than the configured limit."""
    name = display or str(path)
    check_inside(path, name)
    try:
        size = path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise InputError(
                Diagnostic(
                    Position(name),
                    f"file is {size / 1048576:.1f} MB, over the {limits.MAX_FILE_BYTES / 1048576:g}"
                    " MB limit",
                    "raise it with --max-file-size MB if this file is really meant to be read",
                )
            )
        with path.open("rb") as fh:
            data = fh.read(limits.MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise InputError(Diagnostic(Position(name), "is a directory, not a file")) from None
    except FileNotFoundError:
        raise InputError(Diagnostic(Position(name), "no such file")) from None
    except PermissionError:
        raise InputError(Diagnostic(Position(name), "permission denied")) from None
    except OSError as exc:
        raise InputError(Diagnostic(Position(name), f"cannot read: {exc.strerror}")) from None
    if len(data) > limits.MAX_FILE_BYTES:
        raise InputError(Diagnostic(Position(name), "file grew past the size limit while read"))
    return data


def load_yaml_file(
    path: Path, display: str | None = None, *, merge_keys: bool = False
) -> YamlDocument:
    """Load one YAML file (the first document; workflows have one)."""
    name = display or str(path)
    return load_yaml_bytes(read_limited(path, name), name, merge_keys=merge_keys)


def load_yaml_bytes(data: bytes | str, file: str, *, merge_keys: bool = False) -> YamlDocument:
    """Parse text into a :class:`YamlDocument`; every problem is an InputError with a position.

    ``merge_keys`` enables YAML 1.1 ``<<`` merges, which compose accepts and GitHub does not.
    """
    raw = _readable(data, file)
    with _yaml_errors(raw, file):
        node: Node | None = _yaml().compose(raw)
    doc = YamlDocument(file=file, data=None, source=raw)
    if node is None:
        doc.positions[()] = (1, 1)
        return doc
    builder = _Builder(doc, merge_keys)
    doc.data = builder.build(node, (), 0)
    return doc


def load_yaml_documents(
    data: bytes | str, file: str, *, merge_keys: bool = False
) -> list[YamlDocument]:
    """Every document of a multi-document stream (Tekton files), with the same checks and
    positions as :func:`load_yaml_bytes`; an empty document has ``data`` None."""
    raw = _readable(data, file)
    with _yaml_errors(raw, file):
        nodes: list[Node | None] = list(_yaml().compose_all(raw))
    docs: list[YamlDocument] = []
    for node in nodes:
        doc = YamlDocument(file=file, data=None)
        if node is not None:
            doc.data = _Builder(doc, merge_keys).build(node, (), 0)
        docs.append(doc)
    return docs


def _readable(data: bytes | str, file: str) -> bytes:
    """The bytes to parse, after refusing binary data and nesting the C parser cannot take."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            Diagnostic(Position(file, 1, 1), "binary data, not YAML", "is this the right file?")
        )
    _refuse_deep_flow(raw, file)
    return raw


def _refuse_deep_flow(raw: bytes, file: str) -> None:
    """Reject flow nesting deep enough to crash the C composer, before it sees the text.

    Counting brackets over-estimates depth when strings hold unbalanced brackets; the threshold is
    far above anything real, so that only ever errs towards a clear error on a pathological file.
    Block nesting needs one indentation column per level, so the line-length limit bounds it.
    """
    if raw.count(b"[") + raw.count(b"{") < _C_PARSER_SAFE_DEPTH:
        return
    depth = 0
    for match in re.finditer(rb"[\[\]{}]", raw):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > _C_PARSER_SAFE_DEPTH:
            line = raw.count(b"\n", 0, match.start()) + 1
            col = match.start() - (raw.rfind(b"\n", 0, match.start()) + 1) + 1
            raise InputError(
                Diagnostic(
                    Position(file, line, col),
                    f"nesting deeper than {_C_PARSER_SAFE_DEPTH} levels",
                    "real workflow and compose files nest a few levels; check the file",
                )
            )
        depth = max(depth, 0)


class _Resolver(VersionedResolver):
    """ruamel's resolver with the version fixed: it looks the version up (through several
    attribute lookups and exceptions) for every scalar, a quarter of the read time; GitHub and
    our rules read YAML 1.2 anyway, whatever a ``%YAML`` directive says."""

    @property
    def processing_version(self) -> Any:
        return (1, 2)

    @property
    def versioned_resolver(self) -> Any:
        cached = self.__dict__.get("_ght_resolvers")
        if cached is None:
            cached = VersionedResolver.versioned_resolver.fget(self)  # type: ignore[attr-defined]
            self.__dict__["_ght_resolvers"] = cached
        return cached


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _Resolver
    return yaml


@contextlib.contextmanager
def _yaml_errors(raw: bytes, file: str) -> Iterator[None]:
    """ruamel's errors as one positioned InputError each."""
    try:
        yield
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise InputError(
            Diagnostic(Position(file, line, col), f"invalid YAML: {what}", "fix the YAML syntax")
        ) from None
    except YAMLError as exc:  # ReaderError (bad encoding, control characters), ComposerError, ...
        line, col = _reader_position(raw, exc)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            Diagnostic(Position(file, line, col), f"not readable as YAML: {message}")
        ) from None
    except RecursionError:
        raise InputError(
            Diagnostic(Position(file, 1, 1), "nesting too deep to read", "check the file")
        ) from None


def _reader_position(raw: bytes, exc: Exception) -> tuple[int, int]:
    offset = getattr(exc, "position", None)
    if not isinstance(offset, int):
        return (1, 1)
    line = raw.count(b"\n", 0, offset) + 1
    return (line, offset - (raw.rfind(b"\n", 0, offset) + 1) + 1)


def _core_float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(text)


class _Builder:
    """Turns a composed node graph into plain data, recording positions and counting expansion."""

    def __init__(self, doc: YamlDocument, merge_keys: bool) -> None:
        self.doc = doc
        self.merge_keys = merge_keys
        self.count = 0
        self.seen: set[int] = set()
        self.aliased = 0
        """Collections built more than once: what an alias (``*name``) expands."""

    def build(self, node: Node, path: PathKey, depth: int) -> Any:
        self.count += 1
        if not isinstance(node, ScalarNode):
            if id(node) in self.seen:
                self.aliased += 1
            else:
                self.seen.add(id(node))
        if self.count > limits.MAX_YAML_NODES:
            if self.aliased:
                why = (
                    f"document expands to more than {limits.MAX_YAML_NODES:,} values through "
                    "its aliases"
                )
                hint = "an alias bomb? GitHub and compose reject such files too"
            else:
                why = f"document holds more than {limits.MAX_YAML_NODES:,} values, the limit"
                hint = "split the file; the largest real workflows hold a few thousand values"
            raise self._error(node, why, hint)
        if depth > limits.MAX_YAML_DEPTH:
            raise self._error(node, f"nesting deeper than {limits.MAX_YAML_DEPTH} levels")
        mark = node.start_mark
        self.doc.positions[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        raise self._error(node, f"unsupported YAML node {type(node).__name__}")  # pragma: no cover

    def _mapping(self, node: MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: list[tuple[str, Any]] = []
        for key_node, value_node in node.value:
            if self.merge_keys and key_node.value == "<<" and key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, path, depth))
                continue
            if not isinstance(key_node, ScalarNode):
                raise self._error(key_node, "a mapping key must be a plain value, not a collection")
            key = self._key_text(key_node)
            if key in out:
                raise self._error(
                    key_node,
                    f'key "{key}" is duplicated',
                    f"it was first set on line {self.doc.key_positions[(*path, key)][0]}",
                )
            self.doc.key_positions[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = self.build(value_node, (*path, key), depth + 1)
        for key, value in merged:  # explicit keys win over merged ones, as YAML 1.1 says
            out.setdefault(key, value)
        return out

    def _merge_sources(self, node: Node, path: PathKey, depth: int) -> Iterator[tuple[str, Any]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise self._error(source, "`<<` merges only mappings")
            value = self._mapping(source, path, depth + 1)
            yield from value.items()

    def _key_text(self, node: ScalarNode) -> str:
        value = self._scalar(node, None)
        if value is None:
            return "null" if node.value else ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(node.value) if not isinstance(value, str) else value

    def _scalar(self, node: ScalarNode, path: PathKey | None) -> Any:
        text: str = node.value
        if node.style not in (None, "", "plain"):
            return text  # quoted or a block: always a string (and no tag lookup, which is slow)
        tag = node.tag
        if tag == _STR:
            return text
        if tag == _NULL and text in _CORE_NULL:
            return None
        if tag == _BOOL and text in _CORE_BOOL:
            return _CORE_BOOL[text]
        if tag == _INT and _CORE_INT.fullmatch(text):
            if path is not None:
                self.doc.raw_scalars[path] = text
            return int(text, 0) if text.startswith(("0o", "0x")) else int(text)
        if tag == _FLOAT and _CORE_FLOAT.fullmatch(text):
            if path is not None:
                self.doc.raw_scalars[path] = text
            return _core_float(text)
        if tag == _MERGE:
            return text
        # Anything else (timestamps, 1.1-style ints like 1_000, custom tags) stays text, as in 1.2.
        return text

    def _error(self, node: Node, message: str, hint: str = "") -> InputError:
        mark = node.start_mark
        return InputError(
            Diagnostic(Position(self.doc.file, mark.line + 1, mark.column + 1), message, hint)
        )
