"""Sanitising text before two runs are compared, and comparing text with numbers under tolerance.

Two runs of the same commit never print the same bytes: clocks, durations, object addresses,
temporary folders and random ids differ every time. nbval's answer is a list of regexes applied
to both sides before comparing; we keep that idea and ship the defaults that real notebook, log
and report output needs, so a GPU notebook CI compares cleanly without any configuration. The
user's own ``(regex, replacement)`` pairs run *before* the defaults, because they are written
against the raw text the person sees, not against our placeholders.

Numbers are the other source of noise (GPU float reductions are not deterministic), so text is
also split into a skeleton, compared exactly, and the numbers in it, compared under tolerance.
Every handler that reads text (notebook, HTML, text/logs) uses these functions, so "the same"
means the same thing everywhere.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ghtotekton.compare.handlers.base import Tolerance

Replacement = str | Callable[[re.Match[str]], str]


@dataclass(frozen=True, slots=True)
class Rule:
    """One sanitising substitution; ``name`` lets reports and tests say which rule fired.

    ``gate`` is a cheap search (a literal-led regex) that must find something before the full
    pattern runs: a regex that starts with a lookbehind or a character class is tried at every
    position, which on a 25 MB training log is seconds per rule; a gate that starts with a
    literal is a memchr-speed scan.
    """

    name: str
    pattern: re.Pattern[str]
    replacement: Replacement
    gate: re.Pattern[str] | None = None

    def apply(self, text: str) -> str:
        if self.gate is not None and self.gate.search(text) is None:
            return text
        return self.pattern.sub(self.replacement, text)


# Userspace pointers on 64-bit Linux (x86-64 heap 0x55.., mmap 0x7f..; arm64 up to 2**48) printed
# in decimal, as ``id(obj)`` does. Decimal integers outside this band are left alone: they are
# far more likely to be data than addresses.
_ADDR_LOW = 0x500000000000
_ADDR_HIGH = 0xFFFFFFFFFFFF


def _number_shaped(match: re.Match[str]) -> str:
    """One callback for the digit-led rules, so digits are scanned once, not once per rule."""
    kind = match.lastgroup
    if kind == "addr":
        value = int(match.group(0))
        return "<addr>" if _ADDR_LOW <= value <= _ADDR_HIGH else match.group(0)
    if kind == "rate":
        return "<rate>"
    return "<duration>"


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
_ZONE = r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
_UNIT = r"(?:ns|µs|μs|us|ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?)"
_RATE_UNIT = r"(?:it/s|s/it|(?:samples|examples|images|tokens|steps|batches|[kMGT]?i?B)/s)"

DEFAULT_RULES: tuple[Rule, ...] = (
    # uuid4 and friends: kernel ids, widget model ids, plotly div ids, run ids.
    Rule(
        "uuid",
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
        re.compile(r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"),
    ),
    # 2024-03-08T10:30:00.123Z, 2024-03-08 10:30:00,123 (logging), with or without a zone.
    Rule(
        "iso-datetime",
        re.compile(rf"\b\d{{4}}-\d{{2}}-\d{{2}}[T ]{_CLOCK}{_ZONE}"),
        "<timestamp>",
        re.compile(r"-\d\d[T ]\d"),
    ),
    # Fri, 08 Mar 2024 10:30:00 GMT (HTTP, email) and Fri Mar  8 10:30:00 2024 (ctime, `date`).
    Rule(
        "rfc-datetime",
        re.compile(
            rf"\b(?:{_DAY},?\s+)?(?:\d{{1,2}}\s+{_MONTH}|{_MONTH}\s+\d{{1,2}}),?\s+"
            rf"(?:\d{{4}}\s+{_CLOCK}|{_CLOCK}(?:\s+\d{{4}})?){_ZONE}"
        ),
        "<timestamp>",
        re.compile(r":\d\d"),
    ),
    # pytest-html: "Report generated on 08-Mar-2024 at 10:30:00".
    Rule(
        "dmy-date",
        re.compile(rf"\b\d{{1,2}}-{_MONTH}-\d{{4}}\b"),
        "<date>",
        re.compile(rf"-{_MONTH}-"),
    ),
    # Clock times and elapsed clocks (tqdm's [00:01<00:00]); they need seconds or a bracket
    # context to not eat ratios like 3:2.
    Rule(
        "clock",
        re.compile(r"(?<![\d:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\d:])"),
        "<time>",
        re.compile(r":\d\d:\d\d"),
    ),
    Rule(
        "elapsed",
        re.compile(r"(?<=[\[<])\d{1,3}:\d{2}(?=[<,\]])"),
        "<time>",
        re.compile(r":\d\d[<,\]]"),
    ),
    # <object at 0x7f3a2c1d5e80>, pointers in C extension reprs.
    Rule("hex-address", re.compile(r"0(?<!\w0)x[0-9a-fA-F]{6,16}\b"), "0x<addr>"),
    # time.time() printed: seconds since 1970 (years 2001-2286) with a fraction. Led by a
    # literal "1", so the scan is fast.
    Rule("epoch", re.compile(r"1(?<![\w.]1)[0-9]{9}\.[0-9]+(?![0-9.])"), "<epoch>"),
    # Digit-led shapes in one pass: id() printed (see _ADDR_LOW); tqdm and trainer rates
    # (9.52it/s, 120.5 samples/s, 3.1 MB/s; not 3 m/s, which is data); durations, simple
    # ("in 0.12s", "Wall time: 1.2 s", "user 5 ms") or compound ("1m23.4s", "1h2m3s"; a bare
    # "5 m" is a length). ASCII [0-9] and possessive repeats: this rule looks at every digit of
    # the text, and both halve its time against \d and backtracking.
    Rule(
        "numbers",
        re.compile(
            r"(?<![\w.])(?:(?P<addr>[0-9]{14,15}+)(?![0-9.])"
            r"|[0-9]++(?:\.[0-9]++)?(?:"
            r"(?P<compound>\s?(?:h(?:\s?[0-9]+\s?m)?(?:\s?[0-9]+(?:\.[0-9]+)?\s?s)?"
            r"|m\s?[0-9]+(?:\.[0-9]+)?\s?s)(?!\w))"
            rf"|(?:[eE][-+]?[0-9]+)?\s?(?:(?P<rate>{_RATE_UNIT})|(?P<duration>{_UNIT}))(?![\w/])"
            r"))"
        ),
        _number_shaped,
    ),
    # Temporary folders of Linux, macOS, Windows and the GitHub runner.
    Rule(
        "temp-path",
        re.compile(
            r"(?:/private)?/var/folders/[^\s'\"<>]*"
            r"|(?<![\w.])/(?:tmp|var/tmp|dev/shm)/[^\s'\"<>:,;)\]]*"
            r"|/home/runner/work/_temp/[^\s'\"<>:,;)\]]*"
            r"|\b[A-Za-z]:\\(?:Users\\[^\\\s]+\\AppData\\Local\\)?Temp\\[^\s'\"<>]*"
        ),
        "<tmp>",
        re.compile(r"/tmp/|/var/|/dev/shm/|/_temp/|Temp\\"),
    ),
    Rule("temp-name", re.compile(r"tmp(?<!\wtmp)[a-z0-9_]{6,}\b"), "<tmp>"),
)
"""Applied in this order; specific shapes (uuids, full timestamps, addresses) come before the
pieces they contain (clock times, bare numbers), and the one rule that must look at every digit
comes last but for the cheap literal-gated path rules."""


@lru_cache(maxsize=64)
def compile_rules(user: tuple[tuple[str, str], ...], defaults: bool = True) -> tuple[Rule, ...]:
    """The rules for one comparison: the user's first, then ours.

    The configuration is validated where it is loaded; a regex that still does not compile here
    is matched literally (what someone writing ``run.v1.2`` most likely meant), because a handler
    must not stop the comparison of every other file over one pattern.
    """
    rules: list[Rule] = []
    for index, (regex, replacement) in enumerate(user):
        try:
            pattern = re.compile(regex)
        except re.error:
            pattern = re.compile(re.escape(regex))
        rules.append(Rule(f"user-{index}", pattern, _checked_replacement(pattern, replacement)))
    if defaults:
        rules.extend(DEFAULT_RULES)
    return tuple(rules)


def _checked_replacement(pattern: re.Pattern[str], replacement: str) -> Replacement:
    """The replacement template, or the same text taken literally when its group references
    are invalid (``re`` would raise on every substitution)."""
    try:
        pattern.sub(replacement, "")
    except (re.error, IndexError):
        return lambda _match: replacement
    return replacement


def sanitize_pair(
    a: str, b: str, user: Sequence[tuple[str, str]] = (), *, defaults: bool = True
) -> tuple[str, str]:
    """Both texts sanitised, stopping as soon as they are equal.

    Rules are deterministic, so once the two sides agree every later rule keeps them equal;
    when the noise is an address or a temp path the expensive digit rule never runs.
    """
    for rule in compile_rules(tuple(user), defaults):
        if a == b:
            break
        a, b = rule.apply(a), rule.apply(b)
    return a, b


def sanitize(text: str, user: Sequence[tuple[str, str]] = (), *, defaults: bool = True) -> str:
    """``text`` with the user's substitutions and then the default ones applied."""
    for rule in compile_rules(tuple(user), defaults):
        text = rule.apply(text)
    return text


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CR_LINE = re.compile(r"[^\n]*\r(?!\n)[^\n]*")


