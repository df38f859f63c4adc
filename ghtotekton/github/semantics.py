"""Checks GitHub makes beyond the shape of the file: expressions parse, matrices expand."""

from __future__ import annotations

from ghtotekton.errors import Diagnostic
from ghtotekton.github import model as m
from ghtotekton.yamlsource import YamlDocument


def check_workflow_semantics(
    workflow: m.Workflow, doc: YamlDocument
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Return (errors, warnings)."""
    return [], []
