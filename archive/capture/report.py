"""What a capture shows while it runs: a progress bar on a terminal, one line per problem.

Every line that holds text from the web (URLs, server messages) has its control characters
escaped first, so a hostile URL cannot drive the terminal.
"""

from __future__ import annotations

import sys
from typing import Any

from .fetcher import Outcome

# C0 and C1 controls and DEL, escaped as \\xNN: nothing from the web reaches the terminal raw
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str) -> str:
    return text.translate(_CONTROLS)


class Reporter:
    """Progress on stderr when it is a terminal (nothing when piped); lines always."""

    def __init__(self, *, progress: bool | None = None) -> None:
        self.show = sys.stderr.isatty() if progress is None else progress
        self._progress: Any = None
        self._task: Any = None
        self.lines: list[str] = []

    def expect(self, count: int) -> None:
        """A new batch of `count` pages is about to be fetched."""
        if not self.show or count == 0:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[last]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("fetch", total=count, last="")
        else:
            self._progress.update(self._task, total=count, completed=0, description="fetch")

    def phase(self, name: str) -> None:
        """What the bar's label says: fetch while fetching, ingest while a WARC is ingested."""
        if self._progress is not None:
            self._progress.update(self._task, description=name)

    def outcome(self, outcome: Outcome) -> None:
        if outcome.status == "failed":
            self.line(f"Error: {outcome.message}")
        elif outcome.status == "refused":
            self.line(f"Refused: {outcome.message}")
        if self._progress is not None and outcome.kind == "page":
            self._progress.update(self._task, advance=1, last=printable(outcome.url)[-60:])

    def line(self, message: str) -> None:
        text = printable(message)
        self.lines.append(text)
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
