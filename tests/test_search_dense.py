"""Big hit lists run over dense arrays (index.dense) and postings read without positions
(index.postings): both must give exactly what Whoosh's own matchers give."""

from __future__ import annotations

import pickle
import zlib

import pytest

from index import dense, postings, writer
from index.query import parse
from index.searcher import Filters, open_searcher, search
from index.whoosh_internals import blocks
from index.whoosh_internals.positions import decode_positions
from tests.conftest import load_truth

COPIES = 3  # 327 articles
SMALL_BLOCKS = 32  # postings per block here, so frequent words span several blocks per segment


def rows() -> list[dict]:
    out = []
    for copy in range(COPIES):
        for n, row in enumerate(load_truth()):
            out.append({
                "id": copy * 1000 + n + 1, "title": row.get("title") or "",
                "body": row["body"], "authors": row.get("authors") or [],
                "category": row.get("category"), "site": row.get("site_name"),
                "published": row.get("published"), "content_hash": f"{copy}-{n}",
                "language": "en",  # the English fields: these tests read `body` postings
            })  # fmt: skip
    return out


@pytest.fixture(scope="module")
def ix(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One big segment, small later ones, and updates that leave deleted documents."""
    import json

    data = rows()
    for row in data:
        row["authors"] = json.dumps(row["authors"])
    with pytest.MonkeyPatch.context() as patch:  # the archive's 1,024 would hold them in one
        patch.setattr(writer, "POSTINGS_PER_BLOCK", SMALL_BLOCKS)
        index = writer.create_index(tmp_path_factory.mktemp("dense") / "index")
        writer.write_batch(index, data[:250])
        writer.write_batch(index, data[250:290], merge=False)
        writer.write_batch(index, data[290:], merge=False)
        changed = [dict(r, body=r["body"] + " storm warning", content_hash="x") for r in data[5:9]]
        writer.write_batch(index, changed, merge=False)
    return index


@pytest.fixture
def path(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `search` down the dense path ("dense") or Whoosh's matchers ("whoosh")."""

    def use(which: str) -> None:
        low = 0 if which == "dense" else 10**12
        monkeypatch.setattr(dense, "MIN_POSTINGS", low)
        monkeypatch.setattr(dense, "MIN_POSTINGS_LOADED", low)

    return use


def _whoosh_postings(reader, fieldname: str, text: str) -> tuple[list[int], list[float]]:  # type: ignore[no-untyped-def]
    matcher = reader.postings(fieldname, text)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def test_block_postings_equal_whoosh_matchers(ix, monkeypatch: pytest.MonkeyPatch):
    """Both readers of a term's postings (lists, and arrays for the dense path, whose
    blocks are read as strided views where they are shaped for it, else unpickled)."""
    from index import columns

    strided = {"views": 0, "unpickled": 0}
    real = blocks._strided_ids_weights

    def counted(raw: bytes, size: int):  # type: ignore[no-untyped-def]
        found = real(raw, size)
        strided["views" if found is not None else "unpickled"] += 1
        return found

    monkeypatch.setattr(blocks, "_strided_ids_weights", counted)

    with open_searcher(ix) as searcher:
        leaves = columns.leaves(searcher)
        assert len(leaves) >= 3
        multi_block = 0
        for reader, _offset in leaves:
            for fieldname in ("title", "body", "authors"):
                rare = [t for t, _ in zip(reader.field_terms(fieldname), range(200), strict=False)]
                frequent = [t for _, t in reader.most_frequent_terms(fieldname, 60)]
                terms = rare + [t.decode() if isinstance(t, bytes) else t for t in frequent]
                for text in terms:
                    expected = _whoosh_postings(reader, fieldname, text)
                    assert postings.leaf_postings(reader, fieldname, text) == expected, text
                    ids, weights = postings.leaf_arrays(reader, fieldname, text)
                    assert (ids.tolist(), weights.tolist()) == expected, text
                    multi_block += len(expected[0]) > SMALL_BLOCKS
        assert multi_block > 10  # the block reader was exercised, not only inline postings
        assert strided["views"] > 100 and strided["unpickled"] > 10, strided


def test_positions_equal_whoosh_matchers(ix):
    from index import columns

    with open_searcher(ix) as searcher:
        reader, _offset = columns.leaves(searcher)[0]
        for text in ("the", "said", "game", "year"):
            matcher = reader.postings("body", text)
            expected = {}
            while matcher.is_active():
                expected[matcher.id()] = matcher.value_as("positions")
                matcher.next()
            docs = [*sorted(expected)[::3], 10**6]
            found = postings.leaf_positions(reader, "body", text, docs)
            assert found == [expected.get(d, []) for d in docs]


@pytest.mark.parametrize(
    ("ids", "weights"),
    [
        ((0, 3, 70000, 2**31 - 1), (1.5, 2.0, 3.25, 1.0)),  # K, M and J opcodes
        ((4, 1), None),  # all weights 1.0
        ((9,), 2.0),  # one weight for the block
        ((1, 2, 3), (1.0, 2.0, 3.0)),  # short tuples: TUPLE3, no MARK
        (tuple(range(1, 129)), tuple(float(i % 7 + 1) for i in range(128))),
    ],
)
def test_block_prefix_reads_every_opcode(ids, weights):
    values = tuple(pickle.dumps([i, i + 2], 2) for i in ids)
    data = pickle.dumps((ids, weights, values), 2)
    for compression, stored in ((0, data), (3, zlib.compress(data, 3))):
        got = blocks._block_ids_weights(stored, compression, len(ids))
        assert got == (ids, weights)


def test_damaged_prefix_falls_back_to_the_whole_block():
    ids, weights = (1, 2), (1.0, 2.0)
    data = pickle.dumps([ids, weights, (b"a", b"b")], 2)  # a list, not the expected tuple
    assert tuple(blocks._block_ids_weights(data, 0, 2)) == (ids, weights)


def test_blocks_read_with_values_left_as_text_equal_pickle(ix):
    """`_load_block` names `slice` where the pickle names `_codecs.encode`: the same ids and
    weights, and values that encode back to the very bytes."""
    from index import columns

    seen = 0
    with open_searcher(ix) as searcher:
        for reader, _offset in columns.leaves(searcher):
            for text in ("the", "said", "to", "of", "and"):
                matcher = reader.postings("body", text)
                if not blocks.is_block_matcher(matcher):
                    continue
                while matcher.is_active():
                    data = matcher._postfile.get(
                        matcher._dataoffset, matcher._nextoffset - matcher._dataoffset
                    )
                    raw = zlib.decompress(data) if matcher._compression else data
                    ids, weights, values = blocks._load_block(raw)
                    expected = pickle.loads(raw)
                    assert (ids, weights) == expected[:2]
                    assert [v.start.encode("latin-1") for v in values] == list(expected[2])
                    seen += 1
                    matcher._next_block()
    assert seen > 10
    plain = pickle.dumps(((1, 2), None, ("no bytes here", "at all")), 2)
    assert blocks._load_block(plain) == pickle.loads(plain)  # nothing to rename: as is


def test_gc_paused_restores_the_collector():
    import gc

    from index.searcher import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested (another thread's query): the outer one re-enables
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def test_positions_decoded_together_equal_one_by_one():
    lists = [[0], [3, 1, 200], list(range(300)), [70000, 5]]
    values = [len(p).to_bytes(4, "big") + pickle.dumps(p, 2) for p in lists]
    assert decode_positions(values) == lists
    stripped = [v[:-1] for v in values]  # Whoosh also reads values without the STOP opcode
    assert decode_positions(stripped) == lists


QUERIES = [
    "game",
    "the",
    "said year",
    "game OR storm",
    "(game OR season) NOT storm",
    "said NOT game",
    '"the game"',
    '"one of the"',
    '"said that the"',
    '"that that"',  # a word twice: each occurrence at its own offset
    '"storm warning" OR police',
    "title:the",
    "author:smith OR news",
    "*",
    "said * NOT game",
    "published:[2018 to 2019] said",
    "published:[to 2019-05] NOT game",
    "published:2018 OR storm",
    "published:[2018-08-15 to 2019-11-10] the",
    "year:[2019 to] the",
    "month:[201801 to 201906] (game OR police)",
]
OPTIONS = [
    {},
    {"facets": True},
    {"sort": "newest"},
    {"sort": "oldest", "limit": 7, "page": 3},
    {"filters": Filters(since="2020", until="2024-06")},
    {"filters": Filters(categories=["news", "Sport"], sites=["BBC News", "missing"])},
    {"filters": Filters(authors=["unknown person"])},
    {"facets": True, "filters": Filters(since="2015")},
]


@pytest.mark.parametrize("text", QUERIES)
def test_dense_search_equals_whoosh(ix, path, text):
    with open_searcher(ix) as searcher:
        dense.postings_count(parse(text, ix.schema), searcher)  # a shape dense evaluates
    for options in OPTIONS:
        relevance = options.get("sort", "relevance") == "relevance"
        extra = {"all_hits": True} if relevance else {}
        path("whoosh")
        expected = search(ix, text, **options, **extra)
        path("dense")
        found = search(ix, text, **options, **extra)
        assert found.total == expected.total, options
        assert found.ids == expected.ids, options
        assert found.facets == expected.facets, options
        assert found.terms == expected.terms
        assert found.scores == pytest.approx(expected.scores, abs=2e-4), options
        assert found.total == len(found.ids) or not relevance


@pytest.mark.parametrize("text", ["said year", "(game OR season) said", '"the game"'])
def test_pages_are_slices_of_the_full_ranking(ix, path, text):
    """Whoosh's block-skipping top-N collector can drop hits of nested OR-in-AND queries
    (found at 10k articles); the dense page is always the head of the full ranking."""
    path("dense")
    everything = search(ix, text, all_hits=True)
    assert everything.total > 20
    for page in (1, 2, 3):
        found = search(ix, text, limit=8, page=page)
        assert found.total == everything.total
        assert found.ids == everything.ids[(page - 1) * 8 : page * 8]


def test_other_shapes_go_to_whoosh(ix, path):
    with open_searcher(ix) as searcher:
        for text in ("gam*", '"the game"~3', "NOT game"):
            with pytest.raises(dense.Unsupported):
                dense.postings_count(parse(text, ix.schema), searcher)
        within_a_second = parse("published:[2024 to 2025]", ix.schema)
        within_a_second.start += 500_000  # half a second in: c_when holds whole seconds
        scored = parse("published:[2024 to 2025]", ix.schema)
        scored.constantscore = False
        for query in (within_a_second, scored):
            with pytest.raises(dense.Unsupported):
                dense.postings_count(query, searcher)
    path("dense")
    dense_total = search(ix, "gam* said").total
    path("whoosh")
    assert dense_total == search(ix, "gam* said").total > 0


@pytest.mark.parametrize(
    "text",
    [
        "published:[2018 to 2020] storm",
        "storm published:>2019-06",
        "published:2019 game",
        "year:[2018 to 2019] game",
    ],
)
def test_a_typed_date_range_reads_the_date_column_even_in_a_small_archive(ix, text, monkeypatch):
    """Whoosh expands a date range into some hundred trie terms per segment (750 ms at 20k
    articles, 240 ms at 5k: bench/README.md), so a typed range takes the dense path, one
    column read, even before numpy is loaded and far below MIN_POSTINGS postings."""
    import sys

    with open_searcher(ix) as searcher:
        query = parse(text, ix.schema, searcher.reader())
        assert searcher.doc_count_all() < dense.MIN_POSTINGS  # a small archive
        monkeypatch.delitem(sys.modules, "numpy", raising=False)  # as in a fresh CLI process
        assert dense.worthwhile(query, searcher)
        monkeypatch.undo()  # numpy back before anything imports it
        assert dense.evaluate(searcher, query).mask.sum() == len(
            list(searcher.docs_for_query(query))
        )
