"""Raster pictures for the GAN page's *live* views, refreshed several times a second.

Why not Plotly here: Streamlit gives a Plotly (or Vega) chart a new identity whenever its data changes, so
the browser unmounts and remounts it on every refresh and the chart blinks (measured on Streamlit 1.67: the
chart's DOM node is replaced each tick and two copies briefly coexist). An `st.image` keeps its node and only
swaps the picture, so a 4-per-second refresh is smooth. These builders return RGB arrays (H, W, 3) uint8 (the
fakes' grid: greys), for figures.pictures.to_png with LIVE_COLOURS; the finding goes in the heading above them. Colours match figures/gan.py (Okabe-Ito).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from figures.gan import FAKE_COLOUR, REAL_COLOUR, STALEMATE_D
from figures.pictures import grid_picture
from figures.style import percent

SS = 2  # supersampling factor: draw big, shrink, so edges are smooth
LIVE_COLOURS = 128  # palette of the live PNGs: the smooth background would otherwise cost ~100 KB per refresh
_GAP = 235 / 255  # light grey between the fakes
_FAKE_SIDE = (245, 183, 122)  # detective says "fake"
_REAL_SIDE = (140, 195, 232)  # detective says "real"
_WHITE = (255, 255, 255)
_INK = (34, 34, 34)
_GRID = (225, 228, 232)
_MUTED = (154, 163, 173)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # bundled with Pillow: no system font needed


def surface_colours(surface: np.ndarray) -> np.ndarray:
    """P(real) in [0, 1] -> RGB: orange (fake) through white (50/50) to blue (real). Shape (..., 3) uint8."""
    p = np.clip(surface, 0, 1)[..., None]
    fake, white, real = (np.array(c, dtype=np.float32) for c in (_FAKE_SIDE, _WHITE, _REAL_SIDE))
    low = white + (fake - white) * (1 - 2 * np.minimum(p, 0.5))  # p in [0, .5]: fake -> white
    high = white + (real - white) * (2 * np.maximum(p, 0.5) - 1)  # p in [.5, 1]: white -> real
    return np.where(p < 0.5, low, high).round().astype(np.uint8)


def arena_raster(
    extent: float, surface: np.ndarray, real: np.ndarray, fake: np.ndarray, arrows: np.ndarray | None, size: int = 520
) -> np.ndarray:
    """The 2-D arena: decision surface, real points (blue dots), fakes (orange diamonds), forger's pushes."""
    big = size * SS
    colours = surface_colours(surface[::-1])  # row 0 of `surface` is the bottom (y = -extent)
    img = Image.fromarray(colours, "RGB").resize((big, big), Image.BILINEAR)
    draw = ImageDraw.Draw(img)

    def px(points: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [(points[:, 0] + extent) / (2 * extent) * big, (extent - points[:, 1]) / (2 * extent) * big]
        )

    r = 4 * SS
    for x, y in px(real):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_rgb(REAL_COLOUR))
    if arrows is not None and len(arrows):
        starts = px(fake[: len(arrows)])
        ends = px(fake[: len(arrows)] + arrows)
        for (x0, y0), (x1, y1) in zip(starts, ends, strict=True):
            draw.line((x0, y0, x1, y1), fill=_INK, width=2 * SS)
    d = 5.5 * SS
    for x, y in px(fake):
        draw.polygon(((x, y - d), (x + d, y), (x, y + d), (x - d, y)), fill=_rgb(FAKE_COLOUR), outline=_WHITE)
    draw.rectangle((0, 0, big - 1, big - 1), outline=_GRID, width=SS)
    return np.asarray(img.reduce(SS))


def _nice_top(value: float) -> float:
    for top in (0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 8, 10, 20, 50):
        if value <= top:
            return float(top)
    return float(np.ceil(value))


def _nice_ticks(x_max: float) -> list[float]:
    """0 and 2-4 round numbers up to x_max (1, 2 or 5 times a power of ten apart)."""
    if x_max <= 0:
        return [0.0]
    raw = x_max / 3
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [float(t) for t in np.arange(0, x_max + 1e-9, step)]


