"""The oracle of the search issue, over every language (issue 16).

A multilingual archive of real sentences (stemmed de fr es pt it ru ar, unstemmed el hi, CJK
bigrams zh ja ko, mixed scripts, one article of unknown language; each article also with a
long-bodied twin whose match comes after thousands of characters of filler) is searched with
words, inflected forms, two words, phrases, CJK substrings and language filters. The project's
`run_search` must agree with (a) stock whoosh-reloaded's searcher, opened on the same folder,
running the query the project parsed (same ids, same scores), and (b) a brute force over the
SQLite rows analyzed by the analysis re-stated in `tests/oracle_languages.py` (same ids).
Every hit's snippet marks only text that matches, and marks some when the body matches.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.indexing import ArchiveDB, index_dir_for
from archive.searching import SearchRequest, run_search
from index import analysis
from index.snippets import split_marks
from tests import oracle_languages as ol

# A form the article lacks, and the start of the title of the article it must find.
INFLECTED = {
    "de": [
        ("Radweg", "Stadtrat"),
        ("Wahl", "Regierung"),
        ("Straße", "Stadtrat"),
        ("Helfern", "Hochwasser"),
        ("Gemälden", "Neues Museum"),
    ],
    "fr": [
        ("syndicat", "Grève"),
        ("élection", "Les élections"),
        ("peintre", "Une exposition"),
        ("électeur", "Les élections"),
    ],
    "es": [
        ("agricultor", "Los agricultores"),
        ("billete", "Un nuevo tren"),
        ("trabajador", "Los trabajadores"),
        ("sindicato", "Los trabajadores"),
    ],
    "pt": [("medida", "Governo"), ("escola", "Chuvas"), ("chuva", "Chuvas")],
    "it": [
        ("negozio", "Le occasioni"),
        ("occasione", "Le occasioni"),
        ("pensione", "Il governo"),
        ("nevicata", "Nevicate"),
    ],
    "ru": [
        ("выборы", "Правительство"),
        ("станции", "В Москве"),
        ("врач", "Диета"),
        ("бюджета", "Правительство"),
    ],
    "ar": [("حكومة", "الحكومة"), ("الحكومات", "الحكومة"), ("أسواق", "ارتفاع")],
}
# Hand-picked queries: scripts and mixes the generated ones may miss.
WRITTEN = [
    ("word", "書籍"),
    ("word", "Kindle書籍"),
    ("phrase", "書籍を読む"),
    ("word", "ショートカットキー"),
    ("word", "iPhone"),
    ("word", "北京地铁"),
    ("word", "地铁"),
    ("word", "이유리"),
    ("word", "유리"),
    ("word", "Galaxy"),
    ("word", "ΟΔΟΣ"),
    ("word", "οδός"),
    ("word", "Δημοκρατία"),
    ("word", "हिन्दी"),
    ("word", "रोज़"),
    ("phrase", "नई मेट्रो लाइन"),
    ("word", "Beijing"),
    ("and", ("word", "Beijing"), ("word", "北京")),
    ("word", "voted"),
    ("word", "выборах"),
    ("phrase", "femmes peintres"),
    ("word", "籍書"),
    ("word", "書籍店"),
    ("word", "निकले"),  # the English fields' tokenizer cuts it at vowel signs: न, कल
    ("phrase", "टहलने निकले"),
]


@dataclass
class Archive:
    folder: Path
    rows: list[ol.Row]
    analyses: tuple[str, ...]


def make_archive(
    folder: Path, rng: random.Random, *, copies: int, long_chars: int, segments: int
) -> Archive:
    ol.build(folder, ol.make_articles(rng, copies=copies, long_chars=long_chars), segments)
    rows = ol.load_rows(folder)
    return Archive(folder, rows, ol.in_use(rows))


def generated(
    archive: Archive, rng: random.Random, per_language: int
) -> Iterator[tuple[tuple, str | None]]:
    """Per language: single words, two words, phrases of 2-3 words, CJK substrings of 2-4
    characters, all as written in its articles; some with the language filter."""
    by_language: dict[str | None, list[ol.Row]] = {}
    for row in archive.rows:
        by_language.setdefault(row.language, []).append(row)
    for language, rows in sorted(by_language.items(), key=lambda kv: kv[0] or ""):
        made: list[tuple] = []
        for _ in range(per_language):
            row = rng.choice(rows)
            text = rng.choice([row.text["title"], row.text["body"][-400:]])
            found = ol.raw_words(text)
            words = [w for w, _, _ in found]
            if not words:
                continue
            runs = [p for w, s, _ in found for p, *_, cjk in ol.split_cjk(w, s) if cjk]
            runs = [p for p in runs if len(p) >= 2]
            kind = rng.choice(["word", "word", "two", "phrase", "cjk" if runs else "word"])
            if kind == "cjk":
                run = rng.choice(runs)
                size = rng.randint(2, min(4, len(run)))
                start = rng.randrange(len(run) - size + 1)
                made.append(("word", run[start : start + size]))
            elif kind == "two" and len(words) > 1:
                a, b = rng.sample(words, 2)
                made.append(("and", ("word", a.lower()), ("word", b.lower())))
            elif kind == "phrase" and len(words) > 2:
                start = rng.randrange(len(words) - 2)
                made.append(("phrase", " ".join(words[start : start + rng.randint(2, 3)]).lower()))
            else:
                made.append(("word", rng.choice(words).lower()))
        for q in made:
            yield q, None
            if rng.random() < 0.3:
                yield q, language
    for lang, cases in INFLECTED.items():
        for query, _ in cases:
            yield ("word", query), None
            yield ("word", query), lang


# ------------------------------------------------------------------ the comparison
def stock_hits(folder: Path, text: str, language: str | None) -> dict[int, float]:
    """Stock whoosh-reloaded on the same folder (its open_dir, pickled schema, searcher),
    running the query the project parses: {article id: score}."""
    from whoosh import index as windex
    from whoosh import query as wq

    from index.query import parse

    ix = windex.open_dir(str(index_dir_for(folder)))
    try:
        with ix.searcher() as s:
            query = parse(text, ix.schema, s.reader())
            kwargs = {"filter": wq.Term("language", language)} if language else {}
            results = s.search(query, limit=None, **kwargs)
            return {int(s.stored_fields(d)["id"]): float(sc) for sc, d in results.top_n}
    finally:
        ix.close()


def check(archive: Archive, q: tuple, language: str | None) -> dict:
    text = ol.render(q)
    expect = {
        r.id
        for r in archive.rows
        if (language is None or r.language == language) and ol.matches(q, r, archive.analyses)
    }
    db = ArchiveDB.open(archive.folder)
    try:
        found = run_search(
            db,
            index_dir_for(archive.folder),
            SearchRequest(query=text, language=language, limit=1000),
        )
    finally:
        db.close()
    got = [h["id"] for h in found["hits"]]
    assert set(got) == expect and len(got) == len(expect), (text, language, set(got) ^ expect)
    assert found["total"] == len(expect), (text, language)
    stock = stock_hits(archive.folder, text, language)
    assert set(stock) == expect, (text, language, set(stock) ^ expect)
    scores = [h["score"] for h in found["hits"]]
    assert scores == sorted(scores, reverse=True), (text, scores)
    for hit in found["hits"]:
        assert abs(hit["score"] - stock[hit["id"]]) <= 1e-3 * max(1.0, stock[hit["id"]]), (
            text,
            hit["id"],
            hit["score"],
            stock[hit["id"]],
        )
    check_snippets(archive, q, found["hits"])
    return found


def check_snippets(archive: Archive, q: tuple, hits: list[dict]) -> None:
    """Each mark is text that matches the query under the article's own analysis; a hit
    whose body holds a query word has a mark."""
    rows = {r.id: r for r in archive.rows}
    for hit in hits:
        row = rows[hit["id"]]
        wanted = ol.wanted_terms(q, row, archive.analyses)
        marked = [piece for piece, mark in split_marks(hit["snippet"]) if mark]
        for piece in marked:
            assert ol.mark_ok(piece, row, wanted), (ol.render(q), row.text["title"], piece)
        if ol.body_matches(q, row, archive.analyses):
            assert marked, (ol.render(q), row.text["title"], hit["snippet"][:200])


# ------------------------------------------------------------------ the fast part
@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return make_archive(
        tmp_path_factory.mktemp("oracle-languages") / "archive",
        random.Random(16),
        copies=0,
        long_chars=3000,
        segments=2,
    )


def test_restated_analysis_agrees_with_the_project(small: Archive) -> None:
    """The oracle's own analysis and index/analysis.py give the same terms and offsets on
    every stored text, under every analysis (else the brute force would test nothing). The
    long bodies repeat the filler sentences, checked once each."""
    texts = [
        v for r in small.rows if not r.text["title"].endswith("(long)") for v in r.text.values()
    ]
    texts += [sentence for sentences in ol.FILLER.values() for sentence in sentences]
    for value in texts:
        for name in (ol.PLAIN, *sorted(ol.STEMMED)):
            assert ol.analyze(value, name) == list(analysis.tokens(value, name)), (name, value)


def test_archive_covers_every_kind_of_analysis(small: Archive) -> None:
    assert set(small.analyses) >= {"ar", "de", "en", "es", "fr", "it", "plain", "pt", "ru"}
    kinds = {r.language: r.analysis for r in small.rows}
    assert kinds["el"] == kinds["hi"] == kinds["ja"] == kinds[None] == ol.PLAIN
    assert ol.ENGLISH_FIELDS in {r.analysis for r in small.rows}


def test_filler_holds_no_inflected_query() -> None:
    for lang, cases in INFLECTED.items():
        filler = {t for s in ol.FILLER[lang] for t in ol.terms(s, lang)}
        assert not any(set(ol.terms(q, lang)) & filler for q, _ in cases), lang


@pytest.mark.parametrize("q", WRITTEN, ids=ol.render)
def test_written_queries(small: Archive, q: tuple) -> None:
    check(small, q, None)


def test_inflected_forms_find_their_article_and_its_long_twin(small: Archive) -> None:
    for lang, cases in INFLECTED.items():
        for query, title in cases:
            found = check(small, ("word", query), lang)
            titles = [h["title"] for h in found["hits"]]
            assert sum(t.startswith(title) for t in titles) >= 2, (query, titles)


def test_generated_queries_in_every_language(small: Archive) -> None:
    cases = list(generated(small, random.Random(1), per_language=10))
    assert len(cases) > 150
    for q, language in cases:
        check(small, q, language)


def test_cjk_substrings_far_into_long_bodies_are_marked(small: Archive) -> None:
    """Every 2-4 character substring of the last sentence of each long CJK body: found,
    and marked in the long twin's snippet (the first match is past the filler)."""
    for row in small.rows:
        if not row.text["title"].endswith("(long)") or row.language not in ("zh", "ja", "ko"):
            continue
        filler = "".join(ol.FILLER[row.language])
        tail = row.text["body"][-60:]
        pieces = [p for w, s, _ in ol.raw_words(tail) for p, *_, cjk in ol.split_cjk(w, s) if cjk]
        run = max(pieces, key=len)
        for size in (2, 3, 4):
            for start in range(0, max(1, len(run) - size + 1), 3):
                sub = run[start : start + size]
                if len(sub) < 2 or sub in filler:
                    continue
                found = check(small, ("word", sub), None)
                assert row.id in {h["id"] for h in found["hits"]}, sub


