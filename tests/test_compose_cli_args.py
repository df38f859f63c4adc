"""Reading `docker compose ...` calls out of `run:` scripts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ghtotekton.compose.cli_args import parse_compose_calls
from ghtotekton.errors import InputError
from ghtotekton.yamlsource import load_yaml_file
from tests.conftest import CORPUS, need_shared


def only(script: str) -> Any:
    calls = parse_compose_calls(script)
    assert len(calls) == 1, calls
    return calls[0]


def test_run_with_options_service_and_command() -> None:
    call = only(
        "docker compose -f base.yml -f ci.yml -p proj --profile gpu --env-file ci.env "
        "run --rm -e A=1 -e B --no-deps -T -w /src -u 1000 --entrypoint /bin/sh "
        "-v ./out:/out --name job notebook -c 'pytest -x -k \"a and b\"'"
    )
    assert call.program == "docker compose"
    assert call.files == ["base.yml", "ci.yml"]
    assert call.project_name == "proj"
    assert call.profiles == ["gpu"]
    assert call.env_files == ["ci.env"]
    assert call.subcommand == "run"
    assert call.service == "notebook"
    assert call.command == ["-c", 'pytest -x -k "a and b"']
    assert call.env == {"A": "1", "B": None}
    assert (call.workdir, call.user, call.entrypoint, call.name) == (
        "/src",
        "1000",
        "/bin/sh",
        "job",
    )
    assert call.volumes == ["./out:/out"]
    assert call.remove and call.no_deps and call.no_tty and not call.detach
    assert call.unparsed is None and call.unknown_options == []


def test_exec_options_after_the_service_belong_to_the_command() -> None:
    call = only("docker-compose exec -T -u root --workdir=/app -e X=1 web pytest -x --lf")
    assert call.program == "docker-compose"
    assert (call.service, call.user, call.workdir) == ("web", "root", "/app")
    assert call.command == ["pytest", "-x", "--lf"]
    assert call.no_tty and call.env == {"X": "1"}


def test_up_with_services_and_flags() -> None:
    call = only("docker compose up -d --build --wait --abort-on-container-exit db cache")
    assert call.services == ["db", "cache"]
    assert call.detach and call.build and call.wait and call.abort_on_container_exit
    combined = only("docker compose run -dT --rm svc")
    assert combined.detach and combined.no_tty and combined.remove


def test_chains_and_line_offsets() -> None:
    script = (
        "set -euo pipefail\n"
        "docker compose build && docker compose up -d db; echo ready\n"
        "make prepare && \\\n"
        "  docker compose run --rm \\\n"
        "    tests pytest \\\n"
        "    -x || docker compose logs tests\n"
        "docker compose down -v | tee down.log\n"
    )
    calls = parse_compose_calls(script)
    summary = [(c.line_offset, c.subcommand, c.services, c.command) for c in calls]
    assert summary == [
        (1, "build", [], []),
        (1, "up", ["db"], []),
        (3, "run", ["tests"], ["pytest", "-x"]),
        (5, "logs", ["tests"], []),
        (6, "down", [], []),
    ]
    assert calls[4].flags == {"--volumes"}


def test_prefixes_redirections_and_heredocs() -> None:
    script = (
        "sudo -E env CI=1 timeout -s INT 30m docker compose exec -T app make test 2>&1 > log\n"
        "if docker compose ps --services | grep -q app; then echo up; fi\n"
        "cat > notes.txt <<'EOF'\n"
        "docker compose up this-is-text-not-a-command\n"
        "EOF\n"
        "COMPOSE_FILE=a.yml:b.yml COMPOSE_PROFILES=x,y docker compose config\n"
        "/usr/local/bin/docker-compose --verbose pull\n"
        "docker --context remote compose stop web\n"
    )
    calls = parse_compose_calls(script)
    assert [(c.line_offset, c.subcommand) for c in calls] == [
        (0, "exec"),
        (1, "ps"),
        (5, "config"),
        (6, "pull"),
        (7, "stop"),
    ]
    assert calls[0].command == ["make", "test"]
    assert calls[1].flags == {"--services"}
    assert calls[2].files == ["a.yml", "b.yml"] and calls[2].profiles == ["x", "y"]
    assert calls[2].assignments == {"COMPOSE_FILE": "a.yml:b.yml", "COMPOSE_PROFILES": "x,y"}
    assert calls[4].services == ["web"]


def test_github_expressions_are_kept_whole() -> None:
    call = only(
        "docker compose -f ${{ matrix.compose_file }} run -e TOKEN=${{ secrets.TOKEN }} "
        "${{ matrix.service }} pytest -k '${{ inputs.filter }}'"
    )
    assert call.files == ["${{ matrix.compose_file }}"]
    assert call.env == {"TOKEN": "${{ secrets.TOKEN }}"}
    assert call.service == "${{ matrix.service }}"
    assert call.command == ["pytest", "-k", "${{ inputs.filter }}"]


def test_quotes_spanning_lines() -> None:
    script = 'docker compose run app sh -c "\n  echo one\n  echo two\n"\necho after\n'
    call = only(script)
    assert call.command == ["sh", "-c", "\n  echo one\n  echo two\n"]


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("docker compose", "no subcommand"),
        ("docker compose -f x.yml", "no subcommand"),
        ("docker compose frobnicate", 'unknown compose subcommand "frobnicate"'),
        ("docker compose run --rm", "`run` without a service"),
        ("docker compose exec", "`exec` without a service"),
    ],
)
def test_odd_calls_say_why(script: str, reason: str) -> None:
    assert only(script).unparsed == reason


def test_unclosed_quote_is_reported_not_raised() -> None:
    call = only("echo start\ndocker compose run app echo 'never closed\n")
    assert call.unparsed is not None and "shell syntax" in call.unparsed
    assert call.line_offset == 1


def test_unknown_options_are_kept() -> None:
    call = only("docker compose --frob up --new-flag --new-value=3 svc")
    assert call.unknown_options == ["--frob", "--new-flag", "--new-value=3"]
    assert call.services == ["svc"] and call.options == {"--new-value": ["3"]}


def test_not_compose() -> None:
    assert parse_compose_calls("echo docker compose up\ndocker build .\ncomposer install") == []


@given(st.text(alphabet=st.sampled_from(list("docker-compose run up \\\n'\"$;&|<>(){}#=-f"))))
def test_never_raises(script: str) -> None:
    for call in parse_compose_calls(script):
        assert call.line_offset >= 0


@given(st.text())
def test_never_raises_on_any_text(script: str) -> None:
    parse_compose_calls("docker compose " + script)


def _run_scripts(data: Any) -> list[str]:
    if isinstance(data, dict):
        out = [v for k, v in data.items() if k == "run" and isinstance(v, str)]
        for value in data.values():
            out += _run_scripts(value)
        return out
    if isinstance(data, list):
        return [s for item in data for s in _run_scripts(item)]
    return []


@pytest.mark.corpus
def test_corpus_run_scripts() -> None:
    need_shared(CORPUS / "MANIFEST.tsv")
    scripts: list[str] = []
    for path in sorted((CORPUS).rglob(".github/workflows/*.y*ml")):
        try:
            scripts += _run_scripts(load_yaml_file(path).data)
        except InputError:
            continue
    assert len(scripts) > 1000
    calls = [c for s in scripts for c in parse_compose_calls(s)]
    # the fastapi template alone drives its stack through compose in several workflows
    assert len(calls) >= 10
    assert all(c.unparsed is None for c in calls), [c for c in calls if c.unparsed]
    assert {c.subcommand for c in calls} >= {"up", "down"}


def test_an_open_quote_does_not_swallow_a_huge_script() -> None:
    script = 'docker compose run app echo "open\n' + "line\n" * 20000
    call = only(script)
    assert call.unparsed is not None and call.line_offset == 0
