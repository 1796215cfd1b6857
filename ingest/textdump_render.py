"""Turn any renderer's text dump into the shape the line scorer reads: one paragraph a line.

The scorer was built on w3m dumps at wide columns (a paragraph per line, list items as `  • `).
Other tools print the same page differently: lynx wraps paragraphs at its width, marks links
`[12]` and appends a numbered References list; markdown readers write `[text](url)`,
`![alt](src)`, `**emphasis**`, `#` and setext headings; an 80-column w3m dump wraps too.
Each convention is recognised from the dump itself and undone here, before scoring, so a page
reads the same whichever tool printed it. A dump with none of these marks passes unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

# ------------------------------------------------------------------ detection
_MD_LINK = re.compile(
    r"!?\[[^\]\n]*\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\)"
)
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(\*\*|__)\S[^\n]*?\S?\1")
_LYNX_MARKER = re.compile(r"\[\d{1,5}\]")
_REFERENCES = re.compile(
    r"^References\n\n(?:[ \t]*(?:Visible|Hidden) links:\n)?[ \t]*1\. \S", re.MULTILINE
)
_REF_ROW = re.compile(r"^[ \t]*\d{1,5}\.[ \t]+(?:[a-z][a-z0-9+.-]*:\S*|\S+)[ \t]*$", re.IGNORECASE)


def detect_renderer(text: str) -> str:
    """'markdown', 'lynx' (link markers or a References list), 'wrapped' or 'plain'."""
    sample = text[:200_000]
    lines = max(1, sample.count("\n"))
    # cheap counts first: most dumps have no "](" and no "\nReferences\n" at all
    if sample.count("](") + sample.count("\n#") >= 3:
        md = len(_MD_LINK.findall(sample)) + len(_MD_HEADING.findall(sample))
        if md >= 3 and md * 40 >= lines:
            return "markdown"
    if ("References\n" in sample and _REFERENCES.search(sample)) or (
        sample.count("]") >= 5 and len(_LYNX_MARKER.findall(sample)) >= 5
    ):
        return "lynx"
    if wrap_width(sample.split("\n")) is not None:
        return "wrapped"
    return "plain"


def wrap_width(lines: list[str]) -> int | None:
    """The column a dump was wrapped at, or None when paragraphs keep their own length.

    In a wrapped dump the longest breakable lines all end just short of one width, and most of
    them go on in the next line at the same indentation; a dump with a paragraph per line has
    lengths all over the place and a blank line or a new paragraph after each."""
    lengths = [len(line) for line in lines]
    longer = sum(1 for n in lengths if n > 260)
    if longer * 20 > sum(1 for n in lengths if n >= 20):
        return None  # paragraphs on one line each (w3m at wide columns, copy-paste)
    rows = [line.rstrip() for line in lines]
    breakable = [n for n, line in enumerate(rows) if " " in line.strip()[-40:]]
    if len(breakable) < 4:
        return None
    width = max(len(rows[n]) for n in breakable)
    if width < 50 or width > 250:
        return None
    near = [n for n in breakable if len(rows[n]) >= width - 25]
    going_on = [
        n + 1
        for n in near
        if n + 1 < len(rows)
        and rows[n + 1].strip()
        and _indent(rows[n + 1]) in (_indent(rows[n]), _indent(rows[n]) + 2)
    ]
    # a wrapped paragraph ends in a shorter line; paragraphs pasted one a line never do
    tails = sum(1 for n in going_on if len(rows[n]) < width - 25)
    if len(near) >= 3 and len(going_on) * 10 >= len(near) * 6 and tails:
        return width
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


# ------------------------------------------------------------------ normalisation
@dataclass(slots=True)
class Rendered:
    """A dump as one paragraph a line, and what its renderer said about some of those lines."""

    text: str
    kind: str = "plain"
    headings: dict[str, int] = field(default_factory=dict)  # line text -> heading level
    linked: set[str] = field(default_factory=set)  # lines that are nothing but link text


def line_key(text: str) -> str:
    """How `headings` and `linked` name a line: its text with spaces collapsed."""
    return " ".join(text.split())


def normalize_dump(text: str) -> Rendered:
    """The dump with its renderer's conventions undone (unchanged when none is recognised)."""
    kind = detect_renderer(text)
    if kind == "plain":
        return Rendered(text)
    if kind == "markdown":
        return _markdown(text)
    if kind == "lynx":
        text = _strip_lynx(text)
    text = _LYNX_HEAD_LINKS_NOLIST.sub(r"\1", text, count=1)
    # markers are cut line by line inside _unwrap: lynx wrapped its lines with them in place
    unwrapped = _unwrap(text, _clean_lynx_line)
    if kind == "lynx" or "IFRAME:" in unwrapped or "(BUTTON)" in unwrapped:
        unwrapped = "\n".join(_without_controls(unwrapped.split("\n")))
    return Rendered(unwrapped, kind, _lynx_headings(_clean_lynx_line(text)))


