"""Plain-text page dumps (w3m/lynx renderings, copy-paste) to Articles.

Stages: decode → one Line per non-blank line with its features → a score per line →
the best contiguous region (maximum-sum run) is the article → inside it, captions, bylines
and boilerplate rows are taken out → metadata is read around the region.
Site templates learned from other pages of the same site (see textdump_template) can mark
lines as boilerplate; without one, a single page is extracted on its own evidence.
"""

from __future__ import annotations

import re

from .decode import decode_bytes
from .errors import IngestError, TooLarge
from .language import detect_language
from .model import Article, RawDocument
from .normalize import find_dateline, parse_date
from .textdump_byline import (
    finalize_authors,
    find_authors,
    find_bare_author,
    find_dated_name,
    opens_byline,
)
from .textdump_dates import find_published
from .textdump_lines import Line, norm_key, page_lines, score_line
from .textdump_phrases import END_OF_ARTICLE
from .textdump_site import find_category, find_site_name, site_key_of
from .textdump_template import PageKeys, line_keys
from .textdump_title import find_title

MAX_CHARS = 5_000_000  # a text page larger than this is not a page
_MIN_REGION_SCORE = 2.5
_MIN_BODY_CHARS = 120
_AMBIGUOUS_DAY = re.compile(r"(?<!\d)(?:0?[1-9]|1[0-2])[/.-](?:0?[1-9]|1[0-2])[/.-]\d\d")


def extract_text_dump(raw: RawDocument, boilerplate: frozenset[str] | None = None) -> Article:
    """One text dump to an Article. `boilerplate`: normalized lines a site template marks as chrome."""
    return extract_text_dump_keyed(raw, boilerplate)[0]


def extract_text_dump_keyed(
    raw: RawDocument, boilerplate: frozenset[str] | None = None
) -> tuple[Article, PageKeys]:
    """`extract_text_dump`, and the page's site-template keys from the same split into lines:
    the archive uses them without splitting the page again (that second pass cost its single
    writer process about 2 ms a page)."""
    text = decode_bytes(raw.data, raw.origin)
    return _extract_checked(text, boilerplate, raw.origin)


def extract_text(
    text: str, *, boilerplate: frozenset[str] | None = None, origin: str = "<text>"
) -> Article:
    """The same as extract_text_dump on already decoded text (any str is accepted)."""
    return _extract_checked(text, boilerplate, origin)[0]


def _extract_checked(
    text: str, boilerplate: frozenset[str] | None, origin: str
) -> tuple[Article, PageKeys]:
    if not isinstance(text, str):
        raise IngestError(
            f"{origin}: expected decoded text, got {type(text).__name__}.", reason="malformed"
        )
    if len(text) > MAX_CHARS:
        raise TooLarge(
            f"{origin}: the text is {len(text):,} characters; split it or raise the limit."
        )
    try:
        return _extract(text, boilerplate or frozenset())
    except IngestError:
        raise
    except (
        Exception
    ) as exc:  # a bug must not take the batch down: report it as this input's failure
        raise IngestError(
            f"{origin}: text extraction failed ({type(exc).__name__}: {exc})."
        ) from exc


