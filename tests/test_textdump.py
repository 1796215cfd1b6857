"""Text-dump extraction: body region, captions, metadata, site templates, robustness."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from ingest.errors import IngestError, NoArticle
from ingest.extract import extract
from ingest.model import RawDocument
from ingest.textdump import extract_text, extract_text_dump
from ingest.textdump_template import learn_site_boilerplate

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = (SHARED / "examples" / "seed-page.txt").read_text(encoding="utf-8")
EXPECTED = json.loads((SHARED / "examples" / "seed-page.expected.json").read_text(encoding="utf-8"))

PROSE = [
    "The city council voted on Tuesday to approve a new budget that raises spending on schools and parks by a "
    "modest amount, after months of debate that divided the members along familiar lines.",
    "Supporters said the plan would help families who have struggled with rising costs, while critics warned "
    "that the money was not there and that taxes would have to go up within a year or two.",
    "The mayor, who had pushed for the increase since the spring, said she was pleased with the result and "
    "thanked the members who changed their minds in the final week of negotiations.",
    "He was 73.",
]


def _page(*middle: str, header: tuple[str, ...] = (), footer: tuple[str, ...] = ()) -> str:
    chrome_top = (
        "Skip to content",
        "  • Home",
        "  • Politics",
        "  • Sports",
        "  • Business",
        "Search",
        *header,
    )
    chrome_bottom = (
        *footer,
        "  • About Us",
        "  • Contact Us",
        "  • Privacy Policy",
        "© 2024 The Daily Example.",
    )
    return "\n\n".join([*chrome_top, *middle, *chrome_bottom]) + "\n"


def _raw(text: str) -> RawDocument:
    return RawDocument(origin="test.txt", data=text.encode("utf-8"), format="text")


def test_body_is_the_prose_region_with_a_short_last_paragraph() -> None:
    page = _page(
        "Council approves budget after long fight",
        "By Jane Doe and John Roe",
        "March 3, 2024",
        *PROSE,
    )
    article = extract(_raw(page))
    assert article.body.split("\n\n") == PROSE
    assert article.title == "Council approves budget after long fight"
    assert article.authors == ["Jane Doe", "John Roe"]
    assert article.published == "2024-03-03"
    assert article.site_name == "The Daily Example"


def test_boilerplate_rows_inside_the_article_are_dropped() -> None:
    page = _page(
        "Council approves budget after long fight",
        PROSE[0],
        "Advertisement",
        "Read More",
        PROSE[1],
        "Share this article",
        PROSE[2],
    )
    body = extract(_raw(page)).body
    assert body.split("\n\n") == PROSE[:3]


def test_captions_are_collected_once_and_kept_out_of_the_body() -> None:
    caption = "The mayor speaks to reporters at City Hall on Monday. (AP Photo/Sam Smith)"
    page = _page(
        "Council approves budget after long fight",
        PROSE[0],
        caption,
        caption.replace("'", "’"),
        *PROSE[1:3],
    )
    article = extract(_raw(page))
    assert article.captions == [caption]
    assert "AP Photo" not in article.body


def test_dateline_and_wire_come_from_the_first_paragraph() -> None:
    first = "WASHINGTON (Reuters) - " + PROSE[0]
    article = extract(_raw(_page("Council approves budget after long fight", first, *PROSE[1:3])))
    assert (article.dateline, article.wire) == ("WASHINGTON", "Reuters")


def test_a_dump_of_only_menus_has_no_article() -> None:
    menus = "\n".join(f"  • Section {n}" for n in range(60)) + "\n© 2024 Example\nPrivacy Policy\n"
    with pytest.raises(NoArticle):
        extract(_raw(menus))
    assert extract_text(menus).body == ""


def test_related_story_list_after_the_article_is_not_body() -> None:
    related = ["Related Posts"]
    for n in range(5):
        related += [f"Another story headline number {n} about the council", "March 2, 2024"]
    page = _page("Council approves budget after long fight", *PROSE[:3], *related)
    body = extract(_raw(page)).body
    assert "Another story" not in body
    assert body.endswith(PROSE[2])


def test_teaser_text_nested_under_menu_bullets_is_not_the_article() -> None:
    """w3m indents a list item's further blocks under its bullet: menus of teaser cards."""
    teasers = []
    for n in range(8):
        teasers += [
            "  •",
            f"    Teaser headline number {n} in the menuThe teaser's own summary sentence runs on "
            "for a while here, as teasers do, to tempt a reader into clicking on it now.",
        ]
    page = _page(
        *teasers,
        "Council approves budget after long fight",
        "March 3, 2024 at 9:45 am",
        *PROSE[:3],
    )
    article = extract(_raw(page))
    assert article.body.split("\n\n") == PROSE[:3]
    assert article.title == "Council approves budget after long fight"
    assert article.published == "2024-03-03T09:45:00"


