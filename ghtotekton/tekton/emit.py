"""Write Tekton resources as readable, deterministic YAML, atomically.

Deterministic because ``check`` diffs regenerated output against committed files: the same input
must give byte-identical files. Readable because a platform engineer reviews them: block style,
the key order of Tekton's own docs, multi-line scripts as literal blocks, a header naming the
workflow each file came from.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtotekton import __version__
from ghtotekton.errors import Diagnostic, InputError, Position

OWN_MARKER = "migration-map.json"
"""Present in every folder ``convert`` writes; without it a folder is not ours to replace."""

KEY_ORDER = [
    "apiVersion", "kind", "metadata", "spec",
    "name", "generateName", "namespace", "displayName", "description", "labels", "annotations",
    "type", "default", "optional", "properties",
    "input", "operator", "values", "cel",
    "taskRef", "pipelineRef", "ref", "resolver", "taskSpec", "pipelineSpec",
    "runAfter", "retries", "timeout", "onError",
    "image", "command", "args", "workingDir", "env", "envFrom", "valueFrom", "value",
    "computeResources", "volumeMounts", "securityContext", "params", "matrix", "include",
    "workspaces", "workspace", "results", "stepTemplate", "steps", "sidecars", "volumes",
    "tasks", "finally", "script",
]  # fmt: skip
_RANK = {key: i for i, key in enumerate(KEY_ORDER)}
_UNRANKED = len(_RANK)


# Kubernetes reads YAML as 1.1 (sigs.k8s.io/yaml): `yes`, `on`, `0777`, `1:20`, `2024-01-01` are not
# strings there. A string that 1.1 would read as something else is written quoted.
_YAML11_NOT_STRING = re.compile(
    r"""^(?:
      y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    | ~|null|Null|NULL|
    | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    | [-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)? | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.* | = | <<
    )$""",
    re.VERBOSE,
)


_PLAIN_SAFE = re.compile(
    r"^[A-Za-z0-9_./$(){}\[\]@%+=,:;*!?~^'\"-][A-Za-z0-9_./$(){}\[\]@%+=,:;*!?~^'\" #-]*$"
)
_PLAIN_START_BAD = set("-?:,[]{}#&*!|>'\"%@`")


def _plain_ok(text: str) -> bool:
    """Whether a one-line string can be written without quotes and read back as the same string."""
    if not text or text != text.strip() or _YAML11_NOT_STRING.match(text):
        return False
    if text[0] in _PLAIN_START_BAD or ": " in text or " #" in text or text.endswith(":"):
        return False
    return not any(c in text for c in "{}[],") and _PLAIN_SAFE.match(text) is not None


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return _string(str(value))


@functools.lru_cache(maxsize=1 << 16)
def _string(text: str) -> str:
    """Generated resources repeat the same strings (param names and references) thousands of
    times; deciding their quoting once each halves the time to write a large conversion."""
    if _plain_ok(text):
        return text
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def _block(text: str, indent: str) -> str:
    """A literal block scalar, keeping the text exactly (trailing spaces trimmed before)."""
    lines = text.split("\n")
    trailing = 0
    while len(lines) > 1 and lines[-1] == "":
        lines.pop()
        trailing += 1
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    if chomp == "+":
        lines += [""] * (trailing - 1)
    indicator = "2" if lines and lines[0].startswith(" ") else ""
    body = "\n".join(f"{indent}{line}" if line else "" for line in lines)
    return f"|{indicator}{chomp}\n{body}"


def _is_map(value: Any) -> bool:
    # plain dicts first: an ABC isinstance check per node was a third of the time to write
    return type(value) is dict or isinstance(value, Mapping)


def _key_rank(key: str) -> tuple[int, str]:
    return (_RANK.get(key, _UNRANKED), key)


def _emit(value: Any, indent: str, out: list[str]) -> None:
    """Block-style YAML for our resources: maps, lists, strings, numbers, booleans."""
    if _is_map(value):
        for key in sorted(value, key=_key_rank):
            _entry(f"{indent}{_scalar(key)}:", value[key], indent, out)
        return
    for item in value:
        _entry(f"{indent}  -", item, indent + "    ", out, in_list=True)


def _entry(head: str, value: Any, indent: str, out: list[str], in_list: bool = False) -> None:
    child = indent if in_list else indent + "  "
    if isinstance(value, str):
        if "\n" in value:
            text = "\n".join(line.rstrip() for line in value.split("\n"))
            out.append(f"{head} {_block(text, child + ('  ' if in_list else ''))}")
        else:
            out.append(f"{head} {_string(str(value))}")
    elif isinstance(value, list):
        if value:
            out.append(head)
            _emit(value, indent if not in_list else child, out)
        else:
            out.append(f"{head} []")
    elif _is_map(value):
        if not value:
            out.append(f"{head} {{}}")
        elif in_list:
            first = True
            for key in sorted(value, key=_key_rank):
                prefix = head + " " if first else child
                _entry(f"{prefix}{_scalar(key)}:", value[key], child, out)
                first = False
        else:
            out.append(head)
            _emit(value, child, out)
    else:
        out.append(f"{head} {_scalar(value)}")


def dump_yaml(doc: Mapping[str, Any]) -> str:
    out: list[str] = []
    _emit(doc, "", out)
    return "\n".join(out) + "\n"


def dump_documents(documents: Iterable[Mapping[str, Any]], header: str = "") -> str:
    """Several resources as one multi-document YAML text, with a comment header."""
    out = io.StringIO()
    for line in header.splitlines():
        out.write(f"# {line}".rstrip() + "\n")
    first = True
    for doc in documents:
        if not first or header:
            out.write("---\n")
        first = False
        out.write(dump_yaml(doc))
    return out.getvalue()


def header_for(source: str, what: str) -> str:
    return (
        f"{what}\n"
        f"Generated by ghtotekton {__version__} from {source}.\n"
        "Edit the workflow (or the rule table) and run `ghtotekton convert` again rather than "
        "editing this file."
    )


def content_hash(content: str | bytes) -> str:
    """The sha256 of a file's content, as ``migration-map.json`` records what a run wrote."""
    return hashlib.sha256(_bytes(content)).hexdigest()


