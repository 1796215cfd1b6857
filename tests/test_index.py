"""The Whoosh index on an archive of real corpus pages: every search option, exact totals,
facets over all hits, suggestions, snippets, bounded queries and the known Whoosh traps."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from archive.indexing import ArchiveDB, catch_up, index_dir_for
from archive.searching import Filters, SearchRequest, run_search, similar, timeline
from index.errors import QuerySyntaxError, QueryTooBroad
from tests.conftest import load_truth, truth_article


def build_archive(folder: Path, rows: list[dict], batch: int = 200) -> None:
    from archive.store import Extracted, Store
    from ingest.model import RawDocument

    store = Store.open(folder)
    run_id = store.start_run(["test"])
    for start in range(0, len(rows), batch):
        items = []
        for row in rows[start : start + batch]:
            data = json.dumps(row, ensure_ascii=False).encode()
            raw = RawDocument(
                origin=f"truth#{row['id']}", data=data, format="json", url=row.get("url")
            )
            items.append(Extracted(raw=raw, article=truth_article(row)))
        store.write_batch(items, run_id)
    store.close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All 109 corpus pages, indexed in batches of 20 (several segments, like real ingests)."""
    folder = tmp_path_factory.mktemp("archive")
    rows = load_truth()
    for start in range(0, len(rows), 20):
        build_archive(folder, rows[start : start + 20])
        db = ArchiveDB.open(folder)
        catch_up(db, index_dir_for(folder))
        db.close()
    return folder


@pytest.fixture(scope="module")
def db(archive: Path) -> ArchiveDB:
    return ArchiveDB.open(archive)


def search(db: ArchiveDB, archive: Path, query: str, **options) -> dict:
    return run_search(db, index_dir_for(archive), SearchRequest(query=query, **options))


def sql(db: ArchiveDB, query: str, params: list | None = None) -> list[tuple]:
    return db.db.execute(query, params or []).fetchall()


def all_ids(db: ArchiveDB, archive: Path, query: str, **options) -> list[int]:
    result = search(db, archive, query, limit=1000, **options)
    return [h["id"] for h in result["hits"]]


def test_result_shape_matches_design(db, archive):
    result = search(db, archive, "game", limit=3, facets=True)
    assert list(result) == ["query", "total", "page", "limit", "suggestion", "hits", "facets"]
    assert result["query"] == "game" and result["page"] == 1 and result["limit"] == 3
    assert len(result["hits"]) == 3 and result["total"] > 3
    hit = result["hits"][0]
    assert list(hit) == [
        "id", "title", "published", "authors", "category", "site", "url", "score", "snippet",
    ]  # fmt: skip
    assert isinstance(hit["authors"], list) and hit["score"] > 0
    assert list(result["facets"]) == ["author", "category", "site", "language", "year", "month"]


def test_total_is_exact_and_paging_covers_every_hit(db, archive):
    ids = all_ids(db, archive, "game")
    result = search(db, archive, "game", limit=4)
    assert result["total"] == len(ids) == len(set(ids))
    pages = []
    for page in range(1, result["total"] // 4 + 2):
        pages += [h["id"] for h in search(db, archive, "game", limit=4, page=page)["hits"]]
    assert pages == ids
    assert search(db, archive, "game", limit=4, page=99)["hits"] == []


def test_hits_contain_the_words(db, archive):
    for hit_id in all_ids(db, archive, "stadia"):
        (title, body) = sql(db, "SELECT title, body FROM articles WHERE id = ?", [hit_id])[0]
        assert "stadia" in f"{title} {body}".lower()


def test_boolean_phrase_and_field_syntax(db, archive):
    google = set(all_ids(db, archive, "google"))
    stadia = set(all_ids(db, archive, "stadia"))
    assert set(all_ids(db, archive, "google AND stadia")) == google & stadia
    assert set(all_ids(db, archive, "google OR stadia")) == google | stadia
    assert set(all_ids(db, archive, "google AND NOT stadia")) == google - stadia
    phrase = all_ids(db, archive, '"game streaming"')
    assert phrase
    for hit_id in phrase:
        (title, body) = sql(db, "SELECT title, body FROM articles WHERE id = ?", [hit_id])[0]
        assert "game streaming" in f"{title} {body}".lower()
    titled = all_ids(db, archive, "title:stadia")
    assert titled and all(
        "stadia" in sql(db, "SELECT lower(title) FROM articles WHERE id = ?", [i])[0][0]
        for i in titled
    )


def test_field_queries_on_metadata(db, archive):
    by_year = Counter(r[0] for r in sql(db, "SELECT published_year FROM articles"))
    assert search(db, archive, "year:2018")["total"] == by_year[2018]
    assert search(db, archive, "published:[2018 to 2019]")["total"] == by_year[2018] + by_year[2019]
    n_month = sql(db, "SELECT count(*) FROM articles WHERE published_month = '2019-11'")[0][0]
    assert search(db, archive, "published:2019-11")["total"] == n_month
    assert search(db, archive, 'author:"Sarah E. Needleman"')["total"] == 1
    assert search(db, archive, "author:Reuters")["total"] == 2


def test_filters_match_sql(db, archive):
    assert search(db, archive, "*")["total"] == sql(db, "SELECT count(*) FROM articles")[0][0]
    site = "Al Jazeera"
    expect = {r[0] for r in sql(db, "SELECT id FROM articles WHERE site = ?", [site])}
    assert set(all_ids(db, archive, "*", site=site)) == expect
    assert set(all_ids(db, archive, "*", site=site.lower())) == expect  # case-insensitive
    cat = sql(
        db,
        "SELECT category FROM articles WHERE category IS NOT NULL GROUP BY category ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    # every case of the value: "News" names "news" too (issue 15: values ignore case)
    expect = {
        r[0] for r in sql(db, "SELECT id FROM articles WHERE lower(category) = lower(?)", [cat])
    }
    assert set(all_ids(db, archive, "*", category=cat)) == expect
    assert set(all_ids(db, archive, f"category:{cat.upper()}")) == expect
    expect = {r[0] for r in sql(db, "SELECT id FROM articles WHERE authors LIKE '%\"Reuters\"%'")}
    assert set(all_ids(db, archive, "*", author="reuters")) == expect and expect
    expect = {
        r[0]
        for r in sql(
            db, "SELECT id FROM articles WHERE published >= '2018-08' AND published < '2018-11'"
        )
    }
    got = set(all_ids(db, archive, "*", since="2018-08", until="2018-10"))
    assert got == expect and expect
    assert all_ids(db, archive, "*", author="Nobody Atall") == []


def test_filters_are_applied_before_paging(db, archive):
    # Post-filtering a page would return fewer hits than the limit although more exist.
    result = search(db, archive, "the", since="2019", limit=5)
    assert len(result["hits"]) == 5 and result["total"] > 5
    assert all(h["published"].startswith("2019") for h in result["hits"])


def test_sort_orders_and_undated_last(db, archive):
    newest = [h["published"] for h in search(db, archive, "the", sort="newest", limit=1000)["hits"]]
    oldest = [h["published"] for h in search(db, archive, "the", sort="oldest", limit=1000)["hits"]]
    dated_new = [p for p in newest if p]
    assert dated_new == sorted(dated_new, reverse=True) and newest[: len(dated_new)] == dated_new
    dated_old = [p for p in oldest if p]
    assert dated_old == sorted(dated_old) and oldest[: len(dated_old)] == dated_old
    assert None in newest  # the corpus has undated pages, and they come last both ways


def test_date_sort_across_segments_matches_sql(db, archive):
    """Regression (BufferedWriter trap): documents from many commits sort by date correctly."""
    got = [
        h["id"]
        for h in search(db, archive, "year:[2000 to 2030]", sort="newest", limit=1000)["hits"]
    ]
    want = [
        r[0]
        for r in sql(
            db, "SELECT id FROM articles WHERE published IS NOT NULL ORDER BY published DESC, id"
        )
    ]
    assert [sql(db, "SELECT published FROM articles WHERE id=?", [i])[0][0][:10] for i in got] == [
        sql(db, "SELECT published FROM articles WHERE id=?", [i])[0][0][:10] for i in want
    ]


def test_total_exact_for_term_and_date_range_with_limit(db, archive):
    """Regression: len(results) undercounts a term AND a date range searched with a limit."""
    from whoosh import query as q

    from index.writer import open_index

    ix = open_index(index_dir_for(archive))
    with ix.searcher() as s:
        for word in ("game", "the", "said", "google", "year", "people", "new"):
            for span in ("[2018 to 2019]", "[2019 to 2019]", "[2010 to 2018]"):
                text = f"{word} AND published:{span}"
                from index.query import parse

                exact = len(s.search(parse(text, ix.schema, s.reader()), limit=None, scored=False))
                assert search(db, archive, text, limit=1)["total"] == exact, text
            exact = len(s.search(q.Term("body", word), limit=None, scored=False, filter=None))
    ix.close()


def test_facets_count_all_hits_and_add_up(db, archive):
    result = search(db, archive, "the", facets=True, limit=2)
    ids = all_ids(db, archive, "the")
    assert result["total"] == len(ids) and len(result["hits"]) == 2
    rows = {
        r[0]: r
        for r in sql(
            db,
            f"SELECT id, published_year, published_month, site, category, authors FROM articles WHERE id IN ({','.join(map(str, ids))})",
        )
    }
    years = Counter(str(r[1]) for r in rows.values() if r[1])
    months = Counter(r[2] for r in rows.values() if r[2])
    assert result["facets"]["year"] == dict(sorted(years.items()))
    assert result["facets"]["month"] == dict(sorted(months.items()))
    assert (
        sum(result["facets"]["year"].values()) + sum(1 for r in rows.values() if not r[1])
        == result["total"]
    )
    sites = Counter(r[3] for r in rows.values() if r[3])
    top_sites = result["facets"]["site"]
    assert all(sites[k] == v for k, v in top_sites.items()) and len(top_sites) == min(
        20, len(sites)
    )
    authors = Counter(a for r in rows.values() for a in json.loads(r[5] or "[]"))
    assert all(authors[k] == v for k, v in result["facets"]["author"].items())
    assert list(result["facets"]["author"].values()) == sorted(
        result["facets"]["author"].values(), reverse=True
    )


def test_facets_respect_filters(db, archive):
    result = search(db, archive, "the", facets=True, since="2019", until="2019")
    assert list(result["facets"]["year"]) == ["2019"]
    assert result["facets"]["year"]["2019"] == result["total"]
    assert not search(db, archive, "the", facets=False)["facets"]


def test_suggestion_for_unknown_words_is_a_word_not_a_stem(db, archive):
    assert search(db, archive, "gaem")["suggestion"] == "game"
    assert search(db, archive, "stadai streeming")["suggestion"] == "stadia streaming"
    assert search(db, archive, "game")["suggestion"] is None
    # the closest real word, not the bare stem ("elect") nor a made-up inflection ("gaed")
    assert search(db, archive, "electon")["suggestion"] == "election"
    assert search(db, archive, "goverment")["suggestion"] == "government"


def test_snippets_are_highlighted_and_safe(db, archive):
    hit = search(db, archive, "streaming", limit=1)["hits"][0]
    assert "<mark>streaming</mark>" in hit["snippet"].lower()
    import re

    assert set(re.findall(r"</?[a-z]+>", hit["snippet"])) <= {"<mark>", "</mark>"}


def test_snippet_escapes_markup_in_the_body():
    from index.schema import text_analyzer
    from index.snippets import snippet, split_marks

    body = 'Hello <script>alert("x")</script> & the <mark>council</mark> voted.'
    out = snippet(body, ["council"], text_analyzer())
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert out.count("<mark>") == 1 and "&lt;mark&gt;" in out  # the body's own tag is escaped
    assert "".join(t for t, _ in split_marks(out)).startswith('Hello <script>alert("x")')
    assert [t for t, marked in split_marks(out) if marked] == ["council"]


def test_wildcards_are_bounded(db, archive):
    assert search(db, archive, "stad*")["total"] >= search(db, archive, "stadia")["total"]
    for text in ("?*", "*", "*ing", "a*", "s?", "*a*"):
        if text == "*":
            assert search(db, archive, text)["total"] == 109
            continue
        with pytest.raises(QueryTooBroad):
            search(db, archive, text)
    with pytest.raises(QueryTooBroad):
        search(db, archive, "title:[a to z]")


def test_wildcard_expansion_cap(db, archive):
    from index import query

    old = query.MAX_EXPANSION
    query.MAX_EXPANSION = 3
    try:
        with pytest.raises(QueryTooBroad, match="more than 3"):
            search(db, archive, "co*")
    finally:
        query.MAX_EXPANSION = old


@pytest.mark.parametrize(
    "text",
    [
        '"unclosed phrase',
        "(game OR",
        "published:[abc to 2019]",
        "nofield:value",
        "",
        "x" * 1001,
        "published:[2019 to",
    ],
)
def test_malformed_queries_raise_named_errors(db, archive, text):
    with pytest.raises(QuerySyntaxError):
        search(db, archive, text)


@pytest.mark.parametrize(
    "options",
    [
        {"sort": "random"},
        {"since": "last week"},
        {"since": "2020", "until": "2019"},
        {"limit": 0},
        {"page": 0},
        {"until": "2019-13"},
    ],
)
def test_bad_options_raise_named_errors(db, archive, options):
    with pytest.raises(QuerySyntaxError):
        search(db, archive, "game", **options)


def test_similar_finds_related_articles(db, archive):
    (stadia_id,) = sql(db, "SELECT id FROM articles WHERE title LIKE 'Google Stadia, Microsoft%'")[
        0
    ]
    result = similar(db, index_dir_for(archive), stadia_id, limit=3)
    assert result["id"] == stadia_id and len(result["hits"]) == 3
    assert stadia_id not in [h["id"] for h in result["hits"]]
    assert any("stadia" in (h["title"] or "").lower() for h in result["hits"])


def test_timeline_counts_and_shares(db, archive):
    rows = timeline(db, index_dir_for(archive), "game", Filters(), "year")
    by_year = Counter(
        r[0]
        for r in sql(db, "SELECT published_year FROM articles WHERE published_year IS NOT NULL")
    )
    assert [r["period"] for r in rows] == [str(y) for y in range(min(by_year), max(by_year) + 1)]
    for r in rows:
        assert r["total"] == by_year.get(int(r["period"]), 0)
        assert r["share"] == (round(r["count"] / r["total"], 6) if r["total"] else 0.0)
    dated_hits = search(db, archive, "game AND year:[1900 to 2100]")["total"]
    assert sum(r["count"] for r in rows) == dated_hits
    months = timeline(db, index_dir_for(archive), "game", Filters(since="2019"), "month")
    assert months and all(r["period"].startswith("2019-") for r in months)


def test_stop_words_inside_phrases(tmp_path):
    """Regression: with a stop list, "state of the union" also matched "state union"."""
    from index import writer
    from index.searcher import search as isearch

    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, [
        {"id": 1, "title": "A", "body": "The president gave the state of the union address."},
        {"id": 2, "title": "B", "body": "Workers joined a state union last year."},
        {"id": 3, "title": "C", "body": "To be or not to be, that is the question."},
    ])  # fmt: skip
    assert isearch(ix, '"state of the union"').ids == [1]
    assert isearch(ix, '"state union"').ids == [2]
    assert isearch(ix, '"to be or not to be"').ids == [3]


def test_same_id_twice_in_one_batch_is_indexed_once(tmp_path):
    from index import writer
    from index.searcher import indexed_hashes
    from index.searcher import search as isearch

    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, [
        {"id": 7, "title": "old", "body": "first version", "content_hash": "a"},
        {"id": 7, "title": "new", "body": "second version", "content_hash": "b"},
    ])  # fmt: skip
    writer.write_batch(
        ix, [{"id": 7, "title": "newer", "body": "third version", "content_hash": "c"}]
    )
    assert indexed_hashes(ix) == {7: ["c"]}
    assert isearch(ix, "version").total == 1


