"""The bundled samples (pages we wrote in other site styles) extract to what they say."""

from __future__ import annotations

import pytest

from ingest.extract import extract
from ingest.model import RawDocument
from ingest.readers import iter_documents

from .conftest import SAMPLES


def only_article(name: str):  # type: ignore[no-untyped-def]
    docs = [doc for doc in iter_documents([str(SAMPLES / name)]) if isinstance(doc, RawDocument)]
    return [extract(doc) for doc in docs]


def test_text_dump_in_another_site_style():
    (article,) = only_article("riverside-gazette-harbor.txt")
    assert article.title == "Harbor cleanup crews pull 40 tons of debris from Millbrook inlet"
    assert article.authors == ["Dana Whitfield", "Marcus Lee"]
    assert article.published.startswith("2024-03-14")
    assert (article.category, article.site_name, article.dateline) == (
        "Environment",
        "Riverside Gazette",
        "MILLBROOK",
    )
    assert article.body.startswith("MILLBROOK — Volunteers")
    assert article.body.endswith("volunteers with small boats.")
    for chrome in ("Advertisement", "Related stories", "Comments", "Share on", "Subscribe"):
        assert chrome not in article.body
    assert article.captions == [
        "A volunteer hauls a tire onto the dock at Millbrook inlet on Saturday. (Photo by Ana Ruiz/Riverside Gazette)"
    ]


def test_html_page_with_structured_data_keeps_its_own_calendar_day():
    (article,) = only_article("northern-ledger-grid.html")
    assert article.title == "Regional grid operator warns of tight winter supply"
    assert article.authors == ["Priya Raman"]
    assert article.published.startswith("2024-11-20")  # 23:40 -05:00 is not moved to the 21st
    assert (article.category, article.site_name, article.wire) == (
        "Business",
        "The Northern Ledger",
        "Reuters",
    )
    assert article.captions == [
        "Transmission lines run past a substation outside Ottawa. (Photo: Ledger staff)"
    ]
    assert "Most read" not in article.body and "Privacy" not in article.body


def test_json_lines_in_two_dialects():
    ours, news_please = only_article("wire-digest.jsonl")
    assert (ours.title, ours.site_name, ours.published) == (
        "Island ferry service resumes after storm repairs",
        "Coastal Courier",
        "2024-09-03",
    )
    assert news_please.title == "Library extends hours for exam season"
    assert news_please.published.startswith("2024-12-02")
    assert news_please.authors == ["Grace Okafor"]


@pytest.mark.parametrize("name", ["harbor-town-feed.xml"])
def test_feed_entry(name):
    (article,) = only_article(name)
    assert (article.title, article.authors, article.category) == (
        "Fishing fleet gets new cold-storage plant",
        ["Ines Carvalho"],
        "Business",
    )
    assert article.published.startswith("2024-10-07")
    assert article.url == "https://harbortownherald.example/business/cold-storage-plant"
    assert article.body.count("\n\n") == 2


def test_a_lowercase_section_is_capitalized_so_facets_do_not_split_it(tmp_path):
    page = tmp_path / "record.jsonl"
    page.write_text(
        '{"title": "Ferry resumes", "category": "world news", "body": "The ferry to the island sailed again on Monday after three weeks of repairs."}\n'
    )
    (article,) = [extract(doc) for doc in iter_documents([str(page)])]
    assert article.category == "World News"
