"""Handler name -> handler object, imported only when a file of that type is compared.

Handlers pull in heavy libraries (nbformat, deepdiff, defusedxml) and are built independently, so
the engine names them by ``module:attribute`` and imports lazily. A handler that cannot be
imported (not written yet, or a library missing from this install) must not make the whole
comparison fail: its files are then compared byte for byte, which can only over-report
differences, never hide one, and a note in the report says so.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Mapping
from pathlib import Path

from ghtotekton.compare.handlers.base import Difference, Handler, HandlerOptions

HANDLER_PATHS: dict[str, str] = {
    "junit": "ghtotekton.compare.handlers.junit:HANDLER",
    "coverage": "ghtotekton.compare.handlers.coverage:HANDLER",
    "json": "ghtotekton.compare.handlers.structured:JSON_HANDLER",
    "yaml": "ghtotekton.compare.handlers.structured:YAML_HANDLER",
    "csv": "ghtotekton.compare.handlers.structured:CSV_HANDLER",
    "text": "ghtotekton.compare.handlers.text:HANDLER",
    "binary": "ghtotekton.compare.handlers.binary:HANDLER",
    "notebook": "ghtotekton.compare.handlers.notebook:HANDLER",
    "html": "ghtotekton.compare.handlers.html:HANDLER",
}

_CHUNK = 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def same_bytes(a: Path, b: Path) -> bool:
    """Streamed comparison that stops at the first differing chunk."""
    with open(a, "rb", buffering=0) as fa, open(b, "rb", buffering=0) as fb:
        while True:
            ca = fa.read(_CHUNK)
            cb = fb.read(_CHUNK)
            if ca != cb:
                return False
            if not ca:
                return True


class ByteHandler:
    """Size and bytes; the sha256 of each side is shown only when they differ."""

    name = "binary"

    def compare(self, path: str, a: Path, b: Path, options: HandlerOptions) -> list[Difference]:
        try:
            size_a, size_b = a.stat().st_size, b.stat().st_size
            if size_a == size_b and (a.samefile(b) or same_bytes(a, b)):
                return []
            hash_a, hash_b = _sha256(a), _sha256(b)
        except OSError as exc:
            return [
                Difference(
                    handler=self.name,
                    path=path,
                    kind="unreadable",
                    message=f"cannot read: {exc.strerror or type(exc).__name__}",
                )
            ]
        if hash_a == hash_b:  # changed between the two reads
            return []
        return [
            Difference(
                handler=self.name,
                path=path,
                kind="content-changed",
                message=f"content differs ({size_a} vs {size_b} bytes)",
                a=f"{size_a} bytes, sha256 {hash_a}",
                b=f"{size_b} bytes, sha256 {hash_b}",
            )
        ]


BYTE_HANDLER = ByteHandler()


class Registry:
    """Resolves handler names; thread-safe, each module imported once."""

    def __init__(self, overrides: Mapping[str, Handler] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._loaded: dict[str, Handler] = {}
        self._notes: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Handler:
        """The handler for ``name``; the byte handler when it cannot be loaded (see notes())."""
        if name in self._overrides:
            return self._overrides[name]
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = self._load(name)
            return self._loaded[name]

    def notes(self) -> list[str]:
        """One line per handler that fell back to the byte comparison, for the report."""
        with self._lock:
            return [self._notes[k] for k in sorted(self._notes)]

    def _load(self, name: str) -> Handler:
        target = HANDLER_PATHS.get(name)
        if target is None:
            self._notes[name] = f'no handler is registered as "{name}"; compared byte for byte'
            return BYTE_HANDLER
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
            handler: Handler = getattr(module, attr)
        except ImportError as exc:
            why = (
                "is not part of this version"
                if getattr(exc, "name", None) == module_name
                else f"cannot be loaded ({exc})"
            )
            if name == "binary":
                return BYTE_HANDLER
            self._notes[name] = f"the {name} handler {why}; its files were compared byte for byte"
            return BYTE_HANDLER
        except Exception as exc:  # a broken handler module must not stop the comparison
            if name == "binary":
                return BYTE_HANDLER
            self._notes[name] = (
                f"the {name} handler ({target}) cannot be loaded ({type(exc).__name__}: {exc}); "
                "its files were compared byte for byte"
            )
            return BYTE_HANDLER
        return handler
