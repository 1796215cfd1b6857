"""Every Whoosh internal the index code relies on, checked for its shape on a live index.

`index/` is fast because it reads Whoosh's segments itself (postings, phrases, columns,
memory-mapped files) and patches a few of its methods, all behind one seam,
`index/whoosh_internals/`. None of that is public API, so an upgrade of whoosh-reloaded
could break it in ways no other test names. The seam lists each internal (`INTERNALS`, and
its docstring); here every one has a shape check (module, class, attribute, signature,
behaviour) that fails with the name of the one that moved, and the seam's own code is read
to prove its docstring lists everything it touches. Checked against the versions in
`CHECKED_VERSIONS`; a new version must pass here before it is allowed (pyproject's pin).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from index.whoosh_internals import CHECKED_VERSIONS, INTERNALS


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


# ------------------------------------------------------------ one shape check per internal
class ShapeChanged(AssertionError):
    """A Whoosh internal the seam relies on is not shaped as it was."""


def _require(internal: str, ok: object, what: str) -> None:
    if not ok:
        raise ShapeChanged(f"Whoosh internal {internal} changed shape: {what}")


def _has(internal: str, owner: object, names: tuple[str, ...]) -> None:
    for name in names:
        _require(internal, hasattr(owner, name), f"no attribute {name}")


def _lookup(dotted: str) -> Any:
    """The object a dotted Whoosh name stands for (module attributes, then nested ones)."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part)
        return found
    raise ImportError(dotted)


def _leaf_matcher(folder: Path) -> Any:
    ix = _open(folder)
    return ix, ix.searcher().reader().postings("body", "harbor")


def _check_leaf_matcher(folder: Path) -> None:
    """Our block reading gives what the matcher itself gives, id for id."""
    from index.whoosh_internals import blocks
    from index.whoosh_internals.positions import decode_positions

    name = "whoosh.codec.whoosh3.W3LeafMatcher"
    ix, matcher = _leaf_matcher(folder)
    _require(name, type(matcher) is _lookup(name), f"postings() gave {type(matcher)}")
    _has(name, matcher, next(i.attributes for i in INTERNALS if i.name == name))
    _require(name, blocks.is_block_matcher(matcher), "not a block matcher")
    ids, weights, values = [], [], []
    for block in blocks.blocks(matcher):
        deltas, w, v = block.ids_weights_values()
        base = 0
        for delta in deltas:
            base += delta
            ids.append(base)
        weights.extend(w)
        values.extend(v)
    theirs = ix.searcher().reader().postings("body", "harbor")
    expected = []
    while theirs.is_active():
        expected.append((theirs.id(), theirs.weight(), theirs.value_as("positions")))
        theirs.next()
    deltas = decode_positions(values)
    ours = [
        (i, w, [sum(d[: k + 1]) for k in range(len(d))])
        for i, w, d in zip(ids, weights, deltas, strict=True)
    ]
    _require(name, ours == expected, "blocks decode to other postings than the matcher reads")


def _check_positions_encode(folder: Path) -> None:
    from whoosh.formats import Positions

    from index.whoosh_internals.positions import decode_positions, positions_value

    name = "whoosh.formats.Positions.encode"
    for poslist in ([0], [3, 9, 10], list(range(0, 4000, 7))):
        deltas = [b - a for a, b in zip([0, *poslist], poslist, strict=False)]
        value = Positions().encode(poslist)
        _require(name, positions_value(len(poslist), deltas) == value, f"{poslist[:3]}...")
        _require(name, decode_positions([value]) == [deltas], "decoding")


def _check_pack_uint(folder: Path) -> None:
    from whoosh.system import pack_uint

    _require("whoosh.system.pack_uint", pack_uint(7) == b"\x00\x00\x00\x07", "not 4 bytes BE")


def _check_compound_buffer_file(folder: Path) -> None:
    from whoosh.filedb import compound, structfile

    from index.whoosh_internals.files import MappedFile

    name = "whoosh.filedb.compound.BufferFile"
    _require(name, compound.BufferFile in (structfile.BufferFile, MappedFile), "name moved")
    _require(name, "BufferFile(" in inspect.getsource(compound), "no longer opens parts by name")


