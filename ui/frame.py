"""The shared page frame: what every page draws with, after `ui.page_setup.setup_page`.

Charts without Streamlit's theme (`show_chart`), the explanation boxes, timing of model work, the model card, and
a friendly stop when a model is missing. Model glue (ui/gan.py, ui/vae.py...) uses these too, so this module
imports none of it: the warm-up, which imports the model glue, is started by ui/page_setup.py.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pandas  # noqa: F401 - see below
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from explainers.store import ModelLoadError, read_config
from figures import animation, describe
from figures.presenter import enlarge
from serving.limiter import HEAVY
from ui import classroom
from ui.visitors import visitor_id

# pandas is imported above, by the first page run, before any chart is built and before the warm-up thread starts.
# Plotly looks pandas up in sys.modules while it validates a figure, and the warm-up thread imports it (through
# scikit-learn) while other visitors' pages draw charts: a half-imported pandas there made a page fail with
# "partially initialized module 'pandas' has no attribute 'Series'". A second page run waits for this module's
# import to finish, so no chart is built while pandas is half-imported (pandas imports numpy, Plotly's other
# look-up, which the server has not imported before the first page run either).
# Plotly's orjson engine, chosen automatically if orjson is ever installed, also looks PIL.Image up in sys.modules
# for every value it writes, and PIL is imported lazily by the picture pages: the json engine never does.
pio.json.config.default_engine = "json"
T = TypeVar("T")
_TIMING_KEY = "_glassbox_timing"
_PAGE_KEY = "_glassbox_page"
PRESENT_KEY = "_glassbox_presenting"
GIF_WAIT_S = 5.0  # how long a GIF waits for a heavy-work slot before it is built anyway
SMALL_TABLE_CELLS = 400  # up to this many cells as an HTML table, more in Streamlit's scrolling grid
# Visually hidden, still read by screen readers (the usual "sr-only" rule); ui.page_setup takes its container out
# of the page flow, so it adds no gap.
SR_ONLY_STYLE = (
    "position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap"
)


def note_page(key: str) -> None:
    """Remember which page this run draws, for `timed` and the model card."""
    st.session_state[_PAGE_KEY] = key


def preload_chart_library() -> None:
    """Have the browser fetch the charting library (about 4.7 MB) while the visitor reads the landing page.

    Streamlit loads Plotly's code the first time a page shows a Plotly chart, so the first model page a
    visitor opened waited seconds for it. An empty chart in a hidden container makes the browser load that
    code now; hidden, it is never drawn."""
    st.html("<style>.st-key-chart_library_preload{display:none}</style>")
    with st.container(key="chart_library_preload"):
        st.plotly_chart({"data": [{"type": "bar", "x": [0], "y": [0]}]}, key="chart_library_preload_chart")


def presenting() -> bool:
    """Whether this visitor is in presenter mode (set by ui.page_setup from its switch or ?present=true)."""
    return bool(st.session_state.get(PRESENT_KEY, False))


def show_chart(where: DeltaGenerator, fig: go.Figure, **kwargs: Any) -> Any:
    """`where.plotly_chart(fig, ...)` without Streamlit's chart theme; the figures carry that look themselves.

    With the theme on, Streamlit's frontend re-applies it to a JSON copy of the figure just after the first draw,
    and Plotly redraws the whole chart for the copied template: every chart was drawn twice on every change
    (about 30 ms of a 150 ms knob move here). See figures.style.

    Every chart also gets: Plotly's own "download as PNG" button (desktop; the toolbar is hidden on phones), a
    summary in words for screen readers, and "Show as table" with its numbers as CSV (built only when opened).
    In presenter mode its text is enlarged for a projector (figures.presenter)."""
    kwargs["config"] = chart_config(fig, kwargs.get("config"))
    shown = enlarge(fig) if presenting() else fig
    result = where.plotly_chart(shown, theme=None, **kwargs)
    key = str(kwargs.get("key") or describe.file_name(fig))
    if isinstance(fig, go.Figure) and animation.has_picture_frames(fig):
        gif_button(where, lambda: animation.gif_bytes(*animation.figure_frames(fig)), describe.file_name(fig), key)
    chart_as_text(where, fig, key)
    return result


def gif_button(where: DeltaGenerator, build: Callable[[], bytes], name: str, key: str, label: str = "") -> None:
    """ "Save as GIF": `build` runs only when the visitor clicks (Streamlit calls it then, off the page run), in
    the server's heavy-work line like other picture work, and its GIF is capped in size (figures.animation)."""
    visitor = visitor_id()

    def data() -> bytes:
        ticket = HEAVY.try_acquire(visitor=visitor, timeout=GIF_WAIT_S)  # if refused, it runs anyway: it is small
        try:
            return build()
        finally:
            HEAVY.release(ticket)

    where.download_button(
        label or "🎞️ Save as an animated GIF",
        data=data,
        file_name=f"{name}.gif",
        mime="image/gif",
        on_click="ignore",
        key=f"{key}__gif",
    )


