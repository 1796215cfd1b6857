"""Keeping the Whoosh index in step with the archive: watermark catch-up, rebuild, verify.

SQLite is the source of truth. Every article row carries `seq`, a change counter bumped on
each insert and update; `archive_meta.index_seq` records the highest seq the index holds.
`catch_up` indexes every row above the watermark and moves the watermark only after the
Whoosh commit succeeded, so a crash between the SQLite commit and the index commit is
repaired by the next catch-up (`update_document` makes indexing a row twice harmless).

Works with a `Store` or with `ArchiveDB` (plain sqlite3, for fast CLI start-up): only
`.db.execute(sql, params)` and the connection's transactions are used.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index import writer
from index.errors import IndexBusy, IndexCorrupt, IndexError_, IndexMissing, IndexOutdated
from index.part_writer import PartWriter, PartWriterFailed

from .readonly import connect_for_reading

WATERMARK = "index_seq"
INDEX_FOLDER = "index"
BATCH = 1000
# Captions are searchable: joined by newlines, in page order, as the index's `captions` field.
ROW_COLUMNS = (
    "id, title, body, authors, category, site, language, published, content_hash, seq, "
    "(SELECT group_concat(text, char(10)) FROM (SELECT text FROM captions c "
    "WHERE c.article_id = articles.id ORDER BY c.position)) AS captions"
)


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


def _conn(store: Any) -> sqlite3.Connection:
    db = store.db
    return db if isinstance(db, sqlite3.Connection) else db.conn


def get_meta(store: Any, key: str) -> str | None:
    row = _conn(store).execute("SELECT value FROM archive_meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_meta(store: Any, key: str, value: str) -> None:
    """Write one meta value in its own short transaction.

    BEGIN IMMEDIATE takes the write lock first (waiting up to the busy timeout): the index
    follower moves the watermark while the ingester commits batches from another connection.
    """
    conn = _conn(store)
    sql = "INSERT OR REPLACE INTO archive_meta (key, value) VALUES (?, ?)"
    if conn.in_transaction:  # the caller's own transaction commits it
        conn.execute(sql, [key, value])
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(sql, [key, value])
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def watermark(store: Any) -> int:
    return int(get_meta(store, WATERMARK) or 0)


def head(store: Any) -> int:
    return int(get_meta(store, "seq") or 0)


def _rows(store: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = _conn(store).execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def rows_after(store: Any, seq: int, limit: int = BATCH) -> list[dict[str, Any]]:
    return _rows(
        store,
        f"SELECT {ROW_COLUMNS} FROM articles WHERE seq > ? ORDER BY seq LIMIT ?",
        [seq, limit],
    )


def rows_by_id(store: Any, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every article once, in id order (keyset pages, so rows changing meanwhile are not repeated)."""
    last = -1
    while True:
        rows = _rows(
            store,
            f"SELECT {ROW_COLUMNS} FROM articles WHERE id > ? ORDER BY id LIMIT ?",
            [last, batch],
        )
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


CRASH_WITH: list[int] = []  # processes a simulated power cut takes down too (see _crash_point)


def _crash_point(name: str) -> None:
    """Test hook: `NEWSARCHIVE_CRASH_AT=name` kills the process here, like a power cut would.

    A power cut takes every process at once: the index follower lists its ingester in
    CRASH_WITH, so a crash point reached in the follower kills the ingest too."""
    if os.environ.get("NEWSARCHIVE_CRASH_AT") == name:
        for pid in CRASH_WITH:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


def _article_ids(store: Any) -> set[int]:
    return {row[0] for row in _conn(store).execute("SELECT id FROM articles")}


