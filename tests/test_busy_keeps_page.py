"""When the server is too busy for a step, the page keeps what it showed and offers a retry (issue 11, section 4).

The limiter is forced busy with the test hook `ui.compute.simulate_busy()`: every heavy request that needs a
slot is refused at once, as if it had waited its full turn. Real shipped diffusion model, AppTest, no browser.
"""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.compute import simulate_busy

ROOT = Path(__file__).resolve().parent.parent
DIFFUSION = "pages/7_Diffusion.py"


def _open(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(DIFFUSION)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def _charts(at: AppTest) -> dict[str, dict]:
    """Every keyed chart's figure, and the step player's data under its key ("player")."""
    charts = {chart.key: json.loads(chart.proto.spec) for chart in at.get("plotly_chart") if chart.key}
    players = {el.proto.id.rsplit("-", 1)[-1]: json.loads(el.proto.json) for el in at.get("bidi_component")}
    return charts | players


def _busy_notices(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "did not run" in w.value]


def _retry_buttons(at: AppTest) -> list:
    return [b for b in at.button if b.label == "Try again"]


def test_a_busy_step_keeps_the_page_and_offers_a_retry() -> None:
    at = _open({"data": "digits", "kind": "4", "seed": "11", "ddpm": "true"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    before = _charts(at)
    assert {"player", "gfull", "gfast", "timing"} <= set(before)

    at.slider(key="seed").set_value(12)  # a new picture is needed, but the server is full
    with simulate_busy():
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    notices = _busy_notices(at)
    assert notices and all("previous result" in n for n in notices)
    assert _retry_buttons(at)
    kept = _charts(at)
    # The lower half is still there: the step player, both grids and the timing, from the previous settings.
    assert {"player", "gfull", "gfast", "timing"} <= set(kept)
    assert kept["gfull"]["data"] == before["gfull"]["data"]
    assert kept["player"] == before["player"]
    assert at.get("plotly_chart") and any(m.value.startswith("**What you are seeing.**") for m in at.info)

    _retry_buttons(at)[0].click()  # the server has room again
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not _busy_notices(at) and not _retry_buttons(at)
    after = _charts(at)
    assert after["gfull"]["data"] != before["gfull"]["data"]  # seed 12's pictures now
    assert after["player"]["pixels"] != before["player"]["pixels"]
    assert after["player"]["run"] != before["player"]["run"]  # a new run: the browser's player starts it afresh


def test_a_busy_first_view_says_so_and_retries() -> None:
    at = _open(
        {"data": "digits", "kind": "6", "seed": "13", "ddpm": "true"}
    )  # a visit with nothing computed yet for these settings
    with simulate_busy():
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _busy_notices(at) and _retry_buttons(at)
    assert "player" not in _charts(at)  # nothing to keep yet: the page stops at the step, with its retry
    assert "fwd" in _charts(at)  # what needs no heavy work is still drawn above it
    _retry_buttons(at)[0].click()
    at.run()
    assert not at.exception
    assert not _busy_notices(at)
    assert {"player", "gfull", "gfast"} <= set(_charts(at))


def test_a_busy_history_step_keeps_its_charts() -> None:
    """The load test saw History lose its long-range chart when the server was full: the fragment stopped before
    drawing it. Its side-by-side reading now keeps the visitor's previous result, like every heavy view."""
    from tests.conftest import open_page

    at = open_page("pages/11_History.py", {"hist_fillers": "2"})
    assert not at.exception, [e.value for e in at.exception]
    before = _charts(at)
    assert {"hist_curve", "hist_state", "hist_attention"} <= set(before)
    at.slider(key="hist_fillers").set_value(4)
    with simulate_busy():
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _busy_notices(at) and _retry_buttons(at)
    assert {"hist_curve", "hist_state", "hist_attention"} <= set(_charts(at))
