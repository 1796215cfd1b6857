"""Counts and top facets of the archive, for `newsarchive stats`.

Plain SQL over any connection holder (`ArchiveDB` or `Store`): `stats --json` then starts
without sqlite-utils, which imports numpy (about 200 ms).
"""

from __future__ import annotations

from typing import Any

from .errors_view import count_failed, failed_by_reason

TABLES = (
    "articles",
    "authors",
    "categories",
    "sites",
    "captions",
    "sources",
    "ingest_runs",
    "ingest_errors",
)


def table_counts(db: Any) -> dict[str, int]:
    """Rows per table of the schema (0 for a table an older archive does not have yet)."""
    present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {
        name: db.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0] if name in present else 0
        for name in TABLES
    }


def archive_stats(store: Any, top: int = 10) -> dict[str, Any]:
    """Counts, date span and top facets; `store` is anything with `.db.execute` and `.path`."""
    db = store.db

    def top_of(sql: str) -> dict[str, int]:
        return {str(name): count for name, count in db.execute(sql, [top]).fetchall()}

    return {
        "archive": str(store.path.parent) if store.path else ":memory:",
        "counts": table_counts(db),
        "published": dict(
            zip(
                ("first", "last"),
                db.execute("SELECT min(published), max(published) FROM articles").fetchone(),
                strict=True,
            )
        ),
        "authors": top_of(
            "SELECT a.name, count(*) n FROM article_authors aa JOIN authors a ON a.id = aa.author_id "
            "GROUP BY a.id ORDER BY n DESC, a.name LIMIT ?"
        ),
        "categories": top_of(
            "SELECT category, count(*) n FROM articles WHERE category IS NOT NULL GROUP BY category ORDER BY n DESC, category LIMIT ?"
        ),
        "sites": top_of(
            "SELECT site, count(*) n FROM articles WHERE site IS NOT NULL GROUP BY site ORDER BY n DESC, site LIMIT ?"
        ),
        "years": top_of(
            "SELECT published_year, count(*) n FROM articles WHERE published_year IS NOT NULL GROUP BY published_year ORDER BY published_year DESC LIMIT ?"
        ),
        "languages": top_of(
            "SELECT language, count(*) n FROM articles WHERE language IS NOT NULL GROUP BY language ORDER BY n DESC LIMIT ?"
        ),
        # failed inputs, each once under its latest reason (not one per attempt): issue 19
        "errors": failed_by_reason(db, top),
        "failed_inputs": count_failed(db),
    }


def render_stats(data: dict[str, Any]) -> None:
    """The stats as tables; every value from the archive is escaped (control characters and
    Rich markup print as text: a site named `[link=...]` or holding ESC changes nothing)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from .terminal import safe

    console = Console()
    counts = Table(title=Text(f"Archive {safe(data['archive'])}"), show_header=True)
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name, n in data["counts"].items():
        counts.add_row(name, f"{n:,}")
    console.print(counts)
    first, last = data["published"]["first"], data["published"]["last"]
    if first:
        console.print(Text(f"Published from {safe(first)} to {safe(last)}"))
    if data.get("failed_inputs"):
        console.print(
            f"{data['failed_inputs']:,} input(s) failed (each counted once): see `newsarchive errors`"
        )
    for key in ("sites", "categories", "authors", "years", "languages", "errors"):
        if data[key]:
            table = Table(title=f"Top {key}")
            table.add_column(key[:-1] if key != "categories" else "category")
            table.add_column("articles" if key != "errors" else "inputs", justify="right")
            for name, n in data[key].items():
                table.add_row(Text(safe(name)), f"{n:,}")
            console.print(table)
