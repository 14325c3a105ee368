"""Uploaded pictures, decoded safely: refuse what would be costly before decoding, then shrink early.

An uploaded file is hostile until proven otherwise. A 101-byte PNG can claim 20000x1 pixels, and decoding
it naively (then converting to float) costs gigabytes. So this module:

1. reads only the header (`Image.open` is lazy) and refuses, in plain words, pictures that are too wide,
   too tall, too thin, or whose decoding would need more than `DECODE_BUDGET_BYTES` of memory;
2. decodes at reduced scale where the format allows it (JPEG: `Image.draft`, 1/2 to 1/8 in the decoder);
3. composites transparency onto white paper (a digit drawn only in the alpha channel stays visible), handles
   palette, 16-bit, grey+alpha, CMYK and animated (first frame) pictures, and shrinks the picture to at most
   `WORK_SIDE` pixels *before* any crop, pad or float conversion.

Two converters turn that small grey picture into a model's input, both float32 in [0, 1] with the
subject bright on a dark background (as in the datasets):
- `digit_8x8`: the 8x8 digits of scikit-learn (crop to the ink, margin of one pixel in eight, area resize);
- `fashion_28x28`: a Fashion-MNIST-style picture (crop to the object, longest side fills all 28 pixels).

Measured bars (tests/test_fuzz_uploads.py, benchmarks/bench_uploads.py): any file adds at most 50 MB to
the process's peak memory and is answered within 2 s. No streamlit or plotly here.
"""

from __future__ import annotations

import math
import re
import sys
from io import BytesIO

import numpy as np
from PIL import Image, ImageChops, PngImagePlugin

MAX_UPLOAD_BYTES = 1024 * 1024  # 1 MB: the same as .streamlit/config.toml server.maxUploadSize = 1 (MB)
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // (1024 * 1024)
MAX_SIDE = 4096  # pixels, for formats decoded at full size (PNG, GIF, BMP, WebP)
MAX_JPEG_SIDE = 8192  # JPEG decodes at 1/8 scale, so larger photos stay cheap
MAX_ASPECT = 8.0  # longest side / shortest side; a digit or a piece of clothing is never a thin strip
DECODE_BUDGET_BYTES = 36 * 1024 * 1024  # estimated peak of the decode and first shrink, before refusing
WORK_SIDE = 512  # everything after decoding works on a picture at most this large
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")

# Pillow's own decompression-bomb guard, as a second line behind the checks below: nothing we accept has
# more pixels than this, so anything larger is refused by Pillow too (it raises above twice this number).
Image.MAX_IMAGE_PIXELS = MAX_JPEG_SIDE * MAX_JPEG_SIDE
# PNG text and ICC chunks are decompressed at open time; Pillow allows 64 MB of them in all. Cap them.
PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024

_UNREADABLE = "That file is not a picture we can read. Please upload a PNG or JPEG image."


class BadImageError(ValueError):
    """An uploaded file cannot be used. `str()` is a plain-words message for the visitor."""


# ----------------------------------------------------------------------------- the safe decode


def _bytes_per_pixel(im: Image.Image) -> int:
    """Estimated peak bytes per decoded pixel of the decode plus our first conversions (see `_to_grey`).

    Pillow stores 1-band 8-bit pictures in 1 byte per pixel, every multi-band picture in 4 bytes.
    Measured with benchmarks/bench_uploads.py; the numbers include the copies made before the first shrink."""
    mode, transparent = im.mode, "transparency" in im.info
    if im.format == "WEBP":
        return 18  # libwebp's animation decoder keeps RGBA canvases of its own, then Pillow copies one
    if mode == "L":
        return 2 if transparent else 1
    if mode in ("1", "P"):
        return 3  # the picture + a converted or looked-up copy (+ a numpy copy of palette indices)
    if mode.startswith("I;16"):
        return 6  # 2 decoded + 2 for a numpy copy + 1 for the 8-bit result (measured: 5.7)
    if mode in ("I", "F"):
        return 17
    if mode in ("RGB", "CMYK", "YCbCr"):
        return 12 if transparent else 4
    if mode in ("LA", "RGBA"):
        return 8  # the picture + its premultiplied copy while shrinking
    return 12  # I, F, PA, La, RGBa and rarer modes: converted to RGBA first


_JPEG_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")  # a marker, not stuffed data or a restart


