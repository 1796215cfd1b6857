"""Every language searchable (issue 16): CJK bigrams, stems per language, the language facet.

Real pages: the corpus's non-English pages (ja, ko, ru, pt, it, id) and a few English ones,
plus the pages written for bench/generate_languages.py (zh, ar, de, fr, es), ingested by the
real CLI (extraction, language detection, index). Each stemmed language also gets real
sentences of its own through JSON Lines with the language given.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from archive.cli import app
from index import analysis
from tests.conftest import CORPUS, ROOT
from tests.web_server import running_server

sys.path.insert(0, str(ROOT / "bench"))
from generate_languages import write_pages

runner = CliRunner()

NON_ENGLISH = ("aeb-f105de6e63ca", "aeb-9da36ae4714b", "aeb-ff0f958ade71", "aeb-11ea381ad92b",
               "aeb-20b2b64916b0", "aeb-21486419bb10", "aeb-23aaecd14171", "aeb-3252222e61fe")  # fmt: skip
ENGLISH = ("aeb-04a6711caa7c", "aeb-042bb7b5feda")
KINDLE = "Kindle for PC"  # the Japanese page's title starts so


def cli(archive: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--archive", str(archive), *args], catch_exceptions=False)


def search(archive: Path, query: str, *args: str) -> dict:
    result = cli(archive, "search", query, "--json", "--limit", "100", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def titles(found: dict) -> list[str]:
    return [hit["title"] or "" for hit in found["hits"]]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("languages")
    pages = [CORPUS / f"{name}.html" for name in NON_ENGLISH + ENGLISH]
    pages += write_pages(folder / "generated")
    result = cli(folder / "archive", "ingest", *map(str, pages))
    assert result.exit_code == 0, result.output
    return folder / "archive"


# ------------------------------------------------------------------ scripts, through the CLI
@pytest.mark.parametrize(
    "query", ["書籍", "ショートカットキー", "キー", "Kindle書籍", '"書籍を読む"']
)
def test_japanese_words_find_the_kindle_page(archive: Path, query: str) -> None:
    found = search(archive, query)
    assert any(t.startswith(KINDLE) for t in titles(found)), (query, titles(found))


def test_a_cjk_word_that_is_not_there_finds_nothing(archive: Path) -> None:
    # every bigram of 書籍店 is absent as a sequence: the phrase of bigrams must not match
    assert search(archive, "籍書")["total"] == 0
    assert search(archive, "書籍店")["total"] == 0


def test_japanese_snippet_marks_the_whole_word(archive: Path) -> None:
    found = search(archive, "書籍を")
    snippet = found["hits"][0]["snippet"]
    # overlapping bigrams 書籍 + 籍を: one mark over all three characters
    assert "<mark>書籍を</mark>" in snippet, snippet


def test_korean_chinese_and_arabic_words(archive: Path) -> None:
    assert any("이유리" in t for t in titles(search(archive, "이유리")))
    assert any("이유리" in t for t in titles(search(archive, "유리")))  # inside a Hangul word
    assert titles(search(archive, "地铁")) == ["北京地铁新线路今日开通"]
    assert titles(search(archive, "降雨")) == ["南方多地遭遇强降雨 部分地区发布暴雨红色预警"]
    assert titles(search(archive, "阅读习惯")) == ["青少年阅读调查：纸质书仍受欢迎"]
    hits = titles(search(archive, "الأسواق"))
    assert hits == ["ارتفاع أسعار الخضروات في الأسواق المحلية"], hits


def test_russian_form_finds_the_other_forms(archive: Path) -> None:
    """`диеты` and `продукт` (a form the page lacks) find the page that has диета, диетой,
    продуктов; the snippet marks the forms."""
    for query in ("диеты", "продукт", "диетами"):
        found = search(archive, query)
        assert any(t.startswith("Диета Аткинса") for t in titles(found)), query
    snippet = search(archive, "диетами")["hits"][0]["snippet"]
    assert "<mark>диета</mark>" in snippet.lower() or "<mark>диеты</mark>" in snippet.lower()


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Radweg", "Stadtrat beschließt neue Radwege"),
        ("Haus", "Hochwasser im Süden: Tausende Helfer im Einsatz"),
        ("syndicat", "Grève des transports : la circulation perturbée à Paris"),
        ("peintre", "Une exposition consacrée aux femmes peintres du dix-neuvième siècle"),
        ("agricultor", "Los agricultores protestan por la sequía en Andalucía"),
        ("billete", "Un nuevo tren conectará Madrid y Lisboa en cinco horas"),
        ("الطبيب", "افتتاح مستشفى جديد في مدينة الإسكندرية"),
        ("occasione", "Black Friday per nostalgici: le occasioni da non perdere"),
        ("educativo", "A Fantástica Loja dos Materiais Educativos"),
    ],
)
def test_generated_and_corpus_pages_stemmed_by_their_language(
    archive: Path, query: str, title: str
) -> None:
    assert title in titles(search(archive, query)), query


def test_similar_reads_the_field_the_article_is_in(archive: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(archive / "news.db")
    (article_id,) = conn.execute("SELECT id FROM articles WHERE title LIKE 'Stadtrat%'").fetchone()
    german = {t for (t,) in conn.execute("SELECT title FROM articles WHERE language = 'de'")}
    conn.close()
    result = cli(archive, "similar", str(article_id), "--json")
    assert result.exit_code == 0, result.output
    hits = [hit["title"] for hit in json.loads(result.stdout)["hits"]]
    assert set(hits[:2]) == german - {"Stadtrat beschließt neue Radwege"}, hits


def test_english_stays_stemmed(archive: Path) -> None:
    found = titles(search(archive, "voting"))
    assert any(t.startswith("Opinion | Republicans") for t in found), found


def test_readme_examples_run(archive: Path) -> None:
    """The README's "Every language" commands, run on this archive: each finds something."""
    import re
    import shlex

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Every language", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block
    commands = [line.split("  #")[0].strip() for line in block.group(1).splitlines()]
    assert len(commands) >= 5
    for command in commands:
        args = shlex.split(command)
        assert args[:2] == ["newsarchive", "search"], command
        found = search(archive, *args[2:3], *args[3:])
        assert found["total"] >= 1, command


