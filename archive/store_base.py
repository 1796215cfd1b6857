"""What every part of the store shares: the connection, its write lock, counters and meta.

`store.py` is the facade callers import; the parts behind it (`store_schema`, `store_write`,
`store_versions`, `store_stories`, `store_runs`) each take one `StoreCore` and never import
the facade or each other backwards, so there is no import circle to untangle.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from ingest.model import Article

from . import dedup

DB_NAME = "news.db"
ARTICLE_ID_META = "last_article_id"  # the highest article id ever given (ids are never reused)


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


class StoreCore:
    """One open archive database and the few writes every part of the store needs."""

    def __init__(self, db: sqlite_utils.Database, path: Path | None) -> None:
        self.db = db
        self.path = path
        self._insert_sql: dict[tuple[str, tuple[str, ...], bool], str] = {}
        self._near_dups: dedup.NearDuplicates | None = None

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

    # ------------------------------------------------------------------ meta and counters
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM archive_meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO archive_meta (key, value) VALUES (?, ?)", [key, value]
        )

    def next_seq(self) -> int:
        """The next change number: the index watermark compares against it."""
        row = self.db.execute(
            "UPDATE archive_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value"
        ).fetchone()
        return int(row[0])

    def next_article_id(self) -> int:
        """A new article's id, one past the highest ever given.

        Not `max(id) + 1`: after `remove --purge` of the newest article that would hand its id
        to the next one, and links, the `removals` row and the index would name another
        article. The counter lives in `archive_meta` (`store_schema` adds it to old archives);
        the `max(id)` term only guards against rows someone inserted with SQL.
        """
        row = self.db.execute(
            "UPDATE archive_meta SET value = max(CAST(value AS INTEGER),"
            " (SELECT coalesce(max(id), 0) FROM articles)) + 1 WHERE key = ? RETURNING value",
            [ARTICLE_ID_META],
        ).fetchone()
        if row is None:
            raise ArchiveError(
                "The archive has no article id counter: open it with Store.open (which adds it)."
            )
        return int(row[0])

    # ------------------------------------------------------------------ rows
    def insert(self, table: str, row: dict[str, Any], *, ignore: bool = False) -> int:
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

    def lookup_id(self, table: str, name: str) -> int:
        """The id of `name` in a name table (sites, authors, categories), added when new."""
        self.insert(table, {"name": name}, ignore=True)
        return int(
            self.db.execute(f"SELECT id FROM [{table}] WHERE name = ?", [name]).fetchone()[0]
        )

    # ------------------------------------------------------------------ near duplicates
    def load_near_dups(self) -> None:
        """Read the near-duplicate threshold now, so a bad setting fails at open, not mid-batch."""
        try:
            threshold = dedup.threshold_setting(self.get_meta(dedup.THRESHOLD_META))
        except dedup.NearDupSettingError as exc:
            raise ArchiveError(str(exc)) from None
        self._near_dups = dedup.NearDuplicates(self.db, threshold)

    @property
    def near_dups(self) -> dedup.NearDuplicates:
        if self._near_dups is None:
            self._near_dups = dedup.NearDuplicates(
                self.db, dedup.threshold_setting(self.get_meta(dedup.THRESHOLD_META))
            )
        return self._near_dups
