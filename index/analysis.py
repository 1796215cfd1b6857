"""Analysis per language: CJK bigrams, Snowball stems by the article's language, queries that
meet every document whatever its language (issue 16).

Indexing. An English article without CJK characters keeps the `title`/`body` fields and their
analyzer (`schema.text_analyzer()`, with its fast direct path). Every other article goes to
`title_intl`/`body_intl`/`captions_intl` instead, analyzed here by its *analysis*: words as Whoosh's default
tokenizer finds them (combining marks kept inside words, so Arabic or Hindi words are not cut
at a vowel sign), lower-cased; runs of Han, Hiragana, Katakana and Hangul split into
overlapping bigrams, as Lucene's CJKAnalyzer and Elasticsearch's `cjk_bigram` do (a lone CJK
character stays a unigram), so any CJK word of two or more characters is a phrase of bigrams;
other words stemmed with Whoosh's stemmer for the language (Snowball, ISRI for Arabic), or
left as they are when Whoosh has none or the language is unknown ("plain"). The terms are
handed to Whoosh joined by spaces, for a stock whitespace analyzer: the pickled schema holds
only stock Whoosh classes, and stock Whoosh reads the index. The hidden `analysis` field
names each such document's analysis, so a reader knows which analyses are in use.

Queries. `extend_parser` adds, per analysis in use, virtual fields `title_intl__NAME` /
`body_intl__NAME` analyzed by that analysis (several tokens from one word become a phrase);
every title/body/captions word, phrase or prefix is searched in `title`/`body` as before OR in the
intl fields under each analysis in use; `real_fields` renames the virtual fields back. A
document of analysis A matches a word when the word analyzed by A matches it, so whatever the
document's language the query meets it. It also matches when the word analyzed by another
analysis in use does, as the intl fields hold the terms of every analysis together: French
`les` (stem `le`) finds Italian articles holding `le`, English `voters` (Spanish stem `vot`)
finds Spanish `votaron` (tests/test_search_oracle_languages.py models this, and keeps the
stricter reading as an expected failure). An archive with English articles only has no
analysis in use: its queries are exactly what they were.
"""

from __future__ import annotations

import contextlib
import copy
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

PLAIN = "plain"  # no stemming: a language Whoosh has no stemmer for, or an unknown one
ENGLISH = "en"
INTL_FIELDS = {"title": "title_intl", "body": "body_intl", "captions": "captions_intl"}
SEARCHED_FIELDS = (*INTL_FIELDS, *INTL_FIELDS.values())
HIDDEN_FIELDS = (*INTL_FIELDS.values(), "analysis")
_VIRTUAL = "__"  # title_intl__ru: the intl field as analysis "ru" parses a query

# Languages Whoosh ships stemmers for: Snowball, ISRI for Arabic (whoosh.lang lists "tr" too,
# but has no Turkish stemmer: `stemmer_for_language("tr")` raises NoStemmer).
STEMMED = ("ar", "da", "de", "en", "es", "fi", "fr", "hu", "it", "nl", "no", "pt", "ro", "ru", "sv")
_ALIASES = {"nb": "no", "nn": "no"}  # py3langid names Norwegian Bokmål and Nynorsk apart

# Han (+ extension A, compatibility, iteration marks), Hiragana, Katakana (+ phonetic
# extensions, half-width), Hangul (syllables, Jamo, compatibility Jamo), Bopomofo.
_CJK_CHARS = (
    "\u1100-\u11ff\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3040-\u309f\u30a0-\u30ff"
    "\u3100-\u312f\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0002fa1f"
)
CJK = re.compile(f"[{_CJK_CHARS}]")
_CJK_SPLIT = re.compile(f"([{_CJK_CHARS}]+)|([^{_CJK_CHARS}]+)")
_WORDS: re.Pattern[str] | None = None  # built on first use (the combining marks table)


def _words() -> re.Pattern[str]:
    """Whoosh's default word pattern (`[\\w*]+(\\.?[\\w*]+)*`) with combining marks as word
    characters and without `*` (no wildcard inside indexed text)."""
    global _WORDS
    if _WORDS is None:
        marks = "".join(
            re.escape(chr(c))
            for c in range(0x300, 0x10000)
            if unicodedata.category(chr(c))[0] == "M"
        )
        _WORDS = re.compile(rf"[\w{marks}]+(?:\.[\w{marks}]+)*")
    return _WORDS


