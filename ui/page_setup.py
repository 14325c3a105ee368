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
from ui.presenter import setup as setup_presenter
from ui.tour import GROUPS, HOME, live_pages, page

# On a phone, Plotly's toolbar (zoom, pan, download...) appears over a tapped chart's title, so it is hidden on
# narrow screens, where touch zoom still works. The container holding the menu script below takes no room.
PAGE_CSS = """<style>
@media (max-width: 640px) { .modebar-container { display: none !important; } }
.st-key-glassbox_menu_script { display: none; }
</style>"""

# On a narrow screen the page menu (sidebar) opens over the page, and Streamlit closes it after a choice only in
# its own page list, not for st.page_link links like ours. This closes it the same way, by pressing the sidebar's
# own close button, once a link in it was chosen. st.html runs it in the page itself (not in an iframe), once per
# browser tab (the flag), and only on screens where the sidebar covers the page (Streamlit's "md" breakpoint).
CLOSE_MENU_JS = """<script>
(() => {
  if (window.glassboxMenuCloses) return;
  window.glassboxMenuCloses = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]');
    if (!link || !window.matchMedia("(max-width: 768px)").matches) return;
    setTimeout(() => {
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) close.click();
    }, 0);
  }, true);
})();
</script>"""


def setup_page(key: str) -> None:
    """Page config, navigation back to the tour, title and one-sentence promise."""
    entry = page(key)
    st.set_page_config(
        page_title=f"{entry.title} · Glassbox" if key != HOME.key else "Glassbox: how generative AI works",
        page_icon=entry.icon,
        layout="wide",
    )
    note_page(key)
    setup_presenter()  # ?present=true or the menu's switch: big text for a projector, restyled by CSS
    visitors.take_turn()  # one page run at a time per visitor: their other tabs wait here, costing no CPU
    st.html(PAGE_CSS)  # style only: Streamlit puts it where it takes no room
    _sidebar_navigation()
    if key != HOME.key:
        warmup.start_once()  # a deep link can be a server's first visit; app.py starts it after drawing
        with st.container(key="glassbox_back"):  # hidden in presenter mode
            st.page_link(HOME.path, label="Back to the tour", icon="⬅️")
        st.title(f"{entry.icon} {entry.title}")
        st.markdown(f"**{classroom.glossary_links(entry.promise)}**")
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
        with st.container(key="glassbox_menu_script"):
            st.html(CLOSE_MENU_JS, unsafe_allow_javascript=True)
