"""Pictures of small images (8x8 digits, 28x28 clothes; any size): tiles laid out on a canvas, PNG bytes, data
URIs, and the Plotly figures that show one picture, a row of them or a grid.

Images come in as arrays in [0, 1] with 1 = ink (the one pixel convention of every figure builder; models that
work in [-1, 1] are converted before, with explainers.digits.to_unit). They are drawn dark ink on white paper with
hard pixel edges, so they stay crisp on a projector: Plotly draws an image trace with nearest-neighbour scaling
(CSS image-rendering: pixelated), and the PNG is upscaled a few times first (`scale_for`) so that the browser
scales it up by a larger factor, where uneven pixel widths do not show. Signed arrays (noise) are drawn mid-grey
= 0. Sizes come from the arrays' shapes. Pictures go to the browser as small PNGs (binary strings), not as
per-pixel JSON.
"""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from figures.style import figure

SCALE = 8  # PNG pixels per image pixel for 8x8 digits; scale_for gives it for any size


def scale_for(side: int) -> int:
    """PNG pixels per image pixel for pictures `side` pixels wide: 8 for 8x8 digits, 2 for 28x28 clothes."""
    return max(1, 64 // side)


def paper(ink: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] (1 = ink) -> display grey (1 = white paper)."""
    return 1.0 - np.clip(ink, 0, 1)


def signed_grey(values: np.ndarray, limit: float = 2.5) -> np.ndarray:
    """Signed values -> grey with 0 = mid grey, +limit = white, -limit = black."""
    return np.clip(0.5 + values / (2 * limit), 0, 1)


def mosaic(images: np.ndarray, gap: int = 1, scale: int = 1, background: float = 1.0, border: int = 0) -> np.ndarray:
    """(R, C, H, W) display greys -> one canvas of R x C tiles, each upscaled `scale` times, with `gap` pixels of
    `background` between tiles and `border` pixels of it around them all."""
    rows, cols, h, w = images.shape
    big = images.repeat(scale, axis=2).repeat(scale, axis=3)
    th, tw = h * scale + gap, w * scale + gap
    canvas = np.full((rows * th - gap + 2 * border, cols * tw - gap + 2 * border), background, dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            top, left = border + r * th, border + c * tw
            canvas[top : top + h * scale, left : left + w * scale] = big[r, c]
    return canvas


def grid_picture(
    images: np.ndarray, cols: int, scale: int = 1, gap: int = 1, background: float = 1.0, border: int = 0
) -> np.ndarray:
    """(N, H, W) ink in [0, 1] -> a canvas of display greys, `cols` images per row; places after the last
    image show the background."""
    n, h, w = images.shape
    rows = -(-n // cols)
    tiles = np.full((rows * cols, h, w), background, dtype=np.float32)
    tiles[:n] = paper(images)
    return mosaic(tiles.reshape(rows, cols, h, w), gap=gap, scale=scale, background=background, border=border)


def to_png(picture: np.ndarray | Image.Image, colours: int | None = None) -> bytes:
    """PNG bytes of a picture: an (H, W) array of greys in [0, 1] (1 = white), an (H, W, 3) uint8 RGB array, or a
    PIL image. `colours` reduces the palette first (a smooth background would otherwise cost ~100 KB a picture)."""
    if isinstance(picture, np.ndarray):
        if picture.dtype != np.uint8:
            picture = np.round(np.clip(picture, 0, 1) * 255).astype(np.uint8)
        picture = Image.fromarray(picture)
    if colours is not None:
        picture = picture.convert("RGBA" if picture.mode == "RGBA" else "RGB")
        picture = picture.quantize(colors=colours, method=Image.Quantize.FASTOCTREE)
    buffer = BytesIO()
    # compress_level 6, not optimize=True: that took 100 ms instead of 8 ms for the VAE map, for 7% fewer bytes.
    picture.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """A data: URL, so a picture travels inside the figure or the page (no media file to fetch or expire)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def picture_source(greys: np.ndarray) -> str:
    """A canvas of display greys as the `source` of a Plotly image trace."""
    return data_uri(to_png(greys))


def image_axes() -> dict[str, Any]:
    """Hidden axes, square pixels (one picture per figure)."""
    return {"xaxis": {"visible": False}, "yaxis": {"visible": False, "scaleanchor": "x"}}


def tile_pngs(images: np.ndarray, side: int = 168, signed: bool = False) -> list[bytes]:
    """(K, H, W) -> one PNG per image, upscaled by a whole number (nearest neighbour) to at least `side` pixels,
    for a row of pictures that wraps on a narrow screen (st.image with a list)."""
    k, _, w = images.shape
    factor = -(-side // w)
    greys = signed_grey(images) if signed else paper(images)
    big = greys.repeat(factor, axis=1).repeat(factor, axis=2)  # (K, H*f, W*f)
    framed = np.pad(big, ((0, 0), (3, 3), (3, 3)), constant_values=1.0)  # white paper between the pictures
    return [to_png(framed[i]) for i in range(k)]


def single_image(image: np.ndarray, title: str, height: int = 300, signed: bool = False) -> go.Figure:
    """One image (H, W), big."""
    grey = signed_grey(image) if signed else paper(image)
    # {"font": {"size": 17}} replaces the style's title font, which holds only its size.
    layout = {**image_axes(), "margin": {"l": 5, "r": 5, "t": 50, "b": 5}, "title": {"font": {"size": 17}}}
    canvas = mosaic(grey[None, None], gap=0, scale=scale_for(image.shape[1]))
    picture = dict(type="image", source=picture_source(canvas), hoverinfo="skip")
    return figure(picture, layout, title=title, height=height)


def image_grid(images: np.ndarray, title: str, cols: int = 8, height: int = 360) -> go.Figure:
    """(N, H, W) in [0, 1] -> a grid of images, `cols` per row."""
    scale = scale_for(images.shape[2])
    canvas = grid_picture(images, cols, scale=scale, gap=max(2, scale * images.shape[2] // 16))
    layout = {**image_axes(), "margin": {"l": 5, "r": 5, "t": 60, "b": 5}}
    return figure(
        dict(type="image", source=picture_source(canvas), hoverinfo="skip"), layout, title=title, height=height
    )
