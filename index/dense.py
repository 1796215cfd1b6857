"""Queries with many hits, run over dense per-document arrays (numpy) instead of Whoosh's matchers.

At 100k articles a frequent word has 40-80k postings: Whoosh's collector scores them one
Python call at a time and the unscored match list, filters and facets loop over them again
(p95 190-350 ms per query). Here each term's postings are read once, without positions
(`index.postings`), into a boolean "matches" array and a BM25F score array over every
document number; AND, OR and phrases are array operations, filters and facets are masks
and `bincount`s over the column arrays, and the page is a partition of the keys. Scores are
Whoosh's own BM25F (same statistics, same formula), so the ranking does not change, except
that a page is always the head of the full ranking: Whoosh's block-skipping top-N collector
dropped hits of an OR inside an AND ("(news OR police) monday" at 10k articles).

Only plain shapes are handled: words, AND, OR, AND NOT and "phrases" over scored fields, with
BM25F weighting, ranges on the date fields (a column read) and `*`. Anything else (prefixes,
other ranges, boosts, slop) raises Unsupported and goes through Whoosh. numpy costs about 100
ms to import, more than it saves on a small hit list, so a process comes here first past
MIN_POSTINGS postings, or for a typed date range, which costs Whoosh more (`worthwhile`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from . import columns, postings
from .whoosh_internals import reading as internals

MIN_POSTINGS = 20_000
MIN_POSTINGS_LOADED = 0  # once numpy is imported


class Unsupported(Exception):
    """The query has a part these arrays do not evaluate; Whoosh's matchers will."""


@dataclass(slots=True)
class Match:
    mask: Any  # numpy bool array: which document numbers match
    scores: Any  # numpy float64 array (0 where not matching), or None when not needed


def _query_module():  # type: ignore[no-untyped-def]
    from whoosh import query as q

    return q


def worthwhile(query: Any, searcher: Any) -> bool:
    """Whether to evaluate `query` here: always once numpy is loaded (any query shape here
    is faster than Whoosh's matchers), else past MIN_POSTINGS postings, where the saving
    outweighs importing numpy. Raises Unsupported for shapes not handled here."""
    loaded = "numpy" in sys.modules
    need = MIN_POSTINGS_LOADED if loaded else MIN_POSTINGS
    # nothing to count against a zero bar: the shape is checked, no term looked up in
    # every segment (2 ms of a phrase's 12 at 100k articles)
    return postings_count(query, searcher, count=need > 0) >= need


def postings_count(query: Any, searcher: Any, count: bool = True) -> int:
    """How many postings evaluating `query` here reads (0 for words when not `count`);
    raises Unsupported for other shapes."""
    q = _query_module()
    kind = type(query)
    if getattr(query, "boost", 1.0) != 1.0:
        raise Unsupported("boost")
    if kind is q.Every and not query.fieldname:  # `*`: every document, each scoring 1.0
        return searcher.doc_count_all()
    if kind is q.Term:
        _check_field(searcher, query.fieldname, query.text)
        return searcher.doc_frequency(query.fieldname, query.text) if count else 0
    if kind is q.Phrase:
        if query.slop != 1 or not query.words:
            raise Unsupported("slop")
        from whoosh.formats import Positions

        if type(searcher.schema[query.fieldname].format) is not Positions:
            raise Unsupported("positions")  # postings.leaf_position_postings reads this format
        words = (q.Term(query.fieldname, w) for w in query.words)
        return sum(postings_count(term, searcher, count) for term in words)
    if kind in (q.NumericRange, q.DateRange):  # one column read over every document
        _range_window(query)
        # Whoosh's own way costs far more than its postings: it expands the range into
        # some hundred trie terms per segment (750 ms at 20k articles, 240 ms at 5k); here
        # it is one column read. Counted as at least MIN_POSTINGS so a typed date range
        # comes here even in a small archive, where it would not pay for numpy's import.
        return max(searcher.doc_count_all(), MIN_POSTINGS)
    if kind is q.Or and getattr(query, "scale", None):
        raise Unsupported("scaled or")
    if kind is q.And and query.subqueries:  # NOT words are And children: excluded, unscored
        positive = [sub for sub in query.subqueries if type(sub) is not q.Not]
        if not positive:
            raise Unsupported("only NOT")
        negative = [sub.query for sub in query.subqueries if type(sub) is q.Not]
        return sum(postings_count(sub, searcher, count) for sub in positive + negative)
    if kind is q.Or and query.subqueries:
        return sum(postings_count(sub, searcher, count) for sub in query.subqueries)
    if kind is q.AndNot:
        return postings_count(query.a, searcher, count) + postings_count(query.b, searcher, count)
    raise Unsupported(kind.__name__)


