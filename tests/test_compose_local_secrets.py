"""No value from a file on the developer's machine reaches the output: `.env` variables, the
`env_file`s of a service and what compose interpolates from them become `secretKeyRef`s
(secret-looking names) or `configMapKeyRef`s, listed in the report with the command that creates
them. Values the workflow itself sets stay literal: they are in the repository already."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ghtotekton.cli import app
from ghtotekton.compose.interpolate import Interpolation, looks_secret
from ghtotekton.errors import Position
from ghtotekton.yamlsource import load_yaml_bytes

WORKFLOW = """\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    {env}
    steps:
      - uses: actions/checkout@v4
      - run: docker compose up -d db
      - run: docker compose run --rm app pytest
"""
COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${DB_PASSWORD}
      POSTGRES_DB: ${DB_NAME:-app}
  app:
    image: python:3.12
    env_file: [app.env]
    entrypoint: ["python", "-m", "svc", "--token", "${API_TOKEN}"]
    environment:
      - DATABASE_URL=postgres://u:${DB_PASSWORD}@db/${DB_NAME}
      - DOMAIN=${DOMAIN}
      - PLAIN=yes
      - API_TOKEN
"""
DOTENV = "DB_PASSWORD=pw-7Hq2\nDB_NAME=name-8Kd1\nAPI_TOKEN=tok-3Jx9\nDOMAIN=dom-5Lp4\n"
APP_ENV = "SESSION_KEY=key-2Wr6\nLOG_LEVEL=lvl-9Zs3\n"
LOCAL_VALUES = ["pw-7Hq2", "name-8Kd1", "tok-3Jx9", "dom-5Lp4", "key-2Wr6", "lvl-9Zs3"]


def _convert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, env: str = "", compose: str = COMPOSE
) -> tuple[Path, dict[str, Any]]:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW.format(env=env))
    (repo / "compose.yml").write_text(compose)
    (repo / ".env").write_text(DOTENV)
    (repo / "app.env").write_text(APP_ENV)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["convert", ".", "-o", "tekton"])
    assert result.exit_code == 0, result.stdout + result.stderr
    return repo / "tekton", json.loads((repo / "tekton" / "migration-report.json").read_text())


def _env(out: Path) -> dict[str, dict[str, Any]]:
    """Every env entry of the generated Tasks' steps and sidecars, by name."""
    entries: dict[str, dict[str, Any]] = {}
    for path in (out / "tasks").glob("*.yaml"):
        spec = yaml.safe_load(path.read_text())["spec"]
        for container in [*(spec.get("steps") or []), *(spec.get("sidecars") or [])]:
            for entry in container.get("env") or []:
                entries[entry["name"]] = entry
    return entries


def _ref(entry: dict[str, Any]) -> tuple[str, str, str]:
    (kind, ref), *_ = entry["valueFrom"].items()
    assert ref["optional"] is True  # unset, as an unset GitHub secret, never a pod that won't start
    return kind, ref["name"], ref["key"]


def test_no_value_of_a_local_file_is_in_any_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = _convert(tmp_path, monkeypatch)
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for value in LOCAL_VALUES:
        assert value not in written, value


def test_local_values_are_read_from_a_secret_or_a_configmap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = _convert(tmp_path, monkeypatch)
    env = _env(out)
    secret, config = "secretKeyRef", "configMapKeyRef"
    assert _ref(env["POSTGRES_PASSWORD"]) == (secret, "github-secrets", "POSTGRES_PASSWORD")
    assert _ref(env["POSTGRES_DB"]) == (config, "github-vars", "POSTGRES_DB")
    # built from a secret-looking variable: the whole value is a secret
    assert _ref(env["DATABASE_URL"]) == (secret, "github-secrets", "DATABASE_URL")
    assert _ref(env["DOMAIN"]) == (config, "github-vars", "DOMAIN")
    assert _ref(env["SESSION_KEY"]) == (secret, "github-secrets", "SESSION_KEY")  # env_file
    assert _ref(env["LOG_LEVEL"]) == (config, "github-vars", "LOG_LEVEL")
    assert env["PLAIN"] == {"name": "PLAIN", "value": "yes"}  # written in the compose file
    # a bare name takes the .env value (compose reads the shell or the environment files)
    assert _ref(env["API_TOKEN"]) == (secret, "github-secrets", "API_TOKEN")


