"""A rollout end to end: 300 commits, gates, refusals, a forced promotion, an automatic abort.

At every phase the commits Tekton owns are checked three ways on every commit: the CEL filters
of the generated EventListener (evaluated by celpy, a real CEL implementation), the GitHub-side
expression that `rollout status` prints (evaluated by our GitHub expression evaluator), and the
bucket arithmetic. They must agree commit by commit.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import celpy
import pytest
from celpy import celtypes as ct

from ghtotekton.commands import rollout as cmd
from ghtotekton.convert import bucket
from ghtotekton.errors import UsageError
from ghtotekton.github.expressions import evaluate, parse
from ghtotekton.github.loader import load_workflow_text
from ghtotekton.rollout import ledger as lg
from ghtotekton.rollout.plan import Gate, Phase, Plan, load_plan, render_plan
from ghtotekton.yamlsource import load_yaml_bytes
from tests.test_rollout_ledger import compare_doc

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
STEP = timedelta(minutes=10)

WORKFLOW = """\
# The project's CI.
name: CI
on:
  push:
    branches: [main]  # only main
  pull_request:
  workflow_dispatch:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: make test  # the whole suite
"""

GATES = [
    Gate(min_compared=5, max_divergence_rate=0.2, failure_limit=3, min_time="2h"),
    Gate(min_compared=40, max_divergence_rate=0.05, failure_limit=3, min_time="6h"),
    Gate(min_compared=10, max_divergence_rate=0.05, failure_limit=2, min_time="0"),
]


def at(i: int) -> datetime:
    return T0 + STEP * (i + 1)


# --- the two independent views of ownership ----------------------------------------------------

_ENV = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}


def _cel(expr: str, body: dict[str, Any]) -> bool:
    program = _PROGRAMS.get(expr)
    if program is None:
        program = _PROGRAMS[expr] = _ENV.program(_ENV.compile(expr))
    result = program.evaluate({"body": celpy.json_to_cel(body)})  # type: ignore[attr-defined]
    assert isinstance(result, ct.BoolType), (expr, result)
    return bool(result)


def listener_filters(tekton: Path) -> dict[str, str]:
    """event type -> CEL filter, from the generated trigger files."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "interceptors" in node:
                events: list[str] = []
                cel = None
                for icp in node["interceptors"]:
                    for param in icp.get("params", []):
                        if param["name"] == "eventTypes":
                            events = list(param["value"])
                        if param["name"] == "filter":
                            cel = param["value"]
                for event in events:
                    assert event not in found, f"two triggers for {event}"
                    found[event] = cel or "true"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((tekton / "triggers").glob("*.yaml")):
        text = path.read_text()
        for part in text.split("\n---\n"):
            walk(load_yaml_bytes(part, str(path)).data)
    return found


def push_body(sha: str) -> dict[str, Any]:
    return {"ref": "refs/heads/main", "after": sha, "before": "0" * 40, "deleted": False}


def pr_body(sha: str) -> dict[str, Any]:
    repo = {"full_name": "acme/app"}
    return {
        "action": "synchronize",
        "pull_request": {"head": {"sha": sha, "repo": repo}},
        "repository": repo,
    }


class Rollout:
    """One repository going through the rollout, with the clock in the test's hands."""

    def __init__(self, root: Path, shas: list[str]) -> None:
        self.root = root
        self.plan = root / "rollout.yaml"
        self.shas = shas
        self.workflow = root / ".github" / "workflows" / "ci.yml"
        self.records = 0

    def status(self, i: int) -> dict[str, Any]:
        return cmd.status_document(load_plan(self.plan), None, 60, at(i))

    def record(self, i: int, verdict: str) -> int:
        sha = self.shas[i]
        report = self.root / "reports" / f"{sha}.json"
        report.parent.mkdir(exist_ok=True)
        report.write_text(json.dumps(compare_doc(sha, verdict, run=str(i))))
        self.records += 1
        return cmd.record(plan=self.plan, compare_json=report, now=at(i))

    def promote(self, i: int, **kw: Any) -> int:
        return cmd.promote(plan=self.plan, actor="alice", now=at(i) + timedelta(minutes=1), **kw)

    def check_ownership(self, share: int, i: int) -> set[str]:
        """Every commit: CEL filters == GitHub expression == bucket; returns Tekton's commits."""
        doc = self.status(i)
        assert doc["share"] == share
        assert doc["files"]["tekton_share"] == share and doc["files"]["in_sync"] is True
        mmap = json.loads((self.root / "tekton" / "migration-map.json").read_text())
        assert mmap["options"]["tekton_share"] == share
        filters = listener_filters(self.root / "tekton")
        assert {"push", "pull_request"} <= set(filters)
        github = parse(doc["ownership"]["github"])
        owned: set[str] = set()
        for sha in self.shas:
            expected = bucket.tekton_owns(sha, share)
            assert _cel(filters["push"], push_body(sha)) is expected, (share, sha)
            assert _cel(filters["pull_request"], pr_body(sha)) is expected, (share, sha)
            assert bool(evaluate(github, {"github": {"sha": sha}})) is expected, (share, sha)
            if expected:
                owned.add(sha)
        # Same share twice, e.g. after an abort: the same commits, so a commit keeps its system.
        return owned


