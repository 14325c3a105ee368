"""Charts in words and numbers: what a screen reader reads, the "show as table" view and the CSV download.

Pure functions of a finished Plotly figure (no Streamlit): `summary(fig)` is a few plain sentences (title, axes,
the key values of each series), `tables(fig)` the numbers behind each series, `to_csv(fig)` those numbers in one
file. They read only what the figure already holds, so they work for every chart the app draws, and a summary
costs well under a millisecond for the largest chart here (numbers are summarised with numpy, never looped over).
Pictures (image traces hold a PNG, not numbers) are described as pictures and have no table.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

MAX_TABLE_ROWS = 2_000  # rows kept per table: a 64x64 heatmap fits whole, a pixel dump would not
MAX_TABLE_COLUMNS = 80
MAX_NAMED = 3  # largest (and smallest) values named per series in the summary
MAX_SERIES = 6  # series described one by one; the rest are counted
MAX_LABEL = 40  # characters of a category label quoted in the summary
MAX_WORDS = 30  # words listed from a chart that is made of words (token chips)
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Table:
    """One series' numbers: a name, column headings and rows (already cut to MAX_TABLE_ROWS)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    total_rows: int  # before the cut

    @property
    def cut(self) -> bool:
        return self.total_rows > len(self.rows)


def plain(text: Any) -> str:
    """Plotly text (which may hold <br>, <b>, <span style=...> and entities) as plain words on one line."""
    if text is None:
        return ""
    text = _TAGS.sub(" ", str(text).replace("<br>", " ").replace("<br />", " "))
    return _SPACE.sub(" ", html.unescape(text)).strip()


Raw = tuple[list[dict[str, Any]], dict[str, Any], int]


def _raw(fig: go.Figure | Mapping[str, Any]) -> Raw:
    """(traces, layout, frame count) as plain dicts, read in place.

    go.Figure's property access validates and wraps on every read (about 10 ms for one chart's summary here);
    the dicts it keeps behind them are read in microseconds, and nothing here writes to them."""
    if isinstance(fig, go.Figure):
        return list(fig._data), fig._layout, len(fig._frame_objs)  # noqa: SLF001 - read-only, see above
    data = fig.get("data") or []
    return [dict(t) for t in data], dict(fig.get("layout") or {}), len(fig.get("frames") or ())


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _title(obj: Any) -> str:
    """A title given as a dict with "text" or as a plain string."""
    return plain(obj.get("text") if isinstance(obj, Mapping) else obj)


def _axis(layout: dict[str, Any], ref: str | None, letter: str) -> dict[str, Any]:
    """The layout axis a trace is drawn on: 'x' -> layout["xaxis"], 'x2' -> layout["xaxis2"]."""
    suffix = (ref or letter)[1:]
    axis = layout.get(f"{letter}axis{suffix}")
    return axis if isinstance(axis, Mapping) else {}


def _axis_title(axis: Mapping[str, Any]) -> str:
    return _title(axis.get("title"))


def _percent(axis: Mapping[str, Any]) -> bool:
    fmt = axis.get("tickformat")
    return bool(fmt and "%" in str(fmt))


def fmt_number(value: Any, percent: bool = False) -> str:
    """A number as a person reads it: three significant figures, thousands separated, % when the axis says so."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return plain(value)
    if not np.isfinite(v):
        return "no value"
    if percent:
        return f"{v * 100:.3g}%"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _array(raw: Any) -> np.ndarray | None:
    """A trace's data as a numpy array (None when absent or already encoded for the browser)."""
    if raw is None or isinstance(raw, (Mapping, str)):
        return None
    return raw if isinstance(raw, np.ndarray) else np.asarray(raw, dtype=object)


def _numeric(arr: np.ndarray | None) -> np.ndarray | None:
    if arr is None:
        return None
    try:
        return np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        return None


def _quote(value: Any) -> str:
    """A category label for a sentence: quoted unless it carries its own quotes, cut when long."""
    text = plain(value)
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    return text if text[:1] in "'\"“‘" else f"“{text}”"


def _series_name(trace: Mapping[str, Any], index: int) -> str:
    return plain(trace.get("name")) or f"series {index + 1}"


