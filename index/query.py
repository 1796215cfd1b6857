"""Parsing user queries into bounded Whoosh queries.

Whoosh syntax (AND/OR/NOT, "phrases", field:value, ranges such as published:[2024 to 2025],
prefix* and wild?ards) over title and body, AND by default. Wildcards, prefixes and ranges
expand into every matching term at search time, and `?*` took 140 s at 40k articles, while
Whoosh's time-limit collector only works on the main thread. So expansion is bounded here,
before searching: no leading wildcards, a literal prefix of at least MIN_PREFIX characters,
and at most MAX_EXPANSION terms per pattern and MAX_TOTAL_TERMS in the whole query.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from typing import Any

from . import analysis, fieldvalues
from .errors import QuerySyntaxError, QueryTooBroad
from .schema import FIELD_ALIASES, QUERY_FIELDS, TEXT_FIELDS
from .whoosh_internals import reading as internals

MIN_PREFIX = 2
MAX_EXPANSION = 500
MAX_TOTAL_TERMS = 1000
MAX_QUERY_CHARS = 1000
DEFAULT_FIELDS = TEXT_FIELDS


def make_parser(schema: Any):  # type: ignore[no-untyped-def]
    from whoosh import qparser

    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.FieldAliasPlugin({v: [k] for k, v in FIELD_ALIASES.items()}))
    parser.remove_plugin_class(qparser.BoostPlugin)  # "^" is rarely meant; keep syntax small
    return parser


def parse(text: str, schema: Any, reader: Any | None = None):  # type: ignore[no-untyped-def]
    """Parse `text`; with a `reader`, also check that expansion stays within bounds."""
    text = (text or "").strip()
    if not text:
        raise QuerySyntaxError("The query is empty: give some words to search for.")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"The query is {len(text)} characters long; shorten it to {MAX_QUERY_CHARS} or fewer."
        )
    _check_balance(text)
    _check_fields(text, schema)
    parser = make_parser(schema)
    # every language: title/body words searched in the intl fields too (index/analysis.py)
    multilingual = reader is not None and analysis.extend_parser(parser, schema, reader)
    try:
        query = parser.parse(rewrite(text))
        if multilingual:
            query = analysis.real_fields(query)
    except Exception as exc:  # the parser raises assorted errors on odd input
        raise QuerySyntaxError(
            f"Cannot read the query {text!r} ({exc}); check its syntax."
        ) from exc
    _check_errors(query, text, schema)
    query = query.accept(_cheap_every)
    if reader is not None:
        check_bounds(query, reader, text)
        query = query.accept(lambda node: _resolve_node(node, reader))
    return query


_QUOTED_OR_NOT = re.compile(r'("[^"]*")|([^"]+)')
_SIGN = re.compile(r'(?:(?<=^)|(?<=[\s(]))([-+])(?=[\w"(])')
_MONTH_VALUE = re.compile(r"\b(month:)(\[[^\]]*\]|\{[^}]*\}|[^\s()]+)")
_YEAR_MONTH = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})(?!\d)")
_COMPARE = re.compile(r"\b(published|date|year|month):(>=|<=|>|<)([^\s()\[\]{}]+)")


def rewrite(text: str) -> str:
    """What readers type, in Whoosh's syntax: `-word` is `NOT word` and `+word` is `word`
    (words are required anyway), as on every web search engine (a hyphen inside a word,
    `clean-up`, stays); `month:2024-11` is `month:202411`; `published:>2024` and the other
    comparisons become ranges (`>2024` is after 2024, `>=2024` from its first day)."""

    def sign(m: re.Match[str]) -> str:
        if text.count('"', 0, m.start()) % 2:  # inside a phrase: a hyphen
            return m[0]
        return "NOT " if m[1] == "-" else ""

    text = _SIGN.sub(sign, text)
    out = []
    for quoted, plain in _QUOTED_OR_NOT.findall(text):
        if quoted:
            out.append(quoted)
            continue
        plain = _MONTH_VALUE.sub(lambda m: m[1] + _YEAR_MONTH.sub(r"\1\2", _pad(m[2])), plain)
        out.append(_COMPARE.sub(_comparison, plain))
    return "".join(out)


def _pad(value: str) -> str:
    return _YEAR_MONTH.sub(lambda m: f"{m[1]}-{int(m[2]):02d}", value)


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def date_bound(value: str, *, end: bool, name: str) -> datetime:
    """2024 / 2024-05 / 2024-05-31 as the first (or, with `end`, last) moment of that period."""
    m = _DATE.match(value.strip())
    if not m:
        raise QuerySyntaxError(
            f"{name} {value!r} is not a date: write 2024, 2024-05 or 2024-05-31."
        )
    year, month, day = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    try:
        if not end:
            return datetime(year, month or 1, day or 1)
        if day:
            start = datetime(year, month, day)
            return start + timedelta(days=1) - timedelta(microseconds=1)
        if month:
            last = calendar.monthrange(year, month)[1]
            return datetime(year, month, last, 23, 59, 59, 999999)
        return datetime(year, 12, 31, 23, 59, 59, 999999)
    except ValueError as exc:
        raise QuerySyntaxError(f"{name} {value!r} is not a valid date ({exc}).") from exc


def _comparison(m: re.Match[str]) -> str:
    field, op, value = m[1], m[2], m[3]
    if field in ("year", "month"):
        if not value.isdigit():
            raise QuerySyntaxError(
                f"{field}:{op}{value} compares with {value!r}, which is not a number: "
                f"write {field}:{op}2024" + ("11" if field == "month" else "") + "."
            )
        ranges = {">": f"{{{value} to]", ">=": f"[{value} to]", "<": f"[to {value}}}"}
        return f"{field}:" + ranges.get(op, f"[to {value}]")
    if op in (">", "<="):
        last = date_bound(value, end=True, name=f"{field}:{op}")
        day = (last + timedelta(days=1)).date() if op == ">" else last.date()
        return f"{field}:[{day.isoformat()} to]" if op == ">" else f"{field}:[to {day.isoformat()}]"
    first = date_bound(value, end=False, name=f"{field}:{op}")
    if op == ">=":
        return f"{field}:[{first.date().isoformat()} to]"
    return f"{field}:[to {(first - timedelta(days=1)).date().isoformat()}]"


def _resolve_node(node: Any, reader: Any) -> Any:
    """Bring a query node to what the index holds: a typed author, category, site or language
    becomes its indexed values (`index.fieldvalues`); a prefix or wildcard becomes its words
    (an Or of terms, read from the whole index, so every match gets a relevance score, the
    same however the index is split into segments)."""
    from whoosh import query as q

    kind = type(node)
    if kind is q.Term and node.fieldname in fieldvalues.RESOLVED_FIELDS:
        values = resolve_value(reader, node.fieldname, str(node.text))
        return _any_of(node.fieldname, values, node.boost)
    if kind in (q.Prefix, q.Wildcard) and node.fieldname in analysis.SEARCHED_FIELDS:
        found = [
            t.decode("utf-8") if isinstance(t, bytes) else t
            for t in internals.pattern_terms(node, reader)
        ]
        return _any_of(node.fieldname, found, node.boost)
    return node


def trim(query: Any, reader: Any) -> Any:
    """`query` made cheap to run on this index, with the same hits and scores.

    An unfielded word or "phrase" is an Or over TEXT_FIELDS. Its alternatives that match
    nothing here (a field holding none of the words: most often `captions`, which many
    articles lack) are dropped: each costs a matcher per segment, and a term with no
    postings adds no hit and no score. The Or that is left is run as Whoosh's tree of
    unions: for an Or of three or more parts on an index of up to 5,000 documents Whoosh
    otherwise picks its array matcher, a Python loop over every document number (3x the
    CPU of a word, measured in bench/bench_search.py). An Or whose alternatives all match
    nothing is kept (it is cheap, and an empty Or would change an And around it).
    """
    from whoosh import query as q

    fields = analysis.SEARCHED_FIELDS  # the text fields and their per-language twins

    def absent(node: Any) -> bool:
        # `in` stops at the first segment holding the term; doc_frequency sums them all
        if type(node) is q.Term and node.fieldname in fields:
            return (node.fieldname, node.text) not in reader
        if type(node) is q.Phrase and node.fieldname in fields:
            return any((node.fieldname, w) not in reader for w in node.words)
        return False

    def alternatives(node: Any) -> bool:
        """An Or of one word or phrase over the text fields (and, in an archive with other
        languages, their `_intl` twins, one term per analysis in use), as the parser makes it."""
        return all(
            type(sub) in (q.Term, q.Phrase) and sub.fieldname in fields for sub in node.subqueries
        )

    def visit(node: Any) -> Any:
        if type(node) is q.Or and len(node.subqueries) > 1 and alternatives(node):
            kept = [sub for sub in node.subqueries if not absent(sub)]
            if kept and len(kept) < len(node.subqueries):
                if len(kept) == 1 and node.boost == 1.0:
                    return kept[0]
                node.subqueries = kept  # `accept` hands `visit` a copy
            internals.use_union_tree(node)
        return node

    return query.accept(visit)


def _any_of(fieldname: str, values: list[str], boost: float) -> Any:
    from whoosh import query as q

    if not values:
        return q.NullQuery
    if len(values) == 1:
        return q.Term(fieldname, values[0], boost=boost)
    return q.Or([q.Term(fieldname, v) for v in values], boost=boost)


def field_values(reader: Any, fieldname: str) -> list[str]:
    """Every value indexed in `fieldname`, kept on the reader (it never changes)."""
    cache = reader.__dict__.setdefault("_newsarchive_values", {})
    if fieldname not in cache:
        cache[fieldname] = [
            t.decode("utf-8") if isinstance(t, bytes) else str(t)
            for t in reader.field_terms(fieldname)
        ]
    return cache[fieldname]


def resolve_value(reader: Any, fieldname: str, typed: str) -> list[str]:
    """The indexed values of `fieldname` that `typed` names (`index.fieldvalues`)."""
    return fieldvalues.matching(typed, field_values(reader, fieldname))


def _cheap_every(node: Any) -> Any:
    """`*` on title/body means every article: Every() reads no postings, Every("body") reads
    them all (seconds per query)."""
    from whoosh import query as q

    if isinstance(node, q.Every) and node.fieldname in (None, *DEFAULT_FIELDS):
        return q.Every()
    if (
        isinstance(node, q.Or)
        and node.subqueries
        and all(isinstance(sub, q.Every) and sub.fieldname is None for sub in node.subqueries)
    ):
        return q.Every()
    return node


def _check_balance(text: str) -> None:
    if text.count('"') % 2:
        raise QuerySyntaxError(f'The query {text!r} has an unclosed quote: close the "phrase".')
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth:
        raise QuerySyntaxError(f"The query {text!r} has unbalanced parentheses.")
    if text.count("[") != text.count("]") or text.count("{") != text.count("}"):
        raise QuerySyntaxError(
            f"The query {text!r} has an unclosed range: write field:[FROM to TO]."
        )


_FIELD_PREFIX = re.compile(r"(?:^|[\s(])([A-Za-z_]\w*):(?!//)")
_QUOTED = re.compile(r'"[^"]*"')


def _check_fields(text: str, schema: Any) -> None:
    """`foo:bar` with an unknown field would silently search for the words; say so instead."""
    allowed = set(QUERY_FIELDS) | set(FIELD_ALIASES)
    for name in _FIELD_PREFIX.findall(_QUOTED.sub(" ", text)):
        if name not in allowed:
            raise QuerySyntaxError(
                f"The query {text!r} names the field {name!r}, which does not exist; "
                f"use one of {', '.join(QUERY_FIELDS)} (author: works too)."
            )


def _walk(query: Any):  # type: ignore[no-untyped-def]
    yield query
    for child in query.children():
        yield from _walk(child)


def _check_errors(query: Any, text: str, schema: Any) -> None:
    for node in _walk(query):
        error = getattr(node, "error", None)
        if error:
            raise QuerySyntaxError(
                f"Cannot read part of the query {text!r}: {error}. Dates look like 2024, "
                "2024-05 or 2024-05-31, ranges like published:[2024 to 2025]."
            )
        field = getattr(node, "fieldname", None)
        if field and field not in schema.names():
            raise QuerySyntaxError(
                f"The query {text!r} names the field {field!r}, which does not exist; "
                f"use one of {', '.join(QUERY_FIELDS)}."
            )
        if field in ("id", "hash", "c_authors", "c_when", "c_month"):
            raise QuerySyntaxError(
                f"The query {text!r} names the internal field {field!r}; "
                f"use one of {', '.join(QUERY_FIELDS)}."
            )


def check_bounds(query: Any, reader: Any, text: str) -> int:
    """Count the terms the query expands to; raise QueryTooBroad past the limits."""
    from whoosh import query as q

    total = 0
    for node in _walk(query):
        if isinstance(node, q.Every):
            continue  # `*` alone is every document: cheap, no expansion
        if isinstance(node, (q.Wildcard, q.Prefix, q.Regex, q.FuzzyTerm)):
            pattern = str(node.text)
            literal = _literal_prefix(node)
            if isinstance(node, q.Regex):
                raise QuerySyntaxError(
                    f"Regular expressions are not supported in queries ({text!r}); "
                    "use a prefix such as elect*."
                )
            if len(literal) < MIN_PREFIX:
                raise QueryTooBroad(
                    f"The pattern {pattern!r} in {text!r} starts with too few letters: "
                    f"wildcards need at least {MIN_PREFIX} letters before * or ?."
                )
            total += _bounded_count(node, reader, pattern, text)
        elif isinstance(node, q.TermRange):
            total += _bounded_count(node, reader, f"[{node.start} to {node.end}]", text)
        elif isinstance(node, (q.Term, q.Phrase)):
            total += max(1, len(getattr(node, "words", ())))
        if total > MAX_TOTAL_TERMS:
            raise QueryTooBroad(
                f"The query {text!r} expands to more than {MAX_TOTAL_TERMS} terms; "
                "use fewer or longer prefixes."
            )
    return total


def _literal_prefix(node: Any) -> str:
    from whoosh import query as q

    text = str(node.text)
    if isinstance(node, q.Prefix):
        return text
    cut = len(text)
    for ch in "*?[":
        pos = text.find(ch)
        if pos >= 0:
            cut = min(cut, pos)
    return text[:cut]


def _bounded_count(node: Any, reader: Any, pattern: str, text: str) -> int:
    count = 0
    try:
        for _ in internals.pattern_terms(node, reader):
            count += 1
            if count > MAX_EXPANSION:
                raise QueryTooBroad(
                    f"The pattern {pattern!r} in {text!r} matches more than {MAX_EXPANSION} "
                    "different words; make it longer or more specific."
                )
    except QueryTooBroad:
        raise
    except Exception as exc:
        raise QuerySyntaxError(f"Cannot expand {pattern!r} in {text!r} ({exc}).") from exc
    return count
