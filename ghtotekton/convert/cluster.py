"""What a cluster needs for the converted output to run, for the report's "Cluster requirements".

Collected from the output itself, not from a checklist: the Tekton features the Pipelines use
(``onError`` and ``matrix`` on pipeline tasks are ``beta`` API fields, on by default), the one
claim per run and the workspace coscheduling it relies on, the node pools' labels and taints
the runs select, the GPU resource names they request, and every Secret a step or trigger reads,
each with the command that creates it.
"""

from __future__ import annotations

from typing import Any

from ghtotekton.convert.claims import CACHE, SHARED
from ghtotekton.convert.run_spec import CLAIM_SIZE
from ghtotekton.convert.secret_scope import SECRETS, VARS_CONFIGMAP
from ghtotekton.convert.triggers import WEBHOOK_SECRET
from ghtotekton.convert.workflow import WorkflowConversion
from ghtotekton.tekton import versions


def cluster_requirements(
    conversions: list[WorkflowConversion], secrets: set[str], *, triggers: bool = True
) -> dict[str, Any]:
    """The report's ``cluster_requirements``: versions, features, pools, storage, Secrets."""
    beta: set[str] = set()
    selectors: dict[str, set[str]] = {}
    tolerations: list[dict[str, Any]] = []
    gpu_resources: set[str] = set()
    shared = cache = False
    config_vars: set[str] = set()
    for conv in conversions:
        if conv.pipeline is None:
            continue
        for pt in conv.pipeline["spec"].get("tasks") or []:
            if "onError" in pt:
                beta.add(
                    "`onError` on pipeline tasks (a failed job stops only the jobs that need it)"
                )
            if "matrix" in pt:
                beta.add("`matrix` on pipeline tasks (GitHub matrices)")
        for runner in conv.runners.values():
            for key, value in (runner.get("nodeSelector") or {}).items():
                selectors.setdefault(key, set()).add(str(value))
            for toleration in runner.get("tolerations") or []:
                if toleration not in tolerations:
                    tolerations.append(dict(toleration))
            if runner.get("gpu"):
                gpu_resources.add(str(runner.get("gpuResource") or "nvidia.com/gpu"))
        for task in conv.tasks:
            for step in task["spec"].get("steps") or []:
                for kind in ("limits", "requests"):
                    for name in (step.get("computeResources") or {}).get(kind) or {}:
                        if "gpu" in name:
                            gpu_resources.add(name)
        shared |= SHARED in conv.workspaces
        cache |= CACHE in conv.workspaces
        config_vars |= _config_keys(conv.tasks)
    commands = []
    if secrets:
        keys = " ".join(f"--from-literal={s}=..." for s in sorted(secrets))
        commands.append(
            {"secret": SECRETS, "command": f"kubectl create secret generic {SECRETS} {keys}"}
        )
    if config_vars:
        keys = " ".join(f"--from-literal={k}=..." for k in sorted(config_vars))
        commands.append(
            {
                "configmap": VARS_CONFIGMAP,
                "command": f"kubectl create configmap {VARS_CONFIGMAP} {keys}",
                "why": "GitHub configuration variables (`vars.X`) and values that came from a "
                "local file (`.env`, `env_file`), one key each",
            }
        )
    if triggers and any(conv.pipeline is not None for conv in conversions):
        commands.append(
            {
                "secret": WEBHOOK_SECRET["secretName"],
                "command": f"kubectl create secret generic {WEBHOOK_SECRET['secretName']} "
                f"--from-literal={WEBHOOK_SECRET['secretKey']}=THE-WEBHOOK-SECRET",
                "why": "the EventListener checks GitHub's HMAC signature with it; keep it apart "
                "from the steps' secrets",
            }
        )
    storage: list[str] = []
    if shared:
        storage.append(
            f"a default StorageClass (or `--storage-class`) that provisions ReadWriteOnce claims "
            f"on demand: each run gets one {CLAIM_SIZE} claim from its `volumeClaimTemplate`, "
            f"deleted when the run is done (`tekton.dev/auto-cleanup-pvc`, Pipelines "
            f"{versions.AUTO_CLEANUP_SINCE}+)"
        )
    if cache:
        storage.append(
            "a claim `ghtotekton-cache` the runs share for the cache (create it once; "
            "ReadWriteMany if runs may overlap)"
        )
    return {
        "tekton_pipelines": versions.PIPELINES,
        "tekton_triggers": versions.TRIGGERS,
        "feature_flags": {
            "enable-api-fields": "beta" if beta else "stable",
            "coschedule": "workspaces",
            "uses": sorted(beta),
        },
        "node_selectors": {k: sorted(v) for k, v in sorted(selectors.items())},
        "tolerations": tolerations,
        "gpu_resources": sorted(gpu_resources),
        "storage": storage,
        "secrets": commands,
    }


def _config_keys(tasks: list[dict[str, Any]]) -> set[str]:
    """Keys of the ``github-vars`` ConfigMap any container of these Tasks reads."""
    keys: set[str] = set()
    for task in tasks:
        spec = task["spec"]
        containers = [spec.get("stepTemplate") or {}, *(spec.get("steps") or [])]
        containers += spec.get("sidecars") or []
        for container in containers:
            for entry in container.get("env") or []:
                ref = (entry.get("valueFrom") or {}).get("configMapKeyRef") or {}
                if ref.get("name") == VARS_CONFIGMAP:
                    keys.add(str(ref.get("key")))
    return keys


def render_cluster(req: dict[str, Any]) -> list[str]:
    """The Markdown section."""
    flags = req["feature_flags"]
    out = [
        "## Cluster requirements",
        "",
        f"Checked with Tekton's own admission and reconcilers: Pipelines "
        f"{req['tekton_pipelines']}, Triggers {req['tekton_triggers']} (the `tekton-oracle` of "
        "`make test`).",
        "",
        f"- Feature flags: `enable-api-fields: {flags['enable-api-fields']}` or wider (Tekton's "
        "default is `beta`) and `coschedule: workspaces` (the default: each TaskRun binds at most "
        "one claim, and the pods of a run follow its affinity assistant).",
    ]
    out.extend(f"  - {use}" for use in flags["uses"])
    if req["gpu_resources"]:
        out.append(
            "- GPUs: the NVIDIA device plugin (or GPU operator) advertising "
            + ", ".join(f"`{r}`" for r in req["gpu_resources"])
            + " on the GPU nodes."
        )
    if req["node_selectors"]:
        labels = ", ".join(f"`{k}={'|'.join(v)}`" for k, v in req["node_selectors"].items())
        out.append(f"- Node labels the runs select: {labels}.")
    if req["tolerations"]:
        taints = ", ".join(f"`{_taint(t)}`" for t in req["tolerations"])
        out.append(f"- Taints the runs tolerate: {taints}.")
    for item in req["storage"]:
        out.append(f"- Storage: {item}.")
    if req["secrets"]:
        kinds = (
            "Secrets and ConfigMaps" if any("configmap" in s for s in req["secrets"]) else "Secrets"
        )
        out += ["", f"{kinds} to create:", "", "```sh"]
        out.extend(s["command"] for s in req["secrets"])
        out.append("```")
    return out


def _taint(toleration: dict[str, Any]) -> str:
    value = f"={toleration['value']}" if toleration.get("value") else ""
    return f"{toleration.get('key', '')}{value}:{toleration.get('effect', '')}"