def chart_config(fig: go.Figure, config: dict[str, Any] | None) -> dict[str, Any]:
    """Plotly's config with its PNG download on: named after the chart, at twice the screen's resolution.

    A chart drawn without a toolbar (pages turn it off so zoom tools never cover a title) keeps only the camera
    button; the toolbar shows while the pointer is over the chart, and never on a phone (ui.page_setup's CSS)."""
    config = dict(config or {})
    if config.get("displayModeBar") is False:
        config["displayModeBar"] = "hover"
        config["modeBarButtons"] = [["toImage"]]
    config["displaylogo"] = False
    config["toImageButtonOptions"] = {"format": "png", "filename": describe.file_name(fig), "scale": 2}
    return config


def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~$-])", r"\\\1", text)


def chart_as_text(where: DeltaGenerator, fig: go.Figure, key: str) -> None:
    """The chart in words for screen readers (always there, visually hidden), and a "Show as table" popover that
    builds its table and CSV only when a visitor opens it (an unopened one costs a summary, well under 1 ms)."""
    text = describe.summary(fig)
    where.html(f'<p class="glassbox-sr" style="{SR_ONLY_STYLE}">{html.escape(text)}</p>')
    # A popover, not an expander: tests and visitors that open every expander do not rerun the page for each table.
    box = where.popover("Show as table", icon="📋", type="tertiary", key=f"{key}__table", on_change="rerun")
    if not box.open:
        return
    with box:
        st.markdown(_escape_markdown(text))
        found = describe.tables(fig)
        if not found:
            st.markdown("This chart shows pictures: it has no numbers to list.")
            return
        for table in found:
            frame = pandas.DataFrame(list(table.rows), columns=list(table.columns))
            if len(found) > 1:
                st.markdown(f"**{_escape_markdown(table.name)}**")
            if frame.size <= SMALL_TABLE_CELLS:
                st.table(frame, hide_index=True)  # an HTML table: read cell by cell by screen readers
            else:
                st.dataframe(frame, hide_index=True, height=min(400, 38 + 35 * len(frame)))
            if table.cut:
                st.caption(f"The first {len(table.rows):,} of {table.total_rows:,} rows.")
        st.download_button(
            "⬇️ Download these numbers (CSV)",
            data=describe.to_csv(found),
            file_name=f"{describe.file_name(fig)}.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"{key}__csv",
        )


def what_you_are_seeing(text: str) -> None:
    """2-4 plain sentences pointing at what just changed on screen; glossary words link to their entry."""
    st.info(f"**What you are seeing.** {classroom.glossary_links(text)}", icon="👁️")


def go_deeper(markdown: str, title: str = "Go deeper: the technical version") -> None:
    with st.expander(title, icon="🔬"):
        st.markdown(markdown)


@contextmanager
def timed(label: str = "last computation") -> Iterator[None]:
    """Time a block of model work; the model card shows the latest figure for this page."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings = st.session_state.setdefault(_TIMING_KEY, {})
        timings[st.session_state.get(_PAGE_KEY, "")] = (label, time.perf_counter() - started)


def last_timing() -> tuple[str, float] | None:
    return st.session_state.get(_TIMING_KEY, {}).get(st.session_state.get(_PAGE_KEY, ""))


def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def format_bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def sentence(text: str) -> str:
    """`text` as a sentence: first letter capital, the rest as written ("JSON" stays "JSON"), a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


def show_load_error(error: ModelLoadError) -> None:
    st.error(
        f"**The {error.name} model is not available right now.** {sentence(error.reason)}\n\n"
        f"The rest of the tour still works. To rebuild this model, run this in the project folder:",
        icon="🧰",
    )
    st.code(error.command, language="bash")


def load_or_stop(name: str, loader: Callable[[], T]) -> T:
    """Run a (cached) model loader; on a missing or damaged model, explain and stop this page only."""
    try:
        return loader()
    except ModelLoadError as error:
        show_load_error(error)
        st.stop()
        raise  # unreachable: st.stop() raises


def model_card(*names: str) -> None:
    """The model card expander: what the model is, size, data, measured quality, live cost."""
    with st.expander("Model card: the real model behind this page", icon="🪪"):
        for name in names:
            _model_card_body(name)
        timing = last_timing()
        if timing is not None:
            label, seconds = timing
            st.markdown(f"**Live cost.** The {label} on this page took **{format_seconds(seconds)}** on this server.")


def _model_card_body(name: str) -> None:
    try:
        config = read_config(name)
    except ModelLoadError as error:
        st.warning(str(error))
        return
    weights = config.get("weights", {})
    data = config.get("data", {})
    training = config.get("training", {})
    st.markdown(f"#### {config.get('title', name)}")
    cols = st.columns(3)
    cols[0].metric("Parameters", f"{weights.get('parameters', 0):,}")
    cols[1].metric("File size", format_bytes(int(weights.get("bytes", 0))))
    cols[2].metric("Training time (CPU)", format_seconds(float(training.get("wall_seconds", 0))))
    st.markdown(f"**Training data.** {data.get('description', data.get('source', 'See config.json.'))}")
    metrics = config.get("metrics", {})
    notes = config.get("metric_notes", {})
    if metrics:
        rows = ["| measured quality | value | meaning |", "|---|---|---|"]
        for key, value in metrics.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            rows.append(f"| `{key}` | {shown} | {notes.get(key, '')} |")
        st.markdown("\n".join(rows))
    st.caption(
        f"Files: `pretrained/{name}/` "
        f"(model.safetensors, config.json, README.md). Rebuild: `python -m training {name}`."
    )
