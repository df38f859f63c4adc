"""`sudo` and `apt-get install`: the step runs as root with `sudo` removed where the shell's
grammar says it is a command, and apt's lists fetched when the image has none."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.root_steps import APT_LISTS, as_root, needs_run_as_root
from tests.tekton_sim import run_task


def test_sudo_goes_where_it_is_a_command_and_stays_in_strings() -> None:
    script = textwrap.dedent(
        """\
        sudo -E apt-get install -y libfoo && echo "run sudo later"
        X=1 sudo --preserve-env=PATH make install
        out=$(sudo cat /etc/hostname) | sudo -n tee /tmp/y
        sudo -v
        """
    )
    rooted = as_root(script, "docker.io/library/python:3.12-slim")
    assert rooted.problems == []
    assert rooted.text == textwrap.dedent(
        """\
        apt-get install -y libfoo && echo "run sudo later"
        X=1 make install
        out=$(cat /etc/hostname) | tee /tmp/y
        true
        """
    )
    assert rooted.prelude == [APT_LISTS]


def test_an_update_first_needs_no_lists_and_other_users_are_refused() -> None:
    assert as_root("sudo apt-get update\nsudo apt-get install -y x\n", "ubuntu:24.04").prelude == []
    assert as_root("sudo -u postgres psql\n", "ubuntu:24.04").problems == [
        "`sudo -u postgres` runs as another user, not root"
    ]
    alpine = as_root("apt-get install -y x\n", "docker.io/library/python:3.12-alpine")
    assert alpine.problems and "Debian or Ubuntu" in alpine.problems[0]
    assert as_root("apt-get install -y x\n", "docker.io/library/ubuntu:24.04").problems == []


def test_images_that_run_as_root_need_no_security_context() -> None:
    assert not needs_run_as_root("docker.io/library/python:3.12-slim")
    assert not needs_run_as_root("ubuntu:24.04")
    assert not needs_run_as_root("ghcr.io/catthehacker/ubuntu:act-24.04")
    assert needs_run_as_root("registry.example.com/team/builder:1")
    assert needs_run_as_root("bitnami/python:3.12")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_sudo_step_runs_as_root_and_works(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        textwrap.dedent(
            """\
            on: push
            jobs:
              build:
                runs-on: ubuntu-latest
                container: registry.example.com/team/builder:1
                steps:
                  - run: |
                      sudo mkdir -p out && echo "made" | sudo tee out/log
                      sudo -u nobody true || true
                  - run: sudo -E echo "as root"
            """
        )
    )
    result = convert_paths([repo], Options())
    task = result.conversions[0].tasks[0]
    steps = {s["name"]: s for s in task["spec"]["steps"]}
    statuses = [s["status"] for j in result.report["workflows"][0]["jobs"] for s in j["steps"]]
    assert statuses == ["manual", "partial"]  # `sudo -u nobody` cannot be said as root
    # an image whose user is not known to be root: the step says so
    assert steps["run-2"]["securityContext"] == {"runAsUser": 0}
    assert "sudo" not in steps["run-2"]["script"]
    assert "securityContext" not in steps["run-1"]
    run = run_task(
        {**task, "spec": {**task["spec"], "steps": [task["spec"]["steps"][0], steps["run-2"]]}},
        tmp_path / "run",
    )
    assert run.steps[-1].returncode == 0, run.steps
    assert "as root" in run.steps[-1].stdout
