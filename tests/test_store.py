"""The SQLite archive: schema, verbatim sources, atomic batches, duplicates, errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archive.store import Extracted, Store, content_hash
from ingest.model import Article, Failure, RawDocument

TABLES = {
    "articles",
    "authors",
    "article_authors",
    "categories",
    "article_categories",
    "sites",
    "captions",
    "sources",
    "source_blobs",
    "ingest_runs",
    "ingest_errors",
    "archive_meta",
    "articles_fts",
}


def article(
    title: str = "Harbor reopens", body: str = "The harbor reopened on Monday after repairs."
) -> Article:
    return Article(
        title=title,
        authors=["Ana Ruiz", "Tom Lee"],
        published="2024-03-14",
        category="Local",
        site_name="Riverside Gazette",
        body=body,
        captions=["A crane at work.", "The pier."],
    )


def raw(origin: str = "page.txt", data: bytes = b"raw page bytes") -> RawDocument:
    return RawDocument(origin=origin, data=data, format="text")


def test_schema_has_the_documented_tables(tmp_path):
    store = Store.open(tmp_path / "a")
    assert set(store.db.table_names()) >= TABLES
    assert (tmp_path / "a" / "news.db").exists()


def test_article_written_with_relations_and_verbatim_source(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run(["x"])
    result = store.write_batch([Extracted(raw=raw(), article=article())], run)
    (article_id,) = result.added
    row = store.db["articles"].get(article_id)
    assert json.loads(row["authors"]) == ["Ana Ruiz", "Tom Lee"]
    assert (row["published_year"], row["published_month"], row["story_id"]) == (
        2024,
        "2024-03",
        article_id,
    )
    names = [
        r["name"]
        for r in store.db.query(
            "SELECT a.name FROM article_authors aa JOIN authors a ON a.id = aa.author_id WHERE article_id = ? ORDER BY position",
            [article_id],
        )
    ]
    assert names == ["Ana Ruiz", "Tom Lee"]
    assert [r["text"] for r in store.db.query("SELECT text FROM captions ORDER BY position")] == [
        "A crane at work.",
        "The pier.",
    ]
    blob = store.db.execute(
        "SELECT content FROM source_blobs JOIN sources USING (sha256) WHERE sources.id = ?",
        [row["source_id"]],
    ).fetchone()[0]
    assert blob == b"raw page bytes"
    # Datasette's search box: the FTS table follows the articles table through triggers.
    assert store.db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'reopened'"
    ).fetchall() == [(article_id,)]


def test_same_input_twice_adds_nothing(tmp_path):
    store = Store.open(tmp_path / "a")
    first = store.write_batch([Extracted(raw=raw(), article=article())], store.start_run([]))
    second = store.write_batch([Extracted(raw=raw(), article=article())], store.start_run([]))
    assert len(first.added) == 1 and second.unchanged == 1 and not second.added
    assert (
        store.db["articles"].count == 1
        and store.db["captions"].count == 2
        and store.db["sources"].count == 1
    )


def test_same_content_from_another_path_is_a_linked_duplicate(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    store.write_batch([Extracted(raw=raw("a.txt"), article=article())], run)
    result = store.write_batch(
        [Extracted(raw=raw("copy/a.txt", b"other bytes"), article=article())], run
    )
    assert result.duplicates == 1
    assert store.db["articles"].count == 1
    statuses = [r["status"] for r in store.db.query("SELECT status FROM sources ORDER BY id")]
    assert statuses == ["article", "duplicate"]


def test_failures_are_recorded_with_their_bytes(tmp_path):
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    bad = RawDocument(origin="empty.txt", data=b"\x00\x01binary", format="text")
    failure = Failure(
        "empty.txt", "binary", "empty.txt: looks like a binary file.", bad.data, "text"
    )
    result = store.write_batch(
        [Extracted(raw=bad, failure=failure), Extracted(raw=raw(), article=article())], run
    )
    assert len(result.failed) == 1 and len(result.added) == 1
    error = store.db.execute(
        "SELECT origin, reason, message, source_id FROM ingest_errors"
    ).fetchone()
    assert error[:3] == ("empty.txt", "binary", "empty.txt: looks like a binary file.")
    assert store.db["sources"].get(error[3])["status"] == "failed"


def test_batch_is_atomic(tmp_path):
    """An exception in the middle of a batch leaves nothing of it behind (no 100-row auto-commits)."""
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    items = [
        Extracted(
            raw=raw(f"p{i}.txt", f"bytes {i}".encode()),
            article=article(f"T{i}", f"Body number {i}."),
        )
        for i in range(250)
    ]
    items.append(
        Extracted(raw=None, article=None)
    )  # an impossible item: the write fails at the end
    with pytest.raises(ValueError):
        store.write_batch(items, run)
    store.close()
    conn = sqlite3.connect(tmp_path / "a" / "news.db")
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sources").fetchone()[0] == 0


def test_content_hash_ignores_whitespace_and_quote_style():
    a = article(body="He said “yes”  today.\n\nThen left.")
    b = article(body='He said "yes" today. Then left.')
    assert content_hash(a) == content_hash(b)


def test_full_text_table_follows_title_and_body_updates_only(tmp_path):
    store = Store.open(tmp_path / "a")
    (article_id,) = store.write_batch(
        [Extracted(raw=raw(), article=article())], store.start_run([])
    ).added
    store.db.execute(
        "UPDATE articles SET body = 'The ferry sailed again.' WHERE id = ?", [article_id]
    )
    store.db.execute("UPDATE articles SET story_copies = 3 WHERE id = ?", [article_id])
    match = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
    assert store.db.execute(match, ["ferry"]).fetchall() == [(article_id,)]
    assert store.db.execute(match, ["reopened"]).fetchall() == []
    trigger = store.db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'articles_au'"
    ).fetchone()[0]
    assert 'UPDATE OF "title", "body"' in trigger


def test_a_killed_run_is_marked_interrupted_by_the_next_one(tmp_path):
    import subprocess
    import sys

    archive = tmp_path / "a"
    Store.open(archive).close()
    code = f"from archive.store import Store; s = Store.open({str(archive)!r}); s.start_run(['killed']); import os; os._exit(9)"
    subprocess.run([sys.executable, "-c", code], check=False)
    store = Store.open(archive)
    assert store.db.execute("SELECT status FROM ingest_runs").fetchall() == [("running",)]
    store.start_run(["next"])
    assert store.db.execute("SELECT status FROM ingest_runs ORDER BY id").fetchall() == [
        ("interrupted",),
        ("running",),
    ]


def test_a_killed_run_is_recorded_with_what_it_committed(tmp_path):
    """Not `added 0`: the next run counts the killed run's committed rows."""
    import subprocess
    import sys

    archive = tmp_path / "a"
    code = (
        "import os\n"
        "from archive.store import Store, Extracted\n"
        "from ingest.model import Article, Failure, RawDocument\n"
        f"s = Store.open({str(archive)!r}); run = s.start_run(['killed'])\n"
        "pages = [Extracted(RawDocument(f'p{n}.txt', f'page {n}'.encode(), 'text'),"
        " Article(title=f'T{n}', body=f'Body number {n} of the run.')) for n in range(3)]\n"
        "pages.append(Extracted(None, failure=Failure('bad.txt', 'empty', 'bad.txt: empty.')))\n"
        "s.write_batch(pages, run)\n"
        "os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    store = Store.open(archive)
    store.start_run(["next"])
    first = store.db.execute(
        "SELECT status, added, updated, duplicates, failed FROM ingest_runs ORDER BY id LIMIT 1"
    ).fetchone()
    assert first == ("interrupted", 3, 0, 0, 1)


@pytest.mark.parametrize("records", [0, 2])
def test_a_truncated_warc_gz_says_how_many_records_it_kept(tmp_path, records):
    import gzip as gz
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from ingest.readers import iter_documents

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for n in range(records + 1):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        page = f"<html><body><article><h1>Page {n}</h1><p>{'Words here. ' * 200}</p></article></body></html>"
        writer.write_record(
            writer.create_warc_record(
                f"https://example.com/{n}",
                "response",
                payload=io.BytesIO(page.encode()),
                http_headers=http,
            )
        )
    data = buf.getvalue()
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[: len(data) - 200])
    assert gz.decompress(data)  # the whole one was fine
    out = list(iter_documents([str(path)]))
    pages = [d for d in out if isinstance(d, RawDocument)]
    failures = [d for d in out if isinstance(d, Failure)]
    assert len(pages) == records and len(failures) == 1
    if records:
        assert f"the {records} complete record(s)" in failures[0].message
    else:
        assert "no complete record" in failures[0].message
    assert "1 complete" not in failures[0].message or records == 1


