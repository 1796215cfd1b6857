"""Metadata of a text dump, read around the article region: title, byline, date, section, site.

The article region (found by the line scorer) anchors everything: the headline is the
headline-shaped line nearest above it, the byline zone lies between headline and body, and
dates in that zone beat dates elsewhere on the page (related lists carry other days).
"""

from __future__ import annotations

import re

from .normalize import clean_authors, parse_date, split_authors
from .textdump_lines import Line, norm_key
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


def find_title(lines: list[Line], start: int, keys_text: str) -> int | None:
    """Index (into `lines`) of the headline: headline-shaped, near above the body, repeated if possible."""
    best: tuple[float, int] | None = None
    low = max(0, start - 45)
    chrome = 0  # boilerplate rows between a candidate and the body do not count as distance
    related = next(  # a related-stories list can sit between the headline and the body
        (
            pos
            for pos in range(start - 1, low - 1, -1)
            if lines[pos].chars < 80 and _RELATED_LIST.match(lines[pos].text)
        ),
        None,
    )
    if related is not None and not any(line.date_only for line in lines[related + 1 : start]):
        related = None  # a list of dated teaser cards, not an inline box of links
    for pos in range(min(start + 2, len(lines) - 1), low - 1, -1):
        line = lines[pos]
        text = line.text
        if pos < start and (line.boiler or line.score <= -3.0):
            chrome += 1
        if (
            line.boiler
            or line.template
            or line.date_only
            or line.credit
            or not line.key
            or _SIGNED_IN.search(text)
        ):
            continue
        headline_sized = 3 <= line.words <= 30 and 12 <= len(text) <= 250
        if not headline_sized and not (line.words >= 1 and len(text) >= 8 and _has_cjk(text)):
            continue
        if _BYLINE.match(text) or _GLUED_BYLINE.search(text) or text.count("|") >= 2 or "@" in text:
            continue
        if bool(_ANY_DIGIT.search(text)) and parse_date(text):
            continue
        distance = abs(start - pos) - chrome
        if related is not None and pos < related:
            distance -= start - related  # the teaser list between it and the body is no distance
        score = -0.08 * distance
        if pos >= start and (text.endswith(".") or line.chars > 150):
            continue  # inside the body only a headline-shaped line can be the title
        occurrences = keys_text.count(line.key)
        if occurrences > line.repeats:  # also inside a longer line: a breadcrumb, a share text
            score += 1.5
        elif line.repeats > 1:
            score += 0.5
        if line.bullet:
            score -= 2.5
        if related is not None and related < pos < start:
            score -= 3.0  # under a "More stories like this" row: a teaser, not the headline
        if text.endswith(".") and not text.endswith("..."):
            score -= 2.0 if line.words > 14 else 1.0
        if is_person_name(text):
            continue  # a person's name: the byline, not the headline
        if _CREDIT_TAIL.search(text) or _captioned(lines, pos):
            continue  # a photo's caption: it ends in a credit, or shows again as "Image: ..."
        if _NAMES_AND.match(text) or _NAME_AND_ORG.match(text):
            continue  # "Kevin Johnson and Kevin McCoy USA TODAY", "Tom Davies Associated Press"
        tokens = text.split()
        if "[ ]" in text or sum(t.strip("—–-").isdigit() for t in tokens) >= max(
            2, len(tokens) // 3
        ):
            continue  # a form row or a score table row
        if line.words >= 5:
            score += 1.0
        if line.chars > 160:
            score -= 1.0
        if text.isupper():
            score -= 0.5
        long_words = [w for w in text.split() if len(w) > 3]
        if long_words and sum(w[0].isupper() for w in long_words) / len(long_words) > 0.7:
            score += 0.7
        score += _followed_by_byline(lines, pos)
        if line.heading:  # the renderer showed the page's own heading levels
            score += 2.0 if line.heading == 1 else 0.5
        if line.linked:
            score -= 1.0  # a headline that links elsewhere is a teaser
        if best is None or score > best[0]:
            best = (score, pos)
    return best[1] if best else None


_RELATED_LIST = re.compile(
    r"^\W*(?:more (?:stories|articles|news|posts) like this(?: one)?|related (?:articles|stories|posts|news)|"
    r"you (?:may|might) also (?:like|enjoy)|recommended (?:for you|stories|articles))\W*$",
    re.IGNORECASE,
)
_NAMES_AND = re.compile(
    r"^(?:[A-ZÀ-Þ][\w'’.-]*\s+){1,3}(?:and|&)\s+(?:[A-ZÀ-Þ][\w'’.-]*(?:\s+|$)){2,8}$"
)
_NAME_AND_ORG = re.compile(
    r"^(?:[A-ZÀ-Þ][\w'’.-]*\s+){1,3}(?:Associated Press|The Associated Press|AP|Reuters|AFP|USA TODAY|"
    r"Bloomberg|CNN|Staff|Staff Writer|Contributor|"
    r"(?:[A-ZÀ-Þ][\w'’.-]*\s+){1,3}(?:Today|TODAY|Times|Post|Journal|Herald|Tribune|Leader|Gazette|"
    r"Register|Observer|Chronicle|Bee|Inquirer|Examiner|Dispatch|Courier|Enquirer|Sentinel))$"
)
_TIME = re.compile(r"\b\d{1,2}:\d\d\s*(?:[ap]\.?m\.?)?\b", re.IGNORECASE)
_SIGNED_IN = re.compile(
    r"signed in|log ?out|sign ?out|edit profile|my account|notebook$", re.IGNORECASE
)


_CREDIT_TAIL = re.compile(
    r"(?:/|\.|\|)\s*(?:Reuters|AP|AFP|EPA|Getty Images|Bloomberg|Shutterstock)(?: file)?\s*$"
)
_CAPTION_LABEL = re.compile(r"^(?:image|photo|picture|pictured|caption)\s*:\s*", re.IGNORECASE)


def _captioned(lines: list[Line], pos: int) -> bool:
    """The line shows again just below as an "Image: ..." caption."""
    key = lines[pos].key
    for nxt in lines[pos + 1 : pos + 3]:
        label = _CAPTION_LABEL.match(nxt.text)
        if label and norm_key(nxt.text[label.end() :]) == key:
            return True
    return False


def _followed_by_byline(lines: list[Line], pos: int) -> float:
    """A bonus for a byline or date right under a line: 1.5 on the next line, 0.8 a little lower."""
    distance = 0
    for nxt in lines[pos + 1 : pos + 12]:
        if nxt.boiler:
            continue  # share and print rows between a headline and its byline are no distance
        if _byline_or_date(nxt):
            return 1.5 if distance == 0 else 0.8
        distance += 1
        if distance == 4:
            break
    return 0.0


def _byline_or_date(nxt: Line) -> bool:
    text = nxt.text
    if _BYLINE.match(text) or _GLUED_BYLINE.search(text) or _AUTHOR_LABEL.match(text):
        return True
    if is_person_name(text):
        return True
    if _TIME.search(text) and len(text) < 60:
        return True
    return len(text) < 100 and bool(_ANY_DIGIT.search(text)) and parse_date(text) is not None


def _has_cjk(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)


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
        if (_BYLINE.match(text) or _GLUED_BYLINE.search(text)) and len(text) < 200:
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


def finalize_authors(names: list[str], site_name: str | None) -> list[str]:
    return clean_authors(names, site_name)
