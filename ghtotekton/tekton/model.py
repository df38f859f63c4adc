"""Strict models of Tekton Pipelines resources (tekton.dev/v1, and StepAction v1beta1).

Field names, nesting and order follow tektoncd/pipeline's Go types (pkg/apis/pipeline/v1), so
``model_validate`` reads real YAML and :func:`dump` writes what Tekton itself would. Absent Go
``omitempty`` fields are ``None`` here and are left out on dump, so a parsed document dumps back
to the same mapping. These are plain data: the webhook's rules (references resolve, names are
unique, one volume source each...) belong to the validator, not to the shapes.

:func:`parse_resource` also knows the Triggers kinds (``triggers_model``), so one entry point reads
any Tekton document. ``ParamValue`` lives in ``k8s`` beside the base model because Triggers uses
it too; it is re-exported here.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import (
    Annotated,
    Any,
    Final,
    Literal,
    TypeAlias,
    Union,
    get_args,
    get_origin,
)

from pydantic import BaseModel, Field, ValidationError

from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.pydantic_errors import data_path, validation_diagnostics
from ghtotekton.tekton.k8s import (
    ConfigMapVolumeSource,
    ContainerPort,
    CSIVolumeSource,
    EmptyDirVolumeSource,
    EnvFromSource,
    EnvVar,
    HostAlias,
    KubeModel,
    Lifecycle,
    LocalObjectReference,
    ObjectMeta,
    ParamValue,
    PersistentVolumeClaim,
    PersistentVolumeClaimVolumeSource,
    PodDNSConfig,
    PodSecurityContext,
    Probe,
    ProjectedVolumeSource,
    ResourceRequirements,
    SecretVolumeSource,
    SecurityContext,
    Toleration,
    TopologySpreadConstraint,
    Volume,
    VolumeDevice,
    VolumeMount,
)
from ghtotekton.tekton.triggers_model import KINDS as TRIGGERS_KINDS
from ghtotekton.tekton.triggers_model import TriggersResource
from ghtotekton.yamlsource import PathKey, YamlDocument

PIPELINE_API: Final = "tekton.dev/v1"
STEPACTION_API: Final = "tekton.dev/v1beta1"
TEKTON_GROUPS = ("tekton.dev", "triggers.tekton.dev")


Duration = str
"""metav1.Duration as Go prints it, e.g. ``"1h0m0s"``; parsing it is the validator's job."""


# --- params, results, refs, when --------------------------------------------------------------


class PropertySpec(KubeModel):
    type: str | None = None


class ParamSpec(KubeModel):
    """A declared param; ``type`` is string (default), array or object."""

    name: str
    type: str | None = None
    description: str | None = None
    properties: dict[str, PropertySpec] | None = None
    default: ParamValue | None = None
    enum: list[str] | None = None


class Param(KubeModel):
    """A param given a value (tasks in a pipeline, runs, refs, matrix)."""

    name: str
    value: ParamValue


class TaskRef(KubeModel):
    """A Task by name in the cluster, or through a resolver (git, bundles, hub, cluster)."""

    name: str | None = None
    kind: str | None = None
    api_version: str | None = None
    resolver: str | None = None
    params: list[Param] | None = None


class PipelineRef(KubeModel):
    name: str | None = None
    api_version: str | None = None
    resolver: str | None = None
    params: list[Param] | None = None


class StepRef(KubeModel):
    """A step's ``ref`` to a StepAction (Go: ``Ref``)."""

    name: str | None = None
    resolver: str | None = None
    params: list[Param] | None = None


class WhenExpression(KubeModel):
    """``input``/``operator``/``values``, or a ``cel`` expression."""

    input: str | None = None
    operator: str | None = None
    values: list[str] | None = None
    cel: str | None = None


class TaskResult(KubeModel):
    name: str
    type: str | None = None
    properties: dict[str, PropertySpec] | None = None
    description: str | None = None
    value: ParamValue | None = None


