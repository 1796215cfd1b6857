"""A public server that stays up (issue 18) and its front door (issue 19), over real HTTP.

One archive (the corpus truth plus a hostile row) gets a 3 MB body on one article; two real
`newsarchive serve` processes run on it, the default profile and `--public` with a
`--base-url`. Unit tests below cover the lanes, the request classes and the child process.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest

from tests.web_server import build_archive, running_server

BIG_CHARS = 3 * 2**20
BASE_URL = "https://news.example.org"
ATOM = "{http://www.w3.org/2005/Atom}"
TAKEDOWN = "Secret takedown title"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("guard") / "archive"
    ids = build_archive(folder)
    big = ids["evil"]
    conn = sqlite3.connect(folder / "news.db")
    para = "A long paragraph about the console and its makers, told again and again. " * 20
    body = ((para + "\n\n") * (BIG_CHARS // len(para) + 2))[:BIG_CHARS] + " THE-END"
    conn.execute("update articles set body = ? where id = ?", [body, big])
    conn.commit()
    conn.close()
    from archive.removal import ensure_table
    from archive.store import Store

    store = Store.open(folder)  # an audit row as `remove` writes it (no article taken out)
    ensure_table(store)
    store.db["removals"].insert({"article_id": 10**9, "title": TAKEDOWN, "reason": "legal"})
    store.close()
    return folder, big


@pytest.fixture(scope="module")
def local(archive: tuple[Path, int]) -> httpx.Client:
    with (
        running_server(archive[0], log=archive[0].parent / "local.log") as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def public(archive: tuple[Path, int]) -> httpx.Client:
    log = archive[0].parent / "public.log"
    with (
        running_server(archive[0], "--public", "--base-url", BASE_URL, log=log) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        yield client


# ---------------------------------------------------------------- visitor mistakes: 400, one line
@pytest.mark.parametrize(
    "path",
    [
        "/news/articles?_sort=nosuchcol",
        "/news/articles.json?_sort_desc=nosuchcol",
        "/news/articles.json?_sort=title&_sort_desc=id",
        '/news/articles.json?_search="unbalanced',
        "/news/articles.json?_search=AND+OR",
        "/news/articles?_size=max",  # an HTML page of 2,000 rows: ask the JSON form
        "/news/articles.json?_size=nope",
    ],
)
def test_bad_table_parameters_get_400_in_one_line(
    local: httpx.Client, archive: tuple[Path, int], path: str
) -> None:
    response = local.get(path)
    assert response.status_code == 400, (path, response.status_code, response.text[:300])
    if path.split("?")[0].endswith(".json"):
        error = response.json()["error"]
        assert error and "\n" not in error
    log = (archive[0].parent / "local.log").read_text(errors="replace")
    assert "Traceback" not in log


def test_json_may_ask_for_many_rows(local: httpx.Client) -> None:
    rows = local.get("/news/articles.json", params={"_size": "max", "_shape": "array"}).json()
    assert len(rows) == 110


# ---------------------------------------------------------------- what --public must not show
def test_public_hides_paths_and_threads(public: httpx.Client, archive: tuple[Path, int]) -> None:
    folder = str(archive[0].resolve())
    for path in ("/-/databases.json", "/-/databases", "/-/threads", "/-/threads.json"):
        assert public.get(path).status_code == 404, path
    rows = public.get(
        "/news.json", params={"sql": "select * from pragma_database_list", "_shape": "array"}
    ).json()
    assert rows and all(row["file"] is None for row in rows)
    for path in ("/", "/news", "/news.json", "/-/metadata.json", "/-/settings.json"):
        assert folder not in public.get(path).text, path


def _sql(client: httpx.Client, sql: str) -> httpx.Response:
    return client.get("/news.json", params={"sql": sql, "_shape": "array"})


def test_public_reads_no_takedown_and_no_raw_bytes(
    public: httpx.Client, local: httpx.Client
) -> None:
    """Under --public the removals audit is refused (SQL and table page) and raw input bytes
    read as NULL; the operator's local server shows both."""
    refused = _sql(public, "select title from removals")
    assert refused.status_code in (400, 403) and TAKEDOWN not in refused.text
    page = public.get("/news/removals.json")
    assert page.status_code in (400, 403) and TAKEDOWN not in page.text
    blobs = _sql(public, "select content, size from source_blobs limit 5").json()
    assert blobs and all(row["content"] is None and row["size"] for row in blobs)
    assert _sql(local, "select title from removals").json() == [{"title": TAKEDOWN}]
    assert any(row["content"] for row in _sql(local, "select content from source_blobs").json())


def test_local_profile_still_shows_threads(local: httpx.Client) -> None:
    assert local.get("/-/threads.json").status_code == 200


