"""The words and phrases that mark a line of a text dump as chrome rather than prose.

Stop words (running text is full of them, menus are not), whole-line and leading boilerplate
in several languages (share rows, "read more", subscription boxes, cookie notices, footers),
photo credits, date-only rows and the rows that open what follows an article (comments,
related lists, tags). textdump_lines turns them into each line's features.
"""

from __future__ import annotations

import re

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

_COPYRIGHT_LEAD = re.compile(r"^(?:©|copyright\b|\(c\)\s*\d{4})", re.IGNORECASE)
_DIGIT = re.compile(r"\d")


def is_boilerplate(text: str, lower: str, words: list[str]) -> bool:
    """A line of known furniture: `text` stripped, `lower` its lowercase, `words` its words."""
    length = len(text)
    return (
        (
            length <= 120
            and bool(_LINE_LOWER.match(lower) or _START_LOWER.match(lower) or _social_row(words))
        )
        or (
            length < 200
            and bool(_ANYWHERE_LOWER.search(lower) or _FURNITURE_START_LOWER.match(lower))
        )
        or (length < 700 and "cookie" in lower and bool(_CONSENT_LOWER.search(lower)))
        or bool(_COPYRIGHT_LEAD.match(text))
    )


def is_date_only(text: str, lower: str) -> bool:
    """A short row that holds a date and little else ("Updated: May 2, 2024 10:14 AM")."""
    return len(text) < 70 and bool(_DIGIT.search(text)) and bool(_DATE_ONLY_LOWER.match(lower))