def _check_structfile_buffer_file(folder: Path) -> None:
    from whoosh.filedb import structfile

    name = "whoosh.filedb.structfile.BufferFile"
    klass = structfile.BufferFile
    _require(name, issubclass(klass, structfile.StructFile), "no longer a StructFile")
    _require(name, _params(klass.__init__)[:4] == ["self", "buf", "name", "onclose"], "args")
    made = klass(memoryview(b"\x00\x00\x00\x05abc"), name="x")
    _has(name, made, ("_buf", "_name", "file", "onclose", "is_real", "is_closed"))
    _require(name, made.read_int() == 5 and made.get(4, 3) == b"abc", "reads differently")


def _check_int_size(folder: Path) -> None:
    from whoosh.system import _INT_SIZE

    _require("whoosh.system._INT_SIZE", _INT_SIZE == 4, f"is {_INT_SIZE}")


def _check_unpack_int(folder: Path) -> None:
    from whoosh.system import unpack_int

    _require("whoosh.system.unpack_int", unpack_int(b"\x00\x00\x00\x07") == (7,), "decoding")


def _column_readers(folder: Path) -> tuple[Any, Any, Any]:
    reader = _open(folder).searcher().reader()
    return (
        reader,
        reader.column_reader("site", translate=False),
        reader.column_reader("c_when", translate=False),
    )


def _check_empty_column_reader(folder: Path) -> None:
    from index.whoosh_internals.reading import is_empty_column

    name = "whoosh.columns.EmptyColumnReader"
    reader = _open(folder).searcher().reader()
    empty = reader.column_reader("c_authors", translate=False)  # no row has authors=[] ...
    _require(name, isinstance(_lookup(name), type), "gone")
    _require(name, not is_empty_column(empty), "a filled column reads as empty")
    _require(name, is_empty_column(_lookup(name)(b"", 3)), "constructor (default, length)")


def _check_numeric_reader(folder: Path) -> None:
    from index.whoosh_internals.reading import numeric_column_array

    name = "whoosh.columns.NumericColumn.Reader"
    _reader, _site, when = _column_readers(folder)
    _require(name, type(when) is _lookup(name), f"c_when reads through {type(when)}")
    _has(name, when, ("_dbfile", "_basepos", "_typecode", "_count"))
    _require(name, hasattr(when._dbfile, "get_array"), "its file has no get_array")
    values = numeric_column_array(when, "q")
    _require(name, values is not None and list(values) == list(when), "one read differs")


def _check_ref_reader(folder: Path) -> None:
    from index.whoosh_internals.reading import ref_column_array

    name = "whoosh.columns.RefBytesColumn.Reader"
    reader, site, _when = _column_readers(folder)
    _require(name, type(site) is _lookup(name), f"site reads through {type(site)}")
    _has(name, site, ("_dbfile", "_basepos", "_typecode", "_uniques"))
    found = ref_column_array(site, reader.doc_count_all())
    _require(name, found is not None, "not readable in one read")
    refs, uniques = found  # type: ignore[misc]
    _require(name, [uniques[r] for r in refs] == list(site), "refs point elsewhere")


def _check_var_bytes_reader(folder: Path) -> None:
    from index import columns
    from index.whoosh_internals.reading import var_bytes_column_reader

    name = "whoosh.columns.VarBytesColumn.Reader"
    searcher = _open(folder).searcher()
    for reader, _offset in columns.leaves(searcher):
        whoosh_own = reader.column_reader("id", translate=False)
        _require(
            name, isinstance(whoosh_own, _lookup(name)), f"id reads through {type(whoosh_own)}"
        )
        _has(
            name,
            whoosh_own,
            ("_dbfile", "_basepos", "_length", "_doccount", "_offsets", "_lengths"),
        )
        _has(name, whoosh_own, ("_read_offsets_and_lengths",))
        quick = var_bytes_column_reader(reader, "id")
        _require(name, type(quick) is not type(whoosh_own), "the quick reader was not used")
        every = range(reader.doc_count_all())  # by number: iteration skips the offsets
        same = [quick[n] for n in every] == [whoosh_own[n] for n in every]
        _require(name, same, "the quick reader's values differ")


