"""The source side: docker-compose files, as steps of a workflow use them.

``load_compose`` reads and merges files into a ``ComposeProject``; ``parse_compose_calls`` finds
the ``docker compose ...`` calls in a ``run:`` script. Import from here; the submodules are the
implementation.
"""

from ghtotekton.compose.cli_args import ComposeCall, parse_compose_calls
from ghtotekton.compose.loader import ComposeProject, find_compose_files, load_compose
from ghtotekton.compose.model import ComposeFile, Service

__all__ = [
    "ComposeCall",
    "ComposeFile",
    "ComposeProject",
    "Service",
    "find_compose_files",
    "load_compose",
    "parse_compose_calls",
]
