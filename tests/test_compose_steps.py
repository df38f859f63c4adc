"""`docker compose` in run: steps, resolved against the compose file, as Tekton steps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ghtotekton.convert.compose_steps import compose_segments
from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.notebooks import papermill_output
from tests.conftest import FIXTURES, SHARED

COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: example
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 5s
      timeout: 3s
      retries: 10
  app:
    image: ghcr.io/acme/app:1.0
    depends_on: [db]
    working_dir: /src/backend
    user: "1000"
    volumes:
      - .:/src
      - data:/data
    gpus: all
  lab:
    image: ghcr.io/acme/lab:1.0
    command: ["sleep", "infinity"]
    working_dir: /src/backend
    volumes:
      - .:/src
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
  trainer:
    image: ghcr.io/acme/train:1.0
    runtime: nvidia
    shm_size: 512m
volumes:
  data:
"""


def _convert(tmp_path: Path, steps: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n" + steps
    )
    result = convert_paths([root], Options())
    task = yaml.safe_load(result.files["tasks/ci-test.yaml"])
    run = yaml.safe_load(result.files["examples/ci-run.yaml"])
    return task, run, result.conversions[0].jobs[0]


def _step(task: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in task["spec"]["steps"] if s["name"] == name)


def test_up_with_healthcheck_becomes_a_sidecar_with_a_readiness_probe(tmp_path: Path) -> None:
    task, run, job = _convert(tmp_path, "      - run: docker compose up -d db\n")
    [sidecar] = task["spec"]["sidecars"]
    assert sidecar["image"] == "postgres:16"
    assert sidecar["env"] == [{"name": "POSTGRES_PASSWORD", "value": "example"}]
    assert sidecar["readinessProbe"] == {
        "exec": {"command": ["/bin/sh", "-c", "pg_isready -U postgres"]},
        "periodSeconds": 5,
        "timeoutSeconds": 3,
        "failureThreshold": 10,
    }
    [spec] = run["spec"]["taskRunSpecs"]
    assert spec["podTemplate"]["hostAliases"] == [{"ip": "127.0.0.1", "hostnames": ["db"]}]
    assert job.steps[0].status == "converted"  # the sidecar is what it became


