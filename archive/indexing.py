"""Keeping the Whoosh index in step with the archive: watermark catch-up, rebuild, ingest hook.

SQLite is the source of truth. Every article row carries `seq`, a change counter bumped on
each insert and update; `archive_meta.index_seq` records the highest seq the index holds.
`catch_up` indexes every row above the watermark and moves the watermark only after the
Whoosh commit succeeded, so a crash between the SQLite commit and the index commit is
repaired by the next catch-up (`update_document` makes indexing a row twice harmless).

Works with a `Store` or with `ArchiveDB` (plain sqlite3, for fast CLI start-up). The rows
and the watermark are read in index_rows.py; the ingest's follower stream is index_stream.py,
`newsarchive verify` index_verify.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index import writer
from index.errors import IndexBusy, IndexError_, IndexOutdated

from .index_rows import (
    BATCH,
    WATERMARK,
    article_ids,
    connection,
    head,
    rows_after,
    rows_by_id,
    set_meta,
    watermark,
)
from .readonly import connect_for_reading

INDEX_FOLDER = "index"


class ArchiveMissing(Exception):
    """No archive database where one was expected; the message names the folder and the fix."""


@dataclass(slots=True)
class ArchiveDB:
    """A plain sqlite3 view of the archive: enough to search, show and catch the index up,
    without importing sqlite-utils (which imports numpy: a third of a second at start-up)."""

    db: sqlite3.Connection
    path: Path

    @classmethod
    def open(cls, archive_dir: Path) -> ArchiveDB:
        path = Path(archive_dir) / "news.db"
        if not path.is_file():
            raise ArchiveMissing(
                f"No archive at {archive_dir}: run `newsarchive ingest PATH` first or pass --archive DIR."
            )
        try:
            conn = connect_for_reading(path)
            conn.execute("SELECT value FROM archive_meta WHERE key = 'seq'").fetchone()
        except sqlite3.Error as exc:
            raise ArchiveMissing(f"Cannot open the archive database {path}: {exc}.") from exc
        return cls(conn, path)

    def close(self) -> None:
        self.db.close()


def index_dir_for(archive_dir: Path) -> Path:
    return Path(archive_dir) / INDEX_FOLDER


CRASH_WITH: list[int] = []  # processes a simulated power cut takes down too (see crash_point)


def crash_point(name: str) -> None:
    """Test hook: `NEWSARCHIVE_CRASH_AT=name` kills the process here, like a power cut would.

    A power cut takes every process at once: the index follower lists its ingester in
    CRASH_WITH, so a crash point reached in the follower kills the ingest too."""
    if os.environ.get("NEWSARCHIVE_CRASH_AT") == name:
        for pid in CRASH_WITH:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


def open_for_writing(store: Any, index_dir: Path) -> tuple[Any, int, int]:
    """(index, watermark it holds, documents a rebuild indexed on the way): created when
    there is none (holding nothing), rebuilt when an older version built it (derived data)."""
    if not writer.exists(index_dir):
        return writer.create_index(index_dir), 0, 0
    try:
        return writer.open_index(index_dir), watermark(store), 0
    except IndexOutdated:
        rebuilt = reindex(store, index_dir)
        return writer.open_index(index_dir), watermark(store), rebuilt


def catch_up(
    store: Any,
    index_dir: Path,
    *,
    batch: int = BATCH,
    wait: float = writer.LOCK_WAIT_S,
    reconcile: bool = True,
) -> int:
    """Index every article changed since the watermark; returns how many were (re)indexed.

    Creates the index when there is none (from seq 0). Raises IndexCorrupt when the index
    exists but cannot be read (`newsarchive reindex` repairs it) and IndexBusy when another
    process keeps the write lock past `wait` seconds. Each Whoosh commit takes up to `batch`
    rows. Articles `newsarchive remove` took out leave the index; with `reconcile` (or when
    rows were indexed) so do articles gone from SQLite by any other way, found by counting
    every row (`_drop_deleted`: O(articles): 25 ms warm, 120 ms cold at a million).
    """
    top = head(store)  # what was committed when called: later rows are the next call's
    ix, mark, done = open_for_writing(store, Path(index_dir))
    try:
        while top > mark and (rows := rows_after(store, mark, batch)):
            done += writer.write_batch(ix, rows, wait=wait)
            crash_point("after_index_commit")
            mark = int(rows[-1]["seq"])
            set_meta(store, WATERMARK, str(mark))
        if mark != watermark(store):
            set_meta(store, WATERMARK, str(mark))
        drop_removed(store, ix, wait)
        if reconcile or done:
            _drop_deleted(store, ix, wait)
        return done
    finally:
        ix.close()


def _drop_deleted(store: Any, ix: Any, wait: float = writer.LOCK_WAIT_S) -> None:
    """Articles deleted from SQLite outside `newsarchive remove` (no seq marks a deletion,
    no removal records it) leave the index too."""
    count = connection(store).execute("SELECT count(*) FROM articles").fetchone()[0]
    if writer.doc_count(ix) <= count:
        return
    from index.searcher import indexed_hashes

    extra = set(indexed_hashes(ix)) - article_ids(store)
    if extra:
        writer.write_batch(ix, [], delete_ids=sorted(extra), wait=wait)


def drop_removed(store: Any, ix: Any, wait: float = writer.LOCK_WAIT_S) -> int:
    """Drop from Whoosh the articles `newsarchive remove` took out (archive.removal) that it
    may still hold, then mark them dropped; returns how many."""
    from .removals_table import mark_dropped, pending_index_drops

    ids = pending_index_drops(connection(store))
    if ids:
        writer.write_batch(ix, [], delete_ids=ids, wait=wait)
        conn = connection(store)
        if conn.in_transaction:
            mark_dropped(conn, ids)
        else:
            conn.execute("BEGIN IMMEDIATE")
            try:
                mark_dropped(conn, ids)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
    return len(ids)


INDEX_SPAN = 2000  # rows per Whoosh commit during a long ingest (see IndexHook)


def index_span() -> tuple[int, bool]:
    """(rows per Whoosh commit during an ingest, whether the span grows with the index):
    env `NEWSARCHIVE_INDEX_SPAN`, fixed, else INDEX_SPAN, growing (`IndexStream`).

    Tests set a small span to see the follower commit mid-ingest; a larger one means fewer
    segments, with the postings pool spilling sorted runs to disk past `writer.LIMIT_MB`.
    """
    value = os.environ.get("NEWSARCHIVE_INDEX_SPAN", "").strip()
    if not value:
        return INDEX_SPAN, True
    if not value.isdigit() or int(value) < 1:
        print(
            f"Warning: NEWSARCHIVE_INDEX_SPAN={value!r} is not a positive whole number; "
            f"using {INDEX_SPAN}.",
            file=sys.stderr,
        )
        return INDEX_SPAN, False
    return int(value), False


class IndexHook:
    """The `after_commit` callback of `archive.pipeline.ingest`: index committed batches.

    With `span` 1 every SQLite batch is indexed (and committed to Whoosh) at once. A larger
    span lets the index lag by fewer than `span` changes and commits them together: each
    Whoosh commit writes a segment and merges small ones, so fewer, larger commits build
    faster (bench/README.md, "Search"). The watermark still moves only after a Whoosh commit,
    and `finish` (call it after the ingest) indexes the rest; a crash before it loses
    nothing, since every command catches up on open.

    An index problem never fails the ingest (SQLite already holds the batch): it is reported
    once on stderr, and the next command or `newsarchive reindex` catches up.
    """

    def __init__(self, index_dir: Path, span: int = 1) -> None:
        self.index_dir = Path(index_dir)
        self.span = max(1, span)
        self.error: str | None = None  # set when the index could not take committed articles

    def __call__(self, store: Any, _result: Any = None) -> None:
        if self.span > 1 and head(store) - watermark(store) < self.span:
            return
        self._catch_up(store)

    def finish(self, store: Any) -> None:
        """Index whatever the last batches left behind."""
        self._catch_up(store)

    def _catch_up(self, store: Any) -> None:
        try:
            catch_up(store, self.index_dir)
        except IndexBusy:
            pass  # another ingester holds the index and indexes what is committed, ours included
        except (IndexError_, OSError) as exc:
            # SQLite holds the batch; the index only lags, and the watermark stays where it was.
            if self.error is None:
                self.error = (
                    f"the search index in {self.index_dir} was not updated ({exc}); the articles are "
                    "archived and the next command indexes them once the index folder can be "
                    "written (or run `newsarchive reindex`)."
                )
                print(f"Error: {self.error}", file=sys.stderr)


def after_commit_hook(index_dir: Path, span: int = 1) -> IndexHook:
    """The ingest callback; pass `span=INDEX_SPAN` and call `.finish(store)` after the ingest."""
    return IndexHook(index_dir, span)


def reindex(store: Any, index_dir: Path) -> int:
    """Rebuild the index from SQLite into a fresh folder and swap it in; returns documents."""
    start = head(store)
    total = writer.build_fresh(Path(index_dir), rows_by_id(store))
    set_meta(store, WATERMARK, str(start))
    return total


def catch_up_for_reading(store: Any, index_dir: Path) -> int:
    """Catch up before a read (search, show, stats...), without waiting for the write lock.

    While an ingest runs, its index follower holds the lock and indexes the new rows; a read
    then answers from the index as last committed (the ingest's newest articles a span
    behind at most) and says so in one line, instead of waiting for the lock or indexing
    those rows itself. With nobody holding the lock (after a crash, say) it catches up.
    Rows deleted from SQLite by hand are not looked for (a count of every row): their hits
    are skipped, and the next ingest or `verify` finds them.
    """
    try:
        return catch_up(store, index_dir, wait=0, reconcile=False)
    except IndexBusy:
        behind = head(store) - watermark(store)
        if behind > 0:
            print(
                f"Note: the newest {behind} changes to the archive are not searchable yet: "
                "an ingest is indexing them.",
                file=sys.stderr,
            )
        return 0


def catch_up_quietly(store: Any, archive_dir: Path) -> int:
    """Catch up for commands that do not need the index: a problem is one warning, not a failure."""
    try:
        return catch_up_for_reading(store, index_dir_for(archive_dir))
    except IndexError_ as exc:
        print(f"Warning: the search index is not up to date: {exc}", file=sys.stderr)
        return 0