def _check_segment_reader(folder: Path) -> None:
    from whoosh.reading import SegmentReader

    name = "whoosh.reading.SegmentReader"
    reader = _open(folder).searcher().reader()
    _require(name, type(reader) is SegmentReader, f"one segment reads through {type(reader)}")
    _has(name, reader, ("_perdoc", "_segment", "_storage", "term_info"))
    _has(name, reader._perdoc, ("has_column", "column_reader", "doc_field_length"))
    _has(name, reader._segment, ("make_filename",))
    _has(name, reader._storage, ("file_exists", "open_file"))


def _check_lengths(folder: Path) -> None:
    from index.whoosh_internals.reading import decoded_lengths, length_bytes

    name = "whoosh.codec.whoosh3.LENGTHS_COLUMN"
    reader = _open(folder).searcher().reader()
    raw = length_bytes(reader, "body")
    _require(name, len(raw) == reader.doc_count_all(), "no length per document")
    perdoc = reader._perdoc
    for docnum, byte in enumerate(raw):
        length = perdoc.doc_field_length(docnum, "body")  # None for a zero byte (a quirk)
        _require(name, (decoded_lengths()[byte] if byte else None) == length, f"doc {docnum}")


def _check_lenfield(folder: Path) -> None:
    from whoosh.codec import whoosh3

    name = "whoosh.codec.whoosh3._lenfield"
    _require(name, whoosh3._lenfield("body") == "_body_len", "another hidden name")


def _check_byte_to_length(folder: Path) -> None:
    from whoosh.util.numeric import byte_to_length, length_to_byte

    name = "whoosh.util.numeric.byte_to_length"
    table = [byte_to_length(b) for b in range(256)]
    # the table segments written by 2.7.5 were coded with: old indexes must read the same
    _require(name, table[:12] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12], "small lengths")
    _require(name, table[-1] == 106374 and sum(table) == 3322947, "the table differs")
    _require(name, all(length_to_byte(n) == b for b, n in enumerate(table)), "no round trip")


def _check_bm25f(folder: Path) -> None:
    from whoosh import scoring

    name = "whoosh.scoring.BM25F"
    from index.whoosh_internals.reading import bm25f_b

    weighting = scoring.BM25F(B=0.5, K1=1.1, title_B=0.9)
    _require(name, bm25f_b(weighting, "title") == 0.9, "per-field B (_field_B)")
    _require(name, bm25f_b(weighting, "body") == 0.5 and weighting.K1 == 1.1, "B, K1")
    # index.dense computes bm25 itself, operation for operation
    expected = 2.0 * ((3 * (1.1 + 1)) / (3 + 1.1 * ((1 - 0.5) + 0.5 * 40 / 50)))
    _require(name, scoring.bm25(2.0, 3, 40, 50, 0.5, 1.1) == expected, "the formula")


def _check_multiterm(folder: Path) -> None:
    from whoosh import query as q

    from index.whoosh_internals.reading import pattern_terms

    name = "whoosh.query.MultiTerm"
    reader = _open(folder).searcher().reader()
    for node in (
        q.Prefix("body", "har"),
        q.Wildcard("body", "ti?e"),
        q.TermRange("site", "A", "z"),
    ):
        _require(name, isinstance(node, q.MultiTerm), f"{type(node).__name__}")
        got = list(pattern_terms(node, reader))
        want = [t for _f, t in node.expanded_terms(reader)]
        _require(name, got == want and got, f"{type(node).__name__} expands differently")


