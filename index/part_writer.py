"""A second Whoosh writer in a forked process: the index follower's other core.

Why: Whoosh's write path (analysis, the postings pool, writing a segment) runs on one core,
and the ingest's follower was its bottleneck: on 2 cores the ingest spent its last third
indexing on one core with the other idle, and stayed at 0.82-0.97x the rate of a bare Whoosh
build. A part writer indexes a share of each span's new articles into a segment of its own,
at the same time as the follower indexes the rest, and the follower lists both segments in
one commit.

What keeps it safe (TRAPS.md: Whoosh's own multi-process writer leaves children holding
the lock when its parent is killed):
- The part writer never takes the index's lock nor writes in the index folder. It builds a
  one-segment index in a hidden side folder (`.part-PID-N`, skipped by Whoosh) and says
  when it is done; the follower, which holds the lock, moves the segment file in and commits.
- It is forked before the follower opens the archive or the index, so it inherits no lock
  and no database; it closes the follower's pipes, and dies with the follower
  (PR_SET_PDEATHSIG), which dies with the ingest.
- A kill at any point leaves at most a side folder (removed by the next writer, under the
  lock: `remove_stale_parts`) or a segment file no TOC lists (removed by Whoosh's next
  commit); the watermark moves only after the commit that lists the part.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any

from .errors import IndexError_
from .whoosh_internals import writing as internals

PART_PREFIX = ".part-"
PIPE_BYTES = 1 << 20  # Linux's default most for an unprivileged process
PART_CHUNK = 32  # rows pickled into the pipe at a time


def can_fork() -> bool:
    """Whether this platform can start a part writer (it is forked)."""
    return hasattr(os, "fork")


def several_cores() -> bool:
    """Whether a part writer can start and has a core of its own to run on."""
    if not can_fork():
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) > 1


class PartWriterFailed(IndexError_):
    """The part writer died or could not write its segment; its rows must be indexed again."""


def remove_stale_parts(index_dir: Path) -> None:
    """Side folders left by a killed part writer (call while holding the index's lock)."""
    with contextlib.suppress(FileNotFoundError):
        for child in Path(index_dir).iterdir():
            if child.name.startswith(PART_PREFIX) and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)


