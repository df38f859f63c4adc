"""Repositories in, files out: the conversion as ``convert``, ``audit`` and ``check`` share it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtotekton.convert.batch import Batch, convert_repositories
from ghtotekton.convert.github_bundle import github_side
from ghtotekton.convert.next_steps import next_steps
from ghtotekton.convert.pac import render_pac  # Pipelines-as-Code (issue 5)
from ghtotekton.convert.report import build_report, migration_map, render_markdown
from ghtotekton.convert.rules import RuleSet
from ghtotekton.convert.run_spec import (
    run_annotations,
    run_workspaces,
    task_run_specs,
    task_run_template,
)
from ghtotekton.convert.triggers import TriggerFile, pipeline_timeout, render_triggers
from ghtotekton.convert.workflow import WorkflowConversion
from ghtotekton.tekton.emit import content_hash, dump_documents, header_for


@dataclass(slots=True)
class Options:
    mappings: list[Path] = field(default_factory=list)
    target: str = "triggers"
    namespace: str | None = None
    # --- triggers (issue 5) ---
    listener: str = "per-repo"
    tekton_share: int = 100
    allow_fork_prs: bool = False
    storage_class: str | None = None
    split_gpu: bool = True
    """Split jobs that mix GPU and CPU steps into tasks by resource class."""
    # --- Pipelines-as-Code target (issue 5, item 4) ---
    max_keep_runs: int = 5
    """PaC's ``max-keep-runs``: finished runs kept per PipelineRun of ``.tekton/``."""
    # --- end Pipelines-as-Code ---
    shadow_compare: bool = False
    """The bundle publisher also compares with GitHub's run of the same commit (rollout)."""
    rollout_phase: int = 0
    """The rollout phase ``rollout promote``/``abort`` wrote these files for (0: not written by
    ``rollout``); recorded so a ledger that lost its history is caught against the files."""

    def recorded(self) -> dict[str, Any]:
        """What ``check`` needs to regenerate the same output (stored in migration-map.json)."""
        return {
            "mappings": [str(p) for p in self.mappings],
            "target": self.target,
            "namespace": self.namespace,
            "split_gpu": self.split_gpu,
            "listener": self.listener,
            "tekton_share": self.tekton_share,
            "allow_fork_prs": self.allow_fork_prs,
            "storage_class": self.storage_class,
            "max_keep_runs": self.max_keep_runs,
            "shadow_compare": self.shadow_compare,
        } | ({"rollout_phase": self.rollout_phase} if self.rollout_phase else {})


@dataclass(slots=True)
class Result:
    conversions: list[WorkflowConversion]
    failed: dict[str, list[str]]
    report: dict[str, Any]
    files: dict[str, str]


def plan_target(batch: Batch, options: Options) -> tuple[list[TriggerFile], dict[str, str]]:
    """The target's files (triggers, or Pipelines-as-Code's ``.tekton/``); planning them adds
    their findings to the conversions, so ``audit`` calls this too and reports what ``convert``
    reports (the classes of a workflow depend on its trigger findings)."""
    triggered = list(zip(batch.conversions, batch.loaded, strict=True))
    trigger_files = render_triggers(triggered, options) if options.target == "triggers" else []
    # --- Pipelines-as-Code target (issue 5, item 4): .tekton/<workflow>.yaml, planned before the
    # report so its findings are in it, written beside render_files' output and kept out of the
    # kustomization (PaC reads the folder from the repository root; kubectl must not apply it).
    pac_files = render_pac(triggered, options) if options.target == "pac" else {}
    # --- end Pipelines-as-Code ---
    return trigger_files, pac_files


