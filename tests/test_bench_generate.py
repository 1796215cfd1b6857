"""The benchmark generator: deterministic, shaped like news, and its pages extract to their article."""

from __future__ import annotations

import difflib
import importlib.util
import json
import statistics
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from ingest.extract import extract
from ingest.model import Article, RawDocument
from ingest.readers import iter_documents

ROOT = Path(__file__).resolve().parents[1]


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


gen = load_generator()
ARTICLE_FIELDS = set(Article.__dataclass_fields__)


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()


def test_same_seed_same_articles_other_seed_other_articles() -> None:
    first = list(gen.generate_articles(40, seed=7))
    assert first == list(gen.generate_articles(40, seed=7))
    other = list(gen.generate_articles(40, seed=8))
    assert sum(a["body"] == b["body"] for a, b in zip(first, other, strict=True)) == 0
    # a prefix of a bigger run is the smaller run: article i depends on (seed, i) only
    assert list(gen.generate_articles(60, seed=7))[:40] == first


def test_articles_have_the_documented_shape() -> None:
    articles = list(gen.generate_articles(400, seed=3))
    authors = set(gen.author_pool())
    sites = {name for name, _ in gen.site_pool()}
    assert len(authors) == 2000 and len(sites) == 200 and len(gen.CATEGORIES) == 30
    for article in articles:
        assert set(article) == ARTICLE_FIELDS
        assert 1 <= len(article["authors"]) <= 3 and set(article["authors"]) <= authors
        assert article["site_name"] in sites and article["category"] in gen.CATEGORIES
        assert (
            date(2015, 1, 1)
            <= datetime.fromisoformat(article["published"]).date()
            <= date(2025, 1, 2)
        )
        assert article["url"].startswith("https://") and article["language"] == "en"
        paragraphs = article["body"].split("\n\n")
        assert all(p.strip() for p in paragraphs) and len(paragraphs) >= 2
        if article["wire"]:
            assert article["body"].startswith(f"{article['dateline']} ({article['wire']}) — ")
    words = [len(a["body"].split()) for a in articles]
    assert 450 <= statistics.median(words) <= 650  # log-normal around 550 words
    assert max(words) > 2 * min(words)
    assert len({a["category"] for a in articles}) >= 20
    assert len({y for a in articles for y in [a["published"][:4]]}) == 10


def test_syndicated_copies_share_the_body_on_another_site() -> None:
    articles = list(gen.generate_articles(600, seed=1))
    by_body: dict[str, list[dict]] = {}
    for article in articles:
        by_body.setdefault(article["body"], []).append(article)
    copies = [group for group in by_body.values() if len(group) > 1]
    share = sum(len(g) - 1 for g in copies) / len(articles)
    assert 0.02 <= share <= 0.09  # default 5 %
    for group in copies:
        assert len({a["site_name"] for a in group}) == len(group)
        assert len({a["title"] for a in group}) == 1
    none = list(gen.generate_articles(300, seed=1, syndicated=0.0))
    assert len({a["body"] for a in none}) == 300


def test_vocabulary_is_zipf_like() -> None:
    articles = list(gen.generate_articles(200, seed=2))
    counts: dict[str, int] = {}
    for article in articles:
        for word in article["body"].lower().split():
            counts[word.strip(".,“”?")] = counts.get(word.strip(".,“”?"), 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    total = sum(ranked)
    assert counts["the"] == ranked[0]
    assert 0.02 < ranked[0] / total < 0.06
    assert len(counts) > 5000  # a long tail
    # frequency × rank stays within a small band over the head of the curve (Zipf)
    products = [ranked[r - 1] * r for r in (10, 30, 100, 300)]
    assert max(products) / min(products) < 3


@pytest.mark.parametrize("fmt", ["jsonl", "text", "html"])
def test_writers_are_deterministic(tmp_path: Path, fmt: str) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    manifest = gen.write_corpus(one, 15, fmt, seed=5)
    gen.write_corpus(two, 15, fmt, seed=5)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    for rel in files:
        if rel.name != ".manifest.json":
            assert (one / rel).read_bytes() == (two / rel).read_bytes()
    pages = [p for p in files if not p.name.startswith(".")]
    assert len(pages) == (1 if fmt == "jsonl" else 15)
    assert manifest["count"] == 15 and manifest["bytes"] == sum(
        (one / p).stat().st_size for p in pages
    )
    with pytest.raises(gen.GeneratorError, match="not empty"):
        gen.write_corpus(one, 3, fmt)


def test_text_dump_and_html_page_shapes() -> None:
    articles = list(gen.generate_articles(40, seed=1))
    openings = set()
    for index, article in enumerate(articles):  # pages from all three text layouts
        page = gen.render_text(article, index)
        openings.add(page[:1])
        assert "\n  • " in page and article["title"] in page
        assert all(p in page for p in article["body"].split("\n\n"))
        assert all(c in page for c in article["captions"])
        assert "©" in page
    assert len(openings) == 3
    article = articles[0]
    page = gen.render_html(article, 0)
    assert page.startswith("<!DOCTYPE html>") and "<nav" in page and "<footer>" in page
    start = page.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    ld = json.loads(page[start : page.index("</script>", start)])
    assert ld["@type"] == "NewsArticle" and ld["headline"] == article["title"]
    assert [a["name"] for a in ld["author"]] == article["authors"]
    assert page.count("<figcaption>") == len(article["captions"])


@pytest.mark.parametrize("fmt", ["jsonl", "text", "html"])
def test_generated_pages_extract_to_their_articles(tmp_path: Path, fmt: str) -> None:
    count = 12
    gen.write_corpus(tmp_path / fmt, count, fmt, seed=11)
    truth = list(gen.generate_articles(count, seed=11))
    # The format is given: a w3m dump may begin with "[logo]", which auto-detection reads as JSON.
    docs = list(iter_documents([str(tmp_path / fmt)], fmt))
    assert len(docs) == count
    for doc, expected in zip(docs, truth, strict=True):
        assert isinstance(doc, RawDocument), doc
        got = extract(doc)
        assert got.title == expected["title"]
        assert got.authors == expected["authors"]
        assert similarity(got.body, expected["body"]) >= 0.9, doc.origin
        assert got.published and got.published[:10] == expected["published"][:10]
        if fmt != "text":  # the portal text layout prints sections in capitals, as such sites do
            assert got.category == expected["category"]
        assert got.site_name == expected["site_name"]
