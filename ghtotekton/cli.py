"""The typer application: parses options, calls one command function, maps outcomes to exit codes.

Kept thin and cheap to import: every command imports its own module (and the heavy libraries it
needs) only when it runs, so ``ghtotekton --help`` starts fast.
"""

from __future__ import annotations

import errno
import importlib
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ghtotekton import __version__
from ghtotekton.errors import ExitCode, GhToTektonError


def _native_arguments() -> None:
    """Arguments in help as every Unix tool shows them: ``PATH...`` in the usage line and the
    metavar alone in the list, not typer's ``{paths}...`` and ``<list[Path]>``. Only where the
    argument has a metavar (all of ours do); tests/test_cli.py pins the result."""
    argument = typer.core.TyperArgument
    typed = argument.display_type_rich

    def usage(self: typer.core.TyperArgument) -> str:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"

    def display_type(self: typer.core.TyperArgument, ctx: Any) -> str | None:
        return None if self.metavar is not None else typed(self, ctx)

    if hasattr(argument, "_usage_display_name"):
        argument._usage_display_name = usage  # type: ignore[method-assign]
    argument.display_type_rich = display_type  # type: ignore[method-assign,assignment]


_native_arguments()


def _examples(*lines: str) -> str:
    """An ``Examples:`` block for a command's help, kept as written (``\\b``: no rewrapping)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


app = typer.Typer(
    name="ghtotekton",
    help=(
        "Move CI from GitHub Actions to Tekton: convert workflows (with their composite actions, "
        "reusable workflows and docker-compose files) into Tekton resources, compare a GitHub "
        "Actions run with a Tekton run of the same commit, and gate the traffic shift.\n\n"
        "Exit codes: 0 ok; 1 ran and found something (divergence, invalid resource, drift, manual "
        "work under --strict); 2 bad usage or bad input; 3 internal error (rerun with --debug)."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rollout_app = typer.Typer(
    help="The 10% -> 50% -> 100% traffic shift from GitHub Actions to Tekton, gated on recorded "
    "comparisons.",
    no_args_is_help=True,
)
app.add_typer(rollout_app, name="rollout")


class _State:
    debug: bool = False


STATE = _State()


def _err(message: str) -> None:
    """Errors and progress go to stderr; stdout is kept for machine-readable output."""
    sys.stderr.write(message.rstrip("\n") + "\n")


def _invoke(module: str, function: str, *, summary: str | None = None, **kwargs: Any) -> None:
    """Run ``ghtotekton.<module>.<function>(**kwargs)`` and turn its outcome into an exit code.

    The command module is imported here, not at start-up, to keep ``--help`` light. ``summary``
    is the ``--format`` of a command that says what it did through ``ghtotekton.summary``.
    """
    try:
        mod = importlib.import_module(f"ghtotekton.{module}")
        run: Callable[..., int | None] = getattr(mod, function)
        if summary is None:
            code = run(**kwargs)
        else:
            from ghtotekton.summary import summarised

            with summarised(summary):
                code = run(**kwargs)
    except GhToTektonError as exc:
        if STATE.debug:
            traceback.print_exc()
        for diag in exc.diagnostics:
            _err(diag.format())
        raise typer.Exit(int(exc.exit_code)) from None
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        _err("ghtotekton: interrupted")
        raise typer.Exit(130) from None
    except OSError as exc:
        # The machine said no (a missing folder, a read-only file system, a file where a folder
        # should be, a full disk): the user's environment, not a bug, so exit 2 with the path.
        if STATE.debug:
            traceback.print_exc()
        _err(_environment_error(exc))
        raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
    except Exception as exc:  # the last line of defence: a bug in ghtotekton
        if STATE.debug:
            traceback.print_exc()
        else:
            _err(
                f"ghtotekton: internal error: {type(exc).__name__}: {exc} "
                "(rerun with --debug for the traceback and report it)"
            )
        raise typer.Exit(int(ExitCode.INTERNAL)) from None
    raise typer.Exit(int(code or 0))


_OS_HINTS = {
    errno.ENOENT: "a folder on the way does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.EACCES: "you may not write or read there",
    errno.EPERM: "you may not write or read there",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EISDIR: "a folder stands where a file should be",
}


def _environment_error(exc: OSError) -> str:
    """``PATH: error: REASON (hint)``, the same shape as every other message."""
    path = exc.filename if exc.filename is not None else "ghtotekton"
    reason = exc.strerror or type(exc).__name__
    hint = _OS_HINTS.get(exc.errno or 0, "check the path and its permissions")
    other = f" (and {exc.filename2})" if exc.filename2 is not None else ""
    return f"{path}{other}: error: {reason} ({hint}; choose another path or fix this one)"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"ghtotekton {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show full tracebacks instead of one-line errors (anywhere on the line).",
        ),
    ] = False,
    no_color: Annotated[
        bool,
        typer.Option(
            "--no-color",
            help="No colour (anywhere on the line); NO_COLOR=1 or TERM=dumb do the same.",
        ),
    ] = False,
    max_file_size: Annotated[
        float,
        typer.Option(
            "--max-file-size",
            envvar="GHTOTEKTON_MAX_FILE_MB",
            min=0.001,
            help="Largest input file (workflow, action, compose) read, in MB; larger ones are "
            "refused with an error.",
            metavar="MB",
        ),
    ] = 10.0,
) -> None:
    STATE.debug = debug
    from ghtotekton import limits

    limits.MAX_FILE_BYTES = int(max_file_size * 1024 * 1024)


class AuditFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"
    csv = "csv"


class Target(StrEnum):
    triggers = "triggers"
    pac = "pac"


class Listener(StrEnum):
    per_repo = "per-repo"
    per_workflow = "per-workflow"


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


SummaryOption = Annotated[
    SummaryFormat,
    typer.Option("--format", "-f", help="text: lines for a person; json: one object on stdout."),
]


class ValidateFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


class Coschedule(StrEnum):
    """Tekton's ``coschedule`` feature flag: how pods sharing a PVC are placed."""

    workspaces = "workspaces"
    pipelineruns = "pipelineruns"
    isolate_pipelinerun = "isolate-pipelinerun"
    disabled = "disabled"


