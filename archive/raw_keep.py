"""Every input kept as given, byte for byte, and small: the file once, its records as offsets.

Layout (README, "The SQLite schema"):

- `source_files`: one row per input file as given (`path`, `sha256`, `size`, `gzip`). Its
  bytes are the `source_blobs` row of that sha256: compressed if the file was, failed files
  included (a cut `.gz`, a corrupt gzip, a `.warc` that is not one).
- `source_blobs`: the bytes of a file or of a record, once per sha256. A row holds either
  `content` (the bytes themselves), or `base` + `offset`: the bytes are
  `unpack(blob(base))[offset : offset + size]`, where `unpack` gunzips a gzip file (every
  member, as far as it goes) and leaves anything else as it is. A JSON Lines line, a WARC
  record's page, the page inside a `.gz` are slices of their file and cost one small row; a
  record that is not a slice (a feed entry's fields, an element of a JSON array, a line
  re-encoded to UTF-8) keeps its own `content`. Files over `BLOB_MAX` are kept in
  `source_chunks` (`sha256`, `position`, `content`) instead of `content`.

Standard input cannot be read twice: its records keep their own bytes, as before. This module
writes (inside the store's batch transaction); `raw_read` reads the bytes back.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ingest.errors import IngestError
from ingest.limits import MAX_BYTES
from ingest.readers import open_regular, unpack

from .raw_read import blob_bytes

if TYPE_CHECKING:
    import sqlite_utils

    from ingest.model import Failure, RawDocument

BLOB_MAX = 512 * 2**20  # a file larger than this is kept in pieces of CHUNK_BYTES
CHUNK_BYTES = 256 * 2**20
_READ = 1 << 20
_FIND_MAX = 64 * 2**20  # records of bigger files are found by offsets their reader gives
_FIND_WINDOW = 1 << 20  # how far past the previous record the next one is looked for first
_MISSES = 8  # records of one file not found in it before searching stops


def ensure_tables(db: sqlite_utils.Database) -> None:
    """The file table and the slice columns; added to archives made before them (idempotent)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS source_files (id INTEGER PRIMARY KEY, path TEXT NOT NULL,"
        " sha256 TEXT NOT NULL, size INTEGER NOT NULL, gzip INTEGER NOT NULL, run_id INTEGER,"
        " ingested TEXT)"
    )
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS source_files_path_sha ON source_files (path, sha256)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS source_chunks (sha256 TEXT NOT NULL, position INTEGER NOT"
        " NULL, content BLOB NOT NULL, PRIMARY KEY (sha256, position))"
    )
    for table, column in (
        ("source_blobs", "base"),
        ("source_blobs", "offset"),
        ("sources", "file_id"),
        ("ingest_errors", "file_id"),
        ("ingest_errors", "count"),
    ):
        columns = {row[1] for row in db.execute(f"PRAGMA table_info([{table}])").fetchall()}
        if column not in columns:
            kind = "TEXT" if column == "base" else "INTEGER"
            db.execute(f"ALTER TABLE [{table}] ADD COLUMN [{column}] {kind}")


@dataclass(slots=True)
class InputFile:
    """One input file kept in the archive; `unpacked` is loaded only to find records in it."""

    id: int
    path: str
    sha256: str
    size: int
    gzip: bool
    cursor: int = 0  # where the previous record ended: the next one is looked for from here
    misses: int = 0
    unpacked: bytes | None = None


