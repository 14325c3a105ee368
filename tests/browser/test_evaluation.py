"""The Evaluation page in a real browser: the "real or fake?" game by touch on a phone and by keyboard alone,
the dataset switch, and a shared link that reopens the same round, model and story. Screenshots to look at."""

from __future__ import annotations

from tests.browser.conftest import _watch, assert_clean, rerun, screenshot, wait_for_app

PHONE = (390, 844)
FIRST_VIEW_MS = 300_000  # a server's first view of the page draws and times every model (the warm-up's job when live)


def _open(new_page, server_url: str, path: str, width: int = 1280, height: int = 800):
    page = new_page(width, height)
    page.goto(f"{server_url}/{path}")
    wait_for_app(page, FIRST_VIEW_MS)
    return page


def _answered(page) -> None:
    page.get_by_text("of 12 right", exact=False).first.wait_for(timeout=60_000)


def test_evaluation_desktop_and_the_game_by_keyboard(new_page, server_url) -> None:
    page = _open(new_page, server_url, "Evaluation")
    page.get_by_text("sit closest to real ones", exact=False).first.wait_for(timeout=120_000)
    for section in ("Pictures side by side", "Five measures", "Real or fake?", "how surprised is each model"):
        assert page.get_by_text(section, exact=False).count() > 0, section
    screenshot(page, "evaluation-desktop", whole_page=True)
    assert_clean(page)
    # keyboard only: focus the first box, Space marks it; Tab on to the third box (each picture's full-screen
    # button is a stop on the way) and Space marks it; then Tab to the button and Enter
    first = page.get_by_role("checkbox", name="1: fake", exact=True)
    first.focus()
    page.keyboard.press("Space")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "3: fake":
            break
    page.keyboard.press("Space")
    assert first.is_checked()
    assert page.get_by_role("checkbox", name="3: fake", exact=True).is_checked()
    page.get_by_role("button", name="Check my answers").focus()
    rerun(page, lambda: page.keyboard.press("Enter"))
    _answered(page)
    assert page.get_by_text("The judge", exact=False).count() > 0
    screenshot(page, "evaluation-game-answered-desktop")
    assert_clean(page)


def test_evaluation_game_by_touch_on_a_phone(browser, server_url) -> None:
    context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        _watch(page, server_url)  # counts the server's answers, for rerun()
        page.goto(f"{server_url}/Evaluation?eval_game_model=VAE&eval_round=4")
        wait_for_app(page, FIRST_VIEW_MS)
        page.get_by_text("sit closest to real ones", exact=False).first.wait_for(timeout=120_000)
        for n in (2, 5):
            box = page.get_by_role("checkbox", name=f"{n}: fake", exact=True)  # the input itself is drawn hidden
            label = page.get_by_text(f"{n}: fake", exact=True)
            label.scroll_into_view_if_needed()
            label.tap()
            assert box.is_checked()
        rerun(page, lambda: page.get_by_role("button", name="Check my answers").tap())
        _answered(page)
        assert page.get_by_role("checkbox", name="2: fake", exact=True).is_checked()  # the ticks stay beside answers
        screenshot(page, "evaluation-phone", whole_page=True)
    finally:
        context.close()


def test_evaluation_dataset_switch_and_shared_link(new_page, server_url) -> None:
    link = "Evaluation?data=digits&eval_game_model=Diffusion&eval_round=5&eval_text_model=RNN"
    page = _open(new_page, server_url, link)
    page.get_by_text("On handwritten digits", exact=False).first.wait_for(timeout=120_000)
    assert "5" in page.locator('[data-testid="stSlider"]').filter(has_text="Round").first.inner_text()
    assert "Diffusion" in page.get_by_text("Which of these 12 pictures did the Diffusion draw?").first.inner_text()
    assert page.get_by_text("RNN (LSTM):", exact=False).count() > 0  # the surprise caption names the chosen model
    screenshot(page, "evaluation-digits-desktop")
    assert_clean(page)
    # back to clothes with the switch; the other settings stay in the URL
    switch = page.get_by_test_id("stButtonGroup").filter(has_text="digits").first
    rerun(page, lambda: switch.get_by_text("clothes", exact=True).click(), FIRST_VIEW_MS)
    page.get_by_text("On clothes", exact=False).first.wait_for(timeout=120_000)
    assert "eval_round=5" in page.url and "data=digits" not in page.url
    assert_clean(page)