@pytest.mark.parametrize("profile", ["local", "public"])
def test_fts3_tokenizer_is_refused(request: pytest.FixtureRequest, profile: str) -> None:
    client: httpx.Client = request.getfixturevalue(profile)
    for sql in ("select fts3_tokenizer('simple')", "select hex(fts3_tokenizer('porter'))"):
        response = client.get("/news.json", params={"sql": sql})
        assert response.status_code == 400, response.text[:200]
        assert "not authorized" in response.json()["error"]


# ---------------------------------------------------------------- feeds: configured links
def _links(xml: str) -> list[str]:
    root = ET.fromstring(xml)
    return [link.get("href") or "" for link in root.iter(f"{ATOM}link")]


def test_atom_links_come_from_the_base_url_not_the_host_header(public: httpx.Client) -> None:
    for path in ("/news/newest.atom", "/search.atom?q=stadia"):
        response = public.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("application/atom+xml")
        links = _links(response.text)
        assert links and all(link.startswith(BASE_URL + "/") for link in links), links[:3]
        assert "evil.example" not in response.text


def test_local_atom_links_use_the_server_address(local: httpx.Client) -> None:
    links = _links(local.get("/news/newest.atom", headers={"Host": "evil.example"}).text)
    assert all(link.startswith(str(local.base_url).rstrip("/") + "/") for link in links)


def test_search_feed_follows_a_query(local: httpx.Client) -> None:
    found = local.get("/search.json", params={"q": "stadia", "limit": 100}).json()
    feed = ET.fromstring(local.get("/search.atom", params={"q": "stadia"}).text)
    entries = feed.findall(f"{ATOM}entry")
    assert 0 < len(entries) == min(20, found["total"])
    ids = {e.find(f"{ATOM}id").text.rsplit("/", 1)[1] for e in entries}
    assert ids <= {str(hit["id"]) for hit in found["hits"]}
    assert "stadia" in feed.find(f"{ATOM}title").text
    assert local.get("/search.atom", params={"q": "x", "since": "soon"}).status_code == 400


def test_search_page_links_feed_and_export(local: httpx.Client) -> None:
    html = local.get("/search", params={"q": "stadia"}).text
    assert 'href="/search.atom?q=stadia"' in html
    assert 'type="application/atom+xml"' in html
    assert 'href="/search.json?q=stadia&amp;limit=100"' in html


# ---------------------------------------------------------------- a huge body
def test_huge_body_page_shows_the_start_and_links_the_full_text(
    local: httpx.Client, archive: tuple[Path, int]
) -> None:
    big = archive[1]
    page = local.get(f"/article/{big}")
    assert page.status_code == 200
    assert len(page.content) < 400_000  # 100,000 characters shown of 3 MB
    assert f"{BIG_CHARS + 8:,} characters long" in page.text
    assert f'href="/article/{big}.txt"' in page.text
    text = local.get(f"/article/{big}.txt")
    assert text.status_code == 200 and text.text.rstrip().endswith("THE-END")
    article = local.get(f"/article/{big}.json").json()["article"]
    assert article["body"].endswith("THE-END") and len(article["body"]) == BIG_CHARS + 8
    assert local.get("/article/999999.txt").status_code == 404


def test_row_pages_are_a_costly_request(local: httpx.Client, archive: tuple[Path, int]) -> None:
    from archive.web.throttle import classify

    scope = {"type": "http", "path": f"/news/articles/{archive[1]}", "query_string": b""}
    assert classify(scope) == "costly"
    assert local.get(f"/news/articles/{archive[1]}").status_code == 200


# ---------------------------------------------------------------- facets and the front door
def test_lean_authors_facet_counts_like_datasettes_array_facet(local: httpx.Client) -> None:
    lean = local.get("/news/articles.json", params={"_size": 0}).json()["facet_results"]
    array = local.get("/news/articles.json", params={"_size": 0, "_facet_array": "authors"}).json()[
        "facet_results"
    ]
    # both are keyed "authors" in facet_results; the truth comes from SQL written here
    assert lean["authors"]["type"] == "array"  # labelled as Datasette's own array facet
    page = local.get("/news/articles", params={"_size": 0}).text
    assert "authors (array)" in " ".join(page.split()) and "lean_array" not in page
    got = [(v["value"], v["count"]) for v in lean["authors"]["results"]]
    sql = (
        "select j.value as value, count(distinct articles.id) as count from articles, "
        "json_each(articles.authors) j group by j.value order by count desc, value "
        f"limit {len(got)}"
    )
    truth = local.get("/news.json", params={"sql": sql, "_shape": "array"}).json()
    assert got == [(row["value"], row["count"]) for row in truth]
    assert array["authors"]["results"]  # Datasette's own still answers when asked
    selected = local.get(
        "/news/articles.json", params={"_size": 0, "authors__arraycontains": got[0][0]}
    ).json()
    assert selected["filtered_table_rows_count"] == got[0][1]


