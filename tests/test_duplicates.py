"""Duplicates, updates and syndicated copies: one article per page, versions kept, stories shared."""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive import dedup
from archive.pipeline import IngestOptions, ingest
from archive.store import ArchiveError, Extracted, Store
from ingest.model import Article, RawDocument

from .conftest import SEED_EXPECTED, SEED_PAGE, load_truth, truth_article

SEED = json.loads(SEED_EXPECTED.read_text(encoding="utf-8"))


def ap_copy_page() -> str:
    """The seed page's AP story as another paper prints it: its own chrome, headline and byline,
    typewriter quotes, the last paragraph cut and a contributor line added."""
    paragraphs = SEED["body"].split("\n\n")[:-1]
    body = "\n\n".join(p.translate(str.maketrans("’“”", '\'""')) for p in paragraphs)
    return f"""Skip to main content
Lakeshore Daily Courier
  • News
  • World
  • Business
Sign In Subscribe
Search

World › Space

Russia's space chief visits US for first face-to-face talks with NASA in 7 years

By Jim Heintz, Associated Press
Published August 1, 2025 at 4:12 p.m. | Updated August 2, 2025

Share on Facebook Share on X Email Print

{body}

Associated Press writer Marcia Dunn in Cape Canaveral, Florida, contributed to this report.

Advertisement

Related stories
  • Crew launches to space station after weather delay
  • Opinion: The space race never ended

© 2025 Lakeshore Daily Courier. All rights reserved.
  • Privacy Policy
  • Terms of Use
"""


# The same meeting reported independently: same topic, names and facts, other words.
SAME_TOPIC = (
    "WASHINGTON — The head of Russia's space agency sat down with NASA's interim chief this "
    "week, the highest-level contact between the two programs since 2018. Dmitry Bakanov, who "
    "runs Roscosmos, traveled to Florida to watch a crew that included a Russian cosmonaut lift "
    "off for the orbiting laboratory, and used the trip to meet Sean Duffy, who also serves as "
    "transportation secretary. Officials on both sides described the talks as businesslike. "
    "The station, which the two countries have shared for a quarter of a century, is due to be "
    "retired around 2030, and engineers from both agencies are drafting plans to bring it down "
    "safely. Analysts cautioned that any broader partnership, including on the Moon, would "
    "depend on the White House and the Kremlin, and that Moscow has lately turned to Beijing "
    "for help with its own lunar ambitions."
)


def article(body: str, **fields: object) -> Article:
    defaults: dict[str, object] = {
        "title": "Space chiefs meet",
        "authors": ["Robert Jones"],
        "published": "2025-08-01",
        "site_name": "All Hail Trump",
        "language": "en",
    }
    defaults.update(fields)
    return Article(body=body, **defaults)  # type: ignore[arg-type]


def item(origin: str, art: Article, *, url: str | None = None, fetched: str | None = None):
    data = f"{origin}\n{url}\n{art.title}\n{art.body}".encode()
    return Extracted(
        raw=RawDocument(origin=origin, data=data, format="text", url=url, fetched=fetched),
        article=art,
    )


def rows(store: Store, sql: str, params: list | None = None) -> list[tuple]:
    return store.db.execute(sql, params or []).fetchall()


def stories(store: Store) -> list[tuple]:
    return rows(store, "SELECT id, story_id, story_copies, syndicated FROM articles ORDER BY id")


# ------------------------------------------------------------------------ syndicated copies
def test_seed_page_and_its_ap_copy_elsewhere_share_a_story(tmp_path):
    """End to end: real extraction of two text dumps, ingested in two runs (two processes' worth)."""
    copy_path = tmp_path / "courier.txt"
    copy_path.write_text(ap_copy_page(), encoding="utf-8")
    archive = tmp_path / "archive"
    for path in (SEED_PAGE, copy_path):
        store = Store.open(archive)
        total = ingest(store, [str(path)], IngestOptions(), store.start_run([str(path)]))
        assert len(total.added) == 1, total
        store.close()
    store = Store.open(archive)
    (seed_id, seed_site, seed_title), (copy_id, copy_site, copy_title) = rows(
        store, "SELECT id, site, title FROM articles ORDER BY id"
    )
    assert (seed_site, copy_site) == ("All Hail Trump", "Lakeshore Daily Courier")
    assert seed_title != copy_title
    assert stories(store) == [(seed_id, seed_id, 2, 1), (copy_id, seed_id, 2, 1)]


