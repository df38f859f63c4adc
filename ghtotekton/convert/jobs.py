"""One GitHub Actions job -> a Tekton Task plus the pipeline task that runs it.

Steps of a job share a pod and a filesystem, as they share a runner: the Task's steps run in order
in one pod, ``/workspace`` carries ``$GITHUB_ENV``/``$GITHUB_OUTPUT``/``$GITHUB_PATH`` between
them, and the ``source`` workspace (an emptyDir per TaskRun) is the job's own clean checkout.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ghtotekton.convert import expressions as cx
from ghtotekton.convert.compose_steps import ComposeSession
from ghtotekton.convert.findings import Finding, JobOutcome
from ghtotekton.convert.git_remote import later_remote_use
from ghtotekton.convert.gpu import apply_gpus
from ghtotekton.convert.image_variants import apply_to_matrix, matrix_env
from ghtotekton.convert.matrix_images import image_per_cell
from ghtotekton.convert.naming import dns_label, env_name, param_name, unique
from ghtotekton.convert.notebooks import NotebookCopy, cell_folder
from ghtotekton.convert.platform import environment_gate
from ghtotekton.convert.python_env import keep_installs
from ghtotekton.convert.rules import RuleSet
from ghtotekton.convert.secret_scope import scope_secrets
from ghtotekton.convert.service_options import read_options
from ghtotekton.convert.steps import (
    GHT_DIR,
    SHELL_VALUE,
    StepContext,
    apply_shell_values,
    convert_step,
    duration,
    env_entries,
    env_entry,
    failed_check,
    job_image_note,
    outcome_command,
    param_text,
    stub_leftovers,
    value_from,
)
from ghtotekton.errors import Position
from ghtotekton.github import expressions as ex
from ghtotekton.github import model as m
from ghtotekton.github.loader import LoadedWorkflow
from ghtotekton.github.matrix import MatrixError, MatrixExpansion, expand_matrix, scalar_keys
from ghtotekton.github.repository import Repository

DEFAULT_IMAGE = "ghcr.io/catthehacker/ubuntu:act-24.04"
"""For a job whose runner no rule maps: nektos/act's image that mimics GitHub's Ubuntu runner."""
SOURCE_ANNOTATION = "ghtotekton.dev/source"

SETUP_SCRIPT = r"""#!/bin/sh
# GitHub's runner files: $GITHUB_ENV, $GITHUB_PATH, $GITHUB_STEP_SUMMARY and per-step outputs.
set -e
mkdir -p "$GHT_DIR/outputs" "$GHT_DIR/summary" "$HOME"
: > "$GHT_DIR/env"
: > "$GHT_DIR/path"
cat > "$GHT_DIR/lib.sh" <<'GHT_LIB'
# Read NAME=value lines and NAME<<DELIMITER blocks, as GitHub does for these files.
ght_read() {
  _ght_file=$1 _ght_want=$2
  [ -s "$_ght_file" ] || return 0
  while IFS= read -r _ght_line || [ -n "$_ght_line" ]; do
    case "$_ght_line" in
      *'<<'*)
        _ght_name=${_ght_line%%<<*} _ght_delim=${_ght_line#*<<} _ght_value= _ght_first=1
        while IFS= read -r _ght_l && [ "$_ght_l" != "$_ght_delim" ]; do
          if [ $_ght_first = 1 ]; then _ght_value=$_ght_l _ght_first=0
          else _ght_value="$_ght_value
$_ght_l"; fi
        done ;;
      *=*) _ght_name=${_ght_line%%=*} _ght_value=${_ght_line#*=} ;;
      *) continue ;;
    esac
    if [ -z "$_ght_want" ]; then
      case "${_ght_keep:-}" in *" $_ght_name "*) ;; *) export "$_ght_name=$_ght_value" ;; esac
    elif [ "$_ght_name" = "$_ght_want" ]; then printf '%s' "$_ght_value"; fi
  done < "$_ght_file"
}
# The names given are the step's own env, which wins over $GITHUB_ENV as on GitHub.
ght_load_env() {
  _ght_keep=" $* "
  ght_read "$GHT_DIR/env" ""
  _ght_keep=
  if [ -s "$GHT_DIR/path" ]; then
    while IFS= read -r _ght_p; do PATH="$_ght_p:$PATH"; done < "$GHT_DIR/path"
    export PATH
  fi
}
ght_output() { ght_read "$GHT_DIR/outputs/$1" "$2"; }
# End a step that does not run, marked so that its steps.<id>.outcome is `skipped`.
ght_skip() {
  echo "skipped: $1"
  [ -z "${GITHUB_OUTPUT:-}" ] || : > "$GITHUB_OUTPUT.skipped"
  exit 0
}
# GitHub's steps.<id>.outcome of step $1 from its Tekton exit-code file $2 (missing: it did not
# run); with `soft` (continue-on-error) a failure concludes as success.
ght_outcome() {
  if [ -e "$GHT_DIR/outputs/$1.skipped" ] || [ ! -s "$2" ]; then echo skipped
  elif [ "$(cat "$2")" = 0 ] || [ "${3:-}" = soft ]; then echo success
  else echo failure; fi
}
# True when one of the given Tekton exit-code files records a failure.
ght_failed() {
  for _ght_f in "$@"; do
    [ -s "$_ght_f" ] && [ "$(cat "$_ght_f")" != 0 ] && return 0
  done
  return 1
}
GHT_LIB
"""


@dataclass(slots=True)
class JobConversion:
    outcome: JobOutcome
    task: dict[str, Any]
    pipeline_task: dict[str, Any]
    is_finally: bool
    pipeline_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Pipeline params this job needs (name -> spec), merged by the workflow converter."""
    workspaces: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    runner: dict[str, Any] = field(default_factory=dict)
    """Scheduling for the PipelineRun's taskRunSpecs (nodeSelector, tolerations, gpu)."""
    notebooks: list[NotebookCopy] = field(default_factory=list)
    """Executed notebooks the job writes (the GitHub side of ``convert --shadow-compare``)."""
    guards: list[dict[str, Any]] = field(default_factory=list)
    """Pipeline tasks that test the job's ``if:`` where no ``when`` can (``_condition_task``)."""


