"""Did-you-mean suggestions from the stemmed text terms, turned back into words, and from
the values of the author, category and site fields.

`spelling=True` would keep every unstemmed word of every article as extra postings: it
doubled the postings and cost 40% of the index build (bench/README.md). Instead the closest
indexed stem is found for the stem of the unknown word ("streeming" → "streem" → "stream"),
and the typed word's ending is put back on it ("stream" + "ing"); a word is suggested only
when it stems back to the indexed stem, so suggestions are real inflections, never stems.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from . import fieldvalues
from .analysis import known_word
from .query import field_values, make_parser, resolve_value
from .schema import TEXT_FIELDS

_LETTERS = re.compile(r"[^\W\d_]+")
MIN_LETTERS = 4  # shorter words are left alone: too many real words lie one edit away
_OPERATORS = {"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"}
_ENDINGS = ("", "e", "s", "es", "ed", "ing", "y", "er", "ion", "ions", "al", "ly", "ment")


def _stem(analyzer: Any, word: str) -> str | None:
    stems = [t.text for t in analyzer(word)]
    return stems[0] if len(stems) == 1 else None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def realizations(analyzer: Any, typed: str, typed_stem: str, stem: str) -> list[str]:
    """Words that stem to `stem`, inflected like `typed` where possible (best guesses first)."""
    cut = _common_prefix(typed, typed_stem)
    typed_tail, stem_tail = typed[cut:], typed_stem[cut:]
    candidates = []
    if stem_tail and stem.endswith(stem_tail):
        candidates.append(stem[: len(stem) - len(stem_tail)] + typed_tail)
    candidates.append(stem + typed_tail)
    candidates.extend(stem + ending for ending in _ENDINGS)
    return [word for word in dict.fromkeys(candidates) if word and _stem(analyzer, word) == stem]


def edit_distance(a: str, b: str) -> int:
    """Edits between two words, a swap of two neighbours counting as one ("gaem" → "game";
    the optimal string alignment distance; words are short, the table is cheap)."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, previous = previous, current
    return previous[-1]


def _known(reader: Any, stem: str) -> bool:
    return any(reader.doc_frequency(field, stem) for field in TEXT_FIELDS)


def _max_distance(word: str) -> int:
    """Edits allowed: one in a short word (two would turn "tax" into "the"), two past five."""
    return 1 if len(word) <= 5 else 2


def correct_word(
    searcher: Any, analyzer: Any, word: str, is_word: Callable[[str], bool] | None = None
) -> str | None:
    """The suggested replacement for one typed word, or None when it is known, too short
    to guess from (under MIN_LETTERS) or hopeless."""
    reader = searcher.reader()
    lowered = word.lower()
    if len(lowered) < MIN_LETTERS:
        return None
    stem = _stem(analyzer, lowered)
    if stem is None or _known(reader, stem) or known_word(reader, lowered):
        return None
    limit = _max_distance(lowered)
    found = [
        (edit_distance(word, lowered), -reader.doc_frequency(field, candidate), word)
        for field in TEXT_FIELDS
        for candidate in searcher.suggest(field, stem, limit=5, maxdist=2, prefix=1)
        for word in realizations(analyzer, lowered, stem, candidate)
        if is_word is None or is_word(word)
    ]
    # the closest to what was typed across every candidate stem, not the first one Whoosh
    # lists ("electon" → "election", not "elect"), then the most common ("gaem" → "game",
    # not "gael")
    found = [f for f in found if f[0] <= limit]
    return min(found)[2] if found else None


def correct_value(reader: Any, fieldname: str, typed: str) -> str | None:
    """The closest indexed value of an author/category/site/language field to a typed value
    that names none, or None: compared without case or accents, with the typed words
    against every run of as many words of each value ("Ramn" → "Priya Raman")."""
    wanted = fieldvalues.words(typed)
    if not wanted or resolve_value(reader, fieldname, typed):
        return None
    joined = " ".join(wanted)
    limit = _max_distance(joined)
    best: tuple[int, str] | None = None
    for value in field_values(reader, fieldname):
        have = fieldvalues.words(value)
        n = len(wanted)
        for i in range(max(1, len(have) - n + 1)):
            distance = edit_distance(" ".join(have[i : i + n]), joined)
            if distance <= limit and (best is None or distance < best[0]):
                best = (distance, value)
    return best[1] if best else None


def _leaves(node: Any):  # type: ignore[no-untyped-def]
    if type(node).__name__ in ("WordNode", "PhraseNode"):
        yield node
    for child in getattr(node, "nodes", None) or ():
        yield from _leaves(child)


def suggest(searcher: Any, text: str, is_word: Callable[[str], bool] | None = None) -> str | None:
    """The query with each unknown word replaced by a close word of the archive's titles,
    bodies and captions, and each author/category/site value that names nothing replaced
    by the closest such value; None when nothing changes.

    Call it for a query that found nothing: a query with hits needs no correction. The
    query is read by the query parser itself, so operators, field names, prefixes,
    wildcards and ranges are kept as typed, and words inside a field value are corrected
    only from that field's own values.
    """
    analyzer = searcher.schema["body"].analyzer
    reader = searcher.reader()
    try:
        tree = make_parser(searcher.schema).process(text)
    except Exception:  # an unreadable query was refused before; nothing to suggest
        return None
    changes: dict[tuple[int, int], str] = {}
    for node in _leaves(tree):
        span = (node.startchar, node.endchar)
        if span in changes or node.startchar is None or node.endchar is None:
            continue
        field = node.fieldname
        typed = text[span[0] : span[1]]
        if field in fieldvalues.RESOLVED_FIELDS:
            found = correct_value(reader, field, str(node.text))
            if found:
                changes[span] = f'"{found}"' if (" " in found or typed.startswith('"')) else found
        elif field is None or field in TEXT_FIELDS:

            def fix(match: re.Match[str]) -> str:
                word = match.group(0)
                if word in _OPERATORS:
                    return word
                return correct_word(searcher, analyzer, word, is_word) or word

            fixed = _LETTERS.sub(fix, typed)
            if fixed != typed:
                changes[span] = fixed
    corrected = text
    for (start, end), replacement in sorted(changes.items(), reverse=True):
        corrected = corrected[:start] + replacement + corrected[end:]
    return corrected if corrected != text else None
