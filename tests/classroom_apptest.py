"""AppTest helpers for the classroom tests: open a page at URL parameters and read what it shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ui.tour import HOME, page

ROOT = Path(__file__).resolve().parent.parent
CLASSROOM_KEYS = ("gb_tools", "gb_lesson_bar")  # the classroom's own parts: not the page's text


def open_at(key: str, params: dict[str, str | list[str]] | None = None, timeout: float = 300):
    """Run a page (tour key) under AppTest as the app runs it, with these URL query parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if key != HOME.key:
        at.switch_page(page(key).path)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, f"{key} {params}: {[e.value for e in at.exception]}"
    return at


def elements(at) -> list:
    """Every element of the main area in page order, without the classroom's own boxes and popovers."""
    out: list = []

    def walk(node) -> None:
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            proto = getattr(node, "proto", None)
            label = getattr(getattr(proto, "expandable", None), "label", "") if proto is not None else ""
            if label.startswith(("Predict first:", "Your prediction:")):
                return
            block_id = str(getattr(proto, "id", "")) if proto is not None else ""
            if getattr(node, "type", "") == "popover" or block_id.endswith(tuple(f"-{k}" for k in CLASSROOM_KEYS)):
                return
            for index in sorted(children):
                walk(children[index])
            return
        out.append(node)

    walk(at.main)
    return out


def chart_titles(at) -> list[str]:
    titles = []
    for element in elements(at):
        if getattr(element, "type", "") == "plotly_chart":
            title = json.loads(element.proto.spec).get("layout", {}).get("title", {})
            titles.append((title.get("text", "") if isinstance(title, dict) else str(title)).replace("<br>", " "))
    return titles


def chart_title(at, pattern: str) -> re.Match:
    """The first chart title matching `pattern` (a regex), as a match."""
    for title in chart_titles(at):
        match = re.search(pattern, title)
        if match:
            return match
    raise AssertionError(f"no chart title matches {pattern!r}: {chart_titles(at)}")


def texts(at) -> list[str]:
    """The text of every markdown-like element, in page order."""
    kinds = {"markdown", "title", "header", "subheader", "caption", "success", "info", "warning", "error"}
    return [str(e.value) for e in elements(at) if getattr(e, "type", "") in kinds]


def text_match(at, pattern: str) -> re.Match:
    for text in texts(at):
        match = re.search(pattern, text)
        if match:
            return match
    raise AssertionError(f"no text matches {pattern!r}")


def metric(at, label: str) -> str:
    for element in at.metric:
        if element.label == label:
            return str(element.value)
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def first_screen_text(at) -> str:
    """The page's first screen as a reader meets it: title, promise, and all text above its first chart. A page
    whose first chart comes late (or never, before a button is pressed) ends its first screen at its first section
    header or its "What you are seeing" box."""
    kinds = {"markdown", "title", "header", "subheader", "caption", "success", "info", "warning", "error"}
    parts = []
    for element in elements(at):
        kind = getattr(element, "type", "")
        if kind in ("plotly_chart", "header") or str(getattr(element, "value", "")).startswith("**What you are seeing"):
            break
        if kind in kinds:
            parts.append(str(element.value))
        elif kind == "metric":
            parts.append(f"{element.label} {element.value}")
        elif hasattr(element, "label") and isinstance(getattr(element, "label", None), str):
            parts.append(element.label)  # a control's name is read before the chart it changes
    return "\n".join(parts)
