"""The one place in `index/` that touches Whoosh's internals.

`index/` is fast because it reads Whoosh's segments itself and patches a few of its
methods, none of which is public API. Everything else in `index/`, and all of `archive/`,
`ingest/` and `bench/`, uses Whoosh's documented API or the functions here;
`tests/test_architecture.py` enforces that, and `tests/test_whoosh_internals.py` checks the
shape of every internal below on a live index, failing with its name when one moves.

Public, for this project, is what Whoosh's documentation describes: `whoosh.index`
(open_dir, create_in, exists_in, LockError), `fields`, `analysis` (Analyzer, Token,
tokenizers and filters), `formats` (format classes as types), `lang`, `qparser` (with
`plugins` and `syntax` for writing plugins), `query` (classes and their constructor
arguments as attributes), `scoring` (BM25F and its B and K1), `searching` (Searcher,
Results.items), `reading` (IndexReader's methods, TermNotFound), `writing` (IndexWriter's
methods), `highlight`, `sorting`, `collectors`, `spelling`, and `columns`' column classes
given to fields. Internal is everything else: any `_name` of a Whoosh object, the modules
`whoosh.codec`, `whoosh.filedb`, `whoosh.system`, `whoosh.util`, `whoosh.matching`, and
undocumented names of public modules (`EmptyColumnReader`, a column's `Reader`,
`Or.matcher_type`).

Internals relied on (name: what for; module of the seam; our callers):

- `whoosh.codec.whoosh3.W3LeafMatcher` (`_byteids`, `_postfile`, `_maxid`, `_blocklength`,
  `_compression`, `_dataoffset`, `_nextoffset`, `_next_block`; `_postfile.get`): a term's
  posting blocks read and decoded without the matcher (`blocks`; index.postings).
- The W3 block layout: one zlib-compressed protocol-2 pickle of (id deltas, weights,
  values), weights None when all 1.0 or one float when all equal (`blocks`; index.postings).
- `whoosh.formats.Positions.encode`'s value layout, `whoosh.system.pack_uint(n)` + a
  protocol-2 pickled list of position deltas: written by the direct indexing path and
  decoded in bulk by phrases (`positions`; index.schema, index.postings).
- `whoosh.filedb.compound.BufferFile` (the module-level name compound files open parts
  with) and `whoosh.filedb.structfile.BufferFile` (subclassed: constructor (buf, name,
  onclose), attributes `_buf`, `_name`, `file`, `onclose`, `is_real`, `is_closed`), with
  `whoosh.system._INT_SIZE` and `whoosh.system.unpack_int`: segment files read in place
  from the memory map (`files`; index.segment_files, so index.writer).
- `whoosh.columns.EmptyColumnReader`, `whoosh.columns.NumericColumn.Reader` and
  `whoosh.columns.RefBytesColumn.Reader` (`_dbfile`, `_basepos`, `_typecode`, `_count`,
  `_uniques`; `_dbfile.get_array`): whole columns in one read (`reading`; index.columns).
- `whoosh.columns.VarBytesColumn.Reader` (`_dbfile`, `_basepos`, `_length`, `_doccount`,
  `_read_offsets_and_lengths`, `_offsets`, `_lengths`; `_dbfile.get_byte`, `get_array`): the
  `id` column opened with its offsets summed in C instead of Whoosh's Python loop
  (`reading`; index.columns).
- `whoosh.reading.SegmentReader` (`_perdoc`: `has_column`, `column_reader`) with
  `whoosh.codec.whoosh3.LENGTHS_COLUMN` and `whoosh.codec.whoosh3._lenfield`: the
  byte-coded field lengths BM25F reads (`reading`; index.columns, so index.dense).
- `whoosh.util.numeric.byte_to_length`: what a length byte stands for (`reading`;
  index.dense, and the length-table patch in `writing`).
- `whoosh.scoring.BM25F._field_B`: a field's B (`reading`; index.dense, which computes
  `whoosh.scoring.bm25` itself, operation for operation).
- `whoosh.query.MultiTerm._btexts`: the terms a prefix, wildcard, fuzzy term or term
  range expands to, counted before searching (`reading`; index.query).
- `whoosh.query.Or.matcher_type` and `Or.DEFAULT_MATCHER`: a tree of unions instead of the
  array matcher (`reading`; index.query).
- `whoosh.codec.whoosh3.W3Codec` (`blocklimit`; `field_writer`, pickled by its `__dict__`):
  1,024 postings per block, and subclassed to write the `.npos` part of frequent terms'
  positions while pickling as itself (`writing`, `side_positions`; index.writer).
- `whoosh.codec.whoosh3.W3FieldWriter` (`start_field`, `start_term`, `add`, `finish_term`,
  `close`; `_postwriter` with `add_posting` and `finish_postings`, `_tindex`, `_fieldid`,
  `_btext`, `_segment`, `_storage`), `whoosh.codec.whoosh3.W3TermInfo` (`is_inlined`,
  `extent`, `to_bytes`) and `whoosh.system.pack_ushort`: subclassed to keep a positional
  term's postings and write them as arrays when the term is finished (`side_positions`;
  index.writer).
- `whoosh.reading.SegmentReader` (`_segment`, `_storage`, `term_info`) with the segment's
  `make_filename` and the storage's `file_exists` and `open_file` (a `MappedFile` in a
  compound segment): a segment's `.npos` part opened (`side_reader`; index.postings).
- `whoosh.codec.whoosh3.W3PerDocReader` (`_cached_reader`, `_readers`,
  `doc_field_length`): patched to remember missing length columns and to read a field's
  lengths once as a table (`writing`; index.writer, bench/bench_ingest.py through
  `writer.patch_whoosh_writes`).
- `whoosh.writing.SegmentWriter` (`_check_state`, `_merge_segments`, `_added`,
  `_finalize_segment`, `_close_segment`, `_commit_toc`, `_finish`): a commit that lists
  the part writer's segments in the same TOC (`writing`; index.writer).
- `whoosh.index.FileIndex._segments` and `whoosh.codec.base.Segment` (`list_files`,
  `doc_count`): the segments of an index and their files (`writing`; index.writer,
  index.part_writer, bench/bench_span.py through `writer.segment_count`).
"""

