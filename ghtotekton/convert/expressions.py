"""``${{ }}`` -> Tekton: params, env vars, secret references and shell, never spliced script text.

On GitHub an expression is pasted into the script before the shell runs; a branch name or a pull
request title with a quote in it then becomes code (script injection). Here every value reaches a
step as an environment variable fed from a Tekton param, a secret or a task result, and the script
reads the variable. What cannot be said that way is returned as a problem for a finding, never
dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal as Lit

from ghtotekton.convert.naming import env_name, param_name
from ghtotekton.convert.shell_expr import (
    NUMBER,
    PREDICATES,
    Compiler,
    number_text,
    temp_name,
)
from ghtotekton.convert.shell_expr import quoted as held_text
from ghtotekton.convert.shell_syntax import open_quoted_heredocs, quote_states
from ghtotekton.github import expressions as ex

GHT_DIR = "/workspace/.ghtotekton"
"""The runner's files in the pod: ``$GITHUB_ENV``, ``$GITHUB_PATH``, outputs, the shell library."""
LOAD_ENV = f". {GHT_DIR}/lib.sh && ght_load_env"
"""The shell line that gives a step what earlier steps wrote to ``$GITHUB_ENV``/``$GITHUB_PATH``."""

SourceKind = Lit["param", "env", "secret", "configmap", "literal", "runtime"]

RUNNER_FACTS = {
    "os": "Linux",
    "arch": "X64",
    "name": "tekton",
    "temp": "/tmp",
    "tool_cache": "/opt/hostedtoolcache",
    "environment": "self-hosted",
    "debug": "",
}
"""``runner.*`` on a Tekton pod: a Linux container; the values a script can rely on."""

STANDARD_GITHUB = {
    "sha": "GITHUB_SHA",
    "ref": "GITHUB_REF",
    "ref_name": "GITHUB_REF_NAME",
    "ref_type": "GITHUB_REF_TYPE",
    "head_ref": "GITHUB_HEAD_REF",
    "base_ref": "GITHUB_BASE_REF",
    "repository": "GITHUB_REPOSITORY",
    "repository_owner": "GITHUB_REPOSITORY_OWNER",
    "server_url": "GITHUB_SERVER_URL",
    "api_url": "GITHUB_API_URL",
    "event_name": "GITHUB_EVENT_NAME",
    "actor": "GITHUB_ACTOR",
    "run_id": "GITHUB_RUN_ID",
    "run_number": "GITHUB_RUN_NUMBER",
    "run_attempt": "GITHUB_RUN_ATTEMPT",
    "workflow": "GITHUB_WORKFLOW",
    "job": "GITHUB_JOB",
}
"""``github.*`` values every step gets as the env vars a runner sets, fed from pipeline params."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where the value of one context reference comes from in Tekton."""

    kind: SourceKind
    env: str = ""
    """The env var a script reads (for every kind but ``literal``)."""
    param: str = ""
    """``param``: the task param name that carries it."""
    feed: str = ""
    """``param``: what the pipeline passes (``$(params.x)``, ``$(tasks.t.results.r)``)."""
    secret_key: str = ""
    text: str = ""
    """``literal``: the value; ``runtime``: the shell that computes it."""
    late: bool = False
    """``env``: a name no workflow or job ``env:`` defines, so only ``$GITHUB_ENV`` (written by an
    earlier step at run time) can give it a value: no env entry can refer to it, only a shell
    that loaded the runner's env file can read it, and unset it is GitHub's empty string."""


@dataclass(slots=True)
class Untranslatable:
    """An expression we could not carry over faithfully, for a finding."""

    source: str
    reason: str


DEFAULT_STATUS = {"success": "true", "always": "true", "cancelled": "false", "failure": "false"}
"""Status functions when nothing failed before: reaching the step means success."""


