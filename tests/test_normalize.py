"""Shared normalizers: dates as written, author names, datelines and wire agencies."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ingest.normalize import clean_author, clean_authors, find_dateline, parse_date, split_authors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("August 1, 2025", "2025-08-01"),
        ("1 Aug 2025", "2025-08-01"),
        ("Aug. 1, 2025", "2025-08-01"),
        ("2025-08-01", "2025-08-01"),
        ("2025-08-01T23:30:00-04:00", "2025-08-01T23:30:00"),
        ("2025-08-01T23:30:00Z", "2025-08-01T23:30:00"),
        ("01.08.2025", "2025-08-01"),
        ("25/12/2025", "2025-12-25"),
        ("08/01/2025", "2025-08-01"),
        ("11/12/19 4:40PM", "2019-11-12"),
        ("Friday, August 1, 2025 11:30 PM", "2025-08-01T23:30:00"),
        ("Updated 1:39 am EST, Wednesday, November 20, 2019", "2019-11-20"),
        ("PUBLISHED: November 19, 2019 at 8:59 pm", "2019-11-19T20:59:00"),
        ("Robert JonesBy Robert JonesAugust 1, 2025No Comments4 Mins Read", "2025-08-01"),
        ("1 de agosto de 2025", "2025-08-01"),
        ("1er août 2025", "2025-08-01"),
        ("1. August 2025", "2025-08-01"),
        ("3 de março de 2019", "2019-03-03"),
        ("12 dicembre 2018", "2018-12-12"),
        ("Posted on Maret 30, 2015 by Admin", "2015-03-30"),
        ("19 ноября 2019", "2019-11-19"),
        ("2019年4月3日", "2019-04-03"),
        ("2019년 4월 3일", "2019-04-03"),
        ("June 2024", None),
        ("Aug 2025", None),
        ("February 30, 2024", None),
        ("no date here", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


def test_relative_and_yearless_dates_need_the_pages_own_context() -> None:
    assert parse_date("Published 1 day ago") is None
    assert parse_date("Published 1 day ago", reference="2019-11-20") == "2019-11-19"
    assert parse_date("3 hours ago", reference="2019-11-20") == "2019-11-20"
    assert parse_date("Updated Nov 19, 6:55 AM", reference="2019") == "2019-11-19"
    assert parse_date("Dec 30", reference="2020-01-02") == "2019-12-30"  # not in the page's future
    assert parse_date("June 2024", reference="2024-12-31") is None  # still no day to keep


def test_parse_date_is_the_same_under_any_time_zone() -> None:
    code = "from ingest.normalize import parse_date as p; print(p('2025-08-01T23:30:00-04:00'), p('Aug 1, 2025'))"
    outputs = set()
    for tz in ("UTC", "Pacific/Kiritimati", "America/Los_Angeles"):
        env = {**os.environ, "TZ": tz}
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(run.stdout)
    assert outputs == {"2025-08-01T23:30:00 2025-08-01\n"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("TOM KRISHER, AP Auto Writer", "Tom Krisher"),
        ("Jane Doe jane.doe@example.com", "Jane Doe"),
        ("Meg JamesStaff Writer", "Meg James"),
        ("Chris Pokorny@DawgsByNature", "Chris Pokorny"),
        ("Tim Childers - Live Science Contributor", "Tim Childers"),
        ("Sean Martin Sean Martin", "Sean Martin"),
        ("Ronald McDonald", "Ronald McDonald"),
        ("https://example.com/author/jane", None),
        ("Share", None),
        ("  ", None),
    ],
)
def test_clean_author(raw: str, expected: str | None) -> None:
    assert clean_author(raw) == expected


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By A. Smith and B. Jones", ["A. Smith", "B. Jones"]),
        ("Ann Lee, Bo Chan and Cy Dee", ["Ann Lee", "Bo Chan", "Cy Dee"]),
        ("By Jane Doe, AP", ["Jane Doe"]),
        ("By Marcia Dunn, AP Aerospace Writer", ["Marcia Dunn"]),
        ("Robert JonesBy Robert JonesAugust 1, 2025No Comments4 Mins Read", ["Robert Jones"]),
        ("Written by Mary Ann Smith | Updated March 3, 2019", ["Mary Ann Smith"]),
        ("By Sarah E. Needleman", ["Sarah E. Needleman"]),
        ("Por Juan Pérez y María López", ["Juan Pérez", "María López"]),
        ("", []),
    ],
)
def test_split_authors(byline: str, names: list[str]) -> None:
    assert split_authors(byline) == names


def test_clean_authors_dedupes_and_drops_the_site_itself() -> None:
    assert clean_authors(
        ["CNN Business", "Jane Doe", "jane doe", "By Jane Doe"], "CNN Business"
    ) == ["Jane Doe"]
    assert clean_authors(["Reuters", "Jane Doe"], "CNN") == ["Reuters", "Jane Doe"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("MOSCOW (AP) — Russia’s space chief has visited", ("MOSCOW", "AP")),
        ("(Reuters) - Oil prices fell", (None, "Reuters")),
        ("WASHINGTON — The Senate voted", ("WASHINGTON", None)),
        ("NEW YORK (Reuters) - Oil prices fell", ("NEW YORK", "Reuters")),
        ("SANTA FE, N.M. (AP) — A cat", ("SANTA FE, N.M.", "AP")),
        ("BERLIN (dpa) - Die Regierung", ("BERLIN", "dpa")),
        ("PARIS (AFP) - Le gouvernement", ("PARIS", "AFP")),
        ("The quick — brown fox", (None, None)),
        ("A sentence without a dateline.", (None, None)),
        ("", (None, None)),
    ],
)
def test_find_dateline(body: str, expected: tuple[str | None, str | None]) -> None:
    assert find_dateline(body) == expected


# ---------------------------------------------------------------- issue 17: dates in dumps
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # published and updated rendered side by side: never 1914-06-20 or 1928-07-20
        ("28. Juni 201914. Januar 2020", "2019-06-28"),
        ("Posted on28. Juli 201928. Juli 2019", "2019-07-28"),
        ("Nov 19, 2019Nov 20, 2019", "2019-11-19"),
        ("June 20 1914", "1914-06-20"),  # a real separator still makes a date
        ("Juni 201914", None),
    ],
)
def test_neighbouring_dates_never_mix(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (["de"], "2012-04-11"),
        (["pt-BR"], "2012-04-11"),
        (["en-GB"], "2012-04-11"),
        (["en"], "2012-11-04"),
        (["en-US"], "2012-11-04"),
        (None, "2012-11-04"),
    ],
)
def test_numeric_day_month_order_follows_the_language(languages, expected) -> None:
    assert parse_date("11/04/2012", languages=languages) == expected
    short = parse_date("11/04/12", languages=languages)
    assert short == expected


def test_german_dump_reads_its_numeric_date_day_first() -> None:
    from ingest.textdump import extract_text

    body = [
        "Der Stadtrat hat am Dienstag nach langer Debatte beschlossen, die Straßenbahn bis zum "
        "Flughafen zu verlängern, und die Arbeiten sollen im nächsten Frühjahr beginnen.",
        "Die Kosten werden auf mehr als zweihundert Millionen Euro geschätzt, sagte die "
        "Bürgermeisterin, und der Bund wird einen großen Teil davon übernehmen müssen.",
        "Die Opposition kritisierte den Beschluss und verlangte eine neue Prüfung der Pläne, "
        "weil die Zahl der Fahrgäste in den letzten Jahren nicht gestiegen ist.",
    ]
    page = "\n".join(
        ["Startseite", "Politik", "Straßenbahn fährt bald bis zum Flughafen", "11/04/2012", *body]
    )
    article = extract_text(page)
    assert article.language == "de"
    assert article.published == "2012-04-11"


def test_year_less_date_inside_a_sentence_is_no_stamp() -> None:
    assert (
        parse_date(
            "Microsoft is now rolling out Windows 10 November Update to more devices",
            reference="2019-11-19",
        )
        is None
    )
    assert parse_date("Nov 19, 6:55 AM", reference="2019-11-20") == "2019-11-19"
