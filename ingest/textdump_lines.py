"""Line features of a text rendering of a page, and the score that says "article prose".

A w3m dump keeps each paragraph on one line, so the unit here is the line. What a text
rendering still shows is enough to tell prose from chrome: length, sentence shape,
stop-word density, list bullets, repeated lines and well-known boilerplate phrases.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from .textdump_render import line_key, normalize_dump

BULLET = re.compile(r"^\s*(?:[•☆□○◦▪■▶►●◆◇★*·‣⁃–—-]\s*|\d{1,2}[.)]\s+)")
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_END = frozenset('.!?。！？…:;"”’»)]')

# Small stop-word lists: enough to tell running text from menus in the corpus languages.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "also",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "more",
        "no",
        "not",
        "of",
        "on",
        "one",
        "or",
        "our",
        "out",
        "over",
        "said",
        "says",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "up",
        "was",
        "we",
        "were",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "y",
        "en",
        "que",
        "un",
        "una",
        "por",
        "con",
        "para",
        "es",
        "se",
        "su",
        "al",
        "lo",
        "como",
        "más",
        "pero",
        "sus",
        "le",
        "ya",
        "o",
        "le",
        "la",
        "les",
        "des",
        "du",
        "et",
        "est",
        "un",
        "une",
        "dans",
        "pour",
        "pas",
        "que",
        "qui",
        "sur",
        "au",
        "avec",
        "ce",
        "il",
        "elle",
        "ne",
        "se",
        "par",
        "plus",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "zu",
        "den",
        "von",
        "mit",
        "sich",
        "des",
        "auf",
        "für",
        "im",
        "dem",
        "auch",
        "es",
        "an",
        "als",
        "o",
        "a",
        "os",
        "as",
        "de",
        "do",
        "da",
        "dos",
        "das",
        "e",
        "em",
        "um",
        "uma",
        "para",
        "com",
        "não",
        "que",
        "se",
        "na",
        "no",
        "por",
        "mais",
        "ao",
        "il",
        "di",
        "che",
        "non",
        "un",
        "una",
        "per",
        "con",
        "del",
        "della",
        "le",
        "dei",
        "è",
        "ha",
        "si",
        "sono",
        "da",
        "al",
        "nel",
        "yang",
        "dan",
        "di",
        "ke",
        "dari",
        "ini",
        "itu",
        "dengan",
        "untuk",
        "tidak",
        "dalam",
        "akan",
        "pada",
        "juga",
        "ada",
        "и",
        "в",
        "не",
        "на",
        "что",
        "с",
        "по",
        "как",
        "это",
        "он",
        "она",
        "к",
        "из",
        "у",
        "за",
        "от",
        "но",
        "так",
        "о",
        "же",
        "все",
    ]
)

# Whole-line boilerplate in several languages: share rows, "read more", subscription boxes,
# comment sections, cookie notices, related lists and footers.
_BOILER_PHRASES = (
    r"read more|read next|read also|see also|also read|more from|more on this|more stories|"
    r"related(?: (?:posts?|articles?|stories|news|coverage|topics|content|links))?|"
    r"you (?:may|might) (?:also )?like|recommended(?: for you| stories| articles)?|most (?:read|popular|viewed|shared)|"
    r"trending(?: now| stories)?|top stories|latest(?: news| stories| videos)?|popular(?: posts| stories)?|"
    r"share(?: this(?: article| story| post)?| on \w+| via \w+)?|shares?|tweet|email|print|facebook|twitter|"
    r"linkedin|pinterest|whatsapp|reddit|tumblr|copy link|link copied|"
    r"advertisement|advertising|sponsored(?: content)?|ad|ads|story continues below(?: advertisement)?|"
    r"continue reading(?: below| the main story)?|article continues below|"
    r"subscribe(?: now| to (?:our|the) newsletter| to updates)?|sign up(?: now| for .{0,40})?|newsletter|"
    r"log ?in|sign in|register|follow us(?: on .{0,30})?|follow|"
    r"comments?|\d+ comments?|no comments|leave a (?:reply|comment)|post a comment|add a comment|"
    r"show comments|view comments|comment policy|"
    r"source link|source|tags?|topics?|filed under|categories|"
    r"skip to (?:main )?content|skip to navigation|back to top|menu|close menu|search|home|"
    r"accept(?: all)?(?: cookies)?|cookie (?:policy|settings)|privacy policy|terms (?:of (?:use|service)|& conditions|and conditions)|"
    r"all rights reserved|contact us|about us|"
    r"image|photo|video|watch|listen|play|loading|load more|show more|next|previous|"
    r"leer más|lee también|compartir|publicidad|lire aussi|partager|publicité|"
    r"mehr zum thema|weiterlesen|teilen|anzeige|werbung|leia (?:mais|também)|compartilhe|publicidade|"
    r"leggi anche|condividi|pubblicità|baca juga|bagikan|iklan|читайте также|поделиться|реклама"
)
BOILERPLATE_LINE = re.compile(rf"^(?:{_BOILER_PHRASES})[\s:.!»›>…]*$", re.IGNORECASE)
BOILERPLATE_START = re.compile(
    r"^(?:share\b|show more|copy link|read more|click here|sign up|subscribe|get (?:the|our) .{0,30}newsletter|"
    r"copyright|©|\(c\) \d{4}|all rights reserved|we use cookies|this (?:site|website) uses cookies|"
    r"by (?:using|continuing)|you must be logged in|to leave a comment|already a subscriber|"
    r"related:|read more:|see more:|more:|also read:|recommended:|watch:|listen:|"
    r"follow (?:us|@)|join (?:us|the conversation)|have a (?:news )?tip|"
    r"this article (?:was|is) (?:originally|first)|originally published|"
    r"type above and press|back to (?:top|gallery|home|article)|view (?:gallery|all|more)|press esc|posted in|filed under|tagged|tags:|topics:|"
    r"photo:|image:|credit:|photograph:|caption:|"
    r"our standards|©|\u00a9)",
    re.IGNORECASE,
)
# Phrases that mark a short line as a subscription box, a consent notice or site furniture
# wherever they sit in it ("Get breaking news alerts ... delivered to your inbox").
BOILERPLATE_ANYWHERE = re.compile(
    r"newsletter|your inbox|sign up for|sign up to|subscribe to|subscribe now|recaptcha|privacy policy|"
    r"terms of service|terms of use|cookie policy|cookies policy|cookie settings|cookies settings|"
    r"cookie consent|cookies consent|cookie preferences|cookies preferences|use cookies|uses cookies|"
    r"accept cookies|all rights reserved|download the app|download our app|breaking news emails|"
    r"breaking news alerts|click here to|follow us on|by clicking|by signing up|opens in new window|"
    r"opens in a new window|enable javascript|javascript is disabled|update your browser|modern browser|"
    r"internet explorer|adblocker|ad blocker|already a subscriber|create an account|"
    r"turn on notifications|enable notifications|allow notifications|"
    r"tweet (?:this|about this|it|on)\b|share (?:this|about this|it|on)\b|pin (?:this|about this|it|on)\b|"
    r"post (?:this|about this|it|on)\b|email (?:this|about this|it|on)\b|e-mail (?:this|about this|it|on)\b|"
    r"send (?:this|about this|it|on)\b|to someone\b|something went wrong|"
    r"suscr[ií]bete|inscrivez-vous|abonnieren|iscriviti|inscreva-se|"
    r"requires javascript|click here for|\[/\w+\]",  # "[/button]": a shortcode left unrendered
    re.IGNORECASE,
)
# Each alternative above starts with a literal, which lets the regex engine skip ahead by
# first character (an order of magnitude faster than alternatives behind an anchor or a
# group); the anchored ones are a second pattern.
FURNITURE_START = re.compile(r"^(?:you are here|welcome to|https?://|www\.)", re.IGNORECASE)
# A cookie-consent panel's paragraphs are long sentences: they need their own test.
CONSENT = re.compile(
    r"\bcookies\b.{0,200}\b(?:this (?:web)?site|our (?:web)?site|your (?:browser|experience|consent|device)|"
    r"opt[- ]out|essential for the website)",
    re.IGNORECASE,
)
# Rows that open what follows an article: comments, related lists, tag lists, author boxes.
END_OF_ARTICLE = re.compile(
    r"^\W*(?:\d+\s+)?(?:comments?|responses?|replies|reactions)\W*(?:\(\d+\))?\W*$|"
    r"^\W*\d+\s+(?:comments?|responses?)\W*$|"
    r"^(?:top rated|show|view|load|read|post|add|leave) (?:a |the |all |\d+ )?(?:comments?|reply|replies)\b|"
    r"^(?:leave a (?:reply|comment)|join the (?:conversation|discussion)|conversation|what do you think\??)\W*$|"
    r"^related(?: roundup| posts?| articles?| stories| news| coverage| content| reading)\b|"
    r"^(?:you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|more (?:stories|articles|news) (?:from|like|on)|"
    r"recommended (?:for you|stories|articles|reading)|read next|up next|most (?:read|popular|viewed)|"
    r"about the author|more from|tags?\s*:|tagged\s*:|filed (?:under|to)\s*:|topics\s*:|"
    r"want more stories|more stories like this|sponsored (?:content|stories|links)|promoted stories|around the web|trending now|"
    r"artigos relacionados|notícias relacionadas|artículos relacionados|noticias relacionadas|"
    r"articles similaires|à lire aussi|ähnliche artikel|das könnte sie auch interessieren|"
    r"articoli correlati|potrebbe interessarti|berita terkait|artikel terkait|похожие (?:статьи|новости))",
    re.IGNORECASE,
)
CREDIT = re.compile(
    r"(?:\((?:[^()]*(?:AP Photo|Photo|photo|Foto|Image|Getty|Reuters|AFP|Credit|File|Pool|via AP|"
    r"Shutterstock|EPA|Bloomberg|courtesy|Courtesy)[^()]*)\)\s*$"
    r"|^.{0,80}\bGetty Images\b.{0,40}$|\b(?:Getty Images|Shutterstock|REUTERS/[\w. ]+|AFP/[\w. ]+|AP Photo/[\w. ]+|Photo(?:graph)?: .{2,60}|"
    r"Image: .{2,60}|Photo (?:illustration )?by .{2,60}|Illustration by .{2,60}|Photos?: .{2,60}|Credit: .{2,60}|Foto: .{2,60}|iStock(?:photo)?|Photo credit.{0,60})\s*\.?\)?$"
    r"|^\([^()]{3,80}/[^()]{2,60}\)$"  # "(Reed Saxon / Associated Press)"
    r"|^(?:FILE PHOTO|FILE -|In this (?:file )?photo|Photo:|Image:|Pictured:|Foto:))"
)
DATE_ONLY = re.compile(
    r"^[\W\d]*(?:(?:updated|published|posted|last updated|first published|date)\s*:?\s*)?"
    r"(?:\w+day,?\s*)?[\w.]{0,12}\s*\d{1,4}[\s,./-]*(?:\w+\.?)?[\s,./-]*\d{0,4}"
    r"(?:\s*(?:at|,|/|-)?\s*\d{1,2}[:.]\d\d\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4})?)?[\s|]*$",
    re.IGNORECASE,
)


_SOCIAL = frozenset(
    [
        "icon",
        "icons",
        "plus",
        "facebook",
        "twitter",
        "x",
        "instagram",
        "linkedin",
        "pinterest",
        "tumblr",
        "email",
        "e",
        "mail",
        "mail",
        "whatsapp",
        "reddit",
        "telegram",
        "print",
        "share",
        "tweet",
        "pin",
        "flipboard",
        "messenger",
        "sms",
        "copy",
        "link",
        "comments",
        "comment",
        "youtube",
        "google",
        "vk",
        "line",
        "more",
        "save",
    ]
)


def _social_row(lower_words: list[str]) -> bool:
    """A row of share/follow buttons rendered as words: "Facebook Twitter Pinterest Email"."""
    return len(lower_words) >= 2 and sum(w in _SOCIAL for w in lower_words) >= 0.8 * len(
        lower_words
    )


# The same patterns run on the lowercased line without IGNORECASE: Python's case-folding
# search is about 4x slower, and these run on every line of every page.
_LINE_LOWER = re.compile(BOILERPLATE_LINE.pattern)
_START_LOWER = re.compile(BOILERPLATE_START.pattern)
_ANYWHERE_LOWER = re.compile(BOILERPLATE_ANYWHERE.pattern)
_FURNITURE_START_LOWER = re.compile(FURNITURE_START.pattern)
# Every alternative of CREDIT needs one of these: the cheap test spares most lines the regex.
_CREDIT_HINTS = (
    ")",
    "Getty Images",
    "Shutterstock",
    "REUTERS/",
    "AFP/",
    "Photo",
    "Illustration by",
    "Credit: ",
    "Foto: ",
    "iStock",
    "FILE",
    "In this",
    "Image:",
    "Pictured:",
)


def is_credit(text: str) -> bool:
    """A photo credit or caption line (see CREDIT)."""
    return any(hint in text for hint in _CREDIT_HINTS) and bool(CREDIT.search(text))


_CONSENT_LOWER = re.compile(CONSENT.pattern)
_DATE_ONLY_LOWER = re.compile(DATE_ONLY.pattern.replace("[A-Z]", "[a-z]"))


_DASH_LEAD = re.compile(r"^\s*[–—-]\s*\w")
_COPYRIGHT_LEAD = re.compile(r"^(?:©|copyright\b|\(c\)\s*\d{4})", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]{2,}")


_NON_WORD = re.compile(r"[\W_]+")


def norm_key(text: str) -> str:
    """A line's identity for repeat detection: case, quotes, punctuation and spacing folded."""
    if text.isascii():  # NFKC changes no ASCII text and casefold is lower() there: skip both
        return _NON_WORD.sub(" ", text.lower()).strip()
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@dataclass(slots=True)
class Line:
    index: int
    raw: str
    text: str  # stripped, bullet removed
    key: str
    bullet: bool
    chars: int  # effective length (CJK characters count double: they carry a word each)
    words: int
    stop_ratio: float
    sentence_end: bool
    boiler: bool
    credit: bool
    date_only: bool
    repeats: int = 1  # how often the normalized line occurs on the page
    twin: bool = False  # the same short line again within two lines (teaser cards, logos)
    nested: bool = False  # indented under a list bullet: a menu's or a teaser list's item text
    template: bool = False  # the site's template marks this line as furniture
    heading: int = 0  # the renderer showed it as a heading of this level (markdown, lynx)
    linked: bool = False  # the renderer showed it as all link text (markdown)
    score: float = 0.0


