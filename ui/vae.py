"""Streamlit side of the VAE page: the cached model and map, the input widgets (real example, drawing, upload)
and the clicks on the map.

The model is loaded once per server (`st.cache_resource`) and never mutated. Deterministic results (the decoded
map, where the real pictures land) are cached with `st.cache_data`; the scatter's figure and its picture are
built once and shared by every session.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from explainers.vae import VAE, Encoding, LatentGrid, decode_points, encode_images, latent_grid, load_vae
from figures.vae import drawing_pad, encoded_scatter, label_glyphs_picture, scatter_half_width
from ui import compute  # noqa: F401 - sets one torch thread per request, before any model runs
from ui.frame import show_chart
from ui.image_data import example_picker, heldout_examples, judge_images, real_images


@st.cache_resource(show_spinner="Loading the VAE…")
def get_vae() -> VAE:
    return load_vae()


@st.cache_data(max_entries=4, show_spinner=False)
def vae_grid() -> LatentGrid:
    return latent_grid(get_vae())


@st.cache_data(max_entries=2, show_spinner=False)
def vae_encoded_dataset() -> Encoding:
    images, _ = real_images()
    return encode_images(get_vae(), images)


@st.cache_data(max_entries=2, show_spinner=False)
def vae_grid_report() -> tuple[np.ndarray, np.ndarray]:
    grid = vae_grid()
    report = judge_images(grid.images.reshape(-1, *grid.images.shape[-2:]))
    return report.predicted, report.confidence


def grid_extent(grid: LatentGrid) -> float:
    return float(grid.axis[-1] + (grid.axis[1] - grid.axis[0]) / 2)


def confident_digits(min_confidence: float = 0.8) -> list[int]:
    pred, conf = vae_grid_report()
    return sorted({int(p) for p, c in zip(pred, conf, strict=True) if c >= min_confidence})


def decode_and_judge(z1: float, z2: float) -> tuple[np.ndarray, int, float]:
    """Decode one map point; returns the (H, W) image and what the judge reads in it."""
    point = decode_points(get_vae(), np.array([[z1, z2]], dtype=np.float32))[0]
    seen = judge_images(point[None])
    return point, int(seen.predicted[0]), float(seen.confidence[0])


def encode_and_judge(image: torch.Tensor) -> tuple[Encoding, int, float]:
    """Encode one (1, 1, H, W) image; also what the judge reads in its reconstruction."""
    enc = encode_images(get_vae(), image)
    seen = judge_images(enc.reconstruction)
    return enc, int(seen.predicted[0]), float(seen.confidence[0])


# ------------------------------------------------------------------------- the scatter of real pictures


@st.cache_resource(max_entries=16, show_spinner=False)
def encoded_scatter_figure(marks: tuple[tuple[float, float, str], ...]) -> go.Figure:
    """The scatter of 600 real digits, built once per set of marks and shared by every session: it does not
    move with the decoded point, and st.plotly_chart only reads (copies) the figure it is given."""
    mu, labels, extent = _scatter_points()
    title = "Same digits cluster: where 600 of the 1,797<br>real digits land (dashed: the map's area)"
    return encoded_scatter(mu, labels, title, extent, list(marks), glyphs=real_digits_picture())


def _scatter_points() -> tuple[np.ndarray, np.ndarray, float]:
    """Every third real digit (600) and the map's extent. All 1,797 made the scatter crowded and slow."""
    _, labels = real_images()
    return vae_encoded_dataset().mu[::3], labels.numpy()[::3], grid_extent(vae_grid())


@st.cache_resource(show_spinner=False)
def real_digits_picture() -> str:
    """The scatter's digits as one picture: the same for every set of marks, so drawn once (about 0.1 s)."""
    mu, labels, extent = _scatter_points()
    return label_glyphs_picture(mu, labels, scatter_half_width(mu, extent))


# ------------------------------------------------------------------------------------- input widgets

INPUT_SOURCES = ("Pick a real digit", "Draw one", "Upload a picture")
_CELLS = "vae_cells"


def drawing_cells() -> np.ndarray:
    """The visitor's drawing (ink 0..1), kept in this session only; it starts from a real digit."""
    if _CELLS not in st.session_state:
        images, _ = heldout_examples()
        st.session_state[_CELLS] = (images[0, 0].numpy() > 0.4).astype(np.float32)
    return st.session_state[_CELLS]