@dataclass(slots=True)
class Scope:
    """What a job's expressions need, collected while its steps are converted.

    ``resolve`` is given by the job converter: it knows the job's env, matrix, needs and steps.
    """

    resolve: Callable[[tuple[str, ...]], Source | Untranslatable]
    used: dict[str, Source] = field(default_factory=dict)
    """Env var name -> source, for every reference used (the job converter declares them)."""
    problems: list[Untranslatable] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUS))
    """The bash test of each status function for the step being converted (``failure()`` reads
    the earlier steps' exit codes when the job tracks them)."""
    step_env: frozenset[str] | None = None
    """The names the step being converted defines in its own ``env:`` (None outside a step):
    its ``with:`` inputs and script see them, so they are not late there."""

    def source_of(self, path: tuple[str, ...]) -> Source | Untranslatable:
        found = self.resolve(path)
        if isinstance(found, Source) and found.kind != "literal":
            self.used.setdefault(found.env, found)
        return found


def reference_path(node: ex.Node) -> tuple[str, ...] | None:
    """``github.event.pull_request.title`` as a path, or None when it is not a plain reference."""
    parts: list[str] = []
    while True:
        if isinstance(node, ex.Variable):
            parts.append(node.name.lower())
            return tuple(reversed(parts))
        if isinstance(node, ex.Property):
            parts.append(node.name)
            node = node.obj
        elif isinstance(node, ex.Index) and isinstance(node.index, ex.Literal):
            if not isinstance(node.index.value, str):
                return None
            parts.append(node.index.value)
            node = node.obj
        else:
            return None


RUN_LINK = re.compile(
    r"(?:\$\{\{\s*github\.server_url\s*\}\}|https://github\.com)/\$\{\{\s*github\.repository\s*\}\}"
    r"|\$\{\{\s*github\.event\.repository\.html_url\s*\}\}",
    re.I,
)
_RUN_TAIL = re.compile(
    r"/actions/runs/\$\{\{\s*github\.run_id\s*\}\}(?:/attempts/\$\{\{\s*github\.run_attempt\s*\}\})?",
    re.I,
)
RUN_URL_KEY = "ghtotekton_run_url"
DASHBOARD_PARAM = "dashboard-url"
DASHBOARD_DEFAULT = "http://tekton-dashboard.tekton-pipelines.svc.cluster.local:9097"
"""The Tekton Dashboard's in-cluster address as its release manifests install it."""
RUN_URL_FEED = (
    f"$(params.{DASHBOARD_PARAM})/#/namespaces/$(context.pipelineRun.namespace)"
    "/pipelineruns/$(context.pipelineRun.name)"
)


def link_runs(text: str) -> str:
    """A link to the GitHub run (``<server>/<repo>/actions/runs/<run_id>``) becomes a link to
    this PipelineRun in the Tekton Dashboard: on Tekton the GitHub run does not exist."""
    out: list[str] = []
    last = 0
    for head in RUN_LINK.finditer(text):
        tail = _RUN_TAIL.match(text, head.end())
        if tail is None:
            continue
        out += [text[last : head.start()], f"${{{{ github.{RUN_URL_KEY} }}}}"]
        last = tail.end()
    return "".join(out) + text[last:] if out else text


def default_resolve(path: tuple[str, ...]) -> Source | Untranslatable:
    """How contexts that do not depend on the job map (``github``, ``inputs``, ``secrets`` ...)."""
    root, rest = path[0], path[1:]
    joined = ".".join(path)
    if root == "github" and rest:
        key = rest[0].lower()
        if len(rest) == 1 and key == "workspace":
            return Source("literal", text="$(workspaces.source.path)")
        if len(rest) == 1 and key == "token":
            return Source("secret", env="GITHUB_TOKEN", secret_key="GITHUB_TOKEN")
        if len(rest) == 1 and key == RUN_URL_KEY:
            return Source("param", env="GHT_RUN_URL", param="ghtotekton-run-url", feed=RUN_URL_FEED)
        if len(rest) == 1 and key in STANDARD_GITHUB:
            name = param_name("github", key.replace("_", "-"))
            return Source("param", env=STANDARD_GITHUB[key], param=name, feed=f"$(params.{name})")
        name = param_name("github", *[p.lower().replace("_", "-") for p in rest])
        return Source(
            "param", env=env_name("GHT", "github", *rest), param=name, feed=f"$(params.{name})"
        )
    if root == "inputs" and len(rest) == 1:
        name = param_name("inputs", rest[0])
        return Source(
            "param", env=env_name("GHT", "inputs", rest[0]), param=name, feed=f"$(params.{name})"
        )
    if root == "secrets" and len(rest) == 1:
        if rest[0].upper() == "GITHUB_TOKEN":
            return Source("secret", env="GITHUB_TOKEN", secret_key="GITHUB_TOKEN")
        return Source("secret", env=env_name("GHT_SECRET", rest[0]), secret_key=rest[0])
    if root == "vars" and len(rest) == 1:
        return Source("configmap", env=env_name("GHT_VAR", rest[0]), secret_key=rest[0])
    if root == "env" and len(rest) == 1:
        return Source("env", env=rest[0])
    if root == "runner" and len(rest) == 1 and rest[0].lower() in RUNNER_FACTS:
        return Source("literal", text=RUNNER_FACTS[rest[0].lower()])
    return Untranslatable(joined, f"`{joined}` has no Tekton counterpart yet")