def make_line(index: int, raw: str) -> Line:
    # runs of spaces carry nothing in a rendering, and would make regexes quadratic
    stripped = raw.strip()
    if "  " in stripped or "\t" in stripped or not stripped.isascii():
        stripped = _SPACES.sub(" ", stripped)
    bullet_match = BULLET.match(raw)
    bullet = (bool(bullet_match) and not _DASH_LEAD.match(raw)) or stripped.startswith(
        ("•", "☆", "□", "○")
    )
    text = BULLET.sub("", stripped, count=1).strip() if bullet else stripped
    lower = text.lower()
    words = _WORD.findall(lower)
    cjk = len(_CJK.findall(text)) if not text.isascii() else 0
    stops = sum(1 for w in words if w in STOPWORDS)
    length = len(text)
    nwords = len(words) + (cjk // 2 if cjk else 0)
    short = len(text) <= 120
    return Line(
        index=index,
        raw=raw,
        text=text,
        key=norm_key(text),
        bullet=bullet,
        chars=len(text) + cjk,
        words=nwords,
        stop_ratio=stops / len(words) if words else 0.0,
        sentence_end=text[-1:] in _SENTENCE_END and bool(text),
        boiler=(
            short
            and bool(_LINE_LOWER.match(lower) or _START_LOWER.match(lower) or _social_row(words))
        )
        or (
            length < 200
            and bool(_ANYWHERE_LOWER.search(lower) or _FURNITURE_START_LOWER.match(lower))
        )
        or (length < 700 and "cookie" in lower and bool(_CONSENT_LOWER.search(lower)))
        or bool(_COPYRIGHT_LEAD.match(text)),
        credit=length < 600 and is_credit(text),
        date_only=length < 70 and bool(_DIGIT.search(text)) and bool(_DATE_ONLY_LOWER.match(lower)),
    )


# A line the site's template marks is known furniture: it is dropped from the body anyway, so
# inside an article it costs the region little (a short final paragraph after it must survive).
TEMPLATE_PENALTY = 0.5
BOILER_PENALTY = 1.5
# w3m indents a list item's further blocks under its bullet: menus and teaser lists, almost
# never article paragraphs (208 such lines off the body against 2 in it, on the dev corpus).
NESTED_CAP = 0.0  # known phrases also sit inside articles ("Advertisement"): a gap, not a wall


def score_line(line: Line) -> float:
    """Positive for prose, negative for chrome; the region pick sums these."""
    if line.template:  # site furniture sits inside articles too ("Don't miss"): a gap, not a wall
        return -TEMPLATE_PENALTY
    if line.boiler:
        return -BOILER_PENALTY if line.chars < 60 else -1.5
    if line.date_only:
        return -1.0
    if not line.text or not any(ch.isalnum() for ch in line.text):
        return -0.8
    score = (min(line.chars, 400) - 55) / 50.0
    if line.sentence_end and line.words >= 6:
        score += 0.8
    if line.words >= 6 and line.stop_ratio >= 0.2:
        score += 0.6
    elif line.words >= 8 and line.stop_ratio < 0.05 and not _CJK.search(line.text):
        score -= 1.0
    if line.bullet:
        score -= 1.0 if line.chars < 80 or not line.sentence_end else 0.2
    if line.repeats > 1:
        score -= 2.5 if line.twin else 1.5
    if line.nested:  # it may bridge two parts of an article, never carry one
        score = min(score, NESTED_CAP)
    if "|" in line.text and line.text.count("|") >= 2:
        score -= 2.0
    if line.credit:
        score = min(score, 0.0)
    if line.linked:  # a menu entry or a teaser headline: prose is not all link text
        score = min(score, -0.5)
    return max(min(score, 6.0), -3.0)


def page_lines(text: str) -> list[Line]:
    """Non-blank lines with features and repeat counts (shared with the template learner)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\x00", "")
    rendered = normalize_dump(text)  # lynx, markdown and wrapped dumps read like a w3m dump
    lines = [
        make_line(i, raw.rstrip()) for i, raw in enumerate(rendered.text.split("\n")) if raw.strip()
    ]
    if rendered.headings or rendered.linked:
        for line in lines:
            key = line_key(line.text)
            line.heading = rendered.headings.get(key, 0)
            line.linked = key in rendered.linked
    counts = Counter(line.key for line in lines if line.key)
    mark_nested(lines)
    for pos, line in enumerate(lines):
        line.repeats = counts.get(line.key, 1)
        if line.repeats > 1 and line.chars < 200:
            # a teaser card prints its headline twice in a row; article text never does
            near = lines[max(0, pos - 2) : pos] + lines[pos + 1 : pos + 3]
            line.twin = any(other.key == line.key for other in near)
    return lines


_LIST_GLYPHS = ("•", "□", "○", "☆", "◦", "▪", "■", "●")


def mark_nested(lines: list[Line]) -> None:
    """Flag lines indented deeper than the list bullet above them (the item's further blocks)."""
    owner: int | None = None  # indentation of the bullet whose item we are in
    for line in lines:
        indent = len(line.raw) - len(line.raw.lstrip(" "))
        if line.bullet and line.raw.lstrip().startswith(_LIST_GLYPHS):
            owner = indent
        elif owner is not None and indent > owner:
            line.nested = True
        else:
            owner = None
