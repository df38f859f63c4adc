"""Every `${{ }}` of the real-world corpus parses, prints back to the same tree and evaluates."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ghtotekton.github.expressions import (
    EvaluationError,
    evaluate,
    find_expressions,
    parse,
    parse_if,
    unparse,
)

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"

pytestmark = pytest.mark.corpus


def _strings(value: Any, key: Any = None) -> Iterator[tuple[Any, str]]:
    if isinstance(value, dict):
        for k, item in value.items():
            yield from _strings(item, k)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)
    elif isinstance(value, str):
        yield key, value


def _files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return sorted(p for p in CORPUS.rglob("*.y*ml") if ".github" in p.parts)


def test_corpus_expressions_parse_and_round_trip() -> None:
    yaml = YAML(typ="safe")
    failures: list[str] = []
    count = 0
    for path in _files():
        try:
            document = yaml.load(path.read_text(encoding="utf-8"))
        except Exception:  # YAML problems belong to the loader's tests, not these
            continue
        for key, text in _strings(document):
            nodes = []
            if key == "if":
                try:
                    nodes.append(parse_if(text))
                except ValueError as err:
                    failures.append(f"{path}: if: {text!r}: {err}")
            else:
                for embedded in find_expressions(text):
                    if embedded.error is not None:
                        failures.append(f"{path}: {embedded.source!r}: {embedded.error}")
                    elif embedded.node is not None:
                        nodes.append(embedded.node)
            for node in nodes:
                count += 1
                assert parse(unparse(node)) == node, f"{path}: {unparse(node)}"
                with contextlib.suppress(EvaluationError):
                    evaluate(node, {"github": {"event_name": "push"}})
    assert count > 1000  # the corpus has thousands; far fewer means the walk broke
    assert failures == []
