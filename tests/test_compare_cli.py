"""`ghtotekton compare` end to end through the CLI, and the four report formats."""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton.cli import app
from ghtotekton.compare.bundle import RunInfo, write_bundle
from ghtotekton.compare.engine import Comparison, RunSummary, UnitResult
from ghtotekton.compare.handlers.base import Difference
from ghtotekton.compare.report import (
    MARKDOWN_CAP,
    MARKDOWN_MAX_CHARS,
    SCHEMA_VERSION,
    inline_diff,
    redact,
    render_html,
    render_json,
    render_markdown,
    render_text,
)

COMMIT = "3f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39"
# Byte-identical on both sides whatever handler judges them (real, or the byte fallback).
FILES = {
    "data/result.bin": b"\x00\x01\x02weights",
    "README.md": b"# results\n",
}


def bundle(
    root: Path,
    name: str,
    files: Mapping[str, bytes] = FILES,
    units: list[tuple[str, str]] | None = None,
    system: str = "github-actions",
) -> Path:
    kind = "job" if system == "github-actions" else "task"
    info = RunInfo.model_validate(
        {
            "system": system,
            "run_id": f"{name}-42",
            "commit": COMMIT,
            "status": "succeeded",
            "units": [
                {"name": n, "kind": kind, "status": s}
                for n, s in (units or [("test", "succeeded")])
            ],
        }
    )
    return write_bundle(root / name, info, dict(files))


