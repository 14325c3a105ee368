"""Streamlit side of the VAE page: the cached models and maps, the input widgets (a real picture, a drawing, an
upload) and the clicks on the maps. Everything takes the dataset's key ("fashion" or "digits").

The models are loaded once per server (`st.cache_resource`) and never mutated. Deterministic results (the decoded
map, where the real pictures land) are cached with `st.cache_data`; the map's picture and the scatter's figure
are built once and shared by every session.
"""

from __future__ import annotations

import hashlib

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from explainers.datasets import ImageDataset, get_dataset
from explainers.vae import (
    FASHION_GRID_SIZE,
    GRID_SIZE,
    VAE,
    Encoding,
    LatentGrid,
    decode_points,
    encode_images,
    latent_grid,
    load_vae,
)
from figures.pictures import single_image
from figures.style import percent
from figures.vae import (
    Mark,
    class_glyphs_picture,
    encoded_scatter,
    latent_map,
    loss_terms_bar,
    map_edge,
    map_picture,
    scatter_half_width,
)
from ui import compute  # noqa: F401 - sets one torch thread per request, before any model runs
from ui.frame import show_chart, timed
from ui.image_data import example_picker, get_judge, heldout_examples, judge_images, with_article
from ui.touch import drawing_pad, pad_cells

GRID_SIZES = {"digits": GRID_SIZE, "fashion": FASHION_GRID_SIZE}  # tiles per side of each map
SCATTER_PER_KIND = 40  # real pictures of each kind on the scatter: all of them made it crowded and slow


@st.cache_resource(show_spinner="Loading the VAE…")
def get_vae(dataset: str) -> VAE:
    return load_vae(get_dataset(dataset).model("vae"))


@st.cache_data(max_entries=4, show_spinner=False)
def vae_grid(dataset: str) -> LatentGrid:
    return latent_grid(get_vae(dataset), GRID_SIZES[dataset])


@st.cache_resource(max_entries=4, show_spinner=False)
def vae_map_picture(dataset: str) -> str:
    """The decoded map as one PNG (60-130 ms to encode): made once per server, not on every move of the point."""
    return map_picture(vae_grid(dataset).images)


@st.cache_data(max_entries=4, show_spinner=False)
def confident_kinds(dataset: str, min_confidence: float = 0.8) -> list[int]:
    """The kinds the judge reads with confidence somewhere on the map."""
    images = vae_grid(dataset).images
    return judge_images(images.reshape(-1, *images.shape[-2:]), dataset).confident_classes(min_confidence)


def map_extent(dataset: str) -> float:
    """Half the width of the drawn map, in map coordinates."""
    return map_edge(vae_grid(dataset).axis)


def map_figure(dataset: str, title: str, marks: list[Mark], path: np.ndarray) -> go.Figure:
    return latent_map(vae_map_picture(dataset), vae_grid(dataset).axis, title, marks, path)


def decode_and_judge(dataset: str, z1: float, z2: float) -> tuple[np.ndarray, int, float]:
    """Decode one map point; returns the (H, W) image and what the judge reads in it."""
    point = decode_points(get_vae(dataset), np.array([[z1, z2]], dtype=np.float32))[0]
    seen = judge_images(point[None], dataset)
    return point, int(seen.predicted[0]), float(seen.confidence[0])


def encode_and_judge(dataset: str, image: torch.Tensor) -> tuple[Encoding, int, float]:
    """Encode one (1, 1, H, W) image; also what the judge reads in its reconstruction."""
    enc = encode_images(get_vae(dataset), image)
    seen = judge_images(enc.reconstruction, dataset)
    return enc, int(seen.predicted[0]), float(seen.confidence[0])


# ------------------------------------------------------------------------- the scatter of real pictures


