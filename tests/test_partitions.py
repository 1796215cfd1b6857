"""Partition sets (archive/partitions.py): three archives answer as the one holding them all.

The 109 real corpus articles go into one archive, and into three partitions by year (2019,
2018, and everything older or undated); the same searches must give the same hits, totals,
facets and suggestions. Relevance order is compared as a set (BM25 statistics are per
partition, a documented limit); date orders are compared exactly, page by page.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.indexing import ArchiveDB, catch_up, index_dir_for
from archive.partitions import open_partitions, partition_dirs, search_many, stats_set
from archive.searching import SearchRequest, run_search
from archive.stats import archive_stats
from tests.conftest import load_truth
from tests.test_index import build_archive

QUERIES = [
    "police",
    "said",
    "government",
    '"prime minister"',
    "court OR judge",
    "new NOT trump",
    "year:2019",
    "elect*",
]
NEWSARCHIVE = str(Path(sys.executable).with_name("newsarchive"))


def partition_of(row: dict) -> str:
    year = (row.get("published") or "")[:4]
    return year if year in ("2019", "2018") else "other"


def build(folder: Path, rows: list[dict]) -> None:
    build_archive(folder, rows)
    db = ArchiveDB.open(folder)
    catch_up(db, index_dir_for(folder))
    db.close()


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("partitions")
    rows = load_truth()
    build(root / "one", rows)
    for name in ("2019", "2018", "other"):
        build(root / "set" / "partitions" / name, [r for r in rows if partition_of(r) == name])
    return root / "one", root / "set"


def single(folder: Path, request: SearchRequest) -> dict:
    return run_search(ArchiveDB.open(folder), index_dir_for(folder), request)


def plain(hits: list[dict]) -> list[dict]:
    """A hit without what is per archive: its id, its partition, its BM25 score."""
    return [
        {k: v for k, v in h.items() if k not in ("id", "archive", "address", "score")} for h in hits
    ]


def test_the_set_is_found_and_one_archive_is_not_a_set(archives: tuple[Path, Path]) -> None:
    one, many = archives
    assert partition_dirs(one) is None
    assert [p.name for p in partition_dirs(many)] == ["2018", "2019", "other"]


def by_date(hits: list[dict]) -> list[tuple[str, list[str]]]:
    """Hits as (date, hits of that date): the order of equal dates is the index's own."""
    groups: list[tuple[str, list[str]]] = []
    for hit in plain(hits):
        if not groups or groups[-1][0] != hit["published"]:
            groups.append((hit["published"], []))
        groups[-1][1].append(json.dumps(hit, sort_keys=True))
    return [(date, sorted(group)) for date, group in groups]


@pytest.mark.parametrize("sort", ["newest", "oldest"])
@pytest.mark.parametrize("query", QUERIES)
def test_date_order_hits_totals_and_facets_are_the_same(
    archives: tuple[Path, Path], query: str, sort: str
) -> None:
    one, many = archives
    parts = open_partitions(many)
    request = SearchRequest(query, sort=sort, limit=1000, facets=True)
    want, got = single(one, request), search_many(parts, request)
    assert got["total"] == want["total"] == len(got["hits"]) > 0
    assert by_date(got["hits"]) == by_date(want["hits"])
    assert got["facets"] == want["facets"]
    assert got["suggestion"] == want["suggestion"]
    pages = []  # paging walks the merged order
    for page in range(1, 5):
        found = search_many(parts, SearchRequest(query, sort=sort, limit=7, page=page))
        assert found["total"] == want["total"]
        pages += found["hits"]
    assert plain(pages) == plain(got["hits"][:28])


@pytest.mark.parametrize("query", QUERIES)
def test_relevance_gives_the_same_hits(archives: tuple[Path, Path], query: str) -> None:
    one, many = archives
    request = SearchRequest(query, limit=1000, facets=True)
    want, got = single(one, request), search_many(open_partitions(many), request)
    assert got["total"] == want["total"] == len(got["hits"])
    key = lambda h: json.dumps(h, sort_keys=True)  # noqa: E731
    assert sorted(plain(got["hits"]), key=key) == sorted(plain(want["hits"]), key=key)
    assert got["facets"] == want["facets"]
    scores = [h["score"] for h in got["hits"]]
    assert scores == sorted(scores, reverse=True)  # merged by score


def test_filters_apply_in_every_partition(archives: tuple[Path, Path]) -> None:
    one, many = archives
    sites = ["The Paradigm", "New York Post", "NBC News", "my6sense"]
    request = SearchRequest("said OR the", site=sites, since="2018-06", sort="newest", facets=True)
    want, got = single(one, request), search_many(open_partitions(many), request)
    assert got["total"] == want["total"] > 0
    assert by_date(got["hits"]) == by_date(want["hits"]) and got["facets"] == want["facets"]


def test_facet_values_cut_from_a_partitions_top_are_counted(archives: tuple[Path, Path]) -> None:
    """Broad queries have more than 20 authors per partition: the merged top 20 stays exact."""
    one, many = archives
    request = SearchRequest("said OR the OR a", facets=True, limit=1)
    want = single(one, request)
    parts = open_partitions(many)
    per_part = [run_search(p.db, p.index_dir, request)["facets"]["author"] for p in parts]
    assert max(len(a) for a in per_part) == 20  # some partition's list was cut
    assert search_many(parts, request)["facets"] == want["facets"]