def convert_job(
    loaded: LoadedWorkflow,
    pipeline_name: str,
    job_id: str,
    job: m.Job,
    task_names: dict[str, str],
    rules: RuleSet,
    repo: Repository | None,
    taken_tasks: set[str],
    track_status: bool | None = None,
    demoted: bool = False,
) -> JobConversion:
    """``task_names`` maps every job id of the workflow to its pipeline task name.

    ``track_status=False`` is for a job whose trailing ``always()`` steps become a finally task
    (resource-class splitting): no step then needs the exit codes of the others.
    ``demoted``: the job's ``if:`` asks to run after failures, but other jobs need it, and Tekton
    cannot wait on a ``finally`` task: it stays a normal task (and says so).
    """
    wf = loaded.workflow
    where = job.pos or Position(loaded.display)
    is_finally = _is_finally(job) and not demoted
    pt_name = task_names[job_id]
    task_name = unique(dns_label(f"{pipeline_name}-{job_id}"), taken_tasks)
    outcome = JobOutcome(job_id, where, pt_name, task_name)
    findings = outcome.findings

    matrix_keys = _matrix_keys(job)
    expansion = _expand(job)
    object_keys = _object_keys(expansion)
    env_names = _env_names(wf, job)
    step_ids = {s.id.lower(): s for s in job.steps or [] if s.id}
    inputs = [
        key
        for trigger in (wf.on.workflow_dispatch, wf.on.workflow_call)
        if trigger is not None and trigger.inputs
        for key in trigger.inputs
    ]

    workflow_name = wf.name or loaded.display

    def resolve(path: tuple[str, ...]) -> cx.Source | cx.Untranslatable:
        if path[0] == "inputs" and len(path) == 2:
            # input names are case-insensitive: `inputs.MIN_REQ` is the input `min_req`
            key = next((k for k in inputs if k.lower() == path[1].lower()), path[1])
            return cx.default_resolve(("inputs", key))
        root = path[0]
        if root == "github" and len(path) == 2 and path[1].lower() == "job":
            return cx.Source("literal", text=job_id)
        if root == "github" and len(path) == 2 and path[1].lower() == "workflow":
            return cx.Source("env", env="GITHUB_WORKFLOW")
        if root == "matrix" and len(path) == 2:
            key = next((k for k in matrix_keys if k.lower() == path[1].lower()), path[1])
            name = param_name("matrix", key)
            return cx.Source("param", env=env_name("GHT_MATRIX", key), param=name, feed="")
        if root == "matrix" and len(path) > 2 and path[1].lower() in object_keys:
            # `matrix.config.requires` of an object value: a matrix param of its own per leaf
            key = object_keys[path[1].lower()]
            rest = [p.lower() for p in path[2:]]
            name = param_name("matrix", key, *rest)
            return cx.Source("param", env=env_name("GHT_MATRIX", key, *rest), param=name, feed="")
        if root == "steps" and len(path) == 4 and path[2] == "outputs":
            step = step_ids.get(path[1].lower())
            if step is None:
                return cx.Untranslatable(".".join(path), f"no step with id `{path[1]}`")
            step_name = dns_label(step.id or "")
            return cx.Source(
                "runtime",
                env=env_name("GHT_STEPS", path[1], "OUTPUTS", path[3]),
                text=f"ght_output {step_name} {path[3]}",
            )
        if root == "steps" and len(path) == 3 and path[2].lower() in ("outcome", "conclusion"):
            step = step_ids.get(path[1].lower())
            if step is None:
                return cx.Untranslatable(".".join(path), f"no step with id `{path[1]}`")
            name = dns_label(step.id or "")
            if name not in ctx.step_names:
                return cx.Source("literal", text="success")  # it became no step: nothing failed
            soft = path[2].lower() == "conclusion" and step.continue_on_error is True
            return cx.Source(
                "runtime",
                env=env_name("GHT_STEPS", path[1], path[2]),
                text=outcome_command(name, soft),
            )
        if root == "needs" and len(path) == 4 and path[2] == "outputs":
            target = task_names.get(_job_key(wf, path[1]))
            if target is None:
                return cx.Untranslatable(".".join(path), f"no job `{path[1]}`")
            needed = wf.jobs.get(_job_key(wf, path[1]))
            declared = {k.lower() for k in (needed.outputs or {})} if needed is not None else set()
            if needed is not None and not needed.is_call and path[3].lower() not in declared:
                return cx.Source("literal", text="")  # GitHub: an undeclared output is empty
            if needed is not None and needed.strategy is not None and needed.strategy.matrix:
                return cx.Untranslatable(
                    ".".join(path),
                    "outputs of a matrix job: GitHub gives the last instance's value, Tekton an "
                    "array with one value per instance",
                )
            name = param_name("needs", path[1], path[3])
            return cx.Source(
                "param",
                env=env_name("GHT_NEEDS", path[1], "OUTPUTS", path[3]),
                param=name,
                feed=f"$(tasks.{target}.results.{_result_name(path[3])})",
            )
        if root == "needs" and len(path) == 3 and path[2] == "result":
            target = task_names.get(_job_key(wf, path[1]))
            if target is None:
                return cx.Untranslatable(".".join(path), f"no job `{path[1]}`")
            if not is_finally:
                # A task that is not `finally` starts only after its runAfter tasks succeeded.
                return cx.Source("literal", text="success")
            name = param_name("needs", path[1], "result")
            return cx.Source(
                "param",
                env=env_name("GHT_NEEDS", path[1], "RESULT"),
                param=name,
                feed=f"$(tasks.{target}.status)",
            )
        if root == "env" and len(path) == 2 and path[1] not in env_names:
            return cx.Source("env", env=path[1], late=True)
        return cx.default_resolve(path)

    scope = cx.Scope(resolve)
    runner_rule = rules.match_runner(job.runner_labels()) if job.runs_on is not None else None
    runner: dict[str, Any] = {}
    image = DEFAULT_IMAGE
    if runner_rule is not None:
        outcome.runner_rule = runner_rule.id
        runner_spec = runner_rule.rule.emit.runner
        if runner_spec is not None:
            image = runner_spec.image or image
            runner = {
                "nodeSelector": dict(runner_spec.node_selector),
                "tolerations": [dict(t) for t in runner_spec.tolerations],
                "gpu": runner_spec.gpu_count,
                "gpuResource": runner_spec.gpu_resource,
            }
        elif runner_rule.rule.emit.manual:
            labels = ", ".join(job.runner_labels())
            findings.append(
                Finding(
                    "manual",
                    f"runner labels [{labels}] are not mapped to a node pool: "
                    f"{runner_rule.rule.emit.manual.strip()}",
                    where,
                    runner_rule.id,
                    action="add a `match.runner` rule (--mappings) with its image, node selector "
                    "and tolerations",
                )
            )
    elif job.runs_on is not None:
        labels = ", ".join(job.runner_labels())
        findings.append(
            Finding(
                "manual",
                f"runner labels [{labels}] are not mapped to a node pool",
                where,
                "runner",
                action="add a `match.runner` rule in mappings/runners.yaml (--mappings) with "
                "its image, node selector and tolerations",
            )
        )
    container_image, container_env = _container(job, scope, findings, _locator(loaded, job_id))
    image_refusal = ""
    if container_image and "${{" in container_image:
        container_image, image_refusal = _image_of(
            container_image, expansion, scope, findings, _locator(loaded, job_id)
        )
    if container_image:
        image = container_image

    defaults = (job.defaults or wf.defaults or m.Defaults()).run
    wf_env = wf.env if isinstance(wf.env, dict) else {}
    job_env = job.env if isinstance(job.env, dict) else {}
    ctx = StepContext(
        job_id=job_id,
        rules=rules,
        repo=repo,
        scope=scope,
        default_shell=(defaults.shell if defaults else None) or _runner_shell(job, expansion),
        default_workdir=defaults.working_directory if defaults else None,
        job_image=image,
        step_names={"ghtotekton-setup", "ghtotekton-outputs", "ghtotekton-status"},
        track_status=_needs_status_tracking(job) if track_status is None else track_status,
        compose=ComposeSession(
            repo.root if repo else None,
            _static_env(wf, job),
            classify=rules.resource_class,
            matrix_env=matrix_env({**wf_env, **job_env}),
        ),
        notebook_folder=cell_folder(
            job_id,
            [env_name("GHT_MATRIX", k) for k in scalar_keys(job.strategy.matrix)]
            if job.strategy
            else [],
        ),
    )
    steps: list[dict[str, Any]] = []
    remote_later = later_remote_use(job.steps or [])
    for index, step in enumerate(job.steps or []):
        ctx.remote_later = remote_later[index]
        for converted in convert_step(step, index, ctx):
            steps.extend(converted.steps)
            outcome.steps.append(converted.outcome)
    findings.extend(ctx.findings)
    runner = apply_gpus(job, outcome, steps, ctx.compose, runner, findings, where, rules)
    if ctx.image_from_rule and not container_image:
        image = ctx.image_from_rule

    # Every matrix key is a Task param: the pipeline task's matrix passes them all.
    for key in matrix_keys:
        scope.source_of(("matrix", key))
    results, outputs_step = _outputs(job, scope)
    if outputs_step:
        if ctx.track_status:
            outputs_step["onError"] = "continue"
        steps.append(outputs_step)
    if ctx.track_status:
        # Every step continued on error; the job fails here if one that had to succeed did not.
        steps.append(
            {
                "name": "ghtotekton-status",
                "script": "#!/bin/sh\n. $GHT_DIR/lib.sh\n"
                f'if {failed_check(ctx)}; then echo "a step of this job failed" >&2; exit 1; fi\n',
            }
        )

    for problem in scope.problems:
        findings.append(Finding("partial", f"`{problem.source}`: {problem.reason}", where))

    # Everything the scripts read, declared once on the Task.
    params: list[dict[str, Any]] = []
    template_env: list[dict[str, Any]] = [
        {"name": "GHT_DIR", "value": GHT_DIR},
        {"name": "GITHUB_ENV", "value": f"{GHT_DIR}/env"},
        {"name": "GITHUB_PATH", "value": f"{GHT_DIR}/path"},
        {"name": "GITHUB_STEP_SUMMARY", "value": f"{GHT_DIR}/summary/{task_name}.md"},
        {"name": "GITHUB_WORKSPACE", "value": "$(workspaces.source.path)"},
        # A runner's home persists across steps (tool caches, ~/.local/bin): so does this one.
        {"name": "HOME", "value": f"{GHT_DIR}/home"},
        {"name": "CI", "value": "true"},
        {"name": "RUNNER_OS", "value": "Linux"},
        {"name": "RUNNER_TEMP", "value": "/tmp"},
    ]
    pipeline_params: dict[str, dict[str, Any]] = {}
    pt_params: list[dict[str, Any]] = []
    secrets: set[str] = set()
    template_env.append({"name": "GITHUB_JOB", "value": job_id})
    template_env.append({"name": "GITHUB_WORKFLOW", "value": workflow_name})
    for std_key in cx.STANDARD_GITHUB:
        if std_key not in ("job", "workflow"):
            scope.source_of(("github", std_key))
    shell_env: list[dict[str, Any]] = []  # job env only a shell can compute (`a || 'b'`)
    env_refusal = ""
    for key, raw in {**wf_env, **job_env, **container_env}.items():
        entry = env_entry(key, m.scalar_text(raw), scope, shell=True)
        if SHELL_VALUE not in entry and "${{" in str(entry.get("value", "")):
            # No param, env or shell form: every step would read the expression's text.
            env_refusal = _env_refusal(key, str(entry["value"]), findings, where)
            continue
        (shell_env if SHELL_VALUE in entry else template_env).append(entry)
    if shell_env:
        _export_job_env(shell_env, steps, findings, where)
    for env_var, src in sorted(scope.used.items()):
        if src.kind == "param":
            params.append({"name": src.param, "type": "string", "default": ""})
            if src.param.startswith("matrix-"):
                pass  # fed by the pipeline task's matrix
            else:
                pt_params.append({"name": src.param, "value": src.feed or f"$(params.{src.param})"})
                if src.feed == cx.RUN_URL_FEED:
                    pipeline_params[cx.DASHBOARD_PARAM] = DASHBOARD_PARAM_SPEC
                elif src.feed.startswith("$(params."):
                    pipeline_params[src.param] = {
                        "name": src.param,
                        "type": "string",
                        "default": "",
                    }
            template_env.append({"name": env_var, "value": f"$(params.{src.param})"})
        elif src.kind in ("secret", "configmap"):
            template_env.append(value_from(env_var, src))
            if src.kind == "secret":
                secrets.add(src.secret_key)
    for value in (wf.env, job.env):
        if isinstance(value, str):
            findings.append(
                Finding("partial", f"`env: {value}` (one expression) is not translated", where)
            )

    if ctx.compose is not None:
        secrets |= ctx.compose.secrets  # values of local files, read from github-secrets
        for image_param in ctx.compose.image_params.values():
            params.append(image_param)
            pt_params.append(
                {"name": image_param["name"], "value": f"$(params.{image_param['name']})"}
            )
            pipeline_params[image_param["name"]] = dict(image_param)
    setup = {
        "name": "ghtotekton-setup",
        "image": image,
        "script": SETUP_SCRIPT + (image_refusal or env_refusal),
    }
    keep_installs(image, setup, steps)
    spec: dict[str, Any] = {}
    if params:
        spec["params"] = _dedupe(params)
    workspaces = {"source"} | ctx.workspaces
    spec["workspaces"] = [
        {"name": ws, **({"optional": True} if ws == "cache" else {})} for ws in sorted(workspaces)
    ]
    results = results + ctx.results
    if results:
        spec["results"] = results
    spec["stepTemplate"] = {
        "image": image,
        "workingDir": "$(workspaces.source.path)",
        "env": _dedupe(template_env),
    }
    spec["steps"] = [setup, *steps]
    sidecars = _services(job, scope, findings, _locator(loaded, job_id))
    session = ctx.compose
    if session is not None:
        sidecars += session.sidecars
        if session.volumes:
            spec["volumes"] = [session.volumes[k] for k in sorted(session.volumes)]
        if session.host_aliases:
            runner["hostAliases"] = [{"ip": "127.0.0.1", "hostnames": sorted(session.host_aliases)}]
    if sidecars:
        spec["sidecars"] = sidecars
    scope_secrets(spec, [v for v, src in scope.used.items() if src.kind == "secret"])

    annotations = {SOURCE_ANNOTATION: f"{loaded.display}:{where.line}"}
    if job.name:
        annotations["ghtotekton.dev/job-name"] = job.name
    task: dict[str, Any] = {
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {
            "name": task_name,
            "labels": {"app.kubernetes.io/managed-by": "ghtotekton"},
            "annotations": annotations,
        },
        "spec": spec,
    }

    pipeline_task: dict[str, Any] = {"name": pt_name, "taskRef": {"name": task_name}}
    needs = [task_names[_job_key(wf, n)] for n in job.needs if _job_key(wf, n) in task_names]
    if demoted:
        _demotion(job, findings, where, pipeline_task)
    if needs and not is_finally:
        pipeline_task["runAfter"] = needs
    if pt_params:
        pipeline_task["params"] = _dedupe(pt_params)
    matrix = _matrix(job, expansion, findings, where, {s.param for s in scope.used.values()}, rules)
    if matrix == {}:
        pipeline_task["when"] = [dict(NEVER)]  # every cell needs Windows or macOS
        matrix = None
    if matrix:
        pipeline_task["matrix"] = matrix
        if ctx.image_rule is not None and not container_image:
            chosen = image_per_cell(
                ctx.image_rule, image, task["spec"], pipeline_task, findings, where
            )
            for step_outcome in outcome.steps:  # the setup step says what the cells run
                if chosen and step_outcome.rule == ctx.image_rule.rule.id:
                    step_outcome.reason = step_outcome.reason.replace(
                        job_image_note(image),
                        "became the image of each matrix combination: " + ", ".join(chosen),
                        1,
                    )
        if ctx.compose is not None:
            apply_to_matrix(
                pipeline_task, ctx.compose.image_variants, pipeline_params, findings, where
            )
    pipeline_task["workspaces"] = [{"name": ws, "workspace": ws} for ws in sorted(workspaces)]
    guards: list[dict[str, Any]] = []
    when = pipeline_task.pop("when", []) + _job_when(
        job, scope, findings, where, task_names, wf, is_finally,
        _Guarding(pipeline_task["name"], list(pipeline_task.get("runAfter") or []), taken_tasks,
                  guards),
    )  # fmt: skip
    gate = environment_gate(job.environment)  # fail closed: no protection rules in Tekton
    if gate is not None:
        when.append(gate[0])
        pipeline_params[gate[1]["name"]] = gate[1]
    for guard in guards:
        for param in guard["params"]:
            if param["value"].startswith("$(params."):
                name = param["value"][len("$(params.") : -1]
                pipeline_params[name] = {"name": name, "type": "string", "default": ""}
    if when:
        pipeline_task["when"] = when
        for entry in when:  # params a when reads must reach the pipeline
            for src in scope.used.values():
                if src.kind == "param" and f"$(params.{src.param})" in entry["input"]:
                    pipeline_params[src.param] = {
                        "name": src.param,
                        "type": "string",
                        "default": "",
                    }
    if isinstance(job.timeout_minutes, int | float):
        pipeline_task["timeout"] = duration(job.timeout_minutes)
    elif job.timeout_minutes is None:
        pipeline_task["timeout"] = duration(360)  # GitHub's default for a job
    if job.continue_on_error is True:
        pipeline_task["onError"] = "continue"
    elif isinstance(job.continue_on_error, str):
        findings.append(
            Finding("partial", "`continue-on-error` from an expression is not translated", where)
        )
    return JobConversion(
        outcome, task, pipeline_task, is_finally, pipeline_params, workspaces, secrets, runner,
        ctx.notebooks, guards,
    )  # fmt: skip


