"""WARC records that hold a document themselves (resource, conversion), written here with
warcio, are archived; a WARC where no record is a page says so (issue 17)."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.extract import extract
from ingest.model import Failure, RawDocument
from ingest.readers import iter_documents

PARAS = [
    "The harbour bridge reopened to traffic on Monday morning after two years of repairs that "
    "cost the city far more than planned, and drivers queued from before dawn to cross it.",
    "Engineers replaced the steel deck and most of the cables, the transport office said, and "
    "the work should keep the bridge safe for another fifty years if it is maintained.",
]
HTML = (
    "<html><head><title>Harbour bridge reopens</title></head><body><article>"
    "<h1>Harbour bridge reopens</h1>" + "".join(f"<p>{p}</p>" for p in PARAS) + "</article>"
    "</body></html>"
).encode()
TEXT = ("Harbour bridge reopens\n\n" + "\n\n".join(PARAS) + "\n").encode()


def _stored(writer: WARCWriter, kind: str, uri: str, payload: bytes, content_type: str) -> None:
    record = writer.create_warc_record(
        uri,
        kind,
        payload=io.BytesIO(payload),
        length=len(payload),
        warc_content_type=content_type,
    )
    writer.write_record(record)


def test_resource_and_conversion_records_are_archived(tmp_path: Path) -> None:
    path = tmp_path / "capture.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        _stored(writer, "resource", "file:///home/me/bridge.html", HTML, "text/html")
        _stored(writer, "conversion", "https://news.example/bridge", TEXT, "text/plain")
        _stored(writer, "resource", "file:///home/me/logo.png", b"\x89PNG....", "image/png")
    docs = list(iter_documents([str(path)]))
    assert [type(d) for d in docs] == [RawDocument, RawDocument]
    page, text = docs
    assert (page.format, page.url) == ("html", "file:///home/me/bridge.html")
    assert (text.format, text.url) == ("text", "https://news.example/bridge")
    for doc in docs:
        article = extract(doc)
        assert article.title == "Harbour bridge reopens"
        assert article.body.split("\n\n") == PARAS


def test_a_warc_with_no_page_says_so(tmp_path: Path) -> None:
    path = tmp_path / "requests.warc"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        request = StatusAndHeaders(
            "GET / HTTP/1.1", [("Host", "news.example")], is_http_request=True
        )
        writer.write_record(
            writer.create_warc_record("https://news.example/", "request", http_headers=request)
        )
        _stored(
            writer, "metadata", "https://news.example/", b"via: test\n", "application/warc-fields"
        )
    (failure,) = list(iter_documents([str(path)]))
    assert isinstance(failure, Failure)
    assert failure.reason == "empty" and failure.origin == str(path)
    assert "none of its 2 WARC record(s) is an archived page" in failure.message
