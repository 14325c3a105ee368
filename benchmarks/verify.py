"""Did the visitor get what they asked for? Result checks for the load test, run on the page as the visitor sees it.

A run only counts as a success when the page shows the result it should, with a plausible value that matches
what the visitor asked for. A page that says "model not available", a step that "did not run" because the
server was busy, a "Busy, queued" notice still showing when the run ended, a missing chart or a wrong number
are failures, each of its own kind (FAILURE_KINDS), so the report can say what went wrong.

What each page must show is data: a tuple of `Expect` rows per page (benchmarks/loadtest.py, PLANS). The few
value checks that need arithmetic (odds add up, attention rows add up, an image is there) are named functions
in CHECKS. No server is needed to use this module: tests feed it recorded or hand-made pages.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.stclient import Element, RunResult

# Failure kinds, most telling first: a run that shows several is filed under the first.
FAILURE_KINDS: dict[str, str] = {
    "exception": "an exception box was drawn, or the script failed",
    "model_unavailable": "the page said a model is not available",
    "busy_not_run": "the page said the server was too busy, so the step did not run",
    "queued_never_completed": "a 'Busy, queued' notice was still showing when the run ended or timed out",
    "timeout": "no answer within the timeout",
    "connection": "the connection failed or was closed",
    "nothing_drawn": "the run finished without drawing anything",
    "missing": "an expected result was not on the page",
    "implausible": "an expected result was there, with an implausible value or not what the visitor asked for",
    "crash": "the load generator itself failed (a bug in the test, not the app)",
}

# What the app says in these cases (ui/frame.py, ui/compute.py).
MODEL_UNAVAILABLE = re.compile(r"model is not available|not available right now", re.IGNORECASE)
BUSY_NOT_RUN = re.compile(r"did not run", re.IGNORECASE)
QUEUED = re.compile(r"^\s*(⏳\s*)?Busy[,:]", re.IGNORECASE)
# Where the app puts these messages: boxes, text and toasts. A live refresh's own "⏳ Busy" caption is by design
# (the picture stays, training resumes on a later refresh): the load test counts those, it does not fail them.
MESSAGE_KINDS = ("alert", "markdown", "text", "toast")


@dataclass(frozen=True)
class Expect:
    """One result a page must show after every run (opening it, and each interaction).

    element:  "chart:<key>" for a Plotly chart drawn with that key, "player:<key>" for the diffusion step player
              (its text: the step it opens on, "Step k of S (t = ...)"), or an element type ("markdown", "metric",
              "heading", "code", "imgs", "alert", "page_link", ...): the first of that type whose text matches.
    pattern:  regular expression searched in the element's text (a chart: its title). Named groups are read:
              a group named like a widget key the visitor set must equal the value they set (numbers within
              0.05); a group name used by two rows must read the same in both.
    check:    a value check from CHECKS, run on the element and the groups read on the page.
    optional: may be absent (it is still checked when present), e.g. Generate's chart before any token.
    changes_with: widget keys; when the visitor changes one of them to a new value, this element must change.
    same_when:    widget key -> regular expression: the change of that widget may leave this element as it was
              while some element's text on the page matches (e.g. the kind asked for, at guidance 0).
    advances_on:  widgets (key or label piece) whose click must increase the pattern's first group, unless
              `done` matches somewhere on the page (the run reached its cap, the story ended).
    """

    what: str
    element: str
    pattern: str = ""
    check: str = ""
    optional: bool = False
    changes_with: tuple[str, ...] = ()
    same_when: dict[str, str] = field(default_factory=dict)
    advances_on: tuple[str, ...] = ()
    done: str = ""


@dataclass(frozen=True)
class Action:
    """What the visitor just did, so checks know what to expect."""

    kind: str  # "open", "set", "click", "tick" (a live refresh), "landing"
    widget: str = ""  # key (or label) of the widget set or clicked
    labels: tuple[str, ...] = ()  # the widget's key and label, for matching `advances_on`
    requested: dict[str, Any] = field(default_factory=dict)  # every value the visitor set on this page, by key
    before: dict[str, Any] = field(default_factory=dict)  # the same, before this action (defaults filled in)


@dataclass
class Failure:
    kind: str  # a key of FAILURE_KINDS
    detail: str


# ------------------------------------------------------------------------------------------ reading pages


def typed_values(value: Any) -> np.ndarray | None:
    """A Plotly data array as numbers: a plain list, or Plotly's typed-array form {"dtype", "bdata", "shape"}."""
    if value is None:
        return None
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value.get("dtype", "f8")))
        shape = value.get("shape")
        if shape:
            dims = [int(s) for s in str(shape).split(",")] if isinstance(shape, str) else [int(s) for s in shape]
            array = array.reshape(dims)
        return array.astype(float)
    try:
        return np.array([np.nan if v is None else v for v in value], dtype=float)
    except (TypeError, ValueError):
        return None


