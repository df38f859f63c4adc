"""The deterministic commit bucket behind the 10% -> 50% -> 100% traffic shift.

Three parties must agree on which commits Tekton owns at a share N: the EventListener's CEL filter,
the GitHub side (a job ``if:`` that skips Tekton's commits once Tekton is primary) and the rollout
code in Python. All three read the first three hex digits of the commit SHA as a number v in
[0, 4096) and give the commit to Tekton when ``v * 100 // 4096 < N``. That set is the prefix range
[0, T) with T = ceil(4096 N / 100), so it grows with N (a commit Tekton had at 10% stays Tekton's
at 50%), and it can be written with nothing but prefix tests: a regex in CEL, a chain of
``startsWith`` in GitHub's expression language, which has no arithmetic.
"""

from __future__ import annotations

from ghtotekton.convert import cel

DIGITS = 3
SPACE: int = 16**DIGITS
_HEX = "0123456789abcdef"


def bucket_of(sha: str) -> int:
    """The commit's bucket, 0..99; Tekton owns it at share N when the bucket is below N.

    Raises ValueError when the SHA does not start with three hex digits.
    """
    head = sha[:DIGITS]
    if len(head) < DIGITS or any(c not in _HEX for c in head.lower()):
        raise ValueError(f"not a commit SHA: {sha!r}")
    return int(head, 16) * 100 // SPACE


def tekton_owns(sha: str, share: int) -> bool:
    """The Python twin of :func:`cel_condition` (and of :func:`github_condition`)."""
    check_share(share)
    if share >= 100:
        return True
    try:
        return bucket_of(sha) < share
    except ValueError:
        return False


def check_share(share: int) -> None:
    if not 0 <= share <= 100:
        raise ValueError(f"the Tekton share must be 0..100, not {share}")


def threshold(share: int) -> int:
    """T: the number of 3-hex-digit prefixes Tekton owns at this share."""
    check_share(share)
    return (SPACE * share + 99) // 100


def prefixes(share: int) -> list[str]:
    """The fewest hex prefixes covering [0, T): ``0..`` whole digits, then finer ones."""
    limit = threshold(share)
    if limit >= SPACE:
        return [""]
    digits = f"{limit:0{DIGITS}x}"
    out: list[str] = []
    for level in range(DIGITS):
        fixed = digits[:level]
        for d in range(int(digits[level], 16)):
            out.append(fixed + _HEX[d])
    return out


def _class(low: int, high: int) -> str:
    """A character class for hex digits low..high, both cases (SHAs are usually lower case)."""
    parts: list[str] = []
    for lo, hi in ((low, min(high, 9)), (max(low, 10), high)):
        if lo > hi:
            continue
        parts.append(_HEX[lo] if lo == hi else f"{_HEX[lo]}-{_HEX[hi]}")
        if lo >= 10:
            parts.append(_HEX[lo].upper() if lo == hi else f"{_HEX[lo].upper()}-{_HEX[hi].upper()}")
    joined = "".join(parts)
    return joined if len(joined) == 1 else f"[{joined}]"


def regex(share: int) -> str:
    """An anchored RE2 regex matching the SHAs Tekton owns (only for 0 < share < 100).

    Each alternative fixes some leading digits and then asks for the rest of the three, so a
    string shorter than three hex digits never matches (as :func:`bucket_of` refuses it).
    """
    limit = threshold(share)
    digits = f"{limit:0{DIGITS}x}"
    alternatives: list[str] = []
    for level in range(DIGITS):
        top = int(digits[level], 16)
        if top == 0:
            continue
        fixed = "".join(_class(int(c, 16), int(c, 16)) for c in digits[:level])
        rest = DIGITS - level - 1
        tail = f"{_class(0, 15)}{{{rest}}}" if rest > 1 else _class(0, 15) * rest
        alternatives.append(fixed + _class(0, top - 1) + tail)
    return "^(?:" + "|".join(alternatives) + ")"


def cel_condition(sha_expr: str, share: int) -> str:
    """The CEL test that ``sha_expr`` (a string) is in Tekton's share; ``true`` at 100%."""
    check_share(share)
    if share >= 100:
        return cel.TRUE
    if threshold(share) == 0:
        return cel.FALSE
    return cel.matches(sha_expr, regex(share))


def github_condition(share: int, sha: str = "github.sha") -> str:
    """The same test as a GitHub Actions expression (``startsWith`` ignores case on GitHub).

    The GitHub side of a rollout puts ``!(...)`` of this into a job's ``if:`` to leave Tekton's
    commits to Tekton. It assumes a full SHA (``github.sha`` always is one).
    """
    check_share(share)
    if share >= 100:
        return "true"
    found = prefixes(share)
    if not found:
        return "false"
    return " || ".join(f"startsWith({sha}, '{p}')" for p in found)
