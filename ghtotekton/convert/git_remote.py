"""Which steps of a job talk to a git remote with the checkout's credentials.

``actions/checkout`` keeps its token in ``.git/config`` by default (``persist-credentials``), so
every later step of the job, the untrusted notebook and ``pip install`` included, can read it.
On Tekton the token is kept only when a later step needs it: one that pushes, fetches or pulls
with plain git, or an action that commits and pushes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ghtotekton.github import model as m

REMOTE_GIT = re.compile(
    r"\bgit\s+(?:-[Cc]\s+\S+\s+|--?[\w-]+(?:=\S+)?\s+)*"
    r"(?:push|pull|fetch|ls-remote|submodule\s+update|remote\s+update)\b"
)
"""A git command that reaches the remote (``git -C dir push``, ``git --no-pager fetch``...)."""

PUSHING_ACTIONS = frozenset(
    {
        "ad-m/github-push-action",
        "EndBug/add-and-commit",
        "stefanzweifel/git-auto-commit-action",
        "peter-evans/create-pull-request",
        "JamesIves/github-pages-deploy-action",
        "peaceiris/actions-gh-pages",
        "actions-js/push",
        "github-actions-x/commit",
    }
)
"""Actions that commit and push through the credentials checkout left in ``.git/config``."""


def uses_remote(step: m.Step) -> bool:
    """True when the step runs a git command that reaches the remote, or a pushing action."""
    if step.run is not None:
        return bool(REMOTE_GIT.search(step.run))
    if step.uses:
        name = step.uses.split("@", 1)[0]
        return any(name.lower().startswith(a.lower()) for a in PUSHING_ACTIONS)
    return False


def later_remote_use(steps: Sequence[m.Step]) -> list[bool]:
    """For each step, whether a step after it talks to the remote."""
    out = [False] * len(steps)
    seen = False
    for i in range(len(steps) - 1, -1, -1):
        out[i] = seen
        seen = seen or uses_remote(steps[i])
    return out