# --------------------------------------------------------------------------- inputs as given


def verbatim_inputs(folder) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One file per input form, good and broken; name -> what it is."""
    import gzip as gz
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from .conftest import CORPUS, load_truth

    rows = load_truth()[:8]
    html = sorted(CORPUS.glob("*.html"))[0].read_bytes()
    folder.mkdir()
    files = {}

    def put(name: str, data: bytes, kind: str) -> None:
        (folder / name).write_bytes(data)
        files[name] = kind

    put("a-page.html", html, "file")
    # the compressed forms hold other pages and records than the plain ones: their bytes
    # must come from their own (gunzipped) file, not from a plain twin
    put("b-page.html.gz", gz.compress(sorted(CORPUS.glob("*.html"))[1].read_bytes()), ".gz")
    lines = "".join(
        json.dumps(r, ensure_ascii=False) + ("\r\n" if n % 2 else "\n")
        for n, r in enumerate(rows[:4])
    )
    put("c-lines.jsonl", ("\ufeff" + lines + "\n  \n{broken\n").encode(), "JSONL lines")
    more = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in load_truth()[10:14])
    put("d-lines.jsonl.gz", gz.compress(more.encode()), "JSONL .gz")

    def warc(gzip_it: bool) -> bytes:
        buf = io.BytesIO()
        writer = WARCWriter(buf, gzip=gzip_it)
        for n in range(3 if not gzip_it else 6)[-3:]:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            body = f"<html><body><article><h1>Page {n}</h1><p>{rows[n]['body'][:2000]}</p></article></body></html>"
            writer.write_record(
                writer.create_warc_record(
                    f"https://example.com/{n}",
                    "response",
                    payload=io.BytesIO(body.encode()),
                    http_headers=http,
                )
            )
        return buf.getvalue()

    put("e-crawl.warc", warc(False), "WARC records")
    put("f-crawl.warc.gz", warc(True), "WARC .gz records")
    items = "".join(
        f"<item><title>Item {n}</title><link>https://example.org/{n}</link>"
        f"<description>{r['body'][:1500]}</description></item>"
        for n, r in enumerate(rows[3:6])
    ).replace("&", "&amp;")
    put(
        "g-feed.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>{items}</channel></rss>'.encode(),
        "feed items",
    )
    whole = gz.compress(html * 3)
    put("h-cut.html.gz", whole[: len(whole) // 2], "truncated .gz")
    bad = bytearray(gz.compress(html))
    bad[20:60] = b"\xff" * 40
    put("i-corrupt.html.gz", bytes(bad), "corrupt gzip")
    put("j-not.warc", b"this is not a web archive\n" * 20, "not a WARC")
    cut = warc(True)
    put("k-cut.warc.gz", cut[: len(cut) - 300], "truncated .warc.gz")
    put("l-binary.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary page")
    return files


def test_every_input_form_rebuilds_byte_for_byte_from_the_archive(tmp_path):
    """Each file given, good or failed, comes back from the archive with the same sha256; so
    does every record's own bytes; JSON Lines and WARC records cost offsets, not copies."""
    import hashlib

    from typer.testing import CliRunner

    from archive import raw_read
    from archive.cli import app

    folder = tmp_path / "in"
    files = verbatim_inputs(folder)
    archive = tmp_path / "archive"
    result = CliRunner().invoke(app, ["--archive", str(archive), "ingest", str(folder)])
    assert result.exit_code == 1, result.output  # the broken ones failed; the rest went in
    store = Store.open(archive)
    db = store.db
    for name, kind in files.items():
        given = (folder / name).read_bytes()
        kept = raw_read.file_bytes(db, str(folder / name))
        assert kept is not None, f"{kind}: {name} not kept"
        assert hashlib.sha256(kept).hexdigest() == hashlib.sha256(given).hexdigest(), kind
    for origin, digest in db.execute("SELECT origin, sha256 FROM sources").fetchall():
        data = raw_read.blob_bytes(db, digest)
        assert data is not None and hashlib.sha256(data).hexdigest() == digest, origin
    # what each form cost: records of JSON Lines and WARC files are slices of their file
    sliced = dict(
        db.execute(
            "SELECT s.container, sum(b.content IS NULL) FROM sources s"
            " JOIN source_blobs b USING (sha256) WHERE s.container IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    for name in ("c-lines.jsonl", "d-lines.jsonl.gz", "e-crawl.warc", "f-crawl.warc.gz"):
        copies = db.execute(
            "SELECT count(*) FROM sources s JOIN source_blobs b USING (sha256)"
            " WHERE s.container = ? AND b.content IS NOT NULL",
            [str(folder / name)],
        ).fetchone()[0]
        assert copies == 0 and sliced[str(folder / name)] >= 3, name
    stored = db.execute("SELECT sum(length(content)) FROM source_blobs").fetchone()[0] + (
        db.execute("SELECT sum(length(content)) FROM source_chunks").fetchone()[0] or 0
    )
    given_total = sum((folder / n).stat().st_size for n in files)
    feed_json = db.execute(
        "SELECT sum(b.size) FROM sources s JOIN source_blobs b USING (sha256)"
        " WHERE s.format = 'feed'"
    ).fetchone()[0]
    assert stored <= given_total + feed_json + 1024  # each file once, feed entries' fields aside
    errors = {
        Path(o).name.split(":")[0].split("#")[0]: f
        for o, f in db.execute("SELECT origin, file_id FROM ingest_errors").fetchall()
    }
    for name in (
        "h-cut.html.gz",
        "i-corrupt.html.gz",
        "j-not.warc",
        "k-cut.warc.gz",
        "l-binary.txt",
    ):
        assert errors.get(name), f"{name}: its error row names no kept file"


def test_a_big_streamed_json_lines_file_is_kept_once_with_offsets(tmp_path, monkeypatch):
    import hashlib

    from archive import raw_keep, raw_read
    from archive.pipeline import IngestOptions, ingest
    from ingest import jsonl_stream

    from .conftest import load_truth

    monkeypatch.setattr(jsonl_stream, "STREAM_AT", 1000)  # stream this small file
    monkeypatch.setattr(raw_keep, "BLOB_MAX", 5000)  # and keep it in pieces
    monkeypatch.setattr(raw_keep, "CHUNK_BYTES", 4096)
    path = tmp_path / "dump.jsonl"
    rows = load_truth()[:8]
    path.write_bytes(
        b"\xef\xbb\xbf"
        + "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows).encode()
        + b"{cut\n"
    )
    store = Store.open(tmp_path / "a")
    run = store.start_run([])
    total = ingest(store, [str(path)], IngestOptions(batch_size=3), run)
    assert len(total.added) == 8 and len(total.failed) == 1
    db = store.db
    kept = raw_read.file_bytes(db, str(path))
    assert hashlib.sha256(kept).hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert db.execute("SELECT count(*) FROM source_chunks").fetchone()[0] > 1
    for digest, content in db.execute(
        "SELECT sha256, content FROM sources JOIN source_blobs USING (sha256)"
    ).fetchall():
        assert content is None  # every line is an offset into the kept file
        assert hashlib.sha256(raw_read.blob_bytes(db, digest)).hexdigest() == digest


def test_readme_raw_input_queries_rebuild_a_file_and_list_offsets(tmp_path):
    """The SQL under "Raw inputs, byte for byte" in the README, run on a real archive."""
    import re

    from typer.testing import CliRunner

    from archive.cli import app

    folder = tmp_path / "in"
    verbatim_inputs(folder)
    archive = tmp_path / "archive"
    CliRunner().invoke(app, ["--archive", str(archive), "ingest", str(folder)])
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("**Raw inputs, byte for byte.**", 1)[1]
    sql = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    statements = [
        " ".join(line for line in chunk.splitlines() if not line.startswith("--"))
        for chunk in sql.split(";")
        if chunk.strip()
    ]
    assert len(statements) == 2
    conn = sqlite3.connect(archive / "news.db")
    warc = str(folder / "f-crawl.warc.gz")
    lines = str(folder / "c-lines.jsonl")
    (content,) = conn.execute(statements[0].replace("in/crawl.warc.gz", warc)).fetchone()
    assert content == (folder / "f-crawl.warc.gz").read_bytes()
    offsets = conn.execute(statements[1].replace("in/export.jsonl", lines)).fetchall()
    given = (folder / "c-lines.jsonl").read_bytes()
    assert len(offsets) >= 4
    for origin, offset, size in offsets:
        number = int(origin.rsplit(":", 1)[1])
        assert (
            given.split(b"\n")[number - 1].rstrip(b"\r").lstrip(b"\xef\xbb\xbf")
            == given[offset : offset + size]
        )
