"""RSS/Atom feeds written here → one article per entry; hostile feeds refused quickly."""

from __future__ import annotations

import time

from ingest.extract import extract
from ingest.feed import iter_feed_entries
from ingest.model import Failure, RawDocument
from ingest.readers import iter_documents

PARA = "The council voted on Tuesday to extend the tram line to the airport by 2027."
RSS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>City Ledger</title><link>https://ledger.example/</link>
<item>
  <title>Tram line to reach the airport</title>
  <link>https://ledger.example/tram</link>
  <dc:creator>By Ana Lima and Bo Chen</dc:creator>
  <pubDate>Tue, 05 Mar 2024 23:30:00 -0500</pubDate>
  <category>Transport</category><category>City</category>
  <description>Short teaser.</description>
  <content:encoded><![CDATA[<p>{PARA}</p><figure><img src="t.jpg"/><figcaption>The depot.</figcaption></figure>
  <p>Work starts next spring, the mayor said, and will take three years.</p>
  <p>The post Tram line to reach the airport appeared first on City Ledger.</p>]]></content:encoded>
</item>
<item><title>Summary only</title><link>https://ledger.example/s</link>
  <description>&lt;p&gt;A teaser that is all we have for this entry, but it is text.&lt;/p&gt;</description>
</item>
</channel></rss>""".encode()

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Times</title>
<entry><title>Atom entry</title><link href="https://atom.example/1"/>
<author><name>Cy Doe</name></author><published>2023-12-31T23:59:00+01:00</published>
<content type="html">&lt;p&gt;{PARA}&lt;/p&gt;</content></entry></feed>""".encode()


def test_rss_entries_become_articles(tmp_path):
    path = tmp_path / "ledger.rss"
    path.write_bytes(RSS)
    docs = list(iter_documents([str(path)]))
    assert [d.origin for d in docs] == [f"{path}#1", f"{path}#2"]
    first = extract(docs[0])
    assert first.title == "Tram line to reach the airport"
    assert first.authors == ["Ana Lima", "Bo Chen"]
    assert first.published.startswith("2024-03-05")  # the feed's own day, not UTC's
    assert first.category == "Transport"
    assert first.site_name == "City Ledger"
    assert first.url == "https://ledger.example/tram"
    assert first.captions == ["The depot."]
    assert first.body.split("\n\n") == [
        PARA,
        "Work starts next spring, the mayor said, and will take three years.",
    ]
    second = extract(docs[1])
    assert second.body == "A teaser that is all we have for this entry, but it is text."


def test_atom_feed_detected_by_content(tmp_path):
    path = tmp_path / "feed.dat"  # no telling extension
    path.write_bytes(ATOM)
    (doc,) = list(iter_documents([str(path)]))
    article = extract(doc)
    assert (article.title, article.authors, article.url) == (
        "Atom entry",
        ["Cy Doe"],
        "https://atom.example/1",
    )
    assert article.published.startswith("2023-12-31")
    assert article.body == PARA


def test_stored_entry_bytes_re_extract():
    (doc,) = [d for d in iter_feed_entries("f.xml", ATOM)]
    again = extract(RawDocument(doc.origin, doc.data, "feed"))
    assert again.title == "Atom entry"


def test_entity_bomb_and_xxe_are_refused_fast(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY l0 "lol">{lol}<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><title>&l9;</title><item><title>&l9;</title>
<description>&xxe;</description><link>https://x.example/</link></item></channel></rss>"""
    for encoding in ("utf-8", "utf-16"):
        start = time.perf_counter()
        out = list(iter_feed_entries("bomb.xml", bomb.encode(encoding)))
        assert time.perf_counter() - start < 0.5
        assert len(out) == 1 and isinstance(out[0], Failure) and out[0].reason == "malformed"
        assert "ENTITY" in out[0].message or "entities" in out[0].message


def test_bytes_naming_a_file_are_not_opened(tmp_path):
    path = tmp_path / "real.rss"
    path.write_bytes(RSS)
    out = list(iter_feed_entries("x", str(path).encode()))
    assert len(out) == 1 and isinstance(out[0], Failure)


def test_not_a_feed_is_one_failure():
    out = list(iter_feed_entries("x.xml", b"<html><body>hello</body></html>"))
    assert len(out) == 1 and isinstance(out[0], Failure)


# ---------------------------------------------------------------- issue 17: clean feed bodies
PIXEL = '<img src="http://feeds.feedburner.com/~r/ledger/~4/x1" height="1" width="1" alt=""/>'


def _rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>City Ledger'
        "</title>" + "".join(items) + "</channel></rss>"
    ).encode()


