"""A condition the converter cannot translate never widens what runs: the job's task gets a
`when` that never holds, the step fails with the reason, and the finding is `manual`."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ghtotekton.convert.engine import Options, Result, convert_paths
from tests.tekton_sim import run_task

UNTRANSLATABLE = [
    "fromJSON(steps.check.outputs.ok)",
    "github.event.pull_request.title == 'it''s \"$(params.x)\"'",
    "toJSON(github.event.pull_request) == '{}'",
    "contains(github.event.pull_request.labels.*.name, 'CUDA CI')",
]


def _result(tmp_path: Path, workflow: str, files: dict[str, str] | None = None) -> Result:
    """Convert a repository of ``workflow`` (as ci.yml, dedented) and ``files`` beside it."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(textwrap.dedent(workflow))
    for rel, text in (files or {}).items():
        (repo / rel).write_text(textwrap.dedent(text))
    result = convert_paths([repo], Options())
    assert not result.failed, result.failed
    return result


def _convert(tmp_path: Path, workflow: str) -> tuple[dict[str, Any], dict[str, Any]]:
    result = _result(tmp_path, workflow)
    (conversion,) = result.conversions
    tasks = {t["metadata"]["name"].removeprefix("ci-"): t for t in conversion.tasks}
    return tasks, result.report


def _when(result: Result) -> dict[str, Any]:
    return {t["name"]: t.get("when") for t in result.conversions[0].pipeline["spec"]["tasks"]}


def _findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for w in report["workflows"] for j in w["jobs"] for f in j["findings"]]


@pytest.mark.parametrize("condition", [*UNTRANSLATABLE[::2], UNTRANSLATABLE[3]])
def test_a_job_whose_condition_has_no_when_form_never_runs(tmp_path: Path, condition: str) -> None:
    result = _result(
        tmp_path,
        "on: push\njobs:\n  deploy:\n"
        f"    if: {condition}\n"
        "    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo deploy ${{ secrets.PROD_KEY }}\n",
    )
    assert {"input": "not-translated", "operator": "in", "values": ["translated"]} in _when(result)[
        "deploy"
    ]
    manual = [f for f in _findings(result.report) if f["status"] == "manual"]
    assert any("never runs" in f["message"] and f["line"] == 3 for f in manual), manual  # the job


def test_contains_of_a_constant_list_is_an_in_when(tmp_path: Path) -> None:
    when = _when(
        _result(
            tmp_path,
            """\
            on: push
            jobs:
              deploy:
                if: contains(fromJSON('["alice","bob"]'), github.actor)
                runs-on: ubuntu-latest
                steps: [{run: echo deploy}]
              other:
                if: ${{ !contains(fromJSON('["dependabot[bot]"]'), github.actor) }}
                runs-on: ubuntu-latest
                steps: [{run: echo other}]
            """,
        )
    )
    assert when["deploy"] == [
        {"input": "$(params.github-actor)", "operator": "in", "values": ["alice", "bob"]}
    ]
    # GitHub ignores case and Tekton does not: an exact `notin` could let `Dependabot[bot]` in,
    # so the negation is the condition task's case-blind shell test.
    assert when["other"] == [
        {"input": "$(tasks.other-if.results.run)", "operator": "in", "values": ["true"]}
    ]


