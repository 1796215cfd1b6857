"""The oracle (issue 15): our search reads postings, phrases, columns and dates through our own
code (index/postings.py, dense.py, columns.py, segment_files.py), so its answers are checked
against two things we did not write: stock whoosh-reloaded's own searcher and query parser on
the same index folder, and a brute-force evaluation over the SQLite rows (words analyzed by
Whoosh's stock analyzer, built here). Hypothesis generates small archives and queries of every
kind; one slower run does the same on thousands of articles written by the part writer in
several segments, then an incremental ingest with updates.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.indexing import ArchiveDB, catch_up, index_dir_for, reindex
from archive.searching import SearchRequest, run_search
from index import dense
from index.whoosh_internals import side_positions

WORDS = [
    "harbor",
    "harbors",
    "market",
    "markets",
    "marketing",
    "vote",
    "voted",
    "voting",
    "storm",
    "storms",
    "stormy",
    "park",
    "parking",
    "parade",
    "party",
    "parties",
    "minister",
    "ministers",
    "the",
    "of",
    "a",
    "and",
    "to",
    "in",
    "council",
    "budget",
    "budgets",
    "cup",
    "cupping",
    "stun",
    "stunning",
    "run",
    "running",
    "ran",
    "election",
    "elections",
]
STOP = ("the", "of", "a", "and", "to", "in")
AUTHORS = ("Priya Raman", "Ines Carvalho", "José Núñez", "Li Wei", "Anna Lee")
CATEGORIES = ("Business", "Politics", "news", "News", "World News")
SITES = ("Coastal Courier", "The Northern Ledger", "Harbor Herald")
MONTHS = [(y, m) for y in (2023, 2024, 2025) for m in (1, 3, 6, 11)]
# Word runs planted in bodies so that phrases of three and four words, with stop and repeated
# words, match in small archives too (random words alone almost never line up).
PHRASES = (
    "harbor market vote",
    "vote the vote",
    "storm of the park",
    "running market elections",
    "park parking park",
)


def _analyzer():  # type: ignore[no-untyped-def]
    """Whoosh's stock Snowball English chain, built here rather than taken from our schema."""
    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter

    return RegexTokenizer() | LowercaseFilter() | StemFilter(lang="en")


ANALYZE = _analyzer()


def stems(text: str) -> list[str]:
    return [t.text for t in ANALYZE(text or "")]


def fold(text: str) -> list[str]:
    import re

    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.findall(r"\w+", plain.casefold())


# ------------------------------------------------------------------ articles
def make_article(rng: random.Random, n: int, *, url: str | None = None):  # type: ignore[no-untyped-def]
    from ingest.model import Article

    def words(k: int) -> str:
        drawn = [rng.choice(WORDS) for _ in range(k)]
        if k > 2 and rng.random() < 0.5:
            drawn.insert(rng.randint(0, k), rng.choice(PHRASES))
        return " ".join(drawn)

    month = rng.choice([*MONTHS, None])
    published = f"{month[0]}-{month[1]:02d}-{rng.randint(1, 28):02d}" if month else None
    return Article(
        title=words(rng.randint(1, 5)),
        authors=rng.sample(AUTHORS, rng.randint(0, 2)),
        published=published,
        category=rng.choice((*CATEGORIES, None)),
        site_name=rng.choice(SITES),
        url=url or f"https://example.test/a/{n}",
        language="en",
        body="\n\n".join(words(rng.randint(3, 25)) for _ in range(rng.randint(1, 3))),
        captions=[words(rng.randint(2, 6)) for _ in range(rng.randint(0, 2))],
    )


def store_articles(folder: Path, articles: list, batch: int = 50) -> None:
    from archive.store import Extracted, Store
    from ingest.model import RawDocument

    store = Store.open(folder)
    run_id = store.start_run(["oracle"])
    for start in range(0, len(articles), batch):
        items = []
        for article in articles[start : start + batch]:
            data = json.dumps(article.to_dict(), ensure_ascii=False).encode()
            raw = RawDocument(origin=article.url, data=data, format="json", url=article.url)
            items.append(Extracted(raw=raw, article=article))
        store.write_batch(items, run_id)
    store.close()


# ------------------------------------------------------------------ brute force
@dataclass
class Row:
    id: int
    fields: dict[str, list[str]]  # title/body/captions -> stems in order
    authors: list[str]
    category: str | None
    site: str | None
    published: str | None
    story: int
    language: str | None = None


