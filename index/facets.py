"""Facet counts over every hit: per author, category, site, language, year and month.

Counted from the column arrays kept on the searcher (`index.columns`), for a list of
document numbers (`facet_counts`) or, for big hit lists, a numpy mask (`dense_facet_counts`,
with `index.dense`). Counts cover every hit of the query, not just the page shown.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from itertools import chain
from typing import Any

from . import columns, dense

FACETS = ("author", "category", "site", "language", "year", "month")
LABELLED = ("category", "site", "language")  # facets and filters read from RefBytes columns
TOP_FACET_VALUES = 20  # per author/category/site facet; years and months are all shown


def _month_label(n: int) -> str | None:
    return f"{n // 100:04d}-{n % 100:02d}" if 0 < n < 1_000_000 else None


def _top(counts: dict[int, int], labels: list[str], top: int) -> dict[str, int]:
    named = [(labels[k], n) for k, n in counts.items() if labels[k]]
    if len(named) > top:  # sort only the values that can make the cut (thousands of authors)
        floor = heapq.nlargest(top, (n for _, n in named))[-1]
        named = [kv for kv in named if kv[1] >= floor]
    named.sort(key=lambda kv: (-kv[1], kv[0].casefold()))
    return dict(named[:top])


def facet_counts(
    searcher: Any, docs: list[int], top: int = TOP_FACET_VALUES
) -> dict[str, dict[str, int]]:
    """Counts per author, category, site, language, year and month over every document in `docs`."""
    out: dict[str, dict[str, int]] = {}
    per_doc, names = columns.authors(searcher)
    out["author"] = _top(Counter(chain.from_iterable(map(per_doc.__getitem__, docs))), names, top)
    for name in LABELLED:
        refs, labels = columns.labelled(searcher, name)
        only = _only_label(searcher, name, refs)
        counts = (
            {only: len(docs)} if only is not None and docs else Counter(map(refs.__getitem__, docs))
        )
        out[name] = _top(counts, labels, top)
    out["year"], out["month"] = count_periods(searcher, docs)
    return out


def _only_label(searcher: Any, name: str, refs: Any) -> int | None:
    """The label number every document has when they all have the same (an archive in one
    language, from one site): its facet needs no pass over the hits. Looked up once per
    searcher."""
    cache = columns.kept(searcher)
    key = ("only", name)
    if key not in cache:
        used = set(refs)
        cache[key] = used.pop() if len(used) == 1 else None
    return cache[key]


def count_periods(searcher: Any, docs: Iterable[int]) -> tuple[dict[str, int], dict[str, int]]:
    month = columns.numeric(searcher, "c_month", "i")
    return _periods(Counter(map(month.__getitem__, docs)))


def _periods(per_month: dict[int, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Counts per yyyymm number as (per year, per month) labels; undated left out."""
    months: dict[str, int] = {}
    years: dict[str, int] = {}
    for n, count in sorted(per_month.items()):
        label = _month_label(n)
        if label is None:
            continue
        months[label] = count
        years[label[:4]] = years.get(label[:4], 0) + count
    return years, months


def dense_facet_counts(searcher: Any, mask: Any, docs: Any) -> dict[str, dict[str, int]]:
    """`facet_counts` for the documents of `mask` (`docs` lists them)."""
    import numpy as np

    _per_doc, names = columns.authors(searcher)
    out = {"author": _top(dense.author_counts(searcher, mask), names, TOP_FACET_VALUES)}
    for name in LABELLED:
        refs, labels = columns.labelled(searcher, name)
        only = _only_label(searcher, name, refs)
        counts = (
            {only: len(docs)}
            if only is not None and len(docs)
            else dense.counts(np.asarray(refs), docs)
        )
        out[name] = _top(counts, labels, TOP_FACET_VALUES)
    month = np.asarray(columns.numeric(searcher, "c_month", "i"))
    out["year"], out["month"] = _periods(dense.counts(month, docs))
    return out
