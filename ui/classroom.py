"""The classroom on every page: the lesson bar, the "Predict first" question, "Words on this page" and the
"Copy link to this view" button. `ui.page_setup.setup_page` draws them under the page's promise.

Moving in a lesson or revealing an answer is a plain link that loads the page at a preset URL, so every lesson step
and every revealed answer is exactly what a shared link shows (a page's widgets read the URL on a fresh load; inside
a session their own state would win over a changed URL). The small scripts below run in the page itself (st.html),
installed once per browser tab, and fetch nothing.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import quote_plus, urlencode

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from classroom import content
from classroom.content import GUESS_PARAM, LESSON_PARAM, QUESTION_PARAM, STEP_PARAM, Lesson, Preset, Question
from ui.tour import HOME, live_pages, page

_log = logging.getLogger(__name__)

CLASSROOM_CSS = """<style>
.gb-row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin: 0; }
.gb-button { display: inline-block; padding: 0.35rem 0.8rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid rgba(49, 51, 63, 0.3); background: white; color: #262730 !important; font: inherit;
  font-size: 0.95rem; line-height: 1.4; text-decoration: none !important; }
.gb-button:hover, .gb-button:focus-visible { border-color: #0068c9; color: #0068c9 !important; }
.gb-button:focus-visible { outline: 2px solid #0068c9; outline-offset: 2px; }
.gb-primary { background: #0068c9; border-color: #0068c9; color: white !important; }
.gb-primary:hover, .gb-primary:focus-visible { background: #0056a6; color: white !important; }
.gb-choice { display: block; width: 100%; text-align: left; margin: 0.25rem 0; }
.gb-lesson-head { font-size: 0.95rem; color: #31333f; margin: 0 0 0.25rem 0; }
.gb-lesson-say { font-size: 1.05rem; margin: 0 0 0.5rem 0; }
.gb-hint { font-size: 0.8rem; color: #555867; }
/* A glossary word in the text (glossary_links): its meaning shows on hover (the title) and, for keyboard readers,
   under the focused link; screen readers read the title as the link's description. */
a[href*="Glossary?term="] { text-decoration-style: dotted !important; text-underline-offset: 0.15em; }
a[href*="Glossary?term="]:focus-visible { position: relative; outline: 2px solid #0068c9; outline-offset: 1px; }
a[href*="Glossary?term="]:focus-visible::after {
  content: attr(title); position: absolute; left: 0; top: calc(100% + 4px); z-index: 1000; width: max-content;
  max-width: min(24rem, 85vw); padding: 0.3rem 0.5rem; border-radius: 0.3rem; background: #262730; color: white;
  font-size: 0.85rem; font-weight: normal; font-style: normal; line-height: 1.35; white-space: normal; }
</style>"""

# One listener per browser tab for everything the classroom does in the page:
# - a link with data-gb-set="a=1&b=2" (and data-gb-drop="x y") opens the page's *current* URL with those parameters
#   set (and those dropped): the widgets may have moved since the server wrote the link's fallback href;
# - the copy button puts the current URL, query parameters and all, on the clipboard;
# - ArrowLeft/ArrowRight and PageUp/PageDown (what presentation clickers send) press the lesson's Back/Next, except
#   while the reader types or works a control that uses those keys itself (sliders, lists, radio groups).
CLASSROOM_JS = """<script>
(() => {
  if (window.glassboxClassroom) return;
  window.glassboxClassroom = true;
  const navigate = (link) => {
    const url = new URL(window.location.href);
    const drop = (link.dataset.gbDrop || "").split(" ").filter(Boolean);
    const set = new URLSearchParams(link.dataset.gbSet || "");
    for (const key of [...drop, ...set.keys()]) url.searchParams.delete(key);
    for (const [key, value] of set) url.searchParams.append(key, value);
    window.location.assign(url.toString());
  };
  const copy = async (button) => {
    const text = window.location.href;
    let done = false;
    try {
      await navigator.clipboard.writeText(text);
      done = true;
    } catch (error) {
      const box = document.createElement("textarea");
      box.value = text;
      box.setAttribute("readonly", "");
      box.style.position = "fixed";
      box.style.opacity = "0";
      document.body.appendChild(box);
      box.select();
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      box.remove();
    }
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = done ? "✅ Link copied" : "Copy this link from the address bar";
    button.dataset.copied = done ? text : "";
    setTimeout(() => { button.textContent = label; }, 2500);
  };
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.gb-copy");
    if (button) { event.preventDefault(); copy(button); return; }
    const link = event.target.closest("a[data-gb-set], a[data-gb-drop]");
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      navigate(link);
    }
  }, true);
  const busy = 'input, textarea, select, [contenteditable="true"], [role="slider"], [role="combobox"], ' +
    '[role="listbox"], [role="spinbutton"], [role="radiogroup"], [role="radio"], [role="tab"], [role="menu"]';
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const which = {ArrowRight: "next", PageDown: "next", ArrowLeft: "back", PageUp: "back"}[event.key];
    if (!which) return;
    const target = event.target;
    if (target && target.closest && target.closest(busy)) return;
    const link = document.querySelector(`a.gb-lesson-${which}`);
    if (!link) return;
    event.preventDefault();
    link.click();
  }, true);  // capture: before the app's own handlers, which may take the keys for scrolling
})();
</script>"""


def url_path(key: str) -> str:
    """The page's address relative to the app's root, as Streamlit names it from the file ("pages/2_Next_token.py"
    is "Next_token"; the landing page is the root). Relative, so a deployment under a sub-path still works."""
    if key == HOME.key:
        return "./"
    stem = page(key).path.rsplit("/", 1)[-1].removesuffix(".py")
    return re.sub(r"^[0-9]+[_ -]*", "", stem)


def link(key: str, params: Preset) -> str:
    query = content.query_string(params)
    return url_path(key) + (f"?{query}" if query else "")


def step_params(lesson: Lesson, index: int) -> Preset:
    """The URL state of a lesson step: which lesson and step, the question's setup, then the step's own preset."""
    step = lesson.steps[index]
    params: Preset = {LESSON_PARAM: lesson.key, STEP_PARAM: str(index + 1)}
    if step.question:
        params |= content.questions()[step.question].setup | {QUESTION_PARAM: step.question}
    return params | step.preset


def step_link(lesson: Lesson, index: int) -> str:
    return link(lesson.steps[index].page, step_params(lesson, index))


def reveal_params(question: Question, choice: int, current: Preset) -> Preset:
    """The URL that answers `question`: the current view, with the reveal preset and the reader's guess."""
    return current | question.reveal | {QUESTION_PARAM: question.id, GUESS_PARAM: str(choice + 1)}


@dataclass(frozen=True)
class LessonPlace:
    lesson: Lesson
    index: int  # 0-based step


def playable(lesson: Lesson) -> Lesson:
    """The lesson without steps on pages not built yet (no card, no link: see ui.tour.live_pages)."""
    live = {p.key for p in live_pages()}
    return replace(lesson, steps=tuple(s for s in lesson.steps if s.page in live))


def lessons() -> list[Lesson]:
    """The lessons that have steps to show, in their order."""
    return [lesson for lesson in map(playable, content.lessons().values()) if lesson.steps]


def lesson_place(key: str, params: Preset) -> LessonPlace | None:
    """The lesson step this page was opened at (from ?lesson=...&lesson_step=n), when that step is on this page."""
    lesson = next((x for x in lessons() if x.key == _one(params.get(LESSON_PARAM))), None)
    if lesson is None:
        return None
    try:
        index = int(_one(params.get(STEP_PARAM)) or "1") - 1
    except ValueError:
        return None
    if not 0 <= index < len(lesson.steps) or lesson.steps[index].page != key:
        return None
    return LessonPlace(lesson, index)


def current_question(key: str, params: Preset, place: LessonPlace | None) -> Question | None:
    """The question to ask here: the one named in the URL, else the lesson step's, else the page's first."""
    asked = content.questions().get(_one(params.get(QUESTION_PARAM)))
    if asked is not None and asked.page == key:
        return asked
    if place is not None and place.lesson.steps[place.index].question:
        return content.questions()[place.lesson.steps[place.index].question]
    mine = content.page_questions(key)
    return mine[0] if mine else None


def guess_of(question: Question, params: Preset) -> int | None:
    """The reader's choice (0-based), when the URL says they answered this question."""
    if _one(params.get(QUESTION_PARAM)) != question.id:
        return None
    try:
        choice = int(_one(params.get(GUESS_PARAM)) or "0") - 1
    except ValueError:
        return None
    return choice if 0 <= choice < len(question.choices) else None


def _one(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return value[-1] if value else ""
    return value or ""


def _params() -> Preset:
    return {
        k: st.query_params.get_all(k) if len(st.query_params.get_all(k)) > 1 else st.query_params[k]
        for k in st.query_params
    }


def _anchor(href: str, label: str, classes: str, **data: str) -> str:
    attributes = "".join(f' data-gb-{name}="{html.escape(value)}"' for name, value in data.items())
    return f'<a class="gb-button {classes}" href="{html.escape(href)}"{attributes}>{html.escape(label)}</a>'


def first_screen(key: str) -> None:
    """Under a page's promise: the lesson bar (in a lesson), the question, and the page's tools. Broken classroom
    files cost the page its classroom parts, never the page itself (tests/test_classroom.py checks the files)."""
    try:
        content.lessons(), content.page_words()
    except (OSError, ValueError) as error:  # tomllib.TOMLDecodeError and ContentError are ValueErrors
        _log.error("classroom content unreadable: %s", error)
        return
    params = _params()
    st.html(CLASSROOM_CSS)
    st.html(CLASSROOM_JS, unsafe_allow_javascript=True)
    place = lesson_place(key, params)
    if place is not None:
        lesson_bar(place)
    question = current_question(key, params, place)
    if question is not None:
        predict_box(
            question, params, opened=place is not None and place.lesson.steps[place.index].question == question.id
        )
    tools(key)


def lesson_bar(place: LessonPlace) -> None:
    lesson, index = place.lesson, place.index
    total = len(lesson.steps)
    back = step_link(lesson, index - 1) if index > 0 else link(HOME.key, {})
    back_label = "⬅️ Back" if index > 0 else "⬅️ All lessons"
    last = index == total - 1
    forward = link(HOME.key, {}) if last else step_link(lesson, index + 1)
    forward_label = "🏁 Finish: back to the tour" if last else "Next ➡️"
    with st.container(border=True, key="gb_lesson_bar"):
        st.html(
            f'<p class="gb-lesson-head">{lesson.icon} <b>Lesson: {html.escape(lesson.title)}</b> · '
            f"step {index + 1} of {total}</p>"
            f'<p class="gb-lesson-say">{html.escape(lesson.steps[index].say)}</p>'
            f'<div class="gb-row">{_anchor(back, back_label, "gb-lesson-back")}'
            f"{_anchor(forward, forward_label, 'gb-primary gb-lesson-next')}"
            '<span class="gb-hint">Keys: ← → or Page Up / Page Down</span></div>'
        )


def predict_box(question: Question, params: Preset, opened: bool) -> None:
    guess = guess_of(question, params)
    label = f"Predict first: {question.prompt}" if guess is None else f"Your prediction: {question.prompt}"
    with st.expander(label, expanded=opened or guess is not None, icon="🤔"):
        if guess is None:
            base = {k: v for k, v in params.items() if k != GUESS_PARAM}
            st.html(
                '<p class="gb-hint">Choose one: the page then changes to show you.</p>'
                + "".join(
                    _anchor(
                        "?" + urlencode(reveal_params(question, i, base), doseq=True),
                        f"{chr(65 + i)}. {choice.text}",
                        "gb-choice",
                        set=content.query_string(reveal_params(question, i, {})),
                    )
                    for i, choice in enumerate(question.choices)
                )
            )
            return
        chosen, right = question.choices[guess], question.right
        if guess == question.answer:
            st.success(f"**You said: {chosen.text}. Right!** {right.why}", icon="✅")
        else:
            st.warning(f"**You said: {chosen.text}. Not quite:** {chosen.why}", icon="🤔")
            st.success(f"**The answer: {right.text}.** {right.why}", icon="✅")
        st.markdown(f"👀 **See it on the page:** {question.look}")
        again = {k: v for k, v in params.items() if k not in question.reveal and k != GUESS_PARAM} | question.setup
        st.html(
            '<div class="gb-row">'
            + _anchor(
                "?" + urlencode(again, doseq=True),
                "↩️ Ask again",
                "gb-again",
                set=content.query_string(question.setup),
                drop=" ".join([GUESS_PARAM, *question.reveal]),
            )
            + "</div>"
        )


def tools(key: str) -> None:
    """The copy-link button and, when the page has any, the words on its first screen from the glossary."""
    words = content.page_words().get(key, ())
    with st.container(horizontal=True, gap="small", key="gb_tools"):
        st.html(
            '<button type="button" class="gb-button gb-copy" title="Copies this page\'s address, with every '
            'setting you chose, so whoever opens it sees this same view">🔗 Copy link to this view</button>',
            width="content",
        )
        if words:
            with st.popover("📖 Words on this page"):
                for name in words:
                    entry = content.term(name)
                    st.markdown(f"**{entry.term}**: {entry.plain} [More]({term_href(entry)})")


# ----------------------------------------------------------------------------- glossary words in the text

TERM_PARAM = "term"  # the Glossary page's "Open a word" box: ?term=Softmax opens that entry
_LINKED_KEY = "_gb_glossary_linked"
# Names that are everyday words in most sentences here, so a link on them would point at the wrong sense.
EVERYDAY = frozenset({"map", "static", "clothes", "odds", "train", "collapse", "network", "networks", "classify"})
# Parts of markdown a link must never go into: code, LaTeX, existing links and pictures, HTML tags, web addresses.
_KEEP_OUT = re.compile(
    r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|(?<!\\)\$[^$\n]+\$|!?\[[^\]]*\]\([^)]*\)|<[^>\n]*>|https?://\S+", re.DOTALL
)


def term_href(entry: content.Term) -> str:
    """The Glossary page opened at this entry (relative, like every link here)."""
    return f"{url_path('glossary')}?{TERM_PARAM}={quote_plus(entry.term)}"


@functools.cache
def _term_names() -> tuple[re.Pattern[str], dict[str, content.Term]]:
    by_name = {n.lower(): t for t in content.glossary() for n in t.names if n.lower() not in EVERYDAY}
    names = sorted(by_name, key=len, reverse=True)  # the longest name wins: "KL divergence" before "KL"
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE), by_name


