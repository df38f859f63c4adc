"""The rule table: data in ``mappings/*.yaml`` that says what each GitHub Actions construct becomes.

Rules are data so that a platform team can teach the converter its own actions and runners
without touching code (``--mappings DIR``; user folders are consulted before the built-in table).
A rule matches one thing (an action by ``uses``, a ``run`` command by regex, a set of runner labels,
a compose service property) and emits one thing (a step template, a catalog StepAction by resolver,
the job image, a runner's scheduling, ``drop`` with a reason, or ``manual`` with an instruction).
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ghtotekton.boundary import within
from ghtotekton.errors import Diagnostic, InputError, Position
from ghtotekton.github.uses import UsesRef
from ghtotekton.pydantic_errors import Shapes, validate_document
from ghtotekton.yamlsource import YamlDocument, load_yaml_file

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)]
ResourceClass = Literal["gpu", "cpu"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Model):
    """What a rule applies to; exactly one of the fields."""

    uses: str | None = None
    """``owner/name[/path]`` of an action, case-insensitive; ``*`` globs allowed."""
    versions: str | None = None
    """Constraints on the major version of ``uses``, e.g. ``">=3"`` or ``">=2,<5"``."""
    run: str | None = None
    """A regular expression searched in ``run:`` scripts (multi-line mode)."""
    runner: list[str] | None = None
    """Runner labels (``*`` globs) that must all be in ``runs-on``."""
    compose: dict[str, Any] | None = None
    """Compose service properties (dotted paths) and the values they must have."""

    @model_validator(mode="after")
    def _one(self) -> Match:
        kinds = [k for k in ("uses", "run", "runner", "compose") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("`match` needs exactly one of `uses`, `run`, `runner`, `compose`")
        if self.versions is not None and self.uses is None:
            raise ValueError("`versions` goes with `uses`")
        if self.versions is not None:
            _parse_constraints(self.versions)
        if self.run is not None:
            try:
                re.compile(self.run, re.MULTILINE)
            except re.error as exc:
                raise ValueError(f"`run` is not a valid regular expression: {exc}") from None
        return self

    @property
    def kind(self) -> Literal["uses", "run", "runner", "compose"]:
        if self.uses is not None:
            return "uses"
        if self.run is not None:
            return "run"
        if self.runner is not None:
            return "runner"
        return "compose"


class StepTemplate(_Model):
    """A step written by the rule; string values are jinja2 templates.

    Templates see ``inputs`` (the ``with:`` values known before the run, by name),
    ``input_env`` (input name -> the env var that carries its value at run time: scripts must use
    these, never splice values, so untrusted text never becomes code), ``step`` and ``job`` facts.
    """

    name: str | None = None
    image: str | None = None
    script: str
    env: dict[str, str] = Field(default_factory=dict)
    working_dir: str | None = Field(None, alias="workingDir")


class CatalogRef(_Model):
    """A catalog StepAction (or Task) fetched by a Tekton resolver; param values are templates."""

    kind: Literal["StepAction", "Task"] = "StepAction"
    resolver: Literal["hub", "git", "bundles", "cluster", "http"]
    params: dict[str, str]
    with_params: dict[str, str] = Field(default_factory=dict)
    """``with:`` input name -> the StepAction param it feeds."""


class RunnerSpec(_Model):
    """What a runner label set means on the cluster."""

    image: str | None = None
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[dict[str, str]] = Field(default_factory=list)
    gpu_count: int = 0
    gpu_type: str | None = None
    gpu_resource: str = "nvidia.com/gpu"


EMIT_KINDS = ("step", "catalog", "image", "runner", "drop", "manual", "root", "classify")


class Emit(_Model):
    """What a rule produces; exactly one of the fields."""

    step: StepTemplate | None = None
    catalog: CatalogRef | None = None
    image: str | None = None
    """The job's default image becomes this (a template), e.g. for ``setup-python``."""
    runner: RunnerSpec | None = None
    drop: str | None = None
    """Why the step has no Tekton equivalent worth keeping (it is left out, with this reason)."""
    manual: str | None = None
    """What a person has to do instead (the step becomes a commented stub)."""
    root: str | None = None
    """A ``run`` rule: the step runs as root with ``sudo`` removed where it is a command (and
    apt's package lists fetched when the image has none); the text says what that loses, and
    the step is partial."""
    classify: bool | None = None
    """Only say what the matched command needs (the rule's ``class``): GPU or CPU."""

    @model_validator(mode="after")
    def _one(self) -> Emit:
        kinds = [k for k in EMIT_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "`emit` needs exactly one of `step`, `catalog`, `image`, `runner`, `drop`, "
                "`manual`, `root`, `classify`"
            )
        return self

    @property
    def kind(self) -> str:
        for k in EMIT_KINDS:
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated to have one kind")  # pragma: no cover