SECOND = 1_000_000  # DATETIME values are microseconds since 0001-01-01
DAY_SECONDS = 86_400


def _range_window(query: Any) -> tuple[str, int, int]:
    """(column, lowest, highest) inclusive for a range on the date fields, read from the
    `c_when` (seconds) or `c_month` (yyyymm) column; raises Unsupported for other ranges.

    `published:[2018 to 2019]` parses to a NumericRange of microseconds that Whoosh expands
    into some hundred trie terms and reads every posting of them (0.7 s at 100k articles);
    one comparison over a column gives the same documents when the bounds fall on whole
    seconds, as the query parser makes them.
    """
    if not query.constantscore:
        raise Unsupported("scored range")
    start, end = query.start, query.end
    if not all(v is None or type(v) is int for v in (start, end)):
        raise Unsupported("range bounds")
    if start is not None and query.startexcl:
        start += 1
    if end is not None and query.endexcl:
        end -= 1
    if query.fieldname == "published":
        if (start is not None and start % SECOND) or (
            end is not None and end % SECOND != SECOND - 1
        ):
            raise Unsupported("range within a second")  # c_when holds whole seconds
        low = 1 if start is None else start // SECOND + DAY_SECONDS  # as schema.when_seconds
        high = 2**62 if end is None else end // SECOND + DAY_SECONDS
        return "c_when", low, high
    if query.fieldname in ("year", "month"):
        scale = 100 if query.fieldname == "year" else 1  # year: c_month // 100
        low = 1 if start is None else max(start * scale, 1)  # 0 is undated: never in range
        high = 2**62 if end is None else end * scale + (scale - 1)
        return "c_month", low, high
    raise Unsupported("range field")


def _range(searcher: Any, query: Any, scores: bool) -> Match:
    """A range on a date field, as Whoosh scores it: a constant (the boost, 1.0) per hit."""
    import numpy as np

    column, low, high = _range_window(query)
    typecode = "q" if column == "c_when" else "i"
    values = np.asarray(columns.numeric(searcher, column, typecode))
    mask = (values >= low) & (values <= high)
    return Match(mask, mask.astype(np.float64) if scores else None)


def _check_field(searcher: Any, fieldname: str, text: Any) -> None:
    from whoosh.scoring import BM25F

    if not isinstance(text, str) or fieldname not in searcher.schema:
        raise Unsupported("term")
    if not searcher.schema[fieldname].scorable or type(searcher.weighting) is not BM25F:
        raise Unsupported("weighting")


def live(searcher: Any):  # type: ignore[no-untyped-def]
    """True for every document number that is not deleted."""
    import numpy as np

    cache = columns.kept(searcher)
    if "np_live" not in cache:
        out = np.ones(searcher.doc_count_all(), dtype=bool)
        for reader, offset in columns.leaves(searcher):
            if reader.has_deletions():
                for d in range(reader.doc_count_all()):
                    if reader.is_deleted(d):
                        out[offset + d] = False
        cache["np_live"] = out
    return cache["np_live"]


def _lengths(searcher: Any, fieldname: str, docs: Any):  # type: ignore[no-untyped-def]
    """The length of `fieldname` in each of `docs` as BM25F reads it (byte-coded; 1 when
    none). The byte codes of every document are kept (1 byte each, not 8: decoded only for
    the documents asked)."""
    import numpy as np

    cache = columns.kept(searcher)
    key = ("np_len", fieldname)
    if key not in cache:
        table = np.array([1.0] + [float(n) for n in internals.decoded_lengths()[1:]])
        codes = np.frombuffer(columns.lengths_bytes(searcher, fieldname), dtype=np.uint8)
        cache[key] = (table, codes)
    table, codes = cache[key]
    return table[codes[docs]]


