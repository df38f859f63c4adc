"""Secrets reach only the steps that read them, and a missing one is an empty string.

A secret a workflow reads through ``${{ secrets.X }}`` becomes the env var ``GHT_SECRET_X`` (or
``GITHUB_TOKEN``), a name only our own translated text uses. In the stepTemplate every step of
the pod would get it: the untrusted notebook, ``poetry install``, the tests. So each such
variable moves from the stepTemplate to the steps whose script, command, args, env or params name
it (first in their env, so their own values may refer to it). Variables the workflow itself names
in a job's ``env:`` stay in the template: GitHub gives those to every step of the job, and a
program may read them without the step's text saying so.

GitHub gives an empty string for a secret that is not set; Kubernetes stops the whole pod with
``CreateContainerConfigError`` when a referenced key is missing. So every reference to the
secrets Secret is ``optional: true``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

SECRETS = "github-secrets"
VARS_CONFIGMAP = "github-vars"
"""The ConfigMap that holds GitHub's configuration variables (``vars.X``), one key each."""
"""The one Secret that holds the workflow's secrets, a key each (``valueFrom`` entries name it)."""


def scope_secrets(spec: dict[str, Any], own: Iterable[str]) -> None:
    """In place: move the stepTemplate's secret variables named in ``own`` to the steps that
    read them, and make every key of the secrets Secret optional."""
    template = (spec.get("stepTemplate") or {}).get("env") or []
    wanted = set(own)
    moving = [e for e in template if e["name"] in wanted and _secret_ref(e) is not None]
    if moving:
        spec["stepTemplate"]["env"] = [e for e in template if e not in moving]
        if not spec["stepTemplate"]["env"]:
            del spec["stepTemplate"]["env"]
        for step in spec.get("steps") or []:
            text = _text(step)
            needed = [e for e in moving if _reads(text, e["name"])]
            if needed:
                names = {e["name"] for e in needed}
                rest = [e for e in step.get("env") or [] if e["name"] not in names]
                step["env"] = [_copy(e) for e in needed] + rest
    for container in [spec.get("stepTemplate") or {}, *(spec.get("steps") or []),
                      *(spec.get("sidecars") or [])]:  # fmt: skip
        for entry in container.get("env") or []:
            ref = _secret_ref(entry)
            if ref is not None and ref.get("name") == SECRETS:
                ref["optional"] = True


def _secret_ref(entry: dict[str, Any]) -> dict[str, Any] | None:
    ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
    return ref if isinstance(ref, dict) else None


def _copy(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": entry["name"],
        "valueFrom": {"secretKeyRef": dict(entry["valueFrom"]["secretKeyRef"])},
    }


def _text(step: dict[str, Any]) -> str:
    parts = [step.get("script") or "", *(step.get("command") or []), *(step.get("args") or [])]
    parts += [str(e.get("value", "")) for e in step.get("env") or []]
    parts += [repr(p.get("value")) for p in step.get("params") or []]
    return "\n".join(parts)


def _reads(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None