def invoke(cli: CliRunner, *args: str | Path) -> tuple[int, str, str]:
    result = cli.invoke(app, ["compare", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return bundle(tmp_path, "a"), bundle(tmp_path, "b", system="tekton")


# --------------------------------------------------------------------------------------------
# exit codes and formats


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_equivalent_exit_0_every_format(cli: CliRunner, pair: tuple[Path, Path], fmt: str) -> None:
    code, out, err = invoke(cli, "--run-a", pair[0], "--run-b", pair[1], "--format", fmt)
    assert code == 0, (out, err)
    if fmt == "text":
        assert out.startswith("EQUIVALENT")
    if fmt == "json":
        doc = json.loads(out)
        assert doc["schema_version"] == SCHEMA_VERSION
        assert doc["verdict"] == "equivalent"
        assert doc["summary"]["files"] == 2 and doc["summary"]["differences"] == 0
        assert doc["run_a"]["run_id"] == "a-42" and doc["run_b"]["system"] == "tekton"
    if fmt == "html":
        assert out.lstrip().startswith("<!DOCTYPE html>")
        assert 'class="verdict equivalent"' in out
    if fmt == "markdown":
        assert out.startswith("## ✅")


def test_divergent_exit_1_with_location(cli: CliRunner, tmp_path: Path) -> None:
    a = bundle(tmp_path, "a")
    b = bundle(tmp_path, "b", {**FILES, "data/result.bin": b"\x00\x01\x02WEIGHTS"}, system="tekton")
    code, out, _ = invoke(cli, "--run-a", a, "--run-b", b, "-f", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["verdict"] == "divergent"
    assert [(d["path"], d["kind"]) for d in doc["differences"]] == [
        ("data/result.bin", "content-changed")
    ]


def test_incomplete_exit_1(cli: CliRunner, tmp_path: Path) -> None:
    a = bundle(tmp_path, "a", units=[("test", "succeeded"), ("docs", "succeeded")])
    b = bundle(tmp_path, "b", {"README.md": FILES["README.md"]}, system="tekton")
    code, out, _ = invoke(cli, "--run-a", a, "--run-b", b, "-f", "text")
    assert code == 1
    assert out.startswith("INCOMPLETE")
    assert "data/result.bin" in out and "docs" in out


def test_unit_status_change_text_report(cli: CliRunner, tmp_path: Path) -> None:
    a = bundle(tmp_path, "a")
    b = bundle(tmp_path, "b", units=[("test", "failed")], system="tekton")
    code, out, _ = invoke(cli, "--run-a", a, "--run-b", b)
    assert code == 1
    assert out.startswith("DIVERGENT")
    assert re.search(r"units that differ\n.*\ntest\s+test\s+succeeded\s+failed", out), out
    assert "file differences" not in out


def test_output_file(cli: CliRunner, pair: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "reports" / "compare.html"
    code, out, _ = invoke(cli, "--run-a", pair[0], "--run-b", pair[1], "-f", "html", "-o", target)
    assert code == 0
    assert out == ""
    html = target.read_text(encoding="utf-8")
    assert "equivalent" in html
    assert not list(target.parent.glob(".*tmp*"))


def test_zip_bundles_and_baseline(cli: CliRunner, tmp_path: Path) -> None:
    info = RunInfo(system="github-actions", run_id="1", commit=COMMIT, status="succeeded")
    a = write_bundle(tmp_path / "a.zip", info, {"x.bin": b"1"})
    info2 = info.model_copy(update={"run_id": "2"})
    a2 = write_bundle(tmp_path / "a2.zip", info2, {"x.bin": b"2"})
    info_b = info.model_copy(update={"system": "tekton", "run_id": "ci-1"})
    b = write_bundle(tmp_path / "b.zip", info_b, {"x.bin": b"3"})
    assert zipfile.is_zipfile(a)
    code, out, _ = invoke(cli, "--run-a", a, "--run-b", b, "-f", "json")
    assert code == 1 and json.loads(out)["verdict"] == "divergent"
    code, out, _ = invoke(cli, "--run-a", a, "--run-b", b, "--baseline", a2, "-f", "json")
    doc = json.loads(out)
    assert code == 0, doc
    assert doc["verdict"] == "equivalent"
    assert [d["path"] for d in doc["noise"]] == ["x.bin"]
    assert doc["baseline"]["source"] == str(a2)


def test_config_and_migration_map(cli: CliRunner, tmp_path: Path) -> None:
    a = bundle(tmp_path, "a", {"gh/out.bin": b"x"}, units=[("unit_tests (3.11)", "succeeded")])
    b = bundle(
        tmp_path, "b", {"tk/out.bin": b"x"}, units=[("pytest", "succeeded")], system="tekton"
    )
    config = tmp_path / "compare.yaml"
    config.write_text('renames:\n  "gh/*.bin": "tk/*.bin"\n')
    mmap = tmp_path / "migration-map.json"
    mmap.write_text(json.dumps({"jobs": [{"job": "unit_tests", "pipeline_task": "pytest"}]}))
    code, out, _ = invoke(cli, "--run-a", a, "--run-b", b, "-f", "json")
    assert code == 1 and json.loads(out)["verdict"] == "incomplete"
    code, out, err = invoke(
        cli, "--run-a", a, "--run-b", b, "--config", config, "--migration-map", mmap, "-f", "json"
    )
    assert code == 0, (out, err)


# --------------------------------------------------------------------------------------------
# bad input: exit 2, one positioned line, no traceback


def test_missing_bundle_exit_2(cli: CliRunner, pair: tuple[Path, Path], tmp_path: Path) -> None:
    code, out, err = invoke(cli, "--run-a", tmp_path / "nope", "--run-b", pair[1])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "nope" in err and "error" in err
    assert "Traceback" not in err


def test_bad_run_json_exit_2(cli: CliRunner, pair: tuple[Path, Path]) -> None:
    (pair[1] / "run.json").write_text('{"system": "tekton",\n "run_id": }\n')
    code, _, err = invoke(cli, "--run-a", pair[0], "--run-b", pair[1])
    assert code == 2
    assert f"{pair[1] / 'run.json'}:2:" in err


def test_bad_config_exit_2_positioned(
    cli: CliRunner, pair: tuple[Path, Path], tmp_path: Path
) -> None:
    config = tmp_path / "compare.yaml"
    config.write_text("rules:\n  - glob: '*.bin'\n    handler: magic\n")
    code, out, err = invoke(cli, "--run-a", pair[0], "--run-b", pair[1], "--config", config)
    assert code == 2 and out == ""
    assert err.startswith(f"{config}:3:")
    assert err.count("\n") == 1


def test_bad_migration_map_exit_2(cli: CliRunner, pair: tuple[Path, Path], tmp_path: Path) -> None:
    mmap = tmp_path / "map.json"
    mmap.write_text("[1, 2")
    code, _, err = invoke(cli, "--run-a", pair[0], "--run-b", pair[1], "--migration-map", mmap)
    assert code == 2
    assert err.startswith(f"{mmap}:1:")


def test_record_into_the_ledger(
    cli: CliRunner, pair: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if importlib.util.find_spec("ghtotekton.rollout.ledger") is None:
        pytest.skip("no rollout ledger in this version")
    monkeypatch.chdir(tmp_path)
    assert cli.invoke(app, ["rollout", "init"]).exit_code == 0
    code, out, err = invoke(cli, "--run-a", pair[0], "--run-b", pair[1], "--record", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["verdict"] == "equivalent"
    assert "recorded equivalent" in err
    status = cli.invoke(app, ["rollout", "status", "-f", "json"])
    assert json.loads(status.stdout)["records"] == 1


# --------------------------------------------------------------------------------------------
# reports


def _comparison(diffs: list[Difference], noise: list[Difference] | None = None) -> Comparison:
    run = RunSummary(
        source="a", system="github-actions", run_id="1", commit=COMMIT, status="succeeded"
    )
    return Comparison(
        verdict="divergent" if diffs else "equivalent",
        run_a=run,
        run_b=run.model_copy(update={"system": "tekton", "source": "b"}),
        differences=diffs,
        noise=noise or [],
        units=[
            UnitResult(name="test", status_a="succeeded", status_b="failed", same=False),
        ],
        notes=["the html handler is not part of this version"],
    )


SECRETS = [
    "ghp_" + "A" * 36,
    "github_pat_11ABCDEFG0" + "x" * 40,
    "AKIA" + "ABCDEFGHIJKLMNOP",
    "gho_" + "b1" * 18,
]


def _secret_diffs() -> list[Difference]:
    return [
        Difference(
            handler="text",
            path="logs/env.txt",
            location="line 3",
            kind="content-changed",
            message=f"token leaked: {SECRETS[0]}",
            a=f"TOKEN={SECRETS[1]} and password=hunter22",
            b=f"aws {SECRETS[2]} secret: s3cr3tvalue {SECRETS[3]}",
        )
    ]


def test_redact() -> None:
    for secret in SECRETS:
        assert secret not in redact(f"x {secret} y")
    assert redact("password=hunter22&x=1") == "password=***&x=1"
    assert redact('"api_key": "abc123"') == '"api_key": "***"'
    assert redact("Authorization: Bearer abcdef123456") == "Authorization: Bearer ***"
    assert redact("max_tokens: 12, tokenizer: bert, passed 3") == (
        "max_tokens: 12, tokenizer: bert, passed 3"
    )
    # pytest ids keep their "::" even when a name contains a secret-like word
    assert redact("tests/test_auth.py::TestToken::test_expiry") == (
        "tests/test_auth.py::TestToken::test_expiry"
    )


@pytest.mark.parametrize("render", [render_text, render_markdown, render_json, render_html])
def test_every_format_redacts(render: object) -> None:
    assert callable(render)
    text = render(_comparison(_secret_diffs()))
    for secret in [*SECRETS, "hunter22", "s3cr3tvalue"]:
        assert secret not in text, (render, secret)
    assert "logs/env.txt" in text


def test_markdown_caps_and_collapses() -> None:
    diffs = [
        Difference(
            handler="json",
            path=f"data/f{i:04d}.json",
            location=f"root['k|{i}']",
            kind="value-changed",
            message="changed",
            a="1",
            b="@team <b>2</b>",
        )
        for i in range(MARKDOWN_CAP + 25)
    ]
    md = render_markdown(_comparison(diffs))
    assert "<details>" in md and "</details>" in md
    assert md.count("| data/f") == MARKDOWN_CAP
    assert "and 25 more" in md
    # cell content cannot break the table, inject HTML or mention a team
    assert "root['k&#124;0']" in md
    assert "<b>" not in md and "@team" not in md
    assert len(md) <= MARKDOWN_MAX_CHARS


def test_markdown_respects_comment_size_limit() -> None:
    huge = [
        Difference(
            handler="text",
            path="x" * 150 + str(i),
            kind="content-changed",
            message="m" * 1000,
        )
        for i in range(200)
    ]
    notes = _comparison(huge)
    notes.notes = ["n" * 390 + str(i) for i in range(MARKDOWN_CAP)]
    md = render_markdown(notes)
    assert len(md) <= MARKDOWN_MAX_CHARS


def test_html_is_self_contained_and_side_by_side() -> None:
    diffs = [
        Difference(
            handler="notebook",
            path="nb/train.ipynb",
            location="cell 3 output 0",
            kind="value-beyond-tolerance",
            message="loss 0.25 vs 0.75",
            a="loss: 0.25 <script>alert(1)</script>",
            b="loss: 0.75 <script>alert(1)</script>",
        ),
        Difference(
            handler="junit",
            path="junit.xml",
            location="tests::test_a",
            kind="missing-on-b",
            message="test ran in A only",
            a="pass",
        ),
    ]
    noise = [diffs[0].model_copy(update={"path": "nb/other.ipynb", "noise": True})]
    html = render_html(_comparison(diffs, noise))
    assert "<script>" not in html  # autoescaped
    assert "&lt;script&gt;" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    assert 'class="sbs"' in html and 'class="side a"' in html and 'class="side b"' in html
    assert html.index('id="summary"') < html.index('id="differences"')
    assert 'class="verdict divergent"' in html
    assert "cell 3 output 0" in html and "(absent)" in html
    # the changed numbers are marked on each side, the rest is not
    assert "loss: <mark>0.25</mark> &lt;script&gt;" in html
    assert "loss: <mark>0.75</mark> &lt;script&gt;" in html
    assert "Noise: 1 difference" in html


def test_inline_diff_marks_only_the_change() -> None:
    left, right = inline_diff("acc 0.91 ok", "acc 0.75 ok")
    assert "".join(t for t, _ in left) == "acc 0.91 ok"
    assert [t for t, changed in left if changed] == ["0.91"]
    assert [t for t, changed in right if changed] == ["0.75"]
    # little in common: each side marked whole instead of shredded into letters
    assert inline_diff("succeeded", "failed") == ([("succeeded", True)], [("failed", True)])
    left, right = inline_diff("epoch 2 loss 0.3", "epoch 2 loss 0.9 (nan seen)")
    assert left == [("epoch 2 loss ", False), ("0.3", True)]
    assert right == [("epoch 2 loss ", False), ("0.9 (nan seen)", True)]
    assert inline_diff("same", "same") == ([("same", False)], [("same", False)])
    assert inline_diff(None, "b") == ([("", False)], [("b", True)])


def test_json_report_is_stable(pair: tuple[Path, Path], cli: CliRunner) -> None:
    _, first, _ = invoke(cli, "--run-a", pair[0], "--run-b", pair[1], "-f", "json")
    _, second, _ = invoke(cli, "--run-a", pair[0], "--run-b", pair[1], "-f", "json")
    one, two = json.loads(first), json.loads(second)
    one.pop("durations"), two.pop("durations")
    for doc in (one, two):
        for f in doc["files"]:
            f.pop("duration_s")
    assert one == two
    assert list(one)[:3] == ["schema_version", "generator", "verdict"]


def test_template_ships_in_the_wheel() -> None:
    """hatchling packages everything under ghtotekton/; the template must be a package file."""
    from importlib import resources

    template = resources.files("ghtotekton.compare").joinpath("templates/report.html.j2")
    assert template.is_file()
    text = Path(__file__).resolve().parents[1].joinpath("pyproject.toml").read_text()
    assert 'packages = ["ghtotekton"]' in text


def test_fixture_bundles_with_real_handlers(cli: CliRunner) -> None:
    """The two fixture runs differ in timings only; the real junit and text handlers say so."""
    for name in ("junit", "text"):
        pytest.importorskip(f"ghtotekton.compare.handlers.{name}")
    bundles = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"
    code, out, err = invoke(
        cli,
        "--run-a",
        bundles / "minimal-github",
        "--run-b",
        bundles / "minimal-tekton",
        "-f",
        "json",
    )
    doc = json.loads(out)
    assert code == 0, (doc["differences"], err)
    assert {f["path"]: f["handler"] for f in doc["files"]} == {
        "junit/report.xml": "junit",
        "logs/summary.txt": "text",
    }
    assert doc["units"] == [
        {
            "name": "test",
            "name_b": None,
            "kind_a": "job",
            "kind_b": "task",
            "status_a": "succeeded",
            "status_b": "succeeded",
            "same": True,
            "noise": False,
        }
    ]


def test_notebook_copies_only_the_tekton_side_keeps_are_not_missing(tmp_path: Path) -> None:
    """Executed notebooks the converted pipeline copies for people (artifacts/ghtotekton/) have
    no counterpart on GitHub; the default rules do not call that incomplete."""
    import shutil

    from tests.conftest import FIXTURES

    b = tmp_path / "b"
    shutil.copytree(FIXTURES / "bundles" / "minimal-tekton", b)
    extra = b / "artifacts" / "ghtotekton" / "notebooks" / "analysis.ipynb"
    extra.parent.mkdir(parents=True)
    extra.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    result = CliRunner().invoke(
        app,
        ["compare", "--run-a", str(FIXTURES / "bundles" / "minimal-github"), "--run-b", str(b),
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "equivalent"


@pytest.mark.parametrize("run_json", ["[]", '{"system": "tekton"}'])
def test_a_bad_run_json_points_to_help_every_install_has(tmp_path: Path, run_json: str) -> None:
    """The format is in `compare --help`, not in a design document users do not have."""
    for name in ("a", "b"):
        (tmp_path / name / "artifacts").mkdir(parents=True)
        (tmp_path / name / "run.json").write_text(run_json)
    result = CliRunner().invoke(
        app, ["compare", "--run-a", str(tmp_path / "a"), "--run-b", str(tmp_path / "b")]
    )
    assert result.exit_code == 2
    assert "DESIGN.md" not in result.stderr
    assert "ghtotekton compare --help" in result.stderr
    shown = CliRunner().invoke(app, ["compare", "--help"], env={"COLUMNS": "200"})
    assert "Run bundle" in shown.stdout and '"commit"' in shown.stdout