def _open_for_writing(store: Any, index_dir: Path) -> tuple[Any, int, int]:
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
    store: Any, index_dir: Path, *, batch: int = BATCH, wait: float = writer.LOCK_WAIT_S
) -> int:
    """Index every article changed since the watermark; returns how many were (re)indexed.

    Creates the index when there is none (from seq 0). Raises IndexCorrupt when the index
    exists but cannot be read (`newsarchive reindex` repairs it) and IndexBusy when another
    process keeps the write lock past `wait` seconds. Each Whoosh commit takes up to `batch`
    rows.
    """
    top = head(store)  # what was committed when called: later rows are the next call's
    ix, mark, done = _open_for_writing(store, Path(index_dir))
    try:
        while top > mark and (rows := rows_after(store, mark, batch)):
            done += writer.write_batch(ix, rows, wait=wait)
            _crash_point("after_index_commit")
            mark = int(rows[-1]["seq"])
            set_meta(store, WATERMARK, str(mark))
        if mark != watermark(store):
            set_meta(store, WATERMARK, str(mark))
        _drop_deleted(store, ix, wait)
        return done
    finally:
        ix.close()


def _drop_deleted(store: Any, ix: Any, wait: float = writer.LOCK_WAIT_S) -> None:
    """Articles removed from SQLite (no seq marks a deletion) leave the index too."""
    drop_removed(store, ix, wait)
    count = _conn(store).execute("SELECT count(*) FROM articles").fetchone()[0]
    if writer.doc_count(ix) <= count:
        return
    from index.searcher import indexed_hashes

    extra = set(indexed_hashes(ix)) - _article_ids(store)
    if extra:
        writer.write_batch(ix, [], delete_ids=sorted(extra), wait=wait)


def drop_removed(store: Any, ix: Any, wait: float = writer.LOCK_WAIT_S) -> int:
    """Drop from Whoosh the articles `newsarchive remove` took out (archive.removal) that it
    may still hold, then mark them dropped; returns how many."""
    from .removals_table import mark_dropped, pending_index_drops

    ids = pending_index_drops(_conn(store))
    if ids:
        writer.write_batch(ix, [], delete_ids=ids, wait=wait)
        conn = _conn(store)
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


