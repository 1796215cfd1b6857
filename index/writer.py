"""Opening, creating and writing the Whoosh index folder.

One writer at a time, `procs=1`: a multi-process writer whose parent is killed leaves worker
processes holding the lock (TRAPS.md). `update_document` only replaces documents that are
already committed, so every batch is deduplicated by id here, last version wins.

Rebuilds go to a sibling folder that is swapped in by renames (`index.new` → `index`); the
`READY` marker and `recover()` make the swap safe against a kill at any point: an unfinished
build is thrown away, a finished one is moved in, and the old index is removed only after.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from .errors import IndexBusy, IndexCorrupt, IndexMissing, IndexOutdated
from .merging import merge_policy
from .part_writer import PartWriter, remove_stale_parts, several_cores
from .schema import SCHEMA_VERSION, build_schema, document
from .whoosh_internals import writing as internals

READY = "READY"
# Postings pool before it spills sorted runs to disk, per writer process (an ingest has two:
# the follower and its part writer). Whoosh counts far less than the Python objects take: at
# 128 a 2,000-document commit peaked at 314 MB RSS, at 64 at 239 MB, at the same speed; with
# two writers, 40 against 64 took the 10k JSONL ingest's tree from 394 to 346 MB PSS and was
# no slower (259-261 against 249 docs/s; bench/README.md, "Memory").
LIMIT_MB = 40
LOCK_WAIT_S = 30.0
# Postings per block of a term's posting list (Whoosh's default is 128). A query reads whole
# blocks, paying a decompress, an unpickle and a header per block: with 1,024 the same
# postings come in an eighth of the blocks, and phrases and terms read about 10% faster
# (20k articles, same queries; the index is 4% smaller; building costs the same). Segments
# written with 128 stay readable: the block length is in each block's header.
POSTINGS_PER_BLOCK = 1024
# A long ingest's follower commits a span at a time, each a new unmerged segment: the first
# spans its given size, later ones a SPAN_GROWTH-th of what is indexed, at most MAX_SPAN (what
# a search may lag behind the ingest). Whoosh merges segments at about its indexing speed
# (10k articles: 43 s of CPU merged, 54 s indexed), so a fixed span of 1,000 spent most of a
# 100k rebuild in MERGE_SMALL merges (121 docs/s); growing spans leave about 15 segments and
# nothing big to merge. A span of 10,000 costs no more per document than 2,000 (the pool
# spills sorted runs past LIMIT_MB; `bench/bench_span.py`).
SPAN_GROWTH = 4
MAX_SPAN = 20_000
# A rebuild (`build_fresh`) is searched only once it is complete, so it writes each writer's
# documents in segments of REBUILD_SPAN: every query pays a fixed cost per segment (term
# lookups, a chunk or block read per word and field), and at 100k two segments instead of 20
# (growing spans) took phrase p95 from 16 to 9 ms, terms from 6.5 to 4.5 and two-word queries
# from 12 to 8, built in the same time (348 s) at the same memory (bench/README.md).
REBUILD_SPAN = 100_000


def growing_span(indexed: int, first: int) -> int:
    """Documents the next commit takes when `indexed` are in the index already."""
    return max(first, min(MAX_SPAN, indexed // SPAN_GROWTH))


def patch_whoosh_writes() -> None:
    """Give Whoosh's writing the two speed-ups every writer of ours has (idempotent).

    Whoosh re-reads the disk for a length column a field does not have, once per posting,
    and reads a document's field length through a column reader per posting; both patches
    (`whoosh_internals.writing`) keep the same results. Applied at the first writer; public
    so that a benchmark's bare Whoosh build gets them too.
    """
    internals.cache_missing_length_columns()
    internals.cache_length_tables()


def segment_count(ix: Any) -> int:
    """How many segments the index's table of contents lists."""
    return len(internals.segment_doc_counts(ix))


def _side(index_dir: Path, suffix: str) -> Path:
    return index_dir.with_name(index_dir.name + suffix)


@contextmanager
def swap_lock(index_dir: Path, *, wait: bool):  # type: ignore[no-untyped-def]
    """An exclusive flock held by a rebuild; the kernel drops it if the process is killed.

    Yields True when the lock is held, False when `wait` is off and someone else holds it.
    """
    import fcntl

    path = _side(Path(index_dir), ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def recover(index_dir: Path) -> None:
    """Finish or undo a swap interrupted by a kill (see module docstring).

    Does nothing while a rebuild is running in another process (it holds the swap lock).
    """
    index_dir = Path(index_dir)
    new, old = _side(index_dir, ".new"), _side(index_dir, ".old")
    if not (new.exists() or old.exists() or (index_dir / READY).exists()):
        return
    if not index_dir.parent.exists():
        return
    with swap_lock(index_dir, wait=False) as held:
        if held:
            _recover_locked(index_dir, new, old)


def _recover_locked(index_dir: Path, new: Path, old: Path) -> None:
    if (new / READY).exists():  # a finished build that was not swapped in yet: finish the swap
        if index_dir.exists():
            if old.exists():
                shutil.rmtree(old)
            os.replace(index_dir, old)
        os.replace(new, index_dir)
    elif new.exists():  # an unfinished build: the old index is still the current one
        shutil.rmtree(new, ignore_errors=True)
    if old.exists():
        if index_dir.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, index_dir)
    (index_dir / READY).unlink(missing_ok=True)


