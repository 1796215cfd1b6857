"""Site templates for text dumps, learned per site in the archive: the flow in one pass.

A single dump cannot always tell a site's furniture (menus, promos, a newsletter blurb written
as a sentence) from its article; many dumps of the same site can. For each batch:

1. extract: the batch comes extracted, each text dump with its line keys (`PageKeys`);
2. learn: its new dumps are counted into their sites' line counts (`SiteCounts`, kept in
   archive/site_template_tables.py), which give each site's template;
3. re-extract: every page a template marks (`marks`) is extracted again with it, by the
   caller's `ExtractMarked` (on the run's worker pool when it has one).

The counts are written in the batch's own transaction (`learn`). A template that moved marks
its site dirty: `refresh_dirty_sites` extracts the site's archived pages again with it, so
that every page ends extracted with the template of all the site's pages, wherever batches
began or a run was cut. A site with fewer than `MIN_PAGES` dumps has no template and its
pages are extracted on their own evidence. The extraction half (keys, counts, templates)
is ingest/textdump_template.py, plain data and no database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from ingest.decode import decode_bytes
from ingest.errors import IngestError
from ingest.model import RawDocument
from ingest.textdump_template import PageKeys, count_pages, marks, page_keys

from .raw_read import blob_bytes
from .site_template_tables import (
    add_counts,
    dirty_sites,
    ensure_tables,
    has_tables,
    load_counts,
    mark_clean,
    moved_lines,
)
from .store import Extracted, Store, sha256

REFRESH_CHUNK = 200  # archived pages extracted again per call: their bytes are held meanwhile


@dataclass(slots=True)
class ExtractedPage(Extracted):
    """An extracted page with the template keys its extractor already made (text dumps).

    The keys come back from the worker with the article, so the single archive writer counts a
    page into its site's template without decoding and splitting it a second time.
    """

    template_keys: PageKeys | None = None


@dataclass(frozen=True, slots=True)
class MarkedPage:
    """A text dump its site's template marks, to extract again with that template.

    Plain data, so it can go to a worker process. `site` is the site the new extraction
    keeps: the one whose template it is (the first extraction's, or the run's `--site`).
    """

    raw: RawDocument
    site: str
    template: frozenset[str]


# Extracts each marked page again with its template; one result per page, in order.
ExtractMarked = Callable[[list[MarkedPage]], list[Extracted]]


@dataclass(frozen=True, slots=True)
class Learned:
    """What one batch teaches one site: its new pages' counts and how its template moved."""

    site: str
    pages: int  # distinct new dumps
    added: dict[str, int]  # key → how many of them hold it
    template: frozenset[str]  # the template with them counted
    changed: frozenset[str]  # keys that entered or left the template with them


def apply_site_templates(
    store: Store, batch: list[Extracted], extract_marked: ExtractMarked
) -> tuple[list[Extracted], Callable[[], None] | None]:
    """This batch's new text dumps against their sites' templates, in one pass.

    Returns the batch, the pages a template marks extracted again with it, and `learn`,
    which the caller runs inside the batch's own transaction: it adds the pages to the
    counts and, when a site's template changed, marks the site dirty. Counts and pages are
    committed together (a kill between them would count pages twice).
    """
    groups = _new_text_pages(store, batch)  # extracted: the new dumps, by site
    if not groups:
        return batch, None
    ensure_tables(store)
    keys = {p: _line_keys(batch[p]) for positions in groups.values() for p in positions}
    # learn: each site's counts with these pages added, and the template they give
    learned = {
        site: _learn(store, site, batch, positions, keys) for site, positions in groups.items()
    }
    # re-extract: the pages their site's template marks, with that template
    marked = [
        (position, MarkedPage(batch[position].raw, site, learned[site].template))  # type: ignore[arg-type]
        for site, positions in groups.items()
        for position in positions
        if (lines := keys[position]) and marks(lines, learned[site].template)
    ]
    result = list(batch)
    again = extract_marked([page for _, page in marked]) if marked else []
    for (position, _), better in zip(marked, again, strict=True):
        if better.failure is None and better.article is not None:
            result[position] = better

    # the sources archived before this batch: the pages a line moved by it may change
    upto = store.db.execute("SELECT coalesce(max(id), 0) FROM sources").fetchone()[0]

    def learn() -> None:
        for site in learned.values():
            add_counts(store, site.site, site.pages, site.added, site.changed, upto)

    return result, learn


