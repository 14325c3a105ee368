"""Every page, in a real browser: it finishes running, shows no exception, logs no console error,
asks nothing of any other origin, and is screenshotted at desktop and phone sizes."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_clean, screenshot
from ui.tour import live_pages

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


def url_path(page_path: str) -> str:
    """Streamlit's URL for a pages/ file: '2_Next_token.py' -> 'Next_token'."""
    if page_path == "app.py":
        return ""
    stem = page_path.rsplit("/", 1)[-1].removesuffix(".py")
    return re.sub(r"^\d+_", "", stem)


PAGES = ["app.py"] + [p.path for p in live_pages()]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_cleanly(open_page, page_path: str, viewport: str) -> None:
    page = open_page(url_path(page_path), *VIEWPORTS[viewport])
    name = "home" if page_path == "app.py" else url_path(page_path).lower()
    screenshot(page, f"{name}-{viewport}")
    screenshot(page, f"{name}-{viewport}-whole", whole_page=True)
    assert_clean(page)