def _export_job_env(
    shell_env: list[dict[str, Any]],
    steps: list[dict[str, Any]],
    findings: list[Finding],
    where: Position,
) -> None:
    """Job and workflow env values only a shell can compute, set by every step's script before
    its own text (GitHub gives a job's env to each step; a step's own env of the same name wins).
    A step without a shell script gets the workflow's text, and the job a finding."""
    bare: list[str] = []
    for step in steps:
        own = {e["name"] for e in step.get("env") or []}
        wanted = [e for e in shell_env if e["name"] not in own]
        if not wanted:
            continue
        step["env"] = [
            *(
                {"name": e["name"], SHELL_VALUE: e[SHELL_VALUE], "value": e["value"]}
                for e in wanted
            ),
            *(step.get("env") or []),
        ]
        if not apply_shell_values(step, job_level=True):
            bare.append(step["name"])
    failing = [s["name"] for s in steps if s["name"] in bare and stub_leftovers(s)]
    if bare:
        names = ", ".join(f"`{e['name']}`" for e in shell_env)
        tail = ": they fail until a person gives them the value" if failing else ""
        findings.append(
            Finding(
                "manual" if failing else "partial",
                f"env {names} is computed by each step's shell; steps {', '.join(bare)} have "
                f"no shell script{tail}",
                where,
            )
        )


