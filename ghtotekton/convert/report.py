"""The migration report: per workflow, job and step, what converted and what needs a person.

Its categories follow GitHub Actions Importer (workflows Successful / Partially successful /
Unsupported / Failed; steps Known / Unknown / Unsupported) so its readers feel at home, and it adds
what a Tekton migration needs: the secrets to create (with the exact command), the runner labels
to map, the actions to review.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ghtotekton.convert.cluster import cluster_requirements, render_cluster
from ghtotekton.convert.findings import Finding, StepOutcome
from ghtotekton.convert.next_steps import render as render_next_steps
from ghtotekton.convert.workflow import WorkflowConversion

WORKFLOW_CLASS = {
    "converted": "successful",
    "partial": "partially successful",
    "manual": "partially successful",
    "unsupported": "unsupported",
}


def step_class(step: StepOutcome) -> str:
    """Known (a rule or the run converter handled it), unknown (no rule), unsupported."""
    if step.status == "unsupported":
        return "unsupported"
    if step.status == "manual" and not step.rule:
        return "unknown"
    return "known"


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "status": f.status,
        "message": f.message,
        "file": f.position.file,
        "line": f.position.line,
        "rule": f.rule,
        "action": f.action,
    }


def build_report(
    conversions: list[WorkflowConversion],
    failed: dict[str, list[str]],
    *,
    triggers: bool = True,
) -> dict[str, Any]:
    """The report as data; ``failed`` maps workflows that did not load to their errors;
    ``triggers``: the output has an EventListener (its webhook Secret is a requirement)."""
    workflows: list[dict[str, Any]] = []
    classes: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    secrets: set[str] = set()
    labels: dict[str, list[str]] = {}
    review: Counter[str] = Counter()
    for conv in conversions:
        cls = WORKFLOW_CLASS[conv.status]
        classes[cls] += 1
        jobs = []
        for job in conv.jobs:
            for step in job.steps:
                steps[step_class(step)] += 1
                if step.uses:
                    actions[step.uses.split("@")[0]] += 1
                    if step_class(step) == "unknown":
                        review[step.uses.split("@")[0]] += 1
            for f in job.findings:
                if f.rule.startswith("runner") and f.message.startswith("runner labels ["):
                    labels.setdefault(f.message.split("[")[1].split("]")[0], []).append(
                        f"{f.position.file}:{f.position.line}"
                    )
            jobs.append(
                {
                    "id": job.job_id,
                    "file": job.position.file,
                    "line": job.position.line,
                    "status": job.status,
                    "pipeline_task": job.pipeline_task,
                    "task": job.task,
                    "runner_rule": job.runner_rule,
                    "steps": [
                        {
                            "index": s.index,
                            "label": s.label,
                            "line": s.position.line,
                            "status": s.status,
                            "class": step_class(s),
                            "rule": s.rule,
                            "reason": s.reason,
                            "uses": s.uses,
                            "tekton_step": s.tekton_step,
                        }
                        for s in job.steps
                    ],
                    "findings": [_finding(f) for f in job.findings],
                }
            )
        secrets |= conv.secrets
        workflows.append(
            {
                "file": conv.display,
                "pipeline": conv.name if conv.pipeline else None,
                "status": conv.status,
                "class": cls,
                "jobs": jobs,
                "findings": [_finding(f) for f in conv.findings],
            }
        )
    for display, errors in sorted(failed.items()):
        classes["failed"] += 1
        workflows.append(
            {
                "file": display,
                "pipeline": None,
                "status": "failed",
                "class": "failed",
                "errors": errors,
                "jobs": [],
                "findings": [],
            }
        )
    total = sum(classes.values()) or 1
    total_steps = sum(steps.values()) or 1
    return {
        "summary": {
            "workflows": sum(classes.values()),
            "workflow_classes": {
                k: {"count": classes[k], "percent": round(100 * classes[k] / total, 1)}
                for k in ("successful", "partially successful", "unsupported", "failed")
            },
            "steps": sum(steps.values()),
            "step_classes": {
                k: {"count": steps[k], "percent": round(100 * steps[k] / total_steps, 1)}
                for k in ("known", "unknown", "unsupported")
            },
        },
        "actions": dict(sorted(actions.items(), key=lambda kv: (-kv[1], kv[0]))),
        "manual_tasks": {
            "secrets": [
                {
                    "name": s,
                    "command": "kubectl create secret generic github-secrets "
                    f"--from-literal={s}=... (add every key to the one secret)",
                }
                for s in sorted(secrets)
            ],
            "runner_labels": [{"labels": k, "used_at": v} for k, v in sorted(labels.items())],
            "actions_to_review": [{"action": k, "uses": n} for k, n in review.most_common()],
        },
        "cluster_requirements": cluster_requirements(conversions, secrets, triggers=triggers),
        "workflows": workflows,
    }


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def render_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    out = ["# Migration report", ""]
    out.append(f"{s['workflows']} workflow(s), {s['steps']} step(s).")
    out += ["", "| workflows | count | % |", "|---|---:|---:|"]
    for name, v in s["workflow_classes"].items():
        out.append(f"| {name} | {v['count']} | {v['percent']} |")
    out += ["", "| steps | count | % |", "|---|---:|---:|"]
    for name, v in s["step_classes"].items():
        out.append(f"| {name} | {v['count']} | {v['percent']} |")
    manual = report["manual_tasks"]
    out += ["", "## Manual tasks", ""]
    if manual["secrets"]:
        out.append("Secrets to create (one Secret `github-secrets`, one key per GitHub secret):")
        out.append("")
        keys = " ".join(f"--from-literal={x['name']}=..." for x in manual["secrets"])
        out.append(f"```sh\nkubectl create secret generic github-secrets {keys}\n```")
        out.append("")
    for item in manual["runner_labels"]:
        out.append(
            f"- Map runner labels `[{item['labels']}]` to a node pool in a `match.runner` rule "
            f"(used at {', '.join(item['used_at'])})."
        )
    for item in manual["actions_to_review"]:
        out.append(f"- Review action `{item['action']}` ({item['uses']} use(s)): no rule knows it.")
    if not any(manual.values()):
        out.append("None.")
    if report.get("cluster_requirements"):
        out += ["", *render_cluster(report["cluster_requirements"])]
    if report["actions"]:
        out += ["", "## Actions", "", "| action | uses |", "|---|---:|"]
        out.extend(f"| `{k}` | {v} |" for k, v in report["actions"].items())
    for wf in report["workflows"]:
        out += ["", f"## `{wf['file']}`: {wf['class']}", ""]
        for err in wf.get("errors", []):
            out.append(f"- error: `{err}`")
        for f in wf["findings"]:
            action = f" **Do:** {f['action']}" if f["action"] else ""
            out.append(f"- {f['status']}: {_sentence(f['message'])}{action}")
        for job in wf["jobs"]:
            out.append(
                f"### job `{job['id']}` ({job['file']}:{job['line']}) -> task "
                f"`{job['task'] or '-'}`: {job['status']}"
            )
            out.append("")
            out.append("| # | step | status | rule | note |")
            out.append("|---:|---|---|---|---|")
            for st in job["steps"]:
                # whole: a finding cut off with "..." hides what the reader must do
                note = st["reason"].replace("|", "\\|").replace("\n", " ")
                label = st["label"].replace("|", "\\|")
                out.append(
                    f"| {st['index'] + 1} | {label} (line {st['line']}) | {st['status']} | "
                    f"{st['rule'] or '-'} | {note} |"
                )
            for f in job["findings"]:
                action = (
                    f" **Do:** {f['action']}" if f["action"] and f["action"] != f["message"] else ""
                )
                out.append(f"- {f['status']} (line {f['line']}): {_sentence(f['message'])}{action}")
            out.append("")
    if "next_steps" in report:
        out += ["", *render_next_steps(report["next_steps"])]
    return "\n".join(out).rstrip() + "\n"


def _held(job: Any) -> dict[str, str]:
    """``held``: why the job's task waits for a person on Tekton (an environment's approval),
    so ``compare`` does not count its absence from a run against the migration."""
    reasons = [f.message for f in job.findings if f.rule == "environment"]
    return {"held": reasons[0]} if reasons else {}


def migration_map(conversions: list[WorkflowConversion], options: dict[str, Any]) -> dict[str, Any]:
    """Source job/step and file:line -> Tekton pipeline task/step; ``compare`` pairs with it."""
    entries = []
    for conv in conversions:
        for job in conv.jobs:
            entries.append(
                {
                    "workflow": conv.display,
                    "pipeline": conv.name if conv.pipeline else None,
                    "job": job.job_id,
                    "source": f"{job.position.file}:{job.position.line}",
                    "pipeline_task": job.pipeline_task,
                    "task": job.task,
                    **_held(job),
                    "steps": [
                        {
                            "index": s.index,
                            "label": s.label,
                            "source": f"{s.position.file}:{s.position.line}",
                            "tekton_step": s.tekton_step,
                            "status": s.status,
                        }
                        for s in job.steps
                    ],
                }
            )
    return {"generator": "ghtotekton", "options": options, "jobs": entries}
