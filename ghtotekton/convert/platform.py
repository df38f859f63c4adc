"""GitHub settings with no Tekton resource: concurrency, token permissions, environments.

They change how or whether a run happens, so dropping them silently would change behaviour; each
becomes a finding that says what Tekton does instead and what a person can do about it.
"""

from __future__ import annotations

from typing import Any

from ghtotekton.convert.findings import Finding
from ghtotekton.convert.naming import param_name
from ghtotekton.errors import Position
from ghtotekton.github import model as m

PLATFORM_RULES = frozenset({"concurrency", "permissions", "environment"})
"""The rule ids of these findings (a job converted twice keeps them)."""


def concurrency_findings(
    value: str | m.Concurrency | None, where: Position, scope: str
) -> list[Finding]:
    if value is None:
        return []
    group = value if isinstance(value, str) else value.group
    cancel = not isinstance(value, str) and value.cancel_in_progress not in (None, False, "false")
    what = "cancels the run in progress" if cancel else "queues runs one at a time"
    return [
        Finding(
            "partial",
            f"{scope} `concurrency` (group `{group}`) {what} on GitHub; Tekton starts every "
            "PipelineRun at once",
            where,
            rule="concurrency",
            action="limit parallel runs with a queue in front of the EventListener (for example "
            "Pipelines-as-Code's `max-keep-runs`/concurrency limit or Kueue), or accept overlap",
        )
    ]


def permissions_findings(value: object, where: Position, scope: str) -> list[Finding]:
    if value is None:
        return []
    wants_oidc = isinstance(value, dict) and value.get("id-token") == "write"
    if value == "write-all":
        wants_oidc = True
    findings = [
        Finding(
            "converted",
            f"{scope} `permissions` limit GitHub's GITHUB_TOKEN; in Tekton the token is the "
            "`GITHUB_TOKEN` key of the `github-secrets` Secret and has that token's own scopes",
            where,
            rule="permissions",
            action="give the Secret a token (GitHub App installation token or fine-grained PAT) "
            "with no more than these permissions",
        )
    ]
    if wants_oidc:
        findings.append(
            Finding(
                "manual",
                f"{scope} asks for `id-token: write` (GitHub's OIDC token for cloud logins); a "
                "TaskRun has no GitHub OIDC token",
                where,
                rule="permissions",
                action="use the cluster's workload identity (IRSA, GKE Workload Identity, Azure "
                "workload identity) for the service account that runs the task",
            )
        )
    return findings


APPROVED = "approved"
APPROVAL_PREFIX = "approve-"


def is_approval(param: str) -> bool:
    """Whether a Pipeline param is an approval a person gives: no trigger may pass it on."""
    return param.startswith(APPROVAL_PREFIX)


def approval_param(value: str | m.Environment) -> str:
    """The Pipeline param a person sets to run the jobs of an environment (``approve-<name>``;
    one param for every environment named by an expression)."""
    name = value if isinstance(value, str) else value.name
    return APPROVAL_PREFIX + param_name("environment" if "${{" in name else name)


def environment_gate(
    value: str | m.Environment | None,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The ``when`` that holds the job back until a person approves, and its Pipeline param.

    GitHub holds a job that deploys to an environment until its protection rules pass (required
    reviewers, wait timers, branch rules). Tekton has no such rules, so a converted job would run
    for every push and pull request, secrets and all: fail closed instead. The param defaults to
    ``''`` and no trigger sets it, so only a run started by hand with
    ``-p approve-<name>=approved`` deploys.
    """
    if value is None:
        return None
    param = approval_param(value)
    name = value if isinstance(value, str) else value.name
    env = "an environment named by an expression" if "${{" in name else f"the environment `{name}`"
    spec = {
        "name": param,
        "type": "string",
        "default": "",
        "description": f"`{APPROVED}` runs the jobs that deploy to {env} (GitHub held them for "
        "its protection rules); a trigger never sets it",
    }
    when = {"input": f"$(params.{param})", "operator": "in", "values": [APPROVED]}
    return when, spec


def environment_findings(
    value: str | m.Environment | None, where: Position, job_id: str
) -> list[Finding]:
    if value is None:
        return []
    name = value if isinstance(value, str) else value.name
    param = approval_param(value)
    return [
        Finding(
            "manual",
            f"job `{job_id}` deploys to the environment `{name}`: its protection rules (required "
            "reviewers, wait timers, branch rules) and environment secrets do not exist in Tekton, "
            f"so its task runs only when a person starts the run with `{param}={APPROVED}`",
            where,
            rule="environment",
            action=f"after review, start the Pipeline by hand (`tkn pipeline start ... -p "
            f"{param}={APPROVED}`), or put an approval task in front of this one; give the "
            "environment's secrets a Secret of their own",
        )
    ]
