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
from ingest.model import RawDocument
from ingest.textdump_template import PageKeys, page_keys, template_from_counts

from .raw_read import blob_bytes
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
    tables = set(db.table_names())
    if "site_templates" in tables and "dirty" in db["site_templates"].columns_dict:
        return
    with store.write_lock(), db.atomic():
        tables = set(db.table_names())
        if "site_templates" not in tables:  # (another process may have created it meanwhile)
            db["site_templates"].create({"site": str, "pages": int}, pk="site")
            db["site_template_lines"].create(
                {"site": str, "key": str, "pages": int}, pk=("site", "key")
            )
        if "dirty" not in db["site_templates"].columns_dict:
            # 1 while archived pages of the site wait to be extracted again with its template
            db["site_templates"].add_column("dirty", int, not_null_default=0)
            # the lines that entered or left the template since: only pages holding one of
            # them can extract differently
            # `upto`: the last source archived before the batch that moved the line; pages
            # archived after it were extracted with the line where it is now
            db["site_template_dirty"].create(
                {"site": str, "key": str, "upto": int}, pk=("site", "key")
            )


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


def _site_counts(store: Store, site: str) -> tuple[int, dict[str, int]]:
    row = store.db.execute("SELECT pages FROM site_templates WHERE site = ?", [site]).fetchone()
    counts = dict(
        store.db.execute(
            "SELECT key, pages FROM site_template_lines WHERE site = ?", [site]
        ).fetchall()
    )
    return (row[0] if row else 0), counts


def apply_site_templates(
    store: Store, batch: list[Extracted], reextract: Reextract
) -> tuple[list[Extracted], Callable[[], None] | None]:
    """This batch's new text dumps against their sites' templates.

    Returns the batch (pages the template marks extracted again with it) and `learn`, which
    the caller runs inside the batch's own transaction: it adds the pages to the counts and,
    when a site's template changed, marks the site dirty, so that `refresh_dirty_sites`
    extracts its archived pages again. Counts and pages are committed together (a kill
    between them would count pages twice), and every page ends extracted with the template
    of all the site's pages, wherever the batches began or a run was cut.
    """
    groups = _new_text_pages(store, batch)
    if not groups:
        return batch, None
    ensure_tables(store)
    result = list(batch)
    plans: list[tuple[str, int, dict[str, int], frozenset[str]]] = []
    for site, positions in groups.items():
        before, counts = _site_counts(store, site)
        distinct: dict[str, set[str] | frozenset[str]] = {}  # the same bytes count once
        for position in positions:
            keys = _line_keys(batch[position])
            if keys is not None:
                distinct.setdefault(sha256(batch[position].raw.data), keys)  # type: ignore[union-attr]
        added: dict[str, int] = defaultdict(int)
        for keys in distinct.values():
            for key in keys:
                added[key] += 1
        old_template = template_from_counts(counts, before, MIN_PAGES)
        for key, n in added.items():
            counts[key] = counts.get(key, 0) + n
        total = before + len(distinct)
        template = template_from_counts(counts, total, MIN_PAGES)
        plans.append((site, len(distinct), dict(added), template ^ old_template))
        if not template:
            continue
        for position in positions:
            # A template line anywhere on the page can change its extraction (it rescores its
            # neighbours), not only one the article kept: testing the kept lines alone made a
            # page's text depend on whether a later batch's refresh happened to reach it.
            lines = _line_keys(batch[position])
            if lines and lines & template:  # otherwise the template gives the same article
                better = reextract(batch[position], template)
                if better is not None and better.article is not None:
                    result[position] = better

    # the sources archived before this batch: the pages a line moved by it may change
    upto = store.db.execute("SELECT coalesce(max(id), 0) FROM sources").fetchone()[0]

    def learn() -> None:
        for site, pages, added, changed in plans:
            _add_counts(store, site, pages, added, changed, upto)

    return result, learn


def _add_counts(
    store: Store,
    site: str,
    pages: int,
    added: dict[str, int],
    changed: frozenset[str],
    upto: int,
) -> None:
    db = store.db
    row = db.execute("SELECT pages, dirty FROM site_templates WHERE site = ?", [site]).fetchone()
    before = row[0] if row else 0
    total = before + pages
    db.execute(
        "INSERT OR REPLACE INTO site_templates (site, pages, dirty) VALUES (?, ?, ?)",
        [site, total, int(bool(changed) or bool(row and row[1]))],
    )
    db.conn.executemany(
        "INSERT INTO site_template_dirty (site, key, upto) VALUES (?, ?, ?)"
        " ON CONFLICT (site, key) DO UPDATE SET upto = max(upto, excluded.upto)",
        [(site, key, upto) for key in changed],
    )
    rows = [(site, key, n) for key, n in added.items()]
    for start in range(0, len(rows), _UPSERT_ROWS):
        chunk = rows[start : start + _UPSERT_ROWS]
        db.conn.execute(
            "INSERT INTO site_template_lines (site, key, pages) VALUES "
            + ",".join(["(?, ?, ?)"] * len(chunk))
            + " ON CONFLICT (site, key) DO UPDATE SET pages = pages + excluded.pages",
            [value for row in chunk for value in row],
        )
    if before // PRUNE_EVERY != total // PRUNE_EVERY:
        # what this drops was counted on one page only: never a template line (MIN_PAGES >= 2)
        db.execute("DELETE FROM site_template_lines WHERE site = ? AND pages < 2", [site])


Extract = Callable[[RawDocument, str, frozenset[str]], Extracted]


def refresh_dirty_sites(store: Store, extract: Extract) -> int:
    """Extract again, with its current template, every archived dump of each dirty site.

    An article whose current text came from such a dump gets the new extraction (and a new
    `seq`, so the index follows); a past version that came from one is corrected in place.
    Runs when a run starts (a kill may have left work behind) and when it ends; the
    pages are extracted outside any transaction, their rows written in one. Returns how many
    articles or versions changed.
    """
    if "site_templates" not in store.db.table_names():
        return 0
    ensure_tables(store)
    changed = 0
    for (site,) in store.db.execute(
        "SELECT site FROM site_templates WHERE dirty = 1 ORDER BY site"
    ).fetchall():
        before, counts = _site_counts(store, site)
        template = template_from_counts(counts, before, MIN_PAGES)
        moved = dict(
            store.db.execute(
                "SELECT key, upto FROM site_template_dirty WHERE site = ?", [site]
            ).fetchall()
        )
        latest = max(moved.values(), default=0)
        updates = []
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
            raw = RawDocument(origin, data, "text", url, fetched, None, container)
            item = extract(raw, site, template)
            if item.article is not None:
                updates.append((source_id, item.article, url))
        with store.write_lock(), store.db.atomic():
            for source_id, article, url in updates:
                changed += store.replace_extraction(source_id, article, url)
            store.db.execute("UPDATE site_templates SET dirty = 0 WHERE site = ?", [site])
            store.db.execute("DELETE FROM site_template_dirty WHERE site = ?", [site])
    return changed
