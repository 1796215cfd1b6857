"""`serve` on a partition set: one site over every partition (archive/web/config.Served).

The corpus goes into one archive and, split by year, into a set of three partitions; a real
`newsarchive serve` runs on each. The set's `/search` must give the one archive's totals and
hits, its article pages answer at /article/PARTITION/ID with the right article, its home page
sums the partitions, and each partition is a database of its own (`/news-2019`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import httpx
import pytest

from tests.conftest import load_truth
from tests.test_partitions import build, partition_of
from tests.web_server import running_server

ATOM = "{http://www.w3.org/2005/Atom}"
PARTS = ("2018", "2019", "other")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    root = tmp_path_factory.mktemp("webset")
    rows = load_truth()
    build(root / "one", rows)
    for name in PARTS:
        build(root / "set" / "partitions" / name, [r for r in rows if partition_of(r) == name])
    with (
        running_server(root / "one", log=root / "one.log") as one_base,
        running_server(root / "set", log=root / "set.log") as set_base,
        httpx.Client(base_url=one_base, timeout=60) as one,
        httpx.Client(base_url=set_base, timeout=60) as many,
    ):
        yield one, many
    assert "Traceback" not in (root / "set.log").read_text()


@pytest.mark.parametrize("query", ["police", "government", '"prime minister"', "court OR judge"])
def test_search_totals_and_hits_are_the_one_archives(
    sites: tuple[httpx.Client, httpx.Client], query: str
) -> None:
    one, many = sites
    params = {"q": query, "sort": "newest", "limit": 50}
    want = one.get("/search.json", params=params).json()
    got = many.get("/search.json", params=params).json()
    assert got["total"] == want["total"] > 0

    def key(hit: dict) -> tuple:
        return (hit["published"] or "", hit["title"] or "", hit["url"] or "")

    assert sorted(map(key, got["hits"])) == sorted(map(key, want["hits"]))
    for facet in ("site", "year", "category"):
        assert got["facets"][facet] == want["facets"][facet]
    assert all(h["address"] == f"{h['archive']}/{h['id']}" for h in got["hits"])


def test_hits_link_to_their_partition_and_the_page_is_that_article(
    sites: tuple[httpx.Client, httpx.Client],
) -> None:
    _, many = sites
    found = many.get("/search.json", params={"q": "government", "limit": 5}).json()["hits"]
    page = many.get("/search", params={"q": "government", "limit": 5}).text
    for hit in found:
        assert f'href="/article/{hit["address"]}"' in page
        article = many.get(f"/article/{hit['address']}.json").json()["article"]
        assert (article["title"], article["url"]) == (hit["title"], hit["url"])
        html = many.get(f"/article/{hit['address']}")
        assert html.status_code == 200
        assert f"/news-{hit['archive']}/articles/{hit['id']}" in html.text  # its row
        text = many.get(f"/article/{hit['address']}.txt").text
        assert text.startswith(hit["title"])


def test_a_bare_id_or_an_unknown_partition_is_a_clear_404(
    sites: tuple[httpx.Client, httpx.Client],
) -> None:
    one, many = sites
    bare = many.get("/article/1")
    assert bare.status_code == 404 and "/article/PARTITION/ID" in bare.text
    assert many.get("/article/1.json").status_code == 404
    assert many.get("/article/1999/1").status_code == 404
    assert many.get("/article/2019/999999").status_code == 404
    assert one.get("/article/2019/1").status_code == 404  # one archive: ids alone


def test_each_partition_is_a_database_named_after_it(
    sites: tuple[httpx.Client, httpx.Client],
) -> None:
    _, many = sites
    names = {d["name"] for d in many.get("/-/databases.json").json()}
    assert {f"news-{p}" for p in PARTS} <= names and "news" not in names
    counts = [
        many.get(f"/news-{p}.json", params={"sql": "select count(*) as n from articles"}).json()
        for p in PARTS
    ]
    total = sum(c["rows"][0][0] for c in counts)
    assert total == len(load_truth())
    refused = many.get("/news-2019.json", params={"sql": "update articles set title = 'x'"})
    assert refused.status_code >= 400
    robots = many.get("/robots.txt").text
    assert all(f"Disallow: /news-{p}.db" in robots for p in PARTS)


def test_home_page_sums_the_partitions(sites: tuple[httpx.Client, httpx.Client]) -> None:
    one, many = sites
    figures = [
        re.search(r'id="na-figures">(.*?)</p>', client.get("/").text, re.S).group(1)
        for client in (one, many)
    ]
    assert figures[0] == figures[1]  # articles, sites, authors, dates: counted as one
    home = many.get("/").text
    newest = re.findall(r'<h3><a href="/article/([^"]+)">', home)
    assert newest and all(re.fullmatch(r"(2018|2019|other)/\d+", a) for a in newest)
    assert many.get(f"/article/{newest[0]}").status_code == 200
    for p in PARTS:
        assert f'href="/news-{p}/articles"' in home
    every = re.search(r'<a href="([^"]+)">Every article, newest first', home).group(1)
    listed = many.get(every.replace("&amp;", "&")).text
    assert f"<strong>{len(load_truth())}</strong> articles" in listed


def test_the_feed_of_a_search_links_partition_addresses(
    sites: tuple[httpx.Client, httpx.Client],
) -> None:
    _, many = sites
    feed = ET.fromstring(many.get("/search.atom", params={"q": "police"}).content)
    links = [e.find(f"{ATOM}link").get("href") for e in feed.iter(f"{ATOM}entry")]
    assert links and all(re.search(r"/article/(2018|2019|other)/\d+$", link) for link in links)
