"""Generated Tasks really behave like GitHub's runner: scripts are executed here, in a small
stand-in for Tekton's step runner (tests/tekton_sim.py), with bash."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ghtotekton.convert.engine import Options, convert_paths
from tests.tekton_sim import run_task

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def tasks_of(tmp_path: Path, workflow: str) -> dict[str, dict[str, Any]]:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(textwrap.dedent(workflow))
    result = convert_paths([repo], Options())
    assert not result.failed, result.failed
    tasks = {}
    for conv in result.conversions:
        for task in conv.tasks:
            tasks[task["metadata"]["name"].removeprefix("ci-")] = task
    return tasks


def test_github_env_path_and_multiline_values(tmp_path: Path) -> None:
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "MODE=release" >> "$GITHUB_ENV"
                  mkdir -p "$RUNNER_TEMP/bin-x" && echo "$RUNNER_TEMP/bin-x" >> "$GITHUB_PATH"
                  { echo "NOTES<<EOF"; echo "line one"; echo "line = two"; echo "EOF"; } \\
                    >> "$GITHUB_ENV"
              - run: |
                  echo "mode=$MODE"
                  printf 'notes=%s\\n' "$NOTES"
                  case ":$PATH:" in *":$RUNNER_TEMP/bin-x:"*) echo path-ok ;; esac
        """,
    )
    run = run_task(tasks["build"], tmp_path / "run")
    assert [s.returncode for s in run.steps] == [0, 0, 0], run.steps
    out = run.steps[2].stdout
    assert "mode=release" in out
    assert "notes=line one\nline = two" in out
    assert "path-ok" in out


def test_step_and_job_outputs(tmp_path: Path) -> None:
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          version:
            runs-on: ubuntu-latest
            outputs:
              tag: ${{ steps.compute.outputs.tag }}
            steps:
              - id: compute
                run: echo "tag=v1.${{ github.run_number }}" >> "$GITHUB_OUTPUT"
              - run: echo "computed ${{ steps.compute.outputs.tag }}"
        """,
    )
    run = run_task(tasks["version"], tmp_path / "run", params={"github-run-number": "42"})
    assert all(s.returncode == 0 for s in run.steps), run.steps
    assert "computed v1.42" in run.steps[2].stdout
    assert run.results == {"tag": "v1.42"}


def test_untrusted_text_never_becomes_code(tmp_path: Path) -> None:
    tasks = tasks_of(
        tmp_path,
        """\
        on: pull_request
        jobs:
          greet:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  echo "Title: ${{ github.event.pull_request.title }}"
                  echo 'Branch: ${{ github.head_ref }}'
        """,
    )
    evil = '"; touch pwned; echo "'
    run = run_task(
        tasks["greet"],
        tmp_path / "run",
        params={"github-event-pull-request-title": evil, "github-head-ref": "x' ; touch pwned2 '"},
    )
    assert all(s.returncode == 0 for s in run.steps), run.steps
    assert f"Title: {evil}" in run.steps[1].stdout
    assert "Branch: x' ; touch pwned2 '" in run.steps[1].stdout
    assert not list((tmp_path / "run").rglob("pwned*"))


def test_step_if_is_evaluated_like_github(tmp_path: Path) -> None:
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo main-only
                if: github.ref == 'refs/heads/MAIN'
              - run: echo pulls
                if: startsWith(github.event_name, 'pull')
              - run: echo not-dependabot
                if: ${{ !contains(github.ref, 'dependabot') }}
        """,
    )
    run = run_task(
        tasks["build"],
        tmp_path / "run",
        params={"github-ref": "refs/heads/main", "github-event-name": "push"},
    )
    outs = [s.stdout.strip() for s in run.steps[1:]]
    assert outs[0] == "main-only"  # GitHub compares strings ignoring case
    assert outs[1].startswith("skipped")
    assert outs[2] == "not-dependabot"


