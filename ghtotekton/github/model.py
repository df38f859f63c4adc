"""Pydantic models of GitHub Actions workflow syntax, as GitHub accepts it.

Every model forbids unknown keys, because GitHub does: a typo such as ``runs_on`` is an error on
GitHub, and a converter that silently ignored it would drop part of the user's CI. Fields keep the
forms GitHub allows (a string or a list, a bool or an expression); helpers normalise them so the
converter has one shape to deal with. Positions are not model fields: the loader keeps them by path
(see :mod:`ghtotekton.yamlsource`) and stamps ``pos`` on jobs and steps after validation.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from ghtotekton.errors import Position

Scalar = str | bool | int | float | None
"""A YAML scalar as GitHub passes it on (``with:`` and ``env:`` values)."""

EXPRESSION_RE = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
JOB_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def is_expression(value: object) -> bool:
    """True for a string holding a ``${{ }}`` expression (known only when the run starts)."""
    return isinstance(value, str) and "${{" in value


def scalar_text(value: Scalar) -> str:
    """A scalar the way GitHub renders it into a string (``true``, ``3.1``, ``''`` for null)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _one_or_many(value: Any) -> Any:
    """GitHub accepts a single string wherever a list of strings is expected."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [value]
    return value


def _strings(value: Any) -> Any:
    """Filter patterns and labels are strings; YAML numbers such as ``1.0`` are read as text."""
    value = _one_or_many(value)
    if isinstance(value, list):
        return [
            scalar_text(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
            for v in value
        ]
    return value


StrList = Annotated[list[str], BeforeValidator(_strings)]


class Model(BaseModel):
    """Base: unknown keys are errors (as on GitHub); YAML keys are the field aliases."""

    # Only the YAML spelling is accepted: `runs_on` is a typo on GitHub, not another name.
    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=False)


# --- expressions-or-values ---------------------------------------------------------------------


def _expr_or_bool(value: Any) -> Any:
    if isinstance(value, bool) or is_expression(value):
        return value
    raise ValueError("expected true, false or a ${{ }} expression")


def _expr_or_number(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if is_expression(value):
        return value
    raise ValueError("expected a number or a ${{ }} expression")


ExprBool = Annotated[bool | str, BeforeValidator(_expr_or_bool)]
ExprNumber = Annotated[int | float | str, BeforeValidator(_expr_or_number)]
Condition = Annotated[str | bool | int | float, Field(union_mode="left_to_right")]


# --- triggers (the `on:` section) --------------------------------------------------------------


class NoFilter(Model):
    """Events that take no filters; GitHub accepts them empty (``create:`` or ``create: {}``)."""


class TypesFilter(Model):
    """Events that only filter by activity type."""

    types: StrList | None = None


class PushFilter(Model):
    branches: StrList | None = None
    branches_ignore: StrList | None = Field(None, alias="branches-ignore")
    tags: StrList | None = None
    tags_ignore: StrList | None = Field(None, alias="tags-ignore")
    paths: StrList | None = None
    paths_ignore: StrList | None = Field(None, alias="paths-ignore")

    @model_validator(mode="after")
    def _exclusive(self) -> PushFilter:
        for a, b in (
            ("branches", "branches_ignore"),
            ("tags", "tags_ignore"),
            ("paths", "paths_ignore"),
        ):
            if getattr(self, a) is not None and getattr(self, b) is not None:
                raise ValueError(
                    f"`{a}` and `{b.replace('_', '-')}` cannot both be used for the same event"
                    " (use `!` patterns in one list instead)"
                )
        return self


class PullRequestFilter(PushFilter):
    types: StrList | None = None

    @field_validator("tags", "tags_ignore")
    @classmethod
    def _no_tags(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError("pull_request events have no tags filter")
        return value


class WorkflowRunFilter(Model):
    workflows: StrList | None = None
    types: StrList | None = None
    branches: StrList | None = None
    branches_ignore: StrList | None = Field(None, alias="branches-ignore")


class MergeGroupFilter(Model):
    types: StrList | None = None
    branches: StrList | None = None
    branches_ignore: StrList | None = Field(None, alias="branches-ignore")


class Schedule(Model):
    cron: str
    timezone: str | None = None


InputType = Literal["string", "boolean", "choice", "number", "environment"]


class DispatchInput(Model):
    description: str | None = None
    required: ExprBool | None = None
    default: Scalar = None
    type: InputType | None = None
    options: list[Scalar] | None = None
    deprecation_message: str | None = Field(None, alias="deprecationMessage")

    @model_validator(mode="after")
    def _choice(self) -> DispatchInput:
        if self.type == "choice" and not self.options:
            raise ValueError("an input of type `choice` needs `options`")
        if self.options is not None and self.type not in (None, "choice"):
            raise ValueError("`options` is only for inputs of type `choice`")
        return self


class CallInput(Model):
    description: str | None = None
    required: ExprBool | None = None
    default: Scalar = None
    type: Literal["string", "boolean", "number"]


class CallOutput(Model):
    description: str | None = None
    value: str


class CallSecret(Model):
    description: str | None = None
    required: ExprBool | None = None


class WorkflowDispatch(Model):
    inputs: dict[str, DispatchInput] | None = None


class WorkflowCall(Model):
    inputs: dict[str, CallInput] | None = None
    outputs: dict[str, CallOutput] | None = None
    secrets: dict[str, CallSecret | None] | None = None


def _event_map(value: Any) -> Any:
    """``on: push`` and ``on: [push, pull_request]`` mean each event with no filters."""
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str):
                raise ValueError("`on` lists event names (strings)")
            out[item] = None
        return out
    return value


class Triggers(Model):
    """Every event a workflow can run on (GitHub's "Events that trigger workflows")."""

    branch_protection_rule: TypesFilter | None = None
    check_run: TypesFilter | None = None
    check_suite: TypesFilter | None = None
    create: NoFilter | None = None
    delete: NoFilter | None = None
    deployment: NoFilter | None = None
    deployment_status: NoFilter | None = None
    discussion: TypesFilter | None = None
    discussion_comment: TypesFilter | None = None
    fork: NoFilter | None = None
    gollum: NoFilter | None = None
    image_version: TypesFilter | None = None
    issue_comment: TypesFilter | None = None
    issues: TypesFilter | None = None
    label: TypesFilter | None = None
    merge_group: MergeGroupFilter | None = None
    milestone: TypesFilter | None = None
    page_build: NoFilter | None = None
    project: TypesFilter | None = None
    project_card: TypesFilter | None = None
    project_column: TypesFilter | None = None
    public: NoFilter | None = None
    pull_request: PullRequestFilter | None = None
    pull_request_review: TypesFilter | None = None
    pull_request_review_comment: TypesFilter | None = None
    pull_request_target: PullRequestFilter | None = None
    push: PushFilter | None = None
    registry_package: TypesFilter | None = None
    release: TypesFilter | None = None
    repository_dispatch: TypesFilter | None = None
    schedule: list[Schedule] | None = None
    status: NoFilter | None = None
    watch: TypesFilter | None = None
    workflow_call: WorkflowCall | None = None
    workflow_dispatch: WorkflowDispatch | None = None
    workflow_run: WorkflowRunFilter | None = None

    def events(self) -> list[str]:
        """Names of the events the workflow listens to (in the order of this model)."""
        return [name for name in type(self).model_fields if name in self.model_fields_set]


# --- shared pieces ---------------------------------------------------------------------------

PermissionLevel = Literal["read", "write", "none"]
PERMISSION_SCOPES = frozenset(
    {
        "actions", "attestations", "checks", "contents", "deployments", "discussions",
        "id-token", "issues", "models", "packages", "pages", "pull-requests",
        "repository-projects", "security-events", "statuses",
    }
)  # fmt: skip


def _permissions(value: Any) -> Any:
    if isinstance(value, str):
        if value not in ("read-all", "write-all"):
            raise ValueError("expected `read-all`, `write-all` or a mapping of scopes")
        return value
    if isinstance(value, dict):
        for scope, level in value.items():
            if scope not in PERMISSION_SCOPES:
                known = ", ".join(sorted(PERMISSION_SCOPES))
                raise ValueError(f"unknown permission scope `{scope}` (known: {known})")
            if level not in ("read", "write", "none"):
                raise ValueError(f"permission `{scope}` must be read, write or none")
        return value
    raise ValueError("expected `read-all`, `write-all` or a mapping of scopes")


Permissions = Annotated[str | dict[str, PermissionLevel], BeforeValidator(_permissions)]
EnvMap = dict[str, Scalar] | str
"""``env:`` is a mapping, or (rarely) one expression that yields a mapping."""


class Concurrency(Model):
    group: str
    cancel_in_progress: ExprBool | None = Field(None, alias="cancel-in-progress")


class RunDefaults(Model):
    shell: str | None = None
    working_directory: str | None = Field(None, alias="working-directory")


class Defaults(Model):
    run: RunDefaults | None = None


class RunsOnGroup(Model):
    group: str | None = None
    labels: StrList | None = None


class Credentials(Model):
    username: str
    password: str


class Container(Model):
    image: str
    credentials: Credentials | None = None
    env: EnvMap | None = None
    ports: list[int | str] | None = None
    volumes: list[str] | None = None
    options: str | None = None


class Environment(Model):
    name: str
    url: str | None = None
    deployment: ExprBool | None = None


class Strategy(Model):
    matrix: dict[str, Any] | str | None = None
    fail_fast: ExprBool | None = Field(None, alias="fail-fast")
    max_parallel: ExprNumber | None = Field(None, alias="max-parallel")


# --- steps and jobs --------------------------------------------------------------------------


class Step(Model):
    """One step: ``run`` a command or ``uses`` an action (exactly one of the two)."""

    id: str | None = None
    name: str | None = None
    if_: Condition | None = Field(None, alias="if")
    uses: str | None = None
    run: str | None = None
    shell: str | None = None
    with_: dict[str, Scalar] | None = Field(None, alias="with")
    env: EnvMap | None = None
    working_directory: str | None = Field(None, alias="working-directory")
    continue_on_error: ExprBool | None = Field(None, alias="continue-on-error")
    timeout_minutes: ExprNumber | None = Field(None, alias="timeout-minutes")

    pos: Position | None = Field(None, exclude=True)
    """Where the step starts in its file; set by the loader."""

    @field_validator("run", mode="before")
    @classmethod
    def _run_text(cls, value: Any) -> Any:
        # `run: 3` or `run: true` are valid YAML and GitHub runs their text.
        if isinstance(value, bool | int | float):
            return scalar_text(value)
        return value

    @model_validator(mode="after")
    def _kind(self) -> Step:
        if (self.uses is None) == (self.run is None):
            raise ValueError("a step needs exactly one of `uses` or `run`")
        if self.uses is not None:
            for attr, key in (("shell", "shell"), ("working_directory", "working-directory")):
                if getattr(self, attr) is not None:
                    raise ValueError(
                        f"`{key}` applies to `run` steps only; this step `uses` an action"
                    )
        elif self.with_ is not None:
            raise ValueError("`with` applies to `uses` steps only; this step has `run`")
        return self

    @property
    def kind(self) -> Literal["run", "uses"]:
        return "uses" if self.uses is not None else "run"

    def label(self, index: int) -> str:
        """How people name this step: its name, its id, its action or its command."""
        if self.name:
            return self.name
        if self.id:
            return self.id
        if self.uses:
            return self.uses
        first = (self.run or "").strip().splitlines()
        return f"Run {first[0][:60]}" if first else f"step {index + 1}"


def _needs(value: Any) -> Any:
    return _one_or_many(value)


class Job(Model):
    """A job: steps on a runner, or a call of a reusable workflow (``uses``)."""

    name: str | None = None
    permissions: Permissions | None = None
    needs: Annotated[list[str], BeforeValidator(_needs)] = Field(default_factory=list)
    if_: Condition | None = Field(None, alias="if")
    runs_on: str | list[str] | RunsOnGroup | None = Field(None, alias="runs-on")
    snapshot: str | dict[str, Any] | None = None
    environment: str | Environment | None = None
    concurrency: str | Concurrency | None = None
    outputs: dict[str, str] | None = None
    env: EnvMap | None = None
    defaults: Defaults | None = None
    steps: list[Step] | None = None
    timeout_minutes: ExprNumber | None = Field(None, alias="timeout-minutes")
    strategy: Strategy | None = None
    continue_on_error: ExprBool | None = Field(None, alias="continue-on-error")
    container: str | Container | None = None
    services: dict[str, Container | str] | None = None
    uses: str | None = None
    with_: dict[str, Scalar] | None = Field(None, alias="with")
    secrets: Literal["inherit"] | dict[str, Scalar] | None = None

    pos: Position | None = Field(None, exclude=True)
    """Where the job's id is in its file; set by the loader."""

    @field_validator("runs_on", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        if isinstance(value, list):
            return _strings(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return scalar_text(value)
        return value

    @model_validator(mode="after")
    def _shape(self) -> Job:
        if self.uses is not None:
            allowed = {"name", "uses", "with_", "secrets", "needs", "if_", "permissions",
                       "strategy", "concurrency", "pos"}  # fmt: skip
            extra = sorted(
                (self.__class__.model_fields[f].alias or f) for f in self.model_fields_set - allowed
            )
            if extra:
                raise ValueError(
                    "a job that calls a reusable workflow (`uses`) cannot also set "
                    + ", ".join(f"`{k}`" for k in extra)
                )
            return self
        if self.runs_on is None:
            raise ValueError("a job needs `runs-on` (or `uses` to call a reusable workflow)")
        if self.steps is None:
            raise ValueError("a job needs `steps` (or `uses` to call a reusable workflow)")
        if not self.steps:
            raise ValueError("`steps` is empty; a job needs at least one step")
        for attr in ("with_", "secrets"):
            if getattr(self, attr) is not None:
                key = "with" if attr == "with_" else attr
                raise ValueError(f"`{key}` is only for jobs that call a reusable workflow (`uses`)")
        return self

    @property
    def is_call(self) -> bool:
        return self.uses is not None

    def runner_labels(self) -> list[str]:
        """The runner labels, whatever form ``runs-on`` took (expressions kept as text).

        A runner group becomes the pseudo-label ``group:NAME`` so a runner rule can match it
        like any label (a group is a pool of machines, which is what a node pool is too).
        """
        value = self.runs_on
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return list(value)
        group = [f"group:{value.group}"] if value.group else []
        return group + list(value.labels or [])


class Workflow(Model):
    """A workflow file under ``.github/workflows/``."""

    name: str | None = None
    description: str | None = None
    run_name: str | None = Field(None, alias="run-name")
    cache_mode: str | None = Field(None, alias="cache-mode")
    on: Annotated[Triggers, BeforeValidator(_event_map)]
    permissions: Permissions | None = None
    env: EnvMap | None = None
    defaults: Defaults | None = None
    concurrency: str | Concurrency | None = None
    jobs: dict[str, Job]

    @field_validator("jobs")
    @classmethod
    def _job_ids(cls, jobs: dict[str, Job]) -> dict[str, Job]:
        if not jobs:
            raise ValueError("`jobs` is empty; a workflow needs at least one job")
        seen: dict[str, str] = {}
        for job_id in jobs:
            if not JOB_ID_RE.match(job_id):
                raise ValueError(
                    f"job id `{job_id}` must start with a letter or `_` and contain only "
                    "letters, digits, `-` and `_`"
                )
            folded = job_id.lower()
            if folded in seen:  # GitHub compares job ids case-insensitively
                raise ValueError(f"job ids `{seen[folded]}` and `{job_id}` differ only in case")
            seen[folded] = job_id
        return jobs


# --- composite actions (action.yml) ----------------------------------------------------------


class ActionInput(Model):
    description: str | None = None
    required: ExprBool | None = None
    default: Scalar = None
    deprecation_message: str | None = Field(None, alias="deprecationMessage")


class ActionOutput(Model):
    description: str | None = None
    value: str | None = None


class CompositeStep(Step):
    """A composite action's step: like a workflow step, but ``run`` needs an explicit shell."""

    @model_validator(mode="after")
    def _shell(self) -> CompositeStep:
        if self.run is not None and self.shell is None:
            raise ValueError("a `run` step in a composite action needs `shell`")
        return self


class CompositeRuns(Model):
    using: Literal["composite"]
    steps: list[CompositeStep]


class NodeRuns(Model):
    using: str
    main: str
    pre: str | None = None
    pre_if: str | None = Field(None, alias="pre-if")
    post: str | None = None
    post_if: str | None = Field(None, alias="post-if")


class DockerRuns(Model):
    using: Literal["docker"]
    image: str
    env: dict[str, Scalar] | None = None
    args: list[Scalar] | None = None
    entrypoint: str | None = None
    pre_entrypoint: str | None = Field(None, alias="pre-entrypoint")
    post_entrypoint: str | None = Field(None, alias="post-entrypoint")
    pre_if: str | None = Field(None, alias="pre-if")
    post_if: str | None = Field(None, alias="post-if")


def _runs_kind(value: Any) -> str | None:
    """Pick the ``runs`` shape by ``using`` so errors talk about the right one."""
    using = value.get("using") if isinstance(value, dict) else getattr(value, "using", None)
    if using in ("composite", "docker"):
        return str(using)
    if isinstance(using, str) and using.startswith("node"):
        return "node"
    return None


Runs = Annotated[
    Annotated[CompositeRuns, Tag("composite")]
    | Annotated[DockerRuns, Tag("docker")]
    | Annotated[NodeRuns, Tag("node")],
    Discriminator(
        _runs_kind,
        custom_error_type="invalid_runs",
        custom_error_message="`runs.using` must be `composite`, `docker` or `node<version>`",
    ),
]


class Branding(Model):
    icon: str | None = None
    color: str | None = None


class Action(Model):
    """An ``action.yml``: a composite action is inlined by the converter; others are referenced."""

    name: str | None = None
    author: str | None = None
    description: str | None = None
    inputs: dict[str, ActionInput] | None = None
    outputs: dict[str, ActionOutput] | None = None
    runs: Runs
    branding: Branding | None = None
