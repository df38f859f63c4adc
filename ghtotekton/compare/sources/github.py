"""``github:OWNER/REPO/runs/ID``: a finished GitHub Actions run, turned into a run bundle.

Reads the REST API (docs.github.com/en/rest/actions): the run, its jobs with their steps (the
latest attempt, paginated with ``per_page`` and the ``Link`` header) and its artifacts, whose
zips are downloaded and extracted with the same rules as any bundle zip under
``artifacts/<artifact-name>/``. Artifacts named ``ghtotekton-*`` are the run bundle parts the
workflow's jobs upload when ``convert --shadow-compare`` added its steps; they are merged into
``artifacts/ghtotekton/``, where the Tekton run keeps the same files (executed notebooks).

Environment: ``GITHUB_TOKEN`` (sent as ``Authorization: Bearer`` to the API origin only; the
artifact download redirects to a storage host that gets no token) and ``GHTOTEKTON_GITHUB_API``
(default https://api.github.com, for GitHub Enterprise Server and for tests).

Conclusions map onto the bundle's statuses so that a GitHub run and a Tekton run that behaved the
same compare equal:

* ``success`` -> succeeded; ``neutral`` -> succeeded (GitHub counts it as passing a check);
* ``failure``, ``timed_out``, ``startup_failure`` -> failed (Tekton reports a timeout as a
  failure too); ``action_required`` -> failed (the run was held for approval and did not pass);
* ``cancelled`` -> cancelled; ``stale`` -> cancelled (superseded before it finished);
* ``skipped`` -> skipped for a job or step; a whole run that was skipped -> succeeded, since
  nothing in it failed;
* no conclusion (a job or step that never finished in a completed run) -> cancelled for a job,
  skipped for a step. A run that has not completed is refused: there is nothing to compare yet.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.parse
from pathlib import Path
from typing import Any

from ghtotekton.compare.bundle import (
    ARTIFACTS,
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
from ghtotekton.compare.sources._http import HttpClient, HttpFailure, next_link, origin
from ghtotekton.errors import InputError, input_error

BUNDLE_PREFIX = "ghtotekton-"
"""Artifacts the bundle steps of ``convert --shadow-compare`` upload, one per job."""
BUNDLE_FOLDER = "ghtotekton"
"""Where they are merged, beside what the Tekton run copies into the same folder."""
DEFAULT_API = "https://api.github.com"
API_VERSION = "2022-11-28"
PER_PAGE = 100

_SOURCE = re.compile(
    r"github:(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<repo>[A-Za-z0-9._-]{1,100})"
    r"/runs/(?P<id>[0-9]{1,20})/?"
)
_BAD_ARTIFACT_NAME = re.compile(r'[\\/":<>|*?\r\n\x00]')

_UNIT_STATUS: dict[str, UnitStatus] = {
    "success": "succeeded",
    "neutral": "succeeded",
    "failure": "failed",
    "timed_out": "failed",
    "startup_failure": "failed",
    "action_required": "failed",
    "cancelled": "cancelled",
    "stale": "cancelled",
    "skipped": "skipped",
}


def run_status(conclusion: str | None) -> RunStatus:
    """The bundle status of a whole run (run.json has no "skipped")."""
    status = _UNIT_STATUS.get(conclusion or "", "failed")
    return "succeeded" if status == "skipped" else status


def unit_status(conclusion: str | None, missing: UnitStatus) -> UnitStatus:
    """The bundle status of a job (missing="cancelled") or step (missing="skipped")."""
    if not conclusion:
        return missing
    return _UNIT_STATUS.get(conclusion, "failed")


def parse_source(source: str) -> tuple[str, str, str]:
    match = _SOURCE.fullmatch(source)
    if not match:
        raise input_error(
            source,
            0,
            0,
            "not a GitHub run reference",
            "write github:OWNER/REPO/runs/RUN_ID (the number in the run's URL)",
        )
    return match["owner"], match["repo"], match["id"]


def fetch_github_run(source: str, root: Path, limits: BundleLimits) -> list[str]:
    """Write the run's bundle (run.json and artifacts/) into the empty folder root.

    Returns warnings for the report (artifacts that expired and could not be compared).
    """
    owner, repo, run_id = parse_source(source)
    api = os.environ.get("GHTOTEKTON_GITHUB_API", DEFAULT_API).rstrip("/")
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    auth = {origin(api): {"Authorization": f"Bearer {token}"}} if token else {}
    client = HttpClient(
        source, limits.http_timeout_s, lambda f: _explain(source, f, bool(token)), auth=auth
    )
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "ghtotekton-compare",
    }
    base = f"{api}/repos/{_q(owner)}/{_q(repo)}/actions/runs/{run_id}"

    run, _ = client.get_json(base, headers, limits.max_api_bytes)
    if not isinstance(run, dict):
        raise _shape(source, "the run")
    if run.get("status") != "completed":
        raise input_error(
            source,
            0,
            0,
            f"the run is {run.get('status') or 'not finished'}, not completed",
            "compare runs once they have finished",
        )
    jobs = _pages(client, source, f"{base}/jobs", "jobs", headers, limits, api)
    artifacts = _pages(client, source, f"{base}/artifacts", "artifacts", headers, limits, api)

    budget = Budget(limits)
    warnings: list[str] = []
    bundle_parts: list[tuple[int, str, str]] = []
    (root / ARTIFACTS).mkdir(parents=True, exist_ok=True)
    for art in artifacts:
        name = art.get("name")
        url = art.get("archive_download_url")
        if art.get("expired"):
            warnings.append(f'artifact "{name}" has expired on GitHub; its files are missing')
            continue
        if not isinstance(name, str) or not isinstance(url, str):
            raise _shape(source, "an artifact (no name or archive_download_url)")
        if not name or name in (".", "..") or _BAD_ARTIFACT_NAME.search(name):
            raise input_error(
                source,
                0,
                0,
                f'artifact name "{name}" cannot be a folder name',
                "GitHub forbids these characters in artifact names; is the API answer genuine?",
            )
        if name.startswith(BUNDLE_PREFIX):
            art_id = art.get("id")
            bundle_parts.append((art_id if isinstance(art_id, int) else 0, name, url))
            continue
        download_zip(
            client, url, headers, root / ARTIFACTS / name, budget, f"{source}: artifact {name}"
        )
    # newest first (artifact ids grow): a re-run job's notebooks win over its failed attempt's
    for _id, name, url in sorted(bundle_parts, key=lambda part: (-part[0], part[1])):
        part = root / f".part-{name}"
        download_zip(client, url, headers, part, budget, f"{source}: artifact {name}")
        warnings += _merge_part(part, root / ARTIFACTS / BUNDLE_FOLDER, name)

    info = RunInfo(
        system="github-actions",
        run_id=str(run.get("id", run_id)),
        commit=str(run.get("head_sha") or ""),
        ref=run.get("head_branch") if isinstance(run.get("head_branch"), str) else None,
        event=run.get("event") if isinstance(run.get("event"), str) else None,
        started=timestamp(run.get("run_started_at")),
        finished=timestamp(run.get("updated_at")),
        status=run_status(run.get("conclusion")),
        units=[_unit(job) for job in jobs],
    )
    if not info.commit:
        raise _shape(source, "the run (no head_sha)")
    write_run_json(root, info)
    return warnings


def _merge_part(part: Path, into: Path, name: str) -> list[str]:
    """Move one job's bundle artifact into ``artifacts/ghtotekton/``, where the Tekton run keeps
    the same files; a file two artifacts both hold is kept from the newer one."""
    warnings = []
    for path in sorted(p for p in part.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(part)
        dest = into / rel
        if dest.exists():
            warnings.append(
                f'artifact "{name}": {rel.as_posix()} is also in a newer ghtotekton artifact '
                "(a re-run, or another job with a file of that name); kept the newer one"
            )
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        path.replace(dest)
    shutil.rmtree(part, ignore_errors=True)
    return warnings


def _unit(job: dict[str, Any]) -> UnitRecord:
    steps = [
        StepRecord(
            name=str(step.get("name", "")),
            status=unit_status(step.get("conclusion"), "skipped"),
            duration_s=duration_s(step.get("started_at"), step.get("completed_at")),
        )
        for step in sorted(
            (s for s in job.get("steps") or [] if isinstance(s, dict)),
            key=_step_number,
        )
    ]
    return UnitRecord(
        name=str(job.get("name", "")),
        kind="job",
        status=unit_status(job.get("conclusion"), "cancelled"),
        duration_s=duration_s(job.get("started_at"), job.get("completed_at")),
        steps=steps,
    )


def _step_number(step: dict[str, Any]) -> int:
    number = step.get("number")
    return number if isinstance(number, int) else 0


def _pages(
    client: HttpClient,
    source: str,
    url: str,
    key: str,
    headers: dict[str, str],
    limits: BundleLimits,
    api: str,
) -> list[dict[str, Any]]:
    """All items of a paginated list, following rel="next" on the API origin only."""
    items: list[dict[str, Any]] = []
    next_url: str | None = f"{url}?per_page={PER_PAGE}"
    pages = 0
    while next_url:
        pages += 1
        if pages > limits.max_pages:
            raise input_error(
                source,
                0,
                0,
                f"more than {limits.max_pages} pages of {key}",
                "raise max_pages in BundleLimits",
            )
        if origin(next_url) != origin(api):
            raise input_error(
                source,
                0,
                0,
                f"pagination points away from the API ({origin(next_url)[1]})",
                "check GHTOTEKTON_GITHUB_API",
            )
        data, resp_headers = client.get_json(next_url, headers, limits.max_api_bytes)
        page = data.get(key) if isinstance(data, dict) else None
        if not isinstance(page, list):
            raise _shape(source, f"the {key} list")
        items.extend(item for item in page if isinstance(item, dict))
        link = next_link(resp_headers)
        next_url = urllib.parse.urljoin(next_url, link) if link else None
    return items


def _explain(source: str, failure: HttpFailure, has_token: bool) -> InputError:
    """GitHub's error responses, in words that say what to do."""
    message = failure.json_message()
    remaining = failure.headers.get("X-RateLimit-Remaining")
    if failure.status in (403, 429) and (remaining == "0" or failure.headers.get("Retry-After")):
        reset = failure.headers.get("X-RateLimit-Reset", "")
        when = ""
        if reset.isdigit():
            when = " until " + time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(reset)))
        return input_error(
            source,
            0,
            0,
            f"GitHub API rate limit exceeded{when}",
            "wait, or set GITHUB_TOKEN for a higher limit" if not has_token else "wait and retry",
        )
    if failure.status == 401:
        return input_error(
            source,
            0,
            0,
            f"GitHub refused the credentials (401 {message or 'Bad credentials'})",
            "set GITHUB_TOKEN to a valid token with actions:read on the repository",
        )
    if failure.status == 404:
        return input_error(
            source,
            0,
            0,
            "GitHub has no such run (404 Not Found)",
            "check OWNER/REPO and the run id; a private repository also answers 404 without "
            "a token that can read it (set GITHUB_TOKEN)",
        )
    if failure.status == 403:
        return input_error(
            source,
            0,
            0,
            f"GitHub refused access (403{': ' + message if message else ''})",
            "the token needs actions:read on the repository",
        )
    if failure.status == 410:
        return input_error(
            source,
            0,
            0,
            "the artifact or log has expired (410 Gone)",
            "GitHub keeps artifacts for the repository's retention period only",
        )
    return input_error(
        source,
        0,
        0,
        f"GitHub API answered {failure.status} {message}".rstrip(),
        "retry later; check GHTOTEKTON_GITHUB_API",
    )


def _shape(source: str, what: str) -> InputError:
    return input_error(
        source,
        0,
        0,
        f"unexpected answer from the GitHub API for {what}",
        "check GHTOTEKTON_GITHUB_API points at a GitHub REST API",
    )


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="")