_CONTROL_ROW = re.compile(
    r"^\s*(?:•\s*)?(?:IFRAME:|\(BUTTON\)|\(submit\)|Text Input:)", re.IGNORECASE
)


def _without_controls(lines: list[str]) -> list[str]:
    """lynx prints frames (`IFRAME: url`) and buttons (`(BUTTON) Go`) as text: not prose.
    Text fields (`____`) stay: they keep a form's labels ("von", "an") apart."""
    out = []
    for line in lines:
        if not _CONTROL_ROW.match(line):
            out.append(line)
    return out


def _clean_lynx_line(line: str) -> str:
    return _IMAGE_PLACEHOLDER.sub("", _LYNX_MARKER.sub("", line))


def _lynx_headings(text: str) -> dict[str, int]:
    """lynx indents running text by three columns and prints headings flush left."""
    lines = [line for line in text.split("\n") if line.strip()]
    flush = [line for line in lines if not line[0].isspace()]
    if not lines or len(flush) * 3 > len(lines):
        return {}  # not lynx's layout: flush-left lines are not special here
    return {line_key(line): 2 for line in flush if len(line.split()) >= 2}


_IMAGE_PLACEHOLDER = re.compile(
    r"\[(?:INS:[^\]]*:INS|IMG|INLINE|LINK|BUTTON[^\]]*|X|[^\]\s/]{1,80}\.(?:gif|png|jpe?g|svg|webp|ico)(?:\?[^\]\s]*)?)\]",
    re.IGNORECASE,
)


_LYNX_HEAD_LINKS = re.compile(r"^\s*#\[\d+\]")
# without markers the head's <link> titles are still the dump's first line, after a "#"
_LYNX_HEAD_LINKS_NOLIST = re.compile(
    r"\A((?:[ \t]*(?:\[[^\]\n]*\][ \t]*)*\n){0,4})[ \t]+#[^\W\d_][^\n]*\n(?:[ \t]+\S[^\n]*\n)*"
)
_EMPTY_ITEM = re.compile(r"^\s*[*+o#•-]\s*$")


def _strip_lynx(text: str) -> str:
    """Drop the References list and the head's `<link>` row (markers go in `_unwrap`)."""
    lines = text.split("\n")
    cut = _references_start(lines)
    if cut is not None:
        lines = lines[:cut]
    return "\n".join(line for line in lines if not _LYNX_HEAD_LINKS.match(line))


def _references_start(lines: list[str]) -> int | None:
    """Where lynx's numbered link list begins: a `References` line followed by URL rows."""
    for pos in range(len(lines) - 1, -1, -1):
        if lines[pos].strip() != "References":
            continue
        rows = [line for line in lines[pos + 1 : pos + 40] if line.strip()]
        listed = sum(1 for line in rows if _REF_ROW.match(line) or line.strip().endswith("links:"))
        if rows and listed * 10 >= len(rows) * 8:
            return pos
    return None


_BULLET = re.compile(r"^(\s*)(?:[*+•◦▪o#-]|\d{1,3}[.)])\s+(?=\S)")


def _unwrap(text: str, clean: Callable[[str], str] = str) -> str:
    """Join the lines a renderer broke at its width back into one line per paragraph.

    Wrap decisions read the raw lines (as wide as the renderer saw them); `clean` takes
    the renderer's marks out of each line's text."""
    lines = text.split("\n")
    width = wrap_width(lines)
    out: list[str] = []
    prev_raw = ""  # the last raw line appended or joined; "" after a blank line
    prev_indent = 0  # the column its continuation lines start at
    for line in lines:
        if not line.strip():
            out.append("")
            prev_raw = ""
            continue
        cleaned = clean(line)
        if not cleaned.strip() or _EMPTY_ITEM.match(cleaned):
            continue  # an image placeholder, an empty list item (an icon link)
        indent = len(line) - len(line.lstrip(" "))
        bullet = _BULLET.match(line)
        if bullet:
            item = clean(line[bullet.end() :]).strip()
            out.append(" " * max(0, indent - 3) + "• " + item)
            prev_raw, prev_indent = line, bullet.end()
            continue
        stripped = " ".join(cleaned.split())
        if (
            width is not None
            and prev_raw
            and indent == prev_indent
            and _continues(prev_raw, line.strip(), width)
        ):
            out[-1] = out[-1] + " " + stripped
        else:
            out.append(stripped)
            prev_indent = indent
        prev_raw = line
    return "\n".join(out)


def _continues(prev_raw: str, line: str, width: int) -> bool:
    """Was the previous raw line broken here only because the next word did not fit?"""
    first = line.split(" ", 1)[0]
    return len(prev_raw.rstrip()) + 1 + len(first) > width - 2


