"""Load test: N simulated visitors on a real `streamlit run` server, over Streamlit's own websocket protocol.

Each visitor opens the landing page, then pages of the tour, and interacts with think time in between.
One visitor in five runs live GAN training (when pages/5_GAN.py exists). Measured: latency from sending a
rerun to the server's `script_finished` (p50/p95/p99 per kind), errors (exception elements, timeouts,
closed sockets), server RSS over time, and idle RSS before visitors arrive and after they leave
(waiting for `server.disconnectedSessionTTL`).

Everything is bounded: visitors stop at --duration, every run has a timeout, the whole script has a hard
deadline, and the server is stopped at the end.

    .venv/bin/python benchmarks/loadtest.py --visitors 50 --duration 180      # the full classroom
    .venv/bin/python benchmarks/loadtest.py --visitors 5 --duration 30        # a quick smoke run
    .venv/bin/python benchmarks/loadtest.py --fairness                        # next-token p95 alone vs 5 live GANs

Writes benchmarks/results/load.json (fairness: benchmarks/results/fairness.json) and prints a markdown table.
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
    percentile,
    read_rss_mb,
    url_pathname_for,
)
from deploy.failover import COOKIE as ROUTE_COOKIE  # noqa: E402
from deploy.failover import http_get  # noqa: E402
from ui.tour import TOUR, live_pages  # noqa: E402

# --------------------------------------------------------------------------------------------------------
# How a visitor uses each page. Data, not code: add a row when a page lands.
#   set:    widget key (or a piece of its label) -> values to pick from; None = any valid value.
#   click:  buttons to press now and then (key or label piece).
#   live:   how to start live training on the page: a button/checkbox to press, then follow the page's
#           `st.fragment(run_every=...)` ticks (bounded by --live-ticks).
# A page without a row, or whose named widgets are not found, falls back to "move any slider/select".
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PagePlan:
    set: dict[str, list[Any] | None] = field(default_factory=dict)
    click: tuple[str, ...] = ()
    click_share: float = 0.25  # how often an interaction is a click rather than a setting change
    live: str | None = None  # key or label piece of the widget that starts live training
    live_stop: str | None = None  # key or label piece of the widget that stops it (pressed when done)


SENTENCES = ["The cat sat on the mat.", "Mia met a snorkelwhistle.", "Once upon a time, Tom had a red ball."]
PLANS: dict[str, PagePlan] = {
    "tokens": PagePlan(set={"text": SENTENCES}),
    "next_token": PagePlan(set={"temperature": None, "top_k": None, "top_p": None, "prompt": SENTENCES}),
    "generate": PagePlan(set={"gtemp": None, "dice": None, "n": None}, click=("Next token",), click_share=0.6),
    "attention": PagePlan(set={"layer": None, "head": None, "query": None}),
    # Points view (the default): move the hyper-parameters, take single steps; trainers press Play and follow ticks.
    "gan": PagePlan(
        set={"lr_g": None, "lr_d": None, "speed": None, "loss": None, "data": None},
        click=("gan_points_step",),
        live="gan_points_play",
        live_stop="gan_points_play",
    ),
    "vae": PagePlan(set={"z1": None, "z2": None, "walk": None}),
    # Mostly stepping through the reverse process (cheap); sometimes a new prompt digit or noise step.
    "diffusion": PagePlan(set={"k_*": None, "t": None, "digit": None}),
}
LIVE_PAGE = "gan"


SLOW_S = 1.0  # runs slower than this are listed one by one in the report (when they finished, what)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds
    bytes_by_kind: dict[str, list[int]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    actions: int = 0
    sessions: int = 0
    plan_misses: dict[str, int] = field(default_factory=dict)  # named widgets a plan could not find
    interaction_times: list[tuple[float, float]] = field(default_factory=list)  # (finished at, seconds)
    slow_runs: list[tuple[float, float, str, str]] = field(default_factory=list)  # (finished at, s, kind, page)

    def record(self, kind: str, result: RunResult, page: str, visitor: int, count_errors: bool = True) -> None:
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
        if not result.ok:
            self.errors.append({"visitor": visitor, "page": page, "kind": kind, "error": "; ".join(result.exceptions)})

    def error(self, page: str, kind: str, visitor: int, message: str) -> None:
        self.actions += 1
        self.errors.append({"visitor": visitor, "page": page, "kind": kind, "error": message})


def pick_interaction(session: Session, plan: PagePlan, rng: random.Random, stats: Stats, page: str):
    """(widget, value) for one interaction on the current page, following the page's plan when possible."""
    choices = []
    for name, values in plan.set.items():
        widget = session.find(name)
        if widget is None:
            stats.plan_misses[f"{page}:{name}"] = stats.plan_misses.get(f"{page}:{name}", 0) + 1
            continue
        choices.append((widget, values))
    if plan.click and rng.random() < plan.click_share:
        for name in plan.click:
            widget = session.find(name, {"button"})
            if widget is not None:
                return widget, "click"
    if choices:
        widget, values = rng.choice(choices)
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


