"""The SQLite archive: the source of truth, written with sqlite-utils, readable with plain SQL.

Every input is kept verbatim (`sources` + `source_blobs`), every article is upserted with its
normalized authors, categories, site and captions, and every failure gets a row in
`ingest_errors`. A batch is one `db.atomic()` transaction: sqlite-utils' bulk methods commit
every 100 rows on their own otherwise (TRAPS.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ingest.extract import count_words
from ingest.model import Article, Failure, RawDocument
from ingest.urls import canonical_url

from . import dedup, raw_keep

SCHEMA_VERSION = 1
DB_NAME = "news.db"
FOLD_AFTER = 10  # failures of one reason in one file with rows of their own; then one count


FTS_UPDATE_TRIGGER = """
CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "body" ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") VALUES('delete', old.rowid, old."title", old."body");
  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");
END
"""


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


class ArchiveError(Exception):
    """The archive folder or database cannot be used; the message says why and what to do."""


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_SPACE = re.compile(r"\s+")


_QUOTES = str.maketrans("‘’“”–—", "''\"\"--")
_HASH_PIECE = 1 << 20  # bodies longer than this are hashed a piece at a time


def content_hash(article: Article) -> str:
    """Identity of an article's content, blind to whitespace and quote style.

    The hash of the text's words joined by single spaces (NFKC, lower case, plain quotes). A
    long body is folded a piece at a time, cut at whitespace, so memory does not hold five
    copies of a 20 MB body: the words and so the hash are the same.
    """
    text = f"{article.title or ''}\n{article.body}"
    if len(text) <= _HASH_PIECE:
        text = unicodedata.normalize("NFKC", text).lower().translate(_QUOTES)
        return sha256(_SPACE.sub(" ", text).strip().encode())
    digest = hashlib.sha256()
    first = True
    for piece in dedup.text_pieces(text, _HASH_PIECE):
        words = unicodedata.normalize("NFKC", piece).lower().translate(_QUOTES).split()
        if words:
            digest.update((("" if first else " ") + " ".join(words)).encode())
            first = False
    return digest.hexdigest()


@dataclass(slots=True)
class Extracted:
    """One input after extraction: the raw document and either its article or its failure."""

    raw: RawDocument | None
    article: Article | None = None
    failure: Failure | None = None


@dataclass(slots=True)
class BatchResult:
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    duplicates: int = 0
    unchanged: int = 0  # the very same input ingested again: nothing new
    failed: list[Failure] = field(default_factory=list)  # each with its own ingest_errors row
    folded: int = 0  # further failures counted in their file's summary row (Store.FOLD_AFTER)

    @property
    def failures(self) -> int:
        return len(self.failed) + self.folded


class Store:
    """The archive database. Open it with `Store.open(dir)`; it creates the schema on first use."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None) -> None:
        self.db = db
        self.path = path
        self._near_dups: dedup.NearDuplicates | None = None
        self._insert_sql: dict[tuple[str, tuple[str, ...], bool], str] = {}
        self.raw = raw_keep.RawKeeper(db)
        self._file: raw_keep.InputFile | None = None  # the input file of the item being written
        self._offset: int | None = None  # where the item's bytes lie in that file
        self._folds: dict[tuple[str, str], list[int]] = {}  # (file, reason) -> [count, row id]
        self._folded_rows: dict[int, tuple[int, str]] = {}  # summary rows to update this batch
        self._now = now_iso()

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
                import sqlite3

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
        except Exception as exc:  # sqlite3 errors: read-only folder, not a database, locked
            if type(exc).__module__ == "sqlite3":
                raise ArchiveError(f"Cannot open the archive database {db_path}: {exc}.") from exc
            raise
        return store

    def close(self) -> None:
        self.db.conn.close()

    # ------------------------------------------------------------------ schema
    def ensure_schema(self) -> None:
        db = self.db
        if "archive_meta" in db.table_names():
            self._ensure_raw_schema()  # archives from before files were kept as given
            self._ensure_story_schema()  # archives from before duplicate detection get it here
            return
        with self.write_lock(), db.atomic():
            if "archive_meta" in db.table_names():  # another process created it while we waited
                return
            db["archive_meta"].create({"key": str, "value": str}, pk="key")
            db["archive_meta"].insert_all(
                [
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "seq", "value": "0"},
                ]
            )
            db["sites"].create({"id": int, "name": str, "domain": str}, pk="id")
            db["sites"].create_index(["name"], unique=True)
            db["authors"].create({"id": int, "name": str}, pk="id")
            db["authors"].create_index(["name"], unique=True)
            db["categories"].create({"id": int, "name": str}, pk="id")
            db["categories"].create_index(["name"], unique=True)
            db["articles"].create(
                {
                    "id": int,
                    "title": str,
                    "published": str,
                    "published_year": int,
                    "published_month": str,
                    "authors": str,  # JSON array, for Datasette's array facets
                    "category": str,
                    "site": str,
                    "site_id": int,
                    "url": str,
                    "url_key": str,  # canonical form of url, for duplicate detection
                    "language": str,
                    "dateline": str,
                    "wire": str,
                    "body": str,
                    "word_count": int,
                    "content_hash": str,
                    "story_id": int,
                    "source_id": int,
                    "first_seen": str,
                    "updated_at": str,
                    "version": int,
                    "seq": int,  # monotonic change counter: the index watermark compares against it
                },
                pk="id",
                foreign_keys=[("site_id", "sites", "id")],
            )
            for columns in (
                ["content_hash"],
                ["url_key"],
                ["published"],
                ["seq"],
                ["story_id"],
                ["site"],
                ["category"],
            ):
                db["articles"].create_index(columns)
            db["article_authors"].create(
                {"article_id": int, "author_id": int, "position": int},
                pk=("article_id", "author_id"),
                foreign_keys=[("article_id", "articles", "id"), ("author_id", "authors", "id")],
            )
            db["article_authors"].create_index(["author_id"])
            db["article_categories"].create(
                {"article_id": int, "category_id": int},
                pk=("article_id", "category_id"),
                foreign_keys=[
                    ("article_id", "articles", "id"),
                    ("category_id", "categories", "id"),
                ],
            )
            db["article_categories"].create_index(["category_id"])
            db["captions"].create(
                {"id": int, "article_id": int, "position": int, "text": str},
                pk="id",
                foreign_keys=[("article_id", "articles", "id")],
            )
            db["captions"].create_index(["article_id"])
            db["ingest_runs"].create(
                {
                    "id": int,
                    "started": str,
                    "finished": str,
                    "arguments": str,
                    "added": int,
                    "updated": int,
                    "duplicates": int,
                    "unchanged": int,
                    "failed": int,
                    "status": str,  # running | done | failed | interrupted
                    "pid": int,  # the ingesting process, to tell a killed run from a live one
                },
                pk="id",
            )
            db["source_blobs"].create({"sha256": str, "size": int, "content": bytes}, pk="sha256")
            db["sources"].create(
                {
                    "id": int,
                    "sha256": str,
                    "origin": str,
                    "container": str,
                    "format": str,
                    "size": int,
                    "url": str,
                    "fetched": str,
                    "status": str,  # article | duplicate | update | failed
                    "article_id": int,
                    "run_id": int,
                    "ingested": str,
                },
                pk="id",
                foreign_keys=[
                    ("sha256", "source_blobs", "sha256"),
                    ("article_id", "articles", "id"),
                    ("run_id", "ingest_runs", "id"),
                ],
            )
            db["sources"].create_index(["sha256", "origin"], unique=True)
            db["sources"].create_index(["article_id"])
            db["ingest_errors"].create(
                {
                    "id": int,
                    "run_id": int,
                    "origin": str,
                    "reason": str,
                    "message": str,
                    "source_id": int,
                    "created": str,
                },
                pk="id",
                foreign_keys=[("run_id", "ingest_runs", "id"), ("source_id", "sources", "id")],
            )
            raw_keep.ensure_tables(db)
            db["articles"].enable_fts(["title", "body"], fts_version="FTS5", create_triggers=True)
            # sqlite-utils' update trigger fires on any column; story counts and seq change often,
            # and each change would rewrite the article's full-text entry. Title and body only.
            db.execute("DROP TRIGGER articles_au")
            db.execute(FTS_UPDATE_TRIGGER)
        self._ensure_story_schema()

    def _ensure_raw_schema(self) -> None:
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(ingest_errors)").fetchall()}
        if "source_files" in self.db.table_names() and "count" in columns:
            return
        with self.write_lock(), self.db.atomic():
            raw_keep.ensure_tables(self.db)

    def _ensure_story_schema(self) -> None:
        """Versions, signatures and story columns: created on new archives, added to older ones."""
        db = self.db
        columns = db["articles"].columns_dict
        tables = set(db.table_names())
        missing = {"article_versions", "article_minhash", "article_bands"} - tables
        if missing or not {"syndicated", "story_copies"} <= set(columns):
            self._create_story_schema(columns, missing)
        try:
            threshold = dedup.threshold_setting(self.get_meta(dedup.THRESHOLD_META))
        except dedup.NearDupSettingError as exc:
            raise ArchiveError(str(exc)) from None
        self._near_dups = dedup.NearDuplicates(db, threshold)
        if self.get_meta(dedup.SCHEME_META) != dedup.SCHEME:
            self.rebuild_stories()

    def _create_story_schema(self, columns: dict[str, Any], missing: set[str]) -> None:
        db = self.db
        with self.write_lock(), db.atomic():
            if "syndicated" not in columns:  # 1 when other sites carry the same story
                db["articles"].add_column("syndicated", int, not_null_default=0)
            if "story_copies" not in columns:  # how many articles the story has, this one included
                db["articles"].add_column("story_copies", int, not_null_default=1)
            if "article_versions" in missing:
                db["article_versions"].create(
                    {
                        "id": int,
                        "article_id": int,
                        "version": int,
                        "title": str,
                        "authors": str,
                        "published": str,
                        "url": str,
                        "body": str,
                        "content_hash": str,
                        "source_id": int,
                        "fetched": str,
                        "replaced_at": str,
                    },
                    pk="id",
                    foreign_keys=[("article_id", "articles", "id"), ("source_id", "sources", "id")],
                )
                db["article_versions"].create_index(["article_id", "version"])
                db["article_versions"].create_index(["content_hash"])
            dedup.ensure_tables(db)

    # ------------------------------------------------------------------ runs
    def start_run(self, arguments: list[str]) -> int:
        with self.write_lock(), self.db.atomic():
            self._close_abandoned_runs()
            table = self.db["ingest_runs"].insert(
                {
                    "pid": os.getpid(),
                    "started": now_iso(),
                    "arguments": json.dumps(arguments),
                    "status": "running",
                    "added": 0,
                    "updated": 0,
                    "duplicates": 0,
                    "unchanged": 0,
                    "failed": 0,
                }
            )
        return int(table.last_pk)

    def _close_abandoned_runs(self) -> None:
        """Runs still 'running' whose process is gone were killed: say so instead of for ever."""
        table = self.db["ingest_runs"]
        if "pid" not in table.columns_dict:  # archives from before runs kept their process id
            table.add_column("pid", int)
        for run_id, pid in self.db.execute(
            "SELECT id, pid FROM ingest_runs WHERE status = 'running'"
        ).fetchall():
            if pid and pid != os.getpid() and not _process_alive(pid):
                table.update(
                    run_id,
                    {"status": "interrupted", "finished": now_iso(), **self._run_counts(run_id)},
                )

    def _run_counts(self, run_id: int) -> dict[str, int]:
        """What a killed run committed, counted from the rows it left (it never got to say):
        inputs it archived by status, and the failures it recorded."""
        by_status = dict(
            self.db.execute(
                "SELECT status, count(*) FROM sources WHERE run_id = ? GROUP BY status", [run_id]
            ).fetchall()
        )
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(ingest_errors)").fetchall()}
        failures = "sum(coalesce(count, 1))" if "count" in columns else "count(*)"
        failed = self.db.execute(
            f"SELECT coalesce({failures}, 0) FROM ingest_errors WHERE run_id = ?", [run_id]
        ).fetchone()[0]
        return {
            "added": by_status.get("article", 0),
            "updated": by_status.get("update", 0),
            "duplicates": by_status.get("duplicate", 0),
            "failed": int(failed),
        }

    def finish_run(self, run_id: int, totals: BatchResult, status: str = "done") -> None:
        with self.write_lock(), self.db.atomic():
            self.db["ingest_runs"].update(
                run_id,
                {
                    "finished": now_iso(),
                    "added": len(totals.added),
                    "updated": len(totals.updated),
                    "duplicates": totals.duplicates,
                    "unchanged": totals.unchanged,
                    "failed": totals.failures,
                    "status": status,
                },
            )

    # ------------------------------------------------------------------ writing
    def next_seq(self) -> int:
        row = self.db.execute(
            "UPDATE archive_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value"
        ).fetchone()
        return int(row[0])

    def write_batch(
        self,
        items: Iterable[Extracted],
        run_id: int,
        also: Callable[[], None] | None = None,
    ) -> BatchResult:
        """Store one batch atomically: all of it is visible afterwards, or none of it.

        `also` runs inside the same transaction (site templates count the batch's pages)."""
        result = BatchResult()
        folds = {key: list(value) for key, value in self._folds.items()}
        self._now = now_iso()  # one clock read per batch: a million failed lines read it once each
        self._folded_rows: dict[int, tuple[int, str]] = {}
        try:
            with self.write_lock(), self.db.atomic():
                for item in items:
                    self._write_one(item, run_id, result)
                if also is not None:
                    also()
                for row_id, (count, message) in self._folded_rows.items():
                    self.db.execute(
                        "UPDATE ingest_errors SET count = ?, message = ? WHERE id = ?",
                        [count, message, row_id],
                    )
        except BaseException:
            self.raw.forget()  # what the rolled-back transaction kept is gone
            self._folds = folds
            raise
        return result

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """One transaction that holds SQLite's write lock from its first statement.

        A plain (deferred) BEGIN reads first and asks for the lock at its first write; when
        another ingester committed meanwhile, SQLite fails at once with "database is locked"
        instead of waiting for the busy timeout. BEGIN IMMEDIATE waits, then reads fresh data.
        """
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        conn.commit()

    def _write_one(self, item: Extracted, run_id: int, result: BatchResult) -> None:
        raw = item.raw
        self._file = self.raw.file_for(raw, item.failure, run_id, self._now)
        if item.failure is not None:
            self._offset = raw.offset if raw is not None else item.failure.offset
            self._write_failure(item.failure, raw, run_id, result)
            return
        self._offset = raw.offset if raw is not None else None
        if raw is None or item.article is None:
            raise ValueError(
                "an Extracted item needs either a failure or a raw document with its article"
            )
        digest = sha256(raw.data)
        if self.db.execute(
            "SELECT 1 FROM sources WHERE sha256 = ? AND origin = ? AND status != 'failed'",
            [digest, raw.origin],
        ).fetchone():
            result.unchanged += 1
            return
        article = item.article
        chash = content_hash(article)
        url = article.url or raw.url
        url_key = canonical_url(url) if url else None
        if url_key:  # the same page, whatever form of its address: a duplicate or a new version
            current = self.db.execute(
                "SELECT id FROM articles WHERE url_key = ? ORDER BY id LIMIT 1", [url_key]
            ).fetchone()
            if current:
                self._write_same_page(int(current[0]), article, chash, raw, run_id, result)
                return
        same = self._same_content(chash, article.site_name, url_key)
        if same is not None:
            self._add_source(raw, raw.data, raw.origin, raw.format, "duplicate", same, run_id)
            result.duplicates += 1
            return
        article_id = self._insert_article(article, chash, raw, run_id)
        result.added.append(article_id)

    def _write_failure(
        self, failure: Failure, raw: RawDocument | None, run_id: int, result: BatchResult
    ) -> None:
        """One `ingest_errors` row per failed input; past `FOLD_AFTER` failures of one reason
        in one file (a million broken JSON lines), one row for the file counts the rest."""
        file_key = self._file.path if self._file else failure.container
        fold = self._folds.setdefault((file_key, failure.reason), [0, 0]) if file_key else None
        if fold is not None:
            fold[0] += 1
        if fold is not None and fold[0] > FOLD_AFTER:
            self._fold_failure(fold, file_key, failure, run_id)  # type: ignore[arg-type]
            result.folded += 1
            return
        source_id = None
        data = raw.data if raw is not None else failure.data
        if data:
            source_id = self._add_source(
                raw, data, failure.origin, failure.format, "failed", None, run_id
            )
        self._insert(
            "ingest_errors",
            {
                "run_id": run_id,
                "origin": failure.origin,
                "reason": failure.reason,
                "message": failure.message,
                "source_id": source_id,
                "file_id": self._file.id if self._file else None,
                "count": 1,
                "created": self._now,
            },
        )
        failure.data = None  # kept in the archive now: the run's totals need no copy
        result.failed.append(failure)

    def _fold_failure(self, fold: list[int], path: str, failure: Failure, run_id: int) -> None:
        more = fold[0] - FOLD_AFTER
        message = (
            f"{path}: {more} more input(s) in this file failed the same way ({failure.reason}),"
            f" the last at {failure.origin}; the file is kept as given."
        )
        if fold[1]:
            self._folded_rows[fold[1]] = (more, message)  # written once, at the batch's end
            return
        fold[1] = self._insert(
            "ingest_errors",
            {
                "run_id": run_id,
                "origin": path,
                "reason": failure.reason,
                "message": message,
                "source_id": None,
                "file_id": self._file.id if self._file else None,
                "count": more,
                "created": self._now,
            },
        )

    def _same_content(self, chash: str, site: str | None, url_key: str | None) -> int | None:
        """The article this text already belongs to on the same site (or any version of it).

        The same text on another site is not a duplicate but a syndicated copy: its own
        article, in the same story.
        """
        rows = self.db.execute(
            "SELECT id, site, url_key FROM articles WHERE content_hash = ?"
            " UNION SELECT a.id, a.site, a.url_key FROM article_versions v"
            " JOIN articles a ON a.id = v.article_id WHERE v.content_hash = ?"
            " ORDER BY id",
            [chash, chash],
        ).fetchall()
        for article_id, other_site, other_key in rows:
            if _same_site(site, url_key, other_site, other_key):
                return int(article_id)
        return None

    def _write_same_page(
        self,
        article_id: int,
        article: Article,
        chash: str,
        raw: RawDocument,
        run_id: int,
        result: BatchResult,
    ) -> None:
        """A page already archived: the same text is a duplicate, changed text a new version."""
        known = self.db.execute(
            "SELECT 1 FROM articles WHERE id = ? AND content_hash = ?"
            " UNION ALL SELECT 1 FROM article_versions WHERE article_id = ? AND content_hash = ?",
            [article_id, chash, article_id, chash],
        ).fetchone()
        if known:  # an earlier version ingested again never rolls the article back
            self._add_source(raw, raw.data, raw.origin, raw.format, "duplicate", article_id, run_id)
            result.duplicates += 1
            return
        if self._is_older(article_id, article, raw):
            self._add_old_version(article_id, article, chash, raw, run_id)
        else:
            self._update_article(article_id, article, chash, raw, run_id)
        result.updated.append(article_id)

    def _is_older(self, article_id: int, article: Article, raw: RawDocument) -> bool:
        """Whether this text predates the article's current version (fetch time, else date)."""
        published, fetched = self.db.execute(
            "SELECT a.published, s.fetched FROM articles a"
            " LEFT JOIN sources s ON s.id = a.source_id WHERE a.id = ?",
            [article_id],
        ).fetchone()
        if raw.fetched and fetched:
            return _instant(raw.fetched) < _instant(fetched)
        if article.published and published and article.published != published:
            return article.published < published
        return False

    def replace_extraction(self, source_id: int, article: Article, url: str | None) -> int:
        """Put a new extraction of an archived input where its old one is (site templates).

        The article whose current text came from `source_id` takes it (new `seq`: the index
        follows); a past version that came from it is corrected in place; no new version, as
        the page did not change. Returns 1 when something changed, else 0.
        """
        chash = content_hash(article)
        current = self.db.execute(
            "SELECT id, content_hash, title, authors, published, story_id FROM articles"
            " WHERE source_id = ?",
            [source_id],
        ).fetchone()
        authors = json.dumps(article.authors, ensure_ascii=False)
        if current is not None:
            article_id, old_hash, title, old_authors, published, story_id = current
            if (old_hash, title, old_authors, published) == (
                chash,
                article.title,
                authors,
                article.published,
            ):
                return 0
            row = self._article_row(article, chash, article.url or url)
            row["seq"] = self.next_seq()
            self.db["articles"].update(article_id, row)
            self._write_relations(article_id, article)
            self._resign(article_id, article.body, story_id)
            return 1
        cursor = self.db.execute(
            "UPDATE article_versions SET title = ?, authors = ?, published = ?, body = ?,"
            " content_hash = ? WHERE source_id = ? AND (content_hash IS NOT ? OR title IS NOT ?"
            " OR authors IS NOT ? OR published IS NOT ?)",
            [
                article.title,
                authors,
                article.published,
                article.body,
                chash,
                source_id,
                chash,
                article.title,
                authors,
                article.published,
            ],
        )
        return 1 if cursor.rowcount else 0

    def _update_article(
        self, article_id: int, article: Article, chash: str, raw: RawDocument, run_id: int
    ) -> None:
        """Replace the article by its new version in place; the old one goes to article_versions."""
        old = self.db["articles"].get(article_id)
        fetched = self.db.execute(
            "SELECT fetched FROM sources WHERE id = ?", [old["source_id"]]
        ).fetchone()
        self._insert_version(article_id, old["version"], old, fetched[0] if fetched else None)
        source_id = self._add_source(
            raw, raw.data, raw.origin, raw.format, "update", article_id, run_id
        )
        row = self._article_row(article, chash, article.url or raw.url)
        row.update(
            {
                "updated_at": now_iso(),
                "version": (old["version"] or 1) + 1,
                "source_id": source_id,
                "seq": self.next_seq(),
            }
        )
        self.db["articles"].update(article_id, row)
        self._write_relations(article_id, article)
        self._resign(article_id, article.body, old["story_id"])

    def _add_old_version(
        self, article_id: int, article: Article, chash: str, raw: RawDocument, run_id: int
    ) -> None:
        """Keep a version older than the current one (it arrived late) without rolling back."""
        source_id = self._add_source(
            raw, raw.data, raw.origin, raw.format, "update", article_id, run_id
        )
        row = {
            "title": article.title,
            "authors": json.dumps(article.authors, ensure_ascii=False),
            "published": article.published,
            "url": article.url or raw.url,
            "body": article.body,
            "content_hash": chash,
            "source_id": source_id,
        }
        self._insert_version(article_id, 0, row, raw.fetched)
        # Number the versions by age again: fetch time, else the time they were replaced.
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM article_versions WHERE article_id = ?"
                " ORDER BY coalesce(fetched, replaced_at), id",
                [article_id],
            ).fetchall()
        ]
        for number, version_id in enumerate(ids, start=1):
            self.db.execute(
                "UPDATE article_versions SET version = ? WHERE id = ?", [number, version_id]
            )
        # the article's text is unchanged (an older version came late): no new seq to index
        self.db.execute("UPDATE articles SET version = ? WHERE id = ?", [len(ids) + 1, article_id])

    def _insert_version(
        self, article_id: int, version: int, row: dict[str, Any], fetched: str | None
    ) -> None:
        self.db["article_versions"].insert(
            {
                "article_id": article_id,
                "version": version,
                "title": row["title"],
                "authors": row["authors"],
                "published": row["published"],
                "url": row["url"],
                "body": row["body"],
                "content_hash": row["content_hash"],
                "source_id": row["source_id"],
                "fetched": fetched,
                "replaced_at": now_iso(),
            }
        )

    @property
    def near_dups(self) -> dedup.NearDuplicates:
        if self._near_dups is None:
            self._near_dups = dedup.NearDuplicates(
                self.db, dedup.threshold_setting(self.get_meta(dedup.THRESHOLD_META))
            )
        return self._near_dups

    def _resign(self, article_id: int, body: str, story_id: int) -> None:
        """New signature after an update; an article alone in its story may now join one."""
        near = self.near_dups
        near.remove(article_id)
        sig = dedup.signature(body)
        if sig is None:
            return
        if dedup.story_size(self.db, story_id) == 1:
            match = near.best_match(sig, exclude=article_id)
            if match is not None and match.story_id != story_id:
                self.db.execute(
                    "UPDATE articles SET story_id = ? WHERE id = ?", [match.story_id, article_id]
                )
                dedup.refresh_story(self.db, match.story_id)
        near.add(article_id, sig)

    def rebuild_stories(self) -> int:
        """Recompute every signature and story from the bodies, oldest article first.

        Runs by itself once on an archive made before duplicate detection (or after the
        signature scheme changed); call it after changing the threshold to regroup the
        archive. Returns the number of stories with more than one copy.
        """
        db = self.db
        near = self.near_dups
        with self.write_lock(), db.atomic():
            db.execute("DELETE FROM article_bands")
            db.execute("DELETE FROM article_minhash")
            last = 0
            while True:
                rows = db.execute(
                    "SELECT id, body, story_id FROM articles WHERE id > ? ORDER BY id LIMIT 500",
                    [last],
                ).fetchall()
                if not rows:
                    break
                for article_id, body, story_id in rows:
                    sig = dedup.signature(body or "")
                    match = near.best_match(sig) if sig is not None else None
                    story = match.story_id if match is not None else article_id
                    if story != story_id:
                        db.execute(
                            "UPDATE articles SET story_id = ? WHERE id = ?", [story, article_id]
                        )
                    if sig is not None:
                        near.add(article_id, sig)
                last = rows[-1][0]
            stories = [
                r[0]
                for r in db.execute(
                    "SELECT story_id FROM articles a WHERE story_copies IS NOT"
                    " (SELECT count(*) FROM articles b WHERE b.story_id = a.story_id)"
                    " OR syndicated IS NOT (story_copies > 1)"
                ).fetchall()
            ]
            for story_id in dict.fromkeys(stories):
                dedup.refresh_story(db, story_id)
            self.set_meta(dedup.SCHEME_META, dedup.SCHEME)
        return int(
            db.execute(
                "SELECT count(DISTINCT story_id) FROM articles WHERE syndicated = 1"
            ).fetchone()[0]
        )

    def _add_source(
        self,
        raw: RawDocument | None,
        data: bytes,
        origin: str,
        fmt: str | None,
        status: str,
        article_id: int | None,
        run_id: int,
    ) -> int:
        digest = sha256(data)
        self.raw.keep_bytes(digest, data, self._file, self._offset)
        row = {
            "sha256": digest,
            "origin": origin,
            "container": raw.container if raw else None,
            "format": fmt or (raw.format if raw else None),
            "size": len(data),
            "url": raw.url if raw else None,
            "fetched": raw.fetched if raw else None,
            "status": status,
            "article_id": article_id,
            "run_id": run_id,
            "ingested": now_iso(),
            "file_id": self._file.id if self._file else None,
        }
        previous = self.db.execute(
            "SELECT id FROM sources WHERE sha256 = ? AND origin = ?", [digest, origin]
        ).fetchone()
        if previous:  # a failed input that now succeeds (after an extractor fix) takes over its row
            self.db["sources"].update(previous[0], row)
            return int(previous[0])
        return self._insert("sources", row)

    def _insert_article(self, article: Article, chash: str, raw: RawDocument, run_id: int) -> int:
        """A new article: its story is the one of its most similar earlier copy, else its own."""
        now = now_iso()
        article_id = int(
            self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
        )
        sig = dedup.signature(article.body)
        match = self.near_dups.best_match(sig) if sig is not None else None
        story_id = match.story_id if match is not None else article_id
        copies = dedup.story_size(self.db, story_id) + 1 if match is not None else 1
        # The source first (without its article), so the article row is written once: every
        # write to it also rewrites its full-text entry through the FTS triggers.
        source_id = self._add_source(raw, raw.data, raw.origin, raw.format, "article", None, run_id)
        row = self._article_row(article, chash, article.url or raw.url)
        row.update(
            {
                "id": article_id,
                "first_seen": now,
                "updated_at": now,
                "version": 1,
                "seq": self.next_seq(),
                "story_id": story_id,
                "story_copies": copies,
                "syndicated": int(copies > 1),
                "source_id": source_id,
            }
        )
        self._insert("articles", row)
        self.db.execute("UPDATE sources SET article_id = ? WHERE id = ?", [article_id, source_id])
        self._write_relations(article_id, article, new=True)
        if sig is not None:
            self.near_dups.add(article_id, sig)
        if match is not None:
            dedup.refresh_story(self.db, story_id, skip=[article_id])
        return article_id

    def _article_row(self, article: Article, chash: str, url: str | None = None) -> dict[str, Any]:
        published = article.published
        url = url or article.url
        site_id = self._lookup_id("sites", article.site_name) if article.site_name else None
        return {
            "title": article.title,
            "published": published,
            "published_year": int(published[:4]) if published and published[:4].isdigit() else None,
            "published_month": published[:7] if published and len(published) >= 7 else None,
            "authors": json.dumps(article.authors, ensure_ascii=False),
            "category": article.category,
            "site": article.site_name,
            "site_id": site_id,
            "url": url,
            "url_key": canonical_url(url) if url else None,
            "language": article.language,
            "dateline": article.dateline,
            "wire": article.wire,
            "body": article.body,
            "word_count": count_words(article.body),
            "content_hash": chash,
        }

    def _lookup_id(self, table: str, name: str) -> int:
        self._insert(table, {"name": name}, ignore=True)
        return int(
            self.db.execute(f"SELECT id FROM [{table}] WHERE name = ?", [name]).fetchone()[0]
        )

    def _insert(self, table: str, row: dict[str, Any], *, ignore: bool = False) -> int:
        """Insert one row into a table `ensure_schema` created; returns its rowid.

        The ingest's hot path: sqlite-utils' `insert` reads the table's schema again on every
        call (about eight queries per row, 80 per article, a third of the ingester's CPU at
        10k); the statement here is built once per table and set of columns. Values must be
        SQLite's own types (JSON already dumped)."""
        key = (table, tuple(row), ignore)
        sql = self._insert_sql.get(key)
        if sql is None:
            columns = ", ".join(f"[{name}]" for name in row)
            marks = ", ".join("?" * len(row))
            verb = "INSERT OR IGNORE" if ignore else "INSERT"
            sql = self._insert_sql[key] = f"{verb} INTO [{table}] ({columns}) VALUES ({marks})"
        return int(self.db.conn.execute(sql, tuple(row.values())).lastrowid or 0)

    def _write_relations(self, article_id: int, article: Article, *, new: bool = False) -> None:
        if not new:
            for table in ("article_authors", "article_categories", "captions"):
                self.db.execute(f"DELETE FROM [{table}] WHERE article_id = ?", [article_id])
        for n, name in enumerate(dict.fromkeys(article.authors)):
            author_id = self._lookup_id("authors", name)
            self._insert(
                "article_authors", {"article_id": article_id, "author_id": author_id, "position": n}
            )
        if article.category:
            category_id = self._lookup_id("categories", article.category)
            self._insert(
                "article_categories", {"article_id": article_id, "category_id": category_id}
            )
        for n, text in enumerate(article.captions):
            self._insert("captions", {"article_id": article_id, "position": n, "text": text})

    # ------------------------------------------------------------------ reading
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

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM archive_meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO archive_meta (key, value) VALUES (?, ?)", [key, value]
        )


def _instant(value: str) -> datetime:
    """An ISO time as an aware datetime (naive ones taken as UTC), for ordering fetch times."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _same_site(
    site: str | None, url_key: str | None, other_site: str | None, other_key: str | None
) -> bool:
    """Whether two articles come from one site: same name or same host; unknown counts as same."""
    names = bool(site and other_site)
    hosts = bool(url_key and other_key)
    if names and site.casefold() == other_site.casefold():  # type: ignore[union-attr]
        return True
    if hosts and url_key.split("/", 1)[0] == other_key.split("/", 1)[0]:  # type: ignore[union-attr]
        return True
    return not (names or hosts)