def _check_or_matcher(folder: Path) -> None:
    from whoosh import query as q
    from whoosh.matching import UnionMatcher

    from index.whoosh_internals.reading import use_union_tree

    name = "whoosh.query.Or"
    _has(name, q.Or, ("matcher_type", "DEFAULT_MATCHER", "ARRAY_MATCHER"))
    node = q.Or([q.Term("body", "harbor"), q.Term("body", "tide"), q.Term("body", "w1")])
    use_union_tree(node)
    with _open(folder).searcher() as searcher:
        matcher = node.matcher(searcher)
    _require(name, isinstance(matcher, UnionMatcher), f"matches through {type(matcher)}")


def _check_w3codec(folder: Path) -> None:
    from index.whoosh_internals.writing import codec

    name = "whoosh.codec.whoosh3.W3Codec"
    _require(name, "blocklimit" in _params(_lookup(name).__init__), "no blocklimit")
    _require(name, codec(1024)._blocklimit == 1024, "blocklimit not kept")
    _require(name, callable(getattr(_lookup(name), "field_writer", None)), "no field_writer")
    import pickle

    again = pickle.loads(pickle.dumps(codec(1024), 2))
    _require(name, type(again) is _lookup(name), "the codec does not pickle as W3Codec")
    _require(name, again._blocklimit == 1024, "blocklimit not pickled")


def _check_field_writer(folder: Path) -> None:
    from whoosh.codec import whoosh3

    name = "whoosh.codec.whoosh3.W3FieldWriter"
    writer_class = whoosh3.W3FieldWriter
    _has(name, writer_class, ("start_field", "start_term", "add", "finish_term", "close"))
    _require(
        name, _params(writer_class.add) == ["self", "docnum", "weight", "vbytes", "length"], "add"
    )
    # side_positions.PositionsFieldWriter.finish_term restates these two steps
    source = " ".join(inspect.getsource(writer_class.finish_term).split())
    for step in (
        "terminfo = self._postwriter.finish_postings()",
        "keybytes = pack_ushort(self._fieldid) + self._btext",
        "valbytes = terminfo.to_bytes()",
        "self._tindex.add(keybytes, valbytes)",
    ):
        _require(name, step in source, f"finish_term no longer does {step!r}")
    _require(name, "_create_file" in inspect.getsource(writer_class.__init__), "__init__")


def _check_term_info(folder: Path) -> None:
    name = "whoosh.codec.whoosh3.W3TermInfo"
    reader = _open(folder).searcher().reader()
    info = reader.term_info("body", "harbor")
    _require(name, type(info) is _lookup(name), f"term_info gave {type(info)}")
    _require(name, info.is_inlined() is False, "is_inlined")
    # extent() is (offset, length); read back, Whoosh gives the length as a 1-tuple (only
    # the offset is used: it keys a term's chunk in the .npos part)
    offset = info.extent()[0]
    _require(name, isinstance(offset, int) and offset >= 0, "extent")


def _check_pack_ushort(folder: Path) -> None:
    from whoosh.system import pack_ushort

    _require(
        "whoosh.system.pack_ushort", pack_ushort(258) == b"\x01\x02", "not a big-endian ushort"
    )


def _check_perdoc_reader(folder: Path) -> None:
    from whoosh.codec import whoosh3

    name = "whoosh.codec.whoosh3.W3PerDocReader"
    reader = whoosh3.W3PerDocReader
    _require(name, _params(reader._cached_reader) == ["self", "fieldname", "column"], "args")
    original = getattr(reader, "_newsarchive_original_length", reader.doc_field_length)
    _require(name, _params(original) == ["self", "docnum", "fieldname", "default"], "args")
    perdoc = _open(folder).searcher().reader()._perdoc
    _require(name, isinstance(perdoc._readers, dict), "no _readers cache")


