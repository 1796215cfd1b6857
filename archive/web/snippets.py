"""Making text from the archive safe for HTML: snippets keep their <mark> tags and nothing else."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_MARK = re.compile(r"(</?mark>)", re.I)
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")


def _escape_text(chunk: str) -> str:
    """Escape a chunk that may already hold entities: keep valid entities, escape the rest."""
    out = []
    pos = 0
    for match in _ENTITY.finditer(chunk):
        out.append(str(escape(chunk[pos : match.start()])))
        out.append(match.group(0))
        pos = match.end()
    out.append(str(escape(chunk[pos:])))
    return "".join(out)


def safe_snippet(snippet: str | None) -> Markup:
    """A highlighted snippet as HTML where <mark> is the only tag that survives.

    Works whether the search engine escaped the text around its marks or not: a stored
    `<script>` comes out as the text `<script>` either way.
    """
    if not snippet:
        return Markup("")
    parts = []
    for chunk in _MARK.split(snippet):
        if _MARK.fullmatch(chunk):
            parts.append("</mark>" if chunk[1] == "/" else "<mark>")
        else:
            parts.append(_escape_text(chunk))
    html = "".join(parts)
    # a stray mark left open would highlight the rest of the page
    opened = html.count("<mark>") - html.count("</mark>")
    return Markup(html + "</mark>" * max(opened, 0))


def paragraphs(body: str | None) -> list[str]:
    """The body's paragraphs (blank-line separated), with inner line breaks folded to spaces."""
    if not body:
        return []
    return [re.sub(r"\s*\n\s*", " ", p).strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
