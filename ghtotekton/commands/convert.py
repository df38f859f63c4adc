"""`ghtotekton convert PATH...`: write Tekton resources and the migration report."""

from __future__ import annotations

import sys
from pathlib import Path

from ghtotekton.convert.engine import Options, convert_paths
from ghtotekton.convert.publish import PUBLISH_TASK
from ghtotekton.errors import ExitCode
from ghtotekton.summary import record
from ghtotekton.tekton.emit import Carried, write_tree


def run(
    *,
    paths: list[Path],
    output: Path,
    mappings: list[Path],
    target: str = "triggers",
    namespace: str | None = None,
    listener: str = "per-repo",
    tekton_share: int = 100,
    allow_fork_prs: bool = False,
    storage_class: str | None = None,
    split_gpu: bool = True,
    max_keep_runs: int = 5,
    shadow_compare: bool = False,
    force: bool = False,
) -> int:
    options = Options(
        mappings=list(mappings),
        target=target,
        namespace=namespace,
        listener=listener,
        tekton_share=tekton_share,
        allow_fork_prs=allow_fork_prs,
        storage_class=storage_class,
        split_gpu=split_gpu,
        max_keep_runs=max_keep_runs,
        shadow_compare=shadow_compare,
    )
    result = convert_paths(paths, options)
    for _display, errors in sorted(result.failed.items()):
        for line in errors:
            sys.stderr.write(line + "\n")
    record(
        output=str(output),
        failed=dict(sorted(result.failed.items())),
        summary=result.report["summary"],
        written=False,
    )
    if result.failed and output.is_dir() and any(output.iterdir()):
        # A failed run never replaces an output: it would lose the earlier files.
        sys.stderr.write(
            f"nothing written: {len(result.failed)} input(s) failed, so {output}/ keeps its "
            "previous output; fix them and run again\n"
        )
        return int(ExitCode.BAD_INPUT)
    carried = write_tree(output, result.files, force=force)
    record(
        written=True,
        files=sorted(result.files),
        kept={"theirs": carried.theirs, "edited": carried.edited, "replaced": carried.replaced},
        report=str(output / "migration-report.md"),
    )
    _say_carried(carried)
    if shadow_compare and f"tasks/{PUBLISH_TASK}.yaml" not in result.files:
        sys.stderr.write(
            "note: --shadow-compare changed nothing: no job here collects artifacts or executes "
            "notebooks, so no pipeline publishes a run bundle to compare; `compare` can still "
            "judge the two runs' job statuses from bundles you make\n"
        )
    summary = result.report["summary"]
    classes = summary["workflow_classes"]
    steps = summary["step_classes"]
    sys.stderr.write(
        f"wrote {len(result.files)} files to {output}/: {summary['workflows']} workflow(s) "
        f"({classes['successful']['count']} successful, "
        f"{classes['partially successful']['count']} partial, "
        f"{classes['unsupported']['count']} unsupported, {classes['failed']['count']} failed); "
        f"steps {steps['known']['percent']}% known. See {output}/migration-report.md\n"
    )
    return int(ExitCode.BAD_INPUT) if result.failed else int(ExitCode.OK)


def _say_carried(carried: Carried) -> None:
    if carried.theirs:
        sys.stderr.write(
            f"kept {len(carried.theirs)} file(s) ghtotekton did not write: "
            + ", ".join(carried.theirs)
            + "\n"
        )
    if carried.edited:
        sys.stderr.write(
            f"kept your edits to {len(carried.edited)} generated file(s) (this run would write "
            "them differently; --force replaces them): " + ", ".join(carried.edited) + "\n"
        )
    if carried.replaced:
        sys.stderr.write(
            f"replaced your edits to {len(carried.replaced)} generated file(s) (--force): "
            + ", ".join(carried.replaced)
            + "\n"
        )