class CheckFormat(StrEnum):
    text = "text"
    github = "github"
    json = "json"
    sarif = "sarif"


class CompareFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"
    html = "html"


PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Workflow files, workflow folders or repository roots (the folder holding .github/).",
        show_default=False,
        metavar="PATH",
    ),
]


@app.command(
    epilog=_examples(
        "ghtotekton convert . -o tekton",
        "ghtotekton convert .github/workflows/ci.yml --namespace ci",
        "ghtotekton convert . --target pac --no-split-gpu",
    )
)
def convert(
    paths: PathsArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder the Tekton resources are written to.", metavar="DIR"
        ),
    ] = Path("tekton"),
    mappings: Annotated[
        list[Path] | None,
        typer.Option(
            "--mappings",
            help="Extra rule folder (mappings/*.yaml); repeatable; consulted before the built-in "
            "rules.",
            metavar="DIR",
        ),
    ] = None,
    target: Annotated[
        Target,
        typer.Option(
            help="triggers: EventListener + bindings + templates; pac: Pipelines-as-Code .tekton/."
        ),
    ] = Target.triggers,
    namespace: Annotated[
        str | None,
        typer.Option(help="Namespace written into the generated resources.", metavar="NAME"),
    ] = None,
    listener: Annotated[
        Listener,
        typer.Option(
            help="per-repo: one EventListener for all workflows of a repository; per-workflow: "
            "one each."
        ),
    ] = Listener.per_repo,
    tekton_share: Annotated[
        int,
        typer.Option(
            min=0,
            max=100,
            help="Percent of commits (a fixed bucket of the SHA) whose events start Tekton runs.",
            metavar="PERCENT",
        ),
    ] = 100,
    allow_fork_prs: Annotated[
        bool,
        typer.Option(
            "--allow-fork-prs", help="Let pull requests from forks start runs (they get secrets)."
        ),
    ] = False,
    storage_class: Annotated[
        str | None,
        typer.Option(
            help="Storage class of the PipelineRuns' volume claims (cluster default).",
            metavar="NAME",
        ),
    ] = None,
    split_gpu: Annotated[
        bool,
        typer.Option(
            help="Split jobs that mix GPU and CPU steps into tasks by resource class, so only "
            "GPU work holds a GPU; --no-split-gpu keeps one task per job."
        ),
    ] = True,
    max_keep_runs: Annotated[
        int,
        typer.Option(
            min=1, help="--target pac: finished runs Pipelines-as-Code keeps per run.", metavar="N"
        ),
    ] = 5,
    shadow_compare: Annotated[
        bool,
        typer.Option(
            "--shadow-compare",
            help="The run-bundle task also waits for GitHub's run of the same commit, compares "
            "the two and records the verdict in a rollout ledger bound to its `ledger` workspace. "
            "Also writes github-actions/: the workflows with steps that upload each job's "
            "executed notebooks, so the comparison sees them on both sides.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace generated files you edited since the last run (by default they are "
            "kept and listed). Files ghtotekton did not write are always kept.",
        ),
    ] = False,
    format: SummaryOption = SummaryFormat.text,
) -> None:
    """Convert GitHub Actions workflows into Tekton Tasks, Pipelines and Triggers (or, with
    --target pac, Pipelines-as-Code PipelineRuns in .tekton/ for the repository root)."""
    _invoke(
        "commands.convert",
        "run",
        summary=format.value,
        paths=paths,
        output=output,
        mappings=mappings or [],
        target=target.value,
        namespace=namespace,
        listener=listener.value,
        tekton_share=tekton_share,
        allow_fork_prs=allow_fork_prs,
        storage_class=storage_class,
        split_gpu=split_gpu,
        max_keep_runs=max_keep_runs,
        shadow_compare=shadow_compare,
        force=force,
    )


