"""A cap on arbitrary-SQL requests in flight, so they cannot take every SQL thread.

Datasette runs all queries, cheap or not, on one pool of `num_sql_threads` threads. A query a
visitor writes (`?sql=`, or a `_where=` fragment on a table page) may run to the time limit;
ten of them at once queued a 2 ms table page for seconds (TRAPS.md). This ASGI wrapper lets at
most `limit` such requests run at once and answers the rest at once with 503 and Retry-After,
so table pages, row pages and the archive's own pages always find a free thread.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any
from urllib.parse import parse_qsl

from .security import ASGIApp

# query-string parameters that carry SQL the visitor wrote
SQL_PARAMETERS = frozenset({"sql", "_where"})
BUSY = (
    "The server is busy running other SQL queries; try again in a few seconds "
    "(or use the table pages and /search, which are not limited)."
)


def writes_sql(scope: dict[str, Any]) -> bool:
    """Whether a request carries visitor-written SQL: `?sql=` or `?_where=` on any page."""
    raw = scope.get("query_string") or b""
    if b"sql=" not in raw and b"_where=" not in raw:
        return False  # cheap check first: most requests carry neither
    query = raw.decode("latin-1")
    return any(key in SQL_PARAMETERS for key, _ in parse_qsl(query, keep_blank_values=True))


def sql_slots(num_sql_threads: int) -> int:
    """Arbitrary-SQL requests allowed at once: half the SQL threads, the rest kept for pages.

    Runaway SQL is CPU-bound: free threads do not help pages once every core runs one, so the
    cap also leaves a core for them (2 cores: one visitor query at a time; a 10-client flood
    made a table page take 2.5 s with 4 running).
    """
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    )
    return max(1, min(num_sql_threads // 2, cores - 1))


async def busy(scope: dict[str, Any], send: Any, retry_after_s: int) -> None:
    """503 naming the reason; JSON for .json requests, text otherwise."""
    path = scope.get("path", "")
    if path.endswith(".json") or b"_format=json" in (scope.get("query_string") or b""):
        body = json.dumps({"ok": False, "error": BUSY, "status": 503, "title": "Busy"}).encode()
        kind = b"application/json; charset=utf-8"
    else:
        body = (BUSY + "\n").encode()
        kind = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after_s).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def with_sql_cap(app: ASGIApp, *, limit: int, time_limit_ms: int) -> ASGIApp:
    """Wrap an ASGI app: at most `limit` visitor-SQL requests in flight, the rest get 503.

    One event loop serves every request, so a plain counter is safe. A request holds its slot
    until the app returns, which is after its query stopped (finished or hit the time limit),
    even when the visitor went away: the slot counts threads, not connections.
    """
    in_flight = 0
    retry_after_s = max(1, math.ceil(time_limit_ms / 1000))

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal in_flight
        if scope["type"] != "http" or not writes_sql(scope):
            await app(scope, receive, send)
            return
        if in_flight >= limit:
            await busy(scope, send, retry_after_s)
            return
        in_flight += 1
        try:
            await app(scope, receive, send)
        finally:
            in_flight -= 1

    return wrapped