def _keep_after_cr(match: re.Match[str]) -> str:
    return match.group(0).rsplit("\r", 1)[-1]


def normalize_terminal(text: str) -> str:
    """What a terminal would show: ANSI colours removed, ``\\r`` overwrites applied.

    Progress bars rewrite one line many times and the number of rewrites depends on timing, so
    only the final state of each line is comparable. ``\\r\\n`` is a Windows newline, not an
    overwrite.
    """
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        text = _CR_LINE.sub(_keep_after_cr, text)
    return text


# --------------------------------------------------------------------------------------------
# numbers under tolerance

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w)")
"""A number token: not glued to a word (``float32``, ``x86_64`` and ``3px`` stay text)."""

_SLOT = "\x00"
_NUMBER_SPLIT = re.compile(f"({NUMBER.pattern})")


class NumberedText:
    """Text split into a skeleton (numbers replaced by a slot) and its numbers.

    The skeleton and the numbers come from two C-speed regex passes; where each number sits is
    only needed to describe a mismatch, so those positions are worked out on first use.
    """

    __slots__ = ("_positions", "skeleton", "text", "tokens")

    def __init__(self, text: str, skeleton: str, tokens: tuple[str, ...]) -> None:
        self.text = text
        self.skeleton = skeleton
        self.tokens = tokens
        self._positions: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    def _where(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if self._positions is None:
            text_pos: list[int] = []
            skel_pos: list[int] = []
            shift = 0
            for match in NUMBER.finditer(self.text):
                start = match.start()
                text_pos.append(start)
                skel_pos.append(start - shift)
                shift += match.end() - start - 1
            self._positions = (tuple(text_pos), tuple(skel_pos))
        return self._positions

    @property
    def text_pos(self) -> tuple[int, ...]:
        """Where each number starts in ``text``."""
        return self._where()[0]

    @property
    def skel_pos(self) -> tuple[int, ...]:
        """Where each number's slot is in ``skeleton``."""
        return self._where()[1]

    def text_index(self, skel_index: int) -> int:
        """Position in ``text`` of a position in ``skeleton``."""
        skel_pos = self.skel_pos
        k = bisect_right(skel_pos, skel_index - 1)
        if k == 0:
            return skel_index
        last = k - 1
        return self.text_pos[last] + len(self.tokens[last]) + (skel_index - skel_pos[last] - 1)


def split_numbers(text: str) -> NumberedText:
    """Split ``text`` into skeleton and numbers in one regex pass in C (no Python loop)."""
    if _SLOT in text:
        text = text.replace(_SLOT, "\ufffd")
    parts = _NUMBER_SPLIT.split(text)  # text, number, text, number, ..., text
    return NumberedText(text, _SLOT.join(parts[0::2]), tuple(parts[1::2]))


def first_difference(a: str, b: str) -> int:
    """Index of the first character where ``a`` and ``b`` differ (len of the shorter if prefix).

    Compares blocks with C-speed slice equality and only then narrows down, so a 10 MB text costs
    milliseconds, not a Python loop per character.
    """
    n = min(len(a), len(b))
    lo = 0
    block = 1 << 16
    while lo < n:
        hi = min(n, lo + block)
        if a[lo:hi] != b[lo:hi]:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if a[lo:mid] != b[lo:mid]:
                    hi = mid
                else:
                    lo = mid
            return lo
        lo = hi
    return n


SNIPPET = 160
"""Characters of context shown for each side of a difference."""


def line_at(text: str, index: int, width: int = SNIPPET) -> tuple[int, str]:
    """The 1-based line number of ``index`` and that line, clipped to ``width`` around it."""
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    if end < 0:
        end = len(text)
    line = text[start:end]
    if len(line) > width:
        offset = max(0, min(index - start - width // 2, len(line) - width))
        line = ("…" if offset else "") + line[offset : offset + width] + "…"
    return text.count("\n", 0, start) + 1, line


@dataclass(frozen=True, slots=True)
class TextMismatch:
    """The first place two sanitised texts differ, ready to become a Difference."""

    kind: Literal["content-changed", "value-beyond-tolerance"]
    message: str
    a: str
    b: str
    line: int
    """1-based line in A's sanitised text."""


def compare_text(
    a: str, b: str, tolerance: Tolerance, line_numbers: Sequence[int] | None = None
) -> TextMismatch | None:
    """None when ``a`` and ``b`` (already sanitised) are the same up to number tolerance.

    The skeletons must match exactly; then numbers are compared pairwise. Only the first
    mismatch is described, with a count of the others, because the first is what a reviewer
    reads and a cascade of later ones is usually the same cause. ``line_numbers`` maps the
    lines of ``a`` to the lines of the original text when only some lines were passed in.
    """
    if a == b:
        return None
    na, nb = split_numbers(a), split_numbers(b)

    def real(line: int) -> int:
        if line_numbers is not None and 0 < line <= len(line_numbers):
            return line_numbers[line - 1]
        return line

    if na.skeleton != nb.skeleton:
        at = first_difference(na.skeleton, nb.skeleton)
        line, a_line = line_at(a, na.text_index(at))
        _, b_line = line_at(b, nb.text_index(at))
        line = real(line)
        return TextMismatch("content-changed", f"text differs at line {line}", a_line, b_line, line)
    first: int | None = None
    count = 0
    for i, (x, y) in enumerate(zip(na.tokens, nb.tokens, strict=True)):
        if x == y or tolerance.close(_to_float(x), _to_float(y)):
            continue
        count += 1
        if first is None:
            first = i
    if first is None:
        return None
    line, a_line = line_at(a, na.text_pos[first])
    _, b_line = line_at(b, nb.text_pos[first])
    line = real(line)
    x, y = na.tokens[first], nb.tokens[first]
    more = f" ({count - 1} more numbers differ)" if count > 1 else ""
    message = (
        f"number at line {line} differs beyond tolerance: {x} vs {y} "
        f"(abs {tolerance.abs:g}, rel {tolerance.rel:g}){more}"
    )
    return TextMismatch("value-beyond-tolerance", message, a_line, b_line, line)


def compare_sanitized(
    a: str,
    b: str,
    tolerance: Tolerance,
    sanitizers: Sequence[tuple[str, str]] = (),
    *,
    terminal: bool = False,
) -> TextMismatch | None:
    """Sanitise two raw texts and compare them; the entry point for handlers.

    Runs of the same code print mostly identical lines, so when both sides have the same number
    of lines only the lines that differ byte-wise are sanitised and compared: on a large log
    this skips nearly all regex work. ``terminal`` applies :func:`normalize_terminal` first.
    """
    if a == b:
        return None
    if terminal:
        a, b = normalize_terminal(a), normalize_terminal(b)
    lines_a, lines_b = a.split("\n"), b.split("\n")
    if len(lines_a) == len(lines_b):
        changed = [i for i, (x, y) in enumerate(zip(lines_a, lines_b, strict=True)) if x != y]
        if not changed:
            return None
        part_a, part_b = sanitize_pair(
            "\n".join(lines_a[i] for i in changed),
            "\n".join(lines_b[i] for i in changed),
            sanitizers,
        )
        if part_a.count("\n") == part_b.count("\n") == len(changed) - 1:
            return compare_text(part_a, part_b, tolerance, [i + 1 for i in changed])
    return compare_text(*sanitize_pair(a, b, sanitizers), tolerance)


def _to_float(token: str) -> float:
    try:
        return float(token)
    except (ValueError, OverflowError):  # pragma: no cover - NUMBER only matches valid floats
        return float("nan")
