"""WARC files (web archives) → one RawDocument per archived HTML page.

Pages are `response` records whose HTTP payload is HTML and whose status is 2xx, and
`resource` / `conversion` records holding HTML or plain text (how Webrecorder and warcit store
local captures, and how a converted text version is kept); request, metadata, revisit,
redirect, other and truncated (`WARC-Truncated`) records are skipped. A WARC in which no
record is a page says so as one `empty` Failure rather than adding nothing in silence.
warcio hands back a record cut
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
from .limits import MAX_BYTES
from .model import Failure, RawDocument

_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml+html")
_STORED = ("resource", "conversion")  # records that hold a document itself, not an HTTP reply
_TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown")


def _is_text(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() in _TEXT_TYPES


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
    pages = 0
    last_cut = False  # the final record was already reported truncated
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=False):
            number += 1
            last_cut = False
            where = f"{origin}#{number}"
            if record.rec_type in _STORED:  # no HTTP envelope: the WARC header types it
                content_type = record.rec_headers.get_header("Content-Type") or ""
            elif record.rec_type == "response" and record.http_headers is not None:
                status = record.http_headers.get_statuscode() or ""
                if not status.startswith("2"):
                    continue
                content_type = record.http_headers.get_header("Content-Type") or ""
            else:
                continue
            if record.rec_headers.get_header("WARC-Truncated"):
                continue  # a capture cut short (over a size cap, endless) is not the page
            # a gzip/brotli Content-Encoding inflates here: read one byte past the bound at most
            payload = record.content_stream().read(max_bytes + 1)
            record.raw_stream.read()  # drain what the payload decoder left, to count it
            if len(payload) > max_bytes:
                pages += 1
                yield Failure(where, "too_large", _too_large(where, max_bytes), None, "warc")
                continue
            missing = getattr(record.raw_stream, "limit", 0)
            if missing:
                declared = record.rec_headers.get_header("Content-Length")
                last_cut = True
                pages += 1  # reported: not a silently empty WARC
                yield Failure(
                    where,
                    "truncated",
                    f"{where}: the WARC record is truncated ({missing} of {declared} bytes missing);"
                    " copy or download the WARC file again.",
                    payload or None,
                    "warc",
                )
                continue
            kind = "html" if _is_html(content_type, payload) else None
            if kind is None and record.rec_type in _STORED and _is_text(content_type):
                kind = "text"
            if kind is None:
                continue
            charset = _charset(content_type)
            pages += 1
            yield RawDocument(
                origin=where,
                data=payload,
                format=kind,
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
    if number and not pages and not gzip_cut:
        yield Failure(
            origin,
            "empty",
            f"{origin}: none of its {number} WARC record(s) is an archived page (an HTML "
            "response, or a resource or conversion record with HTML or text); nothing was added.",
            None,
            "warc",
        )
    if gzip_cut and not last_cut:
        yield Failure(
            f"{origin}#{number + 1}",
            "truncated",
            f"{origin}: the gzip stream ends mid-record after record {number}; copy or download it again.",
            None,
            "warc",
        )
