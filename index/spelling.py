"""Did-you-mean suggestions from the stemmed title/body terms, turned back into words.

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

_WORD = re.compile(r"(?<![\w:*?\[{])([^\W\d_]{2,})(?![\w:*?])")
_OPERATORS = {"AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE"}
_ENDINGS = ("", "e", "s", "es", "ed", "ing", "y", "er", "ion", "ions", "al", "ly", "ment")
FIELDS = ("body", "title")


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
    """Levenshtein distance (words are short: the quadratic table is cheap)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _known(reader: Any, stem: str) -> bool:
    return any(reader.doc_frequency(field, stem) for field in FIELDS)


def correct_word(
    searcher: Any, analyzer: Any, word: str, is_word: Callable[[str], bool] | None = None
) -> str | None:
    """The suggested replacement for one typed word, or None when it is known or hopeless."""
    reader = searcher.reader()
    lowered = word.lower()
    stem = _stem(analyzer, lowered)
    if stem is None or _known(reader, stem):
        return None
    found = [
        word
        for field in FIELDS
        for candidate in searcher.suggest(field, stem, limit=5, maxdist=2, prefix=1)
        for word in realizations(analyzer, lowered, stem, candidate)
        if is_word is None or is_word(word)
    ]
    # the closest to what was typed across every candidate stem, not the first one Whoosh lists
    # ("electon" → "election", not "elect"); ties keep the order above
    return min(found, key=lambda word: edit_distance(word, lowered)) if found else None


def suggest(searcher: Any, text: str, is_word: Callable[[str], bool] | None = None) -> str | None:
    """The query with each word found in no title or body replaced by a close indexed word.

    Field names, prefixes, wildcards and operators are kept as typed.
    """
    analyzer = searcher.schema["body"].analyzer
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(1)
        if word in _OPERATORS:
            return word
        found = correct_word(searcher, analyzer, word, is_word)
        if not found:
            return word
        changed = True
        return found

    corrected = _WORD.sub(fix, text)
    return corrected if changed and corrected != text else None
