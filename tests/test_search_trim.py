"""`index.query.trim` (run by `searcher.search` on every query) makes a query cheap without
changing what it finds: the Or a word becomes over title/body/captions loses the fields
that hold none of its words and runs as Whoosh's tree of unions (its array matcher over
every document number made a word 3x as costly on archives of up to 5,000 articles)."""

from __future__ import annotations

import json

import pytest
from whoosh import query as q

from index import writer
from index.query import parse, trim
from index.searcher import open_searcher, search
from tests.conftest import load_truth

QUERIES = [
    "the",
    "police",
    "police monday",
    '"the police"',
    "police OR harbour",
    "-police the",
    "polic*",
    "title:police OR body:storm",
    "zzzqqxx",
    "zzzqqxx OR police",
    '"storm warning"',
    "captions:storm",
    "storm",
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The corpus's articles in two segments; a third of them with captions."""
    data = []
    for n, row in enumerate(load_truth()):
        data.append({
            "id": n + 1, "title": row.get("title") or "", "body": row["body"],
            "authors": json.dumps(row.get("authors") or []), "category": row.get("category"),
            "site": row.get("site_name"), "published": row.get("published"),
            "content_hash": str(n), "language": "en",  # the English fields trim works on
            "captions": "Storm warning over the harbour" if n % 3 == 0 else None,
        })  # fmt: skip
    index = writer.create_index(tmp_path_factory.mktemp("trim") / "index")
    writer.write_batch(index, data[:70])
    writer.write_batch(index, data[70:], merge=False)
    return index


def _hits(searcher, query) -> dict[int, float]:  # type: ignore[no-untyped-def]
    return {d: round(s, 6) for s, d in searcher.search(query, limit=None).top_n}


@pytest.mark.parametrize("text", QUERIES)
def test_trim_keeps_hits_and_scores(ix, text: str) -> None:  # type: ignore[no-untyped-def]
    with open_searcher(ix) as searcher:
        reader = searcher.reader()
        full = parse(text, ix.schema, reader)
        assert _hits(searcher, trim(full, reader)) == _hits(searcher, full), text


def test_trim_drops_fields_without_the_word(ix) -> None:  # type: ignore[no-untyped-def]
    with open_searcher(ix) as searcher:
        reader = searcher.reader()
        word = trim(parse("police", ix.schema, reader), reader)  # in no caption
        assert type(word) is q.Or
        assert sorted(sub.fieldname for sub in word.subqueries) == ["body", "title"]
        assert word.matcher_type == q.Or.DEFAULT_MATCHER
        storm = trim(parse("storm", ix.schema, reader), reader)
        assert "captions" in {sub.fieldname for sub in storm.subqueries}
        phrase = trim(parse('"police storm"', ix.schema, reader), reader)  # no caption: police
        parts = getattr(phrase, "subqueries", [phrase])  # one field left: the Phrase itself
        assert parts and "captions" not in {sub.fieldname for sub in parts}
        # a word found nowhere keeps its Or (an empty one would change an And around it)
        typed = parse("zzzqqxx police", ix.schema, reader)
        alternatives = len(typed.subqueries[0].subqueries)  # 3 fields (6 with the _intl twins)
        nowhere = trim(typed, reader)
        assert len(nowhere.subqueries[0].subqueries) == alternatives >= 3


def test_search_highlights_words_of_dropped_fields(ix) -> None:  # type: ignore[no-untyped-def]
    """Highlight terms come from the query as typed, before trimming."""
    found = search(ix, "police OR zzzqqxx")
    assert found.total > 0
    assert "zzzqqxx" in found.terms and "polic" in found.terms
