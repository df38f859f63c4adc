"""``compare.yaml``: which handler judges which file, with what tolerance, and what may be missing.

The comparator must give a useful verdict with no file at all (the GPU notebook CI has none), so
the built-in rules below are the real default and a user's rules are only put in front of them:
the first rule whose glob matches a file decides. Globs are matched against the artifact path
relative to ``artifacts/``; a glob without ``/`` matches the file name at any depth (as
.gitignore does), ``**`` spans folders.

A rule with ``handler: auto`` keeps its own options (tolerance, ignore, ...) but lets the file
type decide the handler, so a user can loosen a tolerance for ``reports/**`` without having to
name a handler per file type. XML is ambiguous by extension: JUnit and Cobertura coverage both
use it, so ``auto`` on ``.xml`` looks at the root element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from ghtotekton.compare.handlers.base import HandlerOptions, Tolerance
from ghtotekton.errors import InputError
from ghtotekton.pydantic_errors import validate_document
from ghtotekton.yamlsource import YamlDocument, load_yaml_file

HandlerName = Literal[
    "auto",
    "junit",
    "notebook",
    "coverage",
    "html",
    "json",
    "yaml",
    "csv",
    "text",
    "binary",
    "skip",
]
ConcreteHandler = Literal[
    "junit", "notebook", "coverage", "html", "json", "yaml", "csv", "text", "binary", "skip"
]


# --------------------------------------------------------------------------------------------
# globs


@lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regex for one glob; each wildcard is a capture group (renames substitute them)."""
    text = pattern.strip("/")
    anchored_to_name = "/" not in text
    parts = text.split("/")
    out = ""
    for i, seg in enumerate(parts):
        last = i == len(parts) - 1
        if seg == "**":
            out += "(.*)" if last else "((?:[^/]*/)*)"
            continue
        out += _segment(seg) + ("" if last else "/")
    if anchored_to_name:
        out = "(?:.*/)?" + out
    return re.compile(out + r"\Z")


def _segment(seg: str) -> str:
    out = ""
    i = 0
    while i < len(seg):
        ch = seg[i]
        if ch == "*":
            while i + 1 < len(seg) and seg[i + 1] == "*":
                i += 1
            out += "([^/]*)"
        elif ch == "?":
            out += "([^/])"
        elif ch == "[":
            end = seg.find("]", i + 2)
            if end < 0:
                out += re.escape(ch)
            else:
                body = seg[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out += "[" + body.replace("\\", "\\\\") + "]"
                i = end
        else:
            out += re.escape(ch)
        i += 1
    return out


def glob_match(pattern: str, path: str) -> bool:
    return compile_glob(pattern).match(path) is not None


def wildcard_count(pattern: str) -> int:
    return compile_glob(pattern).groups


def _check_glob(value: str) -> str:
    if not value.strip("/"):
        raise ValueError("a glob cannot be empty")
    try:
        compile_glob(value)
    except re.error as exc:
        raise ValueError(f'glob "{value}" is not valid: {exc}') from None
    return value


# --------------------------------------------------------------------------------------------
# the file


class Sanitizer(BaseModel):
    """A regex replaced before comparing text (timestamps, temp paths, run ids)."""

    model_config = ConfigDict(extra="forbid")

    pattern: str
    replace: str = ""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f'"{value}" is not a valid regular expression: {exc}') from None
        return value


class Rule(BaseModel):
    """Files matching ``glob`` are compared by ``handler`` with these options."""

    model_config = ConfigDict(extra="forbid")

    glob: str
    handler: HandlerName = "auto"
    ignore: list[str] = []
    tolerance: Tolerance | None = None
    sanitizers: list[Sanitizer] = []
    required: bool = True
    """A required file missing on one side makes the comparison incomplete; others are noted."""
    extra: dict[str, Any] = {}

    @field_validator("glob")
    @classmethod
    def _valid_glob(cls, value: str) -> str:
        return _check_glob(value)


class UnitsConfig(BaseModel):
    """Jobs and tasks: which to leave out, and which pair although their names differ."""

    model_config = ConfigDict(extra="forbid")

    ignore: list[str] = []
    """Globs on unit names (either side), e.g. the bundle publisher task that only Tekton has."""
    renames: dict[str, str] = {}
    """Unit of A -> unit of B, by exact name."""


