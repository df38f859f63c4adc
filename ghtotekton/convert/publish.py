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
# In /workspace, which the steps of a pod share: the shadow comparison reads it next.
zip_path = os.environ.get("GHT_BUNDLE_ZIP", "/workspace/ghtotekton-bundle.zip")
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


SHADOW_SCRIPT = r"""#!/usr/bin/env python3
# The shadow comparison without a person: find the GitHub Actions run of the same commit and
# workflow, wait for it to finish, compare it with this run's bundle, and record the verdict.
import json, os, subprocess, sys, time, urllib.request

api = os.environ.get("GITHUB_API_URL") or "https://api.github.com"
repo, sha = os.environ["REPOSITORY"], os.environ["COMMIT"]
workflow = os.environ["WORKFLOW_FILE"]
deadline = time.time() + int(os.environ.get("WAIT_SECONDS") or "3600")
headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
if os.environ.get("GITHUB_TOKEN"):
    headers["Authorization"] = "Bearer " + os.environ["GITHUB_TOKEN"]
run_id = None
while time.time() < deadline:
    url = f"{api}/repos/{repo}/actions/runs?head_sha={sha}&per_page=100"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
        runs = [x for x in json.load(r).get("workflow_runs", []) if x.get("path") == workflow]
    done = [x for x in runs if x.get("status") == "completed"]
    if done:
        run_id = max(done, key=lambda x: x.get("run_attempt", 1))["id"]
        break
    time.sleep(30)
if run_id is None:
    sys.exit(f"no finished GitHub Actions run of {workflow} for {sha} before the deadline")
out = "/workspace/ghtotekton-compare.json"
args = ["ghtotekton", "compare", "--run-a", f"github:{repo}/runs/{run_id}",
        "--run-b", "/workspace/ghtotekton-bundle.zip", "--format", "json", "-o", out]
code = subprocess.run(args).returncode
if code not in (0, 1):
    sys.exit(code)
verdict = json.load(open(out)).get("verdict", "")
with open(os.environ["VERDICT_PATH"], "w") as fh:
    fh.write(verdict)
ledger = os.environ.get("LEDGER", "")
if ledger and os.path.isfile(os.path.join(ledger, "rollout.yaml")):
    subprocess.run(["ghtotekton", "rollout", "record", out, "--plan",
                    os.path.join(ledger, "rollout.yaml"), "--db",
                    os.path.join(ledger, "rollout.db")], check=False)
print(f"shadow comparison with GitHub run {run_id}: {verdict}")
"""


def shadow_steps() -> list[dict[str, Any]]:
    """The compare step added by ``convert --shadow-compare`` after the upload."""
    return [
        {
            "name": "shadow-compare",
            "image": IMAGE,
            "env": [
                {"name": "REPOSITORY", "value": "$(params.repository)"},
                {"name": "COMMIT", "value": "$(params.commit)"},
                {"name": "WORKFLOW_FILE", "value": "$(params.workflow-file)"},
                {"name": "WAIT_SECONDS", "value": "$(params.wait-seconds)"},
                {"name": "VERDICT_PATH", "value": "$(results.verdict.path)"},
                {"name": "LEDGER", "value": "$(workspaces.ledger.path)"},
                {
                    "name": "GITHUB_TOKEN",
                    "valueFrom": {
                        "secretKeyRef": {
                            "name": "github-secrets",
                            "key": "GITHUB_TOKEN",
                            "optional": True,
                        }
                    },
                },
            ],
            "script": "#!/bin/sh\nset -e\n"
            'pip install --quiet --no-cache-dir "$(params.ghtotekton-package)"\n'
            "exec python3 - <<'GHT_PY'\n" + SHADOW_SCRIPT + "GHT_PY\n",
        }
    ]


def publish_task(shadow: bool = False) -> dict[str, Any]:
    """The Task every converted pipeline with artifacts shares (written once); with ``shadow``
    it also compares the run with GitHub's run of the same commit and records the verdict."""
    task = _publish_task()
    if shadow:
        spec = task["spec"]
        spec["params"] += [
            {"name": "repository", "type": "string", "default": ""},
            {"name": "workflow-file", "type": "string", "default": ""},
            {"name": "wait-seconds", "type": "string", "default": "3600"},
            {
                "name": "ghtotekton-package",
                "type": "string",
                "default": "ghtotekton",
                "description": "What pip installs to compare (a version, a git URL or a wheel)",
            },
        ]
        spec["workspaces"].append({"name": "ledger", "optional": True})
        spec["results"] = [{"name": "verdict", "type": "string"}]
        spec["steps"] += shadow_steps()
    return task


def _publish_task() -> dict[str, Any]:
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


def publish_pipeline_task(
    task_names: list[str], declared: set[str], workflow_file: str | None = None
) -> dict[str, Any]:
    """The finally task of one pipeline: the statuses of its tasks go into run.json; with a
    ``workflow_file`` (``--shadow-compare``) it also compares with GitHub's run of that file."""

    def param(name: str, pipeline_param: str) -> dict[str, Any]:
        value = f"$(params.{pipeline_param})" if pipeline_param in declared else ""
        return {"name": name, "value": value}

    task: dict[str, Any] = {
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
    if workflow_file is not None:
        task["params"] += [
            param("repository", "github-repository"),
            {"name": "workflow-file", "value": workflow_file},
        ]
    return task


def bundle_param() -> dict[str, Any]:
    return {
        "name": BUNDLE_PARAM,
        "type": "string",
        "description": "Where the run bundle is uploaded (HTTP PUT, then read with GET by "
        "`ghtotekton compare`); empty: no bundle",
        "default": "",
    }
