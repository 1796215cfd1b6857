"""The article's own paragraphs and its figure captions, from a parsed page.

trafilatura finds the main content; we hand it a copy of our own tree (decoded by us, parsed
without depth limits) and then drop what the body contract excludes but trafilatura keeps:
captions, share/"Read more" rows and repeated lines.
"""

from __future__ import annotations

import copy
import re

from lxml.html import HtmlElement

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2009\u200a\u202f]+")
_BOILERPLATE = re.compile(
    r"^(read more|related|advertisement|share this( article)?|share|sign up|subscribe( now)?|"
    r"click here|continue reading|follow us|skip to main content|more from .{0,40})[:.!]?$",
    re.IGNORECASE,
)


def _normalize_line(line: str) -> str:
    return _SPACE.sub(" ", line).strip()


def figure_captions(tree: HtmlElement) -> list[str]:
    """Text of every `<figcaption>`, each once, in order of first appearance."""
    captions: list[str] = []
    seen: set[str] = set()
    for node in tree.iter("figcaption"):
        text = _normalize_line(" ".join(node.itertext()))
        text = re.sub(r"\s*\n\s*", " ", text)
        if text and text.lower() not in seen:
            seen.add(text.lower())
            captions.append(text)
    return captions


def article_text(tree: HtmlElement, *, url: str | None, captions: list[str]) -> str:
    """The main text, paragraphs separated by blank lines; "" when there is none."""
    from trafilatura import bare_extraction

    document = bare_extraction(
        copy.deepcopy(tree),
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        with_metadata=False,
        deduplicate=False,
    )
    text = getattr(document, "text", None) or "" if document is not None else ""
    return clean_body(text, captions)


def clean_body(text: str, captions: list[str]) -> str:
    """Paragraphs one per block; captions, lone boilerplate lines and exact repeats removed."""
    caption_set = {c.lower() for c in captions}
    paragraphs: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        line = _normalize_line(line)
        if not line:
            continue
        key = line.lower()
        if key in caption_set or _BOILERPLATE.match(line):
            continue
        if key in seen and len(line) > 30:
            continue
        seen.add(key)
        paragraphs.append(line)
    return "\n\n".join(paragraphs)
