"""Load test: N simulated visitors on a real `streamlit run` server, over Streamlit's own websocket protocol.

Each visitor opens the landing page, then pages of the tour, and interacts with think time in between.
One visitor in five runs live GAN training (when pages/5_GAN.py exists). Every run is *verified*: the page
must show the result the visitor asked for (PLANS below: each page's `expect` rows, checked by
benchmarks/verify.py), so a "model not available" page, a "server is very busy, this step did not run"
warning, a "Busy, queued" that never completes, a missing chart or an implausible value is a failure, and
failures are counted by kind. A live page without an `expect` row is reported as not exercised.

Measured: latency from sending a rerun to the server's `script_finished` (p50/p95/p99 per kind), failures by
kind, server RSS over time, and idle RSS before visitors arrive and after they leave (waiting for
`server.disconnectedSessionTTL`). Each visitor's websocket carries `X-Forwarded-For: 10.0.x.y` (its own
address, as our nginx sets it), so a per-visitor limiter sees 50 visitors, not one.

Everything is bounded: visitors stop at --duration, every run has a timeout, the whole script has a hard
deadline, and the server is stopped at the end.

    .venv/bin/python benchmarks/loadtest.py --visitors 50 --duration 180      # the full classroom
    .venv/bin/python benchmarks/loadtest.py --visitors 5 --duration 30        # a quick smoke run
    .venv/bin/python benchmarks/loadtest.py --capacity 50,75,100,125          # most visitors one server holds
    .venv/bin/python benchmarks/bench_fairness.py                             # fair share (also: --fairness)

Writes benchmarks/results/load.json (capacity: capacity.json) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    RESULTS,
    disconnected_session_ttl,
    free_port,
    machine_note,
    ms,
    start_streamlit,
    stop,
    wait_healthy,
)
from benchmarks.stclient import (  # noqa: E402
    ProtocolError,
    RunResult,
    Session,
    Widget,
    forwarded_for,
    percentile,
    read_rss_mb,
    url_pathname_for,
)
from benchmarks.verify import FAILURE_KINDS, Action, Checker, Expect, Failure, queued_on  # noqa: E402
from deploy.failover import COOKIE as ROUTE_COOKIE  # noqa: E402
from deploy.failover import http_get  # noqa: E402
from ui.tour import TOUR, live_pages  # noqa: E402

# --------------------------------------------------------------------------------------------------------
# How a visitor uses each page, and what it must then see. Data, not code: add a row when a page lands.
#   set:     widget key (or a piece of its label) -> values to pick from; None = any valid value.
#   weight:  how often a `set` key is picked relative to the others (default 1).
#   click:   buttons to press now and then (key or label piece).
#   live:    how to start live training on the page: a button/checkbox to press, then follow the page's
#            `st.fragment(run_every=...)` ticks (bounded by --live-ticks).
#   expect:  what the page must show after opening it and after every interaction (benchmarks/verify.py,
#            `Expect`): the chart or text, a pattern its title/text must match (named groups are checked
#            against what the visitor asked for), and a value check. A page with no `expect` rows is
#            reported as "not exercised": its runs are only checked for errors, never counted as verified.
# A page without a row, or whose named widgets are not found, falls back to "move any slider/select".
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PagePlan:
    set: dict[str, list[Any] | None] = field(default_factory=dict)
    weight: dict[str, float] = field(default_factory=dict)
    click: tuple[str, ...] = ()
    click_share: float = 0.25  # how often an interaction is a click rather than a setting change
    live: str | None = None  # key or label piece of the widget that starts live training
    live_stop: str | None = None  # key or label piece of the widget that stops it (pressed when done)
    expect: tuple[Expect, ...] = ()


SENTENCES = ["The cat sat on the mat.", "Mia met a snorkelwhistle.", "Once upon a time, Tom had a red ball."]
PERCENT = r"[^%]*%"  # figures.style.percent: "48%", "4.5%", "<0.1%"
PLANS: dict[str, PagePlan] = {
    "home": PagePlan(
        expect=(
            Expect("the title", "heading", r"Glassbox"),
            Expect("a card for every page of the tour", "page_link", check="tour"),
        )
    ),
    "tokens": PagePlan(
        set={"text": SENTENCES},
        expect=(
            Expect("the token count", "metric", r"^Tokens \(what the model reads\): (?P<n_tokens>[\d,]+)$"),
            Expect(
                "one chip per token",
                "chart:chips",
                r"^Your text becomes (?P<n_tokens>[\d,]+) tokens?:",
                check="token_chips",
                changes_with=("text",),
            ),
        ),
    ),
    "next_token": PagePlan(
        set={"temperature": None, "top_k": None, "top_p": None, "prompt": SENTENCES},
        expect=(
            Expect(
                "the next-token odds",
                "chart:bars",
                # "'␣mat' is the most likely next token (48%)" or "Most likely next: '␣mat' (48%)"
                rf"^(?=.*[Ll]ikely next).*?(?P<top>'.*')[^'(]*\((?P<top_pct>{PERCENT})\)$",
                check="odds",
                changes_with=("prompt",),
            ),
            Expect("how many tokens are still allowed", "metric", r"^Tokens still allowed: (?P<allowed>[\d,]+) of"),
        ),
    ),
    "generate": PagePlan(
        set={"gtemp": None, "dice": None, "n": None},
        click=("Next token", "Generate"),
        click_share=0.6,
        expect=(
            Expect("the story", "code", r"\S"),
            # No chart before the first token; after "Next token" / "Generate" it must count more tokens, unless
            # the story ended or reached the page's cap (explainers.lm.MAX_GENERATE_STEPS = 120).
            Expect(
                "the tokens written",
                "chart:timeline",
                r"^(?P<written>\d+) tokens written",
                optional=True,
                advances_on=("Next token", "Generate"),
                done=r"⟨end of story⟩|^120 tokens written",
            ),
            Expect(
                "the odds at the chosen step",
                "chart:alts",
                rf"^Step \d+: '.*' was picked \({PERCENT}\)$",
                optional=True,
            ),
        ),
    ),
    "attention": PagePlan(
        set={"layer": None, "head": None, "query_*": None},  # the slider's key carries the text's fingerprint
        expect=(
            Expect(
                "the attention heatmap",
                "chart:heatmap",
                r"^Where each token looks \(layer (?P<layer>\d+), (?:head (?P<head>\d+)(?: ★)?|average of its \d+ heads)\)$",
                check="rows_sum_to_one",
            ),
            Expect("where the chosen token looks", "chart:row", r"looks most at", check="sums_to_one"),
        ),
    ),
    # Points view (the default): move the hyper-parameters, take single steps; trainers press Play and follow ticks.
    "gan": PagePlan(
        set={"lr_g": None, "lr_d": None, "speed": None, "loss": None, "shape": None},
        click=("gan_points_step",),
        live="gan_points_play",
        live_stop="gan_points_play",
        expect=(
            Expect(
                "the training step",
                "markdown",
                r"^\*\*Step (?P<step>[\d,]+)\*\* of at most",
                advances_on=("gan_points_step",),
                done=r"reached the cap",
            ),
            Expect("the arena and loss pictures", "imgs", check="images"),
        ),
    ),
    "vae": PagePlan(
        set={"z1": None, "z2": None, "walk": None},
        expect=(
            Expect(
                "the decoded point",
                "chart:point",
                rf"^At \((?P<z1>-?[\d.]+), (?P<z2>-?[\d.]+)\) the judge sees (?:an? )?(?P<seen>.+) \({PERCENT} sure\)$",
                check="picture",
            ),
            Expect("the map", "chart:map", r"the judge reads (?P<found>\d+) of 10 kinds", check="picture"),
            Expect("the redrawn picture", "chart:rec", check="picture"),
            Expect("the walk", "imgs", check="images", changes_with=("walk",)),
        ),
    ),
    # Clothes (the default). Stepping through the reverse process happens in the browser (no request) and the noise
    # slider is cheap; a new kind, seed, guidance, sampler or DDIM step count asks for fresh sampling (the uncached
    # path), and the pictures must change with it. At guidance 0 the page says the prompt is ignored instead of naming it.
    "diffusion": PagePlan(
        set={"t": None, "kind": None, "seed": None, "w": None, "sampler": None, "steps": None},
        weight={"t": 2},
        expect=(
            Expect(
                "the prompt",
                "heading",
                r"^2 · Reverse: (?:making (?:an? )?(?P<kind>.+) from static|from static to a picture \(guidance 0)",
            ),
            Expect(
                "a real picture with noise", "chart:fwd", r"^(?:An?|Real) (?:real )?(?P<kind>.+) at t = (?P<t>\d+):"
            ),
            Expect(
                "the reverse steps (stepped in the browser)",
                "player:player",
                r"^Step (?P<k>\d+) of (?P<n_steps>\d+) \(t = \d+\)$",
                check="player",
                changes_with=("seed", "w", "sampler", "kind"),
                same_when={"kind": r"guidance 0"},  # unguided: the kind asked for is ignored, and the page says so
            ),
            Expect(
                "8 (clothes) or 16 (digits) pictures by DDIM",
                "chart:gfast",
                r"^DDIM, (?P<steps>\d+) steps: (?P<n_fast>\d+) of (?:8|16) read as (?:an? )?(?P<kind>.+)$",
                check="picture",
                changes_with=("seed", "w", "kind", "steps"),
            ),
            Expect(
                "4 pictures by full DDPM (on request)",
                "chart:gfull",
                r"^DDPM, \d+ steps: (?P<n_full>\d+) of 4 read as (?:an? )?(?P<kind>.+)$",
                check="picture",
                optional=True,
            ),
        ),
    ),
    # Limits: every section's controls; each must redraw its own chart (sections are fragments). The cost section
    # may still be measuring on a fresh server (it appears by itself), so its chart is optional.
    "evaluation": PagePlan(
        set={"data": None, "eval_game_model": None, "eval_round": None, "eval_story": None, "eval_text_model": None},
        click=("Check my answers",),
        click_share=0.1,
        expect=(
            Expect("the finding", "heading", r"pictures sit closest to real ones \(Fréchet distance [\d.]+"),
            Expect("quality", "chart:eval_quality", r"^Share of pictures the judge reads", changes_with=("data",)),
            Expect("every kind's share", "chart:eval_kinds", r"^Each kind's share"),
            Expect("spread within a kind", "chart:eval_spread", r"^Spread within a kind"),
            Expect("the Fréchet distance", "chart:eval_frechet", r"^Fréchet distance to real pictures"),
            Expect("memorization", "chart:eval_memo", r"^Distance to the nearest training picture"),
            Expect("speed measured here", "chart:eval_speed", r"^Time for one picture"),
            Expect("the game", "markdown", r"Which of these 12 pictures did the (?:GAN|VAE|Diffusion) draw\?"),
            Expect("text perplexity", "chart:eval_ppl", r"^Per-word perplexity on held-out stories"),
            Expect(
                "a story coloured by surprise",
                "markdown",
                r"nats over \d+ words, the worst",
                changes_with=("eval_story", "eval_text_model"),
            ),
        ),
    ),
    "limits": PagePlan(
        set={
            "lim_story": None,
            "lim_q": None,
            "lim_model": None,
            "lim_cut": None,
            "lim_btemp": None,
            "lim_bseed": None,
            "lim_mem": None,
            "lim_prompt": None,
            "lim_rtemp": None,
            "lim_rseed": None,
            "lim_large": None,
            "lim_tokens": None,
        },
        click=("Ask again",),
        click_share=0.1,
        expect=(
            Expect(
                "the odds with the fact stated",
                "chart:lim_stated",
                r"^Fact stated: '[^']+' gets",
                changes_with=("lim_story", "lim_q", "lim_model"),
            ),
            Expect(
                "the odds with the fact cut",
                "chart:lim_cutodds",
                r"^Fact cut: (?:still|odds spread)",
                changes_with=("lim_story", "lim_q", "lim_model"),
            ),
            Expect("the calibration chart", "chart:lim_calib", r"^When our GPT is \d+% sure of a fact"),
            Expect(
                "who the doctor is (skewed data)", "chart:lim_pron_skewed", r"^Skewed data", changes_with=("lim_btemp",)
            ),
            Expect("who the doctor is (balanced data)", "chart:lim_pron_balanced", r"^Balanced data"),
            Expect("the GAN's kinds", "chart:lim_gankinds", r"is rarer in the GAN's pictures"),
            Expect(
                "drawn pictures beside their nearest training picture",
                "chart:lim_pairs",
                r"nearest of the [\d,]+ training pictures",
                check="picture",
                changes_with=("lim_mem",),
            ),
            Expect(
                "first words of 100 continuations",
                "chart:lim_first",
                r"^(?:\d+ continuations, \d+ different first words|All \d+ continuations start the same)",
            ),
            Expect("the cost of one output", "chart:lim_cost", r"^One output", optional=True),
            Expect(
                "the large-model arithmetic",
                "chart:lim_ops",
                r"^(?P<lim_large>.+?) does about [\d,]+× our GPT's work",
                optional=True,
            ),
        ),
    ),
    # Training: the replay (the page's default view): any kept step, any story seed. Live training on this page is
    # driven by bench_fairness.py's live_training scenario.
    "training": PagePlan(
        set={"step": None, "story_seed": None},
        expect=(
            Expect(
                "the loss curves with the chosen step marked",
                "chart:training_replay_loss",
                r"^Step (?P<step>[\d,]+): held-out loss \d",
                changes_with=("step",),
            ),
            Expect(
                "the odds after 'The cat sat on the' beside the truth",
                "chart:training_replay_odds",
                rf"^Step (?P<step>[\d,]+), after 'The cat sat on the': '.*' {PERCENT}",
            ),
            Expect(
                "the story written at that step",
                "markdown",
                r"^Written by the model at step (?P<step>[\d,]+) from the story-start marker, seed (?P<story_seed>\d+)",
            ),
        ),
    ),
    "history": PagePlan(
        set={"hist_fillers": None, "hist_mistakes": None, "hist_story": None},
        expect=(
            # Titled by the zoom toggle (hist_mistakes), which visitors switch and the URL keeps across visits.
            Expect(
                "the long-range curves", "chart:hist_curve", r"^(?:The RNN's mistakes|Both remember the friend's name)"
            ),
            Expect("the RNN's next-word odds", "chart:hist_bars_RNN", rf"^RNN: '.+' \({PERCENT}\)"),
            Expect(
                "the transformer's next-word odds", "chart:hist_bars_Transformer", rf"^Transformer: '.+' \({PERCENT}\)"
            ),
            Expect(
                "the RNN's state, token by token",
                "chart:hist_state",
                r"^The RNN's memory: all \d+ numbers",
                changes_with=("hist_fillers",),
            ),
            Expect("the transformer's name head", "chart:hist_attention", r"^The transformer's name head"),
        ),
    ),
    "glossary": PagePlan(
        set={"find": ["noise", "token", "attention", "softmax", "latent", ""]},
        expect=(
            Expect("how many words", "heading", r"^\d+ words, each in plain words first"),
            Expect("an entry", "heading", r"^(?!\d+ words)\w"),
        ),
    ),
}
LIVE_PAGE = "gan"
HOME = "home"


SLOW_S = 1.0  # runs slower than this are listed one by one in the report (when they finished, what)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds
    bytes_by_kind: dict[str, list[int]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    actions: int = 0
    sessions: int = 0
    verified: dict[str, int] = field(default_factory=dict)  # page -> runs whose expected results arrived
    unverified: dict[str, int] = field(default_factory=dict)  # page -> runs on a page without `expect` rows
    live_refused: int = 0  # live refreshes that trained nothing because the server was busy (not a failure)
    plan_misses: dict[str, int] = field(default_factory=dict)  # named widgets a plan could not find
    interaction_times: list[tuple[float, float]] = field(default_factory=list)  # (finished at, seconds)
    slow_runs: list[tuple[float, float, str, str]] = field(default_factory=list)  # (finished at, s, kind, page)

    def record(
        self,
        kind: str,
        result: RunResult,
        page: str,
        visitor: int,
        failure: Failure | None = None,
        count_errors: bool = True,
    ) -> None:
        """One run's figures. A run filed under two kinds (overall and per page) counts once: count_errors=False."""
        self.latencies.setdefault(kind, []).append(result.latency_s)
        if kind == "interaction":
            self.interaction_times.append((time.monotonic(), result.latency_s))
        if count_errors and result.latency_s > SLOW_S and len(self.slow_runs) < 300:
            self.slow_runs.append((time.monotonic(), result.latency_s, kind, page))
        self.bytes_by_kind.setdefault(kind, []).append(result.bytes_received)
        if not count_errors:
            return
        self.actions += 1
        if failure is not None:
            self.errors.append(
                {"visitor": visitor, "page": page, "run": kind, "failure": failure.kind, "error": failure.detail}
            )

    def error(self, page: str, run: str, visitor: int, failure: str, message: str) -> None:
        """A run that never finished (timeout, closed socket) or a visitor that crashed."""
        self.actions += 1
        self.errors.append({"visitor": visitor, "page": page, "run": run, "failure": failure, "error": message})

    def by_kind(self) -> dict[str, int]:
        counts = {kind: 0 for kind in FAILURE_KINDS}
        for error in self.errors:
            counts[error["failure"]] = counts.get(error["failure"], 0) + 1
        return {k: v for k, v in counts.items() if v or k in FAILURE_KINDS}

    def by_page(self) -> dict[str, dict[str, int]]:
        pages: dict[str, dict[str, int]] = {}
        for error in self.errors:
            kinds = pages.setdefault(error["page"], {})
            kinds[error["failure"]] = kinds.get(error["failure"], 0) + 1
        return pages

    def samples(self, limit: int = 30) -> list[dict[str, Any]]:
        """A few errors of every kind (the first ones of each), so one noisy kind cannot hide the others."""
        per_kind = max(3, limit // max(1, len({e["failure"] for e in self.errors})))
        shown: dict[str, int] = {}
        out = []
        for error in self.errors:
            if shown.get(error["failure"], 0) < per_kind:
                shown[error["failure"]] = shown.get(error["failure"], 0) + 1
                out.append(error)
        return out[:limit]


def pick_interaction(session: Session, plan: PagePlan, rng: random.Random, stats: Stats, page: str):
    """(widget, value) for one interaction on the current page, following the page's plan when possible."""
    choices = []
    for name, values in plan.set.items():
        widget = session.find(name)
        if widget is None:
            stats.plan_misses[f"{page}:{name}"] = stats.plan_misses.get(f"{page}:{name}", 0) + 1
            continue
        if getattr(widget.proto, "disabled", False):
            continue  # a person cannot move it (and Streamlit discards a value sent for it)
        choices.append((widget, values, plan.weight.get(name, 1.0)))
    if plan.click and rng.random() < plan.click_share:
        names = list(plan.click)
        rng.shuffle(names)
        for name in names:
            widget = session.find(name, {"button"})
            if widget is not None and not getattr(widget.proto, "disabled", False):
                return widget, "click"
    if choices:
        widget, values, _ = rng.choices(choices, weights=[w for _, _, w in choices])[0]
        value = rng.choice(values) if values else widget.random_value(rng)
        if value is not None:
            return widget, value
    # Generic fallback: any slider, number, select or segmented control (not free text: typing is per-page).
    generic = [w for w in session.value_widgets() if w.kind not in ("text_input", "text_area")]
    rng.shuffle(generic)
    for widget in generic:
        value = widget.random_value(rng)
        if value is not None:
            return widget, value
    return None, None


def visitor_address(index: int) -> str:
    """The client address visitor `index` appears to come from (10.0.0.1, 10.0.0.2, ...)."""
    return f"10.0.{index // 250}.{index % 250 + 1}"


def loopback_address(visitor: str) -> str | None:
    """A visitor's address (10.0.a.b, `visitor_address`) as a loopback address to connect from (127.0.a+1.b):
    Linux answers on all of 127.0.0.0/8, so through nginx each visitor is a client address of its own."""
    parts = visitor.split(".")
    if len(parts) != 4 or parts[:2] != ["10", "0"]:
        return None
    return f"127.0.{int(parts[2]) + 1}.{parts[3]}"


class PageVisit:
    """One visitor on one page: open it, act on it, and check every result against the page's plan."""

    def __init__(self, session: Session, key: str, stats: Stats, visitor: int, timeout: float) -> None:
        self.session = session
        self.key = key
        self.plan = PLANS.get(key, PagePlan())
        self.checker = Checker(self.plan.expect)
        self.stats = stats
        self.visitor = visitor
        self.timeout = timeout
        self.requested: dict[str, Any] = {}  # widget key -> the value this visitor set on this page

    @property
    def verified(self) -> bool:
        return bool(self.plan.expect)

    def verify(self, run: str, result: RunResult, action: Action) -> Failure | None:
        failure = self.checker.check(result, action)
        if failure is None:
            tally = self.stats.verified if self.verified else self.stats.unverified
            tally[self.key] = tally.get(self.key, 0) + 1
        self.stats.record(run, result, self.key, self.visitor, failure)
        if run == "interaction":
            self.stats.record(f"interaction:{self.key}", result, self.key, self.visitor, count_errors=False)
        return failure

    async def _run(self, run: str, coroutine: Any) -> RunResult:
        """Await one run; a run that never finishes is a failure of its own kind, then the visitor leaves."""
        try:
            return await coroutine
        except ProtocolError as error:
            kind = error.kind
            if kind == "timeout" and queued_on(self.session.page.values()):
                kind = "queued_never_completed"
            self.stats.error(self.key, run, self.visitor, kind, str(error))
            error.recorded = True
            raise

    async def open(self, path: str, run: str = "page_open") -> RunResult:
        result = await self._run(run, self.session.open_page(path, timeout=self.timeout))
        self.verify(run, result, Action("open"))
        return result

    async def landing(self) -> RunResult:
        result = await self._run("landing", self.session.rerun(timeout=self.timeout))
        self.verify("landing", result, Action("landing"))
        return result

    async def act(self, widget: Widget, value: Any, run: str = "interaction") -> tuple[RunResult, Failure | None]:
        """Set a widget to `value`, or press it (value "click"), and check what the page shows after."""
        name = widget.key or widget.label
        before = {**self._shown(), **self.requested}
        if value == "click":
            result = await self._run(run, self.session.click(widget, timeout=self.timeout))
            action = Action("click", name, (widget.key, widget.label), dict(self.requested), before)
        else:
            self.requested[name] = value
            result = await self._run(run, self.session.set_widget(widget, value, timeout=self.timeout))
            action = Action("set", name, (widget.key, widget.label), dict(self.requested), before)
        return result, self.verify(run, result, action)

    async def tick(self, fragment_id: str) -> RunResult:
        """A live refresh (the browser's `run_every` timer)."""
        result = await self._run("live_tick", self.session.run_fragment(fragment_id, timeout=self.timeout))
        if any(e.kind == "markdown" and e.text.startswith("⏳") for e in result.page):
            self.stats.live_refused += 1  # the refresh kept its picture; training resumes on a later one
        self.verify("live_tick", result, Action("tick", requested=dict(self.requested)))
        return result

    def still_bound(self, values: dict[str, Any]) -> dict[str, Any]:
        """Those of `values` whose widget on this page is bound to the URL (bind="query-params")."""
        bound = {w.key for w in self.session.widgets.values() if w.key and getattr(w.proto, "query_param_key", "")}
        return {k: v for k, v in values.items() if k in bound}

    def _shown(self) -> dict[str, Any]:
        """Each keyed widget's value as the page shows it (a value kept from an earlier visit, else the default)."""
        return {w.key: w.shown_value() for w in self.session.widgets.values() if w.key}

    def value(self, group: str) -> Any:
        """A value read off the page by the last check (a named group of an `expect` pattern)."""
        return self.checker.last_groups.get(group)


def consecutive_free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1 (deploy/prefork.py numbers its replicas so)."""
    for _ in range(100):
        first = free_port()
        if first + count <= 65535 and all(_port_free(first + i) for i in range(1, count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports")


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Target:
    """What the visitors reach: one server, or `replicas` servers behind nginx with deploy/nginx.conf
    (cookie-sticky, as in production). Sessions through nginx first load the page to get the route cookie."""

    def __init__(
        self, replicas: int, app: str, log_dir: Path, env: dict[str, str] | None = None, prefork: bool = False
    ) -> None:
        self.replicas = replicas
        self.prefork = prefork and replicas > 1  # deploy/prefork.py: one load, then the replicas are forked
        self.app = app
        self.log_dir = log_dir
        self.env = dict(env or {})  # extra server environment (GLASSBOX_PRETRAINED for the broken-model check)
        self.servers: list[Any] = []
        self.replica_urls: list[str] = []
        self.proxy: Any = None
        self.url = ""
        self._workdir: Any = None

    def start(self, port: int = 0) -> float:
        """Start everything; returns seconds until every server answered its health check."""
        started = time.monotonic()
        # A cookie secret shared by the replicas, as the deploy notes require.
        env = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32), **self.env}
        if self.prefork:
            first = consecutive_free_ports(self.replicas)
            log = open(self.log_dir / "loadtest-prefork.log", "w")  # noqa: SIM115 - closed with the process
            command = [sys.executable, "-m", "deploy.prefork", "--replicas", str(self.replicas), "--port", str(first)]
            command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
            server = subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env},
                start_new_session=True,
            )
            self.servers.append(server)
            self.replica_urls = [f"http://127.0.0.1:{first + i}" for i in range(self.replicas)]
            for url in self.replica_urls:
                wait_healthy(url, server, timeout=300)  # the parent warms every view before it forks
        for i in range(0 if self.prefork else self.replicas):
            replica_port = port if (self.replicas == 1 and port) else free_port()
            log = self.log_dir / ("loadtest-server.log" if self.replicas == 1 else f"loadtest-replica-{i}.log")
            self.servers.append(start_streamlit(replica_port, app=self.app, log_path=log, env=env))
            self.replica_urls.append(f"http://127.0.0.1:{replica_port}")
        for url, server in zip(self.replica_urls, self.servers, strict=False):
            if not self.prefork:
                wait_healthy(url, server, timeout=120)
        if self.replicas == 1:
            self.url = self.replica_urls[0]
            return time.monotonic() - started
        from deploy.failover import nginx_binary, nginx_config

        self._workdir = tempfile.TemporaryDirectory(prefix="glassbox-load-nginx-")
        workdir = Path(self._workdir.name)
        listen = free_port()
        ports = [int(u.rsplit(":", 1)[1]) for u in self.replica_urls]
        config = nginx_config(workdir, listen, ports)
        self.proxy = subprocess.Popen(
            [nginx_binary(), "-c", str(config), "-p", str(workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{listen}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if http_get(self.url + "/_stcore/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        return time.monotonic() - started

    def session(self, timeout: float, url: str | None = None, headers: dict[str, str] | None = None) -> Session:
        """A visitor's websocket session (not yet connected; use `async with`). `headers` go on the websocket
        handshake (X-Forwarded-For: which visitor this is). Through nginx, which sets X-Forwarded-For itself (a
        client's own header is never trusted), the session connects from the visitor's own loopback address
        instead (127.0.x.y, see `loopback_address`), as visitors from different machines would."""
        headers = dict(headers or {})
        if url is not None or self.replicas == 1:
            return Session(url or self.url, headers=headers, open_timeout=timeout)
        address = loopback_address(headers.pop("X-Forwarded-For", ""))
        _, cookie = http_get(self.url + "/")  # a browser's page load: nginx pins the tab to one replica
        if cookie:
            headers["Cookie"] = f"{ROUTE_COOKIE}={cookie}"
        return Session(self.url, origin=self.url, headers=headers, open_timeout=timeout, local_address=address)

    def pids(self) -> list[int]:
        """Every server process: each replica, and with prefork the parent and the replicas it forked."""
        pids = [server.pid for server in self.servers]
        if self.prefork:
            for server in self.servers:
                with contextlib.suppress(OSError):
                    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
                    pids += [int(c) for c in children]
        return pids

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the replicas have used so far."""
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    def rss_mb(self, field: str = "") -> float | None:
        """Memory of all servers together (nginx's few MB left out); see read_rss_mb for `field`. By default
        resident memory (VmRSS); with prefork, the proportional share (Pss): the replicas share the pages the
        parent loaded, and adding their RSS would count those pages once per process."""
        field = field or ("Pss" if self.prefork else "VmRSS")
        readings = [read_rss_mb(pid, field) for pid in self.pids()]
        return None if any(r is None for r in readings) else sum(readings)

    def rss_parts_mb(self) -> dict[str, float | None]:
        """Resident memory split: allocated by the servers (anonymous) and library code paged in (file)."""
        return {
            part: round(value, 1) if (value := self.rss_mb(field)) is not None else None
            for part, field in (("anonymous", "RssAnon"), ("file", "RssFile"))
        }

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proxy.wait(timeout=10)
        for server in self.servers:
            stop(server)
        if self._workdir is not None:
            self._workdir.cleanup()


TARGET: Target | None = None  # set by main_async; visitors open their sessions through it


def new_session(url: str, timeout: float, headers: dict[str, str] | None = None) -> Session:
    if TARGET is not None and url == TARGET.url:
        return TARGET.session(timeout, headers=headers)
    return Session(url, headers=headers, open_timeout=timeout)


class Visitor:
    def __init__(self, index: int, url: str, pages: list[str], args: argparse.Namespace, stats: Stats) -> None:
        self.index = index
        self.url = url
        self.pages = pages  # tour keys that the server serves
        self.args = args
        self.stats = stats
        self.rng = random.Random(args.seed * 1000 + index)
        self.trainer = index % 5 == 4 and LIVE_PAGE in pages  # one visitor in five trains a GAN live
        # page -> the values this visitor set there in widgets bound to the URL: Streamlit keeps those when the
        # visitor switches pages (bind="query-params" outranks page scope), so they are still set on a return.
        self.kept: dict[str, dict[str, Any]] = {}
        self.headers = forwarded_for(visitor_address(index))

    async def think(self, deadline: float) -> None:
        pause = self.rng.uniform(self.args.think_min, self.args.think_max)
        await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    async def run(self, deadline: float) -> None:
        # Arrivals are spread over the ramp-up, as a class opens the link over a few seconds.
        await asyncio.sleep(self.rng.uniform(0, self.args.ramp_up))
        self.stats.sessions += 1
        try:
            session = await asyncio.to_thread(new_session, self.url, self.args.timeout, self.headers)
            async with session:
                await self._visit(session, deadline)
        except ProtocolError as error:
            if not error.recorded:
                self.stats.error("?", "connection", self.index, error.kind, str(error))
        except (OSError, websockets.exceptions.WebSocketException) as error:
            self.stats.error("?", "connection", self.index, "connection", f"{type(error).__name__}: {error}")

    async def _visit(self, session: Session, deadline: float) -> None:
        await PageVisit(session, HOME, self.stats, self.index, self.args.timeout).landing()
        actions = 0
        first = True
        while time.monotonic() < deadline and actions < self.args.max_actions:
            await self.think(deadline)
            if time.monotonic() >= deadline:
                break
            page = LIVE_PAGE if (self.trainer and first) else self.rng.choice(self.pages)
            first = False
            entry = next(p for p in TOUR if p.key == page)
            visit = PageVisit(session, page, self.stats, self.index, self.args.timeout)
            await visit.open(entry.path)
            visit.requested.update(visit.still_bound(self.kept.get(page, {})))
            actions += 1
            if self.trainer and page == LIVE_PAGE and visit.plan.live:
                actions += await self._train_live(visit, deadline)
            for _ in range(self.rng.randint(2, 4)):
                if time.monotonic() >= deadline or actions >= self.args.max_actions:
                    break
                await self.think(deadline)
                if time.monotonic() >= deadline:
                    break  # thinking ran into the deadline: leave, rather than all act at the same instant
                widget, value = pick_interaction(session, visit.plan, self.rng, self.stats, page)
                if widget is None:
                    break  # nothing to interact with on this page
                await visit.act(widget, value)
                actions += 1
            self.kept[page] = visit.still_bound(visit.requested)

    async def _train_live(self, visit: PageVisit, deadline: float) -> int:
        """Press Play, follow the page's refresh timer for up to --live-ticks refreshes, press Pause. Training
        must have advanced over those refreshes (a single refresh may be refused on a busy server)."""
        session, plan = visit.session, visit.plan
        widget = session.find(plan.live or "", {"button", "checkbox"})
        if widget is None:
            self.stats.plan_misses[f"{LIVE_PAGE}:{plan.live}"] = (
                self.stats.plan_misses.get(f"{LIVE_PAGE}:{plan.live}", 0) + 1
            )
            return 0
        await visit.act(widget, "click" if widget.kind == "button" else True, run="live_start")
        first_step = visit.value("step")
        ticks = 0
        while session.fragments and ticks < self.args.live_ticks and time.monotonic() < deadline:
            fragment_id, interval = next(iter(session.fragments.items()))
            await asyncio.sleep(interval)  # the browser's run_every timer
            await visit.tick(fragment_id)
            ticks += 1
        last_step = visit.value("step")
        if ticks >= 3 and first_step is not None and last_step is not None and last_step == first_step:
            self.stats.error(
                LIVE_PAGE,
                "live_tick",
                self.index,
                "implausible",
                f"live training stayed at step {first_step} for {ticks} refreshes",
            )
        if plan.live_stop and session.fragments:
            stop_widget = session.find(plan.live_stop, {"button", "checkbox"})
            if stop_widget is not None:
                await visit.act(stop_widget, "click" if stop_widget.kind == "button" else False, run="live_stop")
        return ticks + 1


async def sample_rss(target: Target, samples: list[tuple[float, float]], t0: float, stop_event: asyncio.Event) -> None:
    while not stop_event.is_set():
        rss = target.rss_mb()
        if rss is not None:
            samples.append((round(time.monotonic() - t0, 1), round(rss, 1)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), 1.0)


async def warm_up(url: str, pages: list[str], timeout: float, stats: Stats | None = None) -> dict[str, float]:
    """One visitor opens every page once and uses it a little, so models are loaded (cache_resource) and
    every library a page pulls in on first use (pandas for tables, ...) is in memory before idle RSS is taken.
    Its runs are checked like everyone's (into `stats`, when given)."""
    times: dict[str, float] = {}
    rng = random.Random(12345)
    stats = stats if stats is not None else Stats()
    async with Session(url, open_timeout=timeout, headers=forwarded_for("10.0.255.1")) as session:
        await PageVisit(session, HOME, stats, -1, timeout).landing()
        for key in pages:
            entry = next(p for p in TOUR if p.key == key)
            visit = PageVisit(session, key, stats, -1, timeout)
            result = await visit.open(entry.path)
            times[key] = round(result.latency_s, 3)
            for _ in range(3):
                widget, value = pick_interaction(session, visit.plan, rng, Stats(), key)
                if widget is None:
                    break
                await visit.act(widget, value)
    return times


async def wait_for_rss(target: Target, target_mb: float, limit_s: float) -> float | None:
    """Poll RSS until it is at or below target (or the limit passes); returns the last reading."""
    until = time.monotonic() + limit_s
    rss = target.rss_mb()
    while time.monotonic() < until:
        rss = target.rss_mb()
        if rss is not None and rss <= target_mb:
            break
        await asyncio.sleep(2)
    return rss


def summarize(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50_ms": ms(percentile(values, 50)),
        "p95_ms": ms(percentile(values, 95)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(max(values, default=None)),
    }


def latency_windows(times: list[tuple[float, float]], t0: float, width: float) -> list[dict[str, Any]]:
    """Interaction latency per time window (by when the run finished): shows whether slow runs cluster."""
    windows: dict[int, list[float]] = {}
    for finished, latency in times:
        windows.setdefault(int((finished - t0) // width), []).append(latency)
    return [
        {"from_s": i * width, "runs": len(v), "p50_ms": ms(percentile(v, 50)), "p95_ms": ms(percentile(v, 95))}
        for i, v in sorted(windows.items())
    ]


async def list_pages(url: str, app: str, timeout: float) -> list[str]:
    async with Session(url, open_timeout=timeout) as probe:
        await probe.rerun(timeout=timeout)
        served = {ref.url_pathname.lower() for ref in probe.pages.values()}
    tour_keys = [p.key for p in live_pages()] if app == "app.py" else [p.key for p in TOUR]
    return [k for k in tour_keys if url_pathname_for(next(p for p in TOUR if p.key == k).path).lower() in served]


def not_exercised(pages: list[str]) -> list[str]:
    """Live pages whose results nobody checks: no PLANS row, or a row without `expect`."""
    return [key for key in pages if not PLANS.get(key, PagePlan()).expect]


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    log_path = ROOT / "artifacts" / "loadtest-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    ttl = disconnected_session_ttl()
    report: dict[str, Any] = {
        "what": "N simulated visitors over Streamlit's websocket protocol against `streamlit run app.py` on 127.0.0.1; "
        "every run is checked for its expected result (benchmarks/verify.py)",
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine_note(),
        "settings": {
            k: getattr(args, k)
            for k in ("visitors", "duration", "think_min", "think_max", "ramp_up", "live_ticks", "max_actions", "seed")
        },
        "disconnected_session_ttl_s": ttl,
    }
    env = {}
    if args.pretrained:
        env["GLASSBOX_PRETRAINED"] = str(Path(args.pretrained).resolve())
        report["pretrained"] = env["GLASSBOX_PRETRAINED"]
    launched = time.monotonic()
    global TARGET
    target = TARGET = Target(args.replicas, args.app, log_path.parent, env=env, prefork=args.prefork)
    report["replicas"] = args.replicas
    report["prefork"] = target.prefork
    report["memory_measure"] = "Pss (shared pages counted once)" if target.prefork else "VmRSS"
    if args.replicas > 1:
        report["what"] = (
            f"N simulated visitors over Streamlit's websocket protocol through nginx (deploy/nginx.conf, cookie-sticky) "
            f"to {args.replicas} `streamlit run app.py` replicas on 127.0.0.1; every run is checked for its result"
        )
    memory = not args.skip_memory
    try:
        report["server_ready_s"] = round(target.start(args.port), 2)
        url = target.url
        pages = await list_pages(url, args.app, args.timeout)
        report["pages"] = pages
        report["missing_pages"] = [p.key for p in TOUR if p.key not in pages]
        report["not_exercised"] = not_exercised(pages)
        if report["not_exercised"]:
            print(
                f"Not exercised (no expect rows in PLANS): {', '.join(report['not_exercised'])}. Their runs are only "
                "checked for errors.",
                file=sys.stderr,
            )
        if not pages:
            print("No tour pages are live yet: visitors will only open the landing page.", file=sys.stderr)
        warm_stats = Stats()
        for replica_url in target.replica_urls:  # every replica loads its models
            with contextlib.suppress(ProtocolError):  # already counted in warm_stats
                report["warm_up_first_open_s"] = await warm_up(replica_url, pages, args.timeout, warm_stats)
        report["warm_up_failures"] = {k: v for k, v in warm_stats.by_kind().items() if v}
        report["warm_up_verified_runs_by_page"] = dict(sorted(warm_stats.verified.items()))
        report["rss_before_first_visitor_mb"] = target.rss_mb()
        # Idle = after the warm-up visitor's session has expired: models loaded, no sessions.
        if memory:
            await asyncio.sleep(min(ttl + 5, args.idle_wait))
        idle = target.rss_mb() or 0.0
        report["idle_rss_mb"] = round(idle, 1)
        report["idle_rss_parts_mb"] = target.rss_parts_mb()

        stats = Stats()
        samples: list[tuple[float, float]] = []
        stop_event = asyncio.Event()
        t0 = time.monotonic()
        cpu_server_0, cpu_self_0 = target.cpu_s(), time.process_time()
        sampler = asyncio.create_task(sample_rss(target, samples, t0, stop_event))
        deadline = t0 + args.duration
        visitors = [Visitor(i, url, pages or [], args, stats) for i in range(args.visitors)]
        tasks = [asyncio.create_task(v.run(deadline) if pages else landing_only(v, deadline)) for v in visitors]
        # Hard bound: every visitor is cancelled if it overruns by more than one timeout.
        done, pending = await asyncio.wait(tasks, timeout=args.duration + args.ramp_up + args.timeout + 10)
        for task in pending:
            task.cancel()
            stats.error("?", "overran", -1, "timeout", "visitor cancelled at the hard deadline")
        for task in done:
            if task.exception() is not None:
                stats.error("?", "crash", -1, "crash", f"{type(task.exception()).__name__}: {task.exception()}")
        visitors_left = time.monotonic()
        report["visit_wall_s"] = round(visitors_left - t0, 1)
        # Where the two cores went while visitors were here: the server(s) and this load generator itself.
        report["cpu_cores_busy"] = {
            "servers": round((target.cpu_s() - cpu_server_0) / (visitors_left - t0), 2),
            "load_generator": round((time.process_time() - cpu_self_0) / (visitors_left - t0), 2),
        }
        report["interaction_latency_by_30s"] = latency_windows(stats.interaction_times, t0, 30.0)
        report["slow_runs"] = [
            {"finished_s": round(at - t0, 2), "ms": round(s * 1000), "kind": kind, "page": page}
            for at, s, kind, page in stats.slow_runs
        ]

        after = None
        if memory:
            # After everyone leaves: sessions are freed after disconnectedSessionTTL; give it the TTL plus a margin.
            await asyncio.sleep(ttl + 5)  # sessions of closed tabs live this long
            after = await wait_for_rss(target, idle * 1.10, args.release_wait)
        stop_event.set()
        await sampler
        if memory:
            report["rss_after_visitors_left_mb"] = round(after or 0.0, 1)
            report["rss_after_visitors_left_parts_mb"] = target.rss_parts_mb()
            report["waited_after_leave_s"] = round(time.monotonic() - visitors_left, 1)
        peak = max((s[1] for s in samples), default=None)
        report["peak_rss_mb"] = peak
        report["rss_samples_s_mb"] = samples[:: max(1, len(samples) // 240)]  # at most ~240 points
        report["sessions"] = stats.sessions
        report["actions"] = stats.actions
        report["errors"] = len(stats.errors)
        report["errors_by_kind"] = stats.by_kind()
        report["errors_by_page"] = stats.by_page()
        report["error_samples"] = stats.samples()
        report["verified_runs_by_page"] = dict(sorted(stats.verified.items()))
        report["unverified_runs_by_page"] = dict(sorted(stats.unverified.items()))
        report["live_refreshes_refused_busy"] = stats.live_refused
        report["plan_misses"] = stats.plan_misses
        report["latency"] = {kind: summarize(values) for kind, values in sorted(stats.latencies.items())}
        report["bytes_per_run"] = {
            kind: {"mean": round(sum(v) / len(v)), "max": max(v)}
            for kind, v in sorted(stats.bytes_by_kind.items())
            if v
        }
        inter = stats.latencies.get("interaction", [])
        p95 = percentile(inter, 95)
        report["targets"] = {
            "zero_errors": len(stats.errors) == 0,
            "every_page_exercised": not report["not_exercised"],
            f"interaction_p95_le_{args.p95_target_ms:.0f}ms": (p95 is not None and p95 * 1000 <= args.p95_target_ms),
            "peak_rss_le_1gb": (peak is not None and peak <= 1024),
        }
        if memory:
            report["targets"]["rss_back_within_10pct_of_idle"] = bool(
                after is not None and idle > 0 and after <= idle * 1.10
            )
            anon_idle = report["idle_rss_parts_mb"]["anonymous"]
            anon_after = report["rss_after_visitors_left_parts_mb"]["anonymous"]
            # Not the target itself, but what tells a leak from library code paged in while serving.
            report["anonymous_rss_back_within_10pct_of_idle"] = bool(
                anon_idle and anon_after is not None and anon_after <= anon_idle * 1.10
            )
    finally:
        target.stop()
    report["total_wall_s"] = round(time.monotonic() - launched, 1)
    return report


async def landing_only(visitor: Visitor, deadline: float) -> None:
    """Before any page exists, visitors still load the landing page and rerun it."""
    await asyncio.sleep(visitor.rng.uniform(0, visitor.args.ramp_up))
    visitor.stats.sessions += 1
    try:
        async with Session(visitor.url, open_timeout=visitor.args.timeout, headers=visitor.headers) as session:
            while time.monotonic() < deadline:
                await PageVisit(session, HOME, visitor.stats, visitor.index, visitor.args.timeout).landing()
                await visitor.think(deadline)
    except ProtocolError as error:
        if not error.recorded:
            visitor.stats.error(HOME, "connection", visitor.index, error.kind, str(error))
    except (OSError, websockets.exceptions.WebSocketException) as error:
        visitor.stats.error(HOME, "connection", visitor.index, "connection", str(error))


# ------------------------------------------------------------------------------------------ capacity


def capacity_search(args: argparse.Namespace) -> dict[str, Any]:
    """Step up the number of verified visitors; the capacity is the most that met every bar (interaction p95,
    zero failures of any kind, peak RSS), stopping at the first step that missed one."""
    steps = sorted({int(x) for x in str(args.capacity).split(",") if x.strip()})
    unchecked = not_exercised([p.key for p in live_pages()]) if args.app == "app.py" else []
    if unchecked and not args.allow_unexercised:
        # A capacity figure must be for the whole tour, verified: add the pages' rows to PLANS first.
        raise SystemExit(f"not exercised (no expect rows in PLANS): {', '.join(unchecked)}; add their rows first")
    report: dict[str, Any] = {
        "what": "most verified visitors one server holds: interaction p95 within the bar, 0 failures, peak RSS <= 1 GB",
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine_note(),
        "p95_bar_ms": args.p95_target_ms,
        "duration_s": args.duration,
        "steps": [],
    }
    capacity = 0
    for visitors in steps:
        step_args = argparse.Namespace(**{**vars(args), "visitors": visitors, "skip_memory": True})
        run = asyncio.run(main_async(step_args))
        inter = run.get("latency", {}).get("interaction", {})
        met = all(run.get("targets", {}).values()) or (
            args.allow_unexercised and all(v for k, v in run["targets"].items() if k != "every_page_exercised")
        )
        report["steps"].append(
            {
                "visitors": visitors,
                "met": met,
                "interaction_p50_ms": inter.get("p50_ms"),
                "interaction_p95_ms": inter.get("p95_ms"),
                "interactions": inter.get("count"),
                "errors": run.get("errors"),
                "errors_by_kind": {k: v for k, v in run.get("errors_by_kind", {}).items() if v},
                "peak_rss_mb": run.get("peak_rss_mb"),
                "cpu_cores_busy": run.get("cpu_cores_busy"),
                "not_exercised": run.get("not_exercised"),
                "targets": run.get("targets"),
            }
        )
        print(json.dumps(report["steps"][-1]), flush=True)
        if not met:
            break
        capacity = visitors
    report["capacity_visitors"] = capacity
    report["not_exercised"] = report["steps"][-1]["not_exercised"] if report["steps"] else []
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"**Load test:** {report['settings']['visitors']} visitors for {report['settings']['duration']} s "
        f"on {report['machine']['cpus']} cores; pages: {', '.join(report.get('pages', [])) or 'none yet'}",
        "",
        "| measurement | count | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, s in report.get("latency", {}).items():
        lines.append(
            f"| {kind} | {s['count']} | {s['p50_ms']} ms | {s['p95_ms']} ms | {s['p99_ms']} ms | {s['max_ms']} ms |"
        )
    lines += ["", "| failures by kind | runs | what it means |", "|---|---:|---|"]
    lines += [
        f"| {kind} | {n} | {FAILURE_KINDS.get(kind, '')} |" for kind, n in report.get("errors_by_kind", {}).items()
    ]
    by_page = report.get("errors_by_page") or {}
    verified = report.get("verified_runs_by_page") or {}
    unverified = report.get("unverified_runs_by_page") or {}
    lines += ["", "| page | verified runs | failed runs | failures |", "|---|---:|---:|---|"]
    for page in [HOME, *report.get("pages", [])]:
        failures = by_page.get(page, {})
        note = ", ".join(f"{k} {v}" for k, v in failures.items()) or "-"
        if page in report.get("not_exercised", []):
            note = f"NOT EXERCISED (no expect rows; {unverified.get(page, 0)} runs only checked for errors); " + note
        lines.append(f"| {page} | {verified.get(page, 0)} | {sum(failures.values())} | {note} |")
    if "?" in by_page:
        lines.append(f"| (connection) | - | {sum(by_page['?'].values())} | {by_page['?']} |")
    lines += [
        "",
        "| memory and errors | value |",
        "|---|---:|",
        f"| failed runs | {report.get('errors')} of {report.get('actions')} runs |",
        f"| live refreshes refused while busy (not failures) | {report.get('live_refreshes_refused_busy')} |",
        f"| idle RSS (models loaded, no sessions) | {report.get('idle_rss_mb')} MB |",
        f"| peak RSS | {report.get('peak_rss_mb')} MB |",
    ]
    if "rss_after_visitors_left_mb" in report:
        lines.append(
            f"| RSS after visitors left (+{report.get('waited_after_leave_s')} s) | {report.get('rss_after_visitors_left_mb')} MB |"
        )
    idle_parts, after_parts = report.get("idle_rss_parts_mb"), report.get("rss_after_visitors_left_parts_mb")
    if idle_parts and after_parts:
        lines.append(
            f"| of which allocated (anonymous): idle → after | {idle_parts['anonymous']} → {after_parts['anonymous']} MB |"
        )
        lines.append(
            f"| of which library code paged in (file): idle → after | {idle_parts['file']} → {after_parts['file']} MB |"
        )
    busy = report.get("cpu_cores_busy")
    if busy:
        lines.append(f"| cores busy: servers / this load generator | {busy['servers']} / {busy['load_generator']} |")
    windows = report.get("interaction_latency_by_30s") or []
    if windows:
        lines += ["", "| interactions finished in | runs | p50 | p95 |", "|---|---:|---:|---:|"]
        lines += [
            f"| {w['from_s']:.0f}-{w['from_s'] + 30:.0f} s | {w['runs']} | {w['p50_ms']} ms | {w['p95_ms']} ms |"
            for w in windows
        ]
    lines += ["", "| target | met |", "|---|---|"]
    lines += [f"| {k} | {'yes' if v else 'NO'} |" for k, v in report.get("targets", {}).items()]
    samples = report.get("error_samples") or []
    if samples:
        lines += ["", "First failures of each kind:"]
        lines += [f"- {e['failure']} on {e['page']} ({e['run']}): {e['error'][:160]}" for e in samples[:12]]
    return "\n".join(lines)


def capacity_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"**Capacity:** {report['capacity_visitors']} verified visitors (bar: interaction p95 <= "
        f"{report['p95_bar_ms']:.0f} ms, 0 failures, peak RSS <= 1 GB; {report['duration_s']:.0f} s per step)",
        "",
        "| visitors | interaction p50 | p95 | failed runs | peak RSS | met |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for step in report["steps"]:
        lines.append(
            f"| {step['visitors']} | {step['interaction_p50_ms']} ms | {step['interaction_p95_ms']} ms | "
            f"{step['errors']} {step['errors_by_kind'] or ''} | {step['peak_rss_mb']} MB | {'yes' if step['met'] else 'NO'} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument(
        "--replicas", type=int, default=1, help="servers behind nginx (deploy/nginx.conf); 1 = no proxy"
    )
    parser.add_argument(
        "--prefork", action="store_true", help="start the replicas with deploy/prefork.py (shared models and views)"
    )
    parser.add_argument("--duration", type=float, default=180, help="seconds visitors stay active")
    # A reader looks at what changed before the next move: 3-10 s, the classroom the README's figures describe.
    parser.add_argument("--think-min", type=float, default=3.0, help="shortest pause between actions (s)")
    parser.add_argument("--think-max", type=float, default=10.0, help="longest pause between actions (s)")
    parser.add_argument("--ramp-up", type=float, default=10.0, help="visitors arrive over this many seconds")
    parser.add_argument("--live-ticks", type=int, default=30, help="live-training ticks a trainer follows")
    parser.add_argument("--max-actions", type=int, default=200, help="cap on actions per visitor")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before one run counts as an error")
    parser.add_argument("--idle-wait", type=float, default=40.0, help="max wait for the warm-up session to expire")
    parser.add_argument("--release-wait", type=float, default=60.0, help="extra wait after the TTL for memory")
    parser.add_argument(
        "--skip-memory", action="store_true", help="skip the idle and after-leave memory waits (quick runs, capacity)"
    )
    parser.add_argument("--p95-target-ms", type=float, default=1000.0, help="the interaction p95 bar (ms)")
    parser.add_argument("--pretrained", default="", help="serve models from this folder (GLASSBOX_PRETRAINED)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--capacity", default="", help="visitor counts to step through, e.g. 50,75,100,125 (writes capacity.json)"
    )
    parser.add_argument(
        "--allow-unexercised", action="store_true", help="capacity search even if some page has no expect rows"
    )
    parser.add_argument("--fairness", action="store_true", help="run benchmarks/bench_fairness.py instead")
    parser.add_argument("--app", default="app.py", help="entry script (for testing the tool on another app)")
    parser.add_argument(
        "--out", default="", help="results file (default benchmarks/results/load.json or capacity.json)"
    )
    args = parser.parse_args(argv)
    if args.visitors < 1 or args.visitors > 500 or args.duration <= 0 or args.duration > 3600:
        parser.error("--visitors must be 1..500 and --duration 0..3600 s")
    return args


def write(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.fairness:  # its own program: bench_fairness imports this module's visitors, nothing imports it back
        script = Path(__file__).with_name("bench_fairness.py")
        return subprocess.call([sys.executable, str(script), *(["--out", args.out] if args.out else [])])
    if args.capacity:
        report = capacity_search(args)
        out = Path(args.out or RESULTS / "capacity.json")
        write(report, out)
        print(capacity_markdown(report))
        print(f"\nwrote {out}")
        return 0
    report = asyncio.run(main_async(args))
    out = Path(args.out or RESULTS / "load.json")
    write(report, out)
    print(markdown(report))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
