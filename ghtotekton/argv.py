"""The command line as a person types it, made into the one click parses.

Click reads the root's options (``--debug``, ``--max-file-size``, ``--no-color``) only before
the subcommand, so ``ghtotekton convert . --debug`` was refused as an unknown option. Native
tools take global options anywhere; this moves them in front of the subcommand before click
sees the line. Everything after ``--`` is left alone, as is an option's value that looks like a
global option (``--reason --debug`` gives the reason "--debug").

Colour follows the conventions every terminal tool honours: ``--no-color`` anywhere, the
``NO_COLOR`` variable (any value), or ``TERM=dumb`` turn it off.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence

FLAGS = frozenset({"--debug", "--no-color"})
"""Global options without a value."""
VALUED = frozenset({"--max-file-size"})
"""Global options that take one value (``--max-file-size 20`` or ``--max-file-size=20``)."""


def hoist_global_options(args: Sequence[str], takes_value: Mapping[str, bool]) -> list[str]:
    """``args`` (without the program name) with global options moved to the front.

    ``takes_value`` says, for the subcommands' own options, whether each takes a value, so the
    value of ``--reason --debug`` is not mistaken for a global option.
    """
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if arg in FLAGS:
            front.append(arg)
        elif name in VALUED:
            front.append(arg)
            if "=" not in arg and i + 1 < len(args):
                front.append(args[i + 1])
                i += 1
        else:
            rest.append(arg)
            if takes_value.get(arg, False) and i + 1 < len(args):
                rest.append(args[i + 1])
                i += 1
        i += 1
    return [*front, *rest]


def colour_off(args: Sequence[str], environ: MutableMapping[str, str]) -> bool:
    """Whether colour is off; when it is, ``NO_COLOR`` is set for every library that prints."""
    off = "--no-color" in args or "NO_COLOR" in environ or environ.get("TERM") == "dumb"
    if off:
        environ["NO_COLOR"] = "1"
        environ.pop("FORCE_COLOR", None)
    return off
