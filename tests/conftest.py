"""Shared test setup: the repo root on sys.path, torch kept to one thread for fast, stable tests, and every test
under tests/browser marked `browser` (so `pytest -m "not browser"` is the fast loop)."""

from __future__ import annotations

import base64
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

torch.set_num_threads(1)
BROWSER_TESTS = ROOT / "tests" / "browser"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items) -> None:  # noqa: ANN001 - pytest's hook signature
    # A `pytestmark` in a conftest.py marks nothing (pytest reads it only from test modules), so mark by folder.
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)


def open_script(script: str, timeout: float = 120, params: dict[str, str] | None = None):
    """Run app.py or a pages/ file under AppTest, as a page of the app, with these settings in the URL.

    Pages link back to app.py with st.page_link, which only resolves inside the multipage app,
    so a page is reached through app.py and AppTest.switch_page rather than run on its own."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if script != "app.py":
        at.switch_page(script)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    return at


def open_page(script: str, params: dict[str, str] | None = None, timeout: float = 300):
    """`open_script`, failing the test if the page raised."""
    at = open_script(script, timeout, params)
    assert not at.exception, [e.value for e in at.exception]
    return at


def values(data: object) -> np.ndarray:
    """A Plotly trace's array as sent to the browser: a list, or Plotly's base64 typed array (with its shape)."""
    if isinstance(data, dict) and "bdata" in data:
        flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        shape = data.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(data)


def wait_until(condition, limit: float = 10.0, pause: float = 0.005) -> None:  # noqa: ANN001 - any callable
    """Wait for another thread to reach a state (polling `condition`); fail after `limit` seconds, which only a
    broken test reaches: tests coordinate threads this way instead of sleeping for a fixed time."""
    tick = threading.Event()
    for _ in range(int(limit / pause)):
        if condition():
            return
        tick.wait(pause)
    raise AssertionError("condition not reached")
