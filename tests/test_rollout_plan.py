"""rollout.yaml (defaults, positioned errors) and the gate arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ghtotekton.commands import rollout as cmd
from ghtotekton.errors import InputError, UsageError
from ghtotekton.rollout import chart, gates
from ghtotekton.rollout.plan import (
    Gate,
    default_plan,
    format_duration,
    load_plan,
    parse_duration,
    parse_shares,
    render_plan,
)

GOOD = """\
version: 1
phases:
  - share: 10
    gate:
      min_compared: 20
      max_divergence_rate: "5%"
      failure_limit: 5
      min_time: 1d
  - share: 100
    gate:
      min_compared: 0
      max_divergence_rate: 0.02
      failure_limit: 3
      min_time: 12h
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rollout.yaml"
    path.write_text(text)
    return path


def only_error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_plan(path)
    assert len(caught.value.diagnostics) == 1, caught.value.diagnostics
    return caught.value.diagnostics[0].format()


# --- the plan file ------------------------------------------------------------------------------


def test_init_writes_a_plan_that_loads_back_with_the_default_phases(tmp_path: Path) -> None:
    path = tmp_path / "rollout.yaml"
    assert cmd.init(plan=path) == 0
    plan = load_plan(path)
    assert [p.share for p in plan.phases] == [10, 50, 100]
    first, second, last = (p.gate for p in plan.phases)
    # The canary tolerates more than the half-way phase; the last phase has nothing to reach.
    assert first.max_divergence_rate > second.max_divergence_rate
    assert first.min_compared < second.min_compared
    assert last.min_compared == 0
    assert first.min_time_s == 86400
    assert plan.ledger_path == tmp_path / ".ghtotekton" / "rollout.db"
    assert plan.workflows_path == tmp_path / ".github" / "workflows"
    assert plan.share(0) == 0 and plan.share(3) == 100 and plan.gate(0) is None
    text = path.read_text()
    assert "# " in text and "min_time: 1d" in text  # commented, readable


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(UsageError):
        cmd.init(plan=path)
    assert path.read_text() == GOOD
    assert cmd.init(plan=path, phases="25,100", force=True) == 0
    assert [p.share for p in load_plan(path).phases] == [25, 100]


def test_render_round_trips_any_plan() -> None:
    plan = default_plan([5, 20, 60, 100])
    text = render_plan(plan)
    import ghtotekton.yamlsource as ys
    from ghtotekton.rollout.plan import plan_from_document

    again = plan_from_document(ys.load_yaml_bytes(text, "rollout.yaml"), Path("rollout.yaml"))
    assert again.model_dump() == plan.model_dump()


def test_percent_and_fraction_mean_the_same(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, GOOD))
    assert plan.phases[0].gate.max_divergence_rate == pytest.approx(0.05)
    assert plan.phases[1].gate.max_divergence_rate == pytest.approx(0.02)
    assert plan.phases[1].gate.min_time_s == 12 * 3600


def test_a_misspelt_key_is_reported_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("failure_limit: 3", "failure_limt: 3"))
    with pytest.raises(InputError) as caught:
        load_plan(path)
    messages = [d.format() for d in caught.value.diagnostics]
    assert f'{path}:13:7: error: unexpected key "failure_limt" for a gate' in messages[-1]
    assert "did you mean `failure_limit`?" in messages[-1]
    assert '"failure_limit" is required' in messages[0]  # where it was expected: the gate


def test_shares_must_grow(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("share: 100", "share: 10"))
    message = only_error(path)
    assert message.startswith(f"{path}:9:12: ")  # the second phase's share value
    assert "does not grow" in message


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("min_time: 1d", "min_time: 24", 8, "`24` is not a duration"),
        ("min_time: 1d", "min_time: 1 day", 8, "not a duration"),
        ('"5%"', '"five%"', 6, "not a percentage"),
        ('"5%"', "1.5", 6, "outside 0..1"),
        ("failure_limit: 5", "failure_limit: 0", 7, "use 1 or more"),
        ("share: 10", "share: 0", 3, "outside 1..100"),
        ("min_compared: 20", "min_compared: -1", 5, "negative"),
        ("min_compared: 20", "min_compared: many", 5, "a whole number"),
    ],
)
def test_bad_values_point_at_the_value(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    path = write(tmp_path, GOOD.replace(old, new, 1))
    message = only_error(path)
    assert message.startswith(f"{path}:{line}:"), message
    assert words in message


def test_report_url_may_only_name_known_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "report_url: https://ci/{commit}/{run}\n" + GOOD)
    message = only_error(path)
    assert message.startswith(f"{path}:1:13: ") and "{run}" in message
    ok = load_plan(write(tmp_path, "report_url: https://ci/{short}.html\n" + GOOD))
    assert ok.report_link("abcdef0123456789", 1, "d") == "https://ci/abcdef012345.html"


