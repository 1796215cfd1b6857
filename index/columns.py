"""Per-document column values read in bulk, once per searcher, for filters, facets and sorts.

Whoosh's own facets and sorts call a Python categorizer per hit (`groupedby` with five
facets cost 70 ms at 10k articles); a date filter as a DateRange walks the trie terms of
`published` (280 ms). Here each column is read into one flat array indexed by global
document number (segments concatenated at their offsets) and kept on the searcher, which
`searcher.open_searcher` keeps open per thread, so a filter or a facet is a tight loop over
the matched document numbers.

Numeric columns and the reference numbers of RefBytes columns are read straight from the
segment file as arrays (one read each) by the seam (`index.whoosh_internals.reading`), with
the readers' public iteration as fallback.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from typing import Any

from . import postings
from .schema import AUTHOR_SEP
from .whoosh_internals import reading as internals

_CACHE_ATTR = "_newsarchive_columns"


def kept(searcher: Any) -> dict[Any, Any]:
    """Values kept on the searcher for as long as it stays open (`searcher.open_searcher`)."""
    cache = getattr(searcher, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(searcher, _CACHE_ATTR, cache)
    return cache


def leaves(searcher: Any) -> list[tuple[Any, int]]:
    """(segment reader, global offset of its first document) for every segment."""
    return [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]


def _column_reader(reader: Any, fieldname: str) -> Any:
    return reader.column_reader(fieldname, translate=False)


def _numeric_leaf(reader: Any, fieldname: str, typecode: str, default: int) -> array:
    count = reader.doc_count_all()
    creader = _column_reader(reader, fieldname)
    if internals.is_empty_column(creader):
        return array(typecode, [default]) * count
    # one read of the whole column instead of a struct.unpack per document
    values = internals.numeric_column_array(creader, typecode)
    if values is None:
        values = array(typecode, (creader[i] for i in range(min(count, len(creader)))))
    if len(values) < count:  # documents past the last value written take the default
        values.extend(array(typecode, [default]) * (count - len(values)))
    return values


def numeric(searcher: Any, fieldname: str, typecode: str, default: int = 0) -> array:
    """The integer column `fieldname` for every document of the searcher."""
    cache = kept(searcher)
    key = ("num", fieldname)
    if key not in cache:
        out = array(typecode)
        for reader, _offset in leaves(searcher):
            out.extend(_numeric_leaf(reader, fieldname, typecode, default))
        cache[key] = out
    return cache[key]


def _ref_leaf(reader: Any, fieldname: str) -> tuple[list[int] | array, list[bytes]]:
    count = reader.doc_count_all()
    creader = _column_reader(reader, fieldname)
    if internals.is_empty_column(creader):
        return array("B", [0]) * count, [b""]
    found = internals.ref_column_array(creader, count)
    if found is not None:
        return found
    labels: dict[bytes, int] = {}
    refs = [labels.setdefault(creader[i], len(labels)) for i in range(count)]
    return refs, list(labels)


def labelled(searcher: Any, fieldname: str) -> tuple[list[int] | array, list[str]]:
    """A low-cardinality text column as (label number per document, labels); "" = none."""
    cache = kept(searcher)
    key = ("ref", fieldname)
    if key not in cache:
        parts = [_ref_leaf(reader, fieldname) for reader, _offset in leaves(searcher)]
        if len(parts) == 1:
            refs, raw = parts[0]
            labels = [v.decode("utf-8") for v in raw]
        else:
            index: dict[str, int] = {}
            refs = array("I")
            for leaf_refs, raw in parts:
                mapping = [index.setdefault(v.decode("utf-8"), len(index)) for v in raw]
                refs.extend(array("I", [mapping[r] for r in leaf_refs]))
            labels = list(index)
        cache[key] = (refs, labels)
    return cache[key]


def authors(searcher: Any) -> tuple[list[tuple[int, ...]], list[str]]:
    """Author numbers per document (a tuple each) and the author names they stand for."""
    cache = kept(searcher)
    if "authors" not in cache:
        index: dict[str, int] = {}
        per_doc: list[tuple[int, ...]] = []
        empty: tuple[int, ...] = ()
        memo: dict[bytes, tuple[int, ...]] = {b"": empty}
        for reader, _offset in leaves(searcher):
            creader = _column_reader(reader, "c_authors")
            if internals.is_empty_column(creader):
                per_doc.extend([empty] * reader.doc_count_all())
                continue
            for raw in creader:
                ids = memo.get(raw)
                if ids is None:
                    names = raw.decode("utf-8").split(AUTHOR_SEP)
                    ids = memo[raw] = tuple(index.setdefault(n, len(index)) for n in names)
                per_doc.append(ids)
            per_doc.extend([empty] * (reader.doc_count_all() - len(creader)))
        cache["authors"] = (per_doc, list(index))
    return cache["authors"]


def article_ids(searcher: Any, docs: list[int]) -> list[int]:
    """The archive ids of `docs` from the `id` column of each one's segment; a segment's
    column opens on first use (`var_bytes_column_reader`, kept on the searcher), so a page
    opens only the segments its hits are in."""
    cache = kept(searcher)
    if "leaf_starts" not in cache:
        found = leaves(searcher)
        cache["leaf_starts"] = ([offset for _reader, offset in found], found)
    starts, found = cache["leaf_starts"]
    out = []
    for doc in docs:
        leaf = bisect_right(starts, doc) - 1
        key = ("id", leaf)
        if key not in cache:
            cache[key] = internals.var_bytes_column_reader(found[leaf][0], "id")
        out.append(int(cache[key][doc - starts[leaf]]))
    return out


def term_docs(searcher: Any, fieldname: str, text: str) -> list[int]:
    """Global document numbers (ascending, live documents only) containing one term."""
    out: list[int] = []
    for reader, offset in leaves(searcher):
        if not reader.doc_frequency(fieldname, text):
            continue
        ids = postings.leaf_ids(reader, fieldname, text)
        out.extend(ids if not offset else [d + offset for d in ids])
    return out


def live_docs(searcher: Any) -> list[int]:
    """Every live (not deleted) document number."""
    out: list[int] = []
    for reader, offset in leaves(searcher):
        count = reader.doc_count_all()
        if reader.has_deletions():
            out.extend(d + offset for d in range(count) if not reader.is_deleted(d))
        else:
            out.extend(range(offset, offset + count))
    return out


def lengths_bytes(searcher: Any, fieldname: str) -> bytes:
    """Each document's byte-coded length of `fieldname` (Whoosh's lengths column; 0 = none)."""
    out = bytearray()
    for reader, _offset in leaves(searcher):
        count = reader.doc_count_all()
        values = internals.length_bytes(reader, fieldname)
        out += values[:count]
        out += bytes(count - min(count, len(values)))
    return bytes(out)
