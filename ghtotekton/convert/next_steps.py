"""The report's last section: numbered, copy-pasteable steps from this output to a first run.

A newcomer who has just converted a repository needs the order more than the pieces: install
Tekton (the releases the output was checked with), create the Secrets (the webhook's included,
with a value made on the spot), apply the folder, expose the EventListener, point GitHub's webhook
at it, start a first PipelineRun. Every step is read from the output itself (the listeners, the
event types their interceptors accept, the Secrets the cluster requirements list, the example
runs written), never from a checklist, so a command never names a file the output does not have.

Commands are relative to the output folder (``cd`` into it first): the report is the same
wherever the folder was written, which ``check`` relies on when it regenerates it.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from ghtotekton.convert.triggers import WEBHOOK_SECRET
from ghtotekton.tekton import versions

RELEASES = "https://infra.tekton.dev/tekton-releases"
LISTENER_PORT = 8080
"""The port of the Service Triggers creates for an EventListener (``el-<name>``)."""


def next_steps(
    report: dict[str, Any],
    documents: Iterable[dict[str, Any]],
    examples: list[str],
    *,
    namespace: str | None,
    target: str,
) -> list[dict[str, Any]]:
    """The steps, each ``{"title", "commands", "why"}``; ``documents`` are the trigger files'."""
    if not examples:
        return []  # no workflow became a Pipeline: nothing to deploy
    ns = f" -n {shlex.quote(namespace)}" if namespace else ""
    listeners: list[str] = []
    events: set[str] = set()
    for doc in documents:
        if doc.get("kind") == "EventListener":
            listeners.append(doc["metadata"]["name"])
            events |= _event_types(doc)
    steps: list[dict[str, Any]] = [_install(target)]
    if namespace:
        steps.append(
            {
                "title": f"Create the namespace `{namespace}`",
                "commands": [f"kubectl create namespace {shlex.quote(namespace)}"],
                "why": "the folder's kustomization puts everything there",
            }
        )
    secrets = [s["command"] + ns for s in report.get("cluster_requirements", {}).get("secrets", [])]
    webhook = WEBHOOK_SECRET["secretName"]
    commands = []
    for command in secrets:
        if webhook in command and "THE-WEBHOOK-SECRET" in command:
            commands.append("WEBHOOK_SECRET=$(openssl rand -hex 20)")
            command = command.replace("THE-WEBHOOK-SECRET", '"$WEBHOOK_SECRET"')
        commands.append(command.replace("=...", "=CHANGE-ME"))
    if commands:
        steps.append(
            {
                "title": "Create the Secrets and ConfigMaps the runs read",
                "commands": commands,
                "why": "replace each CHANGE-ME with the value GitHub had (the repository's "
                "secrets and variables); keep $WEBHOOK_SECRET for the webhook below",
            }
        )
    steps.append(
        {
            "title": "Apply the Tasks, Pipelines and triggers",
            "commands": ["kubectl apply -k ."],
            "why": "`kustomization.yaml` lists every resource of this folder",
        }
    )
    if target == "triggers" and listeners:
        steps += _expose(listeners, ns)
        steps.append(_webhook(sorted(events)))
    elif target == "pac":
        steps.append(
            {
                "title": "Connect the repository to Pipelines-as-Code",
                "commands": ["tkn pac create repository"],
                "why": "it creates the Repository resource and the GitHub webhook or App; "
                "Pipelines-as-Code then runs .tekton/ on each event",
            }
        )
    if examples:
        steps.append(
            {
                "title": "Start a first PipelineRun by hand",
                "commands": [f"kubectl create{ns} -f {shlex.quote(examples[0])}"],
                "why": "set its params (git-url, git-revision) first; `tkn pipelinerun logs "
                "--last -f` follows it",
            }
        )
    return steps


def _install(target: str) -> dict[str, Any]:
    pipelines = f"{RELEASES}/pipeline/previous/{versions.PIPELINES}/release.yaml"
    commands = [f"kubectl apply -f {pipelines}"]
    if target == "triggers":
        for part in ("release", "interceptors"):
            commands.append(
                f"kubectl apply -f {RELEASES}/triggers/previous/{versions.TRIGGERS}/{part}.yaml"
            )
        what = f"Pipelines {versions.PIPELINES} and Triggers {versions.TRIGGERS}"
    else:
        commands.append(
            "kubectl apply -f https://raw.githubusercontent.com/openshift-pipelines/"
            "pipelines-as-code/stable/release.k8s.yaml"
        )
        what = f"Pipelines {versions.PIPELINES} and Pipelines-as-Code"
    return {
        "title": f"Install Tekton {what}",
        "commands": commands,
        "why": "the releases whose own code checked this output",
    }


def _expose(listeners: list[str], ns: str) -> list[dict[str, Any]]:
    paths = "\n".join(
        f"      - path: /{name}\n        pathType: Prefix\n        backend:\n"
        f"          service: {{name: el-{name}, port: {{number: {LISTENER_PORT}}}}}"
        for name in listeners
    )
    ingress = (
        f"kubectl apply{ns} -f - <<'EOF'\n"
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ghtotekton-webhooks\n"
        "spec:\n  rules:\n  - host: ci.example.com\n    http:\n      paths:\n"
        f"{paths}\nEOF"
    )
    return [
        {
            "title": "Expose the EventListener to GitHub",
            "commands": [
                f"kubectl get{ns} eventlistener {' '.join(listeners)}",
                ingress,
                f"LISTENER_URL=https://ci.example.com/{listeners[0]}",
            ],
            "why": f"Triggers serves each listener as Service `el-<name>` on port "
            f"{LISTENER_PORT}; replace ci.example.com with a host your Ingress serves over "
            "TLS (a rewrite of the path to / may be needed by your Ingress controller)",
        }
    ]


def _webhook(events: list[str]) -> dict[str, Any]:
    flags = " ".join(f"-f 'events[]={e}'" for e in events or ["push"])
    return {
        "title": "Create the GitHub webhook",
        "commands": [
            "REPO=$(gh repo view --json nameWithOwner -q .nameWithOwner)",
            'gh api "repos/$REPO/hooks" -f name=web -F active=true '
            "-f 'config[content_type]=json' "
            '-f "config[url]=$LISTENER_URL" -f "config[secret]=$WEBHOOK_SECRET" ' + flags,
        ],
        "why": "the events are the ones the listener's interceptors accept; GitHub signs each "
        "delivery with the secret and the listener checks it",
    }


def _event_types(listener: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for trigger in listener.get("spec", {}).get("triggers") or []:
        for interceptor in trigger.get("interceptors") or []:
            for param in interceptor.get("params") or []:
                if param.get("name") == "eventTypes" and isinstance(param.get("value"), list):
                    out |= {str(v) for v in param["value"]}
    return out


def render(steps: list[dict[str, Any]]) -> list[str]:
    """The Markdown section: one heading per step, its commands in a block of their own (not
    indented under a list item, so a heredoc copied from the file still ends at its EOF)."""
    if not steps:
        return ["## Next steps", "", "Nothing to deploy: no workflow became a Pipeline."]
    out = [
        "## Next steps",
        "",
        "Run these from the folder that holds this report (the folder `convert -o` wrote).",
    ]
    for number, step in enumerate(steps, start=1):
        out += ["", f"### {number}. {step['title']}", "", _sentence(step["why"]), "", "```sh"]
        out.extend(step["commands"])
        out.append("```")
    return out


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
