"""The run bundle of a Tekton run: the finally task that makes it comparable with GitHub's.

``compare`` reads a Tekton run through the Kubernetes API, but Tekton keeps no files after a run.
So every pipeline that collects artifacts ends with this task: it zips the artifacts workspace
with a ``run.json`` (the format of DESIGN.md), uploads the zip to an HTTP store (``bundle-url``:
a pre-authorised PUT URL of an object store or an internal file server that also serves GET) and
records the URL on its PipelineRun as ``ghtotekton.dev/artifacts-url``, which is where
``compare``'s ``tekton:`` source looks. With ``bundle-url`` empty the task is skipped.
"""

from __future__ import annotations

from typing import Any

PUBLISH_TASK = "ghtotekton-publish-bundle"
PUBLISH_PIPELINE_TASK = "ghtotekton-publish"
BUNDLE_PARAM = "bundle-url"
IMAGE = "docker.io/library/python:3.12-slim"

SCRIPT = r"""#!/usr/bin/env python3
# Zip the artifacts with run.json, upload the zip, and point the PipelineRun at it.
import json, os, ssl, sys, time, urllib.request, zipfile

url = os.environ["BUNDLE_URL"]
root = os.environ["ARTIFACTS"]
statuses = [s for s in sys.argv[1:] if "=" in s]
aggregate = os.environ.get("AGGREGATE", "")
status = {"Succeeded": "succeeded", "Completed": "succeeded", "Failed": "failed"}.get(
    aggregate, "cancelled" if aggregate == "Cancelled" else "failed")
unit_status = {"Succeeded": "succeeded", "Failed": "failed", "None": "skipped"}
run = {
    "system": "tekton",
    "run_id": os.environ["PIPELINE_RUN"],
    "commit": os.environ.get("COMMIT", ""),
    "ref": os.environ.get("REF", ""),
    "event": os.environ.get("EVENT", ""),
    "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "status": status,
    "units": [
        {"name": name, "kind": "task", "status": unit_status.get(value, "failed"), "steps": []}
        for name, value in (s.split("=", 1) for s in statuses)
    ],
}
zip_path = "/tmp/bundle.zip"
with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as bundle:
    bundle.writestr("run.json", json.dumps(run, indent=2))
    for folder, _dirs, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue  # never follow links out of the workspace
            bundle.write(path, "artifacts/" + os.path.relpath(path, root))
with open(zip_path, "rb") as fh:
    request = urllib.request.Request(url, data=fh.read(), method="PUT")
request.add_header("Content-Type", "application/zip")
urllib.request.urlopen(request, timeout=300).read()
print(f"uploaded the run bundle ({os.path.getsize(zip_path)} bytes)")

sa = os.environ.get("GHT_SA_DIR", "/var/run/secrets/kubernetes.io/serviceaccount")
namespace = open(f"{sa}/namespace").read().strip()
token = open(f"{sa}/token").read().strip()
api = os.environ.get("GHT_KUBE_API") or "https://{}:{}".format(
    os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
patch = {"metadata": {"annotations": {"ghtotekton.dev/artifacts-url": url.split("?")[0]}}}
request = urllib.request.Request(
    f"{api}/apis/tekton.dev/v1/namespaces/{namespace}/pipelineruns/{run['run_id']}",
    data=json.dumps(patch).encode(), method="PATCH")
request.add_header("Content-Type", "application/merge-patch+json")
request.add_header("Authorization", f"Bearer {token}")
context = ssl.create_default_context(cafile=f"{sa}/ca.crt") if api.startswith("https") else None
urllib.request.urlopen(request, timeout=60, context=context).read()
print("recorded ghtotekton.dev/artifacts-url on", run["run_id"])
"""


def publish_task() -> dict[str, Any]:
    """The Task every converted pipeline with artifacts shares (written once)."""
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {
            "name": PUBLISH_TASK,
            "labels": {"app.kubernetes.io/managed-by": "ghtotekton"},
            "annotations": {"ghtotekton.dev/source": "ghtotekton: run bundle publisher"},
        },
        "spec": {
            "description": "Zip the artifacts workspace with run.json, upload it to bundle-url "
            "and record the URL on the PipelineRun for `ghtotekton compare`.",
            "params": [
                {"name": "bundle-url", "type": "string"},
                {"name": "pipeline-run", "type": "string"},
                {"name": "aggregate-status", "type": "string", "default": ""},
                {"name": "commit", "type": "string", "default": ""},
                {"name": "ref", "type": "string", "default": ""},
                {"name": "event", "type": "string", "default": ""},
                {"name": "task-statuses", "type": "array", "default": []},
            ],
            "workspaces": [{"name": "artifacts"}],
            "steps": [
                {
                    "name": "publish",
                    "image": IMAGE,
                    "env": [
                        {"name": "BUNDLE_URL", "value": "$(params.bundle-url)"},
                        {"name": "PIPELINE_RUN", "value": "$(params.pipeline-run)"},
                        {"name": "AGGREGATE", "value": "$(params.aggregate-status)"},
                        {"name": "COMMIT", "value": "$(params.commit)"},
                        {"name": "REF", "value": "$(params.ref)"},
                        {"name": "EVENT", "value": "$(params.event)"},
                        {"name": "ARTIFACTS", "value": "$(workspaces.artifacts.path)"},
                    ],
                    "args": ["$(params.task-statuses[*])"],
                    "script": SCRIPT,
                }
            ],
        },
    }


def publish_pipeline_task(task_names: list[str], declared: set[str]) -> dict[str, Any]:
    """The finally task of one pipeline: the statuses of its tasks go into run.json."""

    def param(name: str, pipeline_param: str) -> dict[str, Any]:
        value = f"$(params.{pipeline_param})" if pipeline_param in declared else ""
        return {"name": name, "value": value}

    return {
        "name": PUBLISH_PIPELINE_TASK,
        "taskRef": {"name": PUBLISH_TASK},
        "params": [
            {"name": "bundle-url", "value": f"$(params.{BUNDLE_PARAM})"},
            {"name": "pipeline-run", "value": "$(context.pipelineRun.name)"},
            {"name": "aggregate-status", "value": "$(tasks.status)"},
            param("commit", "github-sha"),
            param("ref", "github-ref"),
            param("event", "github-event-name"),
            {
                "name": "task-statuses",
                "value": [f"{name}=$(tasks.{name}.status)" for name in sorted(task_names)],
            },
        ],
        "workspaces": [{"name": "artifacts", "workspace": "artifacts"}],
        "when": [{"input": f"$(params.{BUNDLE_PARAM})", "operator": "notin", "values": [""]}],
    }


def bundle_param() -> dict[str, Any]:
    return {
        "name": BUNDLE_PARAM,
        "type": "string",
        "description": "Where the run bundle is uploaded (HTTP PUT, then read with GET by "
        "`ghtotekton compare`); empty: no bundle",
        "default": "",
    }
