"""Issue 21: a gate that checks its evidence before it believes the files.

Each test hands ``compare`` runs that must not be judged against each other (a Tekton baseline,
runs of two commits, one run twice, a run without a commit) and checks the verdict is
INCOMPLETE with the reason first, the exit code is 2, and ``--record`` leaves the ledger empty.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ghtotekton.cli import app
from ghtotekton.compare.bundle import RunInfo, write_bundle
from ghtotekton.errors import InputError
from ghtotekton.rollout.ledger import parse_document

COMMIT = "3f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39"
OTHER = "0123456789abcdef0123456789abcdef01234567"
PASS = b"<testsuite name='u' tests='1'><testcase name='t'/></testsuite>\n"
FAIL = (
    b"<testsuite name='u' tests='1' failures='1'><testcase name='t'>"
    b"<failure message='boom'/></testcase></testsuite>\n"
)


def run(
    root: Path,
    name: str,
    *,
    system: str = "github-actions",
    commit: str = COMMIT,
    junit: bytes = PASS,
    status: str = "succeeded",
    run_id: str | None = None,
) -> Path:
    kind = "job" if system == "github-actions" else "task"
    info = RunInfo.model_validate(
        {
            "system": system,
            "run_id": run_id or f"{name}-7",
            "commit": commit,
            "status": status,
            "units": [{"name": "test", "kind": kind, "status": status}],
        }
    )
    return write_bundle(root / name, info, {"junit/report.xml": junit})


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["compare", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ledger_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["rollout", "init"]).exit_code == 0
    return tmp_path


def records() -> int:
    status = CliRunner().invoke(app, ["rollout", "status", "-f", "json"])
    return int(json.loads(status.stdout)["records"])


def test_tekton_run_as_its_own_baseline_is_not_noise(tmp_path: Path, ledger_dir: Path) -> None:
    """The issue's case: --baseline is the failing Tekton run; it once said EQUIVALENT, exit 0."""
    gh = run(tmp_path, "gh")
    tk = run(tmp_path, "tk", system="tekton", junit=FAIL, status="failed")
    code, out, err = invoke(
        "--run-a", gh, "--run-b", tk, "--baseline", tk, "-f", "json", "--record"
    )
    doc = json.loads(out)
    assert code == 2, err
    assert doc["verdict"] == "incomplete"
    assert any("baseline ran on tekton" in e for e in doc["evidence"])
    assert any("baseline is run B" in e for e in doc["evidence"])
    # the failure still shows, and counts: nothing was excused as noise
    assert doc["noise"] == [] and doc["summary"]["differences"] > 0
    assert "--record refused" in err
    assert records() == 0


def test_baseline_of_another_commit(tmp_path: Path) -> None:
    gh = run(tmp_path, "gh")
    gh2 = run(tmp_path, "gh2", commit=OTHER)
    tk = run(tmp_path, "tk", system="tekton")
    code, out, _ = invoke("--run-a", gh, "--run-b", tk, "--baseline", gh2)
    assert code == 2
    first = out.splitlines()[0]
    assert first.startswith("INCOMPLETE the runs cannot be judged: the baseline built commit")


def test_runs_of_two_commits_with_equal_files(tmp_path: Path, ledger_dir: Path) -> None:
    gh = run(tmp_path, "gh")
    tk = run(tmp_path, "tk", system="tekton", commit=OTHER)
    code, out, err = invoke("--run-a", gh, "--run-b", tk, "-f", "markdown", "--record")
    assert code == 2
    assert "**incomplete**" in out
    assert "run A built commit 3f1c2a9e8b7d, run B 0123456789ab" in out
    assert "Compared anyway: 0 difference(s)" in out
    assert "error: run A built commit" in err
    assert records() == 0


def test_one_run_given_twice(tmp_path: Path) -> None:
    gh = run(tmp_path, "gh")
    code, out, _ = invoke("--run-a", gh, "--run-b", gh, "-f", "json")
    assert code == 2
    assert json.loads(out)["evidence"][0].startswith("run B is run A")


def test_a_run_without_commit(tmp_path: Path) -> None:
    gh = run(tmp_path, "gh")
    tk = run(tmp_path, "tk", system="tekton", commit="")
    code, out, _ = invoke("--run-a", gh, "--run-b", tk, "-f", "json")
    assert code == 2
    assert json.loads(out)["evidence"] == [
        "run B names no commit in run.json: the runs cannot be matched"
    ]


def test_a_proper_baseline_still_turns_flakes_into_noise(tmp_path: Path, ledger_dir: Path) -> None:
    """The rule must not refuse the good case: a second GitHub run of the same (abbreviated) SHA."""
    gh = run(tmp_path, "gh", junit=FAIL, status="failed")
    gh2 = run(tmp_path, "gh2", commit=COMMIT[:7])
    tk = run(tmp_path, "tk", system="tekton")
    code, out, err = invoke(
        "--run-a", gh, "--run-b", tk, "--baseline", gh2, "-f", "json", "--record"
    )
    doc = json.loads(out)
    assert code == 0, (doc["evidence"], err)
    assert doc["verdict"] == "equivalent" and doc["evidence"] == [] and doc["noise"]
    assert records() == 1


def _document(**changes: object) -> dict[str, object]:
    run_a = {"system": "github-actions", "run_id": "1", "commit": COMMIT, "source": "a"}
    run_b = {"system": "tekton", "run_id": "pr-1", "commit": COMMIT, "source": "b"}
    doc: dict[str, object] = {
        "schema_version": 1,
        "verdict": "equivalent",
        "summary": {"differences": 0, "noise": 0, "missing": 0, "commit": COMMIT},
        "run_a": run_a,
        "run_b": run_b,
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"evidence": ["run B is run A"]}, "run B is run A"),
        (
            {"run_b": {"system": "github-actions", "run_id": "2", "commit": COMMIT}},
            "both runs are github-actions runs",
        ),
        (
            {"baseline": {"system": "tekton", "run_id": "pr-1", "commit": COMMIT}},
            "the baseline ran on tekton",
        ),
        (
            {"baseline": {"system": "github-actions", "run_id": "3", "commit": OTHER}},
            "the baseline built commit 0123456789ab",
        ),
    ],
)
def test_the_ledger_refuses_edited_documents(changes: dict[str, object], reason: str) -> None:
    """A document written by hand (or an older compare) cannot slip past the gate either."""
    from ghtotekton.compare.report import SCHEMA_VERSION

    doc = _document(schema_version=SCHEMA_VERSION, **changes)
    with pytest.raises(InputError) as err:
        parse_document(doc, "report.json")
    assert reason in str(err.value)
    assert parse_document(_document(schema_version=SCHEMA_VERSION), "ok.json").commit == COMMIT