def _static_env(wf: m.Workflow, job: m.Job) -> dict[str, str]:
    """Workflow and job env values known before a run (compose reads COMPOSE_FILE and others)."""
    out: dict[str, str] = {}
    for value in (wf.env, job.env):
        if isinstance(value, dict):
            for key, raw in value.items():
                text = m.scalar_text(raw)
                if "${{" not in text:
                    out[key] = text
    return out


DASHBOARD_PARAM_SPEC = {
    "name": cx.DASHBOARD_PARAM,
    "type": "string",
    "description": "The Tekton Dashboard's URL as people reach it: the workflow's links to its "
    "GitHub run point to this PipelineRun there",
    "default": cx.DASHBOARD_DEFAULT,
}


def _dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the last entry per name (later levels of env override earlier ones), in first order."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        out[item["name"]] = item
    return list(out.values())


def _job_key(wf: m.Workflow, name: str) -> str:
    return next((k for k in wf.jobs if k.lower() == name.lower()), name)


def _result_name(output: str) -> str:
    return dns_label(output).replace("-", "_") if not output.isidentifier() else output


def _env_names(wf: m.Workflow, job: m.Job) -> set[str]:
    names: set[str] = set()
    for env in (wf.env, job.env):
        if isinstance(env, dict):
            names.update(env)
    return names


