"""What the search index reads from the archive: article rows by `seq` or id, the watermark.

Every article row carries `seq`, a change counter bumped on each insert and update;
`archive_meta.index_seq` (the watermark) records the highest seq the index holds. Works
with a `Store` or with `ArchiveDB` (plain sqlite3): only `.db.execute(sql, params)` and the
connection's transactions are used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

WATERMARK = "index_seq"
BATCH = 1000
# Captions are searchable: joined by newlines, in page order, as the index's `captions` field.
ROW_COLUMNS = (
    "id, title, body, authors, category, site, language, published, content_hash, seq, "
    "(SELECT group_concat(text, char(10)) FROM (SELECT text FROM captions c "
    "WHERE c.article_id = articles.id ORDER BY c.position)) AS captions"
)


def connection(store: Any) -> sqlite3.Connection:
    db = store.db
    return db if isinstance(db, sqlite3.Connection) else db.conn


def get_meta(store: Any, key: str) -> str | None:
    row = (
        connection(store).execute("SELECT value FROM archive_meta WHERE key = ?", [key]).fetchone()
    )
    return row[0] if row else None


def set_meta(store: Any, key: str, value: str) -> None:
    """Write one meta value in its own short transaction.

    BEGIN IMMEDIATE takes the write lock first (waiting up to the busy timeout): the index
    follower moves the watermark while the ingester commits batches from another connection.
    """
    conn = connection(store)
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
    cursor = connection(store).execute(sql, params)
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


def article_ids(store: Any) -> set[int]:
    return {row[0] for row in connection(store).execute("SELECT id FROM articles")}
