"""Every page, in a real browser: it finishes running, shows no exception, logs no console error,
asks nothing of any other origin, and is screenshotted at desktop and phone sizes."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import EXCEPTION, new_page, real_console_errors, screenshot, wait_for_app
from ui.tour import live_pages

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


def url_path(page_path: str) -> str:
    """Streamlit's URL for a pages/ file: '2_Next_token.py' -> 'Next_token'."""
    if page_path == "app.py":
        return ""
    stem = page_path.rsplit("/", 1)[-1].removesuffix(".py")
    return re.sub(r"^\d+_", "", stem)


PAGES = ["app.py"] + [p.path for p in live_pages()]


@pytest.mark.browser
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_cleanly(browser, server_url: str, page_path: str, viewport: str) -> None:
    width, height = VIEWPORTS[viewport]
    page = new_page(browser, server_url, width, height)
    try:
        page.goto(f"{server_url}/{url_path(page_path)}")
        wait_for_app(page)
        page.wait_for_timeout(500)  # let charts paint before the screenshot
        name = "home" if page_path == "app.py" else url_path(page_path).lower()
        screenshot(page, f"{name}-{viewport}")
        screenshot(page, f"{name}-{viewport}-whole", whole_page=True)
        assert page.locator(EXCEPTION).count() == 0, f"{page_path} shows an exception"
        errors = real_console_errors(page)
        assert errors == [], f"{page_path} logged console errors: {errors} (failed requests: {page.failed_urls})"
        assert page.external_requests == [], f"{page_path} contacted other origins: {page.external_requests}"
    finally:
        page.context.close()