def analysis_name(language: str | None) -> str:
    """The analysis of an article in `language` (an ISO 639-1 code or None)."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    code = _ALIASES.get(code, code)
    return code if code in STEMMED else PLAIN


def route(language: str | None, *texts: str | None) -> str | None:
    """None when the article belongs in the English fields (English, no CJK character);
    else the name of its analysis for the intl fields."""
    name = analysis_name(language)
    # isascii first: a C-speed look that settles most English text (the regex costs about
    # 3% of indexing a long non-ASCII body)
    if name == ENGLISH and not any(
        text and not text.isascii() and CJK.search(text) for text in texts
    ):
        return None
    return name


_STEMMERS: dict[str, Any] = {}
_STEM_CACHE: dict[str, dict[str, str]] = {}
_STEM_CACHE_MAX = 100_000


def _stemmer(name: str) -> Any:
    """A caching stem function for the analysis `name`, or None for plain."""
    if name == PLAIN:
        return None
    found = _STEMMERS.get(name)
    if found is None:
        from whoosh.lang import stemmer_for_language

        stem = stemmer_for_language(name)
        cache = _STEM_CACHE.setdefault(name, {})

        def found(word: str) -> str:
            try:
                return cache[word]
            except KeyError:
                if len(cache) > _STEM_CACHE_MAX:
                    cache.clear()
                out = cache[word] = stem(word) or word
                return out

        _STEMMERS[name] = found
    return found


def _pieces(text: str) -> Iterator[tuple[str, int, int, bool]]:
    """(lower-cased piece, start, end, is CJK) of each word, CJK runs apart from the rest."""
    for match in _words().finditer(text):
        word = match.group()
        start = match.start()
        if not CJK.search(word):
            yield word.lower(), start, match.end(), False
            continue
        for part in _CJK_SPLIT.finditer(word):
            if part.group(1):
                yield part.group(1), start + part.start(), start + part.end(), True
            else:
                piece = part.group(2)
                inner = piece.strip(".")
                if inner:
                    offset = start + part.start() + piece.index(inner)
                    yield inner.lower(), offset, offset + len(inner), False


def words(text: str) -> list[tuple[str, bool]]:
    """The lower-cased words of `text` before stemming, each with whether it is a CJK run."""
    return [(piece, cjk) for piece, _, _, cjk in _pieces(text or "")]


def tokens(text: str, name: str) -> Iterator[tuple[str, int, int]]:
    """(term, start char, end char) of `text` under the analysis `name`, in position order."""
    stem = _stemmer(name)
    for piece, start, end, cjk in _pieces(text or ""):
        if not cjk:
            yield (stem(piece) if stem else piece), start, end
        elif len(piece) == 1:
            yield piece, start, end
        else:
            for i in range(len(piece) - 1):
                yield piece[i : i + 2], start + i, start + i + 2


def terms(text: str, name: str) -> list[str]:
    return [term for term, _, _ in tokens(text, name)]


def first_match(text: str, name: str, wanted: Iterable[str]) -> tuple[int, int] | None:
    """(start, end) of the first token of `text` under the analysis `name` that is one of
    `wanted`, or None. Stops at the first match; stems come from the analysis' cache."""
    wanted = set(wanted)
    if not wanted:
        return None
    for term, start, end in tokens(text, name):
        if term in wanted:
            return start, end
    return None


def localize(doc: dict[str, Any], language: str | None) -> None:
    """Move an article that is not plain English into the intl fields, analyzed (in place)."""
    name = route(language, *(doc.get(field) for field in INTL_FIELDS))
    if name is None:
        return
    for field, intl in INTL_FIELDS.items():
        if field in doc:
            doc[intl] = " ".join(terms(doc.pop(field) or "", name))
    doc["analysis"] = name


def schema_fields() -> dict[str, Any]:
    """The intl fields: stock Whoosh types over pre-analyzed, space-separated terms."""
    from whoosh.analysis import RegexTokenizer
    from whoosh.fields import ID, TEXT

    return {
        "title_intl": TEXT(analyzer=RegexTokenizer(r"[^ ]+"), field_boost=2.0),
        "body_intl": TEXT(analyzer=RegexTokenizer(r"[^ ]+")),
        "captions_intl": TEXT(analyzer=RegexTokenizer(r"[^ ]+")),
        "analysis": ID,
    }


def _analyzer_class():  # type: ignore[no-untyped-def]
    from whoosh.analysis import Analyzer, Token

    class LanguageAnalyzer(Analyzer):
        """A Whoosh analyzer over `tokens` (queries, phrases, highlighting); never pickled."""

        def __init__(self, name: str) -> None:
            self.name = name

        def __eq__(self, other: object) -> bool:
            return type(other) is type(self) and other.name == self.name  # type: ignore[attr-defined]

        def __hash__(self) -> int:
            return hash(self.name)

        def first_match(self, text: str, terms: Iterable[str]) -> tuple[int, int] | None:
            """(start, end) of the first word of `text` this analysis turns into one of
            `terms`. Snippets look for the window to highlight with it: guessing from a
            term's first letters misses words whose stem is not their beginning (ISRI
            drops Arabic prefixes, German stems fold ß and umlauts) and cuts words at
            combining marks (Hindi vowel signs)."""
            return first_match(text, self.name, terms)

        def __call__(  # type: ignore[no-untyped-def]
            self,
            value,
            positions=False,
            chars=False,
            keeporiginal=False,
            removestops=True,
            start_pos=0,
            start_char=0,
            tokenize=True,
            mode="",
            **kwargs,
        ):
            if tokenize:
                found = tokens(value, self.name)
            else:  # a prefix or wildcard: the whole text, lower-cased and stemmed as Whoosh does
                stem = _stemmer(self.name)
                low = value.lower()
                found = iter([(stem(low) if stem and not CJK.search(low) else low, 0, len(value))])
            for pos, (text, start, end) in enumerate(found):
                token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
                token.text = text
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = value[start:end]
                if positions:
                    token.pos = start_pos + pos
                if chars:
                    token.startchar = start_char + start
                    token.endchar = start_char + end
                yield token

    return LanguageAnalyzer


