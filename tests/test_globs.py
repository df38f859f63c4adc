"""GitHub filter patterns -> RE2: the cheat sheet's examples, and a reference matcher.

The reference matcher below reads a pattern the way GitHub's cheat sheet describes it and matches
by backtracking, without regular expressions, so the regex translation is checked against an
independent reading. The other test modules import ``github_match`` and ``last_match_wins`` from
here as GitHub's side of the decision.
"""

from __future__ import annotations

from functools import cache

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from ghtotekton.convert.globs import GlobError, anchored, compile_patterns, glob_to_regex

# --- the reference: tokens and backtracking ------------------------------------------------------

Token = tuple[str, object]


def _tokens(pattern: str) -> list[Token]:
    """Kinds: lit, star, dstar, dirs (``**/``), class; opt and plus wrap the token before."""
    out: list[Token] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(("lit", pattern[i + 1]))
            i += 2
        elif c == "*":
            j = i
            while j < len(pattern) and pattern[j] == "*":
                j += 1
            if j - i == 1:
                out.append(("star", None))
            elif j < len(pattern) and pattern[j] == "/":
                out.append(("dirs", None))  # `**/`: zero or more folders
                j += 1
            else:
                out.append(("dstar", None))
            i = j
        elif c in "?+":
            if out:
                out.append(("opt" if c == "?" else "plus", out.pop()))
            else:
                out.append(("lit", c))
            i += 1
        elif c == "[" and pattern.find("]", i + 2) > 0:
            end = pattern.find("]", i + 2)
            body = pattern[i + 1 : end]
            chars: set[str] = set()
            k = 0
            while k < len(body):
                if k + 2 < len(body) and body[k + 1] == "-":
                    chars |= {chr(x) for x in range(ord(body[k]), ord(body[k + 2]) + 1)}
                    k += 3
                else:
                    chars.add(body[k])
                    k += 1
            out.append(("class", frozenset(chars)))
            i = end + 1
        else:
            out.append(("lit", c))
            i += 1
    return out


def _ends(tok: Token, s: str, j: int) -> set[int]:
    """Where one occurrence of ``tok`` starting at ``j`` can end."""
    kind, arg = tok
    if kind == "lit":
        return {j + 1} if j < len(s) and s[j] == arg else set()
    if kind == "class":
        assert isinstance(arg, frozenset)
        return {j + 1} if j < len(s) and s[j] in arg else set()
    if kind == "star":
        out = {j}
        k = j
        while k < len(s) and s[k] != "/":
            k += 1
            out.add(k)
        return out
    if kind == "dstar":
        return set(range(j, len(s) + 1))
    if kind == "dirs":
        return {j} | {k + 1 for k in range(j, len(s)) if s[k] == "/"}
    assert isinstance(arg, tuple)
    if kind == "opt":
        return {j} | _ends(arg, s, j)
    # plus: one or more
    seen: set[int] = set()
    frontier = _ends(arg, s, j)
    while frontier:
        seen |= frontier
        frontier = {e for f in frontier for e in _ends(arg, s, f)} - seen
    return seen


def github_match(pattern: str, name: str) -> bool:
    """Does ``name`` match ``pattern`` (without its ``!``) as GitHub's cheat sheet reads it?"""
    toks = _tokens(pattern)

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(toks):
            return j == len(name)
        return any(go(i + 1, e) for e in _ends(toks[i], name, j))

    return go(0, 0)


def last_match_wins(patterns: list[str], name: str) -> bool:
    """GitHub's lists: the last pattern that matches decides; ``!`` excludes; none -> excluded."""
    decision = False
    for p in patterns:
        negated = p.startswith("!")
        if github_match(p[1:] if negated else p, name):
            decision = not negated
    return decision


def regex_match(patterns: list[str], name: str) -> bool:
    """The translation's answer: compiled rules evaluated with RE2, last match wins."""
    decision = False
    for rule in compile_patterns(patterns):
        if re2.search(anchored(rule.regex), name):
            decision = rule.include
    return decision


# --- the cheat sheet --------------------------------------------------------------------------

