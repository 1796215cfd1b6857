"""Every Whoosh internal the index code relies on, checked for its shape on a live index.

`index/` is fast because it reads Whoosh's segments itself (postings, phrases, columns,
memory-mapped files) and patches a few of its methods. None of that is public API, so an
upgrade of whoosh-reloaded could break it in ways no other test names. This file lists each
internal (module, class, attribute, signature) and fails with the name of the one that
moved. Checked against whoosh-reloaded 2.7.5; a new version must pass here before it is
allowed (pyproject's lower bound).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

CHECKED_VERSIONS = ("2.7.5",)


def test_the_whoosh_version_was_checked() -> None:
    import whoosh

    version = whoosh.versionstring()
    if version not in CHECKED_VERSIONS:  # a newer Whoosh: the shape tests below decide
        pytest.skip(f"whoosh {version} is not among {CHECKED_VERSIONS}; shapes checked below")


def _params(func: Any) -> list[str]:
    return list(inspect.signature(func).parameters)


def test_module_level_names() -> None:
    from whoosh.codec import whoosh3
    from whoosh.filedb import compound, structfile
    from whoosh.system import _INT_SIZE, unpack_int
    from whoosh.util.numeric import byte_to_length

    assert _INT_SIZE == 4 and unpack_int(b"\x00\x00\x00\x07") == (7,)
    assert byte_to_length(0) == 0 and byte_to_length(1) == 1
    assert isinstance(whoosh3.LENGTHS_COLUMN, object) and hasattr(whoosh3, "_lenfield")
    assert whoosh3._lenfield("body") != "body"  # the hidden length field of a field
    assert compound.BufferFile is not None  # index.segment_files swaps this name
    assert issubclass(structfile.BufferFile, structfile.StructFile)
    assert _params(structfile.BufferFile.__init__)[:3] == ["self", "buf", "name"]


def test_patched_reader_methods_keep_their_signatures() -> None:
    from whoosh.codec import whoosh3

    reader = whoosh3.W3PerDocReader
    assert _params(reader._cached_reader) == ["self", "fieldname", "column"]
    original = getattr(reader, "_newsarchive_original_length", reader.doc_field_length)
    assert _params(original) == ["self", "docnum", "fieldname", "default"]


def test_segment_writer_commit_steps_exist() -> None:
    from whoosh.writing import SegmentWriter

    for name in (
        "_check_state",
        "_merge_segments",
        "_finalize_segment",
        "_close_segment",
        "_commit_toc",
        "_finish",
    ):
        assert callable(getattr(SegmentWriter, name, None)), f"SegmentWriter.{name} is gone"
    assert _params(SegmentWriter._merge_segments)[1:] == ["mergetype", "optimize", "merge"]
    assert _params(SegmentWriter._commit_toc)[1:] == ["segments"]


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from index import writer

    folder = tmp_path_factory.mktemp("ix") / "index"
    rows = [
        {
            "id": i,
            "content_hash": f"h{i}",
            "title": f"harbor story {i}",
            "body": " ".join(["harbor", "tide", f"w{i}"] * 40),
            "authors": '["Jane Doe"]',
            "category": "Local",
            "site": "Gazette",
            "language": "en",
            "published": f"2024-0{1 + i % 9}-01",
        }
        for i in range(1, 40)
    ]
    writer.build_fresh(folder, rows, parallel=False)
    return folder


def _open(folder: Path) -> Any:
    from index.writer import open_index

    return open_index(folder)


def test_segment_writer_state_and_file_index_segments(small_index: Path) -> None:
    from index import writer

    ix = _open(small_index)
    assert hasattr(ix, "_segments") and len(list(ix._segments())) >= 1
    w = writer.writer(ix)
    try:
        assert hasattr(w, "_added")
    finally:
        w.cancel()


def test_leaf_matcher_fields_read_by_index_postings(small_index: Path) -> None:
    from whoosh.codec.whoosh3 import W3LeafMatcher

    ix = _open(small_index)
    with ix.searcher() as searcher:
        matcher = searcher.reader().postings("body", "harbor")
        assert type(matcher) is W3LeafMatcher
        for name in ("_postfile", "_blocklength", "_byteids", "_compression", "_dataoffset"):
            assert hasattr(matcher, name), f"W3LeafMatcher.{name} is gone"
        for name in ("_nextoffset", "_maxid"):
            assert hasattr(matcher, name), f"W3LeafMatcher.{name} is gone"
        assert callable(matcher._next_block)
        assert hasattr(matcher._postfile, "get")


def test_column_readers_fields_read_by_index_columns(small_index: Path) -> None:
    from whoosh.columns import NumericColumn, RefBytesColumn

    ix = _open(small_index)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        site = reader.column_reader("site", translate=False)
        when = reader.column_reader("c_when", translate=False)
        assert type(site) is RefBytesColumn.Reader, type(site)
        assert type(when) is NumericColumn.Reader, type(when)
        for creader, names in (
            (site, ("_dbfile", "_basepos", "_typecode", "_uniques")),
            (when, ("_dbfile", "_basepos", "_typecode", "_count")),
        ):
            for name in names:
                assert hasattr(creader, name), f"{type(creader).__qualname__}.{name} is gone"
        assert hasattr(site._dbfile, "get_array")


def test_scoring_and_parser_internals() -> None:
    from whoosh import qparser
    from whoosh.scoring import BM25F

    weighting = BM25F()
    assert isinstance(weighting._field_B, dict) and hasattr(weighting, "K1")
    parser = qparser.QueryParser("body", schema=None)
    node = parser.parse("har*")
    assert hasattr(type(node), "_btexts"), "query.PatternQuery._btexts is gone"
