"""Run a capture to its end or to a stop: Ctrl-C and SIGTERM keep everything finished.

Ctrl-C (or SIGTERM) cancels the fetches in flight; the open WARC file is closed with its
complete records, ingested, and the finished outcomes committed, then the run is marked
`interrupted`. A kill -9 cannot do that: the next run salvages the `.partial` file instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from .fetcher import Settings
from .report import Reporter
from .session import Capture, Summary

EXIT_INTERRUPTED = 130


class Stopped(Exception):
    """Ctrl-C or SIGTERM stopped the run; `summary` holds what was done before."""

    def __init__(self, summary: Summary) -> None:
        super().__init__("stopped")
        self.summary = summary


def run_capture(
    archive_dir: Path,
    settings: Settings,
    reporter: Reporter,
    arguments: list[str],
    work: Callable[[Capture], Coroutine[Any, Any, Summary]],
    *,
    batch: int = 100,
    recheck: bool = False,
) -> Summary:
    """Open the capture, recover what a killed run left, run `work`, close. Raises Stopped."""
    capture = Capture(archive_dir, settings, reporter, arguments, batch=batch, recheck=recheck)
    status = "failed"
    try:

        async def main() -> Summary:
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            if task is not None:
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(signal.SIGTERM, task.cancel)
            return await work(capture)

        try:
            capture.recover()  # a Ctrl-C here stops the run like one later on
            summary = asyncio.run(main())
        except (KeyboardInterrupt, asyncio.CancelledError):
            status = "interrupted"
            reporter.close()
            capture.close(status)
            raise Stopped(capture.summary) from None
        status = "done"
        return summary
    finally:
        reporter.close()
        if status != "interrupted":
            capture.close(status)
