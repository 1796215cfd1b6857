"""The SQLite archive: the source of truth, written with sqlite-utils, readable with plain SQL.

`Store` is the one object callers hold: it opens the database (creating or upgrading the
schema), and hands each job to the module that does it:

- `store_schema`: tables, indexes, migrations of older archives;
- `store_write`: writing a batch (inputs kept verbatim, articles, duplicates, failures);
- `store_versions`: article rows and relations, new and past versions;
- `store_stories`: signatures and stories (syndicated copies);
- `store_runs`: `ingest_runs`;
- `store_base`: the connection, write lock, counters and meta they share.

The parts never import this module, so there is no import circle.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path

import sqlite_utils

from ingest.model import Article

from . import dedup, store_schema
from .store_base import DB_NAME, ArchiveError, StoreCore, content_hash, now_iso, sha256
from .store_runs import Runs
from .store_stories import Stories
from .store_versions import Versions
from .store_write import FOLD_AFTER, BatchResult, BatchWriter, Extracted

__all__ = [
    "DB_NAME",
    "FOLD_AFTER",
    "ArchiveError",
    "BatchResult",
    "Extracted",
    "Store",
    "content_hash",
    "now_iso",
    "sha256",
]


class Store:
    """The archive database. Open it with `Store.open(dir)`; it creates the schema on first use."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None) -> None:
        self.db = db
        self.path = path
        self.core = StoreCore(db, path)
        self.stories = Stories(self.core)
        self.versions = Versions(self.core, self.stories)
        self.writer = BatchWriter(self.core, self.versions, self.stories)
        self.runs = Runs(self.core)

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, archive_dir: Path, *, create: bool = True, readonly: bool = False) -> Store:
        archive_dir = Path(archive_dir)
        db_path = archive_dir / DB_NAME
        if not db_path.exists() and not create:
            raise ArchiveError(
                f"No archive at {archive_dir}: run `newsarchive ingest PATH` first or pass --archive DIR."
            )
        try:
            if readonly:
                from .readonly import connect_for_reading

                conn = connect_for_reading(db_path, query_only=True)
            else:
                archive_dir.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(db_path, timeout=30)
            db = sqlite_utils.Database(conn)
            if not readonly:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, db_path)
            if not readonly:
                store.ensure_schema()
        except OSError as exc:
            raise ArchiveError(
                f"Cannot open the archive at {archive_dir}: {exc.strerror or exc}."
            ) from exc
        except sqlite3.Error as exc:  # read-only folder, not a database, locked
            raise ArchiveError(f"Cannot open the archive database {db_path}: {exc}.") from exc
        return store

    def close(self) -> None:
        self.db.conn.close()

    def ensure_schema(self) -> None:
        """Create or upgrade the schema; regroup stories when the signature scheme changed."""
        store_schema.ensure_schema(self.core)
        self.core.load_near_dups()
        if self.get_meta(dedup.SCHEME_META) != dedup.SCHEME:
            self.rebuild_stories()

    # ------------------------------------------------------------------ transactions, meta
    def write_lock(self) -> AbstractContextManager[None]:
        """A transaction holding SQLite's write lock from its first statement (BEGIN IMMEDIATE)."""
        return self.core.write_lock()

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        return self.core.get_meta(key, default)

    def set_meta(self, key: str, value: str) -> None:
        self.core.set_meta(key, value)

    def next_seq(self) -> int:
        return self.core.next_seq()

    def counts(self) -> dict[str, int]:
        tables = [
            "articles",
            "authors",
            "categories",
            "sites",
            "captions",
            "sources",
            "ingest_runs",
            "ingest_errors",
        ]
        return {t: self.db[t].count for t in tables}

    # ------------------------------------------------------------------ runs and batches
    def start_run(self, arguments: list[str]) -> int:
        return self.runs.start(arguments)

    def finish_run(self, run_id: int, totals: BatchResult, status: str = "done") -> None:
        self.runs.finish(run_id, totals, status)

    def write_batch(
        self,
        items: Iterable[Extracted],
        run_id: int,
        also: Callable[[], None] | None = None,
    ) -> BatchResult:
        """Store one batch atomically: all of it is visible afterwards, or none of it.

        `also` runs inside the same transaction (site templates count the batch's pages)."""
        return self.writer.write_batch(items, run_id, also)

    # ------------------------------------------------------------------ versions and stories
    def new_version(self, article_id: int, article: Article, *, url: str | None = None) -> None:
        """`article` (extracted again from the article's current input) becomes its text; the
        old text is kept as a past version, and the new `seq` tells the index to follow.
        Call inside `write_lock()`."""
        self.versions.new_version(article_id, article, url=url)

    def replace_extraction(self, source_id: int, article: Article, url: str | None) -> int:
        """Correct an archived input's extraction in place (site templates); 1 if it changed."""
        return self.versions.replace_extraction(source_id, article, url)

    @property
    def near_dups(self) -> dedup.NearDuplicates:
        return self.core.near_dups

    def rebuild_stories(self) -> int:
        """Recompute every signature and story; returns stories with more than one copy."""
        return self.stories.rebuild()
