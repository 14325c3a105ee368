"""Shared test setup: the repo root on sys.path, torch kept to one thread for fast, stable tests, and every test
under tests/browser marked `browser` (so `pytest -m "not browser"` is the fast loop)."""

from __future__ import annotations

import sys
from pathlib import Path

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


def open_script(script: str, timeout: float = 120):
    """Run app.py or a pages/ file under AppTest, as a page of the app.

    Pages link back to app.py with st.page_link, which only resolves inside the multipage app,
    so a page is reached through app.py and AppTest.switch_page rather than run on its own."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if script != "app.py":
        at.switch_page(script)
    at.run()
    return at
