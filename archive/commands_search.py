"""Search-side commands (search, show, similar, timeline, verify, reindex), registered on the app.

They open the archive with plain sqlite3 (`ArchiveDB`) and import Whoosh only: `search --json`
starts without sqlite-utils, pydantic, rich or datasette (numpy only for a query reading many
postings, see index/dense.py; tests/test_cli_startup.py checks the rest). Every command but
`verify` first catches the index up with the archive (repairing a crash between the two commits).
"""

# No `from __future__ import annotations` here: see archive/cli.py (start-up time).
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from .cli_common import JsonOption, archive_dir, fail, print_json
from .terminal import safe, safe_text

CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV on stdout instead of a table.")]
HIT_FIELDS = ("id", "title", "published", "authors", "category", "site", "url", "score", "snippet")


def _open(  # type: ignore[no-untyped-def]
    ctx: typer.Context, *, catch_up: bool = True, folder: Path | None = None
):
    """The archive (or the partition `folder` of a set) and its index folder, with the index
    caught up; errors exit with one line."""
    from index.errors import IndexError_

    from .indexing import ArchiveDB, ArchiveMissing, catch_up_for_reading, index_dir_for

    folder = folder or archive_dir(ctx)
    try:
        db = ArchiveDB.open(folder)
    except ArchiveMissing as exc:
        raise fail(str(exc)) from None
    index_dir = index_dir_for(folder)
    if catch_up:
        try:
            catch_up_for_reading(db, index_dir)
        except IndexError_ as exc:
            raise fail(str(exc)) from None
    return db, index_dir


def _guard(call: Callable[[], Any]) -> Any:
    """Run a library call, turning our named exceptions into one line and an exit code."""
    from index.errors import IndexError_, QueryError

    from .searching import ArticleNotFound

    try:
        return call()
    except QueryError as exc:
        raise fail(str(exc), code=2) from None
    except (IndexError_, ArticleNotFound) as exc:
        raise fail(str(exc)) from None


def _check_output(json_out: bool, csv_out: bool) -> None:
    if json_out and csv_out:
        raise fail("--json and --csv are exclusive: choose one.", code=2)


def _plain(snippet: str) -> str:
    from index.snippets import split_marks

    return "".join(text for text, _ in split_marks(snippet))