def test_run_uses_service_image_env_workdir_user_volumes_and_gpu(tmp_path: Path) -> None:
    task, run, job = _convert(
        tmp_path,
        '      - run: docker compose run --rm -e MODE=ci app pytest -q "$TARGET"\n'
        "        env:\n          TARGET: tests/\n",
    )
    step = _step(task, "run-1")
    assert step["image"] == "ghcr.io/acme/app:1.0"
    assert step["workingDir"] == "$(workspaces.source.path)/backend"
    assert step["securityContext"] == {"runAsUser": 1000}
    assert {"name": "MODE", "value": "ci"} in step["env"]
    assert {"name": "TARGET", "value": "tests/"} in step["env"]  # the host shell's variable
    assert step["script"].rstrip().endswith('exec pytest -q "$TARGET"')
    assert step["computeResources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert {"name": "vol-data", "mountPath": "/data"} in step["volumeMounts"]
    assert {"name": "vol-data", "emptyDir": {}} in task["spec"]["volumes"]
    # depends_on starts db as a sidecar, as `compose run` does
    assert [s["image"] for s in task["spec"].get("sidecars", [])] == []  # run does not start deps
    [spec] = run["spec"]["taskRunSpecs"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec[
        "podTemplate"
    ]["tolerations"]
    messages = " ".join(f.message for f in job.findings)
    assert "asks for all GPUs" in messages


def test_shm_size_and_runtime_nvidia(tmp_path: Path) -> None:
    task, _, _ = _convert(tmp_path, "      - run: docker-compose run trainer python train.py\n")
    step = _step(task, "run-1")
    assert {"name": "shm-trainer", "mountPath": "/dev/shm"} in step["volumeMounts"]
    assert {
        "name": "shm-trainer",
        "emptyDir": {"medium": "Memory", "sizeLimit": "512Mi"},
    } in task["spec"]["volumes"]
    assert step["computeResources"]["requests"] == {"nvidia.com/gpu": "1"}


def test_down_pull_and_logs_are_dropped_with_reasons(tmp_path: Path) -> None:
    _, _, job = _convert(
        tmp_path,
        "      - run: docker compose pull\n      - run: docker compose logs db\n"
        "      - run: docker compose down -v\n      - run: make test\n",
    )
    assert [s.status for s in job.steps] == ["dropped", "dropped", "dropped", "converted"]
    assert "kubelet pulls" in job.steps[0].reason
    assert "pod logs" in job.steps[1].reason
    assert "TaskRun ends" in job.steps[2].reason


def test_scripts_mixing_compose_with_other_commands_need_a_person(tmp_path: Path) -> None:
    _, _, job = _convert(
        tmp_path, "      - run: |\n          make build\n          docker compose up -d db\n"
    )
    assert job.steps[0].status == "manual"
    assert "mixes `docker compose` with other commands" in job.steps[0].reason


def test_a_script_with_mkdir_before_its_exec_is_one_step_in_the_service_image(
    tmp_path: Path,
) -> None:
    task, _, job = _convert(
        tmp_path,
        "      - run: docker compose up -d lab\n"
        "      - id: nb\n"
        "        run: |\n"
        "          mkdir -p reports\n"
        "          export SEED=42\n"
        "          docker compose exec -T lab papermill in.ipynb reports/out.ipynb -p seed $SEED\n"
        "          echo done\n",
    )
    step = _step(task, "nb")
    assert job.steps[1].status == "converted", job.steps[1].reason
    assert "run in the same step" in job.steps[1].reason
    assert step["image"] == "ghcr.io/acme/lab:1.0"
    assert step["computeResources"]["limits"] == {"nvidia.com/gpu": "1"}
    script = step["script"]
    assert script.index("mkdir -p reports") < script.index("papermill in.ipynb")
    assert script.index("papermill in.ipynb") < script.index("echo done")
    # the exec runs from the service's working_dir (/src/backend, the checkout's backend/)
    assert 'cd "$(workspaces.source.path)/backend"' in script
    assert "$(results.output-notebook.path)" in script
    assert "ghtotekton/notebooks" in script
    assert "docker" not in script


def test_mixed_script_steps_run_in_the_order_written(tmp_path: Path) -> None:
    """The generated script, run by sh with the compose call's command in place, keeps the
    order and the exit status of what GitHub ran."""
    task, _, _ = _convert(
        tmp_path,
        "      - run: docker compose up -d app\n"
        "      - id: two\n"
        "        run: mkdir -p out && docker compose exec -T app sh -c 'echo hi > out/x'; "
        "test -s out/x\n",
    )
    script = _step(task, "two")["script"]
    work = tmp_path / "work"
    (work / "backend").mkdir(parents=True)
    text = script.replace("$(workspaces.source.path)", str(work))
    text = "\n".join(line for line in text.splitlines() if "ln -s" not in line)
    run = subprocess.run(["sh", "-c", text], cwd=work / "backend", capture_output=True)
    assert run.returncode == 0, run.stderr
    assert (work / "backend" / "out" / "x").read_text() == "hi\n"
    failing = text.replace("test -s out/x", "test -s out/missing")
    assert subprocess.run(["sh", "-c", failing], cwd=work / "backend").returncode != 0


@pytest.mark.parametrize(
    "script",
    [
        # a compose call inside a compound command: not read as a plain command
        "if true; then docker compose exec -T lab pytest; fi",
        # two images (and a sidecar started on the way): no single step can run both
        "mkdir -p r\n          docker compose up -d db\n"
        "          docker compose exec -T lab pytest\n"
        "          docker compose run --rm trainer python t.py",
        # the compose file is looked up after a cd to a computed folder
        'cd "$DIR"\n          docker compose exec -T lab pytest',
        # the output of a compose call piped into another command
        "mkdir -p r\n          docker compose exec -T lab cat x | tee r/y",
    ],
)
def test_mixed_scripts_that_cannot_be_read_safely_stay_manual(tmp_path: Path, script: str) -> None:
    task, _, job = _convert(
        tmp_path,
        "      - run: docker compose up -d lab\n      - id: mixed\n        run: |\n"
        f"          {script}\n",
    )
    assert job.steps[1].status == "manual", script
    assert "exit 1" in _step(task, "mixed")["script"]
    # the fallback leaves nothing behind: no sidecar from the calls it undid
    assert not task["spec"].get("sidecars")


def test_an_unknown_service_or_missing_file_is_manual(tmp_path: Path) -> None:
    _, _, job = _convert(
        tmp_path,
        "      - run: docker compose exec -T nope true\n"
        "      - run: docker compose -f missing.yml up -d\n",
    )
    assert [s.status for s in job.steps] == ["manual", "manual"]
    assert "`nope` is not in the compose file" in job.steps[0].reason
    assert "does not load" in job.steps[1].reason


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("docker compose up -d", ["docker compose up -d"]),
        ("docker compose build && docker compose up -d db",
         ["docker compose build", "docker compose up -d db"]),
        ("docker compose up -d; echo done", None),
        ("docker compose logs | tee out.txt", None),
        ("set -x\ndocker compose \\\n  exec -T app \\\n  pytest",
         ["docker compose exec -T app pytest"]),
        ("# start\nCOMPOSE_PROFILES=x docker-compose up -d  # go",
         ["COMPOSE_PROFILES=x docker-compose up -d"]),
    ],
)  # fmt: skip
def test_compose_segments(script: str, expected: list[str] | None) -> None:
    assert compose_segments(script) == expected


