"""The Kubernetes core types that Tekton resources embed, as strict pydantic models.

Tekton's CRDs reuse ``k8s.io/api/core/v1`` types for containers, volumes and pod settings. Only
what Tekton can carry is here, with the fields of the k8s.io/api version Tekton builds against
(v0.35, from tektoncd/pipeline's go.mod), so a misspelt key fails here and not on the cluster.
Field order follows the Go structs, which keeps dumped YAML in the order Kubernetes writes it.
Rare volume sources (cloud disks and the like) are kept as free-form mappings: Tekton accepts
them, and their insides are the cluster's business, not ours.

The base model and ``ParamValue`` live here too, because both the Pipelines and the Triggers
models build on them and neither should import the other's module for it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

Quantity = int | str
"""resource.Quantity as YAML writes it: ``1``, ``"500m"``, ``"1Gi"`` (int-or-string)."""

IntOrString = int | str
"""intstr.IntOrString, e.g. a probe port given as a number or a port name."""

ResourceList = dict[str, Quantity]


def _as_go_reads_it(value: Any) -> Any:
    """Read a param value the way Tekton's ParamValue.UnmarshalJSON does.

    Tekton accepts any JSON there: a string, a list of strings or a string map keep their
    type; anything else (``1``, ``true``, ``[1, 2]``) becomes a string holding its JSON text.
    Rejecting those would reject files the webhook takes.
    """
    if isinstance(value, bool | int | float) or (
        (isinstance(value, list) and not all(isinstance(v, str) for v in value))
        or (isinstance(value, dict) and not all(isinstance(v, str) for v in value.values()))
    ):
        return json.dumps(value, separators=(",", ":"))
    return value


ParamValue = Annotated[str | list[str] | dict[str, str], BeforeValidator(_as_go_reads_it)]
"""A param or result value: string, array of strings, or object of strings."""


class KubeModel(BaseModel):
    """Base of every model: unknown keys are errors, YAML's camelCase keys are the aliases.

    Strict, because the API server does not turn ``"true"`` into a boolean or ``1`` into a
    string either; accepting them here would pass files the cluster rejects.
    """

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, alias_generator=to_camel, strict=True
    )


# --- metadata ---------------------------------------------------------------------------------


class ObjectMeta(KubeModel):
    """metav1.ObjectMeta; server-set fields are accepted so `kubectl get -o yaml` output parses."""

    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    self_link: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    deletion_grace_period_seconds: int | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[dict[str, Any]] | None = None
    finalizers: list[str] | None = None
    managed_fields: list[dict[str, Any]] | None = None


class LabelSelectorRequirement(KubeModel):
    key: str
    operator: str
    values: list[str] | None = None


class LabelSelector(KubeModel):
    """metav1.LabelSelector."""

    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


class LocalObjectReference(KubeModel):
    name: str | None = None


class ObjectReference(KubeModel):
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    api_version: str | None = None
    resource_version: str | None = None
    field_path: str | None = None


# --- environment ------------------------------------------------------------------------------


class ObjectFieldSelector(KubeModel):
    api_version: str | None = None
    field_path: str


class ResourceFieldSelector(KubeModel):
    container_name: str | None = None
    resource: str
    divisor: Quantity | None = None


class ConfigMapKeySelector(KubeModel):
    name: str | None = None
    key: str
    optional: bool | None = None


class SecretKeySelector(KubeModel):
    name: str | None = None
    key: str
    optional: bool | None = None


class FileKeySelector(KubeModel):
    volume_name: str
    path: str
    key: str
    optional: bool | None = None


class EnvVarSource(KubeModel):
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    config_map_key_ref: ConfigMapKeySelector | None = None
    secret_key_ref: SecretKeySelector | None = None
    file_key_ref: FileKeySelector | None = None


class EnvVar(KubeModel):
    name: str
    value: str | None = None
    value_from: EnvVarSource | None = None


class ConfigMapEnvSource(KubeModel):
    name: str | None = None
    optional: bool | None = None


class SecretEnvSource(KubeModel):
    name: str | None = None
    optional: bool | None = None


class EnvFromSource(KubeModel):
    prefix: str | None = None
    config_map_ref: ConfigMapEnvSource | None = None
    secret_ref: SecretEnvSource | None = None


# --- resources, mounts, security --------------------------------------------------------------


class ResourceClaim(KubeModel):
    name: str
    request: str | None = None


class ResourceRequirements(KubeModel):
    """Limits and requests, e.g. ``{"limits": {"nvidia.com/gpu": 1}}``."""

    limits: ResourceList | None = None
    requests: ResourceList | None = None
    claims: list[ResourceClaim] | None = None


class VolumeMount(KubeModel):
    name: str
    read_only: bool | None = None
    recursive_read_only: str | None = None
    mount_path: str
    sub_path: str | None = None
    mount_propagation: str | None = None
    sub_path_expr: str | None = None


class VolumeDevice(KubeModel):
    name: str
    device_path: str


class Capabilities(KubeModel):
    add: list[str] | None = None
    drop: list[str] | None = None


class SELinuxOptions(KubeModel):
    user: str | None = None
    role: str | None = None
    type: str | None = None
    level: str | None = None


class WindowsSecurityContextOptions(KubeModel):
    gmsa_credential_spec_name: str | None = None
    gmsa_credential_spec: str | None = None
    run_as_user_name: str | None = None
    host_process: bool | None = None


class SeccompProfile(KubeModel):
    type: str
    localhost_profile: str | None = None


class AppArmorProfile(KubeModel):
    type: str
    localhost_profile: str | None = None


class SecurityContext(KubeModel):
    """A container's security context (steps, sidecars, stepTemplate)."""

    capabilities: Capabilities | None = None
    privileged: bool | None = None
    se_linux_options: SELinuxOptions | None = None
    windows_options: WindowsSecurityContextOptions | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    read_only_root_filesystem: bool | None = None
    allow_privilege_escalation: bool | None = None
    proc_mount: str | None = None
    seccomp_profile: SeccompProfile | None = None
    app_armor_profile: AppArmorProfile | None = None


