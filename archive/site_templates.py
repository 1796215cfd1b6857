"""Site templates for text dumps, remembered per site in the archive.

A single dump cannot always tell a site's furniture (menus, promos, a newsletter blurb written
as a sentence) from its article; many dumps of the same site can. For every new text dump we
count, per site, how many dumps hold each short line (`site_template_lines`), and re-extract a
page with its site's template when the template marks lines of that page. Counts accumulate
across batches and runs, so the template keeps learning; a site with fewer than `MIN_PAGES`
dumps has no template and its pages are extracted on their own evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ingest.decode import decode_bytes
from ingest.errors import IngestError
from ingest.textdump_template import PageKeys, article_keys, page_keys, template_from_counts

from .store import Extracted, Store, sha256

MIN_PAGES = 3
PRUNE_EVERY = 100  # pages of a site between prunings of lines seen on one page only
_UPSERT_ROWS = 300  # rows per INSERT: 900 parameters, under SQLite's historical limit of 999

Reextract = Callable[[Extracted, frozenset[str]], Extracted | None]


@dataclass(slots=True)
class ExtractedPage(Extracted):
    """An extracted page with the template keys its extractor already made (text dumps).

    The keys come back from the worker with the article, so the single archive writer counts a
    page into its site's template without decoding and splitting it a second time.
    """

    template_keys: PageKeys | None = None


def _carried(item: Extracted) -> PageKeys | None:
    return item.template_keys if isinstance(item, ExtractedPage) else None


def _line_keys(item: Extracted) -> set[str] | frozenset[str] | None:
    """The page's template line keys: carried from extraction, else made again from its bytes."""
    if (carried := _carried(item)) is not None:
        return carried.lines
    try:
        text = decode_bytes(item.raw.data, item.raw.origin)  # type: ignore[union-attr]
    except IngestError:
        return None
    return page_keys(text)


def ensure_tables(store: Store) -> None:
    db = store.db
    if "site_templates" not in db.table_names():
        with store.write_lock(), db.atomic():
            if "site_templates" in db.table_names():  # created by another process meanwhile
                return
            db["site_templates"].create({"site": str, "pages": int}, pk="site")
            db["site_template_lines"].create(
                {"site": str, "key": str, "pages": int}, pk=("site", "key")
            )


def _is_new_text_page(store: Store, item: Extracted) -> bool:
    raw = item.raw
    if raw is None or item.article is None or raw.format != "text" or not item.article.site_name:
        return False
    seen = store.db.execute(
        "SELECT 1 FROM sources WHERE sha256 = ? AND status != 'failed' LIMIT 1", [sha256(raw.data)]
    ).fetchone()
    return seen is None


def apply_site_templates(
    store: Store, batch: list[Extracted], reextract: Reextract
) -> list[Extracted]:
    """Count this batch's new text dumps into their sites' templates; re-extract pages they mark."""
    groups: dict[str, list[tuple[int, set[str] | frozenset[str]]]] = defaultdict(list)
    for position, item in enumerate(batch):
        if not _is_new_text_page(store, item):
            continue
        keys = _line_keys(item)
        if keys is not None:
            groups[item.article.site_name].append((position, keys))  # type: ignore[union-attr,index]
    if not groups:
        return batch
    ensure_tables(store)
    templates: dict[str, frozenset[str]] = {}
    # BEGIN IMMEDIATE: this transaction reads counts before it writes them (see Store.write_lock)
    with store.write_lock(), store.db.atomic():
        for site, pages in groups.items():
            templates[site] = _count_and_learn(store, site, [keys for _, keys in pages])
    result = list(batch)  # re-extraction runs outside the transaction: it holds no lock
    for site, pages in groups.items():
        template = templates[site]
        if not template:
            continue
        for position, _keys in pages:
            article = batch[position].article
            carried = _carried(batch[position])
            if carried is not None:
                kept: set[str] | frozenset[str] = carried.kept
            else:
                kept = article_keys(article.body, article.title, article.captions)  # type: ignore[union-attr]
            if kept & template:  # otherwise the template would give the same article
                better = reextract(batch[position], template)
                if better is not None and better.article is not None:
                    result[position] = better
    return result


def _count_and_learn(
    store: Store, site: str, pages: list[set[str] | frozenset[str]]
) -> frozenset[str]:
    db = store.db
    row = db.execute("SELECT pages FROM site_templates WHERE site = ?", [site]).fetchone()
    before = row[0] if row else 0
    total = before + len(pages)
    db.execute("INSERT OR REPLACE INTO site_templates (site, pages) VALUES (?, ?)", [site, total])
    batch_counts: dict[str, int] = defaultdict(int)
    for keys in pages:
        for key in keys:
            batch_counts[key] += 1
    # One statement per chunk adds this batch's counts and returns the new totals (RETURNING):
    # no second query to read back what was just written.
    counts: dict[str, int] = {}
    rows = [(site, key, n) for key, n in batch_counts.items()]
    for start in range(0, len(rows), _UPSERT_ROWS):
        chunk = rows[start : start + _UPSERT_ROWS]
        counts.update(
            db.conn.execute(
                "INSERT INTO site_template_lines (site, key, pages) VALUES "
                + ",".join(["(?, ?, ?)"] * len(chunk))
                + " ON CONFLICT (site, key) DO UPDATE SET pages = pages + excluded.pages"
                " RETURNING key, pages",
                [value for row in chunk for value in row],
            ).fetchall()
        )
    if before // PRUNE_EVERY != total // PRUNE_EVERY:
        # what this drops was counted on one page only: never a template line (MIN_PAGES >= 2)
        db.execute("DELETE FROM site_template_lines WHERE site = ? AND pages < 2", [site])
    return template_from_counts(counts, total, MIN_PAGES)