@app.command(
    epilog=_examples("ghtotekton audit .", "ghtotekton audit ~/src/* --format csv > audit.csv")
)
def audit(
    paths: PathsArg,
    format: Annotated[
        AuditFormat, typer.Option("--format", "-f", help="Report format.")
    ] = AuditFormat.text,
    mappings: Annotated[
        list[Path] | None,
        typer.Option(
            "--mappings",
            help="Extra rule folder, before the built-in rules; repeatable.",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """Convert in memory and report what would migrate (GitHub Actions Importer's classes and
    the manual tasks left), writing nothing.

    Works over many repositories at once: pass several folders.
    """
    _invoke("commands.audit", "run", paths=paths, format=format.value, mappings=mappings or [])


@app.command(
    epilog=_examples(
        "ghtotekton validate tekton/",
        "ghtotekton validate pipeline.yaml --format sarif --coschedule pipelineruns",
    )
)
def validate(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Tekton YAML files or folders.", show_default=False, metavar="PATH"),
    ],
    format: Annotated[
        ValidateFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ValidateFormat.text,
    coschedule: Annotated[
        Coschedule | None,
        typer.Option(
            help="The cluster's coschedule feature flag (Tekton's default: workspaces), which "
            "decides the one-PVC-per-TaskRun and affinity-assistant placement checks.",
            show_default=False,
        ),
    ] = None,
    flags: Annotated[
        Path | None,
        typer.Option(
            "--flags",
            help="The cluster's feature-flags ConfigMap (kubectl get configmap feature-flags "
            "-n tekton-pipelines -o yaml); --coschedule wins over its value.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    allow_non_tekton: Annotated[
        bool,
        typer.Option(
            "--allow-non-tekton",
            help="Skip GitHub Actions workflows and files without Tekton or Kubernetes "
            "documents with a note, instead of exit 2.",
        ),
    ] = False,
) -> None:
    """Check Tekton YAML (ours or hand-written) against Tekton's schema and webhook rules, and
    the rules Tekton's controller applies when a run starts (one PVC per TaskRun, affinity
    assistant placement, env reference order, GPUs per pod)."""
    _invoke(
        "commands.validate",
        "run",
        paths=paths,
        format=format.value,
        coschedule=coschedule.value if coschedule else None,
        flags=flags,
        allow_non_tekton=allow_non_tekton,
    )


@app.command(epilog=_examples("ghtotekton check", "ghtotekton check --format github --strict"))
def check(
    workflows: Annotated[
        Path,
        typer.Option(
            help="Folder of the GitHub Actions workflows; the repository root is the folder "
            "holding its .github/.",
            metavar="DIR",
        ),
    ] = Path(".github/workflows"),
    tekton: Annotated[
        Path,
        typer.Option(
            help="Folder of the committed Tekton output (with migration-map.json).", metavar="DIR"
        ),
    ] = Path("tekton"),
    format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="Output format.")
    ] = CheckFormat.text,
    strict: Annotated[
        bool, typer.Option(help="Also fail on manual and unsupported findings.")
    ] = False,
) -> None:
    """CI check for migration pull requests: regenerate, diff with committed files, validate.

    Regenerates the Tekton output in memory with the options recorded in the
    committed migration-map.json, shows a unified diff of every file that
    drifted (- committed, + what convert generates now), validates the
    committed resources, and fails (exit 1) on drift or invalid resources;
    with --strict also on manual and unsupported findings. Exit 2 when there
    are no workflows or no migration map.

    Workflow paths are taken relative to the repository root (the folder
    holding .github/), as `ghtotekton convert . -o tekton` writes them when
    run from the root: generate the committed folder that way (rollout does
    too). Recorded --mappings folders are relative to the root as well.
    Workflows the 100% rollout phase handed over are checked with their
    original triggers.

    --format github prints workflow commands (annotations on the pull
    request) and appends a Markdown summary to $GITHUB_STEP_SUMMARY when set.
    """
    _invoke(
        "commands.check",
        "run",
        workflows=workflows,
        tekton=tekton,
        format=format.value,
        strict=strict,
    )


@app.command(
    epilog=_examples(
        "ghtotekton compare --run-a gh-run/ --run-b tekton-run.zip",
        "ghtotekton compare --run-a github:org/repo/runs/123 --run-b tekton:ci/run-abc "
        "--format html -o report.html",
    )
)
def compare(
    run_a: Annotated[
        str,
        typer.Option(
            "--run-a",
            help="Run of system A, usually GitHub Actions: a bundle folder or zip, or "
            "github:OWNER/REPO/runs/ID (token from GITHUB_TOKEN).",
            metavar="BUNDLE",
        ),
    ],
    run_b: Annotated[
        str,
        typer.Option(
            "--run-b",
            help="Run of system B, usually Tekton: a bundle folder or zip, or "
            "tekton:NAMESPACE/PIPELINERUN.",
            metavar="BUNDLE",
        ),
    ],
    baseline: Annotated[
        str | None,
        typer.Option(
            help="A second run of system A on the same commit: what differs between A and this "
            "is noise. A baseline of the other system or another commit is refused (exit 2).",
            metavar="BUNDLE",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="compare.yaml with per-glob rules and tolerances.", metavar="FILE"),
    ] = None,
    format: Annotated[
        CompareFormat, typer.Option("--format", "-f", help="Report format.")
    ] = CompareFormat.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the report here, not to stdout.", metavar="FILE"
        ),
    ] = None,
    migration_map: Annotated[
        Path | None,
        typer.Option(
            "--migration-map", help="migration-map.json pairing jobs with tasks.", metavar="FILE"
        ),
    ] = None,
    record: Annotated[
        bool, typer.Option(help="Also record the verdict in the rollout ledger.")
    ] = False,
) -> None:
    """Compare what a GitHub Actions run and a Tekton run of the same commit produced.

    Exit 0 when equivalent, 1 when divergent or incomplete (something missing), 2 when the
    runs cannot be judged: different commits, one run given twice, or a baseline that is not
    another run of system A on that commit (the report still says why; --record refuses it).

    Run bundle: a folder (or a zip of one) with run.json and artifacts/. run.json holds
    "system" ("github-actions" or "tekton"), "run_id", "commit", "status" ("succeeded",
    "failed", "cancelled"), optional "ref", "event", "started"/"finished" (ISO 8601) and
    "units": one per job or pipeline task, with "name", "kind" ("job" or "task"), "status"
    and "steps". artifacts/ holds the files to compare (JUnit XML, notebooks, coverage, HTML,
    any file).
    """
    _invoke(
        "commands.compare",
        "run",
        run_a=run_a,
        run_b=run_b,
        baseline=baseline,
        config=config,
        format=format.value,
        output=output,
        migration_map=migration_map,
        record=record,
    )


