"""The `.npos` part (index/whoosh_internals/side_positions.py writes it, side_reader.py reads it): what Whoosh writes is
unchanged byte for byte, every chunk holds what the term's blocks hold (after merges and
deletions too), phrases agree between segments with and without the part, and stock Whoosh,
in a process without this package, opens and searches an index that has it."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import columns, dense, postings, writer
from index.schema import document
from index.whoosh_internals import side_positions, side_reader

WORDS = [
    "the",
    "of",
    "harbor",
    "market",
    "vote",
    "storm",
    "park",
    "council",
    "budget",
    "and",
    "to",
    "a",
]


def rows(count: int, seed: int, start: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "id": n,
            "content_hash": f"h{n}",
            "title": " ".join(rng.choices(WORDS, k=6)),
            "body": " ".join(rng.choices(WORDS, k=rng.randint(0, 120))),
            "captions": " ".join(rng.choices(WORDS, k=rng.randint(0, 5))),
            "language": "en",
        }
        for n in range(start, start + count)
    ]


def build(folder: Path, batches: list[list[dict[str, Any]]], codec: Any = None) -> Any:
    ix = writer.create_index(folder)
    for batch in batches:
        w = ix.writer(procs=1, multisegment=False, codec=codec or writer.codec())
        for row in batch:
            w.update_document(**document(row))
        w.commit(merge=False)
    return writer.open_index(folder)


def parts(ix: Any) -> dict[str, bytes]:
    """Every part of the index's one compound segment file, by name without the segment id."""
    (segment,) = list(ix._segments())
    storage = segment.open_compound_file(ix.storage)
    return {name.split(".", 1)[1]: storage.open_file(name).read() for name in storage.list()}


def test_whoosh_writes_the_same_bytes_and_one_more_part(tmp_path, monkeypatch) -> None:
    from whoosh.codec.whoosh3 import W3Codec

    monkeypatch.setattr(side_positions, "MIN_POSTINGS", 1)
    batch = rows(300, seed=1)
    ours = parts(build(tmp_path / "ours", [batch]))
    stock = parts(build(tmp_path / "stock", [batch], W3Codec(blocklimit=writer.POSTINGS_PER_BLOCK)))
    assert "npos" in ours and "npos" not in stock and {"trm", "pst"} <= set(stock)
    assert {k: v for k, v in ours.items() if k != "npos"} == stock


def chunk_matches_blocks(ix: Any, expect_chunks: int) -> int:
    """Every term of the text fields: its chunk (where it has one) equals its blocks."""
    seen = deleted = 0
    with ix.searcher() as searcher:
        for reader, _ in columns.leaves(searcher):
            for fieldname in ("title", "body", "captions"):
                for text in reader.lexicon(fieldname):
                    word = text.decode("utf-8")
                    side = side_reader.term_arrays(reader, fieldname, word)
                    if side is None:
                        continue
                    blocks = postings.leaf_block_postings(reader, fieldname, word).with_positions()
                    # a chunk keeps deleted documents, as the blocks do; Whoosh's matcher over
                    # a segment with deletions (what the blocks path reads then) skips them
                    live = np.array([not reader.is_deleted(d) for d in side[0].tolist()], bool)
                    side = postings.ArrayPostings(*side).keep(side[0][live]).with_positions()
                    assert side.ids.dtype == side.counts.dtype == side.positions.dtype == np.int64
                    deleted += int((~live).sum())
                    for got, want in zip((side.ids, side.weights, side.counts, side.positions),
                                         (blocks.ids, blocks.weights, blocks.counts,
                                          blocks.positions), strict=True):  # fmt: skip
                        assert got.dtype == want.dtype and np.array_equal(got, want), word
                    seen += 1
    assert seen >= expect_chunks
    return deleted


