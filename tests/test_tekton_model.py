"""The Tekton models against Tekton itself: upstream examples, the CRD schemas and the validator.

Three sources of truth, none of them ours: the 87 upstream examples Tekton's webhook accepts
(every one must parse and dump back unchanged), the CRD JSON Schemas (every field they list must
be a model field, and no more where they are closed), and ../shared/tools/validate_tekton.py
(resources built here must pass it).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from ghtotekton.errors import InputError
from ghtotekton.tekton import k8s
from ghtotekton.tekton import model as tk
from ghtotekton.tekton import triggers_model as tr
from ghtotekton.yamlsource import load_yaml_bytes
from tests.conftest import SHARED, need_shared

EXAMPLES = SHARED / "tekton-examples"
SCHEMAS = SHARED / "tekton-schemas"
VALIDATOR = SHARED / "tools" / "validate_tekton.py"


class _KubeLoader(yaml.SafeLoader):
    """PyYAML as Kubernetes reads YAML: timestamps stay strings (as validate_tekton.py does)."""


_KubeLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _example_files() -> list[Path]:
    return sorted(EXAMPLES.rglob("*.yaml")) if EXAMPLES.is_dir() else []


def _documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [d for d in yaml.load_all(fh, Loader=_KubeLoader) if d is not None]


# --- upstream examples: no false positives, exact round trip ----------------------------------


def test_example_set_is_complete() -> None:
    need_shared(EXAMPLES)
    assert len(_example_files()) == 87


@pytest.mark.parametrize("path", _example_files() or [None], ids=lambda p: p.name if p else "none")
def test_upstream_example_parses_and_round_trips(path: Path | None) -> None:
    need_shared(EXAMPLES)
    assert path is not None
    tekton = [d for d in _documents(path) if tk.is_tekton(d)]
    assert tekton, f"{path.name} has no Tekton document"
    for doc in tekton:
        resource = tk.parse_resource(doc, file=str(path))
        assert type(resource).__name__ == doc["kind"]
        # Kubernetes would normalise nothing in these files: they already say what it stores.
        assert tk.dump(resource) == doc


def test_non_tekton_documents_in_examples_are_refused_by_name() -> None:
    need_shared(EXAMPLES)
    others = [d for p in _example_files() for d in _documents(p) if not tk.is_tekton(d)]
    assert {d["kind"] for d in others} >= {"Secret", "ConfigMap", "PersistentVolumeClaim"}
    for doc in others:
        with pytest.raises(InputError, match="not a Tekton resource"):
            tk.parse_resource(doc)


# --- the CRD schemas: the same fields, no more, no fewer --------------------------------------


def _deref(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _compare(
    node: dict[str, Any], tp: Any, root: dict[str, Any], path: str, out: list[str]
) -> None:
    node = _deref(node, root)
    tp = tk._unwrap(tp)
    if get_origin(tp) is list:
        if "items" in node:
            _compare(node["items"], get_args(tp)[0], root, path + "[]", out)
        return
    if get_origin(tp) is dict:
        if isinstance(node.get("additionalProperties"), dict):
            _compare(node["additionalProperties"], get_args(tp)[1], root, path + "{}", out)
        return
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)) or "properties" not in node:
        return
    fields = {(f.alias or name): f for name, f in tp.model_fields.items()}
    props = node["properties"]
    out += [f"{path}: model lacks `{key}`" for key in props if key not in fields]
    if node.get("additionalProperties") is False:
        out += [f"{path}: schema has no `{key}`" for key in fields if key not in props]
    for key, field in fields.items():
        if key in props:
            _compare(props[key], field.annotation, root, f"{path}.{key}", out)


OURS = [
    "tekton.dev/v1/Task",
    "tekton.dev/v1/Pipeline",
    "tekton.dev/v1/PipelineRun",
    "tekton.dev/v1/TaskRun",
    "tekton.dev/v1beta1/StepAction",
    "tekton.dev/v1alpha1/StepAction",
    "triggers.tekton.dev/v1beta1/EventListener",
    "triggers.tekton.dev/v1beta1/TriggerBinding",
    "triggers.tekton.dev/v1beta1/ClusterTriggerBinding",
    "triggers.tekton.dev/v1beta1/TriggerTemplate",
    "triggers.tekton.dev/v1beta1/Trigger",
]


@pytest.mark.parametrize("key", OURS)
def test_model_fields_match_crd_schema(key: str) -> None:
    need_shared(SCHEMAS)
    index = json.loads((SCHEMAS / "index.json").read_text())["schemas"]
    root = json.loads((SCHEMAS / index[key]["file"]).read_text())
    api, kind = key.rsplit("/", 1)
    out: list[str] = []
    _compare(root, tk.model_for(api, kind), root, kind, out)
    assert out == []


# --- resources built in Python pass Tekton's schemas ------------------------------------------


def _meta(name: str) -> k8s.ObjectMeta:
    return k8s.ObjectMeta(name=name, labels={"app.kubernetes.io/managed-by": "ghtotekton"})


def _task() -> tk.Task:
    return tk.Task(
        metadata=_meta("build"),
        spec=tk.TaskSpec(
            params=[
                tk.ParamSpec(name="flags", type="array", default=["-v"]),
                tk.ParamSpec(
                    name="target",
                    type="object",
                    properties={"os": tk.PropertySpec(type="string")},
                    default={"os": "linux"},
                ),
            ],
            description="Build and test",
            step_template=tk.StepTemplate(
                env=[k8s.EnvVar(name="CI", value="true")],
                security_context=k8s.SecurityContext(run_as_non_root=True, run_as_user=1000),
            ),
            steps=[
                tk.Step(
                    name="test",
                    image="python:3.12",
                    working_dir="$(workspaces.source.path)",
                    env=[
                        k8s.EnvVar(
                            name="TOKEN",
                            value_from=k8s.EnvVarSource(
                                secret_key_ref=k8s.SecretKeySelector(name="gh", key="token")
                            ),
                        )
                    ],
                    compute_resources=k8s.ResourceRequirements(
                        requests={"cpu": "500m", "memory": "1Gi"}
                    ),
                    volume_mounts=[k8s.VolumeMount(name="cache", mount_path="/cache")],
                    script="#!/bin/sh\npytest -q\n",
                    timeout="1h0m0s",
                    on_error="continue",
                    results=[tk.StepResult(name="report")],
                ),
                tk.Step(
                    name="publish",
                    ref=tk.StepRef(
                        resolver="git",
                        params=[tk.Param(name="url", value="https://github.com/o/r.git")],
                    ),
                    when=[
                        tk.WhenExpression(input="$(params.flags[0])", operator="in", values=["-v"])
                    ],
                ),
            ],
            sidecars=[
                tk.Sidecar(
                    name="db",
                    image="postgres:16",
                    ports=[k8s.ContainerPort(container_port=5432)],
                    readiness_probe=k8s.Probe(
                        tcp_socket=k8s.TCPSocketAction(port=5432), period_seconds=2
                    ),
                    workspaces=[tk.WorkspaceUsage(name="source", mount_path="/src")],
                )
            ],
            volumes=[
                k8s.Volume(
                    name="cache",
                    empty_dir=k8s.EmptyDirVolumeSource(medium="Memory", size_limit="1Gi"),
                ),
                k8s.Volume(name="conf", config_map=k8s.ConfigMapVolumeSource(name="ci-conf")),
            ],
            workspaces=[
                tk.WorkspaceDeclaration(name="source", description="checkout"),
                tk.WorkspaceDeclaration(name="cache", optional=True, read_only=True),
            ],
            results=[
                tk.TaskResult(name="digest", description="image digest"),
                tk.TaskResult(
                    name="meta", type="object", properties={"sha": tk.PropertySpec(type="string")}
                ),
            ],
        ),
    )


def _pipeline() -> tk.Pipeline:
    git = tk.TaskRef(
        resolver="git",
        params=[
            tk.Param(name="url", value="https://github.com/tektoncd/catalog.git"),
            tk.Param(name="revision", value="main"),
            tk.Param(name="pathInRepo", value="task/git-clone/0.9/git-clone.yaml"),
        ],
    )
    return tk.Pipeline(
        metadata=_meta("ci"),
        spec=tk.PipelineSpec(
            params=[
                tk.ParamSpec(name="python", type="array", default=["3.11", "3.12"]),
                tk.ParamSpec(name="event", default="push"),
            ],
            workspaces=[tk.PipelineWorkspaceDeclaration(name="source")],
            tasks=[
                tk.PipelineTask(
                    name="clone",
                    task_ref=git,
                    workspaces=[tk.WorkspacePipelineTaskBinding(name="output", workspace="source")],
                ),
                tk.PipelineTask(
                    name="test",
                    display_name="test ($(params.python))",
                    task_ref=tk.TaskRef(name="build"),
                    run_after=["clone"],
                    retries=2,
                    timeout="30m0s",
                    when=[
                        tk.WhenExpression(input="$(params.event)", operator="in", values=["push"]),
                        tk.WhenExpression(cel="'$(params.event)' != 'schedule'"),
                    ],
                    matrix=tk.Matrix(
                        params=[tk.Param(name="flags", value="$(params.python[*])")],
                        include=[
                            tk.IncludeParams(
                                name="nightly", params=[tk.Param(name="flags", value=["-x"])]
                            )
                        ],
                    ),
                    workspaces=[
                        tk.WorkspacePipelineTaskBinding(
                            name="source", workspace="source", sub_path="src"
                        )
                    ],
                ),
            ],
            results=[tk.PipelineResult(name="digest", value="$(tasks.test.results.digest)")],
            finally_=[
                tk.PipelineTask(
                    name="notify",
                    task_spec=tk.EmbeddedTask(
                        steps=[tk.Step(name="say", image="busybox", script="echo done")]
                    ),
                    on_error="continue",
                )
            ],
        ),
    )


def _pipeline_run() -> tk.PipelineRun:
    gpu_pod = tk.PodTemplate(
        node_selector={"nvidia.com/gpu.present": "true"},
        tolerations=[k8s.Toleration(key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")],
        security_context=k8s.PodSecurityContext(fs_group=1000),
        affinity={"nodeAffinity": {}},
    )
    return tk.PipelineRun(
        metadata=k8s.ObjectMeta(generate_name="ci-run-"),
        spec=tk.PipelineRunSpec(
            pipeline_ref=tk.PipelineRef(name="ci"),
            params=[tk.Param(name="python", value=["3.12"])],
            timeouts=tk.TimeoutFields(pipeline="2h0m0s", tasks="1h30m0s", finally_="30m0s"),
            task_run_template=tk.PipelineTaskRunTemplate(service_account_name="ci-bot"),
            workspaces=[
                tk.WorkspaceBinding(
                    name="source",
                    volume_claim_template=k8s.PersistentVolumeClaim(
                        spec=k8s.PersistentVolumeClaimSpec(
                            access_modes=["ReadWriteOnce"],
                            resources=k8s.VolumeResourceRequirements(requests={"storage": "1Gi"}),
                        )
                    ),
                ),
                tk.WorkspaceBinding(name="cache", empty_dir=k8s.EmptyDirVolumeSource()),
                tk.WorkspaceBinding(
                    name="conf", config_map=k8s.ConfigMapVolumeSource(name="ci-conf")
                ),
                tk.WorkspaceBinding(
                    name="creds", secret=k8s.SecretVolumeSource(secret_name="git-creds")
                ),
                tk.WorkspaceBinding(
                    name="shared",
                    persistent_volume_claim=k8s.PersistentVolumeClaimVolumeSource(
                        claim_name="shared"
                    ),
                    sub_path="ci",
                ),
            ],
            task_run_specs=[
                tk.PipelineTaskRunSpec(
                    pipeline_task_name="test",
                    service_account_name="gpu-runner",
                    pod_template=gpu_pod,
                    step_specs=[
                        tk.TaskRunStepSpec(
                            name="test",
                            compute_resources=k8s.ResourceRequirements(
                                limits={"nvidia.com/gpu": 1}
                            ),
                        )
                    ],
                    sidecar_specs=[
                        tk.TaskRunSidecarSpec(
                            name="db",
                            compute_resources=k8s.ResourceRequirements(requests={"cpu": "250m"}),
                        )
                    ],
                    compute_resources=k8s.ResourceRequirements(limits={"nvidia.com/gpu": 1}),
                    metadata=tk.PipelineTaskMetadata(labels={"gpu": "true"}),
                )
            ],
        ),
    )


def _task_run_and_step_action() -> list[BaseModel]:
    action = tk.StepAction(
        metadata=_meta("hello"),
        spec=tk.StepActionSpec(
            image="alpine",
            params=[tk.ParamSpec(name="who", default="world")],
            results=[tk.StepResult(name="greeting")],
            script='echo "hello $(params.who)" > $(step.results.greeting.path)',
        ),
    )
    run = tk.TaskRun(
        metadata=_meta("build-run"),
        spec=tk.TaskRunSpec(
            task_ref=tk.TaskRef(name="build"),
            params=[tk.Param(name="flags", value=["-x"])],
            timeout="10m0s",
            pod_template=tk.PodTemplate(
                volumes=[
                    k8s.Volume(
                        name="ephemeral",
                        projected=k8s.ProjectedVolumeSource(
                            sources=[
                                k8s.VolumeProjection(
                                    config_map=k8s.ConfigMapProjection(name="ci-conf")
                                )
                            ]
                        ),
                    )
                ]
            ),
            workspaces=[tk.WorkspaceBinding(name="source", empty_dir=k8s.EmptyDirVolumeSource())],
        ),
    )
    return [action, run]


def _triggers() -> list[BaseModel]:
    binding = tr.TriggerBinding(
        metadata=_meta("push"),
        spec=tr.TriggerBindingSpec(
            params=[
                tr.TriggerParam(name="revision", value="$(body.after)"),
                tr.TriggerParam(name="url", value="$(body.repository.clone_url)"),
            ]
        ),
    )
    cluster_binding = tr.ClusterTriggerBinding(
        metadata=_meta("github-event"),
        spec=tr.TriggerBindingSpec(
            params=[tr.TriggerParam(name="event", value="$(header.X-GitHub-Event)")]
        ),
    )
    run_doc = tk.dump(
        tk.PipelineRun(
            metadata=k8s.ObjectMeta(generate_name="ci-"),
            spec=tk.PipelineRunSpec(
                pipeline_ref=tk.PipelineRef(name="ci"),
                params=[tk.Param(name="revision", value="$(tt.params.revision)")],
            ),
        )
    )
    template_spec = tr.TriggerTemplateSpec(
        params=[
            tr.TriggerParamSpec(name="revision", description="commit"),
            tr.TriggerParamSpec(name="url", default="https://github.com/o/r.git"),
        ],
        resource_templates=[run_doc],
    )
    template = tr.TriggerTemplate(metadata=_meta("ci"), spec=template_spec)
    github = tr.TriggerInterceptor(
        name="only pushes",
        ref=tr.InterceptorRef(name="github", kind="ClusterInterceptor"),
        params=[
            tr.InterceptorParams(
                name="secretRef", value={"secretName": "gh-hook", "secretKey": "token"}
            ),
            tr.InterceptorParams(name="eventTypes", value=["push"]),
        ],
    )
    trigger = tr.Trigger(
        metadata=_meta("on-push"),
        spec=tr.TriggerSpec(
            interceptors=[github],
            bindings=[
                tr.TriggerSpecBinding(ref="push"),
                tr.TriggerSpecBinding(ref="github-event", kind="ClusterTriggerBinding"),
            ],
            template=tr.TriggerSpecTemplate(ref="ci"),
        ),
    )
    listener = tr.EventListener(
        metadata=_meta("github"),
        spec=tr.EventListenerSpec(
            service_account_name="tekton-triggers",
            triggers=[
                tr.EventListenerTrigger(trigger_ref="on-push"),
                tr.EventListenerTrigger(
                    name="inline",
                    interceptors=[
                        tr.TriggerInterceptor(
                            ref=tr.InterceptorRef(name="cel"),
                            params=[
                                tr.InterceptorParams(name="filter", value="body.ref == 'main'")
                            ],
                        )
                    ],
                    bindings=[tr.TriggerSpecBinding(name="revision", value="$(body.after)")],
                    template=tr.TriggerSpecTemplate(spec=template_spec),
                ),
            ],
            namespace_selector=tr.NamespaceSelector(match_names=["ci"]),
            label_selector=k8s.LabelSelector(match_labels={"team": "ci"}),
            resources=tr.Resources(
                kubernetes_resource=tr.KubernetesResource(replicas=2, service_type="ClusterIP")
            ),
            cloud_event_uri="http://sink.ci.svc",
        ),
    )
    return [binding, cluster_binding, template, trigger, listener]


def _built() -> list[BaseModel]:
    return [_task(), _pipeline(), _pipeline_run(), *_task_run_and_step_action(), *_triggers()]


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(VALIDATOR), str(path)], capture_output=True, text=True, check=False
    )


def test_built_resources_pass_the_schema_validator(tmp_path: Path) -> None:
    need_shared(VALIDATOR)
    built = _built()
    path = tmp_path / "built.yaml"
    path.write_text(yaml.safe_dump_all([tk.dump(r) for r in built], sort_keys=False))
    result = _validate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    # TriggerTemplate's PipelineRun and the inline EventListener one are checked as well.
    assert f"checked {len(built) + 2} documents" in result.stdout


def test_schema_validator_catches_a_broken_dump(tmp_path: Path) -> None:
    """The check above can fail: the same validator rejects a dump with a stray key."""
    need_shared(VALIDATOR)
    doc = tk.dump(_task())
    doc["spec"]["steps"][0]["imagee"] = "x"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert _validate(path).returncode == 1


def test_built_resources_read_back_equal() -> None:
    for resource in _built():
        again = tk.parse_resource(tk.dump(resource))
        assert again == resource


def test_gpu_limit_stays_a_number() -> None:
    run = tk.dump(_pipeline_run())
    spec = run["spec"]["taskRunSpecs"][0]
    assert spec["stepSpecs"][0]["computeResources"] == {"limits": {"nvidia.com/gpu": 1}}
    assert spec["podTemplate"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}


# --- dump: Go's names, Go's order, nothing unset ----------------------------------------------


def test_dump_uses_yaml_names_and_go_field_order() -> None:
    doc = tk.dump(_pipeline())
    assert list(doc) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(doc["spec"]) == ["tasks", "params", "workspaces", "results", "finally"]
    test = doc["spec"]["tasks"][1]
    assert list(test) == [
        "name",
        "displayName",
        "taskRef",
        "when",
        "retries",
        "runAfter",
        "matrix",
        "workspaces",
        "timeout",
    ]
    assert test["workspaces"] == [{"name": "source", "workspace": "source", "subPath": "src"}]


def test_dump_keeps_empty_sources_and_drops_unset_fields() -> None:
    doc = tk.dump(_pipeline_run())
    assert {"name": "cache", "emptyDir": {}} in doc["spec"]["workspaces"]
    assert "status" not in doc
    assert "pipelineSpec" not in doc["spec"]


def test_embedded_task_writes_type_fields_first() -> None:
    embedded = tk.EmbeddedTask(
        steps=[tk.Step(image="busybox")], api_version="example.dev/v1", kind="Wait"
    )
    assert list(tk.dump(embedded)) == ["apiVersion", "kind", "steps"]


# --- strictness -------------------------------------------------------------------------------


def _doc(kind: str, spec: dict[str, Any], api: str = tk.PIPELINE_API) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": "x"}, "spec": spec}


UNKNOWN_KEYS = [
    (_doc("Task", {"steps": [{"name": "a", "imagee": "x"}]}), "spec.steps[0]", "imagee"),
    (
        _doc("Pipeline", {"tasks": [{"name": "a", "taskSpec": {"steps": [{"scripts": "x"}]}}]}),
        "spec.tasks[0].taskSpec.steps[0]",
        "scripts",
    ),
    (
        _doc(
            "PipelineRun",
            {
                "pipelineRef": {"name": "p"},
                "taskRunSpecs": [{"podTemplate": {"tolerations": [{"keys": "gpu"}]}}],
            },
        ),
        "spec.taskRunSpecs[0].podTemplate.tolerations[0]",
        "keys",
    ),
    (
        _doc("TaskRun", {"workspaces": [{"name": "w", "emptyDir": {"medum": "Memory"}}]}),
        "spec.workspaces[0].emptyDir",
        "medum",
    ),
    (_doc("Task", {"step": []}), "spec", "step"),
    ({"apiVersion": tk.PIPELINE_API, "kind": "Task", "metdata": {}, "spec": {}}, "", "metdata"),
    (
        _doc(
            "EventListener",
            {"triggers": [{"bindings": [{"ref": "b", "apiVersion": "v1"}]}]},
            tr.TRIGGERS_API,
        ),
        "spec.triggers[0].bindings[0]",
        "apiVersion",
    ),
    (
        _doc("TriggerTemplate", {"resourceTemplates": []}, tr.TRIGGERS_API),
        "spec",
        "resourceTemplates",
    ),
]


@pytest.mark.parametrize(("doc", "where", "key"), UNKNOWN_KEYS)
def test_unknown_keys_are_rejected_with_their_path(
    doc: dict[str, Any], where: str, key: str
) -> None:
    with pytest.raises(InputError) as info:
        tk.parse_resource(doc, file="in.yaml")
    message = str(info.value)
    assert f'unexpected key "{key}"' in message
    assert where in message
    assert message.startswith("in.yaml: error:")


def test_pydantic_error_carries_the_path_too() -> None:
    with pytest.raises(ValidationError) as info:
        tk.Task.model_validate(_doc("Task", {"steps": [{"imagee": "x"}]}))
    (err,) = info.value.errors()
    assert err["type"] == "extra_forbidden"
    assert err["loc"] == ("spec", "steps", 0, "imagee")


def test_misspelt_key_gets_a_suggestion() -> None:
    with pytest.raises(InputError, match="did you mean `workingDir`"):
        tk.parse_resource(_doc("Task", {"steps": [{"workingdir": "/src"}]}))


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ({"workspaces": [{"name": "w", "optional": "true"}]}, "spec.workspaces[0].optional"),
        ({"steps": [{"computeResources": {"limits": {"cpu": 0.5}}}]}, "limits.cpu"),
        ({"steps": [{"securityContext": {"runAsUser": "0"}}]}, "runAsUser"),
        ({"steps": [{"args": "x"}]}, "spec.steps[0].args"),
    ],
)
def test_values_of_the_wrong_type_are_rejected(spec: dict[str, Any], where: str) -> None:
    with pytest.raises(InputError, match=re.escape(where)):
        tk.parse_resource(_doc("Task", spec))


def test_positions_come_from_the_yaml_document() -> None:
    text = (
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: x\nspec:\n  steps:\n"
        "    - name: a\n      imagee: busybox\n"
    )
    doc = load_yaml_bytes(text, "task.yaml")
    with pytest.raises(InputError) as info:
        tk.parse_document(doc)
    position = info.value.first.position
    assert (position.file, position.line) == ("task.yaml", 8)


# --- dispatch ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"apiVersion": "tekton.dev/v1", "kind": "Taks", "metadata": {}}, "unknown Tekton kind"),
        ({"apiVersion": "tekton.dev/v1beta1", "kind": "Task"}, "reads Task as tekton.dev/v1"),
        ({"apiVersion": "triggers.tekton.dev/v1beta1", "kind": "Interceptor"}, "unknown"),
        ({"apiVersion": "v1", "kind": "Secret"}, "not a Tekton resource"),
        ({"kind": "Task"}, "apiVersion and kind"),
        (["not", "a", "mapping"], "must be a mapping"),
    ],
)
def test_dispatch_errors_are_clear(doc: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        tk.parse_resource(doc)


def test_every_kind_dispatches_to_its_model() -> None:
    for resource in _built():
        data = tk.dump(resource)
        assert type(tk.parse_resource(data)) is type(resource)
    alpha = _doc("StepAction", {"image": "alpine"}, "tekton.dev/v1alpha1")
    assert isinstance(tk.parse_resource(alpha), tk.StepAction)
    assert tk.dump(tk.parse_resource(alpha)) == alpha


# --- param values -----------------------------------------------------------------------------

_strings = st.text(max_size=8)
_values = st.one_of(
    _strings, st.lists(_strings, max_size=4), st.dictionaries(_strings, _strings, max_size=4)
)


@settings(max_examples=60, deadline=None)
@given(value=_values)
def test_param_values_keep_their_type(value: str | list[str] | dict[str, str]) -> None:
    param = tk.Param.model_validate({"name": "p", "value": value})
    assert tk.dump(param) == {"name": "p", "value": value}


@pytest.mark.parametrize(
    ("raw", "read"),
    [(1, "1"), (True, "true"), (2.5, "2.5"), ([1, "a"], '[1,"a"]'), ({"k": 1}, '{"k":1}')],
)
def test_other_json_values_become_strings_as_in_tekton(raw: Any, read: str) -> None:
    """Tekton's ParamValue.UnmarshalJSON keeps the JSON text of anything else as a string."""
    assert tk.Param.model_validate({"name": "p", "value": raw}).value == read
