"""Reading Whoosh's per-document columns, field lengths and scoring settings in bulk, and
two query internals (pattern expansion, the Or matcher choice).

Columns: a NumericColumn or RefBytesColumn reader keeps its values at a known place of the
segment file (`_dbfile`, `_basepos`, `_typecode`, `_count`; a RefBytes reader its distinct
values in `_uniques`), so a whole column is one `get_array` read instead of a
`struct.unpack` per document. Each function returns None (or b"") when a reader is not
shaped as expected, and the caller falls back to the readers' public iteration.
"""

from __future__ import annotations

import struct
from array import array
from functools import lru_cache
from itertools import accumulate
from typing import Any


def is_empty_column(creader: Any) -> bool:
    """Whether a segment has no values for the column (`EmptyColumnReader`)."""
    from whoosh.columns import EmptyColumnReader

    return isinstance(creader, EmptyColumnReader)


def numeric_column_array(creader: Any, typecode: str) -> array | None:
    """A NumericColumn reader's values in one read, or None when it cannot be read so."""
    from whoosh.columns import NumericColumn

    if type(creader) is not NumericColumn.Reader or creader._typecode != typecode:
        return None
    try:
        return creader._dbfile.get_array(creader._basepos, typecode, creader._count)
    except (AttributeError, OSError, ValueError):
        return None


def ref_column_array(creader: Any, count: int) -> tuple[array, list[bytes]] | None:
    """A RefBytesColumn reader as (value number per document, distinct values) in one read,
    or None when it cannot be read so."""
    from whoosh.columns import RefBytesColumn

    if type(creader) is not RefBytesColumn.Reader:
        return None
    try:
        refs = creader._dbfile.get_array(creader._basepos, creader._typecode, count)
        return refs, list(creader._uniques)
    except (AttributeError, OSError, ValueError):
        return None


def var_bytes_column_reader(reader: Any, fieldname: str) -> Any:
    """A segment's reader of a VarBytesColumn (`id`), untranslated, that opens in C time.

    Whoosh writes a VarBytes column's offsets only past 32,768 documents and otherwise
    derives them, on opening the reader, in a Python loop over every document: 3 ms per
    20,000-document segment, so a page of 20 hits spread over 14 segments of a million-
    article index spent 42 ms opening id columns. Here the offsets are the running sum of
    the lengths (`itertools.accumulate`, in C). A column with stored offsets, or a reader not
    shaped as expected, opens as Whoosh's own (`_read_offsets_and_lengths`)."""
    return reader.column_reader(fieldname, column=_quick_var_bytes()(), translate=False)


@lru_cache(maxsize=1)
def _quick_var_bytes() -> type:
    """A VarBytesColumn whose reader derives its offsets in C (built on first use)."""
    from whoosh.columns import VarBytesColumn

    class QuickReader(VarBytesColumn.Reader):
        def _read_offsets_and_lengths(self) -> None:
            try:
                dbfile, doccount = self._dbfile, self._doccount
                lastbyte = self._basepos + self._length - 1
                lens_code = chr(dbfile.get_byte(lastbyte))
                lengths = None
                if lens_code != "X":  # "X": offsets stored, nothing to derive
                    start = lastbyte - struct.calcsize(lens_code) * doccount
                    lengths = dbfile.get_array(start, lens_code, doccount)
            except (AttributeError, OSError, ValueError, struct.error):
                lengths = None
            if lengths is None:
                super()._read_offsets_and_lengths()
                return
            offsets = array("L", accumulate(lengths, initial=0))
            offsets.pop()
            self._offsets = offsets
            self._lengths = lengths

    class QuickVarBytes(VarBytesColumn):
        def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> Any:
            return QuickReader(dbfile, basepos, length, doccount)

    return QuickVarBytes


def length_bytes(reader: Any, fieldname: str) -> bytes:
    """A segment's byte-coded lengths of `fieldname` per document, from Whoosh's hidden
    lengths column (b"" when the segment has none; may be shorter than the segment)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    perdoc = getattr(reader, "_perdoc", None)
    lenfield = _lenfield(fieldname)
    if perdoc is None or not perdoc.has_column(lenfield):
        return b""
    creader = perdoc.column_reader(lenfield, LENGTHS_COLUMN)
    try:  # one read of the whole column
        return creader._dbfile.get_array(creader._basepos, "B", creader._count).tobytes()
    except (AttributeError, OSError, ValueError):
        count = reader.doc_count_all()
        return bytes(creader[i] for i in range(min(count, len(creader))))


@lru_cache(maxsize=1)
def decoded_lengths() -> tuple[int, ...]:
    """The field length each of the 256 length bytes stands for (`byte_to_length`)."""
    from whoosh.util.numeric import byte_to_length

    return tuple(byte_to_length(b) for b in range(256))


def bm25f_b(weighting: Any, fieldname: str) -> float:
    """BM25F's B for `fieldname` (a per-field `fieldname_B` given to BM25F, else its B)."""
    return weighting._field_B.get(fieldname, weighting.B)


def pattern_terms(node: Any, reader: Any) -> Any:
    """The indexed terms (bytes) a Prefix, Wildcard, FuzzyTerm or TermRange expands to,
    lazily (`MultiTerm._btexts`): expansion is counted and bounded before it is searched."""
    return node._btexts(reader)


def use_union_tree(node: Any) -> None:
    """Make an Or query match through Whoosh's tree of unions, never its array matcher
    (`Or.matcher_type`, which Whoosh marks as a debugging switch)."""
    from whoosh import query as q

    node.matcher_type = q.Or.DEFAULT_MATCHER