def _matrix_keys(job: m.Job) -> list[str]:
    matrix = job.strategy.matrix if job.strategy else None
    if not isinstance(matrix, dict):
        return []
    keys = [k for k in matrix if k not in ("include", "exclude")]
    for entry in matrix.get("include") or []:
        if isinstance(entry, dict):
            keys.extend(k for k in entry if k not in keys)
    return keys


def _expand(job: m.Job) -> MatrixExpansion | None:
    """The job's matrix combinations; None without a matrix or when the loader reported it."""
    matrix = job.strategy.matrix if job.strategy else None
    if matrix is None:
        return None
    try:
        return expand_matrix(matrix)
    except MatrixError:
        return None


def _matrix(
    job: m.Job,
    expansion: MatrixExpansion | None,
    findings: list[Finding],
    where: Position,
    used: set[str],
    rules: RuleSet | None = None,
) -> dict[str, Any] | None:
    """Tekton ``matrix`` with one explicit ``include`` entry per GitHub combination.

    A combination whose runner (``runs-on: ${{ matrix.os }}``) a runner rule sends to manual
    work (Windows, macOS) is left out and named in a manual finding: run on Linux it would be
    a false green. ``{}`` when every combination is such: the task must not run at all.

    Explicit combinations say exactly what GitHub runs (exclude and include applied), which
    Tekton's own cross product cannot say when GitHub excludes some. An object value also gives
    each leaf the steps read (``used``) a param of its own, ``''`` where a combination lacks it
    (GitHub's null in a string).
    """
    if expansion is None:
        return None
    if expansion.dynamic:
        findings.append(
            Finding(
                "manual",
                "the matrix is computed at run time (`fromJSON`); Tekton needs it as a result "
                "array",
                where,
                action="produce the values as an array result and use it in `matrix.params`",
            )
        )
        return None
    include = []
    kept, foreign = _linux_cells(job, expansion.combinations, rules)
    if foreign:
        findings.append(_foreign_cells_finding(foreign, len(expansion.combinations), where))
        if not kept:
            return {}
    leaves = sorted(
        {
            name
            for combo in expansion.combinations
            for key, value in combo.items()
            if isinstance(value, dict)
            for name in _leaves(("matrix", key), value)
        }
        & used
    )
    for i, combo in enumerate(expansion.combinations):
        if i not in kept:
            continue
        params = []
        for key, value in combo.items():
            text = value if isinstance(value, str) else _json_or_text(value)
            params.append({"name": param_name("matrix", key), "value": text})
        found: dict[str, str] = {}
        for key, value in combo.items():
            if isinstance(value, dict):
                found.update(_leaves(("matrix", key), value))
        params.extend({"name": name, "value": found.get(name, "")} for name in leaves)
        include.append({"name": f"combination-{i + 1}", "params": params})
    if job.strategy and job.strategy.fail_fast is not False:
        findings.append(
            Finding(
                "partial",
                "fail-fast: Tekton runs every matrix combination to the end",
                where,
            )
        )
    return {"include": include} if include else None


_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][\w-]*)\s*\}\}")


def _linux_cells(
    job: m.Job, combinations: Sequence[Mapping[str, Any]], rules: RuleSet | None
) -> tuple[set[int], list[tuple[str, str]]]:
    """Indexes of the combinations Tekton can run, and (cell, runner) for those it cannot."""
    labels = job.runner_labels()
    if rules is None or not any(_MATRIX_REF.search(label) for label in labels):
        return set(range(len(combinations))), []
    kept: set[int] = set()
    foreign: list[tuple[str, str]] = []
    for i, combo in enumerate(combinations):
        lower = {str(k).lower(): v for k, v in combo.items()}
        resolved = [_resolve_cell(label, lower) for label in labels]
        rule = rules.match_runner(resolved)
        manual = rule.rule.emit.manual if rule is not None else None
        if manual and rule is not None and rule.rule.emit.runner is None:
            cell = ", ".join(f"{k}={_cell_text(v)}" for k, v in combo.items())
            foreign.append((cell, " ".join(resolved)))
        else:
            kept.add(i)
    return kept, foreign


def _resolve_cell(label: str, cell: Mapping[str, Any]) -> str:
    """A runner label with this combination's ``matrix.*`` values put in."""
    return _MATRIX_REF.sub(lambda mt: _cell_text(cell.get(mt.group(1).lower(), "")), label)


def _cell_text(value: Any) -> str:
    return value if isinstance(value, str) else _json_or_text(value)


def _foreign_cells_finding(foreign: list[tuple[str, str]], total: int, where: Position) -> Finding:
    runners = sorted({runner for _, runner in foreign})
    cells = "; ".join(cell for cell, _ in foreign)
    return Finding(
        "manual",
        f"{len(foreign)} of {total} matrix combinations need runners that a Kubernetes cluster "
        f"of Linux nodes does not reproduce ({', '.join(runners)}); they are left out of the "
        f"Tekton matrix (not run as Linux): {cells}",
        where,
        action="keep those combinations on GitHub Actions (a workflow with only them), or add "
        "a node pool for them and a runner rule (--mappings) with its node selector",
    )


def _object_keys(expansion: MatrixExpansion | None) -> dict[str, str]:
    """The matrix keys (lower case -> as written) whose value is an object in some combination."""
    if expansion is None or expansion.dynamic:
        return {}
    return {
        key.lower(): key
        for combo in expansion.combinations
        for key, value in combo.items()
        if isinstance(value, dict)
    }


def _leaves(path: tuple[str, ...], value: dict[str, Any]) -> dict[str, str]:
    """Param name -> text of each scalar inside an object matrix value (keys in lower case, as
    the references are matched: GitHub's property names ignore case)."""
    out: dict[str, str] = {}
    for sub, inner in value.items():
        here = (*path, str(sub).lower())
        if isinstance(inner, dict):
            out.update(_leaves(here, inner))
        else:
            out[param_name(*here)] = inner if isinstance(inner, str) else _json_or_text(inner)
    return out


def _json_or_text(value: object) -> str:
    import json

    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return m.scalar_text(value)  # type: ignore[arg-type]


Locator = Callable[..., Position]
"""Position of a key under the job (``at("services", "db", "options")``)."""


def _locator(loaded: LoadedWorkflow, job_id: str) -> Locator:
    """Findings about one key of a job sit at that key's line, not at the job's."""

    def at(*path: str | int) -> Position:
        return loaded.doc.key_pos(("jobs", job_id, *path))

    return at