def _lead(trace: Mapping[str, Any]) -> str:
    """How a series' sentence starts: its legend name, or nothing for an unnamed one."""
    name = plain(trace.get("name"))
    return f"{name[:1].upper()}{name[1:]}: " if name else ""


def _kind(layout: dict[str, Any], trace: Mapping[str, Any]) -> str:
    """ "line", "points", "text" (words placed on the chart, whose positions mean nothing) or the trace type."""
    kind = trace.get("type", "scatter")
    if kind not in ("scatter", "scattergl"):
        return kind
    mode = trace.get("mode") or "lines+markers"
    hidden = _axis(layout, trace.get("xaxis"), "x").get("visible") is False
    if trace.get("text") is not None and ("text" in mode or hidden) and not isinstance(trace.get("text"), str):
        return "text"
    if hidden:
        return "hidden"
    return "line" if "lines" in mode else "points"


def _oriented(trace: Mapping[str, Any]) -> tuple[str, str, np.ndarray | None, np.ndarray | None]:
    """(category axis letter, value axis letter, categories, values) of a bar or scatter trace."""
    horizontal = trace.get("orientation") == "h"
    cat_letter, val_letter = ("y", "x") if horizontal else ("x", "y")
    cats, values = _array(trace.get(cat_letter)), _array(trace.get(val_letter))
    if values is None and cats is not None and trace.get("type") == "histogram":
        values, cats = cats, None
    if cats is None and values is not None:
        cats = np.arange(len(values))
    return cat_letter, val_letter, cats, values


def _texts(trace: Mapping[str, Any], n: int) -> np.ndarray | None:
    text = _array(trace.get("text"))
    return text if text is not None and text.ndim == 1 and len(text) >= n > 0 else None


def _describe_xy(layout: dict[str, Any], trace: Mapping[str, Any], index: int) -> str:
    name = _lead(trace)
    kind = _kind(layout, trace)
    cat_letter, val_letter, cats, raw = _oriented(trace)
    if kind == "hidden":
        return ""
    if kind == "text":
        words = [w for w in (plain(t) for t in _array(trace.get("text"))) if w]
        if not words:
            return ""
        more = f" and {len(words) - MAX_WORDS} more" if len(words) > MAX_WORDS else ""
        return f"{name}{'w' if name else 'W'}ords on the chart: {', '.join(words[:MAX_WORDS])}{more}."
    values = _numeric(raw)
    if values is None or cats is None or values.size == 0 or not np.isfinite(values).any():
        return ""  # a legend-only entry (no data), or nothing to read
    n = min(len(cats), values.size)
    cats, values = cats[:n], values[:n]
    percent = _percent(_axis(layout, trace.get(f"{val_letter}axis"), val_letter))
    texts = _texts(trace, n) if trace.get("type") == "bar" else None

    def shown(i: int) -> str:
        label = plain(texts[i]) if texts is not None else ""
        return label or fmt_number(values[i], percent)

    finite = np.isfinite(values)
    bars = trace.get("type") in ("bar", "histogram")
    noun = ("bar" if bars else "point") + ("" if n == 1 else "s")
    if np.nanmax(values) == np.nanmin(values):
        return f"{name}{n} {noun}, all {fmt_number(values[finite][0], percent)}."
    numeric_cats = _numeric(cats)
    spread = numeric_cats is not None and np.isfinite(numeric_cats).all() and n > 1
    if kind == "line" and spread:
        good = np.flatnonzero(finite)
        hi, lo = int(np.nanargmax(values)), int(np.nanargmin(values))
        return (
            f"{name}a line of {n} points, from {fmt_number(cats[0])} to {fmt_number(cats[-1])}; it starts at "
            f"{shown(int(good[0]))} and ends at {shown(int(good[-1]))}, highest {shown(hi)} at {fmt_number(cats[hi])}, "
            f"lowest {shown(lo)} at {fmt_number(cats[lo])}."
        )
    if kind == "points" and spread:  # a cloud of points: where it lies, not which point is "largest"
        across = f"{fmt_number(np.nanmin(numeric_cats))} to {fmt_number(np.nanmax(numeric_cats))}"
        up = f"{fmt_number(np.nanmin(values), percent)} to {fmt_number(np.nanmax(values), percent)}"
        return f"{name}{n} {noun}, across from {across}, up from {up}."
    order = np.argsort(-np.where(finite, values, -np.inf), kind="stable")  # ties keep their order
    count = int(finite.sum())
    top = [int(i) for i in order[: min(MAX_NAMED, count)]]
    named = ", ".join(f"{_quote(cats[i])} {shown(i)}" for i in top)
    low = int(order[count - 1])
    tail = f"; smallest {_quote(cats[low])} {shown(low)}" if count > MAX_NAMED else ""
    return f"{name}{n} {noun}; largest {named}{tail}."


