"""The shared page frame's small helpers (ui/frame.py)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui.frame import sentence


def test_sentence_capitalises_only_the_first_letter() -> None:
    assert sentence("config.json is not valid JSON") == "Config.json is not valid JSON."
    assert sentence("the SHA-256 of model.safetensors does not match") == (
        "The SHA-256 of model.safetensors does not match."
    )
    assert sentence("Already a sentence.") == "Already a sentence."
    assert sentence("  ") == ""


def _missing_model_page() -> None:
    from explainers.store import ModelLoadError
    from ui.frame import show_load_error

    show_load_error(ModelLoadError("gpt", "config.json is not valid JSON (line 3)"))


def test_load_error_keeps_the_reason_as_written() -> None:
    at = AppTest.from_function(_missing_model_page, default_timeout=30).run()
    assert not at.exception
    assert "Config.json is not valid JSON (line 3)." in at.error[0].value