def _new_text_pages(store: Store, batch: list[Extracted]) -> dict[str, list[int]]:
    """Positions of the batch's text dumps not archived yet, by site."""
    groups: dict[str, list[int]] = defaultdict(list)
    for position, item in enumerate(batch):
        raw = item.raw
        if raw is None or item.article is None or raw.format != "text":
            continue
        if not item.article.site_name:
            continue
        seen = store.db.execute(
            "SELECT 1 FROM sources WHERE sha256 = ? AND status != 'failed' LIMIT 1",
            [sha256(raw.data)],
        ).fetchone()
        if seen is None:
            groups[item.article.site_name].append(position)
    return groups


def _line_keys(item: Extracted) -> set[str] | frozenset[str] | None:
    """The page's template line keys: carried from extraction, else made again from its bytes."""
    if isinstance(item, ExtractedPage) and item.template_keys is not None:
        return item.template_keys.lines
    try:
        text = decode_bytes(item.raw.data, item.raw.origin)  # type: ignore[union-attr]
    except IngestError:
        return None
    return page_keys(text)


def _learn(
    store: Store,
    site: str,
    batch: list[Extracted],
    positions: list[int],
    keys: dict[int, set[str] | frozenset[str] | None],
) -> Learned:
    """The site's counts with these pages added (the same bytes count once) and its template."""
    distinct: dict[str, set[str] | frozenset[str]] = {}
    for position in positions:
        if (lines := keys[position]) is not None:
            distinct.setdefault(sha256(batch[position].raw.data), lines)  # type: ignore[union-attr]
    added = count_pages(distinct.values())
    before = load_counts(store, site)
    after = before.plus(len(distinct), added)
    template = after.template()
    return Learned(site, len(distinct), dict(added), template, template ^ before.template())


def refresh_dirty_sites(
    store: Store, extract_marked: ExtractMarked, site: str | None = None
) -> int:
    """Extract again, with its current template, every archived dump of each dirty site that a
    moved line may change (`site`: the run's `--site`, kept by the new extractions).

    An article whose current text came from such a dump gets the new extraction (and a new
    `seq`, so the index follows); a past version that came from one is corrected in place.
    Runs when a run starts (a kill may have left work behind) and when it ends; the
    pages are extracted outside any transaction, their rows written in one. Returns how many
    articles or versions changed.
    """
    if not has_tables(store):
        return 0
    ensure_tables(store)
    changed = 0
    for dirty in dirty_sites(store):
        template = load_counts(store, dirty).template()
        updates = []
        pages = _pages_to_refresh(store, dirty, moved_lines(store, dirty))
        while chunk := list(islice(pages, REFRESH_CHUNK)):
            marked = [MarkedPage(raw, site or dirty, template) for _, raw in chunk]
            for (source_id, raw), item in zip(chunk, extract_marked(marked), strict=True):
                if item.article is not None:
                    updates.append((source_id, item.article, raw.url))
        with store.write_lock(), store.db.atomic():
            for source_id, article, url in updates:
                changed += store.replace_extraction(source_id, article, url)
            mark_clean(store, dirty)
    return changed


def _pages_to_refresh(
    store: Store, site: str, moved: dict[str, int]
) -> Iterator[tuple[int, RawDocument]]:
    """The site's archived text dumps, in source order, that hold a line moved after them."""
    latest = max(moved.values(), default=0)
    for source in store.db.execute(
        "SELECT s.id, s.sha256, s.origin, s.url, s.fetched, s.container, s.article_id"
        " FROM sources s JOIN articles a ON a.id = s.article_id"
        " WHERE s.format = 'text' AND s.status IN ('article', 'update') AND a.site = ?"
        " ORDER BY s.id",
        [site],
    ).fetchall():
        source_id, digest, origin, url, fetched, container, _article_id = source
        data = blob_bytes(store.db, digest)
        if data is None:
            continue
        if moved:
            # only lines that moved after the page was archived can change it, and a page
            # holding none of them extracts as before
            if source_id > latest:
                continue
            try:
                keys = page_keys(decode_bytes(data, origin))
            except IngestError:
                continue
            if not any(moved.get(key, 0) >= source_id for key in keys):
                continue
        yield source_id, RawDocument(origin, data, "text", url, fetched, None, container)