def test_secrets_reach_the_script_through_env(tmp_path: Path) -> None:
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            steps:
              - run: test "${{ secrets.DEPLOY_TOKEN }}" = s3cret && test "$API_KEY" = k3y && echo ok
                env:
                  API_KEY: ${{ secrets.API_KEY }}
        """,
    )
    step = tasks["deploy"]["spec"]["steps"][1]
    assert "secrets." not in step["script"]
    run = run_task(
        tasks["deploy"], tmp_path / "run", secrets={"DEPLOY_TOKEN": "s3cret", "API_KEY": "k3y"}
    )
    assert run.steps[1].returncode == 0, run.steps[1]
    assert run.steps[1].stdout.strip() == "ok"


def test_failing_step_stops_the_job_unless_continue_on_error(tmp_path: Path) -> None:
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          flaky:
            runs-on: ubuntu-latest
            steps:
              - run: exit 3
                continue-on-error: true
              - run: echo still-running
              - run: exit 1
              - run: echo never
        """,
    )
    run = run_task(tasks["flaky"], tmp_path / "run")
    assert [s.returncode for s in run.steps] == [0, 3, 0, 1]


STATUS_WORKFLOW = """\
on: push
jobs:
  nb:
    runs-on: ubuntu-latest
    steps:
      - run: echo start
      - run: exit ${{ github.run_number }}
      - run: echo after-failure
      - run: echo report-always
        if: always()
      - run: echo on-failure
        if: failure()
      - run: echo main-only-if-ok
        if: github.ref == 'refs/heads/main'
      - run: echo always-on-main
        if: always() && github.ref == 'refs/heads/main'
"""


def _echoed(run: object) -> list[str]:
    return [s.stdout.strip() for s in run.steps if s.stdout.strip()]  # type: ignore[attr-defined]


def test_always_and_failure_steps_follow_github_when_a_step_fails(tmp_path: Path) -> None:
    tasks = tasks_of(tmp_path, STATUS_WORKFLOW)
    run = run_task(
        tasks["nb"],
        tmp_path / "run",
        params={"github-run-number": "3", "github-ref": "refs/heads/main"},
    )
    out = _echoed(run)
    assert "start" in out
    assert "after-failure" not in out
    assert "report-always" in out and "on-failure" in out and "always-on-main" in out
    assert "main-only-if-ok" not in out
    # The job still fails at the end, as on GitHub.
    assert run.steps[-1].name == "ghtotekton-status" and run.steps[-1].returncode == 1


def test_always_and_failure_steps_follow_github_when_all_succeed(tmp_path: Path) -> None:
    tasks = tasks_of(tmp_path, STATUS_WORKFLOW)
    run = run_task(
        tasks["nb"],
        tmp_path / "run",
        params={"github-run-number": "0", "github-ref": "refs/heads/main"},
    )
    out = _echoed(run)
    assert "after-failure" in out and "report-always" in out and "main-only-if-ok" in out
    assert "on-failure" not in out
    assert run.steps[-1].returncode == 0


