"""JSON / JSON Lines files → records → Articles, in every vocabulary we read."""

from __future__ import annotations

import gzip
import json

from ingest.errors import IngestError
from ingest.extract import extract
from ingest.jsonl import iter_json_records
from ingest.model import Failure, RawDocument
from ingest.readers import iter_documents

BODY = (
    "The harbour reopened on Monday after a week of storms closed it to shipping.\n"
    "Fishermen said the damage to the northern pier was worse than expected."
)


def records(path, fmt="auto"):
    return list(iter_documents([str(path)], fmt))


def test_jsonl_bad_line_is_one_failure_and_good_lines_are_kept(tmp_path):
    path = tmp_path / "export.jsonl"
    lines = [
        json.dumps({"title": "One", "body": BODY, "url": "https://ex.com/1"}),
        '{"title": "Two", "body": ',  # cut mid-record
        "",
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "Three", "text": BODY}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = records(path)
    kinds = [(type(r).__name__, r.origin) for r in out]
    assert kinds == [
        ("RawDocument", f"{path}:1"),
        ("Failure", f"{path}:2"),
        ("Failure", f"{path}:4"),
        ("RawDocument", f"{path}:5"),
    ]
    assert out[1].reason == "malformed" and "line 2" in out[1].message
    assert out[0].url == "https://ex.com/1"
    assert [extract(r).title for r in out if isinstance(r, RawDocument)] == ["One", "Three"]


def test_gzipped_jsonl_is_transparent(tmp_path):
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps({"title": "Gz", "content": BODY}) + "\n").encode()))
    (doc,) = records(path)
    assert extract(doc).title == "Gz"


def test_json_array_and_single_pretty_object(tmp_path):
    array = tmp_path / "a.json"
    array.write_text(json.dumps([{"title": "A", "body": BODY}, {"title": "B", "body": BODY}]))
    assert [extract(d).title for d in records(array)] == ["A", "B"]
    single = tmp_path / "s.json"
    single.write_text(json.dumps({"title": "S", "body": BODY}, indent=2))
    (doc,) = records(single)
    assert doc.origin == str(single) and extract(doc).title == "S"


def test_broken_pretty_json_is_one_failure_with_its_line():
    out = list(iter_json_records("b.json", b'{\n  "title": "x",\n  "body": oops\n}'))
    assert len(out) == 1 and isinstance(out[0], Failure)
    assert out[0].origin == "b.json:3"


def test_news_please_record():
    fields = {
        "title": "Harbour reopens",
        "maintext": BODY,
        "date_publish": "2024-02-29 23:15:00",
        "source_domain": "harbour-news.example",
        "authors": ["By Mary Major", "Harbour News"],
        "url": "https://harbour-news.example/a",
        "language": "en",
        "description": "A short summary.",
    }
    article = extract(RawDocument("np.jsonl:1", json.dumps(fields).encode(), "json", fields=fields))
    assert article.title == "Harbour reopens"
    assert article.published.startswith("2024-02-29")
    assert article.site_name == "harbour-news.example"
    assert "Mary Major" in article.authors
    assert article.body.split("\n\n")[0].startswith("The harbour reopened")
    assert len(article.body.split("\n\n")) == 2


def test_trafilatura_json_record():
    fields = {
        "title": "Storm",
        "text": BODY,
        "date": "2024-01-02",
        "sitename": "Coast Daily",
        "author": "Ann Lee; Bo Chen",
        "categories": "Weather;Local",
    }
    article = extract(RawDocument("t.jsonl:1", b"{}", "json", fields=fields))
    assert article.authors == ["Ann Lee", "Bo Chen"]
    assert article.published == "2024-01-02"
    assert article.site_name == "Coast Daily"


def test_common_aliases_and_html_content():
    html = (
        "<p>WELLINGTON (Reuters) - The harbour reopened on Monday after a week of storms.</p>"
        "<figure><img src=x.jpg><figcaption>The northern pier.</figcaption></figure>"
        "<p>Fishermen said the damage was worse than expected.</p>"
    )
    fields = {
        "headline": "Harbour",
        "content": html,
        "byline": "By Ann Lee and Bo Chen",
        "link": "https://ex.com/h",
        "site": "Ex",
        "date": "5 March 2024",
    }
    article = extract(RawDocument("c.jsonl:1", b"{}", "json", fields=fields))
    assert article.title == "Harbour"
    assert article.authors == ["Ann Lee", "Bo Chen"]
    assert article.published == "2024-03-05"
    assert article.url == "https://ex.com/h"
    assert article.captions == ["The northern pier."]
    assert "northern pier" not in article.body and "<p>" not in article.body
    assert (article.dateline, article.wire) == ("WELLINGTON", "Reuters")


def test_stored_record_bytes_re_extract_without_fields():
    fields = {"title": "Again", "body": BODY}
    article = extract(RawDocument("x.jsonl:1", json.dumps(fields).encode(), "json"))
    assert article.title == "Again"


def test_record_without_text_is_an_ingest_error():
    try:
        extract(RawDocument("e.jsonl:1", b"{}", "json", fields={"title": "Nothing"}))
    except IngestError as exc:
        assert exc.reason == "no_article"
    else:
        raise AssertionError("a record without text must not become an article")
