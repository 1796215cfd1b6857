"""Line features of a text rendering of a page, and the score that says "article prose".

A w3m dump keeps each paragraph on one line, so the unit here is the line. What a text
rendering still shows is enough to tell prose from chrome: length, sentence shape,
stop-word density, list bullets, repeated lines and well-known boilerplate phrases (the
phrases themselves are in textdump_phrases).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .textdump_phrases import STOPWORDS, is_boilerplate, is_credit, is_date_only
from .textdump_render import line_key, normalize_dump

BULLET = re.compile(r"^\s*(?:[•☆□○◦▪■▶►●◆◇★*·‣⁃–—-]\s*|\d{1,2}[.)]\s+)")
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_END = frozenset('.!?。！？…:;"”’»)]')
_DASH_LEAD = re.compile(r"^\s*[–—-]\s*\w")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]{2,}")
_NON_WORD = re.compile(r"[\W_]+")


def norm_key(text: str) -> str:
    """A line's identity for repeat detection: case, quotes, punctuation and spacing folded."""
    if text.isascii():  # NFKC changes no ASCII text and casefold is lower() there: skip both
        return _NON_WORD.sub(" ", text.lower()).strip()
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@dataclass(slots=True)
class Line:
    index: int
    raw: str
    text: str  # stripped, bullet removed
    key: str
    bullet: bool
    chars: int  # effective length (CJK characters count double: they carry a word each)
    words: int
    stop_ratio: float
    sentence_end: bool
    boiler: bool
    credit: bool
    date_only: bool
    repeats: int = 1  # how often the normalized line occurs on the page
    twin: bool = False  # the same short line again within two lines (teaser cards, logos)
    nested: bool = False  # indented under a list bullet: a menu's or a teaser list's item text
    template: bool = False  # the site's template marks this line as furniture
    heading: int = 0  # the renderer showed it as a heading of this level (markdown, lynx)
    linked: bool = False  # the renderer showed it as all link text (markdown)
    score: float = 0.0


def make_line(index: int, raw: str) -> Line:
    # runs of spaces carry nothing in a rendering, and would make regexes quadratic
    stripped = raw.strip()
    if "  " in stripped or "\t" in stripped or not stripped.isascii():
        stripped = _SPACES.sub(" ", stripped)
    bullet_match = BULLET.match(raw)
    bullet = (bool(bullet_match) and not _DASH_LEAD.match(raw)) or stripped.startswith(
        ("•", "☆", "□", "○")
    )
    text = BULLET.sub("", stripped, count=1).strip() if bullet else stripped
    lower = text.lower()
    words = _WORD.findall(lower)
    cjk = len(_CJK.findall(text)) if not text.isascii() else 0
    stops = sum(1 for w in words if w in STOPWORDS)
    length = len(text)
    nwords = len(words) + (cjk // 2 if cjk else 0)
    return Line(
        index=index,
        raw=raw,
        text=text,
        key=norm_key(text),
        bullet=bullet,
        chars=len(text) + cjk,
        words=nwords,
        stop_ratio=stops / len(words) if words else 0.0,
        sentence_end=text[-1:] in _SENTENCE_END and bool(text),
        boiler=is_boilerplate(text, lower, words),
        credit=length < 600 and is_credit(text),
        date_only=is_date_only(text, lower),
    )


# A line the site's template marks is known furniture: it is dropped from the body anyway, so
# inside an article it costs the region little (a short final paragraph after it must survive).
TEMPLATE_PENALTY = 0.5
BOILER_PENALTY = 1.5
# w3m indents a list item's further blocks under its bullet: menus and teaser lists, almost
# never article paragraphs (208 such lines off the body against 2 in it, on the dev corpus).
NESTED_CAP = 0.0  # known phrases also sit inside articles ("Advertisement"): a gap, not a wall


def score_line(line: Line) -> float:
    """Positive for prose, negative for chrome; the region pick sums these."""
    if line.template:  # site furniture sits inside articles too ("Don't miss"): a gap, not a wall
        return -TEMPLATE_PENALTY
    if line.boiler:
        return -BOILER_PENALTY if line.chars < 60 else -1.5
    if line.date_only:
        return -1.0
    if not line.text or not any(ch.isalnum() for ch in line.text):
        return -0.8
    score = (min(line.chars, 400) - 55) / 50.0
    if line.sentence_end and line.words >= 6:
        score += 0.8
    if line.words >= 6 and line.stop_ratio >= 0.2:
        score += 0.6
    elif line.words >= 8 and line.stop_ratio < 0.05 and not _CJK.search(line.text):
        score -= 1.0
    if line.bullet:
        score -= 1.0 if line.chars < 80 or not line.sentence_end else 0.2
    if line.repeats > 1:
        score -= 2.5 if line.twin else 1.5
    if line.nested:  # it may bridge two parts of an article, never carry one
        score = min(score, NESTED_CAP)
    if "|" in line.text and line.text.count("|") >= 2:
        score -= 2.0
    if line.credit:
        score = min(score, 0.0)
    if line.linked:  # a menu entry or a teaser headline: prose is not all link text
        score = min(score, -0.5)
    return max(min(score, 6.0), -3.0)


def page_lines(text: str) -> list[Line]:
    """Non-blank lines with features and repeat counts (shared with the template learner)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\x00", "")
    rendered = normalize_dump(text)  # lynx, markdown and wrapped dumps read like a w3m dump
    lines = [
        make_line(i, raw.rstrip()) for i, raw in enumerate(rendered.text.split("\n")) if raw.strip()
    ]
    if rendered.headings or rendered.linked:
        for line in lines:
            key = line_key(line.text)
            line.heading = rendered.headings.get(key, 0)
            line.linked = key in rendered.linked
    counts = Counter(line.key for line in lines if line.key)
    mark_nested(lines)
    for pos, line in enumerate(lines):
        line.repeats = counts.get(line.key, 1)
        if line.repeats > 1 and line.chars < 200:
            # a teaser card prints its headline twice in a row; article text never does
            near = lines[max(0, pos - 2) : pos] + lines[pos + 1 : pos + 3]
            line.twin = any(other.key == line.key for other in near)
    return lines


_LIST_GLYPHS = ("•", "□", "○", "☆", "◦", "▪", "■", "●")


def mark_nested(lines: list[Line]) -> None:
    """Flag lines indented deeper than the list bullet above them (the item's further blocks)."""
    owner: int | None = None  # indentation of the bullet whose item we are in
    for line in lines:
        indent = len(line.raw) - len(line.raw.lstrip(" "))
        if line.bullet and line.raw.lstrip().startswith(_LIST_GLYPHS):
            owner = indent
        elif owner is not None and indent > owner:
            line.nested = True
        else:
            owner = None