def _clicked_customdata(chart_key: str) -> list[float] | None:
    """customdata of the first clicked point, as a list (the browser may send a list or an index-keyed dict)."""
    try:
        points = st.session_state[chart_key].selection.get("points", [])
        data = points[0].get("customdata") if points else None
        if isinstance(data, dict):
            data = [data[k] for k in sorted(data, key=lambda k: int(k))]
        return [float(v) for v in data] if data is not None else None
    except (KeyError, AttributeError, TypeError, ValueError, IndexError):
        return None  # a malformed click is ignored, never an error page


def toggle_cell(chart_key: str) -> None:
    """on_select callback of the drawing pad: flip the clicked square."""
    data = _clicked_customdata(chart_key)
    cells = drawing_cells()
    h, w = cells.shape
    if data is not None and len(data) >= 2 and 0 <= data[0] < h and 0 <= data[1] < w:
        r, c = int(data[0]), int(data[1])
        cells = cells.copy()
        cells[r, c] = 0.0 if cells[r, c] > 0.5 else 1.0
        st.session_state[_CELLS] = cells
        # A fresh chart key clears plotly's selection, so the same square can be clicked again right away.
        st.session_state["pad_n"] = st.session_state.get("pad_n", 0) + 1


def clear_cells() -> None:
    st.session_state[_CELLS] = np.zeros_like(drawing_cells())


def set_latent_from_click(chart_key: str, mode: str) -> None:
    """on_select callback of the map (customdata = [z1, z2]) or the scatter (customdata = [index, z1, z2])."""
    data = _clicked_customdata(chart_key)
    if data is None or len(data) < (2 if mode == "map" else 3):
        return
    z1, z2 = (data[0], data[1]) if mode == "map" else (data[1], data[2])
    st.session_state["z1"] = round(float(np.clip(z1, -4, 4)), 2)
    st.session_state["z2"] = round(float(np.clip(z2, -4, 4)), 2)


@st.cache_data(max_entries=16, show_spinner=False)
def _digit_from_upload(digest: str, _data: bytes) -> tuple[np.ndarray | None, str]:
    """An uploaded file -> (8x8 digit, "") or (None, why not). Keyed by the file's SHA-256 (`_data` is not
    hashed by Streamlit): a file is decoded once per server, not on every rerun or in every tab."""
    from explainers.uploads import BadImageError, digit_8x8

    try:
        return digit_8x8(_data), ""
    except BadImageError as err:
        return None, str(err)


def digit_source_input() -> tuple[torch.Tensor | None, str]:
    """Radio (bound to the URL) + the chosen input: a held-out digit, a drawing or an upload (validated)."""
    import hashlib

    from explainers.digits import BadImageError, image_from_cells
    from explainers.uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

    source = st.radio(
        "Where the digit comes from",
        INPUT_SOURCES,
        horizontal=True,
        key="src",
        bind="query-params",
        help="Pick one of the real digits the model never trained on, draw one, or upload a photo.",
    )
    if source == INPUT_SOURCES[1]:
        pad_key = f"pad{st.session_state.get('pad_n', 0)}"
        show_chart(
            st,
            drawing_pad(drawing_cells(), "Click a square: ink on/off"),
            key=pad_key,
            on_select=lambda: toggle_cell(pad_key),
            config={"displayModeBar": False},
            selection_mode="points",
            width="stretch",
        )
        st.button("Clear the drawing", on_click=clear_cells)
        try:
            return image_from_cells(drawing_cells()), "your drawing"
        except BadImageError as err:
            st.warning(str(err))
            return None, ""
    if source == INPUT_SOURCES[2]:
        # The same limit as the server's (.streamlit/config.toml server.maxUploadSize): the browser refuses a
        # bigger file itself before sending it, marking it in red (its message is only read out by screen readers,
        # so the caption below says it in words).
        upload = st.file_uploader(
            f"A picture of one digit (PNG or JPEG, up to {MAX_UPLOAD_MB} MB)",
            type=["png", "jpg", "jpeg"],
            max_upload_size=MAX_UPLOAD_MB,
            help="Dark ink on light paper works best; crop to one digit. A phone photo or a screenshot is fine.",
        )
        if upload is None:
            st.caption(
                f"No picture yet: upload one above. A file over {MAX_UPLOAD_MB} MB is marked in red and not sent: "
                "crop it, or save it as a JPEG, and try again."
            )
            return None, ""
        data = upload.getvalue()[: MAX_UPLOAD_BYTES + 1]
        digit, problem = _digit_from_upload(hashlib.sha256(data).hexdigest(), data)
        if digit is None:
            st.error(f"We could not use that file: {problem}")
            return None, ""
        return torch.from_numpy(digit).view(1, 1, 8, 8), "your picture"
    return example_picker("Digit", "enc", 3)