def _jpeg_layout(data: bytes) -> tuple[int, int]:
    """(frame marker, number of scans) of a JPEG's main picture, skipping embedded thumbnails.

    libjpeg decodes a single-scan ("baseline") JPEG strip by strip at any scale, but a progressive or
    multi-scan JPEG needs all its coefficients in memory at full size (2 bytes per sample): that cost is what
    `_check_cost` bounds. Returns (0, 0) if the markers cannot be walked (the decoder then refuses the file)."""
    pos, n, sof, scans = 2, len(data), 0, 0
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return 0, 0
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image
            break
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return 0, 0
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            sof = marker
        pos += 2 + length
        if marker == 0xDA:  # start of scan: skip its entropy-coded data up to the next real marker
            scans += 1
            found = _JPEG_MARKER.search(data, pos)
            if found is None:
                break
            pos = found.start()
    return sof, scans


def _jpeg_coefficient_bytes(im: Image.Image) -> int:
    """Bytes libjpeg holds for a progressive or multi-scan JPEG: 64 coefficients x 2 bytes per 8x8 block."""
    width, height = im.size
    layers = getattr(im, "layer", None) or [("", 1, 1, 0)] * len(im.getbands())
    h_max = max(layer[1] for layer in layers) or 1
    v_max = max(layer[2] for layer in layers) or 1
    total = 0
    for _, h, v, _ in layers:
        blocks_x = math.ceil(math.ceil(width * h / h_max) / 8)
        blocks_y = math.ceil(math.ceil(height * v / v_max) / 8)
        total += blocks_x * blocks_y * 128
    return total


def _megapixels(limit_bytes: int, per_pixel: int) -> str:
    return f"{limit_bytes / per_pixel / 1e6:.0f}"


def _check_header(im: Image.Image, data: bytes) -> None:
    """Refuse, before decoding, anything whose decoding would be slow or large. Plain-words messages."""
    width, height = im.size
    if width < 1 or height < 1:
        raise BadImageError(_UNREADABLE)
    max_side = MAX_JPEG_SIDE if im.format == "JPEG" else MAX_SIDE
    if max(width, height) > max_side:
        raise BadImageError(
            f"The picture is too big ({width:,} x {height:,} pixels). Please send one at most "
            f"{max_side:,} pixels wide and tall (a phone photo or a screenshot is fine)."
        )
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise BadImageError(
            f"The picture is a very thin strip ({width:,} x {height:,} pixels). Please crop it closer to "
            f"one digit or one piece of clothing (at most {MAX_ASPECT:.0f} times longer than wide)."
        )
    if im.format == "JPEG":
        sof, scans = _jpeg_layout(data)
        lossless = sof in (0xC3, 0xC7, 0xCB, 0xCF)  # lossless JPEG cannot be decoded at reduced scale
        if lossless and width * height * 4 > DECODE_BUDGET_BYTES:
            raise BadImageError(
                f"This lossless JPEG is too big ({width:,} x {height:,} pixels). Please send a smaller one."
            )
        if (scans != 1 or sof in (0xC2, 0xC6, 0xCA, 0xCE)) and _jpeg_coefficient_bytes(im) > DECODE_BUDGET_BYTES:
            raise BadImageError(
                f'This JPEG is saved in several passes ("progressive") and is too big for that '
                f"({width:,} x {height:,} pixels). Please send a smaller copy, or save it as an ordinary JPEG."
            )
        return  # decoded at reduced scale: the output size is checked after `draft`
    per_pixel = _bytes_per_pixel(im)
    if width * height * per_pixel > DECODE_BUDGET_BYTES:
        raise BadImageError(
            f"The picture has too many pixels ({width:,} x {height:,}). Please send a smaller copy (at most "
            f"about {_megapixels(DECODE_BUDGET_BYTES, per_pixel)} million pixels), or a JPEG."
        )


def _reduce_to(im: Image.Image, side: int) -> Image.Image:
    """Box-average by an integer factor so the longest side is at least `side` (cheap and exact)."""
    factor = max(im.size) // side
    if factor < 2:
        return im
    return im.reduce(factor)  # LA and RGBA are premultiplied by Pillow while averaging


def _white_under(im: Image.Image) -> Image.Image:
    """A picture with alpha (LA or RGBA) -> L on white paper: grey' = 255 - (255 - grey) * alpha / 255."""
    ink = ImageChops.multiply(ImageChops.invert(im.convert("L")), im.getchannel("A"))  # a*b/255
    return ImageChops.invert(ink)


