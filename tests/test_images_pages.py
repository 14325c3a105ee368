"""AppTest interactions on the VAE and diffusion pages (real shipped models, no browser): clothes by default, digits
on request, honest headlines and warnings."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
VAE = "pages/6_VAE.py"
DIFFUSION = "pages/7_Diffusion.py"


@pytest.fixture(autouse=True)
def _one_visitor_without_a_share_limit():
    """Every AppTest here is the same visitor to the heavy-work limiter: without this, the heavy work of the tests
    before would use up that visitor's share, and a later page would say "did not run" (tested in test_compute)."""
    import ui.compute  # noqa: F401 - sets the shares
    from serving.limiter import HEAVY

    share = HEAVY.visitor_share
    HEAVY.set_slots(HEAVY.slots, visitor_share=1.0)
    yield
    HEAVY.set_slots(HEAVY.slots, visitor_share=share)


def _open(page: str, query: dict[str, str] | None = None) -> AppTest:
    # The page frame links back to app.py, so run the app and switch to the page, as a visitor would.
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(page)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [w.value for w in at.warning if "did not run" in w.value]  # the limiter let every step run
    return at


def _charts(at: AppTest) -> dict[str, dict]:
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    return {spec["layout"].get("title", {}).get("text", "").replace("<br>", " "): spec for spec in specs}


def _title_with(at: AppTest, words: str) -> str:
    matches = [t for t in _charts(at) if words in t]
    assert matches, f"no chart title contains {words!r}: {list(_charts(at))}"
    return matches[0]


def _player(at: AppTest) -> dict:
    """The diffusion step player's data (a custom component: the steps move in the browser)."""
    players = [json.loads(el.proto.json) for el in at.get("bidi_component") if el.proto.id.endswith("-player")]
    assert len(players) == 1, f"{len(players)} step players"
    return players[0]


def _player_title(at: AppTest) -> str:
    data = _player(at)
    k = data["start"]
    return f"Step {k + 1} of {data['steps']} (t = {data['t'][k]})"


def _pictures(at: AppTest) -> list:
    """The pictures of st.image rows (the walk, the forward noise)."""
    return [img for el in at.get("image") for img in el.proto.imgs]


# ------------------------------------------------------------------------------------------------------ VAE


def test_vae_opens_on_clothes_with_map_scatter_and_decoding() -> None:
    at = _open(VAE)
    assert at.segmented_control(key="data").value == "clothes"
    title = _title_with(at, "the judge reads")
    assert int(title.split("reads ")[1].split(" of")[0]) >= 8  # the shipped model's bar: 8 of 10 kinds
    scatter = _charts(at)[_title_with(at, "real pictures land")]
    named = {t["name"] for t in scatter["data"] if t.get("showlegend", True) is not False}
    assert {"T-shirt", "trousers", "ankle boot"} <= named  # the colours are named for clothes
    assert any(s.value.startswith("2 · Encode a piece of clothing") for s in at.subheader)
    assert [o for o in at.radio(key="src").options] == ["Pick a real one", "Upload a picture"]  # no pad for clothes
    at.number_input(key="z1").set_value(-1.5)
    at.number_input(key="z2").set_value(1.8)
    at.run()
    assert _title_with(at, "At (-1.5, 1.8) the judge sees")
    assert not at.warning  # on the map: no warning
    lattice = next(t for t in _charts(at)[_title_with(at, "the judge reads")]["data"] if t.get("name") == "map")
    assert lattice["customdata"]


def test_vae_warns_in_plain_words_about_a_point_off_the_map() -> None:
    at = _open(VAE, {"z1": "3.8", "z2": "-3.5"})
    assert any("off the map" in w.value and "guessing" in w.value for w in at.warning)
    # The map widens to show the decoded point and marks its own edge.
    fig = _charts(at)[_title_with(at, "the judge reads")]
    assert fig["layout"]["xaxis"]["range"][1] > 3.8 and fig["layout"]["shapes"]


def test_vae_walk_labels_say_how_far_along_and_tooltips_count_right() -> None:
    at = _open(VAE, {"walk": "5", "wb_kind": "bag"})
    pictures = _pictures(at)
    assert [p.caption for p in pictures] == ["0%", "25%", "50%", "75%", "100%"]
    assert any("how far along the walk" in m.value and "to a bag" in m.value for m in at.markdown)
    slider = at.slider(key="wb_ex")
    assert slider.max == 200 and "200 real held-out examples of bag" in slider.help


