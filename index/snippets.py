"""Highlighted snippets from text the caller fetched (the body is not stored in the index).

The output is safe HTML: every piece of the source text is escaped and the only tags are our
own `<mark>` and `</mark>`, so `split_marks` can turn a snippet back into plain pieces for a
terminal without parsing HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from .analysis import CJK

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
SNIPPET_CHARS = 240
ELLIPSIS = " … "
# Text around the first likely matches that is analyzed: room for two fragments.
WINDOW_CHARS = 1600
STEM_PREFIX = 4
SNAP_CHARS = 40  # how far a window's ends move to reach a space


class HighlightTerms(list[str]):
    """Every analyzed word a query asks for (a plain sorted list, as before), remembering
    which came from the English fields and which from the intl ones: an article is in one
    or the other, and the other's terms must not mark its words (the English tokenizer cuts
    Hindi निकले at its vowel signs into न and कल, a word of its own)."""

    def __init__(self, english: Iterable[str] = (), intl: Iterable[str] = ()) -> None:
        self.english = frozenset(english)
        self.intl = frozenset(intl)
        super().__init__(sorted(self.english | self.intl))


def own_terms(terms: Iterable[str], analyzer: Any) -> list[str]:
    """The terms the article highlighted with `analyzer` can hold: the intl ones for a
    per-language analyzer (it has `first_match`), else the English ones."""
    if not isinstance(terms, HighlightTerms):
        return list(terms)
    own = terms.intl if getattr(analyzer, "first_match", None) is not None else terms.english
    return sorted(own)


def _prefix(term: str) -> str:
    """Letters every word that stems to `term` starts with: Snowball English changes at
    most a stem's last letter ("happi" ← "happy", "onli" ← "only") but for a few whole
    words, which still share all but the stem's last two ("die" ← "dying", "lie" ← "lying",
    "sky" ← "skies"). `tests/test_snippets.py` checks every word of the corpus."""
    return term[: max(1, min(STEM_PREFIX, len(term) - 2))]


def _window(text: str, terms: list[str], analyzer: Any) -> str:
    """The part of `text` worth highlighting: from shortly before the first word that
    analyzes to a term to WINDOW_CHARS later; a text holding none gives its opening.

    Highlighting analyzes every word it is given (15 ms for a long article, 20 of them per
    page), so the first match is found first, as cheaply as the analyzer allows.
    """
    if len(text) <= WINDOW_CHARS:
        return text
    found = _first_match(text, terms, analyzer)
    if found is None:
        return text[:WINDOW_CHARS]
    return _around(text, *found)


def _first_match(text: str, terms: list[str], analyzer: Any) -> tuple[int, int] | None:
    """(start, end) of the first word of `text` that `analyzer` turns into one of `terms`.

    A per-language analyzer finds it itself (`first_match`: its stems need not start with
    a word's letters, and its words keep combining marks). For the English analyzer only
    words starting with a term's first letters (`_prefix`) are analyzed, one by one.
    """
    first = getattr(analyzer, "first_match", None)
    if first is not None:
        return first(text, terms)
    wanted = set(terms)
    prefixes = sorted({_prefix(t) for t in terms}, key=len, reverse=True)
    # a CJK bigram sits inside a run of word characters: no word boundary before it
    starts = "|".join(("" if CJK.match(p) else r"\b") + re.escape(p) for p in prefixes)
    pattern = re.compile(r"(?:" + starts + r")[\w.]*", re.IGNORECASE)
    for found in pattern.finditer(text):
        if any(token.text in wanted for token in analyzer(found.group(0))):
            return found.start(), found.end()
    return None


def _gated(analyzer: Any, terms: list[str]) -> Any:
    """The English analyzer stemming only words that start with a term's `_prefix`.

    A word that does not cannot stem to a term (nor be one), so its stem cannot mark it;
    Snowball is pure Python, and a fresh process (a CLI search) met every word of 20
    windows for the first time: ~60 ms of a 300 ms `search --json`. Any other analyzer
    (a per-language one, a different chain) is used as it is.
    """
    from whoosh.analysis import CompositeAnalyzer, StemFilter

    items = getattr(analyzer, "items", None)
    if not items or not isinstance(items[-1], StemFilter):
        return analyzer
    if any(isinstance(item, StemFilter) for item in items[:-1]):
        return analyzer
    return CompositeAnalyzer(*items[:-1], _prefix_stem(items[-1], {_prefix(t) for t in terms}))


def _prefix_stem(stem_filter: Any, prefixes: Iterable[str]) -> Any:
    """A Whoosh filter: `stem_filter`'s stem for words starting with one of `prefixes`,
    the word itself for the others."""
    from whoosh.analysis import Filter

    class PrefixStem(Filter):
        def __call__(self, tokens):  # type: ignore[no-untyped-def]
            stem, ignore, starts = stem_filter._stem, stem_filter.ignore, tuple(prefixes)
            for t in tokens:
                if not t.stopped:
                    text = t.text
                    if text.startswith(starts) and text not in ignore:
                        t.text = stem(text)
                yield t

    return PrefixStem()


def _around(text: str, start: int, end: int) -> str:
    """About 200 characters before the match at `start`:`end` to WINDOW_CHARS later, always
    holding the match. Cut at a nearby space when there is one, else outside a word: CJK
    text can go thousands of characters without a space (and is cut anywhere)."""
    begin = max(0, start - 200)
    space = text.rfind(" ", max(0, begin - SNAP_CHARS), begin + 1)
    if space >= 0:
        begin = space + 1
    else:
        while 0 < begin < start and _inside_word(text, begin):
            begin += 1
    stop = max(begin + WINDOW_CHARS, end)
    space = text.find(" ", stop, stop + SNAP_CHARS)
    if space >= 0:
        stop = space
    else:
        while end < stop < len(text) and _inside_word(text, stop):
            stop -= 1
    return text[begin:stop]


def _inside_word(text: str, i: int) -> bool:
    """Whether a cut before text[i] would split a word of letters that are not CJK."""
    a, b = text[i - 1], text[i]
    return a.isalnum() and b.isalnum() and not CJK.match(b)


def _formatter():  # type: ignore[no-untyped-def]
    from whoosh.highlight import Formatter, get_text

    class MarkFormatter(Formatter):
        between = ELLIPSIS

        def _text(self, text: str) -> str:
            return html.escape(text, quote=False)

        def format_token(self, text, token, replace=False):  # type: ignore[no-untyped-def]
            return MARK_OPEN + html.escape(get_text(text, token, replace), quote=False) + MARK_CLOSE

        def format_fragment(self, fragment, replace=False):  # type: ignore[no-untyped-def]
            """One mark per run of overlapping or touching matches: CJK bigrams overlap,
            and Whoosh's own formatter skipped every other one (the end of 書籍を unmarked)."""
            spans: list[list[int]] = []
            for t in sorted(fragment.matches, key=lambda t: (t.startchar, -t.endchar)):
                if t.startchar is None:
                    continue
                if spans and t.startchar <= spans[-1][1]:
                    spans[-1][1] = max(spans[-1][1], t.endchar)
                else:
                    spans.append([t.startchar, t.endchar])
            text, index, out = fragment.text, fragment.startchar, []
            for start, end in spans:
                if start < index:
                    continue
                out.append(self._text(text[index:start]))
                out.append(MARK_OPEN + html.escape(text[start:end], quote=False) + MARK_CLOSE)
                index = end
            out.append(self._text(text[index : fragment.endchar]))
            return "".join(out)

    return MarkFormatter()


def snippet(text: str, terms: Iterable[str], analyzer: Any, *, top: int = 2) -> str:
    """Up to `top` fragments of `text` around the analyzed `terms`, as safe HTML.

    Falls back to the escaped opening of the text when no term occurs in it (a title match).
    """
    from whoosh.highlight import ContextFragmenter, highlight

    text = text or ""
    termset = [t for t in own_terms(terms, analyzer) if t]
    if termset:
        fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        region = _window(text, termset, analyzer)
        gated = _gated(analyzer, termset)
        out = highlight(region, termset, gated, fragmenter, _formatter(), top=top)
        if out:
            return " ".join(out.split())
    opening = " ".join(text[: SNIPPET_CHARS + 40].split())
    if len(opening) > SNIPPET_CHARS:
        opening = opening[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return html.escape(opening, quote=False)


def split_marks(snippet_html: str) -> list[tuple[str, bool]]:
    """(plain text, highlighted?) pieces of a snippet made by `snippet`."""
    pieces: list[tuple[str, bool]] = []
    rest = snippet_html
    while rest:
        start = rest.find(MARK_OPEN)
        if start < 0:
            pieces.append((html.unescape(rest), False))
            break
        if start:
            pieces.append((html.unescape(rest[:start]), False))
        end = rest.find(MARK_CLOSE, start)
        end = len(rest) if end < 0 else end
        pieces.append((html.unescape(rest[start + len(MARK_OPEN) : end]), True))
        rest = rest[end + len(MARK_CLOSE) :]
    return pieces
