"""The search page in real headless Chromium (Debian's package, driven by Playwright).

Each step saves a screenshot under test-results/browser/ (and the test's tmp_path): type a
query, click a facet, click a timeline bar, open an article. No step may trigger a script
dialog or a CSP violation: stored `<script>` must stay text.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.web_server import EVIL_TITLE, build_archive, running_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/lib/chromium/chromium")
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
