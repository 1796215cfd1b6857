"""The site and section of a text dump: the copyright holder as the header spells it, and the
breadcrumb item or section label above the headline.
"""

from __future__ import annotations

import re

from .textdump_byline import is_person_name
from .textdump_lines import Line, norm_key

_BREADCRUMB_SEP = re.compile(r"\s*(?:»|›|>|/|\||→|::)\s*")
_HOME = re.compile(
    r"^(?:home|homepage|inicio|início|accueil|startseite|home page|beranda|главная|news)$",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:©\s*)?(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*,?\s*(?:by\s+)?(?P<name>[^.|,©]{2,60}?)"
    r"\s*(?:\.|,|\||all rights|$|\d{4}|designed|powered|inc\b|llc\b|ltd\b)",
    re.IGNORECASE,
)
_ANY_DIGIT = re.compile(r"\d")


def find_category(
    lines: list[Line], title_pos: int | None, title_key: str | None, site_key: str
) -> str | None:
    """The breadcrumb item before the headline, else a short section label just above it."""
    stop = title_pos if title_pos is not None else len(lines)
    for pos in range(min(stop, len(lines) - 1), max(-1, stop - 45), -1):
        line = lines[pos]
        parts = (
            [p.strip() for p in _BREADCRUMB_SEP.split(line.text) if p.strip()]
            if len(line.text) < 300
            else []
        )
        arrows = len(_ARROWS.findall(line.text)) >= 2
        # "Local News › Environment" right above the headline: one arrow is a breadcrumb there
        near_arrow = (
            pos >= stop - 3
            and bool(_ARROWS.search(line.text))
            and 2 <= len(parts) <= 4
            and all(len(p) <= 40 for p in parts)
        )
        if len(parts) >= 2 and (_HOME.match(parts[0]) or arrows or near_arrow):
            items = [p for p in parts[1:] if norm_key(p) != title_key]
            ends_in_title = bool(title_key) and norm_key(parts[-1]) == title_key
            if (
                (ends_in_title or _HOME.match(parts[0]) or near_arrow)
                and items
                and len(items[-1]) <= 40
            ):
                return items[-1]
        if _HOME.match(line.text.strip()) and line.bullet:
            items: list[str] = []
            for nxt in lines[pos + 1 : pos + 6]:
                if not nxt.bullet or norm_key(nxt.text) == title_key or len(nxt.text) > 60:
                    break
                items.append(nxt.text)
            # a breadcrumb rendered as a list is a short trail; a longer list is the site's menu
            if items and len(items) <= 3 and pos >= stop - 12:
                return items[-1]
    if title_pos is not None:
        for line in lines[max(0, title_pos - 2) : title_pos][::-1]:
            text = line.text
            if _section_label(line, site_key):
                return text
    return None


_ARROWS = re.compile(r"[»›]")


def _section_label(line: Line, site_key: str) -> bool:
    """ "Hub", "U.S. news", "Life and Culture": a short capitalised label, not a name or a control."""
    text = line.text
    if not 1 <= line.words <= 4 or len(text) > 30 or line.boiler or line.bullet or line.date_only:
        return False
    if (
        _ANY_DIGIT.search(text)
        or text.endswith((".", ":"))
        or re.search(r"[\[\]()@/]|\.\w{2,3}$", text)
    ):
        return False
    half = len(text) // 2
    if len(text) % 2 == 0 and text[:half] == text[half:]:
        return False  # a logo rendered twice
    if norm_key(text).replace(" ", "") == site_key or (is_person_name(text) and "." in text):
        return False
    words = text.split()
    small = {"and", "&", "of", "the", "news", "de", "e", "y", "et", "und", "di"}
    return words[0][:1].isupper() and all(w[:1].isupper() or w.lower() in small for w in words)


def find_site_name(lines: list[Line], header_end: int) -> str | None:
    """The site's name: the copyright holder, spelt as the page header spells it."""
    holder = None
    for line in lines[::-1]:
        match = _COPYRIGHT.search(line.text) if len(line.text) < 300 else None
        if match:
            name = _HOLDER_NOISE.sub("", match["name"]).strip(" -–—:;,")
            if name and not name[0].isdigit() and len(name.split()) <= 6:
                holder = name
                break
    holder_key = norm_key(holder).replace(" ", "") if holder else ""
    counts: dict[str, int] = {}
    first: dict[str, str] = {}
    logos: set[str] = set()
    for line in lines[: max(header_end, 1)]:
        text = line.text
        half = len(text) // 2
        single = text[:half] if len(text) % 2 == 0 and text[:half] == text[half:] else text
        logo = _LOGO.match(single) if len(single) < 60 else None
        if logo:  # "cleveland’s Logo": the site names itself in its logo's alt text
            return logo[1].strip()
        if line.bullet or line.boiler or not 1 <= line.words <= 6 or len(text) > 50:
            continue
        key = norm_key(text)
        half = len(text) // 2
        if len(text) % 2 == 0 and text[:half] == text[half:]:  # logo rendered twice: "NameName"
            key, text = norm_key(text[:half]), text[:half]
            logos.add(key)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, text)
    if holder_key:
        for key, text in first.items():
            if key.replace(" ", "") == holder_key:
                return text
    repeated = [
        (n, key) for key, n in counts.items() if key in logos and not bool(_ANY_DIGIT.search(key))
    ]
    if repeated:
        return first[max(repeated)[1]]
    if holder:
        return holder
    return None


_LOGO = re.compile(r"^(?:logo\s*(?:of|:|-)?\s*)?(.{2,40}?)(?:['’]s)?\s+logo$", re.IGNORECASE)
_HOLDER_NOISE = re.compile(
    r"^(?:copyright\s*)+|,?\s+(?:pty|inc|llc|ltd|corp|pvt|plc|gmbh|s\.?a|co)\b\.?.*$", re.IGNORECASE
)


def site_key_of(name: str | None) -> str:
    return norm_key(name).replace(" ", "") if name else ""