def _check_segment_writer(folder: Path) -> None:
    from whoosh.writing import SegmentWriter

    from index import writer

    name = "whoosh.writing.SegmentWriter"
    steps = [a for a in next(i.attributes for i in INTERNALS if i.name == name) if a != "_added"]
    for step in steps:
        _require(name, callable(getattr(SegmentWriter, step, None)), f"no method {step}")
    _require(
        name, _params(SegmentWriter._merge_segments)[1:] == ["mergetype", "optimize", "merge"], ""
    )
    _require(name, _params(SegmentWriter._commit_toc)[1:] == ["segments"], "_commit_toc args")
    w = writer.writer(_open(folder))
    try:
        _require(name, type(w) is SegmentWriter and hasattr(w, "_added"), f"{type(w)}")
    finally:
        w.cancel()


def _check_file_index(folder: Path) -> None:
    from index.whoosh_internals.writing import segment_doc_counts

    name = "whoosh.index.FileIndex"
    ix = _open(folder)
    _require(name, type(ix) is _lookup(name), f"open_dir gave {type(ix)}")
    _require(name, sum(segment_doc_counts(ix)) == ix.doc_count(), "_segments counts differ")


def _check_segment(folder: Path) -> None:
    from index.whoosh_internals.writing import segment_files, segments

    name = "whoosh.codec.base.Segment"
    ix = _open(folder)
    for segment in segments(ix):
        _require(name, isinstance(segment, _lookup(name)), f"{type(segment)}")
        names = segment_files(segment, ix.storage)
        _require(name, names and all((folder / n).exists() for n in names), "list_files")


SHAPES = {
    "whoosh.codec.whoosh3.W3LeafMatcher": _check_leaf_matcher,
    "whoosh.formats.Positions.encode": _check_positions_encode,
    "whoosh.system.pack_uint": _check_pack_uint,
    "whoosh.filedb.compound.BufferFile": _check_compound_buffer_file,
    "whoosh.filedb.structfile.BufferFile": _check_structfile_buffer_file,
    "whoosh.system._INT_SIZE": _check_int_size,
    "whoosh.system.unpack_int": _check_unpack_int,
    "whoosh.columns.EmptyColumnReader": _check_empty_column_reader,
    "whoosh.columns.NumericColumn.Reader": _check_numeric_reader,
    "whoosh.columns.RefBytesColumn.Reader": _check_ref_reader,
    "whoosh.columns.VarBytesColumn.Reader": _check_var_bytes_reader,
    "whoosh.reading.SegmentReader": _check_segment_reader,
    "whoosh.codec.whoosh3.LENGTHS_COLUMN": _check_lengths,
    "whoosh.codec.whoosh3._lenfield": _check_lenfield,
    "whoosh.util.numeric.byte_to_length": _check_byte_to_length,
    "whoosh.scoring.BM25F": _check_bm25f,
    "whoosh.query.MultiTerm": _check_multiterm,
    "whoosh.query.Or": _check_or_matcher,
    "whoosh.codec.whoosh3.W3Codec": _check_w3codec,
    "whoosh.codec.whoosh3.W3FieldWriter": _check_field_writer,
    "whoosh.codec.whoosh3.W3TermInfo": _check_term_info,
    "whoosh.system.pack_ushort": _check_pack_ushort,
    "whoosh.codec.whoosh3.W3PerDocReader": _check_perdoc_reader,
    "whoosh.writing.SegmentWriter": _check_segment_writer,
    "whoosh.index.FileIndex": _check_file_index,
    "whoosh.codec.base.Segment": _check_segment,
}


def test_every_listed_internal_has_a_shape_check() -> None:
    assert sorted(SHAPES) == sorted(i.name for i in INTERNALS)


@pytest.mark.parametrize("internal", [i.name for i in INTERNALS])
def test_shape_of(internal: str, small_index: Path) -> None:
    """Fails with ShapeChanged naming the internal (the test id names it too)."""
    try:
        _lookup(internal)
    except (ImportError, AttributeError) as exc:
        raise ShapeChanged(f"Whoosh internal {internal} is gone ({exc})") from exc
    SHAPES[internal](small_index)


