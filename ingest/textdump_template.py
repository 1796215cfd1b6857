"""Site templates for text dumps: lines that repeat across several dumps of one site.

A single page cannot tell a site's fixed furniture (menus, promos, footers, a newsletter
blurb written as a sentence) from article text as well as several pages can. The archive
learns a template per site from the dumps it already holds and passes it back into
`extract_text_dump(raw, boilerplate=...)`; the extractor then scores those lines as chrome.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .textdump_lines import Line

__all__ = [
    "PageKeys",
    "article_keys",
    "candidate_keys",
    "learn_site_boilerplate",
    "line_keys",
    "page_keys",
    "template_from_counts",
]

_MAX_KEY_CHARS = 400  # longer lines are articles' paragraphs, not furniture
_PROSE_CHARS = 60  # from this length a line reads as a sentence of some article


def page_keys(page: str) -> set[str]:
    """The distinct line keys of one dump that could be template lines (short enough)."""
    from .textdump_lines import (
        page_lines,  # the extractor's own line keys, bullets and spacing folded
    )

    return set(line_keys(page_lines(page)))


def line_keys(lines: Iterable[Line]) -> frozenset[str]:
    """`page_keys` from lines already made."""
    return candidate_keys(line.key for line in lines)


def candidate_keys(keys: Iterable[str]) -> frozenset[str]:
    """The keys that could be template lines: not empty, and short enough."""
    return frozenset(key for key in keys if key and len(key) <= _MAX_KEY_CHARS)


@dataclass(frozen=True, slots=True)
class PageKeys:
    """A text dump's template keys, made by the extractor from its own lines.

    They come back with the article so the archive's single writer neither splits the page
    again (`lines` is `page_keys`) nor re-keys the article (`kept` holds every key of
    `article_keys` that a template could contain).
    """

    lines: frozenset[str]
    kept: frozenset[str]


def article_keys(
    body: str, title: str | None = None, captions: list[str] | None = None
) -> set[str]:
    """The line keys an extracted article kept (paragraphs, headline, captions).

    A template can only change an extraction that kept one of its lines: when none of these
    keys is a template line, extracting again with the template gives the same article.
    """
    from .textdump_lines import norm_key

    pieces = [*body.split("\n\n"), title or "", *(captions or [])]
    return {key for piece in pieces if (key := norm_key(piece.strip()))}


def template_from_counts(
    counts: Mapping[str, int], pages: int, min_pages: int = 3
) -> frozenset[str]:
    """Template lines given how many of a site's `pages` dumps hold each key.

    The archive keeps these counts per site across batches, so a template keeps learning.
    """
    if min_pages < 2:
        raise ValueError(
            f"min_pages must be at least 2 (got {min_pages}); one page is not a template."
        )
    if pages < min_pages:
        return frozenset()
    # A long sentence shared by a few pages is more often a follow-up story's background
    # paragraph than furniture: it must be on more pages, and on half of them at least.
    prose_floor = max(min_pages + 1, -(-pages // 2))
    return frozenset(
        key
        for key, n in counts.items()
        if n >= (prose_floor if len(key) >= _PROSE_CHARS else min_pages)
    )


def learn_site_boilerplate(pages: list[str], min_pages: int = 3) -> frozenset[str]:
    """Normalized lines that occur in at least `min_pages` distinct dumps of the same site.

    `pages` are decoded dumps (str). Each line counts once per page. With fewer than
    `min_pages` pages nothing is learned (an empty set), so two copies of one article
    never turn its text into boilerplate. Keys are `textdump_lines.norm_key` forms, the
    same the extractor compares with.
    """
    distinct = list(dict.fromkeys(page for page in pages if isinstance(page, str) and page.strip()))
    counts: Counter[str] = Counter()
    for page in distinct:
        counts.update(page_keys(page))
    return template_from_counts(counts, len(distinct), min_pages)