CHEAT_SHEET = [
    # branches and tags
    ("feature/*", ["feature/my-branch", "feature/your-branch"], ["feature/a/b", "feature"]),
    ("feature/**", ["feature/beta-a/my-branch", "feature/your-branch", "feature/mona/the/octocat"],
     ["features/x", "feature"]),
    ("main", ["main"], ["main2", "xmain", "main/x"]),
    ("releases/mona-the-octocat", ["releases/mona-the-octocat"], ["releases/mona"]),
    ("*", ["main", "releases"], ["releases/x", "a/b"]),
    ("**", ["all/the/branches", "every/tag", "main"], []),
    ("*feature", ["mona-feature", "feature", "ver-10-feature"], ["feature-x", "a/feature"]),
    ("v2*", ["v2", "v2.0", "v2.9"], ["v1", "v2/x"]),
    ("v[12].[0-9]+.[0-9]+", ["v1.10.1", "v2.0.0"], ["v3.0.0", "v1.x.1", "v1.0", "v1.0.0a"]),
    # paths
    ("*.jsx?", ["page.js", "page.jsx"], ["page.jsxx", "page.ts", "a/page.js"]),
    ("*.js", ["app.js", "index.js"], ["js/app.js", "app.ts"]),
    ("**.js", ["index.js", "js/index.js", "src/js/app.js"], ["index.ts"]),
    ("docs/*", ["docs/README.md", "docs/file.txt"], ["docs/a/b.md", "README.md"]),
    ("docs/**", ["docs/README.md", "docs/mona/octocat.txt"], ["README.md", "x/docs/a"]),
    ("docs/**/*.md", ["docs/README.md", "docs/mona/hello-world.md", "docs/a/markdown/file.md"],
     ["docs/a.txt", "README.md"]),
    ("**/docs/**", ["docs/hello.md", "dir/docs/my-file.txt", "space/docs/plan/space.doc"],
     ["mydocs/x", "docs"]),
    ("**/README.md", ["README.md", "js/README.md"], ["README.mdx", "xREADME.md"]),
    ("**/*src/**", ["a/src/app.js", "my-src/code/js/app.js"], ["src", "a/srcs/x"]),
    ("**/*-post.md", ["my-post.md", "path/their-post.md"], ["my-post.txt", "mypost.md"]),
    ("**/migrate-*.sql", ["migrate-10909.sql", "db/migrate-v1.0.sql", "db/sept/migrate-v1.sql"],
     ["migrate.sql", "db/migrate-v1.0.sq"]),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "yes", "no"), CHEAT_SHEET)
def test_cheat_sheet_examples(pattern: str, yes: list[str], no: list[str]) -> None:
    regex = re2.compile(anchored(glob_to_regex(pattern)))
    for name in yes:
        assert regex.search(name), (pattern, name)
        assert github_match(pattern, name), (pattern, name)
    for name in no:
        assert not regex.search(name), (pattern, name)
        assert not github_match(pattern, name), (pattern, name)


def test_negation_last_match_wins() -> None:
    # The cheat sheet's two lists: `!README.md` excludes, a later `README*` includes again.
    first = ["*.md", "!README.md"]
    assert regex_match(first, "hello.md")
    assert not regex_match(first, "README.md")
    assert not regex_match(first, "docs/hello.md")
    second = ["*.md", "!README.md", "README*"]
    for name in ("hello.md", "README.md", "README.doc"):
        assert regex_match(second, name), name
    assert not regex_match(second, "docs/hello.md")


def test_only_negative_patterns_match_nothing() -> None:
    assert not regex_match(["!main"], "main")
    assert not regex_match(["!main"], "dev")


def test_same_sign_runs_are_merged() -> None:
    rules = compile_patterns(["a", "b", "!c", "d", "e"])
    assert [r.include for r in rules] == [True, False, True]


def test_escapes_and_literals() -> None:
    assert regex_match([r"a\*b"], "a*b")
    assert not regex_match([r"a\*b"], "axb")
    assert regex_match(["a.b"], "a.b")
    assert not regex_match(["a.b"], "axb")  # `.` is a plain character, not "any"
    assert regex_match(["(x)|y"], "(x)|y")
    assert regex_match(["[ab"], "[ab")  # an unclosed bracket is a plain character


def test_backwards_range_is_refused() -> None:
    with pytest.raises(GlobError, match="runs backwards"):
        glob_to_regex("v[9-0]")


def test_re2_has_no_unsupported_syntax() -> None:
    # Possessive quantifiers, lookarounds and backreferences do not exist in RE2; a `+` after a
    # star must become a grouped repetition.
    for pattern in ("a*+", "**+", "**/?", "x?+", "[a-c]+?"):
        regex = anchored(glob_to_regex(pattern))
        re2.compile(regex)
        assert "(?=" not in regex and "(?!" not in regex and "(?<" not in regex


# --- property: the regex agrees with the reference everywhere --------------------------------

PATTERN_PIECES = ["a", "b", "/", "*", "**", "**/", "?", "+", ".", "[ab]", "[0-2]", "\\*", "-"]
NAME_CHARS = "ab/.*012-"


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PATTERN_PIECES), min_size=1, max_size=6).map("".join),
    st.text(alphabet=NAME_CHARS, max_size=10),
)
def test_translation_agrees_with_reference(pattern: str, name: str) -> None:
    regex = anchored(glob_to_regex(pattern))
    assert bool(re2.search(regex, name)) == github_match(pattern, name), (pattern, regex, name)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.lists(st.sampled_from(PATTERN_PIECES), min_size=1, max_size=4)),
        min_size=1,
        max_size=4,
    ).map(lambda ps: [("!" if neg else "") + "".join(parts) for neg, parts in ps]),
    st.text(alphabet=NAME_CHARS, max_size=8),
)
def test_lists_agree_with_reference(patterns: list[str], name: str) -> None:
    assert regex_match(patterns, name) == last_match_wins(patterns, name), patterns
