"""The language-model pages in a real browser: interactions, shared links, screenshots to look at."""

from __future__ import annotations

from tests.browser.conftest import assert_clean, rerun, screenshot, wait_for_app


def test_tokens_page_shows_chips_for_shared_text(open_page) -> None:
    page = open_page("Tokens?text=Zo%C3%AB+met+a+snorkelwhistle+%F0%9F%A5%9E")
    assert page.get_by_text("snorkelwhistle", exact=False).count() > 0
    assert page.locator(".js-plotly-plot").count() >= 2  # chips and the word-split bars
    screenshot(page, "lm-tokens-shared-link")
    assert_clean(page)


def test_next_token_knobs_and_link(open_page) -> None:
    page = open_page("Next_token?top_p=0.8&temperature=0.7")
    assert page.get_by_text("true odds", exact=False).count() > 0
    # The chart's title is drawn by Plotly after the script has finished: wait for it, do not just look.
    page.get_by_text("Most likely next", exact=False).first.wait_for(timeout=30_000)
    screenshot(page, "lm-next-token-desktop")
    assert_clean(page)
    phone = open_page("Next_token", 390, 844)
    screenshot(phone, "lm-next-token-phone")
    assert_clean(phone)


def test_generate_step_by_step_and_branch(open_page) -> None:
    page = open_page("Generate?dice=3")
    rerun(page, lambda: page.get_by_role("button", name="Next token").click())
    rerun(page, lambda: page.get_by_role("button", name="Generate 20").click())
    assert "written=21" in page.url
    first = page.locator('[data-testid="stCode"]').first.inner_text()
    page.get_by_role("button", name="Continue from this choice").click()
    page.wait_for_function("() => location.search.includes('picks=')")  # the URL changes in place: no load event
    wait_for_app(page)
    assert page.locator('[data-testid="stCode"]').first.inner_text() != first
    screenshot(page, "lm-generate-branched")
    assert_clean(page)
    # the shared link reopens the exact same story
    again = open_page(page.url.split("/", 3)[3])
    assert (
        again.locator('[data-testid="stCode"]').first.inner_text()
        == page.locator('[data-testid="stCode"]').first.inner_text()
    )


def test_attention_page_default_and_phone(open_page) -> None:
    page = open_page("Attention")
    assert page.get_by_text("copies names", exact=False).count() > 0
    page.get_by_text("All heads at once").click()  # an expander: opens in the browser, no rerun
    wait_for_app(page)  # its charts drawn and the layout still
    screenshot(page, "lm-attention-desktop")
    assert_clean(page)
    phone = open_page("Attention?layer=1&head=Average+of+all+heads", 390, 844)
    screenshot(phone, "lm-attention-phone")
    assert_clean(phone)


# The slider's position as the browser shows it, and what the charts under it describe.
_ATTENTION_STATE = """() => {
    const input = [...document.querySelectorAll('[data-testid="stSlider"] input[type="range"]')]
        .find((e) => e.getAttribute('aria-label') === 'Which token is looking?');
    const titles = [...document.querySelectorAll('.js-plotly-plot .gtitle')].map((t) => t.textContent);
    const heat = [...document.querySelectorAll('.js-plotly-plot')].find((c) => c.textContent.includes('Where each token looks'));
    const rows = heat ? [...heat.querySelectorAll('.yaxislayer-above .ytick text')].map((t) => t.textContent) : [];
    return {slider: input && input.getAttribute('aria-valuetext'), max: input && input.getAttribute('max'), titles, rows};
}"""


def test_attention_slider_and_charts_agree_after_an_edit(open_page) -> None:
    """After the text is edited, the slider and every chart under it describe the same token (the slider used to
    jump to the last token while the heatmap row, title and bars still described the old one)."""
    page = open_page("Attention")
    slider = page.get_by_role("slider", name="Which token is looking?")
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    wait_for_app(page)
    before = page.evaluate(_ATTENTION_STATE)
    assert before["slider"].startswith("22: "), before
    box = page.get_by_role("textbox", name="Your text")
    edits = [
        box.input_value() + " Tom. Mia and Tom played with the ball. Tom",
        "Once upon a time, there was a brave boy named Leo. He had a red kite. Leo",
    ]
    for text in edits:
        box.fill(text)
        rerun(page, lambda: page.keyboard.press("Control+Enter"))
        state = page.evaluate(_ATTENTION_STATE)
        index, label = state["slider"].split(": ", 1)
        assert index == state["max"], f"a new text starts at its last token: {state}"
        looks = next(t for t in state["titles"] if " looks most at " in t)
        assert looks.startswith(f"'{label}' looks most at"), state
        assert any(row.endswith(f"·{index}") for row in state["rows"]), state  # its row is in the heatmap
    screenshot(page, "lm-attention-after-edit")
    assert_clean(page)
