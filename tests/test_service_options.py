"""Job services' `options:` health flags become the sidecar's readiness probe."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.service_options import read_options


@pytest.mark.parametrize(
    ("text", "probe"),
    [
        (
            '--health-cmd "pg_isready -U postgres" --health-interval 10s --health-timeout 5s '
            "--health-retries 5",
            {
                "exec": {"command": ["/bin/sh", "-c", "pg_isready -U postgres"]},
                "periodSeconds": 10,
                "timeoutSeconds": 5,
                "failureThreshold": 5,
            },
        ),
        (
            "--health-cmd='redis-cli ping' --health-interval=1m30s --health-start-period 500ms",
            {
                "exec": {"command": ["/bin/sh", "-c", "redis-cli ping"]},
                "periodSeconds": 90,
                "initialDelaySeconds": 1,
            },
        ),
        ("--cpus 2", None),
    ],
)
def test_health_flags_read_as_docker_reads_them(text: str, probe: dict[str, object] | None) -> None:
    assert read_options(text).probe == probe


def test_flags_without_a_sidecar_form_and_bad_values_are_said() -> None:
    options = read_options("--health-cmd true --health-interval soon --cpus 2")
    assert options.other == ["--cpus", "2"]
    assert any("soon" in p for p in options.problems)
    assert read_options("--health-retries 3").probe is None
    assert read_options('--health-cmd "unterminated').problems


def test_a_service_with_a_health_check_gets_a_readiness_probe(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        textwrap.dedent(
            """\
            on: push
            jobs:
              test:
                runs-on: ubuntu-latest
                services:
                  postgres:
                    image: postgres:16
                    options: >-
                      --health-cmd pg_isready --health-interval 10s --health-retries 5
                steps:
                  - run: pytest
            """
        )
    )
    result = convert_paths([repo], Options())
    task = yaml.safe_load(result.files["tasks/ci-test.yaml"])
    [sidecar] = task["spec"]["sidecars"]
    assert sidecar["readinessProbe"]["exec"]["command"] == ["/bin/sh", "-c", "pg_isready"]
    assert sidecar["readinessProbe"]["failureThreshold"] == 5
    job = result.conversions[0].jobs[0]
    assert not any("options" in f.message for f in job.findings)


def test_what_a_job_container_or_service_loses_is_a_finding_at_its_own_line(
    tmp_path: Path,
) -> None:
    """Each dropped option, mount or port is reported at the key that holds it, so a person can
    jump to it; not at the job's first line."""
    from tests.converted import convert_repo

    workflow = textwrap.dedent(
        """\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            container:
              image: python:3.12
              options: --cpus 2
              volumes:
                - /var/run/docker.sock:/var/run/docker.sock
            services:
              db:
                image: postgres:16
                ports: ["5432:5432"]
                volumes: ["/etc:/host-etc"]
                options: --health-cmd pg_isready --shm-size 1g
            steps:
              - run: pytest
        """
    )
    conv = convert_repo(tmp_path, {".github/workflows/ci.yml": workflow})
    [job] = conv.result.report["workflows"][0]["jobs"]
    lines = {f["message"]: f["line"] for f in job["findings"]}
    by_text = {
        "container options": 7,
        "the job container mounts": 8,
        "service `db` is reached": 13,
        "service `db` mounts": 14,
        "service `db`: options": 15,
    }
    for start, line in by_text.items():
        hits = [f for f in job["findings"] if f["message"].startswith(start)]
        assert hits, (start, lines)
        assert hits[0]["line"] == line, (start, hits[0])