class StepResult(KubeModel):
    name: str
    type: str | None = None
    properties: dict[str, PropertySpec] | None = None
    description: str | None = None


# --- steps, sidecars, tasks -------------------------------------------------------------------


class StepOutputConfig(KubeModel):
    path: str | None = None


class WorkspaceUsage(KubeModel):
    """A workspace a step or sidecar mounts; Tekton fills ``mountPath`` in when it is left out."""

    name: str
    mount_path: str | None = None


class Step(KubeModel):
    """The container fields Tekton allows in a step, plus its own (script, ref, when...).

    ``name`` may be absent: Tekton names unnamed steps ``unnamed-N``.
    """

    name: str | None = None
    display_name: str | None = None
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    working_dir: str | None = None
    env_from: list[EnvFromSource] | None = None
    env: list[EnvVar] | None = None
    compute_resources: ResourceRequirements | None = None
    volume_mounts: list[VolumeMount] | None = None
    volume_devices: list[VolumeDevice] | None = None
    image_pull_policy: str | None = None
    security_context: SecurityContext | None = None
    script: str | None = None
    timeout: Duration | None = None
    workspaces: list[WorkspaceUsage] | None = None
    on_error: str | None = None
    stdout_config: StepOutputConfig | None = None
    stderr_config: StepOutputConfig | None = None
    ref: StepRef | None = None
    params: list[Param] | None = None
    results: list[StepResult] | None = None
    when: list[WhenExpression] | None = None


class StepTemplate(KubeModel):
    """Defaults merged into every step of the task."""

    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    working_dir: str | None = None
    env_from: list[EnvFromSource] | None = None
    env: list[EnvVar] | None = None
    compute_resources: ResourceRequirements | None = None
    volume_mounts: list[VolumeMount] | None = None
    volume_devices: list[VolumeDevice] | None = None
    image_pull_policy: str | None = None
    security_context: SecurityContext | None = None


class Sidecar(KubeModel):
    name: str | None = None
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    working_dir: str | None = None
    ports: list[ContainerPort] | None = None
    env_from: list[EnvFromSource] | None = None
    env: list[EnvVar] | None = None
    compute_resources: ResourceRequirements | None = None
    volume_mounts: list[VolumeMount] | None = None
    volume_devices: list[VolumeDevice] | None = None
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    lifecycle: Lifecycle | None = None
    termination_message_path: str | None = None
    termination_message_policy: str | None = None
    image_pull_policy: str | None = None
    security_context: SecurityContext | None = None
    stdin: bool | None = None
    stdin_once: bool | None = None
    tty: bool | None = None
    script: str | None = None
    workspaces: list[WorkspaceUsage] | None = None
    restart_policy: str | None = None


class WorkspaceDeclaration(KubeModel):
    name: str
    description: str | None = None
    mount_path: str | None = None
    read_only: bool | None = None
    optional: bool | None = None


class TaskSpec(KubeModel):
    params: list[ParamSpec] | None = None
    display_name: str | None = None
    description: str | None = None
    steps: list[Step] | None = None
    volumes: list[Volume] | None = None
    step_template: StepTemplate | None = None
    sidecars: list[Sidecar] | None = None
    workspaces: list[WorkspaceDeclaration] | None = None
    results: list[TaskResult] | None = None


class Task(KubeModel):
    api_version: Literal["tekton.dev/v1"] = PIPELINE_API
    kind: Literal["Task"] = "Task"
    metadata: ObjectMeta
    spec: TaskSpec


# --- pipelines --------------------------------------------------------------------------------


class PipelineTaskMetadata(KubeModel):
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class _EmbeddedHead(KubeModel):
    """The fields an embedded task has before its TaskSpec ones (Go's field order)."""

    api_version: str | None = None
    kind: str | None = None
    spec: dict[str, Any] | None = None
    metadata: PipelineTaskMetadata | None = None


class EmbeddedTask(TaskSpec, _EmbeddedHead):
    """A pipeline task's inline ``taskSpec``: a TaskSpec, or a custom task's raw ``spec``."""