def convert_paths(paths: Sequence[Path], options: Options) -> Result:
    batch = convert_repositories(
        paths,
        RuleSet.load(options.mappings),
        split_gpu=options.split_gpu,
        shadow_compare=options.shadow_compare,
    )
    conversions, failed = batch.conversions, batch.failed
    trigger_files, pac_files = plan_target(batch, options)
    # The GitHub side of the shadow comparison (issue 8, item 5): workflows whose jobs upload
    # their run bundle, written under github-actions/ for a pull request.
    triggered = list(zip(conversions, batch.loaded, strict=True))
    github_files = github_side(triggered) if options.shadow_compare else {}
    report = build_report(conversions, failed, triggers=options.target == "triggers")
    report["next_steps"] = next_steps(
        report,
        [d for tf in trigger_files for d in tf.documents],
        [f"examples/{c.name}-run.yaml" for c in conversions if c.pipeline is not None],
        namespace=options.namespace,
        target=options.target,
    )
    files = render_files(conversions, report, options, trigger_files)
    files.update(pac_files)  # Pipelines-as-Code (issue 5, item 4)
    files.update(github_files)
    return Result(conversions, failed, report, files)


def _namespaced(doc: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    if namespace:
        doc["metadata"]["namespace"] = namespace
    return doc


def render_files(
    conversions: list[WorkflowConversion],
    report: dict[str, Any],
    options: Options,
    trigger_files: list[TriggerFile] | None = None,
) -> dict[str, str]:
    files: dict[str, str] = {}
    resources: list[str] = []
    for tf in trigger_files or []:  # triggers (issue 5)
        files[tf.rel] = dump_documents(tf.documents, header_for(tf.source, tf.what))
        resources.append(tf.rel)
    for conv in conversions:
        for task in conv.tasks:
            rel = f"tasks/{task['metadata']['name']}.yaml"
            files[rel] = dump_documents(
                [_namespaced(task, options.namespace)],
                header_for(conv.display, f"Task for a job of {conv.display}"),
            )
            resources.append(rel)
        if conv.pipeline is not None:
            rel = f"pipelines/{conv.name}.yaml"
            files[rel] = dump_documents(
                [_namespaced(conv.pipeline, options.namespace)],
                header_for(conv.display, f"Pipeline for {conv.display}"),
            )
            resources.append(rel)
            files[f"examples/{conv.name}-run.yaml"] = dump_documents(
                [example_run(conv, options.namespace, options.storage_class)],
                header_for(
                    conv.display,
                    f"An example PipelineRun of {conv.name}: `kubectl create -f` this file.",
                ),
            )
    kustomization: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(set(resources)),
    }
    if options.namespace:
        kustomization["namespace"] = options.namespace
    files["kustomization.yaml"] = dump_documents(
        [kustomization], "Everything ghtotekton generated: `kubectl apply -k` this folder."
    )
    files["migration-report.md"] = render_markdown(report)
    files["migration-report.json"] = json.dumps(report, indent=2) + "\n"
    recorded = migration_map(conversions, options.recorded())
    # What this run wrote, so a later run tells its own files from the user's (never deleted).
    recorded["files"] = {rel: content_hash(text) for rel, text in sorted(files.items())}
    files["migration-map.json"] = json.dumps(recorded, indent=2) + "\n"
    return files


def example_run(
    conv: WorkflowConversion, namespace: str | None, storage_class: str | None = None
) -> dict[str, Any]:
    """A PipelineRun that binds the workspaces and schedules each task on its node pool."""
    assert conv.pipeline is not None
    spec: dict[str, Any] = {"pipelineRef": {"name": conv.name}}
    params = conv.pipeline["spec"].get("params", [])
    if params:
        spec["params"] = [{"name": p["name"], "value": p.get("default", "")} for p in params]
    spec["workspaces"] = run_workspaces(conv, storage_class)
    template = task_run_template(conv)
    if template:
        spec["taskRunTemplate"] = template
    specs = task_run_specs(conv)
    if specs:
        spec["taskRunSpecs"] = specs
    # Tekton's default pipeline timeout (1h) would cut jobs GitHub lets run for 6h.
    spec["timeouts"] = {"pipeline": pipeline_timeout(conv.pipeline)}
    metadata: dict[str, Any] = {"generateName": f"{conv.name}-"}
    if namespace:
        metadata["namespace"] = namespace
    if annotations := run_annotations(conv):
        metadata["annotations"] = annotations
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": metadata,
        "spec": spec,
    }