# ------------------------------------------------------------------ markdown
_MD_IMAGE = re.compile(
    r"!\[([^\]\n]*)\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\)"
)
_MD_LINK_TEXT = re.compile(
    r"\[([^\]\n]*)\]\((?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\)"
)
_MD_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s+\S+.*$")
_MD_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^>\s]+)>")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM = re.compile(r"(?<![\w*])([*_])(?=\S)([^*_\n]+?)(?<=\S)\1(?![\w*])")
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_MD_RULE = re.compile(r"^\s{0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_SETEXT = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_ATX = re.compile(r"^\s{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_BULLET = re.compile(r"^(\s*)(?:[*+-]|\d{1,3}[.)])\s+(?=\S)")


def _md_inline(line: str, linked: list[int] | None = None) -> str:
    """One markdown line as plain text; `linked` gets the length of each link's text."""
    line = _MD_IMAGE.sub("", line)

    def link_text(match: re.Match[str]) -> str:
        if linked is not None:
            linked.append(len(match.group(1).strip()))
        return match.group(1)

    # links nest inside emphasis and vice versa: undo links until none is left
    for _ in range(3):
        new = _MD_LINK_TEXT.sub(link_text, line)
        if new == line:
            break
        line = new
    line = _MD_REF_LINK.sub(lambda m: m.group(1), line)
    line = _MD_AUTOLINK.sub(lambda m: m.group(1), line)
    line = _MD_STRONG.sub(lambda m: m.group(2), line)
    line = _MD_EM.sub(lambda m: m.group(2), line)
    line = _MD_CODE.sub(lambda m: m.group(1), line)
    line = _MD_ESCAPE.sub(lambda m: m.group(1), line)
    return re.sub(r"[ \t]{2,}", " ", line).strip()


def _markdown(text: str) -> Rendered:
    """Markdown to plain paragraphs: links to their text, images out, headings to lines."""
    lines = text.split("\n")
    out: list[str] = []
    result = Rendered("", "markdown")
    for pos, line in enumerate(lines):
        if not line.strip():
            out.append("")
            continue
        if _MD_REF_DEF.match(line) or (_MD_RULE.match(line) and not _setext_under(lines, pos)):
            out.append("")
            continue
        if _SETEXT.match(line) and _setext_under(lines, pos):
            if out and out[-1]:  # the heading text is the line above, already out
                result.headings[line_key(out[-1])] = 1 if "=" in line else 2
            out.append("")
            continue
        linked: list[int] = []
        heading = _ATX.match(line)
        if heading:
            title = _md_inline(heading.group(1), linked)
            out.append(title)
            if title:
                level = len(line.lstrip()) - len(line.lstrip().lstrip("#"))
                result.headings.setdefault(line_key(title), level)
            _mark_linked(result, title, linked)
            continue
        line = _QUOTE.sub("", line)
        bullet = _MD_BULLET.match(line)
        if bullet:
            indent = len(bullet.group(1).expandtabs(4))
            item = _md_inline(line[bullet.end() :], linked)
            out.append(" " * (indent + 2) + "• " + item if item else "")
            _mark_linked(result, item, linked)
            continue
        text_line = _md_inline(line, linked)
        if out and out[-1] and not out[-1].lstrip().startswith("•") and _soft_wrapped(lines, pos):
            out[-1] = out[-1] + " " + text_line  # a paragraph the writer wrapped by hand
        else:
            out.append(text_line)
            _mark_linked(result, text_line, linked)
    result.text = "\n".join(out)
    return result


def _mark_linked(result: Rendered, text: str, linked: list[int]) -> None:
    """Remember a line that is all link text (a menu entry, a teaser), not prose with a link."""
    if text and linked and sum(linked) >= 0.85 * len(text):
        result.linked.add(line_key(text))


def _setext_under(lines: list[str], pos: int) -> bool:
    """A `===` / `---` line right under a text line underlines a heading."""
    return (
        pos > 0
        and bool(lines[pos - 1].strip())
        and not _SETEXT.match(lines[pos - 1])
        and bool(_SETEXT.match(lines[pos]))
    )


def _soft_wrapped(lines: list[str], pos: int) -> bool:
    """Markdown joins a line to the paragraph above unless a hard break (two spaces) ends it."""
    prev = lines[pos - 1] if pos else ""
    if not prev.strip() or prev.endswith("  ") or prev.endswith("\\"):
        return False
    if _ATX.match(prev) or _MD_BULLET.match(prev) or _MD_RULE.match(prev) or _SETEXT.match(prev):
        return False
    # a line with `===` / `---` under it is a setext heading's text, not paragraph text
    return not (pos + 1 < len(lines) and _SETEXT.match(lines[pos + 1]) and lines[pos].strip())


def renderer_counts(texts: list[str]) -> Counter[str]:
    """How many of these dumps each renderer was recognised in (for the bench)."""
    return Counter(detect_renderer(text) for text in texts)