def _container(
    job: m.Job, scope: cx.Scope, findings: list[Finding], at: Locator
) -> tuple[str | None, dict[str, m.Scalar]]:
    container = job.container
    if container is None:
        return None, {}
    if isinstance(container, str):
        return container, {}
    if container.credentials is not None:
        findings.append(
            Finding(
                "manual",
                "the job container needs registry credentials",
                at("container", "credentials"),
                action="create an image pull secret and add it to the ServiceAccount",
            )
        )
    if container.options:
        findings.append(
            Finding(
                "partial",
                f"container options `{container.options}` are not translated",
                at("container", "options"),
            )
        )
    if container.volumes:
        findings.append(
            _unmounted("the job container", container.volumes, at("container", "volumes"))
        )
    env = container.env if isinstance(container.env, dict) else {}
    return container.image, env


def _runner_shell(job: m.Job, expansion: MatrixExpansion | None) -> str | None:
    """The shell ``run:`` gets when nothing names one: ``pwsh`` on a Windows runner, as GitHub
    does (so a PowerShell script is not handed to bash), also when every matrix combination
    picks a Windows runner (``runs-on: ${{ matrix.os }}``); None (bash) elsewhere."""
    windows = False
    for label in job.runner_labels():
        if "${{" not in label:
            windows |= label.lower().startswith("windows")
            continue
        combos = expansion.combinations if expansion is not None else []
        cells = [{k.lower(): v for k, v in combo.items()} for combo in combos]
        picked = [_resolve_cell(label, cell).lower() for cell in cells]
        if picked and all(p.startswith("windows") for p in picked):
            windows = True
    return "pwsh" if windows else None


def _matrix_constants(text: str, expansion: MatrixExpansion | None) -> str | None:
    """``text`` with each ``${{ matrix.k }}`` that has one value in every combination (known
    before the run) put in; a key with several values is left to the matrix params, which exist
    only when the whole matrix is known (a ``fromJSON`` key leaves Tekton no matrix)."""
    if expansion is None or not expansion.combinations:
        return text
    parts: list[str] = []
    last = 0
    for item in ex.find_expressions(text):
        parts.append(text[last : item.start])
        last = item.end
        original = text[item.start : item.end]
        path = cx.reference_path(item.node) if item.node is not None else None
        if path is None or path[0] != "matrix" or len(path) != 2:
            parts.append(original)
            continue
        key = path[1].lower()
        values = {
            ex.to_string(v)
            for combo in expansion.combinations
            for k, v in combo.items()
            if k.lower() == key and not isinstance(v, dict | list)
        }
        present = all(any(k.lower() == key for k in c) for c in expansion.combinations)
        own_dynamic = key in {k.lower() for k in expansion.dynamic_keys}
        if len(values) == 1 and present and not own_dynamic:
            parts.append(values.pop())
        elif expansion.dynamic or not present:
            return None  # no matrix param carries it in every combination
        else:
            parts.append(original)
    parts.append(text[last:])
    return "".join(parts)


def _env_refusal(key: str, text: str, findings: list[Finding], where: Position) -> str:
    """A job or workflow env value with no Tekton form: the job fails before its steps (the
    setup step's last lines), rather than every step reading the expression's text."""
    findings.append(
        Finding(
            "manual",
            f"env `{key}: {text.replace('${{', '{{')}` has no Tekton form (a value only the run "
            "knows, read in a way no shell test can say): the job fails before its steps",
            where,
            action="compute the value in a step and write it to $GITHUB_ENV, or give a literal",
        )
    )
    line = f"the job env {key} has no Tekton form; see migration-report.md"
    return f"echo 'ghtotekton: {line}' >&2\nexit 1\n"


def _image_of(
    text: str,
    expansion: MatrixExpansion | None,
    scope: cx.Scope,
    findings: list[Finding],
    at: Locator,
) -> tuple[str | None, str]:
    """The job container's image when it holds expressions: Tekton substitutes params in a
    step's image, so a matrix value, an input or another job's output becomes one (a matrix value
    that is the same in every combination is put in). A computed
    image (``a && 'x' || 'y'``) has no such form: the job keeps the default image and its first
    step fails with the reason (the second value), so it never runs in the wrong image."""
    known = _matrix_constants(text, expansion)
    image = param_text(known, scope) if known is not None else None
    if image is not None:
        return image, ""
    findings.append(
        Finding(
            "manual",
            f"the job container image `{text.replace('${{', '{{')}` is computed by an expression "
            "that Tekton cannot evaluate; the job fails before its steps",
            at("container"),
            action="compute the image in an earlier job and pass it as an output, or write "
            "one image per matrix value",
        )
    )
    line = "the job container image is computed by an expression; see migration-report.md"
    return None, f"echo 'ghtotekton: {line}' >&2\nexit 1\n"


def _unmounted(owner: str, volumes: list[str], where: Position) -> Finding:
    """Docker ``volumes`` of a job container or service: a Tekton pod has no host paths or
    Docker volumes, so each is missing in the container; said, never dropped silently."""
    shown = ", ".join(f"`{v}`" for v in volumes)
    host = [v for v in volumes if v.split(":", 1)[0].startswith(("/", "."))]
    why = (
        "host paths are not mounted into Tekton pods (a host's Docker socket, `/etc` or `/` "
        "would hand the node to the job)"
        if host
        else "Docker volumes do not exist on Tekton"
    )
    return Finding(
        "partial",
        f"{owner} mounts {shown}: not mounted, {why}",
        where,
        rule="container-volumes",
        action="share files through the task's workspace (or an emptyDir volume) instead",
    )


def _services(
    job: m.Job, scope: cx.Scope, findings: list[Finding], at: Locator
) -> list[dict[str, Any]]:
    out = []
    expansion = _expand(job)
    for name, service in sorted((job.services or {}).items()):
        image = service if isinstance(service, str) else service.image
        if "${{" in image:
            # a matrix value or an input in the image: a param, as for the job's container
            known = _matrix_constants(image, expansion)
            image = (param_text(known, scope) if known is not None else None) or ""
            if not image:
                findings.append(
                    Finding(
                        "manual",
                        f"service `{name}`'s image is computed by an expression Tekton cannot "
                        "evaluate: the service is left out",
                        at("services", name),
                    )
                )
                continue
        if isinstance(service, str):
            out.append({"name": dns_label(name), "image": image})
            continue
        sidecar: dict[str, Any] = {"name": dns_label(name), "image": image}
        if service.volumes:
            findings.append(
                _unmounted(f"service `{name}`", service.volumes, at("services", name, "volumes"))
            )
        if isinstance(service.env, dict):
            sidecar["env"] = env_entries(service.env, scope)
        if service.options:
            options = read_options(m.scalar_text(service.options))
            if options.probe is not None:
                sidecar["readinessProbe"] = options.probe
            if options.other or options.problems:
                left = " ".join(options.other)
                findings.append(
                    Finding(
                        "partial",
                        f"service `{name}`: "
                        + "; ".join(
                            [
                                *options.problems,
                                *([f"options `{left}` have no sidecar form"] if left else []),
                            ]
                        ),
                        at("services", name, "options"),
                        action="set what they do on the sidecar by hand (securityContext, "
                        "resources, volumes)",
                    )
                )
        if service.ports:
            findings.append(
                Finding(
                    "converted",
                    f"service `{name}` is reached on localhost:<port>, not on `{name}:<port>`",
                    at("services", name, "ports"),
                )
            )
        out.append(sidecar)
    return out