def test_inputs_and_env_computed_from_step_outputs_and_defaults_reach_the_program(
    tmp_path: Path,
) -> None:
    """What no Kubernetes env value can hold (an earlier step's output inside a string, an
    `a || b` default, a secret inside a string) is computed by the step's shell, with GitHub's
    value; a local action's input built from expressions too."""
    repo = tmp_path / "repo"
    action = repo / ".github" / "actions" / "hello"
    action.mkdir(parents=True)
    (action / "action.yml").write_text(
        textwrap.dedent(
            """\
            name: hello
            inputs:
              title: {description: t, required: true}
            runs:
              using: composite
              steps:
                - shell: bash
                  env:
                    TITLE: ${{ inputs.title }}
                  run: echo "title=$TITLE"
            """
        )
    )
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: names
                run: echo "report=nb-x" >> "$GITHUB_OUTPUT"
              - env:
                  NAME: "report ${{ steps.names.outputs.report }} \\"quoted\\" $HOME"
                  MISSING: ${{ steps.names.outputs.nothing || 'fallback' }}
                  TOKEN: "Bearer ${{ secrets.API_TOKEN }}"
                run: |
                  printf 'name=%s\\n' "$NAME"
                  printf 'missing=%s\\n' "$MISSING"
                  printf 'token=%s\\n' "$TOKEN"
              - uses: ./.github/actions/hello
                with:
                  title: failed on ${{ github.ref_name }} (${{ steps.names.outputs.report }})
        """,
    )
    task = tasks["build"]
    for step in task["spec"]["steps"]:
        assert "${{" not in str(step.get("env", "")), step["name"]
    run = run_task(
        task,
        tmp_path / "run",
        params={"github-ref-name": "main"},
        secrets={"API_TOKEN": "s3cret"},
    )
    assert all(s.returncode == 0 for s in run.steps), run.steps
    out = "".join(s.stdout for s in run.steps)
    assert 'name=report nb-x "quoted" $HOME' in out
    assert "missing=fallback" in out
    assert "token=Bearer s3cret" in out
    assert "title=failed on main (nb-x)" in out


def test_a_secret_reaches_only_the_steps_that_read_it_and_may_be_unset(tmp_path: Path) -> None:
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            env:
              SHARED_TOKEN: ${{ secrets.SHARED }}
            steps:
              - run: pip install -r requirements.txt || true; env > all.env
              - run: |
                  printf 'key=%s\\n' "${{ secrets.DEPLOY_KEY }}"
                  printf 'shared=%s\\n' "$SHARED_TOKEN"
        """,
    )
    task = tasks["deploy"]
    template = {e["name"] for e in task["spec"]["stepTemplate"]["env"]}
    assert "GHT_SECRET_DEPLOY_KEY" not in template  # not in every step of the pod
    assert "SHARED_TOKEN" in template  # the workflow gave it to every step of the job
    run = run_task(task, tmp_path / "run", secrets={"DEPLOY_KEY": "k1"})  # SHARED is not set
    assert [s.returncode for s in run.steps] == [0, 0, 0], run.steps
    assert "key=k1\nshared=\n" in run.steps[2].stdout  # an unset secret is "", as on GitHub
    first = (tmp_path / "run" / "source" / "all.env").read_text()
    assert "k1" not in first and "GHT_SECRET_DEPLOY_KEY" not in first


def test_job_env_with_a_default_is_computed_for_every_step(tmp_path: Path) -> None:
    """`env: NOTEBOOK: ${{ github.event.inputs.notebook || 'notebooks/x.ipynb' }}` is GitHub's
    value in each step (it was the literal text), and a step's own env of that name wins."""
    tasks = tasks_of(
        tmp_path,
        """\
        on:
          workflow_dispatch:
            inputs:
              notebook: {type: string, default: ""}
        env:
          NOTEBOOK: ${{ github.event.inputs.notebook || 'notebooks/x.ipynb' }}
        jobs:
          run:
            runs-on: ubuntu-latest
            steps:
              - run: printf 'nb=%s\\n' "$NOTEBOOK"
              - env:
                  NOTEBOOK: mine.ipynb
                run: printf 'own=%s\\n' "$NOTEBOOK"
        """,
    )
    task = tasks["run"]
    assert "${{" not in str(task["spec"]["stepTemplate"]["env"])
    param = next(p["name"] for p in task["spec"]["params"] if p["name"].endswith("inputs-notebook"))
    for given, expected in (("", "notebooks/x.ipynb"), ("other.ipynb", "other.ipynb")):
        run = run_task(task, tmp_path / f"run-{expected}", params={param: given})
        assert all(s.returncode == 0 for s in run.steps), run.steps
        out = "".join(s.stdout for s in run.steps)
        assert f"nb={expected}\n" in out
        assert "own=mine.ipynb\n" in out


def _composite_repo(tmp_path: Path, steps: str, name: str = "deploy", inputs: str = "") -> None:
    """A local composite action `./.github/actions/<name>` of ``steps`` (and ``inputs``)."""
    action = tmp_path / "repo" / ".github" / "actions" / name
    action.mkdir(parents=True)
    declared = "inputs:\n" + textwrap.indent(inputs, "  ") if inputs else ""
    (action / "action.yml").write_text(
        f"name: {name}\n{declared}runs:\n  using: composite\n  steps:\n"
        + textwrap.indent(steps, "    ")
    )


