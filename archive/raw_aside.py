"""A removed article's inputs taken out of `news.db`: set aside, brought back, or deleted.

Their bytes are kept, but not in `news.db`: `serve` publishes that file (tables by URL,
read-only SQL), so `set_aside` moves them to `removed.db` beside it, which nothing publishes.
`ingest --readd-removed` brings them back (`bring_back`); `remove --purge` deletes them
(`purge_sources`, `forget_aside`). Reading them is `raw_read`'s job, as for any kept input.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .raw_read import REMOVED_DB, blob_bytes, set_aside_bytes


def purge_sources(db: Any, source_ids: Iterable[int]) -> int:
    """Delete these inputs and the bytes no other input shares; returns inputs deleted."""
    ids = list(source_ids)
    done = 0
    for source_id in ids:
        row = db.execute("SELECT sha256 FROM sources WHERE id = ?", [source_id]).fetchone()
        if row is None:
            continue
        db.execute("UPDATE ingest_errors SET source_id = NULL WHERE source_id = ?", [source_id])
        db.execute("UPDATE article_versions SET source_id = NULL WHERE source_id = ?", [source_id])
        db.execute("DELETE FROM sources WHERE id = ?", [source_id])
        if not db.execute("SELECT 1 FROM sources WHERE sha256 = ? LIMIT 1", [row[0]]).fetchone():
            db.execute("DELETE FROM source_blobs WHERE sha256 = ?", [row[0]])
        done += 1
    return done


def _aside(archive_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(Path(archive_dir) / REMOVED_DB, timeout=30)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS removed_blobs (sha256 TEXT PRIMARY KEY, size INTEGER,"
        " content BLOB, removed_at TEXT)"
    )
    return conn


def set_aside(db: Any, archive_dir: Path, source_ids: Iterable[int], when: str) -> int:
    """Move these inputs' bytes out of news.db into removed.db (kept, never published).

    Copied and committed there first, then deleted here by the caller's transaction: a crash
    between the two leaves the bytes in both files, never in neither. Bytes another input
    still in the archive shares stay. Returns blobs moved."""
    ids = list(source_ids)
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    shas = [
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT sha256 FROM sources WHERE id IN ({marks})"
            " AND sha256 NOT IN (SELECT sha256 FROM sources WHERE status != 'removed'"
            f" AND id NOT IN ({marks}))",
            ids + ids,
        ).fetchall()
    ]
    if not shas:
        return 0
    aside = _aside(archive_dir)
    try:
        with aside:
            for sha in shas:
                row = db.execute(
                    "SELECT size, content FROM source_blobs WHERE sha256 = ?", [sha]
                ).fetchone()
                if row is not None:
                    data = row[1] if row[1] is not None else blob_bytes(db, sha)
                    aside.execute(
                        "INSERT OR REPLACE INTO removed_blobs VALUES (?, ?, ?, ?)",
                        [sha, row[0], data, when],
                    )
    finally:
        aside.close()
    for sha in shas:  # the row stays (sources refer to it), its bytes go (a slice: its offset)
        db.execute(
            "UPDATE source_blobs SET content = NULL, base = NULL, offset = NULL WHERE sha256 = ?",
            [sha],
        )
    return len(shas)


def bring_back(db: Any, archive_dir: Path, shas: Iterable[str]) -> int:
    """Put kept bytes back into news.db (`ingest --readd-removed`); returns blobs restored."""
    done = 0
    for sha in shas:
        data = set_aside_bytes(archive_dir, sha)
        if data is not None:
            db.execute("UPDATE source_blobs SET content = ? WHERE sha256 = ?", [data, sha])
            done += 1
    return done


def forget_aside(archive_dir: Path, shas: Iterable[str]) -> None:
    """Drop kept bytes from removed.db (purged, or back in news.db after a re-add)."""
    shas = list(shas)
    path = Path(archive_dir) / REMOVED_DB
    if not shas or not path.exists():
        return
    conn = sqlite3.connect(path, timeout=30)
    try:
        with conn:
            conn.executemany("DELETE FROM removed_blobs WHERE sha256 = ?", [(s,) for s in shas])
    finally:
        conn.close()
