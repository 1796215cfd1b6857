"""The article's own paragraphs and its figure captions, from a parsed page.

trafilatura finds the main content; we hand it a copy of our own tree (decoded by us, parsed
without depth limits) and then drop what the body contract excludes but trafilatura keeps:
captions, share/"Read more" rows and repeated lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from lxml.html import HtmlElement

from .html_render import BLOCK_TAGS, render_text

_SPACE = re.compile(r"[ \t\r\f\v\u00a0\u2009\u200a\u202f]+")
# trafilatura's markdown links: text may hold escaped brackets (`\[Video\]`), the target may be
# `<...>` (`<javascript:void(0)>`), hold balanced parentheses (wiki URLs) or carry a "title"
_LINK = re.compile(
    r"\[((?:\\.|[^\[\]\\])*)\]"
    r"\((?:<[^<>\n]*>|(?:[^()\s]|\([^()\s]*\))*)(?:\s+\"[^\"\n]*\")?\)"
)
_ESCAPED = re.compile(r"\\([\[\]()*_`\\])")
# Whole lines that are page furniture, not article text, in any article on any site.
_BOILERPLATE = re.compile(
    r"^(read more|related( posts?| articles?| stories)?|advertisement|share( this( article| story)?)?|"
    r"sign up|subscribe( now)?|click here|continue reading|follow us|skip to main content|"
    r"more from .{0,40}|more|comments?|\d+ comments?|tags|filed under.{0,60}|explore further|"
    r"thank you|thanks for signing up|sorry|you may also like\W*|don'?t miss|popular on .{0,30}|"
    r"order reprints|print article|tell us what you think\W*|source: .{0,40})[:.!|]*$",
    re.IGNORECASE,
)
_FURNITURE = re.compile(
    r"^(click here to|sign up (for|to)|subscribe to|get the latest .{0,40} (in|to) your inbox|"
    r"an error has occurred|there was an error processing|this copy is for your personal|"
    r"if you buy something through|follow (us|.{1,60}) on (twitter|facebook|instagram)|"
    r"the post .{1,300} appeared first on .{1,100}$|"
    r"\(?(additional )?(reporting|writing|editing) by .{0,200}$)",
    re.IGNORECASE,
)
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.+-]+Z?)?$")
_IMAGE_URL = re.compile(r"^https?://\S+\.(png|jpe?g|gif|webp|svg)(\?\S*)?$", re.IGNORECASE)
_SENTENCE_END = (".", "!", "?", '"', "”", "’", "'", ":")


def _is_link_row(line: str, linked: float) -> bool:
    """A headline-like line that is (nearly) all link: related stories, menus, tag rows.

    Whole paragraphs wrapped in one link (affiliate deals) end like sentences and are kept.
    """
    words = len(line.split())
    if line.startswith(("- ", "• ", "* ")):
        # a linked lead followed by its own sentence is a list of news items, not of links
        told = line.endswith(_SENTENCE_END) and words * (1 - linked) >= 8
        return linked > 0.4 and words <= 45 and not told
    return linked > 0.8 and words <= 25 and not line.endswith(_SENTENCE_END)


def _is_self_or_image_url(line: str, url: str | None) -> bool:
    """A bare URL line that is the page's own address (a print footer) or an image file."""
    if " " in line or not line.startswith(("http://", "https://")):
        return False
    if _IMAGE_URL.match(line):
        return True
    return bool(url) and line.rstrip("/").split("://", 1)[-1] == url.rstrip("/").split("://", 1)[-1]


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


# trafilatura's fallbacks (readability, then jusText) only replace its own result when that
# came out short or empty next to what the page holds; running them on every page cost 30% of
# HTML extraction (8.7 -> 6.1 ms a page on generated pages). We run the fast pass, and the full
# cascade on a fresh tree only when the fast text is under FALLBACK_SHARE of the page's
# paragraph text or under trafilatura's own minimum (the cases its fallbacks exist for).
FALLBACK_SHARE = 0.5
FALLBACK_MIN_CHARS = 250  # trafilatura's MIN_EXTRACTED_SIZE: below it, it tries jusText too


