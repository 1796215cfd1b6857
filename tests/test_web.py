"""The Datasette publication, tested through a real `newsarchive serve` process over HTTP.

The archive is built from the corpus truth (real publisher text) plus one row whose title,
byline, category, body and captions carry `<script>`; every page must show it as text.
"""

from __future__ import annotations

import collections
import hashlib
import json
import re
import sqlite3
import threading
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest

from tests.conftest import load_truth
from tests.web_server import EVIL, EVIL_TITLE, build_archive, running_server

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("web") / "archive"
    ids = build_archive(folder)
    return folder, ids


@pytest.fixture(scope="module")
def server(archive: tuple[Path, dict]) -> str:
    with running_server(archive[0]) as base:
        yield base


@pytest.fixture(scope="module")
def client(server: str) -> httpx.Client:
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


def _text(row: dict) -> str:
    return f"{row.get('title') or ''} {row['body']}"


def _has(word: str, row: dict) -> bool:
    return re.search(rf"\b{word}\b", _text(row), re.I) is not None


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- table page, facets, metadata
def test_articles_table_has_default_facets_with_true_counts(client: httpx.Client) -> None:
    truth = load_truth()
    data = client.get("/news/articles.json", params={"_size": 5}).json()
    facets = data["facet_results"]
    assert {"category", "authors", "site", "published_year", "published_month"} <= set(facets)
    expected = {
        "category": collections.Counter(r["category"] for r in truth if r.get("category")),
        "site": collections.Counter(r["site_name"] for r in truth if r.get("site_name")),
        "authors": collections.Counter(a for r in truth for a in dict.fromkeys(r["authors"] or [])),
        "published_month": collections.Counter(
            r["published"][:7] for r in truth if r.get("published")
        ),
    }
    expected["category"][f"Hacks {EVIL}"] += 1
    expected["site"]["Evil Gazette"] += 1
    expected["authors"][f"Mallory {EVIL}"] += 1
    expected["published_month"]["2019-11"] += 1
    for name, counts in expected.items():
        results = facets[name]["results"]
        assert results, name
        for item in results:
            assert item["count"] == counts[item["value"]], (name, item["value"])
        assert results[0]["count"] == max(counts.values())
    # newest first by default, and the row count is the whole archive
    assert data["filtered_table_rows_count"] == len(truth) + 1
    dates = [row[data["columns"].index("published")] for row in data["rows"]]
    assert dates == sorted(dates, reverse=True)


def test_table_html_shows_facets_description_and_escapes(client: httpx.Client) -> None:
    page = client.get("/news/articles")
    assert page.status_code == 200
    html = page.text
    for facet in ("category", "authors", "site", "published_year", "published_month"):
        assert f'data-column="{facet}"' in html
    assert "One row per article" in html
    assert "<script>alert(1)" not in html
    assert ESCAPED in html


def test_instance_metadata_describes_the_archive(client: httpx.Client) -> None:
    meta = client.get("/-/metadata.json").json()
    assert meta["description"].startswith(f"{len(load_truth()) + 1} articles from ")
    assert meta["license"] and meta["source"]
    tables = meta["databases"]["news"]["tables"]
    assert tables["articles"]["label_column"] == "title"
    assert tables["source_blobs"]["hidden"] is True
    assert client.get("/news.json").json()["tables"]  # database page answers


# ---------------------------------------------------------------- Datasette's FTS search box
@pytest.mark.parametrize(
    ("search", "wanted"),
    [
        ("google AND microsoft", lambda r: _has("google", r) and _has("microsoft", r)),
        ("google NOT microsoft", lambda r: _has("google", r) and not _has("microsoft", r)),
        ("stadia OR climate", lambda r: _has("stadia", r) or _has("climate", r)),
    ],
)
def test_fts_search_box_takes_boolean_queries(client: httpx.Client, search: str, wanted) -> None:  # type: ignore[no-untyped-def]
    truth = load_truth()
    expected = sum(1 for r in truth if wanted(r))
    expected += sum(
        1 for word in ("stadia",) if word in search and "OR" in search
    )  # the hostile row
    data = client.get("/news/articles.json", params={"_search": search, "_size": 100}).json()
    assert data["filtered_table_rows_count"] == expected
    assert expected > 0


