"""Several archives (time partitions) answering as one: `search` and `stats` over all of them.

Why: one Whoosh writer caps an archive near 250 articles/s. A backfill can instead build one
archive per period (say per year), each with its own writer, on different machines, and
read them together. A *partition set* is a folder with no news.db of its own whose
subfolders are archives: `SET/partitions/NAME/` (what `ingest --partition` would write) or
`SET/NAME/`; `--archive SET` then reads them all. Each partition is an ordinary archive
(ingest, verify, reindex, show and serve work on it alone).

How results merge (built on `run_search`, one call per partition):
- totals and facet counts are summed; an author/category/site value a partition left out of
  its top 20 is counted there exactly by a filtered search, when it could reach the merged
  top 20 (filters ignore case: variants the partition shows are taken off; one it does not
  show would be counted with its sibling); years and months are complete anyway;
- hits are merged by date for `--sort newest/oldest` (the same order as one archive: a date
  lives in one partition) and by score for relevance; page N asks every partition for its
  first N*limit hits, so N*limit is at most 1000;
- did-you-mean keeps a word that occurs in any partition, else takes the correction most
  partitions offer;
- each hit names its `archive` (partition) and its `address`, `PARTITION/ID`: article ids are
  per partition, so `show` and `similar` on a set take that address (`resolve_address`).
Limits: BM25 scores use each partition's own term statistics (idf, average length), so a word
rare in one year and common in another weighs differently: relevance order across partitions
is close to, not the same as, one archive's (the hits and totals are the same). `--collapse`
folds syndicated copies within a partition only.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the search library is imported when a set is searched, not to detect one
    from .searching import SearchRequest

LABELLED = ("author", "category", "site", "language")  # facets cut at TOP (index.searcher)
TOP = 20
FILTER_OF = {"author": "author", "category": "category", "site": "site", "language": "language"}


@dataclass(slots=True)
class Partition:
    name: str
    db: Any  # an ArchiveDB (anything with .db.execute and .path)
    index_dir: Path


def partition_dirs(folder: Path) -> list[Path] | None:
    """The archives of a partition set, sorted by name; None when `folder` is one archive."""
    folder = Path(folder)
    if (folder / "news.db").exists() or not folder.is_dir():
        return None
    for base in (folder / "partitions", folder):
        if base.is_dir():
            found = sorted(p for p in base.iterdir() if (p / "news.db").is_file())
            if found:
                return found
    return None


class AddressError(ValueError):
    """An article address that names no article of this archive or set; the message says
    which form to use."""


def article_address(partition: str, article_id: int) -> str:
    """How an article of a partition set is named: its partition, a slash, its id."""
    return f"{partition}/{article_id}"


def resolve_address(folder: Path, address: str) -> tuple[Path, int]:
    """The archive folder and article id that `address` names under `folder`.

    On one archive an address is the id; on a partition set it is `PARTITION/ID`, because
    every partition numbers its own articles (a bare id would be ambiguous)."""
    text = address.strip()
    name, _, number = text.rpartition("/")
    if not number.isdigit() or len(number) > 18:
        raise AddressError(f"{address!r} is not an article id: use a number from `search`.")
    dirs = partition_dirs(folder)
    if dirs is None:
        if name:
            raise AddressError(
                f"{address!r} names a partition, but {folder} is one archive: use the id alone."
            )
        return Path(folder), int(number)
    if not name:
        example = article_address(dirs[0].name, int(number))
        raise AddressError(
            f"{folder} is a partition set and ids are per partition: use PARTITION/ID "
            f"(e.g. {example}), as `search` shows them."
        )
    for path in dirs:
        if path.name == name:
            return path, int(number)
    names = ", ".join(p.name for p in dirs[:10])
    raise AddressError(f"There is no partition {name!r} in {folder} (partitions: {names}).")


def _published_key(hit: dict[str, Any]) -> str:
    value = hit.get("published") or ""
    return value + "0000-01-01T00:00:00"[len(value) :] if value else ""


def _merge_hits(per_part: list[list[dict[str, Any]]], sort: str) -> list[dict[str, Any]]:
    """One order over every partition's hits (each list already in its partition's order)."""
    if sort == "relevance":
        return list(heapq.merge(*per_part, key=lambda h: -(h.get("score") or 0.0)))
    dated = [[h for h in hits if h.get("published")] for hits in per_part]
    undated = [h for hits in per_part for h in hits if not h.get("published")]
    if sort == "newest":
        merged = heapq.merge(*dated, key=_published_key, reverse=True)
    else:
        merged = heapq.merge(*dated, key=_published_key)
    return [*merged, *undated]  # undated last either way, as in one archive


def _exact_count(
    part: Partition, request: SearchRequest, field: str, value: str, shown: dict[str, int]
) -> int:
    """Hits of `request` in `part` with `field` = `value`. Filters ignore case, so the
    variants this partition shows (`News` beside `news`) are taken off the filtered total."""
    from .searching import run_search

    filtered = replace(request, limit=1, page=1, facets=False, collapse=False)
    setattr(filtered, FILTER_OF[field], value)
    total = run_search(part.db, part.index_dir, filtered)["total"]
    folded = value.casefold()
    others = sum(n for k, n in shown.items() if k != value and k.casefold() == folded)
    return max(0, total - others)


def _merge_facets(
    parts: list[Partition], results: list[dict[str, Any]], request: SearchRequest
) -> dict[str, dict[str, int]]:
    merged: dict[str, dict[str, int]] = {}
    for field in ("year", "month"):
        total: Counter[str] = Counter()
        for result in results:
            total.update(result["facets"].get(field, {}))
        merged[field] = dict(sorted(total.items()))
    for field in LABELLED:
        known: Counter[str] = Counter()
        for result in results:
            known.update(result["facets"].get(field, {}))
        cut = [i for i, r in enumerate(results) if len(r["facets"].get(field, {})) >= TOP]
        if cut and not getattr(request, FILTER_OF[field]):
            # A value missing from a cut partition may still count there: at most that
            # partition's smallest shown count. Count it exactly where that could matter.
            floor = sorted(known.values(), reverse=True)[TOP - 1] if len(known) >= TOP else 0
            for value in list(known):
                missing = [i for i in cut if value not in results[i]["facets"][field]]
                bound = sum(min(results[i]["facets"][field].values()) for i in missing)
                if missing and known[value] + bound >= floor:
                    for i in missing:
                        shown = results[i]["facets"][field]
                        known[value] += _exact_count(parts[i], request, field, value, shown)
        ranked = sorted(known.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
        merged[field] = dict(ranked[:TOP])
    return {
        name: merged[name] for name in ("author", "category", "site", "language", "year", "month")
    }


def _merge_suggestion(
    parts: list[Partition], query: str, results: list[dict[str, Any]]
) -> str | None:
    offered = [r["suggestion"] for r in results if r["suggestion"]]
    if not offered:
        return None
    from .searching import word_checker

    words = query.split()
    checkers = [word_checker(p.db) for p in parts]
    out = []
    for i, word in enumerate(words):
        options = Counter(
            s.split()[i] for s in offered if len(s.split()) == len(words) and s.split()[i] != word
        )
        bare = word.strip('"()').lower()
        if not options or any(check and check(bare) for check in checkers):
            out.append(word)
        else:
            out.append(options.most_common(1)[0][0])
    corrected = " ".join(out)
    return corrected if corrected != " ".join(words) else None


def search_many(parts: list[Partition], request: SearchRequest) -> dict[str, Any]:
    """`run_search` over every partition, merged into one `search --json` document."""
    from index.errors import QuerySyntaxError

    from .searching import MAX_LIMIT, run_search

    wanted = request.limit * request.page
    if wanted > MAX_LIMIT:
        raise QuerySyntaxError(
            f"page {request.page} of {request.limit} is too deep across {len(parts)} partitions: "
            f"limit times page must be at most {MAX_LIMIT}; narrow the query or use --sort."
        )
    first = replace(request, limit=wanted, page=1)
    results = [run_search(p.db, p.index_dir, first) for p in parts]
    for part, result in zip(parts, results, strict=True):
        for hit in result["hits"]:
            hit["archive"] = part.name
            hit["address"] = article_address(part.name, hit["id"])
    merged = _merge_hits([r["hits"] for r in results], request.sort)
    start = request.limit * (request.page - 1)
    return {
        "query": request.query,
        "total": sum(r["total"] for r in results),
        "page": request.page,
        "limit": request.limit,
        "suggestion": _merge_suggestion(parts, request.query, results),
        "hits": merged[start : start + request.limit],
        "facets": _merge_facets(parts, results, request) if request.facets else {},
        "partitions": [p.name for p in parts],
    }


def stats_many(parts: list[Partition], folder: Path, top: int = 10) -> dict[str, Any]:
    """`archive_stats` of every partition, summed: counts, date span, top facets (exact)."""
    from .stats import archive_stats

    each = [archive_stats(p.db, top=10**9) for p in parts]
    counts: Counter[str] = Counter()
    for data in each:
        counts.update(data["counts"])
    firsts = [d["published"]["first"] for d in each if d["published"]["first"]]
    lasts = [d["published"]["last"] for d in each if d["published"]["last"]]
    out: dict[str, Any] = {
        "archive": str(folder),
        "partitions": {p.name: d["counts"]["articles"] for p, d in zip(parts, each, strict=True)},
        "counts": dict(counts),
        "published": {"first": min(firsts, default=None), "last": max(lasts, default=None)},
    }
    for key in ("authors", "categories", "sites", "languages", "errors"):
        total: Counter[str] = Counter()
        for data in each:
            total.update(data[key])
        ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
        out[key] = dict(ranked[:top])
    years: Counter[str] = Counter()
    for data in each:
        years.update(data["years"])
    out["years"] = dict(sorted(years.items(), reverse=True)[:top])
    return out


def open_partitions(folder: Path, catch_up: bool = True) -> list[Partition]:
    """Every partition of the set at `folder`, opened read-only, its index caught up."""
    from .indexing import ArchiveDB, catch_up_for_reading, index_dir_for

    parts = []
    for path in partition_dirs(folder) or []:
        db = ArchiveDB.open(path)
        if catch_up:
            catch_up_for_reading(db, index_dir_for(path))
        parts.append(Partition(path.name, db, index_dir_for(path)))
    return parts


def search_set(folder: Path, request: SearchRequest) -> dict[str, Any]:
    """`search` on the partition set at `folder` (the CLI's entry point)."""
    return search_many(open_partitions(folder), request)


def stats_set(folder: Path) -> dict[str, Any]:
    """`stats` on the partition set at `folder` (the CLI's entry point)."""
    return stats_many(open_partitions(folder, catch_up=False), folder)