def test_dated_teaser_cards_between_headline_and_body_do_not_take_their_place() -> None:
    cards = ["MORE STORIES LIKE THIS ONE"]
    for n, day in enumerate(("May 2, 2016", "June 9, 2015", "July 30, 2010")):
        cards += [
            f"Older story number {n} about the council",
            "NEWS",
            f"Older story number {n} about the council",
            day,
        ]
    page = _page(
        "Council approves budget after long fight",
        "Jane Doe",
        "Metro March 3, 2024 13:42",
        *cards,
        *PROSE[:3],
    )
    article = extract(_raw(page))
    assert article.title == "Council approves budget after long fight"
    assert article.published == "2024-03-03T13:42:00"
    assert article.body.split("\n\n") == PROSE[:3]


@pytest.mark.parametrize(
    "stamps",
    [
        ("Updated Mar 4, 9:41 AM; Posted Mar 3, 8:19 PM",),
        ("Updated: 4 March 2024 9:38 pm", "Posted: 3 March 2024 8:11 pm"),
        ("Updated March 4, 2024 8:21 am ET / Original March 3, 2024 8:02 am ET",),
    ],
)
def test_the_published_stamp_wins_over_the_updated_one(stamps: tuple[str, ...]) -> None:
    page = _page(
        "Council approves budget after long fight",
        "By Jane Doe",
        *stamps,
        *PROSE[:3],
        footer=("Also on the site: March 9, 2024",),
    )
    assert (extract(_raw(page)).published or "")[:10] == "2024-03-03"


def test_a_by_label_after_the_date_names_the_author() -> None:
    page = _page(
        "Council approves budget after long fight",
        "March 3, 2024 | BY: Jane Doe, MS, RDN",
        *PROSE[:3],
    )
    article = extract(_raw(page))
    assert article.authors == ["Jane Doe"]
    assert article.published == "2024-03-03"


def test_a_bare_name_beside_a_date_row_around_the_headline_is_the_author() -> None:
    page = _page(
        "Jane Doe",
        "Politics",
        "03.03.2024 09:00 AM",
        "Council approves budget after long fight",
        *PROSE[:3],
    )
    assert extract(_raw(page)).authors == ["Jane Doe"]
    undated = _page("Jane Doe", "Politics", "Council approves budget after long fight", *PROSE[:3])
    assert extract(_raw(undated)).authors == []


def test_published_never_invents_a_missing_day() -> None:
    page = _page("Council approves budget after long fight", "Posted June 2024", *PROSE[:3])
    assert extract(_raw(page)).published is None


def test_site_template_removes_repeated_promo_prose() -> None:
    promo = (
        "Our journalism depends on readers like you, and every contribution, however big or small, helps keep "
        "our reporting on the council and the city independent."
    )
    others = [
        _page(f"Story {n} headline goes here today", f"Paragraph {n} " + PROSE[1], promo)
        for n in range(5)
    ]
    target = _page("Council approves budget after long fight", *PROSE[:3], promo)
    template = learn_site_boilerplate(others, min_pages=3)
    assert promo.casefold().split()[0] in next(
        k for k in template if k.startswith("our journalism")
    )
    plain = extract_text(target).body
    with_template = extract_text(target, boilerplate=template).body
    assert "Our journalism depends" in plain  # on its own the promo reads like prose
    assert "Our journalism depends" not in with_template
    assert with_template.split("\n\n") == PROSE[:3]


