"""Load and check the classroom files: content/lessons/*.toml, content/questions.toml, content/glossary.toml.

A *preset* is a page's state as URL query parameters (the values the pages' widgets already read from the URL),
written in the files as strings exactly as they appear in a link, so a preset and a shared link are one thing.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

CONTENT = Path(__file__).resolve().parent.parent / "content"

# Parameters the classroom itself puts in a page's URL; no page widget may use these keys.
LESSON_PARAM, STEP_PARAM, QUESTION_PARAM, GUESS_PARAM = "lesson", "lesson_step", "ask", "guess"
OWN_PARAMS = (LESSON_PARAM, STEP_PARAM, QUESTION_PARAM, GUESS_PARAM)

Preset = dict[str, str | list[str]]


class ContentError(ValueError):
    """A classroom file is malformed: the message names the file and the problem."""


@dataclass(frozen=True)
class Choice:
    text: str
    why: str  # for a wrong choice: one line on why it is wrong; for the right one: why it is right


@dataclass(frozen=True)
class Question:
    id: str
    page: str  # tour key
    prompt: str
    choices: tuple[Choice, ...]
    answer: int  # index into choices
    reveal: Preset = field(hash=False)  # the URL state in which the page itself shows the answer
    setup: Preset = field(hash=False)  # the URL state to ask the question in (empty: the page's defaults)
    look: str  # one line: where on the page the answer shows

    @property
    def right(self) -> Choice:
        return self.choices[self.answer]


@dataclass(frozen=True)
class Step:
    page: str  # tour key
    preset: Preset = field(hash=False)
    say: str  # one or two sentences for the teacher (or the reader) to say
    question: str | None = None  # a question id; its setup preset is applied with the step's own


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    icon: str
    summary: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Term:
    term: str
    plain: str
    technically: str
    aliases: tuple[str, ...]

    @property
    def slug(self) -> str:
        return slugify(self.term)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def query_string(preset: Preset) -> str:
    """A preset as a URL query string (lists become repeated parameters, as Streamlit writes them)."""
    return urlencode(preset, doseq=True)


def _preset(raw: object, where: str) -> Preset:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: a preset must be a table of URL parameters")
    out: Preset = {}
    for key, value in raw.items():
        if key in OWN_PARAMS:
            raise ContentError(f"{where}: '{key}' is the classroom's own URL parameter")
        if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            out[key] = value
        else:
            raise ContentError(f"{where}: preset value {key}={value!r} must be a string (as written in a link)")
    return out


def _text(raw: dict, name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}: '{name}' is missing or empty")
    return value.strip()


@functools.cache
def questions() -> dict[str, Question]:
    """Every question by id, in file order. Ids are `page.name`."""
    path = CONTENT / "questions.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, Question] = {}
    for page, entries in data.items():
        for name, raw in entries.items():
            where = f"{path.name} [{page}.{name}]"
            choices = raw.get("choices", [])
            if len(choices) < 2:
                raise ContentError(f"{where}: needs two or more choices")
            parsed = tuple(Choice(_text(c, "text", where), _text(c, "why", where)) for c in choices)
            answer = raw.get("answer")
            if not isinstance(answer, int) or not 1 <= answer <= len(parsed):
                raise ContentError(f"{where}: 'answer' must be the right choice's number, 1 to {len(parsed)}")
            reveal = _preset(raw.get("reveal"), where)
            if not reveal:
                raise ContentError(f"{where}: 'reveal' must set the page's state that shows the answer")
            out[f"{page}.{name}"] = Question(
                f"{page}.{name}",
                page,
                _text(raw, "prompt", where),
                parsed,
                answer - 1,
                reveal,
                _preset(raw.get("setup"), where),
                _text(raw, "look", where),
            )
    return out


def page_questions(page: str) -> list[Question]:
    return [q for q in questions().values() if q.page == page]


@functools.cache
def lessons() -> dict[str, Lesson]:
    """Every lesson by key (its file name), in the order of their `order` field."""
    found: list[tuple[int, Lesson]] = []
    known = questions()
    for path in sorted((CONTENT / "lessons").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        steps = []
        for number, raw in enumerate(data.get("steps", []), start=1):
            where = f"lessons/{path.name} step {number}"
            question = raw.get("question")
            if question is not None and question not in known:
                raise ContentError(f"{where}: no question '{question}' in questions.toml")
            if question is not None and known[question].page != raw.get("page"):
                raise ContentError(f"{where}: question '{question}' belongs to another page")
            steps.append(
                Step(_text(raw, "page", where), _preset(raw.get("preset"), where), _text(raw, "say", where), question)
            )
        if not steps:
            raise ContentError(f"lessons/{path.name}: a lesson needs steps")
        where = f"lessons/{path.name}"
        lesson = Lesson(
            path.stem,
            _text(data, "title", where),
            _text(data, "icon", where),
            _text(data, "summary", where),
            tuple(steps),
        )
        found.append((int(data.get("order", 99)), lesson))
    return {lesson.key: lesson for _, lesson in sorted(found, key=lambda pair: pair[0])}


@functools.cache
def glossary() -> tuple[Term, ...]:
    """Every term, sorted alphabetically (case-insensitive)."""
    path = CONTENT / "glossary.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    terms = []
    for number, raw in enumerate(data.get("term", []), start=1):
        where = f"{path.name} term {number}"
        aliases = tuple(raw.get("aliases", []))
        terms.append(
            Term(_text(raw, "term", where), _text(raw, "plain", where), _text(raw, "technically", where), aliases)
        )
    names = [name.lower() for t in terms for name in t.names]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ContentError(f"{path.name}: these names belong to more than one term: {duplicates}")
    return tuple(sorted(terms, key=lambda t: t.term.lower()))


@functools.cache
def page_words() -> dict[str, tuple[str, ...]]:
    """For each page key, the glossary terms its first screen uses, in the order a reader meets them."""
    data = tomllib.loads((CONTENT / "glossary.toml").read_text(encoding="utf-8"))
    by_name = {name.lower(): t.term for t in glossary() for name in t.names}
    out: dict[str, tuple[str, ...]] = {}
    for page, words in data.get("pages", {}).items():
        missing = [w for w in words if w.lower() not in by_name]
        if missing:
            raise ContentError(f"glossary.toml [pages] {page}: not in the glossary: {missing}")
        out[page] = tuple(dict.fromkeys(by_name[w.lower()] for w in words))
    return out


def term(name: str) -> Term:
    """The glossary entry for a term or one of its aliases (any case)."""
    for entry in glossary():
        if name.lower() in (n.lower() for n in entry.names):
            return entry
    raise KeyError(name)


def find_terms(text: str, names: list[str]) -> list[str]:
    """Which of `names` occur in `text` as whole words (any case), in order of first appearance."""
    hits = []
    for name in names:
        match = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, flags=re.IGNORECASE)
        if match:
            hits.append((match.start(), name))
    return [name for _, name in sorted(hits)]
