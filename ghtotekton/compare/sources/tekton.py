"""``tekton:NAMESPACE/PIPELINERUN``: a finished Tekton PipelineRun, turned into a run bundle.

Reads the Kubernetes API for tekton.dev/v1 (field names from tektoncd/pipeline
pkg/apis/pipeline/v1/pipelinerun_types.go and taskrun_types.go): the PipelineRun, then each
TaskRun named in ``status.childReferences``. Pipeline tasks in ``status.skippedTasks`` become
skipped units. CustomRuns are listed as warnings, not units (they have no steps to compare).

Which commit the run built: the annotation ``ghtotekton.dev/commit`` (our TriggerTemplate sets
it) or else the PipelineRun param ``revision`` (the tektoncd catalog's git-clone convention).
``ref`` and ``event`` come the same way from ``ghtotekton.dev/ref`` / param ``ref`` and
``ghtotekton.dev/event`` / param ``event``.

Artifacts: Tekton keeps no files after a run, so the pipeline's last task (the bundle publisher)
uploads a zip to any HTTP(S) store and records its URL in the annotation
``ghtotekton.dev/artifacts-url``. The zip holds the artifact files at its top, or is a whole
bundle (run.json + artifacts/), in which case its artifacts/ is used and its run.json ignored (the
API is the truth). No Kubernetes credential is sent to that URL unless it is the API server
itself. Without the annotation the bundle has no artifacts and a warning says so.

Environment: ``GHTOTEKTON_KUBE_API`` (the API server URL; in a pod, KUBERNETES_SERVICE_HOST and
_PORT are used when it is unset), ``GHTOTEKTON_KUBE_TOKEN`` (a bearer token), ``GHTOTEKTON_KUBE_CA``
(a CA bundle file). In a pod, the service account's token and CA under
/var/run/secrets/kubernetes.io/serviceaccount/ are read when the variables are unset. kubeconfig
files are not read.

Statuses: the ``Succeeded`` condition decides. ``True`` -> succeeded; ``False`` -> cancelled when
the reason says the run was cancelled or stopped, otherwise failed (a timeout is a failure, as a
``timed_out`` job is on GitHub); ``Unknown`` -> the run is not finished and is refused. A step is
skipped when Tekton says so (``terminationReason: Skipped``, after an earlier step failed) or it
never terminated, cancelled on ``terminationReason: Cancelled``, otherwise succeeded on exit code 0
and failed on any other (``Continued``, an error ignored by ``onError: continue``, is a failed step
in a passing task, as GitHub's ``continue-on-error`` is).
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import urllib.parse
from pathlib import Path
from typing import Any

from ghtotekton.compare.bundle import (
    ARTIFACTS,
    RUN_JSON,
    BundleLimits,
    RunInfo,
    RunStatus,
    StepRecord,
    UnitRecord,
    UnitStatus,
)
from ghtotekton.compare.safezip import Budget
from ghtotekton.compare.sources._common import (
    download_zip,
    duration_s,
    timestamp,
    write_run_json,
)
from ghtotekton.compare.sources._http import HttpClient, HttpFailure, origin
from ghtotekton.errors import InputError, input_error

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
GROUP = "apis/tekton.dev/v1"
ANNOTATION = "ghtotekton.dev/"
ARTIFACTS_URL = ANNOTATION + "artifacts-url"

_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_SOURCE = re.compile(rf"tekton:(?P<ns>{_DNS_LABEL})/(?P<name>{_DNS_LABEL}(?:\.{_DNS_LABEL})*)/?")
_CANCELLED = {
    "Cancelled",
    "PipelineRunCancelled",
    "CancelledRunFinally",
    "StoppedRunFinally",
    "CancelledRunningFinally",
    "StoppedRunningFinally",
    "TaskRunCancelled",
}


class _NotFound(InputError):
    """404 from the API; a pruned TaskRun is a warning, a missing PipelineRun an error."""


def parse_source(source: str) -> tuple[str, str]:
    match = _SOURCE.fullmatch(source)
    if not match or len(match["name"]) > 253:
        raise input_error(
            source,
            0,
            0,
            "not a PipelineRun reference",
            "write tekton:NAMESPACE/PIPELINERUN (lowercase Kubernetes names)",
        )
    return match["ns"], match["name"]


def condition_status(obj: dict[str, Any]) -> tuple[str, str]:
    """(status, reason) of the Succeeded condition; ("Unknown", "") when there is none."""
    status = obj.get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    for cond in conditions if isinstance(conditions, list) else []:
        if isinstance(cond, dict) and cond.get("type") == "Succeeded":
            return str(cond.get("status", "Unknown")), str(cond.get("reason") or "")
    return "Unknown", ""


def finished_status(status: str, reason: str) -> RunStatus | None:
    """The bundle status of a finished run or TaskRun; None while it is still running."""
    if status == "True":
        return "succeeded"
    if status == "False":
        return "cancelled" if reason in _CANCELLED else "failed"
    return None


def step_status(step: dict[str, Any]) -> UnitStatus:
    reason = step.get("terminationReason")
    terminated = step.get("terminated")
    if reason == "Skipped":
        return "skipped"
    if reason == "Cancelled":
        return "cancelled"
    if not isinstance(terminated, dict):
        return "skipped"
    return "succeeded" if terminated.get("exitCode") == 0 else "failed"


def kube_connection(source: str) -> tuple[str, str | None, ssl.SSLContext | None]:
    """API base URL, bearer token and TLS context, from the environment or the pod's account."""
    api = os.environ.get("GHTOTEKTON_KUBE_API", "").strip().rstrip("/")
    if not api:
        host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "")
        if not host or not port:
            raise input_error(
                source,
                0,
                0,
                "no Kubernetes API server to ask",
                "set GHTOTEKTON_KUBE_API (and GHTOTEKTON_KUBE_TOKEN), or run inside the cluster",
            )
        api = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    token = os.environ.get("GHTOTEKTON_KUBE_TOKEN", "").strip() or None
    sa_token = SERVICE_ACCOUNT_DIR / "token"
    if token is None and sa_token.is_file():
        try:
            token = sa_token.read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError) as exc:
            raise input_error(
                str(sa_token),
                0,
                0,
                f"cannot read the service account token: {exc}",
                "set GHTOTEKTON_KUBE_TOKEN instead",
            ) from None
    ca = os.environ.get("GHTOTEKTON_KUBE_CA", "").strip() or None
    sa_ca = SERVICE_ACCOUNT_DIR / "ca.crt"
    if ca is None and sa_ca.is_file():
        ca = str(sa_ca)
    context = None
    if ca is not None and api.startswith("https:"):
        try:
            context = ssl.create_default_context(cafile=ca)
        except (OSError, ssl.SSLError) as exc:
            raise input_error(ca, 0, 0, f"cannot load the CA bundle: {exc}") from None
    return api, token, context