class CompareConfig(BaseModel):
    """The whole ``compare.yaml``."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    rules: list[Rule] = []
    renames: dict[str, str] = {}
    """A path glob of A -> the path in B; wildcards of the B path take what A's matched."""
    units: UnitsConfig = Field(default_factory=UnitsConfig)
    ignore_files: list[str] = []

    _resolver: _Resolver | None = PrivateAttr(default=None)

    @field_validator("ignore_files")
    @classmethod
    def _globs(cls, value: list[str]) -> list[str]:
        for item in value:
            _check_glob(item)
        return value

    # -- resolution ----------------------------------------------------------------------

    def all_rules(self) -> list[tuple[str, Rule]]:
        """User rules, then the defaults, each with a label saying where it came from."""
        user = [(f"compare.yaml rule {i + 1} ({r.glob})", r) for i, r in enumerate(self.rules)]
        return user + [(f"default ({r.glob})", r) for r in DEFAULT_RULES]

    def ignored(self, path: str) -> bool:
        return any(glob_match(g, path) for g in self.ignore_files)

    def resolve(self, path: str, sample: Path | None = None) -> Resolution:
        """The rule for one artifact; ``sample`` (either side's file) lets ``auto`` sniff XML."""
        resolver = self._resolver
        if resolver is None:
            resolver = self._resolver = _Resolver(self.all_rules())
        return resolver.resolve(path, sample)

    def rename(self, path: str) -> str | None:
        """The B path a configured rename gives A's ``path``, or None."""
        for glob, target in self.renames.items():
            match = compile_glob(glob).match(path)
            if match is None:
                continue
            return _substitute(target, match.groups())
        return None


def _substitute(target: str, captured: tuple[str, ...]) -> str:
    """Each wildcard of ``target``, in order, becomes what the glob's wildcard matched."""
    values = iter(captured)
    return re.sub(r"\*\*|\*|\?", lambda _: next(values, ""), target)


class _Resolver:
    """Rules compiled once, and resolutions shared per (rule, handler).

    A bundle has thousands of files and a few dozen rules; building the options per file (and
    reaching pydantic private attributes per rule) was most of an all-equal comparison's time.
    """

    def __init__(self, rules: list[tuple[str, Rule]]) -> None:
        self.rules = [(label, rule, compile_glob(rule.glob).match) for label, rule in rules]
        self.cache: dict[tuple[int, str], Resolution] = {}

    def resolve(self, path: str, sample: Path | None) -> Resolution:
        for index, (label, rule, match) in enumerate(self.rules):
            if match(path) is None:
                continue
            handler = rule.handler if rule.handler != "auto" else detect_handler(path, sample)
            hit = self.cache.get((index, handler))
            if hit is None:
                hit = Resolution(
                    handler=handler,
                    required=rule.required,
                    rule=label,
                    options=HandlerOptions(
                        tolerance=rule.tolerance or Tolerance(),
                        ignore=tuple(rule.ignore),
                        sanitizers=tuple((s.pattern, s.replace) for s in rule.sanitizers),
                        extra=dict(rule.extra),
                    ),
                )
                self.cache[(index, handler)] = hit
            return hit
        raise AssertionError("the default rules end with a catch-all")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the configuration decided for one artifact."""

    handler: ConcreteHandler
    required: bool
    rule: str
    options: HandlerOptions = field(default_factory=HandlerOptions)


def _rule(glob: str, handler: HandlerName, required: bool = True) -> Rule:
    return Rule(glob=glob, handler=handler, required=required)


DEFAULT_RULES: tuple[Rule, ...] = (
    # What a run writes about itself ($GITHUB_STEP_SUMMARY and the Tekton side's summary files)
    # names the system, its run ids and timings: different by design, never a result.
    _rule("**/summary/*.md", "skip", required=False),
    _rule("**/step-summary*.md", "skip", required=False),
    # Copies the converted pipeline keeps for people (executed notebooks): compared when both
    # runs have them, not missing when only the Tekton run does.
    _rule("ghtotekton/**", "auto", required=False),
    # Logs are evidence, not results: compared, but a system that keeps them elsewhere is fine.
    _rule("*.log", "text", required=False),
    _rule("**/logs/**", "auto", required=False),
    _rule("*.ipynb", "notebook"),
    _rule("junit*.xml", "junit"),
    _rule("TEST-*.xml", "junit"),
    _rule("**/junit/*.xml", "junit"),
    _rule("coverage.xml", "coverage"),
    _rule("coverage.json", "coverage"),
    _rule("*.xml", "auto"),
    _rule("*.html", "html"),
    _rule("*.htm", "html"),
    _rule("*.json", "json"),
    _rule("*.yaml", "yaml"),
    _rule("*.yml", "yaml"),
    _rule("*.csv", "csv"),
    _rule("*.txt", "text"),
    _rule("*.md", "text"),
    _rule("**", "binary"),
)

DEFAULT_CONFIG = CompareConfig()

_BY_SUFFIX: dict[str, ConcreteHandler] = {
    ".ipynb": "notebook",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".txt": "text",
    ".md": "text",
    ".log": "text",
}


def detect_handler(path: str, sample: Path | None) -> ConcreteHandler:
    """The handler a file's type calls for, for rules that say ``auto``."""
    name = path.rsplit("/", 1)[-1]
    for rule in DEFAULT_RULES:
        if rule.handler in ("auto", "skip") or rule.glob == "**":
            continue
        if glob_match(rule.glob, path):
            return rule.handler  # type: ignore[return-value]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == ".xml":
        return _sniff_xml(sample)
    return _BY_SUFFIX.get(suffix, "binary")


