"""Issue 21, row 9: a compose variable without a value here is a finding, at its line.

`${POSTGRES_PASSWORD:?Variable not set}` once became `''` in the generated env without a word.
"""

from __future__ import annotations

from pathlib import Path

from tests.converted import convert_repo

COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?Variable not set}
      POSTGRES_DB: ${POSTGRES_DB}
      POSTGRES_USER: ${POSTGRES_USER:-app}
"""

WORKFLOW = """\
on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker compose up -d db
      - run: docker compose exec -T db psql -c 'select 1'
"""


def _findings(tmp_path: Path) -> list[dict[str, object]]:
    conv = convert_repo(
        tmp_path, {".github/workflows/ci.yml": WORKFLOW, "docker-compose.yml": COMPOSE}
    )
    [job] = conv.result.report["workflows"][0]["jobs"]
    return [f for f in job["findings"] if f.get("rule") == "compose-variable"]


def test_each_variable_without_value_is_named_once_at_its_line(tmp_path: Path) -> None:
    found = _findings(tmp_path)
    by_name = {("PASSWORD" if "PASSWORD" in str(f["message"]) else "DB"): f for f in found}
    assert len(found) == 2, found  # POSTGRES_USER has a default; two steps, one finding each
    assert by_name["PASSWORD"]["status"] == "manual"
    assert by_name["PASSWORD"]["line"] == 5
    assert "required variable POSTGRES_PASSWORD" in str(by_name["PASSWORD"]["message"])
    assert "secretKeyRef for POSTGRES_PASSWORD" in str(by_name["PASSWORD"]["action"])
    assert by_name["DB"]["status"] == "partial" and by_name["DB"]["line"] == 6


def test_other_compose_warnings_are_findings_of_their_own(tmp_path: Path) -> None:
    """An ignored key is a `partial` finding at its line, an obsolete `version` a note; neither
    is reported as a variable without a value."""
    compose = "version: '3.8'\n" + COMPOSE.replace(
        "    image: postgres:16\n", "    image: postgres:16\n    shm_sise: 1g\n"
    )
    conv = convert_repo(
        tmp_path, {".github/workflows/ci.yml": WORKFLOW, "docker-compose.yml": compose}
    )
    [job] = conv.result.report["workflows"][0]["jobs"]
    compose_findings = [
        f for f in job["findings"] if f.get("rule") in ("compose", "compose-obsolete")
    ]
    by_kind = {
        ("version" if "obsolete" in str(f["message"]) else "key"): f for f in compose_findings
    }
    assert by_kind["key"]["status"] == "partial" and by_kind["key"]["line"] == 5
    assert "shm_sise" in str(by_kind["key"]["message"])
    assert "shm_size" in str(by_kind["key"]["action"])  # did you mean
    assert by_kind["version"]["status"] == "converted" and by_kind["version"]["line"] == 1
    variables = [f for f in job["findings"] if f.get("rule") == "compose-variable"]
    assert all("variable" in str(f["message"]) for f in variables), variables