def test_columns_follow_segments_and_deletions(tmp_path):
    """Filters, facets and date sorts read column arrays: they must stay right across several
    segments (one per commit) and after updates delete the old copies."""
    from index import writer
    from index.searcher import Filters
    from index.searcher import search as isearch

    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, [
        {"id": 1, "title": "x", "body": "storm", "category": "Weather", "site": "A",
         "authors": '["Ann Lee"]', "published": "2020-05-01"},
        {"id": 2, "title": "y", "body": "storm", "category": "News", "site": "B",
         "published": "2021-01-02T10:00:00"},
    ])  # fmt: skip
    writer.write_batch(ix, [
        {"id": 1, "title": "x", "body": "storm", "category": "News", "site": "B",
         "authors": '["Bo Chen", "Ann Lee"]', "published": "2019-03-03"},
        {"id": 3, "title": "z", "body": "storm", "site": "A"},
    ])  # fmt: skip
    found = isearch(ix, "storm", facets=True, sort="newest")
    assert found.ids == [2, 1, 3] and found.total == 3
    assert found.facets["category"] == {"News": 2}
    assert found.facets["site"] == {"B": 2, "A": 1}
    assert found.facets["author"] == {"Ann Lee": 1, "Bo Chen": 1}
    assert found.facets["year"] == {"2019": 1, "2021": 1}
    assert isearch(ix, "storm", sort="oldest").ids == [1, 2, 3]
    assert isearch(ix, "storm", filters=Filters(sites=["a"])).ids == [3]
    assert isearch(ix, "storm", filters=Filters(since="2020", until="2021-01")).ids == [2]
    assert isearch(ix, "storm", filters=Filters(authors=["ann lee"])).ids == [1]


