"""Deterministic generator of realistic synthetic news articles, for ingest and search benchmarks.

    python bench/generate.py --count 10000 --format jsonl --out /tmp/gen-jsonl [--seed 1]
    python bench/generate.py --count 10000 --format text  --out /tmp/gen-text
    python bench/generate.py --count 10000 --format html  --out /tmp/gen-html

Why synthetic: benchmarks need 10k–100k articles with the statistics of real news (a Zipf
vocabulary, ~550-word bodies, short paragraphs, a long tail of authors) and nobody may ship
that many real pages. The vocabulary is read at run time from real English text that lies
beside the repository (`../shared/corpus/truth.jsonl`, or `--words-from FILE`), never copied
into it. Words are drawn by rank with a Zipf–Mandelbrot law (s=1, q=2.7), so term
frequencies look like English: "the" about 3 %, a long tail of rare words.

Every article is a pure function of (seed, index): the same seed gives the same bytes. A
fraction of articles (`--syndicated`, default 5 %) are syndicated copies: the same title and
body as an earlier article, published on another site a day or two later.

Formats: `jsonl` (Article fields, 5,000 per file), `text` (w3m-like dumps of news pages:
menus as `  • ` bullets, share rows, byline, captions, related links, footer) and `html`
(pages in site chrome with JSON-LD NewsArticle, <p> body, <figcaption>s). Text and HTML pages
are written 1,000 per folder. A `.manifest.json` (skipped by `newsarchive ingest`, which
ignores dot files) records what was generated.
"""

from __future__ import annotations

import argparse
import bisect
import html
import json
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORDS = ROOT.parent / "shared" / "corpus" / "truth.jsonl"
FORMATS = ("jsonl", "text", "html")
JSONL_PER_FILE = 5000
PAGES_PER_DIR = 1000

N_AUTHORS = 2000
N_SITES = 200
CATEGORIES = (
    "Politics", "World", "Business", "Markets", "Technology", "Science", "Health", "Local",
    "Sports", "Opinion", "Culture", "Arts", "Books", "Music", "Travel", "Food", "Education",
    "Environment", "Climate", "Crime", "Courts", "Transport", "Energy", "Real Estate", "Media",
    "Religion", "Weather", "Obituaries", "Lifestyle", "Entertainment",
)  # fmt: skip
CATEGORY_WEIGHTS = tuple(accumulate(1.0 / rank for rank in range(1, len(CATEGORIES) + 1)))  # Zipf
START_DAY = date(2015, 1, 1)
DAYS = (date(2024, 12, 31) - START_DAY).days + 1  # ten years of dates
BODY_MEDIAN_WORDS = 550
BODY_SIGMA = 0.45  # log-normal spread: about 2/3 of bodies between 350 and 860 words
MIN_BODY_WORDS = 60
WIRES = ("AP", "Reuters", "AFP", "Bloomberg")
CITIES = (
    "LONDON", "PARIS", "BERLIN", "MOSCOW", "WASHINGTON", "NEW YORK", "CHICAGO", "TOKYO",
    "BEIJING", "NAIROBI", "LAGOS", "SYDNEY", "TORONTO", "OTTAWA", "MEXICO CITY", "SAO PAULO",
    "MADRID", "ROME", "KYIV", "WARSAW", "ISTANBUL", "CAIRO", "MUMBAI", "SEOUL", "DENVER",
    "ATLANTA", "BOSTON", "SEATTLE", "HOUSTON", "MIAMI",
)  # fmt: skip
# Name parts: enough for 2,000 distinct bylines; the corpus authors' own names are added to these.
FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "James", "Kofi",
    "Laura", "Marcus", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Samuel", "Tomasz", "Uma",
    "Victor", "Wen", "Yusuf", "Zoe", "Amara", "Bruno", "Chloe", "Diego", "Emma", "Felix", "Hana",
    "Ivan", "Julia", "Kwame", "Lena", "Mateo", "Nora", "Omar", "Paula", "Rahul", "Sofia", "Theo",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ibrahim", "Jones",
    "Kim", "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Quinlan", "Raman", "Silva", "Tanaka",
    "Usman", "Volkov", "Walsh", "Xu", "Young", "Zhang", "Novak", "Rossi", "Dubois", "Kowalski",
    "Schmidt", "Haddad", "Mensah", "Larsen", "Moreau", "Ortiz", "Petrov", "Reyes", "Sato", "Weber",
)  # fmt: skip
PLACES = (
    "Millbrook", "Riverside", "Harbor Town", "Northfield", "Eastbrook", "Westvale", "Greyhaven",
    "Oakridge", "Stonebridge", "Clearwater", "Pinecrest", "Fairport", "Lakeside", "Ashford",
    "Brookhaven", "Cedar Falls", "Dunmore", "Elmwood", "Glenview", "Hillcrest", "Kingsport",
    "Maplewood", "Newbury", "Redfield", "Southgate", "Valley", "Coastal", "Northern", "Metro",
    "Capital", "Prairie", "Summit", "Bayview", "Highland", "Midland", "Seaside", "Granite",
    "Silver Lake", "Falcon Ridge", "Union",
)  # fmt: skip
MASTHEADS = (
    "Gazette", "Ledger", "Herald", "Times", "Post", "Courier", "Tribune", "Chronicle", "Observer",
    "Journal", "Register", "Sentinel", "Star", "Record", "Dispatch", "Examiner", "Bulletin",
    "Press", "Mirror", "Beacon", "Monitor", "Standard", "Telegraph", "Review", "News",
)  # fmt: skip

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")


