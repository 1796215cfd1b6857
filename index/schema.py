"""The Whoosh schema, shaped by measurements (TRAPS.md, issues 5 and 8; bench/README.md).

- Only `id` and `hash` are stored: hits are rendered from SQLite (title, url, body for
  snippets), so the index stays small and the body is never duplicated.
- `title` and `body` are stemmed, with positions (phrases). No `spelling=True`: the separate
  spelling words doubled the postings and cost 40% of the build; did-you-mean turns stems
  back into words instead (`index.spelling`). No stop list: a stop list renumbers
  positions, so "state of the union" would also match "state union" (regression-tested).
- `authors` is a comma-separated KEYWORD (filters, `author:` queries); no term vectors.
- Facets, date filters and date sorting read per-document columns in bulk, never postings
  (`index.columns`): `category` and `site` keep a RefBytes column (a small list of distinct
  values and one number per document), `c_authors` holds the names joined by U+001F,
  `c_when` the publication time in seconds since 0001-01-01 (0 when undated) and `c_month`
  yyyymm (0 when undated). `published`, `year` and `month` stay indexed for typed queries
  such as published:[2024 to 2025] or year:2024.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from whoosh.analysis import StemmingAnalyzer
from whoosh.columns import NumericColumn, RefBytesColumn, VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema

SCHEMA_VERSION = "2"
AUTHOR_SEP = "\x1f"  # joins names in the c_authors column; never inside a name

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
        title=TEXT(analyzer=text_analyzer(), field_boost=2.0),
        body=TEXT(analyzer=text_analyzer()),
        authors=KEYWORD(commas=True, scorable=True),
        category=ID(sortable=RefBytesColumn()),
        site=ID(sortable=RefBytesColumn()),
        language=ID,
        published=DATETIME,
        year=NUMERIC(int),
        month=NUMERIC(int),  # yyyymm
        c_authors=COLUMN(VarBytesColumn()),
        c_when=COLUMN(NumericColumn("q", default=0)),
        c_month=COLUMN(NumericColumn("i", default=0)),
    )


def when_seconds(value: datetime) -> int:
    """A naive datetime as whole seconds since 0001-01-01 (the `c_when` column; 0 = undated)."""
    return value.toordinal() * 86400 + value.hour * 3600 + value.minute * 60 + value.second


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
    names = list(dict.fromkeys(n.replace(AUTHOR_SEP, " ") for n in names if n))
    if names:
        doc["authors"] = ",".join(names)
        doc["c_authors"] = AUTHOR_SEP.join(names).encode("utf-8")
    for field in ("category", "site", "language"):
        if row.get(field):
            doc[field] = str(row[field])
    published = parse_published(row.get("published"))
    if published:
        doc["published"] = published
        doc["year"] = published.year
        doc["month"] = published.year * 100 + published.month
        doc["c_when"] = when_seconds(published)
        doc["c_month"] = published.year * 100 + published.month
    return doc