def test_every_chunk_holds_what_the_blocks_hold_after_merges_and_deletions(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(side_positions, "MIN_POSTINGS", 1)
    ix = build(tmp_path / "ix", [rows(400, 2), rows(300, 3, start=401), rows(150, 4, start=50)])
    assert len(list(ix._segments())) == 3  # the third replaced 150 articles of the first
    assert chunk_matches_blocks(ix, expect_chunks=3 * 12) > 0  # deleted postings were met
    w = ix.writer(codec=writer.codec())
    w.commit(optimize=True)  # a merge through the codec writes the part of the merged segment
    ix = writer.open_index(tmp_path / "ix")
    assert len(list(ix._segments())) == 1
    assert chunk_matches_blocks(ix, expect_chunks=12) == 0


def phrase_answers(ix: Any, phrases: list[str]) -> list[tuple[list[int], list[float]]]:
    from index.query import parse

    out = []
    with ix.searcher() as searcher:
        for text in phrases:
            found = dense.evaluate(searcher, parse(text, ix.schema, searcher.reader()))
            docs = np.flatnonzero(found.mask)
            out.append((docs.tolist(), np.round(found.scores[docs], 9).tolist()))
    return out


PHRASES = ['"the harbor"', '"harbor market vote"', '"of the"', '"vote vote"', '"park and the"',
           'body:"council budget"', 'title:"the of"', '"storm a"']  # fmt: skip


def test_phrases_agree_with_and_without_the_part(tmp_path, monkeypatch) -> None:
    """The same articles in segments written by stock W3Codec (no part), by ours with a
    chunk for every term, and by ours with the default threshold (some terms from chunks,
    some from blocks): the same documents and scores, which stock Whoosh's searcher gives."""
    from whoosh.codec.whoosh3 import W3Codec

    batches = [rows(250, 5), rows(250, 6, start=251), rows(60, 7, start=100)]
    stock = build(tmp_path / "stock", batches, W3Codec(blocklimit=writer.POSTINGS_PER_BLOCK))
    default = build(tmp_path / "default", batches)
    monkeypatch.setattr(side_positions, "MIN_POSTINGS", 1)
    every = build(tmp_path / "every", batches)
    with every.searcher() as searcher:
        assert all(side_reader.side_part(r) is not None for r, _ in columns.leaves(searcher))
    want = phrase_answers(stock, PHRASES)
    assert any(docs for docs, _ in want)
    assert phrase_answers(default, PHRASES) == want
    assert phrase_answers(every, PHRASES) == want
    from whoosh.query import Phrase

    with every.searcher() as searcher:  # stock Whoosh's own phrase matcher on the same index
        for (docs, _), words in zip(want, (["the", "harbor"], ["harbor", "market", "vote"]),
                                    strict=False):  # fmt: skip
            hits = searcher.search(Phrase("body", words), limit=None)
            title = searcher.search(Phrase("title", words), limit=None)
            captions = searcher.search(Phrase("captions", words), limit=None)
            stock_docs = {h.docnum for h in hits} | {h.docnum for h in title}
            assert stock_docs | {h.docnum for h in captions} == set(docs)


def test_stock_whoosh_opens_an_index_with_the_part(tmp_path, monkeypatch) -> None:
    """A process that never imports this package reads the TOC (the codec pickles as
    W3Codec) and finds phrases in segments that carry the part."""
    monkeypatch.setattr(side_positions, "MIN_POSTINGS", 1)
    folder = tmp_path / "ix"
    build(folder, [rows(200, 8)])
    script = (
        "import sys\n"
        "from whoosh import index\n"
        "from whoosh.query import Phrase\n"
        "ix = index.open_dir(sys.argv[1])\n"
        "assert type(ix._segments()[0]._codec).__module__ == 'whoosh.codec.whoosh3'\n"
        "with ix.searcher() as s:\n"
        "    print(len(s.search(Phrase('body', ['the', 'harbor']), limit=None)))\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('index', 'archive')]\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, str(folder)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    with writer.open_index(folder).searcher() as searcher:
        from whoosh.query import Phrase

        assert int(done.stdout) == len(
            searcher.search(Phrase("body", ["the", "harbor"]), limit=None)
        )
        assert int(done.stdout) > 0


@pytest.mark.parametrize("damage", ["magic", "short"])
def test_a_damaged_part_is_not_read(tmp_path, monkeypatch, damage) -> None:
    """A part whose footer does not check out is ignored: phrases come from the blocks."""
    monkeypatch.setattr(side_positions, "MIN_POSTINGS", 1)
    ix = build(tmp_path / "ix", [rows(120, 9)])

    class Damaged:
        def __init__(self, data: bytes) -> None:
            self._buf = data

        def get(self, start: int, length: int) -> bytes:
            return self._buf[start : start + length]

    with ix.searcher() as searcher:
        reader = columns.leaves(searcher)[0][0]
        (segment,) = list(ix._segments())
        data = reader._storage.open_file(segment.make_filename(side_reader.EXT)).read()
        data = data.replace(side_reader.MAGIC, b"XXXX") if damage == "magic" else data[:-3]
        with pytest.raises(ValueError):
            side_reader.SidePart(Damaged(data))
