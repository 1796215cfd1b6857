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

MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
SNIPPET_CHARS = 240
ELLIPSIS = " … "
# Text around the first likely matches that is analyzed: room for two fragments.
WINDOW_CHARS = 1600
STEM_PREFIX = 4


def _window(text: str, terms: list[str]) -> str:
    """The part of `text` worth highlighting: from shortly before the first word that may
    stem to a term to WINDOW_CHARS later.

    Highlighting stems every word it is given (15 ms for a long article, 20 of them per
    page); a Porter stem is a prefix of its word but for the last letters, so a word
    starting with a stem's first letters marks where the matches can be.
    """
    if len(text) <= WINDOW_CHARS:
        return text
    prefixes = sorted({t[:STEM_PREFIX] for t in terms}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + ")", re.IGNORECASE)
    found = pattern.search(text)
    if not found:
        return text[:WINDOW_CHARS]
    start = text.rfind(" ", 0, max(0, found.start() - 200)) + 1
    end = text.find(" ", start + WINDOW_CHARS)
    return text[start : end if end > 0 else len(text)]


def _formatter():  # type: ignore[no-untyped-def]
    from whoosh.highlight import Formatter, get_text

    class MarkFormatter(Formatter):
        between = ELLIPSIS

        def _text(self, text: str) -> str:
            return html.escape(text, quote=False)

        def format_token(self, text, token, replace=False):  # type: ignore[no-untyped-def]
            return MARK_OPEN + html.escape(get_text(text, token, replace), quote=False) + MARK_CLOSE

    return MarkFormatter()


def snippet(text: str, terms: Iterable[str], analyzer: Any, *, top: int = 2) -> str:
    """Up to `top` fragments of `text` around the analyzed `terms`, as safe HTML.

    Falls back to the escaped opening of the text when no term occurs in it (a title match).
    """
    from whoosh.highlight import ContextFragmenter, highlight

    text = text or ""
    termset = [t for t in terms if t]
    if termset:
        fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        region = _window(text, termset)
        out = highlight(region, termset, analyzer, fragmenter, _formatter(), top=top)
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
