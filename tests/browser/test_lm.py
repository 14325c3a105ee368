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
    page.get_by_text("is the most likely next token", exact=False).first.wait_for(timeout=30_000)
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
    page.wait_for_url("**picks=**")
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