def _outputs(job: m.Job, scope: cx.Scope) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Job ``outputs`` -> Task results, written by a last step from the steps' output files."""
    if not job.outputs:
        return [], None
    results = []
    lines = ["#!/bin/sh", ". $GHT_DIR/lib.sh"]
    for name, value in job.outputs.items():
        result = _result_name(name)
        results.append({"name": result, "type": "string"})
        translated = cx.translate_script(value, scope)
        lines.extend(translated.prelude)
        lines.append(f'printf \'%s\' "{translated.text}" > "$(results.{result}.path)"')
    step = {"name": "ghtotekton-outputs", "script": "\n".join(lines) + "\n"}
    return results, step


def always_tail(job: m.Job) -> int:
    """How many trailing steps run on ``always()`` while no earlier step uses a status function.

    Such a job can end in a Tekton ``finally`` task: it runs whether the steps before succeeded
    or not, which is what ``always()`` says; nothing else in the job needs step statuses.
    """
    steps = job.steps or []
    tail = 0
    for step in reversed(steps):
        if not isinstance(step.if_, str) or _status_calls(step.if_) != {"always"}:
            break
        try:
            if ex.strip_if(step.if_).replace(" ", "") != "always()":
                break
        except ex.ExpressionError:
            break
        tail += 1
    head = steps[: len(steps) - tail]
    if tail == 0 or any(isinstance(s.if_, str) and _status_calls(s.if_) for s in head):
        return 0
    return tail


def _status_calls(text: str) -> set[str]:
    try:
        return cx.status_calls(ex.parse_if(text))
    except ex.ExpressionError:
        return set()


def _needs_status_tracking(job: m.Job) -> bool:
    """Some step runs on ``always()``, ``failure()`` or ``cancelled()``."""
    return any(
        isinstance(step.if_, str) and _status_calls(step.if_) - {"success"}
        for step in job.steps or []
    )


def _demotion(
    job: m.Job, findings: list[Finding], where: Position, pipeline_task: dict[str, Any]
) -> None:
    """A job that asks to run after failures but that other jobs need (see ``demoted``)."""
    calls = _status_calls(str(job.if_))
    if "always" in calls:
        findings.append(
            Finding(
                "partial",
                "the job runs on `always()` but other jobs need it, and Tekton cannot wait on a "
                "`finally` task: it runs only when the jobs it needs succeed",
                where,
                rule="finally",
                action="if it must run after failures, move the jobs that need it into finally",
            )
        )
        return
    pipeline_task["when"] = [{"input": "failure()", "operator": "in", "values": ["never"]}]
    findings.append(
        Finding(
            "manual",
            "the job runs only after a failure, but other jobs need it, and Tekton cannot wait "
            "on a `finally` task: it is kept, and never runs",
            where,
            rule="finally",
            action="make the jobs that need it `finally` too, or restructure the failure path",
        )
    )


def finally_demotions(wf: m.Workflow) -> set[str]:
    """Jobs that ask for ``finally`` but are needed by other jobs (Tekton cannot wait on one)."""
    needed = {_job_key(wf, n) for job in wf.jobs.values() for n in job.needs}
    return {job_id for job_id, job in wf.jobs.items() if _is_finally(job) and job_id in needed}


def _is_finally(job: m.Job) -> bool:
    if not isinstance(job.if_, str):
        return False
    return bool(_status_calls(job.if_) & {"always", "failure", "cancelled"})


def _job_when(
    job: m.Job,
    scope: cx.Scope,
    findings: list[Finding],
    where: Position,
    task_names: dict[str, str],
    wf: m.Workflow,
    is_finally: bool,
    guarding: _Guarding,
) -> list[dict[str, Any]]:
    """``if:`` on a job -> ``when`` expressions where Tekton can say it; the parts it cannot
    say are tested by a small task of their own (``_condition_task``), whose result a ``when``
    reads; a part that has no shell test either keeps the task from ever running."""
    if job.if_ is None or job.if_ is True:
        return []
    text = job.if_ if isinstance(job.if_, str) else m.scalar_text(job.if_)
    try:
        node = ex.parse_if(text)
    except ex.ExpressionError as exc:
        return [_never(findings, where, text, f"it does not parse ({exc})")]
    try:
        constant = ex.evaluate(node, {})
    except ex.ExpressionError:
        constant = ex.UNKNOWN
    if constant is not ex.UNKNOWN:
        if ex.is_truthy(constant):
            return []  # always true: the job runs when the jobs it needs succeeded
        findings.append(
            Finding(
                "converted",
                f"the job's condition `{text.strip()}` is always false: the task never runs, "
                "as the job never runs on GitHub",
                where,
            )
        )
        return [{"input": "false", "operator": "in", "values": ["true"]}]
    terms = _and_terms(node)
    when: list[dict[str, Any]] = []
    untranslated: list[ex.Node] = []
    for term in terms:
        if isinstance(term, ex.Call) and term.name.lower() in cx.STATUS_FUNCTIONS:
            name = term.name.lower()
            if name == "failure" and is_finally:
                needed = [task_names[_job_key(wf, n)] for n in job.needs
                          if _job_key(wf, n) in task_names]  # fmt: skip
                if needed:
                    when.append(
                        {
                            "input": "$(tasks.status)",
                            "operator": "in",
                            "values": ["Failed"],
                        }
                    )
            elif name == "cancelled":
                findings.append(
                    Finding("partial", "`cancelled()` jobs do not run on Tekton", where)
                )
            continue
        try:
            known = ex.evaluate(term, {})
        except ex.ExpressionError:
            known = ex.UNKNOWN
        if known is not ex.UNKNOWN:  # `'amd64' != 'arm64'`, a matrix value put in
            if not ex.is_truthy(known):
                return [{"input": "false", "operator": "in", "values": ["true"]}]
            continue
        converted = _when_term(term, scope)
        if converted is None:
            untranslated.append(term)
            continue
        when.append(converted)
    if untranslated:
        tested = _condition_task(untranslated, scope, guarding)
        if tested is not None:
            when.append(tested)
        else:
            part = (
                "it" if len(untranslated) == len(terms)
                else " and ".join(f"`{ex.unparse(t)}`" for t in untranslated)
            )  # fmt: skip
            when.append(_never(findings, where, text, f"{part}: no `when` form or shell test"))
    return when