def test_unrelated_articles_on_the_same_topic_stay_apart(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    truth = {row["id"]: row for row in load_truth()}
    home_depot = [truth["aeb-51374560f400"], truth["aeb-f8ff621a0b9b"]]  # Fox Business, Barron's
    store.write_batch([item(r["id"], truth_article(r)) for r in home_depot], run)
    store.write_batch(
        [
            item("seed", article(SEED["body"])),
            item("wire", article(SAME_TOPIC, title="Space talks", site_name="Wire Daily")),
        ],
        run,
    )
    assert [(story, copies, flag) for _, story, copies, flag in stories(store)] == [
        (1, 1, 0),
        (2, 1, 0),
        (3, 1, 0),
        (4, 1, 0),
    ]


def test_the_whole_corpus_has_no_false_stories(tmp_path, make_truth_archive):
    store = Store.open(make_truth_archive())
    assert rows(store, "SELECT count(*) FROM articles WHERE syndicated = 1") == [(0,)]
    assert rows(store, "SELECT count(*) FROM articles WHERE story_id != id") == [(0,)]


def test_copies_across_batches_join_the_first_story_and_counts_follow(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    sites = ["Site A", "Site B", "Site C"]
    for n, site in enumerate(sites):
        body = SEED["body"] + ("" if n == 0 else f"\n\nReporting by {site} staff.")
        store.write_batch([item(f"p{n}", article(body, site_name=site, title=f"T{n}"))], run)
        store.write_batch([item(f"other{n}", truth_article(load_truth()[n]))], run)
    seq = dict(rows(store, "SELECT id, seq FROM articles"))
    assert [r[1:] for r in stories(store) if r[1] == 1] == [(1, 3, 1)] * 3
    assert [r[1:] for r in stories(store) if r[1] != 1] == [
        (r[0], 1, 0) for r in stories(store) if r[1] != 1
    ]
    # The earlier copies' counts changed when the last joined, but nothing the search index
    # holds did: their seqs stay, so the index does not read them again.
    assert seq[1] < seq[3] < seq[5]


def test_same_text_on_another_site_is_a_copy_on_the_same_site_a_duplicate(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    result = store.write_batch(
        [
            item("a", article(SEED["body"]), url="https://allhailtrump.com/hub/space-chiefs"),
            item(
                "b", article(SEED["body"], site_name="Mirror Site"), url="https://mirror.example/x"
            ),
            item("c", article(SEED["body"]), url="https://allhailtrump.com/2025/08/space-chiefs"),
        ],
        run,
    )
    assert len(result.added) == 2 and result.duplicates == 1
    assert stories(store) == [(1, 1, 2, 1), (2, 1, 2, 1)]
    assert rows(store, "SELECT status, article_id FROM sources ORDER BY id") == [
        ("article", 1),
        ("article", 2),
        ("duplicate", 1),
    ]


def test_short_bodies_are_never_clustered(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    brief = "Markets closed higher on Friday as energy shares rallied, traders said."
    store.write_batch(
        [item("a", article(brief, site_name="One")), item("b", article(brief, site_name="Two"))],
        run,
    )
    assert [r[1:] for r in stories(store)] == [(1, 1, 0), (2, 1, 0)]
    assert rows(store, "SELECT count(*) FROM article_minhash") == [(0,)]


def test_threshold_is_a_setting(tmp_path, monkeypatch):
    copy = article(SEED["body"].rsplit("\n\n", 3)[0], site_name="Trimmed Times")
    assert 0.7 < dedup.signature(copy.body).similarity(dedup.signature(SEED["body"])) < 0.95

    def grouped(folder: str) -> bool:
        store = Store.open(tmp_path / folder)
        run = store.start_run([])
        store.write_batch([item("a", article(SEED["body"])), item("b", copy)], run)
        return stories(store)[1][1] == 1

    assert grouped("default")
    monkeypatch.setenv(dedup.THRESHOLD_ENV, "0.95")
    assert not grouped("strict")
    monkeypatch.delenv(dedup.THRESHOLD_ENV)
    store = Store.open(tmp_path / "meta")
    store.set_meta(dedup.THRESHOLD_META, "0.99")
    store.close()
    assert not grouped("meta")
    monkeypatch.setenv(dedup.THRESHOLD_ENV, "high")
    with pytest.raises(ArchiveError, match="NEWSARCHIVE_NEAR_DUP_THRESHOLD='high'"):
        Store.open(tmp_path / "default")


# ------------------------------------------------------------------------ exact duplicates
URL_FORMS = [
    "https://www.allhailtrump.com/hub/russian-us-space-chiefs/",
    "http://allhailtrump.com/hub/russian-us-space-chiefs",
    "https://allhailtrump.com/hub/russian-us-space-chiefs?utm_source=twitter&utm_medium=social",
    "https://allhailtrump.com/hub/russian-us-space-chiefs#comments",
    "https://allhailtrump.com/hub/russian-us-space-chiefs/amp/",
    "https://allhailtrump.com/hub/russian-us-space-chiefs?fbclid=abc",
]


def test_url_variants_collapse_to_one_article_with_every_source_linked(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    first = store.write_batch([item("page0", article(SEED["body"], url=URL_FORMS[0]))], run)
    # Later inputs of the same page: other bytes, other address forms.
    rest = store.write_batch(
        [
            item(f"page{n}", article(SEED["body"], url=url))
            for n, url in enumerate(URL_FORMS[1:], 1)
        ],
        run,
    )
    assert len(first.added) == 1 and rest.duplicates == len(URL_FORMS) - 1 and not rest.added
    assert store.db["articles"].count == 1
    assert rows(store, "SELECT url_key FROM articles") == [
        ("allhailtrump.com/hub/russian-us-space-chiefs",)
    ]
    sources = rows(store, "SELECT status, article_id, url FROM sources ORDER BY id")
    assert [s[:2] for s in sources] == [("article", 1)] + [("duplicate", 1)] * 5
    # Nothing lost: every input's bytes are kept.
    assert rows(store, "SELECT count(*) FROM sources JOIN source_blobs USING (sha256)") == [(6,)]


def test_same_page_twice_and_from_two_paths(tmp_path):
    store = Store.open(tmp_path / "a")
    one = item("dir1/page.txt", article(SEED["body"]))
    store.write_batch([one], store.start_run([]))
    again = store.write_batch([one], store.start_run([]))
    other_path = Extracted(
        raw=RawDocument(origin="dir2/page.txt", data=one.raw.data, format="text"),
        article=one.article,
    )
    moved = store.write_batch([other_path], store.start_run([]))
    assert again.unchanged == 1 and moved.duplicates == 1
    assert store.db["articles"].count == 1 and store.db["sources"].count == 2


# ------------------------------------------------------------------------ updates
URL = "https://allhailtrump.com/hub/russian-us-space-chiefs"
UPDATED = SEED["body"] + "\n\nThis story has been corrected to show that the launch was Friday."


def test_an_update_keeps_both_versions_and_search_sees_the_newest(tmp_path):
    store = Store.open(tmp_path / "a")
    first = store.write_batch([item("v1", article(SEED["body"], url=URL))], store.start_run([]))
    (article_id,) = first.added
    seq_before = store.db["articles"].get(article_id)["seq"]
    second = store.write_batch(
        [
            item(
                "v2",
                article(
                    UPDATED, url=URL + "?utm_source=rss", title="Space chiefs meet (corrected)"
                ),
            )
        ],
        store.start_run([]),
    )
    assert second.updated == [article_id] and not second.added
    row = store.db["articles"].get(article_id)
    assert (row["version"], row["title"], row["body"]) == (
        2,
        "Space chiefs meet (corrected)",
        UPDATED,
    )
    assert row["seq"] > seq_before  # the index re-reads it
    assert rows(store, "SELECT article_id, version, title, body FROM article_versions") == [
        (article_id, 1, "Space chiefs meet", SEED["body"])
    ]
    sources = rows(store, "SELECT status, article_id, origin FROM sources ORDER BY id")
    assert sources == [("article", article_id, "v1"), ("update", article_id, "v2")]
    assert row["source_id"] == store.db["sources"].count  # the article points at its newest input
    assert rows(store, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'corrected'") == [
        (article_id,)
    ]
    # The old version ingested again (another copy of it) does not roll the article back.
    third = store.write_batch(
        [item("v1-copy", article(SEED["body"], url=URL))], store.start_run([])
    )
    assert third.duplicates == 1 and store.db["articles"].get(article_id)["body"] == UPDATED


def test_an_older_version_arriving_late_is_kept_without_rolling_back(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    store.write_batch(
        [item("crawl2.warc#1", article(UPDATED, url=URL), url=URL, fetched="2025-08-02T10:00:00Z")],
        run,
    )
    late = store.write_batch(
        [
            item(
                "crawl1.warc#1",
                article(SEED["body"], url=URL),
                url=URL,
                fetched="2025-08-01T09:00:00Z",
            )
        ],
        run,
    )
    assert late.updated == [1]
    row = store.db["articles"].get(1)
    assert (row["body"], row["version"]) == (UPDATED, 2)
    assert rows(store, "SELECT version, body, fetched FROM article_versions") == [
        (1, SEED["body"], "2025-08-01T09:00:00Z")
    ]


def test_an_update_that_becomes_a_copy_joins_the_story(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    store.write_batch([item("seed", article(SEED["body"], site_name="Origin"))], run)
    placeholder = "Developing story. " * 10
    store.write_batch([item("v1", article(placeholder, url=URL, site_name="Other"))], run)
    assert stories(store)[1][1:] == (2, 1, 0)
    store.write_batch([item("v2", article(UPDATED, url=URL, site_name="Other"))], run)
    assert stories(store) == [(1, 1, 2, 1), (2, 1, 2, 1)]


# ------------------------------------------------------------------------ older archives
def test_an_archive_from_before_stories_is_migrated_and_grouped(tmp_path):
    folder = tmp_path / "a"
    store = Store.open(folder)
    run = store.start_run([])
    store.write_batch(
        [
            item("a", article(SEED["body"])),
            item("b", article(SEED["body"] + "\n\nMore.", site_name="Copy Site")),
            item("c", truth_article(load_truth()[0])),
        ],
        run,
    )
    store.close()
    conn = sqlite3.connect(folder / "news.db")
    with conn:  # what an archive written before this feature looked like
        conn.execute("DROP TABLE article_bands")
        conn.execute("DROP TABLE article_minhash")
        conn.execute("DROP TABLE article_versions")
        conn.execute("UPDATE articles SET story_id = id")
        conn.execute("ALTER TABLE articles DROP COLUMN syndicated")
        conn.execute("ALTER TABLE articles DROP COLUMN story_copies")
        conn.execute(f"DELETE FROM archive_meta WHERE key = '{dedup.SCHEME_META}'")
    conn.close()
    store = Store.open(folder)
    assert stories(store) == [(1, 1, 2, 1), (2, 1, 2, 1), (3, 3, 1, 0)]
    assert {"article_versions", "article_minhash", "article_bands"} <= set(store.db.table_names())
    # Reopening does not redo the work.
    seqs = rows(store, "SELECT seq FROM articles ORDER BY id")
    store.close()
    assert rows(Store.open(folder), "SELECT seq FROM articles ORDER BY id") == seqs


# --------------------------------------------------------------------------- bounded memory


def datasketch_signature(body: str):  # type: ignore[no-untyped-def]
    """The oracle: datasketch's own MinHash over the same shingle hashes, all at once."""
    from datasketch import MinHash

    shingles = dedup.shingle_hashes(dedup.words(body))
    minhash = MinHash(num_perm=dedup.NUM_PERM, seed=1, scheme="affine32", hashfunc=int)
    minhash.update_batch(shingles.tolist())
    return minhash.hashvalues.astype("uint32")


def test_signatures_equal_datasketchs_minhash_value_for_value():
    bodies = [row["body"] for row in load_truth()[:40]]
    long_body = " ".join(bodies) * 9  # past one piece (1 MB) and many chunks
    assert len(long_body) > dedup.PIECE_CHARS
    for body in [*bodies, long_body]:
        sig = dedup.signature(body)
        if sig is None:
            assert len(dedup.words(body)) < dedup.MIN_WORDS
            continue
        assert sig.word_count == len(dedup.words(body))
        assert sig.values.tolist() == datasketch_signature(body).tolist()


# The peak is VmHWM, the high-water mark of this process's own memory map: ru_maxrss is
# not, since Linux carries the forking parent's peak across exec (in a full test run the
# pytest process had grown to 409 MB, and this child reported that).
RSS_INGEST = """
import sys
from archive.cli import app
try:
    app(["--archive", sys.argv[1], "ingest", sys.argv[2]])
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(peak_kb // 1024)
"""


@pytest.mark.slow
def test_one_20_mb_record_peaks_under_300_mb_in_the_ingester(tmp_path):
    """A signature once built a words x 128 matrix: 3.98 GB for this record."""
    import random
    import subprocess
    import sys
    from pathlib import Path

    rng = random.Random(5)
    vocab = [f"w{n}x" for n in range(50_000)]
    paras, size = [], 0
    while size < 20 * 2**20:
        para = " ".join(rng.choice(vocab) for _ in range(80))
        paras.append(para)
        size += len(para) + 2
    path = tmp_path / "big.jsonl"
    record = {"title": "Huge", "body": "\n\n".join(paras), "url": "https://example.com/huge"}
    path.write_text(json.dumps(record) + "\n")
    out = subprocess.run(
        [sys.executable, "-c", RSS_INGEST, str(tmp_path / "archive"), str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.returncode == 0, out.stderr
    peak_mb = int(out.stdout.split()[-1])
    assert peak_mb <= 300, f"the ingester peaked at {peak_mb} MB for one 20 MB record"
    conn = sqlite3.connect(tmp_path / "archive" / "news.db")
    count, words = conn.execute("SELECT count(*), sum(word_count) FROM articles").fetchone()
    assert (count, words) == (1, sum(len(p.split()) for p in paras))
    assert conn.execute("SELECT count(*) FROM article_minhash").fetchone() == (1,)