def test_the_report_lists_every_key_with_the_command_that_creates_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, report = _convert(tmp_path, monkeypatch)
    commands = [c["command"] for c in report["cluster_requirements"]["secrets"]]
    secret = next(c for c in commands if c.startswith("kubectl create secret generic github-s"))
    config = next(c for c in commands if c.startswith("kubectl create configmap github-vars"))
    for key in ("POSTGRES_PASSWORD", "DATABASE_URL", "SESSION_KEY"):
        assert f"--from-literal={key}=..." in secret
    for key in ("POSTGRES_DB", "DOMAIN", "LOG_LEVEL"):
        assert f"--from-literal={key}=..." in config
    names = {s["name"] for s in report["manual_tasks"]["secrets"]}
    assert {"POSTGRES_PASSWORD", "DATABASE_URL", "SESSION_KEY"} <= names
    findings = [f for w in report["workflows"] for j in w["jobs"] for f in j["findings"]]
    local = {f["message"].split("`")[1]: f for f in findings if f["rule"] == "compose-local-value"}
    assert set(local) == {"POSTGRES_PASSWORD", "POSTGRES_DB", "DATABASE_URL", "DOMAIN"} | {
        "SESSION_KEY",
        "LOG_LEVEL",
        "API_TOKEN",
    }
    assert ".env:1:1" in local["POSTGRES_PASSWORD"]["message"]
    assert "app.env:2:1" in local["LOG_LEVEL"]["message"]
    assert "github-vars" in (out / "migration-report.md").read_text()


def test_a_local_secret_outside_an_environment_becomes_empty_with_a_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = COMPOSE.replace("run --rm app pytest", "")
    _, report = _convert(tmp_path, monkeypatch, compose=compose)
    findings = [f for w in report["workflows"] for j in w["jobs"] for f in j["findings"]]
    hidden = [f for f in findings if f["rule"] == "compose-local-secret"]
    assert len(hidden) == 1 and "API_TOKEN" in hidden[0]["message"]
    assert hidden[0]["status"] == "partial"


def test_what_the_workflow_sets_wins_over_dotenv_and_stays_literal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = _convert(tmp_path, monkeypatch, env="env:\n      DB_NAME: from-the-workflow")
    env = _env(out)
    assert env["POSTGRES_DB"] == {"name": "POSTGRES_DB", "value": "from-the-workflow"}


def test_an_env_file_outside_the_repository_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere.env").write_text("STOLEN_TOKEN=far-away-1Qa\n")
    compose = COMPOSE.replace("env_file: [app.env]", "env_file: [../elsewhere.env]")
    out, report = _convert(tmp_path, monkeypatch, compose=compose)
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "far-away-1Qa" not in written and "STOLEN_TOKEN" not in _env(out)
    findings = [f for w in report["workflows"] for j in w["jobs"] for f in j["findings"]]
    assert any(f["rule"] == "repository-boundary" for f in findings)


def test_configuration_variables_are_listed_as_a_configmap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        textwrap.dedent(
            """\
            on: push
            jobs:
              a:
                runs-on: ubuntu-latest
                steps:
                  - run: echo "$REGION"
                    env:
                      REGION: ${{ vars.DEPLOY_REGION }}
            """
        )
    )
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(app, ["convert", ".", "-o", "tekton"])
    assert result.exit_code == 0, result.stderr
    report = json.loads((repo / "tekton" / "migration-report.json").read_text())
    commands = [c["command"] for c in report["cluster_requirements"]["secrets"]]
    assert "kubectl create configmap github-vars --from-literal=DEPLOY_REGION=..." in commands


def test_interpolation_records_which_local_variables_built_each_value() -> None:
    doc = load_yaml_bytes(
        "services:\n  a:\n    image: img:${TAG}\n    environment:\n"
        "      URL: http://${HOST}:${PORT}\n      TOKEN: ${API_TOKEN}\n"
        "    command: run ${API_TOKEN}\n",
        "compose.yml",
    )
    local = {n: Position(".env", i + 1, 1) for i, n in enumerate(["TAG", "HOST", "API_TOKEN"])}
    env = {"TAG": "t", "HOST": "h", "PORT": "80", "API_TOKEN": "secret"}
    interp = Interpolation(env, local=local)
    data = interp.document(doc)
    assert interp.uses[("services", "a", "environment", "URL")] == {"HOST"}
    assert interp.uses[("services", "a", "image")] == {"TAG"}
    assert data["services"]["a"]["image"] == "img:t"  # not a secret: kept
    assert data["services"]["a"]["environment"]["TOKEN"] == "secret"  # becomes a secretKeyRef
    assert data["services"]["a"]["command"] == "run "  # a secret outside env: never written
    assert [w.rule for w in interp.warnings] == ["compose-local-secret"]


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        *[("DB_PASSWORD", True), ("api_token", True), ("SECRET", True), ("SSH_KEY", True)],
        *[("DOMAIN", False), ("LOG_LEVEL", False), ("PORT", False)],
    ],
)
def test_secret_looking_names(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret
