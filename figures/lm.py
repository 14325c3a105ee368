"""Figures for the language-model pages: token chips, next-token bars, cumulative top-p curve,
generation timeline, attention heatmaps. Plain data in, go.Figure out.

Visitor and model text only ever goes into Plotly text fields, escaped, never into raw HTML.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from figures.style import (
    ACCENT,
    FONT_SIZE,
    MUTED,
    PALETTE,
    PRIMARY,
    SEQUENTIAL,
    axis_ids,
    figure,
    grid_layout,
    hline,
    label_px,
    percent,
    text_px,
    vrect,
)

CHIP_COLOURS = ("#D6E9F8", "#FCE8C3", "#CDEFE3", "#F3D9E8", "#DDEFFB", "#F8DCCB")
SELECTED = "#0B2E4F"  # the outline of the step or token the page is looking at
TITLE_CHARS = 32  # a 20 px bold title line that fits a 390 px phone; longer titles wrap (Plotly never wraps them)
TITLE_LINE_PX = 26


def esc(text: str) -> str:
    """Plotly renders a few HTML-like tags in text; escape so visitor text shows literally."""
    return html.escape(text, quote=False)


def quoted(label: str) -> str:
    return "'" + label + "'"


def wrap_title(text: str, width: int = TITLE_CHARS) -> tuple[str, int]:
    """A title broken into lines of at most `width` characters (at spaces), escaped for Plotly, and its line count.
    Plotly draws a title on one line and cuts it at the chart's edge: on a phone "...(48%" became "...(48"."""
    lines: list[str] = []
    for part in text.split("\n"):  # a "\n" in the title is a line break of its own
        start = len(lines)
        for word in part.split(" "):
            if len(lines) > start and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
    return "<br>".join(esc(line) for line in lines), max(1, len(lines))


def titled(title: str, layout: dict | None = None, width: int = TITLE_CHARS) -> tuple[str, dict]:
    """(title, layout) for `figure`: the title wrapped, the top margin grown by its extra lines."""
    text, lines = wrap_title(title, width)
    layout = dict(layout or {})
    layout["margin"] = {**layout.get("margin", {}), "t": 60 + TITLE_LINE_PX * (lines - 1)}
    return text, layout


