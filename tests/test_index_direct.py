"""The direct indexing path of StemmedText and the cached length tables must give exactly what
Whoosh's generic code gives: same terms, counts, weights, positions and field lengths."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.fields import TEXT

from index import writer
from index.schema import build_schema
from tests.conftest import load_truth

SCHEMA = build_schema()
FIELDS = [SCHEMA["title"], SCHEMA["body"]]


def generic(field, text: str) -> list:  # type: ignore[no-untyped-def]
    return list(TEXT.index(field, text))


def test_the_direct_path_is_taken_for_our_fields():
    from index.schema import _reproducible

    assert all(_reproducible(f) for f in FIELDS)
    other = TEXT()  # Whoosh's StandardAnalyzer (a stop list): not what the direct path does
    from index.schema import StemmedText

    assert not _reproducible(StemmedText(analyzer=other.analyzer))


def test_corpus_titles_and_bodies_index_as_whoosh_would():
    for row in load_truth():
        for field, text in zip(FIELDS, (row.get("title") or "", row["body"]), strict=True):
            assert list(field.index(text)) == generic(field, text), row.get("title")


TRICKY = [
    "",
    "   \n\t ",
    "U.S. officials said 3.5 percent of a.b.c. were 1,000,000",
    "ΟΔΟΣ ΣΑΣ Σ σας — Greek final sigma in capitals",
    "İstanbul ǅemal ﬁnance Straße ÆTHER",  # lower-casing that changes lengths
    "wild*card ** a*b *x",  # the analyzer keeps asterisks in tokens
    "word's don't l'été naïve café\u0301",
    "tab\tseparated\u00a0nbsp\u2009thin",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_indexes_as_whoosh_would(text):
    for field in FIELDS:
        assert list(field.index(text)) == generic(field, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_random_text_indexes_as_whoosh_would(text):
    for field in FIELDS:
        assert list(field.index(text)) == generic(field, text)


def test_length_tables_are_one_read_not_a_loop_over_every_document(tmp_path, monkeypatch):
    """Whoosh's `NumericColumn.Reader.load` iterates every document in Python (about 1 µs
    each): the length-table patch reads the column's bytes at once instead."""
    from whoosh.codec.whoosh3 import W3PerDocReader
    from whoosh.columns import NumericColumn

    rows = [
        {"id": i + 1, "body": r["body"], "language": "en", "content_hash": str(i)}
        for i, r in enumerate(load_truth()[:10])
    ]
    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, rows)  # applies the patch

    def every_document(self):  # type: ignore[no-untyped-def]
        raise AssertionError("a Python loop over every document of the column")

    monkeypatch.setattr(NumericColumn.Reader, "load", every_document)
    monkeypatch.setattr(NumericColumn.Reader, "__iter__", every_document)
    with ix.reader() as reader:
        pdr = reader._perdoc
        lengths = [pdr.doc_field_length(d, "body") for d in range(reader.doc_count_all())]
        original = W3PerDocReader._newsarchive_original_length
        assert lengths == [original(pdr, d, "body") for d in range(reader.doc_count_all())]
        assert sum(n or 0 for n in lengths) > 1000


def test_a_list_value_goes_through_whoosh():
    field = SCHEMA["body"]
    assert list(field.index(["one", "two"])) == generic(field, ["one", "two"])  # type: ignore[arg-type]


def test_cached_length_tables_equal_whoosh_lengths(tmp_path):
    """`writer`'s length-table patch: the same field lengths, per document, as Whoosh reads."""
    from whoosh.codec.whoosh3 import W3PerDocReader

    rows = [
        {"id": i + 1, "title": r.get("title") or "", "body": r["body"], "content_hash": str(i)}
        for i, r in enumerate(load_truth()[:40])
    ]
    rows.append({"id": 99, "title": "", "body": "", "content_hash": "empty"})
    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, rows)  # applies the patch
    assert getattr(W3PerDocReader, "_newsarchive_length_tables", False)
    with ix.reader() as reader:
        for fieldname in ("title", "body", "authors", "site"):
            for docnum in range(reader.doc_count_all()):
                pdr = reader._perdoc
                patched = pdr.doc_field_length(docnum, fieldname)
                original = W3PerDocReader._newsarchive_original_length(pdr, docnum, fieldname)
                assert patched == original, (fieldname, docnum)
