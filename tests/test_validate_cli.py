"""`ghtotekton validate` on the command line: output formats, exit codes, stdout kept clean."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from ghtotekton.cli import app

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "tekton-invalid"
GOOD = """apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: hello
spec:
  params:
    - name: who
      default: world
  steps:
    - name: say
      image: alpine
      script: echo hello $(params.who)
"""
BAD = GOOD.replace("$(params.who)", "$(params.whom)")
TEXT_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (error|warning|info): .+ \[tekton/[a-z-]+\]$"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_file_exits_0_with_nothing_on_stdout(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["validate", str(_write(tmp_path, "good.yaml", GOOD))])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "0 errors" in result.stderr


def test_an_error_exits_1_with_a_positioned_line(cli: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", BAD)
    result = cli.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    [line] = result.stdout.splitlines()
    match = TEXT_LINE.match(line)
    assert match, line
    assert (match["file"], match["line"], match["col"]) == (str(path), "12", "26")
    assert line.endswith("[tekton/unknown-param-ref]")
    assert "did you mean `who`?" in line


def test_warnings_alone_exit_0(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["validate", str(CASES / "duplicate-result.yaml")])
    assert result.exit_code == 0
    assert ": warning: " in result.stdout


def test_unreadable_yaml_exits_2_and_the_other_files_are_still_checked(
    cli: CliRunner, tmp_path: Path
) -> None:
    _write(tmp_path, "a-broken.yaml", "key: [unclosed\n")
    _write(tmp_path, "b-bad.yaml", BAD)
    result = cli.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "[tekton/unreadable]" in result.stdout
    assert "[tekton/unknown-param-ref]" in result.stdout
    assert "Traceback" not in result.output


def test_a_missing_path_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stdout


def test_folders_are_searched_for_yaml_only(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub", "bad.yml", BAD)
    _write(tmp_path, "notes.txt", "not yaml: [")
    result = cli.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "in 1 files" in result.stderr


def test_json_is_a_list_of_flat_objects(cli: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", BAD)
    result = cli.invoke(app, ["validate", "--format", "json", str(path)])
    assert result.exit_code == 1
    [item] = json.loads(result.stdout)
    assert set(item) == {"file", "line", "column", "severity", "rule", "message", "hint"}
    assert (item["line"], item["column"], item["rule"]) == (12, 26, "tekton/unknown-param-ref")
    assert item["severity"] == "error"


def test_json_output_is_stable(cli: CliRunner) -> None:
    first = cli.invoke(app, ["validate", "-f", "json", str(CASES)])
    again = cli.invoke(app, ["validate", "-f", "json", str(CASES)])
    assert first.stdout == again.stdout
    items = json.loads(first.stdout)
    keys = [(i["file"], i["line"], i["column"]) for i in items]
    assert keys == sorted(keys)


def test_sarif_is_a_minimal_valid_log(cli: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", BAD)
    result = cli.invoke(app, ["validate", "--format", "sarif", str(path)])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "ghtotekton"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    [res] = run["results"]
    assert res["ruleId"] == "tekton/unknown-param-ref"
    assert rule_ids[res["ruleIndex"]] == res["ruleId"]
    assert res["level"] == "error"
    assert res["message"]["text"]
    physical = res["locations"][0]["physicalLocation"]
    assert physical["region"] == {"startLine": 12, "startColumn": 26}
    assert physical["artifactLocation"]["uri"].endswith("bad.yaml")
    levels = {r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels <= {"error", "warning", "note"}


def test_sarif_uses_note_for_info(cli: CliRunner) -> None:
    result = cli.invoke(app, ["validate", "-f", "sarif", str(CASES / "not-tekton.yaml")])
    assert result.exit_code == 0
    [res] = json.loads(result.stdout)["runs"][0]["results"]
    assert (res["ruleId"], res["level"]) == ("tekton/not-tekton", "note")


def test_an_unknown_format_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    path = _write(tmp_path, "good.yaml", GOOD)
    result = cli.invoke(app, ["validate", "--format", "xml", str(path)])
    assert result.exit_code == 2


def test_a_github_workflow_beside_the_resources_is_skipped_not_an_error(
    cli: CliRunner, tmp_path: Path
) -> None:
    # convert --shadow-compare writes github-actions/ into the output folder
    (tmp_path / "migration-map.json").write_text("{}\n")
    path = _write(tmp_path, "ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n")
    result = cli.invoke(app, ["validate", "-f", "json", str(path)])
    assert result.exit_code == 0, result.stdout
    [diag] = json.loads(result.stdout)
    assert diag["rule"] == "tekton/not-tekton" and "GitHub Actions workflow" in diag["message"]
    # a Kubernetes document without apiVersion is still an error
    bad = _write(tmp_path, "bad.yaml", "kind: Task\nspec: {}\n")
    assert cli.invoke(app, ["validate", str(bad)]).exit_code == 1


def test_a_workflow_given_by_mistake_is_bad_input(cli: CliRunner, tmp_path: Path) -> None:
    """Issue 21: "0 documents, 0 errors", exit 0 looked like success on a workflow file."""
    path = _write(tmp_path, "ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n")
    result = cli.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "a GitHub Actions workflow, not Tekton YAML" in result.stdout
    assert f"ghtotekton convert {path}" in result.stdout
    allowed = cli.invoke(app, ["validate", "--allow-non-tekton", str(path)])
    assert allowed.exit_code == 0 and "skipped" in allowed.stdout


def test_files_without_any_tekton_document_are_bad_input(cli: CliRunner, tmp_path: Path) -> None:
    path = _write(
        tmp_path, "deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\n"
    )
    result = cli.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "no Tekton document" in result.stdout
    assert cli.invoke(app, ["validate", "--allow-non-tekton", str(path)]).exit_code == 0


def test_our_own_kubernetes_kinds_are_checked_not_noted(cli: CliRunner, tmp_path: Path) -> None:
    """RBAC, ConfigMaps and CronJobs convert writes: a misspelt key is an error, not a note."""
    good = _write(
        tmp_path,
        "rbac.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n"
        "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: r\n"
        "subjects:\n  - kind: ServiceAccount\n    name: sa\n",
    )
    result = cli.invoke(app, ["validate", "-f", "json", str(good)])
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert "1 Kubernetes documents" in result.stderr
    bad = _write(
        tmp_path,
        "cron.yaml",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n"
        "  schedule: '0 1 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        "          restartPolicy: Never\n          containers:\n            - name: x\n"
        "              imagee: alpine\n",
    )
    result = cli.invoke(app, ["validate", "-f", "json", str(bad)])
    assert result.exit_code == 1
    [diag] = json.loads(result.stdout)
    assert diag["rule"] == "tekton/schema" and "imagee" in diag["message"] and diag["line"] == 14