def test_public_table_page_shows_the_authors_facet(public: httpx.Client) -> None:
    facets = public.get("/news/articles.json", params={"_size": 0}).json()["facet_results"]
    assert facets["authors"]["results"]


def test_home_page_is_the_front_door(local: httpx.Client) -> None:
    html = local.get("/").text
    assert 'action="/search"' in html and 'name="q"' in html
    assert "<strong>110</strong> articles" in html
    assert html.count('class="na-hit"') == 10
    assert "/news/articles_per_month" in html and "/news/top_authors" in html
    assert 'href="/news/articles?site=' in html and 'href="/news/articles?category=' in html
    assert "site_template_lines" not in html and "article_bands" not in html
    assert local.get("/.json").status_code == 200  # Datasette's index stays as JSON


def test_internal_tables_hidden_but_reachable(local: httpx.Client) -> None:
    from archive.web.metadata import VISIBLE_TABLES

    tables = {t["name"]: t["hidden"] for t in local.get("/news.json").json()["tables"]}
    assert {"article_bands", "article_minhash", "archive_meta", "articles"} <= set(tables)
    for name, hidden in tables.items():
        assert hidden is (name not in VISIBLE_TABLES), name
    for name in ("article_bands", "article_minhash", "archive_meta"):
        assert local.get(f"/news/{name}").status_code == 200
    listing = local.get("/news").text
    assert 'href="/news/articles"' in listing and 'href="/news/article_bands"' not in listing


def test_table_cells_are_truncated(local: httpx.Client) -> None:
    html = local.get("/news/articles", params={"_size": 10}).text
    cells = html.split('class="col-body type-str"')[1:]
    assert cells and all(len(cell.split("</td>")[0]) < 400 for cell in cells)


def test_version_option() -> None:
    from importlib.metadata import version

    from typer.testing import CliRunner

    from archive.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert (
        result.exit_code == 0 and result.output.strip() == f"newsarchive {version('newsarchive')}"
    )


# ---------------------------------------------------------------- lanes, classes, the child
def _scope(path: str, query: bytes = b"") -> dict:
    return {"type": "http", "method": "GET", "path": path, "query_string": query}


@pytest.mark.parametrize(
    ("path", "query", "kind"),
    [
        ("/", b"", None),
        ("/news/articles", b"", None),
        ("/news/articles", b"_size=20&_shape=array", None),
        ("/news/articles", b"_search=the+OR+a*", "costly"),
        ("/news/articles", b"body__contains=x", "costly"),
        ("/news/articles", b"_facet=body", "costly"),
        ("/news/articles", b"_sort=word_count", "costly"),
        ("/news/articles.json", b"_size=max", "costly"),
        ("/news/articles", b"site=Evil", "costly"),
        ("/news/articles/12", b"", "costly"),
        ("/news.json", b"sql=select+1", "sql"),
        ("/search", b"q=a*", None),  # bounded by its own lanes
        ("/article/1", b"", None),
    ],
)
def test_requests_are_classified(path: str, query: bytes, kind: str | None) -> None:
    from archive.web.throttle import classify

    assert classify(_scope(path, query)) == kind


def test_lane_runs_limit_queues_some_and_refuses_the_rest() -> None:
    from archive.web.throttle import Busy, Lane

    async def scenario() -> None:
        lane = Lane(1, queue=2, wait_s=5)
        release = asyncio.Event()
        order: list[int] = []

        async def job(n: int) -> str:
            try:
                async with lane.slot():
                    order.append(n)
                    await release.wait()
                return "ok"
            except Busy:
                return "busy"

        tasks = [asyncio.create_task(job(n)) for n in range(5)]
        await asyncio.sleep(0.05)
        assert lane.running == 1 and len(lane.waiters) == 2
        release.set()
        results = await asyncio.gather(*tasks)
        assert results == ["ok", "ok", "ok", "busy", "busy"] and order == [0, 1, 2]
        assert lane.running == 0

    asyncio.run(scenario())


