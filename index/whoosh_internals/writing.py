"""Writing with Whoosh's codec and segment writer: two patches that make writing cheaper,
a commit that lists segments written elsewhere, and the segments of an index.

Whoosh has no documented switch for any of these; each keeps the results Whoosh gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .reading import decoded_lengths, numeric_column_array


def codec(blocklimit: int) -> Any:
    """Whoosh's W3 codec writing `blocklimit` postings per block (its default is 128), and
    frequent terms' positions as arrays beside the blocks (`side_positions`)."""
    from .side_positions import PositionsCodec

    return PositionsCodec(blocklimit=blocklimit)


def cache_missing_length_columns() -> None:
    """Make Whoosh remember that a field has no length column (once; idempotent).

    `W3PerDocReader._cached_reader` caches readers but not their absence, so while merging
    postings it stats the disk once per posting of every unscored field (ids, sites,
    categories, the trie terms of dates and numbers). With `spelling=True` that was 45% of
    the build; schema 2 has no spelling words, which leaves about 6% of postings unscored.
    """
    from whoosh.codec import whoosh3

    reader_class = whoosh3.W3PerDocReader
    if getattr(reader_class, "_newsarchive_cached", False):
        return
    original = reader_class._cached_reader
    missing = object()

    def _cached_reader(self, fieldname, column):  # type: ignore[no-untyped-def]
        if self._readers.get(fieldname, None) is missing:
            return None
        reader = original(self, fieldname, column)
        if reader is None:
            self._readers[fieldname] = missing
        return reader

    reader_class._cached_reader = _cached_reader
    reader_class._newsarchive_cached = True


def cache_length_tables() -> None:
    """Make Whoosh read a field's document lengths once per reader, as one table.

    Writing a segment asks `W3PerDocReader.doc_field_length` for the length of the document
    of every single posting (400 per article), and each call went through a column reader,
    a file read and a byte-to-length decode: 14% of the follower's indexing time. The patched
    method reads the field's length column once, as bytes in one read (`get_array`; Whoosh's
    `NumericColumn.Reader.load` is a Python loop over every document, about 1 µs each, paid
    by the first query a process scored through Whoosh's matchers after it had written),
    keeps them with the reader's other cached column readers, and decodes the one byte asked
    for: the same values, None for a zero byte included (Whoosh's own quirk). The original
    method stays reachable as `W3PerDocReader._newsarchive_original_length` (compared in
    tests).
    """
    from whoosh.codec import whoosh3

    reader_class = whoosh3.W3PerDocReader
    if getattr(reader_class, "_newsarchive_length_tables", False):
        return
    original = reader_class.doc_field_length
    missing = object()
    decoded = [None, *decoded_lengths()[1:]]

    def doc_field_length(self, docnum, fieldname, default=0):  # type: ignore[no-untyped-def]
        key = ("newsarchive-lengths", fieldname)
        table = self._readers.get(key)
        if table is None:
            column = self._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
            codes = None if column is None else numeric_column_array(column, "B")
            table = missing if codes is None else codes.tobytes()
            self._readers[key] = table
        if table is missing or docnum >= len(table):
            return original(self, docnum, fieldname, default)
        return decoded[table[docnum]]

    reader_class.doc_field_length = doc_field_length
    reader_class._newsarchive_original_length = original
    reader_class._newsarchive_length_tables = True


def commit_with_parts(
    writer: Any, mergetype: Callable[[Any, list[Any]], list[Any]], parts: Callable[[], list[Any]]
) -> None:
    """`SegmentWriter.commit(mergetype=mergetype)` with the segments `parts()` gives listed in the
    same table of contents (segments written by another writer, moved into the folder).

    Whoosh's own commit, step by step: merge, finish this writer's segment, then (here)
    the parts, then the TOC. If `parts` fails nothing is committed and the lock is released.
    """
    writer._check_state()
    final = writer._merge_segments(mergetype, None, None)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    try:
        final.extend(parts())
    except BaseException:
        writer._finish()
        raise
    writer._commit_toc(final)
    writer._finish()


def segments(ix: Any) -> list[Any]:
    """The segments an index's table of contents lists (`FileIndex._segments`)."""
    return list(ix._segments())


def segment_doc_counts(ix: Any) -> list[int]:
    """Live documents per segment, read from the TOC alone (`Segment.doc_count`)."""
    return [segment.doc_count() for segment in ix._segments()]


def segment_files(segment: Any, storage: Any) -> list[str]:
    """Names of the files of one segment in `storage` (`Segment.list_files`)."""
    return list(segment.list_files(storage))
