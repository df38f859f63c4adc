"""Compose's override rules: how ``-f a.yml -f b.yml`` (or a ``compose.override.yaml``) combine.

Merging happens on the interpolated plain data, before the merged result is validated, because
that is how compose does it: an override file may be a fragment that is no valid project alone.
The rules follow the compose spec's merge chapter:

* mappings merge key by key, scalars are replaced;
* ``command``, ``entrypoint`` and ``healthcheck.test`` are replaced whole, never appended (so is
  ``gpus`` when either side is ``all``);
* ``environment``, ``labels``, ``build.args``, ``depends_on`` and service ``networks`` merge by
  key, whichever of the list or map syntaxes each file used;
* ``volumes`` merge by mount point, ``ports`` by (ip, target, published, protocol), ``secrets``
  and ``configs`` by target: an entry sharing the key merges into the earlier one;
* other lists (``cap_add``, ``dns``, ``profiles``, ...) are appended without repeats.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ghtotekton.compose.model import key_value_dict, parse_port, parse_volume

_REPLACED = frozenset({"command", "entrypoint"})
_KEYED_MAPS = {
    "environment": None,
    "labels": "",
    "annotations": "",
    "sysctls": "",
}


def merge_files(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` applied on ``base``; neither input is changed."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key == "services" and isinstance(value, dict) and isinstance(out.get(key), dict):
            services: dict[str, Any] = out[key]
            for name, service in value.items():
                if isinstance(service, dict) and isinstance(services.get(name), dict):
                    services[name] = merge_service(services[name], service)
                else:
                    services[name] = copy.deepcopy(service)
        else:
            out[key] = _merge_value(out.get(key), value)
    return out


def merge_service(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """One service of ``override`` applied on the same service of ``base``."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if (
            key not in out
            or out[key] is None
            or key in _REPLACED
            or (key == "gpus" and not (isinstance(value, list) and isinstance(out[key], list)))
        ):
            out[key] = copy.deepcopy(value)
        elif key in _KEYED_MAPS:
            out[key] = _merge_keyed(out[key], value, key, _KEYED_MAPS[key])
        elif key == "build":
            out[key] = _merge_build(out[key], value)
        elif key == "healthcheck" and isinstance(value, dict) and isinstance(out[key], dict):
            health = {k: v for k, v in value.items() if k != "test"}
            merged = _merge_value(out[key], health)
            if "test" in value:
                merged["test"] = copy.deepcopy(value["test"])
            out[key] = merged
        elif key in ("depends_on", "networks"):
            out[key] = _merge_value(_names_to_map(out[key]), _names_to_map(value))
        elif key == "volumes":
            out[key] = _merge_unique(out[key], value, parse_volume, _volume_key)
        elif key == "ports":
            out[key] = _merge_unique(out[key], value, parse_port, _port_key)
        elif key in ("secrets", "configs"):
            out[key] = _merge_unique(out[key], value, _resource_long, _resource_key)
        else:
            out[key] = _merge_value(out[key], value)
    return out


def _merge_value(base: Any, override: Any) -> Any:
    """The default rules: mappings merge, lists append without repeats, scalars are replaced."""
    if override is None and isinstance(base, dict | list):
        return base  # an empty entry (`volumes: {data: }`) adds nothing to what is there
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = _merge_value(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(override, list) and isinstance(base, list | str):
        merged = list(base) if isinstance(base, list) else [base]
        for item in override:
            if item not in merged:
                merged.append(copy.deepcopy(item))
        return merged
    if isinstance(base, list) and isinstance(override, str):
        return base if override in base else [*base, override]
    return copy.deepcopy(override)


def _merge_keyed(base: Any, override: Any, what: str, empty: str | None) -> Any:
    try:
        merged = key_value_dict(base, what, empty=empty)
        merged.update(key_value_dict(override, what, empty=empty))
    except ValueError:
        return copy.deepcopy(override)  # a shape the model will reject with a position anyway
    return merged


def _merge_build(base: Any, override: Any) -> Any:
    base_map = {"context": base} if isinstance(base, str) else base
    over_map = {"context": override} if isinstance(override, str) else override
    if not isinstance(base_map, dict) or not isinstance(over_map, dict):
        return copy.deepcopy(override)
    args = (base_map.get("args"), over_map.get("args"))
    merged = _merge_value(base_map, {k: v for k, v in over_map.items() if k != "args"})
    if args[1] is not None:
        merged["args"] = _merge_keyed(args[0], args[1], "build.args", None)
    return merged


def _names_to_map(value: Any) -> Any:
    """``[a, b]`` as ``{a: {}, b: {}}``, the form both ``depends_on`` and ``networks`` accept."""
    if isinstance(value, list):
        return {str(v): {} for v in value}
    if isinstance(value, dict):
        return {k: ({} if v is None else v) for k, v in value.items()}
    return value


def _merge_unique(
    base: Any,
    override: Any,
    to_long: Callable[[Any], Any],
    key_of: Callable[[dict[str, Any]], Any],
) -> Any:
    """Append entries of ``override``; one whose unique key is already there merges into it."""
    if not isinstance(base, list) or not isinstance(override, list):
        return copy.deepcopy(override)
    try:
        merged: list[Any] = [to_long(v) for v in base]
        incoming = [to_long(v) for v in override]
    except ValueError:
        return [*copy.deepcopy(base), *copy.deepcopy(override)]
    index = {key_of(v): i for i, v in enumerate(merged) if isinstance(v, dict)}
    for item in incoming:
        key = key_of(item) if isinstance(item, dict) else None
        if key is not None and key in index:
            merged[index[key]] = _merge_value(merged[index[key]], item)
        else:
            if key is not None:
                index[key] = len(merged)
            merged.append(copy.deepcopy(item))
    return merged


def _volume_key(item: dict[str, Any]) -> Any:
    return item.get("target")


def _port_key(item: dict[str, Any]) -> Any:
    return (
        item.get("host_ip"),
        str(item.get("target")),
        None if item.get("published") is None else str(item.get("published")),
        item.get("protocol") or "tcp",
    )


def _resource_long(value: Any) -> Any:
    return {"source": value} if isinstance(value, str) else value


def _resource_key(item: dict[str, Any]) -> Any:
    """Compose mounts a secret or config named ``x`` at ``/run/secrets/x`` (``/x``) by default."""
    return item.get("target") or item.get("source")
