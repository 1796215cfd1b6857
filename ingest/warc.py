"""WARC files (web archives) → one RawDocument per archived HTML page.

Only `response` records whose HTTP payload is HTML and whose status is 2xx are pages; request,
metadata, revisit, redirect and non-HTML records are skipped. warcio hands back a record cut
short without complaint (TRAPS.md), so every record's bytes are checked against its
Content-Length: a truncated record is a Failure, never a short article. Decompression (a
gzipped WARC, a gzip-encoded HTTP payload) is bounded by `MAX_BYTES` like every other input,
so a small file that inflates to gigabytes is one `too_large` Failure, not an exhausted machine.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

from .errors import TooLarge
from .model import Failure, RawDocument
from .readers import MAX_BYTES

_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml+html")


def _gunzip_members(data: bytes, origin: str, max_bytes: int) -> tuple[bytes, bool]:
    """Concatenated gzip members → (plain bytes, whether the last member was cut short).

    Raises TooLarge as soon as the output passes `max_bytes`: never inflates past it.
    """
    out = bytearray()
    while data[:2] == b"\x1f\x8b":
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += decomp.decompress(data, max_bytes + 1 - len(out))
        except zlib.error:
            return bytes(out), True
        if len(out) > max_bytes:
            raise TooLarge(_too_large(origin, max_bytes))
        if not decomp.eof:
            return bytes(out), True
        data = decomp.unused_data
    return bytes(out), False


def _too_large(where: str, max_bytes: int) -> str:
    return (
        f"{where}: decompresses to more than {max_bytes // 2**20} MB; "
        "split the WARC into smaller files."
    )


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def _is_html(content_type: str, payload: bytes) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    if kind:
        return kind in _HTML_TYPES
    head = payload[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def iter_warc_pages(
    origin: str, data: bytes, max_bytes: int = MAX_BYTES
) -> Iterator[RawDocument | Failure]:
    """Every archived HTML page of a WARC (plain or gzipped) as a RawDocument, in file order."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    gzip_cut = False
    if data[:2] == b"\x1f\x8b":
        try:
            data, gzip_cut = _gunzip_members(data, origin, max_bytes)
        except TooLarge as exc:
            yield Failure(origin, exc.reason, str(exc), None, "warc")
            return
    if data.lstrip()[:5] not in (b"WARC/", b"filed"):  # warcio would read any bytes as ARC
        yield Failure(
            origin,
            "malformed",
            f"{origin}: is not a WARC file (it does not start with a WARC/1.x header); "
            "pass --format to read it as another format.",
            None,
            "warc",
        )
        return
    number = 0
    last_cut = False  # the final record was already reported truncated
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=False):
            number += 1
            last_cut = False
            where = f"{origin}#{number}"
            if record.rec_type != "response" or record.http_headers is None:
                continue
            status = record.http_headers.get_statuscode() or ""
            if not status.startswith("2"):
                continue
            content_type = record.http_headers.get_header("Content-Type") or ""
            # a gzip/brotli Content-Encoding inflates here: read one byte past the bound at most
            payload = record.content_stream().read(max_bytes + 1)
            record.raw_stream.read()  # drain what the payload decoder left, to count it
            if len(payload) > max_bytes:
                yield Failure(where, "too_large", _too_large(where, max_bytes), None, "warc")
                continue
            missing = getattr(record.raw_stream, "limit", 0)
            if missing:
                declared = record.rec_headers.get_header("Content-Length")
                last_cut = True
                yield Failure(
                    where,
                    "truncated",
                    f"{where}: the WARC record is truncated ({missing} of {declared} bytes missing);"
                    " copy or download the WARC file again.",
                    payload or None,
                    "warc",
                )
                continue
            if not _is_html(content_type, payload):
                continue
            charset = _charset(content_type)
            yield RawDocument(
                origin=where,
                data=payload,
                format="html",
                url=record.rec_headers.get_header("WARC-Target-URI"),
                fetched=record.rec_headers.get_header("WARC-Date"),
                fields={"http_charset": charset} if charset else None,
                container=origin,
            )
    except (ArchiveLoadFailed, zlib.error, ValueError, EOFError) as exc:
        where = f"{origin}#{number + 1}"
        yield Failure(
            where,
            "malformed",
            f"{where}: not a readable WARC record ({exc}); check that the file is a WARC.",
            None,
            "warc",
        )
        return
    if gzip_cut and not last_cut:
        yield Failure(
            f"{origin}#{number + 1}",
            "truncated",
            f"{origin}: the gzip stream ends mid-record after record {number}; copy or download it again.",
            None,
            "warc",
        )