def article_text(
    tree: HtmlElement,
    *,
    url: str | None,
    captions: list[str],
    title: str | None = None,
    headline: str | None = None,
    fresh_tree: Callable[[], HtmlElement] | None = None,
) -> str:
    """The main text, paragraphs separated by blank lines; "" when there is none.

    `fresh_tree` gives an unpruned copy of the page, for the full cascade when the fast pass
    under-delivers; without it the fast result stands.
    """
    # trafilatura prunes the tree it is given: callers read metadata and captions first.
    paragraph_chars = sum(len(text) for text in tree.xpath("//p//text()"))
    text = _trafilatura_text(tree, url, fast=True)
    rendered = None
    if fresh_tree is not None and (
        len(text) < FALLBACK_MIN_CHARS or len(text) < FALLBACK_SHARE * paragraph_chars
    ):
        fresh = fresh_tree()
        rendered = render_text(fresh)  # before trafilatura prunes it
        text = _trafilatura_text(fresh, url, fast=False)
    body = clean_body(text, captions, title=title, url=url, headline=headline)
    if fresh_tree is None or not SECOND_OPINION or len(text) >= CUT_SHORT * paragraph_chars:
        return body
    # well short of the page's paragraph text: read the page as a text dump too, and finish
    # an article trafilatura cut short (one split over several containers)
    second = _dump_opinion(rendered if rendered is not None else render_text(fresh_tree()))
    if not body:
        return clean_body(second, captions, title=title, url=url, headline=headline)
    extension = _continuation(body, second) if second else []
    if extension:
        more = clean_body("\n".join(extension), captions, title=title, url=url)
        return f"{body}\n\n{more}" if more else body
    return body


def _trafilatura_text(tree: HtmlElement, url: str | None, *, fast: bool) -> str:
    from trafilatura import bare_extraction

    document = bare_extraction(
        tree,
        url=url,
        fast=fast,  # True: no readability/jusText fallbacks
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=True,  # to recognise link-only lines (related stories, menus)
        with_metadata=False,
        deduplicate=False,
    )
    return getattr(document, "text", None) or "" if document is not None else ""


def _link_share(line: str) -> tuple[str, float]:
    """The line with link markup removed, and the share of its characters inside links."""
    if "](" not in line:
        return _ESCAPED.sub(r"\1", line), 0.0
    linked = sum(len(m.group(1)) for m in _LINK.finditer(line))
    plain = _LINK.sub(lambda m: m.group(1), line)
    plain = _ESCAPED.sub(r"\1", plain)
    return plain, (linked / len(plain) if plain else 0.0)


_OPEN_END = re.compile(r"[\w,;\-–—]$")
_GOES_ON = re.compile(r"^[a-zà-ÿ(]")


def join_broken_lines(text: str) -> list[tuple[str, float]]:
    """Each paragraph once as (plain text, link share): lines that only an inline link or a
    hard break split from a sentence ("the\n[document](u)\nfor details") become one again,
    with the space between them kept."""
    rows: list[tuple[str, float, float]] = []  # text, linked chars, all chars
    for raw_line in text.splitlines():
        line, linked = _link_share(_normalize_line(raw_line))
        line = _normalize_line(line)
        if not line:
            rows.append(("", 0.0, 0.0))
            continue
        prev = rows[-1] if rows else None
        if (
            prev
            and prev[0]
            and not prev[0].startswith(("- ", "• ", "* ", "|"))
            and not line.startswith(("- ", "• ", "* ", "|"))
            and _OPEN_END.search(prev[0])
            and _GOES_ON.match(line)
            and not (linked > 0.8 and prev[1] > 0.8 * prev[2])  # a list of links (tags)
        ):
            rows[-1] = (f"{prev[0]} {line}", prev[1] + linked * len(line), prev[2] + len(line))
        else:
            rows.append((line, linked * len(line), float(len(line))))
    return [(line, linked / total if total else 0.0) for line, linked, total in rows if line]


def clean_body(
    text: str,
    captions: list[str],
    *,
    title: str | None = None,
    url: str | None = None,
    headline: str | None = None,
) -> str:
    """Paragraphs one per block; captions, link-only lines, boilerplate and repeats removed.

    The title is dropped wherever it stands; the page's `<h1>` (`headline`) only as the first
    paragraph, where it is the headline repeated rather than a section heading.
    """
    caption_set = {c.lower() for c in captions}
    if title:
        caption_set.add(_normalize_line(title).lower())
    headline_key = _normalize_line(headline).lower() if headline else None
    paragraphs: list[str] = []
    seen: set[str] = set()
    for line, linked in join_broken_lines(text):
        if _is_link_row(line, linked):
            continue  # a related-stories list, a menu, a tag row
        key = line.lower()
        bare = line[2:] if line.startswith(("- ", "• ", "* ")) else line  # a bulleted share row
        if key in caption_set or _BOILERPLATE.match(bare) or _FURNITURE.match(line):
            continue
        if _STAMP.match(line) or _is_self_or_image_url(line, url):
            continue
        if key in seen and len(line) > 30:
            continue
        if not paragraphs and key == headline_key:
            continue
        seen.add(key)
        paragraphs.append(line)
    return "\n\n".join(_without_cards_and_promos(paragraphs))