def test_template_keeps_a_background_paragraph_shared_by_a_few_follow_ups() -> None:
    background = PROSE[1]  # the same explainer paragraph in three stories on one running topic
    pages = [
        _page(f"Follow-up {n} on the budget fight", f"Day {n}: " + PROSE[0], background)
        for n in range(3)
    ]
    pages += [_page(f"Unrelated story {n} headline", f"Item {n}: " + PROSE[2]) for n in range(5)]
    template = learn_site_boilerplate(pages, min_pages=3)
    assert "privacy policy" in template
    assert not any(key.startswith("supporters said the plan") for key in template)


def test_template_needs_min_pages_and_keeps_single_page_extraction_intact() -> None:
    assert learn_site_boilerplate([SEED, SEED, SEED]) == frozenset()  # copies are one page
    assert learn_site_boilerplate([SEED, _page(*PROSE)], min_pages=3) == frozenset()
    with pytest.raises(ValueError, match="min_pages"):
        learn_site_boilerplate([SEED], min_pages=1)
    template = learn_site_boilerplate([SEED, _page(*PROSE), _page(PROSE[0], PROSE[2])], min_pages=3)
    assert "privacy policy" in template
    article = extract_text_dump(_raw(SEED), boilerplate=template)
    assert article.body == EXPECTED["body"]
    assert extract_text_dump(_raw(SEED), boilerplate=None).body == EXPECTED["body"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\n\n",
        "\x00\x01",
        "•\n•\n•",
        "By\n",
        "©",
        "(",
        "a" * 100_000,
        "Ω" * 5000,
        "\r\r\r",
        "1/2/3/4",
    ],
)
def test_any_text_gives_an_article_or_an_ingest_error(text: str) -> None:
    try:
        article = extract_text(text)
    except IngestError:
        return
    assert isinstance(article.body, str)


@pytest.mark.parametrize(
    "text",
    [
        "x" + " " * 100_000 + "y",
        "By x" + "\t \t" * 30_000 + "y",
        "(" + "Photo " * 20_000,
        "a." * 30_000,
        "Home » " * 5_000,
        "Ann, " * 20_000,
        "  •\n" + "    Nested teaser text under one bullet\n" * 10_000,
        "Updated " * 20_000 + "Posted March 3, 2024",
        "MORE STORIES LIKE THIS ONE\n" * 10_000,
    ],
)
def test_pathological_lines_stay_fast(text: str) -> None:
    """Long runs that make naive regexes quadratic must not stall a batch."""
    import time

    started = time.perf_counter()
    with contextlib.suppress(IngestError):
        extract_text(text)
    assert time.perf_counter() - started < 2.0


@pytest.mark.slow
def test_corpus_text_dumps_score_above_the_bars(tmp_path: Path) -> None:
    """The shared scorer's figures on the development split stay at or above the issue's bars.

    Floors sit a little under the measured figures (body F1 0.932, title 0.74, authors 0.69)
    so that a real regression fails while noise does not; published (measured 0.803) is held
    at the issue's bar of 0.80.
    """
    import subprocess
    import sys

    corpus = SHARED / "corpus"
    predictions = tmp_path / "pred.jsonl"
    with predictions.open("w", encoding="utf-8") as out:
        for page in sorted(corpus.glob("*.txt")):
            try:
                row = extract(
                    RawDocument(origin=str(page), data=page.read_bytes(), format="text")
                ).to_dict()
            except NoArticle:
                row = {"body": ""}
            row["id"] = page.stem
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    scorer = SHARED / "tools" / "eval_extract.py"
    run = subprocess.run(
        [sys.executable, str(scorer), str(corpus / "truth.jsonl"), str(predictions)],
        capture_output=True,
        text=True,
        check=True,
    )
    final = run.stdout.strip().splitlines()[-1]
    figures = dict(item.split("=") for item in final.split()[1:])
    assert float(figures["body_f1"]) >= 0.90, final
    assert float(figures["title_acc"]) >= 0.65, final
    assert float(figures["authors_acc"]) >= 0.60, final
    assert float(figures["published_acc"]) >= 0.80, final