class IncludeParams(KubeModel):
    name: str | None = None
    params: list[Param] | None = None


class Matrix(KubeModel):
    """Fan a task out over the combinations of array params, plus explicit ``include`` runs."""

    params: list[Param] | None = None
    include: list[IncludeParams] | None = None


class WorkspacePipelineTaskBinding(KubeModel):
    name: str
    workspace: str | None = None
    sub_path: str | None = None


class PipelineTask(KubeModel):
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    task_ref: TaskRef | None = None
    task_spec: EmbeddedTask | None = None
    when: list[WhenExpression] | None = None
    retries: int | None = None
    run_after: list[str] | None = None
    params: list[Param] | None = None
    matrix: Matrix | None = None
    workspaces: list[WorkspacePipelineTaskBinding] | None = None
    timeout: Duration | None = None
    pipeline_ref: PipelineRef | None = None
    pipeline_spec: PipelineSpec | None = None
    on_error: str | None = None


class PipelineResult(KubeModel):
    name: str
    type: str | None = None
    description: str | None = None
    value: ParamValue


class PipelineWorkspaceDeclaration(KubeModel):
    name: str
    description: str | None = None
    optional: bool | None = None


class PipelineSpec(KubeModel):
    display_name: str | None = None
    description: str | None = None
    tasks: list[PipelineTask] | None = None
    params: list[ParamSpec] | None = None
    workspaces: list[PipelineWorkspaceDeclaration] | None = None
    results: list[PipelineResult] | None = None
    finally_: list[PipelineTask] | None = Field(default=None, alias="finally")


PipelineTask.model_rebuild()


class Pipeline(KubeModel):
    api_version: Literal["tekton.dev/v1"] = PIPELINE_API
    kind: Literal["Pipeline"] = "Pipeline"
    metadata: ObjectMeta
    spec: PipelineSpec


# --- runs -------------------------------------------------------------------------------------


class WorkspaceBinding(KubeModel):
    """What backs a workspace in a run: a claim (template), emptyDir, configMap, secret..."""

    name: str
    sub_path: str | None = None
    volume_claim_template: PersistentVolumeClaim | None = None
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = None
    empty_dir: EmptyDirVolumeSource | None = None
    config_map: ConfigMapVolumeSource | None = None
    secret: SecretVolumeSource | None = None
    projected: ProjectedVolumeSource | None = None
    csi: CSIVolumeSource | None = None


class PodTemplate(KubeModel):
    """The pod fields a run may set (Tekton's pod.Template); ``affinity`` stays free-form."""

    node_selector: dict[str, str] | None = None
    env: list[EnvVar] | None = None
    tolerations: list[Toleration] | None = None
    affinity: dict[str, Any] | None = None
    security_context: PodSecurityContext | None = None
    volumes: list[Volume] | None = None
    runtime_class_name: str | None = None
    automount_service_account_token: bool | None = None
    dns_policy: str | None = None
    dns_config: PodDNSConfig | None = None
    enable_service_links: bool | None = None
    priority_class_name: str | None = None
    scheduler_name: str | None = None
    image_pull_secrets: list[LocalObjectReference] | None = None
    host_aliases: list[HostAlias] | None = None
    host_network: bool | None = None
    host_users: bool | None = None
    topology_spread_constraints: list[TopologySpreadConstraint] | None = None


class TimeoutFields(KubeModel):
    pipeline: Duration | None = None
    tasks: Duration | None = None
    finally_: Duration | None = Field(default=None, alias="finally")


class PipelineTaskRunTemplate(KubeModel):
    pod_template: PodTemplate | None = None
    service_account_name: str | None = None


class TaskRunStepSpec(KubeModel):
    name: str
    compute_resources: ResourceRequirements


class TaskRunSidecarSpec(KubeModel):
    name: str
    compute_resources: ResourceRequirements