def chart_title(element: Element) -> str:
    chart = element.chart() or {}
    title = (chart.get("layout") or {}).get("title")
    if isinstance(title, dict):
        title = title.get("text")
    # A long title is wrapped with <br> so it fits a phone: read it as one line, as a visitor does.
    return re.sub(r"\s*<br\s*/?>\s*", " ", str(title or ""))


def player_text(element: Element) -> str:
    """The step player's opening step, worded as the player's own title."""
    data = element.chart() or {}
    try:
        k, steps = int(data["start"]), int(data["steps"])
        return f"Step {k + 1} of {steps} (t = {int(data['t'][k])})"
    except (KeyError, IndexError, TypeError, ValueError):
        return ""


def element_text(element: Element) -> str:
    if element.kind == "plotly_chart":
        return chart_title(element)
    return player_text(element) if element.kind == "bidi_component" else element.text


def find_element(page: list[Element], selector: str, pattern: re.Pattern[str] | None) -> tuple[Element, Any] | None:
    """The first element matching the selector (and the pattern, when given), with its regex match."""
    if selector.startswith(("chart:", "player:")):
        kind, key = selector.split(":", 1)
        kind = "plotly_chart" if kind == "chart" else "bidi_component"
        candidates = [e for e in page if e.kind == kind and e.key == key]
    else:
        candidates = [e for e in page if e.kind == selector]
    for element in candidates:
        if pattern is None:
            return element, None
        match = pattern.search(element_text(element))
        if match:
            return element, match
    return None


def _number(text: Any) -> float | None:
    if isinstance(text, bool):
        return float(text)
    if isinstance(text, int | float):
        return float(text)
    if isinstance(text, list | tuple) and len(text) == 1:
        return _number(text[0])
    try:
        return float(str(text).replace(",", "").strip())
    except ValueError:
        return None


def _one(value: Any) -> Any:
    """A one-option pick (segmented control, pills) as its option."""
    return value[0] if isinstance(value, list | tuple) and len(value) == 1 else value


def same_value(shown: Any, wanted: Any) -> bool:
    """A value read off the page against the one asked for: numbers within 0.05 (titles round to one decimal). An
    option labelled "3 ★ copies names" is the 3 a chart title shows: a shown number is compared with the label's
    leading number."""
    shown, wanted = _one(shown), _one(wanted)
    a, b = _number(shown), _number(wanted)
    if a is not None and b is None and isinstance(wanted, str):
        leading = re.match(r"\s*(\d+(?:\.\d+)?)(?!\S*\d)\b", wanted)
        b = float(leading.group(1)) if leading else None
    if a is not None and b is not None:
        return abs(a - b) <= 0.051
    return str(shown).strip().lower() == str(wanted).strip().lower()


def fingerprint(element: Element) -> str:
    proto = element.proto
    data = proto.SerializeToString() if hasattr(proto, "SerializeToString") else repr(proto).encode()
    return hashlib.blake2b(data, digest_size=8).hexdigest()


# ------------------------------------------------------------------------------------------ value checks
# Each takes (element, groups read on the page, the page, the action) and returns None when fine, else what is wrong.