_SEPARATOR = re.compile(r"^\W*$")
_SHORTCODE = re.compile(r"\[/\w+\]")
_PROMO = re.compile(
    r"\b(?:subscri(?:be|ption)s?|newsletters?|sign up|your inbox|click here|use the code|"
    r"delivered (?:to|through) your|free trial|\d+ issues for)\b",
    re.IGNORECASE,
)
CARD_CHARS = 150
PROMO_CHARS = 300


def _without_cards_and_promos(paragraphs: list[str]) -> list[str]:
    """Drop teaser cards that separator rows ("-") cut into groups, rendering leftovers
    (`[/button]` shortcodes) and subscription promos at the body's edges. Copyright rows stay:
    wire stories end with theirs, and readers (and the corpus's annotators) keep them."""
    groups: list[list[str]] = [[]]
    for paragraph in paragraphs:
        if _SEPARATOR.match(paragraph):
            groups.append([])
        else:
            groups[-1].append(paragraph)
    if len(groups) >= 4:  # three separators or more: a list of cards after the article
        kept = [groups[0]]
        for group in groups[1:]:
            card = len(group) <= 2 and all(len(p) < CARD_CHARS for p in group)
            if not card:
                kept.append(group)
        groups = kept
    out = [p for group in groups for p in group if not _SHORTCODE.search(p)]
    edge = 2  # promos sit at the end (or the top) of a body, never in the middle of the story
    for pos in [*range(len(out) - 1, max(len(out) - 1 - edge, -1), -1), *range(min(1, len(out)))]:
        item = out[pos].startswith(("- ", "• ", "* "))  # a list's step ("Sign up for ...")
        if len(out) > 1 and not item and len(out[pos]) < PROMO_CHARS and _PROMO.search(out[pos]):
            out[pos] = ""
    return [p for p in out if p]


CUT_SHORT = 0.55
SECOND_OPINION = True  # read the page as a text dump too, to finish an article cut short
_KEY = re.compile(r"[\W_]+")
_WORDS = re.compile(r"\w+")
_PROSE_END = (".", "!", "?", '"', "”", "’", "»", ")")
MIN_PROSE_CHARS = 100
MIN_PROSE_WORDS = 15


def _dump_opinion(rendered: str) -> str:
    """The article text our text-dump extractor finds in the rendered page ("" if none)."""
    from .errors import IngestError
    from .textdump import extract_text

    try:
        return extract_text(rendered).body
    except IngestError:
        return ""


def _is_prose(paragraph: str) -> bool:
    return (
        len(paragraph) >= MIN_PROSE_CHARS
        and len(paragraph.split()) >= MIN_PROSE_WORDS
        and paragraph.rstrip().endswith(_PROSE_END)
    )


def _continuation(body: str, second: str) -> list[str]:
    """Paragraphs the text-dump reading finds right after trafilatura's last one, while they
    read as prose: trafilatura stopped early (an article split over several containers).

    Only a continuation is taken, never what comes before the article or between its
    paragraphs: those are trafilatura's own choices (a dek, a caption, an inline teaser)."""
    keys = {_KEY.sub("", p.lower()) for p in body.split("\n\n")}
    keys.discard("")
    paragraphs = second.split("\n\n")
    last = max(
        (n for n, p in enumerate(paragraphs) if _KEY.sub("", p.lower()) in keys), default=None
    )
    if last is None:
        return []
    words = Counter(_WORDS.findall(body.lower()))
    taken: list[str] = []
    pending: list[str] = []
    for paragraph in paragraphs[last + 1 :]:
        mine = Counter(_WORDS.findall(paragraph.lower()))
        if _KEY.sub("", paragraph.lower()) in keys or (
            sum((mine & words).values()) >= 0.7 * sum(mine.values())
        ):
            pending = []
            continue  # trafilatura has it already, in other line breaks
        if _is_prose(paragraph):
            taken += [*pending, paragraph]
            pending = []
        elif len(pending) < 1 and len(paragraph) < MIN_PROSE_CHARS:
            pending.append(paragraph)  # a subheading between two parts of the article
        else:
            break
    return taken


_DROP = ("script", "style", "noscript", "template", "iframe", "form", "button", "svg")


def fragment_text(tree: HtmlElement, *, title: str | None = None) -> tuple[str, list[str]]:
    """(body, captions) of an HTML fragment that is all article (feed/JSON content).

    A feed's content:encoded holds the article and nothing else, so every block is kept
    rather than scored: trafilatura's boilerplate scoring drops short fragments wholesale.
    """
    captions = figure_captions(tree)
    for node in list(tree.iter(*_DROP, "figcaption")):
        if node.getparent() is not None:
            node.drop_tree()
    for node in tree.iter(*BLOCK_TAGS):
        node.tail = "\n" + (node.tail or "")
        if node.tag != "br":
            node.text = "\n" + (node.text or "")
    return clean_body(tree.text_content(), captions, title=title), captions