@pytest.fixture
def rollout(tmp_path: Path) -> Rollout:
    root = tmp_path / "app"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    plan = Plan(phases=[Phase(share=s, gate=g) for s, g in zip((10, 50, 100), GATES, strict=True)])
    (root / "rollout.yaml").write_text(render_plan(plan))
    rng = random.Random(20250303)
    shas = [f"{rng.getrandbits(160):040x}" for _ in range(300)]
    assert len(set(shas)) == 300
    return Rollout(root, shas)


@pytest.mark.slow
def test_300_commits_through_the_rollout(
    rollout: Rollout, capsys: pytest.CaptureFixture[str]
) -> None:
    r = rollout
    shas = r.shas
    owns = bucket.tekton_owns
    db = load_plan(r.plan).ledger_path

    # Phase 0: nothing recorded yet, and starting needs no gate.
    assert r.status(-1)["phase"] == 0
    assert r.promote(-1) == 0
    assert r.workflow.read_text() == WORKFLOW  # shadow phase: GitHub runs everything
    at_10 = r.check_ownership(10, 0)

    # Phase 1 (10%): Tekton's commits are compared; one diverges (within the 20% rate).
    owned_1 = [i for i in range(100) if owns(shas[i], 10)]
    assert len(owned_1) >= 6, "the seed must give phase 1 enough commits"
    refused = 0
    for n, i in enumerate(owned_1):
        assert r.record(i, "divergent" if n == 1 else "equivalent") == 0
        if n == 0:
            capsys.readouterr()
            assert r.promote(i) == 1  # one commit, minutes in: the gate does not hold
            refused += 1
            out = capsys.readouterr().out
            assert "refused" in out and "compared commits: 1 (needs >= 5)" in out
    assert refused == 1 and r.status(99)["phase"] == 1
    gate = r.status(99)["gate"]
    assert gate["holds"] and gate["compared"] == len(owned_1) and gate["divergent"] == 1
    assert gate["divergence_rate"] == pytest.approx(1 / len(owned_1))
    assert r.promote(99) == 0

    # Phase 2 (50%): 30 commits in, the gate (40 commits, 6 hours) is not reached yet.
    at_50 = r.check_ownership(50, 100)
    assert at_10 < at_50  # a commit Tekton had at 10% stays Tekton's at 50%
    owned_2 = [i for i in range(100, 130) if owns(shas[i], 50)]
    for i in owned_2:
        assert r.record(i, "equivalent") == 0
    assert r.promote(129) == 1
    with pytest.raises(UsageError):
        r.promote(129, force=True)  # forcing needs a reason
    capsys.readouterr()
    assert r.promote(129, force=True, reason="release freeze; CI council agreed") == 0
    assert "FORCED" in capsys.readouterr().out

    # Phase 3 (100%): every commit is Tekton's; the workflow keeps only its manual trigger.
    assert r.check_ownership(100, 130) == set(shas)
    handed = r.workflow.read_text()
    assert load_workflow_text(handed, ".github/workflows/ci.yml").events() == ["workflow_dispatch"]
    assert "# only main" in handed and "# the whole suite" in handed
    assert r.status(130)["files"]["handed_over"] == [".github/workflows/ci.yml"]

    # Two divergences hit the failure limit of 2: the phase aborts by itself.
    word = {"E": "equivalent", "D": "divergent"}
    codes = [r.record(i, word[v]) for i, v in zip(range(130, 138), "EEEEEDED", strict=True)]
    assert codes == [0, 0, 0, 0, 0, 0, 0, 1]
    after = r.status(137)
    assert after["phase"] == 2 and after["last_change"]["kind"] == "auto-abort"
    assert after["last_change"]["actor"] == lg.AUTO_ACTOR
    assert after["files"]["in_sync"] is False  # the ledger moved; the files wait for a PR
    assert r.workflow.read_text() == handed
    assert cmd.abort(plan=r.plan, reason="follow the automatic abort", sync=True, now=at(137)) == 0
    assert r.workflow.read_bytes() == WORKFLOW.encode()  # triggers back, byte for byte
    assert r.check_ownership(50, 137) == at_50

    # Phase 2 again, counting afresh: the gate holds exactly when 40 commits are compared
    # and 6 hours have passed since the abort; one divergence (1/40 = 2.5%) is within 5%.
    aborted_at = at(137)
    compared = 0
    reached = None
    for i in range(138, 300):
        if not owns(shas[i], 50):
            continue
        compared += 1
        assert r.record(i, "divergent" if compared == 3 else "equivalent") == 0
        expected = compared >= 40 and at(i) - aborted_at >= timedelta(hours=6)
        holds = r.status(i)["gate"]["holds"]
        assert holds is expected, (i, compared)
        if holds and reached is None:
            reached = i
        if compared == 20:
            assert r.promote(i) == 1  # still refused
    assert reached is not None and compared >= 40
    assert r.promote(299) == 0
    assert r.check_ownership(100, 299) == set(shas)

    # A report recorded twice lands once.
    assert r.record(299, "equivalent") == 0  # commit 299 in phase 3: new evidence
    assert r.record(299, "equivalent") == 0  # same document again: a duplicate
    with lg.Ledger.open(db) as ledger:
        changes = ledger.changes()
        assert ledger.count() == r.records - 1
    assert [(c.kind, c.forced, c.to_share) for c in changes] == [
        ("promote", False, 10),
        ("promote", False, 50),
        ("promote", True, 100),
        ("auto-abort", False, 50),
        ("promote", False, 100),
    ]
    assert changes[2].actor == "alice" and changes[2].reason == "release freeze; CI council agreed"
    assert changes[2].gate["holds"] is False  # the evidence it overrode is logged with it


