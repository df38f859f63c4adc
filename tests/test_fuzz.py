"""Fuzzing in the suite: the workflow loader and converter, compose loading and `.env` files, and
`compare`'s bundle reader, fed documents built from the words they know, never crash.

Each input either converts (or loads) or is refused with a positioned InputError; nothing else
may escape. Examples are shaped like the real thing (workflow keys, `${{ }}` fragments, compose
keys, `${VAR}` references, zip and run.json fragments) so they reach past the first check. Each
example's memory is bounded; the per-example deadline only catches a hang, it measures nothing.
"""

from __future__ import annotations

import io
import json
import tempfile
import tracemalloc
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtotekton.compare.bundle import open_bundle
from ghtotekton.compose import load_compose
from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.errors import GhToTektonError, InputError
from ghtotekton.github.loader import load_workflow_text

FUZZ = settings(
    max_examples=40,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PEAK_BYTES = 256 * 1024 * 1024

WORKFLOW_KEYS = [
    *["on", "jobs", "name", "env", "defaults", "permissions", "concurrency", "run-name"],
    *["runs-on", "steps", "needs", "if", "strategy", "matrix", "include", "exclude"],
    *["container", "services", "outputs", "timeout-minutes", "continue-on-error", "uses"],
    *["with", "run", "shell", "working-directory", "id", "image", "options", "fail-fast"],
    *["push", "pull_request", "workflow_dispatch", "inputs", "secrets", "branches", "paths"],
]
FRAGMENTS = [
    *["${{ ", " }}", "github.event.pull_request.title", "matrix.os", "steps.a.outputs.x"],
    *["needs.b.result", "secrets.TOKEN", "fromJSON(", "contains(", "'", '"', "$(", "`"],
    *["success()", "always()", "&&", "||", "!", "==", "ubuntu-latest", "self-hosted", "gpu"],
    *["docker compose up -d", "papermill a.ipynb b.ipynb", "actions/checkout@v4", "./x", "\n"],
]
COMPOSE_KEYS = [
    *["services", "image", "build", "context", "environment", "env_file", "volumes", "ports"],
    *["deploy", "resources", "reservations", "devices", "capabilities", "driver", "count"],
    *["command", "entrypoint", "extends", "file", "service", "include", "path", "healthcheck"],
    *["test", "gpus", "runtime", "profiles", "depends_on", "working_dir", "user", "networks"],
]
COMPOSE_FRAGMENTS = [
    *["${", "}", "$", "$$", "VAR", ":-", ":?", "-", "x", "app", "nvidia", "gpu", "all", "1"],
    *["./data:/data", "/var/run/docker.sock:/var/run/docker.sock", ".env", "../up.yml", "="],
]


def _text(words: list[str], size: int = 8) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(words) | st.text(max_size=4), max_size=size).map("".join)


def _tree(keys: list[str], words: list[str]) -> st.SearchStrategy[Any]:
    leaf = st.none() | st.booleans() | st.integers(-3, 300) | _text(words)
    return st.recursive(
        leaf,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(keys) | _text(words, 2), inner, max_size=5)
        ),
        max_leaves=40,
    )


def _workflow_like() -> st.SearchStrategy[Any]:
    step = st.dictionaries(
        st.sampled_from(WORKFLOW_KEYS), _tree(WORKFLOW_KEYS, FRAGMENTS), max_size=4
    )
    job = st.fixed_dictionaries(
        {"runs-on": st.sampled_from(["ubuntu-latest", "self-hosted", "[gpu]", "${{ matrix.os }}"])},
        optional={
            "steps": st.lists(step, max_size=4),
            "if": _text(FRAGMENTS),
            "needs": st.sampled_from(["a", "b", "[a, b]"]),
            "strategy": _tree(WORKFLOW_KEYS, FRAGMENTS),
        },
    )
    shaped = st.fixed_dictionaries(
        {"on": st.sampled_from(["push", "pull_request", "[push, workflow_dispatch]"])},
        optional={"jobs": st.dictionaries(st.sampled_from(["a", "b", "c"]), job, max_size=3)},
    )
    return shaped | _tree(WORKFLOW_KEYS, FRAGMENTS)


def _dump(data: Any) -> str:
    try:
        return yaml.safe_dump(data, default_flow_style=False, allow_unicode=True)
    except yaml.YAMLError:
        return str(data)


