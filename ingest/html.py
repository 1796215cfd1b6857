"""HTML page → Article: our own decoding and parsing, the page's structured data, trafilatura.

Order of trust: what the page declares about itself (JSON-LD, then og:/article: meta) for
title, authors, date, section and site; trafilatura for the article text, htmldate for a date
the page does not declare. Bytes are decoded by `decode_bytes` (lxml would read UTF-8 without
a meta charset as Latin-1) and parsed with `huge_tree` so deep or huge pages lose nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml.html import HtmlElement

from .decode import decode_bytes
from .errors import IngestError, MalformedInput, NoArticle
from .html_body import article_text, figure_captions, fragment_text
from .html_meta import PageMeta, choose_title, read_page_meta, strip_site_suffix
from .language import detect_language
from .model import Article, RawDocument
from .normalize import clean_authors, find_dateline, parse_date

_FULL_PAGE = re.compile(r"<html[\s>]|<head[\s>]|<body[\s>]|<!doctype html", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XHTML = re.compile(r"<\?xml[\s?]|xmlns\s*=\s*[\"']http://www\.w3\.org/1999/xhtml", re.IGNORECASE)
_RAW_TEXT = re.compile(r"(<(script|style)\b.*?</\2\s*>)", re.IGNORECASE | re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)


def parse_html(text: str, origin: str) -> HtmlElement:
    """An lxml tree of the whole page: no depth or text-size limit, comments and PIs dropped."""
    from lxml.html import HTMLParser, document_fromstring

    if _XHTML.search(text[:4096]):
        text = _xhtml_cdata_as_text(text)
    text = _BAD_CHARS.sub(" ", _XML_DECL.sub("", text, count=1))
    parser = HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True, collect_ids=False)
    try:
        tree = document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise MalformedInput(f"{origin}: the HTML could not be parsed ({exc}).") from exc
    if tree is None:
        raise NoArticle(f"{origin}: the page holds no HTML elements.")
    _check_parse_limits(parser, origin)
    return tree


def _xhtml_cdata_as_text(text: str) -> str:
    """XHTML's `<![CDATA[x < y]]>` is text; the HTML parser would drop it as a comment.

    Scripts and styles keep theirs as written (`//<![CDATA[ ... //]]>` around JSON-LD).
    """
    if "<![CDATA[" not in text:
        return text
    from html import escape

    pieces = _RAW_TEXT.split(text)
    # split() with two groups yields [text, whole element, tag name, text, ...]
    for i in range(0, len(pieces), 3):
        pieces[i] = _CDATA.sub(lambda m: escape(m.group(1), quote=False), pieces[i])
    return "".join(p for i, p in enumerate(pieces) if i % 3 != 2)


def _check_parse_limits(parser: etree.HTMLParser, origin: str) -> None:
    """Refuse a page libxml2 stopped reading: even with `huge_tree` it drops everything past
    element depth 2048 and reports it only in the parser's error log (TRAPS.md)."""
    for entry in parser.error_log:
        if entry.level >= etree.ErrorLevels.FATAL:
            if entry.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
                raise IngestError(
                    f"{origin}: the HTML nests elements deeper than the parser can follow "
                    f"(line {entry.line}), so text past that point would be lost; "
                    "flatten the page or save it as text.",
                    reason="too_deep",
                )
            raise MalformedInput(
                f"{origin}: the HTML parser stopped at line {entry.line} ({entry.message}), "
                "so the rest of the page would be lost; repair or re-save the page."
            )


def extract_html(raw: RawDocument) -> Article:
    """One HTML page as an Article; raise an IngestError naming `raw.origin` when it is not one."""
    fields = raw.fields or {}
    declared = fields.get("http_charset") if isinstance(fields.get("http_charset"), str) else None
    text = decode_bytes(raw.data, raw.origin, declared=declared)
    return _guarded(_extract_text, text, raw)


def extract_embedded_html(html_text: str, raw: RawDocument) -> Article:
    """HTML carried inside a JSON record or feed entry, already text.

    A whole page goes through the page extractor; a fragment (content:encoded) is all
    article, so all of its blocks are kept.
    """
    if _FULL_PAGE.search(html_text[:4096]):
        return _guarded(_extract_text, html_text, raw)
    return _guarded(_extract_fragment, html_text, raw)