def legend_key(name: str, fill: str, line: str, symbol: str = "square") -> go.Scatter:
    """A legend entry with no data: explains a colour or an outline drawn as a shape."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        name=name,
        marker={"symbol": symbol, "size": 15, "color": fill, "line": {"color": line, "width": 2.5}},
        hoverinfo="skip",
        showlegend=True,
    )


# Under everything, axis titles included; the figure leaves LEGEND_PX at the bottom for it (two rows on a phone).
BOTTOM_LEGEND = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "font": {"size": 14}}
LEGEND_PX = 56
LEGEND_ROW_PX = 20  # one more row of a wrapped bottom legend
PHONE_LEGEND_PX = 300  # what a bottom legend fits per row on a 390 px phone (3 entries of 638 px took 3 rows)
LEGEND_ENTRY_PX = 46  # an entry's symbol and gaps, beside its text


def legend_rows_px(names: Sequence[str]) -> int:
    """The bottom margin for a BOTTOM_LEGEND of `names` as a phone wraps it (Plotly wraps a horizontal legend to
    the chart's width and then grows the margin, drawing the chart twice): a desktop keeps a few px spare."""
    width = sum(label_px(name, 14) + LEGEND_ENTRY_PX for name in names)
    return LEGEND_PX + LEGEND_ROW_PX * max(0, -(-width // PHONE_LEGEND_PX) - 2)  # LEGEND_PX holds two rows


def _chip_layout(labels: Sequence[str], per_row: int) -> list[tuple[float, int, float]]:
    """(x, row, width) for each chip, wrapping rows at `per_row` characters."""
    out, x, row = [], 0.0, 0
    for lab in labels:
        w = max(len(lab), 2) + 1.2
        if x > 0 and x + w > per_row:
            x, row = 0.0, row + 1
        out.append((x, row, w))
        x += w + 0.4
    return out


def token_chips(
    labels: Sequence[str],
    ids: Sequence[int] | Sequence[str],
    title: str,
    colour_values: Sequence[float] | None = None,
    hover: Sequence[str] | None = None,
    per_row: int = 30,
    highlight: int | None = None,
    marked: Sequence[bool] | None = None,
    mark_colour: str = ACCENT,
    legend: Sequence[go.Scatter] = (),
) -> go.Figure:
    """Coloured chips, one per token, with the token id (or any short text) under each. If `colour_values`
    (0..1) is given, chips are shaded by it (e.g. probability) instead of alternating colours. `marked` chips get
    a thick outline in `mark_colour`; `highlight` gets a dark frame around it; `legend` explains both."""
    lay = _chip_layout(labels, per_row)
    rows = (lay[-1][1] + 1) if lay else 1
    xs, ys, texts, ids_text, hovers, shapes = [], [], [], [], [], []
    for i, ((x, row, w), lab) in enumerate(zip(lay, labels, strict=True)):
        if colour_values is not None:
            fill = _blend("#FFFFFF", "#6CA9DA", float(colour_values[i]))
        else:
            fill = CHIP_COLOURS[i % len(CHIP_COLOURS)]
        is_marked = marked is not None and bool(marked[i])
        y = -row * 2.0
        line = {"color": mark_colour, "width": 3.5} if is_marked else {"color": "#8795A1", "width": 1}
        shapes.append(
            {"type": "rect", "x0": x, "x1": x + w, "y0": y - 1.45, "y1": y + 0.4, "fillcolor": fill}
            | {"line": line, "layer": "below"}
        )
        if i == highlight:
            pad = 0.22
            frame = {"type": "rect", "x0": x - pad, "x1": x + w + pad, "y0": y - 1.45 - pad, "y1": y + 0.4 + pad}
            shapes.append(frame | {"line": {"color": SELECTED, "width": 3}, "layer": "below"})
        xs.append(x + w / 2)
        ys.append(y)
        texts.append(esc(lab))
        ids_text.append(str(ids[i]))
        hovers.append(esc(hover[i]) if hover is not None else f"token {i + 1}: {esc(quoted(lab))}, id {ids[i]}")
    words = go.Scatter(
        x=xs,
        y=ys,
        mode="text",
        text=texts,
        textfont={"family": "monospace", "size": 18, "color": "#111418"},
        hovertext=hovers,
        hoverinfo="text",
        showlegend=False,
    )
    numbers = go.Scatter(
        x=xs,
        y=[y - 1.05 for y in ys],
        mode="markers+text",
        text=ids_text,
        textfont={"family": "monospace", "size": 12, "color": "#4A5561"},
        marker={"size": 18, "opacity": 0},
        hovertext=hovers,
        hoverinfo="text",
        showlegend=False,
    )
    text, layout = titled(title)
    layout |= {
        "shapes": shapes,
        "xaxis": {"visible": False, "range": [-0.4, per_row + 0.4], "fixedrange": True},
        "yaxis": {"visible": False, "range": [-rows * 2.0 + 0.1, 0.9], "fixedrange": True},
        "dragmode": False,
    }
    legend_px = legend_rows_px([key.name for key in legend]) if legend else 0
    if legend:
        layout["legend"] = BOTTOM_LEGEND
        layout["margin"] = layout["margin"] | {"b": legend_px}
    height = 70 + 62 * rows + (layout["margin"]["t"] - 60) + legend_px
    return figure([words, numbers, *legend], layout, title=text, height=height)


def text_chips(labels: Sequence[str], ids: Sequence[int], complete: Sequence[bool], total: int) -> go.Figure:
    """The Tokens page's chips: every token of the text with its id; raw-byte pieces outlined, with a legend."""
    broken = [not bool(c) for c in complete]
    legend = [legend_key("raw bytes: part of one character", "#FFFFFF", ACCENT)] if any(broken) else []
    title = f"Your text becomes {total} token{'s' if total != 1 else ''}:\nthe number under each is its ID"
    return token_chips(labels, ids, title, marked=broken, legend=legend)


def _blend(a: str, b: str, t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    ca = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(ca, cb, strict=True))


def word_split_bars(words: Sequence[str], counts: Sequence[int], pieces: Sequence[Sequence[str]]) -> go.Figure:
    """How many tokens each word became (its leading space included), one row per word in reading order."""
    n = len(words)
    worst = int(np.argmax(counts)) if n else 0
    short = [w if len(w) <= 14 else w[:13] + "…" for w in words]
    title = f"{quoted(short[worst])} = {counts[worst]} tokens" if n and counts[worst] > 1 else "One token per word"
    traces = []
    for name, colour, keep in (("one token", PRIMARY, lambda c: c <= 1), ("cut into pieces", ACCENT, lambda c: c > 1)):
        rows = [i for i in range(n) if keep(counts[i])]
        traces.append(
            go.Bar(
                y=rows,
                x=[counts[i] for i in rows],
                orientation="h",
                name=name,
                marker_color=colour,
                text=[str(counts[i]) for i in rows],
                textposition="outside",
                cliponaxis=False,
                customdata=[" · ".join(pieces[i]) for i in rows],
                hovertext=[esc(words[i]) for i in rows],
                hovertemplate="%{hovertext}: %{x} token(s)<br>%{customdata}<extra></extra>",
            )
        )
    text, layout = titled(title)
    xmax = max(counts, default=1)
    layout |= {
        "barmode": "overlay",  # each word is in one trace only: full-width bars
        "legend": BOTTOM_LEGEND,
        "margin": layout["margin"] | {"l": 20 + text_px(short, 15, monospace=True), "r": 30, "b": 70 + LEGEND_PX},
        "yaxis": {
            "range": [n - 0.5, -0.5],  # first word at the top, as it is read
            "tickvals": list(range(n)),  # explicit: a word that appears twice keeps its own row
            "ticktext": [esc(w) for w in short],
            "tickfont": {"size": 15, "family": "monospace"},
        },
        "xaxis": {
            "title": {"text": "tokens for this word"},
            "range": [0, xmax * 1.15 + 0.6],
            "dtick": 1 if xmax <= 6 else (2 if xmax <= 14 else 5),
            "rangemode": "tozero",
        },
    }
    return figure(traces, layout, title=text, height=130 + LEGEND_PX + 30 * n + (layout["margin"]["t"] - 60))


def word_bars_caption(n_tokens: int, outside: int, rows: int, n_words: int) -> str:
    """How the word bars add up to the token count (a space is counted with the word after it)."""
    shown = f"The first {rows} of {n_words:,} words. " if rows < n_words else ""
    if outside:
        rest = (
            f"{outside} more {'token is' if outside == 1 else 'tokens are'} spaces or line breaks after the last word."
        )
        return f"{shown}A space counts with the word after it. {rest}"
    if shown:
        return f"{shown}A space counts with the word after it."
    return f"A space counts with the word after it, so the bars add up to the {n_tokens} tokens above."


def removed_by(temperature: float, top_k: int, top_p: float) -> str:
    """What greyed a token out, in the words of the knobs that are actually on (the legend of the grey bars)."""
    if temperature <= 0:
        return "temperature 0: only the favourite"
    knobs = [name for name, on in (("top-k", top_k > 0), ("top-p", top_p < 1.0)) if on]
    return f"cut by {' and '.join(knobs)}" if knobs else "cut"


# Fixed 0 to 100%, room on the right for the numbers; grid lines at the quarters, labelled at the halves so the
# labels never need turning on a phone.
ATTENTION_SCALE = {"colorscale": SEQUENTIAL, "zmin": 0, "zmax": 1}  # attention weights: one colour scale, 0 to 100%
PROB_AXIS = {"range": [0, 1.27], "tickvals": [0, 0.25, 0.5, 0.75, 1.0], "ticktext": ["0%", "", "50%", "", "100%"]}


def _right_margin(labels: Sequence[str], probs: Sequence[float], size: int, least: int) -> int:
    """Room on the right for the number written after a bar that nearly reaches 100%. PROB_AXIS leaves 27% of the
    plot's width past 100%, but on a phone, beside long token names, that is a few pixels: the whole label must fit
    in the margin (">99.9%" was cut off)."""
    near_full = [lab for lab, p in zip(labels, probs, strict=True) if p >= 0.8]
    return max(least, text_px(near_full, size))


def next_token_bars(
    labels: Sequence[str],
    probs: Sequence[float],
    base: Sequence[float],
    kept: Sequence[bool],
    true_probs: Sequence[float] | None = None,
    removed_by: str = "cut by top-k / top-p",
) -> go.Figure:
    """Horizontal bars for the top tokens: probability after the knobs (blue), tokens the knobs removed
    (grey, with the odds they had before; `removed_by` names the knob that removed them, for the legend), and,
    when known, what the data says (orange). The axis is always 0 to 100%, so moving a knob changes the bars,
    never the scale under them."""
    n = len(labels)
    names = [f"{esc(quoted(lab))}" for lab in labels]
    top = int(np.argmax(probs)) if n else 0
    title = f"Most likely next: {quoted(labels[top])} ({percent(float(probs[top]))})" if n else ""

    def bar(x: Sequence[float], text: list[str], when: str, **style: Any) -> go.Bar:
        # Every bar's number is written beside it at full size, readable from the back of a room.
        return go.Bar(
            y=names,
            x=list(x),
            orientation="h",
            text=text,
            textposition="outside",
            constraintext="none",
            cliponaxis=False,
            textfont={"size": 15},
            hovertemplate=f"%{{y}}: %{{x:.1%}} {when}<extra></extra>",
            **style,
        )

    traces = [
        bar(
            probs,
            [percent(float(p)) if k else "" for p, k in zip(probs, kept, strict=True)],
            "after your settings",
            name="model, after your settings",
            marker_color=PRIMARY,
            offsetgroup="model",  # shares its slot with the grey bar: a token is either kept or removed
        ),
        # The page draws this chart static (no hover), so the odds a token lost are written on its bar.
        bar(
            [b if not k else 0 for b, k in zip(base, kept, strict=True)],
            [f"was {percent(float(b))}" if not k else "" for b, k in zip(base, kept, strict=True)],
            "before the cut",
            name=removed_by,
            showlegend=not all(kept),  # no legend entry for a cut that removed nothing
            marker_color=MUTED,
            opacity=0.6,
            offsetgroup="model",
        ),
    ]
    if true_probs is not None:
        truth = [percent(float(p)) if p > 0 else "" for p in true_probs]
        traces.append(
            bar(
                true_probs,
                truth,
                "in the stories' grammar",
                name="the data's true odds",
                marker_color=ACCENT,
                offsetgroup="data",
            )
        )
    text, layout = titled(title)
    # Two bars per token need room for two lines of numbers, or "<0.1%" and "14%" run into each other.
    row_px = 56 if true_probs is not None else 34
    layout |= {
        "barmode": "group",
        "bargap": 0.2,
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        # Margins with room for the labels, so Plotly draws once per knob move; see figures.style.text_px.
        "margin": layout["margin"]
        | {
            "l": 24 + text_px(names, 15, monospace=True),
            # the legend under the axis: three entries take a third row on a phone
            "b": 120 + legend_rows_px([t.name for t in traces if t.showlegend is not False]) - LEGEND_PX,
            "r": _right_margin([percent(float(p)) for p in probs], probs, 15, least=16),
        },
        # Top token first. An explicit reversed range, not autorange="reversed": nothing for Plotly to recompute per move.
        "yaxis": {"range": [n - 0.5, -0.5], "tickfont": {"size": 15, "family": "monospace"}},
        "xaxis": {"title": {"text": "chance of coming next"}} | PROB_AXIS,
    }
    height = max(360, 150 + n * row_px) + layout["margin"]["t"] - 60
    return figure(traces, layout, title=text, height=height)


def cumulative_curve(cumulative: Sequence[float], top_p: float, n_kept: int, shown: int = 30) -> go.Figure:
    """Cumulative probability along the ranking, with the top-p line and where the cut falls."""
    c = np.asarray(cumulative)[:shown]
    ranks = np.arange(1, len(c) + 1)
    if top_p < 1.0:
        title = f"Top-p {top_p:.2f} keeps {n_kept} token{'s' if n_kept != 1 else ''}"
    else:
        title = f"The top 5 tokens hold {percent(float(c[min(4, len(c) - 1)]))} of the odds"
    curve = go.Scatter(
        x=ranks,
        y=c,
        mode="lines+markers",
        line={"color": PRIMARY, "width": 3},
        name="cumulative probability",
        hovertemplate="top %{x} tokens: %{y:.1%}<extra></extra>",
    )
    text, layout = titled(title)
    layout |= {
        "margin": layout["margin"] | {"l": 100, "b": 70, "r": 20},
        "xaxis": {"title": {"text": "tokens, most likely first"}, "range": [0.5, len(c) + 0.5]},
        "yaxis": {"title": {"text": "running total of the odds"}, "tickformat": ".0%", "range": [0, 1.05]},
    }
    if top_p < 1.0:
        layout["shapes"] = [
            hline(top_p, {"color": ACCENT, "dash": "dash", "width": 3}),
            vrect(0.5, n_kept + 0.5, PALETTE[2], 0.15),
        ]
        layout["annotations"] = [
            {"text": f"p = {top_p:.2f}", "showarrow": False, "xref": "x domain", "x": 1, "xanchor": "right"}
            | {"yref": "y", "y": top_p, "yanchor": "top"},
            {"text": "kept", "showarrow": False, "xref": "x", "x": 0.5, "xanchor": "left"}
            | {"yref": "y domain", "y": 1, "yanchor": "top"},
        ]
    return figure(curve, layout, title=text, height=340 + layout["margin"]["t"] - 60)


def timeline(
    labels: Sequence[str],
    probs: Sequence[float],
    ranks: Sequence[int],
    forced: Sequence[bool],
    selected: int | None,
    greedy: bool = False,
    per_row: int = 30,
) -> go.Figure:
    """Generated tokens as chips shaded by the probability they had when picked (in greedy mode the model's own
    odds, since greedy simply takes the largest). Tokens that were not the model's favourite get an orange
    outline, the step shown below a dark frame; a legend says so."""
    hover = [
        f"step {i + 1}: {quoted(lab)}, {percent(p)} (rank {r}){' · picked by you' if f else ''}"
        for i, (lab, p, r, f) in enumerate(zip(labels, probs, ranks, forced, strict=True))
    ]
    chips = [lab + ("✋" if f else "") for lab, f in zip(labels, forced, strict=True)]
    surprise = [r > 1 for r in ranks]
    n_surprise = sum(surprise)
    if not labels:
        title = "Nothing written yet: press a button"
    elif n_surprise:
        title = f"{len(labels)} tokens written;\n{n_surprise} not the favourite"
    else:
        title = f"{len(labels)} tokens written,\neach the favourite"
    legend = []
    if labels:
        legend.append(
            legend_key("darker = more likely" if not greedy else "darker = the model was surer", "#6CA9DA", "#8795A1")
        )
        if n_surprise:
            legend.append(legend_key("not the model's favourite", "#FFFFFF", ACCENT))
        if any(forced):
            legend.append(legend_key("✋ picked by you", "#FFFFFF", "#8795A1"))
        if selected is not None:
            legend.append(legend_key("the step shown below", "#FFFFFF", SELECTED))
    return token_chips(
        chips,
        [f"{percent(p)}" for p in probs],
        title,
        colour_values=list(probs),
        hover=hover,
        per_row=per_row,
        highlight=selected,
        marked=surprise,
        legend=legend,
    )


def alternatives_bars(labels: Sequence[str], probs: Sequence[float], chosen: int, step: int) -> go.Figure:
    """The top candidates at one step, the chosen one highlighted; 0 to 100% on every step, to compare steps."""
    colours = [PALETTE[5] if i == chosen else MUTED for i in range(len(labels))]
    names = [esc(quoted(lab)) for lab in labels]
    bars = go.Bar(
        y=names,
        x=list(probs),
        orientation="h",
        marker_color=colours,
        text=[percent(float(p)) for p in probs],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    )
    text, layout = titled(f"Step {step + 1}: {quoted(labels[chosen])} was picked ({percent(float(probs[chosen]))})")
    layout |= {
        "margin": layout["margin"]
        | {"l": 20 + text_px(names, 15, monospace=True), "b": 70, "r": _right_margin(bars.text, probs, FONT_SIZE, 20)},
        "yaxis": {"range": [len(labels) - 0.5, -0.5], "tickfont": {"size": 15, "family": "monospace"}},  # top first
        "xaxis": {"title": {"text": "chance at this step"}} | PROB_AXIS,
    }
    return figure(bars, layout, title=text, height=300 + layout["margin"]["t"] - 60)


def score_table(
    tokens: Sequence[str], logits: Sequence[float], scaled: Sequence[float] | None, probs: Sequence[float]
) -> dict[str, list[str]]:
    """Scores -> scores / temperature -> probabilities, written for people (two decimals, rounded percents)."""
    return {
        "token": list(tokens),
        "score (logit)": [f"{float(x):.2f}" for x in logits],
        "score ÷ temperature": [f"{float(x):.2f}" for x in scaled]
        if scaled is not None
        else ["greedy: take the top"] * len(tokens),
        "probability": [percent(float(p)) for p in probs],
    }


def steps_table(
    labels: Sequence[str],
    probs: Sequence[float],
    ranks: Sequence[int],
    forced: Sequence[bool],
    others: Sequence[Sequence[tuple[str, float]]],
) -> dict[str, list]:
    """A generation as a table, one row per step; `others` are each step's other candidates (label, probability)."""
    return {
        "step": [i + 1 for i in range(len(labels))],
        "token": [lab + (" ✋" if f else "") for lab, f in zip(labels, forced, strict=True)],
        "probability": [percent(float(p)) for p in probs],
        "rank": list(ranks),
        "other candidates": [
            " · ".join(f"{lab} {percent(float(p))}" for lab, p in alts if p >= 0.001) or "none above 0.1%: it was sure"
            for alts in others
        ],
    }


def heat_window(n_tokens: int, selected: int, rows: int) -> tuple[int, int]:
    """The at most `rows` tokens a heatmap shows: the first ones, or those ending at the selected token."""
    if n_tokens <= rows:
        return 0, n_tokens
    hi = max(selected + 1, rows)
    return hi - rows, hi


def _ticks(labels: Sequence[str], first: int = 0) -> list[str]:
    return [f"{esc(lab)} ·{first + i}" for i, lab in enumerate(labels)]


HEAT_ROWS = 24  # every row and column labelled on a desktop; more rows than this turn into a crammed axis
HEAT_TICK_PX = 14
# beside the token labels: the axis title, its standoff and padding, and a few px to spare
HEAT_Y_TITLE_PX = 68
HEAT_X_TITLE_PX = 66
HEAT_COLORBAR_PX = 70  # the colour bar with its 0%-100% labels


def attention_heatmap(
    att: np.ndarray, labels: Sequence[str], title: str, selected: int | None = None, rows: int = HEAT_ROWS
) -> go.Figure:
    """Query (row: the token looking) x key (column: where it looks). Future cells are masked (grey). Long texts
    show the `rows` tokens ending at the selected one (see heat_window), so every label stays readable."""
    T = att.shape[0]
    lo, hi = heat_window(T, T - 1 if selected is None else selected, rows)
    n = hi - lo
    z = np.where(np.tril(np.ones((T, T), dtype=bool)), att, np.nan)[lo:hi, lo:hi]
    ticks = _ticks(labels[lo:hi], lo)
    columns = ticks
    if lo > 0:  # what the shown rows give the tokens before the window, in one column: rows still add up to 100%
        z = np.concatenate([att[lo:hi, :lo].sum(axis=1, keepdims=True), z], axis=1)
        columns = [f"earlier ·0–{lo - 1}", *ticks]
    heat = go.Heatmap(
        z=z,
        x=columns,
        y=ticks,
        **ATTENTION_SCALE,
        hoverongaps=False,
        # pinned to the plot's edge: at the default x=1.02 its distance (and the right margin it needs) grew with
        # the plot's width
        colorbar={"tickformat": ".0%", "thickness": 10, "tickfont": {"size": 12}, "x": 1, "xpad": 6},
        hovertemplate="%{y} looks at %{x}: %{z:.0%}<extra></extra>",
    )
    text, layout = titled(title)
    # Margins with room for the token labels (they change with the text), so Plotly draws the map once per change
    # of layer, head, token or text instead of measuring the labels and drawing it all again.
    layout["margin"] |= {
        "l": label_px(ticks, HEAT_TICK_PX) + HEAT_Y_TITLE_PX,
        "b": label_px(columns, HEAT_TICK_PX) + HEAT_X_TITLE_PX,  # the column labels stand upright
        "r": HEAT_COLORBAR_PX,
    }
    layout |= {
        "plot_bgcolor": "#D9DDE2",  # masked (future) cells show this grey
        "yaxis": {
            "range": [n - 0.5, -0.5],  # first token at the top
            "title": {"text": "the token looking"},
            "tickfont": {"size": HEAT_TICK_PX},
            "type": "category",
        },
        "xaxis": {
            "title": {"text": "the earlier token it looks at"},
            "tickangle": -90,
            "tickfont": {"size": HEAT_TICK_PX},
            "type": "category",
        },
    }
    if selected is not None and lo <= selected < hi:
        row = {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "y0": selected - lo - 0.5, "y1": selected - lo + 0.5}
        layout["shapes"] = [row | {"line": {"color": PALETTE[5], "width": 3}}]
    return figure(heat, layout, title=text, height=max(420, 230 + 22 * n) + layout["margin"]["t"] - 60)


def head_grid(att: np.ndarray, labels: Sequence[str], highlight: tuple[int, int] | None = None) -> go.Figure:
    """Every layer x head as a small heatmap (att: (layers, heads, T, T)); the measured head framed and starred."""
    L, H, T, _ = att.shape
    titles = [f"L{li + 1} H{h + 1}" + (" ★" if highlight == (li, h) else "") for li in range(L) for h in range(H)]
    layout = grid_layout(L, H, titles, horizontal_spacing=0.03, vertical_spacing=0.12, title_size=14)
    mask = np.tril(np.ones((T, T), dtype=bool))
    cells = [(li, h) for li in range(L) for h in range(H)]
    ticks = _ticks(labels)
    traces = [
        go.Heatmap(
            z=np.where(mask, att[li, h], np.nan),
            x=ticks,
            y=ticks,
            **ATTENTION_SCALE,
            showscale=False,
            hovertemplate=f"layer {li + 1}, head {h + 1}: %{{y}} looks at %{{x}}: %{{z:.0%}}<extra></extra>",
            xaxis=x,
            yaxis=y,
        )
        for (li, h), (x, y) in zip(cells, axis_ids(L, H), strict=True)
    ]
    for name, axis in layout.items():
        if name.startswith("xaxis"):
            axis.update(visible=False, type="category")
        elif name.startswith("yaxis"):
            axis.update(visible=False, type="category", range=[T - 0.5, -0.5])
    if highlight is not None:
        n = highlight[0] * H + highlight[1] + 1
        suffix = "" if n == 1 else str(n)
        layout["shapes"] = [
            {"type": "rect", "xref": f"x{suffix} domain", "yref": f"y{suffix} domain", "x0": -0.03, "x1": 1.03}
            | {"y0": -0.03, "y1": 1.0, "line": {"color": ACCENT, "width": 4}}  # its title stays clear above
        ]
    layout["plot_bgcolor"] = "#D9DDE2"
    text, top = titled("Every head (★ copies names)" if highlight is not None else "Every head, one map each")
    layout["margin"] = {"t": top["margin"]["t"] + 28, "l": 16, "r": 16}  # room for the cells' own titles
    return figure(traces, layout, title=text, height=150 + 170 * L + layout["margin"]["t"] - 60)


def looks_at_bars(weights: np.ndarray, labels: Sequence[str], query: int, top: int = 8) -> go.Figure:
    """Where one token looks: the earlier tokens it weighs most, largest first, and one bar for all the others,
    so the bars add up to 100% (its whole row, token by token, is in the heatmap)."""
    w = np.asarray(weights)[: query + 1]
    order = np.argsort(-w, kind="stable")[:top]
    best = int(order[0])
    names = [f"{esc(quoted(labels[i]))} ·{i}" for i in order]
    values = [float(w[i]) for i in order]
    colours = [PALETTE[5] if i == best else PRIMARY for i in order]
    rest = len(w) - len(order)
    if rest:
        names.append(f"the other {rest}")
        values.append(float(w.sum() - sum(values)))
        colours.append(MUTED)
    bars = go.Bar(
        y=names,
        x=values,
        orientation="h",
        marker_color=colours,
        text=[percent(v) for v in values],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.0%}<extra></extra>",
    )
    title = f"{quoted(labels[query])} looks most at {quoted(labels[best])} ({percent(float(w[best]))})"
    text, layout = titled(title)
    layout |= {
        "margin": layout["margin"] | {"l": 20 + text_px(names, 15, monospace=True), "b": 70, "r": 20},
        "yaxis": {"range": [len(names) - 0.5, -0.5], "tickfont": {"size": 15, "family": "monospace"}},
        "xaxis": {"title": {"text": "share of its attention"}} | PROB_AXIS,
    }
    return figure(bars, layout, title=text, height=110 + 34 * len(names) + layout["margin"]["t"] - 60)


def effective_choices_text(n: float) -> str:
    if n < 1.5:
        return "very sure"
    if n < 3:
        return "fairly sure"
    if n < 8:
        return "unsure"
    return "very unsure"


def nats_to_bits(x: float) -> float:
    return x / math.log(2)