@app.command(
    epilog=_examples(
        "ghtotekton explain .github/workflows/ci.yml",
        "ghtotekton explain .github/workflows/ci.yml:test:3 --format json",
    )
)
def explain(
    target: Annotated[
        str,
        typer.Argument(
            help="WORKFLOW[:JOB[:STEP]]: a workflow file, optionally a job id and a step id, "
            "name or 1-based index.",
            metavar="WORKFLOW[:JOB[:STEP]]",
        ),
    ],
    mappings: Annotated[
        list[Path] | None,
        typer.Option("--mappings", help="Extra rule folder; repeatable.", metavar="DIR"),
    ] = None,
    format: SummaryOption = SummaryFormat.text,
) -> None:
    """Show which rule matched a workflow, job or step, from which line, and what it became."""
    _invoke("commands.explain", "run", target=target, mappings=mappings or [], format=format.value)


RolloutFile = Annotated[Path, typer.Option("--plan", help="The rollout plan.", metavar="FILE")]
RolloutDb = Annotated[
    Path | None,
    typer.Option(
        "--db", help="The ledger (SQLite); default: `ledger:` of the plan.", metavar="FILE"
    ),
]
RolloutActor = Annotated[
    str | None,
    typer.Option(help="Who, for the log; default $GITHUB_ACTOR or the login name.", metavar="NAME"),
]
RolloutWorkflows = Annotated[
    Path | None,
    typer.Option(
        "--workflows", help="Workflows folder; default: `workflows:` of the plan.", metavar="DIR"
    ),
]
RolloutTekton = Annotated[
    Path | None,
    typer.Option(
        "--tekton", help="Output folder of convert; default: `tekton:` of the plan.", metavar="DIR"
    ),
]