from __future__ import annotations

from dataclasses import dataclass

# whoosh-reloaded versions these internals were checked against (`pip show whoosh-reloaded`)
CHECKED_VERSIONS = ("2.7.5",)


@dataclass(frozen=True, slots=True)
class Internal:
    """One Whoosh internal the seam relies on: a dotted name and the attributes used.
    `documented`: the named object itself is public API and only `attributes` are not."""

    name: str
    attributes: tuple[str, ...] = ()
    documented: bool = False


INTERNALS: tuple[Internal, ...] = (
    Internal(
        "whoosh.codec.whoosh3.W3LeafMatcher",
        (
            "_byteids",
            "_postfile",
            "_maxid",
            "_blocklength",
            "_compression",
            "_dataoffset",
            "_nextoffset",
            "_next_block",
        ),
    ),
    Internal("whoosh.formats.Positions.encode", documented=True),
    Internal("whoosh.system.pack_uint"),
    Internal("whoosh.filedb.compound.BufferFile"),
    Internal(
        "whoosh.filedb.structfile.BufferFile",
        ("_buf", "_name", "file", "onclose", "is_real", "is_closed"),
    ),
    Internal("whoosh.system._INT_SIZE"),
    Internal("whoosh.system.unpack_int"),
    Internal("whoosh.columns.EmptyColumnReader"),
    Internal("whoosh.columns.NumericColumn.Reader", ("_dbfile", "_basepos", "_typecode", "_count")),
    Internal(
        "whoosh.columns.RefBytesColumn.Reader", ("_dbfile", "_basepos", "_typecode", "_uniques")
    ),
    Internal(
        "whoosh.columns.VarBytesColumn.Reader",
        (
            "_dbfile",
            "_basepos",
            "_length",
            "_doccount",
            "_read_offsets_and_lengths",
            "_offsets",
            "_lengths",
        ),
    ),
    Internal(
        "whoosh.reading.SegmentReader",
        ("_perdoc", "_segment", "_storage", "term_info"),
        documented=True,
    ),
    Internal("whoosh.codec.whoosh3.LENGTHS_COLUMN"),
    Internal("whoosh.codec.whoosh3._lenfield"),
    Internal("whoosh.util.numeric.byte_to_length"),
    Internal("whoosh.scoring.BM25F", ("_field_B",), documented=True),
    Internal("whoosh.query.MultiTerm", ("_btexts",), documented=True),
    Internal("whoosh.query.Or", ("matcher_type", "DEFAULT_MATCHER"), documented=True),
    Internal("whoosh.codec.whoosh3.W3Codec", ("field_writer",)),
    Internal(
        "whoosh.codec.whoosh3.W3FieldWriter",
        (
            "start_field",
            "start_term",
            "add",
            "finish_term",
            "close",
            "_postwriter",
            "_tindex",
            "_fieldid",
            "_btext",
            "_segment",
            "_storage",
        ),
    ),
    Internal("whoosh.codec.whoosh3.W3TermInfo", ("is_inlined", "extent", "to_bytes")),
    Internal("whoosh.system.pack_ushort"),
    Internal(
        "whoosh.codec.whoosh3.W3PerDocReader", ("_cached_reader", "_readers", "doc_field_length")
    ),
    Internal(
        "whoosh.writing.SegmentWriter",
        (
            "_check_state",
            "_merge_segments",
            "_added",
            "_finalize_segment",
            "_close_segment",
            "_commit_toc",
            "_finish",
        ),
        documented=True,
    ),
    Internal("whoosh.index.FileIndex", ("_segments",), documented=True),
    Internal("whoosh.codec.base.Segment", ("list_files", "doc_count")),
)


def private_attributes() -> frozenset[str]:
    """Every `_name` attribute of a Whoosh object the seam uses (for the architecture test)."""
    return frozenset(a for i in INTERNALS for a in i.attributes if a.startswith("_")) | {
        i.name.rpartition(".")[2] for i in INTERNALS if i.name.rpartition(".")[2].startswith("_")
    }
