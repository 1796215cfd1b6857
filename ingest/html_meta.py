"""Metadata a page states about itself: JSON-LD objects and `<meta>`/`<link>` tags.

Structured data is what the publisher meant (headline, authors, datePublished as written),
so the HTML extractor asks here first and only falls back to heuristics when a page has none.
Everything works on an lxml tree already parsed from text we decoded ourselves.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

# schema.org types whose objects describe the article on the page (a type ending in
# "Article" counts too: NewsArticle, ReportageNewsArticle, OpinionNewsArticle, ...).
_ARTICLE_TYPES = {"blogposting", "liveblogposting", "socialmediaposting", "report", "webpage"}
_PERSON_TYPES = {"person"}
_ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "organisation"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_SPACE = re.compile(r"\s+")


@dataclass(slots=True)
class PageMeta:
    """What the page says about itself; every field is None/empty when it says nothing."""

    title: str | None = None
    title_source: str | None = None  # "json-ld", "og", "twitter", "title", "h1"
    title_tag: str | None = None  # the document's own <title>, as written
    heading: str | None = None  # the first <h1> that is not a logo, as shown
    authors: list[str] = field(default_factory=list)
    author_orgs: list[str] = field(default_factory=list)  # JSON-LD Organization authors
    published: str | None = None
    category: str | None = None
    site_name: str | None = None
    url: str | None = None
    description: str | None = None
    language: str | None = None


def clean_text(value: Any) -> str | None:
    """A display string from a JSON-LD/meta value: entities decoded, whitespace collapsed."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if not isinstance(value, str):
        return None
    text = _SPACE.sub(" ", html.unescape(value)).strip()
    return text or None


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1].lower() for k in kinds if isinstance(k, str)}


def _is_article(obj: dict[str, Any]) -> bool:
    kinds = _types(obj)
    return any(k.endswith("article") for k in kinds) or bool(kinds & _ARTICLE_TYPES)


def _load_json(text: str) -> Any:
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip()
    text = text.removeprefix("//<![CDATA[").removesuffix("//]]>").strip()
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text))):
        try:
            return json.loads(candidate, strict=False)
        except ValueError:
            continue
    return None