def fetch_pipelinerun(source: str, root: Path, limits: BundleLimits) -> list[str]:
    """Write the PipelineRun's bundle into the empty folder root; returns report warnings."""
    ns, name = parse_source(source)
    api, token, context = kube_connection(source)
    auth = {origin(api): {"Authorization": f"Bearer {token}"}} if token else {}
    client = HttpClient(source, limits.http_timeout_s, lambda f: _explain(source, f), context, auth)
    headers = {"Accept": "application/json", "User-Agent": "ghtotekton-compare"}
    base = f"{api}/{GROUP}/namespaces/{ns}"

    pr = _get(client, f"{base}/pipelineruns/{name}", headers, limits, source, "the PipelineRun")
    cond, reason = condition_status(pr)
    run_status = finished_status(cond, reason)
    if run_status is None:
        raise input_error(
            source,
            0,
            0,
            f"the PipelineRun has not finished ({reason or 'no Succeeded condition'})",
            "compare runs once they have finished",
        )
    status = _mapping(pr, "status")
    annotations = _mapping(_mapping(pr, "metadata"), "annotations")
    params = _params(_mapping(pr, "spec"))

    def field(key: str, param: str) -> str | None:
        value = annotations.get(ANNOTATION + key) or params.get(param)
        return value if isinstance(value, str) and value else None

    commit = field("commit", "revision")
    if commit is None:
        raise input_error(
            source,
            0,
            0,
            "the PipelineRun does not say which commit it built",
            f"set the annotation {ANNOTATION}commit or a param named revision",
        )

    warnings: list[str] = []
    units: list[UnitRecord] = []
    for child in status.get("childReferences") or []:
        if not isinstance(child, dict):
            continue
        if child.get("kind") != "TaskRun":
            warnings.append(
                f'pipeline task "{child.get("pipelineTaskName")}" ran as a {child.get("kind")}, '
                "which has no steps to compare; left out"
            )
            continue
        unit = _taskrun_unit(client, base, child, headers, limits, source, warnings)
        if unit is not None:
            units.append(unit)
    for skipped in status.get("skippedTasks") or []:
        if isinstance(skipped, dict) and isinstance(skipped.get("name"), str):
            units.append(
                UnitRecord(
                    name=skipped["name"],
                    kind="task",
                    status="skipped",
                    reason=str(skipped.get("reason") or ""),
                )
            )

    (root / ARTIFACTS).mkdir(parents=True, exist_ok=True)
    url = annotations.get(ARTIFACTS_URL)
    if isinstance(url, str) and url:
        _place_artifacts(client, url, root, Budget(limits), source)
    else:
        warnings.append(f"the PipelineRun has no {ARTIFACTS_URL} annotation: no artifacts")

    info = RunInfo(
        system="tekton",
        run_id=f"{ns}/{name}",
        commit=commit,
        ref=field("ref", "ref"),
        event=field("event", "event"),
        started=timestamp(status.get("startTime")),
        finished=timestamp(status.get("completionTime")),
        status=run_status,
        units=units,
        reason=reason,
    )
    write_run_json(root, info)
    return warnings


