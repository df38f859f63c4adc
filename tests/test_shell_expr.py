"""Computed expressions as bash give GitHub's value: the compiled shell is run here and its output
compared with the evaluator that follows GitHub's rules (``ghtotekton.github.expr_eval``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ghtotekton.convert import expressions as cx
from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.shell_expr import temp_name
from ghtotekton.github import expressions as ex
from tests.tekton_sim import run_task

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

NAMES = ("A", "B", "C")
WORDS = (
    "",
    " ",
    "x",
    "X",
    "false",
    "true",
    "0",
    "1",
    "1.50",
    "refs/heads/main",
    "a b",
    "it's",
    'say "hi"',
    "$HOME",
)


def _scope() -> cx.Scope:
    def resolve(path: tuple[str, ...]) -> cx.Source | cx.Untranslatable:
        if path[0] == "env" and len(path) == 2:
            return cx.Source("env", env=path[1])
        return cx.default_resolve(path)

    return cx.Scope(resolve)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


leaves = st.one_of(
    st.sampled_from([f"env.{n}" for n in NAMES]),
    st.sampled_from(WORDS).map(_literal),
    st.sampled_from(["true", "false", "0", "1", "1.5", "null"]),
)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda p: f"({p[0]} && {p[1]})"),
        pair.map(lambda p: f"({p[0]} || {p[1]})"),
        pair.map(lambda p: f"({p[0]} == {p[1]})"),
        pair.map(lambda p: f"({p[0]} != {p[1]})"),
        children.map(lambda c: f"!{c}"),
        pair.map(lambda p: f"contains({p[0]}, {p[1]})"),
        pair.map(lambda p: f"startsWith({p[0]}, {p[1]})"),
        pair.map(lambda p: f"endsWith({p[0]}, {p[1]})"),
        pair.map(lambda p: f"format('{{0}}-{{{{x}}}}-{{1}}', {p[0]}, {p[1]})"),
    )


expressions = st.recursive(leaves, _extend, max_leaves=6)
contexts = st.fixed_dictionaries({n: st.sampled_from(WORDS) for n in NAMES})


def _run(lines: list[str], env: dict[str, str], tmp: Path) -> list[str]:
    script = tmp / "x.sh"
    script.write_text("\n".join(["set -e", *lines]) + "\n")
    out = subprocess.run(
        ["bash", str(script)],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
        cwd=tmp,
    )
    return out.stdout.split("\0")[:-1]


@settings(
    max_examples=int(os.environ.get("GHT_SHELL_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(expressions, min_size=1, max_size=12), contexts)
def test_compiled_values_match_github(
    tmp_path: Path, texts: list[str], env: dict[str, str]
) -> None:
    scope = _scope()
    lines: list[str] = []
    expected: list[str] = []
    for text in texts:
        node = ex.parse(text)
        prelude: list[str] = []
        before = len(scope.problems)
        value = cx.shell_value(node, scope, prelude)
        if value is None:  # refused with a reason: only a kind the run decides may do that
            assert any("only the run knows" in p.reason for p in scope.problems[before:]), text
            continue
        lines += [*prelude, f"printf '%s\\0' \"{value}\""]
        expected.append(ex.to_string(ex.evaluate(node, {"env": env})))
    assert _run(lines, env, tmp_path) == expected, texts


@settings(
    max_examples=int(os.environ.get("GHT_SHELL_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(expressions, min_size=1, max_size=12), contexts)
def test_compiled_conditions_match_github(
    tmp_path: Path, texts: list[str], env: dict[str, str]
) -> None:
    scope = _scope()
    lines: list[str] = []
    expected: list[str] = []
    for text in texts:
        node = ex.parse(text)
        prelude: list[str] = []
        before = len(scope.problems)
        test = cx.shell_condition(node, scope, prelude)
        if test is None:
            assert any("only the run knows" in p.reason for p in scope.problems[before:]), text
            continue
        lines += [*prelude, f"if {test}; then printf 'yes\\0'; else printf 'no\\0'; fi"]
        expected.append("yes" if ex.is_truthy(ex.evaluate(node, {"env": env})) else "no")
    assert _run(lines, env, tmp_path) == expected, texts


def test_a_constant_object_is_looked_up_by_a_run_time_key(tmp_path: Path) -> None:
    node = ex.parse("""fromJSON('{"cp312-*": "py312", "CP313-*": "py313"}')[env.A]""")
    prelude: list[str] = []
    value = cx.shell_value(node, _scope(), prelude)
    assert value == "${" + temp_name(node) + "}"
    for key, want in (("cp312-*", "py312"), ("cp313-*", "py313"), ("cp314-*", "")):
        assert _run([*prelude, f"printf '%s\\0' \"{value}\""], {"A": key}, tmp_path) == [want]


def test_hash_files_is_stable_and_empty_without_files(tmp_path: Path) -> None:
    (tmp_path / "req").mkdir()
    (tmp_path / "req" / "a.txt").write_text("numpy\n")
    (tmp_path / "req" / "b.txt").write_text("scipy\n")
    node = ex.parse("hashFiles('req/*.txt', 'missing/**')")
    prelude: list[str] = []
    value = cx.shell_value(node, _scope(), prelude)
    assert value is not None
    lines = [*prelude, f"printf '%s\\0' \"{value}\""]
    env = {"GITHUB_WORKSPACE": str(tmp_path)}
    first = _run(lines, env, tmp_path)
    assert len(first[0]) == 64 and first == _run(lines, env, tmp_path)
    (tmp_path / "req" / "b.txt").write_text("scipy==1.14\n")
    assert _run(lines, env, tmp_path) != first  # the key follows the files' contents
    none = ex.parse("hashFiles('nothing/*.lock')")
    prelude = []
    value = cx.shell_value(none, _scope(), prelude)
    assert _run([*prelude, f"printf '%s\\0' \"{value}\""], env, tmp_path) == [""]


def test_a_value_never_becomes_code(tmp_path: Path) -> None:
    """A branch name with shell syntax in it stays data through a computed expression."""
    node = ex.parse("env.A != '' && format('ref {0}', env.A) || 'none'")
    prelude: list[str] = []
    value = cx.shell_value(node, _scope(), prelude)
    evil = "$(touch pwned)`touch pwned2`;touch pwned3"
    out = _run([*prelude, f"printf '%s\\0' \"{value}\""], {"A": evil}, tmp_path)
    assert out == [f"ref {evil}"]
    assert not any(tmp_path.glob("pwned*"))


def _tasks(tmp_path: Path, workflow: str) -> dict[str, dict[str, Any]]:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(textwrap.dedent(workflow))
    result = convert_paths([repo], Options())
    assert not result.failed, result.failed
    return {
        t["metadata"]["name"].removeprefix("ci-"): t for c in result.conversions for t in c.tasks
    }


def _functional(task: dict[str, Any]) -> list[str]:
    steps = task["spec"]["steps"]
    return [s.get("script", "") for s in steps] + [
        str(e.get("value", "")) for s in steps for e in s.get("env", [])
    ]


def test_computed_values_run_in_the_step(tmp_path: Path) -> None:
    """Env values and script text with computed expressions: no `${{` is left in the Task, and
    the step prints what GitHub would, for each event."""
    tasks = _tasks(
        tmp_path,
        """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            env:
              CHANNEL: ${{ github.ref == 'refs/heads/main' && 'stable' || 'nightly' }}
            steps:
              - id: probe
                run: echo "gpus=2" >> "$GITHUB_OUTPUT"
              - env:
                  LABEL: ${{ format('{0}-py{1}', github.ref_name, '3.12') }}
                  RELEASE: >-
                    ${{ !(github.ref == 'refs/heads/main'
                    || startsWith(github.ref, 'refs/heads/release/')) }}
                run: |
                  echo "channel=$CHANNEL label=$LABEL not-release=$RELEASE"
                  echo "multi=${{ steps.probe.outputs.gpus != '1' && 'yes' || 'no' }}"
        """,
    )
    task = tasks["build"]
    assert not any("${{" in text for text in _functional(task))
    for ref, name, channel, release in (
        ("refs/heads/main", "main", "stable", "false"),
        ("refs/heads/release/2.1", "release/2.1", "nightly", "false"),
        ("refs/heads/Feature", "Feature", "nightly", "true"),
    ):
        run = run_task(
            task, tmp_path / name.replace("/", "_"), {"github-ref": ref, "github-ref-name": name}
        )
        assert [s.returncode for s in run.steps] == [0, 0, 0], run.steps
        out = run.steps[-1].stdout
        assert f"channel={channel} label={name}-py3.12 not-release={release}" in out, out
        assert "multi=yes" in out