def test_env_and_inputs_read_variables_earlier_steps_wrote_and_the_steps_own_env(
    tmp_path: Path,
) -> None:
    """`${{ env.X }}` of a variable an earlier step wrote to `$GITHUB_ENV` has that value (and is
    empty while unset), also as `X: ${{ env.X }}`; an action input reads the step's own env
    (GitHub evaluates `with:` after `env:`). None of them reach the program as `$(X)`."""
    _composite_repo(
        tmp_path,
        '- shell: bash\n  run: echo "key=${{ inputs.key }}"\n',
        name="key",
        inputs="key: {description: k, required: true}\n",
    )
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            env:
              KIND: job
            steps:
              - run: echo "before=[${{ env.AWS_REGION }}]"
              - run: |
                  echo "AWS_REGION=eu-west-1" >> "$GITHUB_ENV"
                  echo "KIND=from-file" >> "$GITHUB_ENV"
              - env:
                  AWS_REGION: ${{ env.AWS_REGION }}
                  SUMMARY: "region ${{ env.AWS_REGION }}, never ${{ env.NEVER_SET }}."
                  KIND: step
                run: |
                  printf 'region=%s\\n' "$AWS_REGION"
                  printf 'summary=%s\\n' "$SUMMARY"
                  printf 'kind=%s\\n' "$KIND"
              - uses: ./.github/actions/key
                env:
                  CACHE_NUMBER: 7
                with:
                  key: conda-${{ env.CACHE_NUMBER }}-${{ env.AWS_REGION }}
        """,
    )
    task = tasks["build"]
    for step in task["spec"]["steps"]:
        for entry in step.get("env", []):
            assert not re.search(r"\$\([A-Z_]+\)", str(entry.get("value", ""))), entry
    run = run_task(task, tmp_path / "run")
    assert all(s.returncode == 0 for s in run.steps), run.steps
    out = "".join(s.stdout for s in run.steps)
    assert "before=[]" in out
    assert "region=eu-west-1" in out
    assert "summary=region eu-west-1, never ." in out
    assert "kind=step" in out  # the step's own env wins over $GITHUB_ENV, as on GitHub
    assert "key=conda-7-eu-west-1" in out


@pytest.mark.parametrize(("ref", "runs"), [("refs/heads/main", True), ("refs/heads/x", False)])
def test_a_local_actions_call_keeps_its_if_and_env(tmp_path: Path, ref: str, runs: bool) -> None:
    """The `if:` of a `uses: ./action` step guards every step of the action (never dropped:
    a guarded deploy must not run for any branch), and the call's `env:` reaches them."""
    _composite_repo(
        tmp_path,
        textwrap.dedent(
            """\
            - shell: bash
              run: echo "deploy with [$TOKEN] to $TARGET"
            - shell: bash
              env:
                TARGET: inner
              run: echo "second to $TARGET"
            """
        ),
    )
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: ./.github/actions/deploy
                if: github.ref == 'refs/heads/main'
                env:
                  TOKEN: ${{ secrets.PROD_KEY }}
                  TARGET: prod
        """,
    )
    run = run_task(
        tasks["build"], tmp_path / "run", params={"github-ref": ref}, secrets={"PROD_KEY": "k3y"}
    )
    assert all(s.returncode == 0 for s in run.steps), run.steps
    out = "".join(s.stdout for s in run.steps)
    assert ("deploy with [k3y] to prod" in out) is runs
    assert ("second to inner" in out) is runs
    assert ("skipped: if:" in out) is not runs


def test_a_local_action_called_after_a_failure_follows_the_callers_status(tmp_path: Path) -> None:
    """In a job that tracks step status, an action called without `if:` is skipped after a
    failed step, and one called with `if: failure()` runs all its steps."""
    _composite_repo(
        tmp_path,
        textwrap.dedent(
            """\
            - shell: bash
              run: echo "action step one"
            - shell: bash
              run: echo "action step two"
            """
        ),
    )
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: exit 3
              - uses: ./.github/actions/deploy
              - if: failure()
                uses: ./.github/actions/deploy
              - if: always()
                run: echo "tail ran"
        """,
    )
    run = run_task(tasks["build"], tmp_path / "run")
    out = "".join(s.stdout for s in run.steps)
    assert out.count("action step one") == 1
    assert out.count("action step two") == 1
    assert "tail ran" in out


