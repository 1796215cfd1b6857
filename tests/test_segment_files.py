"""Segment files read in place (index/segment_files.py): the same bytes as Whoosh's copy,
and opening an index no longer copies its postings."""

from __future__ import annotations

import io
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.filedb import compound, structfile

from index import writer
from index.searcher import search
from index.segment_files import MappedFile, MapReader, read_segments_in_place
from tests.conftest import load_truth

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(-1, 40)),
        st.tuples(st.just("readline"), st.integers(-1, 40)),
        st.tuples(st.just("readinto"), st.integers(0, 40)),
        st.tuples(st.just("peek"), st.integers(0, 8)),
        st.tuples(st.just("seek"), st.integers(0, 120), st.integers(0, 2)),
        st.tuples(st.just("tell")),
    ),
    max_size=30,
)


def _apply(f, op):  # type: ignore[no-untyped-def]
    name, *args = op
    if name == "readinto":
        target = bytearray(args[0])
        return f.readinto(target), bytes(target)
    if name == "seek":
        offset, whence = args
        if whence:  # relative seeks may go back, past the start too
            offset = offset - 60
        try:
            return f.seek(offset, whence)
        except ValueError:
            return "ValueError"
    if name == "peek":
        return None if isinstance(f, io.BytesIO) else f.peek(*args)
    return getattr(f, name)(*args)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=100).map(lambda b: b.replace(b"x", b"\n")), ops=OPS)
def test_map_reader_reads_as_bytes_io(data, ops):
    ours, theirs = MapReader(memoryview(data)), io.BytesIO(data)
    for op in ops:
        got, want = _apply(ours, op), _apply(theirs, op)
        if op[0] == "peek":  # BytesIO has no peek: compare with what a read would give
            if got:
                assert data[theirs.tell() : theirs.tell() + len(got)] == got
            continue
        assert got == want, op
        assert ours.tell() == theirs.tell()
    assert list(MapReader(data)) == list(io.BytesIO(data))


def test_pickles_load_from_a_map_reader():
    values = [{"a": 1, "b": [1.5, "x" * 300]}, (1, 2, 3), "x", list(range(2000))]
    buf = b"".join(pickle.dumps(v, protocol=p) for v in values for p in (2, 5))
    reader = MapReader(memoryview(buf))
    assert [pickle.load(reader) for _ in range(len(values) * 2)] == [
        v for v in values for _ in (2, 5)
    ]
    assert reader.read() == b""


def _rows() -> list[dict]:
    import json

    out = []
    for n, row in enumerate(load_truth()):
        out.append({
            "id": n + 1, "title": row.get("title") or "", "body": row["body"],
            "authors": json.dumps(row.get("authors") or []), "category": row.get("category"),
            "site": row.get("site_name"), "published": row.get("published"),
            "content_hash": str(n),
        })  # fmt: skip
    return out


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("segments") / "index"
    ix = writer.create_index(folder)
    rows = _rows()
    writer.write_batch(ix, rows[:60])
    writer.write_batch(ix, rows[60:], merge=False)
    ix.close()
    return folder


QUERIES = ["the", "election", '"prime minister"', "police OR court", "title:war", "sta*"]


def _forget_searchers() -> None:
    """Searchers are kept per thread and folder: make the next search open the files again."""
    from index import searcher

    for kept, _ in searcher._LOCAL.__dict__.pop("searchers", {}).values():
        kept.close()


def _answers(index_dir) -> list:  # type: ignore[no-untyped-def]
    _forget_searchers()
    ix = writer.open_index(index_dir)
    try:
        out = []
        for text in QUERIES:
            hits = search(ix, text, facets=True, limit=200)
            out.append((text, hits.total, hits.ids, hits.scores, hits.facets))
        with ix.reader() as reader:
            out.append(list(reader.all_stored_fields()))
            out.append([(t, reader.doc_frequency("body", t)) for t in reader.lexicon("body")])
        return out
    finally:
        ix.close()


def test_searches_read_the_same_through_whoosh_copies(index_dir, monkeypatch):
    ours = _answers(index_dir)
    monkeypatch.setattr(compound, "BufferFile", structfile.BufferFile)
    monkeypatch.setattr("index.segment_files.read_segments_in_place", lambda: None)
    theirs = _answers(index_dir)
    assert compound.BufferFile is structfile.BufferFile
    assert ours == theirs


def test_opening_an_index_copies_no_segment_file(index_dir, monkeypatch):
    copied: list[int] = []
    real = structfile.BytesIO

    def counting(data=b""):  # type: ignore[no-untyped-def]
        copied.append(len(data))
        return real(data)

    monkeypatch.setattr(structfile, "BytesIO", counting)
    _forget_searchers()
    read_segments_in_place()
    ix = writer.open_index(index_dir)
    try:
        search(ix, "election", facets=True)
        assert all(isinstance(f, MappedFile) for f in _open_files(ix))
    finally:
        ix.close()
    postings = sum(p.stat().st_size for p in index_dir.glob("*.seg"))
    assert sum(copied) < postings / 100, (sum(copied), postings)


def _open_files(ix) -> list:  # type: ignore[no-untyped-def]
    from index.searcher import open_searcher

    with open_searcher(ix) as searcher:
        terms = [r._terms for r, _ in searcher.reader().leaf_readers()]
    return [f for t in terms for f in (t._dbfile, t._postfile)]


def test_mapped_file_shortcuts_read_as_whoosh_buffer_file():
    """seek/tell/read_int bypass the file object, read_pickle goes through MapReader: same
    values, same positions as Whoosh's BufferFile."""
    values = [(1, 2.5, "x"), list(range(40_000)), {"a": b"." * 10}, "tail."]
    parts = [pickle.dumps(v, protocol=p) for v in values for p in (2, 4, 5)]
    data = b"".join(len(p).to_bytes(4, "big", signed=True) + p for p in parts)
    ours, theirs = MappedFile(memoryview(data)), structfile.BufferFile(memoryview(data))
    for f in (ours, theirs):
        f.seek(0)
    for _ in parts:
        assert ours.read_int() == theirs.read_int()
        assert ours.read_pickle() == theirs.read_pickle()
        assert ours.tell() == theirs.tell()
    ours.seek(-4, 2)
    theirs.seek(-4, 2)
    assert ours.tell() == theirs.tell() == len(data) - 4
