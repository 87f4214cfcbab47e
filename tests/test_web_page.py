"""The page of ``filterql serve`` in a real browser: Debian's Chromium driven by Playwright.

The server runs as ``filterql serve`` (a subprocess on a free loopback port) over the
conformance runs; the browser is started with the flags that keep it off the network.
``FILTERQL_SCREENSHOTS=1`` writes the desktop and narrow screenshots into ``docs/``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

import filterql
from conformance import RUNS_FILE
from served import serving_process

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="module")
def runs_file() -> Path:
    return RUNS_FILE


@pytest.fixture(scope="module")
def server(runs_file: Path) -> Iterator[str]:
    with serving_process(str(runs_file)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert errors == [], f"the page raised: {errors}"


def _ids(page: Page) -> list[str]:
    return page.eval_on_selector_all("#runs tbody tr", "rows => rows.map(r => r.dataset.id)")


def _expected(runs_file: Path, **kwargs) -> list[str]:
    return [str(r["id"]) for r in filterql.select(filterql.read_runs(runs_file), select=["id"], **kwargs)]


def test_misspelt_field_is_underlined_and_one_click_fixes_it(page: Page, runs_file: Path):
    page.goto("/")
    page.fill("#in-filter", 'eq(run_tipe, "llm")')
    mark = page.locator('.editor-field[data-name="filter"] .backdrop mark')
    expect(mark).to_have_text("run_tipe")
    expect(mark).to_have_attribute("title", re.compile("unknown field `run_tipe`"))
    item = page.locator('.editor-field[data-name="filter"] .diagnostics li[data-code="unknown-field"]')
    expect(item).to_contain_text("did you mean")
    item.get_by_role("button", name="run_type").click()
    expect(page.locator("#in-filter")).to_have_value('eq(run_type, "llm")')
    expect(mark).to_have_count(0)
    expected = _expected(runs_file, filter='eq(run_type, "llm")')
    page.wait_for_function("n => document.querySelectorAll('#runs tbody tr').length === n", arg=len(expected))
    assert _ids(page) == expected


def test_pages_forward_and_back_with_the_cursor(page: Page, runs_file: Path):
    page.goto("/?limit=10")
    expected = _expected(runs_file)
    assert len(expected) > 10
    page.wait_for_function("() => document.querySelectorAll('#runs tbody tr').length === 10")
    first = _ids(page)
    page.click("#next")
    page.wait_for_function("n => document.querySelectorAll('#runs tbody tr').length === n", arg=len(expected) - 10)
    assert first + _ids(page) == expected
    assert "cursor=" in page.url
    expect(page.locator("#next")).to_be_disabled()
    page.click("#prev")
    page.wait_for_function("() => document.querySelectorAll('#runs tbody tr').length === 10")
    assert _ids(page) == first


def test_a_run_opens_its_trace_and_reload_keeps_the_view(page: Page, runs_file: Path):
    page.goto("/")
    page.fill("#in-filter", 'eq(name, "ExpandQuery")')
    row = page.locator("#runs tbody tr").first
    expect(row).to_be_visible()
    run_id = row.get_attribute("data-id")
    run = next(r for r in filterql.read_runs(runs_file) if str(r["id"]) == run_id)
    trace = [r for r in filterql.read_runs(runs_file) if r["trace_id"] == run["trace_id"]]
    row.click()
    expect(page.locator("#tree li")).to_have_count(len(trace))
    expect(page.locator('#tree li[aria-selected="true"]')).to_have_attribute("data-id", run_id)
    expect(page.locator("#run-detail h3")).to_contain_text("ExpandQuery")
    assert f"run={run_id}" in page.url
    page.reload()
    expect(page.locator("#in-filter")).to_have_value('eq(name, "ExpandQuery")')
    expect(page.locator("#tree li")).to_have_count(len(trace))
    expect(page.locator('#tree li[aria-selected="true"]')).to_have_attribute("data-id", run_id)
    assert _ids(page) == _expected(runs_file, filter='eq(name, "ExpandQuery")')


def test_keyboard_completes_a_field_and_opens_a_run(page: Page):
    page.goto("/")
    page.focus("#in-filter")
    page.keyboard.type("eq(run_ty")
    expect(page.locator("#complete-filter")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#in-filter")).to_have_value("eq(run_type")
    page.keyboard.type(', "chain")')
    page.wait_for_function("() => document.querySelectorAll('#runs tbody tr').length > 0")
    page.locator("#runs tbody tr").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#tree li").first).to_be_visible()


def test_thread_view_lists_traces_in_conversation_order(page: Page, runs_file: Path):
    roots = filterql.select(filterql.read_runs(runs_file), filter='eq(thread_id, "conv-1")', is_root=True, select=["id"])
    assert len(roots) == 2
    page.goto(f"/?run={roots[-1]['id']}")
    page.get_by_role("button", name=re.compile("Open thread conv-1")).click()
    items = page.locator("#thread-traces li")
    expect(items).to_have_count(len(roots))
    assert items.evaluate_all("lis => lis.map(li => li.value)") == list(range(1, len(roots) + 1))
    oldest_first = [str(r["id"]) for r in reversed(roots)]  # select gives newest first; no ties here
    assert items.evaluate_all("lis => lis.map(li => li.dataset.trace)") == oldest_first


def test_a_server_failure_is_a_readable_message(page: Page):
    page.route("**/runs/query", lambda route: route.fulfill(status=500, body="Traceback (most recent call last): boom"))
    page.goto("/")
    message = page.locator("#message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("could not answer (HTTP 500)")
    expect(message).not_to_contain_text("Traceback")


def test_an_invalid_filter_from_the_url_is_explained_not_run(page: Page):
    page.goto("/?filter=" + "and(eq(name%2C%20%22x%22)")
    item = page.locator('.editor-field[data-name="filter"] .diagnostics li').first
    expect(item).to_contain_text("error[")
    expect(page.locator("#runs tbody tr")).to_have_count(0)


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "narrow"])
def test_layout_fits_the_screen_and_screenshots(browser, server, width: int, tmp_path: Path):
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=server)
    page = context.new_page()
    page.goto('/?filter=and(eq(run_type%2C%20%22llm%22)%2C%20gt(latency%2C%20%221s%22))')
    page.wait_for_function("() => document.querySelectorAll('#runs tbody tr').length > 0")
    page.locator("#runs tbody tr").first.click()
    expect(page.locator("#tree li").first).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"
    name = "page-desktop.png" if width > 800 else "page-narrow.png"
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if os.environ.get("FILTERQL_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / name, DOCS / name)
    context.close()
