"""The headline of a text dump: the headline-shaped line nearest above the article region.

Scored by distance (chrome rows between do not count), shape (words, capitals, no final
full stop), a byline or date right under it, and the renderer's own heading marks; captions,
names, teasers and form rows are passed over.
"""

from __future__ import annotations

import re

from .normalize import parse_date
from .textdump_byline import has_author_label, is_person_name, opens_byline
from .textdump_lines import Line, norm_key


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
        if opens_byline(text) or text.count("|") >= 2 or "@" in text:
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
_ANY_DIGIT = re.compile(r"\d")


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
    if opens_byline(text) or has_author_label(text):
        return True
    if is_person_name(text):
        return True
    if _TIME.search(text) and len(text) < 60:
        return True
    return len(text) < 100 and bool(_ANY_DIGIT.search(text)) and parse_date(text) is not None


def _has_cjk(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)