def test_fts_search_escapes_stored_script(client: httpx.Client) -> None:
    html = client.get("/news/articles", params={"_search": "unveiled"}).text
    assert ESCAPED in html and "<script>alert(1)" not in html


# ---------------------------------------------------------------- canned queries and Atom
def test_canned_queries_answer_from_the_archive(client: httpx.Client) -> None:
    truth = load_truth()
    months = collections.Counter(r["published"][:7] for r in truth if r.get("published"))
    months["2019-11"] += 1
    rows = client.get("/news/articles_per_month.json", params={"_shape": "array"}).json()
    assert {r["month"]: r["articles"] for r in rows} == dict(months)

    top = client.get("/news/top_authors.json", params={"_shape": "array"}).json()
    authors = collections.Counter(a for r in truth for a in dict.fromkeys(r["authors"] or []))
    assert top[0]["articles"] == max(authors.values())

    author = next(a for r in truth for a in r["authors"] or [])
    rows = client.get(
        "/news/articles_by_author.json", params={"author": author, "_shape": "array"}
    ).json()
    assert len(rows) == authors[author]
    site = next(r["site_name"] for r in truth if r.get("site_name"))
    rows = client.get(
        "/news/articles_by_site.json", params={"site": site, "_shape": "array"}
    ).json()
    assert len(rows) == sum(1 for r in truth if r.get("site_name") == site)
    copies = client.get(
        "/news/story_copies.json", params={"article_id": 1, "_shape": "array"}
    ).json()
    assert any(r["article"] == 1 for r in copies)
    assert client.get("/news/syndicated_stories.json").status_code == 200


def test_atom_feed_lists_newest_articles_as_text(client: httpx.Client) -> None:
    response = client.get("/news/newest.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 50
    titles = [e.findtext("a:title", namespaces=ns) for e in entries]
    assert EVIL_TITLE in titles  # the hostile row is newest: it came last
    assert "<script>" not in response.text
    link = entries[0].find("a:link", ns).get("href")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/article/\d+", link)


# ---------------------------------------------------------------- article page
def test_article_page_reads_like_an_article(
    client: httpx.Client, archive: tuple[Path, dict]
) -> None:
    truth = load_truth()
    row = next(
        r
        for r in truth
        if r.get("authors") and r.get("published") and r.get("site_name") and r.get("url")
    )
    article_id = archive[1][row["id"]]
    page = client.get(f"/article/{article_id}")
    assert page.status_code == 200
    html = page.text
    from markupsafe import escape

    assert f"<h1>{escape(row['title'])}</h1>" in html
    assert str(escape(", ".join(row["authors"]))) in html
    assert f'<time datetime="{row["published"]}">' in html
    assert str(escape(row["site_name"])) in html
    assert f'href="{escape(row["url"])}"' in html
    body = html.split('<div class="na-body">')[1].split("</div>")[0]
    assert body.count("<p>") == len([p for p in row["body"].split("\n") if p.strip()])
    assert "Similar articles" in html
    assert "content-security-policy" in page.headers
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]


def test_article_page_escapes_everything(client: httpx.Client, archive: tuple[Path, dict]) -> None:
    page = client.get(f"/article/{archive[1]['evil']}")
    html = page.text
    assert page.status_code == 200
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert html.count(ESCAPED) >= 5  # title, byline, category, body, caption
    assert 'href="javascript:' not in html
    data = client.get(f"/article/{archive[1]['evil']}.json").json()
    assert data["article"]["title"] == EVIL_TITLE


def test_missing_article_is_404(client: httpx.Client) -> None:
    assert client.get("/article/999999").status_code == 404
    assert client.get("/article/999999.json").status_code == 404


# ---------------------------------------------------------------- read-only
@pytest.mark.parametrize(
    "sql",
    [
        "insert into articles (title) values ('x')",
        "update articles set title = 'x'",
        "delete from articles",
        "drop table articles",
        "select 1; drop table articles",
        "pragma query_only = 0",
        "with t as (select 1) delete from articles",
        "attach database '/tmp/x.db' as x",
    ],
)
def test_sql_writes_are_refused(client: httpx.Client, archive: tuple[Path, dict], sql: str) -> None:
    db = archive[0] / "news.db"
    before = sha(db)
    response = client.get("/news.json", params={"sql": sql})
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert sha(db) == before