def _taskrun_unit(
    client: HttpClient,
    base: str,
    child: dict[str, Any],
    headers: dict[str, str],
    limits: BundleLimits,
    source: str,
    warnings: list[str],
) -> UnitRecord | None:
    task = str(child.get("pipelineTaskName") or child.get("name") or "")
    tr_name = str(child.get("name") or "")
    if not re.fullmatch(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*", tr_name):
        raise input_error(source, 0, 0, f'childReferences names an invalid TaskRun "{tr_name}"')
    try:
        tr = _get(client, f"{base}/taskruns/{tr_name}", headers, limits, source, "a TaskRun")
    except _NotFound:
        warnings.append(f'TaskRun "{tr_name}" of task "{task}" is gone (pruned?); left out')
        return None
    cond, reason = condition_status(tr)
    status = finished_status(cond, reason)
    if status is None:
        warnings.append(f'TaskRun "{tr_name}" had not finished ({reason}); counted as cancelled')
        status = "cancelled"
    tr_status = _mapping(tr, "status")
    steps = [
        StepRecord(
            name=str(step.get("name", "")),
            status=step_status(step),
            duration_s=_step_duration(step),
        )
        for step in tr_status.get("steps") or []
        if isinstance(step, dict)
    ]
    results = {
        str(r["name"]): r.get("value")
        for r in tr_status.get("results") or []
        if isinstance(r, dict) and isinstance(r.get("name"), str)
    }
    return UnitRecord(
        name=str(child.get("displayName") or task),
        kind="task",
        status=status,
        duration_s=duration_s(tr_status.get("startTime"), tr_status.get("completionTime")),
        steps=steps,
        pipeline_task=task,
        taskrun=tr_name,
        reason=reason,
        results=results,
    )


def _step_duration(step: dict[str, Any]) -> float | None:
    term = step.get("terminated")
    if not isinstance(term, dict):
        return None
    return duration_s(term.get("startedAt"), term.get("finishedAt"))


def _mapping(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """obj[key] when it is a mapping; API objects omit empty fields, so absent means empty."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _params(spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for param in spec.get("params") or []:
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            out[param["name"]] = param.get("value")
    return out


def _get(
    client: HttpClient,
    url: str,
    headers: dict[str, str],
    limits: BundleLimits,
    source: str,
    what: str,
) -> dict[str, Any]:
    data, _ = client.get_json(url, headers, limits.max_api_bytes)
    if not isinstance(data, dict) or not isinstance(data.get("status", {}), dict):
        raise input_error(
            source,
            0,
            0,
            f"unexpected answer from the Kubernetes API for {what}",
            "check GHTOTEKTON_KUBE_API points at the cluster's API server",
        )
    return data


def _place_artifacts(client: HttpClient, url: str, root: Path, budget: Budget, source: str) -> None:
    """Extract the published zip; a zipped whole bundle contributes only its artifacts/."""
    label = f"{source}: {ARTIFACTS_URL}"
    store = HttpClient(
        label,
        client.timeout_s,
        lambda f: input_error(
            label,
            0,
            0,
            f"the artifacts store answered {f.status} {f.json_message()}".rstrip(),
            "check the URL the publish task recorded; artifacts may have been removed",
        ),
        client.ssl_context,
        client.auth,
    )
    staging = root / ".download"
    download_zip(store, url, {"User-Agent": "ghtotekton-compare"}, staging, budget, label)
    inner = staging / ARTIFACTS
    top = inner if (staging / RUN_JSON).is_file() and inner.is_dir() else staging
    target = root / ARTIFACTS
    for entry in top.iterdir():
        shutil.move(str(entry), str(target / entry.name))
    shutil.rmtree(staging)


def _explain(source: str, failure: HttpFailure) -> InputError:
    """Kubernetes Status responses, in words that say what to do."""
    message = failure.json_message()
    path = urllib.parse.urlsplit(failure.url).path
    if failure.status == 401:
        return input_error(
            source,
            0,
            0,
            "the Kubernetes API refused the token (401 Unauthorized)",
            "set GHTOTEKTON_KUBE_TOKEN to a valid service account token",
        )
    if failure.status == 403:
        return input_error(
            source,
            0,
            0,
            f"the Kubernetes API forbids this read (403: {message})",
            "the account needs get on pipelineruns and taskruns (tekton.dev) in the namespace",
        )
    if failure.status == 404:
        kind = "TaskRun" if "/taskruns/" in path else "PipelineRun"
        return _NotFound(
            input_error(
                source,
                0,
                0,
                f"no such {kind} ({message or '404 Not Found'})",
                "check the namespace and name (kubectl get pipelineruns -n NAMESPACE); "
                "the cluster needs Tekton Pipelines with the tekton.dev/v1 API",
            ).diagnostics
        )
    return input_error(
        source,
        0,
        0,
        f"the Kubernetes API answered {failure.status} {message}".rstrip(),
        "retry later; check GHTOTEKTON_KUBE_API",
    )
