"""The search page in real headless Chromium (Debian's package, driven by Playwright).

Each step saves a screenshot under test-results/browser/ (and the test's tmp_path): type a
query, click a facet, click a timeline bar, open an article. No step may trigger a script
dialog or a CSP violation: stored `<script>` must stay text.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.web_server import EVIL_TITLE, build_archive, running_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/lib/chromium/chromium")
HUGE = 300_000
SHOTS = ROOT / "test-results" / "browser"


@pytest.fixture(scope="module")
def browser_page(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[object, str, list[str]]]:
    if not CHROMIUM.exists():
        if os.environ.get("NEWSARCHIVE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("browser") / "archive"
    build_archive(folder)
    conn = sqlite3.connect(folder / "news.db")  # article 2 gets a 300,000-character body
    body = conn.execute("select body from articles where id = 2").fetchone()[0]
    huge = ((body + "\n\n") * (HUGE // (len(body) + 2) + 1))[:HUGE]
    conn.execute("update articles set body = ? where id = 2", [huge])
    conn.commit()
    conn.close()
    problems: list[str] = []
    with running_server(folder) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        yield page, base, problems
        browser.close()


def shot(page, name: str, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    shutil.copy(path, tmp_path / name)
    assert path.stat().st_size > 10_000
    return path


def test_search_facet_timeline_article(browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, base, problems = browser_page
    page.goto(f"{base}/search")
    page.get_by_label("Words").fill("president OR police")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=president+OR+police*")
    assert "sort=relevance" in page.url
    total = int(page.locator("#na-summary strong").inner_text().replace(",", ""))
    assert total > 20
    assert page.locator("article.na-hit").count() == 20
    assert page.locator('nav.na-pager a[rel="next"]').is_visible()
    assert page.locator("article.na-hit mark").count() > 0
    shot(page, "01-search.png", tmp_path)

    # click the biggest site facet: the count shown is the number of results afterwards
    facet = page.locator('[data-facet="site"] li a').first
    value = facet.locator(".na-facet-value").inner_text()
    count = int(facet.locator(".na-count").inner_text().replace(",", ""))
    facet.click()
    page.wait_for_url("**site=*")
    assert int(page.locator("#na-summary strong").inner_text().replace(",", "")) == count
    assert page.locator(".na-active li").first.inner_text().startswith("site")
    for site in page.locator("article.na-hit .na-site").all_inner_texts():
        assert site == value
    shot(page, "02-facet.png", tmp_path)

    # drop the facet and click the tallest timeline bar
    page.locator(".na-active li a").first.click()
    page.wait_for_url(lambda url: "site=" not in url)
    bars = page.locator("svg.timeline a.bar-link")
    assert bars.count() >= 1
    labels = bars.evaluate_all("els => els.map(e => [e.dataset.key, e.getAttribute('aria-label')])")
    key, label = max(labels, key=lambda kl: int(kl[1].split(": ")[1].split()[0]))
    expected = int(label.split(": ")[1].split()[0])
    page.locator(f'svg.timeline a.bar-link[data-key="{key}"]').click()
    page.wait_for_url("**since=*")
    assert f"since={key}" in page.url
    assert int(page.locator("#na-summary strong").inner_text().replace(",", "")) == expected
    for stamp in page.locator("article.na-hit time").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))"
    ):
        assert stamp.startswith(key)
    shot(page, "03-timeline.png", tmp_path)

    # open the first article
    link = page.locator("article.na-hit h2 a").first
    title = link.inner_text()
    link.click()
    page.wait_for_url("**/article/*")
    assert page.locator("h1").inner_text() == title
    assert page.locator(".na-body p").count() >= 1
    assert page.get_by_role("heading", name="Similar articles").is_visible()
    shot(page, "04-article.png", tmp_path)
    assert problems == []


def test_stored_script_stays_text_in_the_browser(browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, base, problems = browser_page
    page.goto(f"{base}/search?q=unveiled")
    assert page.locator("article.na-hit h2").first.inner_text() == EVIL_TITLE
    page.locator("article.na-hit h2 a").first.click()
    page.wait_for_url("**/article/*")
    assert page.locator("h1").inner_text() == EVIL_TITLE
    assert page.evaluate("document.querySelectorAll('.na-body script, h1 script').length") == 0
    shot(page, "05-escaped-article.png", tmp_path)
    page.goto(f"{base}/news/articles?_search=unveiled")
    assert EVIL_TITLE in page.locator("table.rows-and-columns").inner_text()
    assert problems == []


def test_front_door_table_page_and_a_huge_body(browser_page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: `/` leads to search; table rows stay short; a huge body shows its start."""
    page, base, problems = browser_page
    page.goto(f"{base}/")
    assert page.locator("#na-figures strong").first.inner_text() == "110"
    assert page.locator(".na-newest article.na-hit").count() == 10
    assert "article_bands" not in page.content()
    shot(page, "06-home.png", tmp_path)
    page.get_by_label("Search every article").fill("stadia")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=stadia*")
    assert int(page.locator("#na-summary strong").inner_text()) >= 1
    feed = page.locator("a.na-atom").get_attribute("href")
    assert feed == "/search.atom?q=stadia"

    # the articles table: a row is a preview, not a whole body (11,417 px for 6 rows before)
    page.goto(f"{base}/news/articles?_size=20")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() == 20
    heights = rows.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert max(heights) < 400, heights
    shot(page, "07-table.png", tmp_path)

    # an article whose body is 300,000 characters: the page shows the start and links the rest
    page.goto(f"{base}/article/1")
    assert page.locator(".na-truncated").count() == 0
    page.goto(f"{base}/article/2")
    assert "300,000 characters long" in page.locator(".na-truncated").inner_text()
    shown = page.evaluate("document.querySelector('.na-body').innerText.length")
    assert 90_000 < shown < 110_000
    page.locator(".na-truncated a").click()
    page.wait_for_url("**/article/2.txt")
    assert len(page.evaluate("document.body.innerText")) > HUGE - 1000
    assert problems == []
