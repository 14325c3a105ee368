"""Lessons, questions, the glossary and the copy-link button in a real browser.

Every step of every lesson is walked with the keyboard (ArrowRight / PageDown, what presentation clickers send):
each step opens clean (no exception, console error or outside request), on its page, at its preset, with the lesson
bar saying where it is and the step's question asked. A question is answered by a click and the page opens at the
answer's state; the copy button puts the current view's address on the clipboard.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from classroom import content
from tests.browser.conftest import _watch, assert_clean, query_has, rerun, screenshot, wait_for_app
from ui import classroom

LESSONS = classroom.lessons()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def _expect_step(page, lesson: content.Lesson, index: int) -> None:
    """The page shows this lesson step: its address, its lesson bar and its question."""
    step = lesson.steps[index]
    url = urlparse(page.url)
    assert url.path.rstrip("/").endswith("/" + classroom.url_path(step.page)), f"step {index + 1} opened {page.url}"
    query = _query(page.url)
    for key, value in classroom.step_params(lesson, index).items():
        expected = [value] if isinstance(value, str) else value
        if key in content.OWN_PARAMS:
            assert query.get(key) == expected, f"{key} in {page.url}"
        else:  # a widget at its default value leaves the address (Streamlit drops it); any other value must stay
            assert query.get(key, expected) == expected, f"{key} in {page.url}"
    bar = page.locator(".st-key-gb_lesson_bar")
    bar.wait_for()
    text = bar.inner_text()
    assert f"step {index + 1} of {len(lesson.steps)}" in text
    assert step.say in text
    if step.question:
        question = content.questions()[step.question]
        expander = page.locator('[data-testid="stExpander"]', has_text=question.prompt)
        assert expander.count() == 1, f"step {index + 1}: question {step.question} not shown"
        for choice in question.choices:
            assert expander.get_by_text(choice.text, exact=False).first.is_visible()
    assert_clean(page)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_walk_every_step_with_next(open_page, lesson: content.Lesson) -> None:
    page = open_page(classroom.step_link(lesson, 0))
    for index in range(len(lesson.steps)):
        _expect_step(page, lesson, index)
        if index == 0:
            screenshot(page, f"lesson-{lesson.key}-step1")
        if index + 1 == len(lesson.steps):
            break
        page.locator("a.gb-lesson-next").first.click()
        page.wait_for_url(query_has(f"lesson_step={index + 2}"), wait_until="commit")
        wait_for_app(page)
    finish = page.locator("a.gb-lesson-next")
    assert "Finish" in finish.inner_text()


def test_clicker_keys_move_between_steps(open_page) -> None:
    lesson = LESSONS[0]
    page = open_page(classroom.step_link(lesson, 0))
    _expect_step(page, lesson, 0)
    page.mouse.click(5, 300)  # focus the page (the sidebar's empty part), not a control
    page.keyboard.press("ArrowRight")
    page.wait_for_url(query_has("lesson_step=2"), wait_until="commit", timeout=15_000)
    wait_for_app(page)
    _expect_step(page, lesson, 1)
    page.keyboard.press("PageUp")
    page.wait_for_url(query_has("lesson_step=1"), wait_until="commit", timeout=15_000)


def test_arrow_keys_do_nothing_while_typing(open_page) -> None:
    lesson = next(x for x in LESSONS if x.steps[0].page == "tokens")
    page = open_page(classroom.step_link(lesson, 0))
    # Leaving the page fires beforeunload at once, inside the key press: no waiting needed to see it did not.
    page.evaluate("window.addEventListener('beforeunload', () => { window.glassboxLeaving = true; })")
    page.get_by_role("textbox", name="Your text").click()
    for key in ("ArrowRight", "PageDown", "ArrowLeft", "PageUp"):
        page.keyboard.press(key)
    assert page.evaluate("window.glassboxLeaving === true") is False
    assert "lesson_step=1" in page.url
    assert_clean(page)


def test_a_question_is_answered_by_the_page(open_page) -> None:
    question = content.questions()["next_token.hotter"]
    for width, height in ((1280, 800), (390, 844)):
        page = open_page(f"Next_token?ask={question.id}", width=width, height=height)
        expander = page.locator('[data-testid="stExpander"]', has_text=question.prompt)
        expander.locator("summary").click()
        wrong = question.choices[0]
        expander.get_by_text(wrong.text).wait_for()
        before = page.get_by_test_id("stMetric").filter(has_text="Like choosing among").inner_text()
        screenshot(page, f"question-before-{width}")
        expander.get_by_text(wrong.text).click()
        page.wait_for_url(query_has("guess=1"), wait_until="commit")
        wait_for_app(page)
        query = _query(page.url)
        assert query["temperature"] == ["2"] and query["ask"] == [question.id]
        assert page.get_by_text("Not quite").first.is_visible()
        assert page.get_by_text(wrong.why, exact=False).first.is_visible()
        assert page.get_by_text(question.right.why, exact=False).first.is_visible()
        after = page.get_by_test_id("stMetric").filter(has_text="Like choosing among").inner_text()
        assert float(after.split()[-2]) > float(before.split()[-2]), (before, after)
        assert float(page.get_by_role("slider").first.input_value()) == 2  # an <input type=range> since 1.67
        screenshot(page, f"question-after-{width}")
        assert_clean(page)


def test_copy_link_copies_this_view(open_page, server_url: str) -> None:
    page = open_page("Next_token?temperature=1.5&top_k=5")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
    slider = page.get_by_role("slider").nth(1)  # temperature, top-k, top-p
    rerun(page, lambda: (slider.focus(), page.keyboard.press("ArrowRight")))  # the view changes: top_k 6
    page.wait_for_url(query_has("top_k=6"), wait_until="commit")
    button = page.get_by_role("button", name="Copy link to this view")
    button.click()
    page.get_by_text("Link copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.url
    assert _query(copied)["top_k"] == ["6"] and _query(copied)["temperature"] == ["1.5"]
    assert_clean(page)


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_landing_and_glossary(open_page, width: int, height: int) -> None:
    page = open_page("", width=width, height=height)
    for lesson in LESSONS:
        assert page.get_by_text(lesson.title).first.is_visible()
    screenshot(page, f"landing-{width}", whole_page=True)
    page = open_page("Glossary?find=soft", width=width, height=height)
    assert page.get_by_role("heading", name="Softmax").first.is_visible()
    screenshot(page, f"glossary-{width}")
    words = open_page("Next_token", width=width, height=height)
    words.get_by_role("button", name="Words on this page").click()
    words.get_by_text("The step that turns the model's scores into odds").wait_for()
    screenshot(words, f"words-on-page-{width}")
    assert_clean(words)


def test_a_glossary_word_in_the_text_opens_its_entry(open_page, server_url: str) -> None:
    """A word's first appearance in a page's text (ui.classroom.glossary_links) carries its meaning as the link's
    title (hover, screen readers) and shows it under the link when reached with Tab; a click opens the Glossary
    (in a new tab: the reader keeps their page) at that entry, first, above the list."""
    page = open_page("Generate")
    entry = content.term("greedy")
    link = page.locator(f'a[href="{classroom.term_href(entry)}"]')
    assert link.count() == 1, "linked once, at the word's first appearance"
    assert link.get_attribute("title") == f"{entry.term}: {entry.plain}"
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # by keyboard, so :focus-visible applies
    shown = link.evaluate("(a) => getComputedStyle(a, '::after').content")
    assert entry.plain in shown, f"no meaning under the focused link: {shown}"
    screenshot(page, "glossary-link-focused")
    page.context.on("page", lambda tab: _watch(tab, server_url))  # the new tab records errors like any test page
    with page.context.expect_page() as opened:
        link.click()
    glossary = opened.value
    wait_for_app(glossary)
    assert _query(glossary.url)["term"] == [entry.term]
    card = glossary.locator(".st-key-gb_opened_word")
    assert card.get_by_role("heading", name=entry.term).is_visible()
    assert card.get_by_text(entry.plain).is_visible()
    assert card.bounding_box()["y"] < 800, "the opened word is on the first screen"
    screenshot(glossary, "glossary-opened-word")
    assert_clean(page)
    assert_clean(glossary)