def _write_csv(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> None:
    import csv

    out = csv.DictWriter(sys.stdout, fieldnames=list(fields), extrasaction="ignore")
    out.writeheader()
    for row in rows:
        flat = dict(row)
        if "authors" in flat:
            flat["authors"] = "; ".join(flat["authors"] or [])
        if "snippet" in flat:
            flat["snippet"] = _plain(flat["snippet"])
        out.writerow(flat)


def _hits_table(hits: list[dict[str, Any]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from index.snippets import split_marks

    table = Table(title=Text(safe(title)), show_lines=True, title_justify="left")
    table.add_column("id", justify="right", no_wrap=True)  # PARTITION/ID on a set
    table.add_column("article", ratio=2)
    table.add_column("snippet", ratio=3)
    for hit in hits:
        head = Text(safe(hit["title"] or "(untitled)"), style="bold")
        meta = " · ".join(
            str(v)
            for v in (
                (hit["published"] or "")[:10],
                ", ".join(hit["authors"][:3]),
                hit["site"],
                hit["category"],
            )
            if v
        )
        if meta:
            head.append("\n" + safe(meta), style="dim")
        if "copies" in hit and hit["copies"] > 1:
            head.append(f"\n{hit['copies']} copies", style="italic")
        snippet = Text()
        for text, marked in split_marks(hit["snippet"]):
            snippet.append(safe(text), style="bold reverse" if marked else None)
        table.add_row(str(hit.get("address") or hit["id"]), head, snippet)
    Console().print(table)


def _facets_tables(facets: dict[str, dict[str, int]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    for name, counts in facets.items():
        if not counts:
            continue
        table = Table(title=f"{name}", title_justify="left")
        table.add_column(name)
        table.add_column("articles", justify="right")
        for key, count in counts.items():
            table.add_row(Text(safe(key)), str(count))
        console.print(table)


# The filters shared by search and timeline, declared once.
AuthorFilter = Annotated[
    list[str] | None,
    typer.Option("--author", help="Only articles by this author (repeat for any of several)."),
]
CategoryFilter = Annotated[
    list[str] | None,
    typer.Option("--category", help="Only articles in this category (repeatable)."),
]
SiteFilter = Annotated[
    list[str] | None, typer.Option("--site", help="Only articles from this site (repeatable).")
]
LanguageFilter = Annotated[
    list[str] | None,
    typer.Option(
        "--language",
        help="Only articles in this language, an ISO code such as en, ja (repeatable).",
    ),
]
SinceFilter = Annotated[
    str | None, typer.Option("--since", help="Published on or after: 2024, 2024-05 or 2024-05-31.")
]
UntilFilter = Annotated[
    str | None,
    typer.Option(
        "--until", help="Published on or before (inclusive): 2024, 2024-05 or 2024-05-31."
    ),
]


def search(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help='Whoosh query: words, AND/OR/NOT, "phrases", field:value, ranges.')
    ],
    author: AuthorFilter = None,
    category: CategoryFilter = None,
    site: SiteFilter = None,
    language: LanguageFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    sort: Annotated[str, typer.Option("--sort", help="relevance, newest or oldest.")] = "relevance",
    limit: Annotated[int, typer.Option("--limit", "-n", help="Hits per page (1-1000).")] = 20,
    page: Annotated[int, typer.Option("--page", help="Page number, from 1.")] = 1,
    facets: Annotated[
        bool,
        typer.Option(
            "--facets",
            help="Add counts by author, category, site, language, year and month over all hits.",
        ),
    ] = False,
    collapse: Annotated[
        bool,
        typer.Option(
            "--collapse", help="One hit per story: syndicated copies folded, with a copies count."
        ),
    ] = False,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
) -> None:
    """Full-text search with filters, facets and highlighted snippets.

    Words are found in every language: Chinese, Japanese and Korean by overlapping pairs of
    characters, 15 languages by their stems (a Russian word finds its other forms too).
    Query syntax: words are ANDed; OR, NOT and parentheses combine them; "exact phrases";
    field:value on title, body, author, category, site, language, year, month; ranges such
    as published:[2024 to 2025]; prefixes such as elect* (at least 2 letters first).
    Exit 2 for a malformed or too broad query, 1 for a missing archive or broken index.

    Example:
        newsarchive search "space station" --facets
        newsarchive search 'climate AND NOT "carbon tax"' --since 2019 --sort newest --json
        newsarchive search "election" --author "Jane Doe" --category Politics --csv
        newsarchive search 書籍 --language ja --facets
    """
    from .searching import SearchRequest, run_search

    _check_output(json_out, csv_out)
    request = SearchRequest(
        query=query,
        author=author or None,
        category=category or None,
        site=site or None,
        language=language or None,
        since=since,
        until=until,
        sort=sort,
        limit=limit,
        page=page,
        facets=facets,
        collapse=collapse,
    )
    from .partitions import partition_dirs

    if partition_dirs(archive_dir(ctx)) is not None:  # several archives (archive/partitions.py)
        from .partitions import search_set

        result = _guard(lambda: search_set(archive_dir(ctx), request))
    else:
        db, index_dir = _open(ctx)
        result = _guard(lambda: run_search(db, index_dir, request))
    if json_out:
        print_json(result)
        return
    fields = (*HIT_FIELDS, "copies") if collapse else HIT_FIELDS
    if csv_out:
        _write_csv(result["hits"], fields)
        return
    if result["suggestion"]:
        typer.echo(f"Did you mean: {safe(result['suggestion'])}", err=True)
    first = (page - 1) * limit + 1
    shown = f"{first}-{first + len(result['hits']) - 1} of " if result["hits"] else ""
    noun = "stories" if collapse else "articles"
    _hits_table(result["hits"], f"{shown}{result['total']} {noun} for {query!r}")
    if facets:
        _facets_tables(result["facets"])


def _address(ctx: typer.Context, address: str) -> tuple[Path, int]:
    """The archive folder and id an ID argument names (PARTITION/ID on a partition set)."""
    from .partitions import AddressError, resolve_address

    try:
        return resolve_address(archive_dir(ctx), address)
    except AddressError as exc:
        raise fail(str(exc)) from None


def show(
    ctx: typer.Context,
    address: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Article id from search (PARTITION/ID on a partition set)."
        ),
    ],
    versions: Annotated[
        bool, typer.Option("--versions", help="Add every version with a word diff (as `history`).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """One article in full: metadata, body, captions, its sources, story copies and versions.

    Example:
        newsarchive show 42
        newsarchive show 42 --versions
        newsarchive show 42 --json
        newsarchive --archive backfill show 2019/12
    """
    from .searching import get_article

    folder, article_id = _address(ctx, address)
    db, _ = _open(ctx, catch_up=False, folder=folder)
    article = get_article(db, article_id)
    if article is None:
        raise fail(
            f"There is no article {article_id} in the archive: find ids with `newsarchive search`."
        )
    # --- issue 19 (ops): sources, story copies and versions (archive/article_history.py)
    from .article_history import show_extras

    extras = show_extras(db.db, article_id, diffs=versions)
    if json_out:
        print_json({**article, **extras})
        return
    # ---
    lines = [f"# {safe(article['title'] or '(untitled)')}", ""]
    for label, key in (
        ("By", "authors"),
        ("Published", "published"),
        ("Category", "category"),
        ("Site", "site"),
        ("URL", "url"),
        ("Language", "language"),
        ("Dateline", "dateline"),
        ("Wire", "wire"),
    ):
        value = article.get(key)
        if value:
            shown = ", ".join(value) if isinstance(value, list) else value
            lines.append(f"{label}: {safe(shown)}")
    lines += ["", safe_text(article.get("body") or "")]
    lines += [f"[caption] {safe(c)}" for c in article.get("captions") or []]
    typer.echo("\n".join(lines))
    # --- issue 19 (ops)
    from .article_history import render_extras

    typer.echo(safe_text(render_extras(extras)))
    # ---


def similar(
    ctx: typer.Context,
    address: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Article id to find look-alikes of (PARTITION/ID on a set)."
        ),
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="How many similar articles (1-1000).")
    ] = 10,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
) -> None:
    """Articles similar to one article (more like this, on its key terms).

    Example:
        newsarchive similar 42
        newsarchive similar 42 --limit 5 --json
    """
    from .searching import similar as find_similar

    _check_output(json_out, csv_out)
    folder, article_id = _address(ctx, address)
    db, index_dir = _open(ctx, folder=folder)
    result = _guard(lambda: find_similar(db, index_dir, article_id, limit))
    if folder != archive_dir(ctx):  # a partition of a set: name hits as the set does
        from .partitions import article_address

        for hit in result["hits"]:
            hit["archive"] = folder.name
            hit["address"] = article_address(folder.name, hit["id"])
    if json_out:
        print_json(result)
    elif csv_out:
        _write_csv(result["hits"], HIT_FIELDS)
    else:
        _hits_table(result["hits"], f"Articles like {address}: {result['title'] or '(untitled)'}")


def timeline(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Query, same syntax as search.")],
    interval: Annotated[str, typer.Option("--interval", help="year or month.")] = "year",
    author: AuthorFilter = None,
    category: CategoryFilter = None,
    site: SiteFilter = None,
    language: LanguageFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
) -> None:
    """Attention over time: matching articles per year or month and their share of all articles.

    The share is of all dated articles of the period that pass the same filters.

    Example:
        newsarchive timeline "climate" --interval year
        newsarchive timeline "election" --interval month --site "Example Times" --csv
    """
    from .searching import Filters
    from .searching import timeline as run_timeline

    _check_output(json_out, csv_out)
    db, index_dir = _open(ctx)
    filters = Filters(
        authors=author or [],
        categories=category or [],
        sites=site or [],
        languages=language or [],
        since=since,
        until=until,
    )
    rows = _guard(lambda: run_timeline(db, index_dir, query, filters, interval))
    if json_out:
        print_json(rows)
    elif csv_out:
        _write_csv(rows, ("period", "count", "total", "share"))
    else:
        _draw_bars(rows, query)


def _draw_bars(rows: list[dict[str, Any]], query: str, width: int = 40) -> None:
    if not rows:
        typer.echo(f"No dated articles to draw a timeline for {query!r}.")
        return
    top = max(r["share"] for r in rows) or 1.0
    typer.echo(f"Share of articles matching {query!r} per period:")
    for r in rows:
        cells = r["share"] / top * width
        bar = "█" * int(cells) + ("▌" if cells - int(cells) >= 0.5 else "")
        typer.echo(
            f"{r['period']:>7}  {bar:<{width + 1}} {r['count']:>6} / {r['total']:<6} {r['share'] * 100:5.1f}%"
        )


def verify(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """Check that the search index matches the archive: ids and content hashes.

    Reports articles missing from the index, indexed articles no longer in the archive,
    articles indexed with old content or more than once, and an unreadable index. Looks at the
    index as it is (no catch-up first). Exit 0 when they agree, 1 otherwise.

    Example:
        newsarchive verify
        newsarchive verify --json
    """
    from .index_verify import verify as run_verify

    db, index_dir = _open(ctx, catch_up=False)
    report = run_verify(db, index_dir)
    if json_out:
        print_json(report.to_dict())
    elif report.ok:
        typer.echo(
            f"OK: the index holds all {report.articles} articles with current content "
            f"(watermark {report.watermark} of {report.head})."
        )
    for line in report.problems():
        typer.echo(line, err=True)
    raise typer.Exit(code=0 if report.ok else 1)


def reindex(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """Rebuild the search index from the archive, then swap it in.

    The old index keeps answering searches until the new one is complete; an interrupted
    rebuild leaves the old index in place.

    Example:
        newsarchive reindex
    """
    import time

    from index.errors import IndexError_

    from .indexing import reindex as run_reindex

    db, index_dir = _open(ctx, catch_up=False)
    started = time.perf_counter()
    try:
        count = run_reindex(db, index_dir)
    except IndexError_ as exc:
        raise fail(str(exc)) from None
    seconds = time.perf_counter() - started
    if json_out:
        print_json({"indexed": count, "seconds": round(seconds, 2), "index": str(index_dir)})
    else:
        typer.echo(f"Reindexed {count} articles into {index_dir} in {seconds:.1f} s.", err=True)
