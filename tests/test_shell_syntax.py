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