def test_vae_switches_to_digits_and_keeps_the_drawing_pad() -> None:
    at = _open(VAE, {"data": "digits"})
    assert _title_with(at, "real digits land")
    assert any(s.value.startswith("2 · Encode a digit") for s in at.subheader)
    at.radio(key="src").set_value("Draw one")
    at.run()
    assert not at.exception
    assert any("drag to draw a stroke" in c.value for c in at.caption)
    at.button[[b.label for b in at.button].index("Clear the drawing")].click()
    at.run()
    assert any("empty" in w.value for w in at.warning)
    # Each digit's example count is its own (36 or 37, not "37 of each digit").
    at.selectbox(key="wa_kind").set_value(1)
    at.run()
    slider = at.slider(key="wa_ex")
    assert f"{int(slider.max)} real held-out examples of 1" in slider.help


def test_vae_settings_come_from_the_url() -> None:
    at = _open(VAE, {"z1": "0.5", "z2": "-1.25", "walk": "4", "data": "digits"})
    assert _title_with(at, "At (0.5, -1.2) the judge") or _title_with(at, "At (0.5, -1.3) the judge")
    assert at.slider(key="walk").value == 4
    assert at.segmented_control(key="data").value == "digits"


def test_a_drawn_stroke_is_checked_before_use() -> None:
    """What the drawing pad sends back is untrusted: only a full grid of finite numbers is kept, clipped to 0..1."""

    def page() -> None:
        import numpy as np
        import streamlit as st

        from ui.touch import pad_cells

        for sent in ([0.5] * 64, [2.0, -1.0] * 32, [1.0] * 63, "x", [float("nan")] * 64):
            st.session_state["pad"] = {"cells": sent}
            cells = pad_cells("pad", (8, 8))
            st.write("none" if cells is None else f"{cells.shape} {float(np.min(cells))} {float(np.max(cells))}")

    at = AppTest.from_function(page, default_timeout=60)
    at.run()
    assert [m.value for m in at.markdown] == ["(8, 8) 0.5 0.5", "(8, 8) 0.0 1.0", "none", "none", "none"]


def test_a_photo_of_clothing_is_converted_for_the_clothes_map() -> None:
    from io import BytesIO

    from PIL import Image, ImageDraw

    from ui.vae import _picture_from_upload

    photo = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(photo).polygon([(30, 150), (270, 150), (270, 110), (160, 60), (30, 110)], fill=(40, 40, 40))
    buffer = BytesIO()
    photo.save(buffer, "JPEG")
    picture, problem = _picture_from_upload("fashion_28x28", "a-shoe", buffer.getvalue())
    assert problem == "" and picture.shape == (28, 28) and picture.max() == pytest.approx(1.0)
    assert picture[0].max() < 0.2 and picture[14].max() > 0.8  # the background is dark, the shoe bright


# ------------------------------------------------------------------------------------------------ diffusion


def test_diffusion_opens_on_clothes_with_a_stored_run_in_the_step_player() -> None:
    at = _open(DIFFUSION)
    assert at.segmented_control(key="kind").value == 7  # sneaker
    assert any(s.value == "2 · Reverse: making a sneaker from static" for s in at.subheader)
    assert _player_title(at).startswith("Step 10 of 20 (t =")  # it opens half way through
    player = _player(at)
    pixels = np.frombuffer(base64.b64decode(player["pixels"]), dtype=np.uint8).reshape(20, 3, 28, 28)
    assert pixels[-1, 2].min() < 60 and pixels[-1, 2].max() > 200  # the last clean guess: ink on paper
    assert player["headline"][0].startswith("The guess reads as a sneaker")
    assert player["curves"][0]["name"] == "judge reads sneaker in the guess" and player["curves"][0]["y"][-1] > 0.5
    assert len(json.dumps(player)) < 80_000  # 20 steps of three 28x28 pictures, one byte per pixel
    assert at.get("download_button")  # the run can be saved as a GIF
    grid = _title_with(at, "DDIM, 20 steps:")
    assert grid.split("steps: ")[1].split(" read")[0] in ("7 of 8", "8 of 8") and grid.endswith("read as a sneaker")
    assert "gfull" not in [el.key for el in at.get("plotly_chart")]  # the full DDPM runs only on request
    assert [p.caption for p in _pictures(at)] == ["t = 0", "t = 20", "t = 50", "t = 100", "t = 150", "t = 199"]


def test_diffusion_ddpm_player_holds_every_step_and_compares_on_request() -> None:
    at = _open(DIFFUSION, {"sampler": "DDPM", "ddpm": "true", "kind": "trousers"})
    assert _player_title(at).startswith("Step 100 of 200")
    player = _player(at)
    assert len(player["t"]) == 200 and player["t"][0] == 199 and player["t"][-1] == 0
    assert player["play_stride"] == 4  # ▶ Play: 50 frames
    assert _title_with(at, "DDPM, 200 steps:").endswith("of 4 read as trousers")
    assert _title_with(at, "Time per picture")