def _extract_fragment(html_text: str, raw: RawDocument) -> Article:
    tree = parse_html(f"<html><body>{html_text}</body></html>", raw.origin)
    body, captions = fragment_text(tree)
    return Article(body=body, captions=captions)


def _guarded(
    function: Callable[[str, RawDocument], Article], text: str, raw: RawDocument
) -> Article:
    """Run an extraction step; anything but an IngestError becomes one naming the input."""
    try:
        return function(text, raw)
    except IngestError:
        raise
    except RecursionError as exc:
        raise MalformedInput(f"{raw.origin}: the HTML is nested too deeply to extract.") from exc
    except Exception as exc:  # a library bug on hostile bytes must not stop a batch
        raise MalformedInput(
            f"{raw.origin}: the HTML could not be extracted ({type(exc).__name__}: {exc})."
        ) from exc


def _extract_text(text: str, raw: RawDocument) -> Article:
    tree = parse_html(text, raw.origin)
    meta = read_page_meta(tree, raw.url)
    captions = figure_captions(tree)
    url = meta.url or raw.url
    title = _title(meta, url)
    published = _published(meta, tree, url)
    # prunes `tree`; the headline is no paragraph even when the page's <h1> words it otherwise
    body = article_text(
        tree,
        url=url,
        captions=captions,
        title=title,
        headline=meta.heading,
        fresh_tree=lambda: parse_html(text, raw.origin),
    )
    article = Article(
        title=title,
        authors=clean_authors(meta.authors or _org_authors(meta), site_name=meta.site_name),
        published=published,
        category=meta.category,
        site_name=meta.site_name,
        url=url,
        # the text's own language first: templates often declare lang="en" on every page
        language=detect_language(f"{title or ''}\n{body}") or _language(meta.language),
        body=body,
        captions=captions,
    )
    if body:
        article.dateline, article.wire = find_dateline(body)
    return article


def _title(meta: PageMeta, url: str | None) -> str | None:
    """The declared headline (JSON-LD, og:, twitter:), else the `<title>` or the first `<h1>`."""
    if meta.title and meta.title_source not in (None, "title"):
        return strip_site_suffix(meta.title, meta.site_name, url)
    return choose_title(meta.title_tag, meta.heading, meta.site_name, url)


def _org_authors(meta: PageMeta) -> list[str]:
    """Organisation authors that are not the site itself (a wire service, a desk)."""
    site = (meta.site_name or "").lower()
    return [o for o in meta.author_orgs if o.lower() != site and o.lower() not in site]


def _published(meta: PageMeta, tree: HtmlElement, url: str | None = None) -> str | None:
    """The declared date as written; else htmldate's, unless the URL's own date contradicts it."""
    if meta.published:
        value = parse_date(meta.published)
        if value:
            return value
    from htmldate import find_date

    url_day = url_date(url)
    try:
        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception:  # htmldate on hostile markup: no date rather than no article
        found = None
    value = parse_date(found) if found else None
    if url_day and (value is None or abs(_days_between(value, url_day)) > 1):
        # htmldate's guess is an old asset's or a sidebar's date; the URL names the page's day
        return url_day
    return value


_URL_DATE = re.compile(
    r"/((?:19|20)\d\d)(?:/(\d\d)/(\d\d)|-(\d\d)-(\d\d)|(\d\d)(\d\d))(?=[/_.-]|$)"
)


def url_date(url: str | None) -> str | None:
    """The calendar day a URL path carries (/2019/11/19/, /2019-11-19/, /20191119/), if any."""
    if not url:
        return None
    match = _URL_DATE.search(url.split("?", 1)[0])
    if not match:
        return None
    year = match.group(1)
    month, day = next((match.group(i), match.group(i + 1)) for i in (2, 4, 6) if match.group(i))
    return parse_date(f"{year}-{month}-{day}")


def _days_between(first: str, second: str) -> int:
    from datetime import date

    return (date.fromisoformat(first[:10]) - date.fromisoformat(second[:10])).days


def _language(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None
