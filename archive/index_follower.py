"""The index follower: one process that indexes committed rows while the ingester goes on.

Why: on the ingester's own thread, Whoosh (tokenizing, sorting postings, writing segments)
ran serially with extraction, SQLite and dedup, so ingest stayed well below the rate of a
bare Whoosh build. The follower is a child process with its own SQLite connection (WAL lets
it read while the ingester writes) and the only Whoosh writer (`procs=1`), kept open: it adds
rows as soon as they are committed and commits every span (`archive.index_stream.IndexStream`).
The ingester writes one byte on the child's stdin after each committed batch (a wake-up),
`f` when it is done, and reads one JSON line back.

It changes nothing in what is safe: rows are indexed only once committed, the watermark
moves only after a Whoosh commit, and a kill -9 at any point is repaired by the next
command's catch-up. The child is a fresh interpreter (`python -m archive.index_follower`),
not a fork: SQLite keeps per-file lock state in the process, and a forked copy of a process
with the archive open fails with "locking protocol". It inherits no descriptor but its pipes
and dies with its parent (PR_SET_PDEATHSIG), so no orphan can keep Whoosh's lock.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from index.errors import IndexBusy, IndexError_
from index.part_writer import die_with_parent

WAKE_POLL_S = 1.0  # the follower also looks for new rows this often, should a wake-up be lost
STOP_WAIT_S = 10.0  # how long an interrupted ingest lets the follower end its current commit
WAKE, FINISH = b"w", b"f"


def index_problem(index_dir: Path, reason: str) -> str:
    """The sentence an ingest prints when its articles are archived but not yet searchable."""
    return (
        f"the search index in {index_dir} was not updated ({reason}); the articles are "
        "archived and the next command indexes them once the index folder can be written "
        "(or run `newsarchive reindex`)."
    )


class IndexFollower:
    """Parent side: start the child, wake it after each committed batch, finish or stop it.

    Use as the pipeline's `after_commit` callback. `error` holds the one-line problem (also
    printed on stderr) when the index could not take the committed articles.
    """

    def __init__(
        self,
        archive_dir: Path,
        index_dir: Path,
        span: int,
        grow: bool = False,
        *,
        part: bool = False,
    ) -> None:
        self.archive_dir = Path(archive_dir)
        self.index_dir = Path(index_dir)
        self.span = max(1, span)
        self.grow = grow
        self.part = part  # a second writer process (index/part_writer.py) shares the indexing
        self.error: str | None = None
        self.indexed = 0
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> IndexFollower:
        cmd = [
            sys.executable,
            "-m",
            "archive.index_follower",
            "--parent",
            str(os.getpid()),
            "--archive",
            str(self.archive_dir.resolve()),
            "--index",
            str(self.index_dir.resolve()),
            "--span",
            str(self.span),
            *(["--grow"] if self.grow else []),
            *(["--part"] if self.part else []),
        ]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        os.set_blocking(self._proc.stdin.fileno(), False)  # type: ignore[union-attr]
        return self

    def __call__(self, _store: Any = None, _result: Any = None) -> None:
        """After a batch is committed: new rows to index (never waits for the follower)."""
        if self._proc is None:
            return
        # BlockingIOError: the pipe is full of unread wake-ups already; BrokenPipe: the
        # follower has died, and finish() reports it.
        with contextlib.suppress(BlockingIOError, BrokenPipeError):
            os.write(self._proc.stdin.fileno(), WAKE)  # type: ignore[union-attr]

    def finish(self, _store: Any = None) -> None:
        """Index everything still pending, merge, and wait for the child; sets `error`."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None and proc.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            os.set_blocking(proc.stdin.fileno(), True)  # the follower drains its pipe
            os.write(proc.stdin.fileno(), FINISH)
        with contextlib.suppress(OSError):
            proc.stdin.close()
        output = proc.stdout.read()
        proc.stdout.close()
        code = proc.wait()
        try:
            outcome = json.loads(output.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            self._report(f"the indexing process ended unexpectedly (exit status {code})")
            return
        self.indexed = int(outcome.get("indexed", 0))
        if outcome.get("error"):
            self._report(str(outcome["error"]))

    def stop(self) -> None:
        """Interrupted ingest: let the current Whoosh commit end, then stop; the rest waits."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:  # safe as a crash is: the next command catches up
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]

    def _report(self, reason: str) -> None:
        if self.error is None:
            self.error = index_problem(self.index_dir, reason)
            print(f"Error: {self.error}", file=sys.stderr)


# ----------------------------------------------------------------------------- the child
_stopping = False


def _on_stop(_signum: int, _frame: Any) -> None:
    global _stopping
    _stopping = True


def _wait_for_wake(fd: int) -> bool:
    """Wait for a wake-up (or the poll interval); True once the parent said it is done."""
    ready, _, _ = select.select([fd], [], [], WAKE_POLL_S)
    if not ready:
        return False
    data = os.read(fd, 65536)
    return not data or FINISH in data  # EOF: the parent is gone or has closed the pipe


def follow(
    archive_dir: Path, index_dir: Path, span: int, fd: int, grow: bool = False, part: bool = False
) -> int:
    """Index rows as they are committed (`IndexStream`), the rest when the parent is done."""
    from index.part_writer import PartWriter, can_fork
    from index.writer import writer as open_writer

    from .index_stream import IndexStream
    from .indexing import ArchiveDB

    # forked before the archive and the index are opened: the part writer inherits neither
    second = PartWriter(index_dir, open_writer) if part and can_fork() else None
    try:
        db = ArchiveDB.open(archive_dir)
    except BaseException:
        if second is not None:
            second.close()
        raise
    stream = None
    try:
        stream = IndexStream(db, index_dir, span, grow=grow, part=second)
        while not _stopping:
            finished = _wait_for_wake(fd)
            if _stopping:
                break
            stream.pull()
            if finished:
                return stream.finish()
        return stream.indexed
    finally:
        if stream is not None:
            stream.stop()
        elif second is not None:
            second.close()
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Index an ingest's committed rows (internal).")
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--span", type=int, required=True)
    parser.add_argument("--grow", action="store_true", help="span grows with the index")
    parser.add_argument("--part", action="store_true", help="a second writer process helps")
    args = parser.parse_args(argv)
    die_with_parent(args.parent)
    from . import indexing

    indexing.CRASH_WITH.append(args.parent)  # a simulated power cut takes the ingester too
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, _on_stop)
    outcome: dict[str, Any] = {"indexed": 0, "error": None}
    try:
        outcome["indexed"] = follow(
            args.archive, args.index, args.span, sys.stdin.fileno(), grow=args.grow, part=args.part
        )
    except IndexBusy:
        pass  # another process holds the index and indexes what is committed, ours included
    except (IndexError_, OSError, sqlite3.Error) as exc:
        outcome["error"] = str(exc)
    except Exception as exc:  # a bug: still one line for the user, and the ingest exits 1
        outcome["error"] = f"{type(exc).__name__}: {exc}"
    with contextlib.suppress(OSError):
        sys.stdout.write(json.dumps(outcome) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
