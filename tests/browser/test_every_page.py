"""Every page, in a real browser, at desktop and phone sizes, opened once and checked four ways:
- it finishes running, shows no exception, logs no console error and asks nothing of any other origin;
- it is screenshotted (the first screen and the whole page) for people to look at;
- axe-core finds no serious or critical accessibility violation (tests/browser/test_a11y.py);
- with every expander opened, no chart text is cut off or runs into other text (tests/browser/layout.py), and
  no chart is drawn twice because its margins were too small for its labels.

One opening serves all four checks: opening a page is most of a browser test's time, and this test once opened
every page three times over.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_clean, screenshot
from tests.browser.layout import expand_everything, grown_margins, text_problems
from ui.tour import live_pages

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
# Query strings that make a page draw its charts (Generate shows none until a story is written).
SHOWING = {"pages/3_Generate.py": "written=30&dice=3"}


def url_path(page_path: str) -> str:
    """Streamlit's URL for a pages/ file: '2_Next_token.py' -> 'Next_token'."""
    if page_path == "app.py":
        return ""
    stem = page_path.rsplit("/", 1)[-1].removesuffix(".py")
    return re.sub(r"^\d+_", "", stem)


PAGES = ["app.py"] + [p.path for p in live_pages()]
KEYS = {"app.py": "home"} | {p.path: p.key for p in live_pages()}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_cleanly_accessibly_and_unclipped(open_page, page_path: str, viewport: str) -> None:
    from tests.browser.test_a11y import describe, unexpected_violations

    name = KEYS[page_path]
    page = open_page(url_path(page_path), *VIEWPORTS[viewport])
    screenshot(page, f"{name}-{viewport}")
    screenshot(page, f"{name}-{viewport}-whole", whole_page=True)
    assert_clean(page)
    problems = []
    violations = unexpected_violations(page, name)
    if violations:
        problems.append(f"serious/critical accessibility violations:\n{describe(violations)}")
    if SHOWING.get(page_path):
        page = open_page(f"{url_path(page_path)}?{SHOWING[page_path]}", *VIEWPORTS[viewport])
    expand_everything(page)
    clipped = text_problems(page)
    if clipped:
        screenshot(page, f"layout-{name}-{viewport}", whole_page=True)
        problems.append(f"chart text cut off or overlapping ({len(clipped)}):\n" + "\n".join(clipped))
    redrawn = grown_margins(page)
    if redrawn:
        problems.append(f"charts drawn twice per update ({len(redrawn)}):\n" + "\n".join(redrawn))
    assert problems == [], f"{name} at {viewport}:\n" + "\n\n".join(problems)
    assert_clean(page)
