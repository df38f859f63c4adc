"""Checks of Tekton Triggers: TriggerTemplates, TriggerBindings, Triggers, EventListeners.

One of the validator's mixins (see ``validate_core``). A TriggerTemplate's resource templates are
then read and checked as the resources Triggers will create, through the validator's own reading
and dispatch.
"""

from __future__ import annotations

from typing import Any

from ghtotekton.tekton import model as m
from ghtotekton.tekton import triggers_model as tm
from ghtotekton.tekton import validate_names as names
from ghtotekton.tekton.validate_core import Document, ValidatorBase
from ghtotekton.tekton.validate_refs import fill_placeholders, listing, tt_params, walk_strings
from ghtotekton.yamlsource import PathKey, YamlDocument


class TriggerChecks(ValidatorBase):
    """The webhook checks of tektoncd/triggers (pkg/apis/triggers/v1beta1/*_validation.go)."""

    # -- triggers --

    def trigger_template(self, doc: Document, path: PathKey, spec: tm.TriggerTemplateSpec) -> None:
        """Resource templates present, each a resource, every $(tt.params.x) declared; then each
        template is validated as a resource of its own, placeholders filled in."""
        templates = spec.resource_templates or []
        if not templates:
            self.report(
                doc,
                (*path, "resourcetemplates") if spec.resource_templates is not None else path,
                "tekton/missing-field",
                "a TriggerTemplate needs at least one resource template",
            )
        declared = {p.name for p in spec.params or []}
        seen: set[str] = set()
        for i, param in enumerate(spec.params or []):
            if param.name in seen:
                self.report(
                    doc,
                    (*path, "params", i, "name"),
                    "tekton/duplicate-param",
                    f'param "{param.name}" is declared more than once',
                )
            seen.add(param.name)
        for i, template in enumerate(templates):
            here = (*path, "resourcetemplates", i)
            for key in ("apiVersion", "kind"):
                if not isinstance(template.get(key), str) or not template.get(key):
                    self.report(
                        doc,
                        (*here, key) if key in template else here,
                        "tekton/missing-field",
                        f"a resource template needs `{key}` (a string)",
                    )
            for where, value in walk_strings(here, template):
                for start, end, name in tt_params(value):
                    if name not in declared:
                        self.report(
                            doc,
                            where,
                            "tekton/undeclared-tt-param",
                            f"$(tt.params.{name}) is not declared in the TriggerTemplate's params",
                            listing("declared", declared),
                            value=value,
                            span=(start, end),
                        )
            self.embedded(doc, here, template)

    def embedded(self, doc: Document, path: PathKey, template: dict[str, Any]) -> None:
        """Check a resource template as the resource Triggers will create from it."""
        if not m.is_tekton(template):
            return
        filled = fill_placeholders(template)
        n = len(path)
        sub = YamlDocument(
            file=doc.yaml.file,
            data=filled,
            positions={k[n:]: v for k, v in doc.yaml.positions.items() if k[:n] == path},
            key_positions={k[n:]: v for k, v in doc.yaml.key_positions.items() if k[:n] == path},
        )
        inner = Document(doc.source, sub, doc.number)
        if self._read(inner):
            self._semantics(inner)

    def trigger_binding(self, doc: Document, spec: tm.TriggerBindingSpec) -> None:
        path: PathKey = ("spec",)
        if not m.dump(spec):
            self.report(doc, path, "tekton/missing-field", "a TriggerBinding needs params")
        seen: set[str] = set()
        for i, param in enumerate(spec.params or []):
            here = (*path, "params", i)
            if param.name in seen:
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/duplicate-param",
                    f'param "{param.name}" is bound more than once',
                )
            seen.add(param.name)
            if not names.is_terminated(param.value):
                self.report(
                    doc,
                    (*here, "value"),
                    "tekton/invalid-trigger",
                    f'"{param.value}": a $( is not closed',
                )

    def trigger(self, doc: Document, spec: tm.TriggerSpec) -> None:
        path: PathKey = ("spec",)
        self.bindings(doc, (*path, "bindings"), spec.bindings)
        self.trigger_spec_template(doc, (*path, "template"), spec.template, required=True)
        self.interceptors(doc, (*path, "interceptors"), spec.interceptors)

    def bindings(
        self, doc: Document, path: PathKey, bindings: list[tm.TriggerSpecBinding] | None
    ) -> None:
        for i, binding in enumerate(bindings or []):
            here = (*path, i)
            if binding.ref:
                if binding.name:
                    self.report(
                        doc,
                        (*here, "name"),
                        "tekton/invalid-trigger",
                        "a binding has either a `ref` or a `name` and `value`, not both",
                    )
                elif binding.kind not in (None, "", "TriggerBinding", "ClusterTriggerBinding"):
                    self.report(
                        doc,
                        (*here, "kind"),
                        "tekton/invalid-trigger",
                        f'binding kind "{binding.kind}" must be TriggerBinding or '
                        "ClusterTriggerBinding",
                    )
            elif binding.name:
                if binding.value is None:
                    self.report(
                        doc, here, "tekton/invalid-trigger", "an inline binding needs a `value`"
                    )
            else:
                self.report(
                    doc, here, "tekton/invalid-trigger", "a binding needs a `ref` or a `name`"
                )

    def trigger_spec_template(
        self,
        doc: Document,
        path: PathKey,
        template: tm.TriggerSpecTemplate | None,
        *,
        required: bool,
    ) -> None:
        if template is None:
            if required:
                self.report(
                    doc, path[:-1], "tekton/invalid-trigger", "a trigger needs a `template`"
                )
            return
        if template.api_version not in (None, "", "v1alpha1", "v1beta1"):
            self.report(
                doc,
                (*path, "apiversion"),
                "tekton/invalid-trigger",
                f'template apiversion "{template.api_version}" must be v1alpha1 or v1beta1',
            )
        if template.spec is not None and template.ref is not None:
            self.report(
                doc,
                path,
                "tekton/invalid-trigger",
                "a template has either a `ref` or a `spec`, not both",
            )
        elif template.spec is not None:
            self.trigger_template(doc, (*path, "spec"), template.spec)
        elif not template.ref:
            self.report(doc, path, "tekton/invalid-trigger", "a template needs a `ref` or a `spec`")

    def interceptors(
        self, doc: Document, path: PathKey, interceptors: list[tm.TriggerInterceptor] | None
    ) -> None:
        for i, interceptor in enumerate(interceptors or []):
            here = (*path, i)
            webhook = interceptor.webhook
            if webhook is None:
                if interceptor.ref is None or not interceptor.ref.name:
                    self.report(
                        doc,
                        here,
                        "tekton/invalid-trigger",
                        "an interceptor needs a `ref` with a name (or a `webhook`)",
                    )
                continue
            obj = webhook.object_ref
            if obj is None:
                self.report(
                    doc,
                    (*here, "webhook"),
                    "tekton/invalid-trigger",
                    "a webhook interceptor needs an objectRef",
                )
            else:
                if obj.kind != "Service":
                    self.report(
                        doc,
                        (*here, "webhook", "objectRef"),
                        "tekton/invalid-trigger",
                        "a webhook interceptor's objectRef must be a Service",
                    )
                if obj.api_version != "v1":
                    self.report(
                        doc,
                        (*here, "webhook", "objectRef"),
                        "tekton/invalid-trigger",
                        "a webhook interceptor's objectRef needs apiVersion v1",
                    )
            for j, header in enumerate(webhook.header or []):
                if not header.name or names.canonical_header_key(header.name) != header.name:
                    self.report(
                        doc,
                        (*here, "webhook", "header", j, "name"),
                        "tekton/invalid-trigger",
                        f'header name "{header.name}" must be canonical, e.g. '
                        f'"{names.canonical_header_key(header.name) or "X-Header"}"',
                    )
                if not header.value:
                    self.report(
                        doc,
                        (*here, "webhook", "header", j, "value"),
                        "tekton/invalid-trigger",
                        "a header needs a value",
                    )

    def event_listener(self, doc: Document, listener: tm.EventListener) -> None:
        path: PathKey = ("spec",)
        spec = listener.spec
        annotations = listener.metadata.annotations or {}
        payload = annotations.get("tekton.dev/payload-validation")
        if payload is not None and payload not in ("true", "false"):
            self.report(
                doc,
                ("metadata", "annotations", "tekton.dev/payload-validation"),
                "tekton/invalid-trigger",
                "tekton.dev/payload-validation must be true or false",
            )
        selector = spec.namespace_selector
        if (
            spec.label_selector is None
            and not (selector and selector.match_names)
            and not spec.trigger_groups
            and not spec.triggers
        ):
            self.report(
                doc,
                path,
                "tekton/invalid-trigger",
                "an EventListener needs triggers, triggerGroups, a labelSelector or a "
                "namespaceSelector",
            )
        for i, trig in enumerate(spec.triggers or []):
            here = (*path, "triggers", i)
            if trig.template is None and not trig.trigger_ref:
                self.report(
                    doc,
                    here,
                    "tekton/invalid-trigger",
                    "a trigger needs a template or a triggerRef",
                )
            if trig.trigger_ref and (
                trig.template is not None or trig.bindings is not None or trig.interceptors
            ):
                self.report(
                    doc,
                    (*here, "triggerRef"),
                    "tekton/invalid-trigger",
                    "a trigger with triggerRef cannot also have template, bindings or interceptors",
                )
            self.bindings(doc, (*here, "bindings"), trig.bindings)
            self.trigger_spec_template(doc, (*here, "template"), trig.template, required=False)
            self.interceptors(doc, (*here, "interceptors"), trig.interceptors)
            if trig.name is not None and not names.is_label_value(trig.name):
                self.report(
                    doc,
                    (*here, "name"),
                    "tekton/invalid-name",
                    f'trigger name "{trig.name}" must be a valid label value',
                )
        resources = spec.resources
        if resources is not None and resources.kubernetes_resource and resources.custom_resource:
            self.report(
                doc,
                (*path, "resources"),
                "tekton/invalid-trigger",
                "resources has either kubernetesResource or customResource, not both",
            )
        if resources is not None and resources.kubernetes_resource is not None:
            replicas = resources.kubernetes_resource.replicas
            if replicas is not None and replicas < 0:
                self.report(
                    doc,
                    (*path, "resources", "kubernetesResource", "replicas"),
                    "tekton/invalid-value",
                    "replicas must be >= 0",
                )
        for i, group in enumerate(spec.trigger_groups or []):
            here = (*path, "triggerGroups", i)
            chosen = group.trigger_selector
            names_given = (
                chosen and chosen.namespace_selector and chosen.namespace_selector.match_names
            )
            if chosen is None or (chosen.label_selector is None and not names_given):
                self.report(
                    doc,
                    here,
                    "tekton/invalid-trigger",
                    "a trigger group needs triggerSelector.labelSelector or namespaceSelector",
                )
            if not group.interceptors:
                self.report(
                    doc, here, "tekton/invalid-trigger", "a trigger group needs interceptors"
                )
            self.interceptors(doc, (*here, "interceptors"), group.interceptors)