def _palette_to_grey(im: Image.Image) -> Image.Image:
    """A palette picture -> L on white, through a 256-entry lookup (no full-size colour copy)."""
    palette = im.getpalette("RGB") or []
    entries = len(palette) // 3
    rgb = np.zeros((256, 3), dtype=np.float64)
    rgb[:entries] = np.asarray(palette[: 3 * entries], dtype=np.float64).reshape(entries, 3)
    grey = rgb @ np.array([0.299, 0.587, 0.114])  # ITU-R 601-2 luma, as Pillow's convert("L")
    alpha = np.full(256, 255.0)
    transparency = im.info.get("transparency")
    if isinstance(transparency, int) and 0 <= transparency < 256:
        alpha[transparency] = 0.0
    elif isinstance(transparency, bytes):
        alpha[: len(transparency)] = np.frombuffer(transparency[:256], dtype=np.uint8)
    lut = np.clip(np.rint(255.0 - (255.0 - grey) * alpha / 255.0), 0, 255).astype(np.uint8)
    indices = np.asarray(im)  # (H, W) uint8 palette indices
    return Image.fromarray(lut[indices], mode="L")


def _to_grey(im: Image.Image) -> Image.Image:
    """Any decoded picture -> a small L picture (255 = white paper), transparency composited onto white.

    Each branch avoids full-size copies beyond those counted by `_bytes_per_pixel`."""
    mode, transparency = im.mode, im.info.get("transparency")
    if mode == "P":
        return _reduce_to(_palette_to_grey(im), WORK_SIDE)
    if mode.startswith("I;16"):  # 16-bit grey: keep the high byte of each pixel (0..65535 -> 0..255)
        values = np.asarray(im)  # (H, W) uint16, a read-only view of one copy of Pillow's pixels
        little = values.dtype.byteorder == "<" or (values.dtype.byteorder in "=|" and sys.byteorder == "little")
        high = values.view(np.uint8).reshape(*values.shape, 2)[..., 1 if little else 0]
        return _reduce_to(Image.fromarray(np.ascontiguousarray(high), mode="L"), WORK_SIDE)
    if mode == "I":  # 32-bit integer grey, read as 16-bit values
        values = np.minimum(np.asarray(im) >> 8, 255).astype(np.uint8)
        return _reduce_to(Image.fromarray(values, mode="L"), WORK_SIDE)
    if mode == "F":
        values = np.nan_to_num(np.asarray(im, dtype=np.float32), nan=255.0)
        return _reduce_to(Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), mode="L"), WORK_SIDE)
    if mode in ("1", "L"):
        grey = im if mode == "L" else im.convert("L")
        if isinstance(transparency, int) and 0 <= transparency < 256:  # one grey value marks transparent pixels
            grey = grey.point([255 if v == transparency else v for v in range(256)])
        return _reduce_to(grey, WORK_SIDE)
    if mode in ("RGB", "CMYK", "YCbCr") and transparency is None:
        return _reduce_to(im, WORK_SIDE).convert("RGB").convert("L")
    if mode not in ("LA", "RGBA"):
        im = im.convert("RGBA")  # applies a single transparent colour (tRNS) too
    return _white_under(_reduce_to(im, WORK_SIDE))


def safe_greyscale(data: bytes, work_side: int = WORK_SIDE) -> np.ndarray:
    """Any uploaded bytes -> (H, W) uint8 greyscale, 255 = white paper, H and W at most `work_side`.

    Raises BadImageError with a plain-words message for anything empty, too large, unreadable or costly."""
    if not data:
        raise BadImageError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadImageError(f"The file is too large ({len(data) / 1e6:.1f} MB); the limit is {MAX_UPLOAD_MB} MB.")
    try:
        with Image.open(BytesIO(data), formats=FORMATS) as im:
            _check_header(im, data)
            orientation = _orientation(im) if im.format == "JPEG" else 1
            if im.format == "JPEG":
                # Ask libjpeg for greyscale at 1/2..1/8 scale, keeping the long side at least 2 x WORK_SIDE.
                width, height = im.size
                scale = max(1.0, max(width, height) / (2 * WORK_SIDE))
                im.draft("L", (max(1, int(width / scale)), max(1, int(height / scale))))
                if im.size[0] * im.size[1] * 4 > DECODE_BUDGET_BYTES:
                    raise BadImageError(f"The picture is too big ({width:,} x {height:,} pixels).")
            im.seek(0)  # animated GIF / PNG / WebP: the first frame
            im.load()
            grey = _to_grey(im)
    except BadImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise BadImageError("The picture has far too many pixels. Please send a smaller copy.") from exc
    except Exception as exc:  # noqa: BLE001 - a trust boundary: Pillow raises many types on hostile files
        raise BadImageError(_UNREADABLE) from exc
    grey.thumbnail((work_side, work_side), Image.Resampling.LANCZOS)  # in place, keeps the aspect ratio
    if orientation in (2, 3, 4, 5, 6, 7, 8):  # phone photos: apply the camera's rotation, on the small picture
        grey.info["exif"] = b""
        grey = _exif_rotate(grey, orientation)
    return np.asarray(grey, dtype=np.uint8)


