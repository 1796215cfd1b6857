"""A page's tree as a text dump (a block a line, list items bulleted), for a second opinion.

trafilatura sometimes keeps only part of an article (a page split into several containers)
or nothing but a layout table's blob. Our text-dump extractor reads the same page rendered
the way w3m would, scoring lines on their own evidence; html_body compares the two.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

# Elements that start a new line of text: the one list, html_body's fragments use it too.
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figure",
        "hr",
        "br",
        "address",
        "main",
    ]
)
# A rendering, as w3m makes it, also puts each table cell, menu, form and caption on a line
_BLOCKS = BLOCK_TAGS | {"figcaption", "nav", "td", "th", "form"}
_SKIP = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "svg",
        "button",
        "select",
        "textarea",
        "head",
    ]
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2009\u200a\u202f]+")


def render_text(tree: HtmlElement) -> str:
    """The page's visible text, one block per line (the tree is not changed)."""
    parts: list[str] = []
    walker = etree.iterwalk(tree, events=("start", "end"))
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _SKIP or not tag:
                walker.skip_subtree()
                continue
            if tag in _BLOCKS:
                parts.append("\n• " if tag == "li" else "\n")
            if element.text:
                parts.append(element.text)
        else:
            if tag in _BLOCKS:
                parts.append("\n")
            if element.tail and element is not tree:
                parts.append(element.tail)
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line and line != "•")