# ---------------------------------------------------------------- other renderers (issue 17)
# One article, printed the way each tool prints it. Every dump is written here.
TITLE = "Harbour bridge reopens after two years of repairs"
ART = [
    "The harbour bridge reopened to traffic on Monday morning after two years of repairs that cost "
    "the city far more than planned, and drivers queued from before dawn to be among the first across.",
    "Engineers replaced the steel deck and most of the cables, the transport office said, and the "
    "work should keep the bridge safe for another fifty years if it is maintained as planned.",
    "Shop owners on both banks said their trade had suffered during the closure, and several asked "
    "the council for help with their rents while the detour kept customers away from the old town.",
]
MENU = ["Home", "News", "Sport", "Weather", "Contact us"]


def _wrap(text: str, width: int = 76, indent: str = "   ") -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent)


def _lynx_dump(with_list: bool) -> str:
    """`lynx -dump` conventions: wrapped indented paragraphs, flush-left headings, `[n]` link
    markers and a numbered References list (without the list for `-nolist`)."""
    mark = (lambda n: f"[{n}]") if with_list else (lambda n: "")
    lines = ["   #" + mark(1) + "Example News RSS " + mark(2) + "alternate", ""]
    lines += [f"     * {mark(n + 3)}{item}" for n, item in enumerate(MENU)]
    lines += ["", TITLE, "", f"   By {mark(9)}Mara Quinn", "", "   March 4, 2024", ""]
    para = ART[0].replace("city", f"{mark(10)}city", 1)
    for text in (para, *ART[1:]):
        lines += [*_wrap(text), ""]
        if text is para:  # an embedded player and a button inside the article
            lines += ["   IFRAME: https://player.example/embed/?v=1&autoplay=0", ""]
            lines += ["   (BUTTON) Play video", ""]
    lines += ["   " + mark(11) + "Subscribe to our newsletter", ""]
    if with_list:
        lines += ["References", "", "   Visible links:"]
        lines += [f"  {n}. https://news.example/link-{n}" for n in range(1, 12)]
        lines += ["", "   Hidden links:", "  149. https://news.example/hidden"]
    return "\n".join(lines) + "\n"


def _markdown_dump() -> str:
    """A markdown reader's dump: links (hrefs with parentheses, `<...>` targets), images,
    emphasis, an ATX and a setext heading, list menus."""
    menu = [f"  * [{item}](https://news.example/{item.lower()})" for item in MENU]
    return "\n".join(
        [
            "[![Example News](https://news.example/logo.png)](https://news.example/)",
            "",
            *menu,
            "",
            f"# {TITLE}",
            "",
            "By **[Mara Quinn](https://news.example/staff/mara_quinn_(writer))** | March 4, 2024",
            "",
            "![The bridge at dawn](https://news.example/img/bridge(1).jpg)",
            "",
            ART[0]
            .replace("the city", "the [city](<https://news.example/city council (budget)>)", 1)
            .replace("first across", "_first_ across", 1),
            "",
            ART[1].replace("steel deck", "**steel deck**", 1),
            "",
            "What comes next",
            "---------------",
            "",
            ART[2].replace(
                "old town", "[old town](https://en.wikipedia.org/wiki/Old_town_(quarter))"
            ),
            "",
            "* * *",
            "",
            "  * [Privacy](https://news.example/privacy)",
            "  * [Terms](https://news.example/terms)",
        ]
    )


@pytest.mark.parametrize("with_list", [True, False], ids=["lynx", "lynx-nolist"])
def test_lynx_dumps_read_like_w3m(with_list):
    article = extract_text(_lynx_dump(with_list))
    assert article.title == TITLE  # never "149. https://..."
    assert article.body.split("\n\n") == ART  # wrapped lines joined, markers gone, list dropped
    assert article.authors == ["Mara Quinn"]
    assert article.published == "2024-03-04"