def test_not_equal_keeps_a_when_only_where_case_cannot_differ(tmp_path: Path) -> None:
    result = _result(
        tmp_path,
        """\
        on: push
        jobs:
          a:
            if: github.event_name != 'schedule'
            runs-on: ubuntu-latest
            steps: [{run: echo a}]
          b:
            if: github.actor != 'Dependabot[bot]'
            runs-on: ubuntu-latest
            steps: [{run: echo b}]
        """,
    )
    when = _when(result)
    assert when["a"] == [
        {"input": "$(params.github-event-name)", "operator": "notin", "values": ["schedule"]}
    ]
    assert when["b"] == [
        {"input": "$(tasks.b-if.results.run)", "operator": "in", "values": ["true"]}
    ]
    tasks = result.conversions[0].pipeline["spec"]["tasks"]
    (guard,) = [t for t in tasks if t["name"] == "b-if"]
    assert "dependabot[bot]" in guard["taskSpec"]["steps"][0]["script"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("condition", UNTRANSLATABLE)
def test_a_step_whose_condition_has_no_shell_test_fails_instead_of_running(
    tmp_path: Path, condition: str
) -> None:
    tasks, report = _convert(
        tmp_path,
        f"""\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: check
                run: echo "ok=false" >> "$GITHUB_OUTPUT"
              - if: {condition}
                run: echo "DEPLOYED"
        """,
    )
    run = run_task(tasks["build"], tmp_path / "run", params={"github-actor": "mallory"})
    assert "DEPLOYED" not in "".join(s.stdout for s in run.steps)
    assert run.steps[-1].returncode == 1
    assert "is not translated" in run.steps[-1].stderr
    (job,) = report["workflows"][0]["jobs"]
    assert job["steps"][1]["status"] == "manual"


def test_steps_no_shell_can_guard_become_stubs(tmp_path: Path) -> None:
    """A `docker://` step and a `shell: python` step with `if:`: nothing can test the condition
    before they run, so they become manual stubs (which fail) rather than run unguarded."""
    tasks, report = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - if: github.ref == 'refs/heads/main'
                uses: docker://alpine:3.20
                with: {args: echo DEPLOYED}
              - if: github.ref == 'refs/heads/main'
                shell: python
                run: print("DEPLOYED")
        """,
    )
    (job,) = report["workflows"][0]["jobs"]
    assert [s["status"] for s in job["steps"]] == ["manual", "manual"]
    for step in tasks["build"]["spec"]["steps"]:
        assert "DEPLOYED" not in " ".join(step.get("args", []))
        code = [ln for ln in step.get("script", "").splitlines() if not ln.startswith("#")]
        assert not any("DEPLOYED" in ln for ln in code), step["name"]
        if "DEPLOYED" in step.get("script", ""):  # the stub keeps the inputs as comments
            assert code[-1] == "exit 1"


CONDITIONED = """\
on: [push, pull_request]
jobs:
  deploy:
    if: github.repository == 'org/app' || github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy
  after:
    needs: deploy
    runs-on: ubuntu-latest
    steps:
      - run: echo after
"""


@pytest.mark.parametrize(
    ("repository", "event", "runs"),
    [("org/app", "push", True), ("fork/app", "pull_request", True), ("fork/app", "push", False)],
)
def test_a_condition_no_when_can_say_is_tested_by_a_task_tekton_runs(
    tmp_path: Path, repository: str, event: str, runs: bool
) -> None:
    """`a || b` has no `when` form (Tekton ANDs them): a small task tests it with the shell test
    steps get, and the job's task runs only when that task says `true`. Run by Tekton's
    reconcilers, each Pod executed on this machine."""
    from tests import oracle
    from tests.converted import convert_repo

    converted = convert_repo(tmp_path, {".github/workflows/ci.yml": CONDITIONED})
    (conversion,) = converted.result.conversions
    names = [t["name"] for t in conversion.pipeline["spec"]["tasks"]]
    assert "deploy-if" in names
    kubelet = oracle.host_kubelet(tmp_path / "host", secrets={})
    result = oracle.run(
        converted.out,
        converted.out / "examples" / "ci-run.yaml",
        params={"github-repository": repository, "github-event-name": event},
        kubelet=kubelet,
    )
    assert "deploy-if" in result.by_task, result.explain()
    assert ("deploy" in result.by_task) is runs, result.explain()
    assert ("deploy" in result.skipped) is not runs, result.explain()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(("title", "runs"), [('It\'s "quoted" `x`', True), ("other", False)])
def test_a_literal_with_quotes_and_backticks_is_compared_as_data(
    tmp_path: Path, title: str, runs: bool
) -> None:
    tasks, _ = _convert(
        tmp_path,
        """\
        on: pull_request
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - if: github.event.pull_request.title == 'it''s "quoted" `x`'
                run: echo "MATCHED"
        """,
    )
    run = run_task(
        tasks["build"], tmp_path / "run", params={"github-event-pull-request-title": title}
    )
    assert all(s.returncode == 0 for s in run.steps), run.steps
    assert ("MATCHED" in "".join(s.stdout for s in run.steps)) is runs


def test_mounts_a_pod_cannot_have_are_said_never_dropped_silently(tmp_path: Path) -> None:
    """Host paths (the Docker socket, `/`) of a compose service, and the `volumes:` of a job
    container and of a job service: each is a finding with its position."""
    result = _result(
        tmp_path,
        """\
        on: push
        jobs:
          b:
            runs-on: ubuntu-latest
            container:
              image: python:3.12
              volumes:
                - /etc/ssl:/etc/ssl
                - cache:/cache
            services:
              db:
                image: postgres:16
                volumes:
                  - /srv/pg:/var/lib/postgresql/data
            steps:
              - uses: actions/checkout@v4
              - run: docker compose up -d app
              - run: docker compose exec -T app python -V
        """,
        {
            "docker-compose.yml": """\
            services:
              app:
                image: python:3.12
                volumes:
                  - /var/run/docker.sock:/var/run/docker.sock
                  - /:/host
                  - ./data:/data
            """
        },
    )
    messages = [f["message"] for f in _findings(result.report)]
    said = " ".join(messages)
    for mount in ("/var/run/docker.sock", "`/`", "/etc/ssl:/etc/ssl", "cache:/cache", "/srv/pg"):
        assert mount in said, mount
    assert "./data" not in said  # a bind of the checkout is kept (the step links it)


PROTECTED = """\
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make
  deploy:
    needs: build
    environment: production
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh
        env:
          KEY: ${{ secrets.PROD_KEY }}
"""


def test_a_job_of_an_environment_waits_for_an_approval_param(tmp_path: Path) -> None:
    """GitHub holds it for the environment's protection rules; Tekton has none, so the task runs
    only when a person sets the param no trigger sets, and the finding is `manual`."""
    result = _result(tmp_path, PROTECTED)
    when = _when(result)
    assert {"input": "$(params.approve-production)", "operator": "in", "values": ["approved"]} in (
        when["deploy"] or []
    )
    assert not when["build"]
    params = {p["name"]: p for p in result.conversions[0].pipeline["spec"]["params"]}
    assert params["approve-production"]["default"] == ""
    found = [f for f in _findings(result.report) if f["rule"] == "environment"]
    assert [f["status"] for f in found] == ["manual"]
    assert "approve-production=approved" in found[0]["action"]
    for trigger in result.files:
        if "triggers/" in trigger:
            assert "approve-production" not in result.files[trigger]


@pytest.mark.parametrize(("approval", "runs"), [(None, False), ("approved", True), ("yes", False)])
def test_tekton_runs_the_deploy_only_once_approved(
    tmp_path: Path, approval: str | None, runs: bool
) -> None:
    from tests import oracle
    from tests.converted import convert_repo

    converted = convert_repo(tmp_path, {".github/workflows/ci.yml": PROTECTED})
    result = oracle.run(
        converted.out,
        converted.out / "examples" / "ci-run.yaml",
        params={"approve-production": approval} if approval else None,
    )
    assert "build" in result.by_task, result.explain()
    assert ("deploy" in result.by_task) is runs, result.explain()