class Sysctl(KubeModel):
    name: str
    value: str


class PodSecurityContext(KubeModel):
    """The pod-level security context a pod template may set."""

    se_linux_options: SELinuxOptions | None = None
    windows_options: WindowsSecurityContextOptions | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    supplemental_groups: list[int] | None = None
    supplemental_groups_policy: str | None = None
    fs_group: int | None = None
    sysctls: list[Sysctl] | None = None
    fs_group_change_policy: str | None = None
    seccomp_profile: SeccompProfile | None = None
    app_armor_profile: AppArmorProfile | None = None
    se_linux_change_policy: str | None = None


# --- probes and lifecycle (sidecars) ----------------------------------------------------------


class ExecAction(KubeModel):
    command: list[str] | None = None


class HTTPHeader(KubeModel):
    name: str
    value: str


class HTTPGetAction(KubeModel):
    path: str | None = None
    port: IntOrString
    host: str | None = None
    scheme: str | None = None
    http_headers: list[HTTPHeader] | None = None


class TCPSocketAction(KubeModel):
    port: IntOrString
    host: str | None = None


class GRPCAction(KubeModel):
    port: int
    service: str | None = None


class SleepAction(KubeModel):
    seconds: int


class Probe(KubeModel):
    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    grpc: GRPCAction | None = None
    initial_delay_seconds: int | None = None
    timeout_seconds: int | None = None
    period_seconds: int | None = None
    success_threshold: int | None = None
    failure_threshold: int | None = None
    termination_grace_period_seconds: int | None = None


class LifecycleHandler(KubeModel):
    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    sleep: SleepAction | None = None


class Lifecycle(KubeModel):
    post_start: LifecycleHandler | None = None
    pre_stop: LifecycleHandler | None = None
    stop_signal: str | None = None


class ContainerPort(KubeModel):
    name: str | None = None
    host_port: int | None = None
    container_port: int
    protocol: str | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")


# --- volumes ----------------------------------------------------------------------------------


class KeyToPath(KubeModel):
    key: str
    path: str
    mode: int | None = None


class EmptyDirVolumeSource(KubeModel):
    medium: str | None = None
    size_limit: Quantity | None = None


class ConfigMapVolumeSource(KubeModel):
    name: str | None = None
    items: list[KeyToPath] | None = None
    default_mode: int | None = None
    optional: bool | None = None


class SecretVolumeSource(KubeModel):
    secret_name: str | None = None
    items: list[KeyToPath] | None = None
    default_mode: int | None = None
    optional: bool | None = None


class PersistentVolumeClaimVolumeSource(KubeModel):
    claim_name: str
    read_only: bool | None = None


class HostPathVolumeSource(KubeModel):
    path: str
    type: str | None = None


class CSIVolumeSource(KubeModel):
    driver: str
    read_only: bool | None = None
    fs_type: str | None = None
    volume_attributes: dict[str, str] | None = None
    node_publish_secret_ref: LocalObjectReference | None = None


class NFSVolumeSource(KubeModel):
    server: str
    path: str
    read_only: bool | None = None


class DownwardAPIVolumeFile(KubeModel):
    path: str
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    mode: int | None = None


class DownwardAPIVolumeSource(KubeModel):
    items: list[DownwardAPIVolumeFile] | None = None
    default_mode: int | None = None


class SecretProjection(KubeModel):
    name: str | None = None
    items: list[KeyToPath] | None = None
    optional: bool | None = None


class ConfigMapProjection(KubeModel):
    name: str | None = None
    items: list[KeyToPath] | None = None
    optional: bool | None = None


class DownwardAPIProjection(KubeModel):
    items: list[DownwardAPIVolumeFile] | None = None


