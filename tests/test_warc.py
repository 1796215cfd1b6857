"""WARC files written here with warcio from corpus pages → pages, and broken WARCs → failures."""

from __future__ import annotations

import gzip
import io
import time
import zlib
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.extract import extract
from ingest.model import Failure, RawDocument
from ingest.readers import iter_documents
from ingest.warc import iter_warc_pages

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PAGES = ["aeb-042bb7b5feda", "aeb-94fbcc267720"]
HTML = [("Content-Type", "text/html")]


def write_warc(path: Path, *, gz: bool, extra: bool = True) -> list[bytes]:
    """Two corpus pages as responses, plus a request, an image and a redirect to skip."""
    payloads = []
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        for n, pid in enumerate(PAGES):
            body = (CORPUS / f"{pid}.html").read_bytes()
            payloads.append(body)
            url = f"https://example.com/{n}"
            if extra:
                req = StatusAndHeaders(
                    "GET / HTTP/1.1", [("Host", "example.com")], is_http_request=True
                )
                writer.write_record(writer.create_warc_record(url, "request", http_headers=req))
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=UTF-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=http
                )
            )
            if extra:
                img = StatusAndHeaders(
                    "200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1"
                )
                writer.write_record(
                    writer.create_warc_record(
                        f"{url}.png",
                        "response",
                        payload=io.BytesIO(b"\x89PNG...."),
                        http_headers=img,
                    )
                )
                moved = StatusAndHeaders(
                    "301 Moved",
                    [("Location", url), ("Content-Type", "text/html")],
                    protocol="HTTP/1.1",
                )
                writer.write_record(
                    writer.create_warc_record(
                        f"{url}/old",
                        "response",
                        payload=io.BytesIO(b"<html>moved</html>"),
                        http_headers=moved,
                    )
                )
    return payloads


def write_response(writer: WARCWriter, url: str, payload: bytes, headers: list) -> None:
    """One 200 response record carrying `payload` as is (already encoded as `headers` say)."""
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            url, "response", payload=io.BytesIO(payload), http_headers=http, length=len(payload)
        )
    )


@pytest.mark.parametrize("gz", [False, True])
def test_warc_pages_become_articles(tmp_path, gz):
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    payloads = write_warc(path, gz=gz)
    docs = list(iter_documents([str(path)]))
    assert all(isinstance(d, RawDocument) for d in docs)
    assert [d.url for d in docs] == ["https://example.com/0", "https://example.com/1"]
    assert [d.data for d in docs] == payloads
    assert all(d.fetched and d.fetched[:4].isdigit() for d in docs)
    assert docs[0].fields == {"http_charset": "utf-8"}
    assert docs[0].origin.startswith(f"{path}#")
    article = extract(docs[0])
    assert "Gaming used to be so simple" in article.body


def test_truncated_record_is_a_failure_not_a_short_article(tmp_path):
    path = tmp_path / "cut.warc"
    write_warc(path, gz=False, extra=False)
    data = path.read_bytes()
    out = list(iter_warc_pages("cut.warc", data[: len(data) - 3000]))
    assert isinstance(out[0], RawDocument)
    assert isinstance(out[1], Failure) and out[1].reason == "truncated"
    assert len(out) == 2


def test_truncated_gzip_warc_keeps_complete_records(tmp_path):
    path = tmp_path / "cut.warc.gz"
    write_warc(path, gz=True, extra=False)
    data = path.read_bytes()
    out = list(iter_warc_pages("cut.warc.gz", data[: len(data) - 2000]))
    assert isinstance(out[0], RawDocument) and out[0].url == "https://example.com/0"
    assert [type(o).__name__ for o in out[1:]] == ["Failure"]
    assert out[1].reason == "truncated"
    # through the readers too: the whole records are kept, the cut one is one Failure
    path.write_bytes(data[: len(data) - 2000])
    page, failure = list(iter_documents([str(path)]))
    assert isinstance(page, RawDocument) and page.url == "https://example.com/0"
    assert isinstance(failure, Failure) and failure.reason == "truncated"


def test_chunked_and_gzip_encoded_payload_is_decoded(tmp_path):
    html = (CORPUS / f"{PAGES[0]}.html").read_bytes()
    zipped = gzip.compress(html)
    chunked = (
        b"".join(
            b"%x\r\n%s\r\n" % (len(zipped[i : i + 4000]), zipped[i : i + 4000])
            for i in range(0, len(zipped), 4000)
        )
        + b"0\r\n\r\n"
    )
    buf = io.BytesIO()
    headers = [
        ("Content-Type", "text/html"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Encoding", "gzip"),
    ]
    write_response(WARCWriter(buf, gzip=False), "https://example.com/c", chunked, headers)
    (doc,) = list(iter_warc_pages("c.warc", buf.getvalue()))
    assert doc.data == html


def test_not_a_warc_is_one_failure():
    (out,) = list(iter_warc_pages("x.warc", b"this is plain text, not a web archive\n"))
    assert isinstance(out, Failure) and out.reason == "malformed"


# ---------------------------------------------------------------- decompression bombs
def _zeros_member(megabytes: int) -> bytes:
    """One gzip member of `megabytes` MB of zeros, compressed a megabyte at a time (~1 KB/MB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def test_doubly_gzipped_warc_bomb_is_one_too_large_failure(tmp_path):
    """A real WARC record, then 4 GB of gzipped zeros, gzipped again: ~130 KB on disk."""
    buf = io.BytesIO()
    page = (CORPUS / f"{PAGES[0]}.html").read_bytes()
    write_response(WARCWriter(buf, gzip=True), "https://example.com/0", page, HTML)
    inner = buf.getvalue() + _zeros_member(8) * 512  # 4 GB once inflated
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(gzip.compress(inner))
    assert path.stat().st_size < 256 * 1024

    start = time.monotonic()
    out = list(iter_documents([str(path)]))
    assert time.monotonic() - start < 10
    assert len(out) == 1
    assert isinstance(out[0], Failure) and out[0].reason == "too_large"
    assert str(path) in out[0].message and "MB" in out[0].message


def test_gzip_warc_past_the_bound_is_refused_before_inflating_it_all():
    bomb = _zeros_member(64)  # 64 MB of zeros in ~64 KB
    start = time.monotonic()
    (out,) = list(iter_warc_pages("x.warc.gz", bomb, max_bytes=4 * 2**20))
    assert time.monotonic() - start < 2
    assert isinstance(out, Failure) and out.reason == "too_large"


def test_gzip_encoded_payload_bomb_is_one_too_large_record():
    """A small response whose Content-Encoding: gzip body inflates past the bound."""
    bomb = _zeros_member(64)
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    gzipped = [*HTML, ("Content-Encoding", "gzip")]
    write_response(writer, "https://example.com/bomb", bomb, gzipped)
    page = (CORPUS / f"{PAGES[1]}.html").read_bytes()
    write_response(writer, "https://example.com/ok", page, HTML)
    bomb_failure, doc = list(iter_warc_pages("p.warc", buf.getvalue(), max_bytes=4 * 2**20))
    assert isinstance(bomb_failure, Failure) and bomb_failure.reason == "too_large"
    assert bomb_failure.origin == "p.warc#1"
    assert isinstance(doc, RawDocument) and doc.data == page
