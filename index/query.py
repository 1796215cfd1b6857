"""Parsing user queries into bounded Whoosh queries.

Whoosh syntax (AND/OR/NOT, "phrases", field:value, ranges such as published:[2024 to 2025],
prefix* and wild?ards) over title and body, AND by default. Wildcards, prefixes and ranges
expand into every matching term at search time, and `?*` took 140 s at 40k articles, while
Whoosh's time-limit collector only works on the main thread. So expansion is bounded here,
before searching: no leading wildcards, a literal prefix of at least MIN_PREFIX characters,
and at most MAX_EXPANSION terms per pattern and MAX_TOTAL_TERMS in the whole query.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import QuerySyntaxError, QueryTooBroad
from .schema import FIELD_ALIASES, QUERY_FIELDS

MIN_PREFIX = 2
MAX_EXPANSION = 500
MAX_TOTAL_TERMS = 1000
MAX_QUERY_CHARS = 1000
DEFAULT_FIELDS = ("title", "body")


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
    try:
        query = parser.parse(text)
    except Exception as exc:  # the parser raises assorted errors on odd input
        raise QuerySyntaxError(
            f"Cannot read the query {text!r} ({exc}); check its syntax."
        ) from exc
    _check_errors(query, text, schema)
    query = query.accept(_cheap_every)
    if reader is not None:
        check_bounds(query, reader, text)
    return query


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
        for _ in node._btexts(reader):
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
