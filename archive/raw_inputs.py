"""Stored raw inputs read back as documents: the one place that knows how bytes are kept.

`sources` names every input and `source_blobs` holds its bytes. Retrying failed inputs,
re-extraction, removal and purging all go through `raw_bytes` / `raw_document` /
`set_aside` / `purge_sources`, so a change in how the bytes are laid out is a change here only.

The bytes of a removed article's inputs are kept, but not in `news.db`: `serve` publishes
that file (tables by URL, read-only SQL), so they are moved to `removed.db` beside it, which
nothing publishes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest.model import RawDocument
from ingest.readers import detect_format

from .raw_store import blob_bytes

SOURCE_COLUMNS = "id, sha256, origin, container, format, url, fetched, status, article_id, run_id"


def raw_bytes(db: Any, source_id: int) -> bytes | None:
    """The input's bytes as it was given (None when they were purged or never readable)."""
    row = db.execute(
        "SELECT b.content, s.sha256 FROM sources s JOIN source_blobs b ON b.sha256 = s.sha256"
        " WHERE s.id = ?",
        [source_id],
    ).fetchone()
    if row is None:
        return None
    if row[0] is not None:
        return bytes(row[0])
    kept = blob_bytes(db, row[1])  # a slice of its input file, or a file kept in pieces
    if kept is not None:
        return kept
    # set aside by a removal (and maybe ingested again since under another name)
    main = next((r[2] for r in db.execute("PRAGMA database_list") if r[1] == "main"), "")
    return set_aside_bytes(Path(main).parent, row[1]) if main else None


def source_row(db: Any, source_id: int) -> dict[str, Any] | None:
    cursor = db.execute(f"SELECT {SOURCE_COLUMNS} FROM sources WHERE id = ?", [source_id])
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def raw_document(db: Any, source_id: int) -> RawDocument | None:
    """The RawDocument the reader once made of this input, rebuilt from what is stored."""
    row = source_row(db, source_id)
    data = raw_bytes(db, source_id)
    if row is None or data is None:
        return None
    fmt = row["format"] or detect_format(row["origin"], data[:4096])
    fields = None
    if fmt in ("json", "feed"):  # records: the reader handed the parsed object along
        try:
            parsed = json.loads(data.decode("utf-8"))
            fields = parsed if isinstance(parsed, dict) else None
        except (UnicodeDecodeError, ValueError):
            fields = None  # the extractor reports the record as malformed, as ingest did
    return RawDocument(
        origin=row["origin"],
        data=data,
        format=fmt,
        url=row["url"],
        fetched=row["fetched"],
        fields=fields,
        container=row["container"],
    )


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


REMOVED_DB = "removed.db"


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


def set_aside_bytes(archive_dir: Path, sha: str) -> bytes | None:
    """The kept bytes of a removed input (None when purged or never removed)."""
    path = Path(archive_dir) / REMOVED_DB
    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT content FROM removed_blobs WHERE sha256 = ?", [sha]).fetchone()
    finally:
        conn.close()
    return bytes(row[0]) if row else None


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
