"""Heavy searches in a separate, lower-priority process that can be stopped.

Whoosh is pure Python: a wildcard search with collapse at 10k articles runs ~6 s holding the
GIL, and in a thread of the server it made the event loop wait its turn for every step of
every cheap page (issue 18: /search?q=music and /article/1 at a 5.9 s median). In a child
process it holds only its own GIL; the child is `nice`d, so the kernel gives the server's
process the CPU first; and a search past its time limit is stopped by killing the child
(a thread can never be stopped), so the cap counts work really running.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

NICE = 10


def _start_worker(parent: int) -> None:
    from index.part_writer import die_with_parent

    die_with_parent(parent)
    with contextlib.suppress(OSError):
        os.nice(NICE)


def _warm() -> bool:
    from . import bridge

    with contextlib.suppress(Exception):
        bridge._searching()  # imports Whoosh and the search module once, before a visitor waits
    return True


class WorkerGone(Exception):
    """The worker process died (killed at the time limit, or crashed)."""


class SearchProcess:
    """One child process running blocking calls, one at a time; restarted when killed."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return self._pool

    def warm(self) -> None:
        self._executor().submit(_warm)

    async def run(self, timeout_s: float, fn: Any, *args: Any) -> Any:
        """`fn(*args)` in the child; TimeoutError (and the child killed) past `timeout_s`."""
        future = asyncio.get_running_loop().run_in_executor(self._executor(), fn, *args)
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            self.stop()
            raise
        except BrokenProcessPool as exc:
            self._pool = None
            raise WorkerGone(str(exc)) from exc

    def stop(self) -> None:
        """Kill the child now (work past its time limit); the next call starts a new one."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
