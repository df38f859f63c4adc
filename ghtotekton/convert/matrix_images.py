"""A language-version axis of a matrix picks the image of each cell.

``setup-python`` with ``python-version: ${{ matrix.python }}`` runs each cell of the matrix on its
own Python. Its rule makes the version the job image, but a matrix value is not known while one
Task is written, so every cell used to get the rule's default (3.12): a matrix of six Pythons
became six runs of one, a false green. Where the matrix is laid out as Tekton ``include``
combinations, the rule's image is rendered once per combination with that cell's values, and
when they differ the Task takes its image from a param (``ght-image``) that each combination
sets. Tekton substitutes params in the stepTemplate's and the steps' ``image``
(``pkg/reconciler/taskrun/resources/apply.go``, ``ApplyReplacements``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ghtotekton.convert.findings import Finding
from ghtotekton.convert.naming import param_name
from ghtotekton.convert.rules import LoadedRule, TemplateContext, render
from ghtotekton.errors import Position
from ghtotekton.github import model as m

IMAGE_PARAM = "ght-image"
_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")


@dataclass(frozen=True, slots=True)
class ImageRule:
    """The ``image`` rule a step matched, when one of its inputs reads the matrix."""

    rule: LoadedRule
    step: m.Step
    job_id: str

    @classmethod
    def of(cls, rule: LoadedRule, step: m.Step, job_id: str) -> ImageRule | None:
        reads = any(_MATRIX_REF.search(m.scalar_text(v)) for v in (step.with_ or {}).values())
        return cls(rule, step, job_id) if reads else None

    def image(self, values: dict[str, str], job_image: str) -> str | None:
        """The image for a cell with these matrix values (key -> value); None when an input
        still holds an expression (the rule cannot read it)."""
        inputs: dict[str, str] = {}
        for key, raw in (self.step.with_ or {}).items():
            text = _MATRIX_REF.sub(
                lambda hit: values.get(hit.group(1), hit.group(0)), m.scalar_text(raw)
            )
            if "${{" not in text:
                inputs[key] = text
        context = TemplateContext(
            inputs=inputs,
            given=frozenset((self.step.with_ or {}).keys()),
            input_env={},
            job={"id": self.job_id, "image": job_image},
        )
        return render(self.rule.rule.emit.image or "", context).strip() or None


def image_per_cell(
    image_rule: ImageRule,
    default: str,
    spec: dict[str, Any],
    pipeline_task: dict[str, Any],
    findings: list[Finding],
    where: Position,
) -> list[str]:
    """Give each ``include`` combination its own image when the rule picks different ones;
    the images the cells run (empty when the job keeps ``default`` for every cell)."""
    include = (pipeline_task.get("matrix") or {}).get("include") or []
    if not include:
        return []
    keys = {param_name("matrix", k): k for k in _matrix_keys(image_rule.step)}
    images: list[str] = []
    for combo in include:
        values = {
            keys[p["name"]]: str(p["value"]) for p in combo.get("params", []) if p["name"] in keys
        }
        image = image_rule.image(values, default)
        if image is None:
            return []
        images.append(image)
    if len(set(images)) == 1:
        _use(spec, default, images[0])  # one version for every cell: that one, not the default
        return [] if images[0] == default else images[:1]
    spec.setdefault("params", []).append(
        {
            "name": IMAGE_PARAM,
            "type": "string",
            "default": default,
            "description": "the image of this matrix combination (its language version)",
        }
    )
    _use(spec, default, f"$(params.{IMAGE_PARAM})")
    for combo, image in zip(include, images, strict=True):
        combo.setdefault("params", []).append({"name": IMAGE_PARAM, "value": image})
    shown = ", ".join(f"`{i}`" for i in dict.fromkeys(images))
    findings.append(
        Finding(
            "converted",
            f"`{image_rule.rule.id}` reads the matrix: each combination runs in its own image "
            f"({shown}), as each cell on GitHub sets up its own version",
            where,
            rule="matrix-image",
        )
    )
    return list(dict.fromkeys(images))


def _use(spec: dict[str, Any], default: str, image: str) -> None:
    """The job runs in ``image`` where it ran in the rule's default."""
    spec["stepTemplate"]["image"] = image
    for step in spec.get("steps") or []:
        if step.get("image") == default:
            step["image"] = image


def _matrix_keys(step: m.Step) -> set[str]:
    return {
        hit.group(1)
        for value in (step.with_ or {}).values()
        for hit in _MATRIX_REF.finditer(m.scalar_text(value))
    }