def exists(index_dir: Path) -> bool:
    from whoosh import index

    recover(index_dir)
    if not Path(index_dir).is_dir():
        return False
    try:
        return index.exists_in(str(index_dir))
    except Exception:  # a damaged table of contents: it exists, and open_index says it is corrupt
        return True


def open_index(index_dir: Path):  # type: ignore[no-untyped-def]
    """Open the index for reading or writing; any failure to open it is corruption."""
    from whoosh import index

    from .segment_files import read_segments_in_place

    read_segments_in_place()
    index_dir = Path(index_dir)
    recover(index_dir)
    if not exists(index_dir):
        raise IndexMissing(
            f"There is no search index in {index_dir}: run `newsarchive reindex` to build it."
        )
    _check_schema(index_dir)
    try:
        # Our schema object, not the saved one: the saved one is stock Whoosh classes (so
        # stock Whoosh can read the index) and lacks our direct indexing path.
        return index.open_dir(str(index_dir), schema=build_schema())
    except (IndexMissing, IndexCorrupt):  # IndexOutdated included
        raise
    except Exception as exc:  # Whoosh has no checksums: corruption shows as any exception
        raise IndexCorrupt(
            f"The search index in {index_dir} cannot be read ({type(exc).__name__}: {exc}); "
            "run `newsarchive reindex` to rebuild it from the archive."
        ) from exc


def _check_schema(index_dir: Path) -> None:
    """An index built by an older schema (its SCHEMA_VERSION file says which) is outdated:
    derived data that `archive.indexing` rebuilds from SQLite."""
    try:
        version = (index_dir / "SCHEMA_VERSION").read_text().strip()
    except OSError:
        version = "none"
    if version != SCHEMA_VERSION:
        raise IndexOutdated(
            f"The search index in {index_dir} was built with schema version {version}, "
            f"not {SCHEMA_VERSION}; run `newsarchive reindex` to rebuild it."
        )


