"""Opening the archive for reading, also from read-only media (plain sqlite3: no heavy imports)."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path


def connect_for_reading(path: Path, *, query_only: bool = False) -> sqlite3.Connection:
    """A connection that also works when the archive lies on read-only media.

    SQLite in WAL mode must create `news.db-shm` beside the file even to read; where the folder
    cannot be written, the database is opened immutable instead (ingest checkpoints the WAL when
    it finishes, so nothing committed is left only in the WAL).
    """
    if os.access(path.parent, os.W_OK):
        if query_only:
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        return sqlite3.connect(path, timeout=30)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        print(
            f"Warning: {path} is read-only and its write-ahead log was not checkpointed; "
            "the most recent changes may not show.",
            file=sys.stderr,
        )
    return sqlite3.connect(f"file:{path}?immutable=1", uri=True, timeout=30)