@contextmanager
def _bounded_memory() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
        assert peak < PEAK_BYTES, f"one example took {peak / 1048576:.0f} MB"
    finally:
        tracemalloc.stop()


@FUZZ
@given(_workflow_like())
def test_the_workflow_loader_only_refuses_with_positions(data: Any) -> None:
    try:
        load_workflow_text(_dump(data), "fuzz.yml")
    except InputError as exc:
        assert exc.diagnostics and all(d.position.file == "fuzz.yml" for d in exc.diagnostics)


@settings(FUZZ, max_examples=25)
@given(_workflow_like(), st.booleans())
def test_converting_any_loadable_workflow_never_crashes(data: Any, with_compose: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp, _bounded_memory():
        repo = Path(tmp)
        (repo / ".github" / "workflows").mkdir(parents=True)
        (repo / ".github" / "workflows" / "ci.yml").write_text(_dump(data))
        if with_compose:
            (repo / "compose.yml").write_text("services:\n  app:\n    image: python:3.12\n")
        try:
            result = convert_paths([repo], Options())
        except GhToTektonError as exc:
            assert exc.diagnostics
            return
        assert result.report["summary"]["workflows"] == 1


def _compose_like() -> st.SearchStrategy[Any]:
    service = st.dictionaries(
        st.sampled_from(COMPOSE_KEYS), _tree(COMPOSE_KEYS, COMPOSE_FRAGMENTS), max_size=5
    )
    shaped = st.fixed_dictionaries(
        {"services": st.dictionaries(st.sampled_from(["app", "db", "gpu"]), service, max_size=3)}
    )
    return shaped | _tree(COMPOSE_KEYS, COMPOSE_FRAGMENTS)


@FUZZ
@given(_compose_like(), _text([*COMPOSE_FRAGMENTS, "A=", "export ", "#", "'", '"', "\n"], 12))
def test_compose_loading_only_refuses_with_positions(data: Any, dotenv: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, _bounded_memory():
        folder = Path(tmp)
        (folder / "compose.yml").write_text(_dump(data))
        (folder / ".env").write_text(dotenv)
        try:
            project = load_compose([folder / "compose.yml"], {}, strict_required=False)
        except InputError as exc:
            assert exc.diagnostics
            return
        for name in project.services:
            project.environment_of(name, {})
            project.services[name].gpu_request()


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


_run_json = st.one_of(
    st.binary(max_size=64),
    st.dictionaries(
        st.sampled_from(["system", "commit", "status", "units", "started", "run_id", "x"]),
        st.none() | st.text(max_size=12) | st.integers() | st.lists(st.text(max_size=4)),
        max_size=6,
    ).map(lambda d: json.dumps(d).encode()),
)
_names = st.sampled_from(
    ["run.json", "artifacts/a.xml", "artifacts/../x", "/abs", "artifacts/", "b/run.json", "a\\b"]
)


@FUZZ
@given(
    st.dictionaries(_names, _run_json, max_size=4),
    st.booleans(),
    st.binary(max_size=32),
)
def test_the_bundle_reader_only_refuses_with_positions(
    entries: dict[str, bytes], as_zip: bool, noise: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp, _bounded_memory():
        root = Path(tmp)
        if as_zip:
            target = root / "run.zip"
            data = _zip_bytes(entries)
            target.write_bytes(data[: len(data) - len(noise) % 7] + noise if noise else data)
        else:
            target = root / "run"
            for name, data in entries.items():
                rel = name.lstrip("/").replace("\\", "_")
                if ".." in rel.split("/") or rel.endswith("/"):
                    continue
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                if not (target / rel).is_dir():
                    (target / rel).write_bytes(data)
            target.mkdir(exist_ok=True)
        try:
            with open_bundle(target, workdir=root / "work") as bundle:
                assert bundle.info is not None
        except InputError as exc:
            assert exc.diagnostics


def test_a_truncated_zip_whose_entry_header_is_past_its_end_is_refused(tmp_path: Path) -> None:
    """Found by the fuzzer: the seek to the entry's header failed with an OSError (exit 3)."""
    data = _zip_bytes({"run.json": b""})
    (tmp_path / "run.zip").write_bytes(data[:-3] + b"\x01\x00\x00")
    try:
        with open_bundle(tmp_path / "run.zip", workdir=tmp_path / "work"):
            raise AssertionError("a corrupt zip was read")
    except InputError as exc:
        assert "run.json" in exc.diagnostics[0].format()