def load_rows(folder: Path) -> list[Row]:
    db = ArchiveDB.open(folder)
    captions: dict[int, list[str]] = {}
    for aid, text in db.db.execute("SELECT article_id, text FROM captions ORDER BY position"):
        captions.setdefault(aid, []).append(text)
    rows = []
    for aid, title, body, authors, category, site, published, story, language in db.db.execute(
        "SELECT id, title, body, authors, category, site, published, story_id, language"
        " FROM articles"
    ):
        rows.append(
            Row(
                id=aid,
                fields={
                    "title": stems(title),
                    "body": stems(body),
                    "captions": stems("\n".join(captions.get(aid, []))),
                },
                authors=json.loads(authors or "[]"),
                category=category,
                site=site,
                published=published,
                story=story or aid,
                language=language,
            )
        )
    db.close()
    return rows


def names(typed: str, values: list[str]) -> set[str]:
    """Brute-force reading of a typed field value: equal ignoring case and accents, else the
    values holding the typed words in a row."""
    want = fold(typed)
    same = {v for v in values if fold(v) == want}
    if same:
        return same
    return {
        v
        for v in values
        if any(fold(v)[i : i + len(want)] == want for i in range(len(fold(v)) - len(want) + 1))
    }


# A query is a tuple tree: ("word", w) ("phrase", [w...]) ("prefix", p) ("field", f, value)
# ("and", a, b) ("or", a, b) ("not", a, b: a and not b) ("range", y1, y2) ("all",)
def matches(q: tuple, row: Row, values: dict[str, list[str]]) -> bool:
    kind = q[0]
    if kind == "all":
        return True
    if kind == "word":
        (stem,) = stems(q[1])
        return any(stem in f for f in row.fields.values())
    if kind == "phrase":
        want = stems(" ".join(q[1]))
        n = len(want)
        return any(f[i : i + n] == want for f in row.fields.values() for i in range(len(f) - n + 1))
    if kind == "prefix":
        return any(t.startswith(q[1]) for f in row.fields.values() for t in f)
    if kind == "field":
        field, typed = q[1], q[2]
        named = names(typed, values[field])
        have = {"author": row.authors, "category": [row.category], "site": [row.site]}[field]
        return bool(named & {h for h in have if h})
    if kind == "range":
        return bool(row.published) and q[1] <= row.published[:7] <= q[2]
    if kind == "and":
        return matches(q[1], row, values) and matches(q[2], row, values)
    if kind == "or":
        return matches(q[1], row, values) or matches(q[2], row, values)
    if kind == "not":
        return matches(q[1], row, values) and not matches(q[2], row, values)
    raise AssertionError(kind)


def render(q: tuple, stock: bool) -> str | None:
    """The query as typed to us, or (stock) to Whoosh's own parser; None when stock Whoosh
    has no equivalent (our case-insensitive field values)."""
    kind = q[0]
    if kind == "all":
        return "*"
    if kind == "word":
        return q[1]
    if kind == "phrase":
        return '"' + " ".join(q[1]) + '"'
    if kind == "prefix":
        return q[1] + "*"
    if kind == "field":
        field, typed, exact = q[1], q[2], q[3]
        if stock and not exact:
            return None
        name = {"author": "authors"}.get(field, field) if stock else field
        return f'{name}:"{typed}"'
    if kind == "range":
        y1, m1 = q[1].split("-")
        y2, m2 = q[2].split("-")
        if stock:  # the month field holds yyyymm numbers
            return f"month:[{y1}{m1} to {y2}{m2}]"
        return f"month:[{q[1]} to {q[2]}]"
    a, b = render(q[1], stock), render(q[2], stock)
    if a is None or b is None:
        return None
    if kind == "and":
        return f"({a}) AND ({b})"
    if kind == "or":
        return f"({a}) OR ({b})"
    if not stock and q[2][0] == "word":  # kind == "not": a web engine's -word
        return f"({a}) -{b}"
    return f"({a}) AND NOT ({b})"


def queries():  # type: ignore[no-untyped-def]
    draw_word = st.sampled_from(WORDS)
    leaf = st.one_of(
        st.tuples(st.just("word"), draw_word),
        st.tuples(st.just("phrase"), st.lists(draw_word, min_size=2, max_size=4)),
        st.tuples(st.just("phrase"), st.sampled_from([p.split() for p in PHRASES])),
        st.tuples(
            st.just("phrase"),
            st.sampled_from([p.split()[1:] for p in PHRASES if len(p.split()) > 3]),
        ),
        st.tuples(st.just("prefix"), st.sampled_from(["par", "ma", "vot", "stor", "el", "bud"])),
        st.sampled_from(
            [("field", "author", a, True) for a in AUTHORS]
            + [("field", "author", a.split()[-1].lower(), False) for a in AUTHORS]
            + [("field", "category", c, c.lower() != "news") for c in CATEGORIES]
            + [("field", "category", "NEWS", False), ("field", "site", "coastal", False)]
            + [("field", "site", s, True) for s in SITES]
        ),
        st.builds(
            lambda a, b: ("range", *sorted([a, b])),
            st.sampled_from([f"{y}-{m:02d}" for y, m in MONTHS]),
            st.sampled_from([f"{y}-{m:02d}" for y, m in MONTHS]),
        ),
    )
    return st.recursive(
        leaf,
        lambda inner: st.tuples(st.sampled_from(["and", "or", "not"]), inner, inner),
        max_leaves=4,
    )


OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "author": st.sampled_from(["raman", "Ines Carvalho", "jose nunez"]),
        "category": st.sampled_from(["news", "Business"]),
        "site": st.sampled_from(["coastal", "Harbor Herald"]),
        "since": st.sampled_from(["2024", "2023-06"]),
        "until": st.sampled_from(["2024-11", "2025"]),
    },
)


# ------------------------------------------------------------------ the comparison
def brute(rows: list[Row], q: tuple, options: dict[str, str]) -> list[Row]:
    values = {
        "author": sorted({a for r in rows for a in r.authors}),
        "category": sorted({r.category for r in rows if r.category}),
        "site": sorted({r.site for r in rows if r.site}),
    }
    hits = [r for r in rows if matches(q, r, values)]
    if "author" in options:
        named = names(options["author"], values["author"])
        hits = [r for r in hits if named & set(r.authors)]
    for key in ("category", "site"):
        if key in options:
            named = names(options[key], values[key])
            hits = [r for r in hits if getattr(r, key) in named]
    if "since" in options:
        hits = [
            r
            for r in hits
            if r.published and r.published[: len(options["since"])] >= options["since"]
        ]
    if "until" in options:
        hits = [
            r
            for r in hits
            if r.published and r.published[: len(options["until"])] <= options["until"]
        ]
    return hits


def brute_facets(hits: list[Row]) -> dict[str, dict[str, int]]:
    def top(counter: Counter) -> dict[str, int]:
        return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0].casefold()))[:20])

    return {
        "author": top(Counter(a for r in hits for a in r.authors)),
        "category": top(Counter(r.category for r in hits if r.category)),
        "site": top(Counter(r.site for r in hits if r.site)),
        "language": top(Counter(r.language for r in hits if r.language)),
        "year": dict(sorted(Counter(r.published[:4] for r in hits if r.published).items())),
        "month": dict(sorted(Counter(r.published[:7] for r in hits if r.published).items())),
    }


def stock_ids(folder: Path, text: str) -> set[int]:
    """Stock whoosh-reloaded on the same folder: its own open_dir, schema, parser, searcher."""
    from whoosh import index as windex
    from whoosh import qparser

    ix = windex.open_dir(str(index_dir_for(folder)))
    try:
        parser = qparser.MultifieldParser(
            ["title", "body", "captions"], ix.schema, group=qparser.AndGroup
        )
        with ix.searcher() as s:
            return {int(s.stored_fields(d)["id"]) for d in s.docs_for_query(parser.parse(text))}
    finally:
        ix.close()


