"""Big JSON Lines files read as a stream: memory stays flat whatever the size of the dump.

A news export is typically one multi-gigabyte `.jsonl` or `.jsonl.gz`. Reading it whole
needed about 7 times its size in memory (bytes, text, lines) and refused it above the 200 MB
cap, so files above STREAM_AT are read line by line instead (plain or gzip, by content).
Each line becomes exactly what `jsonl.iter_json_records` makes of it; a line over the size
cap is refused as `too_large` without being held, and a gzip stream cut short keeps every
whole line before the cut. Smaller files, whole-document JSON (arrays, pretty-printed
objects) and wide encodings (UTF-16/32) keep the whole-file reader.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from typing import IO

from .errors import IngestError
from .jsonl import line_record
from .model import Failure, RawDocument

STREAM_AT = 4 * 2**20  # files bigger than this on disk are streamed (a million short lines: 13 MB)
_CHUNK = 1 << 20


def wants_stream(source: str, fmt: str, detect) -> bool:  # type: ignore[no-untyped-def]
    """True for a big file that is JSON Lines: by --format, else by its name or first bytes."""
    if source == "-" or fmt not in ("auto", "jsonl"):
        return False
    try:
        if os.path.getsize(source) <= STREAM_AT:
            return False
        with _open(source) as fh:
            head = fh.read(64 * 1024)
    except (OSError, EOFError, zlib.error):
        return False  # the whole-file reader reports it with its usual reason
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        return False  # UTF-16/32: lines do not split on a newline byte
    if (fmt if fmt != "auto" else detect(source, head[:4096])) != "jsonl":
        return False
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    try:
        return isinstance(json.loads(first), dict)  # one object per line, not one document
    except ValueError:
        return False


def _open(source: str) -> IO[bytes]:
    with open(source, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(source, "rb")  # type: ignore[return-value]
    return open(source, "rb")


def iter_stream(source: str, max_line: int) -> Iterator[RawDocument | Failure]:
    """Every line of a JSON Lines file as a record, reading at most `max_line` bytes at a time."""
    lineno = 0
    position = 0  # of the line in the file's bytes (gunzipped): each record keeps its offset
    try:
        with _open(source) as fh:
            while True:
                start = position
                line = fh.readline(max_line + 1)
                if not line:
                    return
                position += len(line)
                lineno += 1
                where = f"{source}:{lineno}"
                if len(line) > max_line and not line.endswith(b"\n"):
                    position += _skip_rest_of_line(fh)
                    yield Failure(
                        where,
                        "too_large",
                        f"{where}: line {lineno} is larger than {max_line // 2**20} MB; "
                        "split that record or remove it.",
                        None,
                        "json",
                    )
                    continue
                if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                    start += 3
                line = line.rstrip(b"\r\n")
                if line.strip():
                    yield _record(where, lineno, line, source, start)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        cut = lineno + 1
        yield Failure(
            f"{source}:{cut}",
            "truncated",
            f"{source}: the gzip file is truncated or corrupt at line {cut} ({exc}); the "
            f"{lineno} whole line(s) before it were kept; download or copy the file again.",
            None,
            "json",
        )
    except OSError as exc:
        yield Failure(
            f"{source}:{lineno + 1}",
            "unreadable",
            f"{source}: reading stopped at line {lineno + 1} ({exc.strerror or exc}).",
            None,
            "json",
        )


def _skip_rest_of_line(fh: IO[bytes]) -> int:
    """Read past the end of the current line; returns how many bytes that was."""
    skipped = 0
    while True:
        chunk = fh.readline(_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _record(
    where: str, lineno: int, line: bytes, container: str, start: int
) -> RawDocument | Failure:
    """One line as a record; `start` is where `line` begins in the file (gunzipped)."""
    offset: int | None = start
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        from .decode import decode_bytes

        try:
            text = decode_bytes(line, where, declared="utf-8")
        except IngestError as exc:
            return Failure(where, exc.reason, str(exc), line, "json", container, start)
        line = text.encode("utf-8")
        offset = None  # re-encoded: no longer a slice of the file
    item = line_record(container, lineno, text, line)
    item.offset = offset
    if isinstance(item, Failure):
        item.container = container
    return item
