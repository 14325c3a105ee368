"""The language-model pages in a real browser: interactions, shared links, screenshots to look at."""

from __future__ import annotations

import pytest

from tests.browser.conftest import EXCEPTION, new_page, real_console_errors, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def _open(browser, server_url: str, path: str, width: int = 1280, height: int = 800):
    page = new_page(browser, server_url, width, height)
    page.goto(f"{server_url}/{path}")
    wait_for_app(page)
    page.wait_for_timeout(600)
    return page


def _clean(page) -> None:
    assert page.locator(EXCEPTION).count() == 0
    assert real_console_errors(page) == [], (page.console_errors, page.failed_urls)
    assert page.external_requests == [], page.external_requests


def test_tokens_page_shows_chips_for_shared_text(browser, server_url: str) -> None:
    page = _open(browser, server_url, "Tokens?text=Zo%C3%AB+met+a+snorkelwhistle+%F0%9F%A5%9E")
    try:
        assert page.get_by_text("snorkelwhistle", exact=False).count() > 0
        assert page.locator(".js-plotly-plot").count() >= 2  # chips and the word-split bars
        screenshot(page, "lm-tokens-shared-link")
        _clean(page)
    finally:
        page.context.close()


def test_next_token_knobs_and_link(browser, server_url: str) -> None:
    page = _open(browser, server_url, "Next_token?top_p=0.8&temperature=0.7")
    try:
        assert page.get_by_text("true odds", exact=False).count() > 0
        # The chart's title is drawn by Plotly after the script has finished: wait for it, do not just look.
        page.get_by_text("is the most likely next token", exact=False).first.wait_for(timeout=30_000)
        screenshot(page, "lm-next-token-desktop")
        _clean(page)
    finally:
        page.context.close()
    phone = _open(browser, server_url, "Next_token", 390, 844)
    try:
        screenshot(phone, "lm-next-token-phone")
        _clean(phone)
    finally:
        phone.context.close()


def test_generate_step_by_step_and_branch(browser, server_url: str) -> None:
    page = _open(browser, server_url, "Generate?dice=3")
    try:
        page.get_by_role("button", name="Next token").click()
        wait_for_app(page)
        page.get_by_role("button", name="Generate 20").click()
        wait_for_app(page)
        assert "written=21" in page.url
        first = page.locator('[data-testid="stCode"]').first.inner_text()
        page.get_by_role("button", name="Continue from this choice").click()
        wait_for_app(page)
        page.wait_for_timeout(500)
        assert "picks=" in page.url
        assert page.locator('[data-testid="stCode"]').first.inner_text() != first
        screenshot(page, "lm-generate-branched")
        _clean(page)
        # the shared link reopens the exact same story
        again = _open(browser, server_url, page.url.split("/", 3)[3])
        try:
            assert (
                again.locator('[data-testid="stCode"]').first.inner_text()
                == page.locator('[data-testid="stCode"]').first.inner_text()
            )
        finally:
            again.context.close()
    finally:
        page.context.close()


def test_attention_page_default_and_phone(browser, server_url: str) -> None:
    page = _open(browser, server_url, "Attention")
    try:
        assert page.get_by_text("copies names", exact=False).count() > 0
        page.get_by_text("All heads at once").click()
        page.wait_for_timeout(800)
        screenshot(page, "lm-attention-desktop")
        _clean(page)
    finally:
        page.context.close()
    phone = _open(browser, server_url, "Attention?layer=1&head=Average+of+all+heads", 390, 844)
    try:
        screenshot(phone, "lm-attention-phone")
        _clean(phone)
    finally:
        phone.context.close()