@pytest.mark.parametrize(
    "path",
    [
        "/news",
        "/news/articles",
        "/news/articles_per_month",
        "/news/articles/1",
        "/search",
        "/article/1",
        "/-/messages",
    ],
)
def test_posts_are_refused(client: httpx.Client, archive: tuple[Path, dict], path: str) -> None:
    db = archive[0] / "news.db"
    before = sha(db)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, path, data={"sql": "delete from articles"})
        assert response.status_code == 405, (method, path)
    assert sha(db) == before
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert conn.execute("select count(*) from articles").fetchone()[0] == len(load_truth()) + 1
    conn.close()


def test_database_file_is_not_downloadable(client: httpx.Client) -> None:
    assert client.get("/news.db").status_code == 403


def test_security_headers_everywhere(client: httpx.Client) -> None:
    for path in ("/", "/news/articles", "/article/1", "/search"):
        headers = client.get(path).headers
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]


# ---------------------------------------------------------------- public profile, time limit
@pytest.fixture(scope="module")
def public_server(archive: tuple[Path, dict]) -> str:
    with running_server(archive[0], "--public", "--immutable", "--no-download") as base:
        yield base


def test_public_profile_blocks_robots_and_downloads(public_server: str) -> None:
    with httpx.Client(base_url=public_server, timeout=30) as c:
        assert c.get("/robots.txt").text == "User-agent: *\nDisallow: /\n"
        response = c.get("/news/articles.json")
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
        assert response.json()["suggested_facets"] == []
        assert c.get("/news.db").status_code == 403  # immutable, yet --no-download
        settings = c.get("/-/settings.json").json()
        assert settings["sql_time_limit_ms"] == 1000 and settings["max_returned_rows"] == 500