Check = Callable[[Element, dict[str, Any], list[Element], Action], str | None]


def _trace_values(element: Element, index: int, axis: str) -> np.ndarray | None:
    data = (element.chart() or {}).get("data") or []
    return typed_values(data[index].get(axis)) if index < len(data) else None


def check_odds(element: Element, groups: dict[str, Any], page: list[Element], action: Action) -> str | None:
    """Next-token bars: probabilities in [0, 1] that add up to at most 1 (exactly 1 when every token still
    allowed is shown), the title names the tallest bar, and top-k keeps at most k tokens."""
    probs = _trace_values(element, 0, "x")
    labels = ((element.chart() or {}).get("data") or [{}])[0].get("y") or []
    if probs is None or len(probs) == 0:
        return "no probabilities in the chart"
    if np.isnan(probs).any() or probs.min() < 0 or probs.max() > 1 + 1e-6:
        return f"probabilities outside [0, 1]: {probs.tolist()[:5]}"
    total = float(probs.sum())
    if total > 1.001 or probs.max() <= 0:
        return f"shown probabilities add up to {total:.3f}"
    top = str(groups.get("top", ""))
    if top and isinstance(labels, list) and labels and labels[int(np.argmax(probs))] != top:
        return f"title names {top}, tallest bar is {labels[int(np.argmax(probs))]}"
    pct = _number(str(groups.get("top_pct", "")).lstrip("<>"))
    if pct is not None and abs(pct - 100 * float(probs.max())) > 1.0 and not str(groups.get("top_pct")).startswith("<"):
        return f"title says {pct}%, tallest bar is {100 * probs.max():.1f}%"
    allowed = _number(groups.get("allowed"))
    if allowed is not None:
        kept = int(np.count_nonzero(probs > 0))
        if allowed <= len(probs) and abs(total - 1) > 0.01:
            return f"all {allowed:.0f} allowed tokens are shown but add up to {total:.3f}"
        if kept > allowed:
            return f"{kept} bars have odds but only {allowed:.0f} tokens are allowed"
        top_k = _number(action.requested.get("top_k"))
        if top_k and top_k > 0 and allowed > top_k:
            return f"top-k = {top_k:.0f} but {allowed:.0f} tokens are allowed"
    return None


def check_rows_sum_to_one(element: Element, groups: dict[str, Any], page: list[Element], action: Action) -> str | None:
    """Attention heatmap: every row (a token looking back) adds up to 1 over the tokens it may see."""
    data = (element.chart() or {}).get("data") or []
    if not data:
        return "no data in the heatmap"
    z = typed_values(data[0].get("z"))
    if z is None or z.ndim != 2 or z.size == 0:
        return "no matrix in the heatmap"
    sums = np.nansum(z, axis=1)
    if not np.allclose(sums, 1.0, atol=0.02):
        return f"attention rows add up to {sums.min():.3f}..{sums.max():.3f}"
    return None


def check_sums_to_one(element: Element, groups: dict[str, Any], page: list[Element], action: Action) -> str | None:
    """A bar chart of shares (one token's attention): adds up to 1."""
    data = (element.chart() or {}).get("data") or [{}]
    values = _trace_values(element, 0, "x" if data[0].get("orientation") == "h" else "y")
    if values is None or len(values) == 0:
        return "no values in the chart"
    total = float(np.nansum(values))
    return None if abs(total - 1) <= 0.02 else f"shares add up to {total:.3f}"


def check_picture(element: Element, groups: dict[str, Any], page: list[Element], action: Action) -> str | None:
    """A chart that shows a picture: an image trace with real pixels (a PNG data URL or a matrix)."""
    data = (element.chart() or {}).get("data") or []
    images = [t for t in data if t.get("type") == "image"]
    if not images:
        return "no picture in the chart"
    for trace in images:
        source = str(trace.get("source") or "")
        if source.startswith("data:image/") and len(source) > 100:
            continue
        z = typed_values(trace.get("z"))
        if z is not None and z.size > 0:
            continue
        return "an empty picture"
    return None


