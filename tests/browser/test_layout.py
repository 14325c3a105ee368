"""No chart text cut off or run together on the text pages in the states that stretch their charts most, on a
phone (390 x 844) and a desktop (1280 x 800): every expander is opened so the charts inside are drawn too, and
tests/browser/layout.py measures each chart's title, axis titles, annotations, legend, tick labels and bar labels,
and checks that no chart's margins were too small for its labels (Plotly then draws it twice on every update).

Every page in its first state is checked the same way by tests/browser/test_every_page.py.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.layout import expand_everything, grown_margins, text_problems
from tests.browser.test_every_page import url_path

VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}


def _open_with_every_chart(open_page, path: str, query: str, viewport: str):
    page = open_page(url_path(path) + (f"?{query}" if query else ""), *VIEWPORTS[viewport])
    expand_everything(page)
    return page


# The text pages in the states that stretch their charts most: long and odd text, every knob on, a long story.
TEXT_STATES = {
    "tokens-emoji": ("pages/1_Tokens.py", "text=Zo%C3%AB+ate+a+cr%C3%AApe+%F0%9F%A5%9E+in+the+caf%C3%A9.+猫がマット"),
    "tokens-long": ("pages/1_Tokens.py", "text=" + "+".join(["Mia", "met", "a", "snorkelwhistle,"] * 12)),
    "next-token-knobs": ("pages/2_Next_token.py", "top_k=3&top_p=0.5&temperature=1.7"),
    "next-token-greedy": ("pages/2_Next_token.py", "temperature=0.0"),
    "next-token-story": ("pages/2_Next_token.py", "prompt=Once+upon+a+time%2C+there+was+a+little+girl+named"),
    "generate-greedy-long": ("pages/3_Generate.py", "pick=Always+the+favourite+%28greedy%29&written=120"),
    "attention-long": ("pages/4_Attention.py", "att_prompt=" + "Mia+had+a+red+ball.+" * 12),
    "attention-average": ("pages/4_Attention.py", "layer=1&head=Average+of+all+heads"),
}


# Every state on a phone, where width runs out first; on a desktop only the longest labels (each page's first state
# is checked at both sizes by test_every_page). Each case costs a browser opening, about 20 s.
DESKTOP_TOO = {"tokens-long", "attention-long"}
CASES = [(state, "phone") for state in TEXT_STATES] + [
    (state, "desktop") for state in TEXT_STATES if state in DESKTOP_TOO
]


@pytest.mark.parametrize(("state", "viewport"), CASES)
def test_text_pages_in_stretching_states(open_page, state: str, viewport: str) -> None:
    path, query = TEXT_STATES[state]
    page = _open_with_every_chart(open_page, path, query, viewport)
    problems = text_problems(page) + grown_margins(page)
    if problems:
        screenshot(page, f"layout-{state}-{viewport}", whole_page=True)
    assert problems == [], f"{state} at {viewport}:\n" + "\n".join(problems)
