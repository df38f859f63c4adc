"""The passes that make converted output follow Tekton's run-time rules, each on its own.

- ``claims``: one PVC per TaskRun (pkg/workspace/validate.go);
- ``env_order``: step env references after the stepTemplate merge (pkg/apis/pipeline/v1/merge.go);
- ``gpu_visibility``: GPU-less containers do not see the node's GPUs.
"""

from __future__ import annotations

from typing import Any

from ghtotekton.convert.claims import SHARED, share_one_claim
from ghtotekton.convert.env_order import resolve_env_references
from ghtotekton.convert.gpu_visibility import hide_gpus
from ghtotekton.tekton.k8s import EnvVar
from ghtotekton.tekton.validate import validate_text
from ghtotekton.tekton.validate_runtime import late_references, merged_env


def _task(steps: list[dict[str, Any]], template_env: list[dict[str, Any]] | None = None) -> dict:
    spec: dict[str, Any] = {"steps": steps}
    if template_env is not None:
        spec["stepTemplate"] = {"env": template_env}
    return {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": "t"}, "spec": spec}


# --- claims -----------------------------------------------------------------------------------


def test_per_run_workspaces_become_folders_of_one_claim() -> None:
    tasks = [
        {
            "name": "gpu",
            "workspaces": [
                {"name": "artifacts", "workspace": "artifacts"},
                {"name": "source", "workspace": "job-files", "subPath": "m1"},
            ],
        },
        {"name": "lint", "workspaces": [{"name": "source", "workspace": "source"}]},
    ]
    declared = {"artifacts", "job-files", "source"}
    moved_cache = share_one_claim(tasks, declared)
    assert not moved_cache
    assert tasks[0]["workspaces"] == [
        {"name": "artifacts", "workspace": SHARED, "subPath": "artifacts"},
        {"name": "source", "workspace": SHARED, "subPath": "files/job/m1"},
    ]
    assert tasks[1]["workspaces"] == [{"name": "source", "workspace": "source"}]
    assert declared == {SHARED, "source"}


def test_the_cache_moves_only_where_a_task_binds_both() -> None:
    both = {"name": "a", "workspaces": [{"name": "artifacts"}, {"name": "cache"}]}
    alone = {"name": "b", "workspaces": [{"name": "cache"}]}
    declared = {"artifacts", "cache", "source"}
    assert share_one_claim([both, alone], declared)
    assert both["workspaces"][1] == {"name": "cache", "workspace": SHARED, "subPath": "cache"}
    assert alone["workspaces"] == [{"name": "cache"}]  # keeps the claim the cluster keeps
    assert declared == {SHARED, "cache", "source"}


# --- env order --------------------------------------------------------------------------------


def test_a_template_variable_in_a_step_value_is_resolved_when_converting() -> None:
    task = _task(
        [{"name": "s", "image": "alpine", "env": [{"name": "IN", "value": "$(DIR)/x"}]}],
        [{"name": "DIR", "value": "reports"}],
    )
    resolve_env_references(task)
    assert task["spec"]["steps"][0]["env"] == [{"name": "IN", "value": "reports/x"}]


def test_a_secret_or_a_value_with_references_gets_a_copy_the_step_defines_first() -> None:
    secret = {"secretKeyRef": {"name": "s", "key": "k"}}
    task = _task(
        [
            {
                "name": "s",
                "image": "alpine",
                "env": [
                    {"name": "TOKEN", "value": "$(TOKEN)"},  # GitHub's `TOKEN: ${{ env.TOKEN }}`
                    {"name": "URL", "value": "$(BASE)/api"},
                ],
            }
        ],
        [
            {"name": "TOKEN", "valueFrom": secret},
            {"name": "HOST", "value": "example.org"},
            {"name": "BASE", "value": "https://$(HOST)"},
        ],
    )
    resolve_env_references(task)
    env = task["spec"]["steps"][0]["env"]
    assert env == [
        {"name": "GHT_ENV_TOKEN", "valueFrom": secret},
        {"name": "GHT_ENV_BASE", "value": "https://example.org"},
        {"name": "TOKEN", "value": "$(GHT_ENV_TOKEN)"},
        {"name": "URL", "value": "$(GHT_ENV_BASE)/api"},
    ]
    template = [EnvVar.model_validate(e) for e in task["spec"]["stepTemplate"]["env"]]
    merged = merged_env(template, [EnvVar.model_validate(e) for e in env])
    assert list(late_references(merged)) == []


def test_an_input_reading_the_steps_own_later_variable_gets_its_value() -> None:
    """`with: key: conda-${{ env.CACHE_NUMBER }}` of a step whose own `env:` sets CACHE_NUMBER:
    the input comes first in the step's env, so the value is resolved, with no template too."""
    secret = {"secretKeyRef": {"name": "s", "key": "k"}}
    steps = [
        {
            "name": "s",
            "image": "alpine",
            "env": [
                {"name": "INPUT_KEY", "value": "conda-$(CACHE_NUMBER)"},
                {"name": "INPUT_TOKEN", "value": "Bearer $(TOKEN)"},
                {"name": "EARLY", "value": "x"},
                {"name": "LATE", "value": "$(EARLY)-y"},
                {"name": "CACHE_NUMBER", "value": "7"},
                {"name": "TOKEN", "valueFrom": secret},
            ],
        }
    ]
    task = {"spec": {"steps": steps}}
    resolve_env_references(task)
    env = task["spec"]["steps"][0]["env"]
    assert env[:3] == [
        {"name": "GHT_ENV_TOKEN", "valueFrom": secret},
        {"name": "INPUT_KEY", "value": "conda-7"},
        {"name": "INPUT_TOKEN", "value": "Bearer $(GHT_ENV_TOKEN)"},
    ]
    assert {"name": "LATE", "value": "$(EARLY)-y"} in env  # earlier: Kubernetes expands it
    merged = merged_env(None, [EnvVar.model_validate(e) for e in env])
    assert list(late_references(merged)) == []


def test_resolved_output_passes_the_env_order_rule() -> None:
    text = """
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  stepTemplate:
    env: [{name: DIR, value: reports}]
  steps:
    - name: s
      image: alpine
      env: [{name: IN, value: "$(DIR)/x"}]
      script: echo
"""
    assert [d.rule for d in validate_text(text)] == ["tekton/env-reference-order"]
    task = _task(
        [{"name": "s", "image": "alpine", "env": [{"name": "IN", "value": "$(DIR)/x"}]}],
        [{"name": "DIR", "value": "reports"}],
    )
    resolve_env_references(task)
    assert task["spec"]["steps"][0]["env"][0]["value"] == "reports/x"


# --- GPU visibility ---------------------------------------------------------------------------


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env") or []}


def test_gpu_less_containers_of_a_gpu_run_see_no_gpu() -> None:
    gpu = {"computeResources": {"limits": {"nvidia.com/gpu": "1"}}}
    mixed = _task(
        [
            {"name": "train", **gpu, "env": [{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}]},
            {"name": "report", "env": [{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}]},
        ]
    )
    cpu_only = _task([{"name": "lint"}])
    hide_gpus([mixed, cpu_only])
    train, report = mixed["spec"]["steps"]
    # The device plugin sets the GPUs it assigned; a value of ours (compose's `all`) would
    # compete with that assignment.
    assert "env" not in train
    assert _env(report)["NVIDIA_VISIBLE_DEVICES"] == "void"
    assert _env(cpu_only["spec"]["stepTemplate"])["NVIDIA_VISIBLE_DEVICES"] == "void"


def test_a_gpu_container_inherits_no_device_list_from_the_template() -> None:
    """A job's `NVIDIA_VISIBLE_DEVICES: ${{ env.NVIDIA_VISIBLE_DEVICES }}` (the runner's GPUs
    passed through) leaves the task's template; the GPU-less steps still get `void`."""
    gpu = {"computeResources": {"limits": {"nvidia.com/gpu": "1"}}}
    task = _task(
        [{"name": "train", **gpu}, {"name": "report"}],
        [
            {"name": "NVIDIA_VISIBLE_DEVICES", "value": "$(NVIDIA_VISIBLE_DEVICES)"},
            {"name": "CI", "value": "true"},
        ],
    )
    hide_gpus([task])
    assert _env(task["spec"]["stepTemplate"]) == {"CI": "true"}
    train, report = task["spec"]["steps"]
    assert "NVIDIA_VISIBLE_DEVICES" not in _env(train)
    assert _env(report)["NVIDIA_VISIBLE_DEVICES"] == "void"


def test_a_run_without_gpus_is_left_alone_unless_it_names_devices() -> None:
    plain = _task([{"name": "lint"}])
    named = _task([{"name": "x", "env": [{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}]}])
    hide_gpus([plain, named])
    assert "stepTemplate" not in plain["spec"]
    assert _env(named["spec"]["steps"][0])["NVIDIA_VISIBLE_DEVICES"] == "void"