# --- scripts -----------------------------------------------------------------------------------


@dataclass(slots=True)
class ScriptTranslation:
    text: str
    prelude: list[str] = field(default_factory=list)
    """Shell lines to run first (runtime values such as earlier steps' outputs)."""


def translate_script(text: str, scope: Scope, *, shell_kind: str = "sh") -> ScriptTranslation:
    """Replace each ``${{ }}`` in a shell script by a variable reference the shell expands.

    Quoting is followed so a reference inside single quotes is still expanded the way GitHub's
    textual splice would be (``'a'"${X}"'b'``). Where no shell expands anything (python and
    pwsh scripts, quoted heredocs that cannot be opened) a param is pasted by Tekton's own
    substitution, as GitHub pastes it; anything else is reported for a person to wire in.
    """
    text = link_runs(text)
    if shell_kind == "sh":
        text = open_quoted_heredocs(text, _may_open)
    found = ex.find_expressions(text)
    if not found:
        return ScriptTranslation(text)
    out: list[str] = []
    prelude: list[str] = []
    last = 0
    states = quote_states(text, [(e.start, e.end) for e in found]) if shell_kind == "sh" else None
    for index, embedded in enumerate(found):
        out.append(text[last : embedded.start])
        last = embedded.end
        original = text[embedded.start : embedded.end]
        if embedded.node is None:
            scope.problems.append(Untranslatable(original, "the expression does not parse"))
            out.append(original)
            continue
        state = states[index] if states is not None else "none"
        if states is None or state == "quoted-heredoc":
            pasted = _pasted(embedded, scope)
            if pasted is None:
                where = "non-shell scripts" if states is None else "a quoted heredoc"
                scope.problems.append(
                    Untranslatable(
                        original,
                        f"inside {where} only Tekton's own substitution can put a value, and "
                        "only of a param the repository's writers set (not the event's text)",
                    )
                )
                out.append(original)
            else:
                out.append(pasted)
            continue
        shell = shell_value(embedded.node, scope, prelude)
        if shell is None:
            out.append(original)
            continue
        if state == "single":
            out.append(f"'\"{shell}\"'")
        else:
            out.append(shell)
    out.append(text[last:])
    return ScriptTranslation("".join(out), prelude)


def _pasted(item: ex.Embedded, scope: Scope) -> str | None:
    """Text where no shell expands a variable (a python script, a quoted heredoc): GitHub pastes
    the value into the text, and so does Tekton's ``$(params.x)`` substitution, before anything
    runs. Only for a plain reference to a param the repository's writers set; a literal the
    converter knows is pasted as it is."""
    if item.node is None or not _may_open(item):
        return None
    path = reference_path(item.node)
    if path is None:
        if isinstance(item.node, ex.Literal) and "$(" not in ex.to_string(item.node.value):
            return ex.to_string(item.node.value)
        return None
    found = scope.resolve(path)
    if isinstance(found, Source) and found.kind == "literal" and "$" not in found.text:
        return found.text
    if not isinstance(found, Source) or found.kind != "param":
        return None
    scope.source_of(path)  # the task declares the param
    return f"$(params.{found.param})"


def _may_open(item: ex.Embedded) -> bool:
    """Whether an expression may be put into a quoted heredoc's text, where the program reading
    the heredoc (python, a config file) takes it as its own text. Values from the event
    (titles, branch names, commit messages: anyone who opens a pull request writes them) may
    not: they would become code, the script injection GitHub's own substitution allows."""
    if item.node is None:
        return False
    for ref in ex.references(item.node):
        head = tuple(p.lower() for p in ref[:2])
        if head in (("github", "event"), ("github", "head_ref")) or (
            ref[0] != "github" and (ref[0] not in SAFE_IN_TEXT)
        ):
            return False
    return True


