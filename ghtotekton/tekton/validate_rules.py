"""The rule catalogue of ``ghtotekton validate``: each finding's id, severity and summary.

A module of its own so that every part of the validator (``validate_core`` and the checks of each
kind) can look up a rule without importing ``validate``, which assembles those parts;
``validate`` re-exports :data:`RULES` for its callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: str  # "error" | "warning" | "info"
    summary: str


def _rules(*rules: tuple[str, str, str]) -> dict[str, Rule]:
    return {rid: Rule(rid, sev, text) for rid, sev, text in rules}


RULES: Final = _rules(
    ("tekton/unreadable", "error", "A file that cannot be read as YAML (exit code 2)."),
    ("tekton/schema", "error", "A field is unknown, misspelt or of the wrong type for its kind."),
    ("tekton/unknown-kind", "error", "A Tekton apiVersion and kind this Tekton does not serve."),
    ("tekton/deprecated-api", "warning", "An old Tekton API version; move it to the current one."),
    ("tekton/not-tekton", "info", "A document that is not a Tekton resource was skipped."),
    ("tekton/missing-field", "error", "A field Tekton requires is absent or empty."),
    ("tekton/invalid-name", "error", "A name Kubernetes or Tekton would refuse."),
    ("tekton/invalid-metadata", "error", "A namespace, label or annotation Kubernetes refuses."),
    ("tekton/invalid-value", "error", "A value outside the ones Tekton accepts."),
    ("tekton/invalid-duration", "error", "A duration Go's time.ParseDuration cannot read."),
    ("tekton/invalid-quantity", "error", "A resource quantity Kubernetes cannot read."),
    ("tekton/duplicate-step", "error", "Two steps of a task have the same name."),
    ("tekton/duplicate-param", "error", "A param is declared or given twice."),
    ("tekton/duplicate-result", "warning", "A result is declared twice."),
    ("tekton/duplicate-workspace", "error", "A workspace is declared or bound twice."),
    ("tekton/duplicate-task", "error", "Two pipeline tasks have the same name."),
    ("tekton/duplicate-volume", "error", "Two volumes of a task have the same name."),
    ("tekton/invalid-volume", "error", "A volume needs exactly one source."),
    ("tekton/workspace-mount-path", "error", "A workspace mounts where another mount already is."),
    ("tekton/ref-or-spec", "error", "Exactly one of the ref and the inline spec must be given."),
    ("tekton/invalid-ref", "error", "A taskRef, pipelineRef or step ref Tekton would refuse."),
    ("tekton/step-fields", "error", "Step fields that cannot go together (script and command...)."),
    (
        "tekton/unknown-param-ref",
        "error",
        "A $(params.x) names no param declared where it is used.",
    ),
    ("tekton/param-type-mismatch", "error", "A param is used in a way its type does not allow."),
    ("tekton/invalid-reference", "error", "A $(...) reference in a form Tekton refuses."),
    ("tekton/unknown-workspace-ref", "error", "A workspace reference names no declared workspace."),
    ("tekton/unknown-result-ref", "error", "A result reference names no declared result."),
    ("tekton/unknown-step-ref", "error", "A $(steps.x...) reference names no step of the task."),
    ("tekton/step-result-placement", "error", "Step results may be used in env, command, args."),
    ("tekton/unknown-task-ref", "error", "A runAfter or $(tasks.x...) names no pipeline task."),
    ("tekton/dependency-cycle", "error", "Pipeline tasks depend on each other in a cycle."),
    ("tekton/unknown-context-ref", "error", "A $(context.x) variable Tekton does not provide."),
    ("tekton/unknown-variable-prefix", "error", "A $(x...) in a pipeline task Tekton cannot fill."),
    ("tekton/execution-status-ref", "error", "Task status variables are only for finally tasks."),
    (
        "tekton/finally-result-ref",
        "error",
        "A finally task reads a result of another finally task.",
    ),
    ("tekton/finally-run-after", "error", "Finally tasks cannot have runAfter."),
    ("tekton/invalid-when", "error", "A when expression Tekton would refuse."),
    ("tekton/matrix-param", "error", "A matrix param that Tekton would refuse."),
    ("tekton/pipeline-result", "error", "A pipeline result must be made of task results."),
    ("tekton/missing-param", "error", "A required param (no default) is never given a value."),
    ("tekton/missing-workspace-binding", "error", "A required workspace is never bound."),
    (
        "tekton/workspace-not-declared",
        "error",
        "A workspace is bound that the Task does not declare.",
    ),
    ("tekton/unused-workspace-binding", "warning", "A bound workspace the inline task never uses."),
    ("tekton/workspace-binding", "error", "A workspace binding needs exactly one volume source."),
    ("tekton/invalid-timeout", "error", "Timeouts that do not fit inside each other."),
    ("tekton/param-in-script", "error", "A StepAction script cannot use $(params...)."),
    (
        "tekton/undeclared-tt-param",
        "error",
        "A $(tt.params.x) the TriggerTemplate does not declare.",
    ),
    ("tekton/invalid-trigger", "error", "An EventListener, Trigger or binding Triggers refuses."),
    ("tekton/feature-flag", "info", "A feature that needs a Tekton feature flag or API level."),
    # What Tekton's controller and Kubernetes decide when the run starts (validate_runtime).
    (
        "tekton/one-pvc-per-taskrun",
        "error",
        "A TaskRun that binds two PVCs fails at once under coschedule: workspaces.",
    ),
    (
        "tekton/affinity-placement",
        "error",
        "A node selector or toleration the PVC's affinity assistant does not get: the pod hangs.",
    ),
    (
        "tekton/env-reference-order",
        "error",
        "An env value refers to a variable that comes after it once the stepTemplate is merged.",
    ),
    ("tekton/gpu-per-pod", "warning", "Several containers of one pod request GPUs; they add up."),
    (
        "tekton/gpu-visible",
        "warning",
        "A container that requests no GPU but is shown the node's GPUs (NVIDIA_VISIBLE_DEVICES).",
    ),
    (
        "tekton/secret-every-step",
        "info",
        "A Secret in the stepTemplate reaches every step, untrusted ones included.",
    ),
    (
        "tekton/secret-required",
        "warning",
        "A Secret key that is not optional: when it is missing the pod does not start.",
    ),
)
