"""Kept inputs read back: the one place that knows how their bytes are laid out.

`sources` names every input and `source_blobs` holds its bytes (as `raw_keep` wrote them: the
bytes, a slice of their file, or chunks); a removed article's inputs have theirs in
`removed.db` (`raw_aside`). Retrying failed inputs, re-extraction, site templates, removal
and `tests/test_store.py`'s byte-for-byte check all read through `blob_bytes` / `file_bytes`
/ `raw_bytes` / `raw_document`, so a change of layout is a change here and in `raw_keep` only.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from ingest.model import RawDocument
from ingest.readers import detect_format, unpack

REMOVED_DB = "removed.db"  # beside news.db: the bytes of removed articles' inputs, unpublished


def blob_bytes(db: Any, digest: str) -> bytes | None:
    """The bytes kept under `digest`, whatever their layout; None when none are kept."""
    row = db.execute(
        "SELECT content, base, offset, size FROM source_blobs WHERE sha256 = ?", [digest]
    ).fetchone()
    if row is None:
        return None
    content, base, offset, size = row
    if content is not None:
        return bytes(content)
    if base is not None:
        whole = blob_bytes(db, base)
        return None if whole is None else unpack(whole)[offset : offset + size]
    pieces = db.execute(
        "SELECT content FROM source_chunks WHERE sha256 = ? ORDER BY position", [digest]
    ).fetchall()
    return b"".join(bytes(p[0]) for p in pieces) if pieces else None


def file_bytes(db: Any, path: str) -> bytes | None:
    """The newest kept copy of the input file `path`, exactly as it was given."""
    row = db.execute(
        "SELECT sha256 FROM source_files WHERE path = ? ORDER BY id DESC LIMIT 1", [path]
    ).fetchone()
    return blob_bytes(db, row[0]) if row else None


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
