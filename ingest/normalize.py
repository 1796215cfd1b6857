"""Normalizers shared by every extractor: dates, author names, datelines and wire agencies.

Everything here is pure string work with regular expressions, so results never depend on
the clock or the TZ variable: a date is kept as written (the page's own calendar day), and a
missing day is never filled in (dateutil would take it from today, see TRAPS.md).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

__all__ = [
    "clean_author",
    "clean_authors",
    "find_dateline",
    "parse_date",
    "split_authors",
]

# --- dates -------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}


def _add_months(names: str) -> None:
    for number, group in enumerate(names.split(), start=1):
        for name in group.split("|"):
            _MONTHS[name] = number


# English, then es, fr, de, pt, it, nl, id, sv/da/no; full names and common abbreviations.
_add_months(
    "january|jan february|feb march|mar april|apr may june|jun july|jul august|aug september|sep|sept october|oct november|nov december|dec"
)
_add_months(
    "enero|ene febrero|feb marzo|mar abril|abr mayo|may junio|jun julio|jul agosto|ago septiembre|setiembre|sep|sept octubre|oct noviembre|nov diciembre|dic"
)
_add_months(
    "janvier|janv février|fevrier|févr|fevr mars avril|avr mai juin juillet|juil août|aout septembre octobre novembre décembre|decembre|déc"
)
_add_months(
    "januar|jänner|jan februar|feb märz|maerz|mär april|apr mai juni juli august|aug september|sep|sept oktober|okt november|nov dezember|dez"
)
_add_months(
    "janeiro|jan fevereiro|fev março|marco|mar abril|abr maio|mai junho|jun julho|jul agosto|ago setembro|set outubro|out novembro|nov dezembro|dez"
)
_add_months(
    "gennaio|gen febbraio|feb marzo|mar aprile|apr maggio|mag giugno|giu luglio|lug agosto|ago settembre|set ottobre|ott novembre|nov dicembre|dic"
)
_add_months(
    "januari|jan februari|feb maart|mrt april|apr mei juni|jun juli|jul augustus|agustus|agu|agt september|sep oktober|okt november|nov december|desember|des"
)
_add_months("januari februari mars april maj juni juli augusti september oktober november december")
_add_months(
    "января|январь|янв февраля|февраль|фев марта|март|мар апреля|апрель|апр мая|май июня|июнь|июн июля|июль|июл августа|август|авг сентября|сентябрь|сен октября|октябрь|окт ноября|ноябрь|ноя декабря|декабрь|дек"
)
_add_months("pebruari mei")  # Indonesian spellings not covered above (feb=2 already, mei=5)
_MONTHS["pebruari"] = 2
_MONTHS["maret"] = 3
_MONTHS["juni"] = 6
_MONTHS["juli"] = 7
_MONTHS["mei"] = 5

_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_MON = rf"(?P<mon>{_MONTH_ALT})\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|°|\.)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_TIME = (
    r"(?:\s*(?:,|at|um|à|a las|às|alle|pukul|om|-|—|–|\|)?\s*"
    r"(?P<hour>[0-2]?\d)[:.h](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?(?![\w:]))?"
)
_B = r"(?<![\w])"  # left word boundary that also works before non-ASCII letters
_E = r"(?![\w])"

_ISO = re.compile(
    rf"{_B}(?P<year>(?:19|20)\d\d)-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)"
    r"(?:[T ](?P<hour>[0-2]\d):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?(?:\.\d+)?)?"
    r"(?:Z|[+-]\d\d:?\d\d)?(?!\d)"
)
_YMD_SLASH = re.compile(
    rf"{_B}(?P<year>(?:19|20)\d\d)[/.](?P<month>[01]?\d)[/.](?P<day>[0-3]?\d)(?!\d)"
)
_NUMERIC = re.compile(
    rf"{_B}(?P<a>[0-3]?\d)(?P<sep>[./-])(?P<b>[0-3]?\d)(?P=sep)(?P<year>(?:19|20)\d\d){_TIME}(?!\d)"
)
_US_SHORT = re.compile(rf"{_B}(?P<a>[01]?\d)/(?P<b>[0-3]?\d)/(?P<year>[0-3]\d)(?![\d/])")
# The month-name patterns run on lowercased text without IGNORECASE: case-folding a long
# alternation of month names makes every search several times slower.
# the day and the year need a separator: "Juni 201914" is two glued dates, not June 20, 1914
_MDY = re.compile(rf"{_B}{_MON}\s*{_DAY}(?:\s*,\s*|\s+|(?<=\.)){_YEAR}{_TIME}{_E}")
_DMY = re.compile(rf"{_B}{_DAY}\s*(?:de\s+)?{_MON}\s*(?:de\s+|del\s+|,\s*)?{_YEAR}{_TIME}{_E}")
_YMD_WORDS = re.compile(rf"{_B}{_YEAR}\s*(?:年\s*)?{_MON}\s*{_DAY}{_E}")
_CJK = re.compile(
    r"(?P<year>(?:19|20)\d\d)\s*[年.]\s*(?P<month>[01]?\d)\s*[月.]\s*(?P<day>[0-3]?\d)\s*[日일]?"
)
_KOREAN = re.compile(
    r"(?P<year>(?:19|20)\d\d)\s*년\s*(?P<month>[01]?\d)\s*월\s*(?P<day>[0-3]?\d)\s*일"
)
_RELATIVE = re.compile(
    r"(?P<n>\d+|an?|one)\s+(?P<unit>minute|min|hour|hr|day|week)s?\s+ago|(?P<word>yesterday|today)",
    re.IGNORECASE,
)


_GLUE_CASE = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ][a-zà-ÿ])")
_GLUE_DIGIT = re.compile(r"(?<=\d)(?=[A-SU-Y][a-z]|[a-z]{3})")
# a year glued to the next date's day ("28. Juni 201914. Januar 2020") or a label glued to a
# day ("Posted on28. Juli 2019"): renderers drop the space between neighbouring elements
_GLUE_YEAR = re.compile(r"(?<=(?:19|20)\d\d)(?=[0-3]?\d(?:[./-][01]?\d[./-]|\.?\s?[^\W\d_]))")
_GLUE_LABEL = re.compile(r"(?<=[^\W\d_]{2})(?=[0-3]?\d\.\s)")


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _with_time(day_iso: str, match: re.Match[str]) -> str:
    groups = match.groupdict()
    if not groups.get("hour"):
        return day_iso
    hour, minute = int(groups["hour"]), int(groups["minute"])
    ampm = (groups.get("ampm") or "").lower().replace(".", "").replace(" ", "")
    if ampm:
        if not 1 <= hour <= 12:
            return day_iso
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23:
        return day_iso
    second = int(groups.get("second") or 0)
    return f"{day_iso}T{hour:02d}:{minute:02d}:{second:02d}"


def _iso_day(year: int, month: int, day: int) -> str | None:
    return f"{year:04d}-{month:02d}-{day:02d}" if _valid(year, month, day) else None


def _month_number(name: str) -> int | None:
    return _MONTHS.get(name.lower().rstrip("."))


def parse_date(
    text: str, *, languages: list[str] | None = None, reference: str | None = None
) -> str | None:
    """The first full date in `text` as "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM:SS" when a time is given.

    The date is kept as written (no time-zone conversion). A date without a day ("June 2024")
    gives None. Relative dates ("3 hours ago", "yesterday") are resolved only against
    `reference` (an ISO date the page itself provides); without one they give None.
    A year-less "Nov 19" takes its year from `reference` (an ISO date or a bare year).
    `languages`: the page's language or locale codes ("de", "en-GB"); they decide whether
    "11/04/2012" is 11 April (day first, everywhere but the US) or November 4 (US English;
    also the reading when the language is unknown). Month names of all supported languages
    are always recognised.
    """
    month_first = _month_first(languages)
    if not text or not isinstance(text, str):
        return None
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text[:2000]))
    # glued renderings ("JonesAugust 1, 2025No Comments") hide word boundaries: restore them
    text = _GLUE_CASE.sub(" ", text)
    text = _GLUE_DIGIT.sub(" ", text)
    if any(ch.isdigit() for ch in text):
        text = _GLUE_YEAR.sub(" ", text)
        text = _GLUE_LABEL.sub(" ", text)
    candidates: list[tuple[int, str]] = []
    for pattern in (_ISO, _YMD_SLASH, _CJK, _KOREAN):
        for m in pattern.finditer(text):
            day = _iso_day(int(m["year"]), int(m["month"]), int(m["day"]))
            if day:
                candidates.append((m.start(), _with_time(day, m) if pattern is _ISO else day))
                break
    lower = _lower_same_length(text)
    for pattern in (_MDY, _DMY, _YMD_WORDS):
        for m in pattern.finditer(lower):
            month = _month_number(m["mon"])
            if month is None:
                continue
            day = _iso_day(int(m["year"]), month, int(m["day"]))
            if day:
                candidates.append((m.start(), _with_time(day, m)))
                break
    for m in _US_SHORT.finditer(text):  # 11/12/19: US order with a two-digit year
        first, second = (int(m["a"]), int(m["b"])) if month_first else (int(m["b"]), int(m["a"]))
        day = _iso_day(2000 + int(m["year"]), first, second)
        if day:
            candidates.append((m.start(), day))
            break
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m["a"]), int(m["b"]), int(m["year"])
        # day first (01.08.2025, 25/12/2025) unless slashes allow the US order (08/01/2025)
        day_first = a > 12 or ((m["sep"] != "/" or not month_first) and b <= 12)
        day = _iso_day(year, b, a) if day_first else _iso_day(year, a, b)
        if day:
            candidates.append((m.start(), _with_time(day, m)))
            break
    if candidates:
        return min(candidates)[1]
    if reference:
        return _relative(text, reference) or _without_year(lower, reference)
    return None


# English-speaking places that write the day first; any other language does too
_DAY_FIRST_ENGLISH = frozenset(
    ["gb", "uk", "ie", "au", "nz", "in", "za", "sg", "my", "ng", "ke", "pk", "hk", "mt", "jm"]
)


def _month_first(languages: list[str] | None) -> bool:
    """Numeric dates read month first for US English, and when the language is unknown."""
    if not languages:
        return True
    code = languages[0].replace("_", "-").lower()
    lang, _, region = code.partition("-")
    if lang != "en":
        return False
    return region not in _DAY_FIRST_ENGLISH


def _lower_same_length(text: str) -> str:
    """`text` lowercased, unless that would shift positions (a few letters grow when lowered)."""
    lower = text.lower()
    return (
        lower
        if len(lower) == len(text)
        else "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    )


_MD_NO_YEAR = re.compile(rf"{_B}{_MON}\s*{_DAY}(?!\s*,?\s*\d{{4}})(?![\w:])")
_DM_NO_YEAR = re.compile(rf"{_B}{_DAY}\s*(?:de\s+)?{_MON}(?!\s*,?\s*(?:de\s+)?\d{{4}}){_E}")


def _without_year(text: str, reference: str) -> str | None:
    """ "Nov 19, 6:55 AM" on a page whose own dates say 2019: the year comes from the page.

    The day and month are as written; only the year is taken from `reference`, and a
    date that would fall after it belongs to the year before.
    """
    reference = reference.strip()
    if re.fullmatch(r"(?:19|20)\d\d", reference):  # only a year is known (a copyright line)
        ref = date(int(reference), 12, 31)
    else:
        base = _ISO.match(reference)
        if not base:
            return None
        ref = date(int(base["year"]), int(base["month"]), int(base["day"]))
    for pattern in (_MD_NO_YEAR, _DM_NO_YEAR):
        m = pattern.search(text)
        if not m:
            continue
        month = _month_number(m["mon"])
        day = int(m["day"])
        if month is None or not 1 <= day <= 31:
            continue
        outside = text[: m.start()] + " " + text[m.end() :]
        if len(re.findall(r"[^\W\d_]{2,}", outside)) > 6:
            continue  # "Windows 10 November Update is rolling out": a sentence, not a stamp
        year = ref.year if (month, day) <= (ref.month, ref.day) else ref.year - 1
        if _valid(year, month, day):
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _relative(text: str, reference: str) -> str | None:
    """Resolve "2 days ago" / "yesterday" against the page's own date; hours keep its day."""
    m = _RELATIVE.search(text)
    base = _ISO.match(reference.strip())
    if not m or not base:
        return None
    ref = date(int(base["year"]), int(base["month"]), int(base["day"]))
    if m["word"]:
        return (ref - timedelta(days=1 if m["word"].lower() == "yesterday" else 0)).isoformat()
    n = 1 if not m["n"].isdigit() else int(m["n"])
    unit = m["unit"].lower()
    days = n if unit == "day" else 7 * n if unit == "week" else 0
    return (ref - timedelta(days=days)).isoformat()