def _extract(text: str, boilerplate: frozenset[str]) -> tuple[Article, PageKeys]:
    lines = page_lines(text)
    article = Article()
    if not lines:
        return article, PageKeys(frozenset())
    for line in lines:
        line.template = bool(line.key) and line.key in boilerplate
        line.score = score_line(line)
    region = best_region(lines)
    keys_text = "\n".join(line.key for line in lines)
    if region is None:
        start = end = None
    else:
        start, end = extend_region(lines, *region)
        start = skip_head(lines, start, end)
        end = cut_tail(lines, start, end)

    title_pos = find_title(lines, start if start is not None else len(lines), keys_text)
    title_key = lines[title_pos].key if title_pos is not None else None
    if title_pos is not None:
        article.title = _clean_title(lines[title_pos].text)
        if start is not None and end is not None and start <= title_pos < end:
            # the headline opened the region: the body starts under it and its byline rows
            start = skip_head(lines, title_pos + 1, end)

    body_start = start if start is not None else len(lines)
    body_end = end if end is not None else len(lines) - 1
    zone_from = (
        title_pos + 1
        if title_pos is not None and title_pos < body_start
        else max(0, body_start - 8)
    )
    zone = lines[zone_from:body_start]
    if title_pos is not None:
        zone = lines[max(0, title_pos - 2) : title_pos] + zone
    header_end = title_pos if title_pos is not None else body_start
    article.site_name = find_site_name(lines, header_end)
    site_key = site_key_of(article.site_name)

    body_lines: list[Line] = []
    captions: list[str] = []
    caption_keys: set[str] = set()
    extra_byline: list[Line] = []
    if start is not None and end is not None:
        for line in lines[max(0, start - 4) : start]:  # a lead photo's caption sits just above
            if line.credit and line.chars >= 25 and line.key not in caption_keys:
                caption_keys.add(line.key)
                captions.append(line.text)
        for line in lines[start : end + 1]:
            if line.credit or (line.repeats > 1 and line.chars >= 60 and line.key != title_key):
                if line.chars >= 25 and line.key not in caption_keys:
                    caption_keys.add(line.key)
                    captions.append(line.text)
                continue
            if line.key in caption_keys:
                continue
            if _is_byline(line):
                extra_byline.append(line)
                continue
            if (
                line.boiler
                or line.template
                or line.date_only
                or line.score <= -3.0
                or line.key == title_key
            ):
                continue
            if line.bullet and not line.text:
                continue
            body_lines.append(line)
    if end is not None:
        for line in lines[end + 1 : end + 8]:  # the closing photo's caption sits just below
            if (line.credit or (line.key in caption_keys)) and line.chars >= 25:
                if line.key not in caption_keys:
                    caption_keys.add(line.key)
                    captions.append(line.text)
            elif line.repeats > 1 and line.chars >= 60 and line.score > -3:
                if not line.boiler:
                    caption_keys.add(line.key)
                    captions.append(line.text)
            else:
                break
    body_lines = _trim_edges(body_lines)
    body = "\n\n".join(line.text for line in body_lines)
    if len(body) < _MIN_BODY_CHARS and not any(
        line.chars >= 80 and line.sentence_end for line in body_lines
    ):
        body = ""
    article.body = body
    article.captions = captions

    after = lines[body_end + 1 : body_end + 30]
    before = lines[max(0, zone_from - 30) : zone_from]
    near_body = lines[max(0, body_start - 25) : body_start + 3]
    names = find_authors(zone + extra_byline + near_body, title_key)
    if not names and title_pos is not None:
        names = find_bare_author(lines[title_pos + 1 : max(body_start, title_pos + 1)], title_key)
    if not names and title_pos is not None:
        around = lines[max(0, title_pos - 3) : max(body_start, title_pos + 1)]
        names = find_dated_name(around, title_key)
    article.authors = finalize_authors(names, article.site_name)
    head = [
        line
        for line in lines[body_start : body_start + 8]
        if line.date_only or _STAMP.match(line.text)
    ]
    # numeric dates read in the page's language's order ("11/04/2012" is April on a German
    # page); only a page showing such a date pays for language detection here
    languages = None
    if _AMBIGUOUS_DAY.search(text):
        article.language = detect_language(f"{article.title or ''}\n{body}")
        languages = [article.language] if article.language else None
    article.published = find_published(zone + head, before, after, lines, languages)
    article.category = find_category(lines, title_pos, title_key, site_key)
    if article.category and norm_key(article.category) in {
        norm_key(name) for name in article.authors
    }:
        article.category = None  # the row above the headline was the byline
    if body:
        article.dateline, article.wire = find_dateline(body)
    return article, PageKeys(line_keys(lines))


def best_region(lines: list[Line]) -> tuple[int, int] | None:
    """The maximum-sum contiguous run of line scores (Kadane), or None when nothing scores well."""
    best_sum, best = 0.0, None
    run_sum, run_start = 0.0, 0
    for pos, line in enumerate(lines):
        if run_sum <= 0:
            run_sum, run_start = 0.0, pos
        run_sum += line.score
        if run_sum > best_sum:
            best_sum, best = run_sum, (run_start, pos)
    if best is None or best_sum < _MIN_REGION_SCORE:
        return None
    return best