def _describe_heatmap(trace: Mapping[str, Any], index: int) -> str:
    z = _numeric(_array(trace.get("z")))
    name = _lead(trace) or (f"Grid {index + 1}: " if index else "")
    if z is None or z.ndim != 2 or z.size == 0 or not np.isfinite(z).any():
        return ""
    rows, cols = z.shape
    xs, ys = _array(trace.get("x")), _array(trace.get("y"))
    r, c = np.unravel_index(int(np.nanargmax(z)), z.shape)
    where = ""
    if xs is not None and ys is not None and len(xs) == cols and len(ys) == rows:
        where = f", at row {_quote(ys[r])} and column {_quote(xs[c])}"
    return (
        f"{name}a grid of {rows} rows by {cols} columns of coloured cells, values from "
        f"{fmt_number(np.nanmin(z))} to {fmt_number(np.nanmax(z))}; the largest{where}."
    )


def _visible(trace: Mapping[str, Any]) -> bool:
    return trace.get("visible", True) not in (False, "legendonly")


def _subplot_titles(layout: dict[str, Any]) -> list[str]:
    notes = layout.get("annotations") or ()
    return [plain(a.get("text")) for a in notes if isinstance(a, Mapping) and plain(a.get("text"))]


def summary(fig: go.Figure | Mapping[str, Any]) -> str:
    """A few plain sentences a screen reader can read in place of the chart."""
    traces, layout, frames = _raw(fig)
    title = _title(layout.get("title"))
    parts = [f"Chart: {title}." if title else "Chart."]
    shown = [t for t in traces if _visible(t)]
    pictures = [t for t in shown if t.get("type") == "image"]
    others = [t for t in shown if t.get("type") != "image"]
    if pictures:
        captions = _subplot_titles(layout)
        what = f"{len(pictures)} pictures" if len(pictures) > 1 else "a picture"
        parts.append(f"It shows {what}" + (f": {'; '.join(captions[:MAX_SERIES])}." if captions else "."))
    if others:
        first = others[0]
        x_title = _axis_title(_axis(layout, first.get("xaxis"), "x"))
        y_title = _axis_title(_axis(layout, first.get("yaxis"), "y"))
        axes = [f"across, {x_title}" if x_title else "", f"up, {y_title}" if y_title else ""]
        if any(axes):
            parts.append(f"Axes: {'; '.join(a for a in axes if a)}.")
    for i, trace in enumerate(others[:MAX_SERIES]):
        kind = trace.get("type", "scatter")
        if kind in ("heatmap", "contour"):
            parts.append(_describe_heatmap(trace, i))
        elif kind in ("bar", "histogram", "scatter", "scattergl"):
            parts.append(_describe_xy(layout, trace, i))
        else:
            parts.append(f"{_lead(trace)}a {kind} chart.")
    parts = [p[:1].upper() + p[1:] for p in parts]
    if len(others) > MAX_SERIES:
        parts.append(f"And {len(others) - MAX_SERIES} more series, in the table.")
    if frames:
        parts.append(f"It can play as an animation of {frames} frames.")
    return " ".join(p for p in parts if p)


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    """Column headings made distinct ("the", "the (2)"): a token can appear twice along an axis."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(out)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _cells(values: np.ndarray) -> list[Any]:
    """Table cells: numbers rounded for reading (None for gaps), anything else (labels) as plain text."""
    numbers = values.dtype.kind in "iuf" or (values.dtype == object and all(_is_number(v) for v in values))
    if not numbers:
        return [plain(v) for v in values]
    rounded = np.round(np.asarray(values, dtype=float), 6)
    return [None if not np.isfinite(v) else (int(v) if v == int(v) and abs(v) < 1e15 else float(v)) for v in rounded]


def _xy_table(layout: dict[str, Any], trace: Mapping[str, Any], index: int) -> Table | None:
    kind = _kind(layout, trace)
    if kind == "hidden":
        return None
    if kind == "text":
        words = tuple((w,) for w in (plain(t) for t in _array(trace.get("text"))) if w)
        return Table(_series_name(trace, index), ("words on the chart",), words[:MAX_TABLE_ROWS], len(words))
    cat_letter, val_letter, cats, values = _oriented(trace)
    if cats is None or values is None:
        return None
    n = min(len(cats), len(values))
    keep = min(n, MAX_TABLE_ROWS)
    numeric = _numeric(cats) is not None
    cat_title = _axis_title(_axis(layout, trace.get(f"{cat_letter}axis"), cat_letter)) or (
        cat_letter if numeric else "item"
    )
    val_title = _axis_title(_axis(layout, trace.get(f"{val_letter}axis"), val_letter)) or "value"
    if val_title == cat_title:
        val_title = f"{val_title} (value)"
    columns = [_cells(cats[:keep]), _cells(values[:keep])]
    heads = [cat_title, val_title]
    texts = _texts(trace, n) if trace.get("type") == "bar" else None
    if texts is not None:
        columns.append([plain(t) for t in texts[:keep]])
        heads.append("shown as")
    return Table(_series_name(trace, index), _unique(heads), tuple(zip(*columns, strict=True)), n)


def _heatmap_table(layout: dict[str, Any], trace: Mapping[str, Any], index: int) -> Table | None:
    z = _numeric(_array(trace.get("z")))
    if z is None or z.ndim != 2:
        return None
    rows_n, cols_n = z.shape
    xs, ys = _array(trace.get("x")), _array(trace.get("y"))
    cols = min(cols_n, MAX_TABLE_COLUMNS)
    names = [plain(xs[c]) if xs is not None and c < len(xs) else str(c) for c in range(cols)]
    row_title = _axis_title(_axis(layout, trace.get("yaxis"), "y")) or "row"
    if row_title in names:
        row_title = f"{row_title} (row)"
    body = np.round(z[:MAX_TABLE_ROWS, :cols], 6)
    rows = tuple(
        (
            plain(ys[r]) if ys is not None and r < len(ys) else str(r),
            *(None if not np.isfinite(v) else float(v) for v in body[r]),
        )
        for r in range(body.shape[0])
    )
    return Table(_series_name(trace, index), _unique([row_title, *names]), rows, rows_n)


def tables(fig: go.Figure | Mapping[str, Any]) -> list[Table]:
    """The numbers behind each series (pictures and words have none), for "show as table" and the CSV."""
    traces, layout, _ = _raw(fig)
    out: list[Table] = []
    for i, trace in enumerate(traces):
        kind = trace.get("type", "scatter")
        if kind in ("heatmap", "contour"):
            table = _heatmap_table(layout, trace, i)
        elif kind in ("bar", "histogram", "scatter", "scattergl"):
            table = _xy_table(layout, trace, i)
        else:
            table = None
        if table is not None and table.rows:
            out.append(table)
    return out


def to_csv(fig: go.Figure | Mapping[str, Any] | Sequence[Table]) -> str:
    """Every series' numbers in one CSV file: one block per series (a `series` column first), blank line between."""
    found = tables(fig) if isinstance(fig, (go.Figure, Mapping)) else list(fig)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for k, table in enumerate(found):
        if k:
            writer.writerow([])
        writer.writerow(["series", *table.columns])
        for row in table.rows:
            writer.writerow([table.name, *("" if v is None else v for v in row)])
    return buffer.getvalue()


def file_name(fig: go.Figure | Mapping[str, Any], fallback: str = "chart") -> str:
    """A short, safe file name from the chart's title ("glassbox-next-token-odds"), without an extension."""
    title = _title(_raw(fig)[1].get("title"))
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-")
    return f"glassbox-{words or fallback}"
