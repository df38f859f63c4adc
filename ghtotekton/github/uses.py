"""What a ``uses:`` value points at: a local action or workflow, a remote one, or a docker image.

Remote references are recorded, never fetched: the converter maps them through the rule table, and
a person reviews what the table does not know.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Literal

UsesKind = Literal["local", "remote", "docker"]

_REMOTE_RE = re.compile(
    r"^(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+)(?P<path>(/[^@]+)?)@(?P<ref>.+)$"
)


@dataclass(frozen=True, slots=True)
class UsesRef:
    """A parsed ``uses:`` value."""

    raw: str
    kind: UsesKind
    path: str = ""
    """Local: the path relative to the repository root (posix, normalised). Remote: the path
    inside the other repository, without a leading slash ('' for the repository root)."""
    owner: str = ""
    repo: str = ""
    ref: str = ""
    image: str = ""

    @property
    def name(self) -> str:
        """``owner/repo`` or ``owner/repo/path`` for remote actions; the path for local ones."""
        if self.kind == "remote":
            base = f"{self.owner}/{self.repo}"
            return f"{base}/{self.path}" if self.path else base
        if self.kind == "docker":
            return f"docker://{self.image}"
        return self.path

    @property
    def is_workflow(self) -> bool:
        """True when this points at a workflow file (a reusable workflow call)."""
        return self.path.endswith((".yml", ".yaml")) and ".github/workflows/" in f"/{self.path}"


class UsesError(ValueError):
    """A ``uses:`` value GitHub would refuse."""


def parse_uses(raw: str) -> UsesRef:
    """Parse a ``uses:`` value as GitHub reads it.

    ``./path`` and ``$/path`` are in this repository (``$/`` means the same commit of the same
    repository, also from a reusable workflow called elsewhere); ``docker://image`` runs an image;
    anything else is ``owner/repo[/path]@ref``.
    """
    value = raw.strip()
    if "${{" in value:
        raise UsesError("`uses` cannot contain an expression; GitHub resolves it before the run")
    if value.startswith(("./", "$/")):
        rel = posixpath.normpath(value[2:]) if value[2:] else "."
        if rel.startswith("../") or rel == "..":
            raise UsesError(f"`{raw}` points outside the repository")
        return UsesRef(raw, "local", path=rel)
    if value.startswith("docker://"):
        image = value[len("docker://") :]
        if not image:
            raise UsesError("`docker://` needs an image name")
        return UsesRef(raw, "docker", image=image)
    match = _REMOTE_RE.match(value)
    if not match:
        if "@" not in value:
            raise UsesError(
                f"`{raw}` needs a version: `owner/repo@ref` (or `./path` for a local action)"
            )
        raise UsesError(f"`{raw}` is not `owner/repo[/path]@ref`, `./path` or `docker://image`")
    return UsesRef(
        raw,
        "remote",
        path=match.group("path").strip("/"),
        owner=match.group("owner"),
        repo=match.group("repo"),
        ref=match.group("ref"),
    )
