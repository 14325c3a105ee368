"""AppTest interactions on the VAE and diffusion pages (real shipped models, no browser)."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
VAE = "pages/6_VAE.py"
DIFFUSION = "pages/7_Diffusion.py"


def _open(page: str, query: dict[str, str] | None = None) -> AppTest:
    # The page frame links back to app.py, so run the app and switch to the page, as a visitor would.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(page)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at: AppTest) -> dict[str, dict]:
    return {
        json.loads(el.proto.spec)["layout"].get("title", {}).get("text", ""): json.loads(el.proto.spec)
        for el in at.get("plotly_chart")
    }


def _title_with(at: AppTest, words: str) -> str:
    matches = [t for t in _charts(at) if words in t]
    assert matches, f"no chart title contains {words!r}: {list(_charts(at))}"
    return matches[0]


def test_vae_map_scatter_and_point_decoding() -> None:
    at = _open(VAE)
    assert "finds 10 of 10" in _title_with(at, "The map holds")
    charts = _charts(at)
    scatter = charts[_title_with(at, "real digits land")]
    assert (
        sum(
            len(trace["x"]["bdata"]) > 0 if isinstance(trace["x"], dict) else len(trace["x"]) > 0
            for trace in scatter["data"]
        )
        >= 10
    )
    # Typing coordinates decodes that point.
    at.number_input(key="z1").set_value(-1.5)
    at.number_input(key="z2").set_value(1.8)
    at.run()
    assert not at.exception
    assert _title_with(at, "At (-1.5, 1.8) the judge sees a")
    # The clickable lattice carries latent coordinates.
    lattice = next(t for t in charts[_title_with(at, "The map holds")]["data"] if t.get("name") == "map")
    assert lattice["customdata"]


def test_vae_encode_draw_and_walk() -> None:
    at = _open(VAE)
    assert _title_with(at, "Cost for this digit")
    assert any("lands at" in c.value for c in at.caption)
    at.radio(key="src").set_value("Draw one")
    at.run()
    assert not at.exception and _title_with(at, "Click a square")
    clear = [b for b in at.button if "Clear" in b.label]
    assert clear
    clear[0].click()
    at.run()
    assert any("empty" in w.value for w in at.warning)
    at.radio(key="src").set_value("Upload a picture")
    at.run()
    assert not at.exception
    at.slider(key="walk").set_value(5)
    at.selectbox(key="wb_digit").set_value(0)
    at.run()
    title = _title_with(at, "in a straight line")
    assert "to a real 0" in title
    strip = _charts(at)[title]
    assert len(strip["layout"]["annotations"]) == 5


def test_vae_settings_come_from_the_url() -> None:
    at = _open(VAE, {"z1": "0.5", "z2": "-1.25", "walk": "4"})
    assert _title_with(at, "At (0.5, -1.2) the judge") or _title_with(at, "At (0.5, -1.3) the judge")
    assert at.slider(key="walk").value == 4


def test_diffusion_default_view_and_playback_frames() -> None:
    at = _open(DIFFUSION)
    titles = list(_charts(at))
    assert any(t.startswith("Step ") for t in titles)
    anim = _charts(at)[_title_with(at, "to replay the run")]
    assert len(anim["frames"]) >= 50  # browser-side playback, no reruns
    assert anim["layout"]["updatemenus"][0]["buttons"][0]["method"] == "animate"
    assert _title_with(at, "DDPM, 200 steps")
    assert "16 of 16 judged 3" in _title_with(at, "DDPM, 200 steps")


def test_diffusion_controls_prompt_sampler_and_steps() -> None:
    at = _open(DIFFUSION)
    at.segmented_control(key="digit").set_value(8)
    at.radio(key="sampler").set_value("DDIM")
    at.run()
    at.slider(key="steps").set_value(5)
    at.run()
    assert not at.exception
    assert any(s.value.startswith("2 · Reverse: making a 8") for s in at.subheader)
    assert _title_with(at, "of 5 (t =")
    at.slider(key="k_ddim").set_value(5)
    at.run()
    assert _title_with(at, "Step 5 of 5 (t = 0)")
    at.slider(key="t").set_value(199)
    at.run()
    assert _title_with(at, "By t = 199")


def test_diffusion_settings_come_from_the_url() -> None:
    at = _open(DIFFUSION, {"digit": "5", "w": "0.0", "sampler": "DDIM", "steps": "10", "seed": "3"})
    assert at.segmented_control(key="digit").value == 5
    assert at.slider(key="w").value == 0.0
    assert _title_with(at, "of 10 (t =")
