"""The Whoosh schema, shaped by measurements (TRAPS.md, issue 5).

- Only `id` and `hash` are stored: hits are rendered from SQLite (title, url, body for
  snippets), so the index stays small and the body is never duplicated.
- `title` and `body` are stemmed with `spelling=True`, so did-you-mean suggestions are whole
  words, not stems. No stop list: a stop list renumbers positions, so a phrase like
  "state of the union" would also match "state union" (regression-tested).
- `authors` is a comma-separated KEYWORD with term vectors: author facets were 13x faster.
- `category` and `site` are sortable IDs (column-backed facets); `year` and `month` are
  numeric sortable fields because a FieldFacet on a number was 150x faster than a
  DateRangeFacet; `published` is a sortable DATETIME for date sorting and ranges.
- `undated` (0/1) lets "oldest first" put articles without a date last.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema

SCHEMA_VERSION = "1"

# Field names a user may type in a query (`author:` is an alias of `authors`).
QUERY_FIELDS = (
    "title",
    "body",
    "authors",
    "category",
    "site",
    "language",
    "published",
    "year",
    "month",
)
FIELD_ALIASES = {"author": "authors", "date": "published", "lang": "language"}


def text_analyzer():  # type: ignore[no-untyped-def]
    return StemmingAnalyzer(stoplist=None, minsize=1)


def build_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        hash=ID(stored=True),
        title=TEXT(analyzer=text_analyzer(), spelling=True, field_boost=2.0),
        body=TEXT(analyzer=text_analyzer(), spelling=True),
        authors=KEYWORD(commas=True, vector=True, scorable=True),
        category=ID(sortable=True),
        site=ID(sortable=True),
        language=ID,
        published=DATETIME(sortable=True),
        undated=NUMERIC(int, bits=8, sortable=True),
        year=NUMERIC(int, sortable=True),
        month=NUMERIC(int, sortable=True),  # yyyymm, shown as "yyyy-mm"
    )


def parse_published(value: str | None) -> datetime | None:
    """An archive date ("2025-08-01" or "2025-08-01T10:00:00[+02:00]") as a naive datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return parsed.replace(tzinfo=None)


def authors_list(value: Any) -> list[str]:
    """The `authors` column holds a JSON array; tolerate a plain list too."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value] if value else []
    if not isinstance(value, list | tuple):
        return []
    return [str(name) for name in value if name]


def document(row: dict[str, Any]) -> dict[str, Any]:
    """The Whoosh document for one archive row (a plain dict: id, title, body, authors, ...)."""
    doc: dict[str, Any] = {
        "id": str(row["id"]),
        "hash": row.get("content_hash") or "",
        "title": row.get("title") or "",
        "body": row.get("body") or "",
    }
    # Commas separate KEYWORD values, so a comma inside a name ("Smith, Jr.") becomes a space.
    names = [" ".join(name.replace(",", " ").split()) for name in authors_list(row.get("authors"))]
    if names:
        doc["authors"] = ",".join(dict.fromkeys(n for n in names if n))
    for field in ("category", "site", "language"):
        if row.get(field):
            doc[field] = str(row[field])
    published = parse_published(row.get("published"))
    doc["undated"] = 0 if published else 1
    if published:
        doc["published"] = published
        doc["year"] = published.year
        doc["month"] = published.year * 100 + published.month
    return doc
