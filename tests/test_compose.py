"""The compose side: model normalisers, interpolation, .env, merging, loading, bad input, corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ghtotekton.compose import find_compose_files, load_compose
from ghtotekton.compose.interpolate import Interpolation, parse_env_text, substitute
from ghtotekton.compose.merge import merge_files
from ghtotekton.compose.model import Service, parse_bytes, parse_duration
from ghtotekton.errors import InputError, Position
from tests.conftest import CORPUS, FIXTURES, need_shared

GPU_FIXTURE = FIXTURES / "gpu-notebook" / "docker-compose.yml"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error_of(call: object) -> InputError:
    assert callable(call)
    with pytest.raises(InputError) as info:
        call()
    return info.value


# --- the GPU fixture --------------------------------------------------------------------------


def test_gpu_fixture_service() -> None:
    project = load_compose([GPU_FIXTURE])
    svc = project.services["notebook"]
    assert svc.gpu_request() == 1
    assert svc.shm_size == 2 * 1024**3
    assert svc.ipc == "host"
    assert svc.working_dir == "/workspace"
    assert svc.command_argv() == ["sleep", "infinity"]
    # the `<<: *common-env` anchor merged into the map, next to the service's own key
    assert svc.environment == {
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg",
        "NVIDIA_VISIBLE_DEVICES": "all",
    }
    health = svc.healthcheck
    assert health is not None
    assert health.test == ["CMD", "python", "-c", "import papermill"]
    assert (health.interval, health.timeout, health.retries) == (10.0, 5.0, 5)
    assert health.probe() == ("exec", ["python", "-c", "import papermill"])
    mounts = [(v.type, v.source, v.target) for v in svc.volumes]
    assert mounts == [("bind", ".", "/workspace"), ("volume", "pip-cache", "/root/.cache/pip")]
    assert "pip-cache" in project.model.volumes
    assert project.warnings == []
    # ${IMAGE_TAG:-latest} and ${PYTHON_VERSION:-3.11} with nothing set
    assert svc.image == "ghcr.io/example-org/notebook-gpu:latest"
    assert svc.build is not None and svc.build.args == {"PYTHON_VERSION": "3.11"}
    # In the order the file references them: the x-notebook-base anchor comes first.
    assert project.referenced_variables == ["IMAGE_TAG", "PYTHON_VERSION"]
    assert svc.pos is not None and (svc.pos.line, svc.pos.col) == (14, 3)  # `notebook:`


def test_gpu_fixture_with_environment() -> None:
    project = load_compose([GPU_FIXTURE], {"IMAGE_TAG": "pr-7"})
    assert project.services["notebook"].image == "ghcr.io/example-org/notebook-gpu:pr-7"
    assert project.unset_variables == ["PYTHON_VERSION"]


# --- normalisers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10.0), ("1m30s", 90.0), ("500ms", 0.5), ("1.5h", 5400.0), ("0", 0.0), (12, 12.0)],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "1x", "s", "", "1m 30s", "-5s"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("2gb", 2 * 1024**3),
        ("2GiB", 2 * 1024**3),
        ("512m", 512 * 1024**2),
        ("1.5g", 3 * 512 * 1024**2),
        ("64k", 65536),
        ("100", 100),
        (4096, 4096),
    ],
)
def test_parse_bytes(text: str | int, size: int) -> None:
    assert parse_bytes(text) == size


def test_environment_and_labels_forms() -> None:
    listed = Service.model_validate({"environment": ["A=1", "B", "C=x=y", "D="]})
    assert listed.environment == {"A": "1", "B": None, "C": "x=y", "D": ""}
    mapped = Service.model_validate({"environment": {"A": 1, "B": None, "T": True}})
    assert mapped.environment == {"A": "1", "B": None, "T": "true"}
    assert mapped.resolved_environment({"B": "shell"}) == {"A": "1", "B": "shell", "T": "true"}
    assert mapped.resolved_environment({}) == {"A": "1", "T": "true"}
    assert Service.model_validate({"labels": ["x", "y=1"]}).labels == {"x": "", "y": "1"}


def test_volume_short_and_long_syntax() -> None:
    svc = Service.model_validate(
        {
            "volumes": [
                "./src:/app:ro",
                "data:/var/lib/data",
                "/cache",
                "~/x:/x:rw,z",
                {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": "64m"}},
                {"type": "bind", "source": "/h", "target": "/c", "read_only": True},
            ]
        }
    )
    got = [(v.type, v.source, v.target, v.read_only) for v in svc.volumes]
    assert got == [
        ("bind", "./src", "/app", True),
        ("volume", "data", "/var/lib/data", False),
        ("volume", None, "/cache", False),
        ("bind", "~/x", "/x", False),
        ("tmpfs", None, "/tmp", False),
        ("bind", "/h", "/c", True),
    ]
    assert svc.volumes[1].named_volume == "data"
    assert svc.volumes[4].tmpfs is not None and svc.volumes[4].tmpfs.size == 64 * 1024**2


def test_ports_and_depends_on_forms() -> None:
    svc = Service.model_validate(
        {
            "ports": ["8080:80", "127.0.0.1:53:53/udp", 9000, "[::1]:5000:5000"],
            "depends_on": {"db": {"condition": "service_healthy"}, "cache": None},
        }
    )
    assert [p.key() for p in svc.ports] == [
        (None, "80", "8080", "tcp"),
        ("127.0.0.1", "53", "53", "udp"),
        (None, "9000", None, "tcp"),
        ("::1", "5000", "5000", "tcp"),
    ]
    assert {k: v.condition for k, v in svc.depends_on.items()} == {
        "db": "service_healthy",
        "cache": "service_started",
    }
    listed = Service.model_validate({"depends_on": ["db"]})
    assert listed.depends_on["db"].condition == "service_started"


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ({}, None),
        ({"gpus": "all"}, "all"),
        ({"gpus": [{"driver": "nvidia", "count": 2}]}, 2),
        ({"runtime": "nvidia"}, "all"),
        ({"runtime": "nvidia", "environment": ["NVIDIA_VISIBLE_DEVICES=0,1"]}, 2),
        ({"runtime": "nvidia", "environment": {"NVIDIA_VISIBLE_DEVICES": "none"}}, None),
        ({"devices": ["nvidia.com/gpu=all"]}, "all"),
        ({"devices": ["/dev/fuse:/dev/fuse"]}, None),
        (
            {"deploy": {"resources": {"reservations": {"devices": [{"capabilities": ["gpu"]}]}}}},
            "all",
        ),
        (
            {
                "deploy": {
                    "resources": {
                        "reservations": {
                            "devices": [{"capabilities": ["gpu"], "device_ids": ["0", "3", "5"]}]
                        }
                    }
                }
            },
            3,
        ),
        (
            {"deploy": {"resources": {"reservations": {"devices": [{"capabilities": ["tpu"]}]}}}},
            None,
        ),
        (
            {
                "deploy": {
                    "resources": {
                        "reservations": {"devices": [{"capabilities": ["gpu"], "count": "all"}]}
                    }
                }
            },
            "all",
        ),
    ],
)
def test_gpu_request(service: dict[str, object], expected: object) -> None:
    assert Service.model_validate(service).gpu_request() == expected


def test_command_string_is_split_like_a_shell_word_list() -> None:
    svc = Service.model_validate({"command": "python -c 'print(1)'", "entrypoint": ["tini", "--"]})
    assert svc.command_argv() == ["python", "-c", "print(1)"]
    assert svc.entrypoint_argv() == ["tini", "--"]


def test_healthcheck_string_and_disable() -> None:
    svc = Service.model_validate(
        {"healthcheck": {"test": "curl -f localhost", "start_period": "1m"}}
    )
    assert svc.healthcheck is not None
    assert svc.healthcheck.probe() == ("shell", ["curl -f localhost"])
    assert svc.healthcheck.start_period == 60.0
    off = Service.model_validate({"healthcheck": {"test": ["NONE"]}})
    assert (
        off.healthcheck is not None and off.healthcheck.disabled and off.healthcheck.probe() is None
    )


def test_profiles() -> None:
    svc = Service.model_validate({"profiles": ["gpu"]})
    assert not svc.enabled()
    assert svc.enabled({"gpu"})
    assert Service.model_validate({}).enabled()


# --- interpolation ----------------------------------------------------------------------------

ENV = {"SET": "value", "EMPTY": "", "NUM": "3"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain", "plain"),
        ("$SET", "value"),
        ("${SET}", "value"),
        ("a${SET}b$SET.c", "avaluebvalue.c"),
        ("${UNSET:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${UNSET-dflt}", "dflt"),
        ("${SET:-dflt}", "value"),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${SET:?boom}", "value"),
        ("${EMPTY?boom}", ""),
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("$$$SET", "$value"),
        ("${UNSET:-${NUM}}", "3"),
        ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
        ("${UNSET:-a{b}", "a{b"),
        ("x{y}z", "x{y}z"),
    ],
)
def test_substitute(template: str, expected: str) -> None:
    assert substitute(template, ENV) == expected


@pytest.mark.parametrize("template", ["$1", "a $", "${}", "${SET", "${SET B}", "${1A}", "$-x"])
def test_substitute_refuses_invalid_templates(template: str) -> None:
    err = error_of(lambda: substitute(template, ENV, Position("f.yml", 3, 9)))
    assert str(err.first.position) == "f.yml:3:9"
    assert "interpolation" in err.first.message or "unterminated" in err.first.message


@pytest.mark.parametrize("template", ["${UNSET:?need it}", "${EMPTY:?need it}", "${UNSET?need it}"])
def test_required_variable(template: str) -> None:
    err = error_of(lambda: substitute(template, ENV, Position("f.yml", 2, 5)))
    assert "is missing a value: need it" in err.first.message
    assert str(err.first.position) == "f.yml:2:5"


def test_unknown_variables_warn_once_and_are_recorded() -> None:
    interp = Interpolation(ENV)
    where = Position("f.yml", 4, 7)
    assert interp.substitute("${NOPE}/$NOPE/${SET:-${INNER}}", where) == "//value"
    assert list(interp.referenced) == ["NOPE", "SET", "INNER"]
    assert list(interp.unset) == ["NOPE", "INNER"]
    assert len(interp.warnings) == 1
    assert interp.warnings[0].severity == "warning"
    assert str(interp.warnings[0].position) == "f.yml:4:7"


def test_lenient_required_becomes_a_warning() -> None:
    interp = Interpolation({}, strict_required=False)
    assert interp.substitute("a${TOKEN:?set TOKEN}b", Position("f", 1, 1)) == "ab"
    assert "TOKEN is missing a value" in interp.warnings[0].message


@given(st.text().filter(lambda s: "$" not in s))
def test_text_without_dollar_is_unchanged(text: str) -> None:
    assert substitute(text, ENV) == text


@given(st.text())
def test_escaped_dollars_round_trip(text: str) -> None:
    assert substitute(text.replace("$", "$$"), ENV) == text


def test_env_file_syntax() -> None:
    text = (
        "# a comment\n"
        "\n"
        "export A=1\n"
        "B = spaced  # inline comment\n"
        "C='single ${A} $literal'\n"
        'D="double ${A} \\$kept\\nnext"\n'
        'E="multi\n'
        'line" # after\n'
        "F=with#hash\n"
        "G=${A}${FROM_ENV}\n"
        "FROM_SHELL\n"
        "MISSING_BARE\n"
        "H=\n"
    )
    values, warnings = parse_env_text(text, ".env", {"FROM_ENV": "e", "FROM_SHELL": "s"})
    assert values == {
        "A": "1",
        "B": "spaced",
        "C": "single ${A} $literal",
        "D": "double 1 $kept\nnext",
        "E": "multi\nline",
        "F": "with#hash",
        "G": "1e",
        "FROM_SHELL": "s",
        "H": "",
    }
    assert warnings == []


def test_env_file_bad_line_is_positioned() -> None:
    err = error_of(lambda: parse_env_text("A=1\n  9X=2\n", "ci/.env", {}))
    assert str(err.first.position) == "ci/.env:2:3"


def test_dotenv_next_to_the_file_and_shell_precedence(tmp_path: Path) -> None:
    write(tmp_path, ".env", "TAG=from-dotenv\nOTHER=o\n")
    compose = write(tmp_path, "compose.yaml", "services:\n  app:\n    image: img:${TAG}-${OTHER}\n")
    assert load_compose([compose]).services["app"].image == "img:from-dotenv-o"
    shell = load_compose([compose], {"TAG": "shell"})
    assert shell.services["app"].image == "img:shell-o"
    alt = write(tmp_path, "ci.env", "TAG=alt\n")
    chosen = load_compose([compose], env_files=[alt])
    assert chosen.services["app"].image == "img:alt-"  # --env-file replaces the default .env


def test_required_variable_error_points_into_the_compose_file(tmp_path: Path) -> None:
    compose = write(
        tmp_path,
        "compose.yaml",
        "services:\n  db:\n    image: postgres\n    environment:\n"
        "      PASSWORD: ${DB_PASSWORD:?set the password}\n",
    )
    err = error_of(lambda: load_compose([compose]))
    assert err.first.position == Position(str(compose), 5, 17)
    assert "DB_PASSWORD" in err.first.message
    lenient = load_compose([compose], strict_required=False)
    assert lenient.services["db"].environment == {"PASSWORD": ""}
    assert lenient.unset_variables == ["DB_PASSWORD"]


# --- merging ----------------------------------------------------------------------------------


def test_merge_rules() -> None:
    base: dict[str, Any] = {
        "services": {
            "app": {
                "image": "app:1",
                "command": ["serve", "--port", "80"],
                "environment": ["A=1", "B=2"],
                "volumes": ["data:/data", "./src:/src:ro"],
                "ports": ["8080:80"],
                "cap_add": ["SYS_ADMIN"],
                "dns": "1.1.1.1",
                "healthcheck": {"test": ["CMD", "a"], "interval": "5s"},
                "build": {"context": ".", "args": ["X=1"]},
                "depends_on": ["db"],
                "labels": {"keep": "yes"},
            },
            "db": {"image": "postgres"},
        },
        "volumes": {"data": None},
    }
    override: dict[str, Any] = {
        "services": {
            "app": {
                "image": "app:2",
                "command": "test",
                "environment": {"B": "20", "C": "3"},
                "volumes": ["other:/data", "/cache"],
                "ports": ["8080:80", "9090:90"],
                "cap_add": ["SYS_ADMIN", "NET_ADMIN"],
                "dns": ["8.8.8.8"],
                "healthcheck": {"test": "curl x"},
                "build": {"args": {"Y": "2"}},
                "depends_on": {"cache": {"condition": "service_healthy"}},
            },
            "cache": {"image": "redis"},
        },
        "volumes": {"other": {}},
    }
    merged = merge_files(base, override)
    app = merged["services"]["app"]
    assert app["image"] == "app:2"
    assert app["command"] == "test"  # replaced, not appended
    assert app["environment"] == {"A": "1", "B": "20", "C": "3"}
    assert [(v.get("source"), v["target"]) for v in app["volumes"]] == [
        ("other", "/data"),  # same mount point: the override's source wins
        ("./src", "/src"),
        (None, "/cache"),
    ]
    assert app["volumes"][1]["read_only"] is True
    assert [(p.get("published"), p["target"]) for p in app["ports"]] == [
        ("8080", "80"),
        ("9090", "90"),
    ]
    assert app["cap_add"] == ["SYS_ADMIN", "NET_ADMIN"]
    assert app["dns"] == ["1.1.1.1", "8.8.8.8"]
    assert app["healthcheck"] == {"test": "curl x", "interval": "5s"}
    assert app["build"] == {"context": ".", "args": {"X": "1", "Y": "2"}}
    assert app["depends_on"] == {"db": {}, "cache": {"condition": "service_healthy"}}
    assert app["labels"] == {"keep": "yes"}
    assert set(merged["services"]) == {"app", "db", "cache"}
    assert set(merged["volumes"]) == {"data", "other"}
    assert base["services"]["app"]["image"] == "app:1"  # inputs untouched


def test_override_file_is_found_and_merged(tmp_path: Path) -> None:
    write(tmp_path, "docker-compose.yml", "services:\n  app:\n    image: base\n    tty: true\n")
    write(tmp_path, "docker-compose.override.yml", "services:\n  app:\n    image: dev\n")
    write(tmp_path, "compose.yml", "services:\n  other:\n    image: x\n")
    files = find_compose_files(tmp_path)
    # compose.yml outranks docker-compose.yml; the override is found on its own list
    assert [f.name for f in files] == ["compose.yml", "docker-compose.override.yml"]
    (tmp_path / "compose.yml").unlink()
    files = find_compose_files(tmp_path)
    assert [f.name for f in files] == ["docker-compose.yml", "docker-compose.override.yml"]
    project = load_compose(files)
    app = project.services["app"]
    assert (app.image, app.tty) == ("dev", True)
    assert project.pos(("services", "app", "image")).file.endswith("docker-compose.override.yml")
    assert app.pos is not None and app.pos.file.endswith("docker-compose.yml")


def test_discovery_walks_up_but_not_past_root(tmp_path: Path) -> None:
    write(tmp_path, "compose.yaml", "services: {}\n")
    deep = tmp_path / "repo" / "sub"
    deep.mkdir(parents=True)
    assert find_compose_files(deep) == [tmp_path / "compose.yaml"]
    assert find_compose_files(deep, root=tmp_path / "repo") == []


def test_extends_and_include(tmp_path: Path) -> None:
    write(tmp_path, "lib/base.yml", "services:\n  tool:\n    image: tool\n    build: ./ctx\n")
    write(tmp_path, "lib/.env", "LIBVAR=inner\n")
    write(tmp_path, "lib/more.yml", "services:\n  side:\n    image: side:${LIBVAR}\n")
    compose = write(
        tmp_path,
        "compose.yaml",
        "include:\n  - lib/more.yml\n"
        "services:\n"
        "  common:\n    image: common\n    environment: [A=1]\n"
        "  web:\n    extends: common\n    environment: [B=2]\n"
        "  cli:\n    extends: {service: tool, file: lib/base.yml}\n    command: run\n",
    )
    project = load_compose([compose])
    assert project.services["web"].image == "common"
    assert project.services["web"].environment == {"A": "1", "B": "2"}
    cli = project.services["cli"]
    assert (cli.image, cli.command) == ("tool", "run")
    assert project.services["side"].image == "side:inner"  # included with its own .env


def test_extends_loop_is_an_error(tmp_path: Path) -> None:
    compose = write(
        tmp_path,
        "compose.yaml",
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
    )
    err = error_of(lambda: load_compose([compose]))
    assert "loops" in err.first.message
    assert err.first.position.line in (3, 5)


# --- bad input --------------------------------------------------------------------------------


def test_not_a_mapping(tmp_path: Path) -> None:
    compose = write(tmp_path, "compose.yaml", "- a\n- b\n")
    err = error_of(lambda: load_compose([compose]))
    assert err.first.position == Position(str(compose), 1, 1)
    assert "mapping" in err.first.message


def test_services_as_a_list(tmp_path: Path) -> None:
    compose = write(tmp_path, "compose.yaml", "name: x\nservices:\n  - web\n  - db\n")
    err = error_of(lambda: load_compose([compose]))
    assert err.first.position == Position(str(compose), 3, 3)
    assert "services" in err.first.message and "mapping" in err.first.message


def test_bad_values_are_positioned(tmp_path: Path) -> None:
    compose = write(
        tmp_path,
        "compose.yaml",
        "services:\n  app:\n    image: x\n    shm_size: lots\n"
        "    healthcheck:\n      interval: soon\n",
    )
    err = error_of(lambda: load_compose([compose]))
    places = sorted((d.position.line, d.position.col) for d in err.diagnostics)
    assert places == [(4, 15), (6, 17)]


def test_empty_file_and_undefined_dependency(tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.yml", "")
    assert "empty" in error_of(lambda: load_compose([empty])).first.message
    compose = write(
        tmp_path, "compose.yaml", "services:\n  app:\n    image: x\n    depends_on: [db]\n"
    )
    err = error_of(lambda: load_compose([compose]))
    assert err.first.position == Position(str(compose), 4, 17)
    optional = write(
        tmp_path,
        "opt.yaml",
        "services:\n  app:\n    image: x\n    depends_on:\n      db: {required: false}\n",
    )
    assert load_compose([optional]).services["app"].depends_on["db"].required is False


def test_unknown_keys_are_positioned_warnings(tmp_path: Path) -> None:
    compose = write(
        tmp_path,
        "compose.yaml",
        "version: '3.8'\n"
        "x-defaults: &d {restart: always}\n"
        "services:\n"
        "  app:\n"
        "    image: x\n"
        "    enviroment: [A=1]\n"
        "    x-note: fine\n"
        "    extra_hosts: ['a:1.2.3.4']\n"
        "    deploy:\n"
        "      resources:\n"
        "        reservations:\n"
        "          devices:\n"
        "            - capabilities: [gpu]\n"
        "              vendor: nvidia\n",
    )
    project = load_compose([compose])
    found = [(w.position.line, w.position.col, w.severity) for w in project.warnings]
    assert found == [(1, 1, "warning"), (6, 5, "warning"), (14, 15, "warning")]
    assert "did you mean `environment`" in project.warnings[1].hint
    assert project.services["app"].gpu_request() == "all"


def test_bad_yaml_is_positioned(tmp_path: Path) -> None:
    compose = write(tmp_path, "compose.yaml", "services:\n  app: [\n")
    err = error_of(lambda: load_compose([compose]))
    assert err.first.position.file == str(compose) and err.first.position.line >= 2


# --- the corpus -------------------------------------------------------------------------------


def corpus_compose_files() -> list[Path]:
    need_shared(CORPUS / "MANIFEST.tsv")
    rows = [line.split("\t") for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]]
    return [CORPUS / r[0].replace("/", "__") / r[2] for r in rows if r[3] == "compose"]


@pytest.mark.corpus
def test_every_corpus_compose_file_loads_or_gives_positioned_errors() -> None:
    files = corpus_compose_files()
    globbed = set(CORPUS.rglob("*compose*.y*ml"))
    assert len(files) >= 20 and set(files) <= globbed
    loaded = 0
    for path in sorted(globbed):  # the glob also finds workflows named *compose*: no crash either
        display = str(path.relative_to(CORPUS))
        try:
            load_compose([path], display_root=CORPUS)
            loaded += 1
        except InputError as exc:
            for diag in exc.diagnostics:
                assert diag.position.file.endswith(display) or "/" in diag.position.file
                assert diag.position.line >= 1, diag.format()
    assert loaded >= len(files) - 5
    # without CI's secrets, the lenient mode reads every real compose file
    for path in files:
        load_compose([path], display_root=CORPUS, strict_required=False)


def test_merged_errors_point_into_the_file_that_wrote_the_value(tmp_path: Path) -> None:
    # an `extends` base in another file is only checked once merged into the service
    write(tmp_path, "base.yaml", "services:\n  tool:\n    image: t\n    shm_size: lots\n")
    compose = write(
        tmp_path,
        "compose.yaml",
        "services:\n  app:\n    extends: {service: tool, file: base.yaml}\n",
    )
    err = error_of(lambda: load_compose([compose]))
    assert err.first.position == Position(str(tmp_path / "base.yaml"), 4, 15)


def test_gpus_all_is_replaced_not_appended() -> None:
    merged = merge_files(
        {"services": {"a": {"gpus": "all"}}}, {"services": {"a": {"gpus": [{"count": 1}]}}}
    )
    assert merged["services"]["a"]["gpus"] == [{"count": 1}]


def test_environment_of_reads_env_files(tmp_path: Path) -> None:
    write(tmp_path, "app.env", "FROM_FILE=1\nBOTH=file\n")
    compose = write(
        tmp_path,
        "compose.yaml",
        "services:\n  app:\n    image: x\n    env_file: [app.env, generated.env]\n"
        "    environment:\n      BOTH: inline\n      SHELL_VAR:\n",
    )
    project = load_compose([compose], {"SHELL_VAR": "s"})
    env = project.environment_of("app", {"SHELL_VAR": "s"})
    assert env.values == {"FROM_FILE": "1", "BOTH": "inline", "SHELL_VAR": "s"}
    assert set(env.local) == {"FROM_FILE"}  # BOTH is written in the compose file, over app.env
    assert env.local["FROM_FILE"].origin.line == 1
    assert len(env.warnings) == 1 and "generated.env" in env.warnings[0].message
    assert env.warnings[0].position.line == 4
