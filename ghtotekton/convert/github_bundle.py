"""The GitHub Actions side of ``convert --shadow-compare``: jobs upload their run bundle.

``compare``'s ``github:`` source builds a GitHub run's bundle from the API (jobs, steps) and the
run's artifacts. What the workflow never uploads is missing from it, and the Tekton side copies
executed notebooks into its bundle (``artifacts/ghtotekton/notebooks/``) whether or not the
workflow uploaded them. So each GitHub job that writes notebooks gets two steps at its end, run
even after a failure: one gathers the notebooks into ``.ghtotekton-bundle/notebooks/`` and one
uploads that folder as the artifact ``ghtotekton-<job>-<strategy.job-index>-<job.check_run_id>``
(one name per job, matrix combination and attempt). ``compare`` merges
every ``ghtotekton-*`` artifact into ``artifacts/ghtotekton/``, where the Tekton copies are, so
both systems' notebooks are compared without a person picking files.

The change is a text splice (see :mod:`ghtotekton.yamlsplice`) between two marker comments, so it
is easy to review, converting again replaces it instead of adding a second copy, and the
converter drops the two steps (by their ids) when it reads a workflow that already has them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ruamel.yaml.nodes import MappingNode, SequenceNode

from ghtotekton.convert.findings import Finding
from ghtotekton.convert.naming import WORKFLOWS, env_name, workflow_path
from ghtotekton.convert.notebooks import COPIES, NotebookCopy, cell_folder
from ghtotekton.errors import InputError, Position
from ghtotekton.github.matrix import scalar_keys
from ghtotekton.yamlsource import load_yaml_bytes
from ghtotekton.yamlsplice import (
    compose,
    entries,
    fail,
    is_filler,
    lines_of,
    newline_of,
    value_of,
)

if TYPE_CHECKING:
    from ghtotekton.convert.workflow import WorkflowConversion
    from ghtotekton.github.loader import LoadedWorkflow

BEGIN = "# ghtotekton-shadow-begin"
END = "# ghtotekton-shadow-end"
COLLECT_ID = "ghtotekton-bundle"
UPLOAD_ID = "ghtotekton-bundle-upload"
STEP_IDS = frozenset({COLLECT_ID, UPLOAD_ID})
"""Steps the converter drops: they only exist for the comparison, Tekton has its own publisher."""
FOLDER = ".ghtotekton-bundle"
UPLOAD_ACTION = "actions/upload-artifact@v6"
"""v6 runs on node24 (GitHub removed node20 from its runners in September 2026)."""
COPIES_PARENT = COPIES.rsplit("/", 1)[0] + "/"
"""``ghtotekton/``: the GitHub bundle folder stands for it (``compare`` merges it there)."""
ARTIFACT_PREFIX = "ghtotekton-"
"""Artifacts ``compare`` merges into ``artifacts/ghtotekton/`` of the GitHub run's bundle."""


@dataclass(slots=True)
class BundlePatch:
    text: str
    changed: bool
    jobs: list[str] = field(default_factory=list)
    """Jobs that got the bundle steps, in file order."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Job -> why its steps could not be added (a person adds them by hand)."""


def collect_paths(notebooks: list[NotebookCopy]) -> list[str]:
    """The paths a job's collect step copies, each once, in the order the job writes them."""
    seen: list[str] = []
    for copy in notebooks:
        if copy.path is not None and copy.path not in seen:
            seen.append(copy.path)
    return seen