def _case_blind(path: tuple[str, ...], values: list[Any]) -> bool:
    """Whether Tekton's exact ``notin`` says what GitHub's case-insensitive ``!=`` says: the
    values have no letters, or the reference is ``github.event_name`` (always lower case) and
    the values are lower case. Otherwise ``Dependabot[bot]`` would let ``dependabot[bot]`` in:
    an exact ``in`` can only skip more than GitHub does, an exact ``notin`` could run more."""
    texts = [ex.to_string(v) for v in values]
    if all(t.lower() == t.upper() for t in texts):
        return True
    return path == ("github", "event_name") and all(t == t.lower() for t in texts)


@dataclass(slots=True)
class _Guarding:
    """Where a job's condition task goes: beside the job's pipeline task, after what it needs."""

    task: str
    run_after: list[str]
    taken: set[str]
    out: list[dict[str, Any]]


CONDITION_IMAGE: Final = "docker.io/library/ubuntu:24.04"


def _condition_task(
    terms: list[ex.Node], scope: cx.Scope, guarding: _Guarding
) -> dict[str, Any] | None:
    """A pipeline task that tests ``terms`` with the same shell test a step's ``if:`` gets and
    writes ``true`` or ``false`` to its result; the ``when`` entry that reads it. None when the
    condition reads something such a task cannot have (a matrix value, a job's status, a status
    function, an earlier step), so the caller fails closed."""
    node = terms[0]
    for term in terms[1:]:
        node = ex.Logical("&&", node, term)
    if cx.status_calls(node):
        return None
    own = cx.Scope(scope.resolve)
    prelude: list[str] = []
    test = cx.shell_condition(node, own, prelude, dict(cx.DEFAULT_STATUS))
    if test is None or own.problems or any("ght_" in line for line in prelude):
        return None  # the runner's files (earlier steps' outputs) are not in this task
    sources = sorted(own.used.items())
    if any(src.kind != "param" or not src.feed or ".status)" in src.feed for _, src in sources):
        return None
    name = unique(dns_label(f"{guarding.task}-if"), guarding.taken)
    guarding.taken.add(name)
    lines = [
        *prelude,
        f'if {test}; then printf true; else printf false; fi > "$(results.run.path)"',
    ]
    comment = "The job's `if:`, which no `when` expression can say; the job's task reads it."
    task = shell_task(name, "test", comment, lines, ["run"], sources)
    if guarding.run_after:
        task["runAfter"] = list(guarding.run_after)
    guarding.out.append(task)
    return {"input": f"$(tasks.{name}.results.run)", "operator": "in", "values": ["true"]}


def shell_task(
    name: str,
    step: str,
    comment: str,
    lines: list[str],
    results: list[str],
    sources: list[tuple[str, cx.Source]],
) -> dict[str, Any]:
    """A pipeline task of one bash step that reads each source as its env var (a param of its
    own, fed from the pipeline) and writes ``results``: what must be worked out before the tasks
    that read it, a job's ``if:`` or a call's computed inputs."""
    script = "\n".join(["#!/usr/bin/env bash", f"# {comment}", *lines])
    body: dict[str, Any] = {"name": step, "image": CONDITION_IMAGE, "script": script + "\n"}
    if sources:
        body["env"] = [{"name": var, "value": f"$(params.{src.param})"} for var, src in sources]
    spec: dict[str, Any] = {
        "results": [{"name": r, "type": "string"} for r in results],
        "steps": [body],
    }
    if sources:
        spec["params"] = [{"name": src.param, "type": "string"} for _, src in sources]
    feeds = [{"name": src.param, "value": src.feed} for _, src in sources]
    return {"name": name, "taskSpec": spec, "params": feeds}


NEVER: Final = {"input": "not-translated", "operator": "in", "values": ["translated"]}
"""A ``when`` that never holds: the guard of a job whose ``if:`` could not be translated."""


def _never(findings: list[Finding], where: Position, text: str, why: str) -> dict[str, Any]:
    """Fail closed on a job condition that has no ``when`` form: the task never runs (and says
    so) rather than running for every event and actor, secrets and all."""
    findings.append(
        Finding(
            "manual",
            f"the job's condition `{text.strip()}` is not translated ({why}): the task never "
            "runs until a person writes it",
            where,
            action="write it as `when` expressions on the pipeline task (or a CEL filter on "
            "the trigger), then remove the `not-translated` entry",
        )
    )
    return dict(NEVER)


def _and_terms(node: ex.Node) -> list[ex.Node]:
    if isinstance(node, ex.Logical) and node.op == "&&":
        return _and_terms(node.left) + _and_terms(node.right)
    return [node]


def _when_term(node: ex.Node, scope: cx.Scope) -> dict[str, Any] | None:
    """``ref == 'literal'`` / ``!=`` / ``contains(fromJSON('[...]'), ref)`` -> one when entry.

    Tekton compares exactly; GitHub ignores case: the report says so for string comparisons.
    """
    if isinstance(node, ex.Compare) and node.op in ("==", "!="):
        ref, lit = node.left, node.right
        if isinstance(ref, ex.Literal):
            ref, lit = lit, ref
        path = cx.reference_path(ref)
        if path is None or not isinstance(lit, ex.Literal):
            return None
        if node.op == "!=" and not _case_blind(path, [lit.value]):
            return None  # the condition task's shell test ignores case, as GitHub does
        return _when_entry(path, scope, "in" if node.op == "==" else "notin", [lit.value])
    negated = isinstance(node, ex.Not)
    call = node.expr if isinstance(node, ex.Not) else node
    if isinstance(call, ex.Call) and call.name.lower() == "contains" and len(call.args) == 2:
        # `contains(fromJSON('["alice","bob"]'), github.actor)`: a constant list, one value.
        items = cx.constant_list(call.args[0])
        path = cx.reference_path(call.args[1])
        if not items or path is None or (negated and not _case_blind(path, items)):
            return None
        return _when_entry(path, scope, "notin" if negated else "in", items)
    return None


def _when_entry(
    path: tuple[str, ...], scope: cx.Scope, operator: str, values: list[Any]
) -> dict[str, Any] | None:
    """``input operator values`` for a reference a pipeline param carries; None otherwise."""
    src = scope.source_of(path)
    if not isinstance(src, cx.Source) or src.kind != "param":
        return None
    input_ = f"$(params.{src.param})" if src.param.startswith("matrix-") else src.feed
    return {"input": input_, "operator": operator, "values": [ex.to_string(v) for v in values]}