_XML_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S)
_XML_ROOT = re.compile(rb"\s*<([A-Za-z_][\w.:-]*)")
_SNIFF_BYTES = 64 * 1024


def _sniff_xml(sample: Path | None) -> ConcreteHandler:
    """JUnit (testsuite/testsuites root) or Cobertura (coverage root); other XML is text.

    Reads only the first 64 KB: the root element comes after at most a prolog and comments.
    """
    if sample is None:
        return "text"
    try:
        with sample.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return "text"  # the handler will report the file as unreadable
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    pos = 0
    while True:
        match = _XML_PROLOG.match(head, pos)
        if match is None or match.end() == pos:
            break
        pos = match.end()
    root = _XML_ROOT.match(head, pos)
    if root is None:
        return "text"
    local = root.group(1).rsplit(b":", 1)[-1]
    if local in (b"testsuite", b"testsuites"):
        return "junit"
    if local == b"coverage":
        return "coverage"
    return "text"


# --------------------------------------------------------------------------------------------
# loading


CONFIG_SHAPES = (
    ((), CompareConfig, "compare.yaml"),
    (("rules", "#"), Rule, "a rule"),
    (("rules", "#", "tolerance"), Tolerance, "a tolerance"),
    (("rules", "#", "sanitizers", "#"), Sanitizer, "a sanitizer"),
    (("units",), UnitsConfig, "units"),
)


def load_config(path: Path | None) -> CompareConfig:
    """Read and validate compare.yaml; no path gives the defaults."""
    if path is None:
        return DEFAULT_CONFIG
    doc = load_yaml_file(path)
    if doc.data is None:
        return DEFAULT_CONFIG
    config = validate_document(CompareConfig, doc, CONFIG_SHAPES)
    _check_renames(config, doc)
    return config


def _check_renames(config: CompareConfig, doc: YamlDocument) -> None:
    """Checks that need the position of a mapping key, which field validators do not have."""
    errors = []
    for glob, target in config.renames.items():
        try:
            _check_glob(glob)
        except ValueError as exc:
            errors.extend(doc.error(("renames", glob), str(exc), key=True).diagnostics)
            continue
        wanted = wildcard_count(glob)
        given = len(re.findall(r"\*\*|\*|\?", target))
        if given and given != wanted:
            errors.extend(
                doc.error(
                    ("renames", glob),
                    f'the B path "{target}" has {given} wildcard(s), the glob has {wanted}',
                    "each wildcard of the B path takes what the same wildcard of the glob matched",
                ).diagnostics
            )
    if errors:
        raise InputError(errors)
