"""Helpers of the multilingual search oracle (issue 16, tests/test_search_oracle_languages.py).

The oracle re-states the per-language analysis of `index/analysis.py` here, written apart from
it, so that a slip in the project's analysis cannot hide itself: words found by a character
loop (word characters and combining marks, joined by single inner dots), CJK characters told by
their Unicode names, CJK runs cut into overlapping bigrams by a plain loop, other words stemmed
with the stemmer classes of `whoosh.lang` taken directly (Snowball per language, ISRI for
Arabic), nothing stemmed for a language without one. English articles without CJK characters
are analyzed by Whoosh's stock English chain, as the English oracle does.

The articles are real sentences, written for these tests, several per language.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# stored and indexed through the real store as the English oracle does
from tests.test_search_oracle import build, store_articles  # noqa: F401

ENGLISH_FIELDS = "english"  # the analysis name of a plain English article (title/body fields)
PLAIN = "plain"
FIELDS = ("title", "body", "captions")
_CJK_NAMES = (
    "CJK UNIFIED IDEOGRAPH",
    "CJK COMPATIBILITY IDEOGRAPH",
    "HIRAGANA",
    "KATAKANA",
    "HALFWIDTH KATAKANA",
    "HANGUL",
    "BOPOMOFO",
    "IDEOGRAPHIC ITERATION MARK",
)


# ------------------------------------------------------------------ the analysis, re-stated
@cache
def is_cjk(ch: str) -> bool:
    """Han, kana, Hangul and Bopomofo, by Unicode name (the project uses code point ranges)."""
    return unicodedata.name(ch, "").startswith(_CJK_NAMES)


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.category(ch).startswith("M")


def raw_words(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end): runs of word characters, a single dot between two of them kept."""
    out: list[tuple[str, int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if not _word_char(text[i]):
            i += 1
            continue
        j = i
        while j < n:
            inner_dot = text[j] == "." and j + 1 < n and _word_char(text[j + 1])
            if _word_char(text[j]) or inner_dot:
                j += 1
            else:
                break
        out.append((text[i:j], i, j))
        i = j
    return out


def split_cjk(word: str, start: int) -> list[tuple[str, int, int, bool]]:
    """A word cut where it turns from CJK to other letters; dots at a cut dropped."""
    out: list[tuple[str, int, int, bool]] = []
    i = 0
    while i < len(word):
        cjk = is_cjk(word[i])
        j = i
        while j < len(word) and is_cjk(word[j]) == cjk:
            j += 1
        piece = word[i:j]
        if cjk:
            out.append((piece, start + i, start + j, True))
        else:
            inner = piece.strip(".")
            if inner:
                k = i + piece.index(inner)
                out.append((inner.lower(), start + k, start + k + len(inner), False))
        i = j
    return out


@cache
def _stem_fn(name: str) -> Any:
    """The stemmer class of `whoosh.lang` for `name`, taken directly; None for plain."""
    if name == PLAIN:
        return None
    if name == "ar":
        from whoosh.lang.isri import ISRIStemmer

        return ISRIStemmer().stem
    from whoosh.lang.snowball import classes

    return classes[name]().stem


@cache
def _stock_english() -> Any:
    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter

    return RegexTokenizer() | LowercaseFilter() | StemFilter(lang="en")


def analyze(text: str, name: str) -> list[tuple[str, int, int]]:
    """(term, start, end) of `text` under the analysis `name`, in position order."""
    text = text or ""
    if name == ENGLISH_FIELDS:
        return [(t.text, t.startchar, t.endchar) for t in _stock_english()(text, chars=True)]
    stem = _stem_fn(name)
    out: list[tuple[str, int, int]] = []
    for word, start, _ in raw_words(text):
        pieces = (
            split_cjk(word, start)
            if any(is_cjk(c) for c in word)
            else [(word.lower(), start, start + len(word), False)]
        )
        for piece, s, e, cjk in pieces:
            if not cjk:
                out.append(((stem(piece) if stem else piece), s, e))
            elif len(piece) == 1:
                out.append((piece, s, e))
            else:
                out.extend((piece[k : k + 2], s + k, s + k + 2) for k in range(len(piece) - 1))
    return out


def terms(text: str, name: str) -> list[str]:
    return [t for t, _, _ in analyze(text, name)]


STEMMED = {"ar", "da", "de", "en", "es", "fi", "fr", "hu", "it", "nl", "no", "pt", "ro", "ru", "sv"}


def analysis_of(language: str | None, *texts: str | None) -> str:
    """ENGLISH_FIELDS for English without CJK characters, else the language's analysis."""
    code = (language or "").lower().split("-")[0]
    code = {"nb": "no", "nn": "no"}.get(code, code)
    if code == "en" and not any(is_cjk(c) for t in texts if t for c in t):
        return ENGLISH_FIELDS
    return code if code in STEMMED else PLAIN


# ------------------------------------------------------------------ the archive
def long_body(lang: str, tail: str, chars: int, rng: random.Random) -> str:
    """`tail` after `chars` characters of filler in the same language, so the first match is
    far from the start. CJK filler has no spaces but one Latin name near the start."""
    filler = FILLER[lang]
    parts: list[str] = []
    size = 0
    while size < chars:
        sentence = rng.choice(filler)
        parts.append(sentence)
        size += len(sentence) + 1
    if lang in ("zh", "ja"):
        return "Reuters " + "".join(parts) + " " + tail
    return " ".join(parts) + "\n\n" + tail


def make_articles(rng: random.Random, *, copies: int = 0, long_chars: int = 3000) -> list:
    """The written articles, one long-bodied twin of each (its body after filler), and
    `copies` more articles per language made of its sentences shuffled together."""
    from ingest.model import Article

    out = []
    n = 0

    def add(lang: str | None, title: str, body: str, captions: list[str] | None = None) -> None:
        nonlocal n
        n += 1
        out.append(
            Article(
                title=title,
                body=body,
                language=lang,
                site_name=f"{lang or 'unknown'} daily",
                url=f"https://news.example/{lang or 'xx'}/{n}",
                captions=captions or [],
                published=f"2024-{1 + n % 12:02d}-{1 + n % 27:02d}",
            )
        )

    for lang, title, body, *captions in ARTICLES:
        add(lang, title, body, list(captions))
        if lang in FILLER:
            add(lang, title + " (long)", long_body(lang, body, long_chars, rng))
    by_lang: dict[str | None, list[str]] = {}
    for lang, _title, body, *_ in ARTICLES:
        by_lang.setdefault(lang, []).extend(s for s in _sentences(body) if s)
    for lang, sentences in by_lang.items():
        for _ in range(copies):
            picked = rng.sample(sentences, min(len(sentences), rng.randint(2, 4)))
            add(lang, rng.choice(sentences)[:60], " ".join(picked))
    return out


def _sentences(body: str) -> list[str]:
    out, current = [], ""
    for ch in body:
        current += ch
        if ch in ".。!?！？।":
            out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


# ------------------------------------------------------------------ brute force
@dataclass
class Row:
    id: int
    language: str | None
    analysis: str
    text: dict[str, str]  # title/body/captions as stored
    fields: dict[str, list[str]]  # the same, analyzed
    sets: dict[str, set[str]]  # the terms of each field


def load_rows(folder: Path) -> list[Row]:
    from archive.indexing import ArchiveDB

    db = ArchiveDB.open(folder)
    captions: dict[int, list[str]] = {}
    for aid, text in db.db.execute("SELECT article_id, text FROM captions ORDER BY position"):
        captions.setdefault(aid, []).append(text)
    rows = []
    for aid, title, body, language in db.db.execute(
        "SELECT id, title, body, language FROM articles"
    ):
        text = {
            "title": title or "",
            "body": body or "",
            "captions": "\n".join(captions.get(aid, [])),
        }
        name = analysis_of(language, *text.values())
        fields = {f: terms(v, name) for f, v in text.items()}
        sets = {f: set(v) for f, v in fields.items()}
        rows.append(Row(aid, language, name, text, fields, sets))
    db.close()
    return rows


def in_use(rows: list[Row]) -> tuple[str, ...]:
    """The analyses of the articles outside the English fields."""
    return tuple(sorted({r.analysis for r in rows if r.analysis != ENGLISH_FIELDS}))


def _contains(field: list[str], want: tuple[str, ...]) -> bool:
    """Whether `want` occurs in `field` as a run of consecutive terms."""
    n = len(want)
    if not n or want[0] not in field:
        return False
    return any(field[i : i + n] == list(want) for i, t in enumerate(field) if t == want[0])


@cache
def query_terms(text: str, row_analysis: str, analyses: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The term sequences a word or phrase becomes for an article of `row_analysis`: the
    stock English terms for the English fields, else one sequence per analysis in use (the
    query meets the intl fields under every analysis the archive uses)."""
    if row_analysis == ENGLISH_FIELDS:
        return [tuple(terms(text, ENGLISH_FIELDS))]
    return [tuple(terms(text, name)) for name in analyses]


def matches(q: tuple, row: Row, analyses: tuple[str, ...]) -> bool:
    """("word", w) ("phrase", "w1 w2") ("and", a, b): a word or phrase matches when one
    field holds one of its term sequences in a row (a single English word analyzed to
    several terms needs all of them in one field)."""
    kind = q[0]
    if kind == "and":
        return matches(q[1], row, analyses) and matches(q[2], row, analyses)
    for want in query_terms(q[1], row.analysis, analyses):
        for name, field in row.fields.items():
            have = row.sets[name]
            if not want or want[0] not in have:
                continue
            if kind == "word" and row.analysis == ENGLISH_FIELDS and len(want) > 1:
                if have.issuperset(want):
                    return True
            elif len(want) == 1 or _contains(field, want):
                return True
    return False


def render(q: tuple) -> str:
    if q[0] == "word":
        return q[1]
    if q[0] == "phrase":
        return f'"{q[1]}"'
    return f"{render(q[1])} {render(q[2])}"


def words_of(q: tuple) -> list[str]:
    """The words and phrases a query asks for (what snippets may mark)."""
    return [*words_of(q[1]), *words_of(q[2])] if q[0] == "and" else [q[1]]


def mark_ok(piece: str, row: Row, wanted: set[str]) -> bool:
    """Whether a marked piece of a snippet is text that matches: one of its terms under the
    article's own analysis is a term the query asks for."""
    return bool(set(terms(piece, row.analysis)) & wanted)


def wanted_terms(q: tuple, row: Row, analyses: tuple[str, ...]) -> set[str]:
    return {t for w in words_of(q) for seq in query_terms(w, row.analysis, analyses) for t in seq}


def body_matches(q: tuple, row: Row, analyses: tuple[str, ...]) -> bool:
    """Whether the body holds some word of the query (then its snippet must mark one)."""
    body = row.sets["body"]
    return any(
        seq and body.issuperset(seq)
        for w in words_of(q)
        for seq in query_terms(w, row.analysis, analyses)
    )


# ------------------------------------------------------------------ the articles
# (language, title, body, *captions): news sentences written for these tests.
# fmt: off
ARTICLES: list[tuple[str | None, ...]] = [
    ("de", "Stadtrat beschließt neue Radwege für die Innenstadt", "Der Stadtrat hat am Dienstag mit großer Mehrheit den Bau von zwölf neuen Radwegen beschlossen. Die Straßen der Altstadt sollen bis zum Sommer umgebaut werden. Radfahrer und Fußgänger begrüßten die Entscheidung, während einige Händler über fehlende Parkplätze klagten."),
    ("de", "Hochwasser im Süden: Tausende Helfer im Einsatz", "Nach tagelangen Regenfällen sind mehrere Flüsse über die Ufer getreten. Die Feuerwehr evakuierte in der Nacht zahlreiche Häuser. Die Landesregierung versprach den betroffenen Gemeinden schnelle Hilfe.", "Helfer füllen Sandsäcke am Flussufer."),
    ("de", "Regierung kündigt Wahlen für das kommende Frühjahr an", "Die Regierung hat vorgezogene Wahlen angekündigt. Der Kanzler erklärte, das Land brauche klare Verhältnisse. Die Opposition forderte eine Debatte über die Größe des Haushalts."),
    ("de", "Neues Museum eröffnet in Hamburg", "Das Museum zeigt Gemälde und Skulpturen aus drei Jahrhunderten. Die Besucher standen schon am Morgen vor den Türen. Der Eintritt ist für Kinder kostenlos."),
    ("fr", "Grève des transports : la circulation perturbée à Paris", "Les syndicats ont appelé à une grève nationale des transports jeudi. Les trains et les métros circulent peu, et de nombreux voyageurs ont dû rester chez eux. Le gouvernement a promis de recevoir les représentants des travailleurs."),
    ("fr", "Les élections municipales auront lieu au printemps", "Les électeurs choisiront leurs maires en mars prochain. Les candidats présentent déjà leurs programmes dans les marchés et les écoles. La participation reste la principale inquiétude des partis."),
    ("fr", "Une exposition consacrée aux femmes peintres", "Le musée présente plus de cent tableaux réalisés par des femmes peintres du dix-neuvième siècle. Les œuvres viennent de collections privées et publiques. L'exposition restera ouverte jusqu'à la fin de l'été."),
    ("es", "Los agricultores protestan por la sequía en Andalucía", "Cientos de agricultores marcharon con sus tractores hacia la capital. La falta de lluvia ha reducido las cosechas de aceitunas y de trigo. Piden ayudas urgentes al gobierno regional."),
    ("es", "Un nuevo tren conectará Madrid y Lisboa", "El servicio ferroviario unirá las dos capitales en cinco horas. Los billetes saldrán a la venta en primavera. Las autoridades esperan atraer a miles de viajeros cada semana."),
    ("es", "Los trabajadores votaron a favor de la huelga", "Los trabajadores de la fábrica votaron por amplia mayoría a favor de una huelga indefinida. Los sindicatos reclaman salarios más altos y mejores condiciones."),
    ("pt", "Governo anuncia novas medidas para as cidades", "Os governos estaduais anunciaram novas medidas para melhorar o transporte público nas cidades. As obras devem começar no próximo ano. Os moradores pedem mais ônibus e ciclovias."),
    ("pt", "Chuvas fortes provocam enchentes no litoral", "As chuvas fortes dos últimos dias provocaram enchentes em várias cidades do litoral. A defesa civil retirou famílias das áreas de risco. As escolas ficaram fechadas na segunda-feira."),
    ("pt", "Festival de cinema atrai turistas", "O festival de cinema reuniu diretores e atores de vários países. Os hotéis da cidade ficaram lotados durante toda a semana."),
    ("it", "Le occasioni da non perdere nei negozi", "Questa settimana i negozi della città offrono sconti su libri, giochi e vestiti. Le occasioni migliori si trovano nei mercati del sabato mattina."),
    ("it", "Il governo approva la riforma delle pensioni", "Il consiglio dei ministri ha approvato la riforma delle pensioni dopo una lunga discussione. I sindacati hanno annunciato uno sciopero generale per il mese prossimo."),
    ("it", "Nevicate abbondanti sulle Alpi", "Le nevicate della notte hanno chiuso diverse strade di montagna. Gli impianti sciistici hanno aperto con una settimana di anticipo."),
    ("ru", "Правительство объявило о новых выборах", "Правительство объявило о новых выборах в следующем году. Депутаты обсудили бюджет и налоги. Избиратели ждут перемен в экономике."),
    ("ru", "В Москве открылась новая станция метро", "Новая станция метро открылась в понедельник утром. Пассажиры смогут быстрее добираться до центра города. Строительство линии продолжалось три года."),
    ("ru", "Диета и здоровье: советы врачей", "Врачи советуют есть больше овощей и фруктов. Правильное питание помогает избежать многих болезней. Спортом полезно заниматься каждый день."),
    ("ar", "الحكومة تعلن خطة جديدة للانتخابات", "أعلنت الحكومة عن خطة جديدة للانتخابات المقبلة في البلاد. وقال وزير الداخلية إن التصويت سيجري في الربيع. ورحبت الأحزاب بالقرار."),
    ("ar", "ارتفاع أسعار الخضروات في الأسواق", "ارتفعت أسعار الخضروات في الأسواق المحلية هذا الأسبوع. ويشكو المواطنون من غلاء المعيشة. وقال التجار إن الجفاف أثر على المحاصيل."),
    ("ar", "افتتاح مستشفى جديد في الإسكندرية", "افتتح وزير الصحة مستشفى جديدا في مدينة الإسكندرية. ويضم المستشفى مئتي سرير وقسما للأطفال. وسيعمل فيه أكثر من مئة طبيب."),
    ("el", "Νέα γραμμή του μετρό στην Αθήνα", "Η νέα γραμμή του μετρό θα συνδέει το κέντρο της Αθήνας με το λιμάνι του Πειραιά. Οι επιβάτες θα κερδίζουν είκοσι λεπτά κάθε μέρα. Τα έργα ολοκληρώθηκαν νωρίτερα από το αναμενόμενο."),
    ("el", "Καύσωνας σε όλη τη χώρα", "Οι θερμοκρασίες ξεπέρασαν τους σαράντα βαθμούς στη Θεσσαλονίκη. Οι αρχές ζητούν από τους πολίτες να μένουν στα σπίτια τους το μεσημέρι."),
    ("el", "ΟΔΟΣ ΣΤΑΔΙΟΥ ΚΛΕΙΣΤΗ ΓΙΑ ΕΡΓΑ", "Η οδός Σταδίου θα μείνει κλειστή για δύο εβδομάδες λόγω έργων στο δίκτυο ύδρευσης."),
    ("hi", "दिल्ली में नई मेट्रो लाइन शुरू", "राजधानी दिल्ली में सोमवार को नई मेट्रो लाइन शुरू हो गई। इससे हजारों यात्रियों को रोज़ फायदा होगा। सरकार ने कहा कि अगले साल दो और लाइनें खुलेंगी।"),
    ("hi", "हिन्दी भाषा के लिए नई योजना", "सरकार ने हिन्दी भाषा को बढ़ावा देने के लिए नई योजना की घोषणा की। स्कूलों में किताबें मुफ्त बांटी जाएंगी।"),
    ("hi", "किसानों ने फसल के दाम बढ़ाने की मांग की", "देश भर के किसानों ने फसल के न्यूनतम दाम बढ़ाने की मांग की। बारिश कम होने से गेहूं की पैदावार घटी है।"),
    ("zh", "北京地铁新线路今日开通", "北京地铁新线路今天正式开通运营。这条线路连接市中心和机场，全长四十公里。乘客表示出行更加方便了。"),
    ("zh", "南方多地遭遇强降雨", "受强降雨影响，南方多个城市发生内涝。气象部门发布暴雨红色预警，提醒市民减少外出。"),
    ("zh", "青少年阅读调查：纸质书仍受欢迎", "一项新的调查显示，超过一半的青少年仍然喜欢阅读纸质书。专家认为，良好的阅读习惯需要从小培养。"),
    ("ja", "Kindle for PCで書籍を読む方法", "パソコンでKindle書籍を読むには、まずアプリをインストールします。ショートカットキーを使うとページを素早くめくれます。書籍の文字の大きさも変更できます。"),
    ("ja", "東京で桜が満開に", "東京都心では今日、桜が満開になりました。上野公園には朝から多くの花見客が訪れました。気象庁によると、週末まで見頃が続く見込みです。"),
    ("ja", "新しいiPhoneが発売", "Appleは新しいiPhoneを発売しました。東京の店舗には発売日の朝から長い行列ができました。カメラの性能が大きく向上したということです。"),
    ("ko", "서울 지하철 새 노선 개통", "서울 지하철 새 노선이 오늘 개통했습니다. 시민들은 출퇴근 시간이 줄어들 것으로 기대하고 있습니다."),
    ("ko", "배우 이유리, 새 드라마 출연 확정", "배우 이유리가 새 드라마에 출연한다. 제작진은 다음 달 촬영을 시작한다고 밝혔다."),
    ("ko", "삼성전자, 새 Galaxy 스마트폰 공개", "삼성전자가 새 Galaxy 스마트폰을 공개했다. 강한 태풍이 남부 지방을 지나가면서 일부 매장은 문을 닫았다."),
    ("en", "Beijing opens a new subway line", "Officials in Beijing opened a new subway line on Monday. A sign at the station read 北京地铁欢迎您, and commuters said the trip to the airport was now much faster."),
    ("en", "City council approves new bike lanes", "The city council voted on Tuesday to build twelve new bike lanes. Shop owners complained about the loss of parking in the old town."),
    ("en", "Island voters reject the new constitution", "Residents of the island voted against the new constitution; the word on every banner was Δημοκρατία. Turnout was the highest in a decade."),
    (None, "Новости о выборах", "Новости о выборах"),
]

# Filler for long bodies: everyday sentences, so most words of an article first occur after
# them (the inflected queries hold none of their stems: a test checks).
FILLER: dict[str, list[str]] = {
    "de": ["Gestern schien lange die Sonne.", "Viele Leute gingen spazieren und tranken Kaffee."],
    "fr": ["Hier, il faisait beau toute la journée.", "Beaucoup de gens se promenaient au bord du fleuve."],
    "es": ["Ayer hizo mucho calor en toda la costa.", "Mucha gente paseaba junto al río."],
    "pt": ["Ontem fez muito calor em toda a costa.", "Muita gente passeava perto do rio."],
    "it": ["Ieri ha fatto molto caldo su tutta la costa.", "Molta gente passeggiava lungo il fiume."],
    "ru": ["Вчера весь день светило солнце.", "Многие люди гуляли вдоль реки."],
    "ar": ["كان الطقس جميلا طوال اليوم.", "خرج الناس للتنزه قرب النهر."],
    "el": ["Χθες έκανε ζέστη όλη μέρα.", "Πολλοί περπάτησαν δίπλα στη θάλασσα."],
    "hi": ["कल पूरे दिन धूप खिली रही।", "लोग नदी किनारे टहलने निकले।"],
    "zh": ["昨天天气晴朗。", "很多人在河边散步。"],
    "ja": ["昨日は一日中晴れていました。", "川沿いを散歩する人がたくさんいました。"],
    "ko": ["어제는 하루 종일 맑았다.", "많은 사람들이 강가를 산책했다."],
}
# fmt: on
