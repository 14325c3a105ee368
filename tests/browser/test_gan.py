"""The GAN page in a real browser: live training (screenshot taken mid-run), settings from the URL, digits replay."""

from __future__ import annotations

import re

from tests.browser.conftest import assert_clean, rerun, screenshot, wait_for_app

STEP = re.compile(r"^Step ([0-9,]+)$")
# The step counter as a number in the page, for waits that run in the browser.
STEP_JS = """() => {
    const strong = [...document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')]
        .find(el => /^Step [0-9,]+$/.test(el.textContent));
    return strong ? parseInt(strong.textContent.slice(5).replace(/,/g, '')) : null;
}"""


def _step(page) -> int:
    for text in page.locator('[data-testid="stMarkdownContainer"] strong').all_inner_texts():
        match = STEP.match(text.strip())
        if match:
            return int(match.group(1).replace(",", ""))
    raise AssertionError("no step counter on the page")


def _wait_step_above(page, step: int) -> None:
    page.wait_for_function(f"() => ({STEP_JS})() > {step}", timeout=60_000)


def test_live_training_mid_run_screenshot(open_page) -> None:
    page = open_page("GAN?speed=normal")
    assert _step(page) == 0
    page.get_by_role("button", name="▶️ Play").click()
    _wait_step_above(page, 299)
    first = _step(page)
    _wait_step_above(page, first)  # the page keeps training while playing
    page.get_by_text("The detective", exact=False).first.hover()  # no button tooltip in the picture
    page.locator('[data-testid="stImage"]').first.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    screenshot(page, "gan-live-mid-training-1280")  # taken while training runs
    page.get_by_role("button", name="⏸️ Pause").click()
    page.get_by_role("button", name="▶️ Play").wait_for(timeout=60_000)  # the page has rerun without the timer
    wait_for_app(page)
    paused = _step(page)
    # A negative check needs a window of time: while paused, a second of waiting must not move the counter.
    page.wait_for_timeout(1200)
    assert _step(page) == paused, "pause stops training"
    assert paused < 20_000, "mid-run, far from the cap"
    assert_clean(page)


def test_settings_from_a_shared_link(open_page) -> None:
    page = open_page("GAN?data=Spiral&lr_d=0.003&speed=fast")
    assert "data=Spiral" in page.url
    assert "spiral" in page.get_by_text("of at most").first.inner_text()
    rerun(page, lambda: page.get_by_role("button", name="⏭️ One step").click())
    assert _step(page) == 1
    assert_clean(page)


def test_digits_replay_and_phone_layout(open_page) -> None:
    for width, height, name in ((1280, 800, "gan-digits-replay-1280"), (390, 844, "gan-digits-replay-390")):
        page = open_page("GAN?mode=Digits", width, height)
        assert page.locator(".js-plotly-plot").count() >= 1
        assert page.get_by_text("Training step of our run").count() == 1
        screenshot(page, name)
        assert_clean(page)


def test_points_on_a_phone(open_page) -> None:
    page = open_page("GAN?data=Two+moons", 390, 844)
    rerun(page, lambda: page.get_by_role("button", name="⏭️ One step").click())
    screenshot(page, "gan-points-390")
    assert_clean(page)
