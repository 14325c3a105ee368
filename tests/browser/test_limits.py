"""The Limits page in a real browser: a shared link reopens the exact view in every section, cutting the fact and
the keyboard update the URL, the cost section arrives once measured, and the page works on a phone."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.browser.conftest import assert_clean, rerun, screenshot, wait_for_app
from ui import limits as ui


def test_limits_shared_link_cut_toggle_and_keyboard(open_page) -> None:
    story = ui.story_labels()[5]
    query = urlencode(
        {"lim_story": story, "lim_model": "Gap-trained GPT", "lim_cut": "false", "lim_btemp": "0.5", "lim_mem": "Trained on 60,000 pictures"}
    )  # fmt: skip
    page = open_page(f"Limits?{query}")
    page.get_by_text("odds spread", exact=False).first.wait_for(timeout=60_000)  # the gap-trained GPT, fact cut
    assert page.get_by_text("Sampling (T = 0.5)", exact=False).count() > 0
    assert page.get_by_text("60,000 training pictures", exact=False).count() > 0
    assert page.locator("blockquote del, blockquote s").count() == 0  # the fact is restored: nothing struck out
    screenshot(page, "limits-shared-link-desktop", whole_page=True)
    assert_clean(page)
    # cut the fact: the sentence is struck through and the URL forgets the restored state (cut is the default)
    rerun(page, lambda: page.get_by_text("Cut the fact").click())
    page.wait_for_function("() => !location.href.includes('lim_cut=')")
    page.locator("blockquote del, blockquote s").first.wait_for(timeout=30_000)
    # keyboard: the bias temperature slider steps down, the URL keeps the new value
    thumb = page.get_by_role("slider", name="Creativity (temperature) when sampling")
    thumb.focus()
    rerun(page, lambda: page.keyboard.press("ArrowLeft"))
    page.wait_for_function("() => location.href.includes('lim_btemp=0.4')")
    page.get_by_text("Sampling (T = 0.4)", exact=False).first.wait_for(timeout=30_000)
    assert_clean(page)


def test_limits_cost_section_and_randomness_on_a_phone(open_page) -> None:
    phone = open_page("Limits?lim_rtemp=0&lim_large=GPT-3+175B", 390, 844)
    phone.get_by_text("All 100 continuations", exact=False).first.wait_for(timeout=60_000)
    # The cost table is measured once per server (the warm-up, or a background job): it appears by itself.
    phone.get_by_text("GPT-3 175B does", exact=False).first.wait_for(timeout=180_000)
    wait_for_app(phone)
    assert phone.get_by_text("Now a large language model", exact=False).count() > 0
    screenshot(phone, "limits-phone", whole_page=True)
    assert_clean(phone)
