"""Checks GitHub makes beyond the shape of the file: expressions parse, matrices expand.

They run on the plain data with its positions, so an error in the middle of a ``run:`` script or a
matrix ``exclude`` points at the place to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ghtotekton.errors import Diagnostic, Position
from ghtotekton.github import model as m
from ghtotekton.github.expressions import ExpressionError, find_expressions, parse_if
from ghtotekton.yamlsource import PathKey, YamlDocument


def check_workflow_semantics(
    workflow: m.Workflow, doc: YamlDocument
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Return (errors, warnings) for expressions and matrices of a validated workflow."""
    errors = list(check_expressions(doc))
    warnings: list[Diagnostic] = []
    for job_id, job in workflow.jobs.items():
        if job.strategy is not None and job.strategy.matrix is not None:
            errs, warns = check_matrix(job.strategy.matrix, doc, ("jobs", job_id, "strategy"))
            errors.extend(errs)
            warnings.extend(warns)
    return errors, warnings


def _strings(data: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, (*path, i))


def _is_condition(path: PathKey) -> bool:
    """Job and step ``if:`` take a bare expression; everything else needs ``${{ }}``."""
    if not path or path[-1] != "if":
        return False
    return len(path) in (3, 5) and path[0] == "jobs" and (len(path) == 3 or path[2] == "steps")


def check_expressions(doc: YamlDocument) -> Iterator[Diagnostic]:
    """Every ``${{ }}`` in every string parses, and every ``if:`` is a valid condition."""
    for path, text in _strings(doc.data):
        if _is_condition(path):
            try:
                parse_if(text)
            except ExpressionError as exc:
                yield _expression_error(doc, path, text, exc, exc.offset)
            continue
        if "${{" not in text:
            continue
        for embedded in find_expressions(text):
            if embedded.error is not None:
                yield _expression_error(doc, path, text, embedded.error, embedded.error.offset)


def _expression_error(
    doc: YamlDocument, path: PathKey, text: str, exc: ExpressionError, offset: int
) -> Diagnostic:
    where = doc.pos(path)
    line_offset = text.count("\n", 0, offset)
    if line_offset == 0 and "\n" not in text:
        # A one-line scalar: point at the offending character when the value is written plain.
        where = Position(where.file, where.line, where.col + offset)
    snippet = text.strip().splitlines()[0] if text.strip() else text
    if len(snippet) > 60:
        snippet = snippet[:57] + "..."
    return Diagnostic(
        where,
        f"invalid expression: {exc.message}",
        f"in `{snippet}`",
        rule="expression",
    )


def check_matrix(
    matrix: dict[str, Any] | str, doc: YamlDocument, at: PathKey
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    from ghtotekton.github.matrix import MatrixError, expand_matrix

    try:
        result = expand_matrix(matrix)
    except MatrixError as exc:
        path = (*at, "matrix", *exc.path)
        where = doc.key_pos(path) if path in doc.key_positions else doc.pos(path)
        return [Diagnostic(where, f"matrix: {exc}", rule="matrix")], []
    warnings = [
        Diagnostic(doc.pos((*at, "matrix")), f"matrix: {w}", severity="warning", rule="matrix")
        for w in result.warnings
    ]
    return [], warnings
