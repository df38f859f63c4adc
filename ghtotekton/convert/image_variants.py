"""Compose images that differ from one matrix cell to the next.

A workflow often feeds a matrix value to compose through an env var: ``PYTHON_VERSION: ${{
matrix.python }}`` on the ``docker compose up`` step, read by a build arg (``PYTHON_VERSION:
${PYTHON_VERSION:-3.11}``) or by the image reference itself (``image: postgres:${PG}``). On
GitHub each cell then runs its own image. Converted with the variable's default, every cell runs
the same one and the matrix is a false green.

So the compose files are read a second time with a marker in place of each such variable: a
build arg or an image that holds a marker depends on the matrix. Each cell then gets its own
image: the reference itself when compose only pulls it, or a Pipeline param per build (its
default the service's image tagged with the build's values) when compose builds it, since a
pod cannot build the image it runs and nothing in the pipeline builds it yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ghtotekton.compose import Service
from ghtotekton.convert.findings import Finding
from ghtotekton.convert.naming import dns_label, param_name
from ghtotekton.errors import Position

_MATRIX_VALUE = re.compile(r"^\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}$")
_MARKER = re.compile(r"@@ght-matrix-([A-Za-z_][A-Za-z0-9_]*)@@")
_TAG_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def marker(var: str) -> str:
    """What the compose files see in place of ``var`` on the second reading."""
    return f"@@ght-matrix-{var}@@"


def matrix_env(env: Mapping[str, Any]) -> dict[str, str]:
    """Env vars whose value is exactly one matrix value: var -> matrix key."""
    out = {}
    for key, raw in env.items():
        found = _MATRIX_VALUE.match(str(raw).strip()) if raw is not None else None
        if found:
            out[key] = found.group(1)
    return out


@dataclass(slots=True)
class ImageVariant:
    """How one service's image depends on matrix values."""

    service: str
    image: str
    """The image reference with the matrix variables' defaults (what one image would be)."""
    template: str
    """The reference with markers where matrix variables go."""
    built: bool
    args: dict[str, str] = field(default_factory=dict)
    """Build args that depend on the matrix: name -> value with markers."""
    keys: dict[str, str] = field(default_factory=dict)
    """Env var -> matrix key, for the variables this image depends on."""

    def cell(self, values: Mapping[str, str]) -> tuple[str, dict[str, str], str]:
        """(image reference, build args, a short tag of the values) of the cell with these
        matrix values (key -> value)."""

        def fill(text: str) -> str:
            return _MARKER.sub(lambda m: values.get(self.keys.get(m.group(1), ""), ""), text)

        args = {k: fill(v) for k, v in self.args.items()}
        image = fill(self.template)
        varying = [fill(f"@@ght-matrix-{var}@@") for var in sorted(self.keys)]
        suffix = _TAG_CHARS.sub("_", "-".join(args.values() or varying)).strip("-.") or "x"
        if self.built and image == self.image and args:
            name, tag = _split_tag(self.image)
            image = f"{name}:{f'{tag}-{suffix}'[:128]}"  # a tag has at most 128 characters
        return image, args, suffix


def variant_of(
    service: Service, seen_with_markers: Service | None, keys: Mapping[str, str]
) -> ImageVariant | None:
    """The service's dependence on matrix values, from its second reading (None: none)."""
    if seen_with_markers is None:
        return None
    template = seen_with_markers.image or ""
    args: dict[str, str] = {}
    if service.build is not None and seen_with_markers.build is not None:
        args = {
            k: str(v)
            for k, v in (seen_with_markers.build.args or {}).items()
            if v is not None and _MARKER.search(str(v))
        }
    if not args and not _MARKER.search(template):
        return None
    used = set(_MARKER.findall(template)) | {v for a in args.values() for v in _MARKER.findall(a)}
    return ImageVariant(
        service.name,
        service.image or "",
        template or service.image or "",
        service.build is not None,
        args,
        {var: keys[var] for var in used if var in keys},
    )


def apply_to_matrix(
    pipeline_task: dict[str, Any],
    variants: Mapping[str, ImageVariant],
    pipeline_params: dict[str, dict[str, Any]],
    findings: list[Finding],
    where: Position,
) -> None:
    """Give each matrix combination its own value of every varying image param.

    The param leaves the pipeline task's ``params`` (Tekton refuses a name in both) and goes
    into each ``matrix.include`` entry: a literal reference for a pulled image, a Pipeline param
    per build for a built one (declared in ``pipeline_params``)."""
    include = (pipeline_task.get("matrix") or {}).get("include") or []
    if not variants:
        return
    if not include:
        findings.append(
            Finding(
                "partial",
                f"the images of {', '.join(f'`{v.service}`' for v in variants.values())} depend "
                "on matrix values, but the matrix is not known before a run: every cell runs "
                "the same image",
                where,
                rule="compose-build",
            )
        )
        return
    names = set(variants)
    pipeline_task["params"] = [p for p in pipeline_task.get("params", []) if p["name"] not in names]
    if not pipeline_task["params"]:
        del pipeline_task["params"]
    for param, variant in variants.items():
        pipeline_params.pop(param, None)
        builds: dict[str, dict[str, str]] = {}
        for combo in include:
            values = {}
            for p in combo.get("params", []):
                for key in variant.keys.values():
                    if p["name"] == param_name("matrix", key):
                        values[key] = str(p["value"])
            image, args, suffix = variant.cell(values)
            value = image
            if variant.built:
                cell_param = dns_label(f"{param}-{suffix}")
                pipeline_params[cell_param] = {
                    "name": cell_param,
                    "type": "string",
                    "description": f"Image of compose service `{variant.service}` built with "
                    + ", ".join(f"{k}={v}" for k, v in args.items()),
                    "default": image,
                }
                builds[cell_param] = args
                value = f"$(params.{cell_param})"
            combo.setdefault("params", []).append({"name": param, "value": value})
        if variant.built:
            how = "; ".join(
                f"`{name}`: " + " ".join(f"--build-arg {k}={v}" for k, v in args.items())
                for name, args in builds.items()
            )
            findings.append(
                Finding(
                    "partial",
                    f"compose service `{variant.service}` builds a different image for each "
                    f"matrix cell (build args {', '.join(sorted(variant.args))} come from the "
                    f"matrix): each cell runs the image of its own param ({how}); nothing in "
                    "the pipeline builds them",
                    where,
                    rule="compose-build",
                    action="build and push each image before the pipeline runs (the Tekton "
                    "catalog's kaniko or buildah task) and pass its reference",
                )
            )


def _split_tag(image: str) -> tuple[str, str]:
    """``repo/name:tag`` -> (``repo/name``, ``tag``); no tag is ``latest``."""
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash and "@" not in image:
        return image[:colon], image[colon + 1 :]
    return image, "latest"