@rollout_app.command("init", epilog=_examples("ghtotekton rollout init --phases 10,50,100"))
def rollout_init(
    plan: RolloutFile = Path("rollout.yaml"),
    phases: Annotated[
        str, typer.Option(help="Tekton shares of the phases, in percent.", metavar="PERCENTS")
    ] = ("10,50,100"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing plan.")] = False,
    format: SummaryOption = SummaryFormat.text,
) -> None:
    """Write rollout.yaml: phases with their Tekton share and the gate of each."""
    _invoke("commands.rollout", "init", summary=format.value, plan=plan, phases=phases, force=force)


@rollout_app.command(
    "status",
    epilog=_examples("ghtotekton rollout status", "ghtotekton rollout status --format json"),
)
def rollout_status(
    plan: RolloutFile = Path("rollout.yaml"),
    format: Annotated[
        AuditFormat, typer.Option("--format", "-f", help="Output format.")
    ] = AuditFormat.text,
    db: RolloutDb = None,
    limit: Annotated[int, typer.Option(min=1, help="Recent verdicts to chart.", metavar="N")] = 60,
) -> None:
    """Show the phase, the gate's progress and the recent verdicts."""
    _invoke("commands.rollout", "status", plan=plan, format=format.value, db=db, limit=limit)


@rollout_app.command("record", epilog=_examples("ghtotekton rollout record verdict.json"))
def rollout_record(
    compare_json: Annotated[
        Path,
        typer.Argument(
            help="JSON report written by `compare --format json`.", metavar="REPORT_JSON"
        ),
    ],
    plan: RolloutFile = Path("rollout.yaml"),
    db: RolloutDb = None,
    format: SummaryOption = SummaryFormat.text,
) -> None:
    """Add a comparison verdict to the rollout ledger."""
    _invoke(
        "commands.rollout",
        "record",
        summary=format.value,
        plan=plan,
        compare_json=compare_json,
        db=db,
    )


@rollout_app.command(
    "promote",
    epilog=_examples(
        "ghtotekton rollout promote",
        "ghtotekton rollout promote --force --reason 'release freeze ends today'",
    ),
)
def rollout_promote(
    plan: RolloutFile = Path("rollout.yaml"),
    force: Annotated[bool, typer.Option(help="Promote although the gate does not hold.")] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why; required with --force.", metavar="TEXT")
    ] = None,
    db: RolloutDb = None,
    actor: RolloutActor = None,
    workflows: RolloutWorkflows = None,
    tekton: RolloutTekton = None,
    format: SummaryOption = SummaryFormat.text,
) -> None:
    """Move to the next phase when its gate holds; writes the files for a pull request."""
    _invoke(
        "commands.rollout",
        "promote",
        summary=format.value,
        plan=plan,
        force=force,
        reason=reason,
        db=db,
        actor=actor,
        workflows=workflows,
        tekton=tekton,
    )


