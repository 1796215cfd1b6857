"""Search as a reader means it (issue 15): highlights on every hit, did-you-mean only when
nothing was found, field values without case or accents, -word, captions, Snowball English,
scored prefixes, date comparisons, the README's examples, and an index stock Whoosh reads."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from archive.indexing import ArchiveDB, catch_up, index_dir_for
from archive.searching import SearchRequest, run_search
from index import writer
from index.errors import QuerySyntaxError
from index.schema import SCHEMA_VERSION, text_analyzer
from tests.conftest import ROOT, SAMPLES, load_truth
from tests.test_index import build_archive


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples") / "archive"
    done = subprocess.run(
        ["newsarchive", "--archive", str(folder), "ingest", str(SAMPLES)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return folder


def find(folder: Path, query: str, **options) -> dict:
    db = ArchiveDB.open(folder)
    try:
        return run_search(
            db, index_dir_for(folder), SearchRequest(query=query, limit=1000, **options)
        )
    finally:
        db.close()


def ids(folder: Path, query: str, **options) -> set[int]:
    return {h["id"] for h in find(folder, query, **options)["hits"]}


def sql_ids(folder: Path, where: str, params: tuple = ()) -> set[int]:
    db = ArchiveDB.open(folder)
    try:
        return {r[0] for r in db.db.execute(f"SELECT id FROM articles WHERE {where}", params)}
    finally:
        db.close()


# ----------------------------------------------------------------- highlights (corpus)
@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    rows = load_truth()
    for start in range(0, len(rows), 40):  # three segments
        build_archive(folder, rows[start : start + 40])
        db = ArchiveDB.open(folder)
        catch_up(db, index_dir_for(folder))
        db.close()
    return folder


def test_every_hit_whose_body_holds_a_frequent_word_is_marked(corpus):
    """The 200 most frequent content words of the corpus: every hit whose body holds the
    word (any form stemming like it) shows a <mark> (issue 15: `government` had none)."""
    from whoosh.analysis import STOP_WORDS

    analyzer = text_analyzer()
    rows = load_truth()
    counts = Counter(
        w
        for row in rows
        for w in re.findall(r"[a-z]+", row["body"].lower())
        if len(w) > 3 and w not in STOP_WORDS
    )
    words = [w for w, _ in counts.most_common(200)]
    db = ArchiveDB.open(corpus)
    bodies = {r[0]: r[1] for r in db.db.execute("SELECT id, body FROM articles")}
    db.close()
    stems = {i: {t.text for t in analyzer(body)} for i, body in bodies.items()}
    unmarked = []
    checked = 0
    for word in words:
        (stem,) = [t.text for t in analyzer(word)]
        for hit in find(corpus, word)["hits"]:
            if stem in stems[hit["id"]]:
                checked += 1
                if "<mark>" not in hit["snippet"]:
                    unmarked.append((word, hit["id"]))
    assert checked > 2000
    assert unmarked == []


# ----------------------------------------------------------------- did-you-mean (samples)
@pytest.mark.parametrize(
    "query",
    ['author:"Priya Raman"', 'category:"Business"', "author:Raman", "harbor", "cold-storage plant"],
)
def test_no_suggestion_when_the_query_found_hits(samples, query):
    found = find(samples, query)
    assert found["total"] > 0 and found["suggestion"] is None


@pytest.mark.parametrize(
    "query, expected",
    [
        ("harbr", "harbor"),
        ('author:"Priya Ramn"', 'author:"Priya Raman"'),
        ("author:ramn", 'author:"Priya Raman"'),
        ('harbr author:"Priya Raman"', 'harbor author:"Priya Raman"'),
        ("category:busines", "category:Business"),
        ('"carbon tax"', None),  # unknown, but no archive word is close: no "carbon the"
        ("clean-up tax", None),  # "up", "tax": too short to guess, never "can-us"
        ("ferry -harbr", None),  # found hits
    ],
)
def test_suggestions_are_words_and_field_values(samples, query, expected):
    assert find(samples, query)["suggestion"] == expected


# ----------------------------------------------------------------- fielded values
@pytest.mark.parametrize(
    "query, option, where, params",
    [
        ("category:business", {"category": "business"}, "category = ?", ("Business",)),
        ("category:BUSINESS", {"category": "Busíness"}, "category = ?", ("Business",)),
        ("author:Raman", {"author": "raman"}, "authors LIKE ?", ('%"Priya Raman"%',)),
        ('author:"priya ráman"', {"author": "PRIYA RAMAN"}, "authors LIKE ?", ("%Raman%",)),
        ("site:coastal", {"site": "Coastal"}, "site = ?", ("Coastal Courier",)),
        ('site:"northern ledger"', {"site": "the northern ledger"}, "site LIKE ?", ("%Ledger",)),
    ],
)
def test_field_values_ignore_case_and_accents_like_the_options(
    samples, query, option, where, params
):
    expect = sql_ids(samples, where, params)
    assert expect
    assert ids(samples, query) == expect
    assert ids(samples, "*", **option) == expect


# ----------------------------------------------------------------- -word, +word, captions
def test_minus_excludes_and_plus_requires(samples):
    harbor = ids(samples, "harbor")
    cleanup = ids(samples, "cleanup")
    assert harbor & cleanup and harbor - cleanup
    assert ids(samples, "harbor -cleanup") == harbor - cleanup
    assert ids(samples, "harbor NOT cleanup") == harbor - cleanup
    assert ids(samples, "+harbor +cleanup") == harbor & cleanup
    assert ids(samples, '-"cold storage" harbor') == harbor - ids(samples, '"cold storage"')
    assert ids(samples, "harbor -site:riverside") == harbor - ids(samples, "site:riverside")


def test_captions_are_searchable(samples):
    kremlin = sql_ids(
        samples, "id IN (SELECT article_id FROM captions WHERE text LIKE ?)", ("%Kremlin%",)
    )
    assert kremlin and sql_ids(samples, "body LIKE '%Kremlin%'") == set()
    assert ids(samples, "Kremlin") == kremlin
    assert ids(samples, "caption:kremlin") == kremlin


# ----------------------------------------------------------------- dates
def test_month_with_a_dash_and_date_comparisons(samples):
    nov = sql_ids(samples, "published LIKE '2024-11%'")
    assert nov and ids(samples, "month:2024-11") == ids(samples, "month:202411") == nov
    assert ids(samples, "month:[2024-09 to 2024-11]") == sql_ids(
        samples, "published >= '2024-09' AND published < '2024-12'"
    )
    assert ids(samples, "published:>2024") == sql_ids(samples, "published >= '2025'")
    assert ids(samples, "published:>=2024-11") == sql_ids(samples, "published >= '2024-11'")
    assert ids(samples, "published:<2024-10") == sql_ids(samples, "published < '2024-10'")
    assert ids(samples, "published:<=2024-10") == sql_ids(samples, "published < '2024-11'")
    assert ids(samples, "year:>2024") == sql_ids(samples, "published >= '2025'")


@pytest.mark.parametrize("query", ["published:>20x4", "published:>2024-13", "year:>twenty"])
def test_bad_comparisons_get_a_sentence(samples, query):
    with pytest.raises(QuerySyntaxError) as caught:
        find(samples, query)
    assert "int()" not in str(caught.value) and query.split(":")[0] in str(caught.value)


# ----------------------------------------------------------------- Snowball, prefixes
def _rows(texts: list[str]) -> list[dict]:
    return [
        {"id": i, "title": f"t{i}", "body": text, "content_hash": str(i), "language": "en"}
        for i, text in enumerate(texts, 1)
    ]


def test_snowball_english_keeps_forms_porter_lost(tmp_path):
    analyzer = text_analyzer()
    assert [t.text for t in analyzer("cupping stunning antagonizing")] == ["cup", "stun", "antagon"]
    from archive.searching import Filters  # noqa: F401  (the public names stay importable)
    from index.searcher import search

    ix = writer.create_index(tmp_path / "index")
    writer.write_batch(ix, _rows(["they antagonize", "antagonizing", "a cup of tea", "cupping"]))
    assert search(ix, "antagonizing", all_hits=True).total == 2
    assert search(ix, "cups", all_hits=True).total == 2
    ix.close()


def test_prefix_hits_are_scored_the_same_however_the_index_is_split(tmp_path):
    from index.searcher import search

    rows = _rows(
        ["park park park", "parking lot", "a park", "parade", "party party", "nothing here"] * 3
    )
    for i, row in enumerate(rows, 1):
        row["id"], row["content_hash"] = i, str(i)
    whole = writer.create_index(tmp_path / "whole")
    writer.write_batch(whole, rows)
    split = writer.create_index(tmp_path / "split")
    for start in range(0, len(rows), 4):
        writer.write_batch(split, rows[start : start + 4])
    got = []
    for ix in (whole, split):
        found = search(ix, "par*", all_hits=True)
        got.append(sorted(zip(found.ids, found.scores, strict=True)))
        ix.close()
    assert got[0] == got[1]
    assert len({s for _, s in got[0]}) > 2  # ranked by relevance, not a constant 2.0


def test_an_older_schema_is_rebuilt(tmp_path):
    folder = tmp_path / "archive"
    build_archive(folder, load_truth()[:5])
    db = ArchiveDB.open(folder)
    catch_up(db, index_dir_for(folder))
    (index_dir_for(folder) / "SCHEMA_VERSION").write_text("2")
    assert catch_up(db, index_dir_for(folder)) == 5  # rebuilt from SQLite
    db.close()
    assert (index_dir_for(folder) / "SCHEMA_VERSION").read_text() == SCHEMA_VERSION
    assert find(folder, "*")["total"] == 5


# ----------------------------------------------------------------- stock Whoosh reads it
STOCK = """
import json, sys
try:
    import index
    sys.exit("the project is importable: " + str(index))
