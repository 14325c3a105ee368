"""The page frame on a phone (issue 12): Plotly's toolbar never covers a chart's title, and the page menu closes
after a choice. At desktop width both stay as they were."""

from __future__ import annotations

from tests.browser.conftest import assert_clean, rerun, screenshot, wait_for_app

PHONE = (390, 844)
DESKTOP = (1280, 800)
SIDEBAR_BOX = """() => { const s = document.querySelector('[data-testid="stSidebar"]');
    if (!s) return null; const r = s.getBoundingClientRect(); return {left: r.left, right: r.right}; }"""
MODEBARS = """() => [...document.querySelectorAll('.modebar-container')].map(e => getComputedStyle(e).display)"""


def _open_menu(page) -> None:
    page.locator('[data-testid="stExpandSidebarButton"]').first.click()
    page.wait_for_function(f"() => {{ const b = ({SIDEBAR_BOX})(); return b && b.left >= 0 && b.right > 100; }}")


def test_plotly_toolbar_is_hidden_on_a_phone_only(open_page) -> None:
    page = open_page("Diffusion", *PHONE)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # a tap shows the toolbar
    displays = page.evaluate(MODEBARS)
    assert displays and set(displays) == {"none"}, displays
    screenshot(page, "phone-diffusion-chart-tapped")
    assert_clean(page)
    desktop = open_page("Diffusion", *DESKTOP)
    assert "none" not in desktop.evaluate(MODEBARS)  # a mouse and a wide screen keep the toolbar


def test_page_menu_closes_after_a_choice_on_a_phone(open_page) -> None:
    page = open_page("", *PHONE)
    _open_menu(page)
    link = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]', has_text="Attention")
    rerun(page, lambda: link.first.click())
    page.wait_for_url("**/Attention")
    wait_for_app(page)
    page.wait_for_function(f"() => {{ const b = ({SIDEBAR_BOX})(); return !b || b.right <= 0; }}")
    screenshot(page, "phone-menu-after-choice")
    assert_clean(page)


def test_page_menu_stays_open_on_a_desktop(open_page) -> None:
    page = open_page("", *DESKTOP)
    box = page.evaluate(SIDEBAR_BOX)
    if not box or box["right"] <= 0:
        _open_menu(page)
    link = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]', has_text="Tokens")
    rerun(page, lambda: link.first.click())
    page.wait_for_url("**/Tokens")
    wait_for_app(page)
    box = page.evaluate(SIDEBAR_BOX)
    assert box and box["left"] >= 0 and box["right"] > 100  # beside the page, it covers nothing