@pytest.mark.parametrize("count", [0, 1, 700, 33_000])  # past 32,768 Whoosh stores offsets
def test_quick_var_bytes_reader_reads_what_whoosh_wrote(count: int) -> None:
    """The `id` column reader whose offsets are summed in C gives Whoosh's values, with
    offsets derived (small columns) or stored by Whoosh (large ones), empty values too."""
    from whoosh.columns import VarBytesColumn
    from whoosh.filedb.filestore import RamStorage

    from index.whoosh_internals.reading import _quick_var_bytes

    storage = RamStorage()
    values = [str(n * 7919 % 100_003).encode() * (n % 3) for n in range(count)]
    out = storage.create_file("column")
    writer = VarBytesColumn().writer(out)
    for docnum, value in enumerate(values):
        if value:  # documents without a value are filled in by Whoosh
            writer.add(docnum, value)
    writer.finish(count)
    length = out.tell()
    out.close()
    quick = _quick_var_bytes()().reader(storage.open_file("column"), 0, length, count)
    own = VarBytesColumn().reader(storage.open_file("column"), 0, length, count)
    assert [quick[n] for n in range(count)] == values == [own[n] for n in range(count)]


def test_a_changed_shape_fails_naming_the_internal(
    small_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A planted rename (a column reader's `_uniques` in a copy of the class) fails loudly."""
    from whoosh.columns import RefBytesColumn

    class Renamed(RefBytesColumn.Reader):  # the shape a future Whoosh might have
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._distinct = self.__dict__.pop("_uniques")

    monkeypatch.setattr(RefBytesColumn, "Reader", Renamed)
    with pytest.raises(ShapeChanged, match=r"RefBytesColumn\.Reader .*_uniques"):
        SHAPES["whoosh.columns.RefBytesColumn.Reader"](small_index)


# ---------------------------------------------------------------- the seam's own list
SEAM_DIR = Path(__file__).resolve().parent.parent / "index" / "whoosh_internals"


def _seam_docstring() -> str:
    from index import whoosh_internals

    return " ".join((whoosh_internals.__doc__ or "").split())


def touched_internals() -> set[str]:
    """Whoosh names (dotted) and private attributes the seam's code uses, read from its AST;
    private names the seam defines itself are left out."""
    import ast
    import importlib

    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in sorted(SEAM_DIR.glob("*.py"))]
    own = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                own.add(node.attr)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets
            ):
                own.update(e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant))
    found: set[str] = set()
    for tree in trees:
        modules: dict[str, str] = {}  # local name -> Whoosh module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                for alias in node.names:
                    dotted = f"{node.module}.{alias.name}"
                    found.add(dotted)
                    try:
                        importlib.import_module(dotted)
                        modules[alias.asname or alias.name] = dotted
                    except ImportError:
                        pass
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute):
                if isinstance(node.value, ast.Name) and node.value.id in modules:
                    found.add(f"{modules[node.value.id]}.{node.attr}")
                    continue
                name = node.attr
            elif (  # getattr(reader, "_perdoc", None) and the like
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr", "setattr")
                and isinstance(node.args[1], ast.Constant)
            ):
                name = node.args[1].value
            if (
                isinstance(name, str)
                and name.startswith("_")
                and not name.startswith("__")
                and name not in own
                and not name.startswith("_newsarchive")
            ):
                found.add(name)
    return found


def test_the_seam_docstring_lists_every_internal_it_touches() -> None:
    doc = _seam_docstring()
    missing = sorted(name for name in touched_internals() if name not in doc)
    assert not missing, (
        f"index/whoosh_internals/ touches these, unlisted in its docstring: {missing}"
    )


def test_the_seam_docstring_lists_every_registered_internal() -> None:
    doc = _seam_docstring()
    for internal in INTERNALS:
        assert internal.name in doc, internal.name
        for attribute in internal.attributes:
            assert attribute in doc, f"{internal.name}.{attribute}"


def test_the_seam_names_the_versions_it_was_checked_against() -> None:
    from importlib.metadata import version

    assert version("whoosh-reloaded") in CHECKED_VERSIONS or pytest.skip(
        "a whoosh-reloaded not yet checked: the shape tests above decide"
    )
