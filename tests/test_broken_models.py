"""A damaged or missing model file gives a friendly in-app message with the rebuild command, never a traceback,
and pages that do not need the model keep working.

Damage covered: truncated weights; and in config.json an architecture size, a missing metrics key, a wrong type,
an absurd num_train_timesteps, invalid JSON and a hand edit caught by the config checksum. A damaged config is
refused by explainers.store before any model code reads it: the absurd schedule is refused, not computed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from explainers import store
from tests.conftest import open_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


def _copy_pretrained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "pretrained"
    shutil.copytree(ROOT / "pretrained", copy)
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(copy))
    st.cache_resource.clear()
    st.cache_data.clear()
    return copy


@pytest.fixture
def pretrained_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    yield _copy_pretrained(tmp_path, monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()


def assert_pages_explain(expected: str) -> None:
    """Every page opens without a traceback; pages that need a damaged model say so with the rebuild command."""
    explained = []
    for script in SCRIPTS:
        at = open_script(script)
        assert not at.exception, f"{script} showed a traceback"
        messages = " ".join(e.value for e in at.error)
        if messages:
            codes = " ".join(c.value for c in at.code)
            assert "not available" in messages and "python -m training" in codes, f"{script}: unfriendly error"
            assert expected in messages, f"{script}: {messages[:300]}"
            explained.append(script)
    # Pages that load a model at start explain the problem; pages that need none keep working.
    if len(SCRIPTS) > 1:
        assert explained, "no page explained the damaged model files"


def test_truncated_weights_show_friendly_message(pretrained_copy: Path) -> None:
    for weights in pretrained_copy.glob("*/model.safetensors"):
        blob = weights.read_bytes()
        weights.write_bytes(blob[: len(blob) // 2])
    assert_pages_explain("damaged or incomplete")


def _edit(root: Path, name: str, path: str, value: Any = None, delete: bool = False, reseal: bool = True) -> None:
    file = root / name / "config.json"
    config = json.loads(file.read_text())
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    file.write_text(json.dumps(store.seal(config) if reseal else config, indent=2))


def test_damaged_configs_show_friendly_messages_on_every_page(pretrained_copy: Path) -> None:
    # One kind of damage per shipped model, all at once; every page is walked.
    _edit(pretrained_copy, "judge", "architecture.features", 128, reseal=False)  # an architecture size, by hand
    _edit(pretrained_copy, "gan_digits", "metrics.rarest_class", delete=True)  # a missing metrics key
    _edit(pretrained_copy, "vae", "architecture.latent", "2")  # a wrong type
    _edit(pretrained_copy, "diffusion", "architecture.schedule.num_train_timesteps", 10**9)  # absurd
    _edit(pretrained_copy, "gpt", "title", "Edited by hand", reseal=False)  # caught by the config checksum
    assert_pages_explain("settings file config.json")


def _load_like_a_page(name: str) -> None:
    """What a page does: load the model through the frame (friendly stop on ModelLoadError), then use it."""
    import streamlit as st

    from ui.frame import load_or_stop

    if name == "gan_digits":
        from explainers.gan import ShippedDigitsGan
        from explainers.store import load_model

        def loader():  # noqa: ANN202 - the script runs without this module's imports
            loaded = load_model("gan_digits")
            return ShippedDigitsGan(loaded.tensors, loaded.config)

        model = load_or_stop(name, loader)
        st.write(f"rarest digit {model.config['metrics']['rarest_class']}")  # as pages/5_GAN.py does
    else:
        import importlib

        module, function = {
            "diffusion": ("explainers.diffusion", "load_diffusion"),
            "vae": ("explainers.vae", "load_vae"),
            "judge": ("explainers.judge", "load_judge"),
            "gpt": ("explainers.lm", "load_lm"),
        }[name]
        load_or_stop(name, getattr(importlib.import_module(module), function))
    st.write("the model loaded")


# (model, config path, value or None to delete, resealed, words in the message)
DAMAGE = {
    "architecture size": ("diffusion", "architecture.hidden", 512, True, "does not fit the weights"),
    "missing metrics key": ("gan_digits", "metrics.rarest_class", None, True, "rarest_class is missing"),
    "wrong type": ("vae", "architecture.latent", "2", True, "should be a whole number, not text"),
    "absurd num_train_timesteps": (
        "diffusion",
        "architecture.schedule.num_train_timesteps",
        10**9,
        True,
        "num_train_timesteps is 1000000000",
    ),
    "hand edit (checksum)": ("judge", "metrics.heldout_accuracy", 1.0, False, "changed after training"),
    "gpt layer count": ("gpt", "architecture.n_layer", 12, True, "n_layer"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_each_kind_of_config_damage_gets_the_friendly_message(
    pretrained_copy: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    name, path, value, reseal, words = DAMAGE[case]
    _edit(pretrained_copy, name, path, value, delete=value is None, reseal=reseal)
    import explainers.diffusion_scheduler as scheduler

    computed = []
    real_make_betas = scheduler.make_betas
    monkeypatch.setattr(scheduler, "make_betas", lambda cfg: computed.append(cfg) or real_make_betas(cfg))
    at = AppTest.from_function(_load_like_a_page, args=(name,), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.error and "not available" in at.error[0].value and words in at.error[0].value, at.error
    assert at.code[0].value == f"python -m training {name}"
    assert not any("loaded" in m.value or "rarest digit" in m.value for m in at.markdown)
    assert not computed, "a damaged schedule was computed instead of refused"


def test_invalid_json_gets_the_friendly_message(pretrained_copy: Path) -> None:
    path = pretrained_copy / "vae" / "config.json"
    path.write_text(path.read_text().replace('"latent": 2', '"latent": NaN'))
    at = AppTest.from_function(_load_like_a_page, args=("vae",), default_timeout=60)
    at.run()
    assert not at.exception
    # (the frame capitalises the reason with str.capitalize, which also lowercases "JSON")
    assert "not available" in at.error[0].value and "not valid json (nan is not a number)" in at.error[0].value.lower()


def test_frame_explains_a_missing_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(tmp_path))

    def script() -> None:
        import streamlit as st

        from explainers.store import load_model
        from ui.frame import load_or_stop

        load_or_stop("gpt", lambda: load_model("gpt"))
        st.write("unreachable")

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    assert not at.exception
    assert "not available" in at.error[0].value
    assert at.code[0].value == "python -m training gpt"
    assert not any("unreachable" in m.value for m in at.markdown)
