"""Animated GIFs (figures.animation): frames in, a looping GIF with big pixels and capped frames out."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from figures import animation


def _frames(n: int, h: int = 28, w: int = 28) -> np.ndarray:
    return np.linspace(0, 1, n)[:, None, None] * np.ones((n, h, w))


def _png(greys: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.round(greys * 255).astype(np.uint8), "L").save(out, format="PNG")
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF"
    return image


def test_gif_loops_with_big_pixels_and_every_frame() -> None:
    image = _open(animation.gif_bytes(_frames(5)))
    assert image.n_frames == 5
    scale = animation.scale_for(28, 28)
    assert image.size == (28 * scale, 28 * scale) and 28 * scale >= 300
    assert image.info.get("loop") == 0


def test_frames_are_capped_keeping_first_and_last() -> None:
    keep = animation.frame_indices(200, 50)
    assert len(keep) == 50 and keep[0] == 0 and keep[-1] == 199
    image = _open(animation.gif_bytes(_frames(200), most=50))
    assert image.n_frames == 50
    first = np.asarray(image.convert("L"))
    image.seek(image.n_frames - 1)
    last = np.asarray(image.convert("L"))
    assert first.mean() < 5 and last.mean() > 250  # the black start and the white end are both there


def test_size_is_capped_for_wide_strips() -> None:
    image = _open(animation.gif_bytes(_frames(3, 28, 28 * 3 + 4)))
    assert max(image.size) <= animation.MAX_SIDE
    assert animation.scale_for(28, 28) >= 10  # a 28x28 picture is shown big
    assert animation.scale_for(2000, 10) == 1


def test_captions_add_a_band_and_colour_frames_work() -> None:
    plain = _open(animation.gif_bytes(_frames(2)))
    captioned = _open(animation.gif_bytes(_frames(2), captions=["step 1", "step 2"]))
    assert captioned.size[1] > plain.size[1] and captioned.size[0] == plain.size[0]
    colour = np.zeros((2, 8, 8, 3))
    colour[1, :, :, 0] = 1.0
    image = _open(animation.gif_bytes(colour))
    image.seek(1)
    r, g, b = image.convert("RGB").getpixel((5, 5))
    assert r > 200 and g < 50 and b < 50


def test_bad_frames_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="at least one frame"):
        animation.gif_bytes(np.zeros((0, 4, 4)))
    with pytest.raises(ValueError, match="greys"):
        animation.gif_bytes(np.zeros((2, 4, 4, 2)))
    with pytest.raises(ValueError, match="same shape"):
        animation.gif_bytes([np.zeros((4, 4)), np.zeros((5, 5))])


def test_a_diffusion_run_becomes_a_captioned_gif() -> None:
    steps = 200
    pictures = np.linspace(0, 1, steps)[:, None, None] * np.ones((steps, 28, 28))
    gif = _open(animation.trajectory_gif(pictures, np.zeros((steps, 28, 28)), pictures, np.arange(steps)[::-1]))
    assert gif.n_frames == animation.MAX_FRAMES  # evenly spaced steps, the first and the last kept
    scale = animation.scale_for(28, 28 * 3 + 2 * 2)
    assert gif.size[0] == (28 * 3 + 2 * 2) * scale  # three panels side by side


def test_a_plotly_animation_of_pictures_is_recognised() -> None:
    import plotly.graph_objects as go

    source = "data:image/png;base64," + base64.b64encode(_png(np.zeros((4, 4)))).decode()
    fig = go.Figure(data=[go.Image(source=source)], frames=[go.Frame(data=[go.Image(source=source)], name="0")])
    assert animation.has_picture_frames(fig)
    frames, captions = animation.figure_frames(fig)
    assert len(frames) == 1 and frames[0].shape == (4, 4) and captions == [""]
    assert not animation.has_picture_frames(go.Figure())
