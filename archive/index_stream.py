"""The ingest's index follower at work: rows indexed as soon as they are committed (`IndexStream`)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from index import writer
from index.part_writer import PartWriter, PartWriterFailed

from .index_rows import BATCH, WATERMARK, rows_after, set_meta, watermark
from .indexing import crash_point, open_for_writing


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
        self.ix, self.added, self.indexed = open_for_writing(store, self.index_dir)
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
        crash_point("after_index_commit")
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
