"""Strict models of Tekton Triggers resources (triggers.tekton.dev/v1beta1).

Field names follow tektoncd/triggers' Go types (pkg/apis/triggers/v1beta1), including their odd
spellings: ``apiversion`` in template and binding refs, ``resourcetemplates``, ``cloudEventURI``.
Resource templates stay plain mappings: they are whatever resource the trigger creates, with
``$(tt.params.x)`` placeholders where typed values would be, so they are checked as documents of
their own after substitution, not here.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias

from pydantic import Field

from ghtotekton.tekton.k8s import KubeModel, LabelSelector, ObjectMeta, ObjectReference, ParamValue

TRIGGERS_API: Final = "triggers.tekton.dev/v1beta1"


class TriggerParamSpec(KubeModel):
    """A TriggerTemplate param: strings only (Go: triggers ``ParamSpec``)."""

    name: str
    description: str | None = None
    default: str | None = None


class TriggerParam(KubeModel):
    """A TriggerBinding param; ``value`` is usually a ``$(body.x)`` / ``$(header.x)`` path."""

    name: str
    value: str


class TriggerBindingSpec(KubeModel):
    params: list[TriggerParam] | None = None


class TriggerBinding(KubeModel):
    api_version: Literal["triggers.tekton.dev/v1beta1"] = TRIGGERS_API
    kind: Literal["TriggerBinding"] = "TriggerBinding"
    metadata: ObjectMeta
    spec: TriggerBindingSpec
    status: dict[str, Any] | None = None


class ClusterTriggerBinding(KubeModel):
    api_version: Literal["triggers.tekton.dev/v1beta1"] = TRIGGERS_API
    kind: Literal["ClusterTriggerBinding"] = "ClusterTriggerBinding"
    metadata: ObjectMeta
    spec: TriggerBindingSpec
    status: dict[str, Any] | None = None


class TriggerTemplateSpec(KubeModel):
    params: list[TriggerParamSpec] | None = None
    resource_templates: list[dict[str, Any]] | None = Field(default=None, alias="resourcetemplates")


class TriggerTemplate(KubeModel):
    api_version: Literal["triggers.tekton.dev/v1beta1"] = TRIGGERS_API
    kind: Literal["TriggerTemplate"] = "TriggerTemplate"
    metadata: ObjectMeta
    spec: TriggerTemplateSpec
    status: dict[str, Any] | None = None


class TriggerSpecTemplate(KubeModel):
    """A template by name (``ref``) or inline (``spec``)."""

    ref: str | None = None
    api_version: str | None = Field(default=None, alias="apiversion")
    spec: TriggerTemplateSpec | None = None


class TriggerSpecBinding(KubeModel):
    """A binding by reference (``ref``/``kind``) or one inline param (``name``/``value``)."""

    name: str | None = None
    value: str | None = None
    ref: str | None = None
    kind: str | None = None
    api_version: str | None = Field(default=None, alias="apiversion")


class InterceptorRef(KubeModel):
    name: str | None = None
    kind: str | None = None
    api_version: str | None = None


class InterceptorParams(KubeModel):
    """An interceptor param: any JSON value (a CEL filter string, a list of event types...)."""

    name: str
    value: Any


class WebhookHeader(KubeModel):
    """A header for an old-style webhook interceptor (Go: pipeline v1beta1 ``Param``)."""

    name: str
    value: ParamValue


class WebhookInterceptor(KubeModel):
    object_ref: ObjectReference | None = None
    url: str | None = None
    header: list[WebhookHeader] | None = None


class TriggerInterceptor(KubeModel):
    name: str | None = None
    ref: InterceptorRef | None = None
    params: list[InterceptorParams] | None = None
    webhook: WebhookInterceptor | None = None


class TriggerSpec(KubeModel):
    bindings: list[TriggerSpecBinding] | None = None
    template: TriggerSpecTemplate | None = None
    name: str | None = None
    interceptors: list[TriggerInterceptor] | None = None
    service_account_name: str | None = None


class Trigger(KubeModel):
    api_version: Literal["triggers.tekton.dev/v1beta1"] = TRIGGERS_API
    kind: Literal["Trigger"] = "Trigger"
    metadata: ObjectMeta
    spec: TriggerSpec
    status: dict[str, Any] | None = None


class EventListenerTrigger(KubeModel):
    """A trigger inline in an EventListener, or a ``triggerRef`` to a Trigger resource."""

    bindings: list[TriggerSpecBinding] | None = None
    template: TriggerSpecTemplate | None = None
    trigger_ref: str | None = None
    name: str | None = None
    interceptors: list[TriggerInterceptor] | None = None
    service_account_name: str | None = None


class NamespaceSelector(KubeModel):
    match_names: list[str] | None = None


class EventListenerTriggerSelector(KubeModel):
    namespace_selector: NamespaceSelector | None = None
    label_selector: LabelSelector | None = None


class EventListenerTriggerGroup(KubeModel):
    name: str | None = None
    interceptors: list[TriggerInterceptor] | None = None
    trigger_selector: EventListenerTriggerSelector | None = None


class KubernetesResource(KubeModel):
    """The Deployment/Service Triggers creates; ``spec`` is a pod template (knative WithPodSpec)."""

    replicas: int | None = None
    service_type: str | None = None
    service_port: int | None = None
    service_load_balancer_class: str | None = None
    spec: dict[str, Any] | None = None


class Resources(KubeModel):
    kubernetes_resource: KubernetesResource | None = None
    custom_resource: dict[str, Any] | None = None


class EventListenerSpec(KubeModel):
    service_account_name: str | None = None
    triggers: list[EventListenerTrigger] | None = None
    trigger_groups: list[EventListenerTriggerGroup] | None = None
    namespace_selector: NamespaceSelector | None = None
    label_selector: LabelSelector | None = None
    resources: Resources | None = None
    cloud_event_uri: str | None = Field(default=None, alias="cloudEventURI")


class EventListener(KubeModel):
    api_version: Literal["triggers.tekton.dev/v1beta1"] = TRIGGERS_API
    kind: Literal["EventListener"] = "EventListener"
    metadata: ObjectMeta
    spec: EventListenerSpec
    status: dict[str, Any] | None = None


TriggersResource: TypeAlias = (
    TriggerBinding | ClusterTriggerBinding | TriggerTemplate | Trigger | EventListener
)

KINDS: tuple[type[KubeModel], ...] = (
    TriggerBinding,
    ClusterTriggerBinding,
    TriggerTemplate,
    Trigger,
    EventListener,
)
