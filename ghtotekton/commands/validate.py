"""`ghtotekton validate FILE|DIR...`: Tekton's schema and webhook rules on any Tekton YAML.

Findings go to stdout in the chosen format (text lines, a JSON list, or SARIF); the one-line
summary goes to stderr so machine output stays clean. Exit 0 when nothing is an error, 1 when
something is, 2 when a file could not be read as YAML (the other files are still checked, so one
broken file does not hide the rest) or the input is not Tekton at all: a GitHub Actions workflow
given by mistake, or files without a single Tekton or Kubernetes document. "0 documents, 0
errors" with exit 0 would look like success; ``--allow-non-tekton`` skips such files instead.
The workflows ``convert --shadow-compare`` writes inside its output folder are part of that
output and only noted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ghtotekton.errors import Diagnostic, ExitCode, Position
from ghtotekton.tekton.emit import OWN_MARKER
from ghtotekton.tekton.sarif import to_sarif
from ghtotekton.tekton.validate import RULES, ClusterSettings, Report, order_key, validate_paths
from ghtotekton.tekton.validate_runtime import read_cluster_settings


def run(
    *,
    paths: list[Path],
    format: str = "text",
    coschedule: str | None = None,
    flags: Path | None = None,
    allow_non_tekton: bool = False,
) -> int:
    if flags is not None:
        settings = read_cluster_settings(flags, coschedule)
    else:
        settings = ClusterSettings(coschedule=coschedule or "workspaces")
    report = validate_paths(paths, settings)
    if not allow_non_tekton:
        refused = _not_tekton(report)
        files = {d.position.file for d in refused}
        report.bad_input.extend(refused)
        report.diagnostics = [
            d
            for d in report.diagnostics
            if not (d.rule == "tekton/not-tekton" and d.position.file in files)
        ]
    findings = sorted([*report.bad_input, *report.diagnostics], key=order_key)
    out = sys.stdout
    if format == "json":
        json.dump([as_json(d) for d in findings], out, indent=2, sort_keys=True)
        out.write("\n")
    elif format == "sarif":
        rules = {rid: (rule.severity, rule.summary) for rid, rule in RULES.items()}
        json.dump(to_sarif(findings, rules, Path.cwd()), out, indent=2)
        out.write("\n")
    else:
        for diag in findings:
            out.write(diag.format() + "\n")
    sys.stderr.write(summary(report) + "\n")
    if report.bad_input:
        return int(ExitCode.BAD_INPUT)
    return int(ExitCode.FOUND) if report.count("error") else int(ExitCode.OK)


def _inside_output(display: str) -> bool:
    """Under a folder ghtotekton wrote (it holds migration-map.json): our own workflows."""
    path = Path(display).resolve()
    return any((parent / OWN_MARKER).is_file() for parent in path.parents)


def _not_tekton(report: Report) -> list[Diagnostic]:
    """Bad input: the files are not what validate reads, said per file with what to run."""
    out = [
        Diagnostic(
            Position(file),
            "a GitHub Actions workflow, not Tekton YAML",
            f"`ghtotekton convert {file}` writes its Tekton resources; validate those, or pass "
            "--allow-non-tekton to skip it",
            rule="tekton/not-tekton",
        )
        for file in report.workflows
        if not _inside_output(file)
    ]
    unreadable = {d.position.file for d in report.bad_input}
    readable = report.files - len(unreadable | set(report.workflows))
    nothing_said = report.count("error") == 0  # errors already tell the user what is wrong
    if not out and nothing_said and readable > 0 and report.checked + report.kube_checked == 0:
        out.append(
            Diagnostic(
                Position(", ".join(sorted({str(p) for p in report.inputs}))),
                f"no Tekton document (nor a Kubernetes kind convert writes) in "
                f"{report.files} file(s)",
                "give the folder `ghtotekton convert` wrote (tekton/ by default), or pass "
                "--allow-non-tekton",
                rule="tekton/not-tekton",
            )
        )
    return out


def as_json(diag: Diagnostic) -> dict[str, Any]:
    """One finding as a flat object; keys are stable, so scripts can rely on them."""
    return {
        "file": diag.position.file,
        "line": diag.position.line,
        "column": diag.position.col,
        "severity": diag.severity,
        "rule": diag.rule or "tekton/input",
        "message": diag.message,
        "hint": diag.hint,
    }


def summary(report: Report) -> str:
    unreadable = f", {len(report.bad_input)} unreadable" if report.bad_input else ""
    kube = f" and {report.kube_checked} Kubernetes" if report.kube_checked else ""
    return (
        f"validated {report.checked} Tekton{kube} documents in {report.files} files{unreadable}: "
        f"{report.count('error')} errors, {report.count('warning')} warnings, "
        f"{report.count('info')} notes ({report.seconds:.2f}s)"
    )
