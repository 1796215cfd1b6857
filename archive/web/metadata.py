"""Datasette metadata generated from the archive itself: titles, descriptions, facets, queries.

Written as data (a dict Datasette reads) so the table page, the canned queries and the Atom feed
describe the archive as it is now: counts and date ranges come from the database, not a file
someone forgets to update.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

DATABASE = "news"  # news.db is served as /news

ARTICLE_COLUMNS = {
    "id": "Article number; the article page is /article/{id}.",
    "title": "Headline as published.",
    "published": "Publication date (YYYY-MM-DD, with a time when the page gave one); empty when unknown, never guessed.",
    "published_year": "Year of publication, for facets.",
    "published_month": "Month of publication (YYYY-MM), for facets and the timeline.",
    "authors": "Bylines, as a JSON array of names (facet it with the array facet).",
    "category": "Section or category the publisher filed the article under.",
    "site": "Publication or site name.",
    "site_id": "The site, as a row of the sites table.",
    "url": "Original address of the article.",
    "url_key": "The URL reduced to what identifies the page (no tracking parameters, no AMP form); used to find the same page twice.",
    "language": "Language of the body (ISO 639-1).",
    "dateline": "Place the story was filed from (the dateline), when there is one.",
    "wire": "News agency credited (AP, Reuters, ...), when there is one.",
    "body": "Article text: paragraphs separated by blank lines, no page furniture.",
    "word_count": "Words in the body.",
    "content_hash": "SHA-256 of the normalized title and body: identical articles share it.",
    "story_id": "Articles that are copies of the same story (syndication) share a story_id.",
    "source_id": "The raw input this article was extracted from (sources table).",
    "first_seen": "When the archive first stored the article (UTC).",
    "updated_at": "When the archive last changed the article (UTC).",
    "version": "How many times the article was updated by a newer copy of the page.",
    "seq": "Change counter of the archive; the search index is up to date when it has seen the highest seq.",
}

TABLES: dict[str, dict[str, Any]] = {
    "authors": {
        "description": "Every byline name, once. article_authors links names to articles.",
        "label_column": "name",
    },
    "article_authors": {
        "description": "Which author wrote which article; position is the order in the byline.",
    },
    "categories": {"description": "Every category or section name, once.", "label_column": "name"},
    "article_categories": {"description": "Which article is filed under which category."},
    "sites": {"description": "Publications the articles come from.", "label_column": "name"},
    "captions": {
        "description": "Image captions of each article, in page order.",
        "sort": "article_id",
    },
    "sources": {
        "description": "Every raw input ingested, with its SHA-256, origin and what became of it "
        "(article, duplicate, update or failed). The bytes are in source_blobs.",
        "sort_desc": "id",
        "facets": ["status", "format"],
    },
    "source_blobs": {
        "description": "Raw input bytes, stored verbatim so any article can be extracted again.",
        "hidden": True,
    },
    "ingest_runs": {
        "description": "One row per ingest command: when, what, and its counts.",
        "sort_desc": "id",
    },
    "ingest_errors": {
        "description": "Inputs that could not be read or extracted, with the reason and what to do.",
        "sort_desc": "id",
        "facets": ["reason"],
    },
    "archive_meta": {"description": "Schema version and the archive's counters.", "hidden": True},
    "removals": {  # issue 19 (ops): `newsarchive remove` audit rows; not for visitors' lists
        "description": "Articles removed with `newsarchive remove`: what, when and why.",
        "hidden": True,
    },
}

QUERIES: dict[str, dict[str, Any]] = {
    "articles_per_month": {
        "title": "Articles per month",
        "description": "How many dated articles the archive holds for each month, newest first.",
        "sql": (
            "select published_month as month, count(*) as articles,\n"
            "  count(distinct site) as sites\n"
            "from articles where published_month is not null\n"
            "group by published_month order by published_month desc"
        ),
    },
    "top_authors": {
        "title": "Top authors",
        "description": "Bylines with the most articles, with the span of their work.",
        "sql": (
            "select authors.name as author, count(*) as articles,\n"
            "  min(articles.published) as first, max(articles.published) as last,\n"
            "  group_concat(distinct articles.site) as sites\n"
            "from article_authors\n"
            "  join authors on authors.id = article_authors.author_id\n"
            "  join articles on articles.id = article_authors.article_id\n"
            "group by authors.id order by articles desc, author limit 100"
        ),
    },
    "articles_by_author": {
        "title": "Articles by author",
        "description": "Every article with this name in its byline, newest first.",
        "sql": (
            "select articles.id, articles.title, articles.published, articles.site,\n"
            "  articles.category, articles.url\n"
            "from articles\n"
            "  join article_authors on article_authors.article_id = articles.id\n"
            "  join authors on authors.id = article_authors.author_id\n"
            "where authors.name = :author\n"
            "order by articles.published desc, articles.id desc"
        ),
    },
    "articles_by_site": {
        "title": "Articles by site",
        "description": "Every article of one site (as named in the sites table), newest first.",
        "sql": (
            "select id, title, published, authors, category, url\n"
            "from articles where site = :site\n"
            "order by published desc, id desc"
        ),
    },
    "syndicated_stories": {
        "title": "Syndicated stories",
        "description": "Stories the archive holds more than one copy of: the same story_id, "
        "or the same text ingested from several inputs.",
        "sql": (
            "select story_id, count(distinct articles.id) as articles,\n"
            "  count(distinct sources.id) as inputs,\n"
            "  group_concat(distinct articles.site) as sites, min(articles.title) as title\n"
            "from articles left join sources on sources.article_id = articles.id\n"
            "group by story_id having articles > 1 or inputs > 1\n"
            "order by inputs desc, articles desc"
        ),
    },
    "story_copies": {
        "title": "Copies of a story",
        "description": "Every copy of the story an article belongs to: articles sharing its "
        "story_id, and every input that carried the same text.",
        "sql": (
            "select articles.id as article, articles.title, articles.site, articles.published,\n"
            "  sources.origin, sources.status, coalesce(sources.url, articles.url) as url\n"
            "from articles left join sources on sources.article_id = articles.id\n"
            "where articles.story_id = (select story_id from articles where id = :article_id)\n"
            "order by articles.published, articles.id, sources.id"
        ),
    },
    "newest": {
        "title": "Newest articles",
        "description": "The 50 articles most recently added to the archive; add .atom to the "
        "address (/news/newest.atom) for an Atom feed.",
        "sql": (
            "select 'tag:newsarchive,2025:article/' || id as atom_id,\n"
            "  title as atom_title,\n"
            "  coalesce(updated_at, first_seen) as atom_updated,\n"
            "  '/article/' || id as atom_link,\n"
            "  authors as atom_author_names,\n"
            "  substr(body, 1, 600) as atom_summary,\n"
            "  published, site, category, url\n"
            "from articles\n"
            "order by first_seen desc, id desc limit 50"
        ),
    },
}


class MetadataError(Exception):
    """A user-supplied metadata file cannot be read; the message names it and the fix."""


def archive_figures(db_path: Path) -> dict[str, Any]:
    """Counts and the date span, read through a read-only connection."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        articles, first, last = conn.execute(
            "select count(*), min(published), max(published) from articles"
        ).fetchone()
        sites = conn.execute("select count(distinct site) from articles").fetchone()[0]
        authors = conn.execute("select count(*) from authors").fetchone()[0]
    finally:
        conn.close()
    return {
        "articles": articles,
        "sites": sites,
        "authors": authors,
        "first": first,
        "last": last,
    }