class Target:
    """What the visitors reach: one server, or `replicas` servers behind nginx with deploy/nginx.conf
    (cookie-sticky, as in production). Sessions through nginx first load the page to get the route cookie."""

    def __init__(self, replicas: int, app: str, log_dir: Path) -> None:
        self.replicas = replicas
        self.app = app
        self.log_dir = log_dir
        self.servers: list[Any] = []
        self.replica_urls: list[str] = []
        self.proxy: Any = None
        self.url = ""
        self._workdir: Any = None

    def start(self, port: int = 0) -> float:
        """Start everything; returns seconds until every server answered its health check."""
        started = time.monotonic()
        env = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}  # shared, as the deploy notes require
        for i in range(self.replicas):
            replica_port = port if (self.replicas == 1 and port) else free_port()
            log = self.log_dir / ("loadtest-server.log" if self.replicas == 1 else f"loadtest-replica-{i}.log")
            self.servers.append(start_streamlit(replica_port, app=self.app, log_path=log, env=env))
            self.replica_urls.append(f"http://127.0.0.1:{replica_port}")
        for url, server in zip(self.replica_urls, self.servers, strict=True):
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

    def session(self, timeout: float, url: str | None = None) -> Session:
        """A visitor's websocket session (not yet connected; use `async with`)."""
        if url is not None or self.replicas == 1:
            return Session(url or self.url, open_timeout=timeout)
        _, cookie = http_get(self.url + "/")  # a browser's page load: nginx pins the tab to one replica
        headers = {"Cookie": f"{ROUTE_COOKIE}={cookie}"} if cookie else {}
        return Session(self.url, origin=self.url, headers=headers, open_timeout=timeout)

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the replicas have used so far."""
        total = 0.0
        for server in self.servers:
            try:
                fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    def rss_mb(self, field: str = "VmRSS") -> float | None:
        """Resident memory of all servers together (nginx's few MB left out); see read_rss_mb for `field`."""
        readings = [read_rss_mb(server.pid, field) for server in self.servers]
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


def new_session(url: str, timeout: float) -> Session:
    return TARGET.session(timeout) if TARGET is not None and url == TARGET.url else Session(url, open_timeout=timeout)


class Visitor:
    def __init__(self, index: int, url: str, pages: list[str], args: argparse.Namespace, stats: Stats) -> None:
        self.index = index
        self.url = url
        self.pages = pages  # tour keys that the server serves
        self.args = args
        self.stats = stats
        self.rng = random.Random(args.seed * 1000 + index)
        self.trainer = index % 5 == 4 and LIVE_PAGE in pages  # one visitor in five trains a GAN live

    async def think(self, deadline: float) -> None:
        pause = self.rng.uniform(self.args.think_min, self.args.think_max)
        await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    async def run(self, deadline: float) -> None:
        # Arrivals are spread over the ramp-up, as a class opens the link over a few seconds.
        await asyncio.sleep(self.rng.uniform(0, self.args.ramp_up))
        self.stats.sessions += 1
        try:
            session = await asyncio.to_thread(new_session, self.url, self.args.timeout)
            async with session:
                await self._visit(session, deadline)
        except ProtocolError as error:
            self.stats.error("?", "connection", self.index, str(error))
        except OSError as error:
            self.stats.error("?", "connection", self.index, f"{type(error).__name__}: {error}")

    async def _visit(self, session: Session, deadline: float) -> None:
        timeout = self.args.timeout
        result = await session.rerun(timeout=timeout)  # the landing page, as a browser's first load
        self.stats.record("landing", result, "home", self.index)
        actions = 0
        first = True
        while time.monotonic() < deadline and actions < self.args.max_actions:
            await self.think(deadline)
            if time.monotonic() >= deadline:
                break
            page = LIVE_PAGE if (self.trainer and first) else self.rng.choice(self.pages)
            first = False
            entry = next(p for p in TOUR if p.key == page)
            try:
                result = await session.open_page(entry.path, timeout=timeout)
                self.stats.record("page_open", result, page, self.index)
                actions += 1
                plan = PLANS.get(page, PagePlan())
                if self.trainer and page == LIVE_PAGE and plan.live:
                    actions += await self._train_live(session, plan, deadline)
                for _ in range(self.rng.randint(2, 4)):
                    if time.monotonic() >= deadline or actions >= self.args.max_actions:
                        break
                    await self.think(deadline)
                    if time.monotonic() >= deadline:
                        break  # thinking ran into the deadline: leave, rather than all act at the same instant
                    widget, value = pick_interaction(session, plan, self.rng, self.stats, page)
                    if widget is None:
                        break  # nothing to interact with on this page
                    if value == "click":
                        result = await session.click(widget, timeout=timeout)
                    else:
                        result = await session.set_widget(widget, value, timeout=timeout)
                    self.stats.record("interaction", result, page, self.index)
                    self.stats.record(f"interaction:{page}", result, page, self.index, count_errors=False)
                    actions += 1
            except ProtocolError as error:
                self.stats.error(page, "protocol", self.index, str(error))
                return  # the socket is in an unknown state; this visitor leaves

    async def _train_live(self, session: Session, plan: PagePlan, deadline: float) -> int:
        widget = session.find(plan.live or "", {"button", "checkbox"})
        if widget is None:
            self.stats.plan_misses[f"{LIVE_PAGE}:{plan.live}"] = (
                self.stats.plan_misses.get(f"{LIVE_PAGE}:{plan.live}", 0) + 1
            )
            return 0
        if widget.kind == "button":
            result = await session.click(widget, timeout=self.args.timeout)
        else:
            result = await session.set_widget(widget, True, timeout=self.args.timeout)
        self.stats.record("live_start", result, LIVE_PAGE, self.index)
        ticks = 0
        while session.fragments and ticks < self.args.live_ticks and time.monotonic() < deadline:
            fragment_id, interval = next(iter(session.fragments.items()))
            await asyncio.sleep(interval)  # the browser's run_every timer
            result = await session.run_fragment(fragment_id, timeout=self.args.timeout)
            self.stats.record("live_tick", result, LIVE_PAGE, self.index)
            ticks += 1
        if plan.live_stop and session.fragments:
            stop_widget = session.find(plan.live_stop, {"button", "checkbox"})
            if stop_widget is not None:
                if stop_widget.kind == "button":
                    await session.click(stop_widget, timeout=self.args.timeout)
                else:
                    await session.set_widget(stop_widget, False, timeout=self.args.timeout)
        return ticks + 1


async def sample_rss(target: Target, samples: list[tuple[float, float]], t0: float, stop_event: asyncio.Event) -> None:
    while not stop_event.is_set():
        rss = target.rss_mb()
        if rss is not None:
            samples.append((round(time.monotonic() - t0, 1), round(rss, 1)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), 1.0)


async def warm_up(url: str, pages: list[str], timeout: float) -> dict[str, float]:
    """One visitor opens every page once and uses it a little, so models are loaded (cache_resource) and
    every library a page pulls in on first use (pandas for tables, ...) is in memory before idle RSS is taken."""
    times: dict[str, float] = {}
    rng = random.Random(12345)
    async with Session(url, open_timeout=timeout) as session:
        await session.rerun(timeout=timeout)
        for key in pages:
            entry = next(p for p in TOUR if p.key == key)
            result = await session.open_page(entry.path, timeout=timeout)
            times[key] = round(result.latency_s, 3)
            for _ in range(3):
                widget, value = pick_interaction(session, PLANS.get(key, PagePlan()), rng, Stats(), key)
                if widget is None:
                    break
                if value == "click":
                    await session.click(widget, timeout=timeout)
                else:
                    await session.set_widget(widget, value, timeout=timeout)
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


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = ROOT / "artifacts" / "loadtest-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    ttl = disconnected_session_ttl()
    report: dict[str, Any] = {
        "what": "N simulated visitors over Streamlit's websocket protocol against `streamlit run app.py` on 127.0.0.1",
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine_note(),
        "settings": {
            k: getattr(args, k)
            for k in ("visitors", "duration", "think_min", "think_max", "ramp_up", "live_ticks", "max_actions", "seed")
        },
        "disconnected_session_ttl_s": ttl,
    }
    launched = time.monotonic()
    global TARGET
    target = TARGET = Target(args.replicas, args.app, log_path.parent)
    report["replicas"] = args.replicas
    if args.replicas > 1:
        report["what"] = (
            f"N simulated visitors over Streamlit's websocket protocol through nginx (deploy/nginx.conf, cookie-sticky) "
            f"to {args.replicas} `streamlit run app.py` replicas on 127.0.0.1"
        )
    try:
        report["server_ready_s"] = round(target.start(args.port), 2)
        url = target.url
        # Pages: those in the tour that exist on disk and that the server lists.
        async with Session(url, open_timeout=args.timeout) as probe:
            await probe.rerun(timeout=args.timeout)
            served = {ref.url_pathname.lower() for ref in probe.pages.values()}
        tour_keys = [p.key for p in live_pages()] if args.app == "app.py" else [p.key for p in TOUR]
        pages = [k for k in tour_keys if url_pathname_for(next(p for p in TOUR if p.key == k).path).lower() in served]
        report["pages"] = pages
        report["missing_pages"] = [p.key for p in TOUR if p.key not in pages]
        if not pages:
            print("No tour pages are live yet: visitors will only open the landing page.", file=sys.stderr)
        for replica_url in target.replica_urls:  # every replica loads its models
            report["warm_up_first_open_s"] = await warm_up(replica_url, pages, args.timeout)
        report["rss_before_first_visitor_mb"] = target.rss_mb()
        # Idle = after the warm-up visitor's session has expired: models loaded, no sessions.
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
        if not pages:
            for v in visitors:
                v.pages = []
        tasks = [asyncio.create_task(v.run(deadline) if pages else landing_only(v, deadline)) for v in visitors]
        # Hard bound: every visitor is cancelled if it overruns by more than one timeout.
        done, pending = await asyncio.wait(tasks, timeout=args.duration + args.ramp_up + args.timeout + 10)
        for task in pending:
            task.cancel()
            stats.error("?", "overran", -1, "visitor cancelled at the hard deadline")
        for task in done:
            if task.exception() is not None:
                stats.error("?", "crash", -1, f"{type(task.exception()).__name__}: {task.exception()}")
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

        # After everyone leaves: sessions are freed after disconnectedSessionTTL; give it the TTL plus a margin.
        await asyncio.sleep(ttl + 5)  # sessions of closed tabs live this long
        after = await wait_for_rss(target, idle * 1.10, args.release_wait)
        stop_event.set()
        await sampler
        report["rss_after_visitors_left_mb"] = round(after or 0.0, 1)
        report["rss_after_visitors_left_parts_mb"] = target.rss_parts_mb()
        report["waited_after_leave_s"] = round(time.monotonic() - visitors_left, 1)
        peak = max((s[1] for s in samples), default=None)
        report["peak_rss_mb"] = peak
        report["rss_samples_s_mb"] = samples[:: max(1, len(samples) // 240)]  # at most ~240 points
        report["sessions"] = stats.sessions
        report["actions"] = stats.actions
        report["errors"] = len(stats.errors)
        report["error_samples"] = stats.errors[:20]
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
            "interaction_p95_le_1500ms": (p95 is not None and p95 <= 1.5),
            "peak_rss_le_1gb": (peak is not None and peak <= 1024),
            "rss_back_within_10pct_of_idle": (after is not None and idle > 0 and after <= idle * 1.10),
        }
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
        async with Session(visitor.url, open_timeout=visitor.args.timeout) as session:
            while time.monotonic() < deadline:
                result = await session.rerun(timeout=visitor.args.timeout)
                visitor.stats.record("landing", result, "home", visitor.index)
                await visitor.think(deadline)
    except (ProtocolError, OSError) as error:
        visitor.stats.error("home", "connection", visitor.index, str(error))


# ------------------------------------------------------------------------------------------ fair sharing


async def _probe(url: str, path: str, plan: PagePlan, reps: int, timeout: float, seed: int) -> list[float]:
    """One visitor doing `reps` interactions on one page; returns their latencies."""
    rng = random.Random(seed)
    stats = Stats()
    latencies: list[float] = []
    async with Session(url, open_timeout=timeout) as session:
        await session.rerun(timeout=timeout)
        await session.open_page(path, timeout=timeout)
        for _ in range(reps):
            widget, value = pick_interaction(session, plan, rng, stats, path)
            if widget is None:
                break
            if value == "click":
                result = await session.click(widget, timeout=timeout)
            else:
                result = await session.set_widget(widget, value, timeout=timeout)
            latencies.append(result.latency_s)
            await asyncio.sleep(0.3)
    return latencies


async def _live_trainer(url: str, stop: asyncio.Event, counter: list[int], timeout: float) -> None:
    """A visitor training a GAN live until told to stop; restarts (reset + play) when a run hits its cap."""
    plan = PLANS[LIVE_PAGE]
    entry = next(p for p in TOUR if p.key == LIVE_PAGE)
    async with Session(url, open_timeout=timeout) as session:
        await session.rerun(timeout=timeout)
        await session.open_page(entry.path, timeout=timeout)
        for _ in range(10_000):  # bounded; the stop event ends it long before
            if stop.is_set():
                break
            if not session.fragments:
                play = session.find(plan.live or "", {"button", "checkbox"})
                if play is None:
                    return
                reset = session.find("gan_points_reset", {"button"})
                if reset is not None and getattr(play.proto, "disabled", False):
                    await session.click(reset, timeout=timeout)
                    play = session.find(plan.live or "", {"button", "checkbox"})
                await session.click(play, timeout=timeout)
                continue
            fragment_id, interval = next(iter(session.fragments.items()))
            await asyncio.sleep(interval)
            await session.run_fragment(fragment_id, timeout=timeout)
            counter[0] += 1


async def fairness_async(args: argparse.Namespace) -> dict[str, Any]:
    """Unloaded p95 of one visitor's next-token interactions, then the same with 5 visitors training GANs live."""
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    live = [p.key for p in live_pages()]
    wanted = args.probe_page
    probe_key = wanted if wanted in live else next((k for k in live if k != LIVE_PAGE), None)
    report: dict[str, Any] = {
        "what": "fair sharing: a visitor's interactions alone, then while 5 other visitors train GANs live",
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine_note(),
        "probe_page": probe_key,
        "reps": args.fair_reps,
    }
    if probe_key is None or LIVE_PAGE not in live:
        report["skipped"] = "needs the GAN page and one other page"
        return report
    path = next(p for p in TOUR if p.key == probe_key).path
    plan = PLANS.get(probe_key, PagePlan())
    server = start_streamlit(port, log_path=ROOT / "artifacts" / "fairness-server.log")
    try:
        wait_healthy(url, server, timeout=120)
        await warm_up(url, [probe_key, LIVE_PAGE], args.timeout)
        alone = await _probe(url, path, plan, args.fair_reps, args.timeout, args.seed)
        stop_event = asyncio.Event()
        ticks = [0]
        trainers = [asyncio.create_task(_live_trainer(url, stop_event, ticks, args.timeout)) for _ in range(5)]
        await asyncio.sleep(3)  # let training get going
        loaded = await _probe(url, path, plan, args.fair_reps, args.timeout, args.seed)
        stop_event.set()
        await asyncio.wait(trainers, timeout=args.timeout)
        for task in trainers:
            if not task.done():
                task.cancel()
        report["live_ticks_during_probe"] = ticks[0]
        report["alone"] = summarize(alone)
        report["with_5_live_trainers"] = summarize(loaded)
        a, b = percentile(alone, 95), percentile(loaded, 95)
        report["p95_ratio"] = round(b / a, 2) if a and b else None
        report["meets_target_2x"] = bool(a and b and b <= 2 * a)
    finally:
        stop(server)
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
    lines += [
        "",
        "| memory and errors | value |",
        "|---|---:|",
        f"| errors | {report.get('errors')} of {report.get('actions')} runs |",
        f"| idle RSS (models loaded, no sessions) | {report.get('idle_rss_mb')} MB |",
        f"| peak RSS | {report.get('peak_rss_mb')} MB |",
        f"| RSS after visitors left (+{report.get('waited_after_leave_s')} s) | {report.get('rss_after_visitors_left_mb')} MB |",
    ]
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
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument(
        "--replicas", type=int, default=1, help="servers behind nginx (deploy/nginx.conf); 1 = no proxy"
    )
    parser.add_argument("--duration", type=float, default=180, help="seconds visitors stay active")
    parser.add_argument("--think-min", type=float, default=1.0, help="shortest pause between actions (s)")
    parser.add_argument("--think-max", type=float, default=4.0, help="longest pause between actions (s)")
    parser.add_argument("--ramp-up", type=float, default=10.0, help="visitors arrive over this many seconds")
    parser.add_argument("--live-ticks", type=int, default=30, help="live-training ticks a trainer follows")
    parser.add_argument("--max-actions", type=int, default=200, help="cap on actions per visitor")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before one run counts as an error")
    parser.add_argument("--idle-wait", type=float, default=40.0, help="max wait for the warm-up session to expire")
    parser.add_argument("--release-wait", type=float, default=60.0, help="extra wait after the TTL for memory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fairness", action="store_true", help="run the fair-sharing check instead (fairness.json)")
    parser.add_argument("--probe-page", default="next_token", help="page whose interactions the fairness check times")
    parser.add_argument("--fair-reps", type=int, default=30, help="interactions per phase of the fairness check")
    parser.add_argument("--app", default="app.py", help="entry script (for testing the tool on another app)")
    parser.add_argument("--out", default=str(RESULTS / "load.json"))
    args = parser.parse_args(argv)
    if args.visitors < 1 or args.visitors > 500 or args.duration <= 0 or args.duration > 3600:
        parser.error("--visitors must be 1..500 and --duration 0..3600 s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.fairness:
        report = asyncio.run(fairness_async(args))
        out = Path(args.out if args.out != str(RESULTS / "load.json") else RESULTS / "fairness.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps({k: v for k, v in report.items() if k != "machine"}, indent=2))
        print(f"\nwrote {out}")
        return 0
    report = asyncio.run(main_async(args))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