# --- authors -----------------------------------------------------------------------------

_BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|reported|posted|published|photos?|words|story|text|compiled|edited|"
    r"interview|analysis)\s+)?(?:by|von|por|par|di|oleh|door|av|автор)\s*[:\-–—]?\s+",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_URLISH = re.compile(r"https?://|www\.|\.(?:com|org|net|co\.uk)\b", re.IGNORECASE)
_ROLE_WORDS = re.compile(
    r"\b(?:writer|reporter|correspondent|editor|columnist|contributor|staff|producer|journalist|"
    r"analyst|author|photographer|bureau|chief|senior|associate|special|investigative|news|"
    r"desk|intern|fellow|director|manager|host|anchor|critic|professor|officer|president|"
    r"business|media|network|times|post|journal|tribune|herald|magazine|online|daily|group)\b",
    re.IGNORECASE,
)
_JUNK_AUTHOR = re.compile(
    r"^(?:admin|administrator|editor|editors|staff|guest|anonymous|unknown|none|null|webmaster|"
    r"share|facebook|twitter|email|comments?|updated|published|posted|read more|follow|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday)$",
    re.IGNORECASE,
)
_TRAILING_NOISE = re.compile(
    r"\s*(?:\||·|•|—|–|-)\s*(?:updated|published|posted|follow|email|twitter|more).*$",
    re.IGNORECASE,
)
_GLUED_TAIL = re.compile(r"(?<=[a-zà-ÿ]{3})[A-Z][\w.]*(?:\s.*)?$")

