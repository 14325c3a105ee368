"""A damaged or missing weight file gives a friendly in-app message with the rebuild command,
never a traceback, and pages that do not need the model keep working."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import open_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture
def broken_pretrained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of pretrained/ in which every weight file is cut in half."""
    copy = tmp_path / "pretrained"
    shutil.copytree(ROOT / "pretrained", copy)
    for weights in copy.glob("*/model.safetensors"):
        blob = weights.read_bytes()
        weights.write_bytes(blob[: len(blob) // 2])
    monkeypatch.setenv("GLASSBOX_PRETRAINED", str(copy))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield copy
    st.cache_resource.clear()
    st.cache_data.clear()


def test_truncated_weights_show_friendly_message(broken_pretrained: Path) -> None:
    explained = []
    for script in SCRIPTS:
        at = open_script(script)
        assert not at.exception, f"{script} showed a traceback"
        messages = " ".join(e.value for e in at.error)
        if messages:
            codes = " ".join(c.value for c in at.code)
            assert "not available" in messages and "python -m training" in codes, f"{script}: unfriendly error"
            explained.append(script)
    # Pages that load a model at start explain the problem; pages that need none keep working.
    if len(SCRIPTS) > 1:
        assert explained, "no page explained the damaged weights"


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
