"""The History page in a real browser: a shared link reopens the exact view, the keyboard moves the distance,
typed text reaches both models, and the page works on a phone. Screenshots to look at."""

from __future__ import annotations

from tests.browser.conftest import assert_clean, rerun, screenshot, wait_for_app


def test_history_shared_link_keyboard_and_phone(open_page) -> None:
    page = open_page("History?hist_story=Mia+and+Tom+%28the+doll%29&hist_fillers=10")
    page.get_by_text("mistakes grow", exact=False).first.wait_for(timeout=60_000)
    assert page.get_by_text("looks straight", exact=False).count() > 0
    assert page.get_by_text("Tom", exact=False).count() > 0  # story 2: Mia and Tom
    screenshot(page, "history-desktop", whole_page=True)
    assert_clean(page)
    # keyboard: focus the distance slider and step it down; the URL keeps the new value
    thumb = page.get_by_role("slider", name="Filler sentences between the friend's name and the question")
    thumb.focus()
    rerun(page, lambda: page.keyboard.press("ArrowLeft"))
    page.wait_for_function("() => location.href.includes('hist_fillers=9')")
    assert_clean(page)
    # without the zoom on mistakes, the chart shows the whole 0-100% scale
    rerun(page, lambda: page.get_by_text("Zoom in on the mistakes").click())
    page.get_by_text("Both remember the friend's name", exact=False).first.wait_for(timeout=30_000)
    assert "hist_mistakes=false" in page.url
    screenshot(page, "history-full-scale-desktop")
    assert_clean(page)


def test_history_own_text_on_a_phone(open_page) -> None:
    phone = open_page("History?hist_source=Your+own+text", 390, 844)
    box = phone.get_by_role("textbox", name="Your text (both models read it and guess the next word)")
    box.fill("Once upon a time, there was a brave boy named Leo. He had a friend named Zoe. Leo and")
    rerun(phone, lambda: box.press("Control+Enter"))
    wait_for_app(phone)
    assert "hist_text=" in phone.url
    phone.get_by_text("Transformer: 'Zoe'", exact=False).first.wait_for(timeout=30_000)
    screenshot(phone, "history-phone", whole_page=True)
    assert_clean(phone)
