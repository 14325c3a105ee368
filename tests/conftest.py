"""Shared test setup: the repo root on sys.path and torch kept to one thread for fast, stable tests."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

torch.set_num_threads(1)


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
