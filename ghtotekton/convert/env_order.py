"""Env values that name another variable, made to work after Tekton's stepTemplate merge.

A step's ``$(VAR)`` is expanded by Kubernetes only from variables that come earlier in the
container's env, and the stepTemplate merge (``pkg/apis/pipeline/v1/merge.go``, a strategic merge
with the step as the patch) puts the step's own new variables before the template's. So a step
env ``INPUT_PATH: $(REPORT_DIR)/`` that reads the job's ``REPORT_DIR`` from the template would
reach the program as the literal text. The same holds inside the step: an action input
``INPUT_KEY: conda-$(CACHE_NUMBER)`` reads the step's own ``CACHE_NUMBER`` (GitHub evaluates
``with:`` after the step's ``env:``), which the step lists after its inputs. Each such reference
is resolved here, in the Task:

- to the template's (or the step's) value itself, when that is plain text (the usual job or
  workflow ``env:``);
- otherwise (a secret, a field reference, or a value that names variables itself) to a private
  copy the step defines first, ``GHT_ENV_<VAR>``, which Kubernetes does expand.
"""

from __future__ import annotations

import re
from typing import Any, Final

_REF: Final = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
ALIAS_PREFIX: Final = "GHT_ENV_"


def resolve_env_references(task: dict[str, Any]) -> None:
    """Rewrite, in place, every step env value of ``task`` that refers to a variable that would
    come after it once the stepTemplate is merged, or that the step itself defines later."""
    spec = task.get("spec") or {}
    template = {e["name"]: e for e in (spec.get("stepTemplate") or {}).get("env") or []}
    for step in spec.get("steps") or []:
        env = step.get("env")
        if env and "ref" not in step:
            step["env"] = _resolved(env, template)


def _resolved(
    env: list[dict[str, Any]], template: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    own = {e["name"]: e for e in env}
    order = {e["name"]: i for i, e in reversed(list(enumerate(env)))}
    aliases: dict[str, dict[str, Any]] = {}  # in the order they must come: dependencies first

    def expand(value: str, entry: str, at: int, seen: frozenset[str]) -> str:
        return _REF.sub(lambda m: replace(m.group(0), m.group(1), entry, at, seen), value)

    def replace(text: str, name: str, entry: str, at: int, seen: frozenset[str]) -> str:
        if name in seen:
            return text  # a cycle: left as written
        if name not in template and (name not in own or name == entry or order[name] < at):
            return text  # undefined, or the step's own variable defined before: Kubernetes has it
        # The step's own value where it overrides the template, except in that entry itself:
        # `X: $(X)` means the value X had before (GitHub's `X: ${{ env.X }}`). An action input
        # reads the step's own env (GitHub evaluates `with:` after it), which comes later here.
        source = own[name] if name in own and name != entry else template[name]
        value = source.get("value")
        if "valueFrom" not in source and isinstance(value, str) and not _REF.search(value):
            return value  # the same text Kubernetes would have expanded it to
        alias = ALIAS_PREFIX + name
        if alias not in aliases:
            copy = {k: v for k, v in source.items() if k != "name"}
            if isinstance(value, str):
                copy["value"] = expand(value, name, -1, seen | {name})
            aliases[alias] = {"name": alias, **copy}
        return f"$({alias})"

    out = []
    for at, entry in enumerate(env):
        value = entry.get("value")
        if isinstance(value, str) and _REF.search(value):
            entry = {**entry, "value": expand(value, entry["name"], at, frozenset())}
        out.append(entry)
    # The copies come first: a step's new names precede the template's after the merge, and a
    # copy is never a template name.
    return list(aliases.values()) + out
