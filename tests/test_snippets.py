"""Snippets stem only the words that can match: checked against stemming every word.

`index.snippets` highlights with an analyzer that stems only words starting with a query
term's `_prefix` (Snowball is pure Python; a fresh CLI process met every word of a page of
snippets for the first time). That is sound only if every word that stems to a term starts
with the term's prefix: checked on every word of the corpus, then the snippets themselves
against Whoosh's highlighting with the full analyzer.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from index import snippets
from index.schema import text_analyzer

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
# Snowball English's whole-word exceptions and short stems ending in a changed letter
AWKWARD = "dying lying tying skies skis idly gently ugly early only singly happy cries ties"


def _articles() -> list[dict]:
    truth = CORPUS / "truth.jsonl"
    if not truth.exists():
        pytest.skip(f"{truth} not found")
    return [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines()]


def _words(text: str) -> list[str]:
    return [t.text for t in text_analyzer().items[0](text)]


def test_every_word_starts_with_the_prefix_of_its_stem():
    stem = text_analyzer().items[-1]._stem
    words = set(AWKWARD.split())
    for article in _articles():
        words.update(w.lower() for w in _words(f"{article['title']} {article['body']}"))
    for page in CORPUS.glob("*.txt"):
        words.update(w.lower() for w in _words(page.read_text(encoding="utf-8", errors="replace")))
    assert len(words) > 10_000
    wrong = sorted(w for w in words if not w.startswith(snippets._prefix(stem(w))))
    assert not wrong, [(w, stem(w)) for w in wrong[:20]]


def test_gated_snippets_equal_snippets_stemming_every_word(monkeypatch):
    """Each article with terms of its own words (stemmed), an awkward word and a word it
    lacks: the same HTML whether every word is stemmed or only the gated ones."""
    analyzer = text_analyzer()
    rng = random.Random(7)
    cases = []
    for article in _articles():
        body = article["body"]
        words = [w for w in _words(body) if re.fullmatch(r"[A-Za-z]+", w)]
        for _ in range(3):
            picked = [*rng.sample(words, min(2, len(words))), rng.choice(AWKWARD.split())]
            terms = sorted({t.text for w in [*picked, "zyzzyva"] for t in analyzer(w)})
            cases.append((body, terms))
    gated = [snippets.snippet(body, terms, analyzer) for body, terms in cases]
    assert sum("<mark>" in s for s in gated) >= len(cases) * 0.9
    monkeypatch.setattr(snippets, "_gated", lambda analyzer, terms: analyzer)
    assert gated == [snippets.snippet(body, terms, analyzer) for body, terms in cases]


def test_a_dying_word_is_marked_for_die():
    out = snippets.snippet("The lying and the dying tied.", ["die", "lie"], text_analyzer())
    assert [t for t, marked in snippets.split_marks(out) if marked] == ["lying", "dying"]


def test_other_analyzers_are_used_as_they_are():
    from index.analysis import analyzer

    german = analyzer("de")
    assert snippets._gated(german, ["haus"]) is german