def _fixture_output(split_gpu: bool = False) -> dict[str, str]:
    """One task per job (splitting has its own tests), unless asked."""
    return convert_paths([FIXTURES / "gpu-notebook"], Options(split_gpu=split_gpu)).files


def test_gpu_notebook_fixture_gpu_only_where_the_notebook_runs() -> None:
    files = _fixture_output()
    task = yaml.safe_load(files["tasks/gpu-notebooks-notebooks.yaml"])
    gpu_steps = [s["name"] for s in task["spec"]["steps"] if "computeResources" in s]
    assert gpu_steps == ["execute-the-notebook-with-papermill"]
    papermill = _step(task, "execute-the-notebook-with-papermill")
    assert papermill["image"] == "$(params.image-notebook)"
    assert papermill["computeResources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert {"name": "shm-notebook", "mountPath": "/dev/shm"} in papermill["volumeMounts"]
    shm = next(v for v in task["spec"]["volumes"] if v["name"] == "shm-notebook")
    assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": "2Gi"}
    tests = _step(task, "run-the-test-repository-against-the-results")
    assert {"name": "CUDA_VISIBLE_DEVICES", "value": ""} in tests["env"]
    run = yaml.safe_load(files["examples/gpu-notebooks-run.yaml"])
    # The GPU pool is where the run's pods go, in the run's pod template: the affinity assistant
    # of the shared claim is placed with that template only (affinity_assistant.go).
    pod = run["spec"]["taskRunTemplate"]["podTemplate"]
    assert pod["nodeSelector"]
    assert any(t["key"] == "nvidia.com/gpu" for t in pod["tolerations"])


@pytest.mark.parametrize("split_gpu", [True, False])
def test_gpu_notebook_fixture_validates_against_tekton_schemas(
    tmp_path: Path, split_gpu: bool
) -> None:
    tool = SHARED / "tools" / "validate_tekton.py"
    if not tool.exists():
        pytest.skip("../shared is not beside this checkout")
    paths = []
    for rel, text in _fixture_output(split_gpu).items():
        if rel.endswith(".yaml") and rel != "kustomization.yaml":
            path = tmp_path / rel.replace("/", "__")
            path.write_text(text)
            paths.append(str(path))
    done = subprocess.run([sys.executable, str(tool), *paths], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("papermill in.ipynb out.ipynb", "out.ipynb"),
        ("papermill -p epochs 2 -k python3 in.ipynb \"$DIR/out.ipynb\" --log-output",
         '"$DIR/out.ipynb"'),
        ("papermill in.ipynb out.ipynb -p seed 42 -r name raw -y '{a: 1}'", "out.ipynb"),
        ("papermill in.ipynb -", None),
        ("papermill in.ipynb", None),
        ("python train.py", None),
    ],
)  # fmt: skip
def test_papermill_output_argument(command: str, expected: str | None) -> None:
    assert papermill_output(command) == expected