@st.cache_data(max_entries=4, show_spinner=False)
def scatter_points(dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to SCATTER_PER_KIND real held-out pictures of each kind: where they land (N, 2), labels, pictures."""
    images, labels = heldout_examples(dataset)
    chosen = np.concatenate([np.flatnonzero(labels.numpy() == k)[:SCATTER_PER_KIND] for k in range(10)])
    enc = encode_images(get_vae(dataset), images[chosen])
    return enc.mu, labels.numpy()[chosen], images[chosen, 0].numpy()


@st.cache_resource(max_entries=4, show_spinner=False)
def scatter_glyphs(dataset: str) -> str:
    """The scatter's glyphs as one picture, the same for every set of marks, so drawn once (about 0.1 s)."""
    mu, labels, pictures = scatter_points(dataset)
    half = scatter_half_width(mu, map_extent(dataset))
    return class_glyphs_picture(mu, labels, half, thumbnails=pictures if dataset == "fashion" else None)


@st.cache_resource(max_entries=16, show_spinner=False)
def encoded_scatter_figure(dataset: str, marks: tuple[Mark, ...]) -> go.Figure:
    """The scatter of real pictures, built once per set of marks and shared by every session: it does not move
    with the decoded point, and st.plotly_chart only reads (copies) the figure it is given."""
    data = get_dataset(dataset)
    mu, labels, _ = scatter_points(dataset)
    plural = "digits" if dataset == "digits" else "pictures"
    title = f"Same kinds cluster: where {len(labels)} real<br>{plural} land (dashed: the map's area)"
    glyphs = scatter_glyphs(dataset)
    return encoded_scatter(
        mu, labels, data.class_names, title, map_extent(dataset), glyphs, legend=dataset != "digits", marks=marks
    )


# ------------------------------------------------------------------------------------- clicks on the maps


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


def set_latent_from_click(chart_key: str, mode: str) -> None:
    """on_select callback of the map (customdata = [z1, z2]) or the scatter (customdata = [index, z1, z2])."""
    data = _clicked_customdata(chart_key)
    if data is None or len(data) < (2 if mode == "map" else 3) or not np.all(np.isfinite(data)):
        return
    z1, z2 = (data[0], data[1]) if mode == "map" else (data[1], data[2])
    st.session_state["z1"] = round(float(np.clip(z1, -4, 4)), 2)
    st.session_state["z2"] = round(float(np.clip(z2, -4, 4)), 2)


# ------------------------------------------------------------------------------------- input widgets

REAL, DRAW, UPLOAD = "Pick a real one", "Draw one", "Upload a picture"
_CELLS = "vae_cells"
_PAD = "vae_pad"


def drawing_cells() -> np.ndarray:
    """The visitor's digit drawing (ink 0..1), kept in this session only; it starts from a real digit."""
    if _CELLS not in st.session_state:
        images, _ = heldout_examples("digits")
        st.session_state[_CELLS] = (images[0, 0].numpy() > 0.4).astype(np.float32)
    return st.session_state[_CELLS]


def _take_stroke() -> None:
    """The drawing pad's callback: keep the drawing the browser sent, if it is a valid one."""
    cells = pad_cells(_PAD, drawing_cells().shape)
    if cells is not None:
        st.session_state[_CELLS] = cells


def clear_cells() -> None:
    st.session_state[_CELLS] = np.zeros_like(drawing_cells())


@st.cache_data(max_entries=16, show_spinner=False)
def _picture_from_upload(converter: str, digest: str, _data: bytes) -> tuple[np.ndarray | None, str]:
    """An uploaded file -> (picture, "") or (None, why not), by explainers.uploads.<converter>. Keyed by the file's
    SHA-256 (`_data` is not hashed by Streamlit): a file is decoded once per server, not on every rerun or tab."""
    from explainers import uploads

    try:
        return getattr(uploads, converter)(_data), ""
    except uploads.BadImageError as err:
        return None, str(err)


def _digit_from_upload(digest: str, data: bytes) -> tuple[np.ndarray | None, str]:
    return _picture_from_upload("digit_8x8", digest, data)


def _upload_input(dataset: ImageDataset) -> tuple[torch.Tensor | None, str]:
    from explainers.uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB

    digits = dataset.key == "digits"
    # The same limit as the server's (.streamlit/config.toml server.maxUploadSize): the browser refuses a bigger
    # file itself before sending it, marking it in red (its message is only read out by screen readers, so the
    # caption below says it in words).
    upload = st.file_uploader(
        f"A picture of one {dataset.item} (PNG or JPEG, up to {MAX_UPLOAD_MB} MB)",
        type=["png", "jpg", "jpeg"],
        max_upload_size=MAX_UPLOAD_MB,
        help="Dark ink on light paper works best; crop to one digit. A phone photo or a screenshot is fine."
        if digits
        else "One piece of clothing on a plain background works best, like a shop's product photo; crop to it.",
    )
    if upload is None:
        st.caption(
            f"No picture yet: upload one above. A file over {MAX_UPLOAD_MB} MB is marked in red and not sent: "
            "crop it, or save it as a JPEG, and try again."
        )
        return None, ""
    data = upload.getvalue()[: MAX_UPLOAD_BYTES + 1]
    converter = "digit_8x8" if digits else "fashion_28x28"
    picture, problem = _picture_from_upload(converter, hashlib.sha256(data).hexdigest(), data)
    if picture is None:
        st.error(f"We could not use that file: {problem}")
        return None, ""
    return torch.from_numpy(picture)[None, None], "your picture"  # (S, S) -> (1, 1, S, S)


def picture_source_input(dataset: ImageDataset, default_kind: int) -> tuple[torch.Tensor | None, str]:
    """Radio (bound to the URL) + the chosen input: a held-out picture, a drawing (digits) or an upload."""
    from explainers.digits import BadImageError, image_from_cells

    sources = (REAL, DRAW, UPLOAD) if dataset.key == "digits" else (REAL, UPLOAD)
    source = st.radio(
        f"Where the {dataset.item} comes from",
        sources,
        horizontal=True,
        key="src",
        bind="query-params",
        help=f"Pick one of the real pictures the model never trained on{', draw a digit' if DRAW in sources else ''}"
        ", or upload a photo.",
    )
    if source == UPLOAD:
        return _upload_input(dataset)
    if source != DRAW:
        image, _, caption = example_picker("Kind", "enc", default_kind, dataset)
        return image, caption
    drawing_pad(drawing_cells(), _PAD, "A drawing pad of 8 by 8 squares", _take_stroke)
    st.caption("Tap or click a square to ink it; drag to draw a stroke (a stroke that starts on ink erases).")
    st.button("Clear the drawing", on_click=clear_cells)
    try:
        return image_from_cells(drawing_cells()), "your drawing"
    except BadImageError as err:
        st.warning(str(err))
        return None, ""


# Where each list of the page starts: an example to encode, and the two ends of the walk.
DEFAULT_KINDS = {"fashion": {"enc": 9, "wa": 0, "wb": 9}, "digits": {"enc": 3, "wa": 1, "wb": 7}}


def layer_sizes(dataset: str) -> str:
    """The encoder's layer widths in LaTeX ("784 \\to 512 \\to 256 \\to 2"), for the technical notes."""
    vae = get_vae(dataset)
    sizes = (vae.enc1.in_features, vae.enc1.out_features, vae.enc2.out_features, vae.latent)
    return r"\to".join(str(s) for s in sizes)


def default_vae_views() -> None:
    """Compute what a visitor's first visit to the VAE page needs (for the warm-up): clothes first, then digits."""
    for dataset in ("fashion", "digits"):
        get_judge(dataset)
        vae_map_picture(dataset)
        confident_kinds(dataset)
        images, labels = heldout_examples(dataset)
        first = images[int(np.flatnonzero(labels.numpy() == DEFAULT_KINDS[dataset]["enc"])[0])][None]
        mu = encode_images(get_vae(dataset), first).mu[0]
        encoded_scatter_figure(dataset, (Mark(float(mu[0]), float(mu[1]), "this picture"),))


def technical_notes(dataset: str) -> str:
    """ "Go deeper" for the VAE page: the model, its loss and why its pictures are blurry."""
    return rf"""
**Model.** Encoder $q_\phi(z\mid x)=\mathcal N(\mu_\phi(x),\operatorname{{diag}}\sigma^2_\phi(x))$ and decoder
$p_\theta(x\mid z)$ (a Bernoulli per pixel) are small MLPs (${layer_sizes(dataset)}$ and back); $z\in\mathbb R^2$.

**Loss** (the negative ELBO, Kingma & Welling 2014, *Auto-Encoding Variational Bayes*): a reconstruction term
(binary cross-entropy) plus a KL term,

$$
\begin{{aligned}}\mathcal L &= -\mathbb E_{{q}}[\log p_\theta(x\mid z)] \\
&\quad + \mathrm{{KL}}\big(q_\phi(z\mid x)\,\Vert\,\mathcal N(0,I)\big)\end{{aligned}}
$$

$$
\mathrm{{KL}} = -\tfrac12\textstyle\sum_j\big(1+\log\sigma_j^2-\mu_j^2-\sigma_j^2\big)
$$

The KL term pulls every picture's cloud towards the centre, which keeps the map filled with no gaps, so random
points decode to plausible pictures.

**Reparameterisation.** $z=\mu+\sigma\odot\varepsilon$ with $\varepsilon\sim\mathcal N(0,I)$: the randomness is
an input, so gradients flow through $\mu$ and $\sigma$.

**Blur, precisely.** With a factorised likelihood the best decoder output is the posterior *mean* image
$\mathbb E[x\mid z]$; when $z$ cannot pin down one picture, that mean is a blend. GANs have no pixel-wise
likelihood, so they are not pulled towards means. The map shows tiles at the prior's 2nd-98th percentiles.

**Not shown:** the encoder's uncertainty $\sigma$ (each picture is really a small cloud, not a point) and the
decoder's per-pixel probabilities beyond their mean.
"""


def encode_section(data: ImageDataset, default_kind: int, picture: dict) -> list[Mark]:
    """Section 2: a picture (real, uploaded or drawn), where it lands, its redrawing and its cost. Returns the star
    for the maps (none without a picture)."""
    st.subheader(f"2 · Encode {with_article(data.item)}: where does it land?")
    c_in, c_orig, c_rec, c_terms = st.columns(4)
    with c_in:
        image, caption = picture_source_input(data, default_kind)
    marks = []
    if image is not None:
        with timed("encoding and decoding of one picture"):
            enc, judged, sure = encode_and_judge(data.key, image)
        mu, recon, kl = enc.mu[0], float(enc.recon_nats[0]), float(enc.kl_nats[0])
        marks = [Mark(float(mu[0]), float(mu[1]), caption if caption.startswith("your") else "this picture")]
        show_chart(c_orig, single_image(image[0, 0].numpy(), "Original", 300), key="orig", **picture)
        c_orig.caption(f"{caption.capitalize()}. It lands at **({mu[0]:.1f}, {mu[1]:.1f})** on the map (the star).")
        show_chart(c_rec, single_image(enc.reconstruction[0], "Redrawn", 300), key="rec", **picture)
        c_rec.caption(f"The judge reads the redrawn picture as **{data.class_names[judged]}** ({percent(sure)} sure).")
        fig = loss_terms_bar(recon, kl, f"Cost of this picture:<br>{recon + kl:.0f} nats")
        show_chart(c_terms, fig, key="terms", **picture)
        c_terms.caption("Lower is better: training makes the sum of both bars small, on average over all pictures.")

    return marks