def describe(figures: dict[str, Any]) -> str:
    n = figures["articles"]
    text = f"{n:,} article{'s' if n != 1 else ''} from {figures['sites']:,} site{'s' if figures['sites'] != 1 else ''}"
    if figures["first"] and figures["last"]:
        text += f", published {figures['first'][:10]} to {figures['last'][:10]}"
    return (
        text + ". Search the full text at /search (filters, facets, timeline) or with the search "
        'box of the articles table (SQLite FTS5: AND, OR, NOT, "phrases", prefix*).'
    )


# tables a reader of the archive uses; every other one (MinHash bands, template lines, the
# archive's counters, raw bytes, tables added later) is hidden from / and /news, still
# reachable by its address and by SQL
VISIBLE_TABLES = frozenset(
    {"articles", "article_versions", "authors", "article_authors", "categories",
     "article_categories", "sites", "captions", "sources", "ingest_runs", "ingest_errors"}
)  # fmt: skip


def internal_tables(db_path: Path) -> list[str]:
    """Tables of the database that are not in VISIBLE_TABLES (FTS shadows Datasette hides)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
    finally:
        conn.close()
    return sorted(n for n in names if n not in VISIBLE_TABLES and not n.startswith("articles_fts"))


def build_metadata(
    db_path: Path, *, public: bool = False, extra: Path | None = None
) -> dict[str, Any]:
    """Metadata for Datasette, generated from the archive at `db_path`."""
    figures = archive_figures(db_path)
    tables: dict[str, Any] = {name: dict(conf) for name, conf in TABLES.items()}
    tables["articles"] = {
        "description": "One row per article: metadata, body and provenance.",
        "columns": ARTICLE_COLUMNS,
        "facets": [
            "category",
            {"lean_array": "authors"},  # Datasette's array facet, cheaper (web/facets.py)
            "site",
            "published_year",
            "published_month",
        ],
        "sortable_columns": [
            "id",
            "title",
            "published",
            "published_year",
            "published_month",
            "site",
            "category",
            "word_count",
            "first_seen",
            "updated_at",
        ],
        "sort_desc": "published",
        "label_column": "title",
        "fts_table": "articles_fts",
        "fts_pk": "id",
        "searchmode": "raw",
    }
    for name in internal_tables(db_path):
        tables.setdefault(name, {})["hidden"] = True
    if public:  # internal bookkeeping adds noise for visitors; it stays reachable by URL
        for name in ("ingest_runs", "ingest_errors", "archive_meta", "source_blobs"):
            tables[name]["hidden"] = True
    metadata: dict[str, Any] = {
        "title": "News archive",
        "description": describe(figures),
        "source": "Publisher pages ingested by newsarchive (raw inputs kept in the sources table)",
        "source_url": f"/{DATABASE}/sources",
        "license": "Articles remain the copyright of their publishers; metadata CC0",
        "about": "newsarchive",
        "databases": {
            DATABASE: {
                "description": describe(figures),
                "tables": tables,
                "queries": {name: dict(q) for name, q in QUERIES.items()},
            }
        },
    }
    if extra is not None:
        metadata = merge(metadata, load_extra(extra))
    return metadata


def build_set_metadata(
    archives: Any, *, public: bool = False, extra: Path | None = None
) -> dict[str, Any]:
    """Metadata for a partition set: each partition's database described as one archive's
    (`news-NAME`), the instance described by the partitions' figures together."""
    databases: dict[str, Any] = {}
    articles = 0
    firsts, lasts = [], []
    for served in archives:
        db_path = served.folder / "news.db"
        one = build_metadata(db_path, public=public)
        entry = one["databases"][DATABASE]
        entry["description"] = f"Partition {served.name}: " + entry["description"]
        databases[served.database] = entry
        figures = archive_figures(db_path)
        articles += figures["articles"]
        firsts += [figures["first"]] if figures["first"] else []
        lasts += [figures["last"]] if figures["last"] else []
    span = f", published {min(firsts)[:10]} to {max(lasts)[:10]}" if firsts and lasts else ""
    description = (
        f"{articles:,} article{'s' if articles != 1 else ''} in {len(databases)} partitions"
        f"{span}. Search them all at /search; each partition is a database of its own."
    )
    first_db = next(iter(databases))
    metadata: dict[str, Any] = {
        "title": "News archive",
        "description": description,
        "source": "Publisher pages ingested by newsarchive (raw inputs kept in the sources table)",
        "source_url": f"/{first_db}/sources",
        "license": "Articles remain the copyright of their publishers; metadata CC0",
        "about": "newsarchive",
        "databases": databases,
    }
    if extra is not None:
        metadata = merge(metadata, load_extra(extra))
    return metadata


def load_extra(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MetadataError(
            f"Cannot read the metadata file {path}: {exc.strerror or exc}."
        ) from exc
    except json.JSONDecodeError as exc:
        raise MetadataError(
            f"The metadata file {path} is not valid JSON ({exc.msg} at line {exc.lineno}); fix it or drop --metadata."
        ) from exc
    if not isinstance(value, dict):
        raise MetadataError(
            f'The metadata file {path} must hold a JSON object, like {{"title": "..."}}.'
        )
    for query in _queries(value):
        if isinstance(query, dict) and query.get("write"):
            raise MetadataError(
                f"The metadata file {path} declares a writable canned query; the archive is "
                'served read-only, so remove "write": true.'
            )
    return value


def _queries(metadata: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    for db in (metadata.get("databases") or {}).values():
        if isinstance(db, dict):
            found.extend((db.get("queries") or {}).values())
    return found


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: values of `extra` win, dicts merge key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