def check(
    folder: Path, rows: list[Row], q: tuple, options: dict[str, Any], extra: random.Random
) -> None:
    text = render(q, stock=False)
    expect = brute(rows, q, options)
    expect_ids = {r.id for r in expect}
    db = ArchiveDB.open(folder)
    try:

        def run(**more: Any) -> dict:
            return run_search(
                db, index_dir_for(folder), SearchRequest(query=text, **options, **more)
            )

        def run_all(**more: Any) -> dict:
            """Every hit, page after page of the largest page allowed (1,000)."""
            first = run(limit=1000, **more)
            for page in range(2, -(-first["total"] // 1000) + 1):
                first["hits"] += run(limit=1000, page=page, **more)["hits"]
            return first

        full = run_all(facets=True)
        got = [h["id"] for h in full["hits"]]
        assert full["total"] == len(expect), (text, options)
        assert set(got) == expect_ids and len(got) == len(set(got)), (text, options)
        assert full["facets"] == brute_facets(expect), (text, options)
        if not options:
            stock = render(q, stock=True)
            if stock is not None:
                assert stock_ids(folder, stock) == expect_ids, (text, stock)
        # pages are slices of the full ranking; sorts order by date, undated last
        limit = extra.choice([1, 2, 3, 7])
        page = extra.choice([1, 2, 3])
        paged = run(limit=limit, page=page)
        assert paged["total"] == len(expect)
        assert [h["id"] for h in paged["hits"]] == got[limit * (page - 1) : limit * page]
        by_id = {r.id: r for r in expect}
        for sort in ("newest", "oldest"):
            ordered = [h["id"] for h in run_all(sort=sort)["hits"]]
            assert sorted(ordered) == sorted(expect_ids)
            dated = [by_id[i].published[:19] for i in ordered if by_id[i].published]
            assert dated == sorted(dated, reverse=sort == "newest"), (text, sort)
            assert all(by_id[i].published for i in ordered[: len(dated)])
        collapsed = run(collapse=True)
        assert collapsed["total"] == len({r.story for r in expect})
    finally:
        db.close()


def build(folder: Path, articles: list, segments: int) -> None:
    step = max(1, -(-len(articles) // segments))
    for start in range(0, len(articles), step):
        store_articles(folder, articles[start : start + step])
        db = ArchiveDB.open(folder)
        catch_up(db, index_dir_for(folder))
        db.close()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32),
    count=st.integers(1, 40),
    segments=st.integers(1, 4),
    cases=st.lists(st.tuples(queries(), OPTIONS), min_size=6, max_size=12),
)
def test_search_agrees_with_stock_whoosh_and_brute_force(
    tmp_path_factory, seed, count, segments, cases
):
    rng = random.Random(seed)
    folder = tmp_path_factory.mktemp("oracle") / "archive"
    with pytest.MonkeyPatch.context() as patch:  # half the archives: every term's positions
        patch.setattr(side_positions, "MIN_POSTINGS", 1 if seed % 2 else 64)  # in .npos chunks
        build(folder, [make_article(rng, n) for n in range(count)], segments)
    rows = load_rows(folder)
    for q, options in cases:
        check(folder, rows, q, options, rng)


class Big(tuple):
    """(folder, rows) with a short repr: Hypothesis prints the fixture in a falsifying
    example, and 3,600 rows (600 kB) trip its large-repr warning, hiding the failure."""

    def __repr__(self) -> str:
        return f"Big({self[0]}, {len(self[1])} rows)"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Big:
    """3,000 articles rebuilt by the part writer in several segments, then 600 more and 200
    updates (same URL, new text) caught up incrementally."""
    rng = random.Random(15)
    folder = tmp_path_factory.mktemp("big") / "archive"
    store_articles(folder, [make_article(rng, n) for n in range(3000)], batch=500)
    db = ArchiveDB.open(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSARCHIVE_INDEX_SPAN", "700")
        reindex(db, index_dir_for(folder))
    db.close()
    updates = [
        make_article(rng, n, url=f"https://example.test/a/{n}")
        for n in rng.sample(range(3000), 200)
    ]
    more = [make_article(rng, n) for n in range(3000, 3600)]
    store_articles(folder, more + updates, batch=200)
    db = ArchiveDB.open(folder)
    catch_up(db, index_dir_for(folder), batch=300)
    db.close()
    from whoosh import index as windex

    ix = windex.open_dir(str(index_dir_for(folder)))
    assert len(ix._segments()) >= 3
    ix.close()
    rows = load_rows(folder)
    assert len(rows) == 3600
    return Big((folder, rows))


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=st.tuples(queries(), OPTIONS), seed=st.integers(0, 2**32))
def test_oracle_on_thousands_of_articles_with_part_writer_and_updates(big, case, seed):
    folder, rows = big
    for path in PATHS:  # each query down both evaluation paths of index/searcher.py
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(dense, "worthwhile", PATHS[path])
            check(folder, rows, case[0], case[1], random.Random(seed))


def _dense_when_it_can(query: Any, searcher: Any) -> bool:
    dense.postings_count(query, searcher)  # raises Unsupported for shapes it cannot evaluate
    return True


# A process uses the dense arrays once numpy is loaded, Whoosh's matchers and collectors before
# (index/dense.py); a test process has usually loaded numpy, a CLI command often not.
PATHS = {"matchers": lambda query, searcher: False, "dense": _dense_when_it_can}

# Queries whose top hits Whoosh's top-N collector got wrong on this index while it replaced
# its matchers mid-search (index/searcher.py, `top_hits`): each page must be a slice of the
# full ranking, the first pages most of all.
RANKED = [
    ("and", ("word", "vote"), ("word", "storm")),
    ("and", ("word", "harbor"), ("prefix", "par")),
    ("not", ("word", "harbor"), ("field", "category", "Business", True)),
    (
        "and",
        ("not", ("word", "harbor"), ("field", "category", "Business", True)),
        ("prefix", "par"),
    ),
    ("or", ("word", "market"), ("phrase", ["vote", "the", "vote"])),
]


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("q", RANKED, ids=lambda q: render(q, stock=False))
def test_top_hits_are_the_head_of_the_full_ranking(big, q, path) -> None:
    folder, rows = big
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dense, "worthwhile", PATHS[path])
        for seed in range(4):  # check() pages the ranking at a few limits drawn from `seed`
            check(folder, rows, q, {}, random.Random(seed))
        db = ArchiveDB.open(folder)
        try:
            full = run_search(
                db, index_dir_for(folder), SearchRequest(render(q, False), limit=1000)
            )
            for limit in (1, 10, 100):
                top = run_search(
                    db, index_dir_for(folder), SearchRequest(render(q, False), limit=limit)
                )
                assert [h["id"] for h in top["hits"]] == [h["id"] for h in full["hits"][:limit]]
        finally:
            db.close()