def test_status_formats(rollout: Rollout, capsys: pytest.CaptureFixture[str]) -> None:
    r = rollout
    assert r.promote(-1) == 0
    owned = [i for i in range(300) if bucket.tekton_owns(r.shas[i], 10)][:4]
    for n, i in enumerate(owned):
        r.record(i, "divergent" if n == 2 else "equivalent")
    bad = r.shas[owned[2]]
    capsys.readouterr()
    cmd.status(plan=r.plan, format="json", now=at(owned[-1]))
    doc = json.loads(capsys.readouterr().out)
    assert doc["phase"] == 1 and doc["gate"]["compared"] == 4 and doc["gate"]["divergent"] == 1
    assert [d["commit"] for d in doc["diverged"]] == [bad]
    assert doc["diverged"][0]["link"].endswith(f"reports/{bad}.json")
    assert [v["verdict"] for v in doc["recent"]] == [
        "equivalent",
        "equivalent",
        "divergent",
        "equivalent",
    ]
    cmd.status(plan=r.plan, format="markdown", now=at(owned[-1]))
    md = capsys.readouterr().out
    assert "| ❌ | compared commits | 4 | >= 5 |" in md
    assert "🟩🟩🟥🟩" in md and f"`{bad[:12]}`" in md
    cmd.status(plan=r.plan, format="text", now=at(owned[-1]))
    text = capsys.readouterr().out
    assert "phase 1/3: Tekton runs 10% of commits; next 50%" in text
    assert "✓✓✗✓" in text and bad[:12] in text and "equivalence 75.0%" in text
    cmd.status(plan=r.plan, format="csv", now=at(owned[-1]))
    assert capsys.readouterr().out.count("\n") == 5


def test_abort_steps_back_one_phase_and_logs_why(rollout: Rollout) -> None:
    r = rollout
    with pytest.raises(UsageError):
        cmd.abort(plan=r.plan, reason="nothing started", now=at(0))
    assert r.promote(0, force=True, reason="go") == 0
    assert r.promote(1, force=True, reason="go") == 0
    assert cmd.abort(plan=r.plan, reason="flaky GPU nodes", actor="bob", now=at(2)) == 0
    doc = r.status(3)
    assert doc["phase"] == 1 and doc["last_change"]["reason"] == "flaky GPU nodes"
    assert doc["last_change"]["actor"] == "bob" and doc["last_change"]["kind"] == "abort"
    r.check_ownership(10, 3)


