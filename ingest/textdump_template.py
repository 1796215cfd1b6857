"""Site templates for text dumps, over plain data: lines that repeat across a site's dumps.

A single page cannot tell a site's fixed furniture (menus, promos, footers, a newsletter
blurb written as a sentence) from article text as well as several pages can. This module is
the extraction half of templates, with no database: a page's line keys (`PageKeys`, made by
the extractor from its own lines), how many pages hold each key (`SiteCounts`), the template
those counts give (a frozenset of keys), and whether a template marks a page (`marks`).
Extraction with a template is `extract_text_dump(raw, boilerplate=template)`: the extractor
scores the template's lines as chrome. The archive (archive/site_templates.py) keeps the
counts per site and runs the flow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .textdump_lines import Line

__all__ = [
    "MIN_PAGES",
    "PageKeys",
    "SiteCounts",
    "candidate_keys",
    "count_pages",
    "learn_site_boilerplate",
    "line_keys",
    "marks",
    "page_keys",
    "template_from_counts",
]

MIN_PAGES = 3  # a site with fewer dumps has no template: its pages stand on their own evidence
_MAX_KEY_CHARS = 400  # longer lines are articles' paragraphs, not furniture
_PROSE_CHARS = 60  # from this length a line reads as a sentence of some article


def page_keys(page: str) -> set[str]:
    """The distinct line keys of one dump that could be template lines (short enough)."""
    # imported here: the archive imports this module for every ingest, HTML-only ones too,
    # and the line scorer's patterns cost about 35 ms to compile
    from .textdump_lines import page_lines  # the extractor's own keys: bullets, spacing folded

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

    They come back with the article so the archive's single writer does not split the page
    again to count it into its site's template or to test it against one (`lines` is what
    `page_keys` gives).
    """

    lines: frozenset[str]


def marks(lines: frozenset[str] | set[str], template: frozenset[str]) -> bool:
    """Whether `template` marks a line of a page whose line keys are `lines`.

    Any line counts, not only one the article kept: a template line rescores its neighbours,
    so it can move the article region even when it was chrome already. A page the template
    does not mark extracts the same with it as without it.
    """
    return not template.isdisjoint(lines)


def count_pages(pages: Iterable[frozenset[str] | set[str]]) -> Counter[str]:
    """How many of `pages` (each a page's line keys) hold each key: one count per page."""
    counts: Counter[str] = Counter()
    for keys in pages:
        counts.update(keys)
    return counts


@dataclass(frozen=True, slots=True)
class SiteCounts:
    """How many of a site's dumps there are and how many hold each line key.

    What a template is learned from; the archive keeps these per site across batches and
    runs, so a template keeps learning. `plus` gives the counts with more pages added.
    """

    pages: int = 0
    lines: Mapping[str, int] = field(default_factory=dict)

    def plus(self, pages: int, added: Mapping[str, int]) -> SiteCounts:
        lines = dict(self.lines)
        for key, n in added.items():
            lines[key] = lines.get(key, 0) + n
        return SiteCounts(self.pages + pages, lines)

    def template(self, min_pages: int = MIN_PAGES) -> frozenset[str]:
        return template_from_counts(self.lines, self.pages, min_pages)


def template_from_counts(
    counts: Mapping[str, int], pages: int, min_pages: int = MIN_PAGES
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


def learn_site_boilerplate(pages: list[str], min_pages: int = MIN_PAGES) -> frozenset[str]:
    """Normalized lines that occur in at least `min_pages` distinct dumps of the same site.

    `pages` are decoded dumps (str). Each line counts once per page. With fewer than
    `min_pages` pages nothing is learned (an empty set), so two copies of one article
    never turn its text into boilerplate. Keys are `textdump_lines.norm_key` forms, the
    same the extractor compares with.
    """
    distinct = list(dict.fromkeys(page for page in pages if isinstance(page, str) and page.strip()))
    counts = count_pages(page_keys(page) for page in distinct)
    return template_from_counts(counts, len(distinct), min_pages)
