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