def _flatten(value: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    """Collect every dict that has a @type: top level, lists, @graph, mainEntity."""
    if depth > 6:
        return
    if isinstance(value, list):
        for item in value:
            _flatten(item, out, depth + 1)
    elif isinstance(value, dict):
        if "@type" in value:
            out.append(value)
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in value:
                _flatten(value[key], out, depth + 1)


def json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every typed JSON-LD object of the page, in document order; broken scripts are skipped."""
    objects: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" not in kind or not script.text:
            continue
        _flatten(_load_json(script.text), objects)
    return objects


def article_object(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The JSON-LD object describing the article: an *Article/BlogPosting, one with a headline first."""
    candidates = [o for o in objects if _is_article(o) and "webpage" not in _types(o)]
    with_headline = [o for o in candidates if clean_text(o.get("headline"))]
    if with_headline:
        return with_headline[0]
    if candidates:
        return candidates[0]
    pages = [o for o in objects if "webpage" in _types(o) and clean_text(o.get("headline"))]
    return pages[0] if pages else None


def meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    """`<meta>` contents by lowercased property/name/itemprop, every value in document order."""
    tags: dict[str, list[str]] = {}
    for node in tree.iter("meta"):
        content = node.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = node.get(attr)
            if key:
                tags.setdefault(key.strip().lower(), []).append(content.strip())
    return tags


def first_meta(tags: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        for value in tags.get(key, ()):
            text = clean_text(value)
            if text:
                return text
    return None


def _ld_people(value: Any) -> tuple[list[str], list[str]]:
    """(person names, organisation names) of a JSON-LD author value."""
    people: list[str] = []
    orgs: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            name = clean_text(item)
            if name and not name.lower().startswith(("http://", "https://")):
                people.append(name)
        elif isinstance(item, dict):
            name = clean_text(item.get("name"))
            if not name:
                continue
            if _types(item) & _ORG_TYPES:
                orgs.append(name)
            else:
                people.append(name)
    return people, orgs


_AFFILIATION = re.compile(
    r"\s+[|/]\s+.*$|,\s*[\w.-]+\.(com|org|net|co\.uk|news)\b.*$", re.IGNORECASE
)


def strip_affiliation(name: str) -> str:
    """ "Troy L. Smith, Cleveland.com" / "Amy K | NJ Advance Media for NJ.com" → the name."""
    return _AFFILIATION.sub("", name).strip() or name


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link:
        return None
    link = link.strip()
    if base and not urlsplit(link).scheme:
        link = urljoin(base, link)
    return link if urlsplit(link).scheme in ("http", "https") else None


def _canonical(tree: HtmlElement) -> str | None:
    for node in tree.iter("link"):
        rel = (node.get("rel") or "").lower().split()
        if "canonical" in rel and node.get("href"):
            return node.get("href")
    return None


def _is_slug(name: str) -> bool:
    """ "detroitnews", "usatoday", "https://x.in", "Spokesman.com": a handle, not a display name."""
    return "://" in name or bool(re.fullmatch(r"[a-z0-9-]+|[\w-]+\.(com|net|org|in|co\.uk)", name))


def _pick_site_name(og_site: str | None, publisher: str | None) -> str | None:
    """og:site_name is the site's own display name, unless it is a slug and publisher is not."""
    if publisher and _is_slug(publisher):
        publisher = None
    if og_site and _is_slug(og_site) and publisher:
        return publisher
    return og_site or publisher


def read_page_meta(tree: HtmlElement, base_url: str | None = None) -> PageMeta:
    """Title, authors, date, section, site and URL as the page declares them."""
    meta = PageMeta()
    objects = json_ld_objects(tree)
    article = article_object(objects)
    tags = meta_tags(tree)

    if article is not None:
        headline = clean_text(article.get("headline")) or clean_text(article.get("name"))
        if headline:
            meta.title, meta.title_source = headline, "json-ld"
        meta.authors, meta.author_orgs = _ld_people(article.get("author") or article.get("creator"))
        meta.published = clean_text(article.get("datePublished")) or clean_text(
            article.get("dateCreated")
        )
        meta.category = clean_text(article.get("articleSection"))
        publisher = article.get("publisher")
        meta.site_name = clean_text(publisher) if isinstance(publisher, dict | str | list) else None
        meta.description = clean_text(article.get("description"))
        meta.language = clean_text(article.get("inLanguage"))
        main = article.get("mainEntityOfPage")
        meta.url = clean_text(article.get("url")) or (
            clean_text(main.get("@id")) if isinstance(main, dict) else clean_text(main)
        )

    if not meta.title:
        for key, source in (("og:title", "og"), ("twitter:title", "twitter")):
            value = first_meta(tags, key)
            if value:
                meta.title, meta.title_source = value, source
                break
    meta.title_tag = document_title(tree)
    meta.heading = first_heading(tree)
    if not meta.title and meta.title_tag:
        meta.title, meta.title_source = meta.title_tag, "title"
    if not meta.authors:
        names = [
            v
            for key in (
                "article:author",
                "author",
                "og:article:author",
                "dc.creator",
                "sailthru.author",
                "parsely-author",
            )
            for v in tags.get(key, ())
            if not v.lower().startswith(("http://", "https://", "www."))
        ]
        meta.authors = [n for n in (clean_text(v) for v in names[:1]) if n]
    meta.published = meta.published or first_meta(
        tags,
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "article.published",
        "published_time",
        "pubdate",
        "publishdate",
        "publish-date",
        "parsely-pub-date",
        "sailthru.date",
        "dc.date.issued",
        "dc.date",
        "dcterms.created",
        "date",
    )
    meta.category = meta.category or first_meta(
        tags, "article:section", "og:article:section", "section"
    )
    og_site = first_meta(tags, "og:site_name", "application-name")
    meta.site_name = _pick_site_name(og_site, meta.site_name)
    meta.description = meta.description or first_meta(tags, "og:description", "description")
    meta.url = (
        _absolute(_canonical(tree), base_url)
        or _absolute(first_meta(tags, "og:url"), base_url)
        or _absolute(meta.url, base_url)
    )
    if not meta.language:
        # XHTML 1.1 declares the language only as xml:lang
        root_lang = (tree.get("lang") or tree.get("xml:lang")) if tree.tag == "html" else None
        meta.language = clean_text(root_lang)
    meta.authors = [strip_affiliation(a) for a in meta.authors]
    return meta


_FOREIGN = ("svg", "math")


def _in_foreign(node: HtmlElement) -> bool:
    """Inside inline SVG/MathML (prefixed in XHTML): their <title> is an icon's label."""
    return any(str(a.tag).rsplit(":", 1)[-1] in _FOREIGN for a in node.iterancestors())


def document_title(tree: HtmlElement) -> str | None:
    """The first non-empty `<title>` of the document (an XHTML `<title/>` or an SVG icon's is not it)."""
    for node in tree.iter("title"):
        text = clean_text(node.text_content())
        if text and not _in_foreign(node):
            return text
    return None


def _links_home(node: HtmlElement) -> bool:
    """An `<h1>` that is only a link to the site's front page: the logo, not a headline."""
    links = list(node.iter("a"))
    if len(links) != 1 or (node.text or "").strip() or (links[0].tail or "").strip():
        return False
    href = (links[0].get("href") or "").strip()
    return urlsplit(href).path in ("", "/", "/index.html") and not urlsplit(href).query


def first_heading(tree: HtmlElement) -> str | None:
    """The page's headline as its `<h1>` shows it: inside `<article>`/`<main>` first."""
    for scope in ("article", "main", None):
        roots = list(tree.iter(scope)) if scope else [tree]
        for root in roots:
            for node in root.iter("h1"):
                if _in_foreign(node) or _links_home(node):
                    continue
                text = clean_text(node.text_content())
                if text and len(text) <= 300:
                    return text
    return None


def _key(text: str) -> str:
    """Comparison form in any script: casefolded words, punctuation and spacing ignored."""
    return " ".join(re.findall(r"\w+", text.casefold()))


_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " » ", ": ")


def _is_site_label(heading: str, parts: list[str], names: set[str]) -> bool:
    """An `<h1>` that is one part of the `<title>` names the site when it matches the site's
    name or host, or, with neither known, when it is a short last part after a longer one."""
    if _names_site(heading, names):
        return True
    index = next(i for i, p in enumerate(parts) if _key(p) == _key(heading))
    longer = any(len(p.split()) > len(heading.split()) for p in parts[:index])
    return not names and index == len(parts) - 1 and len(heading.split()) <= 4 and longer


def choose_title(
    title_tag: str | None, heading: str | None, site_name: str | None, url: str | None
) -> str | None:
    """The headline of a page that declares none: its `<title>` (site suffix dropped) or its `<h1>`.

    The `<h1>` wins when the `<title>` is that headline decorated ("Site: Headline"), cut short,
    or only the site's name; a short `<h1>` that is one part of the `<title>` is the site's logo.
    """
    if not title_tag:
        return heading
    stripped = strip_site_suffix(title_tag, site_name, url)
    if not heading:
        return stripped
    k_heading, k_title, k_stripped = _key(heading), _key(title_tag), _key(stripped)
    if not k_heading or k_heading == k_stripped:
        return stripped
    if k_heading in k_title:
        for sep in _SEPARATORS:
            parts = [p.strip() for p in title_tag.split(sep)]
            if len(parts) > 1 and any(_key(p) == k_heading for p in parts):
                if _is_site_label(heading, parts, _site_names(site_name, url)):
                    return sep.join(p for p in parts if _key(p) != k_heading)
                return heading
        return heading
    truncated = stripped.rstrip().endswith(("...", "…")) or k_heading.startswith(k_stripped)
    if truncated or (site_name and k_stripped == _key(site_name)):
        return heading
    return stripped


def _label(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def strip_site_suffix(title: str, site_name: str | None, url: str | None) -> str:
    """Drop a trailing " | Site" / " - Site" (or a leading "Site | ") that names the site."""
    names = _site_names(site_name, url)
    if not names:
        return title
    for sep in (" | ", " - ", " – ", " — ", " :: ", " · ", " » "):
        if sep not in title:
            continue
        head, _, tail = title.rpartition(sep)
        if head.strip() and _names_site(tail, names):
            return head.strip()
        tail_first, _, rest = title.partition(sep)
        if rest.strip() and _names_site(tail_first, names):
            return rest.strip()
    return title


def _site_names(site_name: str | None, url: str | None) -> set[str]:
    """Labels the site goes by: its declared name and its host's parts."""
    names = {_label(site_name)} if site_name else set()
    host = urlsplit(url).hostname if url else None
    if host:
        parts = [p for p in host.lower().split(".") if p not in ("www", "m", "amp")]
        names.update(_label(p) for p in parts[:-1] if len(p) > 2)
        names.add(_label("".join(parts[:-1])))
    names.discard("")
    return names


def _names_site(candidate: str, names: set[str]) -> bool:
    label = _label(candidate)
    if not label or len(candidate) > 60:
        return False
    return any(label == n or (len(n) > 3 and (n in label or label in n)) for n in names)
