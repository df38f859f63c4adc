"""GitHub settings with no Tekton resource: concurrency, token permissions, environments.

They change how or whether a run happens, so dropping them silently would change behaviour; each
becomes a finding that says what Tekton does instead and what a person can do about it.
"""

from __future__ import annotations

from ghtotekton.convert.findings import Finding
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


def environment_findings(
    value: str | m.Environment | None, where: Position, job_id: str
) -> list[Finding]:
    if value is None:
        return []
    name = value if isinstance(value, str) else value.name
    return [
        Finding(
            "manual",
            f"job `{job_id}` deploys to the environment `{name}`: its protection rules (required "
            "reviewers, wait timers, branch rules) and environment secrets do not exist in Tekton",
            where,
            rule="environment",
            action="put approval in front of this task (for example a manual approval task or a "
            "separate Pipeline started by a person) and give its secrets a Secret of their own",
        )
    ]