def test_did_you_mean_across_partitions(archives: tuple[Path, Path]) -> None:
    one, many = archives
    for query in ("goverment", "polise chief", "presidnt"):
        request = SearchRequest(query)
        want = single(one, request)["suggestion"]
        assert want, query
        assert search_many(open_partitions(many), request)["suggestion"] == want


def test_a_page_too_deep_is_a_query_error(archives: tuple[Path, Path]) -> None:
    from index.errors import QuerySyntaxError

    with pytest.raises(QuerySyntaxError, match="too deep"):
        search_many(open_partitions(archives[1]), SearchRequest("said", limit=100, page=11))


def test_stats_sum_the_partitions(archives: tuple[Path, Path]) -> None:
    one, many = archives
    want = archive_stats(ArchiveDB.open(one))
    got = stats_set(many)
    assert sum(got["partitions"].values()) == want["counts"]["articles"]
    for key in ("published", "authors", "categories", "sites", "years", "languages"):
        assert got[key] == want[key], key
    assert got["counts"]["articles"] == want["counts"]["articles"]


def test_cli_search_and_stats_read_a_set(archives: tuple[Path, Path]) -> None:
    one, many = archives
    for args in (
        ["search", "police", "--facets", "--sort", "newest", "--json"],
        ["stats", "--json"],
    ):
        got, want = (
            json.loads(
                subprocess.run(
                    [NEWSARCHIVE, "--archive", str(folder), *args],
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=True,
                ).stdout
            )
            for folder in (many, one)
        )
        if args[0] == "search":
            assert by_date(got["hits"]) == by_date(want["hits"]) and got["total"] == want["total"]
            assert {h["archive"] for h in got["hits"]} <= {"2018", "2019", "other"}
        else:
            assert got["counts"]["articles"] == want["counts"]["articles"]


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NEWSARCHIVE, "--archive", str(folder), *args], capture_output=True, text=True, timeout=120
    )


def test_show_and_similar_take_the_address_search_gives(archives: tuple[Path, Path]) -> None:
    """Ids are per partition: a hit's `address` (PARTITION/ID) opens that very article; a bare
    id on a set, or an unknown partition, is one line saying which form to use."""
    one, many = archives
    found = json.loads(_cli(many, "search", "government", "--limit", "5", "--json").stdout)
    assert found["hits"]
    for hit in found["hits"][:3]:
        assert hit["address"] == f"{hit['archive']}/{hit['id']}"
        shown = _cli(many, "show", hit["address"], "--json")
        assert shown.returncode == 0, shown.stderr
        article = json.loads(shown.stdout)
        assert (article["title"], article["url"]) == (hit["title"], hit["url"])
        like = json.loads(_cli(many, "similar", hit["address"], "--json").stdout)
        assert all(h["address"].startswith(hit["archive"] + "/") for h in like["hits"])
    bare = _cli(many, "show", str(found["hits"][0]["id"]))
    assert bare.returncode != 0 and "PARTITION/ID" in bare.stderr
    assert len(bare.stderr.strip().splitlines()) == 1
    unknown = _cli(many, "show", "1999/1")
    assert unknown.returncode != 0 and "no partition '1999'" in unknown.stderr
    on_one = _cli(one, "show", "2019/1")
    assert on_one.returncode != 0 and "use the id alone" in on_one.stderr


@pytest.mark.slow
def test_ingest_partition_year_builds_a_set_that_reads_as_one(tmp_path: Path) -> None:
    """`ingest --partition year` on the corpus: each article in its year's archive, undated
    ones apart, the set searchable as one, and a second run adds nothing."""
    import sqlite3

    from tests.conftest import CORPUS

    root = tmp_path / "backfill"
    cmd = [NEWSARCHIVE, "--archive", str(root), "ingest", str(CORPUS), "--partition", "year"]
    done = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert {"2019", "2018", "undated"} <= set(summary)
    total = 0
    for part in partition_dirs(root):
        db = sqlite3.connect(part / "news.db")
        years = {row[0] for row in db.execute("SELECT substr(published, 1, 4) FROM articles")}
        total += db.execute("SELECT count(*) FROM articles").fetchone()[0]
        db.close()
        assert years == ({None} if part.name == "undated" else {part.name}), part.name
    assert total == sum(s["added"] for s in summary.values())
    found = search_many(open_partitions(root), SearchRequest("police OR said", facets=True))
    per_part = [
        run_search(p.db, p.index_dir, SearchRequest("police OR said"))["total"]
        for p in open_partitions(root)
    ]
    assert found["total"] == sum(per_part) > 0
    assert sum(found["facets"]["year"].values()) <= found["total"]
    again = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr
    assert all(s["added"] == 0 for s in json.loads(again.stdout).values())
    single = tmp_path / "single"
    build_archive(single, load_truth()[:3])
    refused = subprocess.run(
        [NEWSARCHIVE, "--archive", str(single), "ingest", str(CORPUS), "--partition", "year"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "single archive" in refused.stderr


def test_a_word_in_no_title_is_highlighted(archives: tuple[Path, Path]) -> None:
    """In the 2018 partition `police` is in one body and no title; Whoosh 2.7.5's
    Query.existing_terms skipped body terms after a title term, so nothing was marked."""
    part = next(p for p in open_partitions(archives[1]) if p.name == "2018")
    hits = run_search(part.db, part.index_dir, SearchRequest("police"))["hits"]
    assert hits and all("<mark>" in h["snippet"] for h in hits)