def lines_raster(
    steps: np.ndarray,
    series: list[tuple[str, np.ndarray, str]],
    width: int = 440,
    height: int = 300,
    reference: tuple[float, str] | None = (STALEMATE_D, "guessing (2 ln 2)"),
    x_label: str = "training step",
) -> np.ndarray:
    """A small line chart: several curves over training steps, an optional dashed reference line."""
    w, h = width * SS, height * SS
    img = Image.new("RGB", (w, h), _WHITE)
    draw = ImageDraw.Draw(img)
    font, small = _font(18 * SS), _font(16 * SS)
    left, right, top, bottom = 44 * SS, 24 * SS, 34 * SS, 44 * SS
    x_max = float(steps[-1]) if len(steps) else 1.0
    values = [v for _, v, _ in series if len(v)]
    y_top = _nice_top(max([float(np.max(v)) for v in values] + [reference[0] * 1.1 if reference else 0.5]))

    def to_px(x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
        xs = left + np.asarray(x, dtype=np.float64) / max(x_max, 1.0) * (w - left - right)
        ys = top + (1 - np.clip(np.asarray(y, dtype=np.float64), 0, y_top) / y_top) * (h - top - bottom)
        return list(zip(xs.tolist(), ys.tolist(), strict=True))

    for tick in _nice_ticks(y_top):
        ((_, y),) = to_px(np.array([0.0]), np.array([tick]))
        draw.line((left, y, w - right, y), fill=_GRID, width=SS)
        draw.text((left - 6 * SS, y), f"{tick:g}", fill=_MUTED, font=small, anchor="rm")
    for tick in _nice_ticks(x_max):
        ((x, _),) = to_px(np.array([tick]), np.array([0.0]))
        draw.text((x, h - bottom + 6 * SS), f"{int(round(tick)):,}", fill=_MUTED, font=small, anchor="mt")
    draw.text(((left + w - right) / 2, h - 4 * SS), x_label, fill=_MUTED, font=small, anchor="md")
    if reference is not None:
        ((_, y),) = to_px(np.array([0.0]), np.array([reference[0]]))
        for x0 in range(left, w - right, 12 * SS):
            draw.line((x0, y, min(x0 + 6 * SS, w - right), y), fill=_MUTED, width=SS)
        draw.text((w - right, y - 4 * SS), reference[1], fill=_MUTED, font=small, anchor="rd")
    legend_x = left
    for name, v, colour in series:
        if len(v) > 1:
            draw.line(to_px(steps, v), fill=_rgb(colour), width=3 * SS, joint="curve")
        elif len(v) == 1:
            ((x, y),) = to_px(steps, v)
            draw.ellipse((x - 3 * SS, y - 3 * SS, x + 3 * SS, y + 3 * SS), fill=_rgb(colour))
        draw.line((legend_x, 12 * SS, legend_x + 22 * SS, 12 * SS), fill=_rgb(colour), width=4 * SS)
        draw.text((legend_x + 28 * SS, 12 * SS), name, fill=_INK, font=font, anchor="lm")
        legend_x += int(draw.textlength(name, font=font)) + 48 * SS
    return np.asarray(img.reduce(SS))


def bars_raster(
    shares: np.ndarray, unreadable: float, names: Sequence[str], rare_share: float, width: int = 440
) -> np.ndarray:
    """The judge's reading of the fakes, one horizontal bar per kind and one for "unreadable" (grey): share of all
    the fakes. Bars under `rare_share` are orange; a dashed line marks each kind's fair share of the readable ones."""
    labels = [*names, "unreadable"]
    values = [*(float(x) for x in shares), float(unreadable)]
    row = 27 * SS
    w, h = width * SS, len(labels) * row + 48 * SS
    img = Image.new("RGB", (w, h), _WHITE)
    draw = ImageDraw.Draw(img)
    font, small = _font(17 * SS), _font(15 * SS)
    left = int(max(draw.textlength(label, font=font) for label in labels)) + 12 * SS
    right, top = 52 * SS, 6 * SS
    x_top = max(0.2, max(values) * 1.1)

    def x_of(share: float) -> float:
        return left + min(share, x_top) / x_top * (w - left - right)

    bottom = top + len(labels) * row
    for tick in _nice_ticks(x_top):
        if tick <= x_top:
            draw.line((x_of(tick), top, x_of(tick), bottom), fill=_GRID, width=SS)
            draw.text((x_of(tick), bottom + 4 * SS), f"{tick:.0%}", fill=_MUTED, font=small, anchor="mt")
    colours = [_rgb(FAKE_COLOUR) if x < rare_share else _rgb(REAL_COLOUR) for x in values[:-1]] + [_MUTED]
    for i, (label, share, colour) in enumerate(zip(labels, values, colours, strict=True)):
        y0, y1 = top + i * row + 4 * SS, top + (i + 1) * row - 4 * SS
        draw.rectangle((x_of(0), y0, max(x_of(share), x_of(0) + SS), y1), fill=colour)
        draw.text((left - 8 * SS, (y0 + y1) / 2), label, fill=_INK, font=font, anchor="rm")
        draw.text((x_of(share) + 5 * SS, (y0 + y1) / 2), percent(share), fill=_INK, font=small, anchor="lm")
    fair = x_of((1 - unreadable) / max(len(names), 1))
    for y0 in range(top, top + len(names) * row, 10 * SS):
        draw.line((fair, y0, fair, min(y0 + 5 * SS, bottom)), fill=_MUTED, width=SS)
    draw.text(
        ((left + w - right) / 2, h - 4 * SS),
        "share of the fakes · dashed: fair share",
        fill=_MUTED,
        font=small,
        anchor="md",
    )
    return np.asarray(img.reduce(SS))


def fakes_grid(images: np.ndarray, cols: int = 10, scale: int = 1) -> np.ndarray:
    """The forger's pictures (N, H, W) in [0, 1] as one grid of greys: dark ink on white, thin light gaps. Small: the
    page scales it up in the browser with hard pixel edges (CSS image-rendering: pixelated), so it stays crisp."""
    return grid_picture(images, cols, scale=scale, gap=1, background=_GAP, border=1)
