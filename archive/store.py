"""The SQLite archive: the source of truth, written with sqlite-utils, readable with plain SQL.

Every input is kept verbatim (`sources` + `source_blobs`), every article is upserted with its
normalized authors, categories, site and captions, and every failure gets a row in
`ingest_errors`. A batch is one `db.atomic()` transaction: sqlite-utils' bulk methods commit
every 100 rows on their own otherwise (TRAPS.md).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ingest.model import Article, Failure, RawDocument

SCHEMA_VERSION = 1
DB_NAME = "news.db"


class ArchiveError(Exception):
    """The archive folder or database cannot be used; the message says why and what to do."""


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_SPACE = re.compile(r"\s+")


def content_hash(article: Article) -> str:
    """Identity of an article's content, blind to whitespace and quote style."""
    text = unicodedata.normalize("NFKC", f"{article.title or ''}\n{article.body}").lower()
    text = text.translate(str.maketrans("‘’“”–—", "''\"\"--"))
    return sha256(_SPACE.sub(" ", text).strip().encode())


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
    failed: list[Failure] = field(default_factory=list)


class Store:
    """The archive database. Open it with `Store.open(dir)`; it creates the schema on first use."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None) -> None:
        self.db = db
        self.path = path

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
                import sqlite3

                conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
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

    @classmethod
    def memory(cls) -> Store:
        store = cls(sqlite_utils.Database(memory=True), None)
        store.ensure_schema()
        return store

    def close(self) -> None:
        self.db.conn.close()

    # ------------------------------------------------------------------ schema
    def ensure_schema(self) -> None:
        db = self.db
        if "archive_meta" in db.table_names():
            return
        with db.atomic():
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
                    "status": str,
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
            db["articles"].enable_fts(["title", "body"], fts_version="FTS5", create_triggers=True)

    # ------------------------------------------------------------------ runs
    def start_run(self, arguments: list[str]) -> int:
        with self.db.atomic():
            table = self.db["ingest_runs"].insert(
                {
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

    def finish_run(self, run_id: int, totals: BatchResult, status: str = "done") -> None:
        with self.db.atomic():
            self.db["ingest_runs"].update(
                run_id,
                {
                    "finished": now_iso(),
                    "added": len(totals.added),
                    "updated": len(totals.updated),
                    "duplicates": totals.duplicates,
                    "unchanged": totals.unchanged,
                    "failed": len(totals.failed),
                    "status": status,
                },
            )

    # ------------------------------------------------------------------ writing
    def next_seq(self) -> int:
        row = self.db.execute(
            "UPDATE archive_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value"
        ).fetchone()
        return int(row[0])

    def write_batch(self, items: Iterable[Extracted], run_id: int) -> BatchResult:
        """Store one batch atomically: all of it is visible afterwards, or none of it."""
        result = BatchResult()
        with self.db.atomic():
            for item in items:
                self._write_one(item, run_id, result)
        return result

    def _write_one(self, item: Extracted, run_id: int, result: BatchResult) -> None:
        raw = item.raw
        if item.failure is not None:
            failure = item.failure
            source_id = None
            data = raw.data if raw is not None else failure.data
            if data:
                source_id = self._add_source(
                    raw, data, failure.origin, failure.format, "failed", None, run_id
                )
            self.db["ingest_errors"].insert(
                {
                    "run_id": run_id,
                    "origin": failure.origin,
                    "reason": failure.reason,
                    "message": failure.message,
                    "source_id": source_id,
                    "created": now_iso(),
                }
            )
            result.failed.append(failure)
            return
        if raw is None or item.article is None:
            raise ValueError("an Extracted item needs either a failure or a raw document with its article")
        digest = sha256(raw.data)
        if self.db.execute(
            "SELECT 1 FROM sources WHERE sha256 = ? AND origin = ? AND status != 'failed'",
            [digest, raw.origin],
        ).fetchone():
            result.unchanged += 1
            return
        article = item.article
        chash = content_hash(article)
        existing = self.db.execute(
            "SELECT id FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1", [chash]
        ).fetchone()
        if existing:
            self._add_source(
                raw, raw.data, raw.origin, raw.format, "duplicate", existing[0], run_id
            )
            result.duplicates += 1
            return
        article_id = self._insert_article(article, chash, raw, run_id)
        result.added.append(article_id)

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
        self.db["source_blobs"].insert(
            {"sha256": digest, "size": len(data), "content": data}, ignore=True
        )
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
        }
        previous = self.db.execute(
            "SELECT id FROM sources WHERE sha256 = ? AND origin = ?", [digest, origin]
        ).fetchone()
        if previous:  # a failed input that now succeeds (after an extractor fix) takes over its row
            self.db["sources"].update(previous[0], row)
            return int(previous[0])
        return int(self.db["sources"].insert(row).last_pk)

    def _insert_article(self, article: Article, chash: str, raw: RawDocument, run_id: int) -> int:
        now = now_iso()
        row = self._article_row(article, chash)
        row.update({"first_seen": now, "updated_at": now, "version": 1, "seq": self.next_seq()})
        article_id = int(self.db["articles"].insert(row).last_pk)
        self.db["articles"].update(article_id, {"story_id": article_id})
        source_id = self._add_source(
            raw, raw.data, raw.origin, raw.format, "article", article_id, run_id
        )
        self.db["articles"].update(article_id, {"source_id": source_id})
        self._write_relations(article_id, article)
        return article_id

    def _article_row(self, article: Article, chash: str) -> dict[str, Any]:
        published = article.published
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
            "url": article.url,
            "url_key": canonical_url(article.url) if article.url else None,
            "language": article.language,
            "dateline": article.dateline,
            "wire": article.wire,
            "body": article.body,
            "word_count": len(article.body.split()),
            "content_hash": chash,
        }

    def _lookup_id(self, table: str, name: str) -> int:
        self.db[table].insert({"name": name}, ignore=True)
        return int(
            self.db.execute(f"SELECT id FROM [{table}] WHERE name = ?", [name]).fetchone()[0]
        )

    def _write_relations(self, article_id: int, article: Article) -> None:
        for table in ("article_authors", "article_categories", "captions"):
            self.db.execute(f"DELETE FROM [{table}] WHERE article_id = ?", [article_id])
        self.db["article_authors"].insert_all(
            (
                {
                    "article_id": article_id,
                    "author_id": self._lookup_id("authors", name),
                    "position": n,
                }
                for n, name in enumerate(dict.fromkeys(article.authors))
            ),
        )
        if article.category:
            self.db["article_categories"].insert(
                {
                    "article_id": article_id,
                    "category_id": self._lookup_id("categories", article.category),
                }
            )
        self.db["captions"].insert_all(
            {"article_id": article_id, "position": n, "text": text}
            for n, text in enumerate(article.captions)
        )

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

    def iter_articles(self, since_seq: int = 0, batch: int = 500) -> Iterator[dict[str, Any]]:
        """Rows for the index, in seq order: everything changed after `since_seq`."""
        last = since_seq
        while True:
            rows = list(
                self.db.query(
                    "SELECT * FROM articles WHERE seq > ? ORDER BY seq LIMIT ?", [last, batch]
                )
            )
            if not rows:
                return
            yield from rows
            last = rows[-1]["seq"]

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM archive_meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO archive_meta (key, value) VALUES (?, ?)", [key, value]
        )


_TRACKING = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|ref|ref_src|smid|src|ito|guccounter)$",
    re.I,
)


def canonical_url(url: str) -> str:
    """A URL reduced to what identifies the page: scheme, www., fragment, tracking and AMP forms dropped."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.").removeprefix("amp.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/amp/?$|\.amp$", "", parts.path) or "/"
    path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(k) and k.lower() not in {"amp", "outputtype"}
    ]
    q = urlencode(sorted(query))
    return f"{host}{path}" + (f"?{q}" if q else "")
