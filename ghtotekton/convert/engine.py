"""Repositories in, files out: the conversion as ``convert``, ``audit`` and ``check`` share it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghtotekton.convert.report import build_report, migration_map, render_markdown
from ghtotekton.convert.rules import RuleSet
from ghtotekton.convert.workflow import WorkflowConversion, convert_workflow
from ghtotekton.github.repository import repositories
from ghtotekton.tekton.emit import dump_documents, header_for


@dataclass(slots=True)
class Options:
    mappings: list[Path] = field(default_factory=list)
    target: str = "triggers"
    namespace: str | None = None

    def recorded(self) -> dict[str, Any]:
        """What ``check`` needs to regenerate the same output (stored in migration-map.json)."""
        return {
            "mappings": [str(p) for p in self.mappings],
            "target": self.target,
            "namespace": self.namespace,
        }


@dataclass(slots=True)
class Result:
    conversions: list[WorkflowConversion]
    failed: dict[str, list[str]]
    report: dict[str, Any]
    files: dict[str, str]


def convert_paths(paths: Sequence[Path], options: Options) -> Result:
    rules = RuleSet.load(options.mappings)
    conversions: list[WorkflowConversion] = []
    failed: dict[str, list[str]] = {}
    taken: set[str] = set()
    for repo in repositories(paths):
        for display, errors in repo.errors.items():
            failed[display] = [d.format() for d in errors]
        for display in repo.files:
            loaded = repo.workflows.get(display)
            if loaded is not None:
                conversions.append(convert_workflow(loaded, rules, repo, taken))
    report = build_report(conversions, failed)
    files = render_files(conversions, report, options)
    return Result(conversions, failed, report, files)


def _namespaced(doc: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    if namespace:
        doc["metadata"]["namespace"] = namespace
    return doc


def render_files(
    conversions: list[WorkflowConversion], report: dict[str, Any], options: Options
) -> dict[str, str]:
    files: dict[str, str] = {}
    resources: list[str] = []
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
                [example_run(conv, options.namespace)],
                header_for(
                    conv.display,
                    f"An example PipelineRun of {conv.name}: `kubectl create -f` this file.",
                ),
            )
    kustomization: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(resources),
    }
    if options.namespace:
        kustomization["namespace"] = options.namespace
    files["kustomization.yaml"] = dump_documents(
        [kustomization], "Everything ghtotekton generated: `kubectl apply -k` this folder."
    )
    files["migration-report.md"] = render_markdown(report)
    files["migration-report.json"] = json.dumps(report, indent=2) + "\n"
    files["migration-map.json"] = (
        json.dumps(migration_map(conversions, options.recorded()), indent=2) + "\n"
    )
    return files


def example_run(conv: WorkflowConversion, namespace: str | None) -> dict[str, Any]:
    """A PipelineRun that binds the workspaces and schedules each task on its node pool."""
    assert conv.pipeline is not None
    spec: dict[str, Any] = {"pipelineRef": {"name": conv.name}}
    params = conv.pipeline["spec"].get("params", [])
    if params:
        spec["params"] = [{"name": p["name"], "value": p.get("default", "")} for p in params]
    workspaces: list[dict[str, Any]] = [{"name": "source", "emptyDir": {}}]
    if "artifacts" in conv.workspaces:
        workspaces.append(
            {
                "name": "artifacts",
                "volumeClaimTemplate": {
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "5Gi"}},
                    }
                },
            }
        )
    if "cache" in conv.workspaces:
        workspaces.append(
            {"name": "cache", "persistentVolumeClaim": {"claimName": "ghtotekton-cache"}}
        )
    spec["workspaces"] = workspaces
    specs = []
    for task, runner in sorted(conv.runners.items()):
        pod: dict[str, Any] = {}
        if runner.get("nodeSelector"):
            pod["nodeSelector"] = runner["nodeSelector"]
        if runner.get("tolerations"):
            pod["tolerations"] = runner["tolerations"]
        if pod:
            specs.append({"pipelineTaskName": task, "podTemplate": pod})
    if specs:
        spec["taskRunSpecs"] = specs
    metadata: dict[str, Any] = {"generateName": f"{conv.name}-"}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": metadata,
        "spec": spec,
    }