def _orientation(im: Image.Image) -> int:
    """The camera's EXIF orientation tag (1 = upright). Broken EXIF data is ignored, not fatal."""
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - metadata is optional; the picture itself may still be fine
        return 1
    return value if isinstance(value, int) else 1


def _exif_rotate(im: Image.Image, orientation: int) -> Image.Image:
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }[orientation]
    return im.transpose(method)


# ----------------------------------------------------------------------------- shape converters


def _area_resize(array: np.ndarray, size: int) -> np.ndarray:
    """(h, w) float32 square -> (size, size) by area averaging (Pillow's BOX filter on a float picture)."""
    picture = Image.fromarray(np.ascontiguousarray(array, dtype=np.float32), mode="F")
    return np.asarray(picture.resize((size, size), Image.Resampling.BOX), dtype=np.float32)


def _pad_square(crop: np.ndarray, side: int) -> np.ndarray:
    canvas = np.zeros((side, side), dtype=np.float32)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    canvas[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return canvas


def digit_8x8(data: bytes) -> np.ndarray:
    """An uploaded picture of one digit -> (8, 8) float32 in [0, 1], ink = 1, like scikit-learn's digits.

    Steps: safe decode; make ink bright on a dark background (inverting light-paper photos); remove the
    paper's tone; crop to the ink; pad to a square with a margin (the dataset's digits fill about 6 of 8
    pixels); shrink to 8x8 by area averaging; stretch so the darkest ink is 1."""
    grey = safe_greyscale(data).astype(np.float32) / 255.0  # (H, W), 1 = white
    ink = 1.0 - grey if np.median(grey) > 0.5 else grey
    ink = np.clip(ink - np.median(ink), 0, None)  # remove the paper's own tone
    if ink.max() < 0.1:
        raise BadImageError("The picture looks blank: no digit found. Try a darker pen or a tighter crop.")
    ys, xs = np.nonzero(ink > 0.25 * ink.max())
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    side = int(max(crop.shape) * 8 / 6) + 1
    small = _area_resize(_pad_square(crop, side), 8)
    return np.clip(small / max(float(small.max()), 1e-6), 0, 1).astype(np.float32)


def _mass_bounds(profile: np.ndarray, trim: float) -> tuple[int, int]:
    """First and last index holding the central (1 - 2*trim) of a 1-D ink profile's mass."""
    cumulative = np.cumsum(profile)
    total = float(cumulative[-1])
    first = int(np.searchsorted(cumulative, trim * total, side="right"))
    last = int(np.searchsorted(cumulative, (1 - trim) * total, side="left"))
    return first, max(first, min(last, len(profile) - 1))


def fashion_28x28(data: bytes) -> np.ndarray:
    """An uploaded photo of one piece of clothing -> (28, 28) float32 in [0, 1], like Fashion-MNIST.

    Fashion-MNIST pictures are light objects on a black background whose longest side fills all 28 pixels
    (measured on the 10,000 test pictures: median longest side 28, 5th percentile 27; the border is 0).
    Steps: safe decode; read the background from the picture's border and invert light-background photos
    (the dataset negated its product photos the same way); remove the background's tone; crop to the object
    (ignoring the faintest 0.5% of its mass at each side, so specks and shadows do not widen the box); pad the
    short side to a square; shrink to 28x28 by area averaging; stretch so the brightest pixel is 1."""
    grey = safe_greyscale(data).astype(np.float32) / 255.0  # (H, W), 1 = white
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    light = background > 0.5
    obj = 1.0 - grey if light else grey
    obj = np.clip(obj - ((1.0 - background) if light else background), 0, None)
    peak = float(obj.max())
    if peak < 0.1:
        raise BadImageError(
            "The picture looks empty: no object stands out from the background. Try a plain background."
        )
    mask = np.where(obj > 0.1 * peak, obj, 0.0)
    top, bottom = _mass_bounds(mask.sum(axis=1), 0.005)
    left, right = _mass_bounds(mask.sum(axis=0), 0.005)
    crop = obj[top : bottom + 1, left : right + 1]
    small = _area_resize(_pad_square(crop, max(crop.shape)), 28)
    return np.clip(small / max(float(small.max()), 1e-6), 0, 1).astype(np.float32)
