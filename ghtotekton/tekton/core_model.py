"""The Kubernetes kinds ghtotekton writes beside Tekton's, as strict models ``validate`` checks.

``convert`` writes ServiceAccounts, Roles and bindings for the EventListener, a ConfigMap with the
repository URL, CronJobs for schedules and a Kustomization. A misspelt key or a wrong type in one
of them fails ``kubectl apply`` as surely as one in a Task, so ``validate`` reads them with the
fields of the k8s.io/api version Tekton builds against (the oracle decodes the same documents
strictly with those Go types). Kinds ghtotekton never writes stay "not checked": their rules are
the cluster's, and a partial model would reject valid files.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field

from ghtotekton.tekton.k8s import (
    EnvFromSource,
    EnvVar,
    KubeModel,
    ObjectMeta,
    ResourceRequirements,
    SecurityContext,
    VolumeMount,
)
from ghtotekton.tekton.model import PodTemplate

# --- core/v1 -----------------------------------------------------------------------------------


class ServiceAccount(KubeModel):
    api_version: Literal["v1"]
    kind: Literal["ServiceAccount"] = "ServiceAccount"
    metadata: ObjectMeta
    secrets: list[dict[str, Any]] | None = None
    image_pull_secrets: list[dict[str, str]] | None = None
    automount_service_account_token: bool | None = None


class ConfigMap(KubeModel):
    api_version: Literal["v1"]
    kind: Literal["ConfigMap"] = "ConfigMap"
    metadata: ObjectMeta
    immutable: bool | None = None
    data: dict[str, str] | None = None
    binary_data: dict[str, str] | None = None


class Secret(KubeModel):
    api_version: Literal["v1"]
    kind: Literal["Secret"] = "Secret"
    metadata: ObjectMeta
    immutable: bool | None = None
    data: dict[str, str] | None = None
    string_data: dict[str, str] | None = None
    type: str | None = None


# --- rbac.authorization.k8s.io/v1 ----------------------------------------------------------------


class PolicyRule(KubeModel):
    verbs: list[str]
    api_groups: list[str] | None = None
    resources: list[str] | None = None
    resource_names: list[str] | None = None
    non_resource_ur_ls: list[str] | None = Field(None, alias="nonResourceURLs")


class RoleRef(KubeModel):
    api_group: str
    kind: Literal["Role", "ClusterRole"]
    name: str


class Subject(KubeModel):
    kind: Literal["ServiceAccount", "User", "Group"]
    name: str
    api_group: str | None = None
    namespace: str | None = None


class Role(KubeModel):
    api_version: Literal["rbac.authorization.k8s.io/v1"]
    kind: Literal["Role"] = "Role"
    metadata: ObjectMeta
    rules: list[PolicyRule] | None = None


class ClusterRole(KubeModel):
    api_version: Literal["rbac.authorization.k8s.io/v1"]
    kind: Literal["ClusterRole"] = "ClusterRole"
    metadata: ObjectMeta
    rules: list[PolicyRule] | None = None
    aggregation_rule: dict[str, Any] | None = None


class RoleBinding(KubeModel):
    api_version: Literal["rbac.authorization.k8s.io/v1"]
    kind: Literal["RoleBinding"] = "RoleBinding"
    metadata: ObjectMeta
    subjects: list[Subject] | None = None
    role_ref: RoleRef


class ClusterRoleBinding(KubeModel):
    api_version: Literal["rbac.authorization.k8s.io/v1"]
    kind: Literal["ClusterRoleBinding"] = "ClusterRoleBinding"
    metadata: ObjectMeta
    subjects: list[Subject] | None = None
    role_ref: RoleRef


# --- batch/v1 ----------------------------------------------------------------------------------


class Container(KubeModel):
    """corev1.Container, the fields a job's container commonly carries (probes excluded)."""

    name: str
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    working_dir: str | None = None
    env_from: list[EnvFromSource] | None = None
    env: list[EnvVar] | None = None
    resources: ResourceRequirements | None = None
    volume_mounts: list[VolumeMount] | None = None
    image_pull_policy: Literal["Always", "Never", "IfNotPresent"] | None = None
    security_context: SecurityContext | None = None


class PodSpec(PodTemplate):
    """corev1.PodSpec: Tekton's pod template fields (typed there already) and the containers."""

    containers: list[Container] = Field(min_length=1)
    init_containers: list[Container] | None = None
    restart_policy: Literal["Always", "OnFailure", "Never"] | None = None
    service_account_name: str | None = None
    active_deadline_seconds: int | None = None


class PodTemplateSpec(KubeModel):
    metadata: ObjectMeta | None = None
    spec: PodSpec


class JobSpec(KubeModel):
    template: PodTemplateSpec
    parallelism: int | None = None
    completions: int | None = None
    active_deadline_seconds: int | None = None
    backoff_limit: int | None = None
    ttl_seconds_after_finished: int | None = None
    suspend: bool | None = None


class JobTemplateSpec(KubeModel):
    metadata: ObjectMeta | None = None
    spec: JobSpec


class CronJobSpec(KubeModel):
    schedule: str
    time_zone: str | None = None
    starting_deadline_seconds: int | None = None
    concurrency_policy: Literal["Allow", "Forbid", "Replace"] | None = None
    suspend: bool | None = None
    job_template: JobTemplateSpec
    successful_jobs_history_limit: int | None = None
    failed_jobs_history_limit: int | None = None


class CronJob(KubeModel):
    api_version: Literal["batch/v1"]
    kind: Literal["CronJob"] = "CronJob"
    metadata: ObjectMeta
    spec: CronJobSpec


# --- kustomize ---------------------------------------------------------------------------------


class Kustomization(KubeModel):
    """kustomization.yaml: the fields ``convert`` writes and the common ones users add."""

    api_version: Literal["kustomize.config.k8s.io/v1beta1"]
    kind: Literal["Kustomization"] = "Kustomization"
    metadata: ObjectMeta | None = None
    resources: list[str] | None = None
    namespace: str | None = None
    name_prefix: str | None = None
    name_suffix: str | None = None
    labels: list[dict[str, Any]] | None = None
    common_labels: dict[str, str] | None = None
    common_annotations: dict[str, str] | None = None
    components: list[str] | None = None
    patches: list[dict[str, Any]] | None = None
    config_map_generator: list[dict[str, Any]] | None = None
    secret_generator: list[dict[str, Any]] | None = None
    generator_options: dict[str, Any] | None = None
    images: list[dict[str, Any]] | None = None


_MODELS: tuple[type[KubeModel], ...] = (
    ServiceAccount,
    ConfigMap,
    Secret,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    CronJob,
    Kustomization,
)

CORE_KINDS: dict[tuple[str, str], type[KubeModel]] = {
    (api, m.model_fields["kind"].default): m
    for m in _MODELS
    for api in get_args(m.model_fields["api_version"].annotation)
}
"""(apiVersion, kind) -> model of every Kubernetes kind ``convert`` writes, read from the models'
own literals as ``model.KINDS`` is."""