class GeneratorError(Exception):
    """The generator cannot run with the inputs given; the message names the input and the fix."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words by rank (most frequent first) and Zipf–Mandelbrot cumulative weights over the ranks."""

    words: tuple[str, ...]
    cum_weights: tuple[float, ...]
    content_start: int  # first rank past the function words: headlines draw from here on

    def draw(self, rng: random.Random, k: int, *, content: bool = False) -> list[str]:
        if not content:
            return rng.choices(self.words, cum_weights=self.cum_weights, k=k)
        total = self.cum_weights[-1]
        low = self.cum_weights[self.content_start - 1]
        picks = []
        for _ in range(k):
            i = bisect.bisect_left(self.cum_weights, low + rng.random() * (total - low))
            picks.append(self.words[min(i, len(self.words) - 1)])
        return picks


def read_corpus_text(path: Path) -> tuple[list[str], list[str]]:
    """The bodies and author names of a JSON Lines file of articles (or plain text: all bodies)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GeneratorError(
            f"{path}: cannot read the word source ({exc.strerror or exc}); pass --words-from "
            "with a JSON Lines file of articles or a plain English text file."
        ) from exc
    bodies: list[str] = []
    authors: list[str] = []
    if path.suffix in {".jsonl", ".json"}:
        for line in raw.splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("likely_english") is False:
                continue  # a word list for English text: skip pages the corpus marks as other languages
            bodies.append(str(row.get("body") or ""))
            authors.extend(a for a in row.get("authors") or [] if isinstance(a, str))
    else:
        bodies.append(raw)
    return bodies, authors


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = DEFAULT_WORDS) -> Vocabulary:
    """Rank the words of real English text by frequency; keep each word's most common casing."""
    bodies, _ = read_corpus_text(path)
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for body in bodies:
        for token in _WORD.findall(body.replace("’", "'")):
            key = token.lower()
            counts[key] += 1
            forms.setdefault(key, Counter())[token] += 1
    if len(counts) < 1000:
        raise GeneratorError(
            f"{path}: holds only {len(counts)} distinct words; the generator needs at least "
            "1,000 to draw realistic text. Pass --words-from with a larger English text."
        )
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    words = tuple(forms[w].most_common(1)[0][0] for w in ranked)
    weights = [1.0 / (rank + 2.7) for rank in range(1, len(words) + 1)]
    return Vocabulary(words, tuple(accumulate(weights)), content_start=min(150, len(words) // 4))


@lru_cache(maxsize=4)
def author_pool(path: Path = DEFAULT_WORDS, size: int = N_AUTHORS) -> tuple[str, ...]:
    """`size` distinct bylines: first names × surnames, the corpus authors' names among them."""
    _, corpus_authors = read_corpus_text(path)
    firsts, lasts = list(FIRST_NAMES), list(LAST_NAMES)
    for name in sorted(set(corpus_authors)):
        parts = name.split()
        if len(parts) == 2 and all(p[:1].isupper() and p.isalpha() for p in parts):
            if parts[0] not in firsts:
                firsts.append(parts[0])
            if parts[1] not in lasts:
                lasts.append(parts[1])
    rng = random.Random("authors")
    combos = [f"{f} {last}" for f in firsts for last in lasts]
    rng.shuffle(combos)
    return tuple(combos[:size])


@lru_cache(maxsize=1)
def site_pool(size: int = N_SITES) -> tuple[tuple[str, str], ...]:
    """`size` (name, domain) pairs such as ("The Millbrook Gazette", "millbrookgazette.example")."""
    rng = random.Random("sites")
    combos = [(p, m) for p in PLACES for m in MASTHEADS]
    rng.shuffle(combos)
    sites = []
    for place, masthead in combos[:size]:
        name = f"The {place} {masthead}" if rng.random() < 0.6 else f"{place} {masthead}"
        domain = re.sub(r"[^a-z]", "", f"{place}{masthead}".lower()) + ".example"
        sites.append((name, domain))
    return tuple(sites)


def slugify(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-")


def _sentence_case(words: list[str]) -> str:
    first = words[0]
    return " ".join([first[:1].upper() + first[1:], *words[1:]])


def make_sentence(rng: random.Random, vocab: Vocabulary, authors: list[str], n: int) -> str:
    """One news-like sentence of about `n` words: clauses with commas, numbers, some quotes."""
    words = vocab.draw(rng, n)
    for i in range(len(words)):
        if rng.random() < 0.02:
            words[i] = rng.choice((str(rng.randint(2, 99)), f"{rng.randint(1, 900)} percent",
                                   f"${rng.randint(2, 500)} million", str(rng.randint(1990, 2024))))  # fmt: skip
        elif i and i < len(words) - 2 and rng.random() < 0.06:
            words[i - 1] += ","
    text = _sentence_case(words)
    roll = rng.random()
    if roll < 0.12:
        speaker = rng.choice(authors).split()[-1] if rng.random() < 0.5 else "officials"
        return f"“{text},” {speaker} said."
    if roll < 0.16:
        return text + "?"
    return text + "."


def make_body(
    rng: random.Random,
    vocab: Vocabulary,
    authors: list[str],
    dateline: str | None,
    wire: str | None,
) -> str:
    """Paragraphs of one to three sentences adding up to a log-normal number of words."""
    target = max(MIN_BODY_WORDS, int(rng.lognormvariate(math.log(BODY_MEDIAN_WORDS), BODY_SIGMA)))
    paragraphs: list[str] = []
    written = 0
    while written < target:
        sentences = []
        for _ in range(rng.choices((1, 2, 3), weights=(35, 45, 20))[0]):
            n = min(
                max(5, int(rng.lognormvariate(math.log(20), 0.4))), 50, max(5, target - written)
            )
            sentences.append(make_sentence(rng, vocab, authors, n))
            written += n
            if written >= target:
                break
        paragraphs.append(" ".join(sentences))
    if dateline:
        lead = f"{dateline} ({wire}) — " if wire else f"{dateline} — "
        paragraphs[0] = lead + paragraphs[0]
    return "\n\n".join(paragraphs)


def make_caption(rng: random.Random, vocab: Vocabulary, authors: list[str], site: str) -> str:
    text = _sentence_case(vocab.draw(rng, rng.randint(8, 22))) + "."
    credit = rng.choice(authors)
    style = rng.random()
    if style < 0.4:
        return f"{text} (Photo: {credit}/{site})"
    if style < 0.7:
        return f"{text} (AP Photo/{credit}, File)"
    return f"{text} ({credit} for {site})"


def make_published(rng: random.Random) -> str:
    day = START_DAY + timedelta(days=rng.randrange(DAYS))
    if rng.random() < 0.4:
        return day.isoformat()
    moment = datetime(day.year, day.month, day.day, rng.randint(5, 22), rng.randrange(60))
    return moment.isoformat()


def original_article(index: int, seed: int, vocab: Vocabulary, authors: list[str]) -> dict:
    """Article `index` as first published: a pure function of (seed, index)."""
    rng = random.Random(f"{seed}:{index}")
    site_name, domain = site_pool()[rng.randrange(N_SITES)]
    category = rng.choices(CATEGORIES, cum_weights=CATEGORY_WEIGHTS)[0]
    byline = rng.sample(authors, rng.choices((1, 2, 3), weights=(75, 20, 5))[0])
    roll = rng.random()
    wire = rng.choice(WIRES) if roll < 0.15 else None
    dateline = rng.choice(CITIES) if roll < 0.35 else None
    title = _sentence_case(vocab.draw(rng, rng.randint(5, 12), content=True))
    published = make_published(rng)
    body = make_body(rng, vocab, authors, dateline, wire)
    captions = [make_caption(rng, vocab, authors, site_name) for _ in range(rng.choices((0, 1, 2, 3), weights=(25, 40, 25, 10))[0])]  # fmt: skip
    return {
        "title": title,
        "authors": byline,
        "published": published,
        "category": category,
        "site_name": site_name,
        "url": f"https://{domain}/{slugify(category)}/{published[:4]}/{published[5:7]}/{slugify(title)}-{index}/",
        "language": "en",
        "dateline": dateline,
        "wire": wire,
        "body": body,
        "captions": captions,
    }


def syndicate(original: dict, index: int, seed: int) -> dict:
    """A copy of `original` on another site a day or two later: same title, body and byline."""
    rng = random.Random(f"{seed}:{index}:copy")
    sites = site_pool()
    site_name, domain = sites[rng.randrange(N_SITES)]
    while site_name == original["site_name"]:
        site_name, domain = sites[rng.randrange(N_SITES)]
    published = datetime.fromisoformat(original["published"]) + timedelta(days=rng.randint(0, 2))
    text = (
        published.date().isoformat() if len(original["published"]) == 10 else published.isoformat()
    )
    copy = dict(original, site_name=site_name, published=text, captions=list(original["captions"]))
    copy["url"] = (
        f"https://{domain}/{slugify(original['category'])}/{text[:4]}/{text[5:7]}/{slugify(original['title'])}-{index}/"
    )
    return copy


def generate_articles(
    n: int, seed: int = 1, *, syndicated: float = 0.05, words_from: Path = DEFAULT_WORDS
) -> Iterator[dict]:
    """`n` article dicts (the Article fields of DESIGN.md), deterministic for a given seed."""
    if n < 0:
        raise GeneratorError(f"--count must be zero or more, not {n}.")
    if not 0.0 <= syndicated < 1.0:
        raise GeneratorError(f"--syndicated must be a fraction in [0, 1), not {syndicated}.")
    vocab = load_vocabulary(Path(words_from))
    authors = list(author_pool(Path(words_from)))
    originals: list[int] = []  # indexes of articles that are not copies, for copies to point at
    for index in range(n):
        rng = random.Random(f"{seed}:{index}:kind")
        if originals and rng.random() < syndicated:
            source = originals[rng.randrange(len(originals))]
            yield syndicate(original_article(source, seed, vocab, authors), index, seed)
        else:
            originals.append(index)
            yield original_article(index, seed, vocab, authors)


# ---------------------------------------------------------------------------------- text dumps
def _long_date(value: str) -> str:
    day = date.fromisoformat(value[:10])
    return f"{day:%B} {day.day}, {day.year}"


def _split_body(body: str) -> list[str]:
    return body.split("\n\n")


def _related(rng: random.Random, vocab: Vocabulary, k: int) -> list[str]:
    return [_sentence_case(vocab.draw(rng, rng.randint(5, 10), content=True)) for _ in range(k)]


def _menu(rng: random.Random, k: int) -> list[str]:
    return ["Home", *rng.sample(CATEGORIES, k)]


def render_text(article: dict, index: int, seed: int = 1, words_from: Path = DEFAULT_WORDS) -> str:
    """The article as a w3m dump of its page, in one of three site layouts (chosen by site)."""
    rng = random.Random(f"{seed}:{index}:page")
    vocab = load_vocabulary(Path(words_from))
    layout = sum(map(ord, article["site_name"])) % 3
    return (_text_wordpress, _text_gazette, _text_portal)[layout](article, rng, vocab)


def _body_with_captions(
    article: dict, rng: random.Random, repeat: int, after: str | None
) -> list[str]:
    paragraphs = _split_body(article["body"])
    slots = sorted(
        rng.sample(range(1, len(paragraphs) + 1), min(len(article["captions"]), len(paragraphs)))
    )
    out: list[str] = []
    caps = iter(article["captions"])
    for i, paragraph in enumerate(paragraphs, start=1):
        out.append(paragraph)
        if slots and i == slots[0]:
            slots.pop(0)
            caption = next(caps)
            out.extend([caption] * repeat)
            if after:
                out.append(after)
    return out


def _text_wordpress(article: dict, rng: random.Random, vocab: Vocabulary) -> str:
    """A WordPress news theme, like the seed page: doubled menus, 'What's Hot', byline run-on."""
    site, cat, title = article["site_name"], article["category"], article["title"]
    menu = "\n".join(f"  • {m}" for m in _menu(rng, 8))
    hot = _related(rng, vocab, 3)
    date_line = _long_date(article["published"])
    lead_author = article["authors"][0] if article["authors"] else "Staff"
    byline = f"{lead_author}By {' and '.join(article['authors'])}{date_line}No Comments{rng.randint(2, 9)} Mins Read"
    parts = [
        "Close Menu", site, menu, "",
        "Subscribe to Updates", "",
        "Subscribe to our newsletter and never miss our latest news", "",
        "Subscribe my Newsletter for New Posts & tips Let's stay updated!", "",
        "What's Hot", "",
        *[x for h in hot for x in (h, "", date_line, "")],
        "Facebook X (Twitter) Instagram", f"{site}{site}", menu, site,
        f"Home»{cat}»{title}", cat, "", title, "", byline,
        "Facebook Twitter Pinterest LinkedIn Tumblr Email", "Share",
        "Facebook Twitter LinkedIn Pinterest Email", "", "",
        "\n\n".join(_body_with_captions(article, rng, 3, "Read More")), "", "",
        "Source link", "",
        "Share. Facebook Twitter Pinterest LinkedIn Tumblr Email", lead_author, "",
        "Related Posts", "",
        *[x for h in _related(rng, vocab, 3) for x in (h, "", date_line, "")],
        "Leave A Reply Cancel Reply", "",
        "Subscribe to Updates", "",
        "Subscribe to our newsletter and never miss our latest news", "",
        "  • Home\n  • About Us\n  • Advertise With Us\n  • Contact Us\n  • Privacy Policy",
        f"© {article['published'][:4]} {site}. Designed by {slugify(site)}.", "",
        "Type above and press Enter to search. Press Esc to cancel.",
    ]  # fmt: skip
    return "\n".join(parts)


def _text_gazette(article: dict, rng: random.Random, vocab: Vocabulary) -> str:
    """A newspaper site: section breadcrumb, 'By A and B, Staff Writers', ads, related, comments."""
    site, cat = article["site_name"], article["category"]
    authors = article["authors"]
    names = authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + f" and {authors[-1]}"
    published = article["published"]
    when = _long_date(published)
    if len(published) > 10:
        hour = int(published[11:13])
        when += f" at {(hour - 1) % 12 + 1}:{published[14:16]} {'a.m.' if hour < 12 else 'p.m.'}"
    body = _body_with_captions(article, rng, 1, None)
    if len(body) > 4:
        body.insert(len(body) // 2, "Advertisement")
    related = "\n".join(f"  • {r}" for r in _related(rng, vocab, 3))
    parts = [
        "Skip to main content", site,
        "\n".join(f"  • {m}" for m in ("News", "Local", "Business", "Sports", "Opinion", "Obituaries")),
        "Sign In Subscribe", "Search", "",
        f"News › {cat}", "", article["title"], "",
        f"By {names}, Staff Writer{'s' if len(authors) > 1 else ''}", f"Published {when}", "",
        "Share on Facebook Share on X Email Print", "",
        "\n\n".join(body), "",
        "Related stories", related, "",
        f"Comments ({rng.randint(0, 40)})", "Sign in to comment",
        f"© {published[:4]} {site}. All rights reserved.",
        "  • Privacy Policy\n  • Terms of Use\n  • Contact",
    ]  # fmt: skip
    return "\n".join(parts)


def _text_portal(article: dict, rng: random.Random, vocab: Vocabulary) -> str:
    """A portal layout: [logo] image alt, trending bullets, tags, newsletter box, 'Most read'."""
    site, cat = article["site_name"], article["category"]
    trending = "\n".join(f"  • {r}" for r in _related(rng, vocab, 4))
    parts = [
        f"[{slugify(site)}-logo]", "", "Menu", "\n".join(f"  • {m}" for m in _menu(rng, 6)), "",
        "Trending", trending, "",
        f"{cat.upper()}", "", article["title"], "",
        f"By {', '.join(article['authors'])}", f"{_long_date(article['published'])} | Updated {rng.randint(1, 12)} hours ago", "",
        "Share this article", "  • Facebook\n  • X\n  • WhatsApp\n  • Copy link", "",
        "\n\n".join(_body_with_captions(article, rng, 1, None)), "",
        f"Tags: {', '.join(_related(rng, vocab, 1)[0].split()[:4])}", "",
        "Sign up for our newsletter", "Get the day's top stories in your inbox. [                    ] Sign up", "",
        "Most read", "\n".join(f"  {i}. {r}" for i, r in enumerate(_related(rng, vocab, 5), start=1)), "",
        f"© {site} {article['published'][:4]}", "About | Contact | Privacy | Cookies",
    ]  # fmt: skip
    return "\n".join(parts)


# ---------------------------------------------------------------------------------- HTML pages
def render_html(article: dict, index: int, seed: int = 1, words_from: Path = DEFAULT_WORDS) -> str:
    """The article as a web page in its site's chrome, with JSON-LD NewsArticle metadata."""
    rng = random.Random(f"{seed}:{index}:html")
    vocab = load_vocabulary(Path(words_from))
    e = html.escape
    site, cat, title = article["site_name"], article["category"], article["title"]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": article["published"],
        "articleSection": cat,
        "author": [{"@type": "Person", "name": a} for a in article["authors"]],
        "publisher": {"@type": "Organization", "name": site},
        "mainEntityOfPage": article["url"],
    }
    ld_text = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
    nav = " ".join(f'<a href="/{slugify(m)}/">{e(m)}</a>' for m in _menu(rng, 8))
    pieces: list[str] = []
    for block in _body_with_captions(article, rng, 1, None):
        if block in article["captions"]:
            pieces.append(
                f'<figure><img src="/img/{rng.randrange(10**6)}.jpg" alt=""><figcaption>{e(block)}</figcaption></figure>'
            )
        else:
            pieces.append(f"<p>{e(block)}</p>")
    if len(pieces) > 4:
        pieces.insert(len(pieces) // 2, '<div class="ad-slot">Advertisement</div>')
    related = "".join(
        f'<li><a href="/{slugify(r)}/">{e(r)}</a></li>' for r in _related(rng, vocab, 4)
    )
    byline = " and ".join(e(a) for a in article["authors"])
    semantic = sum(map(ord, site)) % 2 == 0
    body_open, body_close = (
        ('<article class="story">', "</article>")
        if semantic
        else ('<div class="story-body">', "</div>")
    )
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(title)} | {e(site)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta property="og:site_name" content="{e(site)}">',
        f'<meta property="og:title" content="{e(title)}">',
        f'<meta property="og:url" content="{e(article["url"])}">',
        f'<meta property="article:section" content="{e(cat)}">',
        f'<meta property="article:published_time" content="{e(article["published"])}">',
        f'<link rel="canonical" href="{e(article["url"])}">',
        '<link rel="stylesheet" href="/static/site.css">',
        f'<script type="application/ld+json">{ld_text}</script>',
        "<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>",
        "</head>", "<body>",
        f'<header class="site-header"><a class="logo" href="/">{e(site)}</a><nav class="main-nav">{nav}</nav>',
        '<form class="search" action="/search"><input name="q" placeholder="Search"><button>Go</button></form></header>',
        '<div class="share-bar"><a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a></div>',
        "<main>", body_open,
        f'<nav class="breadcrumb"><a href="/">Home</a> › <a href="/{slugify(cat)}/">{e(cat)}</a></nav>',
        f"<h1>{e(title)}</h1>",
        f'<p class="byline">By {byline} · <time datetime="{e(article["published"])}">{_long_date(article["published"])}</time></p>',
        *pieces,
        body_close,
        f'<aside class="related"><h2>Related</h2><ul>{related}</ul></aside>',
        '<aside class="newsletter"><h2>Sign up for our newsletter</h2><p>The day\'s top stories in your inbox.</p></aside>',
        "</main>",
        f'<footer><p>© {article["published"][:4]} {e(site)}. <a href="/privacy">Privacy</a> <a href="/terms">Terms</a> <a href="/contact">Contact</a></p></footer>',
        "</body>", "</html>", "",
    ])  # fmt: skip


# ---------------------------------------------------------------------------------- writers
def write_corpus(
    out: Path,
    count: int,
    fmt: str,
    seed: int = 1,
    *,
    syndicated: float = 0.05,
    words_from: Path = DEFAULT_WORDS,
) -> dict:
    """Write `count` articles in `fmt` under `out`; return the manifest (also saved as .manifest.json)."""
    if fmt not in FORMATS:
        raise GeneratorError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}.")
    out.mkdir(parents=True, exist_ok=True)
    if any(p for p in out.iterdir() if not p.name.startswith(".")):
        raise GeneratorError(f"{out}: the output folder is not empty; pass an empty or new folder.")
    started = time.perf_counter()
    total_bytes = 0
    words = 0
    handle = None
    try:
        for index, article in enumerate(
            generate_articles(count, seed, syndicated=syndicated, words_from=words_from)
        ):
            words += len(article["body"].split())
            if fmt == "jsonl":
                if index % JSONL_PER_FILE == 0:
                    if handle:
                        handle.close()
                    handle = (out / f"articles-{index // JSONL_PER_FILE:04d}.jsonl").open(
                        "w", encoding="utf-8"
                    )
                line = json.dumps(article, ensure_ascii=False) + "\n"
                handle.write(line)
                total_bytes += len(line.encode())
                continue
            folder = out / f"{index // PAGES_PER_DIR:04d}"
            folder.mkdir(exist_ok=True)
            if fmt == "text":
                data = render_text(article, index, seed, words_from).encode()
                (folder / f"{index:07d}.txt").write_bytes(data)
            else:
                data = render_html(article, index, seed, words_from).encode()
                (folder / f"{index:07d}.html").write_bytes(data)
            total_bytes += len(data)
    finally:
        if handle:
            handle.close()
    manifest = {
        "count": count, "format": fmt, "seed": seed, "syndicated": syndicated,
        "bytes": total_bytes, "body_words": words, "seconds": round(time.perf_counter() - started, 2),
    }  # fmt: skip
    (out / ".manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--count", type=int, default=10000, help="number of articles (default 10000)"
    )
    parser.add_argument("--format", choices=FORMATS, default="jsonl", dest="fmt")
    parser.add_argument("--out", type=Path, required=True, help="output folder (new or empty)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--syndicated",
        type=float,
        default=0.05,
        help="fraction of syndicated copies (default 0.05)",
    )
    parser.add_argument(
        "--words-from", type=Path, default=DEFAULT_WORDS, help="JSON Lines articles or English text"
    )
    args = parser.parse_args(argv)
    try:
        manifest = write_corpus(
            args.out,
            args.count,
            args.fmt,
            args.seed,
            syndicated=args.syndicated,
            words_from=args.words_from,
        )
    except GeneratorError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {manifest['count']} {manifest['format']} articles ({manifest['bytes'] / 2**20:.1f} MB) "
          f"to {args.out} in {manifest['seconds']} s.", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