def _item(title: str, description_html: str) -> str:
    from html import escape

    return (
        f"<item><title>{escape(title)}</title><link>https://ledger.example/{len(title)}</link>"
        f"<description>{escape(description_html)}</description></item>"
    )


def test_feed_bodies_are_clean_text():
    deal = f"AT&amp;T agreed to buy the regional carrier on Monday, the company said. {PIXEL}"
    post = (
        f"<p>{PARA}</p><p>The post <a href='https://ledger.example/t'>Tram</a> appeared first "
        "on <a href='https://ledger.example'>City Ledger</a>.</p>"
    )
    docs = list(
        iter_feed_entries("ledger.rss", _rss(_item("AT&T deal", deal), _item("Tram", post)))
    )
    first, second = (extract(d) for d in docs)
    assert first.title == "AT&T deal"
    assert first.body == "AT&T agreed to buy the regional carrier on Monday, the company said."
    assert second.body == PARA  # no "The post ... appeared first on ..."


def test_pixel_only_item_is_no_article(tmp_path):
    import pytest

    from ingest.errors import NoArticle

    docs = list(iter_feed_entries("ledger.rss", _rss(_item("Pixel", PIXEL))))
    with pytest.raises(NoArticle):
        extract(docs[0])


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "City Ledger",
    "language": "en",
    "authors": [{"name": "Desk Editor"}],
    "items": [
        {
            "id": "1",
            "url": "https://ledger.example/tram",
            "title": "Tram line to reach the airport",
            "content_html": f"<p>{PARA}</p><p>Work starts next spring, the mayor said.</p>",
            "date_published": "2024-03-05T23:30:00-05:00",
            "authors": [{"name": "Ana Lima"}],
            "tags": ["Transport"],
        },
        {
            "id": 2,
            "url": "https://ledger.example/bus",
            "title": "Buses get new routes",
            "content_text": "The bus company redrew four routes across the east side this week.",
        },
        "not an item",
    ],
}


def test_json_feed_is_read_item_by_item(tmp_path):
    import json

    path = tmp_path / "feed.json"
    path.write_text(json.dumps(JSON_FEED), encoding="utf-8")
    docs = list(iter_documents([str(path)]))
    assert [d.origin for d in docs] == [f"{path}#1", f"{path}#2", f"{path}#3"]
    assert isinstance(docs[2], Failure) and docs[2].reason == "malformed"
    tram, bus = extract(docs[0]), extract(docs[1])
    assert (tram.title, tram.authors, tram.category, tram.site_name) == (
        "Tram line to reach the airport",
        ["Ana Lima"],
        "Transport",
        "City Ledger",
    )
    assert tram.published.startswith("2024-03-05")
    assert tram.body.split("\n\n") == [PARA, "Work starts next spring, the mayor said."]
    assert bus.authors == ["Desk Editor"]  # the feed's authors stand for the item's
    assert bus.url == "https://ledger.example/bus"
    # JSON Feed 1.0: one `author` object
    old = dict(JSON_FEED, version="https://jsonfeed.org/version/1")
    old["items"] = [dict(JSON_FEED["items"][1], author={"name": "Bo Chen"})]
    path.write_text(json.dumps(old), encoding="utf-8")
    (doc,) = list(iter_documents([str(path)]))
    assert extract(doc).authors == ["Bo Chen"]


def test_json_feed_through_the_cli(tmp_path):
    import json
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "feed.json"
    feed = dict(JSON_FEED, items=JSON_FEED["items"][:2])
    path.write_text(json.dumps(feed), encoding="utf-8")
    exe = Path(sys.executable).with_name("newsarchive")
    archive = tmp_path / "arch"
    done = subprocess.run(
        [str(exe), "--archive", str(archive), "ingest", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    db = next(archive.glob("*.db"))
    with sqlite3.connect(db) as conn:
        titles = sorted(t for (t,) in conn.execute("SELECT title FROM articles"))
    assert titles == ["Buses get new routes", "Tram line to reach the airport"]
