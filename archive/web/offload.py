"""Work a page cannot do on the event loop: lanes that cap it, threads and a child process.

Every page handler shares one `PageBase`: what a visitor's request costs runs off the event
loop, in a lane with a cap (throttle.Lane), under the search time limit, so cheap pages keep
answering while costly ones wait or get 503 (issue 18).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from . import bridge
from .config import WebConfig
from .throttle import Lane
from .workers import SearchProcess, WorkerGone

BUSY = "The server is busy with other searches; try again in a few seconds."
TIMEOUT = (
    "The search took too long and was stopped; narrow the query (fewer wildcards, a date range)."
)


class PageBase:
    """The lanes, the heavy-search child and the HTML response every page handler uses."""

    def __init__(self, config: WebConfig, csp: str) -> None:
        self.config = config
        self.csp = csp
        wait = config.search_timeout
        self.process = SearchProcess()  # heavy searches: wildcards, collapse, deep pages
        self.lanes = {
            "light": Lane(config.max_concurrent_searches, queue=32, wait_s=wait),
            "heavy": Lane(config.heavy_searches, queue=4, wait_s=wait, duty=0.5),
            # huge article bodies: one at a time, busy at most a third of the time
            "big": Lane(1, queue=4, wait_s=wait, duty=1 / 3),
            "first": Lane(2, queue=64, wait_s=wait),  # articles whose size is not known yet
        }

    async def _in_thread(self, fn: Any, *args: Any, lane: str = "light") -> Any:
        """Run blocking work off the event loop under a lane's cap, with a time limit.

        A thread cannot be stopped: on time-out the visitor gets 503 at once, but the lane's
        slot stays taken until the work really ends, so abandoned work still counts.
        """
        slots = self.lanes[lane]
        await slots.acquire()
        task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        start = time.monotonic()
        task.add_done_callback(lambda t: _finished(t, slots, time.monotonic() - start))
        return await asyncio.wait_for(asyncio.shield(task), self.config.search_timeout)

    async def _in_process(self, fn: Any, *args: Any) -> Any:
        """Heavy work in the niced child process (workers.py), one at a time, stopped at the
        time limit; a visitor's error raised there comes back as itself."""
        slots = self.lanes["heavy"]
        await slots.acquire()
        start = time.monotonic()
        try:
            return await self.process.run(self.config.search_timeout, fn, *args)
        except WorkerGone as exc:
            raise bridge.SearchUnavailable(
                "The search worker stopped; try again in a moment."
            ) from exc
        finally:
            slots.release_after(time.monotonic() - start)

    def _html(self, body: str, status: int = 200) -> Any:
        from datasette import Response

        return Response.html(body, status=status, headers={"content-security-policy": self.csp})


def base_context(datasette: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Template context every page of ours gets (the archive's title for the header)."""
    return {"archive_title": datasette.metadata("title") or "News archive", **context}


def _finished(task: asyncio.Future, lane: Lane, busy_s: float) -> None:
    lane.release_after(busy_s)
    if not task.cancelled():
        task.exception()  # retrieved: work abandoned after a time-out fails quietly
