"""The classroom files load and agree with the app: lessons point at real pages and questions, presets use only
URL parameters the pages read, links and lesson places round-trip, and the loaders stay free of UI code."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from classroom import content
from tests.test_widget_keys import literal_keys
from ui import classroom
from ui.tour import TOUR, live_pages

ROOT = Path(__file__).resolve().parent.parent


def page_url_keys() -> set[str]:
    """Every literal widget key in pages/ and ui/: the URL parameters a page can read (bind="query-params")."""
    keys: set[str] = set()
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")]:
        keys |= literal_keys(path)
        keys |= _fstring_keys(path)
        keys |= _prompt_box_keys(path)
    return keys


def _prompt_box_keys(path: Path) -> set[str]:
    """Keys handed to ui.lm.prompt_box (its first argument), whose text area is bound to the URL under that key."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "prompt_box"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


def _fstring_keys(path: Path) -> set[str]:
    """Keys written as f-strings (key=f"snap_{...}"): their literal start, matched below by prefix."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "key" and isinstance(kw.value, ast.JoinedStr) and kw.value.values:
                    first = kw.value.values[0]
                    if isinstance(first, ast.Constant):
                        found.add(str(first.value) + "{")
    return found


def test_the_loaders_read_every_file() -> None:
    assert len(content.lessons()) >= 4
    assert len(content.questions()) >= len(TOUR) - 2
    assert len(content.glossary()) >= 40


def test_lessons_cover_what_issue_18_asks() -> None:
    lessons = content.lessons()
    chatbot = [s.page for s in lessons["chatbot"].steps]
    assert list(dict.fromkeys(chatbot)) == ["tokens", "next_token", "generate", "attention"]
    assert any(s.question == "next_token.hotter" for s in lessons["chatbot"].steps)  # temperature
    noise = [s.question for s in lessons["noise"].steps]
    assert {"diffusion.forward_end", "diffusion.guidance_zero", "diffusion.ddim_ddpm"} <= set(noise)
    assert {"gan", "vae", "evaluation"} <= {s.page for s in lessons["forgers"].steps}
    assert {"limits", "training"} <= {s.page for s in lessons["wrong"].steps}


@pytest.mark.parametrize("lesson", content.lessons().values(), ids=lambda lesson: lesson.key)
def test_every_step_is_a_page_with_a_readable_preset(lesson: content.Lesson) -> None:
    tour = {p.key for p in TOUR}
    keys = page_url_keys()
    for number, step in enumerate(lesson.steps, start=1):
        assert step.page in tour, f"{lesson.key} step {number}: no page {step.page}"
        assert 10 <= len(step.say) <= 320, f"{lesson.key} step {number}: say one or two sentences"
        assert step.say.count(". ") <= 2, f"{lesson.key} step {number}: one or two sentences"
        for name in step.preset:
            assert _readable(name, keys), f"{lesson.key} step {number}: no page reads ?{name}="


def _readable(name: str, keys: set[str]) -> bool:
    return name in keys or any(k.endswith("{") and name.startswith(k[:-1]) for k in keys)


@pytest.mark.parametrize("question", content.questions().values(), ids=lambda q: q.id)
def test_every_question_is_complete(question: content.Question) -> None:
    keys = page_url_keys()
    assert question.page in {p.key for p in TOUR}
    assert len(question.choices) >= 3, "a right answer and at least two wrong ones"
    assert len({c.text for c in question.choices}) == len(question.choices)
    for choice in question.choices:
        assert choice.why and len(choice.why) <= 200, "one line per choice"
    for name in [*question.reveal, *question.setup]:
        assert _readable(name, keys), f"{question.id}: no page reads ?{name}="


def test_every_live_page_asks_a_question() -> None:
    asked = {q.page for q in content.questions().values()}
    missing = [p.key for p in live_pages() if p.key not in asked]
    assert missing == [], f"pages without a predict-then-see question: {missing}"


def test_the_classroom_parameters_are_no_page_widget_keys() -> None:
    assert not set(content.OWN_PARAMS) & page_url_keys()


def test_url_paths_follow_streamlit_page_names() -> None:
    assert classroom.url_path("next_token") == "Next_token"
    assert classroom.url_path("glossary") == "Glossary"
    assert classroom.url_path("home") == "./"


@pytest.mark.parametrize("lesson", classroom.lessons(), ids=lambda lesson: lesson.key)
def test_a_step_link_opens_that_step(lesson: content.Lesson) -> None:
    for index, step in enumerate(lesson.steps):
        link = classroom.step_link(lesson, index)
        path, _, query = link.partition("?")
        assert path == classroom.url_path(step.page)
        params = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(query).items()}
        place = classroom.lesson_place(step.page, params)
        assert place is not None and place.index == index and place.lesson.key == lesson.key
        question = classroom.current_question(step.page, params, place)
        if step.question:
            assert question is not None and question.id == step.question
        assert classroom.lesson_place("glossary", params) is None  # another page: not in the lesson there


def test_broken_lesson_parameters_are_ignored() -> None:
    for params in (
        {"lesson": "nope"},
        {"lesson": "chatbot", "lesson_step": "x"},
        {"lesson": "chatbot", "lesson_step": "99"},
    ):
        assert classroom.lesson_place("tokens", params) is None
    question = content.questions()["next_token.hotter"]
    for guess in ("0", "9", "x", ""):
        assert classroom.guess_of(question, {"ask": question.id, "guess": guess}) is None
    assert classroom.guess_of(question, {"ask": question.id, "guess": "2"}) == 1
    assert classroom.guess_of(question, {"ask": "other", "guess": "2"}) is None


def test_a_reveal_keeps_the_view_and_adds_the_answer() -> None:
    question = content.questions()["next_token.hotter"]
    params = classroom.reveal_params(question, 0, {"prompt": "Mia had a", "temperature": "1", "guess": "3"})
    assert params == {"prompt": "Mia had a", "temperature": "2", "ask": question.id, "guess": "1"}


def test_glossary_names_are_unique_and_every_page_word_is_an_entry() -> None:
    names = [n.lower() for t in content.glossary() for n in t.names]
    assert len(names) == len(set(names))
    for key, words in content.page_words().items():
        assert key in {p.key for p in TOUR} | {"home"}
        for word in words:
            assert content.term(word).term == word


def test_find_terms_matches_whole_words_only() -> None:
    assert content.find_terms("A GAN's forger; the organ", ["GAN", "organ", "forger"]) == ["GAN", "forger", "organ"]
    assert content.find_terms("token-level stuff", ["token"]) == []
    assert content.find_terms("Top-k and top-p", ["top-p", "top-k"]) == ["top-k", "top-p"]


def test_broken_files_are_reported_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lessons").mkdir()
    (tmp_path / "questions.toml").write_text(
        '[tokens.x]\nprompt = "P"\nanswer = 5\nreveal = { text = "a" }\n'
        'look = "l"\nchoices = [{ text = "a", why = "b" }, { text = "c", why = "d" }]\n'
    )
    monkeypatch.setattr(content, "CONTENT", tmp_path)
    content.questions.cache_clear()
    try:
        with pytest.raises(content.ContentError, match=r"questions.toml \[tokens.x\].*answer"):
            content.questions()
    finally:
        monkeypatch.undo()
        content.questions.cache_clear()


def _links(markdown: str) -> list[tuple[str, str, str]]:
    """(text, href, title) of every markdown link."""
    return re.findall(r'\[([^\]]*)\]\(([^ )]*)(?: "((?:[^"\\]|\\.)*)")?\)', markdown)


def test_glossary_links_go_on_the_first_appearance_only() -> None:
    text = "The GAN's forger and a GAN again; GANs too. Then the KL divergence, and KL alone."
    linked = classroom.link_terms(text)
    assert [(t, h) for t, h, _ in _links(linked)] == [
        ("GAN", "Glossary?term=GAN"),
        ("forger", "Glossary?term=Forger"),
        ("KL divergence", "Glossary?term=KL+divergence"),  # the longest name, not "KL" inside it
    ]
    title = _links(linked)[0][2]
    assert title == f"GAN: {content.term('GAN').plain}"  # the plain meaning, on hover and for screen readers
    assert re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", linked) == text  # the words themselves are untouched


def test_glossary_links_stay_out_of_words_code_latex_and_links() -> None:
    untouched = [
        "an organ, a tokenizers' list, token-level and GAN-like",  # inside or glued to other words
        "`softmax(x)` and ```\nGAN noise\n```",  # code
        r"$p_{\text{softmax}}$ and $$\text{GAN}$$",  # LaTeX
        "[the GAN page](GAN) and ![noise](noise.png)",  # existing links and pictures
        '<span title="GAN">x</span> and https://example.org/GAN',  # HTML and addresses
    ]
    for text in untouched:
        assert classroom.link_terms(text) == text, text
    mixed = "`GAN` code, then the GAN itself"
    assert _links(classroom.link_terms(mixed)) == [
        ("GAN", "Glossary?term=GAN", _links(classroom.link_terms("GAN"))[0][2])
    ]


def test_glossary_links_remember_the_page_and_quote_titles() -> None:
    seen: set[str] = set()
    first = classroom.link_terms("Softmax turns scores into odds.", seen)
    again = classroom.link_terms("Then softmax once more, and the temperature.", seen)
    assert [t for t, _, _ in _links(first)] == ["Softmax", "scores"]
    assert [t for t, _, _ in _links(again)] == ["temperature"]
    assert seen == {"Softmax", "Score", "Temperature"}
    assert classroom.link_terms("odds and clothes on a map") == "odds and clothes on a map"  # everyday senses
    assert [t for t, _, _ in _links(classroom.link_terms("GAN and VAE", only=["VAE"]))] == ["VAE"]
    for entry in content.glossary():  # every title survives markdown: quotes and backslashes escaped
        (link,) = _links(classroom.link_terms(entry.term))
        assert link[2].replace('\\"', '"').replace("\\\\", "\\") == f"{entry.term}: {entry.plain}"
