"""`setup_page(key)`: the first call of every page (and of app.py).

Page config, navigation back to the tour, title and one-sentence promise, and the server's warm-up. Works in
Streamlit's file-based multipage mode: each page is its own script, so each one calls `setup_page` itself (the
entry script does not run before the others). This module sits above everything else in ui/: it may import the
warm-up, which imports the model glue, which imports ui.frame.
"""

from __future__ import annotations

import streamlit as st

from ui import classroom, visitors, warmup
from ui.frame import note_page
from ui.tour import GROUPS, HOME, live_pages, page


def setup_page(key: str) -> None:
    """Page config, navigation back to the tour, title and one-sentence promise."""
    entry = page(key)
    st.set_page_config(
        page_title=f"{entry.title} · Glassbox" if key != HOME.key else "Glassbox: how generative AI works",
        page_icon=entry.icon,
        layout="wide",
    )
    note_page(key)
    visitors.take_turn()  # one page run at a time per visitor: their other tabs wait here, costing no CPU
    _sidebar_navigation()
    if key != HOME.key:
        warmup.start_once()  # a deep link can be a server's first visit; app.py starts it after drawing
        st.page_link(HOME.path, label="Back to the tour", icon="⬅️")
        st.title(f"{entry.icon} {entry.title}")
        st.markdown(f"**{entry.promise}**")
        classroom.first_screen(key)  # lesson bar, 'Predict first', words on this page, copy link


def _sidebar_navigation() -> None:
    with st.sidebar:
        st.page_link(HOME.path, label="The tour", icon=HOME.icon)
        pages = live_pages()
        for group in GROUPS:
            members = [p for p in pages if p.group == group]
            if not members:
                continue
            st.caption(group.upper())
            for p in members:
                st.page_link(p.path, label=p.title, icon=p.icon)
