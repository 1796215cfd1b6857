"""Caps on requests whose cost the visitor controls, so cheap pages always find a thread.

Datasette runs all queries, cheap or not, on one pool of `num_sql_threads` threads, and renders
every page on one event loop. A query a visitor writes (`?sql=`, `?_where=`), a full-text
table search (`?_search=the OR a*`), a `__contains` filter, a facet on a long column, a sort
or a page of 2,000 rows may each run to the time limit or fill the loop; twenty of them at
once made `/` take 18-27 s (issue 18). This ASGI wrapper sorts requests into lanes:

- `sql`: visitor-written SQL; at most `limit` at once, the rest answered 503 at once.
- `costly`: table and query pages with any parameter that changes their cost; at most `limit`
  run at once, a few more wait their turn briefly, the rest get 503 with Retry-After.
- everything else (the home page, plain table pages, row pages, the archive's own pages,
  which bound their own work) passes untouched.

An HTML table page may not ask for more rows than `MAX_HTML_ROWS` (the page is rendered on
the event loop); the JSON form may, up to Datasette's `max_returned_rows`.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .security import ASGIApp

# query-string parameters that carry SQL the visitor wrote
SQL_PARAMETERS = frozenset({"sql", "_where"})
# parameters that never change what a table page costs
HARMLESS = frozenset(
    {"_shape", "_labels", "_nolabels", "_format", "_json", "_nl", "_nofacet", "_nocount",
     "_col", "_nocol", "_nosuggest", "_context", "_hide_sql"}
)  # fmt: skip
CHEAP_SIZE = 100  # a `_size` up to this is an ordinary page
MAX_HTML_ROWS = 200
# paths that are never Datasette's table or query pages: ours bound their own work
OWN_PREFIXES = ("/search", "/article/", "/-/", "/newsarchive-static/", "/static/", "/robots.txt")
BUSY = (
    "The server is busy running other costly requests; try again in a few seconds "
    "(plain table pages, /search and article pages are not limited)."
)


class Busy(Exception):
    """No slot in a lane, and no room to wait for one."""


@dataclass(slots=True)
class Lane:
    """At most `limit` requests at once; up to `queue` more wait up to `wait_s`; the rest: Busy.

    One event loop runs every request, so plain counters are safe. A request holds its slot
    until its work ends (finished or cut at the time limit), even when the visitor went away:
    the slot counts threads, not connections. A freed slot goes to the longest waiter.
    """

    limit: int
    queue: int = 0
    wait_s: float = 0.0
    duty: float = 1.0  # share of the time a slot may be busy: below 1, it rests after use
    running: int = 0
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque, repr=False)

    async def acquire(self) -> None:
        """Take a slot, waiting in line if there is room; Busy otherwise."""
        if self.running < self.limit and not self.waiters:
            self.running += 1
            return
        if len(self.waiters) >= self.queue:
            raise Busy
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(turn)
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.wait_s)
        except (TimeoutError, asyncio.CancelledError) as exc:
            if turn.done():  # the slot was handed over as time ran out: give it back
                self.release()
            else:
                self.waiters.remove(turn)
                turn.cancel()
            if isinstance(exc, TimeoutError):
                raise Busy from None
            raise

    def release(self) -> None:
        """Give the slot to the longest waiter, or free it."""
        while self.waiters:
            turn = self.waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes on: `running` stays
                return
        self.running -= 1

    def release_after(self, busy_s: float) -> None:
        """Release a slot that was busy `busy_s`; with duty < 1 it rests in proportion first,
        so a stream of costly requests cannot keep a core (or the GIL) all to itself."""
        rest = busy_s * (1 / self.duty - 1) if 0 < self.duty < 1 else 0.0
        if rest <= 0.001:
            self.release()
        else:
            asyncio.get_running_loop().call_later(min(rest, 30.0), self.release)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        start = time.monotonic()
        try:
            yield
        finally:
            self.release_after(time.monotonic() - start)


def cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 2


def sql_slots(num_sql_threads: int) -> int:
    """Arbitrary-SQL requests allowed at once: half the SQL threads, the rest kept for pages.

    Runaway SQL is CPU-bound: free threads do not help pages once every core runs one, so the
    cap also leaves a core for them (2 cores: one visitor query at a time; a 10-client flood
    made a table page take 2.5 s with 4 running).
    """
    return max(1, min(num_sql_threads // 2, cores() - 1))


def _params(scope: dict[str, Any]) -> list[tuple[str, str]]:
    raw = scope.get("query_string") or b""
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if raw else []


def writes_sql(scope: dict[str, Any]) -> bool:
    """Whether a request carries visitor-written SQL: `?sql=` or `?_where=` on any page."""
    raw = scope.get("query_string") or b""
    if b"sql=" not in raw and b"_where=" not in raw:
        return False  # cheap check first: most requests carry neither
    return any(key in SQL_PARAMETERS for key, _ in _params(scope))


def _costly_parameter(key: str, value: str) -> bool:
    if key in HARMLESS:
        return False
    if key == "_size":
        return not (value.isdigit() and int(value) <= CHEAP_SIZE)
    return True  # searches, filters (col__op, col=value), facets, sorts, _next, _through ...


def classify(scope: dict[str, Any]) -> str | None:
    """'sql', 'costly' or None (cheap) for one HTTP request."""
    if writes_sql(scope):
        return "sql"
    path = scope.get("path") or "/"
    if path == "/" or path.startswith(OWN_PREFIXES):
        return None
    if path.strip("/").count("/") >= 2:
        return "costly"  # a row page shows every cell whole, however long (a 20 MB body)
    if not scope.get("query_string"):
        return None
    if any(_costly_parameter(k, v) for k, v in _params(scope)):
        return "costly"
    return None


def html_rows_refusal(scope: dict[str, Any]) -> str | None:
    """The 400 message for a `_size` that is not a number of rows, or for an HTML table page
    asking for too many rows; else None."""
    path = scope.get("path") or "/"
    for key, value in _params(scope):
        if key == "_size" and value != "max" and not value.isdigit():
            return f"_size={value!r} is not a number of rows: use a whole number or max."
    if "." in path.rsplit("/", 1)[-1] or path.startswith(OWN_PREFIXES):
        return None  # .json, .csv, .atom ... and our own pages
    for key, value in _params(scope):
        if key == "_size" and (value == "max" or (value.isdigit() and int(value) > MAX_HTML_ROWS)):
            return (
                f"_size={value} is too many rows for an HTML page (at most {MAX_HTML_ROWS}); "
                "ask the .json form of this page for more."
            )
    return None


async def answer(
    scope: dict[str, Any], send: Any, status: int, message: str, retry_after_s: int = 0
) -> None:
    """A one-line answer; JSON for .json requests, text otherwise."""
    path = scope.get("path", "")
    if path.endswith(".json") or b"_format=json" in (scope.get("query_string") or b""):
        title = "Busy" if status == 503 else "Bad request"
        body = json.dumps({"ok": False, "error": message, "status": status, "title": title})
        data, kind = body.encode(), b"application/json; charset=utf-8"
    else:
        data, kind = (message + "\n").encode(), b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(data)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if retry_after_s:
        headers.append((b"retry-after", str(retry_after_s).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def busy(scope: dict[str, Any], send: Any, retry_after_s: int) -> None:
    await answer(scope, send, 503, BUSY, retry_after_s)


def with_sql_cap(
    app: ASGIApp,
    *,
    limit: int,
    time_limit_ms: int,
    costly_limit: int | None = None,
    costly_queue: int = 8,
    precheck: Any = None,
) -> ASGIApp:
    """Wrap an ASGI app: visitor SQL and costly table requests each run under their own cap."""
    retry_after_s = max(1, math.ceil(time_limit_ms / 1000))
    lanes = {
        "sql": Lane(limit),
        "costly": Lane(
            costly_limit or max(1, cores() - 1),
            queue=costly_queue,
            wait_s=max(1.0, 2 * time_limit_ms / 1000),
            duty=0.5,
        ),
    }

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = classify(scope) if scope["type"] == "http" else None
        if kind is None:
            await app(scope, receive, send)
            return
        refusal = html_rows_refusal(scope)
        if refusal is None and precheck is not None:
            refusal = await precheck(scope)  # e.g. a sort by an unknown column: 400 at once
        if refusal:
            await answer(scope, send, 400, refusal)
            return
        try:
            async with lanes[kind].slot():
                await app(scope, receive, send)
        except Busy:
            await busy(scope, send, retry_after_s)

    wrapped.lanes = lanes  # type: ignore[attr-defined]  # for tests and /-/ introspection
    return wrapped