def evaluate(searcher: Any, query: Any, scores: bool = True) -> Match:
    """Which documents match `query` (deleted ones excluded) and, with `scores`, their BM25F."""
    found = _eval(searcher, query, scores)
    found.mask &= live(searcher)
    return found


def _eval(searcher: Any, query: Any, scores: bool) -> Match:
    q = _query_module()
    kind = type(query)
    if kind is q.Term:
        return _term(searcher, query.fieldname, query.text, scores)
    if kind is q.Every:
        import numpy as np

        n = searcher.doc_count_all()
        return Match(np.ones(n, dtype=bool), np.ones(n) if scores else None)
    if kind is q.Phrase:
        return _phrase(searcher, query, scores)
    if kind in (q.NumericRange, q.DateRange):
        return _range(searcher, query, scores)
    if kind is q.AndNot:
        found = _eval(searcher, query.a, scores)
        found.mask &= ~_eval(searcher, query.b, False).mask
        if scores:
            found.scores[~found.mask] = 0.0
        return found
    if kind not in (q.And, q.Or):
        raise Unsupported(kind.__name__)
    subs = [sub for sub in query.subqueries if type(sub) is not q.Not]
    parts = [_eval(searcher, sub, scores) for sub in subs]
    first = parts[0]
    for part in parts[1:]:
        if kind is q.And:
            first.mask &= part.mask
        else:
            first.mask |= part.mask
        if scores:
            first.scores += part.scores
    for sub in query.subqueries:
        if type(sub) is q.Not:  # Whoosh intersects with an inverse matcher that scores 1.0
            first.mask &= ~_eval(searcher, sub.query, False).mask
            if scores:
                first.scores += 1.0
    if scores and kind is q.And and len(query.subqueries) > 1:
        first.scores[~first.mask] = 0.0
    return first


def _term(searcher: Any, fieldname: str, text: str, scores: bool) -> Match:
    import numpy as np

    n = searcher.doc_count_all()
    mask = np.zeros(n, dtype=bool)
    out = np.zeros(n) if scores else None
    found_docs, found_tf = [], []
    for reader, offset in columns.leaves(searcher):
        docs, tf = postings.leaf_arrays(reader, fieldname, text)
        if len(docs):
            found_docs.append(docs + offset if offset else docs)
            found_tf.append(tf)
    if found_docs:  # scored once for every segment: idf and the average length are global
        docs = np.concatenate(found_docs)
        mask[docs] = True
        if scores:
            out[docs] = _bm25(searcher, fieldname, text, docs, np.concatenate(found_tf))
    return Match(mask, out)


def _phrase(searcher: Any, query: Any, scores: bool) -> Match:
    """Documents where the words occur one after another (Whoosh's phrase: slop 1, in order),
    scored as the sum of the words' BM25F, as Whoosh scores a phrase.

    Per segment, the rarest word's postings give the possible starts (document, position);
    every other word, rarest first, is read only where a document is still possible, and
    the starts it does not continue are dropped (`_phrase_starts`). The hits of every
    segment are scored at once (idf and the average length are the index's).
    """
    import numpy as np

    fieldname, words = query.fieldname, list(query.words)
    if len(words) == 1:
        return _term(searcher, fieldname, words[0], scores)
    n = searcher.doc_count_all()
    mask = np.zeros(n, dtype=bool)
    out = np.zeros(n) if scores else None
    found: list[Any] = []
    tf: dict[int, list[Any]] = {k: [] for k in range(len(words))}
    for reader, offset in columns.leaves(searcher):
        docs, read = _phrase_starts(reader, fieldname, words)
        if not len(docs):
            continue
        found.append(docs + offset if offset else docs)
        for k, got in read.items():
            tf[k].append(got.weights[np.searchsorted(got.ids, docs)])
    if found:
        docs = np.concatenate(found)
        mask[docs] = True
        if scores:
            out[docs] = sum(
                _bm25(searcher, fieldname, words[k], docs, np.concatenate(tf[k]))
                for k in range(len(words))
            )
    return Match(mask, out)


_DOC_SHIFT = 32  # a start is (document << 32) | position: one sortable int64