class Rule(_Model):
    id: RuleId
    match: Match
    emit: Emit
    resource_class: ResourceClass | None = Field(None, alias="class")
    status: Literal["converted", "partial"] = "converted"
    """``partial``: the emitted form works but loses something; ``docs`` must say what."""
    docs: str
    """What the Tekton form does and what it does not; quoted in the migration report."""
    secrets: list[str] = Field(default_factory=list)
    """Input names whose values are secrets (become secretKeyRef env, never literals)."""
    defaults: dict[str, str] = Field(default_factory=dict)
    """Inputs the action gives a value when the step does not (its ``action.yml`` defaults that
    hold expressions, such as checkout's ``token: ${{ github.token }}``)."""
    gpu_work: bool = False
    """With ``class: gpu``: the command is what a job holds its GPU for (notebook execution).
    In a job that runs it, commands no rule classes run without the GPU (``gpu.apply_gpus``)."""
    defaults_unless_remote: dict[str, str] = Field(default_factory=dict)
    """Defaults that hold only when no later step of the job talks to a git remote
    (``convert/git_remote.py``): checkout keeps no token in ``.git/config`` that nothing needs."""

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.emit.runner is not None and self.match.kind != "runner":
            raise ValueError("`emit.runner` goes with `match.runner`")
        if self.emit.classify is not None and self.resource_class is None:
            raise ValueError("`emit.classify` needs the rule's `class` (gpu or cpu)")
        if self.gpu_work and self.resource_class != "gpu":
            raise ValueError("`gpu_work` goes with `class: gpu`")
        if self.emit.root is not None and self.match.kind != "run":
            raise ValueError("`emit.root` is for `run` rules (commands in scripts)")
        if self.match.kind == "runner" and self.emit.kind not in ("runner", "manual"):
            raise ValueError("a `match.runner` rule emits `runner` or `manual`")
        if not self.docs.strip():
            raise ValueError("`docs` must say what the Tekton form does and does not do")
        return self


class RuleFile(_Model):
    rules: list[Rule]


RULE_SHAPES: Shapes = [
    ((), RuleFile, "rule file"),
    (("rules", "#"), Rule, "rule"),
    (("rules", "#", "match"), Match, "`match`"),
    (("rules", "#", "emit"), Emit, "`emit`"),
    (("rules", "#", "emit", "step"), StepTemplate, "`emit.step`"),
    (("rules", "#", "emit", "catalog"), CatalogRef, "`emit.catalog`"),
    (("rules", "#", "emit", "runner"), RunnerSpec, "`emit.runner`"),
]


@dataclass(frozen=True, slots=True)
class LoadedRule:
    """A rule with the place it was defined, for the report and ``explain``."""

    rule: Rule
    position: Position

    @property
    def id(self) -> str:
        return self.rule.id