def test_cli_search_json_marks_the_japanese_word(archive: Path) -> None:
    """`newsarchive search 書籍 --json`: the Kindle page, its snippet marking the word (the
    page's first 書籍 comes after a Latin title in mostly unspaced Japanese)."""
    result = runner.invoke(
        app, ["--archive", str(archive), "search", "書籍", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    kindle = [hit for hit in hits if (hit["title"] or "").startswith(KINDLE)]
    assert kindle and "<mark>書籍" in kindle[0]["snippet"], hits


def test_web_search_in_process_filters_japanese(archive: Path) -> None:
    """/search?q=書籍&language=ja on the Datasette app built in this process."""
    import asyncio
    from urllib.parse import urlencode

    from archive.web.server import ServeOptions, build_datasette

    ds = build_datasette(archive, ServeOptions(catch_up=False))

    async def get(path: str) -> tuple[int, str]:
        response = await ds.client.get(path)
        return response.status_code, response.text

    status, page = asyncio.run(get("/search?" + urlencode({"q": "書籍", "language": "ja"})))
    assert status == 200, page[:500]
    assert KINDLE in page and "<mark>書籍" in page
    status, page = asyncio.run(get("/search.json?" + urlencode({"q": "書籍", "language": "ko"})))
    assert status == 200 and json.loads(page)["total"] == 0


# ------------------------------------------------------------------ the language facet and filter
def test_language_facet_counts_and_filter(archive: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(archive / "news.db")
    expected = dict(conn.execute("SELECT language, count(*) FROM articles GROUP BY language"))
    conn.close()
    facets = search(archive, "*", "--facets")["facets"]
    assert facets["language"] == {k: v for k, v in expected.items() if k}
    assert {"ja", "ko", "ru", "zh", "ar", "de", "fr", "es", "pt", "it", "id", "en"} <= set(expected)
    only = search(archive, "*", "--language", "JA")
    assert only["total"] == 1 and only["hits"][0]["title"].startswith(KINDLE)
    both = search(archive, "*", "--language", "de", "--language", "fr")
    assert both["total"] == expected["de"] + expected["fr"]
    assert search(archive, "書籍", "--language", "en")["total"] == 0


def test_language_filter_in_timeline(archive: Path) -> None:
    result = cli(archive, "timeline", "*", "--language", "zh", "--json")
    assert result.exit_code == 0, result.output
    # the generated pages carry no date: nothing dated in Chinese
    assert all(row["count"] == 0 for row in json.loads(result.stdout))


def test_web_search_has_language_facet_and_filter(archive: Path) -> None:
    with running_server(archive) as base:
        page = httpx.get(f"{base}/search", params={"q": "書籍"}, timeout=30)
        assert page.status_code == 200
        assert 'data-facet="language"' in page.text and "<mark>書籍</mark>" in page.text
        data = httpx.get(f"{base}/search.json", params={"q": "*", "language": "ru"}, timeout=30)
        assert data.status_code == 200
        body = data.json()
        assert body["total"] == 1 and body["hits"][0]["title"].startswith("Диета")
        assert body["facets"]["language"] == {"ru": 1}


# ------------------------------------------------------------------ every stemmed language
SENTENCES = {
    # language: (text, a form the text lacks that must find it)
    "ar": ("أعلنت الحكومة عن خطة جديدة للانتخابات المقبلة في البلاد", "حكومة"),
    "da": ("Regeringen fremlagde i dag en ny plan for skolerne i hele landet", "skole"),
    "de": ("Die Regierung hat neue Wahlen für das kommende Jahr angekündigt", "Wahl"),
    "en": ("The elections were held on Sunday across the country", "election"),
    "es": ("Los trabajadores votaron a favor de la huelga nacional", "trabajador"),
    "fi": ("Hallitus julkaisi uuden suunnitelman kouluille ensi vuodeksi", "kouluissa"),
    "fr": ("Les élections présidentielles auront lieu au printemps prochain", "élection"),
    "hu": ("A kormány új terveket jelentett be az iskolák számára", "kormánynak"),
    "it": ("Le occasioni da non perdere questa settimana nei negozi della città", "negozio"),
    "nl": ("De regering heeft nieuwe verkiezingen aangekondigd voor volgend jaar", "verkiezing"),
    "no": ("Regjeringen la fram en ny plan for skolene i hele landet", "skole"),
    "pt": ("Os governos estaduais anunciaram novas medidas para as cidades", "cidade"),
    "ro": ("Guvernul a anunțat noi alegeri pentru anul viitor în toate orașele", "alegerile"),
    "ru": ("Правительство объявило о новых выборах в следующем году", "выборы"),
    "sv": ("Regeringen presenterade en ny plan för skolorna i hela landet", "skola"),
}


def test_every_whoosh_stemmer_is_covered() -> None:
    from whoosh.lang import has_stemmer, languages

    assert set(SENTENCES) == {lang for lang in languages if has_stemmer(lang)}
    assert set(SENTENCES) == set(analysis.STEMMED)


@pytest.fixture(scope="module")
def sentences(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sentences")
    records = [
        {
            "title": f"{lang} news",
            "body": text,
            "language": lang,
            "url": f"https://example.org/{lang}",
        }
        for lang, (text, _) in SENTENCES.items()
    ]
    # too short for language detection: indexed, but not stemmed
    records.append(
        {"title": "unknown", "body": "Новости о выборах", "url": "https://example.org/x"}
    )
    path = folder / "sentences.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    result = cli(folder / "archive", "ingest", str(path))
    assert result.exit_code == 0, result.output
    return folder / "archive"


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_each_stemmed_language_finds_other_forms(sentences: Path, lang: str) -> None:
    text, query = SENTENCES[lang]
    assert query.lower() not in {w for w, _ in analysis.words(text)}
    assert f"{lang} news" in titles(search(sentences, query)), lang


def test_unknown_language_is_not_stemmed(sentences: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(sentences / "news.db")
    assert conn.execute("SELECT language FROM articles WHERE title = 'unknown'").fetchone() == (
        None,
    )
    conn.close()
    exact = titles(search(sentences, "выборах"))
    assert "unknown" in exact and "ru news" in exact
    other_form = titles(search(sentences, "выборы"))
    assert "ru news" in other_form and "unknown" not in other_form


# ------------------------------------------------------------------ the analysis itself
def test_cjk_runs_become_overlapping_bigrams_with_offsets() -> None:
    got = list(analysis.tokens("Kindle書籍を読む 本 한국어", "plain"))
    assert got == [
        ("kindle", 0, 6), ("書籍", 6, 8), ("籍を", 7, 9), ("を読", 8, 10), ("読む", 9, 11),
        ("本", 12, 13), ("한국", 14, 16), ("국어", 15, 17),
    ]  # fmt: skip


def test_words_keep_combining_marks() -> None:
    # Arabic with vowel marks, Hindi with vowel signs: one word each, not cut at the mark
    assert analysis.words("كَتَبَ الوَلَدُ") == [("كَتَبَ", False), ("الوَلَدُ", False)]
    assert analysis.words("हिन्दी भाषा") == [("हिन्दी", False), ("भाषा", False)]


def test_routing() -> None:
    assert analysis.route("en", "plain English", "text") is None  # the English fields
    assert analysis.route("en", "Kindle書籍", "") == "en"
    assert analysis.route(None, "anything", "") == analysis.PLAIN
    assert analysis.route("ja", "", "") == analysis.PLAIN
    assert analysis.route("nb", "", "") == "no"
    assert analysis.route("pt-BR", "", "") == "pt"
    assert analysis.route("tr", "", "") == analysis.PLAIN  # Whoosh lists tr, has no stemmer


def test_english_only_index_parses_queries_as_before(tmp_path: Path) -> None:
    from index import writer
    from index.query import parse

    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, [{"id": 1, "title": "Votes", "body": "voting day", "language": "en"}])
    with ix.searcher() as s:
        assert analysis.analyses_in_use(s.reader()) == []
        for text in ("voting", '"voting day"', "vot*", "title:votes OR day"):
            fields = {leaf.field() for leaf in parse(text, ix.schema, s.reader()).leaves()}
            assert fields <= {"title", "body", "captions", None}, (text, fields)
    ix.close()


def test_intl_english_analysis_equals_the_english_fields() -> None:
    """An English article with CJK characters goes to the intl fields under "en": its words
    must get the very stems the English fields give (so one query form meets both)."""
    from index.schema import text_analyzer

    text = "Cupping, stunning and antagonizing elections: the voters' U.S. turnout rose 3.5%."
    english = [t.text for t in text_analyzer()(text)]
    assert analysis.terms(text, "en") == english
