"""The Limits page (issue 16) under AppTest, on the shipped models: every section draws what the models measure, its
controls work from the URL, and a missing model is explained in its own section while the rest of the page works."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from explainers import corpus
from explainers import limits as lx
from explainers.datasets import load_arrays
from explainers.store import read_config
from tests.conftest import ROOT, open_page, values
from ui import limits as ui

PAGE = "pages/10_Limits.py"


@pytest.fixture(scope="module", autouse=True)
def measured_once() -> None:
    """The cost table is measured once per server (the warm-up does it); measure it before the page runs."""
    ui.measured_costs()


def run_page(params: dict[str, str] | None = None) -> AppTest:
    return open_page(PAGE, params, timeout=300)


def charts(at: AppTest) -> dict[str, dict]:
    """Every Plotly chart on the page by its key ("lim_stated", ...)."""
    out = {}
    for el in at.get("plotly_chart"):
        key = el.proto.id.rsplit("-", 1)[-1]
        out[key] = json.loads(el.proto.spec)
    return out


def title(fig: dict) -> str:
    t = fig["layout"]["title"]
    return (t["text"] if isinstance(t, dict) else t).replace("<br>", " ")


def text_of(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)


@pytest.fixture(scope="module")
def default() -> AppTest:
    return run_page()


def test_every_section_draws_its_charts(default: AppTest) -> None:
    found = charts(default)
    for key in (
        "lim_stated",
        "lim_cutodds",
        "lim_tophist",
        "lim_calib",
        "lim_pron_skewed",
        "lim_pron_balanced",
        "lim_gankinds",
        "lim_pairs",
        "lim_dist",
        "lim_first",
        "lim_cost",
        "lim_ops",
    ):
        assert key in found, f"{key} missing; drawn: {sorted(found)}"
    headers = [h.value for h in default.header]
    assert [h.split(" · ")[0] for h in headers] == ["1", "2", "3", "4", "5"]
    assert len([i for i in default.info if "What you are seeing" in i.value]) == 5
    assert len([e for e in default.expander if "Go deeper" in e.label]) == 5


def test_hallucination_numbers_come_from_the_shipped_measurements(default: AppTest) -> None:
    m = read_config("fact_gaps")["metrics"]
    finding = default.subheader[0].value
    assert f"{m['gpt_friend_cut_mean_p_top']:.0%}" in finding and "1 in 11" in finding
    # The default story, friend question, our GPT, fact cut: the charts are that story's measured odds.
    found = charts(default)
    arrays = load_arrays("fact_gaps", "hallucination.npz")
    cut = values(found["lim_cutodds"]["data"][0]["x"]) / 100
    assert cut.max() == pytest.approx(arrays["gpt_friend_p_top_cut"][ui.DEFAULT_STORY], abs=1e-3)
    stated = values(found["lim_stated"]["data"][0]["x"]) / 100
    assert stated.max() == pytest.approx(arrays["gpt_friend_p_right_present"][ui.DEFAULT_STORY], abs=1e-3)
    assert "still" in title(found["lim_cutodds"])  # the GPT stays sure without the fact
    # The story shows the cut sentence struck through, and the model's guess after the cue.
    story = next(m.value for m in default.markdown if m.value.startswith("> "))
    assert "~~" in story and "friend named" in story
    hist = found["lim_tophist"]
    assert [t["name"] for t in hist["data"]] == ["our story GPT", "gap-trained GPT"]
    assert f"{m['gpt_friend_cut_mean_p_top']:.0%}" in title(hist)
    conf, acc, count = (arrays[f"gpt_fact_{k}"] for k in ("confidence", "accuracy", "count"))
    top = int(np.flatnonzero(count > 0)[-1])
    assert f"{acc[top]:.0%} of the time" in title(found["lim_calib"])


def test_restore_the_fact_and_ask_the_gap_trained_model(default: AppTest) -> None:
    at = run_page({"lim_cut": "false", "lim_model": "Gap-trained GPT", "lim_q": "What is the toy?"})
    story = next(m.value for m in at.markdown if m.value.startswith("> "))
    assert "~~" not in story and "**" in story  # the fact is back, in bold
    found = charts(at)
    q = lx.fact_question(ui.text_model("fact_gaps"), lx.heldout_stories()[ui.DEFAULT_STORY], "toy",
                         seed=lx.FACT_SEED + ui.DEFAULT_STORY)  # fmt: skip
    cut = values(found["lim_cutodds"]["data"][0]["x"]) / 100
    assert np.allclose(cut, q.probs_cut, atol=1e-6)
    assert cut.max() <= 0.5 and "spread" in title(found["lim_cutodds"])
    assert found["lim_cutodds"]["data"][0]["y"][corpus.GRAMMAR.objects.index(q.present.answer)].endswith("✓")


def test_toggle_and_story_picker_rerun_the_section(default: AppTest) -> None:
    at = run_page()
    at.toggle(key="lim_cut").set_value(False).run()
    assert not at.exception
    story = next(m.value for m in at.markdown if m.value.startswith("> "))
    assert "~~" not in story
    at.selectbox(key="lim_story").set_value(ui.story_labels()[5]).run()
    assert not at.exception
    assert ui.story_labels()[5].split(": ")[1].split(",")[0] in next(
        m.value for m in at.markdown if m.value.startswith("> ")
    )


def test_bias_rows_follow_the_temperature_for_both_models() -> None:
    at = run_page({"lim_btemp": "0"})
    bars = charts(at)["lim_pron_skewed"]
    he = values(bars["data"][0]["x"])
    assert he[2] == pytest.approx(100) and he[3] == pytest.approx(100)  # temperature 0 samples like greedy
    m = read_config("bias_skewed")["metrics"]
    assert he[0] == pytest.approx(m["data_share_he"] * 100)
    assert "becomes 100%" in title(bars)
    at = run_page({"lim_btemp": "1.0", "lim_bseed": "7"})
    skewed = values(charts(at)["lim_pron_skewed"]["data"][0]["x"])
    b = lx.bias_from_logits(ui.text_model("bias_skewed"), ui.doctor_logits("bias_skewed", 0.8), 5, 7, 1.0)
    assert skewed[3] == pytest.approx(b.sampled_he / b.samples * 100)
    # sampling at temperature 1 follows the model's odds (within 4 standard errors of 1,000 draws)
    assert abs(skewed[3] / 100 - float(b.p_he.mean())) <= 4 * (0.8 * 0.2 / b.samples) ** 0.5
    balanced = charts(at)["lim_pron_balanced"]
    assert title(balanced).startswith("Balanced data")
    assert 35 < values(balanced["data"][0]["x"])[3] < 65  # sampling from the balanced model: near even


def test_memorization_shows_both_models_and_the_chosen_kinds() -> None:
    at = run_page({"lim_kinds": ["bag", "sneaker"]})
    pairs = charts(at)["lim_pairs"]
    assert len(pairs["layout"]["annotations"]) == 4  # two pictures of each chosen kind
    assert pairs["data"][0]["source"].startswith("data:image/png;base64,")
    tiny = read_config("fashion_diffusion_tiny")
    assert f"{tiny['metrics']['memorization_ratio']:.2f}×" in title(charts(at)["lim_dist"])
    at = run_page({"lim_mem": "Trained on 60,000 pictures"})
    full = read_config("fashion_diffusion")
    assert f"{full['metrics']['memorization_ratio']:.2f}×" in title(charts(at)["lim_dist"])
    assert "60,000" in title(charts(at)["lim_pairs"])


def test_randomness_temperature_zero_and_own_text() -> None:
    at = run_page({"lim_rtemp": "0"})
    first = charts(at)["lim_first"]
    assert title(first).startswith("All 100 continuations start the same")
    stories = [c.value for c in at.code]
    assert len(stories) >= 3 and stories[-1] == stories[-2] == stories[-3]  # greedy: three identical stories
    at = run_page({"lim_prompt": "Your own text", "lim_text": "The cat sat on the"})
    bars = charts(at)["lim_first"]["data"][0]
    spots = {"mat", "rug", "bed", "chair"}  # the story world's four spots; a rare slip is possible at temperature 1
    assert set(bars["y"][:4]) == spots
    assert sum(c for w, c in zip(bars["y"], values(bars["x"]), strict=True) if w in spots) >= 95
    before = int(at.slider(key="lim_rseed").value)
    at.button[0].click().run()
    assert int(at.slider(key="lim_rseed").value) == before + 3


def test_cost_section_and_the_large_model_arithmetic() -> None:
    at = run_page({"lim_large": "GPT-3 175B", "lim_tokens": "1000"})
    found = charts(at)
    assert "GPT-3 175B does about" in title(found["lim_ops"])
    assert any("passes" in label for label in found["lim_cost"]["data"][0]["y"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Operations per token"] == "350 billion"
    assert metrics["80 GB GPUs just to hold them"] == "5"
    assert "Kaplan et al. 2020" in " ".join(e.markdown[0].value for e in at.expander if "Go deeper" in e.label)


@pytest.mark.parametrize(
    "params",
    [
        {"lim_story": "Story 99: nobody"},
        {"lim_q": "Who is the doctor?", "lim_model": "GPT-5"},
        {"lim_btemp": "9", "lim_bseed": "-4"},
        {"lim_kinds": ["socks"]},
        {"lim_prompt": "Your own text", "lim_text": ""},
        {"lim_prompt": "Your own text", "lim_text": "<b>😀</b> \x00 $x$"},
    ],
)
def test_bad_url_values_fall_back_quietly(params: dict) -> None:
    at = run_page(params)
    assert "lim_pron_skewed" in charts(at)


def test_a_missing_diffusion_model_is_explained_and_the_rest_still_works(tmp_path: Path, monkeypatch) -> None:
    copy = tmp_path / "pretrained"
    shutil.copytree(ROOT / "pretrained", copy)
    shutil.rmtree(copy / "fashion_diffusion")
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(copy))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        ui.measured_costs()
        at = run_page({"lim_mem": "Trained on 60,000 pictures"})
        assert any("not available" in e.value for e in at.error)
        assert any("python -m training fashion_diffusion" in c.value for c in at.code)
        found = charts(at)
        assert "lim_pairs" not in found and {"lim_pron_skewed", "lim_first", "lim_cost"} <= set(found)
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