_ANALYZERS: dict[str, Any] = {}


def analyzer(name: str) -> Any:
    """The Whoosh analyzer of the analysis `name` (shared, stateless)."""
    found = _ANALYZERS.get(name)
    if found is None:
        found = _ANALYZERS[name] = _analyzer_class()(name)
    return found


def snippet_analyzer(
    language: str | None, title: str | None, body: str | None, english: Any
) -> Any:
    """The analyzer that indexed this article's text: `english` (the body field's) or ours."""
    name = route(language, title, body)
    return english if name is None else analyzer(name)


def more_like_text(language: str | None, text: str) -> tuple[str, str]:
    """(field, text for Whoosh's more-like-this) of an article: its own analysis, pre-applied
    for the intl field, whose stock analyzer only splits on spaces."""
    name = route(language, text)
    return ("body", text) if name is None else ("body_intl", " ".join(terms(text, name)))


# ---------------------------------------------------------------------------- queries


def analyses_in_use(reader: Any) -> list[str]:
    """Names of the analyses of the intl documents in the index (deleted ones may linger),
    kept on the reader: searchers, and so readers, are cached per thread (35 us a query)."""
    cached = getattr(reader, "_newsarchive_analyses", None)
    if cached is not None:
        return cached
    names = []
    if "analysis" in reader.schema.names():
        names = sorted(str(t) for t in reader.field_terms("analysis"))
    with contextlib.suppress(AttributeError):  # a reader class with slots: look again next time
        reader._newsarchive_analyses = names
    return names


def _query_schema(schema: Any, names: list[str]) -> Any:
    """`schema` plus a virtual title/body intl field per analysis, for the parser only."""
    from whoosh.fields import TEXT, Schema

    out = Schema()
    for fieldname in schema.names():
        if fieldname not in out:
            out.add(fieldname, schema[fieldname])
    for name in names:
        for intl in INTL_FIELDS.values():
            out.add(
                f"{intl}{_VIRTUAL}{name}", TEXT(analyzer=analyzer(name), multitoken_query="phrase")
            )
    return out


def _plugin_class():  # type: ignore[no-untyped-def]
    from whoosh.qparser import syntax
    from whoosh.qparser.plugins import Plugin

    class LanguagesPlugin(Plugin):
        """Searches every title/body word, phrase and pattern in the intl fields too, under
        each analysis in use (after the multifield plugin has named the fields)."""

        def __init__(self, names: list[str]) -> None:
            self.names = names

        def filters(self, parser):  # type: ignore[no-untyped-def]
            return [(self.expand, 111)]

        def expand(self, parser, group):  # type: ignore[no-untyped-def]
            for i, node in enumerate(group):
                if isinstance(node, syntax.GroupNode):
                    group[i] = self.expand(parser, node)
                elif (
                    isinstance(node, syntax.TextNode)
                    and node.fieldname in INTL_FIELDS
                    and node.text != "*"
                ):
                    alternatives = [node]
                    for name in self.names:
                        other = copy.copy(node)
                        other.set_fieldname(
                            f"{INTL_FIELDS[node.fieldname]}{_VIRTUAL}{name}", override=True
                        )
                        alternatives.append(other)
                    group[i] = syntax.OrGroup(alternatives)
            return group

    return LanguagesPlugin


def extend_parser(parser: Any, schema: Any, reader: Any) -> bool:
    """Make `parser` search the intl fields too; False (parser untouched) when none is used."""
    names = analyses_in_use(reader)
    if not names:
        return False
    parser.schema = _query_schema(schema, names)
    parser.add_plugin(_plugin_class()(names))
    return True


def real_fields(query: Any) -> Any:
    """The parsed query with virtual intl fields named as the index names them, duplicates
    (an analysis giving the same terms as another) merged."""

    def fix(node: Any) -> Any:
        if node.is_leaf():
            fieldname = getattr(node, "fieldname", None)
            if fieldname and _VIRTUAL in fieldname:
                node = copy.copy(node)
                node.fieldname = fieldname.split(_VIRTUAL, 1)[0]
            return node
        return node.apply(fix)

    return fix(query).normalize()


def known_word(reader: Any, word: str) -> bool:
    """Whether `word` is found in the intl fields under some analysis in use (so did-you-mean
    leaves it alone)."""
    for name in analyses_in_use(reader):
        found = terms(word, name)
        if found and all(
            any(reader.doc_frequency(field, term) for field in INTL_FIELDS.values())
            for term in found
        ):
            return True
    return False