# ------------------------------------------------------------------ the slow part
@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """About 640 articles (40 shuffled ones per language, long bodies of 8,000 characters):
    most rebuilt by the part writer in several segments, the rest caught up after."""
    from archive.indexing import reindex

    folder = tmp_path_factory.mktemp("oracle-languages-large") / "archive"
    articles = ol.make_articles(random.Random(61), copies=40, long_chars=8000)
    random.Random(62).shuffle(articles)
    cut = len(articles) * 3 // 4
    ol.store_articles(folder, articles[:cut])
    db = ArchiveDB.open(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSARCHIVE_INDEX_SPAN", "150")
        reindex(db, index_dir_for(folder))
    db.close()
    ol.build(folder, articles[cut:], segments=2)
    rows = ol.load_rows(folder)
    assert len(rows) > 500  # shuffled copies with the same text are stored once
    from whoosh import index as windex

    ix = windex.open_dir(str(index_dir_for(folder)))
    assert len(ix._segments()) >= 3
    ix.close()
    return Archive(folder, rows, ol.in_use(rows))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 3])
def test_oracle_on_hundreds_of_articles_in_segments(large: Archive, seed: int) -> None:
    for q, language in generated(large, random.Random(seed), per_language=20):
        check(large, q, language)


@pytest.mark.slow
def test_written_queries_on_hundreds_of_articles(large: Archive) -> None:
    for q in WRITTEN:
        check(large, q, None)


@pytest.mark.xfail(
    strict=True,
    reason="a word is searched under every analysis in use (index/analysis.py): French `les` "
    "(stem `le`) finds Italian articles holding `le`, English `voters` Spanish `votaron`",
)
def test_each_article_is_met_under_its_own_analysis_only(small: Archive) -> None:
    db = ArchiveDB.open(small.folder)
    try:
        for q in (("word", "les"), ("word", "voters"), ("word", "approves")):
            strict = {r.id for r in small.rows if ol.matches(q, r, (r.analysis,))}
            found = run_search(
                db, index_dir_for(small.folder), SearchRequest(query=ol.render(q), limit=1000)
            )
            assert {h["id"] for h in found["hits"]} == strict, q
    finally:
        db.close()
