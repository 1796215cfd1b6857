"""Security headers for every response and a read-only door, added by an ASGI wrapper.

Datasette sends no security headers, and some of its views answer POSTs (messages, debug
pages, canned queries); a read-only archive has no use for any method but GET and HEAD.

Datasette's own pages need inline scripts and styles, so they get a policy that allows those;
the archive's pages (search, article) set a strict policy themselves, which this wrapper keeps.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]

DATASETTE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def strict_csp(script_hashes: list[str]) -> str:
    """The policy of our own pages: nothing inline except the scripts we ship, by hash."""
    scripts = " ".join(["'self'", *(f"'{h}'" for h in script_hashes)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def inline_script_hashes(html: str) -> list[str]:
    """CSP hashes of the inline scripts in trusted template output (Datasette's base.html)."""
    return [
        "sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        for body in _SCRIPT.findall(html)
    ]


def header_list(public: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"content-security-policy", DATASETTE_CSP.encode()),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if public:
        headers.append((b"x-robots-tag", b"noindex, nofollow"))
    return headers


READ_METHODS = {"GET", "HEAD"}
REFUSAL = b"This archive is read-only: only GET and HEAD requests are served.\n"


async def refuse(send: Any, extra: list[tuple[bytes, bytes]]) -> None:
    """405 for any method that could change something (POST, PUT, PATCH, DELETE, ...)."""
    await send(
        {
            "type": "http.response.start",
            "status": 405,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"allow", b"GET, HEAD"),
                (b"content-length", str(len(REFUSAL)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": REFUSAL})


def with_security_headers(app: ASGIApp, *, public: bool) -> ASGIApp:
    """Wrap an ASGI app: only reads get through, and each response carries the headers it lacks."""
    extra = header_list(public)

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if scope.get("method", "GET").upper() not in READ_METHODS:
            await refuse(send, extra)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
