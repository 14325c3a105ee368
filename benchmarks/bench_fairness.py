"""Fair share: does one heavy visitor slow everyone else down? Two scenarios, each on its own fresh server.

1. abusive_diffusion (issue 11, section 2's bar). One abusive visitor drives 8 sessions (tabs or a script) from
   one address, each asking Diffusion for a fresh picture (a new seed every time, no pause). Meanwhile another
   visitor, from another address, measures their next-token knob moves and their own fresh diffusion requests.
   Bar: their next-token p95 within 2x of the same visitor's p95 on the idle server, and each of their own
   diffusion requests answered within 2 s. Every run is checked for its expected result (benchmarks/verify.py):
   a "busy, did not run" answer is a failure, never a fast success.
2. live_trainers. The same visitor's next-token p95 alone, then while 5 other visitors train GANs live.

Every simulated session sends `X-Forwarded-For` on its websocket handshake, as our nginx does, because all of
them connect from 127.0.0.1: the abuser's 8 sessions share 10.0.0.66, the measuring visitor is 10.0.0.7, the
trainers 10.0.0.101-105. A per-visitor limiter that keys on that header can tell them apart.

    .venv/bin/python benchmarks/bench_fairness.py                       # both scenarios -> results/fairness.json
    .venv/bin/python benchmarks/bench_fairness.py --scenario abuse --out /tmp/fairness.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness import RESULTS, free_port, machine_note, start_streamlit, stop, wait_healthy  # noqa: E402
from benchmarks.loadtest import (  # noqa: E402
    LIVE_PAGE,
    PLANS,
    PageVisit,
    Stats,
    pick_interaction,
    summarize,
    warm_up,
)
from benchmarks.stclient import ProtocolError, RunResult, Session, Widget, forwarded_for, percentile  # noqa: E402
from benchmarks.verify import Failure  # noqa: E402
from ui.tour import TOUR, live_pages  # noqa: E402

VICTIM = "10.0.0.7"
ABUSER = "10.0.0.66"
TRAINERS = [f"10.0.0.{101 + i}" for i in range(5)]
# The abuser asks for the page's default kind (a sneaker on clothes): the measuring visitor asks for another, so no
# request of one can be a cache hit for the other.
VICTIM_KIND = 2
DIFFUSION_BAR_S = 2.0


TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_cpu_s() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, every core summed (/proc/stat)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK, sum(fields[:8]) / TICK


def _process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of one process and its threads (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


class CpuMeter:
    """Where the CPU went during a phase: the server, this benchmark's own client, and everything else on the
    machine (other people's work on a shared machine). The machine is shared here, so a missed bar is only
    blamed on the app when the server had the cores it needed: see `others_cores` against the core count."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.start = self._look()

    def _look(self) -> dict[str, Any]:
        own = os.times()
        return {
            "wall": time.monotonic(),
            "machine": _machine_cpu_s(),
            "server": _process_cpu_s(self.server_pid),
            "client": own.user + own.system,
            "load": os.getloadavg(),
        }

    def report(self) -> dict[str, Any]:
        end = self._look()
        wall = end["wall"] - self.start["wall"]
        out: dict[str, Any] = {
            "wall_s": round(wall, 1),
            "load_average_start": [round(x, 2) for x in self.start["load"]],
            "load_average_end": [round(x, 2) for x in end["load"]],
        }
        if None in (self.start["machine"], end["machine"], self.start["server"], end["server"]) or wall <= 0:
            return out
        busy = end["machine"][0] - self.start["machine"][0]
        server = end["server"] - self.start["server"]
        client = end["client"] - self.start["client"]
        others = max(0.0, busy - server - client)
        out.update(
            {
                "server_cpu_s": round(server, 1),
                "benchmark_client_cpu_s": round(client, 1),
                "others_cpu_s": round(others, 1),
                "machine_busy_cpu_s": round(busy, 1),
                "server_cores": round(server / wall, 2),
                "others_cores": round(others / wall, 2),
                "cores": os.cpu_count(),
            }
        )
        return out


def path_of(key: str) -> str:
    return next(p for p in TOUR if p.key == key).path


def fresh_settings(rng: random.Random) -> Iterator[tuple[int, float | None]]:
    """(seed, guidance) pairs never repeated: every seed once, then every seed again with another guidance."""
    seeds = list(range(1000))
    for guidance in (None, 1.0, 1.5, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0):
        rng.shuffle(seeds)
        for seed in seeds:
            yield seed, guidance


async def _open(url: str, address: str, key: str, stats: Stats, who: int, timeout: float) -> tuple[Session, PageVisit]:
    session = Session(url, headers=forwarded_for(address), open_timeout=timeout)
    await session.connect()
    await session.rerun(timeout=timeout)  # the landing page: learns the app's pages
    visit = PageVisit(session, key, stats, who, timeout)
    await visit.open(path_of(key))
    return session, visit


async def next_token_probe(visit: PageVisit, reps: int, rng: random.Random) -> list[float]:
    """`reps` knob moves or prompt changes on Next token, as a person does them (0.3 s apart)."""
    latencies = []
    for _ in range(reps):
        widget, value = pick_interaction(visit.session, visit.plan, rng, Stats(), visit.key)
        if widget is None:
            break
        result, _ = await visit.act(widget, value)
        latencies.append(result.latency_s)
        await asyncio.sleep(0.3)
    return latencies


def control(visit: PageVisit, key: str) -> Widget:
    """A widget of the page the scenario needs; its absence is a failure of the page, reported as such."""
    widget = visit.session.find(key)
    if widget is None:
        visit.stats.error(visit.key, "setup", visit.visitor, "missing", f"no '{key}' widget on the page")
        raise ProtocolError(f"no '{key}' widget on {visit.key}")
    return widget


async def fresh_request(visit: PageVisit, seed: int, guidance: float | None) -> tuple[RunResult, Failure | None]:
    """Ask Diffusion for a picture it has not made before (a new seed; a new guidance once seeds run out)."""
    if guidance is not None and visit.requested.get("w") != guidance:
        await visit.act(control(visit, "w"), guidance, run="setup")
    return await visit.act(control(visit, "seed"), seed)


async def diffusion_probe(
    visit: PageVisit, reps: int, settings: Iterator[tuple[int, float | None]], pause_s: float
) -> list[float]:
    """`reps` fresh diffusion requests (a new seed each), `pause_s` apart; returns each one's latency.

    A fresh 28x28 request is about 1.7 s of heavy work. Asked for every 0.5 s, the measuring visitor would use
    more than their own share of a slot (serving/limiter.py: 2 s at once, then half a slot) and wait for
    themselves, abuse or not; a reader looks at each new picture for a few seconds before asking for another."""
    latencies = []
    for _ in range(reps):
        result, _ = await fresh_request(visit, *next(settings))
        latencies.append(result.latency_s)
        await asyncio.sleep(pause_s)
    return latencies


async def abusive_visitor(
    url: str, sessions: int, stop_event: asyncio.Event, stats: Stats, timeout: float, seed: int
) -> dict[str, int]:
    """One address, `sessions` websockets, each asking for fresh diffusion back to back until told to stop."""
    settings = fresh_settings(random.Random(seed))
    counts = {"requests": 0, "answered": 0, "reconnects": 0}

    async def tab(index: int) -> None:
        while not stop_event.is_set():
            session = None
            try:
                session, visit = await _open(url, ABUSER, "diffusion", stats, 1000 + index, timeout)
                while not stop_event.is_set():
                    counts["requests"] += 1
                    _, failure = await fresh_request(visit, *next(settings))
                    counts["answered"] += failure is None
            except (ProtocolError, OSError, websockets.exceptions.WebSocketException):
                counts["reconnects"] += 1
                await asyncio.sleep(0.2)
            finally:
                if session is not None:
                    await session.close()

    tasks = [asyncio.create_task(tab(i)) for i in range(sessions)]
    await stop_event.wait()
    done, pending = await asyncio.wait(tasks, timeout=timeout + 5)
    for task in pending:
        task.cancel()
    return counts


async def abusive_diffusion(url: str, args: argparse.Namespace, server_pid: int) -> dict[str, Any]:
    rng = random.Random(args.seed)
    victim_settings = fresh_settings(random.Random(args.seed + 1))
    report: dict[str, Any] = {
        "what": f"one visitor ({ABUSER}) drives {args.abuser_sessions} sessions of fresh diffusion (new seed every "
        f"request, no pause); another visitor ({VICTIM}) measures next-token interactions and their own fresh "
        f"diffusion requests (kind {VICTIM_KIND}), first on the idle server, then during the abuse",
        "abuser_sessions": args.abuser_sessions,
        "reps": {"next_token": args.reps, "diffusion": args.diffusion_reps},
        "diffusion_pause_s": args.diffusion_pause,
    }
    victim_stats = {"idle": Stats(), "abused": Stats()}
    phases: dict[str, dict[str, list[float]]] = {}
    abuser_stats = Stats()
    for phase in ("idle", "abused"):
        stats = victim_stats[phase]
        stop_event = asyncio.Event()
        abuse = None
        if phase == "abused":
            abuse = asyncio.create_task(
                abusive_visitor(url, args.abuser_sessions, stop_event, abuser_stats, args.timeout, args.seed)
            )
            await asyncio.sleep(args.settle)  # let the abuse reach full speed
        nt_session = dif_session = None
        meter = CpuMeter(server_pid)
        try:
            nt_session, nt_visit = await _open(url, VICTIM, "next_token", stats, 7, args.timeout)
            dif_session, dif_visit = await _open(url, VICTIM, "diffusion", stats, 7, args.timeout)
            kinds = control(dif_visit, "kind")
            await dif_visit.act(kinds, [kinds.proto.options[VICTIM_KIND].content], run="setup")  # by its label
            phases[phase] = {
                "next_token": await next_token_probe(nt_visit, args.reps, rng),
                "diffusion": await diffusion_probe(
                    dif_visit, args.diffusion_reps, victim_settings, args.diffusion_pause
                ),
            }
        except ProtocolError as error:
            phases.setdefault(phase, {"next_token": [], "diffusion": []})
            report.setdefault("probe_errors", []).append(f"{phase}: {error}")
        finally:
            for session in (nt_session, dif_session):
                if session is not None:
                    await session.close()
            report.setdefault("cpu", {})[phase] = meter.report()
            stop_event.set()
            if abuse is not None:
                report["abuser"] = await abuse
    for phase, stats in victim_stats.items():
        report[f"victim_{phase}"] = {
            "next_token": summarize(phases[phase]["next_token"]),
            "diffusion": summarize(phases[phase]["diffusion"]),
            "failures": {k: v for k, v in stats.by_kind().items() if v},
            "failure_samples": stats.samples(10),
        }
    abuser = report.setdefault("abuser", {})
    abuser["failures"] = {k: v for k, v in abuser_stats.by_kind().items() if v}
    abuser["failure_samples"] = abuser_stats.samples(6)
    idle_p95 = percentile(phases["idle"]["next_token"], 95)
    abused_p95 = percentile(phases["abused"]["next_token"], 95)
    abused_diffusion = phases["abused"]["diffusion"]
    report["next_token_p95_ratio"] = round(abused_p95 / idle_p95, 2) if idle_p95 and abused_p95 else None
    report["targets"] = {
        "next_token_p95_within_2x_of_idle": bool(idle_p95 and abused_p95 and abused_p95 <= 2 * idle_p95),
        "own_diffusion_within_2s": bool(abused_diffusion) and max(abused_diffusion) <= DIFFUSION_BAR_S,
        "victim_zero_failures": not victim_stats["abused"].errors and not victim_stats["idle"].errors,
        # Sanity, not the bar: the abuse really ran (each abusive session got at least a few answers).
        "abuse_ran": abuser.get("answered", 0) >= 3 * args.abuser_sessions,
    }
    return report


async def _live_trainer(url: str, address: str, stop_event: asyncio.Event, counter: list[int], timeout: float) -> None:
    """A visitor training a GAN live until told to stop; restarts (reset + play) when a run hits its cap."""
    plan = PLANS[LIVE_PAGE]
    async with Session(url, headers=forwarded_for(address), open_timeout=timeout) as session:
        await session.rerun(timeout=timeout)
        await session.open_page(path_of(LIVE_PAGE), timeout=timeout)
        for _ in range(10_000):  # bounded; the stop event ends it long before
            if stop_event.is_set():
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


async def live_trainers(url: str, args: argparse.Namespace, probe_key: str, server_pid: int) -> dict[str, Any]:
    report: dict[str, Any] = {
        "what": "a visitor's interactions alone, then while 5 other visitors train GANs live",
        "probe_page": probe_key,
        "reps": args.reps,
    }
    results: dict[str, list[float]] = {}
    stats = Stats()
    for phase in ("alone", "with_5_live_trainers"):
        stop_event = asyncio.Event()
        ticks = [0]
        trainers = []
        if phase != "alone":
            trainers = [
                asyncio.create_task(_live_trainer(url, address, stop_event, ticks, args.timeout))
                for address in TRAINERS
            ]
            await asyncio.sleep(3)  # let training get going
        session = None
        meter = CpuMeter(server_pid)
        try:
            session, visit = await _open(url, VICTIM, probe_key, stats, 7, args.timeout)
            results[phase] = await next_token_probe(visit, args.reps, random.Random(args.seed))
        finally:
            report.setdefault("cpu", {})[phase] = meter.report()
            if session is not None:
                await session.close()
            stop_event.set()
            if trainers:
                await asyncio.wait(trainers, timeout=args.timeout)
                for task in trainers:
                    if not task.done():
                        task.cancel()
        if phase != "alone":
            report["live_ticks_during_probe"] = ticks[0]
        report[phase] = summarize(results[phase])
    a, b = percentile(results["alone"], 95), percentile(results["with_5_live_trainers"], 95)
    report["p95_ratio"] = round(b / a, 2) if a and b else None
    report["failures"] = {k: v for k, v in stats.by_kind().items() if v}
    report["meets_target_2x"] = bool(a and b and b <= 2 * a)
    return report


async def run_scenario(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """One scenario on its own fresh server (warmed up, so model loading is not measured)."""
    live = [p.key for p in live_pages()]
    needs = {"abuse": ["next_token", "diffusion"], "live": ["next_token", LIVE_PAGE]}[name]
    if any(key not in live for key in needs):
        return {"skipped": f"needs the pages {needs}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = ROOT / "artifacts" / f"fairness-{name}-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_streamlit(port, log_path=log)
    try:
        wait_healthy(url, server, timeout=120)
        warm_stats = Stats()
        with contextlib.suppress(ProtocolError):
            await warm_up(url, needs, args.timeout, warm_stats)
        started = time.monotonic()
        if name == "abuse":
            report = await abusive_diffusion(url, args, server.pid)
        else:
            report = await live_trainers(url, args, "next_token", server.pid)
        report["wall_s"] = round(time.monotonic() - started, 1)
        report["warm_up_failures"] = {k: v for k, v in warm_stats.by_kind().items() if v}
        return report
    finally:
        stop(server)


def markdown(report: dict[str, Any]) -> str:
    lines = ["| fairness | idle | loaded | bar | met |", "|---|---:|---:|---|---|"]
    abuse = report.get("abusive_diffusion") or {}
    if "targets" in abuse:
        idle, loaded = abuse["victim_idle"], abuse["victim_abused"]
        targets = abuse["targets"]
        lines.append(
            f"| next-token p95, 8 abusive diffusion sessions | {idle['next_token']['p95_ms']} ms | "
            f"{loaded['next_token']['p95_ms']} ms | within 2x | "
            f"{'yes' if targets['next_token_p95_within_2x_of_idle'] else 'NO'} |"
        )
        lines.append(
            f"| own fresh diffusion (max), same | {idle['diffusion']['max_ms']} ms | {loaded['diffusion']['max_ms']} ms "
            f"| <= 2 s | {'yes' if targets['own_diffusion_within_2s'] else 'NO'} |"
        )
        lines.append(
            f"| measuring visitor's failures | {idle['failures'] or 0} | {loaded['failures'] or 0} | none | "
            f"{'yes' if targets['victim_zero_failures'] else 'NO'} |"
        )
    for phase, cpu in (abuse.get("cpu") or {}).items():
        if "server_cores" in cpu:
            lines.append(
                f"| CPU while measuring ({phase}) | server {cpu['server_cores']} cores | others on the machine "
                f"{cpu['others_cores']} cores | load average {cpu['load_average_end'][0]} | of {cpu['cores']} |"
            )
    live = report.get("live_trainers") or {}
    if "alone" in live:
        lines.append(
            f"| next-token p95, 5 live GAN trainers | {live['alone']['p95_ms']} ms | "
            f"{live['with_5_live_trainers']['p95_ms']} ms | within 2x | {'yes' if live['meets_target_2x'] else 'NO'} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=["all", "abuse", "live"], default="all")
    parser.add_argument("--reps", type=int, default=30, help="next-token interactions per phase")
    parser.add_argument("--diffusion-reps", type=int, default=10, help="own diffusion requests per phase")
    parser.add_argument(
        "--diffusion-pause", type=float, default=3.0, help="seconds the measuring visitor looks at each new picture"
    )
    parser.add_argument("--abuser-sessions", type=int, default=8)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds of abuse before measuring")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "fairness.json"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report: dict[str, Any] = {
        "what": "fair share between visitors (benchmarks/bench_fairness.py)",
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine_note(),
    }
    if args.scenario in ("all", "abuse"):
        report["abusive_diffusion"] = asyncio.run(run_scenario("abuse", args))
    if args.scenario in ("all", "live"):
        report["live_trainers"] = asyncio.run(run_scenario("live", args))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(markdown(report))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
