"""A Comparison as text (terminal), Markdown (PR comment), JSON (rollout ledger) or HTML.

Every format starts from the same redacted copy: artifacts are logs and reports of CI runs, and a
token printed by a test ends up in a difference's A/B rendering, so whatever looks like a secret
is masked before anything is rendered. Long lists are capped in the human formats (a PR comment
has a size limit, a terminal a patience limit); the JSON keeps everything.
"""

from __future__ import annotations

import difflib
import html
import io
import json
import re
from collections import defaultdict
from importlib import resources
from typing import Any

from ghtotekton import __version__
from ghtotekton.compare.engine import Comparison, RunSummary, UnitResult
from ghtotekton.compare.handlers.base import Difference

SCHEMA_VERSION = 1
"""Of the JSON report; bump on any change a reader of the ledger would notice."""

TEXT_CAP = 200
MARKDOWN_CAP = 50
MARKDOWN_NOISE_CAP = 20
MARKDOWN_MAX_CHARS = 60_000
"""GitHub refuses comments over 65,536 characters."""
HTML_CAP = 1000
HTML_FILES_CAP = 5000
INLINE_DIFF_MAX = 4000

# --------------------------------------------------------------------------------------------
# redaction

_MASK = "***"
_SECRET_TOKENS = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,})"
)
_SECRET_ASSIGN = re.compile(
    r"(?i)\b((?:[a-z0-9_.-]*?)(?:token|password|passwd|secret|api[_-]?key|access[_-]?key)"
    r"\"?\s*(?:=|:(?!:))\s*\"?)([^\s&\"',;]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact(text: str) -> str:
    """Mask values that look like secrets; keeps the key so a reader still knows what it was."""
    text = _SECRET_TOKENS.sub(_MASK, text)
    text = _SECRET_ASSIGN.sub(lambda m: m.group(1) + _MASK, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {_MASK}", text)


_MAYBE_SECRET = re.compile(
    r"(?i)gh[pousr]_|github_pat_|AKIA|ASIA|xox[abprs]-|glpat-|token|passw|secret|api[_-]?key|access[_-]?key|bearer|basic"
)


def _redact_data(value: Any) -> Any:
    if isinstance(value, str):
        # One cheap scan first: most strings (paths, test ids) hold nothing worth the three
        # full patterns, and a comparison of 10,000 files has many of them.
        return redact(value) if _MAYBE_SECRET.search(value) else value
    if isinstance(value, list):
        return [_redact_data(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_data(v) for k, v in value.items()}
    return value


def redacted(comparison: Comparison) -> Comparison:
    """A copy of the comparison with every string passed through redact()."""
    return Comparison.model_validate(_redact_data(comparison.model_dump(mode="json")))


# --------------------------------------------------------------------------------------------
# shared wording


def headline(c: Comparison) -> str:
    """One sentence: the verdict and why; evidence that does not hold comes before any count."""
    if c.evidence:
        return "the runs cannot be judged: " + "; ".join(c.evidence)
    return counts_line(c)


def counts_line(c: Comparison) -> str:
    """What was compared and found, whatever the verdict."""
    parts = [f"{len(c.differences)} difference(s)"]
    if c.missing:
        parts.append(f"{len(c.missing)} missing")
    if c.baseline is not None:
        parts.append(f"{len(c.noise)} noise (differs between A and its baseline too)")
    compared = sum(h.files for h in c.counts.values())
    units = len(c.units)
    return ", ".join(parts) + f"; {compared} file(s), {units} job(s)/task(s) compared"


def _file_diffs(diffs: list[Difference]) -> list[Difference]:
    """Job/task and run status have their own table; these are the artifact differences."""
    return [d for d in diffs if d.handler != "units"]


def _unit_label(u: UnitResult, side: str) -> str:
    if side == "a":
        return u.name if u.status_a else "-"
    return u.name_b or (u.name if u.status_b else "-")


def _where(d: Difference) -> str:
    return d.location or ("(whole file)" if d.handler != "units" else "")


def _run_rows(c: Comparison) -> list[tuple[str, list[str]]]:
    runs: list[RunSummary] = [c.run_a, c.run_b] + ([c.baseline] if c.baseline else [])
    rows: list[tuple[str, list[str]]] = [
        ("system", [r.system for r in runs]),
        ("run", [r.run_id for r in runs]),
        ("commit", [r.commit[:12] for r in runs]),
        ("ref", [r.ref or "-" for r in runs]),
        ("status", [r.status for r in runs]),
        ("jobs/tasks", [str(r.units) for r in runs]),
        ("files", [str(r.files) for r in runs]),
        ("source", [r.source for r in runs]),
    ]
    return rows


def _columns(c: Comparison) -> list[str]:
    return ["A", "B"] + (["baseline"] if c.baseline else [])


# --------------------------------------------------------------------------------------------
# JSON


def to_json_document(comparison: Comparison) -> dict[str, Any]:
    """The stable document the rollout ledger stores (``schema_version`` first)."""
    c = redacted(comparison)
    body = c.model_dump(mode="json")
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"ghtotekton {__version__}",
        "verdict": c.verdict,
        "summary": {
            "differences": len(c.differences),
            "noise": len(c.noise),
            "missing": len(c.missing),
            "files": sum(h.files for h in c.counts.values()),
            "units": len(c.units),
            "commit": c.run_a.commit,
        },
        **{k: v for k, v in body.items() if k != "verdict"},
    }


def render_json(comparison: Comparison) -> str:
    return json.dumps(to_json_document(comparison), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# text (rich)

_VERDICT_STYLE = {"equivalent": "bold green", "divergent": "bold red", "incomplete": "bold yellow"}


def render_text(comparison: Comparison, *, color: bool = False, width: int = 120) -> str:
    """For a terminal: the verdict first, then what differs, capped at TEXT_CAP rows."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    c = redacted(comparison)
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
    )
    console.print(Text(c.verdict.upper(), style=_VERDICT_STYLE[c.verdict]), Text(headline(c)))
    if c.evidence:
        console.print(Text(f"compared anyway: {counts_line(c)}", style="dim"))
    runs = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    runs.add_column("")
    for col in _columns(c):
        runs.add_column(col)
    for label, values in _run_rows(c):
        runs.add_row(label, *values)
    console.print(runs)
    bad_units = [u for u in c.units if not u.same]
    if bad_units:
        console.print(Text("\nunits that differ", style="bold"))
        table = Table(box=None, pad_edge=False)
        for col in ("unit (A)", "unit (B)", "A", "B", ""):
            table.add_column(col)
        for u in bad_units:
            table.add_row(
                _unit_label(u, "a"),
                _unit_label(u, "b"),
                u.status_a or "missing",
                u.status_b or "missing",
                "noise" if u.noise else "",
            )
        console.print(table)
    files = _file_diffs(c.differences)
    if files:
        console.print(Text(f"\nfile differences ({len(files)})", style="bold"))
        table = Table(box=None, pad_edge=False, show_lines=False)
        for col in ("file", "where", "kind", "message"):
            table.add_column(col, overflow="fold")
        for d in files[:TEXT_CAP]:
            table.add_row(d.path, _where(d), Text(d.kind, style="red" if color else ""), d.message)
        console.print(table)
        if len(files) > TEXT_CAP:
            console.print(f"... and {len(files) - TEXT_CAP} more (see --format json or html)")
    if c.noise:
        console.print(
            Text(f"\n{len(c.noise)} noise difference(s) ignored (also between A and baseline)")
        )
    for note in c.notes:
        console.print(Text(f"note: {note}", style="dim"))
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Markdown

_VERDICT_MARK = {"equivalent": "✅", "divergent": "❌", "incomplete": "⚠️"}


def _md(text: str | None, limit: int = 200) -> str:
    """Safe inside a Markdown table cell: no pipes, no line breaks, no HTML, no @mentions."""
    if text is None:
        return ""
    one = " ".join(text.split())
    if len(one) > limit:
        one = one[: limit - 1] + "…"
    return (
        html.escape(one, quote=False)
        .replace("|", "&#124;")
        .replace("@", "&#64;")
        .replace("`", "&#96;")
    )


def render_markdown(comparison: Comparison) -> str:
    """For a pull-request comment: summary visible, lists in collapsible sections, capped."""
    c = redacted(comparison)
    out = [f"## {_VERDICT_MARK[c.verdict]} Shadow run comparison: **{c.verdict}**", ""]
    out += [_md(headline(c), 500), ""]
    if c.evidence:
        out += [_md(f"Compared anyway: {counts_line(c)}", 500), ""]
    cols = _columns(c)
    out.append("| | " + " | ".join(cols) + " |")
    out.append("|---|" + "---|" * len(cols))
    for label, values in _run_rows(c):
        out.append(f"| {label} | " + " | ".join(_md(v, 80) for v in values) + " |")
    out.append("")
    if c.counts:
        out.append(
            "Compared by handler: "
            + ", ".join(
                f"{name} {h.files} file(s)" + (f" / {h.differences} diff" if h.differences else "")
                for name, h in c.counts.items()
                if h.files
            )
        )
        out.append("")
    bad_units = [u for u in c.units if not u.same]
    if bad_units:
        out += _details(
            f"Jobs and tasks that differ ({len(bad_units)})",
            ["| unit (A) | unit (B) | A | B | |", "|---|---|---|---|---|"]
            + [
                f"| {_md(_unit_label(u, 'a'))} | {_md(_unit_label(u, 'b'))} | "
                f"{_md(u.status_a or 'missing')} | {_md(u.status_b or 'missing')} | "
                f"{'noise' if u.noise else ''} |"
                for u in bad_units[:MARKDOWN_CAP]
            ]
            + _more(len(bad_units), MARKDOWN_CAP),
            open_=True,
        )
    files = _file_diffs(c.differences)
    if files:
        out += _details(
            f"File differences ({len(files)})",
            _diff_table(files[:MARKDOWN_CAP]) + _more(len(files), MARKDOWN_CAP),
            open_=len(files) <= 10,
        )
    if c.noise:
        out += _details(
            f"Noise: differs between A and the baseline too ({len(c.noise)})",
            _diff_table(c.noise[:MARKDOWN_NOISE_CAP]) + _more(len(c.noise), MARKDOWN_NOISE_CAP),
        )
    if c.notes:
        out += _details(
            f"Notes ({len(c.notes)})",
            [f"- {_md(n, 400)}" for n in c.notes[:MARKDOWN_CAP]]
            + _more(len(c.notes), MARKDOWN_CAP),
        )
    out.append(f"<sub>ghtotekton {__version__} · {c.durations.total_s:.2f} s</sub>")
    text = "\n".join(out) + "\n"
    if len(text) > MARKDOWN_MAX_CHARS:
        cut = text.rfind("\n", 0, MARKDOWN_MAX_CHARS - 200)
        text = (
            text[:cut]
            + "\n\n</details>\n\n*Report cut to fit a comment; the JSON report has everything.*\n"
        )
    return text


def _details(summary: str, body: list[str], open_: bool = False) -> list[str]:
    head = "<details open>" if open_ else "<details>"
    return [head, f"<summary>{html.escape(summary)}</summary>", "", *body, "", "</details>", ""]


def _more(total: int, cap: int) -> list[str]:
    return ["", f"… and {total - cap} more (see the JSON or HTML report)"] if total > cap else []


def _diff_table(diffs: list[Difference]) -> list[str]:
    rows = ["| file | where | kind | A | B |", "|---|---|---|---|---|"]
    for d in diffs:
        rows.append(
            f"| {_md(d.path, 120)} | {_md(_where(d), 120)} | {_md(d.kind)} | "
            f"{_md(d.a, 80)} | {_md(d.b, 80)} |"
        )
    return rows


# --------------------------------------------------------------------------------------------
# HTML


_TOKEN = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\w+|\s+|[^\w\s]")


def inline_diff(
    a: str | None, b: str | None
) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both sides cut into (text, changed) runs, so the side-by-side view can mark the change.

    Compared by tokens (numbers, words, punctuation), not characters: "0.91" against "0.75"
    should mark both numbers, not the one digit they happen to share. Sides that have little in
    common are marked whole rather than shredded.
    """
    left, right = a or "", b or ""
    whole = ([(left, bool(left) and left != right)], [(right, bool(right) and left != right)])
    if not left or not right or len(left) + len(right) > INLINE_DIFF_MAX or left == right:
        return whole
    ta, tb = _TOKEN.findall(left), _TOKEN.findall(right)
    matcher = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    if matcher.ratio() < 0.4:
        return whole
    out_a: list[tuple[str, bool]] = []
    out_b: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        _append(out_a, "".join(ta[i1:i2]), tag != "equal")
        _append(out_b, "".join(tb[j1:j2]), tag != "equal")
    return out_a, out_b


def _append(runs: list[tuple[str, bool]], text: str, changed: bool) -> None:
    if not text:
        return
    if runs and runs[-1][1] == changed:
        runs[-1] = (runs[-1][0] + text, changed)
    else:
        runs.append((text, changed))


def render_html(comparison: Comparison) -> str:
    """One self-contained page: inline CSS, no scripts or links to load from anywhere."""
    from jinja2 import Environment, StrictUndefined

    c = redacted(comparison)
    source = (
        resources.files("ghtotekton.compare")
        .joinpath("templates/report.html.j2")
        .read_text(encoding="utf-8")
    )
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    file_diffs = [d for d in c.differences if d.handler != "units"]
    for d in file_diffs[:HTML_CAP]:
        left, right = inline_diff(d.a, d.b)
        groups[d.path].append({"d": d, "where": _where(d), "left": left, "right": right})
    handlers = {f.path: f for f in c.files}
    items = [
        {"path": path, "file": handlers.get(path), "diffs": diffs} for path, diffs in groups.items()
    ]
    return env.from_string(source).render(
        c=c,
        headline=headline(c),
        columns=_columns(c),
        run_rows=_run_rows(c),
        items=items,
        shown=min(len(file_diffs), HTML_CAP),
        file_diff_count=len(file_diffs),
        run_status_differs=c.run_a.status != c.run_b.status,
        bad_units=[u for u in c.units if not u.same],
        files=c.files[:HTML_FILES_CAP],
        files_more=max(0, len(c.files) - HTML_FILES_CAP),
        version=__version__,
    )


RENDERERS = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
    "html": render_html,
}


def render(comparison: Comparison, format: str, *, color: bool = False, width: int = 120) -> str:
    if format == "text":
        return render_text(comparison, color=color, width=width)
    return RENDERERS[format](comparison)
