"""One RawDocument in, one Article out: pick the extractor for the format, then finish the record."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .decode import looks_binary, strip_bom
from .errors import EmptyInput, IngestError, NoArticle, UnsupportedInput
from .language import SAMPLE_CHARS, detect_language
from .model import Article, RawDocument
from .textdump_template import PageKeys

MIN_UNTITLED_WORDS = 8


@dataclass(slots=True)
class Extraction:
    """An Article with what its extractor found on the way that the archive would recompute."""

    article: Article
    template_keys: PageKeys | None = None  # text dumps: what their site's template counts


def extract(raw: RawDocument, *, boilerplate: frozenset[str] | None = None) -> Article:
    """Normalize one page into an Article, or raise an IngestError that names `raw.origin`.

    `boilerplate`: a site template's lines (text dumps only), learned by the archive.
    """
    return extract_page(raw, boilerplate=boilerplate).article


def extract_page(raw: RawDocument, *, boilerplate: frozenset[str] | None = None) -> Extraction:
    """`extract`, keeping the by-products the archive needs (a text dump's line keys)."""
    keys = None
    if raw.format in {"text", "html"}:
        check_page_bytes(raw)
    if raw.format == "text":
        from .textdump import extract_text_dump_keyed

        article, keys = extract_text_dump_keyed(raw, boilerplate)
    elif raw.format == "html":
        from .html import extract_html

        article = extract_html(raw)
    elif raw.format in {"json", "feed"}:
        from .records import extract_record

        article = extract_record(raw)
    else:
        raise IngestError(
            f"{raw.origin}: no extractor for format {raw.format!r}.", reason="unsupported"
        )
    return Extraction(finish(article, raw), keys)


def preload(formats: set[str]) -> None:
    """Load once what extracting these formats needs: the extractor modules and the language
    model (about 75 MB of arrays). A parent that forks extraction workers calls this first,
    so they share those pages instead of each loading its own copy."""
    from .language import _identifier

    _identifier()
    if "text" in formats:
        from . import textdump  # noqa: F401
    if "html" in formats:
        from . import html  # noqa: F401
    if formats & {"json", "feed"}:
        from . import records  # noqa: F401


def check_page_bytes(raw: RawDocument) -> None:
    """Refuse empty and binary pages up front, with the same reason whatever the extractor."""
    if not raw.data.strip():
        raise EmptyInput(f"{raw.origin}: the file is empty.")
    if looks_binary(strip_bom(raw.data)[0]):
        raise UnsupportedInput(
            f"{raw.origin}: looks like a binary file, not a text or HTML page.", reason="binary"
        )


def finish(article: Article, raw: RawDocument) -> Article:
    """Fill what every format shares: container URL, language; refuse a page with no article."""
    words = count_words(article.body, MIN_UNTITLED_WORDS)
    # A few stray words with no headline ("Home", "Menu") are page furniture, not an article.
    if words == 0 or (words < MIN_UNTITLED_WORDS and not (article.title or "").strip()):
        raise NoArticle(f"{raw.origin}: no article text was found on this page.")
    if article.category and article.category.islower():
        # "news" and "News" are one section: facets would split it in two
        article.category = " ".join(
            word[:1].upper() + word[1:] for word in article.category.split()
        )
    if not article.url and raw.url:
        article.url = raw.url
    if not article.language:
        # the detector reads a sample only: never copy a 20 MB body to take its start
        article.language = detect_language(f"{article.title or ''}\n{article.body[:SAMPLE_CHARS]}")
    return article


def count_words(text: str, at_most: int | None = None) -> int:
    """`len(text.split())`, without a list of every word (a 20 MB body has millions);
    counting stops at `at_most` when given."""
    if len(text) < 1 << 16:
        words = len(text.split())
        return words if at_most is None else min(words, at_most)
    count = 0
    for _ in _NON_SPACE.finditer(text):
        count += 1
        if at_most is not None and count >= at_most:
            break
    return count


_NON_SPACE = re.compile(r"\S+")