SAFE_IN_TEXT = frozenset({"inputs", "matrix", "env", "vars", "runner", "needs", "steps", "job"})
"""Contexts a heredoc's text may receive: values the repository's writers set (inputs of a
dispatch come from someone with write access), not the event's free text. Secrets stay out:
a heredoc is often written to a file or a log."""


_SAFE_LITERAL = re.compile(r"^[A-Za-z0-9_./:@%+=,-]*$")
_SAFE_VALUE = re.compile(
    r"^(?:[A-Za-z0-9_./:@%+=,-]|\$\((?:workspaces\.[A-Za-z0-9_-]+\.path"
    r"|context\.(?:taskRun|pipelineRun|task|pipeline)\.(?:name|namespace|uid))\))*$"
)
"""A value whose Tekton variables Tekton replaces with names and paths of its own making (no
shell characters) before the shell runs: ``$(workspaces.source.path)``, ``$(context.*.name)``."""


def shell_value(node: ex.Node, scope: Scope, prelude: list[str]) -> str | None:
    """Shell text (a ``${VAR}`` form) with the value GitHub would paste; None when impossible."""
    if isinstance(node, ex.Literal):
        text = ex.to_string(node.value)
        if _SAFE_LITERAL.match(text):
            return text
        held = held_text(text)  # held in a variable: its quotes and `$` stay data
        if held is None:
            scope.problems.append(Untranslatable(ex.unparse(node), "literal with `$(` in it"))
            return None
        line = f'{temp_name(node)}="{held}"'
        if line not in prelude:
            prelude.append(line)
        return "${" + temp_name(node) + "}"
    path = reference_path(node)
    if path is not None:
        found = scope.source_of(path)
        if isinstance(found, Untranslatable):
            scope.problems.append(found)
            return None
        if found.kind == "literal":
            if _SAFE_VALUE.match(found.text):
                return found.text
            scope.problems.append(Untranslatable(ex.unparse(node), "value with shell characters"))
            return None
        if found.kind == "runtime":
            line = f'{found.env}="$({found.text})"'
            if line not in prelude:
                prelude.append(line)
        if found.kind == "env" and found.late:
            # Unset, it is GitHub's empty string: set it so, also for `set -u` and `${X,,}`.
            for line in (LOAD_ENV, f': "${{{found.env}:=}}"'):
                if line not in prelude:
                    prelude.append(line)
        return "${" + found.env + "}"
    if isinstance(node, ex.Logical) and node.op == "||" and _plain(node.left, scope):
        # GitHub returns the first truthy operand; a param is a string, truthy unless empty.
        left = shell_value(node.left, scope, prelude)
        right = _default_word(node.right, scope, prelude)
        if left is not None and right is not None and left.startswith("${") and left.endswith("}"):
            return "${" + left[2:-1] + ":-" + right + "}"
    before = len(scope.problems)
    compiler = Compiler(
        word=lambda n: shell_value(n, scope, prelude),
        test=lambda n: shell_condition(n, scope, prelude, scope.status),
        prelude=prelude,
    )
    value = compiler.value(node)
    if value is not None:
        del scope.problems[before:]
        return value
    if len(scope.problems) == before:
        scope.problems.append(Untranslatable(ex.unparse(node), "it has no shell form"))
    return None


def _plain(node: ex.Node, scope: Scope) -> bool:
    """A reference whose value the shell holds as it is (so ``${X:-default}`` gives ``X || d``)."""
    path = reference_path(node)
    if path is None:
        return False
    found = scope.resolve(path)
    return isinstance(found, Source) and found.kind not in ("literal",)


def _default_word(node: ex.Node, scope: Scope, prelude: list[str]) -> str | None:
    """The right side of ``${X:-...}``: a literal quoted for it, else a shell value."""
    if isinstance(node, ex.Literal):
        text = ex.to_string(node.value)
        if _SAFE_LITERAL.match(text):
            return text
        return None
    return shell_value(node, scope, prelude)