def test_runaway_sql_is_cut_off_while_cheap_requests_answer(public_server: str) -> None:
    runaway = (
        "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    )
    outcome: dict = {}

    def run() -> None:
        start = time.monotonic()
        with httpx.Client(base_url=public_server, timeout=60) as c:
            outcome["response"] = c.get("/news.json", params={"sql": runaway})
        outcome["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.2)  # the runaway query is running now
    with httpx.Client(base_url=public_server, timeout=60) as c:
        start = time.monotonic()
        cheap = c.get("/news/articles.json", params={"_size": 1, "_nofacet": 1})
        cheap_seconds = time.monotonic() - start
    thread.join(30)
    assert cheap.status_code == 200 and cheap_seconds < 0.8
    response = outcome["response"]
    assert response.status_code == 400
    assert "took too long" in response.json()["error"]
    assert 0.9 < outcome["seconds"] < 5


def test_serve_checkpoints_the_wal_before_immutable_serving(tmp_path: Path) -> None:
    from archive.web.server import checkpoint

    db = tmp_path / "news.db"
    writer = sqlite3.connect(db)
    writer.execute("pragma journal_mode = wal")
    writer.execute("pragma wal_autocheckpoint = 0")
    writer.execute("create table articles (id integer primary key, title text)")
    writer.execute("insert into articles (title) values ('in the wal')")
    writer.commit()
    reader = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        reader.execute("select count(*) from articles").fetchone()
    reader.close()
    busy, _log, _moved = checkpoint(db)
    assert busy == 0
    assert (tmp_path / "news.db-wal").stat().st_size == 0
    reader = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    assert reader.execute("select title from articles").fetchone() == ("in the wal",)
    reader.close()
    writer.close()


def test_serve_refuses_a_folder_without_archive(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from archive.cli import app

    result = CliRunner().invoke(app, ["--archive", str(tmp_path / "none"), "serve"])
    assert result.exit_code == 1
    assert "No archive database" in result.output


def test_metadata_file_cannot_add_writable_queries(
    tmp_path: Path, archive: tuple[Path, dict]
) -> None:
    from archive.web.metadata import MetadataError, build_metadata

    extra = tmp_path / "meta.json"
    extra.write_text(
        json.dumps(
            {
                "databases": {
                    "news": {"queries": {"w": {"sql": "delete from articles", "write": True}}}
                }
            }
        )
    )
    with pytest.raises(MetadataError, match="read-only"):
        build_metadata(archive[0] / "news.db", extra=extra)
    extra.write_text(json.dumps({"title": "My archive", "license": "CC-BY"}))
    meta = build_metadata(archive[0] / "news.db", extra=extra)
    assert (
        meta["title"] == "My archive" and meta["databases"]["news"]["tables"]["articles"]["facets"]
    )


# ---------------------------------------------------------------- Whoosh-backed /search
def test_search_json_is_the_design_document(client: httpx.Client) -> None:
    truth = load_truth()
    data = client.get("/search.json", params={"q": "police", "limit": 5}).json()
    assert set(data) >= {"query", "total", "page", "limit", "suggestion", "hits", "facets"}
    assert data["query"] == "police" and data["limit"] == 5 and data["page"] == 1
    assert data["total"] >= sum(1 for r in truth if _has("police", r))
    assert len(data["hits"]) == 5
    assert set(data["facets"]) == {"author", "category", "site", "language", "year", "month"}
    assert sum(data["facets"]["year"].values()) <= data["total"]
    for hit in data["hits"]:
        assert {"id", "title", "published", "authors", "site", "url", "score", "snippet"} <= set(
            hit
        )
        assert "<mark>" in hit["snippet"] or "police" in (hit["title"] or "").lower()
    page2 = client.get("/search.json", params={"q": "police", "limit": 5, "page": 2}).json()
    assert {h["id"] for h in page2["hits"]}.isdisjoint(h["id"] for h in data["hits"])


def test_search_json_filters_sort_and_errors(client: httpx.Client) -> None:
    newest = client.get(
        "/search.json", params={"q": "police", "sort": "newest", "limit": 50}
    ).json()
    dates = [h["published"] for h in newest["hits"] if h["published"]]
    assert dates == sorted(dates, reverse=True)
    site = next(iter(newest["facets"]["site"]))
    narrowed = client.get("/search.json", params={"q": "police", "site": site}).json()
    assert narrowed["total"] == newest["facets"]["site"][site]
    assert all(h["site"] == site for h in narrowed["hits"])
    dated = client.get(
        "/search.json", params={"q": "police", "since": "2019-11-01", "until": "2019-11-30"}
    ).json()
    assert dated["total"] == newest["facets"]["month"].get("2019-11", 0)
    for params in ({"q": '"unclosed'}, {"q": "x", "sort": "sideways"}, {"q": "x", "since": "soon"}):
        response = client.get("/search.json", params=params)
        assert response.status_code == 400
        assert response.json()["error"]


def test_search_page_shows_hits_facets_timeline_and_paging(client: httpx.Client) -> None:
    data = client.get("/search.json", params={"q": "police"}).json()
    page = client.get("/search", params={"q": "police", "limit": 5})
    assert page.status_code == 200
    html = page.text
    assert '<label for="na-q"' in html and 'value="police"' in html
    assert html.count('<article class="na-hit">') == 5
    assert f"<strong>{data['total']}</strong>" in html
    assert '<svg class="timeline"' in html and 'class="bar-link"' in html
    assert "since=2019-11-01&amp;until=2019-11-30" in html
    assert 'data-facet="site"' in html and 'data-facet="year"' in html
    assert 'rel="next"' in html
    first = data["hits"][0]
    assert f'href="/article/{first["id"]}"' in html
    assert "<mark>" in html
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]


def test_search_page_escapes_titles_and_snippets(client: httpx.Client) -> None:
    data = client.get("/search.json", params={"q": "unveiled"}).json()
    assert data["hits"][0]["title"] == EVIL_TITLE
    html = client.get("/search", params={"q": "unveiled"}).text
    assert "<script>alert(1)" not in html
    assert ESCAPED in html  # title, byline, category
    snippet = html.split('<p class="na-snippet">')[1].split("</p>")[0]
    assert "&lt;script&gt;" in snippet and "<script" not in snippet
    assert 'href="javascript:' not in html


def test_search_page_without_words_teaches_the_syntax(client: httpx.Client) -> None:
    page = client.get("/search")
    assert page.status_code == 200
    assert "How to search" in page.text
    bad = client.get("/search", params={"q": '"unclosed'})
    assert bad.status_code == 400 and 'role="alert"' in bad.text