_SEPARATORS = re.compile(
    r"\s*(?:,|;|&|\band\b|\bund\b|\by\b(?!\.)|\be\b(?!\.)|\bet\b|\bdan\b|\ben\b|\boch\b|/|\|)\s*",
    re.IGNORECASE,
)
_WIRES = {
    "ap": "AP",
    "associated press": "Associated Press",
    "the associated press": "Associated Press",
    "reuters": "Reuters",
    "afp": "AFP",
    "upi": "UPI",
    "dpa": "dpa",
    "bloomberg": "Bloomberg",
    "pa": "PA",
}


def clean_author(name: str) -> str | None:
    """One person's display name from a raw byline fragment, or None when it is not a name."""
    if not isinstance(name, str) or len(name) > 300:  # no name is that long; bounds regex work
        return None
    text = unicodedata.normalize("NFKC", name).replace("\u00a0", " ")
    text = _EMAIL.sub(" ", text)
    if _URLISH.search(text):
        return None
    text = re.sub(r"\s+", " ", text).strip(" \t\r\n,;:|-–—•·*")
    for _ in range(2):
        text = _BY_PREFIX.sub("", text).strip(" ,;:|-–—•·*")
    text = _TRAILING_NOISE.sub("", text)
    text = re.split(r"\s*[@(\[]", text, maxsplit=1)[0]  # "Name@handle", "Name (Twitter)"
    text = re.split(r"\s+[-–—|/]\s+", text, maxsplit=1)[0]  # "Name - Live Science Contributor"
    text = _GLUED_TAIL.sub("", text)  # "Meg JamesStaff Writer", "Jonathan GarberFOXBusiness"
    words = text.split()
    if (
        len(words) >= 4
        and len(words) % 2 == 0
        and words[: len(words) // 2] == words[len(words) // 2 :]
    ):
        text = " ".join(words[: len(words) // 2])  # a name rendered twice
    # "TOM KRISHER, AP Auto Writer" / "Jane Doe, Reuters": keep the part before the comma
    if "," in text:
        head, _, tail = text.partition(",")
        if _ROLE_WORDS.search(tail) or tail.strip().lower() in _WIRES or len(tail.split()) <= 4:
            text = head
    text = re.sub(
        r"^(?:and|und|y|et|e)\s+|\s+(?:and|und|y|et|e)$", "", text, flags=re.IGNORECASE
    ).strip()
    text = text.strip(" .,;:|-–—•·*'\"“”")
    if not text or len(text) > 60 or _JUNK_AUTHOR.match(text):
        return None
    words = text.split()
    if len(words) > 6 or any(ch.isdigit() for ch in text):
        return None
    if not any(ch.isalpha() for ch in text):
        return None
    if text.isupper() and len(text) > 4:
        text = " ".join(_title_word(w) for w in words)
    return text


def _title_word(word: str) -> str:
    parts = re.split(r"([-'’])", word.lower())
    out = "".join(p.capitalize() if p not in "-'’" else p for p in parts)
    return re.sub(r"^Mc(\w)", lambda m: "Mc" + m[1].upper(), out)


_CAP_MONTHS = "|".join(
    sorted({m.capitalize() for m in _MONTHS if m.isascii() and len(m) >= 3}, key=len, reverse=True)
)
_BYLINE_END = re.compile(
    rf"(?:{_CAP_MONTHS})\.?\s*\d|\d|\b(?:Updated|Published|Posted|Last updated|No Comments|Comments|"
    r"Min(?:ute)?s? Read|Read time|Follow|Share|Email)\b|[|•·]"
)
_GLUED_BY = re.compile(r"([a-zà-ÿ.])By\s+(?=[A-ZÀ-Þ])")


def split_authors(text: str) -> list[str]:
    """Names from a byline: "By A and B", "A, B and C", "By A, AP", glued "ABy A ...".

    A trailing wire credit ("By A, AP") is dropped; the clean names come back in order,
    without duplicates.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text[:1000])).strip()
    glued = _GLUED_BY.search(text)
    if glued:  # "Robert JonesBy Robert Jones...": the part after the glued "By" is the byline
        text = "By " + text[glued.end() :]
    text = _BY_PREFIX.sub("", text)
    end = _BYLINE_END.search(text)
    if end:  # "Robert JonesAugust 1, 2025No Comments": the names stop where the date starts
        text = text[: end.start()]
    names: list[str] = []
    for number, chunk in enumerate(re.split(r"\s*[,;]\s*", text)):
        chunk = chunk.strip()
        if not chunk:
            continue
        # after a comma, a wire or a job title/organisation is a credit, not another person
        if number and (
            chunk.lower() in _WIRES or (_ROLE_WORDS.search(chunk) and len(chunk.split()) <= 5)
        ):
            continue
        for part in _SEPARATORS.split(chunk):
            part = part.strip()
            if not part or (part.lower() in _WIRES and names):
                continue
            name = clean_author(part)
            if name and name not in names:
                names.append(name)
    return names


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKD", text).casefold())


def clean_authors(names: list[str], site_name: str | None = None) -> list[str]:
    """Clean, dedupe (keeping order) and drop bylines that are only the site itself."""
    site_key = _key(site_name) if site_name else ""
    out: list[str] = []
    seen: set[str] = set()
    for raw in names or []:
        name = clean_author(raw) if isinstance(raw, str) else None
        if not name:
            continue
        key = _key(name)
        if not key or key in seen:
            continue
        if site_key and (key == site_key or key in {site_key + "staff", site_key + "news"}):
            continue
        seen.add(key)
        out.append(name)
    return out


# --- datelines ---------------------------------------------------------------------------

_WIRE_NAMES = (
    r"AP|Associated Press|Reuters|AFP|UPI|dpa|DPA|Bloomberg|PA|PA Media|CNN|ANSA|EFE|Xinhua|"
    r"Kyodo|Yonhap|TASS|Interfax|IANS|PTI|ANI|CP|AAP|APA|SDA|Anadolu|NNA|Lusa|Agencia EFE|WENN"
)
_WIRE_CANON = {
    "dpa": "dpa",
    "DPA": "dpa",
    "Associated Press": "AP",
    "PA Media": "PA",
    "Agencia EFE": "EFE",
}
_DASH = r"(?:—|–|-{1,2}|―|:)"
_PLACE = r"[A-ZÀ-Þ][A-ZÀ-Þ.'’\- ]*[A-ZÀ-Þ.](?:,\s+[A-Z][\w.]*(?:\s[A-Z][\w.]*)*)?"
_DATELINE_WIRE = re.compile(
    rf"^\s*(?:(?P<place>{_PLACE})\s*)?\((?P<wire>{_WIRE_NAMES})\)\s*{_DASH}"
)
_DATELINE_ONLY = re.compile(
    rf"^\s*(?P<place>[A-ZÀ-Þ][A-ZÀ-Þ.'’\-]+(?: [A-ZÀ-Þ][A-ZÀ-Þ.'’\-]+){{0,3}}(?:,\s+[A-Z][\w.]+(?:\s[A-Z][\w.]+)?)?)\s*{_DASH}\s+\S"
)
_DATELINE_WIRE_AFTER = re.compile(
    rf"^\s*(?P<place>{_PLACE}),?\s+\w+\s+\d+\s*\((?P<wire>{_WIRE_NAMES})\)\s*{_DASH}"
)


def find_dateline(body: str) -> tuple[str | None, str | None]:
    """(dateline, wire) from the start of the body's first paragraph.

    "MOSCOW (AP) — ..." → ("MOSCOW", "AP"); "(Reuters) - ..." → (None, "Reuters");
    "WASHINGTON — ..." → ("WASHINGTON", None); anything else → (None, None).
    """
    if not isinstance(body, str):
        return None, None
    first = body.lstrip().split("\n", 1)[0][:300]
    for pattern in (_DATELINE_WIRE, _DATELINE_WIRE_AFTER):
        m = pattern.match(first)
        if m:
            place = (m["place"] or "").strip(" ,") or None
            wire = m["wire"]
            return place, _WIRE_CANON.get(wire, wire)
    m = _DATELINE_ONLY.match(first)
    if m:
        place = m["place"].strip(" ,")
        head = place.split(",")[0]
        if head.isupper() and len(head.replace(" ", "")) >= 2:
            return place, None
    return None, None