def check_player(element: Element, groups: dict[str, Any], page: list[Element], action: Action) -> str | None:
    """The step player's run: three pictures with real pixels at every step, a timestep and a judge reading per
    step (shares in [0, 1])."""
    data = element.chart() or {}
    try:
        steps, (h, w) = int(data["steps"]), data["size"]
        pixels = np.frombuffer(base64.b64decode(data["pixels"]), dtype=np.uint8)
        curves = [np.asarray(c["y"], dtype=float) for c in data["curves"]]
        t = data["t"]
    except (KeyError, TypeError, ValueError):
        return "no run in the step player"
    if steps < 1 or pixels.size != steps * 3 * h * w or len(t) != steps:
        return f"{pixels.size} pixels and {len(t)} timesteps for {steps} steps of three {h}x{w} pictures"
    if pixels.reshape(steps, 3, h * w).std(axis=2).min() == 0:
        return "a blank picture in the run"
    if not curves or any(len(c) != steps or not np.all((c >= 0) & (c <= 1)) for c in curves):
        return "the judge's readings are missing or outside 0-100%"
    return None


def check_images(element: Element, groups: dict[str, Any], page: list[Element], action: Action) -> str | None:
    """st.image: at least one picture with real bytes behind it."""
    urls = [img.url for img in element.proto.imgs]
    if not urls:
        return "no picture"
    if any(not (u.startswith("data:image/") and len(u) > 100) and not u.startswith("/media/") for u in urls):
        return "an empty picture"
    return None


def check_token_chips(element: Element, groups: dict[str, Any], page: list[Element], action: Action) -> str | None:
    """Tokens page: one chip per token (up to the page's cap of 400 chips)."""
    n = _number(groups.get("n_tokens"))
    xs = _trace_values(element, 0, "x")
    if n is None or xs is None:
        return "no token count or no chips"
    if n < 1 or len(xs) != min(int(n), 400):
        return f"{len(xs)} chips for {n:.0f} tokens"
    return None


def check_tour(element: Element, groups: dict[str, Any], page: list[Element], action: Action) -> str | None:
    """Landing page: a card (link) in the main area for every page the sidebar lists (the sidebar also links home)."""
    main = [e for e in page if e.kind == "page_link" and e.path[:1] == (0,)]
    sidebar = [e for e in page if e.kind == "page_link" and e.path[:1] == (1,)]
    wanted = max(3, len(sidebar) - 1)
    return None if len(main) >= wanted else f"{len(main)} tour cards for {wanted} pages"


CHECKS: dict[str, Check] = {
    "odds": check_odds,
    "rows_sum_to_one": check_rows_sum_to_one,
    "sums_to_one": check_sums_to_one,
    "picture": check_picture,
    "images": check_images,
    "player": check_player,
    "token_chips": check_token_chips,
    "tour": check_tour,
}


# ------------------------------------------------------------------------------------------ the checker


def page_failure(result: RunResult) -> Failure | None:
    """Failures any page can show, whatever it is expected to draw."""
    if result.exceptions:
        return Failure("exception", "; ".join(result.exceptions)[:300])
    messages = [e for e in result.page if e.kind in MESSAGE_KINDS]
    for element in messages:
        if MODEL_UNAVAILABLE.search(element.text):
            return Failure("model_unavailable", element.text.splitlines()[0][:200])
    for element in messages:
        if BUSY_NOT_RUN.search(element.text):
            return Failure("busy_not_run", element.text[:200])
    if notice := queued_on(result.page):
        return Failure("queued_never_completed", notice)
    if result.drawn == 0:
        return Failure("nothing_drawn", "the run drew nothing")
    return None


def queued_on(page: Iterable[Element]) -> str | None:
    """The 'Busy, queued' notice on a page (after a timeout: the visitor was left waiting in line)."""
    for element in page:
        transient = -1 in element.path
        if (element.kind == "alert" or (transient and element.kind in MESSAGE_KINDS)) and QUEUED.search(element.text):
            return element.text[:200]
    return None


