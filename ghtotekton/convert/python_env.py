"""Packages a step installs stay installed for the steps after it, as on a GitHub runner.

On a runner, ``pip install -e .`` in one step and ``pytest`` in the next share one machine. In a
Tekton Task each step is a fresh container of its image: what ``pip`` wrote into the image's own
folders is gone in the next step, and only volumes are shared. For a job that runs in an
official Python image (``actions/setup-python`` picks one), the setup step creates a virtual
environment in the runner folder (a volume: the pod's ``/workspace``, or the shared workspace
once the job is split) and every step in that image runs with it first on ``PATH``, so ``pip``,
``python`` and what they install are the environment's and persist, in this pod and the next.

Only that image: its ``PATH`` is known (``/usr/local/bin`` first), and it has ``venv``. A step
in another image (a checkout, a compose service) keeps its own.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ghtotekton.convert.steps import GHT_DIR

PYTHON_IMAGE: Final = re.compile(r"^(?:docker\.io/)?(?:library/)?(?:python|pypy):")
VENV: Final = f"{GHT_DIR}/venv"
IMAGE_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""``PATH`` of the official python and pypy images (their Dockerfiles' ``ENV PATH``)."""
CREATE: Final = (
    "# A virtual environment in the runner folder: what the steps install persists.\n"
    'if [ -n "${GHT_VENV:-}" ] && [ ! -x "$GHT_VENV/bin/python" ]; then\n'
    '  python3 -m venv "$GHT_VENV" 2>/dev/null || python -m venv "$GHT_VENV" 2>/dev/null ||'
    ' pypy3 -m venv "$GHT_VENV"\n'
    "fi\n"
)
"""Lines the setup script ends with in such a job."""


def keep_installs(image: str, setup: dict[str, Any], steps: list[dict[str, Any]]) -> bool:
    """Give the job's steps in ``image`` the shared virtual environment (in place); False when
    the image is not an official Python one."""
    if not PYTHON_IMAGE.match(image):
        return False
    setup.setdefault("env", []).append({"name": "GHT_VENV", "value": VENV})
    setup["script"] = setup["script"].rstrip("\n") + "\n" + CREATE
    for step in steps:
        if step.get("image", image) != image or "ref" in step:
            continue
        env = step.setdefault("env", [])
        if any(e["name"] in ("PATH", "VIRTUAL_ENV") for e in env):
            continue
        env.append({"name": "VIRTUAL_ENV", "value": VENV})
        env.append({"name": "PATH", "value": f"{VENV}/bin:{IMAGE_PATH}"})
    return True