def builtin_mappings_dir() -> Path:
    """The shipped rule table: in the wheel, or ``mappings/`` beside the package in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "mappings", here.parent / "mappings"):
        if candidate.is_dir():
            return candidate
    raise InputError(
        Diagnostic(Position(str(here)), "the built-in rule table (mappings/) is missing")
    )


def load_rule_file(path: Path) -> list[LoadedRule]:
    doc = load_yaml_file(path)
    data = doc.data if doc.data is not None else {"rules": []}
    doc = YamlDocument(doc.file, data, doc.positions, doc.key_positions)
    parsed = validate_document(RuleFile, doc, RULE_SHAPES)
    return [LoadedRule(rule, doc.pos(("rules", i))) for i, rule in enumerate(parsed.rules)]


@dataclass
class RuleSet:
    """Rules in precedence order: user folders first (in the order given), then the built-ins."""

    rules: list[LoadedRule] = field(default_factory=list)

    @classmethod
    def load(cls, user_dirs: Sequence[Path] = (), *, builtin: bool = True) -> RuleSet:
        """User folders are read in the caller's repository scope (``check`` takes them from a
        committed migration-map.json, so a pull request must not point them out of the tree);
        the shipped table is the tool's own file and is read wherever the tool is installed."""
        shipped = builtin_mappings_dir() if builtin else None
        rules: list[LoadedRule] = []
        errors: list[Diagnostic] = []
        for folder in [*user_dirs, *([shipped] if shipped else [])]:
            if not folder.is_dir():
                errors.append(Diagnostic(Position(str(folder)), "rule folder not found"))
                continue
            with within(None) if folder == shipped else contextlib.nullcontext():
                for path in sorted(folder.glob("*.y*ml")):
                    try:
                        rules.extend(load_rule_file(path))
                    except InputError as exc:
                        errors.extend(exc.diagnostics)
        if errors:
            raise InputError(errors)
        return cls(rules)

    @cached_property
    def _ids(self) -> dict[str, LoadedRule]:
        out: dict[str, LoadedRule] = {}
        for rule in self.rules:
            out.setdefault(rule.id, rule)
        return out

    def by_id(self, rule_id: str) -> LoadedRule | None:
        return self._ids.get(rule_id)

    @cached_property
    def _by_kind(self) -> dict[str, list[LoadedRule]]:
        """Rules per match kind, in precedence order (matching runs once per step)."""
        out: dict[str, list[LoadedRule]] = {}
        for rule in self.rules:
            out.setdefault(rule.rule.match.kind, []).append(rule)
        return out

    def _of(self, kind: str) -> Iterable[LoadedRule]:
        return self._by_kind.get(kind, [])

    @cached_property
    def _matched(self) -> dict[tuple[str, ...], LoadedRule | None]:
        """Answers already given (rules are fixed once loaded; steps repeat the same actions
        and runners thousands of times over a large conversion)."""
        return {}

    def match_uses(self, ref: UsesRef) -> LoadedRule | None:
        """The first rule for this action whose version range admits the ref."""
        key = ("uses", ref.name.lower(), ref.ref or "")
        if key not in self._matched:
            self._matched[key] = self._match_uses(ref)
        return self._matched[key]

    def _match_uses(self, ref: UsesRef) -> LoadedRule | None:
        name = ref.name.lower()
        for loaded in self._of("uses"):
            match = loaded.rule.match
            assert match.uses is not None
            if not fnmatch.fnmatchcase(name, match.uses.lower()):
                continue
            if match.versions is None or version_admits(match.versions, ref.ref):
                return loaded
        return None

    @cached_property
    def _run_patterns(self) -> list[tuple[re.Pattern[str], LoadedRule]]:
        return [(re.compile(r.rule.match.run or "", re.MULTILINE), r) for r in self._of("run")]

    def match_run(self, script: str) -> list[LoadedRule]:
        """Every ``run`` rule whose regex is found in the script, in precedence order."""
        return [r for pattern, r in self._run_patterns if pattern.search(script) is not None]

    @cached_property
    def _class_patterns(self) -> dict[str, list[re.Pattern[str]]]:
        """The ``classify`` rules' commands per resource class, compiled once."""
        out: dict[str, list[re.Pattern[str]]] = {"gpu": [], "cpu": [], "work": []}
        for r in self._of("run"):
            if r.rule.emit.classify and r.rule.resource_class in out:
                pattern = re.compile(r.rule.match.run or "", re.MULTILINE)
                out[r.rule.resource_class].append(pattern)
                if r.rule.gpu_work:
                    out["work"].append(pattern)
        return out

    def is_gpu_work(self, script: str) -> bool:
        """The script runs what a job holds its GPU for (a rule with ``gpu_work``)."""
        return any(p.search(script) for p in self._class_patterns["work"])

    def resource_class(self, script: str) -> str | None:
        """``gpu`` when a GPU command is anywhere in the script; ``cpu`` when every command
        line is a CPU command; None (unknown: a GPU job keeps the GPU) otherwise."""
        patterns = self._class_patterns
        if any(p.search(script) for p in patterns["gpu"]):
            return "gpu"
        lines = [ln for ln in script.splitlines() if ln.strip() and not _scaffolding(ln)]
        if lines and all(any(p.search(ln) for p in patterns["cpu"]) for ln in lines):
            return "cpu"
        return None

    def match_runner(self, labels: Sequence[str]) -> LoadedRule | None:
        """The first runner rule whose label patterns are all present in ``labels``."""
        key = ("runner", *labels)
        if key not in self._matched:
            self._matched[key] = self._match_runner(labels)
        return self._matched[key]

    def _match_runner(self, labels: Sequence[str]) -> LoadedRule | None:
        for loaded in self._of("runner"):
            patterns = loaded.rule.match.runner or []
            if patterns and all(
                any(fnmatch.fnmatchcase(label.lower(), p.lower()) for label in labels)
                for p in patterns
            ):
                return loaded
        return None

    def match_compose(self, service: dict[str, Any]) -> list[LoadedRule]:
        """Every ``compose`` rule whose properties the (plain-data) service has."""
        out = []
        for loaded in self._of("compose"):
            wanted = loaded.rule.match.compose or {}
            if all(_dotted_get(service, key) == value for key, value in wanted.items()):
                out.append(loaded)
        return out


