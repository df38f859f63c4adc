"""Remote sources against a local HTTP server that answers like the real APIs.

The GitHub answers follow docs.github.com/en/rest/actions (workflow runs, workflow jobs,
artifacts); the Kubernetes answers follow tekton.dev/v1 PipelineRun and TaskRun
(tektoncd/pipeline pkg/apis/pipeline/v1). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ghtotekton.compare.bundle import BundleError, BundleLimits, open_bundle
from ghtotekton.compare.sources import github, tekton
from ghtotekton.errors import InputError

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lowercased: HTTP header names are case-insensitive


@dataclass
class FakeServer:
    """A bounded local server: routes by path, records every request it answers."""

    routes: dict[str, Callable[[Seen], Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def add(self, path: str, reply: Callable[[Seen], Reply]) -> None:
        self.routes[path] = reply

    def json(self, path: str, data: Any, status: int = 200, **headers: str) -> None:
        body = json.dumps(data).encode()
        hdrs = {"Content-Type": "application/json", **headers}
        self.routes[path] = lambda _s: (status, hdrs, body)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            seen = Seen(
                parts.path,
                urllib.parse.parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
            )
            server.seen.append(seen)
            route = server.routes.get(parts.path)
            if route is None:
                status, headers, body = (
                    404,
                    {"Content-Type": "application/json"},
                    b'{"message":"Not Found"}',
                )
            else:
                status, headers, body = route(seen)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on purpose (a timeout or size limit under test)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[[], FakeServer]]:
    started: list[ThreadingHTTPServer] = []

    def start() -> FakeServer:
        fake = FakeServer()
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
        httpd.daemon_threads = True
        fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        started.append(httpd)
        return fake

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    for var in (
        "GITHUB_TOKEN",
        "GHTOTEKTON_KUBE_TOKEN",
        "GHTOTEKTON_KUBE_CA",
        "KUBERNETES_SERVICE_HOST",
    ):
        monkeypatch.delenv(var, raising=False)


LIMITS = BundleLimits(http_timeout_s=5)


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


# -- GitHub -----------------------------------------------------------------------------------

OWNER, REPO, RUN = "octo-org", "hello.world", 30433642
SHA = "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d"


def _gh_run(**over: Any) -> dict[str, Any]:
    run = {
        "id": RUN,
        "name": "Build",
        "node_id": "MDEyOldvcmtmbG93IFJ1bjI2OTI4OQ==",
        "head_branch": "master",
        "head_sha": SHA,
        "path": ".github/workflows/build.yml@main",
        "run_number": 562,
        "event": "push",
        "display_title": "Update README.md",
        "status": "completed",
        "conclusion": "failure",
        "workflow_id": 159038,
        "url": f"https://api.github.com/repos/{OWNER}/{REPO}/actions/runs/{RUN}",
        "created_at": "2020-01-22T19:33:08Z",
        "updated_at": "2020-01-22T19:40:01Z",
        "run_attempt": 1,
        "run_started_at": "2020-01-22T19:33:08Z",
    }
    run.update(over)
    return run


def _gh_step(
    number: int, name: str, conclusion: str | None, start: int, end: int
) -> dict[str, Any]:
    return {
        "name": name,
        "status": "completed",
        "conclusion": conclusion,
        "number": number,
        "started_at": f"2020-01-20T17:42:{start:02d}.000-07:00",
        "completed_at": f"2020-01-20T17:42:{end:02d}.000-07:00",
    }


def _gh_jobs() -> list[dict[str, Any]]:
    conclusions = ["success", "failure", "skipped", "cancelled", "timed_out"]
    jobs = []
    for i, conclusion in enumerate(conclusions):
        jobs.append(
            {
                "id": 399444496 + i,
                "run_id": RUN,
                "run_attempt": 1,
                "status": "completed",
                "conclusion": conclusion,
                "started_at": "2020-01-20T17:42:40Z",
                "completed_at": f"2020-01-20T17:44:{10 + i:02d}Z",
                "name": f"job-{i}",
                # steps deliberately out of order: "number" gives the order
                "steps": [
                    _gh_step(2, "Run tests", conclusion, 41, 50),
                    _gh_step(1, "Set up job", "success", 40, 41),
                ],
                "labels": ["ubuntu-latest"],
                "runner_name": "GitHub Actions 2",
            }
        )
    return jobs


def _paginate(fake: FakeServer, path: str, key: str, items: list[dict[str, Any]]) -> None:
    """Answer like GitHub: honour per_page and page, send total_count and a Link header."""

    def reply(seen: Seen) -> Reply:
        per_page = int(seen.query.get("per_page", ["30"])[0])
        page = int(seen.query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        if page < last:
            links.append(f'<{fake.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{fake.url}{path}?per_page={per_page}&page={last}>; rel="last"')
        headers = {"Content-Type": "application/json"}
        if links:
            headers["Link"] = ", ".join(links)
        body = json.dumps({"total_count": len(items), key: chunk}).encode()
        return 200, headers, body

    fake.add(path, reply)


@dataclass
class GitHubFake:
    api: FakeServer
    storage: FakeServer
    base: str
    artifacts: dict[str, dict[str, bytes]]


@pytest.fixture
def github_fake(serve: Callable[[], FakeServer], monkeypatch: pytest.MonkeyPatch) -> GitHubFake:
    artifacts = {
        "junit": {"report.xml": b"<testsuite tests='1'/>", "sub/more.xml": b"<testsuite/>"},
        "coverage": {"coverage.json": b'{"totals": {"percent_covered": 91.5}}'},
    }
    return _github_fake(serve, monkeypatch, artifacts)


def _github_fake(
    serve: Callable[[], FakeServer],
    monkeypatch: pytest.MonkeyPatch,
    artifacts: dict[str, dict[str, bytes]],
) -> GitHubFake:
    api, storage = serve(), serve()
    base = f"/repos/{OWNER}/{REPO}/actions/runs/{RUN}"
    api.json(base, _gh_run())
    _paginate(api, f"{base}/jobs", "jobs", _gh_jobs())
    listing = []
    for i, (name, files) in enumerate([*artifacts.items(), ("old-logs", {})]):
        art_id = 11 + i
        download = f"/repos/{OWNER}/{REPO}/actions/artifacts/{art_id}/zip"
        listing.append(
            {
                "id": art_id,
                "node_id": "MDg6QXJ0aWZhY3QxMQ==",
                "name": name,
                "size_in_bytes": 556,
                "url": f"{api.url}/repos/{OWNER}/{REPO}/actions/artifacts/{art_id}",
                "archive_download_url": f"{api.url}{download}",
                "expired": name == "old-logs",
                "created_at": "2020-01-10T14:59:22Z",
                "expires_at": "2020-03-21T14:59:22Z",
                "updated_at": "2020-02-21T14:59:22Z",
            }
        )
        blob = f"/blob/{art_id}"
        api.add(download, _fixed(302, {"Location": f"{storage.url}{blob}?sig=abc"}, b""))
        storage.add(blob, _fixed(200, {"Content-Type": "application/zip"}, _zip_bytes(files)))
    _paginate(api, f"{base}/artifacts", "artifacts", listing)
    monkeypatch.setenv("GHTOTEKTON_GITHUB_API", api.url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_testtoken")
    monkeypatch.setattr(github, "PER_PAGE", 2)
    return GitHubFake(api, storage, base, artifacts)


def _fixed(status: int, headers: dict[str, str], body: bytes) -> Callable[[Seen], Reply]:
    return lambda _s: (status, headers, body)


def _source() -> str:
    return f"github:{OWNER}/{REPO}/runs/{RUN}"


def test_github_run_becomes_a_bundle(github_fake: GitHubFake, tmp_path: Path) -> None:
    jobs = _gh_jobs()
    with open_bundle(_source(), workdir=tmp_path, limits=LIMITS) as bundle:
        info = bundle.info
        assert info.system == "github-actions"
        assert info.run_id == str(RUN)
        assert info.commit == SHA
        assert info.ref == "master"
        assert info.event == "push"
        assert info.started == "2020-01-22T19:33:08Z"
        assert info.finished == "2020-01-22T19:40:01Z"
        assert info.status == "failed"
        assert [u.name for u in info.units] == [j["name"] for j in jobs]
        assert [u.status for u in info.units] == [
            "succeeded",
            "failed",
            "skipped",
            "cancelled",
            "failed",
        ]
        assert all(u.kind == "job" for u in info.units)
        assert info.units[0].duration_s == 90.0
        assert [s.name for s in info.units[1].steps] == ["Set up job", "Run tests"]
        assert info.units[1].steps[1].duration_s == 9.0
        expected = {
            f"{name}/{rel}": data
            for name, files in github_fake.artifacts.items()
            for rel, data in files.items()
        }
        got = {rel: p.read_bytes() for rel, p in bundle.artifacts().items()}
        assert got == expected
        assert any("old-logs" in w and "expired" in w for w in bundle.warnings)
        assert bundle.source == _source()
        assert (bundle.root / "run.json").is_file()


def test_github_bundle_parts_merge_beside_the_tekton_copies(
    serve: Callable[[], FakeServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # what the bundle steps of `convert --shadow-compare` upload: one artifact per job
    # (artifact ids grow in listing order here: the second attempt of job-index 0 is newest)
    artifacts = {
        "reports": {"junit.xml": b"<testsuite/>"},
        "ghtotekton-notebooks-0-111": {"notebooks/a.ipynb": b"failed attempt"},
        "ghtotekton-notebooks-1-112": {"notebooks/b.ipynb": b"B1", "notebooks/shared.ipynb": b"1"},
        "ghtotekton-notebooks-0-345": {
            "notebooks/a.ipynb": b"re-run",
            "notebooks/shared.ipynb": b"0",
        },
    }
    _github_fake(serve, monkeypatch, artifacts)
    with open_bundle(_source(), workdir=tmp_path, limits=LIMITS) as bundle:
        got = {rel: p.read_bytes() for rel, p in bundle.artifacts().items()}
        assert got == {
            "reports/junit.xml": b"<testsuite/>",
            "ghtotekton/notebooks/a.ipynb": b"re-run",  # the newest artifact wins
            "ghtotekton/notebooks/b.ipynb": b"B1",
            "ghtotekton/notebooks/shared.ipynb": b"0",
        }
        [warning] = [w for w in bundle.warnings if "shared.ipynb" in w]
        assert "ghtotekton-notebooks-1-112" in warning and "newer" in warning
        assert any("ghtotekton-notebooks-0-111" in w for w in bundle.warnings)
        assert not any(p.name.startswith(".part-") for p in bundle.root.iterdir())


def test_github_pagination_is_followed(github_fake: GitHubFake, tmp_path: Path) -> None:
    open_bundle(_source(), workdir=tmp_path, limits=LIMITS).close()
    job_pages = [s for s in github_fake.api.seen if s.path.endswith("/jobs")]
    assert len(job_pages) == -(-len(_gh_jobs()) // github.PER_PAGE)
    assert all(s.query["per_page"] == [str(github.PER_PAGE)] for s in job_pages)
    assert [s.query.get("page", ["1"])[0] for s in job_pages] == [
        str(i + 1) for i in range(len(job_pages))
    ]


def test_github_headers_and_no_token_leak(github_fake: GitHubFake, tmp_path: Path) -> None:
    open_bundle(_source(), workdir=tmp_path, limits=LIMITS).close()
    assert github_fake.api.seen
    for seen in github_fake.api.seen:
        assert seen.headers.get("authorization") == "Bearer ghp_testtoken"
        assert seen.headers.get("accept") == "application/vnd.github+json"
        assert seen.headers.get("x-github-api-version") == github.API_VERSION
    downloads = github_fake.storage.seen
    assert len(downloads) == len(github_fake.artifacts)
    for seen in downloads:
        assert "authorization" not in seen.headers
        assert "ghp_testtoken" not in json.dumps(seen.headers)


def test_github_without_token_sends_none(
    github_fake: GitHubFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    open_bundle(_source(), workdir=tmp_path, limits=LIMITS).close()
    assert all("authorization" not in s.headers for s in github_fake.api.seen)


def test_github_pagination_to_another_host_is_refused(
    github_fake: GitHubFake, tmp_path: Path
) -> None:
    evil = github_fake.storage
    github_fake.api.json(
        f"{github_fake.base}/jobs",
        {"total_count": 200, "jobs": _gh_jobs()},
        Link=f'<{evil.url}/steal?page=2>; rel="next"',
    )
    with pytest.raises(InputError) as err:
        open_bundle(_source(), workdir=tmp_path, limits=LIMITS)
    assert "pagination" in err.value.first.message
    assert evil.seen == []


def test_github_404(github_fake: GitHubFake, tmp_path: Path) -> None:
    source = f"github:{OWNER}/{REPO}/runs/1"
    with pytest.raises(InputError) as err:
        open_bundle(source, workdir=tmp_path, limits=LIMITS)
    assert err.value.first.position.file == source
    assert "404" in err.value.first.message
    assert "GITHUB_TOKEN" in err.value.first.hint
    assert list(tmp_path.iterdir()) == []  # the half-made bundle is removed


def test_github_rate_limit(github_fake: GitHubFake, tmp_path: Path) -> None:
    reset = int(time.time()) + 600
    github_fake.api.json(
        github_fake.base,
        {"message": "API rate limit exceeded for 127.0.0.1.", "documentation_url": "x"},
        status=403,
        **{
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset),
        },
    )
    with pytest.raises(InputError) as err:
        open_bundle(_source(), workdir=tmp_path, limits=LIMITS)
    assert "rate limit" in err.value.first.message
    assert time.strftime("%H:%M", time.gmtime(reset)) in err.value.first.message


def test_github_401(github_fake: GitHubFake, tmp_path: Path) -> None:
    github_fake.api.json(github_fake.base, {"message": "Bad credentials"}, status=401)
    with pytest.raises(InputError) as err:
        open_bundle(_source(), workdir=tmp_path, limits=LIMITS)
    assert "401" in err.value.first.message
    assert "GITHUB_TOKEN" in err.value.first.hint


def test_github_forbidden_without_rate_limit(github_fake: GitHubFake, tmp_path: Path) -> None:
    github_fake.api.json(
        github_fake.base,
        {"message": "Resource not accessible by integration"},
        status=403,
        **{"X-RateLimit-Remaining": "4999"},
    )
    with pytest.raises(InputError) as err:
        open_bundle(_source(), workdir=tmp_path, limits=LIMITS)
    assert "Resource not accessible" in err.value.first.message
    assert "rate limit" not in err.value.first.message


def test_github_run_in_progress_is_refused(github_fake: GitHubFake, tmp_path: Path) -> None:
    github_fake.api.json(github_fake.base, _gh_run(status="in_progress", conclusion=None))
    with pytest.raises(InputError) as err:
        open_bundle(_source(), workdir=tmp_path, limits=LIMITS)
    assert "in_progress" in err.value.first.message


def test_github_artifact_zip_slip(github_fake: GitHubFake, tmp_path: Path) -> None:
    evil = _zip_bytes({"../../escaped.txt": b"x"})
    github_fake.storage.add("/blob/11", lambda _s: (200, {}, evil))
    with pytest.raises(BundleError):
        open_bundle(_source(), workdir=tmp_path / "w", limits=LIMITS)
    assert list(tmp_path.rglob("escaped.txt")) == []


def test_github_artifact_download_limit(github_fake: GitHubFake, tmp_path: Path) -> None:
    big = _zip_bytes({"noise.bin": bytes(range(256)) * 4096})
    github_fake.storage.add("/blob/11", lambda _s: (200, {}, big))
    limits = BundleLimits(http_timeout_s=5, max_total_bytes=len(big) - 1)
    with pytest.raises(InputError) as err:
        open_bundle(_source(), workdir=tmp_path, limits=limits)
    assert "larger than" in err.value.first.message


def test_github_unreachable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GHTOTEKTON_GITHUB_API", "http://127.0.0.1:9")  # discard port, closed
    with pytest.raises(InputError) as err:
        open_bundle(_source(), workdir=tmp_path, limits=LIMITS)
    assert "cannot reach" in err.value.first.message


def test_slow_server_times_out(
    serve: Callable[[], FakeServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    slow = serve()

    def stall(_s: Seen) -> Reply:
        time.sleep(2)
        return 200, {}, b"{}"

    slow.add(f"/repos/{OWNER}/{REPO}/actions/runs/{RUN}", stall)
    monkeypatch.setenv("GHTOTEKTON_GITHUB_API", slow.url)
    start = time.monotonic()
    with pytest.raises(InputError) as err:
        open_bundle(_source(), workdir=tmp_path, limits=BundleLimits(http_timeout_s=0.3))
    assert time.monotonic() - start < 1.5
    assert "timed out" in err.value.first.message


@pytest.mark.parametrize(
    "source",
    ["github:octo", "github:octo/repo/runs/abc", "github:-x/repo/runs/1", "github:o/r/jobs/1"],
)
def test_github_bad_reference(source: str, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        open_bundle(source, workdir=tmp_path, limits=LIMITS)
    assert "github:OWNER/REPO/runs/" in err.value.first.hint


@pytest.mark.parametrize(
    ("conclusion", "unit", "run"),
    [
        ("success", "succeeded", "succeeded"),
        ("neutral", "succeeded", "succeeded"),
        ("failure", "failed", "failed"),
        ("timed_out", "failed", "failed"),
        ("startup_failure", "failed", "failed"),
        ("action_required", "failed", "failed"),
        ("cancelled", "cancelled", "cancelled"),
        ("stale", "cancelled", "cancelled"),
        ("skipped", "skipped", "succeeded"),
    ],
)
def test_github_conclusion_mapping(conclusion: str, unit: str, run: str) -> None:
    """The table in the module docstring, as a contract."""
    assert github.unit_status(conclusion, "cancelled") == unit
    assert github.run_status(conclusion) == run


# -- Tekton -----------------------------------------------------------------------------------

NS, PR = "ci", "build-main-x7k2p"


def _condition(status: str, reason: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "Succeeded",
            "status": status,
            "reason": reason,
            "message": "",
            "lastTransitionTime": "2024-05-01T10:05:30Z",
        }
    ]


def _pipelinerun(artifacts_url: str | None, **over: Any) -> dict[str, Any]:
    annotations = {"ghtotekton.dev/commit": SHA, "ghtotekton.dev/event": "push"}
    if artifacts_url:
        annotations["ghtotekton.dev/artifacts-url"] = artifacts_url
    pr: dict[str, Any] = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {
            "name": PR,
            "namespace": NS,
            "uid": "4a8f7c5e-0000-4000-8000-000000000001",
            "labels": {"tekton.dev/pipeline": "build"},
            "annotations": annotations,
        },
        "spec": {
            "pipelineRef": {"name": "build"},
            "params": [
                {"name": "revision", "value": "ffffffffffffffffffffffffffffffffffffffff"},
                {"name": "ref", "value": "refs/heads/main"},
            ],
        },
        "status": {
            "conditions": _condition("False", "Failed"),
            "startTime": "2024-05-01T10:00:00Z",
            "completionTime": "2024-05-01T10:05:30Z",
            "childReferences": [
                {
                    "apiVersion": "tekton.dev/v1",
                    "kind": "TaskRun",
                    "name": f"{PR}-build",
                    "pipelineTaskName": "build",
                },
                {
                    "apiVersion": "tekton.dev/v1",
                    "kind": "TaskRun",
                    "name": f"{PR}-test",
                    "pipelineTaskName": "test",
                },
                {
                    "apiVersion": "tekton.dev/v1beta1",
                    "kind": "CustomRun",
                    "name": f"{PR}-approve",
                    "pipelineTaskName": "approve",
                },
            ],
            "skippedTasks": [{"name": "deploy", "reason": "When Expressions evaluated to false"}],
        },
    }
    pr.update(over)
    return pr


def _terminated(code: int, start: str, end: str) -> dict[str, Any]:
    return {
        "exitCode": code,
        "reason": "Completed" if code == 0 else "Error",
        "startedAt": f"2024-05-01T10:{start}Z",
        "finishedAt": f"2024-05-01T10:{end}Z",
        "containerID": "containerd://abc",
    }


def _taskrun(name: str, cond: tuple[str, str], steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "TaskRun",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"serviceAccountName": "default"},
        "status": {
            "conditions": _condition(*cond),
            "podName": f"{name}-pod",
            "startTime": "2024-05-01T10:00:05Z",
            "completionTime": "2024-05-01T10:01:05Z",
            "steps": steps,
            "results": [{"name": "digest", "type": "string", "value": "sha256:1234"}],
        },
    }


@dataclass
class KubeFake:
    api: FakeServer
    storage: FakeServer
    pr_path: str
    files: dict[str, bytes]


@pytest.fixture
def kube_fake(serve: Callable[[], FakeServer], monkeypatch: pytest.MonkeyPatch) -> KubeFake:
    api, storage = serve(), serve()
    base = f"/apis/tekton.dev/v1/namespaces/{NS}"
    files = {"junit/report.xml": b"<testsuite/>", "summary.md": b"# ok\n"}
    storage.add("/bundles/x.zip", lambda _s: (200, {}, _zip_bytes(files)))
    pr_path = f"{base}/pipelineruns/{PR}"
    api.json(pr_path, _pipelinerun(f"{storage.url}/bundles/x.zip"))
    api.json(
        f"{base}/taskruns/{PR}-build",
        _taskrun(
            f"{PR}-build",
            ("True", "Succeeded"),
            [
                {
                    "name": "clone",
                    "container": "step-clone",
                    "terminated": _terminated(0, "00:05", "00:15"),
                },
                {
                    "name": "compile",
                    "container": "step-compile",
                    "terminated": _terminated(0, "00:15", "01:00"),
                },
            ],
        ),
    )
    api.json(
        f"{base}/taskruns/{PR}-test",
        _taskrun(
            f"{PR}-test",
            ("False", "Failed"),
            [
                {"name": "unit", "terminated": _terminated(1, "00:05", "00:50")},
                {
                    "name": "report",
                    "terminated": _terminated(1, "00:50", "00:50"),
                    "terminationReason": "Skipped",
                },
            ],
        ),
    )
    monkeypatch.setenv("GHTOTEKTON_KUBE_API", api.url)
    monkeypatch.setenv("GHTOTEKTON_KUBE_TOKEN", "kube-token")
    monkeypatch.setattr(tekton, "SERVICE_ACCOUNT_DIR", Path("/nonexistent/serviceaccount"))
    return KubeFake(api, storage, pr_path, files)


def test_pipelinerun_becomes_a_bundle(kube_fake: KubeFake, tmp_path: Path) -> None:
    with open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS) as bundle:
        info = bundle.info
        assert info.system == "tekton"
        assert info.run_id == f"{NS}/{PR}"
        assert info.commit == SHA  # the annotation wins over the revision param
        assert info.ref == "refs/heads/main"
        assert info.event == "push"
        assert info.status == "failed"
        assert info.started == "2024-05-01T10:00:00Z"
        assert info.finished == "2024-05-01T10:05:30Z"
        by_name = {u.name: u for u in info.units}
        assert set(by_name) == {"build", "test", "deploy"}
        assert by_name["build"].status == "succeeded"
        assert by_name["build"].duration_s == 60.0
        assert [(s.name, s.status, s.duration_s) for s in by_name["build"].steps] == [
            ("clone", "succeeded", 10.0),
            ("compile", "succeeded", 45.0),
        ]
        assert by_name["test"].status == "failed"
        assert [s.status for s in by_name["test"].steps] == ["failed", "skipped"]
        assert by_name["deploy"].status == "skipped"
        assert by_name["deploy"].steps == []
        assert all(u.kind == "task" for u in info.units)
        assert any("approve" in w and "CustomRun" in w for w in bundle.warnings)
        got = {rel: p.read_bytes() for rel, p in bundle.artifacts().items()}
        assert got == kube_fake.files


def test_pipelinerun_token_goes_to_the_api_only(kube_fake: KubeFake, tmp_path: Path) -> None:
    open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS).close()
    assert {s.path for s in kube_fake.api.seen} >= {kube_fake.pr_path}
    assert all(s.headers.get("authorization") == "Bearer kube-token" for s in kube_fake.api.seen)
    assert kube_fake.storage.seen
    assert all("authorization" not in s.headers for s in kube_fake.storage.seen)


def test_pipelinerun_service_account_token(
    kube_fake: KubeFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token\n")
    monkeypatch.delenv("GHTOTEKTON_KUBE_TOKEN")
    monkeypatch.setattr(tekton, "SERVICE_ACCOUNT_DIR", sa)
    open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path / "w", limits=LIMITS).close()
    assert all(s.headers.get("authorization") == "Bearer sa-token" for s in kube_fake.api.seen)


def test_pipelinerun_whole_bundle_zip(kube_fake: KubeFake, tmp_path: Path) -> None:
    """The publish task may upload a whole bundle; its artifacts/ is used, its run.json not."""
    whole = _zip_bytes({"run.json": b'{"not": "used"}', "artifacts/a.txt": b"a"})
    kube_fake.storage.add("/bundles/x.zip", lambda _s: (200, {}, whole))
    with open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS) as bundle:
        assert {rel: p.read_bytes() for rel, p in bundle.artifacts().items()} == {"a.txt": b"a"}
        assert bundle.info.commit == SHA


def test_pipelinerun_commit_from_revision_param(kube_fake: KubeFake, tmp_path: Path) -> None:
    pr = _pipelinerun(None)
    del pr["metadata"]["annotations"]["ghtotekton.dev/commit"]
    kube_fake.api.json(kube_fake.pr_path, pr)
    with open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS) as bundle:
        params = {p["name"]: p["value"] for p in pr["spec"]["params"]}
        assert bundle.info.commit == params["revision"]
        assert bundle.artifacts() == {}
        assert any("artifacts-url" in w for w in bundle.warnings)


def test_pipelinerun_without_commit(kube_fake: KubeFake, tmp_path: Path) -> None:
    pr = _pipelinerun(None)
    del pr["metadata"]["annotations"]["ghtotekton.dev/commit"]
    pr["spec"]["params"] = []
    kube_fake.api.json(kube_fake.pr_path, pr)
    with pytest.raises(InputError) as err:
        open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS)
    assert "commit" in err.value.first.message
    assert "revision" in err.value.first.hint


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        ("True", "Succeeded", "succeeded"),
        ("True", "Completed", "succeeded"),
        ("False", "Failed", "failed"),
        ("False", "PipelineRunTimeout", "failed"),
        ("False", "Cancelled", "cancelled"),
        ("False", "StoppedRunFinally", "cancelled"),
    ],
)
def test_pipelinerun_status(
    kube_fake: KubeFake, tmp_path: Path, status: str, reason: str, expected: str
) -> None:
    pr = _pipelinerun(None)
    pr["status"]["conditions"] = _condition(status, reason)
    kube_fake.api.json(kube_fake.pr_path, pr)
    with open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS) as bundle:
        assert bundle.info.status == expected


def test_pipelinerun_still_running(kube_fake: KubeFake, tmp_path: Path) -> None:
    pr = _pipelinerun(None)
    pr["status"]["conditions"] = _condition("Unknown", "Running")
    kube_fake.api.json(kube_fake.pr_path, pr)
    with pytest.raises(InputError) as err:
        open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS)
    assert "Running" in err.value.first.message


def test_pipelinerun_404(kube_fake: KubeFake, tmp_path: Path) -> None:
    kube_fake.api.json(
        kube_fake.pr_path,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": f'pipelineruns.tekton.dev "{PR}" not found',
            "reason": "NotFound",
            "details": {"name": PR, "group": "tekton.dev", "kind": "pipelineruns"},
            "code": 404,
        },
        status=404,
    )
    with pytest.raises(InputError) as err:
        open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS)
    assert "not found" in err.value.first.message
    assert "PipelineRun" in err.value.first.message


def test_pipelinerun_401(kube_fake: KubeFake, tmp_path: Path) -> None:
    kube_fake.api.json(kube_fake.pr_path, {"kind": "Status", "message": "Unauthorized"}, status=401)
    with pytest.raises(InputError) as err:
        open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS)
    assert "401" in err.value.first.message
    assert "GHTOTEKTON_KUBE_TOKEN" in err.value.first.hint


def test_pruned_taskrun_is_a_warning(kube_fake: KubeFake, tmp_path: Path) -> None:
    del kube_fake.api.routes[f"/apis/tekton.dev/v1/namespaces/{NS}/taskruns/{PR}-test"]
    with open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS) as bundle:
        assert "test" not in {u.name for u in bundle.info.units}
        assert any(f"{PR}-test" in w for w in bundle.warnings)


def test_no_kube_api_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GHTOTEKTON_KUBE_API", raising=False)
    with pytest.raises(InputError) as err:
        open_bundle(f"tekton:{NS}/{PR}", workdir=tmp_path, limits=LIMITS)
    assert "GHTOTEKTON_KUBE_API" in err.value.first.hint


@pytest.mark.parametrize(
    "source", ["tekton:ci", "tekton:CI/run", "tekton:ci/run/extra", "tekton:/x"]
)
def test_tekton_bad_reference(source: str, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        open_bundle(source, workdir=tmp_path, limits=LIMITS)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"terminated": {"exitCode": 0}}, "succeeded"),
        ({"terminated": {"exitCode": 2}}, "failed"),
        ({"terminated": {"exitCode": 1}, "terminationReason": "Skipped"}, "skipped"),
        ({"terminated": {"exitCode": 1}, "terminationReason": "Continued"}, "failed"),
        ({"terminated": {"exitCode": 1}, "terminationReason": "Cancelled"}, "cancelled"),
        ({"waiting": {"reason": "PodInitializing"}}, "skipped"),
    ],
)
def test_tekton_step_status(step: dict[str, Any], expected: str) -> None:
    assert tekton.step_status(step) == expected


def _executed_notebook(loss: float) -> bytes:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    cell = new_code_cell(
        "print(loss)",
        outputs=[new_output("stream", name="stdout", text=f"loss: {loss!r}\n")],
        execution_count=1,
    )
    return nbformat.writes(new_notebook(cells=[cell])).encode()


@pytest.mark.parametrize(("tekton_loss", "same"), [(0.25 + 1e-12, True), (0.75, False)])
def test_notebooks_from_both_sides_are_compared_with_each_other(
    serve: Callable[[], FakeServer],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tekton_loss: float,
    same: bool,
) -> None:
    """The shadow comparison end to end on files: the GitHub job's bundle artifact (from the
    steps `convert --shadow-compare` adds) meets the copy the Tekton task made of the same
    executed notebook, and the notebook handler compares them with its tolerances."""
    from ghtotekton.compare.bundle import RunInfo, write_bundle
    from ghtotekton.compare.engine import compare

    _github_fake(
        serve, monkeypatch, {"ghtotekton-run-0": {"notebooks/demo.ipynb": _executed_notebook(0.25)}}
    )
    tekton_run = write_bundle(
        tmp_path / "tekton",
        RunInfo(system="tekton", run_id="pr-1", commit=SHA, status="failed", units=[]),
        {"ghtotekton/notebooks/demo.ipynb": _executed_notebook(tekton_loss)},
    )
    with (
        open_bundle(_source(), workdir=tmp_path / "gh", limits=LIMITS) as a,
        open_bundle(tekton_run) as b,
    ):
        result = compare(a, b)
    [nb] = [f for f in result.files if f.path == "ghtotekton/notebooks/demo.ipynb"]
    assert nb.handler == "notebook"
    assert nb.status == ("same" if same else "different")