def create_index(index_dir: Path, *, locked: bool = False):  # type: ignore[no-untyped-def]
    """A new, empty index; or the one another process created meanwhile.

    Two first ingests into one new archive both find no index: creation runs under the
    swap lock and looks again, so the second opens what the first created instead of
    failing on its table of contents ("File '_MAIN_0.toc' exists"). `locked`: the caller
    holds the lock already (a rebuild creating its side folder).
    """
    from whoosh import index

    from .segment_files import read_segments_in_place

    read_segments_in_place()
    index_dir = Path(index_dir)
    with nullcontext(True) if locked else swap_lock(index_dir, wait=True):
        if exists(index_dir):
            return open_index(index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(str(index_dir), build_schema())
        (index_dir / "SCHEMA_VERSION").write_text(SCHEMA_VERSION)
        return ix


def codec():  # type: ignore[no-untyped-def]
    """Whoosh's codec with our block length (POSTINGS_PER_BLOCK)."""
    return internals.codec(POSTINGS_PER_BLOCK)


def writer(ix: Any, wait: float = LOCK_WAIT_S):  # type: ignore[no-untyped-def]
    """A single-process writer; waits for the lock instead of failing at once."""
    from whoosh.index import LockError

    patch_whoosh_writes()
    try:
        return ix.writer(
            procs=1,
            limitmb=LIMIT_MB,
            multisegment=False,
            timeout=wait,
            delay=0.05,
            codec=codec(),
        )
    except LockError as exc:
        raise IndexBusy(
            f"The search index is being written by another process (waited {wait:.0f} s); "
            "try again when it has finished."
        ) from exc


def dedupe(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Last row per id: `update_document` would keep both copies of an id seen twice in a batch."""
    latest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        latest.pop(row["id"], None)
        latest[row["id"]] = row
    return list(latest.values())


def write_batch(
    ix: Any,
    rows: Iterable[dict[str, Any]],
    delete_ids: Iterable[Any] = (),
    *,
    merge: bool = True,
    wait: float = LOCK_WAIT_S,
) -> int:
    """Add or replace `rows` and delete `delete_ids` in one commit; returns documents written.

    `merge=False` adds the commit as a new segment and leaves small segments unmerged (a long
    ingest merges once, at its last commit, instead of at every commit)."""
    batch = dedupe(rows)
    gone = [str(i) for i in delete_ids]
    if not batch and not gone:
        return 0
    w = writer(ix, wait)
    try:
        for article_id in gone:
            w.delete_by_term("id", article_id)
        for row in batch:
            w.update_document(**document(row))
    except BaseException:
        w.cancel()
        raise
    w.commit(mergetype=merge_policy(merge))
    return len(batch)


def highest_id(source: Any) -> int:
    """The highest article id in an index or a writer's view of it, deleted documents
    included (0 when empty)."""
    with source.reader() as reader:
        if not reader.doc_count_all():
            return 0
        return max(int(value) for value in reader.column_reader("id"))


class OpenWriter:
    """One Whoosh writer kept open while rows come in, committed when the caller says so.

    The ingest's index follower adds each committed row at once and commits every span, so
    indexing keeps pace with the ingest instead of waiting for a span to fill. Ids above
    `fresh_above` (the highest id the index held) cannot be in the index yet, so they are
    added without `update_document`'s delete-first, which looked every id up in every
    segment: slower, and the writer's memory grew by about 30 MB a segment. An id may be
    added once per commit (Whoosh replaces committed documents only): `holds` tells.
    """

    def __init__(self, ix: Any, wait: float = LOCK_WAIT_S) -> None:
        self._writer = writer(ix, wait)
        # read under the lock: another process may have committed since we last looked
        self.fresh_above = highest_id(self._writer)
        self.ids: set[int] = set()
        remove_stale_parts(Path(ix.storage.folder))

    def holds(self, article_id: int) -> bool:
        return article_id in self.ids

    def add(self, row: dict[str, Any]) -> None:
        article_id = int(row["id"])
        if article_id in self.ids:
            raise ValueError(f"article {article_id} is already in this commit")
        if article_id > self.fresh_above:
            self._writer.add_document(**document(row))
        else:
            self._writer.update_document(**document(row))
        self.ids.add(article_id)

    def commit(self, *, merge: bool, parts: Callable[[], list[Any]] | None = None) -> int:
        """Commit what was added (a new segment; `merge` folds small ones); returns how many.

        `parts` gives segments written beside this writer (`index.part_writer`), already moved
        into the index folder; it is called after this writer's own segment is written, so
        both are written at the same time, and all are listed in one TOC. If it fails, nothing
        is committed and the lock is released (the files left are removed by the next commit).
        """
        if parts is None:
            self._writer.commit(mergetype=merge_policy(merge))
            return len(self.ids)
        internals.commit_with_parts(self._writer, merge_policy(merge), parts)
        return len(self.ids)

    def cancel(self) -> None:
        self._writer.cancel()


def merge_small(index_dir: Path) -> None:
    """A commit of nothing that merges small segments (`index.merging`).

    The index follower writes its commits unmerged during an ingest and merges once here."""
    ix = open_index(Path(index_dir))
    try:
        w = writer(ix)
        w.commit(mergetype=merge_policy(True))
    finally:
        ix.close()


def build_fresh(
    index_dir: Path, rows: Iterable[dict[str, Any]], *, parallel: bool | None = None
) -> int:
    """Build a complete new index beside `index_dir` and swap it in; returns documents indexed.

    `rows` must give each id once (read them in id order). The old index stays usable until
    the final rename; a kill at any point leaves the old or the new index (see `recover`).
    With more than one core (or `parallel`), a part writer process (`index.part_writer`)
    indexes every other document into a segment of its own, listed in the same commits.
    """
    index_dir = Path(index_dir)
    new, old = _side(index_dir, ".new"), _side(index_dir, ".old")
    with swap_lock(index_dir, wait=True):
        _recover_locked(index_dir, new, old)
        shutil.rmtree(new, ignore_errors=True)
        ix = create_index(new, locked=True)
        part = (
            PartWriter(new, writer) if (several_cores() if parallel is None else parallel) else None
        )
        total = 0
        seen: set[str] = set()
        opened: OpenWriter | None = None
        span, mine = 0, 0
        try:
            for row in rows:
                article_id = str(row["id"])  # as `document` writes it
                if article_id in seen:
                    continue
                seen.add(article_id)
                if opened is None:
                    opened, span = OpenWriter(ix), REBUILD_SPAN * (2 if part else 1)
                if part is not None and part.pending <= mine:
                    part.add(row)
                else:
                    opened._writer.add_document(**document(row))
                    mine += 1
                total += 1
                span -= 1
                if span == 0:
                    opened.commit(merge=False, parts=part.start_segment() if part else None)
                    opened, mine = None, 0
            opened = opened or OpenWriter(ix)
            opened.commit(merge=True, parts=part.start_segment() if part else None)  # merges small
            opened = None
        except BaseException:
            if opened is not None:
                with contextlib.suppress(Exception):
                    opened.cancel()
            if part is not None:
                part.close()
            ix.close()
            shutil.rmtree(new, ignore_errors=True)
            raise
        if part is not None:
            part.close()
        ix.close()
        _fsync_dir(new)
        (new / READY).write_text("complete\n")
        _fsync_dir(new)
        _recover_locked(index_dir, new, old)  # the swap itself: old out, new in, old removed
    return total


def _fsync_dir(path: Path) -> None:
    """Whoosh never fsyncs; before the swap we make the new files durable ourselves."""
    for child in path.iterdir():
        if child.is_file():
            with open(child, "rb") as fh:
                os.fsync(fh.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def doc_count(ix: Any) -> int:
    """Live documents, from the table of contents alone.

    `ix.doc_count()` opens a reader on every segment (about 170 ms at 10k articles in 14
    segments); each segment's own count, deletions included, is already in the TOC.
    """
    return sum(internals.segment_doc_counts(ix))
