"""Hostile uploads: peak memory and time of processing each generated file, in a fresh process per file.

    .venv/bin/python benchmarks/bench_uploads.py          # writes benchmarks/results/uploads.json

Bar (issue 11): an upload's whole processing adds at most 50 MB to the process's peak memory and is answered
within 2 s, whatever the file. tests/test_fuzz_uploads.py asserts the memory half with the same files and the
same measurement; this script records the times (tests never assert timings).

How memory is measured: each file is processed in a new Python process that has already imported the code
and processed two small pictures (so codecs and imports are paid for). Just before the upload is processed
the kernel's peak-RSS counter is reset (`echo 5 > /proc/self/clear_refs`, Linux); the peak RSS after it,
minus the RSS before it, is what the upload added. Where that reset is not allowed, the process's lifetime
peak (`ru_maxrss`) is used instead, which can only over-state the cost.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

MEMORY_BAR_MB = 50.0
TIME_BAR_S = 2.0


# ----------------------------------------------------------------------------- generated files


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def _png_raw(width: int, height: int, rows: bytes, bit_depth: int = 8, colour: int = 0, extra: bytes = b"") -> bytes:
    """A PNG written by hand (Pillow refuses to write some of these). `rows` already hold filter bytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + extra
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def strip_png(width: int, height: int) -> bytes:
    """A white 1-bit strip with a black pixel at each end: a ~100-byte file that claims width x height."""
    if height == 1:
        row = bytearray(b"\xff" * ((width + 7) // 8))
        row[0] &= 0x7F
        row[-1] &= ~(0x80 >> ((width - 1) % 8)) & 0xFF
        return _png_raw(width, 1, b"\x00" + bytes(row), bit_depth=1)
    rows = [b"\x00\xff"] * height
    rows[0] = rows[-1] = b"\x00\x7f"
    return _png_raw(1, height, b"".join(rows), bit_depth=1)


def interlaced_png(width: int, height: int, grey: int = 255) -> bytes:
    """A single-colour 8-bit grey PNG in Adam7 interlacing (Pillow cannot write interlaced PNGs)."""
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    rows = []
    for x0, y0, dx, dy in passes:
        pass_width, pass_height = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if pass_width > 0 and pass_height > 0:
            rows.append((b"\x00" + bytes([grey]) * pass_width) * pass_height)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 1)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def digit_picture(size: int = 400, mode: str = "L") -> Image.Image:
    """A dark hand-drawn-looking "7" on white paper, size x size pixels."""
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    s = size / 100
    draw.line([(30 * s, 20 * s), (72 * s, 20 * s), (45 * s, 85 * s)], fill=0, width=max(1, int(9 * s)))
    return image.convert(mode)


@lru_cache(maxsize=4)
def noisy_photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A light photo-like picture (smooth shading plus grain) with a dark object: compresses poorly."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 200 + 30 * np.sin(xx / 97.0) * np.cos(yy / 131.0)
    base[height // 4 : 3 * height // 4, width // 3 : 2 * width // 3] -= 150  # the object
    channels = [np.clip(base + rng.normal(0, 18, base.shape), 0, 255).astype(np.uint8) for _ in range(3)]
    return Image.merge("RGB", [Image.fromarray(c) for c in channels])


def _sized_jpeg(image: Image.Image, target_bytes: int, **options: object) -> bytes:
    """The highest JPEG quality whose file stays under `target_bytes`."""
    best = b""
    for quality in range(95, 4, -5):
        data = _encode(image, "JPEG", quality=quality, **options)
        if len(data) <= target_bytes:
            return data
        best = data
    return best


def alpha_only_digit(size: int) -> bytes:
    """Black everywhere; the digit exists only in the alpha channel (opaque strokes, transparent paper)."""
    alpha = Image.eval(digit_picture(size), lambda v: 255 - v)
    rgba = Image.merge("RGBA", [Image.new("L", (size, size), 0)] * 3 + [alpha])
    return _encode(rgba, "PNG")


def palette_png(size: int) -> bytes:
    image = digit_picture(size).convert("RGB").quantize(colors=16)
    return _encode(image, "PNG", transparency=15)


def sixteen_bit_png(size: int) -> bytes:
    values = (np.asarray(digit_picture(size), dtype=np.uint16) * 257).astype(np.uint16)
    return _encode(Image.fromarray(values), "PNG")


def text_bomb_png() -> bytes:
    """A small picture followed by hundreds of compressed text chunks that each inflate to 1 MB."""
    picture = _encode(digit_picture(64), "PNG")
    bomb = zlib.compress(b"a" * (1024 * 1024), 9)
    chunks = b"".join(_chunk(b"zTXt", b"k%d\x00\x00" % i + bomb) for i in range(300))
    return picture[:-12] + chunks + picture[-12:]


def animated_gif(size: int, frames: int = 12) -> bytes:
    images = [digit_picture(size).rotate(15 * i, fillcolor=255).convert("P") for i in range(frames)]
    return _encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=80, loop=0)


HOSTILE_FILES: dict[str, Callable[[], bytes]] = {
    "strip 20000x1 (png)": lambda: strip_png(20000, 1),
    "strip 1x20000 (png)": lambda: strip_png(1, 20000),
    "strip 16777216x1 (png)": lambda: strip_png(16_777_216, 1),
    "single colour 4096x4096 grey (png)": lambda: _encode(Image.new("L", (4096, 4096), 255), "PNG"),
    "single colour 4096x4096 rgba (png)": lambda: _encode(Image.new("RGBA", (4096, 4096), (255,) * 4), "PNG"),
    "single colour 4096x4096 interlaced (png)": lambda: interlaced_png(4096, 4096),
    "single colour 16384x16384 (png)": lambda: _png_raw(
        16384, 16384, b"".join([b"\x00" + b"\xff" * 2048] * 16384), bit_depth=1
    ),
    "digit 4096x4096 grey (png)": lambda: _encode(digit_picture(4096), "PNG"),
    "digit 2048x2048 rgba (png)": lambda: _encode(digit_picture(2048, "RGBA"), "PNG"),
    "noisy photo 1600x1200 (jpeg ~1 MB)": lambda: _sized_jpeg(noisy_photo(1600, 1200), 1024 * 1024),
    "noisy photo 4096x3072 (jpeg ~1 MB)": lambda: _sized_jpeg(noisy_photo(4096, 3072), 1024 * 1024),
    "noisy photo 2048x1536 progressive (jpeg)": lambda: _sized_jpeg(
        noisy_photo(2048, 1536), 1024 * 1024, progressive=True
    ),
    "noisy photo 4096x3072 progressive (jpeg)": lambda: _sized_jpeg(
        noisy_photo(4096, 3072), 1024 * 1024, progressive=True
    ),
    "single colour 8192x8192 (jpeg)": lambda: _encode(Image.new("L", (8192, 8192), 255), "JPEG", quality=50),
    "single colour 8192x8192 progressive (jpeg)": lambda: _encode(
        Image.new("L", (8192, 8192), 255), "JPEG", quality=50, progressive=True
    ),
    "digit 4096x4096 cmyk (jpeg)": lambda: _encode(digit_picture(4096, "CMYK"), "JPEG", quality=60),
    "palette 2048x2048 with transparency (png)": lambda: palette_png(2048),
    "16-bit 2048x2048 (png)": lambda: sixteen_bit_png(2048),
    "16-bit 2500x2500, near the budget (png)": lambda: sixteen_bit_png(2500),
    "grey+alpha 2048x2048 (png)": lambda: _encode(digit_picture(2048, "LA"), "PNG"),
    "digit only in alpha 300x300 (png)": lambda: alpha_only_digit(300),
    "animated 1024x1024, 12 frames (gif)": lambda: animated_gif(1024),
    "digit 1400x1400, near the budget (webp)": lambda: _encode(digit_picture(1400, "RGB"), "WEBP", quality=50),
    "digit 2048x2048 (webp)": lambda: _encode(digit_picture(2048, "RGB"), "WEBP", quality=50),
    "text chunks inflating to 300 MB (png)": text_bomb_png,
}


def hostile_file(name: str) -> bytes:
    """One generated file; each is at most 1 MB, the upload limit."""
    data = HOSTILE_FILES[name]()
    assert len(data) <= 1024 * 1024, f"{name} is {len(data):,} bytes, over the upload limit"
    return data


# ----------------------------------------------------------------------------- measurement

_CHILD = r"""
import sys, time, resource
sys.path.insert(0, sys.argv[1])
from explainers import uploads
convert = getattr(uploads, sys.argv[2])
from benchmarks.bench_uploads import digit_picture, _encode
for warm in (_encode(digit_picture(64), "PNG"), _encode(digit_picture(64), "JPEG")):
    convert(warm)
data = sys.stdin.buffer.read()

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    return 0

try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS counter (VmHWM) to the current RSS
    method, before = "VmHWM after clear_refs", status("VmRSS")
except OSError:
    method, before = "ru_maxrss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu_start = time.perf_counter(), time.process_time()
try:
    out = convert(data)
    outcome = "accepted %dx%d" % out.shape
except uploads.BadImageError as err:
    outcome = "refused: " + str(err)
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
after = status("VmHWM") if method.startswith("VmHWM") else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(repr({"added_mb": (after - before) / 1024, "seconds": seconds, "cpu_seconds": cpu_seconds, "outcome": outcome,
            "method": method}))
"""


def measure(data: bytes, converter: str = "digit_8x8") -> dict[str, object]:
    """Process `data` with explainers.uploads.<converter> in a fresh process; peak memory added, time, outcome."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT), converter],
        input=data,
        capture_output=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    import ast

    return ast.literal_eval(result.stdout.decode().strip().splitlines()[-1])


def main() -> None:
    rows = []
    for name in HOSTILE_FILES:
        data = hostile_file(name)
        for converter in ("digit_8x8", "fashion_28x28"):
            runs = [measure(data, converter) for _ in range(3)]
            row = {
                "file": name,
                "bytes": len(data),
                "converter": converter,
                "outcome": runs[0]["outcome"],
                "added_mb_max": round(max(r["added_mb"] for r in runs), 1),
                "seconds_max": round(max(r["seconds"] for r in runs), 3),
                "seconds_median": round(sorted(r["seconds"] for r in runs)[1], 3),
                "cpu_seconds_max": round(max(r["cpu_seconds"] for r in runs), 3),
                "method": runs[0]["method"],
            }
            rows.append(row)
            print(
                f"{name:44s} {converter:14s} {row['added_mb_max']:6.1f} MB {row['seconds_max']:6.3f} s "
                f"(cpu {row['cpu_seconds_max']:.3f} s)  {row['outcome'][:60]}"
            )
    worst_mb = max(r["added_mb_max"] for r in rows)
    worst_s = max(r["seconds_max"] for r in rows)
    from benchmarks.harness import RESULTS, machine_note

    out = {
        "what": "peak memory added and time of processing one uploaded file (fresh process per file, 3 runs each; "
        "seconds = wall clock, cpu_seconds = this process's CPU time, which does not count waiting for a busy CPU)",
        "bars": {"added_mb": MEMORY_BAR_MB, "seconds": TIME_BAR_S},
        "worst": {"added_mb": worst_mb, "seconds": worst_s},
        "met": worst_mb <= MEMORY_BAR_MB and worst_s <= TIME_BAR_S,
        "machine": machine_note(),
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "uploads.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"worst: {worst_mb:.1f} MB, {worst_s:.3f} s -> {'met' if out['met'] else 'NOT met'}")


if __name__ == "__main__":
    main()
