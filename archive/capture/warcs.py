"""WARC files of a capture: every request and response, written so a kill never counts half a record.

A file is written as `NAME.warc.gz.partial` (each record its own gzip member, flushed as it is
written, the file locked while open) and renamed to `NAME.warc.gz` only once closed and synced.
A `.partial` left by a killed run is salvaged by the next one: its complete gzip members (whole
records, since a member's CRC trailer comes last) are kept, the cut tail dropped, and the file
renamed for ingest. Only renamed files are ever ingested.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

WARC_FOLDER = "warcs"
PARTIAL = ".partial"
# Hop-by-hop framing the client already undid: the recorded body is de-chunked, so a reader
# must not try to de-chunk it again. Content-Encoding (gzip) is kept: the body is as sent.
_DROPPED = {"transfer-encoding"}


def warc_dir(archive_dir: Path) -> Path:
    return Path(archive_dir) / WARC_FOLDER


def _http_headers(statusline: str, headers: list[tuple[str, str]], *, request: bool = False) -> Any:
    from warcio.statusandheaders import StatusAndHeaders

    kept = [(k, v) for k, v in headers if k.lower() not in _DROPPED]
    if request:
        return StatusAndHeaders(statusline, kept, is_http_request=True)
    return StatusAndHeaders(statusline, kept, protocol="HTTP/1.1")


class WarcSink:
    """One WARC file being written. `close()` makes it final; until then it is `.partial`."""

    def __init__(self, folder: Path, info: dict[str, str]) -> None:
        from warcio.warcwriter import WARCWriter

        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self.final = folder / f"capture-{stamp}-{os.getpid()}.warc.gz"
        self.partial = self.final.with_name(self.final.name + PARTIAL)
        self._fh: BinaryIO = open(self.partial, "xb")  # noqa: SIM115 (kept open until close)
        fcntl.flock(self._fh, fcntl.LOCK_EX)  # a salvaging run leaves a file in use alone
        self._writer = WARCWriter(self._fh, gzip=True)
        self.records = 0
        self._write(self._writer.create_warcinfo_record(self.final.name, info))

    def _write(self, record: Any) -> str:
        self._writer.write_record(record)
        self._fh.flush()  # in the kernel's hands: a kill -9 after this keeps the record
        self.records += 1
        return str(record.rec_headers.get_header("WARC-Record-ID"))

    def request(self, url: str, method: str, target: str, headers: list[tuple[str, str]]) -> str:
        """A request record; returns its record id, for the records concurrent with it."""
        http = _http_headers(f"{method} {target} HTTP/1.1", headers, request=True)
        record = self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""), length=0, http_headers=http
        )
        return self._write(record)

    def response(
        self,
        url: str,
        request_id: str,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        truncated: str | None = None,
        ip: str | None = None,
    ) -> str:
        """A response record, its body as received (cut short: `WARC-Truncated` says why)."""
        extra = {"WARC-Concurrent-To": request_id}
        if truncated:
            extra["WARC-Truncated"] = truncated
        if ip:
            extra["WARC-IP-Address"] = ip
        http = _http_headers(f"{status} {reason or ''}".strip(), headers)
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict=extra,
        )
        return self._write(record)

    def failure(self, url: str, request_id: str | None, reason: str, message: str) -> str:
        """A metadata record for an exchange that got no response (DNS, timeout, TLS...)."""
        extra = {"WARC-Concurrent-To": request_id} if request_id else {}
        body = f"fetch-error: {reason}\r\nmessage: {message}\r\n".encode()
        record = self._writer.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict=extra,
        )
        return self._write(record)

    def close(self) -> Path | None:
        """Sync and rename the file; None (and no file) when it holds nothing but its warcinfo."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        if self.records <= 1:
            self.partial.unlink()
            return None
        os.replace(self.partial, self.final)
        _sync_dir(self.final.parent)
        return self.final


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def complete_length(data: bytes) -> int:
    """Bytes of `data` made of complete gzip members (records); a cut or corrupt tail is left out."""
    view = memoryview(data)
    end = 0
    step = 1 << 16
    while bytes(view[end : end + 2]) == b"\x1f\x8b":
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pos = end
        try:
            while not decomp.eof and pos < len(data):
                decomp.decompress(view[pos : pos + step])
                pos = min(pos + step, len(data))
        except zlib.error:
            break
        if not decomp.eof:
            break
        end = pos - len(decomp.unused_data)
    return end


def salvage_partials(folder: Path) -> list[Path]:
    """Turn `.partial` files of killed runs into final files holding their complete records."""
    saved: list[Path] = []
    if not folder.is_dir():
        return saved
    for partial in sorted(folder.glob(f"*.warc.gz{PARTIAL}")):
        try:
            fh = open(partial, "r+b")  # noqa: SIM115
        except OSError:
            continue
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live run is writing it
            data = fh.read()
            keep = complete_length(data)
            if keep < len(data):
                fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
            final = partial.with_name(partial.name[: -len(PARTIAL)])
            if keep == 0:
                partial.unlink()
                continue
            os.replace(partial, final)
            saved.append(final)
    if saved:
        _sync_dir(folder)
    return saved


def final_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.warc.gz")) if folder.is_dir() else []