def written_files(map_text: str | None) -> dict[str, str] | None:
    """Relative path -> hash of what the run that wrote this ``migration-map.json`` wrote (None
    for a map that does not say: older versions, or not a map)."""
    try:
        data = json.loads(map_text or "")
    except ValueError:
        return None
    files = data.get("files") if isinstance(data, dict) else None
    return dict(files) if isinstance(files, dict) else None


@dataclass(slots=True)
class Carried:
    """Files of the previous output that the new one keeps, and why."""

    theirs: list[str] = field(default_factory=list)
    """Files (and symbolic links) ghtotekton did not write (a NOTES.md): never deleted."""
    edited: list[str] = field(default_factory=list)
    """Files ghtotekton wrote and the user changed since: kept unless ``force``."""
    replaced: list[str] = field(default_factory=list)
    """Edited files that ``force`` replaced."""


def _old_entries(target: Path) -> tuple[list[Path], list[Path]]:
    """(regular files, symbolic links) under ``target``, never following a link."""
    regular: list[Path] = []
    links: list[Path] = []
    for folder, dirs, names in os.walk(target, followlinks=False):
        here = Path(folder)
        links.extend(here / d for d in dirs if (here / d).is_symlink())
        for name in names:
            (links if (here / name).is_symlink() else regular).append(here / name)
    return sorted(regular), sorted(links)


def _carry(
    target: Path, files: Mapping[str, str | bytes], force: bool
) -> tuple[dict[str, bytes], dict[str, str], Carried]:
    """The previous output's files and links that must survive the new one (``Carried``)."""
    carried: dict[str, bytes] = {}
    links: dict[str, str] = {}
    report = Carried()
    if not target.is_dir():
        return carried, links, report
    try:
        before = written_files((target / OWN_MARKER).read_text(encoding="utf-8"))
    except OSError:
        before = None
    regular, symlinks = _old_entries(target)
    for path in symlinks:  # never ours: convert writes no links
        rel = path.relative_to(target).as_posix()
        links[rel] = os.readlink(path)
        report.theirs.append(rel)
    for path in regular:
        rel = path.relative_to(target).as_posix()
        if rel == OWN_MARKER:
            continue
        data = path.read_bytes()
        if before is None:
            # An output of a version that did not list its files: keep what the new run does
            # not write, rather than guess whose it is.
            if rel not in files:
                carried[rel] = data
                report.theirs.append(rel)
        elif rel not in before:
            carried[rel] = data
            report.theirs.append(rel)
        elif content_hash(data) != before[rel] and (rel not in files or data != _bytes(files[rel])):
            if force:
                report.replaced.append(rel)
            else:
                carried[rel] = data
                report.edited.append(rel)
    return carried, links, report


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def write_tree(target: Path, files: Mapping[str, str | bytes], *, force: bool = False) -> Carried:
    """Write ``files`` (relative path -> content) as ``target``, atomically, losing nothing.

    Everything goes to a temporary folder beside the target first; the old output is swapped out
    only when the new one is complete, so an interrupted run leaves the previous output intact.
    Files of the old output that ghtotekton did not write are carried over, and so are files it
    wrote that the user edited since (unless ``force``): what is returned says which.
    """
    target = target.resolve()
    if target.is_dir() and any(target.iterdir()) and not (target / OWN_MARKER).is_file():
        raise InputError(
            Diagnostic(
                Position(str(target)),
                "the output folder holds files ghtotekton did not write",
                f"choose another folder with -o, or empty it (no {OWN_MARKER} inside)",
            )
        )
    if target.exists() and not target.is_dir():
        raise InputError(Diagnostic(Position(str(target)), "the output path is a file"))
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_tree(target)
    carried, links, report = _carry(target, files, force)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        made: set[Path] = set()
        for rel, content in sorted({**files, **carried}.items()):
            if rel in links:
                continue  # the user's link stays where it was, as their files do
            path = staging / rel
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        for rel, link in sorted(links.items()):
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(link, path)
        if target.exists() and _exchange(staging, target):
            shutil.rmtree(staging, ignore_errors=True)  # now holds the old output
            return report
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def _renameat2() -> Any:
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.renameat2
    except (OSError, AttributeError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported.

    Two renames leave a moment with no output folder at all: a process killed there (the rollout
    test does so at random points) would leave ``tekton/`` missing. The exchange has no such
    moment; where the kernel, libc or file system lacks it, the two renames remain.
    """
    call = _renameat2()
    if call is None:
        return False
    rc = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def recover_tree(target: Path) -> bool:
    """Put back an output folder a process was killed in the middle of swapping out.

    Without ``renameat2`` the old output is renamed to ``.NAME.old-PID`` before the new one takes
    its place; if that is where the process stopped, the target is missing and the old output
    is still whole beside it.
    """
    target = target.resolve()
    if target.exists():
        return False
    olds = sorted(target.parent.glob(f".{target.name}.old-*"))
    if len(olds) != 1 or not olds[0].is_dir():
        return False
    os.replace(olds[0], target)
    return True