def _shell_word(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def bundle_steps(paths: list[str], job_id: str, keys: list[str]) -> list[dict[str, Any]]:
    """The two steps, as data (the splice writes them as text; the check reads them back).

    The notebooks go to the folder the Tekton side copies them to (``cell_folder``: one per
    job and matrix combination, named from the same env vars)."""
    words = " ".join(_shell_word(p) for p in paths)
    env = {env_name("GHT_MATRIX", key): f"${{{{ matrix.{key} }}}}" for key in keys}
    folder = f'"{FOLDER}/{cell_folder(job_id, list(env)).removeprefix(COPIES_PARENT)}"'
    script = (
        'cd "$GITHUB_WORKSPACE"\n'
        f"rm -rf {FOLDER} && mkdir -p {folder}\n"
        f"for ght_nb in {words}; do\n"
        f'  if [ -f "$ght_nb" ]; then cp "$ght_nb" {folder}/; fi\n'
        "done\n"
    )
    collect: dict[str, Any] = {
        "name": "ghtotekton: collect the run bundle",
        "id": COLLECT_ID,
        "if": "${{ always() }}",
        "continue-on-error": True,
        "shell": "bash",
    }
    if env:
        collect["env"] = env
    collect["run"] = script
    return [
        collect,
        {
            "name": "ghtotekton: upload the run bundle",
            "id": UPLOAD_ID,
            "if": "${{ always() }}",
            "continue-on-error": True,
            "uses": UPLOAD_ACTION,
            "with": {
                # unique per job, matrix combination and attempt: an artifact name can be
                # uploaded once per run, and a re-run of a failed job must upload again
                "name": ARTIFACT_PREFIX
                + "${{ github.job }}-${{ strategy.job-index }}-${{ job.check_run_id }}",
                "path": f"{FOLDER}/",
                "if-no-files-found": "ignore",
            },
        },
    ]


_PLAIN = re.compile(r"[A-Za-z0-9$./][A-Za-z0-9$./_{}() @-]*")


def _scalar(text: str) -> str:
    """Plain when YAML reads it back as the same string, else double-quoted."""
    if _PLAIN.fullmatch(text) and not text.endswith(" ") and text not in ("true", "false", "null"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render(steps: list[dict[str, Any]], dash: int, nl: str) -> list[str]:
    pad = " " * dash
    out = [
        f"{pad}{BEGIN}: the run bundle `ghtotekton compare` reads (convert --shadow-compare){nl}"
    ]
    for step in steps:
        first = True
        for key, value in step.items():
            lead = f"{pad}- " if first else f"{pad}  "
            first = False
            if key == "run":
                out.append(f"{lead}run: |{nl}")
                out.extend(f"{pad}    {line}{nl}" for line in value.rstrip("\n").split("\n"))
            elif isinstance(value, dict):
                out.append(f"{lead}{key}:{nl}")
                out.extend(f"{pad}    {k}: {_scalar(v)}{nl}" for k, v in value.items())
            elif value is True:
                out.append(f"{lead}{key}: true{nl}")
            else:
                out.append(f"{lead}{key}: {_scalar(value)}{nl}")
    out.append(f"{pad}{END}{nl}")
    return out


def _marked(text: str) -> tuple[list[str], list[str], bool]:
    """(lines outside the marked blocks, with endings; each block's inner text; whether a block
    is left open). One scan of the markers for both the splice and ``check``."""
    kept: list[str] = []
    blocks: list[str] = []
    inner: list[str] | None = None
    for line in lines_of(text):
        stripped = line.strip()
        if inner is None and stripped.startswith(BEGIN):
            inner = []
        elif inner is not None and stripped == END:
            blocks.append("\n".join(inner))
            inner = None
        elif inner is not None:
            inner.append(line.rstrip("\r\n"))
        else:
            kept.append(line)
    return kept, blocks, inner is not None


def strip_bundle_steps(text: str) -> str:
    """The text without the marked blocks an earlier conversion added (byte for byte)."""
    kept, _blocks, open_block = _marked(text)
    return text if open_block else "".join(kept)


def bundle_blocks(text: str) -> list[str]:
    """The marked blocks of a workflow, in order (what ``check`` compares with the output)."""
    return _marked(text)[1]


def add_bundle_steps(
    text: str,
    display: str,
    jobs: dict[str, list[str]],
    cells: dict[str, list[str]] | None = None,
) -> BundlePatch:
    """``text`` with the bundle steps at the end of each job of ``jobs`` (job id -> paths);
    ``cells`` names each matrix job's keys that name a combination (``jobs.cell_keys``)."""
    base = strip_bundle_steps(text)
    root = compose(base, display)
    jobs_node = value_of(root, "jobs")
    if not isinstance(jobs_node, MappingNode):
        raise fail(display, 1, "no `jobs:` mapping to add the bundle steps to")
    nl = newline_of(base)
    lines = lines_of(base)
    inserts: list[tuple[int, list[str]]] = []
    result = BundlePatch(base, False)
    for job_id, job_key, job_node in entries(jobs_node):
        paths = jobs.get(job_id)
        if not paths:
            continue
        steps = value_of(job_node, "steps")
        if not isinstance(steps, SequenceNode) or not steps.value:
            result.skipped[job_id] = "the job has no list of steps (it calls a workflow?)"
            continue
        if steps.flow_style:
            result.skipped[job_id] = "its steps are written in flow style ([...])"
            continue
        dash = steps.start_mark.column
        end = _end_line(steps.end_mark.line, steps.end_mark.column, lines)
        while end - 1 > job_key.start_mark.line and is_filler(lines[end - 1], dash):
            end -= 1
        keys = (cells or {}).get(job_id, [])
        inserts.append((end, _render(bundle_steps(paths, job_id, keys), dash, nl)))
        result.jobs.append(job_id)
    if not inserts:
        return result
    for at, block in sorted(inserts, reverse=True):
        if at > 0 and not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += nl
        lines[at:at] = block
    patched = "".join(lines)
    _verify(base, patched, display, {j: jobs[j] for j in result.jobs}, cells or {})
    return BundlePatch(patched, patched != text, result.jobs, result.skipped)


def _end_line(line: int, column: int, lines: list[str]) -> int:
    """The first line after a node, from its end mark (which may sit on the next key's line)."""
    if line >= len(lines):
        return len(lines)
    return line + 1 if lines[line][:column].strip() else line


def _verify(
    before: str,
    after: str,
    display: str,
    jobs: dict[str, list[str]],
    cells: dict[str, list[str]],
) -> None:
    """The patched file reads as the original plus exactly the bundle steps of each job."""
    old = load_yaml_bytes(before, display).data
    new = load_yaml_bytes(after, display).data
    for job_id, paths in jobs.items():
        steps = new["jobs"][job_id]["steps"]
        if steps[-2:] != bundle_steps(paths, job_id, cells.get(job_id, [])):
            raise fail(
                display,
                1,
                f"cannot add the bundle steps to job `{job_id}` without changing other steps",
                "add them by hand (see the migration report)",
            )
        del steps[-2:]
    if old != new:
        raise fail(
            display,
            1,
            "adding the bundle steps would change more than the jobs' step lists",
            "add them by hand (see the migration report)",
        )


# --- what ``convert --shadow-compare`` writes for the GitHub side ----------------------------

OUTPUT_FOLDER = "github-actions"
"""Where the patched workflows go in the output folder: copy them over the repository's own."""


def github_side(
    triggered: list[tuple[WorkflowConversion, LoadedWorkflow]],
) -> dict[str, str]:
    """The patched workflow files (output-relative path -> text); findings go on each workflow."""
    files: dict[str, str] = {}
    for conv, loaded in triggered:
        for job_id, notebooks in conv.notebooks.items():
            for copy in notebooks:
                if copy.path is None:
                    _findings_of(conv, job_id).append(
                        Finding(
                            "partial",
                            f"step `{copy.step}`: the executed notebook `{copy.written}` cannot "
                            f"be collected on GitHub: {copy.why}; `compare` sees it on the Tekton "
                            "side only",
                            copy.where,
                            rule="shadow-compare",
                            action="write it under a folder bind-mounted from the checkout",
                        )
                    )
        collected = {job_id: collect_paths(n) for job_id, n in conv.notebooks.items()}
        wanted = {job_id: paths for job_id, paths in collected.items() if paths}
        if not wanted:
            continue
        top = Position(loaded.display, 1, 1)
        try:
            # the text that was converted (check converts a handed-over workflow's restored
            # text, not the file on disk)
            raw = loaded.doc.source
            text = raw.decode("utf-8") if raw else loaded.path.read_text(encoding="utf-8")
            cells = {
                job_id: scalar_keys(strategy.matrix)
                for job_id in wanted
                if (strategy := loaded.workflow.jobs[job_id].strategy) is not None
            }
            patch = add_bundle_steps(text, loaded.display, wanted, cells)
        except (OSError, UnicodeDecodeError, InputError) as exc:
            conv.findings.append(
                Finding(
                    "manual",
                    f"the GitHub side of the shadow comparison could not be written: {exc}",
                    top,
                    rule="shadow-compare",
                    action="add the two bundle steps of the migration guide by hand",
                )
            )
            continue
        rel = _output_path(loaded.display, files)
        for job_id, reason in patch.skipped.items():
            _findings_of(conv, job_id).append(
                Finding(
                    "manual",
                    f"job `{job_id}`: the run bundle steps were not added: {reason}",
                    _job_position(loaded, job_id) or top,
                    rule="shadow-compare",
                    action="add the two bundle steps by hand",
                )
            )
        for job_id in patch.jobs:
            _findings_of(conv, job_id).append(
                Finding(
                    "converted",
                    f"job `{job_id}`: on GitHub it now uploads its executed notebooks "
                    f"({len(wanted[job_id])}) as the artifact "
                    f"`{ARTIFACT_PREFIX}{job_id}-<index>-<check run>` "
                    f"(two steps at its end, in {rel}), so `compare` pairs them with the "
                    "Tekton copies",
                    _job_position(loaded, job_id) or top,
                    rule="shadow-compare",
                    action=f"copy {rel} over {workflow_path(loaded.display)}, then convert "
                    "again (the Tekton resources name the workflow's lines)",
                )
            )
        if patch.jobs:  # the desired file, also when the repository already has it
            files[rel] = patch.text
            conv.github_file = rel
    return files


def _findings_of(conv: WorkflowConversion, job_id: str) -> list[Finding]:
    """The job's own list in the report (the workflow's when the job has no section)."""
    for job in conv.jobs:
        if job.job_id == job_id:
            return job.findings
    return conv.findings


def _job_position(loaded: LoadedWorkflow, job_id: str) -> Position | None:
    job = loaded.workflow.jobs.get(job_id)
    return job.pos if job is not None else None


def _output_path(display: str, taken: dict[str, str]) -> str:
    """``github-actions/.github/workflows/x.yml``, or with the repository's folder in front when
    two repositories of one conversion have a workflow of the same name."""
    rel = f"{OUTPUT_FOLDER}/{workflow_path(display)}"
    if rel not in taken:
        return rel
    shown = display.replace("\\", "/")
    at = shown.rfind(f"/{WORKFLOWS}")
    repo = shown[:at].rsplit("/", 1)[-1] if at > 0 else "repository"
    return f"{OUTPUT_FOLDER}/{repo}/{workflow_path(display)}"