def test_papermill_step_reports_its_notebook_and_time() -> None:
    task = yaml.safe_load(_fixture_output()["tasks/gpu-notebooks-notebooks.yaml"])
    names = [r["name"] for r in task["spec"]["results"]]
    assert {"output-notebook", "execution-seconds"} <= set(names)
    assert "artifacts" in [w["name"] for w in task["spec"]["workspaces"]]
    script = _step(task, "execute-the-notebook-with-papermill")["script"]
    assert '"$(results.output-notebook.path)"' in script
    assert '"$(results.execution-seconds.path)"' in script
    # one folder per job and matrix combination (the cells do not overwrite each other)
    cell = (
        '$(printf %s "notebooks-${GHT_MATRIX_PYTHON}-${GHT_MATRIX_NOTEBOOK}-${GHT_MATRIX_EPOCHS}"'
    )
    assert f'"$(workspaces.artifacts.path)/ghtotekton/notebooks/{cell} | tr' in script
    assert script.rstrip().endswith('exit "$ght_rc"')  # papermill's own exit status is kept


MIG_RULES = """\
rules:
  - id: a100-mig
    match:
      runner: [self-hosted, a100-mig]
    emit:
      runner:
        image: nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04
        gpu_count: 1
        gpu_resource: nvidia.com/mig-1g.5gb
        node_selector: {gpu-type: nvidia-a100}
        tolerations:
          - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    class: gpu
    docs: Our A100 pool, sliced with MIG.
"""


def test_users_map_gpu_types_and_mig_slices_through_the_runners_table(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "runners.yaml").write_text(MIG_RULES)
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  train:\n    runs-on: [self-hosted, a100-mig]\n    steps:\n"
        "      - run: python train.py\n"
        "      - run: docker compose run trainer python eval.py\n"
    )
    result = convert_paths([root], Options(mappings=[rules], split_gpu=False))
    task = yaml.safe_load(result.files["tasks/ci-train.yaml"])
    for name in ("run-1", "run-2"):
        limits = _step(task, name)["computeResources"]["limits"]
        assert limits == {"nvidia.com/mig-1g.5gb": "1"}, name
    assert task["spec"]["stepTemplate"]["image"] == "nvcr.io/nvidia/cuda:12.4.1-runtime-ubuntu22.04"
    run = yaml.safe_load(result.files["examples/ci-run.yaml"])
    [spec] = run["spec"]["taskRunSpecs"]
    assert spec["podTemplate"]["nodeSelector"] == {"gpu-type": "nvidia-a100"}


def test_mail_on_failure_keeps_untrusted_text_out_of_the_script(tmp_path: Path) -> None:
    """Why the send-mail rule is a step of ours and not the catalog sendmail Task: inputs that
    carry event text (a PR title) reach the script only as environment variables."""
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(
        "on: pull_request\njobs:\n  mail:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: dawidd6/action-send-mail@v3\n        with:\n"
        "          server_address: smtp.example.org\n"
        "          password: ${{ secrets.MAIL_PASSWORD }}\n"
        "          subject: 'Failed: ${{ github.event.pull_request.title }}'\n"
        "          to: team@example.org\n          from: ci@example.org\n"
    )
    result = convert_paths([root], Options())
    task = yaml.safe_load(result.files["tasks/ci-mail.yaml"])
    step = next(s for s in task["spec"]["steps"] if s["name"] != "ghtotekton-setup")
    assert "pull_request" not in step["script"] and "$(params." not in step["script"]
    env = {e["name"]: e for e in step["env"]}
    assert "$(params." in env["INPUT_SUBJECT"]["value"] or "$GHT" in env["INPUT_SUBJECT"]["value"]
    assert env["INPUT_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "MAIL_PASSWORD"