def skip_head(lines: list[Line], start: int, end: int) -> int:
    """Start the body after a byline or date line found among the region's first lines.

    The headline, standfirst and a newsletter box can score like prose; the byline or
    dateline row that separates them from the article cannot.
    """
    limit = min(end, start + 10)
    cut = None
    for pos in range(start, limit):
        line = lines[pos]
        if _is_byline(line) or (pos < end and _stamp_row(line)):
            cut = pos
    if cut is None:
        return start
    kept = sum(max(line.score, 0) for line in lines[cut + 1 : end + 1])
    dropped = sum(max(line.score, 0) for line in lines[start:cut])
    return cut + 1 if kept > 2 * dropped else start


def _stamp_row(line: Line) -> bool:
    """A short row that carries the publication date ("LinkNaija October 06, 2018")."""
    if line.date_only:
        return True
    return (
        line.chars < 100
        and line.words <= 12
        and line.stop_ratio < 0.3
        and not line.text.endswith(".")
        and parse_date(line.text) is not None
    )


def cut_tail(lines: list[Line], start: int, end: int) -> int:
    """End the body before a comments / related-stories / tags row once the article is under way.

    Comment threads and teaser lists score like prose line by line; the row that opens
    them does not. A lone row met before most of the article (an inline "More from UK"
    list) is left alone; a cluster of them ends it earlier.
    """
    total = sum(max(line.score, 0.0) for line in lines[start : end + 1])
    mass = 0.0
    for pos in range(start, end + 1):
        line = lines[pos]
        if (
            pos > start
            and _end_row(line)
            and (mass >= 0.4 * total or (mass >= 0.15 * total and _end_cluster(lines, pos)))
        ):
            return pos - 1
        mass += max(line.score, 0.0)
    return end


def _end_row(line: Line) -> bool:
    return line.chars < 80 and bool(END_OF_ARTICLE.match(line.text))


def _end_cluster(lines: list[Line], pos: int) -> bool:
    """Two end rows close together ("Related Roundup", "Tag: ...", "[ 167 comments ]") close the article."""
    return any(_end_row(line) for line in lines[pos + 1 : pos + 7])


def extend_region(lines: list[Line], start: int, end: int) -> tuple[int, int]:
    """Take in short closing paragraphs that are still sentences ("He was 73.")."""
    pos = end + 1
    while pos < len(lines) and pos <= end + 3:
        line = lines[pos]
        if _sentence_like(line):
            end = pos
            pos += 1
            continue
        break
    return start, end


def _sentence_like(line: Line) -> bool:
    text = line.text
    return (
        line.sentence_end
        and not line.boiler
        and not line.credit
        and not line.bullet
        and not line.date_only
        and line.words >= 3
        and line.stop_ratio >= 0.15
        and line.repeats == 1
        and text[:1].isupper()
        and text.endswith((".", "!", "?", "”", '"', "’"))
    )


def _trim_edges(body: list[Line]) -> list[Line]:
    """Drop heading-like leftovers at the ends of the region (a label, a share row)."""
    while body and body[0].score < 0 and not _sentence_like(body[0]):
        body = body[1:]
    while body and body[-1].score < 0 and not _sentence_like(body[-1]):
        body = body[:-1]
    return body


def _is_byline(line: Line) -> bool:
    text = line.text
    if len(text) >= 120 or not opens_byline(text):
        return False
    return line.words <= 3 or line.stop_ratio < 0.4


_STAMP = re.compile(r"^(?:updated|published|posted|first published|last updated)\b", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{2,40}$")


def _clean_title(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    crumbs = [part.strip() for part in re.split(r"\s*[»›]\s*", text) if part.strip()]
    if len(crumbs) >= 3:  # "Home » Section » Headline": the breadcrumb's tail
        text = crumbs[-1]
    if " | " in text:
        text = _TITLE_SUFFIX.sub("", text)
    return text
