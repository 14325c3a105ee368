"""The GAN page in a real browser: live training (screenshot taken mid-run), settings from the URL, digits replay."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import EXCEPTION, new_page, real_console_errors, screenshot, wait_for_app

pytestmark = pytest.mark.browser
STEP = re.compile(r"^Step ([0-9,]+)$")


def _step(page) -> int:
    for text in page.locator('[data-testid="stMarkdownContainer"] strong').all_inner_texts():
        match = STEP.match(text.strip())
        if match:
            return int(match.group(1).replace(",", ""))
    raise AssertionError("no step counter on the page")


def _clean(page) -> None:
    assert page.locator(EXCEPTION).count() == 0
    assert not real_console_errors(page), (page.console_errors, page.failed_urls)
    assert not page.external_requests, page.external_requests


def test_live_training_mid_run_screenshot(page, server_url: str) -> None:
    page.goto(f"{server_url}/GAN?speed=normal")
    wait_for_app(page)
    assert _step(page) == 0
    page.get_by_role("button", name="▶️ Play").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')]
                 .some(el => /^Step [0-9,]+$/.test(el.textContent) && parseInt(el.textContent.slice(5).replace(/,/g, '')) >= 300)""",
        timeout=60_000,
    )
    first = _step(page)
    page.wait_for_timeout(1500)
    second = _step(page)
    assert second > first, "the page keeps training while playing"
    page.get_by_text("The detective", exact=False).first.hover()  # no button tooltip in the picture
    page.locator('[data-testid="stImage"]').first.scroll_into_view_if_needed()
    page.wait_for_timeout(400)
    screenshot(page, "gan-live-mid-training-1280")  # taken while training runs
    page.get_by_role("button", name="⏸️ Pause").click()
    wait_for_app(page)
    paused = _step(page)
    page.wait_for_timeout(1200)
    assert _step(page) == paused, "pause stops training"
    assert paused < 20_000, "mid-run, far from the cap"
    _clean(page)


def test_settings_from_a_shared_link(page, server_url: str) -> None:
    page.goto(f"{server_url}/GAN?data=Spiral&lr_d=0.003&speed=fast")
    wait_for_app(page)
    assert "data=Spiral" in page.url
    assert "spiral" in page.get_by_text("of at most").first.inner_text()
    page.get_by_role("button", name="⏭️ One step").click()
    wait_for_app(page)
    assert _step(page) == 1
    _clean(page)


def test_digits_replay_and_phone_layout(browser, server_url: str) -> None:
    for width, height, name in ((1280, 800, "gan-digits-replay-1280"), (390, 844, "gan-digits-replay-390")):
        page = new_page(browser, server_url, width, height)
        try:
            page.goto(f"{server_url}/GAN?mode=Digits")
            wait_for_app(page)
            page.wait_for_selector(".js-plotly-plot", timeout=30_000)
            assert page.get_by_text("Training step of our run").count() == 1
            screenshot(page, name)
            _clean(page)
        finally:
            page.context.close()


def test_points_on_a_phone(browser, server_url: str) -> None:
    page = new_page(browser, server_url, 390, 844)
    try:
        page.goto(f"{server_url}/GAN?data=Two+moons")
        wait_for_app(page)
        page.get_by_role("button", name="⏭️ One step").click()
        wait_for_app(page)
        screenshot(page, "gan-points-390")
        _clean(page)
    finally:
        page.context.close()
