"""``sudo`` and ``apt-get install`` in a ``run:`` script: the step runs as root instead.

A hosted runner gives scripts passwordless ``sudo`` and ready apt package lists. A container
step has neither, but it can run as root (``securityContext.runAsUser: 0``): then ``sudo``
only needs to go (where it stands as a command, as the shell's grammar says, not in strings)
and the package lists are fetched once when the image has none. What cannot be said that way
(``sudo -u postgres``, apt in an image that is not Debian or Ubuntu) is returned as a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ghtotekton.convert.shell_syntax import commands

_FLAGS = frozenset(
    {"-E", "-H", "-n", "-S", "-k", "-v", "-P", "-b", "--preserve-env", "--non-interactive"}
)
"""``sudo`` options that mean nothing (or nothing more) to a command already running as root."""
_ROOT_USERS = frozenset({"root", "0", "#0"})
_SHELLS = frozenset({"-i", "-s", "--login", "--shell"})

APT_LISTS = (
    "export DEBIAN_FRONTEND=noninteractive\n"
    "ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq"
)
"""A container image starts with no apt package lists, the runner has them: fetch them once."""

NOT_DEBIAN = (
    "alpine", "ubi", "rocky", "centos", "fedora", "alma", "amazonlinux", "manylinux",
    "musllinux", "archlinux", "opensuse", "busybox",
)  # fmt: skip
"""Words of image names whose distribution has no apt (``python:3.12-alpine``, ``ubi9``)."""


def _debian_like(image: str) -> bool:
    return not any(w.startswith(NOT_DEBIAN) for w in re.split(r"[/:._@-]", image.lower()))


ROOT_BY_DEFAULT = ("docker.io/library/", "ghcr.io/catthehacker/ubuntu:", "nvidia/cuda:",
                   "docker.io/nvidia/cuda:", "nvcr.io/nvidia/", "pytorch/pytorch:")  # fmt: skip
"""Images that run as root unless told otherwise (Docker's official images, act's runner images,
NVIDIA's and PyTorch's): a step in them needs no ``runAsUser: 0``, and without one it can still
share a container with the steps beside it."""


def needs_run_as_root(image: str) -> bool:
    """Whether a step in ``image`` must say ``runAsUser: 0`` to run as root."""
    name = image if "/" in image.split(":")[0] else f"docker.io/library/{image}"
    return not name.startswith(ROOT_BY_DEFAULT)


@dataclass(slots=True)
class RootScript:
    text: str
    prelude: list[str] = field(default_factory=list)
    """Lines to run before the script (the package lists)."""
    problems: list[str] = field(default_factory=list)
    dropped: int = 0
    """How many ``sudo`` words went."""


def as_root(script: str, image: str) -> RootScript:
    """``script`` for a step that runs as root: ``sudo`` removed where it is a command, the
    package lists fetched before the first ``apt-get install`` when no ``apt-get update``
    comes first; problems for what running as root does not cover."""
    data = script.encode()
    found = commands(script)
    cuts: list[tuple[int, int, bytes]] = []
    problems: list[str] = []
    installs = updates = 0
    for command in found:
        if command.name == "sudo":
            cut = _sudo_cut(command.name_start, command.words, problems)
            if cut is not None:
                cuts.append(cut)
        words = [w[2] for w in command.words]
        program, rest = (command.name, words) if command.name != "sudo" else _after_sudo(words)
        if program in ("apt-get", "apt", "aptitude"):
            if "install" in rest and updates == 0:
                installs += 1
            if "update" in rest:
                updates += 1
    prelude: list[str] = []
    if installs:
        if not _debian_like(image):
            problems.append(
                f"`apt-get install` needs a Debian or Ubuntu image; the step runs in {image}"
            )
        else:
            prelude.append(APT_LISTS)
    for begin, end, new in sorted(cuts, reverse=True):
        data = data[:begin] + new + data[end:]
    return RootScript(data.decode(errors="replace"), prelude, problems, len(cuts))


def _after_sudo(words: list[str]) -> tuple[str, list[str]]:
    """The program ``sudo`` runs and its arguments: the first word that is not an option (or
    an option's value), and the words after it."""
    i = 0
    while i < len(words):
        if words[i] in ("-u", "-g", "--user", "--group"):
            i += 2
        elif words[i].startswith("-"):
            i += 1
        else:
            return words[i], words[i + 1 :]
    return "", []


def _sudo_cut(
    name_start: int, words: tuple[tuple[int, int, str], ...], problems: list[str]
) -> tuple[int, int, bytes] | None:
    """The bytes to remove (``sudo`` and its options) so that its command runs as it is."""
    i = 0
    while i < len(words):
        text = words[i][2]
        if text in ("-u", "--user") and i + 1 < len(words):
            if words[i + 1][2] not in _ROOT_USERS:
                problems.append(f"`sudo -u {words[i + 1][2]}` runs as another user, not root")
                return None
            i += 2
            continue
        if text.startswith("--user=") or text.startswith("--preserve-env="):
            if text.startswith("--user=") and text.split("=", 1)[1] not in _ROOT_USERS:
                problems.append(f"`sudo {text}` runs as another user, not root")
                return None
            i += 1
            continue
        if text in _SHELLS and i + 1 == len(words):
            problems.append(f"`sudo {text}` opens a shell of its own")
            return None
        if text in _FLAGS or text in _SHELLS:  # with a command, `-s cmd` runs cmd
            i += 1
            continue
        if text.startswith("-"):
            problems.append(f"`sudo {text}` is an option this does not read")
            return None
        return (name_start, words[i][0], b"")
    # `sudo -v` and the like: nothing to run, the step is root already
    end = words[-1][1] if words else name_start + len("sudo")
    return (name_start, end, b"true")