_SCAFFOLD = re.compile(
    r"^\s*(?:#|set\s+[-+]\w+|cd\s|export\s|\. /workspace/\.ghtotekton/|if ght_failed)"
)


def _scaffolding(line: str) -> bool:
    """Comments, shell options and the lines the converter adds around a script."""
    return _SCAFFOLD.match(line) is not None


def _dotted_get(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


_CONSTRAINT = re.compile(r"^(>=|<=|==|>|<|=)?\s*v?(\d+)$")


def _parse_constraints(text: str) -> list[tuple[str, int]]:
    out = []
    for part in text.split(","):
        match = _CONSTRAINT.match(part.strip())
        if not match:
            raise ValueError(f"version constraint `{part.strip()}` is not like `>=3` or `<5`")
        out.append((match.group(1) or "==", int(match.group(2))))
    return out


_MAJOR = re.compile(r"^v?(\d+)(?:\.\d+)*(?:[-+].*)?$")


def major_version(ref: str) -> int | None:
    """The major version of ``v4``, ``v4.1.2`` or ``4``; None for a branch or a commit SHA."""
    match = _MAJOR.match(ref.strip())
    return int(match.group(1)) if match else None


def version_admits(constraints: str, ref: str) -> bool:
    """Whether a ref satisfies constraints on its major version.

    A commit SHA or a branch says nothing about the version; the rule is applied anyway (SHA
    pinning is good practice and must not make a known action unknown).
    """
    major = major_version(ref)
    if major is None:
        return True
    ops = {
        ">=": major.__ge__, "<=": major.__le__, ">": major.__gt__, "<": major.__lt__,
        "==": major.__eq__, "=": major.__eq__,
    }  # fmt: skip
    return all(ops[op](value) for op, value in _parse_constraints(constraints))


# --- rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateContext:
    """What a rule's templates may use. Values known only at run time are never here as text:
    templates reach them through the env var names in ``input_env``."""

    inputs: dict[str, str]
    """``with:`` values known before the run (no ``${{ }}``), as text."""
    given: frozenset[str]
    """Every ``with:`` input the step sets, known or not."""
    input_env: dict[str, str]
    """Input name -> env var carrying its value at run time (``INPUT_FETCH_DEPTH``)."""
    job: dict[str, Any] = field(default_factory=dict)
    """Facts about the job: ``id``, ``image``, ``workspaces`` (name -> mount path expression)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "given": self.given,
            "input_env": self.input_env,
            "job": self.job,
        }


def input_env_name(name: str) -> str:
    """GitHub's own convention for action inputs: ``fetch-depth`` -> ``INPUT_FETCH_DEPTH``."""
    return "INPUT_" + re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


class RenderError(ValueError):
    """A rule template that fails to render: a bug in the rule, reported with the rule's place."""


def render(template: str, context: TemplateContext) -> str:
    """Render one template string in a sandbox, failing on undefined names."""
    from jinja2 import TemplateError

    try:
        return str(_compiled(template).render(context.as_dict()))
    except TemplateError as exc:
        raise RenderError(str(exc)) from None


@functools.lru_cache(maxsize=4096)
def _compiled(template: str) -> Any:
    """Compile each template text once: compiling is most of a conversion's time otherwise."""
    from jinja2 import TemplateError

    try:
        return _environment().from_string(template)
    except TemplateError as exc:
        raise RenderError(str(exc)) from None


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )


def render_step(rule: LoadedRule, context: TemplateContext) -> dict[str, Any]:
    """The step a ``step`` rule writes, as plain data (name, image, script, env, workingDir)."""
    template = rule.rule.emit.step
    assert template is not None
    try:
        out: dict[str, Any] = {"script": render(template.script, context)}
        if template.name:
            out["name"] = render(template.name, context)
        if template.image:
            out["image"] = render(template.image, context)
        if template.env:
            out["env"] = {k: render(v, context) for k, v in template.env.items()}
        if template.working_dir:
            out["workingDir"] = render(template.working_dir, context)
    except RenderError as exc:
        raise InputError(
            Diagnostic(rule.position, f"rule `{rule.id}` failed to render: {exc}")
        ) from None
    return out
