"""The site-template tables: per site, how many text dumps hold each line, and what to redo.

`site_templates` (site, pages, dirty) and `site_template_lines` (site, key, pages) hold the
counts a template is learned from (`ingest.textdump_template.SiteCounts`); `dirty` and
`site_template_dirty` (site, key, upto) say which archived pages a moved template line may
change, so that they are extracted again (archive/site_templates.py runs that flow).
"""

from __future__ import annotations

from collections.abc import Mapping

from ingest.textdump_template import SiteCounts

from .store import Store

PRUNE_EVERY = 100  # pages of a site between prunings of lines seen on one page only
_UPSERT_ROWS = 300  # rows per INSERT: 900 parameters, under SQLite's historical limit of 999


def has_tables(store: Store) -> bool:
    return "site_templates" in store.db.table_names()


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


def load_counts(store: Store, site: str) -> SiteCounts:
    """The site's counts as committed (no pages, no lines for a site never seen)."""
    db = store.db
    row = db.execute("SELECT pages FROM site_templates WHERE site = ?", [site]).fetchone()
    lines = dict(
        db.execute("SELECT key, pages FROM site_template_lines WHERE site = ?", [site]).fetchall()
    )
    return SiteCounts(row[0] if row else 0, lines)


def add_counts(
    store: Store,
    site: str,
    pages: int,
    added: Mapping[str, int],
    changed: frozenset[str],
    upto: int,
) -> None:
    """Count `pages` more dumps of `site` holding the `added` keys; mark the site dirty when
    its template `changed` (the moved keys, with `upto`: the last source archived before).

    Runs inside the caller's transaction: counts and the pages counted commit together.
    """
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


def dirty_sites(store: Store) -> list[str]:
    return [
        site
        for (site,) in store.db.execute(
            "SELECT site FROM site_templates WHERE dirty = 1 ORDER BY site"
        ).fetchall()
    ]


def moved_lines(store: Store, site: str) -> dict[str, int]:
    """The keys that entered or left the site's template since its last refresh, each with
    the last source archived before it moved."""
    return dict(
        store.db.execute(
            "SELECT key, upto FROM site_template_dirty WHERE site = ?", [site]
        ).fetchall()
    )


def mark_clean(store: Store, site: str) -> None:
    """The site's archived pages are extracted with its current template (in a transaction)."""
    store.db.execute("UPDATE site_templates SET dirty = 0 WHERE site = ?", [site])
    store.db.execute("DELETE FROM site_template_dirty WHERE site = ?", [site])
