"""The workflow model and loader: every key of the syntax, and the errors GitHub would give."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ghtotekton.errors import InputError
from ghtotekton.github import model as m
from ghtotekton.github.loader import load_action, load_workflow, load_workflow_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load(text: str, name: str = "wf.yml") -> m.Workflow:
    return load_workflow_text(textwrap.dedent(text), name).workflow


def errors_of(text: str, name: str = "wf.yml") -> list[str]:
    with pytest.raises(InputError) as info:
        load_workflow_text(textwrap.dedent(text), name)
    return [d.format() for d in info.value.diagnostics]


def test_full_syntax_fixture_loads_every_key() -> None:
    loaded = load_workflow(FIXTURES / "workflows" / "full-syntax.yml")
    wf = loaded.workflow
    assert wf.run_name == "Deploy by @${{ github.actor }}"
    assert loaded.events() == [
        "push", "pull_request", "pull_request_target", "workflow_dispatch", "workflow_call",
        "schedule", "release", "workflow_run", "create", "merge_group",
    ]  # fmt: skip
    on = wf.on
    assert on.push is not None and on.push.tags == ["v*", "!v*-rc*"]
    assert on.pull_request is not None and on.pull_request.branches == ["main"]
    assert on.workflow_dispatch is not None and on.workflow_dispatch.inputs is not None
    level = on.workflow_dispatch.inputs["level"]
    assert level.type == "choice" and level.options == ["info", "warning", "debug"]
    assert on.workflow_call is not None and on.workflow_call.secrets is not None
    assert on.schedule is not None and on.schedule[0].cron == "0 3 * * *"
    assert wf.permissions == {"contents": "read", "id-token": "write"}
    assert wf.defaults is not None and wf.defaults.run is not None
    assert wf.defaults.run.working_directory == "src"
    assert isinstance(wf.concurrency, m.Concurrency)

    build = wf.jobs["build"]
    assert build.runs_on == "${{ matrix.os }}"
    assert isinstance(build.environment, m.Environment)
    assert build.strategy is not None and build.strategy.max_parallel == 2
    assert isinstance(build.container, m.Container) and build.container.credentials is not None
    assert build.services is not None and "redis" in build.services
    pack = (build.steps or [])[1]
    assert pack.id == "pack" and pack.shell == "bash -el {0}" and pack.timeout_minutes == 5
    assert pack.pos is not None and pack.pos.line == 119
    assert build.pos is not None and build.pos.line == 69

    local = wf.jobs["call-local"]
    assert local.is_call and local.secrets == "inherit" and local.needs == ["build"]
    assert wf.jobs["call-remote"].needs == ["build", "call-local"]
    grouped = wf.jobs["grouped"]
    assert isinstance(grouped.runs_on, m.RunsOnGroup)
    assert grouped.runner_labels() == [
        "group:gpu-runners",
        "self-hosted",
        "linux-amd64-gpu-l4-latest-1",
    ]
    assert grouped.container == "ubuntu:24.04"
    # 3.12 unquoted in the matrix reads as a number and is warned about only when digits vanish.
    assert not [w for w in loaded.warnings if "3.12" in w.message]


@pytest.mark.parametrize(
    ("on", "events"),
    [
        ("push", ["push"]),
        ("[push, pull_request]", ["push", "pull_request"]),
        ("{push: {branches: [main]}, workflow_dispatch: }", ["push", "workflow_dispatch"]),
    ],
)
def test_on_in_all_its_forms(on: str, events: list[str]) -> None:
    loaded = load_workflow_text(f"on: {on}\njobs:\n  a:\n    runs-on: x\n    steps: [{{run: a}}]\n")
    assert loaded.events() == events


def test_number_that_loses_digits_is_a_warning() -> None:
    loaded = load_workflow_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n"
        "        py: [3.9, 3.10]\n    steps: [{run: a}]\n"
    )
    assert [str(w) for w in loaded.warnings] == [
        "workflow.yml:7:19: warning: 3.10 is read as the number 3.1 (quote it ('3.10') if you "
        "mean the text) [yaml-number]"
    ]


def test_unknown_keys_are_errors_with_position_and_suggestion() -> None:
    errors = errors_of(
        """\
        on: push
        jobs:
          a:
            runs_on: ubuntu-latest
            steps:
              - run: echo
                bogus: 1
        """
    )
    assert errors[0].startswith('wf.yml:4:5: error: unexpected key "runs_on" for job')
    assert "did you mean `runs-on`?" in errors[0]
    assert errors[1].startswith('wf.yml:7:9: error: unexpected key "bogus" for step')


@pytest.mark.parametrize(
    ("body", "where", "words"),
    [
        ("on: push\njobs: {}\n", "wf.yml:2:7", "`jobs` is empty"),
        ("jobs:\n  a: {runs-on: x, steps: [{run: a}]}\n", "wf.yml:1:1", '"on" is required'),
        ("on: pushh\njobs:\n  a: {runs-on: x, steps: [{run: a}]}\n", "wf.yml:1:5", "pushh"),
        ("on: push\njobs:\n  a: {steps: [{run: a}]}\n", "wf.yml:3:6", "needs `runs-on`"),
        ("on: push\njobs:\n  a: {runs-on: x}\n", "wf.yml:3:6", "needs `steps`"),
        ("on: push\njobs:\n  a: {runs-on: x, steps: [{name: a}]}\n", "wf.yml:3:27", "exactly one"),
        (
            "on: push\njobs:\n  a: {runs-on: x, steps: [{uses: a/b@v1, shell: bash}]}\n",
            "wf.yml:3:27",
            "`shell` applies to `run` steps only",
        ),
        (
            "on: push\njobs:\n  a: {uses: ./x.yml, runs-on: x}\n",
            "wf.yml:3:6",
            "cannot also set `runs-on`",
        ),
        ("on: push\njobs:\n  1a: {runs-on: x, steps: [{run: a}]}\n", "wf.yml:3:3", "job id"),
        (
            "on: push\njobs:\n  a: {runs-on: x, timeout-minutes: soon, steps: [{run: a}]}\n",
            "wf.yml:3:36",
            "expected a number",
        ),
        (
            "on: push\npermissions: {contents: all}\njobs:\n  a: {runs-on: x, steps: [{run: a}]}\n",
            "wf.yml:2:14",
            "read, write or none",
        ),
        (
            "on:\n  push:\n    branches: [a]\n    branches-ignore: [b]\n"
            "jobs:\n  a: {runs-on: x, steps: [{run: a}]}\n",
            "wf.yml:3:5",
            "cannot both be used",
        ),
        (
            "on: push\njobs:\n  a: {runs-on: x, steps: [{id: s, run: a}, {id: S, run: b}]}\n",
            "wf.yml:3:49",
            "used twice",
        ),
    ],
)
def test_errors_github_would_give(body: str, where: str, words: str) -> None:
    errors = errors_of(body)
    assert any(e.startswith(where) and words in e for e in errors), errors


def test_needs_unknown_target_and_cycle() -> None:
    errors = errors_of(
        """\
        on: push
        jobs:
          a:
            needs: [c, nope]
            runs-on: x
            steps: [{run: a}]
          b:
            needs: a
            runs-on: x
            steps: [{run: a}]
          c:
            needs: b
            runs-on: x
            steps: [{run: a}]
        """
    )
    assert any(e.startswith("wf.yml:4:16") and '"nope"' in e for e in errors), errors
    assert any("cycle: a -> c -> b -> a" in e for e in errors), errors


def test_needs_is_case_insensitive_like_github() -> None:
    wf = load("on: push\njobs:\n  Build: {runs-on: x, steps: [{run: a}]}\n"
              "  test: {needs: build, runs-on: x, steps: [{run: a}]}\n")  # fmt: skip
    assert wf.jobs["test"].needs == ["build"]


def test_yaml_anchors_in_workflows() -> None:
    wf = load(
        """\
        on: push
        jobs:
          a:
            runs-on: x
            steps:
              - &checkout
                uses: actions/checkout@v4
                with: {fetch-depth: 0}
          b:
            runs-on: x
            steps:
              - *checkout
        """
    )
    assert (wf.jobs["b"].steps or [])[0].uses == "actions/checkout@v4"


def test_composite_action_needs_shell(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text("name: x\nruns:\n  using: composite\n  steps:\n    - run: echo\n")
    with pytest.raises(InputError, match="needs `shell`"):
        load_action(action)
    action.write_text("name: x\nruns:\n  using: composite\n  steps:\n    - run: echo\n"
                      "      shell: bash\n")  # fmt: skip
    assert load_action(action).action.runs.using == "composite"


def test_action_unknown_keys_are_warnings(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text("name: x\npermissions: {}\ninputs:\n  a: {type: string}\n"
                      "runs: {using: node20, main: index.js}\n")  # fmt: skip
    loaded = load_action(action)
    assert [w.severity for w in loaded.warnings] == ["warning", "warning"]
    assert isinstance(loaded.action.runs, m.NodeRuns)


def test_action_runs_using_must_be_known(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text("name: x\nruns: {using: java, main: x}\n")
    with pytest.raises(InputError, match=r"`runs\.using` must be"):
        load_action(action)


def test_expression_errors_are_positioned() -> None:
    errors = errors_of(
        """\
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            if: github.ref == 'main' &&
            steps:
              - run: echo ${{ github.ref ++ }}
              - run: echo "${{ nosuchcontext.x }}"
        """
    )
    # Columns point at the offending character inside one-line plain scalars.
    assert any(e.startswith("wf.yml:5:32: error: invalid expression") for e in errors), errors
    assert any(e.startswith("wf.yml:7:34: error: invalid expression") for e in errors), errors
    assert any(e.startswith("wf.yml:8:24") and "nosuchcontext" in e for e in errors), errors


def test_unterminated_expression_is_an_error() -> None:
    errors = errors_of("on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: 'echo ${{ x'}]\n")
    assert any("never closed" in e for e in errors), errors


def test_matrix_errors_point_into_the_matrix() -> None:
    errors = errors_of(
        """\
        on: push
        jobs:
          a:
            runs-on: x
            strategy:
              matrix:
                os: [linux]
                exclude:
                  - arch: arm
            steps: [{run: a}]
        """
    )
    assert any(e.startswith("wf.yml:9:13") and "arch" in e for e in errors), errors


def test_unknown_keys_in_an_event_are_warnings_as_github_ignores_them(tmp_path: Path) -> None:
    """GitHub runs a workflow whose `workflow_dispatch` carries `paths:`; so does the loader,
    with a warning at the key. An unknown key of a job stays an error."""
    path = tmp_path / "wf.yml"
    path.write_text("on:\n  workflow_dispatch:\n    paths: [src/**]\njobs:\n  a:\n    runs-on: x\n"
                    "    steps:\n      - run: echo\n")  # fmt: skip
    loaded = load_workflow(path, "wf.yml")
    assert [w.format() for w in loaded.warnings] == [
        'wf.yml:3:5: warning: unexpected key "paths" for `on.workflow_dispatch` (ignored, as '
        "GitHub does) [syntax]"
    ]
    path.write_text(path.read_text().replace("    runs-on: x", "    runs-on: x\n    bogus: 1"))
    with pytest.raises(InputError):
        load_workflow(path, "wf.yml")
