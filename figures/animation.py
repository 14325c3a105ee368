"""Animated GIFs of a run: pictures in [0, 1] in, GIF file bytes out (PIL).

For the "save as GIF" buttons of a diffusion run (trajectory_gif) and a GAN training run. The caps are decided before any
work, from the arrays' shapes alone: at most MAX_FRAMES frames (evenly spaced, the first and last kept), each
scaled up with hard pixel edges to about TARGET_SIDE px on its shorter side (a 28x28 picture shown as 28 px is
useless on a slide), the longer side never past MAX_SIDE. An optional caption per frame is written in a band under the picture.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont

from figures.pictures import paper, signed_grey

MAX_FRAMES = 60
TARGET_SIDE = 336  # px on the shorter side after scaling up (a 28 px picture: 12x)
MAX_SIDE = 960  # px on the longer side, at most
MAX_SCALE = 12
CAPTION_PX = 18  # caption text size; the band under the picture is a little taller
FRAME_MS = 120
LAST_FRAME_MS = 1500  # the finished picture stays up before the loop starts again


def frame_indices(count: int, most: int = MAX_FRAMES) -> np.ndarray:
    """Which frames to keep: all of them, or `most` evenly spaced ones with the first and the last."""
    if count <= 0:
        return np.zeros(0, dtype=int)
    return np.unique(np.linspace(0, count - 1, min(count, most)).round().astype(int))


def scale_for(height: int, width: int, target: int = TARGET_SIDE, largest: int = MAX_SIDE) -> int:
    """The whole-number scale that brings the shorter side near `target` px, the longer one never past `largest`."""
    short, long = max(min(height, width), 1), max(height, width, 1)
    return int(max(1, min(MAX_SCALE, round(target / short), largest // long)))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow's own scalable font (needs FreeType)
    except (TypeError, OSError, ImportError):  # an old Pillow or one without FreeType: the small bitmap font
        return ImageFont.load_default()


def _to_uint8(frame: np.ndarray) -> np.ndarray:
    return np.round(np.clip(np.nan_to_num(np.asarray(frame, dtype=np.float32), nan=1.0), 0, 1) * 255).astype(np.uint8)


def gif_bytes(
    frames: Sequence[np.ndarray] | np.ndarray,
    captions: Sequence[str] | None = None,
    frame_ms: int = FRAME_MS,
    last_frame_ms: int = LAST_FRAME_MS,
    most: int = MAX_FRAMES,
) -> bytes:
    """An animated GIF that loops forever. `frames`: (N, H, W) greys or (N, H, W, 3) colours, values in [0, 1]
    as displayed (1 = white). `captions`: one short text per frame (or None)."""
    if len(frames) == 0:
        raise ValueError("a GIF needs at least one frame")
    keep = frame_indices(len(frames), most)
    first = np.asarray(frames[int(keep[0])])
    if first.ndim not in (2, 3) or (first.ndim == 3 and first.shape[2] != 3):
        raise ValueError(f"frames must be (H, W) greys or (H, W, 3) colours, not {first.shape}")
    height, width = first.shape[:2]
    scale = scale_for(height, width)
    mode = "L" if first.ndim == 2 else "RGB"
    band = CAPTION_PX + 12 if captions is not None else 0
    font = _font(CAPTION_PX) if captions is not None else None
    pictures = []
    for i in keep:
        frame = np.asarray(frames[int(i)])
        if frame.shape != first.shape:
            raise ValueError("all frames must have the same shape")
        image = Image.fromarray(_to_uint8(frame), mode)
        image = image.resize((width * scale, height * scale), Image.Resampling.NEAREST)
        if band:
            canvas = Image.new(mode, (image.width, image.height + band), 255 if mode == "L" else (255, 255, 255))
            canvas.paste(image, (0, 0))
            ImageDraw.Draw(canvas).text(
                (6, image.height + 5), str(captions[int(i)]), fill=0 if mode == "L" else (0, 0, 0), font=font
            )
            image = canvas
        pictures.append(image if mode == "L" else image.quantize(colors=255, method=Image.Quantize.MEDIANCUT))
    durations = [frame_ms] * len(pictures)
    durations[-1] = max(frame_ms, last_frame_ms)
    out = io.BytesIO()
    pictures[0].save(
        out, format="GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0, optimize=False
    )
    return out.getvalue()


def _decode(uri: str) -> np.ndarray:
    """A data: URL of a PNG (as the pictures' image traces carry) -> greys (H, W) or colours (H, W, 3) in [0, 1]."""
    head, _, payload = uri.partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        raise ValueError("not a base64 data: URL of a picture")
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    image = image.convert("L") if image.mode in ("L", "LA", "P", "1", "I") else image.convert("RGB")
    return np.asarray(image, dtype=np.float32) / 255


def _side_by_side(panels: list[np.ndarray], gap: int = 2) -> np.ndarray:
    """Pictures of one frame in a row, top-aligned on white, `gap` px apart (greys unless any is in colour)."""
    colour = any(p.ndim == 3 for p in panels)
    if colour:
        panels = [np.repeat(p[:, :, None], 3, axis=2) if p.ndim == 2 else p for p in panels]
    height = max(p.shape[0] for p in panels)
    width = sum(p.shape[1] for p in panels) + gap * (len(panels) - 1)
    canvas = np.ones((height, width, 3) if colour else (height, width), dtype=np.float32)
    left = 0
    for p in panels:
        canvas[: p.shape[0], left : left + p.shape[1]] = p
        left += p.shape[1] + gap
    return canvas


def figure_frames(fig: go.Figure, most: int = MAX_FRAMES) -> tuple[list[np.ndarray], list[str]]:
    """The pictures of a Plotly animation (frames of image traces with PNG data: URLs, as figures.diffusion's
    replay), one array per frame with its panels side by side, and each frame's title as its caption.
    Frames are picked (at most `most`) before any picture is decoded."""
    frames = list(fig.frames or ())
    pictures, captions = [], []
    for i in frame_indices(len(frames), most):
        frame = frames[int(i)]
        sources = [t.source for t in frame.data or () if getattr(t, "type", None) == "image" and t.source]
        if not sources:
            continue
        pictures.append(_side_by_side([_decode(s) for s in sources]))
        title = frame.layout.title.text if frame.layout is not None and frame.layout.title is not None else ""
        captions.append(re.sub(r"<[^>]+>", " ", title or "").strip())
    return pictures, captions


def trajectory_gif(x_t: np.ndarray, eps: np.ndarray, x0: np.ndarray, timesteps: np.ndarray) -> bytes:
    """A diffusion run (S, H, W) x 3 as a GIF: each kept step's noisy picture, noise guess and clean guess side by
    side (ink in [0, 1], the noise signed, as the step player draws them), captioned "Step k of S (t = ...)".
    Steps are picked (at most MAX_FRAMES) before any picture is built."""
    steps = len(timesteps)
    keep = frame_indices(steps)
    frames = [_side_by_side([paper(x_t[k]), signed_grey(eps[k]), paper(x0[k])]) for k in keep]
    captions = [f"Step {k + 1} of {steps} (t = {int(timesteps[k])})" for k in keep]
    return gif_bytes(frames, captions)


def has_picture_frames(fig: go.Figure) -> bool:
    """Whether `fig` is an animation of pictures (so it can be saved as a GIF). Reads the first frame only."""
    frames = fig._frame_objs  # noqa: SLF001 - read in place: fig.frames builds a validated copy of every frame
    if not frames:
        return False
    data = frames[0]._props.get("data") or ()  # noqa: SLF001
    return any(isinstance(t, dict) and t.get("type") == "image" for t in data)