def _phrase_starts(
    reader: Any, fieldname: str, words: list[str]
) -> tuple[Any, dict[int, postings.PositionPostings]]:
    """The documents of one segment (numpy, ascending) where word k sits at start + k for
    some start, every k, and each word's postings with positions (a superset of those
    documents).

    Each word's term info is looked up once (a word missing from the segment ends it
    there) and gives its document frequency in the segment: words are read rarest first,
    each only where a document is still possible. The rarest word's positions wait until
    the next word's ids are known: only the documents holding both are decoded. Each later
    word drops the starts it does not continue. Two words at least (`_phrase` scores a
    one-word phrase as a term)."""
    import numpy as np
    from whoosh.reading import TermNotFound

    none = np.zeros(0, np.int64), {}
    infos: dict[str, Any] = {}
    for word in words:
        if word not in infos:
            try:
                infos[word] = reader.term_info(fieldname, word)
            except TermNotFound:
                return none
    order = sorted(range(len(words)), key=lambda k: infos[words[k]].doc_frequency())
    first: postings.BlockPostings | postings.ArrayPostings | None = None
    docs = None
    starts = None
    read: dict[int, postings.PositionPostings] = {}

    def continued(starts: Any, k: int, got: postings.PositionPostings) -> Any:
        """The starts (document << 32 | position) that word k at start + k continues."""
        flat = got.positions
        keys = (np.repeat(got.ids, got.counts) << _DOC_SHIFT) | (flat - k)
        keys = keys[flat >= k]  # a word at position p < k starts no phrase
        return keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)

    for k in order:
        word = words[k]
        block = postings.leaf_phrase_postings(reader, fieldname, word, docs, infos[word])
        if not len(block.ids):
            return none
        if first is None:
            first, docs = block, block.ids
            continue
        docs = np.intersect1d(docs, block.ids, assume_unique=True)
        if not len(docs):
            return none
        if starts is None:  # the rarest word, decoded for the documents of both
            read[order[0]] = first.keep(docs).with_positions()
            starts = continued(None, order[0], read[order[0]])
        read[k] = block.keep(docs).with_positions()
        starts = continued(starts, k, read[k])
        if not len(starts):
            return none
        docs = np.unique(starts >> _DOC_SHIFT)
    return docs, read


def _bm25(searcher: Any, fieldname: str, text: str, docs: Any, tf: Any):  # type: ignore[no-untyped-def]
    """whoosh.scoring.bm25 of `text` for `docs` with term frequencies `tf`, operation for
    operation."""
    weighting = searcher.weighting
    b = internals.bm25f_b(weighting, fieldname)
    k1 = weighting.K1
    idf = searcher.idf(fieldname, text)
    avgfl = searcher.avg_field_length(fieldname) or 1
    fl = _lengths(searcher, fieldname, docs)
    return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))


def top(docs: Any, keys: Any, count: int | None):  # type: ignore[no-untyped-def]
    """`docs` ordered by `keys` ascending, ties by document number; only the first `count`."""
    import numpy as np

    if count is not None and count < len(docs):
        kth = np.partition(keys, count - 1)[count - 1]
        near = keys <= kth
        docs, keys = docs[near], keys[near]
    order = np.lexsort((docs, keys))
    return docs[order[:count] if count is not None else order]


def counts(values: Any, docs: Any) -> dict[int, int]:
    """How many of `docs` have each value of the integer column `values`."""
    import numpy as np

    found, n = np.unique(values[docs], return_counts=True)
    return dict(zip(found.tolist(), n.tolist(), strict=True))


def author_counts(searcher: Any, mask: Any) -> dict[int, int]:
    """Hits per author number, over the matching documents of `mask`."""
    import numpy as np

    cache = columns.kept(searcher)
    if "np_authors" not in cache:
        per_doc, _names = columns.authors(searcher)
        sizes = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(per_doc))
        owner = np.repeat(np.arange(len(per_doc), dtype=np.int64), sizes)
        flat = np.fromiter(
            (a for names in per_doc for a in names), dtype=np.int64, count=int(sizes.sum())
        )
        cache["np_authors"] = (owner, flat)
    owner, flat = cache["np_authors"]
    hits = flat[mask[owner]]
    tally = np.bincount(hits)
    nonzero = np.flatnonzero(tally)
    return dict(zip(nonzero.tolist(), tally[nonzero].tolist(), strict=True))