class IndexStream:
    """The ingest's index follower at work: rows indexed as soon as they are committed.

    One Whoosh writer stays open across the ingest's batches: each `pull` adds every row
    committed since the last one, and every `span` documents the writer commits (a new,
    unmerged segment) and the watermark moves. With `grow`, a span is also at least a
    quarter of the documents already indexed (`writer.growing_span`, at most 20,000), so a
    long ingest leaves a few dozen segments, not one per 2,000 articles: Whoosh merges
    segments no faster than it indexes (32k articles merged in 100-180 s at 100k), so the
    merge the last commit would otherwise make is the costliest step. A row changed again
    while its first version waits in the open writer is held for the next commit. `finish`
    commits the rest and merges small segments. A crash at any point loses only uncommitted
    work, which the next command's catch-up redoes: the watermark moves only after a Whoosh
    commit.

    With a `part` writer (`index.part_writer`, a second process), every other new article
    goes to it: each commit then lists two segments of a span each, written on two cores at
    once. Should the part writer fail, the stream goes back to the watermark and goes on alone.
    """

    def __init__(
        self,
        store: Any,
        index_dir: Path,
        span: int,
        *,
        grow: bool = False,
        part: PartWriter | None = None,
    ) -> None:
        self.store = store
        self.index_dir = Path(index_dir)
        self.span = max(1, span)
        self.grow = grow
        self.committed_spans = 0
        self.ix, self.added, self.indexed = _open_for_writing(store, self.index_dir)
        self._open: writer.OpenWriter | None = None
        self._held: list[dict[str, Any]] = []
        self._docs_at_start = writer.doc_count(self.ix)
        self._span_now = self.span
        self._part = part
        self._part_ids: set[int] = set()  # ids given to the part writer for the open commit

    def next_span(self) -> int:
        """Documents the next commit takes per writer (see the class docstring)."""
        if not self.grow:
            return self.span
        return writer.growing_span(self._docs_at_start + self.indexed, self.span)

    def pull(self) -> None:
        """Add every row committed since the last pull, committing each full span."""
        while rows := rows_after(self.store, self.added, BATCH):
            try:
                for row in rows:
                    self.added = int(row["seq"])
                    if self._holds(int(row["id"])):
                        # changed again since it was added: Whoosh replaces committed
                        # documents only, so this version goes into the next commit
                        self._held.append(row)
                        continue
                    self._add(row)
                    if self._span_full():
                        self._commit(merge=False)
                if self._part is not None:
                    self._part.flush()  # the part writer never waits for a chunk to fill
            except PartWriterFailed as exc:
                self._without_part(exc)  # back to the watermark: the loop reads again

    def finish(self) -> int:
        """Index the rest, the last commit merging small segments; returns rows indexed."""
        while True:
            self.pull()
            try:
                if self._open is None and self.committed_spans:
                    writer.merge_small(self.index_dir)  # the last commit was a full span, unmerged
                while self._open is not None:
                    self._commit(merge=not self._held)
                break
            except PartWriterFailed as exc:
                self._without_part(exc)
        if self.added != watermark(self.store):
            set_meta(self.store, WATERMARK, str(self.added))
        return self.indexed

    def stop(self) -> None:
        """Drop what is not committed (the next command's catch-up indexes it)."""
        if self._open is not None:
            self._open.cancel()
            self._open = None
        self._close_part()
        self.ix.close()

    def _holds(self, article_id: int) -> bool:
        """Whether a version of this article is in the open commit already."""
        return article_id in self._part_ids or (
            self._open is not None and self._open.holds(article_id)
        )

    def _span_full(self) -> bool:
        own = len(self._open.ids) if self._open is not None else 0
        return own + len(self._part_ids) >= self._span_now * (2 if self._part else 1)

    def _add(self, row: dict[str, Any]) -> None:
        if self._open is None:
            self._open = writer.OpenWriter(self.ix)
            self._span_now = self.next_span()
        article_id = int(row["id"])
        if (
            self._part is not None
            and article_id > self._open.fresh_above  # new: nothing to replace in the index
            and len(self._part_ids) <= len(self._open.ids)
        ):
            self._part_ids.add(article_id)
            self._part.add(row)
            return
        self._open.add(row)

    def _close_part(self) -> None:
        if self._part is not None:
            self._part.close()
            self._part = None

    def _commit(self, *, merge: bool) -> None:
        """Commit the open writer; the watermark moves up to the first row still held."""
        if self._open is None:
            return
        parts = None
        if self._part is not None and self._part_ids:
            parts = self._part.start_segment()  # written while we write ours
        opened, self._open = self._open, None
        self.indexed += opened.commit(merge=merge, parts=parts) + len(self._part_ids)
        self._part_ids = set()
        self.committed_spans += 1
        _crash_point("after_index_commit")
        held, self._held = self._held, []
        done = min(int(r["seq"]) for r in held) - 1 if held else self.added
        set_meta(self.store, WATERMARK, str(done))
        for row in writer.dedupe(held):  # the held versions open the next commit
            self._add(row)

    def _without_part(self, exc: Exception) -> None:
        """The part writer failed: drop the open commit, go back to the watermark, go on alone."""
        print(f"Warning: {exc}; indexing goes on in one process.", file=sys.stderr)
        if self._open is not None:
            with contextlib.suppress(Exception):  # a failed commit has released it already
                self._open.cancel()
            self._open = None
        self._close_part()
        self._part_ids, self._held = set(), []
        self.added = watermark(self.store)


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


