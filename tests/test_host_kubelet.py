"""The host kubelet (tests/host_kubelet.py) under Tekton's reconcilers: what it reports is what
a kubelet and Tekton's entrypoint would, so the end-to-end test judges real runs.

Also the claim of ``validate``'s ``tekton/secret-required``: a Secret key that is missing and not
optional keeps the pod from starting, and Tekton fails the TaskRun for it."""

from __future__ import annotations

from pathlib import Path

from tests import oracle

TASK = """\
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: t
spec:
  results:
    - name: greeting
  stepTemplate:
    image: ubuntu
    env:
      - name: WHO
        value: world
  steps:
    - name: first
      env:
        - name: WHOM
          value: you
        - name: GREETING
          value: hello $(WHOM) $(WHO) $$(WHOM)
{secret}
      script: |
        #!/bin/sh
        printf '%s' "$GREETING" > $(results.greeting.path)
        printf '%s' "$GREETING" > "$(workspaces.w.path)/greeting"
        printf '%s' "${{TOKEN-unset}}" > "$(workspaces.w.path)/token"
    - name: soft
      onError: continue
      script: |
        #!/bin/sh
        exit 3
    - name: after
      script: |
        #!/bin/sh
        cat $(steps.step-soft.exitCode.path) > "$(workspaces.w.path)/soft-exit"
        exit {last}
    - name: never
      script: |
        #!/bin/sh
        touch "$(workspaces.w.path)/never"
  workspaces:
    - name: w
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: p
spec:
  workspaces:
    - name: w
  tasks:
    - name: a
      taskRef:
        name: t
      workspaces:
        - name: w
          workspace: w
"""
RUN = """\
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: r
spec:
  pipelineRef:
    name: p
  workspaces:
    - name: w
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests:
              storage: 1Gi
"""
SECRET = """\
        - name: TOKEN
          valueFrom:
            secretKeyRef:
              name: s
              key: token{optional}"""


def _run(tmp_path: Path, *, secret: str = "", last: int = 0) -> tuple[oracle.RunResult, Path]:
    out = tmp_path / "out"
    out.mkdir()
    (out / "all.yaml").write_text(TASK.format(secret=secret, last=last))
    (tmp_path / "run.yaml").write_text(RUN)
    root = tmp_path / "host"
    kubelet = oracle.host_kubelet(root, secrets={})
    result = oracle.run(out, tmp_path / "run.yaml", kubelet=kubelet)
    claims = list((root / "claims").iterdir()) if (root / "claims").is_dir() else []
    return result, claims[0] if claims else root


def test_steps_run_as_the_entrypoint_runs_them(tmp_path: Path) -> None:
    result, claim = _run(tmp_path)
    assert result.status == "Succeeded", result.explain()
    tr = result.by_task["a"][0]
    assert [(s["name"], s["exitCode"]) for s in tr["steps"]] == [
        ("first", 0), ("soft", 3), ("after", 0), ("never", 0),
    ]  # fmt: skip
    # Kubernetes expands $(VAR) from earlier variables only; the step's own come before the
    # stepTemplate's once Tekton merged them (merge.go), so $(WHO) stays; $$ is an escaped $.
    assert (claim / "greeting").read_text() == "hello you $(WHO) $(WHOM)"
    assert (claim / "soft-exit").read_text() == "3"
    assert (claim / "token").read_text() == "unset"
    assert (claim / "never").exists()


def test_a_failing_step_skips_the_rest_and_keeps_earlier_results(tmp_path: Path) -> None:
    result, claim = _run(tmp_path, last=4)
    assert result.status == "Failed"
    tr = result.by_task["a"][0]
    assert tr["steps"][2]["exitCode"] == 4
    assert tr["steps"][3]["terminationReason"] == "Skipped"
    assert not (claim / "never").exists()


def test_a_missing_required_secret_key_stops_the_pod(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, secret=SECRET.format(optional=""))
    assert result.status == "Failed"
    tr = result.by_task["a"][0]
    assert tr["reason"] == "CreateContainerConfigError", result.explain()


def test_a_missing_optional_secret_key_is_unset(tmp_path: Path) -> None:
    result, claim = _run(tmp_path, secret=SECRET.format(optional="\n              optional: true"))
    assert result.status == "Succeeded", result.explain()
    assert (claim / "token").read_text() == "unset"
