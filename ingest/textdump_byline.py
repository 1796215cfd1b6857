"""Authors of a text dump: byline rows ("By ...", "Author: ..."), bare names, name-and-date rows.

Read in the byline zone between the headline and the article region that textdump.py finds.
"""

from __future__ import annotations

import re

from .normalize import clean_authors, parse_date, split_authors
from .textdump_lines import Line
from .textdump_phrases import STOPWORDS

_BYLINE = re.compile(
    r"^(?:(?:written|reported|posted|words|story|text)\s+by|by|von|por|par|oleh|door|av|di|автор)\b\s*:?\s*\S",
    re.IGNORECASE,
)
_GLUED_BYLINE = re.compile(r"[a-zà-ÿ.]By\s+[A-ZÀ-Þ]")
_AUTHOR_LABEL = re.compile(
    r"^(?:author|autor|auteur|autore|penulis|redaksi|reporter)s?\s*:\s*(?P<name>.+)$", re.IGNORECASE
)
_NAME = re.compile(
    r"^[A-ZÀ-Þ][\w'’.-]+(?:\s+(?:[A-ZÀ-Þ][\w'’.-]*|de|da|van|von|del|la|le|bin|al-)){1,3}$"
)
_ANY_DIGIT = re.compile(r"\d")


def opens_byline(text: str) -> bool:
    """ "By Jane Roe", "Reported by ...", or a byline glued to the line before ("...storyBy Jane")."""
    return bool(_BYLINE.match(text) or _GLUED_BYLINE.search(text))


def has_author_label(text: str) -> bool:
    """ "Author: Jane Roe" and its translations."""
    return bool(_AUTHOR_LABEL.match(text))


def find_authors(zone: list[Line], title_key: str | None) -> list[str]:
    """Names from the byline zone: "By ..." lines first, then labelled or bare name lines."""
    for pos, line in enumerate(zone):
        text = line.text
        label = _AUTHOR_LABEL.match(text)
        if label:
            names = split_authors(label["name"])
            if names:
                return names
        if text.lower() in {"by", "von", "por", "par", "oleh", "door", "di"} and pos + 1 < len(
            zone
        ):
            names = split_authors(zone[pos + 1].text)  # "By" on its own line, the name below it
            if names:
                return names
        if opens_byline(text) and len(text) < 200:
            names = split_authors(text)
            if names:
                return names
        plain = len(text) < 150 and line.stop_ratio < 0.3 and not line.credit
        inner = _INNER_BY.search(text) if plain else None
        if inner:  # "Monday November 18, 2019 7:45 am PST by Joe Rossignol"
            names = split_authors("By " + inner[1])
            if names:
                return names
    return []


_INNER_BY = re.compile(
    r"(?:^|[\s|·•,])(?:by|By|BY):?\s+([A-ZÀ-Þ][\w'’.-]+(?:\s+[A-ZÀ-Þ][\w'’.-]+){1,2})\s*(?:$|[,|·•–—]|\s-\s|\d)"
)


def find_bare_author(zone: list[Line], title_key: str | None) -> list[str]:
    """A line that is only a person's name, close under the headline (no "By" on some sites)."""
    for line in zone[:8]:
        if len(line.text) > 200:
            continue
        text = _NAME_HEAD.split(line.text, maxsplit=1)[0].strip(" ,;")
        text = _GLUED_TAIL_WORDS.sub("", text)
        if line.key == title_key or line.boiler or line.bullet or line.twin:
            continue
        if is_person_name(text):
            names = split_authors(text)
            if names:
                return names
    return []


def find_dated_name(zone: list[Line], title_key: str | None) -> list[str]:
    """A name row beside a date row around the headline ("Molly Wood / Ideas / 11.14.2019")."""
    for pos, line in enumerate(zone):
        if len(line.text) > 80 or line.boiler or line.credit or line.twin or line.repeats > 2:
            continue
        text = _NAME_HEAD.split(line.text, maxsplit=1)[0].strip(" ,;")
        if line.key == title_key or len(line.text) - len(text) > 40 or not is_person_name(text):
            continue  # the headline, or a sentence that starts with a name
        near = zone[max(0, pos - 2) : pos] + zone[pos + 1 : pos + 3]
        if any(_date_row(other) for other in near):
            names = split_authors(text)
            if names == [text]:  # the whole row is one name, nothing glued to it
                return names
    return []


def _date_row(line: Line) -> bool:
    return line.date_only or (
        len(line.text) < 60
        and bool(_ANY_DIGIT.search(line.text))
        and parse_date(line.text) is not None
    )


def is_person_name(text: str) -> bool:
    """ "Sarah E. Needleman", "Marcus De Guzman": capitalised words, initials, particles; no label words."""
    if len(text) >= 40 or not _NAME.match(text) or bool(_ANY_DIGIT.search(text)):
        return False
    words = [w.lower() for w in re.findall(r"\w+", text)]
    particles = {"de", "da", "van", "von", "del", "la", "le", "bin", "al"}
    return not any(
        w in _NOT_NAME or (len(w) > 1 and w in STOPWORDS and w not in particles) for w in words
    )


# The name part of "Tom Krisher, Ap Auto Writer", "Chris Davies - Nov 19", "Keris Lahiff@handle".
_NAME_HEAD = re.compile(r"\s*(?:,|\s[-–—|·•]\s|@|\()")
_GLUED_TAIL_WORDS = re.compile(
    r"(?<=[a-z])(?:View|More|Read|Follow|Email|Contact|Author|Posts?)\b.*$"
)
_NOT_NAME = frozenset(
    [
        "news",
        "deals",
        "email",
        "me",
        "must",
        "watch",
        "review",
        "reviews",
        "car",
        "cars",
        "tips",
        "impact",
        "health",
        "business",
        "search",
        "enlarge",
        "image",
        "images",
        "report",
        "earnings",
        "trading",
        "nation",
        "visual",
        "marketing",
        "agency",
        "space",
        "european",
        "insider",
        "times",
        "sports",
        "live",
        "video",
        "videos",
        "photos",
        "photo",
        "opinion",
        "world",
        "politics",
        "home",
        "latest",
        "more",
        "gallery",
        "back",
        "swimming",
        "science",
        "tech",
        "technology",
        "local",
        "weather",
        "entertainment",
        "lifestyle",
        "travel",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "updated",
        "published",
        "posted",
        "editorial",
        "staff",
        "team",
        "desk",
        "press",
        "associated",
        "reuters",
        "contributor",
        "writer",
        "editor",
        "reporter",
        "confidential",
        "share",
        "follow",
        "subscribe",
        "newsletter",
        "read",
        "comments",
        "comment",
        "menu",
        "sign",
        "log",
    ]
)


def finalize_authors(names: list[str], site_name: str | None) -> list[str]:
    return clean_authors(names, site_name)