def _title(entry: content.Term) -> str:
    return f"{entry.term}: {entry.plain}".replace("\\", "\\\\").replace('"', '\\"')


def link_terms(text: str, seen: set[str] | None = None, only: Iterable[str] | None = None) -> str:
    """`text` (markdown) with the first appearance of each glossary word made a link to its Glossary entry, titled
    with its plain meaning. `seen` holds the terms already linked (on this page): they are not linked again, and
    the ones linked here are added. `only` limits the words to these terms. Never inside a word, code, LaTeX, an
    existing link or an HTML tag."""
    seen = set() if seen is None else seen
    allowed = None if only is None else {content.term(name).term for name in only}
    pattern, by_name = _term_names()

    def link(match: re.Match[str]) -> str:
        entry = by_name[match.group(0).lower()]
        if entry.term in seen or (allowed is not None and entry.term not in allowed):
            return match.group(0)
        seen.add(entry.term)
        return f'[{match.group(0)}]({term_href(entry)} "{_title(entry)}")'

    out, start = [], 0
    for kept in _KEEP_OUT.finditer(text):
        out += [pattern.sub(link, text[start : kept.start()]), kept.group(0)]
        start = kept.end()
    out.append(pattern.sub(link, text[start:]))
    return "".join(out)


def glossary_links(text: str) -> str:
    """`text` with glossary links on the words not yet linked on this page: call it on a page's text, in page order,
    e.g. `st.markdown(classroom.glossary_links("..."))`. What counts as "this page" is one run of its script (a
    fragment's rerun links its own text again)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return link_terms(text)
    # Streamlit gives each run a new `cursors` dict: the record belongs to the run whose dict it holds.
    record = st.session_state.get(_LINKED_KEY)
    if record is None or record[0] is not ctx.cursors:
        record = (ctx.cursors, set())
        st.session_state[_LINKED_KEY] = record
    return link_terms(text, record[1])


# ----------------------------------------------------------------------------- the Glossary page


def glossary_terms() -> tuple[content.Term, ...]:
    return content.glossary()


def matching_terms(terms: tuple[content.Term, ...], find: str) -> list[content.Term]:
    """Terms whose name, other names or explanation contain `find` (any case); all of them for an empty search."""
    needle = find.strip().lower()
    if not needle:
        return list(terms)
    return [t for t in terms if needle in " ".join((*t.names, t.plain, t.technically)).lower()]


def letter_index(terms: list[content.Term]) -> None:
    """One link per first letter, to the first term starting with it."""
    firsts: dict[str, str] = {}
    for entry in terms:
        firsts.setdefault(entry.term[0].upper(), entry.slug)
    if len(firsts) > 1:
        st.markdown(" · ".join(f"[{letter}](#{slug})" for letter, slug in firsts.items()))


def open_word(terms: tuple[content.Term, ...]) -> content.Term | None:
    """The "Open a word" box: a word's link in a page's text (?term=Softmax) opens its entry here, above the list."""
    chosen = st.selectbox(
        "Open a word",
        [t.term for t in terms],
        index=None,
        key="term",  # TERM_PARAM, written out so tests/test_classroom.py finds the URL parameter
        bind="query-params",
        placeholder="Choose a word",
        help="A word's link in a page's text opens it here.",
    )
    return next((t for t in terms if t.term == chosen), None)


def opened_card(entry: content.Term) -> None:
    """The entry a reader came for, first, in a box of its own (the full list follows)."""
    with st.container(border=True, key="gb_opened_word"):
        st.markdown(f"#### 📖 {entry.term}")
        term_body(entry)


def term_card(entry: content.Term) -> None:
    with st.container(border=True):
        st.subheader(entry.term, anchor=entry.slug)
        term_body(entry)


def term_body(entry: content.Term) -> None:
    pages = [page(key).title for key, words in content.page_words().items() if entry.term in words and key != HOME.key]
    st.markdown(entry.plain)
    st.caption(f"**Technically:** {entry.technically}")
    extra = []
    if entry.aliases:
        extra.append("Also written: " + ", ".join(entry.aliases))
    if pages:
        extra.append("On the first screen of: " + ", ".join(pages))
    if extra:
        st.caption(" · ".join(extra))


def glossary_deeper() -> str:
    counts = {key: len(words) for key, words in content.page_words().items()}
    listed = ", ".join(f"{page(key).title} {n}" for key, n in counts.items() if key != HOME.key)
    return (
        f"**Where the words come from.** `content/glossary.toml` holds the {len(content.glossary())} entries and, for "
        f"each page, the words on its first screen ({listed}). A test opens every page, reads its title, promise and "
        "the text above its first chart, and fails if a word from its jargon list appears there without an entry "
        "here and a place in that page's list."
    )


def home_tools() -> None:
    """The landing page's copy-link button and words (its title is drawn by app.py, after `setup_page`)."""
    st.html(CLASSROOM_CSS)
    st.html(CLASSROOM_JS, unsafe_allow_javascript=True)
    tools(HOME.key)
