"""Checks of what Tekton's controller and Kubernetes decide when a run starts, not admission.

The webhook admits all of these; the run still fails or hangs. Each rule is one fact of Tekton's
reconcilers or of Kubernetes, named in its message, and each is checked against Tekton's own code by
the oracle (``tests/oracle``, ``tests/test_oracle_agreement.py``):

- ``tekton/one-pvc-per-taskrun``: under ``coschedule: workspaces`` (the default) the TaskRun
  reconciler fails a TaskRun that binds more than one PersistentVolumeClaim
  (``pkg/workspace/validate.go`` ``ValidateOnlyOnePVCIsUsed``, called from
  ``pkg/reconciler/taskrun/taskrun.go``).
- ``tekton/affinity-placement``: the affinity assistant that every pod sharing a PVC must join is
  built from ``taskRunTemplate.podTemplate`` only
  (``pkg/reconciler/pipelinerun/affinity_assistant.go``); a node selector or toleration that
  only ``taskRunSpecs`` gives cannot take it to a tainted or labelled pool, so the task's pod
  stays Pending.
- ``tekton/env-reference-order``: the stepTemplate merge (``pkg/apis/pipeline/v1/merge.go``, a
  strategic merge with the step as the patch) puts the step's own new variables before the
  template's; Kubernetes expands ``$(VAR)`` only from variables earlier in the list.
- ``tekton/gpu-visible``: the NVIDIA container runtime shows a container the GPUs its
  ``NVIDIA_VISIBLE_DEVICES`` names whether or not it requested any (NVIDIA/k8s-device-plugin#61):
  a container with ``all`` and no GPU request uses the node's GPUs outside the scheduler.
- ``tekton/gpu-per-pod``: Kubernetes sums the extended resources of all containers of a pod, and
  Tekton never rewrites them (``docs/compute-resources.md``): two containers asking for one GPU
  each make a pod that needs two.

Two more are about secrets, and Kubernetes alone decides them (the end-to-end host kubelet,
``tests/host_kubelet.py``, plays that part for the oracle):

- ``tekton/secret-every-step`` (info): a Secret in the stepTemplate's env reaches every step of
  the task, the ones that run untrusted code too (a notebook, ``pip install``). The converter
  puts a secret there only when the workflow gives it to the whole job (job or workflow
  ``env``), as GitHub does: tools read such variables without naming them (``gh`` reads
  ``GH_TOKEN``), so narrowing them would break the job.
- ``tekton/secret-required``: the kubelet does not start a container whose Secret key is missing
  and not ``optional`` (CreateContainerConfigError), where GitHub gives an unset secret as an
  empty string; a key of a Secret the inputs define is known to be there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.tekton import model as m
from ghtotekton.tekton.k8s import EnvVar, ResourceRequirements, Toleration
from ghtotekton.tekton.validate_core import Document, ValidatorBase
from ghtotekton.yamlsource import PathKey, load_yaml_documents, read_limited

RUNTIME_RULES: Final = frozenset(
    {
        "tekton/one-pvc-per-taskrun",
        "tekton/affinity-placement",
        "tekton/env-reference-order",
        "tekton/gpu-per-pod",
        "tekton/gpu-visible",
    }
)
"""The rules of this module: what admission lets through and the controller or Kubernetes stops."""

SECRET_RULES: Final = frozenset({"tekton/secret-every-step", "tekton/secret-required"})
"""Where secrets reach and whether a missing one stops the pod (Kubernetes' decisions)."""

COSCHEDULE_MODES: Final = ("workspaces", "pipelineruns", "isolate-pipelinerun", "disabled")
"""The values of the ``coschedule`` feature flag (``pkg/apis/config/feature_flags.go``)."""


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """How the cluster is set, as far as these checks depend on it (Tekton's defaults)."""

    coschedule: str = "workspaces"

    @property
    def affinity_assistant(self) -> bool:
        return self.coschedule != "disabled"


def read_cluster_settings(path: Path, coschedule: str | None = None) -> ClusterSettings:
    """Settings from a ``feature-flags`` ConfigMap file (as ``kubectl get cm feature-flags -n
    tekton-pipelines -o yaml`` prints it); ``coschedule`` given on the command line wins."""
    display = str(path)
    found: str | None = None
    seen_map = False
    for doc in load_yaml_documents(read_limited(path, display), display):
        data = doc.data
        if not isinstance(data, dict) or data.get("kind") != "ConfigMap":
            continue
        meta = data.get("metadata") or {}
        if not isinstance(meta, dict) or meta.get("name") != "feature-flags":
            continue
        seen_map = True
        flags = data.get("data") or {}
        if isinstance(flags, dict) and "coschedule" in flags:
            found = str(flags["coschedule"])
            if found not in COSCHEDULE_MODES:
                raise InputError(
                    Diagnostic(
                        doc.pos(("data", "coschedule")),
                        f"coschedule: {found!r} is not one of {', '.join(COSCHEDULE_MODES)}",
                    )
                )
    if not seen_map:
        raise InputError(
            Diagnostic(
                Position(display),
                "no ConfigMap named feature-flags in this file",
                "give the output of "
                "`kubectl get configmap feature-flags -n tekton-pipelines -o yaml`",
            )
        )
    return ClusterSettings(coschedule=coschedule or found or "workspaces")


# An env reference Kubernetes expands: $(NAME) with a C identifier; $$(NAME) is an escape.
_ENV_REF: Final = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def merged_env(template: list[EnvVar] | None, step: list[EnvVar] | None) -> list[EnvVar]:
    """The container env after Tekton's stepTemplate merge: the step's new names first, then the
    template's names in template order, each with the step's value where the step sets it."""
    own = {e.name: e for e in step or []}
    names = {e.name for e in template or []}
    first = [e for e in step or [] if e.name not in names]
    return first + [own.get(e.name, e) for e in template or []]


def late_references(env: list[EnvVar]) -> Iterable[tuple[EnvVar, str]]:
    """(entry, name) for each $(name) that names a variable defined at or after the entry."""
    position: dict[str, int] = {}
    for i, entry in enumerate(env):
        position.setdefault(entry.name, i)
    for i, entry in enumerate(env):
        for ref in _ENV_REF.findall(entry.value or ""):
            if position.get(ref, -1) >= i:
                yield entry, ref


def _gpu_count(resources: ResourceRequirements | None) -> dict[str, float]:
    """The GPU-like extended resources a container asks for (its limits, else its requests)."""
    if resources is None:
        return {}
    out: dict[str, float] = {}
    for block in (resources.requests or {}, resources.limits or {}):
        for name, amount in block.items():
            if name.endswith("/gpu"):
                try:
                    out[name] = max(out.get(name, 0.0), float(str(amount)))
                except ValueError:
                    continue
    return out


def _tolerated(wanted: Toleration, given: list[Toleration]) -> bool:
    return any(m.dump(wanted) == m.dump(g) for g in given)


class RuntimeChecks(ValidatorBase):
    """The reconcile-time and Kubernetes rules above, for Tasks, PipelineRuns and TaskRuns."""

    settings: ClusterSettings = ClusterSettings()

    # -- tasks --

    def runtime_task_spec(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        self._env_order(doc, path, spec)
        self._gpus_per_pod(doc, path, spec)
        self._gpus_visible(doc, path, spec)
        self._secrets(doc, path, spec)

    def _secrets(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        template = spec.step_template
        for i, entry in enumerate(template.env or [] if template else []):
            ref = entry.value_from.secret_key_ref if entry.value_from else None
            if ref is not None:
                self.report(
                    doc,
                    (*path, "stepTemplate", "env", i),
                    "tekton/secret-every-step",
                    f"`{entry.name}` comes from Secret `{ref.name}` in the stepTemplate, so "
                    "every step of the task gets it, the ones running untrusted code too",
                    "give the secret only to the steps that read it",
                )
        for i, source in enumerate(template.env_from or [] if template else []):
            if source.secret_ref is not None:
                self.report(
                    doc,
                    (*path, "stepTemplate", "envFrom", i),
                    "tekton/secret-every-step",
                    f"every key of Secret `{source.secret_ref.name}` goes to every step of the "
                    "task (stepTemplate envFrom)",
                    "give the secret only to the steps that read it",
                )
        known = self._defined_secret_keys
        containers = [
            *(((*path, "stepTemplate"), template.env or []) for _ in [0] if template),
            *(((*path, "steps", i), step.env or []) for i, step in enumerate(spec.steps or [])),
            *(((*path, "sidecars", i), c.env or []) for i, c in enumerate(spec.sidecars or [])),
        ]
        for where, env in containers:
            for i, entry in enumerate(env):
                ref = entry.value_from.secret_key_ref if entry.value_from else None
                if ref is None or ref.optional or (ref.name, ref.key) in known:
                    continue
                self.report(
                    doc,
                    (*where, "env", i),
                    "tekton/secret-required",
                    f"`{entry.name}` needs key `{ref.key}` of Secret `{ref.name}`: without it "
                    "the kubelet does not start the pod (CreateContainerConfigError)",
                    "mark it `optional: true` where an unset secret may be empty, as on GitHub",
                )

    @cached_property
    def _defined_secret_keys(self) -> set[tuple[str | None, str]]:
        """(Secret name, key) of every Secret the inputs define (read once, not per Task)."""
        out: set[tuple[str | None, str]] = set()
        for d in self.documents:
            data = d.yaml.data
            if not isinstance(data, dict) or data.get("kind") != "Secret":
                continue
            name = (data.get("metadata") or {}).get("name")
            for block in ("data", "stringData"):
                if isinstance(data.get(block), dict):
                    out |= {(name, str(k)) for k in data[block]}
        return out

    def _gpus_visible(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        template = spec.step_template
        containers: list[tuple[PathKey, list[EnvVar], ResourceRequirements | None]] = []
        for i, step in enumerate(spec.steps or []):
            if step.ref is not None:
                continue
            resources = step.compute_resources
            if resources is None and template is not None:
                resources = template.compute_resources
            env = merged_env(template.env if template else None, step.env)
            containers.append(((*path, "steps", i), env, resources))
        for i, sidecar in enumerate(spec.sidecars or []):
            containers.append(
                ((*path, "sidecars", i), sidecar.env or [], sidecar.compute_resources)
            )
        for where, env, resources in containers:
            shown = next((e.value for e in env if e.name == "NVIDIA_VISIBLE_DEVICES"), None)
            if (
                shown is None
                or shown.strip().lower() in ("void", "none", "")
                or _gpu_count(resources)
            ):
                continue
            self.report(
                doc,
                where,
                "tekton/gpu-visible",
                f"NVIDIA_VISIBLE_DEVICES={shown} in a container that requests no GPU: the NVIDIA "
                "runtime shows it the node's GPUs outside the scheduler",
                "set NVIDIA_VISIBLE_DEVICES=void where no GPU is requested",
            )

    def _env_order(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        template = spec.step_template.env if spec.step_template else None
        for i, step in enumerate(spec.steps or []):
            if step.ref is not None:
                continue  # a StepAction's env is its own, not merged here
            env = merged_env(template, step.env)
            own = [e.name for e in step.env or []]
            for entry, ref in late_references(env):
                if entry.name in own:
                    where: PathKey = (*path, "steps", i, "env", own.index(entry.name), "value")
                else:
                    where = (*path, "stepTemplate", "env", _index(template, entry.name), "value")
                self.report(
                    doc,
                    where,
                    "tekton/env-reference-order",
                    f"`{entry.name}: {entry.value}` refers to $({ref}), which comes after it once "
                    "the stepTemplate is merged into the step (the step's own variables go first); "
                    "Kubernetes expands $(VAR) only from earlier variables, so the value stays "
                    "literal",
                    "resolve the value when generating, or define the variable in the step "
                    "before it",
                )

    def _gpus_per_pod(self, doc: Document, path: PathKey, spec: m.TaskSpec) -> None:
        template = spec.step_template.compute_resources if spec.step_template else None
        holders: list[tuple[PathKey, dict[str, float]]] = []
        for i, step in enumerate(spec.steps or []):
            resources = step.compute_resources if step.compute_resources is not None else template
            if gpus := _gpu_count(resources):
                holders.append(((*path, "steps", i), gpus))
        for i, sidecar in enumerate(spec.sidecars or []):
            if gpus := _gpu_count(sidecar.compute_resources):
                holders.append(((*path, "sidecars", i), gpus))
        if len(holders) < 2:
            return
        totals: dict[str, float] = {}
        for _, gpus in holders:
            for name, amount in gpus.items():
                totals[name] = totals.get(name, 0.0) + amount
        summary = ", ".join(f"{_number(v)} {k}" for k, v in sorted(totals.items()))
        self.report(
            doc,
            holders[1][0],
            "tekton/gpu-per-pod",
            f"{len(holders)} containers of this task's pod request GPUs, so the pod needs "
            f"{summary}: Kubernetes sums the containers of a pod and Tekton does not rewrite "
            "extended resources",
            "request the GPU in the one container that uses it (or run the GPU steps as one step)",
        )

    # -- runs --

    def runtime_pipeline_run(
        self, doc: Document, spec: m.PipelineRunSpec, pipeline: m.PipelineSpec | None
    ) -> None:
        if pipeline is None or not self.settings.affinity_assistant:
            return
        claims = _claims(spec.workspaces)
        if not claims:
            return
        tasks = [*(pipeline.tasks or []), *(pipeline.finally_ or [])]
        crowded: dict[tuple[str, ...], list[str]] = {}  # PVC workspaces bound -> the tasks
        for task in tasks:
            names = sorted(
                {b.workspace or b.name for b in task.workspaces or []} & set(claims),
            )
            if not names:
                continue
            if self.settings.coschedule == "workspaces" and len({claims[n] for n in names}) > 1:
                crowded.setdefault(tuple(names), []).append(task.name or "")
            self._placement(doc, spec, task.name or "")
        for bound, crowd in crowded.items():
            # At the last of the crowded bindings: the one that made it two.
            index = max(i for i, b in enumerate(spec.workspaces or []) if b.name in bound)
            shown = ", ".join(f"`{t}`" for t in crowd)
            self.report(
                doc,
                ("spec", "workspaces", index),
                "tekton/one-pvc-per-taskrun",
                f"{len(crowd)} pipeline task(s) bind {len(bound)} PVC-backed workspaces "
                f"({', '.join(bound)}): {shown}; under coschedule: workspaces each such TaskRun "
                'fails at once with "more than one PersistentVolumeClaim is bound"',
                "back all but one workspace with emptyDir, or share one PVC through subPaths",
            )

    def _placement(self, doc: Document, spec: m.PipelineRunSpec, task: str) -> None:
        base = spec.task_run_template.pod_template if spec.task_run_template else None
        base_selector = (base.node_selector if base else None) or {}
        base_tolerations = (base.tolerations if base else None) or []
        for i, trs in enumerate(spec.task_run_specs or []):
            if trs.pipeline_task_name != task or trs.pod_template is None:
                continue
            selector = trs.pod_template.node_selector or {}
            missing = sorted(f"{k}={v}" for k, v in selector.items() if base_selector.get(k) != v)
            untolerated = [
                t for t in trs.pod_template.tolerations or [] if not _tolerated(t, base_tolerations)
            ]
            if not missing and not untolerated:
                continue
            what = []
            if missing:
                what.append(f"node selector {', '.join(missing)}")
            if untolerated:
                what.append(
                    "tolerations of " + ", ".join(sorted({t.key or "*" for t in untolerated}))
                )
            self.report(
                doc,
                ("spec", "taskRunSpecs", i, "podTemplate"),
                "tekton/affinity-placement",
                f"pipeline task `{task}` shares a PVC with the affinity assistant, whose pod is "
                "placed with taskRunTemplate.podTemplate only; the "
                f"{' and '.join(what)} given here do not reach it, so the task's pod must join the "
                "assistant's node and stays Pending on a labelled or tainted pool",
                "put the node selector and tolerations in taskRunTemplate.podTemplate, or give "
                "this task no PVC-backed workspace",
            )

    def runtime_task_run(self, doc: Document, spec: m.TaskRunSpec) -> None:
        if self.settings.coschedule != "workspaces":
            return
        claims = sorted(set(_claims(spec.workspaces).values()))
        if len(claims) > 1:
            self.report(
                doc,
                ("spec", "workspaces"),
                "tekton/one-pvc-per-taskrun",
                f"this TaskRun binds {len(claims)} PersistentVolumeClaims: under coschedule: "
                'workspaces it fails at once with "more than one PersistentVolumeClaim is bound"',
                "back all but one workspace with emptyDir, or share one PVC through subPaths",
            )


def _claims(bindings: list[m.WorkspaceBinding] | None) -> dict[str, str]:
    """Run workspace name -> the claim backing it (a claim name, or the template's workspace),
    as ``ValidateOnlyOnePVCIsUsed`` counts them."""
    out: dict[str, str] = {}
    for b in bindings or []:
        if b.persistent_volume_claim is not None:
            out[b.name] = f"claim:{b.persistent_volume_claim.claim_name}"
        elif b.volume_claim_template is not None:
            out[b.name] = f"template:{b.name}"
    return out


def _index(env: list[EnvVar] | None, name: str) -> int:
    return next(i for i, e in enumerate(env or []) if e.name == name)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