def test_lane_waiters_give_up_after_wait_s_and_duty_rests_the_slot() -> None:
    from archive.web.throttle import Busy, Lane

    async def scenario() -> None:
        lane = Lane(1, queue=4, wait_s=0.2)
        hold = asyncio.Event()

        async def holder() -> None:
            async with lane.slot():
                await hold.wait()

        task = asyncio.create_task(holder())
        await asyncio.sleep(0.01)
        start = time.monotonic()
        with pytest.raises(Busy):
            await lane.acquire()
        assert 0.15 < time.monotonic() - start < 2 and not lane.waiters
        hold.set()
        await task
        assert lane.running == 0

        rested = Lane(1, duty=0.25)
        async with rested.slot():
            await asyncio.sleep(0.1)
        assert rested.running == 1  # rests 3x its busy time before the next one
        await asyncio.sleep(0.5)
        assert rested.running == 0

    asyncio.run(scenario())


def test_search_process_is_killed_at_the_time_limit() -> None:
    from archive.web.workers import SearchProcess

    async def scenario() -> None:
        process = SearchProcess()
        try:
            assert await process.run(60, math.sqrt, 16.0) == 4.0
            start = time.monotonic()
            with pytest.raises(TimeoutError):
                await process.run(0.5, time.sleep, 30)
            assert time.monotonic() - start < 5
            assert await process.run(60, math.sqrt, 9.0) == 3.0  # a fresh child
        finally:
            process.stop()

    asyncio.run(scenario())


def test_heavy_searches_are_recognised() -> None:
    from archive.web.bridge import is_heavy

    assert is_heavy({"query": "elect*"})
    assert is_heavy({"query": "stadia", "collapse": True})
    assert is_heavy({"query": "stadia", "page": 50})
    assert not is_heavy({"query": "stadia", "page": 2, "limit": 20})


def test_heavy_searches_run_in_the_child_and_light_ones_in_a_thread(
    local: httpx.Client, archive: tuple[Path, int]
) -> None:
    """The README promises heavy /search queries run in the niced child, killed at the time
    limit; a light one must not wake the child (planted: heavy searches on the thread lane
    leave the child unstarted and fail here). `local` has built the index."""
    import os

    from archive.web.config import WebConfig
    from archive.web.pages import Pages
    from archive.web.params import search_params

    pages = Pages(WebConfig(archive_dir=archive[0]), csp="")
    ran_in: list[int] = []
    real_run = pages.process.run

    async def recording_run(timeout_s: float, fn, *args):  # type: ignore[no-untyped-def]
        result = await real_run(timeout_s, os.getpid)
        ran_in.append(result)
        return await real_run(timeout_s, fn, *args)

    pages.process.run = recording_run  # type: ignore[method-assign]

    async def scenario() -> None:
        light = await pages._run_search(search_params({"q": "government"}))
        assert light["total"] > 0 and ran_in == []
        heavy = await pages._run_search(search_params({"q": "govern*"}))
        assert heavy["total"] >= light["total"]
        assert len(ran_in) == 1 and ran_in[0] != os.getpid()

    try:
        asyncio.run(scenario())
    finally:
        pages.process.stop()


def test_readme_addresses_answer(local: httpx.Client, archive: tuple[Path, int]) -> None:
    """Every address of the README's table of `serve` pages answers on a real server."""
    import re

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Serve locally") : readme.index("### Publish read-only")]
    paths = []
    for line in section.splitlines():
        if line.startswith("| `/"):
            first_cell = line.split("|")[1]
            paths += re.findall(r"`(/[^`]*)`", first_cell)
    assert len(paths) >= 12, paths
    for path in paths:
        concrete = (
            path.replace("ID", str(archive[1]))
            .replace("q=...", "q=stadia")
            .replace("=...", "=x")
            .replace("select ...", "select+1")
            .split(" ")[0]
        )
        response = local.get(concrete)
        assert response.status_code == 200, (path, concrete, response.status_code)
    assert "serve --public --no-download" in readme and "--base-url https:" in readme


def test_unknown_sort_columns_are_refused_before_waiting_for_a_slot(
    archive: tuple[Path, int],
) -> None:
    """The check runs before the costly lane: a flood of bad sorts gets 400s, not 503s."""
    from archive.web.guard import sort_checker
    from archive.web.server import ServeOptions, build_datasette

    ds = build_datasette(archive[0], ServeOptions(catch_up=False))
    check = sort_checker(ds)

    async def scenario() -> None:
        bad = await check(_scope("/news/articles", b"_sort=nosuchcol"))
        assert bad and "nosuchcol" in bad and "published" in bad and "\n" not in bad
        assert await check(_scope("/news/articles.json", b"_sort_desc=body")) is not None
        assert await check(_scope("/news/articles", b"_sort=title")) is None
        assert await check(_scope("/news/sources", b"_sort=sha256")) is None
        assert await check(_scope("/news/top_authors", b"_sort=x")) is None  # a canned query
        assert await check(_scope("/news/articles", b"_size=5")) is None

    asyncio.run(scenario())
