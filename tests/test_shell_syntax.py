"""Scripts read by tree-sitter-bash: commands found where the shell finds them, and expressions in
quoted heredocs and non-shell scripts given the value GitHub's text substitution would give."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ghtotekton.convert.engine import Options, Result, convert_paths
from ghtotekton.convert.shell_syntax import commands, open_quoted_heredocs
from tests.tekton_sim import run_task

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def test_commands_are_the_shells_commands() -> None:
    script = 'echo "sudo is a word here" && X=1 sudo -E make install\nout=$(sudo cat /etc/x)\n'
    found = [(c.name, [w[2] for w in c.words]) for c in commands(script)]
    assert ("sudo", ["-E", "make", "install"]) in found
    assert ("sudo", ["cat", "/etc/x"]) in found
    assert [name for name, _ in found].count("sudo") == 2  # not the one inside the string


def test_only_quoted_heredocs_with_expressions_are_opened() -> None:
    script = textwrap.dedent(
        """\
        cat <<'EOF'
        a ${{ inputs.a }} $HOME `x` \\n
        EOF
        cat <<'KEEP'
        $HOME
        KEEP
        cat <<EOF
        $HOME ${{ inputs.b }}
        EOF
        """
    )
    opened = open_quoted_heredocs(script, lambda e: True)
    assert "cat <<EOF\na ${{ inputs.a }} \\$HOME \\`x\\` \\\\n\nEOF" in opened
    assert "cat <<'KEEP'\n$HOME\nKEEP" in opened  # no expression: left as written
    assert "cat <<EOF\n$HOME ${{ inputs.b }}\nEOF" in opened  # already unquoted
    assert open_quoted_heredocs(script, lambda e: False) == script


def _convert(tmp_path: Path, workflow: str) -> tuple[dict[str, dict[str, Any]], Result]:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(textwrap.dedent(workflow))
    result = convert_paths([repo], Options())
    assert not result.failed, result.failed
    tasks = {
        t["metadata"]["name"].removeprefix("ci-"): t for c in result.conversions for t in c.tasks
    }
    return tasks, result


def _statuses(result: Result) -> list[str]:
    return [s["status"] for w in result.report["workflows"] for j in w["jobs"] for s in j["steps"]]


@needs_bash
def test_a_quoted_heredoc_gets_the_value_and_keeps_its_text(tmp_path: Path) -> None:
    tasks, result = _convert(
        tmp_path,
        """\
        on:
          workflow_dispatch:
            inputs:
              cuda: {default: '12.8'}
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  cat <<'EOF' > cfg.txt
                  cuda=${{ inputs.cuda }} home=$HOME tick=`x` back=\\n
                  EOF
                  cat cfg.txt
        """,
    )
    assert _statuses(result) == ["converted"]
    run = run_task(tasks["build"], tmp_path / "run", {"inputs-cuda": "12.4"})
    assert run.steps[-1].returncode == 0, run.steps
    assert "cuda=12.4 home=$HOME tick=`x` back=\\n" in run.steps[-1].stdout


@needs_bash
def test_a_python_script_gets_a_param_pasted_as_github_pastes_it(tmp_path: Path) -> None:
    tasks, result = _convert(
        tmp_path,
        """\
        on:
          workflow_dispatch:
            inputs:
              dirs: {default: '3'}
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - shell: python
                run: |
                  assert ${{ inputs.dirs }} == 3
                  print("ok", ${{ inputs.dirs }} + 1)
        """,
    )
    assert _statuses(result) == ["partial"]  # it runs in the python image, not the job's
    assert "$(params.inputs-dirs)" in tasks["build"]["spec"]["steps"][-1]["script"]
    run = run_task(tasks["build"], tmp_path / "run", {"inputs-dirs": "3"})
    assert run.steps[-1].returncode == 0, run.steps
    assert "ok 4" in run.steps[-1].stdout


@needs_bash
def test_event_text_in_a_heredoc_fails_the_step_instead_of_becoming_code(tmp_path: Path) -> None:
    tasks, result = _convert(
        tmp_path,
        """\
        on: pull_request
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  python - <<'PY'
                  print("${{ github.event.pull_request.title }}")
                  PY
        """,
    )
    assert _statuses(result) == ["manual"]
    step = tasks["build"]["spec"]["steps"][-1]
    assert "${{" not in str(step)
    title = '"); import os; os.system("touch pwned'
    run = run_task(tasks["build"], tmp_path / "run", {"github-event-pull-request-title": title})
    assert run.steps[-1].returncode == 1
    assert "needs a person" in run.steps[-1].stderr
    assert not list((tmp_path / "run").rglob("pwned"))


def test_a_windows_job_runs_its_scripts_with_pwsh_as_github_does(tmp_path: Path) -> None:
    tasks, _ = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          win:
            runs-on: windows-latest
            steps:
              - run: $wheels = Get-ChildItem "./" -Filter *.whl
              - shell: bash
                run: echo bash
          linux:
            runs-on: ubuntu-latest
            steps:
              - run: echo bash
        """,
    )
    win = [s["script"].splitlines()[0] for s in tasks["win"]["spec"]["steps"][1:]]
    assert win == ["#!/usr/bin/env pwsh", "#!/usr/bin/env bash"]
    assert tasks["linux"]["spec"]["steps"][-1]["script"].startswith("#!/usr/bin/env bash")


def test_a_matrix_of_windows_runners_runs_pwsh_too(tmp_path: Path) -> None:
    tasks, _ = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          win:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [windows-2022, windows-latest]
            steps:
              - run: Write-Output hi
          mixed:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest, windows-latest]
            steps:
              - run: echo hi
        """,
    )
    assert tasks["win"]["spec"]["steps"][-1]["script"].startswith("#!/usr/bin/env pwsh")
    assert tasks["mixed"]["spec"]["steps"][-1]["script"].startswith("#!/usr/bin/env bash")


@needs_bash
def test_quotes_inside_a_command_substitution_are_the_shells(tmp_path: Path) -> None:
    """`"$(test -n '${{ x }}')"`: the single quotes inside `$(...)` are real ones (a scanner
    that saw only the outer double quotes left `'${X}'`, always non-empty)."""
    tasks, _ = _convert(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo "WITH=$([ -n '${{ secrets.AWS_REGION }}' ] && echo 1 || echo 0)"
        """,
    )
    task = tasks["build"]
    without = run_task(task, tmp_path / "a", secrets={})
    assert "WITH=0" in without.steps[-1].stdout, without.steps
    given = run_task(task, tmp_path / "b", secrets={"AWS_REGION": "eu-west-1"})
    assert "WITH=1" in given.steps[-1].stdout, given.steps


@needs_bash
def test_a_templated_shell_runs_its_program_on_the_script_file(tmp_path: Path) -> None:
    tasks, result = _convert(
        tmp_path,
        """\
        on:
          workflow_dispatch:
            inputs:
              who: {default: world}
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - shell: python3 -u {0}
                if: github.event_name == 'workflow_dispatch'
                run: |
                  import sys
                  print("hello ${{ inputs.who }}", sys.argv[0].startswith("/"))
        """,
    )
    assert _statuses(result) == ["partial"]  # the program must be in the image
    params = {"inputs-who": "tekton", "github-event-name": "workflow_dispatch"}
    run = run_task(tasks["build"], tmp_path / "run", params)
    assert run.steps[-1].returncode == 0, run.steps
    assert "hello tekton True" in run.steps[-1].stdout
    skipped = run_task(tasks["build"], tmp_path / "push", {**params, "github-event-name": "push"})
    assert "hello" not in skipped.steps[-1].stdout