def constant_list(node: ex.Node) -> list[str] | None:
    """The items, as GitHub's strings, of an array the expression fixes (``fromJSON('[...]')``)."""
    try:
        value = ex.evaluate(node, {})
    except ex.ExpressionError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return None
    return [ex.to_string(v) for v in value]


def in_double_quotes(text: str) -> str:
    """``text`` escaped so that, between double quotes, the shell reads it back unchanged: a
    literal with quotes, ``$(`` or backticks is data, never code."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")


# --- conditions ---------------------------------------------------------------------------------


STATUS_FUNCTIONS = {"success", "always", "failure", "cancelled"}


def status_calls(node: ex.Node) -> set[str]:
    """The status functions a condition calls (lower case)."""
    return {name.lower() for name in ex.calls(node)} & STATUS_FUNCTIONS


def shell_condition(
    node: ex.Node,
    scope: Scope,
    prelude: list[str],
    status: dict[str, str] | None = None,
) -> str | None:
    """A bash test with GitHub's meaning for a condition, or None when it cannot be said.

    String comparisons are case-insensitive on GitHub, so both sides are lower-cased.
    ``status`` gives the shell test for each status function (``failure`` -> a check of the
    earlier steps' exit codes).
    """
    status = status or scope.status
    if isinstance(node, ex.Literal):
        return "true" if ex.is_truthy(node.value) else "false"
    if isinstance(node, ex.Call) and node.name.lower() in STATUS_FUNCTIONS:
        return status[node.name.lower()]
    if isinstance(node, ex.Not):
        inner = shell_condition(node.expr, scope, prelude, status)
        return None if inner is None else f"! {{ {inner}; }}"
    if isinstance(node, ex.Logical):
        left = shell_condition(node.left, scope, prelude, status)
        right = shell_condition(node.right, scope, prelude, status)
        if left is None or right is None:
            return None
        op = "&&" if node.op == "&&" else "||"
        return f"{{ {left}; }} {op} {{ {right}; }}"
    if isinstance(node, ex.Compare) and node.op in ("==", "!="):
        return _equality(node.left, node.right, scope, prelude, negated=node.op == "!=")
    if isinstance(node, ex.Call) and node.name.lower() == "contains" and len(node.args) == 2:
        members = constant_list(node.args[0])
        if members is not None:  # contains(fromJSON('["a","b"]'), x): x is one of them
            item = _lowered(node.args[1], scope, prelude)
            if item is None or any("$(" in m for m in members):
                return None
            tests = [f'"{item}" == "{in_double_quotes(m.lower())}"' for m in members]
            return f"[[ {' || '.join(tests)} ]]" if tests else "false"
    if isinstance(node, ex.Call) and node.name.lower() in ("startswith", "endswith", "contains"):
        if len(node.args) != 2:
            return None
        hay = _lowered(node.args[0], scope, prelude)
        needle = node.args[1]
        if isinstance(needle, ex.Literal):
            if "$(" in ex.to_string(needle.value):
                return None  # Tekton would substitute `$(params.x)` inside the script text
            lit = '"' + in_double_quotes(ex.to_string(needle.value).lower()) + '"'
        else:
            lowered = _lowered(needle, scope, prelude)
            lit = f'"{lowered}"' if lowered is not None else ""
        if hay is None or not lit:
            return None
        # quoted, the needle is matched literally, not as a pattern
        pattern = {"startswith": f"{lit}*", "endswith": f"*{lit}", "contains": f"*{lit}*"}
        return f'[[ "{hay}" == {pattern[node.name.lower()]} ]]'
    if isinstance(node, ex.Not | ex.Compare | ex.Logical) or (
        isinstance(node, ex.Call) and node.name.lower() in PREDICATES
    ):
        return None  # a test of its own above, or none: not a value to test for truth
    value = shell_value(node, scope, prelude)
    if value is None:
        return None
    kind = value_kind(node, scope)
    if kind == "string":
        return f'[[ -n "{value}" ]]'  # a string on GitHub too: truthy unless empty
    if kind == "boolean":
        return f'[[ "{value}" == true ]]'
    # A value of unknown type: truthy unless empty; "false" and "0" are non-empty strings and
    # truthy on GitHub, but booleans and numbers from params and matrices arrive as those words.
    return f'[[ -n "{value}" && "{value}" != "false" && "{value}" != "0" ]]'


STRING_KINDS = frozenset({"env", "runtime", "secret", "configmap"})
"""Sources whose value is a string on GitHub: env vars, step outputs, secrets and variables."""


ValueKind = Lit["string", "boolean", "number", "null", "unknown", "mixed"]
"""``mixed``: an ``a && b`` whose operands differ in kind, so its kind is known only at run time."""


def value_kind(node: ex.Node, scope: Scope) -> ValueKind:
    """What GitHub's value of ``node`` is, where the converter can tell: it decides how ``==``
    coerces (``'' == false`` is true: both become the number 0) and what is truthy."""
    if isinstance(node, ex.Literal):
        if node.value is None:
            return "null"
        if isinstance(node.value, bool):
            return "boolean"
        return "number" if isinstance(node.value, int | float) else "string"
    if isinstance(node, ex.Not | ex.Compare):
        return "boolean"
    if isinstance(node, ex.Call):
        name = node.name.lower()
        if name in PREDICATES:
            return "boolean"
        return "string" if name in ("format", "hashfiles", "join", "tojson") else "unknown"
    if isinstance(node, ex.Logical):
        left, right = value_kind(node.left, scope), value_kind(node.right, scope)
        return left if left == right else "mixed"
    path = reference_path(node)
    found = scope.resolve(path) if path is not None else None
    if isinstance(found, Source) and found.kind in STRING_KINDS:
        return "string"
    return "unknown"


def _equality(
    left: ex.Node, right: ex.Node, scope: Scope, prelude: list[str], *, negated: bool = False
) -> str | None:
    """A bash test of GitHub's ``left == right``: strings ignore case; values of two kinds are
    both made numbers (``'' == false``, ``'1' == true``) and NaN equals nothing."""
    kinds = {value_kind(left, scope), value_kind(right, scope)}
    if "mixed" in kinds:
        scope.problems.append(
            Untranslatable(
                f"{ex.unparse(left)} == {ex.unparse(right)}",
                "a comparison with a value whose kind (string, boolean) only the run knows",
            )
        )
        return None
    if "unknown" in kinds or kinds == {"string"} or len(kinds) == 1:
        # Of one kind, or a param whose kind only the run knows: its text is compared.
        a, b = _lowered(left, scope, prelude), _lowered(right, scope, prelude)
        op = "!=" if negated else "=="
        return None if a is None or b is None else f'[[ "{a}" {op} "{b}" ]]'
    a, b = _number(left, scope, prelude), _number(right, scope, prelude)
    if a is None or b is None:
        return None
    equal = f'[[ "{a}" == "{b}" && "{a}" != NaN ]]'
    return f"! {{ {equal}; }}" if negated else equal


def _number(node: ex.Node, scope: Scope, prelude: list[str]) -> str | None:
    """The operand as GitHub's number, as text ``ght_num`` prints (or the converter knows)."""
    if isinstance(node, ex.Literal):
        return number_text(ex.to_number(node.value))
    value = shell_value(node, scope, prelude)
    if value is None:
        return None
    if value_kind(node, scope) == "boolean":
        return f'$([[ "{value}" == true ]] && echo 1 || echo 0)'
    if NUMBER not in prelude:
        prelude.insert(0, NUMBER)
    return f'$(ght_num "{value}")'


def _lowered(node: ex.Node, scope: Scope, prelude: list[str]) -> str | None:
    """The operand in lower case, for inside double quotes (GitHub compares ignoring case)."""
    if isinstance(node, ex.Literal):
        text = ex.to_string(node.value)
        if "$(" in text:
            return None  # Tekton would substitute `$(params.x)` inside the script text
        return in_double_quotes(text.lower())
    value = shell_value(node, scope, prelude)
    if value is None:
        return None
    if _PLAIN_VAR.fullmatch(value):
        return "${" + value[2:-1] + ",,}"
    if "$" not in value:
        return value.lower()  # a value the converter knows (`runner.os`)
    # `${X:-d}`, `$(workspaces.source.path)/x`: held in a variable first, then lower-cased
    name = temp_name(node)
    line = f'{name}="{value}"'
    if line not in prelude:
        prelude.append(line)
    return "${" + name + ",,}"


_PLAIN_VAR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
