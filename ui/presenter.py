"""Presenter mode, for a projector: one switch in the page menu, or `?present=true` in the link.

When on: larger type; hidden are the page menu, Streamlit's top bar, captions, expanders ("Go deeper", the model
card, "Show as table"), the blue and green notes ("What you are seeing": the presenter says it), the page's
tools row (copy link, words) and what a page marks `secondary` (a control that can keep its default, a paragraph the
presenter says), and a page may draw its key chart higher (`presenting()`, e.g. Generate, Evaluation); the page pulled up so its key chart is on the first screen, and every chart's text
enlarged to at least 18 px (ui.frame.show_chart with figures.presenter). All of it is CSS and a chart copy, so
leaving presenter mode (the switch, the "Leave" button at the top right, or `?present=false`) gives back the page
exactly as it was. The mode follows the visitor from page to page (session state), and the URL says so.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.frame import PRESENT_KEY, presenting

PARAM = "present"
SWITCH_KEY = "glassbox_present_switch"
LEAVE_KEY = "glassbox_present_leave"
_ON = ("1", "true", "yes", "on")
SECONDARY = "gb_presenter_hides_"  # key prefix of `secondary` containers

# Always: a chart's screen-reader summary (ui.frame.chart_as_text) is taken out of the page flow, so it adds no gap;
# the container of the script below takes no room.
BASE_CSS = """
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] .glassbox-sr) {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
}
.st-key-glassbox_a11y_script { display: none; }
"""

# A picture drawn with st.image and no alt text is a blank to a screen reader (axe-core: image-alt, critical). Until
# every page passes its own alt=, this names such a picture after its caption, else the heading above it: better
# than nothing, and a page's own alt text always wins (only pictures with no alt attribute are touched).
ALT_TEXT_JS = """<script>
(() => {
  if (window.glassboxAltText) return;
  window.glassboxAltText = true;
  const heading = (el) => {
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      for (let prev = node.previousElementSibling; prev; prev = prev.previousElementSibling) {
        const h = prev.matches('h1,h2,h3,h4,h5,h6') ? prev : prev.querySelector('h1,h2,h3,h4,h5,h6,strong');
        if (h && h.textContent.trim()) return h.textContent.trim();
      }
    }
    return '';
  };
  const name = () => document.querySelectorAll('[data-testid="stMain"] img:not([alt])').forEach((img) => {
    const box = img.closest('[data-testid="stImageContainer"]');
    const caption = box && box.querySelector('[data-testid="stImageCaption"]');
    const text = (caption && caption.textContent.trim()) || heading(img);
    img.setAttribute('alt', text ? `Picture: ${text}` : 'Picture');
  });
  new MutationObserver(name).observe(document.body, {childList: true, subtree: true});
  name();
})();
</script>"""

# Presenter mode. Sizes are for a 1280x720 projector; the top padding of Streamlit's page (6 rem) goes, and so do
# the empty slots of hidden parts (a script's box, an expander's or the tools row's wrapper): each kept the column's
# 1 rem gap, about 60 px of blank space under the title.
PRESENT_CSS = """
html { font-size: 19px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stCaptionContainer"], [data-testid="stExpander"], .st-key-glassbox_back, .st-key-gb_tools,
[class*="__table"], [class*="__gif"],
.stElementContainer:has(> .stAlert [data-testid="stAlertContentInfo"]),
.stElementContainer:has(> .stAlert [data-testid="stAlertContentSuccess"]),
[data-testid="stVerticalBlock"] > div:has(> [data-testid="stExpander"]),
[data-testid="stVerticalBlock"] > div:has(> .st-key-gb_tools),
.stElementContainer:has(> [data-testid="stHtml"] > script:only-child),
[class*="st-key-gb_presenter_hides_"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1rem !important; padding-bottom: 2rem !important; max-width: 100% !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
h1 { font-size: 2.1rem !important; padding-top: 0 !important; padding-bottom: 0.3rem !important; }
.st-key-glassbox_present_leave { position: fixed; top: 0.4rem; right: 1rem; z-index: 999990; width: auto !important; }
"""


def secondary(name: str, where: DeltaGenerator | None = None) -> DeltaGenerator:
    """A container whose contents presenter mode hides, so the page's key chart comes up into the first screen:
    secondary controls (their defaults or the URL still apply) and text the presenter says aloud. Hidden by CSS,
    as the rest of the mode, so leaving it gives the page back as it was."""
    return (where or st).container(key=f"{SECONDARY}{name}")


def _wanted() -> bool:
    """The mode for this run: the URL's word if it has one (a shared link), else the visitor's switch."""
    asked = st.query_params.get(PARAM)
    if asked is not None:
        st.session_state[PRESENT_KEY] = asked.strip().lower() in _ON
    return presenting()


def _set(on: bool) -> None:
    st.session_state[PRESENT_KEY] = on
    if on:
        st.query_params[PARAM] = "true"
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def _switched() -> None:
    _set(bool(st.session_state.get(SWITCH_KEY)))


def setup() -> bool:
    """Read the mode, style the page for it, and draw its switch (page menu) and, when on, the Leave button.
    Call once per page run, early (before anything it should restyle). Returns whether presenting."""
    on = _wanted()
    if on and st.query_params.get(PARAM) is None:
        st.query_params[PARAM] = "true"  # after a page switch: the address bar says the mode too
    st.html(f"<style>{BASE_CSS}{PRESENT_CSS if on else ''}</style>")
    with st.sidebar.container(key="glassbox_a11y_script"):
        st.html(ALT_TEXT_JS, unsafe_allow_javascript=True)
    st.session_state[SWITCH_KEY] = on  # the switch shows the mode, whichever way it was set
    st.sidebar.toggle(
        "🎤 Presenter mode",
        key=SWITCH_KEY,
        on_change=_switched,
        help="For a projector: big text, no menu, the main chart on the first screen. Link: add ?present=true.",
    )
    if on:
        st.button("✖ Leave presenter mode", key=LEAVE_KEY, on_click=_set, args=(False,))
    return on