def test_missing_plan_and_missing_phases(tmp_path: Path) -> None:
    message = only_error(tmp_path / "nope.yaml")
    assert "no rollout plan" in message and "rollout init" in message
    message = only_error(write(tmp_path, "version: 1\n"))
    assert '"phases" is required' in message


@pytest.mark.parametrize("text", ["10,,100", "10,5", "0,100", "10,101", "ten"])
def test_bad_phase_lists_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_shares(text)


def test_durations() -> None:
    assert parse_duration("0") == 0
    assert parse_duration("90s") == 90
    assert parse_duration("1d12h") == 36 * 3600
    assert parse_duration("2w") == 14 * 86400
    for bad in ("", "12", "h", "1x", "-1h"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert format_duration(93784) == "1d 2h"
    assert format_duration(59) == "59s"


# --- gates ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rec:
    id: int
    commit: str
    verdict: str


T0 = datetime(2025, 1, 1, tzinfo=UTC)
GATE = Gate(min_compared=4, max_divergence_rate=0.25, failure_limit=2, min_time="1h")


def test_gate_counts_each_commit_by_its_latest_verdict() -> None:
    records = [
        Rec(1, "a", "divergent"),
        Rec(2, "b", "equivalent"),
        Rec(3, "a", "equivalent"),  # re-compared after a noise fix: a is equivalent now
        Rec(4, "c", "incomplete"),  # neither evidence for nor against
        Rec(5, "d", "equivalent"),
        Rec(6, "e", "divergent"),
    ]
    status = gates.evaluate(GATE, records, T0, T0 + timedelta(hours=2))
    assert (status.compared, status.equivalent, status.divergent, status.incomplete) == (
        4,
        3,
        1,
        1,
    )
    assert status.divergence_rate == 0.25  # 1 of 4: exactly at the limit, which is allowed
    assert status.holds and not status.limit_reached
    assert status.divergent_commits == ["e"]


def test_gate_fails_each_check_on_its_own() -> None:
    base = [Rec(i, f"c{i}", "equivalent") for i in range(4)]
    late = T0 + timedelta(hours=2)
    assert gates.evaluate(GATE, base, T0, late).holds
    too_few = gates.evaluate(GATE, base[:3], T0, late)
    assert [c.name for c in too_few.failing()] == ["compared commits"]
    too_soon = gates.evaluate(GATE, base, T0, T0 + timedelta(minutes=59))
    assert [c.name for c in too_soon.failing()] == ["time in phase"]
    one_bad = [*base, Rec(9, "x", "divergent")]  # 1 of 5 = 20%: within 25%
    assert gates.evaluate(GATE, one_bad, T0, late).holds
    two_bad = [*one_bad, Rec(10, "y", "divergent")]  # 2 of 6: rate and failure limit both fail
    status = gates.evaluate(GATE, two_bad, T0, late)
    assert {c.name for c in status.failing()} == {"divergence rate", "divergent commits"}
    assert status.limit_reached


def test_phase_zero_has_no_gate() -> None:
    status = gates.evaluate(None, [Rec(1, "a", "divergent")], T0, T0)
    assert status.holds and not status.checks and not status.limit_reached


def test_chart_marks_and_rates() -> None:
    verdicts = ["equivalent"] * 10 + ["divergent"] * 5 + ["equivalent"] * 5 + ["incomplete"] * 3
    assert chart.strip(verdicts, width=5).plain == "✓✓???"
    assert chart.rates(verdicts) == [1.0, 0.5, None]
    assert chart.sparkline(chart.rates(verdicts)) == "█▅ "
    assert chart.emoji_strip(["divergent", "equivalent"]) == "🟥🟩"