@dataclass(slots=True)
class VerifyReport:
    """What `newsarchive verify` found; `ok` is True only when SQLite and Whoosh agree."""

    articles: int = 0
    indexed: int = 0
    watermark: int = 0
    head: int = 0
    missing: list[int] = field(default_factory=list)  # in SQLite, not in the index
    pending: list[int] = field(default_factory=list)  # of those, above the watermark
    extra: list[int] = field(default_factory=list)  # in the index, not in SQLite
    stale: list[int] = field(default_factory=list)  # content hash differs
    duplicated: list[int] = field(default_factory=list)  # id indexed more than once
    removed: int = 0  # articles taken out with `newsarchive remove` (archive.removal)
    removed_indexed: list[int] = field(default_factory=list)  # of those, still in the index
    corrupt: str | None = None

    @property
    def ok(self) -> bool:
        return (
            not (
                self.missing
                or self.extra
                or self.stale
                or self.duplicated
                or self.removed_indexed
                or self.corrupt
            )
            and self.watermark <= self.head
        )

    def problems(self) -> list[str]:
        """One sentence per problem, naming the articles (first ten) and the fix."""

        def ids(values: list[int]) -> str:
            shown = ", ".join(str(v) for v in values[:10])
            return shown + (f" and {len(values) - 10} more" if len(values) > 10 else "")

        out = []
        if self.corrupt:
            out.append(f"The index is unreadable: {self.corrupt}")
        if self.missing:
            note = (
                f" ({len(self.pending)} of them changed after the last catch-up; any command catches up)"
                if self.pending
                else ""
            )
            out.append(
                f"{len(self.missing)} article(s) missing from the index: {ids(self.missing)}{note}."
            )
        if self.extra:
            out.append(
                f"{len(self.extra)} indexed article(s) no longer in the archive: {ids(self.extra)}."
            )
        if self.stale:
            out.append(f"{len(self.stale)} article(s) indexed with old content: {ids(self.stale)}.")
        if self.duplicated:
            out.append(
                f"{len(self.duplicated)} article(s) indexed more than once: {ids(self.duplicated)}."
            )
        if self.removed_indexed:
            out.append(
                f"{len(self.removed_indexed)} removed article(s) still in the index: "
                f"{ids(self.removed_indexed)} (any command that can write the index drops them)."
            )
        if self.watermark > self.head:
            out.append(
                f"The index watermark ({self.watermark}) is ahead of the archive ({self.head})."
            )
        if out:
            out.append("Run `newsarchive reindex` to rebuild the index from the archive.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "articles": self.articles,
            "indexed": self.indexed,
            "watermark": self.watermark,
            "head": self.head,
            "missing": self.missing,
            "pending": self.pending,
            "extra": self.extra,
            "stale": self.stale,
            "duplicated": self.duplicated,
            "removed": self.removed,
            "removed_indexed": self.removed_indexed,
            "corrupt": self.corrupt,
            "problems": self.problems(),
        }


def verify(store: Any, index_dir: Path) -> VerifyReport:
    """Compare ids and content hashes between SQLite and Whoosh, as found (no catch-up first)."""
    from index.searcher import indexed_hashes

    report = VerifyReport(watermark=watermark(store), head=head(store))
    rows = _conn(store).execute("SELECT id, content_hash, seq FROM articles").fetchall()
    report.articles = len(rows)
    try:
        ix = writer.open_index(Path(index_dir))
        try:
            indexed = indexed_hashes(ix)
        finally:
            ix.close()
    except IndexMissing as exc:
        report.corrupt = str(exc)
        report.missing = sorted(r[0] for r in rows)
        return report
    except IndexCorrupt as exc:
        report.corrupt = str(exc)
        return report
    except Exception as exc:  # reading stored fields can fail on a damaged segment too
        report.corrupt = f"{type(exc).__name__}: {exc}"
        return report
    report.indexed = sum(len(v) for v in indexed.values())
    in_sqlite = {r[0]: (r[1] or "", r[2] or 0) for r in rows}
    for article_id, (chash, seq) in sorted(in_sqlite.items()):
        hashes = indexed.get(article_id)
        if hashes is None:
            report.missing.append(article_id)
            if seq > report.watermark:
                report.pending.append(article_id)
        elif any(h != chash for h in hashes):
            report.stale.append(article_id)
    from .removals_table import removed_ids

    gone = removed_ids(_conn(store))
    report.removed = len(gone)
    report.removed_indexed = sorted(gone & set(indexed))
    report.extra = sorted(set(indexed) - set(in_sqlite) - gone)
    report.duplicated = sorted(i for i, hashes in indexed.items() if len(hashes) > 1)
    return report


def catch_up_for_reading(store: Any, index_dir: Path) -> int:
    """Catch up before a read (search, show, stats...), without waiting for the write lock.

    While an ingest runs, its index follower holds the lock and indexes the new rows; a read
    then answers from the index as last committed (the ingest's newest articles a span
    behind at most) and says so in one line, instead of waiting for the lock or indexing
    those rows itself. With nobody holding the lock (after a crash, say) it catches up.
    """
    try:
        return catch_up(store, index_dir, wait=0)
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
