"""The little HTTP both remote sources need, on the standard library only.

Why not urllib's defaults: its redirect handler forwards headers added with ``add_header`` to
whatever host the redirect names, and a CI token must never reach an artifact storage host. So
redirects are followed here, by hand, and credentials go only to the origin they were meant for.
Every response is read with a byte limit and every request has a timeout, so a hostile or broken
server can neither fill memory nor hang the comparison.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

from ghtotekton.errors import InputError, input_error

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpFailure:
    """An HTTP error response, handed to the source so it can word the error for its API."""

    url: str
    status: int
    headers: Message
    body: bytes

    def json_message(self) -> str:
        """The ``message`` field both GitHub and Kubernetes put in their error bodies."""
        try:
            data = json.loads(self.body.decode("utf-8", "replace"))
        except ValueError:
            return self.body.decode("utf-8", "replace").strip()[:200]
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return str(data["message"])
        return ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


def origin(url: str) -> tuple[str, str]:
    """Scheme and host:port; credentials are bound to this, as browsers bind cookies."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, f"{(parts.hostname or '').lower()}:{port}"


@dataclass
class HttpClient:
    """GET with per-origin credentials, manual redirects, byte limits and timeouts.

    ``label`` names the remote source in every error (it is the Position's file); ``on_error``
    turns an HTTP error response into the source's own wording.
    """

    label: str
    timeout_s: float
    on_error: Callable[[HttpFailure], InputError]
    ssl_context: ssl.SSLContext | None = None
    auth: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)
    """Extra headers (the credential) per origin; sent to that origin only."""

    def get_json(self, url: str, headers: Mapping[str, str], max_bytes: int) -> tuple[Any, Message]:
        with self._open(url, headers) as (final_url, resp):
            body = _read_limited(resp, max_bytes, self.label, final_url)
            resp_headers = resp.headers
        try:
            return json.loads(body.decode("utf-8")), resp_headers
        except (UnicodeDecodeError, ValueError) as exc:
            raise input_error(
                self.label,
                0,
                0,
                f"{_show(final_url)} did not answer with JSON ({exc})",
                "check the API base URL",
            ) from None

    def download(self, url: str, headers: Mapping[str, str], dest: Path, max_bytes: int) -> int:
        """Stream a body into dest, refusing it once it passes max_bytes; returns the size."""
        count = 0
        with self._open(url, headers) as (final_url, resp), dest.open("wb") as out:
            while True:
                chunk = _read_chunk(resp, self.label, final_url)
                if not chunk:
                    break
                count += len(chunk)
                if count > max_bytes:
                    raise input_error(
                        self.label,
                        0,
                        0,
                        f"download from {_show(final_url)} is larger than {max_bytes} bytes",
                        "raise max_total_bytes in BundleLimits if the archive is real",
                    )
                out.write(chunk)
        return count

    # -- internals -----------------------------------------------------------------------

    def _open(self, url: str, headers: Mapping[str, str]) -> _Opened:
        opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=self.ssl_context)
        )
        current = url
        for _ in range(_MAX_REDIRECTS + 1):
            scheme = urllib.parse.urlsplit(current).scheme
            if scheme not in ("http", "https"):
                raise input_error(
                    self.label,
                    0,
                    0,
                    f"refusing to follow a {scheme or 'relative'} URL",
                    "only http and https are fetched",
                )
            req = urllib.request.Request(current, method="GET")
            for key, value in headers.items():
                req.add_header(key, value)
            for key, value in self.auth.get(origin(current), {}).items():
                req.add_header(key, value)
            try:
                resp = opener.open(req, timeout=self.timeout_s)
            except urllib.error.HTTPError as exc:
                try:
                    location = exc.headers.get("Location")
                    if exc.code in _REDIRECTS and location:
                        current = urllib.parse.urljoin(current, location)
                        continue
                    body = _read_limited(exc, 64 * 1024, self.label, current, truncate=True)
                    raise self.on_error(HttpFailure(current, exc.code, exc.headers, body)) from None
                finally:
                    exc.close()
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                raise _unreachable(self.label, current, exc) from None
            return _Opened(current, resp)
        raise input_error(
            self.label,
            0,
            0,
            f"more than {_MAX_REDIRECTS} redirects from {_show(url)}",
            "check the URL",
        )


class _Opened:
    """Context manager that yields (final URL, response) and always closes the response."""

    def __init__(self, url: str, resp: Any) -> None:
        self.url = url
        self.resp = resp

    def __enter__(self) -> tuple[str, Any]:
        return self.url, self.resp

    def __exit__(self, *exc: object) -> None:
        self.resp.close()


def _read_chunk(resp: Any, label: str, url: str) -> bytes:
    try:
        data: bytes = resp.read(_CHUNK)
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(label, url, exc) from None
    return data


def _read_limited(resp: Any, max_bytes: int, label: str, url: str, truncate: bool = False) -> bytes:
    parts: list[bytes] = []
    count = 0
    while True:
        chunk = _read_chunk(resp, label, url)
        if not chunk:
            break
        count += len(chunk)
        if count > max_bytes:
            if truncate:
                parts.append(chunk)
                break
            raise input_error(
                label,
                0,
                0,
                f"response from {_show(url)} is larger than {max_bytes} bytes",
                "raise max_api_bytes in BundleLimits",
            )
        parts.append(chunk)
    return b"".join(parts)[: max_bytes if truncate else None]


def _unreachable(label: str, url: str, exc: BaseException) -> InputError:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.timeout | TimeoutError):
        reason = "timed out"
    return input_error(
        label,
        0,
        0,
        f"cannot reach {_show(url)}: {reason}",
        "check the network and the API base URL",
    )


def _show(url: str) -> str:
    """The URL without its query (signed storage URLs carry credentials in the query)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


def next_link(headers: Message) -> str | None:
    """The rel="next" URL of an RFC 8288 Link header (GitHub's pagination), if any."""
    for value in headers.get_all("Link") or []:
        for url, rels in _LINK.findall(value):
            if "next" in rels.split():
                return str(url)
    return None