class PipelineTaskRunSpec(KubeModel):
    """Per-task overrides in a PipelineRun (service account, pod template, resources)."""

    pipeline_task_name: str | None = None
    service_account_name: str | None = None
    pod_template: PodTemplate | None = None
    step_specs: list[TaskRunStepSpec] | None = None
    sidecar_specs: list[TaskRunSidecarSpec] | None = None
    metadata: PipelineTaskMetadata | None = None
    compute_resources: ResourceRequirements | None = None
    timeout: Duration | None = None


class PipelineRunSpec(KubeModel):
    pipeline_ref: PipelineRef | None = None
    pipeline_spec: PipelineSpec | None = None
    params: list[Param] | None = None
    status: str | None = None
    timeouts: TimeoutFields | None = None
    task_run_template: PipelineTaskRunTemplate | None = None
    workspaces: list[WorkspaceBinding] | None = None
    task_run_specs: list[PipelineTaskRunSpec] | None = None
    managed_by: str | None = None


class PipelineRun(KubeModel):
    api_version: Literal["tekton.dev/v1"] = PIPELINE_API
    kind: Literal["PipelineRun"] = "PipelineRun"
    metadata: ObjectMeta
    spec: PipelineRunSpec
    status: dict[str, Any] | None = None


class TaskBreakpoints(KubeModel):
    on_failure: str | None = None
    before_steps: list[str] | None = None


class TaskRunDebug(KubeModel):
    breakpoints: TaskBreakpoints | None = None


class TaskRunSpec(KubeModel):
    debug: TaskRunDebug | None = None
    params: list[Param] | None = None
    service_account_name: str | None = None
    task_ref: TaskRef | None = None
    task_spec: TaskSpec | None = None
    status: str | None = None
    status_message: str | None = None
    retries: int | None = None
    timeout: Duration | None = None
    pod_template: PodTemplate | None = None
    workspaces: list[WorkspaceBinding] | None = None
    step_specs: list[TaskRunStepSpec] | None = None
    sidecar_specs: list[TaskRunSidecarSpec] | None = None
    compute_resources: ResourceRequirements | None = None
    managed_by: str | None = None


class TaskRun(KubeModel):
    api_version: Literal["tekton.dev/v1"] = PIPELINE_API
    kind: Literal["TaskRun"] = "TaskRun"
    metadata: ObjectMeta
    spec: TaskRunSpec
    status: dict[str, Any] | None = None


# --- step actions -----------------------------------------------------------------------------


class StepActionSpec(KubeModel):
    description: str | None = None
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None
    script: str | None = None
    working_dir: str | None = None
    params: list[ParamSpec] | None = None
    results: list[StepResult] | None = None
    security_context: SecurityContext | None = None
    volume_mounts: list[VolumeMount] | None = None


class StepAction(KubeModel):
    """A reusable step; v1alpha1 has the same shape and is still served, so both are read."""

    api_version: Literal["tekton.dev/v1beta1", "tekton.dev/v1alpha1"] = STEPACTION_API
    kind: Literal["StepAction"] = "StepAction"
    metadata: ObjectMeta
    spec: StepActionSpec


PipelineResource: TypeAlias = Task | Pipeline | PipelineRun | TaskRun | StepAction
TektonResource: TypeAlias = PipelineResource | TriggersResource


# --- reading and writing whole documents ------------------------------------------------------


def _by_api_and_kind() -> dict[tuple[str, str], type[KubeModel]]:
    """Read from the models' own ``apiVersion``/``kind`` literals, so the two cannot drift."""
    models: tuple[type[KubeModel], ...] = (Task, Pipeline, PipelineRun, TaskRun, StepAction)
    found: dict[tuple[str, str], type[KubeModel]] = {}
    for model in (*models, *TRIGGERS_KINDS):
        kind = model.model_fields["kind"].default
        for api in get_args(model.model_fields["api_version"].annotation):
            found[(api, kind)] = model
    return found


KINDS = _by_api_and_kind()
"""(apiVersion, kind) -> model, for every kind :func:`parse_resource` reads."""


