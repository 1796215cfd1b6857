"""Structured records (a JSON object, a feed entry) → Article.

The record already names its fields, under one of several vocabularies: our own Article
fields, news-please (`maintext`, `date_publish`, `source_domain`), trafilatura's JSON
(`text`, `date`, `sitename`, `author` joined with ";"), feed entries, and common aliases.
Values are normalized with the shared normalizers; HTML content goes through the HTML
extractor, whose findings only fill what the record itself leaves empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .errors import MalformedInput
from .model import Article, RawDocument
from .normalize import clean_authors, find_dateline, parse_date, split_authors

# First key present wins; order is "most specific vocabulary first".
_TITLE = ("title", "headline", "name")
_TEXT = ("body", "maintext", "text", "articleBody", "article", "content", "raw_text", "plain_text")
_HTML = ("content_html", "html", "raw_html", "body_html", "content_encoded", "article_html")
_SUMMARY = ("summary", "description", "excerpt", "abstract")
_AUTHORS = ("authors", "author", "byline", "creator", "creators", "by")
_DATE = (
    "published",
    "date_publish",
    "datePublished",
    "date_published",
    "published_at",
    "publish_date",
    "pubDate",
    "date",
    "created_at",
    "date_modify",
    "updated",
)
_CATEGORY = ("category", "section", "articleSection", "categories", "tags")
_SITE = ("site_name", "sitename", "site", "source_domain", "source", "publisher", "hostname")
_URL = ("url", "link", "source_url", "canonical_url", "canonical")
_LANGUAGE = ("language", "lang", "inLanguage")
_TAG = re.compile(
    r"<(p|div|br|h[1-6]|ul|ol|li|figure|blockquote|article|section|html|body)\b[^>]*>", re.I
)


def _first(fields: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = fields.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _string(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("value") or value.get("@value")
    if isinstance(value, list):
        value = next((_string(v) for v in value if _string(v)), None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None
    return value.strip() or None if isinstance(value, str) else None


def _authors(value: Any, site_name: str | None) -> list[str]:
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("name")
        if not isinstance(item, str):
            continue
        # trafilatura joins authors with "; "; a byline may hold several ("By A and B")
        for part in item.split(";"):
            if part.strip():
                names.extend(split_authors(part) or [part])
    return clean_authors(names, site_name=site_name)


def _date(value: Any) -> str | None:
    text = _string(value)
    return parse_date(text) if text else None


def _looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text[:20000]))


def _fields(raw: RawDocument) -> dict[str, Any]:
    if raw.fields is not None:
        return raw.fields
    try:
        fields = json.loads(raw.data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedInput(f"{raw.origin}: the stored record is not JSON ({exc}).") from exc
    if not isinstance(fields, dict):
        raise MalformedInput(
            f"{raw.origin}: the record is not a JSON object; write one object per record."
        )
    return fields


def _site(fields: dict[str, Any]) -> str | None:
    value = _first(fields, _SITE)
    if isinstance(value, dict):  # news-please/other exports sometimes nest {"name": ...}
        value = value.get("name") or value.get("title")
    return _string(value)


def extract_record(raw: RawDocument) -> Article:
    """One JSON record or feed entry as an Article; raise an IngestError naming `raw.origin`."""
    fields = _fields(raw)
    site_name = _site(fields)
    text = _string(_first(fields, _TEXT))
    html_text = _string(_first(fields, _HTML))
    if text and not html_text and _looks_like_html(text):
        html_text, text = text, None
    embedded = Article()
    if html_text:
        from .html import extract_embedded_html

        embedded = extract_embedded_html(html_text, raw)
    body = text or embedded.body
    if not body:
        summary = _string(_first(fields, _SUMMARY))
        summary_html = _string(fields.get("summary_html"))
        if summary_html:  # a feed's HTML description: tags out, entities decoded once
            from .html import extract_embedded_html

            summary = extract_embedded_html(summary_html, raw).body
        elif summary and _looks_like_html(summary):
            from .html import extract_embedded_html

            summary = extract_embedded_html(summary, raw).body
        body = summary or ""
    body = _paragraphs(body)

    categories = _first(fields, _CATEGORY)
    captions = fields.get("captions")
    dateline, wire = _string(fields.get("dateline")), _string(fields.get("wire"))
    if not dateline and not wire and body:
        dateline, wire = find_dateline(body)
    article = Article(
        title=_string(_first(fields, _TITLE)) or embedded.title,
        authors=_authors(_first(fields, _AUTHORS), site_name) or embedded.authors,
        published=_date(_first(fields, _DATE)) or embedded.published,
        category=_string(categories) or embedded.category,
        site_name=site_name or embedded.site_name,
        url=_string(_first(fields, _URL)) or raw.url or embedded.url,
        language=_language(_string(_first(fields, _LANGUAGE))) or embedded.language,
        dateline=dateline,
        wire=wire,
        body=body,
        captions=[c for c in captions if isinstance(c, str)]
        if isinstance(captions, list)
        else embedded.captions,
    )
    return article


def _paragraphs(text: str) -> str:
    """Paragraphs separated by blank lines, whatever line breaks the record used."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # blank-line paragraphs may be hard-wrapped inside; otherwise each line is a paragraph
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else _NEWLINE
    # blocks one at a time: a 20 MB body never holds a list of every raw block beside the result
    cleaned = (_SPACES.sub(" ", block).strip() for block in _blocks(text, separator))
    return "\n\n".join(p for p in cleaned if p)


_BLANK_LINE = re.compile(r"\n\s*\n")
_NEWLINE = re.compile(r"\n")
_SPACES = re.compile(r"\s+")


def _blocks(text: str, separator: re.Pattern[str]) -> Iterator[str]:
    """`separator.split(text)`, lazily."""
    start = 0
    for match in separator.finditer(text):
        yield text[start : match.start()]
        start = match.end()
    yield text[start:]


def _language(value: str | None) -> str | None:
    if not value:
        return None
    code = value.lower().replace("_", "-").split("-")[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None
