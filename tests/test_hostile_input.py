"""Hostile and broken input through `newsarchive ingest`, one real file per input class.

Each broken input must give exactly one `ingest_errors` row naming it and its reason, the run
must go on to the next file, and the articles ingested before it must still be there. Inputs
that are merely awkward (encodings, BOMs, UTF-16, huge text nodes) must give a correct article.
The README section "What happens to bad input" documents what these tests prove.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archive.cli import app
from ingest.model import Failure

from .conftest import load_truth

runner = CliRunner()
SECRET = "TOPSECRET-7f3a9c-local-file-content"

PARAS = [
    "Der Bürgermeister von Köln sagte am Dienstag, dass die Brücke über den Rhein gesperrt werde.",
    "Café owners near the naïve façade complained about the noise all through the night.",
    "The city council will meet on Thursday to discuss a replacement ferry service for commuters.",
    "Officials said the repairs would cost about four million euros and take two weeks.",
]


def html_page(
    charset: str | None = None, paras: list[str] = PARAS, title: str = "Brücke gesperrt"
) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<html><head>{meta}<title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{body}</article></body></html>"
    )


def text_page(paras: list[str] = PARAS, title: str = "Brücke gesperrt") -> str:
    return f"{title}\n\nBy Anna Müller\n\n" + "\n\n".join(paras) + "\n"


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def good_row(n: int) -> dict:
    row = load_truth()[n]
    return {
        "title": row["title"],
        "authors": row["authors"],
        "body": row["body"],
        "url": row["url"],
    }


def run_ingest(archive: Path, *paths: Path | str, extra: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    args = ["--archive", str(archive), "ingest", *map(str, paths), "--batch-size", "2", *extra]
    return runner.invoke(app, args, catch_exceptions=False)


def rows(archive: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(archive / "news.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def ingest_between_good_files(tmp_path: Path, name: str, data: bytes):  # type: ignore[no-untyped-def]
    """A folder: a good file, the hostile one, another good file (walked in this order)."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-before.jsonl").write_bytes(jsonl([good_row(0), good_row(1)]))
    (folder / f"m-{name}").write_bytes(data)
    (folder / "z-after.jsonl").write_bytes(jsonl([good_row(2)]))
    archive = tmp_path / "archive"
    result = run_ingest(archive, folder)
    return archive, result, str(folder / f"m-{name}")


def assert_one_error(archive: Path, result, origin: str, reasons: set[str]) -> str:  # type: ignore[no-untyped-def]
    """Exactly one ingest_errors row, for `origin`, with one of `reasons`; the rest committed."""
    assert result.exit_code == 1, result.output
    errors = rows(archive, "SELECT origin, reason, message FROM ingest_errors")
    assert len(errors) == 1, errors
    err_origin, reason, message = errors[0]
    assert err_origin.startswith(origin), errors
    assert reason in reasons, errors
    assert Path(origin).name in message, message
    titles = {t for (t,) in rows(archive, "SELECT title FROM articles")}
    assert titles >= {good_row(n)["title"] for n in range(3)}, (
        titles
    )  # nothing before or after lost
    assert rows(archive, "SELECT status FROM ingest_runs") == [("done",)]
    assert rows(archive, "PRAGMA integrity_check") == [("ok",)]
    return message


# --------------------------------------------------------------------------- broken inputs

WARC_PAGE = html_page("utf-8").encode()


def warc_bytes(gz: bool, pages: int = 2) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    for n in range(pages):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        payload = html_page("utf-8", [*PARAS, f"Page number {n} of the crawl."], f"Page {n}")
        record = writer.create_warc_record(
            f"https://example.com/{n}",
            "response",
            payload=io.BytesIO(payload.encode()),
            http_headers=http,
        )
        writer.write_record(record)
    return buf.getvalue()


def entity_bomb(root: str, levels: int = 9) -> bytes:
    decls = ['<!ENTITY e0 "lollollollol">'] + [
        f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, levels)
    ]
    if root == "rss":
        doc = f'<rss version="2.0"><channel><title>t</title><item><title>Bomb</title><description>&e{levels - 1};</description></item></channel></rss>'
    else:
        doc = f'<html xmlns="http://www.w3.org/1999/xhtml"><body><article><h1>Bomb</h1><p>{PARAS[2]} &e{levels - 1}; {PARAS[3]}</p></article></body></html>'
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{"".join(decls)}]>{doc}'.encode()


