"""Per-site templates for text dumps: lines repeated across a site's dumps are furniture."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from archive.cli import app

PROMO = (
    "Support local journalism: our reporters cover the stories that matter to this city, "
    "and readers like you make it possible every single day."
)
STORIES = [
    (
        "Council votes to expand the northside bus network",
        "Kim Osei",
        "The city council voted 7-2 on Tuesday to add three bus routes to the northside, where residents have waited years for better service.",
        "The new routes will run every 15 minutes at peak hours and connect the hospital with the rail station, the transit director said.",
        "Opponents said the 4 million dollar cost should have gone to road repairs first.",
    ),
    (
        "Bakery on Elm Street wins regional bread prize",
        "Luis Ortega",
        "A family bakery on Elm Street took first prize for its rye loaf at the regional baking fair on Saturday, beating 60 other entries.",
        "The owners, who opened the shop in 1987, said they still use the sourdough starter the founder brought from her village.",
        "The prize comes with a trip to the national finals in Lyon next spring.",
    ),
    (
        "School district hires 40 new teachers before fall term",
        "Maya Chen",
        "The school district has hired 40 new teachers ahead of the fall term, filling most of the vacancies that forced larger classes last year.",
        "Officials said a signing bonus and faster certification helped attract applicants from neighbouring states.",
        "Eleven positions, mostly in special education, remain open.",
    ),
    (
        "Flooded underpass reopens after pump repairs",
        "Sam Patel",
        "The Fifth Avenue underpass reopened on Monday after crews replaced two pumps that failed during last week's storms.",
        "Drivers had been detoured for six days, adding up to twenty minutes to commutes across the river.",
        "The public works department said a backup generator will be installed by winter.",
    ),
]


def write_pages(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for i, (title, author, first, second, last) in enumerate(STORIES):
        body = "\n\n".join([first, second, PROMO, last])
        page = (
            f"Metro Daily Herald\n  • News\n  • Sports\n  • Opinion\n\n{title}\n\nBy {author}\nJune {i + 3}, 2024\n\n"
            f"{body}\n\n  • Privacy\n  • Contact\n© 2024 Metro Daily Herald\n"
        )
        path = folder / f"page-{i}.txt"
        path.write_text(page)
        paths.append(path)
    return paths


def bodies(archive: Path) -> dict[str, str]:
    with sqlite3.connect(archive / "news.db") as conn:
        return dict(conn.execute("SELECT title, body FROM articles"))


def test_a_single_page_cannot_tell_the_promo_from_the_article(tmp_path):
    from ingest.extract import extract
    from ingest.model import RawDocument

    page = write_pages(tmp_path / "pages")[0]
    article = extract(RawDocument(origin=str(page), data=page.read_bytes(), format="text"))
    assert PROMO in article.body  # so the template below is what removes it


def test_one_batch_of_a_site_learns_its_template(tmp_path):
    pages = write_pages(tmp_path / "pages")
    result = CliRunner().invoke(app, ["--archive", str(tmp_path / "a"), "ingest", *map(str, pages)])
    assert result.exit_code == 0, result.output
    got = bodies(tmp_path / "a")
    assert len(got) == 4
    for title, _, first, _, last in STORIES:
        assert PROMO not in got[title]
        assert got[title].startswith(first) and got[title].endswith(last)


def test_the_template_is_remembered_across_runs(tmp_path):
    pages = write_pages(tmp_path / "pages")
    archive = tmp_path / "a"
    for page in pages:  # one page per run: the archive, not the batch, holds what was learned
        assert (
            CliRunner().invoke(app, ["--archive", str(archive), "ingest", str(page)]).exit_code == 0
        )
    got = bodies(archive)
    # a sentence-long line needs 4 pages (see textdump_template): once the fourth page made
    # it a template line, the three pages archived before are extracted again with it, so
    # one page per run ends as one run for all (no result depends on where batches began)
    assert [PROMO in got[title] for title, *_ in STORIES] == [False, False, False, False]
    with sqlite3.connect(archive / "news.db") as conn:
        assert conn.execute(
            "SELECT pages FROM site_templates WHERE site = 'Metro Daily Herald'"
        ).fetchone() == (4,)


def test_the_extractor_hands_back_the_keys_the_template_counts(tmp_path):
    """The line keys carried from extraction are exactly what the template learner would make."""
    from archive.pipeline import extract_one
    from archive.site_templates import ExtractedPage
    from ingest.model import RawDocument
    from ingest.textdump_template import page_keys

    for page in write_pages(tmp_path / "pages"):
        item = extract_one(RawDocument(origin=str(page), data=page.read_bytes(), format="text"))
        assert isinstance(item, ExtractedPage) and item.template_keys is not None
        assert item.template_keys.lines == page_keys(page.read_text())
        assert "metro daily herald" in item.template_keys.lines


def test_keys_travel_through_the_worker_pool(tmp_path):
    from archive.parallel import MIN_PARALLEL_DOCS, extract_parallel
    from archive.pipeline import extract_one
    from ingest.model import RawDocument
    from ingest.textdump_template import page_keys

    pages = write_pages(tmp_path / "pages")
    docs = [
        RawDocument(origin=f"{page}#{n}", data=page.read_bytes(), format="text")
        for n in range(MIN_PARALLEL_DOCS // len(pages) + 1)
        for page in pages
    ]
    items = list(extract_parallel(iter(docs), extract_one, None, 2))
    assert [item.raw for item in items] == docs  # bytes re-attached, order kept
    for item in items:
        assert item.template_keys.lines == page_keys(item.raw.data.decode())  # type: ignore[union-attr]


BRIDGED = [  # (title, author, lead, paragraph, paragraph): the lead sits above an ad break
    (
        "Harbour ferry gets a second evening run",
        "Ana Lind",
        "The harbour ferry adds a second evening run from Monday, the port authority said.",
        "The operator said demand on the late crossing had doubled since spring, with queues forming at the north pier most nights and some passengers left behind when the boat filled up.",
        "A third run is being considered for summer weekends, when tourists crowd the waterfront, the operator added in a statement on Friday.",
    ),
    (
        "Library extends weekend opening hours",
        "Ben Ortiz",
        "The central library opens on Sundays from next month, the council said.",
        "Council officials said the change follows a survey in which most residents asked for longer weekend hours, especially families with children in school during the week.",
        "Staff will be added to cover the new shifts, and the reading room will stay open until six in the evening, the library director said.",
    ),
    (
        "New bike lanes planned for Mill Road",
        "Cara Wu",
        "Mill Road will get protected bike lanes by autumn, the city said on Tuesday.",
        "The transport department said the lanes will be separated from traffic by low kerbs and planters, after two cyclists were injured on the road last year.",
        "Parking on one side of the road will be removed to make space, which some shop owners have opposed at public meetings this month.",
    ),
    (
        "Market square fountain restored",
        "Dev Rao",
        "The old fountain in the market square runs again after years of repairs.",
        "Restorers spent eight months cleaning the stone basin and replacing the pipes, which had been leaking since the fountain was last repaired decades ago.",
        "The fountain will run from April to October each year and be lit at night, the heritage trust said at a small ceremony on Saturday.",
    ),
]


def write_bridged_pages(folder: Path) -> list[Path]:
    """Pages whose ad-break rows are chrome on their own and template lines of the site.

    As chrome (-1.5 each) the break cuts the lead off the article; as template lines (-0.5
    each) it is a gap the lead bridges. The article never keeps a template line: only a
    test on every line of the page, not on the article's, sees that the template matters.
    """
    folder.mkdir()
    paths = []
    for i, (title, author, lead, second, third) in enumerate(BRIDGED):
        page = (
            f"Riverside Gazette\n  • News\n  • Sport\n\n{title}\n\nBy {author}\nMay {i + 2}, 2024\n\n"
            f"{lead}\n\nAdvertisement\n\nAdvertisement\n\nStory continues below\n\n{second}\n\n"
            f"{third}\n\n  • Privacy\n© 2024 Riverside Gazette\n"
        )
        path = folder / f"bridged-{i}.txt"
        path.write_text(page)
        paths.append(path)
    return paths


def test_ingest_and_reextract_agree_on_a_template_line_the_article_does_not_keep(tmp_path):
    """Both re-extract a page its site's template marks anywhere, not only in the article:
    here the template brings the lead back, and reextract right after changes nothing."""
    from archive.pipeline import IngestOptions, ingest
    from archive.reextract import reextract
    from archive.store import Store
    from ingest.extract import extract
    from ingest.model import RawDocument

    pages = write_bridged_pages(tmp_path / "pages")
    alone = extract(RawDocument(origin=str(pages[0]), data=pages[0].read_bytes(), format="text"))
    assert BRIDGED[0][2] not in alone.body  # without the template the lead is lost
    store = Store.open(tmp_path / "a", create=True)
    run_id = store.start_run(["test"])
    ingest(store, [str(p) for p in pages], IngestOptions(fmt="text"), run_id)
    got = dict(store.db.execute("SELECT title, body FROM articles").fetchall())
    assert [got[title].startswith(lead) for title, _, lead, *_ in BRIDGED] == [True] * 4
    report = reextract(store, dry_run=True)
    assert (report.examined, report.changed, report.failed) == (4, 0, 0)
    store.close()


def test_marked_pages_are_extracted_again_on_the_worker_pool_as_in_one_job(tmp_path, monkeypatch):
    """With --jobs above 1 the template's second extractions run on the workers: the archive
    ends the same as with one job, each page with its own article."""
    from archive import parallel
    from archive.parallel import MIN_PARALLEL_DOCS
    from archive.pipeline import IngestOptions, ingest
    from archive.store import Store

    folder = tmp_path / "pages"
    folder.mkdir()
    count = MIN_PARALLEL_DOCS + 12
    for n in range(count):  # distinct pages of one site: the promo on every one
        title, author, first, second, last = STORIES[n % len(STORIES)]
        body = "\n\n".join([f"{first[:-1]}, report {n}.", second, PROMO, last])
        (folder / f"page-{n:03}.txt").write_text(
            f"Metro Daily Herald\n  • News\n  • Sports\n\n{title} ({n})\n\nBy {author}\n"
            f"June {n % 28 + 1}, 2024\n\n{body}\n\n  • Privacy\n© 2024 Metro Daily Herald\n"
        )
    pooled: list[int] = []
    original = parallel.WorkerPool.extract_marked

    def spy(self, extractor, pages):  # type: ignore[no-untyped-def]
        pooled.append(len(pages) if self._pool is not None else 0)
        return original(self, extractor, pages)

    monkeypatch.setattr(parallel.WorkerPool, "extract_marked", spy)
    got = {}
    for jobs in (1, 2):
        store = Store.open(tmp_path / f"a{jobs}", create=True)
        run_id = store.start_run(["test"])
        ingest(store, [str(folder)], IngestOptions(fmt="text", jobs=jobs, batch_size=25), run_id)
        got[jobs] = store.db.execute("SELECT title, body FROM articles ORDER BY id").fetchall()
        store.close()
    assert sum(pooled) >= count - 25  # the first batch's pages wait for the template's refresh
    assert got[2] == got[1] and len(got[1]) == count
    assert not any(PROMO in body for _, body in got[2])
    for title, body in got[2]:
        n = int(title.rsplit("(", 1)[1].rstrip(")"))
        assert f"report {n}." in body  # its own article, not a neighbour's