@rollout_app.command(
    "abort", epilog=_examples("ghtotekton rollout abort --reason 'notebook outputs diverge'")
)
def rollout_abort(
    reason: Annotated[str, typer.Option(help="Why the rollout goes back.", metavar="TEXT")],
    plan: RolloutFile = Path("rollout.yaml"),
    db: RolloutDb = None,
    actor: RolloutActor = None,
    workflows: RolloutWorkflows = None,
    tekton: RolloutTekton = None,
    sync: Annotated[
        bool,
        typer.Option(
            help="Change no phase: write the files for the ledger's phase (after an automatic "
            "abort)."
        ),
    ] = False,
    format: SummaryOption = SummaryFormat.text,
) -> None:
    """Go back to the previous phase (or to 0)."""
    _invoke(
        "commands.rollout",
        "abort",
        summary=format.value,
        plan=plan,
        reason=reason,
        db=db,
        actor=actor,
        workflows=workflows,
        tekton=tekton,
        sync=sync,
    )


def main() -> None:
    """Console-script entry point: global options may stand anywhere (``argv.py``)."""
    import os

    from ghtotekton.argv import colour_off, hoist_global_options

    args = sys.argv[1:]
    colour_off(args, os.environ)
    command = typer.main.get_command(app)
    command.main(args=hoist_global_options(args, _value_options(command)), prog_name="ghtotekton")


def _value_options(command: Any) -> dict[str, bool]:
    """Every option of every (sub)command -> whether it takes a value."""
    takes_value: dict[str, bool] = {}
    stack = [command]
    while stack:
        current = stack.pop()
        for param in current.params:
            if getattr(param, "param_type_name", "") == "option":
                for opt in (*param.opts, *param.secondary_opts):
                    takes_value[opt] = not (param.is_flag or param.count)
        stack.extend(getattr(current, "commands", {}).values())
    return takes_value


if __name__ == "__main__":  # pragma: no cover
    main()