class Checker:
    """Checks one visitor's runs on one page against that page's Expect rows; remembers what it saw last
    (for `changes_with` and `advances_on`). Make a new one when the visitor opens a page."""

    def __init__(self, expects: tuple[Expect, ...]) -> None:
        self.expects = expects
        self._patterns = [re.compile(x.pattern) if x.pattern else None for x in expects]
        self.last_groups: dict[str, Any] = {}  # groups read on the page after the previous run
        self.last_prints: dict[int, str] = {}  # fingerprint of each expected element after the previous run
        self.checked = 0  # runs checked with no failure

    def check(self, result: RunResult, action: Action) -> Failure | None:
        failure = page_failure(result) or self._expected(result.page, action)
        if failure is None:
            self.checked += 1
        return failure

    def _expected(self, page: list[Element], action: Action) -> Failure | None:
        groups: dict[str, Any] = {}
        found: dict[int, Element] = {}
        problems: list[Failure] = []
        for i, (expect, pattern) in enumerate(zip(self.expects, self._patterns, strict=True)):
            hit = find_element(page, expect.element, pattern)
            clicked = action.kind == "click" and any(
                _widget_matches(name, action.labels) for name in expect.advances_on
            )
            if hit is None:
                if not expect.optional or clicked:
                    problems.append(Failure("missing", f"{expect.what} ({expect.element})"))
                continue
            element, match = hit
            found[i] = element
            for name, value in (match.groupdict() if match else {}).items():
                if value is not None and groups.get(name) is not None and not same_value(value, groups[name]):
                    problems.append(
                        Failure("implausible", f"{expect.what}: {name} = {value}, elsewhere {groups[name]}")
                    )
                if groups.get(name) is None:
                    groups[name] = value
                wanted = action.requested.get(name)
                if wanted is not None and not _matches_request(value, wanted):
                    problems.append(
                        Failure("implausible", f"{expect.what}: shows {name} = {value}, asked for {wanted}")
                    )
        for i, element in found.items():
            expect = self.expects[i]
            if expect.check:
                problem = CHECKS[expect.check](element, groups, page, action)
                if problem:
                    problems.append(Failure("implausible", f"{expect.what}: {problem}"))
            if expect.changes_with and action.kind == "set" and action.widget in expect.changes_with:
                before, now = action.before.get(action.widget), action.requested.get(action.widget)
                changed = before is not None and not same_value(now, before)
                excused = expect.same_when.get(action.widget)
                if excused and any(re.search(excused, element_text(e)) for e in page):
                    changed = False
                if changed and self.last_prints.get(i) == fingerprint(element):
                    problems.append(
                        Failure("implausible", f"{expect.what}: unchanged after {action.widget} {before} -> {now}")
                    )
            if (
                expect.advances_on
                and action.kind == "click"
                and any(_widget_matches(name, action.labels) for name in expect.advances_on)
            ):
                pattern = self._patterns[i]
                first = next(iter(pattern.groupindex), None) if pattern else None
                now, before = _number(groups.get(first)), _number(self.last_groups.get(first, 0))
                done = bool(expect.done) and any(re.search(expect.done, element_text(e)) for e in page)
                if now is not None and before is not None and now <= before and not done:
                    problems.append(Failure("implausible", f"{expect.what}: {first} stayed at {now:.0f}"))
        self.last_groups = groups
        self.last_prints = {i: fingerprint(e) for i, e in found.items()}
        if not problems:
            return None
        kind = "missing" if any(p.kind == "missing" for p in problems) else "implausible"
        return Failure(kind, "; ".join(p.detail for p in problems)[:400])


def _widget_matches(name: str, labels: tuple[str, ...]) -> bool:
    return any(name == label or (label and name.lower() in label.lower()) for label in labels)


def _matches_request(shown: Any, wanted: Any) -> bool:
    if shown is None:
        # The page shows a different form (e.g. "average of all heads" for a head): fine unless a number was asked.
        return _number(wanted) is None
    return same_value(shown, wanted)