def is_tekton(doc: Any) -> bool:
    """Whether a document claims a Tekton API group (other kinds in a file are not ours)."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("apiVersion"), str):
        return False
    return str(doc["apiVersion"]).split("/")[0] in TEKTON_GROUPS


def model_for(api_version: str, kind: str, file: str = "<input>") -> type[KubeModel]:
    """The model of one apiVersion + kind; an unknown or unsupported one is an InputError."""
    kinds = KINDS
    model = kinds.get((api_version, kind))
    if model is not None:
        return model
    group = api_version.split("/")[0]
    if group not in TEKTON_GROUPS:
        raise InputError(Diagnostic(Position(file), f"not a Tekton resource: {api_version} {kind}"))
    other = sorted(api for (api, k) in kinds if k == kind)
    if other:
        hint = f"ghtotekton reads {kind} as {' or '.join(other)}"
    else:
        known = sorted({k for (api, k) in kinds if api.split("/")[0] == group})
        hint = f"known kinds in {group}: {', '.join(known)}"
    raise InputError(Diagnostic(Position(file), f"unknown Tekton kind {api_version} {kind}", hint))


def parse_resource(doc: Mapping[str, Any], *, file: str = "<input>") -> TektonResource:
    """Read one Tekton document (plain data) into its model, by apiVersion and kind."""
    return _parse(YamlDocument(file=file, data=doc))


def parse_document(doc: YamlDocument) -> TektonResource:
    """Like :func:`parse_resource`, with errors at the file positions the YAML layer kept."""
    return _parse(doc)


def _parse(doc: YamlDocument) -> TektonResource:
    data = doc.data
    if not isinstance(data, Mapping):
        raise doc.error((), "a Tekton resource must be a mapping")
    api, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str):
        raise doc.error((), "apiVersion and kind must both be set", "e.g. tekton.dev/v1 and Task")
    model = model_for(api, kind, doc.file)
    try:
        resource: TektonResource = model.model_validate(data)  # type: ignore[assignment]
    except ValidationError as exc:
        raise InputError(model_diagnostics(exc, doc, model)) from None
    return resource


def model_diagnostics(
    exc: ValidationError, doc: YamlDocument, root: type[BaseModel]
) -> list[Diagnostic]:
    """Positioned findings for a document ``root`` refused, each naming the model it broke."""
    shapes = []
    for err in exc.errors(include_url=False):
        path = data_path(err["loc"], doc.data)
        for candidate in (path, path[:-1]):
            model = model_at(root, candidate)
            if model is not None:
                label = model.__name__ + (f" at {_dotted(candidate)}" if candidate else "")
                shapes.append((tuple(map(_pattern, candidate)), model, label))
    found = validation_diagnostics(exc, doc, shapes)
    if not doc.positions:  # plain data: no line to point at, the message names the path
        found = [dataclasses.replace(d, position=Position(doc.file)) for d in found]
    return found


def _pattern(elem: str | int) -> str:
    return "#" if isinstance(elem, int) else elem


def _dotted(path: PathKey) -> str:
    out = ""
    for elem in path:
        out += f"[{elem}]" if isinstance(elem, int) else (f".{elem}" if out else elem)
    return out


def model_at(root: type[BaseModel], path: PathKey) -> type[BaseModel] | None:
    """The model class that describes the mapping at ``path`` under ``root``, if any."""
    current: Any = root
    for elem in path:
        current = _unwrap(current)
        if isinstance(elem, int):
            if get_origin(current) is not list:
                return None
            current = get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for n, f in current.model_fields.items() if (f.alias or n) == elem), None
            )
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Drop ``None`` from an optional type and ``Annotated`` wrappers."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            rest = [a for a in get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return tp
            tp = rest[0]
        else:
            return tp


def dump(resource: BaseModel) -> dict[str, Any]:
    """The resource as plain data, camelCase keys, unset fields left out (as Tekton writes it)."""
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)
