"""The publication date of a text dump: the byline zone's stamp first, then around the body.

Dates in the zone between headline and body beat dates elsewhere on the page (related lists
carry other days); relative and year-less dates are read against the page's latest date.
"""

from __future__ import annotations

import re

from .normalize import parse_date
from .textdump_lines import Line


def find_published(
    zone: list[Line],
    before: list[Line],
    after: list[Line],
    everything: list[Line],
    languages: list[str] | None = None,
) -> str | None:
    """The byline zone's date first, then the header above the body, then just below it.

    Relative ("2 hours ago") and year-less ("Nov 19, 6:55 AM") dates near the headline are
    read against the page's own latest date; far from it, only full dates count.
    """
    reference = _page_reference(everything, languages)
    unique = [line for line in zone if line.repeats == 1]  # a related list's dates repeat
    groups = (
        (_published_first(unique), True),
        (_published_first(zone), True),
        (after[:6], True),
        (before[::-1], False),
        (after, False),
    )
    for group, near in groups:
        for line in group:
            if len(line.text) > 160 or line.credit:  # captions carry the photo's date
                continue
            found = stamp_date(
                line.text, reference=reference if near else None, languages=languages
            )
            if found:
                return found
    dated = [
        line for line in everything if len(line.text) < 300 and bool(_ANY_DIGIT.search(line.text))
    ]
    for line in dated:
        found = stamp_date(line.text, languages=languages)
        if found:
            return found
    return None


_PUBLISHED_LABEL = re.compile(
    r"(?<!\w)(?:first published|originally published|original|published|posted|publicado|publié|"
    r"veröffentlicht|pubblicato|diterbitkan)(?!\w)",
    re.IGNORECASE,
)
_UPDATED_LABEL = re.compile(
    r"^\W*(?:last )?(?:updated|modified|edited|actualizado|mis à jour|aktualisiert|aggiornato)(?!\w)",
    re.IGNORECASE,
)


def _published_first(lines: list[Line]) -> list[Line]:
    """Stamps labelled "Published"/"Posted" first, unlabelled next, "Updated ..." rows last.

    A page that shows both keeps its publication day in the first kind; an update is a
    later day more often than not.
    """

    def rank(line: Line) -> int:
        if _PUBLISHED_LABEL.search(line.text):
            return 0
        return 2 if _UPDATED_LABEL.match(line.text) else 1

    return sorted(lines, key=rank)


def stamp_date(
    text: str, reference: str | None = None, languages: list[str] | None = None
) -> str | None:
    """The date of a stamp row, preferring the one after a "Published"/"Posted" label.

    "Updated Nov 19, 9:41 AM; Posted Nov 18, 8:19 PM" is the 18th; a row without a label
    gives its first date.
    """
    label = _PUBLISHED_LABEL.search(text)
    if label and label.start() > 0:
        found = parse_date(text[label.start() :], reference=reference, languages=languages)
        if found:
            return found
    return parse_date(text, reference=reference, languages=languages)


def _page_reference(lines: list[Line], languages: list[str] | None = None) -> str | None:
    """The latest date written on the page (or its copyright year's end): "3 hours ago" context."""
    latest = None
    for line in lines:
        if len(line.text) < 200 and _HAS_YEAR.search(line.text):
            found = parse_date(line.text, languages=languages)
            if found and (latest is None or found > latest):
                latest = found
            elif latest is None:
                year = _COPYRIGHT_YEAR.search(line.text)
                if year:
                    latest = year[1]  # a bare year: enough for "Nov 19", not for "2 days ago"
    return latest


_ANY_DIGIT = re.compile(r"\d")
_HAS_YEAR = re.compile(r"(?:19|20)\d\d|\d/\d{1,2}/\d\d|\d[年년]")
_COPYRIGHT_YEAR = re.compile(
    r"(?:©|copyright)\s*(?:\d{4}\s*[-–]\s*)?((?:19|20)\d\d)", re.IGNORECASE
)