class PartWriter:
    """Parent side: send rows, ask for the segment, adopt it into the index folder.

    `add` rarely waits (rows go into the pipe PART_CHUNK at a time; `flush` sends the rest);
    `start_segment` asks the child to commit its side index and returns `collect`, which
    waits for it and moves the segment files into the index folder, returning the Whoosh
    segments to list in the writer's commit (`OpenWriter.commit(parts=...)`).
    """

    def __init__(self, index_dir: Path, open_writer: Callable[..., Any]) -> None:
        """`open_writer(index, wait=0)` opens the side index's writer (`index.writer.writer`,
        passed in so this module never imports the writer that imports it)."""
        self.index_dir = Path(index_dir)
        rows_in, rows_out = Pipe(duplex=False)
        replies_in, replies_out = Pipe(duplex=False)
        with contextlib.suppress(OSError, AttributeError):  # room for a few chunks of rows,
            fcntl.fcntl(rows_out.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # so add() rarely waits
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child never returns from here
            rows_out.close()
            replies_in.close()
            _child_main(rows_in, replies_out, parent, self.index_dir, open_writer)
        rows_in.close()
        replies_out.close()
        self.pid = pid
        self._rows: Connection | None = rows_out
        self._replies: Connection | None = replies_in
        self.pending = 0  # rows added since the last collect
        self._chunk: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self._chunk.append(row)
        self.pending += 1
        if len(self._chunk) >= PART_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Send the rows added and not sent yet (so the child does not wait for a chunk)."""
        if self._chunk:
            rows, self._chunk = self._chunk, []
            self._send(("add", rows))

    def start_segment(self) -> Callable[[], list[Any]]:
        """Ask for the segment of the rows added so far (the child starts writing it now);
        returns `collect`, to call once the caller's own segment is written."""
        self.flush()
        self._send(("finish",))
        return self.collect

    def collect(self) -> list[Any]:
        """Wait for the requested segment, move its files into the index; its segments."""
        reply = self._recv()
        self.pending = 0
        if reply[0] == "error":
            raise PartWriterFailed(f"the second index writer failed: {reply[1]}")
        folder = reply[1]
        if folder is None:
            return []
        return adopt(Path(folder), self.index_dir)

    def close(self) -> None:
        """Stop the child (its side folder, if any, goes with it) and reap it."""
        rows, replies, self._rows, self._replies = self._rows, self._replies, None, None
        self._chunk = []
        if rows is not None:
            with contextlib.suppress(OSError, ValueError):
                rows.send(("quit",))
            rows.close()
        if replies is not None:
            replies.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def _send(self, message: tuple[Any, ...]) -> None:
        if self._rows is None:
            raise PartWriterFailed("the second index writer is closed")
        try:
            self._rows.send(message)
        except (OSError, ValueError) as exc:
            raise PartWriterFailed(f"the second index writer is gone ({exc})") from exc

    def _recv(self) -> tuple[Any, ...]:
        if self._replies is None:
            raise PartWriterFailed("the second index writer is closed")
        try:
            return self._replies.recv()
        except (EOFError, OSError) as exc:
            raise PartWriterFailed("the second index writer ended unexpectedly") from exc


def adopt(folder: Path, index_dir: Path) -> list[Any]:
    """Move the segment files of the one-segment index in `folder` into `index_dir`.

    The files are renamed (same file system); until a TOC lists them they are leftovers
    Whoosh's next commit removes. The side folder is removed."""
    from whoosh import index as windex

    side = windex.open_dir(str(folder))
    try:
        segments = internals.segments(side)
        for segment in segments:
            for name in internals.segment_files(segment, side.storage):
                os.rename(folder / name, Path(index_dir) / name)
    finally:
        side.close()
    shutil.rmtree(folder, ignore_errors=True)
    return segments


# ----------------------------------------------------------------------------- the child
def _child_main(
    rows: Connection,
    replies: Connection,
    parent: int,
    index_dir: Path,
    open_writer: Callable[..., Any],
) -> None:
    """Serve the follower until told to quit or the pipe closes; never returns."""
    code = 0
    try:
        _become_quiet_child(parent, keep={rows.fileno(), replies.fileno()})
        _serve(rows, replies, index_dir, open_writer)
    except BaseException:  # a child must never return into the parent's code
        code = 1
    finally:
        os._exit(code)


def die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), then check the race.

    For every child process of an ingest (extraction workers, the index follower, the part
    writer): an orphan must never keep a lock or the database open."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _become_quiet_child(parent: int, keep: set[int]) -> None:
    """Die with the parent; hold none of its files (locks, pipes, the database) but `keep`;
    Ctrl-C and SIGTERM are the parent's."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # the ingest waits for EOF on the follower's stdout: do not hold it
        os.dup2(devnull, fd)
    os.close(devnull)
    # an flock (Whoosh's, the swap lock) lives while any copy of its descriptor is open
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd > 2 and fd not in keep:
                with contextlib.suppress(OSError):
                    os.close(fd)


def _serve(
    rows: Connection, replies: Connection, index_dir: Path, open_writer: Callable[..., Any]
) -> None:
    from whoosh import index as windex

    from .schema import build_schema, document

    count = 0
    folder: Path | None = None
    side_writer: Any = None
    error: str | None = None

    def drop() -> None:
        nonlocal side_writer, folder
        if side_writer is not None:
            with contextlib.suppress(Exception):
                side_writer.cancel()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        side_writer, folder = None, None

    try:
        while True:
            try:
                message = rows.recv()
            except (EOFError, OSError):
                return
            kind = message[0]
            if kind == "quit":
                return
            if kind == "add":
                if error is not None:
                    continue  # reported at the next "finish"
                try:
                    if side_writer is None:
                        count += 1
                        folder = index_dir / f"{PART_PREFIX}{os.getpid()}-{count}"
                        shutil.rmtree(folder, ignore_errors=True)
                        folder.mkdir(parents=True)
                        side = windex.create_in(str(folder), build_schema())
                        side_writer = open_writer(side, wait=0)
                    add = side_writer.add_document
                    for row in message[1]:
                        add(**document(row))
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    drop()
                continue
            if kind == "finish":
                if error is not None:
                    replies.send(("error", error))
                    error = None
                    continue
                if side_writer is None:
                    replies.send(("done", None))
                    continue
                try:
                    side_writer.commit(merge=False)
                    side_writer = None
                    replies.send(("done", str(folder)))
                    folder = None  # the parent adopts it
                except Exception as exc:
                    drop()
                    replies.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        drop()