except ImportError:
    pass
from whoosh import index as windex, qparser
ix = windex.open_dir(sys.argv[1])
kinds = sorted({type(f).__module__ for f in ix.schema._fields.values()})
parser = qparser.MultifieldParser(["title", "body", "captions"], ix.schema)
out = {"modules": kinds}
with ix.searcher() as s:
    for q in sys.argv[2:]:
        out[q] = sorted(int(s.stored_fields(d)["id"]) for d in s.docs_for_query(parser.parse(q)))
print(json.dumps(out))
"""


def test_stock_whoosh_opens_and_searches_the_index(samples, tmp_path):
    import cached_property  # whoosh-reloaded's one dependency
    import whoosh

    only = tmp_path / "only_whoosh"
    only.mkdir()
    (only / "whoosh").symlink_to(Path(whoosh.__file__).parent)
    (only / "cached_property.py").symlink_to(cached_property.__file__)
    queries = ["harbor", "Kremlin", '"space station"', "cleanup OR ferry"]
    done = subprocess.run(
        [sys.executable, "-S", "-c", STOCK, str(index_dir_for(samples)), *queries],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(only), "PATH": os.environ.get("PATH", "")},
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert all(m.startswith("whoosh.") for m in out.pop("modules"))
    for q in queries:
        assert out[q] and set(out[q]) == ids(samples, q), q


# ----------------------------------------------------------------- the README's examples
def _readme_search_lines() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Searching") :]
    block = section[
        section.index("```bash") + 7 : section.index("```", section.index("```bash") + 7)
    ]
    return [shlex.split(line.split("  #")[0]) for line in block.splitlines() if line.strip()]


def test_readme_search_examples_match_the_samples(samples):
    lines = _readme_search_lines()
    assert len(lines) >= 5
    for argv in lines:
        assert argv[0] == "newsarchive"
        args = [a for a in argv[1:] if a not in ("--json", "--csv", "--facets")]
        done = subprocess.run(
            ["newsarchive", "--archive", str(samples), *args, "--json"],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (argv, done.stderr)
        out = json.loads(done.stdout)
        found = out["total"] if args[0] == "search" else sum(p["count"] for p in out)
        assert found > 0, argv
