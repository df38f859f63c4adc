"""Recent verdicts as a strip of marks and a sparkline of the equivalence rate.

A gate's numbers say where a phase stands; the strip says how it got there (one bad afternoon or a
steady trickle of divergences), which is what a person deciding to promote wants to see. The marks
differ in shape, not only in colour, so the chart reads on a terminal without colour, in CI logs
and for colour-blind readers.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

MARKS = {"equivalent": "✓", "divergent": "✗", "incomplete": "?"}
STYLES = {"equivalent": "green", "divergent": "bold red", "incomplete": "yellow"}
EMOJI = {"equivalent": "🟩", "divergent": "🟥", "incomplete": "🟨"}
BARS = "▁▂▃▄▅▆▇█"


def strip(verdicts: Sequence[str], width: int = 60) -> Text:
    """The newest ``width`` verdicts, oldest on the left."""
    text = Text()
    for verdict in verdicts[-width:]:
        text.append(MARKS.get(verdict, "·"), style=STYLES.get(verdict, "dim"))
    return text


def emoji_strip(verdicts: Sequence[str], width: int = 40) -> str:
    """For Markdown (a PR comment), where there is no terminal colour."""
    return "".join(EMOJI.get(v, "⬜") for v in verdicts[-width:])


def rates(verdicts: Sequence[str], window: int = 10) -> list[float | None]:
    """Equivalence rate over consecutive windows of decisive verdicts (incomplete ones skipped).

    ``None`` for a window with no decisive verdict, so a gap is not drawn as 0%.
    """
    out: list[float | None] = []
    for start in range(0, len(verdicts), window):
        chunk = [v for v in verdicts[start : start + window] if v != "incomplete"]
        out.append(sum(v == "equivalent" for v in chunk) / len(chunk) if chunk else None)
    return out


def sparkline(values: Sequence[float | None]) -> str:
    """0..1 as block heights; a blank for a missing value."""
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        else:
            out.append(BARS[min(int(value * len(BARS)), len(BARS) - 1)])
    return "".join(out)