def truncated_gzip() -> bytes:
    whole = gzip.compress(text_page().encode() * 40)
    return whole[: len(whole) // 2]


def corrupt_gzip() -> bytes:
    whole = bytearray(gzip.compress(text_page().encode() * 40))
    whole[20:60] = b"\xff" * 40
    return bytes(whole)


def broken_json_array() -> bytes:
    return b'[{"title": "One", "body": "text"},\n {"title": "Two", "body": "cut here'


BROKEN: list[tuple[str, str, bytes, set[str]]] = [
    # (case id, file name, bytes, accepted reasons)
    ("empty-file", "empty.txt", b"", {"empty"}),
    ("whitespace-only", "blank.html", b" \n\t\r\n  ", {"empty"}),
    ("empty-jsonl", "empty.jsonl", b"", {"empty"}),
    ("empty-gzip", "empty.txt.gz", gzip.compress(b""), {"empty"}),
    ("png-named-html", "photo.html", b"\x89PNG\r\n\x1a\n" + os.urandom(4000), {"binary"}),
    ("zip-named-txt", "story.txt", b"PK\x03\x04" + os.urandom(4000), {"binary"}),
    ("pdf-named-html", "story.html", b"%PDF-1.7\n" + os.urandom(4000), {"binary"}),
    ("random-bytes-jsonl", "dump.jsonl", os.urandom(4000), {"binary"}),
    ("random-bytes-txt", "page.txt", os.urandom(4000), {"binary"}),
    ("gzip-of-binary", "page.txt.gz", gzip.compress(os.urandom(4000)), {"binary"}),
    ("sqlite-named-json", "export.json", b"SQLite format 3\x00" + bytes(4000), {"binary"}),
    (
        "utf8-bom-invalid",
        "bom.txt",
        codecs.BOM_UTF8 + b"Title\n\n\xff\xfe\xfa broken " * 20,
        {"encoding"},
    ),
    (
        "utf16-bom-odd-bytes",
        "wide.txt",
        codecs.BOM_UTF16_LE + "Title body".encode("utf-16-le")[:-1] + b"\x00\xd8",
        {"encoding"},
    ),
    ("truncated-gzip", "page.txt.gz", truncated_gzip(), {"truncated"}),
    ("corrupt-gzip", "page.html.gz", corrupt_gzip(), {"malformed", "truncated"}),
    (
        "no-article-html",
        "index.html",
        b"<html><body><nav><a href='/'>Home</a> <a href='/n'>News</a></nav></body></html>",
        {"no_article"},
    ),
    (
        "no-article-script-only",
        "app.html",
        b"<html><head><script>var a = 1;</script></head><body><div id='root'></div></body></html>",
        {"no_article"},
    ),
    (
        "deep-nesting-html",
        "deep.html",
        (
            html_page("utf-8")
            .replace("<article>", "<div>" * 3000)
            .replace("</article>", "</div>" * 3000)
        ).encode(),
        {"too_deep"},
    ),
    ("broken-json-array", "export.json", broken_json_array(), {"malformed"}),
    ("json-scalar-line", "numbers.jsonl", b"42\n", {"malformed"}),
    ("rss-entity-bomb", "feed.xml", entity_bomb("rss"), {"malformed"}),
    (
        "not-a-warc",
        "crawl.warc",
        b"this is not a web archive at all, just words\n" * 10,
        {"malformed", "no_article"},
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "reasons"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_broken_input_gives_one_error_row_and_the_run_goes_on(tmp_path, name, data, reasons):
    archive, result, origin = ingest_between_good_files(tmp_path, name, data)
    assert_one_error(archive, result, origin, reasons)
    assert "Error:" in result.stderr and Path(origin).name in result.stderr


def test_broken_json_line_costs_only_that_line(tmp_path):
    data = jsonl([good_row(3)]) + b'{"title": "cut", "bo\n' + jsonl([good_row(4)])
    archive, result, origin = ingest_between_good_files(tmp_path, "broken.jsonl", data)
    message = assert_one_error(archive, result, origin, {"malformed"})
    assert rows(archive, "SELECT origin FROM ingest_errors") == [(f"{origin}:2",)]
    assert "line 2" in message
    titles = {t for (t,) in rows(archive, "SELECT title FROM articles")}
    assert {good_row(3)["title"], good_row(4)["title"]} <= titles


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_truncated_warc_keeps_whole_records_and_reports_the_cut_one(tmp_path, gz):
    data = warc_bytes(gz, pages=3)
    name = "crawl.warc.gz" if gz else "crawl.warc"
    cut = data[: len(data) - 300]
    archive, result, origin = ingest_between_good_files(tmp_path, name, cut)
    assert_one_error(archive, result, origin, {"truncated"})
    titles = {t for (t,) in rows(archive, "SELECT title FROM articles")}
    assert {"Page 0", "Page 1"} <= titles and "Page 2" not in titles


def test_missing_input_is_reported_and_the_rest_ingested(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl([good_row(0), good_row(1), good_row(2)]))
    archive = tmp_path / "archive"
    missing = tmp_path / "nope.html"
    result = run_ingest(archive, good, missing)
    assert_one_error(archive, result, str(missing), {"not_found"})


# --------------------------------------------------------------------------- entities


class Listener:
    """A local TCP server that records whether anything connected (an external entity fetch)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def external_entities(root: str, secret_path: Path, port: int) -> bytes:
    decl = (
        f'<!ENTITY leak SYSTEM "file://{secret_path}">'
        f'<!ENTITY net SYSTEM "http://127.0.0.1:{port}/xxe">'
        f'<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/dtd"> %remote;'
    )
    if root == "rss":
        doc = f'<rss version="2.0"><channel><title>t</title><item><title>XXE</title><description>{PARAS[0]} &leak; &net; {PARAS[1]}</description></item></channel></rss>'
    else:
        doc = f'<html xmlns="http://www.w3.org/1999/xhtml"><body><article><h1>XXE</h1><p>{PARAS[0]} &leak; &net; {PARAS[1]}</p><p>{PARAS[2]}</p></article></body></html>'
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{decl}]>{doc}'.encode()


@pytest.mark.parametrize("root", ["rss", "html"], ids=["feed", "xhtml"])
def test_external_entities_fetch_nothing_and_read_no_local_file(tmp_path, listener, root):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    name = "feed.xml" if root == "rss" else "page.xhtml"
    data = external_entities(root, secret, listener.port)
    started = time.perf_counter()
    archive, result, origin = ingest_between_good_files(tmp_path, name, data)
    elapsed = time.perf_counter() - started
    assert listener.hits == 0
    dump = "\n".join(str(r) for r in rows(archive, "SELECT title, body FROM articles"))
    assert SECRET not in dump
    assert elapsed < 10  # the whole three-file run, imports included
    if root == "rss":
        assert_one_error(archive, result, origin, {"malformed"})
    else:  # the HTML parser ignores the DOCTYPE: the page is read with the entities left out
        assert result.exit_code == 0, result.output
        bodies = rows(archive, "SELECT body FROM articles WHERE body LIKE '%ferry service%'")
        assert len(bodies) == 1 and PARAS[0].split(",")[0] in bodies[0][0]


def test_entity_bombs_finish_in_well_under_a_second(tmp_path):
    """Timed on the extractor (the CLI run around it is timed above): a bomb costs nothing."""
    from archive.pipeline import extract_one
    from ingest.readers import iter_documents

    for root, name in (("rss", "feed.xml"), ("html", "page.xhtml")):
        path = tmp_path / name
        path.write_bytes(entity_bomb(root))
        warm = tmp_path / f"warm-{name}"  # the same format, unarmed: imports are not the bomb
        warm.write_bytes(entity_bomb(root).replace(b"&e8;", b"text"))
        [extract_one(doc) for doc in iter_documents([str(warm)])]
        started = time.perf_counter()
        items = [extract_one(doc) for doc in iter_documents([str(path)])]
        assert time.perf_counter() - started < 0.5, name
        for item in items:
            text = item.article.body if item.article else ""
            assert "lollollollol" not in text  # never expanded
        if root == "rss":
            assert [i.failure.reason for i in items if i.failure] == ["malformed"]


# --------------------------------------------------------------------------- encodings

ENCODED_PAGES: list[tuple[str, str, bytes]] = [
    ("utf8-declared", "p.html", html_page("utf-8").encode()),
    ("utf8-undeclared", "p.html", html_page().encode()),
    ("cp1252-undeclared", "p.html", html_page().encode("cp1252")),
    ("latin1-declared", "p.html", html_page("iso-8859-1").encode("latin-1")),
    ("utf8-declared-latin1", "p.html", html_page("iso-8859-1").encode()),
    ("cp1252-declared-utf8", "p.html", html_page("utf-8").encode("cp1252")),
    ("utf8-bom", "p.html", codecs.BOM_UTF8 + html_page().encode()),
    ("utf16le-bom", "p.html", codecs.BOM_UTF16_LE + html_page().encode("utf-16-le")),
    ("utf16be-bom", "p.html", codecs.BOM_UTF16_BE + html_page().encode("utf-16-be")),
    ("utf16le-no-bom", "p.html", html_page().encode("utf-16-le")),
    ("utf16be-no-bom", "p.html", html_page().encode("utf-16-be")),
    ("utf32-bom", "p.html", html_page().encode("utf-32")),
    ("text-cp1252", "p.txt", text_page().encode("cp1252")),
    ("text-utf16", "p.txt", text_page().encode("utf-16")),
    ("text-utf8-bom", "p.txt", codecs.BOM_UTF8 + text_page().encode()),
    ("html-gzipped-as-txt-name", "p.txt.gz", gzip.compress(html_page().encode())),
]


@pytest.mark.parametrize(
    ("name", "data"), [c[1:] for c in ENCODED_PAGES], ids=[c[0] for c in ENCODED_PAGES]
)
def test_every_common_encoding_gives_the_right_text(tmp_path, name, data):
    archive, result, _origin = ingest_between_good_files(tmp_path, name, data)
    assert result.exit_code == 0, result.output
    bodies = [b for (b,) in rows(archive, "SELECT body FROM articles WHERE body LIKE '%Rhein%'")]
    assert len(bodies) == 1, bodies
    for para in PARAS:
        assert para in bodies[0]
    assert "Ã" not in bodies[0] and "\ufffd" not in bodies[0]


FOREIGN = [
    ("shift_jis", "東京都は月曜日、新しい防災計画を発表した。計画は地震と洪水への備えを強化する。"),
    ("euc-kr", "서울시는 월요일 새로운 교통 계획을 발표했다. 계획은 버스 노선을 확대한다."),
    ("gb2312", "北京市政府周一宣布了新的交通计划。该计划将扩大公交线路并改善服务。"),
    (
        "windows-1251",
        "Мэр Москвы в понедельник объявил о новом плане развития городского транспорта.",
    ),
    ("koi8-r", "Мэр Москвы в понедельник объявил о новом плане развития городского транспорта."),
    ("iso-8859-7", "Ο δήμαρχος της Αθήνας ανακοίνωσε τη Δευτέρα νέο σχέδιο για τις συγκοινωνίες."),
]


@pytest.mark.parametrize(("charset", "sentence"), FOREIGN, ids=[c for c, _ in FOREIGN])
def test_declared_legacy_charsets_decode(tmp_path, charset, sentence):
    paras = [sentence] * 1 + [sentence[: len(sentence) // 2] + " " + str(n) for n in range(3)]
    data = html_page(charset, paras, title=sentence[:12]).encode(charset)
    archive, result, _origin = ingest_between_good_files(tmp_path, "foreign.html", data)
    assert result.exit_code == 0, result.output
    bodies = [b for (b,) in rows(archive, "SELECT body FROM articles")]
    assert any(sentence in b for b in bodies), bodies


# --------------------------------------------------------------------------- size


HUGE_NODE = "word " * 2_150_000  # 10.75 MB in one text node: past libxml2's 10 MB default


def test_huge_text_node_survives_parsing():
    """lxml drops a text node over 10 MB unless told otherwise (TRAPS.md): nothing may go."""
    from ingest.html import parse_html

    tree = parse_html(f"<html><body><p>START {HUGE_NODE}THEEND</p><p>after</p></body></html>", "x")
    text = tree.text_content()
    assert text.count("word") == 2_150_000 and "THEEND" in text and "after" in text


@pytest.mark.slow
def test_huge_text_node_keeps_all_its_text_through_extraction():
    from ingest.extract import extract
    from ingest.model import RawDocument

    data = (
        f"<html><body><article><h1>Long</h1><p>START {HUGE_NODE}THEEND</p></article></body></html>"
    )
    article = extract(RawDocument("huge.html", data.encode(), "html"))
    assert article.body.endswith("THEEND") and article.body.count("word") == 2_150_000


def test_multi_gigabyte_file_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "in"
    big.mkdir()
    sparse = big / "m-dump.html"
    with sparse.open("wb") as fh:  # sparse: 3 GB on paper, nothing on disk
        fh.truncate(3 * 2**30)
    (big / "a-before.jsonl").write_bytes(jsonl([good_row(0), good_row(1)]))
    (big / "z-after.jsonl").write_bytes(jsonl([good_row(2)]))
    archive = tmp_path / "archive"
    started = time.perf_counter()
    result = run_ingest(archive, big)
    assert time.perf_counter() - started < 10
    message = assert_one_error(archive, result, str(sparse), {"too_large"})
    assert "split" in message


def test_gzip_bomb_is_refused_as_too_large(tmp_path):
    from ingest import readers

    member = gzip.compress(b"\x00" * 2**20)  # members concatenate: 1 KB each, 1 MB out
    bomb = member * (readers.MAX_BYTES // 2**20 + 2)
    assert len(bomb) < readers.MAX_BYTES // 100
    archive, result, origin = ingest_between_good_files(tmp_path, "small.txt.gz", bomb)
    assert_one_error(archive, result, origin, {"too_large"})


# --------------------------------------------------------------------------- dates

ABSURD_DATES = {
    "2024-02-30": None,
    "2023-02-29": None,
    "2024-13-45": None,
    "0000-00-00": None,
    "99999-01-01": None,
    "June 2024": {None, "2024-06"},
    "2024": {None, "2024"},
    "yesterday": None,
    "": None,
    "2024-02-29": "2024-02-29",
    "1 June 2024": "2024-06-01",
    "2024-06-01T23:30:00-05:00": {"2024-06-01T23:30:00", "2024-06-02T04:30:00"},
}


def dates_file(tmp_path: Path) -> Path:
    body = load_truth()[5]["body"]
    path = tmp_path / "dates.jsonl"
    path.write_bytes(
        jsonl(
            [
                {"title": f"Date case {n}", "body": f"{body} (case {n})", "published": value}
                for n, value in enumerate(ABSURD_DATES)
            ]
        )
    )
    return path


@pytest.fixture
def set_tz():
    """Switch the process's local time zone (libc reads TZ again on tzset)."""
    saved = os.environ.get("TZ")

    def switch(tz: str) -> None:
        os.environ["TZ"] = tz
        time.tzset()

    yield switch
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def extract_dates(path: Path) -> list[str | None]:
    from archive.pipeline import extract_one
    from ingest.readers import iter_documents

    items = [extract_one(doc) for doc in iter_documents([str(path)])]
    assert all(i.article for i in items), [i.failure for i in items]
    return [i.article.published for i in items]  # type: ignore[union-attr]


def test_absurd_dates_never_invent_a_day_and_ignore_tz(tmp_path, set_tz):
    path = dates_file(tmp_path)
    results = {}
    for tz in ("UTC", "Pacific/Kiritimati", "America/Adak"):
        set_tz(tz)
        results[tz] = extract_dates(path)
    first = results["UTC"]
    assert results["Pacific/Kiritimati"] == first and results["America/Adak"] == first
    for (given, wanted), got in zip(ABSURD_DATES.items(), first, strict=True):
        allowed = wanted if isinstance(wanted, set) else {wanted}
        assert got in allowed, (given, got)


# --------------------------------------------------------------------------- big dumps, streamed

RSS_SCRIPT = """
import sys
from ingest.readers import iter_documents
kinds = {}
for doc in iter_documents([sys.argv[1]]):
    kinds[type(doc).__name__] = kinds.get(type(doc).__name__, 0) + 1
# VmHWM: this program's own peak (ru_maxrss would include the forking parent's, on Linux)
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
print(kinds, int(peak) // 1024)
"""


def big_jsonl(path: Path, megabytes: int) -> int:
    """Truth rows repeated (distinct ids) up to `megabytes`, one broken line in the middle."""
    rows = load_truth()
    written = lines = 0
    with path.open("wb") as fh:
        while written < megabytes * 2**20:
            row = {**rows[lines % len(rows)], "id": lines}
            data = (json.dumps(row) + "\n").encode() if lines != 500 else b'{"cut": \n'
            fh.write(data)
            written += len(data)
            lines += 1
    return lines


def test_a_big_json_lines_dump_is_streamed_in_flat_memory(tmp_path):
    """Read whole, this 40 MB dump needed ~300 MB; streamed, memory does not grow with size."""
    from ingest.jsonl_stream import STREAM_AT

    path = tmp_path / "dump.jsonl"
    lines = big_jsonl(path, 40)
    assert path.stat().st_size > STREAM_AT
    out = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    kinds, peak_mb = out.stdout.rsplit(" ", 1)
    assert eval(kinds) == {"RawDocument": lines - 1, "Failure": 1}
    assert int(peak_mb) < 120, f"peak RSS {peak_mb} MB while reading a 40 MB dump"


def test_streamed_lines_are_the_records_the_whole_file_reader_gives(tmp_path):
    from ingest.jsonl import iter_json_records
    from ingest.jsonl_stream import iter_stream

    path = tmp_path / "d.jsonl"
    rows = [{**good_row(n), "title": f"Line\u2028sep {n} \x85"} for n in range(5)]
    path.write_bytes(codecs.BOM_UTF8 + jsonl(rows) + b"\r\nnot json\n\n[1]\n" + jsonl(rows[:1]))
    whole = list(iter_json_records(str(path), path.read_bytes()))
    streamed = list(iter_stream(str(path), 2**20))
    assert [(d.origin, d.data, type(d).__name__) for d in streamed] == [
        (d.origin, d.data, type(d).__name__) for d in whole
    ]
    assert sum(isinstance(d, Failure) for d in streamed) == 2


def test_streamed_line_over_the_cap_and_a_cut_gzip_are_one_failure_each(tmp_path):
    from ingest.jsonl_stream import iter_stream

    path = tmp_path / "d.jsonl"
    small = [{"title": f"T{n}", "body": f"A short body number {n}."} for n in range(3)]
    small[1]["body"] = "x" * 5000
    path.write_bytes(jsonl(small))
    docs = list(iter_stream(str(path), 4096))
    assert [getattr(d, "reason", "ok") for d in docs] == ["ok", "too_large", "ok"]
    assert docs[1].origin == f"{path}:2" and docs[2].origin == f"{path}:3"
    cut = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress(jsonl([good_row(n) for n in range(6)]))
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    docs = list(iter_stream(str(cut), 2**20))
    assert all(not isinstance(d, Failure) for d in docs[:-1]) and len(docs) >= 2
    assert docs[-1].reason == "truncated" and "kept" in docs[-1].message


# --------------------------------------------------------------------------- not regular files

CLI = str(Path(sys.executable).with_name("newsarchive"))


def cli(archive: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command in its own process: a hang fails the test instead of freezing it."""
    return subprocess.run(
        [CLI, "--archive", str(archive), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def special_files(folder: Path) -> dict[str, str]:
    """A link to /dev/zero, a FIFO, a socket and a link to /dev/null; name -> what it is."""
    (folder / "m-zero.html").symlink_to("/dev/zero")
    os.mkfifo(folder / "m-fifo.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "m-sock.txt"))
    sock.close()
    (folder / "m-null.txt").symlink_to("/dev/null")
    return {
        "m-zero.html": "device",
        "m-fifo.txt": "FIFO",
        "m-sock.txt": "socket",
        "m-null.txt": "device",
    }


def test_devices_fifos_and_sockets_get_one_error_each_and_never_hang(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-before.jsonl").write_bytes(jsonl([good_row(0), good_row(1)]))
    kinds = special_files(folder)
    (folder / "z-after.jsonl").write_bytes(jsonl([good_row(2)]))
    archive = tmp_path / "archive"
    out = cli(archive, "ingest", str(folder), "--batch-size", "1")
    assert out.returncode == 1, out.stderr
    errors = rows(archive, "SELECT origin, reason, message FROM ingest_errors ORDER BY origin")
    assert [(Path(o).name, r) for o, r, _ in errors] == [(n, "not_a_file") for n in sorted(kinds)]
    for (_origin, _reason, message), name in zip(errors, sorted(kinds), strict=True):
        assert kinds[name] in message
    assert sum(line.startswith("Error:") for line in out.stderr.splitlines()) == 4, out.stderr
    titles = {t for (t,) in rows(archive, "SELECT title FROM articles")}
    assert titles == {good_row(n)["title"] for n in range(3)}  # the page before them committed
    assert rows(archive, "SELECT status FROM ingest_runs") == [("done",)]


def test_a_link_to_dev_zero_given_by_name_is_refused(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl([good_row(0)]))
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    out = cli(tmp_path / "archive", "ingest", str(good), str(zero), "--batch-size", "1")
    assert out.returncode == 1 and "not a regular file" in out.stderr
    assert rows(tmp_path / "archive", "SELECT count(*) FROM articles") == [(1,)]


def test_recursive_globs_and_folder_walks_follow_no_symlink_loop(tmp_path):
    from ingest.readers import expand_inputs

    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(jsonl([good_row(0)]))
    (folder / "sub" / "b.jsonl").write_bytes(jsonl([good_row(1)]))
    (folder / "sub" / "up").symlink_to("..")  # a loop: in/sub/up/sub/up/...
    (folder / "sub" / "self").symlink_to(".")
    expected = [str(folder / "a.jsonl"), str(folder / "sub" / "b.jsonl")]
    assert list(expand_inputs([f"{folder}/**"])) == expected
    assert list(expand_inputs([f"{folder}/**/*.jsonl"])) == expected
    assert list(expand_inputs([str(folder)])) == expected
    out = cli(tmp_path / "archive", "ingest", f"{folder}/**", timeout=60)
    assert out.returncode == 0, out.stderr
    assert rows(tmp_path / "archive", "SELECT count(*) FROM articles") == [(2,)]


def test_many_broken_lines_are_summarized_and_cost_little(tmp_path):
    """A million broken lines once took 277 s, 582 MB, a 637 MB news.db and a million
    stderr lines. Here 60,000: ten lines and rows of their own, then one counted row."""
    from archive.store import FOLD_AFTER

    path = tmp_path / "broken.jsonl"
    with path.open("w") as fh:
        fh.write(json.dumps(good_row(0)) + "\n")
        for n in range(60_000):
            fh.write(f'{{"n": {n},\n')
    archive = tmp_path / "archive"
    out = cli(archive, "ingest", str(path), timeout=600)
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert sum(line.startswith("Error:") for line in lines) == FOLD_AFTER + 1, out.stderr
    assert "59990 more failure(s)" in out.stderr and "60000 failed" in out.stderr
    errors = rows(archive, "SELECT origin, reason, count, file_id FROM ingest_errors ORDER BY id")
    assert len(errors) == FOLD_AFTER + 1
    assert sum(e[2] for e in errors) == 60_000 and {e[1] for e in errors} == {"malformed"}
    assert errors[-1][0] == str(path) and all(e[3] for e in errors)
    assert rows(archive, "SELECT failed, status FROM ingest_runs") == [(60_000, "done")]
    size = (archive / "news.db").stat().st_size
    assert size < path.stat().st_size * 2 + 2**20, size  # the file kept once, little else


# --------------------------------------------------------------------------- terminal output

EVIL = "\x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\x9b31m\u202e"


def test_control_characters_and_markup_from_data_never_reach_the_terminal(tmp_path):
    """Titles, bodies, authors, sites and file names holding escape sequences (clear screen,
    window title, hyperlinks), C1 controls, bidi overrides and Rich markup print as text."""
    from archive.terminal import safe

    row = good_row(0)
    row.update(
        title=f"Evil {EVIL} title [bold red]RED[/bold red]",
        authors=[f"Mallory {EVIL}"],
        site_name="[link=http://evil.example/]Site[/link] \x1b[5m",
        category="[blink]News",
        body=row["body"] + f"\n\nA last paragraph {EVIL} with [reverse]markup[/reverse].",
    )
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(jsonl([row]))
    forged = folder / "b\nError: forged line\x1b[2J.html"
    forged.write_bytes(b"")  # empty: one error, whose message names the file
    archive = tmp_path / "archive"
    out = cli(archive, "ingest", str(folder))
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "forged line" in errors[0], out.stderr
    word = row["body"].split()[3].strip(".,")
    outputs = {
        "ingest": out.stderr,
        "search": cli(archive, "search", word, "--facets").stdout,
        "show": cli(archive, "show", "1").stdout,
        "stats": cli(archive, "stats").stdout,
    }
    for command, text in outputs.items():
        bad = [c for c in text if (ord(c) < 32 and c not in "\n") or 0x7F <= ord(c) <= 0x9F]
        assert not bad, (command, bad[:5])
        assert "\u202e" not in text, command
    assert "Evil" in outputs["show"] and "[bold red]RED[/bold red]" in outputs["show"]
    assert "\\e]0;pwned" in outputs["show"]  # shown, visibly, not acted on
    assert "[link=http://evil.example/]Site[/link]" in outputs["stats"]  # markup as text
    assert "[blink]News" in outputs["stats"]
    assert safe("a\nb\r\nc\x1b") == "a\\nb\\nc\\e"