def test_a_local_actions_steps_read_the_outputs_of_its_earlier_steps(tmp_path: Path) -> None:
    """Inside an action, `steps.x` names the action's own step x (not one of the job's)."""
    _composite_repo(
        tmp_path,
        textwrap.dedent(
            """\
            - id: parse
              shell: bash
              run: |
                echo "enabled=true" >> "$GITHUB_OUTPUT"
                echo "name=report-7" >> "$GITHUB_OUTPUT"
            - if: ${{ steps.parse.outputs.enabled == 'true' }}
              shell: bash
              env:
                NAME: ${{ steps.parse.outputs.name }}
              run: echo "upload $NAME"
            - if: ${{ steps.parse.outputs.enabled != 'true' }}
              shell: bash
              run: echo "NOT ENABLED"
            """
        ),
    )
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: ./.github/actions/deploy
              - uses: ./.github/actions/deploy
        """,
    )
    run = run_task(tasks["build"], tmp_path / "run")
    assert all(s.returncode == 0 for s in run.steps), run.steps
    out = "".join(s.stdout for s in run.steps)
    assert out.count("upload report-7") == 2
    assert "NOT ENABLED" not in out


def test_object_matrix_values_reach_conditions_and_scripts(tmp_path: Path) -> None:
    """`matrix.config.requires` of an object matrix: each leaf the steps read is a matrix param
    of its own, '' in a combination that lacks it; the step's `if:` and script read it."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        textwrap.dedent(
            """\
            on: push
            jobs:
              t:
                strategy:
                  matrix:
                    config:
                      - {os: ubuntu, requires: oldest, py: {version: "3.9"}}
                      - {os: ubuntu, requires: latest}
                runs-on: ubuntu-latest
                steps:
                  - if: matrix.config.requires == 'oldest'
                    run: echo "oldest py [${{ matrix.config.py.version }}]"
                  - if: matrix.config.requires != 'oldest'
                    run: echo "newest py [${{ matrix.config.py.version }}]"
            """
        )
    )
    result = convert_paths([repo], Options())
    (conversion,) = result.conversions
    (task,) = conversion.tasks
    (pipeline_task,) = conversion.pipeline["spec"]["tasks"]
    outputs = []
    for i, combination in enumerate(pipeline_task["matrix"]["include"]):
        params = {p["name"]: p["value"] for p in combination["params"]}
        run = run_task(task, tmp_path / f"run-{i}", params=params)
        assert all(s.returncode == 0 for s in run.steps), run.steps
        outputs.append("".join(s.stdout for s in run.steps))
    assert "oldest py [3.9]" in outputs[0] and "newest" not in outputs[0]
    assert "newest py []" in outputs[1] and "oldest py" not in outputs[1]


def test_step_outcome_and_conclusion_follow_github(tmp_path: Path) -> None:
    """`steps.x.outcome` is success, failure or skipped from the step's exit code and whether
    its `if:` skipped it; `conclusion` of a continue-on-error failure is success."""
    tasks = tasks_of(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: lint
                continue-on-error: true
                run: exit 3
              - id: never
                if: github.ref == 'refs/heads/nope'
                run: echo never
              - id: fine
                run: echo fine
              - if: steps.lint.outcome == 'failure'
                run: echo "lint failed"
              - run: |
                  echo "lint=${{ steps.lint.outcome }}/${{ steps.lint.conclusion }}"
                  echo "never=${{ steps.never.outcome }} fine=${{ steps.fine.outcome }}"
        """,
    )
    run = run_task(tasks["build"], tmp_path / "run", params={"github-ref": "refs/heads/main"})
    out = "".join(s.stdout for s in run.steps)
    assert "lint failed" in out
    assert "lint=failure/success" in out
    assert "never=skipped fine=success" in out