class ServiceAccountTokenProjection(KubeModel):
    audience: str | None = None
    expiration_seconds: int | None = None
    path: str


class ClusterTrustBundleProjection(KubeModel):
    name: str | None = None
    signer_name: str | None = None
    label_selector: LabelSelector | None = None
    optional: bool | None = None
    path: str


class PodCertificateProjection(KubeModel):
    signer_name: str
    key_type: str
    max_expiration_seconds: int | None = None
    credential_bundle_path: str | None = None
    key_path: str | None = None
    certificate_chain_path: str | None = None
    user_annotations: dict[str, str] | None = None


class VolumeProjection(KubeModel):
    secret: SecretProjection | None = None
    downward_api: DownwardAPIProjection | None = Field(default=None, alias="downwardAPI")
    config_map: ConfigMapProjection | None = None
    service_account_token: ServiceAccountTokenProjection | None = None
    cluster_trust_bundle: ClusterTrustBundleProjection | None = None
    pod_certificate: PodCertificateProjection | None = None


class ProjectedVolumeSource(KubeModel):
    sources: list[VolumeProjection] | None = None
    default_mode: int | None = None


class TypedLocalObjectReference(KubeModel):
    api_group: str | None = None
    kind: str
    name: str


class TypedObjectReference(KubeModel):
    api_group: str | None = None
    kind: str
    name: str
    namespace: str | None = None


class VolumeResourceRequirements(KubeModel):
    limits: ResourceList | None = None
    requests: ResourceList | None = None


class PersistentVolumeClaimSpec(KubeModel):
    access_modes: list[str] | None = None
    selector: LabelSelector | None = None
    resources: VolumeResourceRequirements | None = None
    volume_name: str | None = None
    storage_class_name: str | None = None
    volume_mode: str | None = None
    data_source: TypedLocalObjectReference | None = None
    data_source_ref: TypedObjectReference | None = None
    volume_attributes_class_name: str | None = None


class PersistentVolumeClaim(KubeModel):
    """A claim template (workspace ``volumeClaimTemplate``); apiVersion and kind are optional."""

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta | None = None
    spec: PersistentVolumeClaimSpec | None = None
    status: dict[str, Any] | None = None


class PersistentVolumeClaimTemplate(KubeModel):
    metadata: ObjectMeta | None = None
    spec: PersistentVolumeClaimSpec


class EphemeralVolumeSource(KubeModel):
    volume_claim_template: PersistentVolumeClaimTemplate | None = None


class ImageVolumeSource(KubeModel):
    reference: str | None = None
    pull_policy: str | None = None


FreeForm = dict[str, Any]


class Volume(KubeModel):
    """corev1.Volume: a name and exactly one source (which one is the validator's concern)."""

    name: str
    host_path: HostPathVolumeSource | None = None
    empty_dir: EmptyDirVolumeSource | None = None
    gce_persistent_disk: FreeForm | None = None
    aws_elastic_block_store: FreeForm | None = None
    git_repo: FreeForm | None = None
    secret: SecretVolumeSource | None = None
    nfs: NFSVolumeSource | None = None
    iscsi: FreeForm | None = None
    glusterfs: FreeForm | None = None
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = None
    rbd: FreeForm | None = None
    flex_volume: FreeForm | None = None
    cinder: FreeForm | None = None
    cephfs: FreeForm | None = None
    flocker: FreeForm | None = None
    downward_api: DownwardAPIVolumeSource | None = Field(default=None, alias="downwardAPI")
    fc: FreeForm | None = None
    azure_file: FreeForm | None = None
    config_map: ConfigMapVolumeSource | None = None
    vsphere_volume: FreeForm | None = None
    quobyte: FreeForm | None = None
    azure_disk: FreeForm | None = None
    photon_persistent_disk: FreeForm | None = None
    projected: ProjectedVolumeSource | None = None
    portworx_volume: FreeForm | None = None
    scale_io: FreeForm | None = Field(default=None, alias="scaleIO")
    storageos: FreeForm | None = None
    csi: CSIVolumeSource | None = None
    ephemeral: EphemeralVolumeSource | None = None
    image: ImageVolumeSource | None = None


# --- pod template pieces ----------------------------------------------------------------------


class Toleration(KubeModel):
    key: str | None = None
    operator: str | None = None
    value: str | None = None
    effect: str | None = None
    toleration_seconds: int | None = None


class PodDNSConfigOption(KubeModel):
    name: str | None = None
    value: str | None = None


class PodDNSConfig(KubeModel):
    nameservers: list[str] | None = None
    searches: list[str] | None = None
    options: list[PodDNSConfigOption] | None = None


class HostAlias(KubeModel):
    ip: str
    hostnames: list[str] | None = None


class TopologySpreadConstraint(KubeModel):
    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    label_selector: LabelSelector | None = None
    min_domains: int | None = None
    node_affinity_policy: str | None = None
    node_taints_policy: str | None = None
    match_label_keys: list[str] | None = None