def test_diffusion_headline_at_guidance_0_claims_no_prompt() -> None:
    at = _open(DIFFUSION, {"w": "0.0", "kind": "bag", "sampler": "DDIM", "steps": "10"})
    assert any(s.value.startswith("2 · Reverse: from static to a picture (guidance 0") for s in at.subheader)
    headline = " ".join(_player(at)["headline"])
    assert headline.startswith("Guidance 0 ignores the prompt")
    read = [m.value for m in at.markdown if "The judge reads the final picture as" in m.value][0]
    final = read.split("final picture as **")[1].split("**")[0]  # "a shirt", "an ankle boot", "trousers"
    assert headline.split("becomes ")[1].startswith(final)  # the title names what the judge read, nothing else
    if "bag" not in final:
        assert "bag" not in headline


def test_diffusion_switches_to_digits() -> None:
    at = _open(DIFFUSION, {"data": "digits"})
    assert any(s.value == "2 · Reverse: making a 3 from static" for s in at.subheader)
    assert _title_with(at, "DDIM, 20 steps:").endswith("read as a 3")
    at.segmented_control(key="kind").set_value(8)
    at.run()
    assert any(s.value == "2 · Reverse: making an 8 from static" for s in at.subheader)


def test_diffusion_controls_and_url() -> None:
    at = _open(DIFFUSION, {"kind": "dress", "w": "1.5", "sampler": "DDIM", "steps": "10", "seed": "3"})
    assert at.segmented_control(key="kind").value == 3
    assert at.slider(key="w").value == 1.5
    assert _player_title(at).startswith("Step 5 of 10 (t =")
    assert _player(at)["t"][-1] == 0
    at.slider(key="t").set_value(199)
    at.run()
    assert _title_with(at, "By t = 199")


# ------------------------------------------------------------------------------------- the headline, unit


def _run(read: list[int], final: int, timesteps: list[int] | None = None):
    from ui.diffusion import RecordedRun

    s = len(read)
    blank = np.zeros((s, 2, 2), dtype=np.uint8)
    return RecordedRun(
        timesteps=np.array(timesteps or list(range(s * 10, 0, -10))),
        x_t_ink=blank,
        eps_half=blank.astype(np.float16),
        x0_ink=blank,
        final=np.zeros((2, 2), dtype=np.float32),
        seconds=0.1,
        read=np.array(read),
        read_final_kind=np.ones(s),
        read_prompt=np.zeros(s),
        closeness=np.ones(s),
        final_kind=final,
        final_sure=0.9,
    )


NAMES = ("T-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")


@pytest.mark.parametrize("guidance", [0.0, 3.0])
def test_the_headline_never_names_the_prompt_the_judge_did_not_read(guidance: float) -> None:
    from ui.diffusion import reverse_headline

    run = _run([7, 7, 9, 6, 6], final=6)  # asked for a sneaker (7): the guesses drift, the result is a shirt
    headline = reverse_headline(run, 7, guidance, NAMES).replace("<br>", " ")
    if guidance == 0:
        assert headline == "Guidance 0 ignores the prompt: the guess becomes a shirt from t = 20 on"
    else:
        assert headline == "Asked for a sneaker, the judge reads the result as a shirt"


def test_the_headline_when_the_prompt_is_followed() -> None:
    from ui.diffusion import reverse_headline

    assert reverse_headline(_run([1, 9, 9], 9), 9, 2.0, NAMES) == "The guess reads as an ankle boot<br>from t = 20 on"
    assert "only at the very end" in reverse_headline(_run([9, 9, 1], 9), 9, 2.0, NAMES)
    assert "trousers from t = 30 on" in reverse_headline(_run([1, 1, 1], 1), 1, 0.0, NAMES).replace("<br>", " ")


def test_kinds_read_naturally_in_sentences() -> None:
    from ui.image_data import with_article

    assert [with_article(n) for n in ("sneaker", "ankle boot", "trousers", "8", "7", "T-shirt")] == [
        "a sneaker",
        "an ankle boot",
        "trousers",
        "an 8",
        "a 7",
        "a T-shirt",
    ]
    assert (
        with_article("ankle boot", "real") == "a real ankle boot"
        and with_article("trousers", "real") == "real trousers"
    )


def test_the_run_gif_is_named_after_its_settings() -> None:
    from ui.diffusion import gif_name

    assert gif_name("ankle boot", 3, "ddim", 20) == "glassbox-diffusion-ankle-boot-seed-3-ddim-20"
    assert gif_name("T-shirt", 0, "ddpm", 200) == "glassbox-diffusion-t-shirt-seed-0-ddpm-200"