def test_the_cli_wires_every_option(rollout: Rollout, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ghtotekton.cli import app

    cli = CliRunner()
    r = rollout
    db = tmp_path / "shared-volume" / "ledger.db"
    out_dir = tmp_path / "elsewhere" / "tekton"
    common = ["--plan", str(r.plan), "--db", str(db)]
    done = cli.invoke(
        app, ["rollout", "promote", *common, "--actor", "dana", "--tekton", str(out_dir)]
    )
    assert done.exit_code == 0, done.output
    assert (out_dir / "migration-map.json").is_file() and not (r.root / "tekton").exists()
    report = tmp_path / "cmp.json"
    sha = next(s for s in r.shas if bucket.tekton_owns(s, 10))
    report.write_text(json.dumps(compare_doc(sha, "divergent")))
    done = cli.invoke(app, ["rollout", "record", str(report), *common])
    assert done.exit_code == 0 and "divergent" in done.stdout and not done.stderr
    stray = tmp_path / "stray.json"
    other = next(s for s in r.shas if not bucket.tekton_owns(s, 10))
    stray.write_text(json.dumps(compare_doc(other)))
    done = cli.invoke(app, ["rollout", "record", str(stray), *common])
    assert done.exit_code == 0 and "not in Tekton's 10%" in done.stderr
    status = cli.invoke(app, ["rollout", "status", *common, "-f", "json", "--limit", "5"])
    doc = json.loads(status.stdout)
    assert doc["ledger"] == str(db) and doc["last_change"]["actor"] == "dana"
    assert doc["diverged"][0]["commit"] == sha
    assert not (r.root / ".ghtotekton").exists()  # everything went to --db
    refused = cli.invoke(app, ["rollout", "promote", *common])
    assert refused.exit_code == 1 and "refused" in refused.stdout
    back = cli.invoke(
        app, ["rollout", "abort", *common, "--reason", "test", "--tekton", str(out_dir)]
    )
    assert back.exit_code == 0, back.output
    assert json.loads((out_dir / "migration-map.json").read_text())["options"]["tekton_share"] == 0


def test_bad_plan_is_exit_2_with_a_position(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ghtotekton.cli import app

    plan = tmp_path / "rollout.yaml"
    plan.write_text("phases:\n  - share: 10\n    gate: {min_compared: 1, failure_limit: 2}\n")
    result = CliRunner().invoke(app, ["rollout", "status", "--plan", str(plan)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{plan}:3:11: error: ")
    assert "max_divergence_rate" in result.stderr and "Traceback" not in result.stderr


NOTEBOOK_WORKFLOW = """\
name: Notebooks
on: [push, pull_request]
jobs:
  run:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - run: papermill demo.ipynb out/demo.ipynb   # the executed notebook
"""


def test_promote_applies_the_github_side_of_the_shadow_comparison(
    rollout: Rollout, capsys: pytest.CaptureFixture[str]
) -> None:
    """A repository converted with --shadow-compare: each phase's files keep the workflows'
    bundle steps (applied in place and kept in tekton/github-actions/), also at 100%."""
    r = rollout
    r.workflow.write_text(NOTEBOOK_WORKFLOW)
    tekton = r.root / "tekton"
    tekton.mkdir()
    (tekton / "migration-map.json").write_text(json.dumps({"options": {"shadow_compare": True}}))
    assert r.promote(0, force=True, reason="go") == 0
    text = r.workflow.read_text()
    assert text.startswith(NOTEBOOK_WORKFLOW.rstrip("\n"))  # only lines added after the steps
    assert '"out/demo.ipynb"' in text and "ghtotekton-bundle-upload" in text
    assert (tekton / "github-actions" / ".github" / "workflows" / "ci.yml").read_text() == text
    from ghtotekton.commands.check import run as check_run

    checked = check_run(workflows=r.root / ".github" / "workflows", tekton=tekton)
    assert checked == 0, capsys.readouterr()  # the resources name the patched workflow's lines
    assert "jobs upload their run bundle" in capsys.readouterr().out
    assert r.promote(1, force=True, reason="go") == 0
    assert r.workflow.read_text() == text  # unchanged: nothing to report
    assert "jobs upload their run bundle" not in capsys.readouterr().out
    assert r.promote(2, force=True, reason="go") == 0  # 100%: the backup keeps its steps
    final = r.workflow.read_text()
    assert "ghtotekton-bundle-upload" in final and "workflow_dispatch" in final
    assert load_workflow_text(final, "ci.yml").events() == ["workflow_dispatch"]
    checked = check_run(workflows=r.root / ".github" / "workflows", tekton=r.root / "tekton")
    assert checked == 0, capsys.readouterr().out
