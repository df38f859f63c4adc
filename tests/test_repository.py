"""Linking local composite actions and reusable workflows; remote ones are recorded, not fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghtotekton.errors import InputError
from ghtotekton.github.repository import repositories, workflow_files
from ghtotekton.github.uses import UsesError, parse_uses


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write(
        tmp_path,
        ".github/workflows/main.yml",
        """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/outer
        with: {who: me, extra: 1}
      - uses: ./.github/actions/missing
      - uses: docker://alpine:3
  call:
    uses: $/.github/workflows/reusable.yml
    with: {config: a}
  call-bad:
    uses: ./.github/workflows/not-callable.yml
  call-remote:
    uses: octo/shared/.github/workflows/x.yml@v1
""",
    )
    write(
        tmp_path,
        ".github/workflows/reusable.yml",
        """\
on:
  workflow_call:
    inputs:
      config: {type: string, required: true}
      mode: {type: string, required: true}
jobs:
  inner:
    runs-on: x
    steps:
      - uses: ./.github/actions/inner
""",
    )
    write(
        tmp_path,
        ".github/workflows/not-callable.yml",
        "on: push\njobs:\n  a: {runs-on: x, steps: [{run: a}]}\n",
    )
    write(
        tmp_path,
        ".github/actions/outer/action.yml",
        """\
name: outer
inputs:
  who: {required: true}
runs:
  using: composite
  steps:
    - uses: ./.github/actions/inner
    - run: echo ${{ inputs.who }}
      shell: bash
""",
    )
    write(
        tmp_path,
        ".github/actions/inner/action.yaml",
        "name: inner\nruns:\n  using: composite\n  steps:\n    - run: 'true'\n      shell: sh\n",
    )
    return tmp_path


def test_links_local_remote_and_missing(repo: Path) -> None:
    (loaded,) = list(repositories([repo]))
    assert loaded.ok
    assert sorted(loaded.actions) == [".github/actions/inner", ".github/actions/outer"]
    by_raw = {link.raw: link for link in loaded.links}
    assert by_raw["actions/checkout@v4"].status == "remote"
    assert by_raw["./.github/actions/outer"].status == "ok"
    assert by_raw["./.github/actions/missing"].status == "missing"
    assert by_raw["docker://alpine:3"].status == "docker"
    assert by_raw["$/.github/workflows/reusable.yml"].status == "ok"
    assert by_raw["./.github/workflows/not-callable.yml"].status == "not-callable"
    assert by_raw["octo/shared/.github/workflows/x.yml@v1"].status == "remote"
    # The nested action is reached both from the outer action and from the reusable workflow.
    assert sum(1 for link in loaded.links if link.raw == "./.github/actions/inner") == 2
    messages = [f.format() for f in loaded.findings]
    assert any("main.yml:9:9" in f and "missing" in f for f in messages), messages
    assert any("input `extra` is not declared" in f for f in messages), messages
    assert any("required input `mode`" in f for f in messages), messages
    assert any("no `on: workflow_call`" in f for f in messages), messages


def test_broken_file_does_not_stop_the_others(repo: Path) -> None:
    write(repo, ".github/workflows/broken.yml", "on: push\njobs: [1]\n")
    (loaded,) = list(repositories([repo]))
    assert not loaded.ok
    assert len(loaded.errors) == 1
    assert len(loaded.workflows) == 3


def test_path_forms(repo: Path) -> None:
    root, files = workflow_files(repo)
    assert root == repo and len(files) == 3
    root, files = workflow_files(repo / ".github" / "workflows")
    assert root == repo and len(files) == 3
    root, files = workflow_files(repo / ".github" / "workflows" / "main.yml")
    assert root == repo and len(files) == 1
    with pytest.raises(InputError, match="no such file"):
        workflow_files(repo / "nope")
    with pytest.raises(InputError, match="no workflow files"):
        workflow_files(repo / ".github" / "actions")


@pytest.mark.parametrize(
    ("raw", "kind", "name", "ref"),
    [
        ("actions/checkout@v4", "remote", "actions/checkout", "v4"),
        ("github/codeql-action/init@v3", "remote", "github/codeql-action/init", "v3"),
        ("o/r/.github/workflows/w.yml@main", "remote", "o/r/.github/workflows/w.yml", "main"),
        ("./.github/actions/x", "local", ".github/actions/x", ""),
        ("$/.github/workflows/w.yml", "local", ".github/workflows/w.yml", ""),
        ("docker://ghcr.io/a/b:1", "docker", "docker://ghcr.io/a/b:1", ""),
    ],
)
def test_parse_uses(raw: str, kind: str, name: str, ref: str) -> None:
    parsed = parse_uses(raw)
    assert (parsed.kind, parsed.name, parsed.ref) == (kind, name, ref)


@pytest.mark.parametrize("raw", ["actions/checkout", "./../x", "${{ matrix.a }}", "docker://"])
def test_parse_uses_refuses(raw: str) -> None:
    with pytest.raises(UsesError):
        parse_uses(raw)
