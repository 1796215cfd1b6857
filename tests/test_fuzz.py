"""Property-based tests (hypothesis): nothing raises past the error-recording boundary.

The boundary of ingest is `archive.pipeline.extract_one` (every input becomes an article or a
recorded Failure); we also hold the extractors to it directly, since an `internal_error`
Failure there is a bug report, not a result. The boundary of search is the named
`QueryError` (the CLI turns it into one line and exit 2): any string a person can type gets
an answer or that error, quickly.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.pipeline import extract_one
from ingest.model import RawDocument
from ingest.readers import _split_container, detect_format

from .conftest import load_truth

# CI runs a fixed set of examples (derandomized: bugs found stay found); for a longer hunt:
# NEWSARCHIVE_FUZZ_EXAMPLES=5000 NEWSARCHIVE_FUZZ_RANDOM=1 pytest tests/test_fuzz.py
EXAMPLES = int(os.environ.get("NEWSARCHIVE_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=not os.environ.get("NEWSARCHIVE_FUZZ_RANDOM"),
)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$")

TAGS = ["p", "div", "article", "h1", "span", "script", "style", "figure", "figcaption", "nav",
        "table", "td", "br", "meta", "title", "time", "a", "!--", "![CDATA[", "?xml"]  # fmt: skip
WORDS = ["Paris", "said", "the", "Bürgermeister", "東京", "&amp;", "&#0;", "&#x110000;", "&lt;",
         "\x00", "\u202e", "\ufeff", "&nbsp;", "By Jane Doe", "2024-02-30", "June 2024", '"', "'",
         "<", ">", "]]>", "\r\n", "\t"]  # fmt: skip


@st.composite
def html_soup(draw: st.DrawFn) -> str:
    """Tag soup: real tags and attributes, unbalanced, with hostile text mixed in."""
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 4))
        tag = draw(st.sampled_from(TAGS))
        if kind == 0:
            attrs = draw(
                st.sampled_from(
                    [
                        "",
                        ' class="body"',
                        ' property="og:title" content="T"',
                        ' charset="koi8-r"',
                        ' name="author" content="By A and B"',
                        ' itemprop="datePublished" content="1999-99-99"',
                    ]
                )
            )
            parts.append(f"<{tag}{attrs}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        else:
            parts.append(" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=12))))
            parts.append(draw(st.text(max_size=30)))
    return "".join(parts)


def check(item, origin: str) -> None:  # type: ignore[no-untyped-def]
    """An Extracted item: an article that meets the contract, or a named failure."""
    if item.failure is not None:
        assert item.failure.reason != "internal_error", item.failure.message
        assert item.failure.message and item.failure.origin
        return
    article = item.article
    assert article is not None and article.body.strip()
    assert article.published is None or ISO.match(article.published), article.published
    assert all(isinstance(a, str) and a.strip() for a in article.authors)
    json.dumps(article.to_dict())  # serializable, as `extract --json` needs


def run_container(origin: str, data: bytes, kind: str) -> None:
    for doc in _split_container(origin, data, kind):
        check(extract_one(doc), origin)


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_in_any_format_give_an_article_or_a_named_failure(data):
    for kind in ("text", "html", "jsonl", "feed", "warc"):
        run_container(f"fuzz.{kind}", data, kind)
    detect_format("fuzz.bin", data[:4096])


@FUZZ
@given(html_soup(), st.sampled_from(["utf-8", "cp1252", "utf-16", "latin-1"]))
def test_tag_soup_gives_an_article_or_a_named_failure(soup, encoding):
    data = soup.encode(encoding, errors="replace")
    check(extract_one(RawDocument("soup.html", data, "html")), "soup.html")
    check(extract_one(RawDocument("soup.txt", data, "text")), "soup.txt")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)  # fmt: skip
RECORD_KEYS = ["title", "headline", "body", "text", "content", "authors", "author", "byline",
               "published", "date", "datePublished", "url", "category", "site_name", "html"]  # fmt: skip


@FUZZ
@given(st.dictionaries(st.sampled_from(RECORD_KEYS), JSON_VALUES | html_soup(), max_size=8))
def test_json_records_with_any_field_types(record):
    line = json.dumps(record, ensure_ascii=False).encode()
    run_container("fuzz.jsonl", line + b"\n" + line[: len(line) // 2], "jsonl")


@FUZZ
@given(st.lists(st.sampled_from(load_truth()[:5]), min_size=1, max_size=3), st.data())
def test_real_records_with_absurd_dates_never_invent_a_day(rows, data):
    published = data.draw(
        st.one_of(
            st.text(max_size=25),
            st.dates().map(str),
            st.from_regex(r"\d{1,5}[-/. ]\d{1,2}[-/. ]\d{1,5}", fullmatch=True),
            st.sampled_from(["June 2024", "2024", "Feb 30 2024", "31/04/2024", "0", "-1", "1e9"]),
        )
    )
    lines = b"".join(json.dumps({**row, "published": published}).encode() + b"\n" for row in rows)
    for doc in _split_container("dates.jsonl", lines, "jsonl"):
        item = extract_one(doc)
        check(item, "dates.jsonl")
        value = item.article.published if item.article else None
        if value:  # a day is given only when the input names one: check it is a real date
            from datetime import date

            date.fromisoformat(value[:10])


# --------------------------------------------------------------------------- queries


@pytest.fixture(scope="module")
def search_archive(tmp_path_factory) -> Path:
    """A real archive with a real Whoosh index over 40 corpus articles."""
    from archive.indexing import ArchiveDB, catch_up, index_dir_for
    from archive.store import Extracted, Store

    from .conftest import truth_article

    folder = tmp_path_factory.mktemp("fuzz") / "archive"
    store = Store.open(folder)
    run_id = store.start_run(["fuzz"])
    items = [
        Extracted(
            raw=RawDocument(f"truth#{r['id']}", json.dumps(r).encode(), "json"),
            article=truth_article(r),
        )
        for r in load_truth()[:40]
    ]
    store.write_batch(items, run_id)
    store.close()
    db = ArchiveDB.open(folder)
    catch_up(db, index_dir_for(folder))
    db.close()
    return folder


QUERY_PIECES = ["said", "the", "Trump", "*", "?", "?*", "a*", "[a TO z]", "{", "}", "[", "]",
                "published:[2019 to 2020]", "published:[0000 to 9999]", "title:", "author:",
                "AND", "OR", "NOT", "(", ")", '"', "'", "~", "^", ":", "\\", "/", "-", "+",
                "\x00", "\x1b[2J", "\u202e", "日本", "ẞ", "published:[a TO]", "*:*", "body:*"]  # fmt: skip


@st.composite
def typed_queries(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(max_size=60))
    return " ".join(draw(st.lists(st.sampled_from(QUERY_PIECES), min_size=1, max_size=10)))


@settings(FUZZ, max_examples=EXAMPLES + 30)
@given(typed_queries(), st.sampled_from(["relevance", "newest", "oldest"]), st.booleans())
def test_any_typed_query_is_answered_or_refused_by_name_quickly(search_archive, text, sort, facets):
    from archive.indexing import ArchiveDB, index_dir_for
    from archive.searching import SearchRequest, run_search
    from index.errors import QueryError

    db = ArchiveDB.open(search_archive)
    started = time.perf_counter()
    try:
        result = run_search(
            db, index_dir_for(search_archive), SearchRequest(text, sort=sort, facets=facets)
        )
    except QueryError as exc:
        assert str(exc).strip()
    else:
        assert 0 <= len(result["hits"]) <= result["total"]
        json.dumps(result)
    finally:
        db.close()
    assert time.perf_counter() - started < 5, text