class RawKeeper:
    """Keeps input files and record bytes for one Store (one writer, inside its transactions)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._last: tuple[str, InputFile | None] | None = None  # records come file by file

    def forget(self) -> None:
        """After a rollback: what was kept in it is gone."""
        self._last = None

    # ----------------------------------------------------------------- files
    def file_for(
        self, item_raw: RawDocument | None, failure: Failure | None, run_id: int, now: str
    ) -> InputFile | None:
        """The input file `item` came from, kept in the archive (once); None for stdin and
        for what is not a regular file."""
        path = _path_of(item_raw, failure)
        if path is None:
            return None
        if self._last is not None and self._last[0] == path:
            return self._last[1]
        kept = self._keep_file(path, failure, run_id, now)
        self._last = (path, kept)
        return kept

    def _keep_file(
        self, path: str, failure: Failure | None, run_id: int, now: str
    ) -> InputFile | None:
        try:
            fd = open_regular(path)
        except (IngestError, OSError):
            return None
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_BYTES and failure is not None and failure.origin == path:
                return None  # refused whole as too large: nothing in it was read, none is kept
            digest, head = _hash(fh)
            known = self.db.execute(
                "SELECT 1 FROM source_blobs WHERE sha256 = ? AND (content IS NOT NULL"
                " OR EXISTS (SELECT 1 FROM source_chunks c WHERE c.sha256 = source_blobs.sha256))",
                [digest],
            ).fetchone()
            if not known and not self._store_file(fh, digest, size):
                return None  # the file changed while we read it: keep nothing half-true
        gz = head[:2] == b"\x1f\x8b"
        self.db.execute(
            "INSERT OR IGNORE INTO source_files (path, sha256, size, gzip, run_id, ingested)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [path, digest, size, int(gz), run_id, now],
        )
        file_id = self.db.execute(
            "SELECT id FROM source_files WHERE path = ? AND sha256 = ?", [path, digest]
        ).fetchone()[0]
        return InputFile(int(file_id), path, digest, size, gz)

    def _store_file(self, fh: Any, digest: str, size: int) -> bool:
        """Copy the file into the archive a piece at a time (memory stays flat); False when
        its bytes no longer hash to `digest`."""
        conn = self.db.conn
        fh.seek(0)
        check = hashlib.sha256()
        conn.execute("DELETE FROM source_chunks WHERE sha256 = ?", [digest])
        # a slice row of the same bytes may exist (sources refer to it): overwrite it in place
        conn.execute(
            "INSERT INTO source_blobs (sha256, size, content, base, offset)"
            " VALUES (?, ?, CASE WHEN ? THEN zeroblob(?) END, NULL, NULL)"
            " ON CONFLICT (sha256) DO UPDATE SET content = excluded.content, base = NULL,"
            " offset = NULL",
            [digest, size, size <= BLOB_MAX, size],
        )
        if size <= BLOB_MAX:
            rowid = conn.execute(
                "SELECT rowid FROM source_blobs WHERE sha256 = ?", [digest]
            ).fetchone()[0]
            targets = [(rowid, "source_blobs", size)]
        else:
            targets = []
            for position, start in enumerate(range(0, size, CHUNK_BYTES)):
                length = min(CHUNK_BYTES, size - start)
                rowid = conn.execute(
                    "INSERT INTO source_chunks (sha256, position, content)"
                    " VALUES (?, ?, zeroblob(?))",
                    [digest, position, length],
                ).lastrowid
                targets.append((rowid, "source_chunks", length))
        for rowid, table, length in targets:
            with conn.blobopen(table, "content", rowid) as blob:
                left = length
                while left:
                    data = fh.read(min(_READ, left))
                    if not data:
                        return False
                    blob.write(data)
                    check.update(data)
                    left -= len(data)
        return check.hexdigest() == digest and not fh.read(1)

    # ----------------------------------------------------------------- records
    def keep_bytes(
        self, digest: str, data: bytes, file: InputFile | None, offset: int | None
    ) -> None:
        """Keep `data` (whose sha256 is `digest`) once: as a slice of `file` when it is one."""
        if self.db.execute("SELECT 1 FROM source_blobs WHERE sha256 = ?", [digest]).fetchone():
            return
        if file is not None and digest != file.sha256:
            if offset is None:
                offset = self._find(file, data)
            if offset is not None:
                self.db.execute(
                    "INSERT INTO source_blobs (sha256, size, content, base, offset)"
                    " VALUES (?, ?, NULL, ?, ?)",
                    [digest, len(data), file.sha256, offset],
                )
                return
        self.db.execute(
            "INSERT INTO source_blobs (sha256, size, content) VALUES (?, ?, ?)",
            [digest, len(data), data],
        )

    def _find(self, file: InputFile, data: bytes) -> int | None:
        """Where `data` lies in the file's unpacked bytes: near the previous record first."""
        if file.size > _FIND_MAX or file.misses >= _MISSES or not data:
            return None
        if file.unpacked is None:
            file.unpacked = unpack(blob_bytes(self.db, file.sha256) or b"")
        found = file.unpacked.find(data, file.cursor, file.cursor + len(data) + _FIND_WINDOW)
        if found < 0:
            found = file.unpacked.find(data)
        if found < 0:
            file.misses += 1
            return None
        file.cursor = found + len(data)
        return found


def _path_of(raw: RawDocument | None, failure: Failure | None) -> str | None:
    if raw is not None:
        path = raw.container or raw.origin
    elif failure is not None:
        path = failure.container
    else:
        return None
    return None if not path or path == "<stdin>" else path


def _hash(fh: Any) -> tuple[str, bytes]:
    digest = hashlib.sha256()
    head = b""
    while chunk := fh.read(_READ):
        if not head:
            head = chunk[:2]
        digest.update(chunk)
    return digest.hexdigest(), head
