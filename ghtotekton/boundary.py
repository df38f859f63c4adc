"""The repository is the boundary: no input is read from outside it.

``ghtotekton check`` runs on pull requests, so the files it reads are chosen by whoever opens
one. A symlinked workflow, an action folder that is a link to ``/``, ``docker compose -f
../x.yml`` or an ``env_file: /etc/...`` must not let a pull request read the CI machine's files
(and have their contents quoted back in an error or a report). Every input file passes
:func:`ghtotekton.yamlsource.read_limited`, which asks :func:`check_inside` first, so a reader
cannot forget the check; the scope (:func:`within`) names the repository being converted.

Paths are compared after every symlink is followed (``os.path.realpath``): a link that stays
inside the repository is fine, a link that leaves it is refused, as is a plain ``..`` path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from ghtotekton.errors import Diagnostic, InputError, Position

RULE = "repository-boundary"

_ROOT: ContextVar[Path | None] = ContextVar("ghtotekton_repository_root", default=None)


@contextmanager
def within(root: Path | None) -> Iterator[None]:
    """Refuse, while inside this block, every input read from outside ``root`` (None: no check,
    for loose workflow files that belong to no repository)."""
    token = _ROOT.set(Path(os.path.realpath(root)) if root is not None else None)
    try:
        yield
    finally:
        _ROOT.reset(token)


def outside_reason(path: Path) -> str | None:
    """Why ``path`` may not be read (it leaves the repository), or None when it may."""
    root = _ROOT.get()
    if root is None:
        return None
    real = Path(os.path.realpath(path))
    if real == root or real.is_relative_to(root):
        return None
    lexical = Path(os.path.normpath(Path.cwd() / path))
    if lexical == root or lexical.is_relative_to(root):
        return "is a symlink (or lies under one) that leads outside the repository"
    return "is outside the repository"


def check_inside(path: Path, display: str) -> None:
    """Raise a positioned InputError when ``path`` leaves the repository of the current scope.

    The message names the path only: never what the file holds.
    """
    reason = outside_reason(path)
    if reason is None:
        return
    raise InputError(
        Diagnostic(
            Position(display),
            f"{reason}; not read",
            "ghtotekton reads only files inside the repository it converts: copy the file into "
            "the repository, or replace the link with the file",
            rule=RULE,
        )
    )