def test_missing_length_column_patch_still_applies(tmp_path):
    """`whoosh_internals.writing.cache_missing_length_columns` patches a private Whoosh
    method; if a Whoosh upgrade renames it, this fails instead of the build silently slowing
    down."""
    from whoosh.codec import whoosh3

    from index import writer
    from index.searcher import search as isearch

    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, [{"id": 1, "title": "a", "body": "patched build", "site": "S"}])
    assert getattr(whoosh3.W3PerDocReader, "_newsarchive_cached", False)
    assert isearch(ix, "patched").ids == [1]


def test_posting_lists_are_written_in_blocks_of_1024(tmp_path: Path) -> None:
    """Whoosh's default is 128 postings a block; ours (writer.POSTINGS_PER_BLOCK) reads in an
    eighth of the blocks. The first block of a term in 1,500 documents holds 1,024."""
    from index import writer

    ix = writer.create_index(tmp_path / "index")
    rows = [
        {"id": i, "title": f"Story {i}", "body": "harbour news", "language": "en", "seq": i}
        for i in range(1, 1501)
    ]
    writer.write_batch(ix, rows)
    ix = writer.open_index(tmp_path / "index")
    with ix.reader() as reader:
        (leaf, _offset), *_ = reader.leaf_readers()
        matcher = leaf.postings("body", "harbour")
        assert matcher._blocklength == writer.POSTINGS_PER_BLOCK == 1024
    ix.close()
