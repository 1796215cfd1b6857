"""The Whoosh schema, shaped by measurements (TRAPS.md, issues 5 and 8; bench/README.md).

- Only `id` and `hash` are stored: hits are rendered from SQLite (title, url, body for
  snippets), so the index stays small and the body is never duplicated.
- `title`, `body` and `captions` are stemmed (Snowball English, `text_analyzer`), with
  positions (phrases). No `spelling=True`: the separate
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
- The schema saved in the index is made of Whoosh's own classes only (`StemmedText`
  pickles as a stock TEXT with the same analyzer and format), so stock whoosh-reloaded
  opens and searches the index without this package; `writer.open_index` passes
  `build_schema()` back in, which re-attaches the direct indexing path.
- `language` keeps a RefBytes column too (the language facet and filter). An article that is
  not plain English (another language, or CJK characters) is indexed in `title_intl` /
  `body_intl` / `captions_intl` instead of `title` / `body` / `captions`, analyzed by its
  language (`index.analysis`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from itertools import pairwise
from typing import Any

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.columns import NumericColumn, RefBytesColumn, VarBytesColumn
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema

from . import analysis
from .whoosh_internals.positions import positions_value

SCHEMA_VERSION = "4"  # 3: Snowball English, captions, stock-Whoosh pickle; 4: languages
AUTHOR_SEP = "\x1f"  # joins names in the c_authors column; never inside a name

# Field names a user may type in a query (`author:` is an alias of `authors`).
QUERY_FIELDS = (
    "title",
    "body",
    "captions",
    "authors",
    "category",
    "site",
    "language",
    "published",
    "year",
    "month",
)
FIELD_ALIASES = {
    "author": "authors",
    "date": "published",
    "lang": "language",
    "caption": "captions",
}
TEXT_FIELDS = ("title", "body", "captions")  # searched by words without a field name
LANGUAGE = "en"


def text_analyzer():  # type: ignore[no-untyped-def]
    """The English analysis of every text field: words, lower case, Snowball English stems
    (Porter2: `cupping` → `cup`, where Porter kept `cupp`). No stop list (see above)."""
    return RegexTokenizer() | LowercaseFilter() | StemFilter(lang=LANGUAGE)


_STEMS: dict[str, str] = {}  # word -> stem, shared by every StemmedText field of the process
_STEMS_MAX = 200_000
_ONE_POSITION: dict[int, bytes] = {}  # the encoded value of a word seen once, by position


class StemmedText(TEXT):
    """TEXT with `text_analyzer()`, indexed through a direct path: the very terms, counts,
    weights and encoded positions that Whoosh's generic path gives (analyzer generator chain,
    then `Positions.word_values`), in about 60% of its time. Indexing is most of an ingest's
    cost, and this field is most of indexing. Queries still run through the analyzer.

    The direct path is taken only for a plain string with the analyzer and format it
    reproduces (regex tokens, lower case, Porter stems; positions); anything else goes
    through Whoosh. `tests/test_index.py` compares the two on the corpus and on random text.
    """

    def index(self, value: Any, **kwargs: Any):  # type: ignore[no-untyped-def,override]
        if kwargs or not isinstance(value, str) or not _reproducible(self):
            return super().index(value, **kwargs)
        return _index_stemmed(value, self.format.field_boost)

    def __reduce_ex__(self, protocol: Any):  # type: ignore[no-untyped-def,override]
        """Pickle as Whoosh's own TEXT (same analyzer, format and settings), so the index's
        saved schema names no class of this package."""
        import copyreg

        state = {k: v for k, v in self.__dict__.items() if k != "_direct"}
        return copyreg._reconstructor, (TEXT, object, None), state


def _reproducible(field: TEXT) -> bool:
    """Whether `field` has exactly the analyzer and format `_index_stemmed` reproduces."""
    known = field.__dict__.get("_direct")
    if known is None:
        from whoosh.formats import Positions

        items = getattr(field.analyzer, "items", [])
        known = (
            type(field.format) is Positions
            and [type(i) for i in items] == [RegexTokenizer, LowercaseFilter, StemFilter]
            and items[0].expression.pattern == _WORD_PATTERN
            and not items[0].gaps
            and not items[2].ignore
            and items[2].lang == LANGUAGE
        )
        field.__dict__["_direct"] = known
    return known


_WORD_PATTERN = r"[\w\*]+(\.?[\w\*]+)*"  # RegexTokenizer's default expression
_WORDS = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*", re.UNICODE)  # the same matches, no group


def _stemmer():  # type: ignore[no-untyped-def]
    """The very function StemFilter(lang=LANGUAGE) stems with."""
    global _STEM_FN
    if _STEM_FN is None:
        from whoosh.lang import stemmer_for_language

        _STEM_FN = stemmer_for_language(LANGUAGE)
    return _STEM_FN


_STEM_FN = None


def _index_stemmed(value: str, field_boost: float) -> list[tuple[bytes, int, float, bytes]]:
    """(term bytes, frequency, weight, encoded positions) per distinct stem, in order of first
    occurrence, as TEXT.index would give them."""
    stem = _stemmer()

    # Lower-casing the tokens joined by spaces equals lower-casing each (a space is neither
    # cased nor case-ignorable, so even Greek final sigma sees the same context).
    words = " ".join(_WORDS.findall(value)).lower().split(" ") if value else []
    stems = _STEMS
    if len(stems) > _STEMS_MAX:
        stems.clear()
    positions: dict[str, list[int]] = {}
    for pos, word in enumerate(words):
        if not word:
            continue  # no tokens at all: "".split(" ") gives [""]
        try:
            stemmed = stems[word]
        except KeyError:
            stemmed = stems[word] = stem(word)
        try:
            positions[stemmed].append(pos)
        except KeyError:
            positions[stemmed] = [pos]
    out = []
    one = _ONE_POSITION
    for stemmed, found in positions.items():
        count = len(found)
        if count == 1:
            encoded = one.get(found[0])
            if encoded is None:
                encoded = one[found[0]] = positions_value(1, found)
        else:
            deltas = [found[0]]
            deltas += [b - a for a, b in pairwise(found)]
            encoded = positions_value(count, deltas)
        out.append((stemmed.encode("utf-8"), count, count * field_boost, encoded))
    return out


def build_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        hash=ID(stored=True),
        title=StemmedText(analyzer=text_analyzer(), field_boost=2.0),
        body=StemmedText(analyzer=text_analyzer()),
        captions=StemmedText(analyzer=text_analyzer()),
        authors=KEYWORD(commas=True, scorable=True),
        category=ID(sortable=RefBytesColumn()),
        site=ID(sortable=RefBytesColumn()),
        language=ID(sortable=RefBytesColumn()),
        published=DATETIME,
        year=NUMERIC(int),
        month=NUMERIC(int),  # yyyymm
        c_authors=COLUMN(VarBytesColumn()),
        c_when=COLUMN(NumericColumn("q", default=0)),
        c_month=COLUMN(NumericColumn("i", default=0)),
        **analysis.schema_fields(),  # articles not in plain English (index/analysis.py)
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
    if row.get("captions"):  # captions joined by newlines (archive.indexing.ROW_COLUMNS)
        doc["captions"] = str(row["captions"])
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
    analysis.localize(doc, row.get("language"))
    return doc
