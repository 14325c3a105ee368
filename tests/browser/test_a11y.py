"""Accessibility in a real browser: axe-core on every page (desktop and phone), and the keyboard alone.

The axe-core audit of every page runs inside tests/browser/test_every_page.py (one opening per page and size
serves every check); this module holds the audit itself and the keyboard tests.

axe-core is the version pinned in package.json / package-lock.json (scripts/test runs `npm ci`); Playwright injects
node_modules/axe-core/axe.min.js into the page, nothing is fetched. A page fails on any violation axe rates
"serious" or "critical" (WCAG 2 A/AA rules and best practices). Known violations that belong to a page's owner are
listed in KNOWN with the rule ids (xfail, not strict, so a fixed page shows as XPASS).

The keyboard test tabs from the top of each page until the focus reaches the page's main control (MAIN_CONTROLS),
then operates it with keys only and checks that the page answered.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import rerun, wait_for_app
from tests.browser.test_every_page import url_path
from ui.tour import live_pages

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")
# Rules run: WCAG 2.0/2.1/2.2 A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# (page key, rule id) -> why it is left to the page's owner. Pictures drawn with st.image without alt= (found on the
# GAN and VAE pages at 1280 px) are named centrally by ui/presenter.py's script; the owners should pass alt= (GAN:
# ui/gan.py; VAE/Diffusion: ui/image_data.py picture_row; Evaluation: ui/evaluation.py) and then drop these lines.
KNOWN: dict[tuple[str, str], str] = {
    (key, "image-alt"): "st.image without alt text" for key in ("gan", "vae", "diffusion", "evaluation", "limits")
}


def _axe_source() -> str:
    if AXE.exists():
        return AXE.read_text()
    message = f"axe-core is not installed at {AXE.relative_to(ROOT)} (run `npm ci` in the project folder)"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {message}")
    print(f"\n!!! SKIPPING ACCESSIBILITY TEST: {message}\n", file=sys.stderr)
    pytest.skip(f"SKIPPED LOUDLY: {message}")


def severe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; returns its serious and critical violations (id, impact, nodes)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_axe_source())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                                      summary: (n.failureSummary || '').slice(0, 200)}))}));
        }""",
        TAGS,
    )
    return [v for v in result if v["impact"] in SEVERE]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1, ensure_ascii=False)[:4000]


def unexpected_violations(page, key: str) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now, minus the page's KNOWN ones. Every page
    is audited at desktop and phone sizes by tests/browser/test_every_page.py, which opens each page once for all
    its checks; skips (or fails under CI) when axe-core is missing."""
    _axe_source()
    return [v for v in severe_violations(page) if (key, v["id"]) not in KNOWN]


# The main control of each page, reached by Tab from the top and operated by keys: (page key, accessible role, its
# name, the key to press once focused). Pages not listed here have no single main control yet.
# The name is None where the first control of that kind in tab order is the main one.
MAIN_CONTROLS = {
    "next_token": ("slider", None, "ArrowRight"),  # creativity (temperature), the first slider
    "tokens": ("textbox", None, None),  # "Your text"
    "attention": ("slider", None, "ArrowLeft"),  # "Which token is looking?" starts at the last token
}
MAX_TABS = 80


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; if (!e) return {};
            return {role: e.getAttribute('role') || (e.type === 'range' ? 'slider' : e.tagName.toLowerCase()), label: e.getAttribute('aria-label') || '',
                    text: (e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent || '').trim().slice(0, 80),
                    value: e.getAttribute('aria-valuenow') || e.value || ''}; }"""
    )


def _matches(focus: dict, role: str, name: str | None) -> bool:
    kinds = {"slider": ("slider",), "textbox": ("textarea", "input", "textbox")}[role]
    if focus.get("role") not in kinds:
        return False
    return name is None or name.lower() in (focus.get("label", "") + " " + focus.get("text", "")).lower()


@pytest.mark.parametrize("key", MAIN_CONTROLS)
def test_keyboard_reaches_and_operates_the_main_control(open_page, key: str) -> None:
    entry = next(p for p in live_pages() if p.key == key)
    role, name, press = MAIN_CONTROLS[key]
    page = open_page(url_path(entry.path))
    page.evaluate("document.activeElement && document.activeElement.blur()")  # Tab starts at the top of the page
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focus = _focused(page)
        if _matches(focus, role, name):
            break
    else:
        pytest.fail(f"{key}: {MAX_TABS} presses of Tab never reached the {role} {name!r}")
    before = focus.get("value")
    if press is None:  # a text box: type into it and submit with the keyboard
        rerun(
            page,
            lambda: (
                page.keyboard.press("Control+a"),
                page.keyboard.type("A cat."),
                page.keyboard.press("Control+Enter"),
            ),
        )
        words = page.locator(".glassbox-sr").first.text_content() or ""  # the token chart, in words
        assert "␣cat" in words, words
    else:
        rerun(page, lambda: page.keyboard.press(press))
        wait_for_app(page)
        assert _focused(page).get("value") != before, f"{key}: pressing {press} did not move the {name!r} slider"
