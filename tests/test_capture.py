"""`newsarchive fetch` against a real HTTP server on 127.0.0.1 serving real corpus pages.

Each test starts its own site (tests/capture_site.py) and runs the real command in a
subprocess, then reads what the server saw (arrival times, headers), what the archive holds
(articles, ingest_errors, capture_state) and what the WARC files hold.
"""

from __future__ import annotations

import gzip
import itertools
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.extract import extract_page
from ingest.model import RawDocument

from .capture_site import Server, Site, corpus_ids
from .conftest import CORPUS, ROOT

CLI = [sys.executable, "-c", "from archive.cli import main; main()"]


def newsarchive(archive: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, "--archive", str(archive), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def site() -> Iterator[Server]:
    server = Server(Site()).start()
    yield server
    server.stop()


def rows(archive: Path, sql: str, params: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(archive / "news.db")
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def warc_records(archive: Path) -> list[dict]:
    from warcio.archiveiterator import ArchiveIterator

    found = []
    for path in sorted((archive / "warcs").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                http = record.http_headers
                found.append(
                    {
                        "type": record.rec_type,
                        "uri": record.rec_headers.get_header("WARC-Target-URI"),
                        "truncated": record.rec_headers.get_header("WARC-Truncated"),
                        "status": http.get_statuscode()
                        if http and record.rec_type == "response"
                        else None,
                        "request_line": http.protocol
                        if http and record.rec_type == "request"
                        else None,
                        "headers": dict(http.headers) if http else {},
                        "body": record.content_stream().read(),
                    }
                )
    return found


def expected_title(page_id: str) -> str | None:
    """The oracle: the same corpus file extracted directly, without HTTP or WARC."""
    path = CORPUS / f"{page_id}.html"
    raw = RawDocument(origin=str(path), data=path.read_bytes(), format="html")
    return extract_page(raw).article.title


def test_fetch_archives_pages_and_refuses_the_rest_with_reasons(site: Server, tmp_path: Path):
    ids = corpus_ids(7)
    site.site.feed_ids = ids[:2]
    site.site.sitemap_ids = ids[2:4]
    b = site.base
    bad = {
        f"{b}/private/{ids[6]}.html": "robots_txt",
        f"{b}/slow/{ids[6]}.html": "timeout",
        f"{b}/error500": "http_5xx",
        f"{b}/missing": "http_4xx",
        f"{b}/loop/a": "redirect_loop",
        f"{b}/big": "too_large",
        f"{b}/endless": "too_large",
        f"{b}/image.png": "wrong_content_type",
        "ftp://example.org/story.html": "bad_url",
        "http://" + "a" * 64 + ".example/": "bad_url",
        "http://exa mple.org/": "bad_url",
        b.replace("http://", "https://") + f"/articles/{ids[5]}.html": "tls",
    }
    good = [f"{b}/articles/{ids[4]}.html", f"{b}/flaky/{ids[5]}.html", f"{b}/redirect/{ids[0]}"]
    archive = tmp_path / "archive"
    proc = newsarchive(
        archive,
        "fetch",
        *good,
        *bad,
        "--feed",
        f"{b}/feed.xml",
        "--sitemap",
        f"{b}/sitemap-index.xml",
        "--delay",
        "0.25",
        "--timeout",
        "1.5",
        "--retries",
        "1",
        "--json",
    )
    assert proc.returncode == 1, proc.stderr  # some URLs failed; everything else is committed
    report = json.loads(proc.stdout)
    assert "refused by robots.txt" in proc.stderr and "Fetch finished:" in proc.stderr
    assert "\x1b" not in proc.stderr  # piped: no progress bar, no colours
    run = rows(archive, "SELECT status, failed, added FROM ingest_runs")
    assert run == [("done", len(bad), 6)]  # the robots.txt refusal has its row too

    # what was refused, and why: one ingest_errors row per URL, one line on stderr each
    errors = dict(rows(archive, "SELECT origin, reason FROM ingest_errors"))
    assert errors == bad
    for url in bad:
        assert url.replace("\n", "") in proc.stderr
    assert report["refused"] == {"robots_txt": 1}

    # what was archived: the pages, through the WARC, extract as the files do directly
    titles = {t for (t,) in rows(archive, "SELECT title FROM articles")}
    assert titles == {expected_title(i) for i in ids[:6]}
    assert report["fetched"]["page"] == 7  # 2 feed items, 2 sitemap pages, 3 given
    assert report["ingest"]["added"] == 6 and report["ingest"]["duplicates"] == 1  # redirect

    # politeness, seen by the server: an honest User-Agent, one request at a time, spaced
    hits = site.site.requests()
    assert all(h.headers["User-Agent"].startswith("newsarchive/0.") for h in hits)
    assert hits[0].path == "/robots.txt" and sum(h.path == "/robots.txt" for h in hits) == 1
    for before, after in itertools.pairwise(hits):
        assert after.at - before.at >= 0.25 * 0.9, (before.path, after.path)
        if not before.path.startswith("/slow/"):  # the server sleeps on after the client left
            assert after.at - before.done >= 0.25 * 0.9, (before.path, after.path)
    assert not any(h.path.startswith("/private/") for h in hits)
    retried = [h.path for h in hits if h.path.startswith(("/flaky/", "/error500", "/slow/"))]
    assert sorted(retried).count("/error500") == 2 and len(retried) == 6  # one retry each

    # every exchange is in the WARC files: each request the server saw, with its response
    records = warc_records(archive)
    requests = [r for r in records if r["type"] == "request"]
    assert sorted(r["uri"].removeprefix(b) for r in requests if r["uri"].startswith(b)) == sorted(
        h.path for h in hits
    )
    responses = {(r["uri"], r["status"]) for r in records if r["type"] == "response"}
    for hit in hits:
        if hit.path.startswith("/slow/"):  # no answer in time: a metadata record says so
            continue
        assert (b + hit.path, str(hit.status if hit.status > 0 else 200)) in responses, hit.path
    cut = {r["uri"]: r["truncated"] for r in records if r["type"] == "response" and r["truncated"]}
    assert cut == {f"{b}/big": "length", f"{b}/endless": "length", f"{b}/image.png": "unspecified"}
    failures = [r for r in records if r["type"] == "metadata"]
    assert {r["uri"] for r in failures} >= {f"{b}/slow/{ids[6]}.html"}
    assert all(b"fetch-error:" in r["body"] for r in failures)
    assert all("newsarchive/" in r["headers"].get("User-Agent", "") for r in requests)
    assert not list((archive / "warcs").glob("*.partial"))

    # the WARC files are the capture: ingested into a fresh archive, the same articles
    fresh = tmp_path / "fresh"
    again = newsarchive(fresh, "ingest", str(archive / "warcs"), "--json")
    assert again.returncode == 0, again.stderr
    query = "SELECT url, title, content_hash FROM articles ORDER BY url"
    assert rows(fresh, query) == rows(archive, query)

    state = {
        url: (kind, status, reason)
        for url, kind, status, reason in rows(
            archive, "SELECT url, kind, status, reason FROM capture_state"
        )
    }
    assert state[f"{b}/feed.xml"] == ("feed", "fetched", None)
    assert state[f"{b}/sitemap.xml"] == ("sitemap", "fetched", None)
    assert state[f"{b}/missing"] == ("page", "failed", "http_4xx")


def test_second_run_fetches_only_what_is_new_with_conditional_requests(
    site: Server, tmp_path: Path
):
    ids = corpus_ids(6, skip=10)
    site.site.feed_ids = ids[:2]
    site.site.sitemap_ids = ids[2:3]
    b = site.base
    archive = tmp_path / "archive"
    args = ["fetch", f"{b}/articles/{ids[3]}.html", "--feed", f"{b}/feed.xml"]
    args += ["--sitemap", f"{b}/sitemap.xml", "--delay", "0.05", "--json"]
    first = newsarchive(archive, *args)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["ingest"]["added"] == 4

    site.site.feed_ids = [*ids[:2], ids[4]]  # the feed publishes one new story
    start = len(site.site.hits)
    second = newsarchive(archive, *args)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    hits = site.site.hits[start:]
    by_path = {h.path: h for h in hits}
    # the page named again and the sitemap: conditional requests, answered 304
    assert by_path[f"/articles/{ids[3]}.html"].headers.get("If-None-Match")
    assert by_path[f"/articles/{ids[3]}.html"].status == 304
    assert by_path["/sitemap.xml"].status == 304
    # the feed changed: asked conditionally, read again; only its new item is fetched
    assert by_path["/feed.xml"].headers.get("If-None-Match") and by_path["/feed.xml"].status == 200
    pages = sorted(h.path for h in hits if h.path.startswith("/articles/"))
    assert pages == sorted([f"/articles/{ids[3]}.html", f"/articles/{ids[4]}.html"])
    assert report["not_modified"] == {"page": 1, "sitemap": 1}
    assert report["fetched"] == {"feed": 1, "page": 1}
    assert report["already_captured"] == 2 and report["ingest"]["added"] == 1
    assert rows(archive, "SELECT count(*) FROM articles") == [(5,)]

    third = newsarchive(archive, *args)
    report = json.loads(third.stdout)
    assert report["not_modified"] == {"page": 1, "feed": 1, "sitemap": 1}
    assert report["fetched"] == {} and report["ingest"]["added"] == 0


def test_per_host_delay_holds_while_other_hosts_go_on(tmp_path: Path):
    one = Server(Site()).start()
    two = Server(Site(), host="127.0.0.2").start()
    try:
        ids = corpus_ids(8, skip=20)
        urls = [f"{one.base}/articles/{i}.html" for i in ids[:4]]
        urls += [f"{two.base}/articles/{i}.html" for i in ids[4:]]
        proc = newsarchive(tmp_path / "a", "fetch", *urls, "--delay", "0.6", "--concurrency", "4")
        assert proc.returncode == 0, proc.stderr
        for server in (one, two):
            hits = server.site.requests()
            assert len(hits) == 5  # robots.txt and four pages
            gaps = [after.at - before.at for before, after in itertools.pairwise(hits)]
            assert min(gaps) >= 0.6 * 0.9, gaps
        # the hosts were fetched side by side, not one after the other
        a, b = one.site.requests(), two.site.requests()
        assert b[0].at < a[-1].at and a[0].at < b[-1].at
        assert rows(tmp_path / "a", "SELECT count(*) FROM articles") == [(8,)]
    finally:
        one.stop()
        two.stop()


def test_robots_txt_that_cannot_be_read_stops_the_host_and_says_so(site: Server, tmp_path: Path):
    site.site.robots = "500"
    ids = corpus_ids(1)
    proc = newsarchive(
        tmp_path / "a", "fetch", f"{site.base}/articles/{ids[0]}.html", "--delay", "0"
    )
    assert proc.returncode == 0, proc.stderr  # a refusal is not a failure
    assert "robots.txt could not be read" in proc.stderr
    assert [h.path for h in site.site.requests()] == ["/robots.txt"] * 3  # retried, then gave up
    assert rows(tmp_path / "a", "SELECT reason FROM ingest_errors") == [("robots_unreachable",)]


def test_urls_from_a_file_and_gzip_warcs_hold_request_and_response(site: Server, tmp_path: Path):
    ids = corpus_ids(2, skip=30)
    listing = tmp_path / "urls.txt"
    listing.write_text(
        f"# today's stories\n{site.base}/articles/{ids[0]}.html\n\n{site.base}/articles/{ids[1]}.html\n"
    )
    archive = tmp_path / "a"
    proc = newsarchive(archive, "fetch", "--from-file", str(listing), "--delay", "0")
    assert proc.returncode == 0, proc.stderr
    (warc,) = (archive / "warcs").glob("*.warc.gz")
    data = warc.read_bytes()
    members = 0
    while data:  # gzip per record: every record is its own member
        d = __import__("zlib").decompressobj(31)
        d.decompress(data)
        assert d.eof
        data = d.unused_data
        members += 1
    assert members == 1 + 3 * 2  # warcinfo; robots.txt and two pages, request + response each
    assert gzip.decompress(warc.read_bytes()).count(b"WARC-Type: response") == 3


def test_usage_errors_exit_2_and_a_missing_url_file_exits_1(tmp_path: Path):
    assert newsarchive(tmp_path / "a", "fetch").returncode == 2
    bad_every = newsarchive(
        tmp_path / "a", "watch", "--feed", "http://127.0.0.1:9/f", "--every", "soon"
    )
    assert bad_every.returncode == 2 and "duration" in bad_every.stderr
    missing = newsarchive(tmp_path / "a", "fetch", "--from-file", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "nope.txt: cannot be read" in missing.stderr


def test_crawl_delay_in_robots_txt_slows_the_host_down(site: Server, tmp_path: Path):
    site.site.robots = "User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n"
    ids = corpus_ids(2, skip=80)
    urls = [f"{site.base}/articles/{i}.html" for i in ids]
    proc = newsarchive(tmp_path / "a", "fetch", *urls, "--delay", "0")
    assert proc.returncode == 0, proc.stderr
    hits = site.site.requests()
    assert hits[0].path == "/robots.txt" and len(hits) == 3
    assert hits[2].at - hits[1].at >= 0.9  # robots.txt itself came before the rule was known
