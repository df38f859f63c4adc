"""The name and value formats Kubernetes and Tekton accept, as plain predicates.

The admission webhooks check these with apimachinery's validators and a few regexes of Tekton's own
(param, result and object-key names); the API server parses durations and quantities with Go's
``time.ParseDuration`` and ``resource.ParseQuantity``. Keeping them here, apart from the rules that
use them, lets each rule say *where* a name is wrong without re-deriving *what* is allowed.
"""

from __future__ import annotations

import re
from typing import Final

DNS1123_LABEL_MAX: Final = 63
DNS1123_SUBDOMAIN_MAX: Final = 253
RESOURCE_NAME_MAX: Final = 63
"""Tekton caps resource names at a label's length (pkg/apis/validate/metadata.go)."""
EVENTLISTENER_NAME_MAX: Final = 60
"""Triggers derives a Service name ``el-<name>`` from it, hence three characters fewer."""

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(_LABEL)
_DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = _QUALIFIED_NAME
_PARAM_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9.-]*")
_OBJECT_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9-]*")
_RESULT_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_QUANTITY = re.compile(
    r"[+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?"
)
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS: Final = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def is_dns1123_label(name: str) -> bool:
    """Names of steps and pipeline tasks become container and pod name parts: labels."""
    return len(name) <= DNS1123_LABEL_MAX and _DNS1123_LABEL.fullmatch(name) is not None


def is_dns1123_subdomain(name: str) -> bool:
    return len(name) <= DNS1123_SUBDOMAIN_MAX and _DNS1123_SUBDOMAIN.fullmatch(name) is not None


def is_qualified_name(name: str) -> bool:
    """apimachinery's IsQualifiedName: ``[prefix/]name``, as a taskRef name and label keys use."""
    prefix, slash, rest = name.rpartition("/")
    if slash and (not prefix or not is_dns1123_subdomain(prefix)):
        return False
    return 0 < len(rest) <= 63 and _QUALIFIED_NAME.fullmatch(rest) is not None


def is_label_value(value: str) -> bool:
    return value == "" or (len(value) <= 63 and _LABEL_VALUE.fullmatch(value) is not None)


def is_param_name(name: str) -> bool:
    """String and array params may hold dots; they are then only reachable by bracket notation."""
    return _PARAM_NAME.fullmatch(name) is not None


def is_object_param_name(name: str) -> bool:
    """Object params and their keys may not hold dots: ``$(params.obj.key)`` splits on them."""
    return _OBJECT_NAME.fullmatch(name) is not None


def is_result_name(name: str) -> bool:
    return _RESULT_NAME.fullmatch(name) is not None


def is_quantity(value: int | float | str) -> bool:
    """resource.Quantity's text form (``500m``, ``1Gi``, ``1e3``); numbers are fine as they are."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return _QUANTITY.fullmatch(value) is not None


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string (``1h30m``, ``90s``, ``0``), or None if Go would refuse it.

    metav1.Duration is unmarshalled with time.ParseDuration, so an unparseable value is rejected by
    the API server before any webhook sees it.
    """
    sign = 1.0
    rest = text
    if rest[:1] in ("+", "-"):
        sign = -1.0 if rest[0] == "-" else 1.0
        rest = rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        return None
    total = 0.0
    pos = 0
    while pos < len(rest):
        match = _DURATION_PART.match(rest, pos)
        if match is None or match.group(1) in ("", "."):
            return None
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def format_seconds(seconds: float) -> str:
    """A duration the way Go prints it, for messages (``1h0m0s``)."""
    whole = int(seconds)
    hours, rem = divmod(abs(whole), 3600)
    minutes, secs = divmod(rem, 60)
    sign = "-" if seconds < 0 else ""
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"


def is_terminated(value: str) -> bool:
    """Triggers' validateParamValue: every ``$(`` is closed by a matching ``)``."""
    if "$(" not in value:
        return True
    for part in value.split("$(")[1:]:
        depth = 0
        closed = False
        for ch in part:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    closed = True
                    break
        if not closed:
            return False
    return True


def canonical_header_key(name: str) -> str:
    """Go's http.CanonicalHeaderKey: ``x-token`` -> ``X-Token`` (names with spaces stay)."""
    if not name or any(c in name for c in " \t\r\n"):
        return name
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))