def test_markdown_dump_reads_like_w3m():
    article = extract_text(_markdown_dump())
    assert article.title == TITLE
    body = article.body
    for leftover in ("](", "![", "**", "_first_", "<https", "---"):
        assert leftover not in body
    assert body.split("\n\n")[:2] == ART[:2]
    assert ART[2] in body
    assert article.authors == ["Mara Quinn"]
    assert article.published == "2024-03-04"


def test_renderer_detection_leaves_w3m_and_copy_paste_alone():
    from ingest.textdump_render import detect_renderer, normalize_dump

    assert detect_renderer(SEED) == "plain"
    assert normalize_dump(SEED).text == SEED
    # long unwrapped paragraphs with no blank line between them are never joined
    pasted = "\n".join([TITLE, *ART, *ART])
    assert normalize_dump(pasted).text == pasted
    assert detect_renderer(_lynx_dump(True)) == "lynx"
    assert detect_renderer(_lynx_dump(False)) == "wrapped"
    assert detect_renderer(_markdown_dump()) == "markdown"


@pytest.mark.parametrize("tool", ["w3m", "lynx"])
def test_real_renderer_output(tool, tmp_path):
    """The same article as HTML, rendered by the real tool when it is installed."""
    import shutil
    import subprocess

    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    link = '<a href="/c(1)">city</a>'
    paras = "".join("<p>" + p.replace("city", link, 1) + "</p>" for p in ART)
    menu = "".join(f'<li><a href="/{m}">{m}</a></li>' for m in MENU)
    page = tmp_path / "page.html"
    page.write_text(
        f"<html><head><title>{TITLE}</title></head><body><ul>{menu}</ul><h1>{TITLE}</h1>"
        f"<p>By Mara Quinn</p><p>March 4, 2024</p>{paras}<p><a href='/s'>Subscribe</a></p>"
        "</body></html>",
        encoding="utf-8",
    )
    cmd = {
        "w3m": ["w3m", "-dump", "-T", "text/html", "-cols", "80", str(page)],
        "lynx": ["lynx", "-dump", "-force_html", "-width=80", str(page)],
    }[tool]
    dump = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    article = extract_text(dump)
    assert article.title == TITLE
    assert article.body.split("\n\n") == ART


def test_readme_dump_example_runs(tmp_path):
    """The README's "Text dumps from any tool" commands, on a page written here."""
    import re
    import shutil
    import subprocess
    import sys

    if shutil.which("w3m") is None or shutil.which("lynx") is None:
        pytest.skip("w3m and lynx are needed for the README example")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Text dumps from any tool", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL).group(1)
    paras = "".join(f"<p>{p}</p>" for p in ART)
    (tmp_path / "page.html").write_text(
        f"<html><body><h1>{TITLE}</h1><p>By Mara Quinn</p>{paras}</body></html>",
        encoding="utf-8",
    )
    bindir = str(Path(sys.executable).parent)
    for command in block.strip().splitlines():
        done = subprocess.run(
            command,
            shell=True,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={"PATH": f"{bindir}:/usr/bin:/bin"},
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    article = json.loads(done.stdout)
    assert article["title"] == TITLE
    assert article["body"].split("\n\n") == ART


def test_a_photo_caption_near_the_body_is_not_the_title():
    page = "\n".join(
        [
            *MENU,
            TITLE,
            "The city's oldest crossing is open again.",
            "By Mara Quinn",
            "March 4, 2024 11:42",
            "Cars cross the harbour bridge on its first morning",
            "Image: Cars cross the harbour bridge on its first morning",
            "The bridge seen from the old town at dawn.Jane Doe / Reuters file",
            *ART,
        ]
    )
    article = extract_text(page)
    assert article.title == TITLE
    assert article.body.split("\n\n")[-3:] == ART
