"""Prove the multi-replica setup on loopback: 2 Streamlit replicas behind nginx (deploy/nginx.conf), real
sessions through nginx, one replica killed, the other replica's sessions carry on and new sessions are served.

    .venv/bin/python deploy/failover.py            # about a minute; writes benchmarks/results/failover.json

What it does, step by step (every loop bounded, every process cleaned up):
 1. starts 2 replicas (`streamlit run app.py`) with one shared server.cookieSecret, and nginx in the
    foreground with deploy/nginx.conf (upstream servers and listen port swapped in) in a temp folder;
 2. opens visitor sessions like a browser: GET / through nginx (gets the sticky-route cookie), then the
    websocket /_stcore/stream with that cookie and a same-origin Origin header; runs the landing page and
    a tour page; the nginx access log tells which replica each route id was pinned to;
 3. kills replica A with SIGKILL (a crash, not a clean shutdown);
 4. checks that every session pinned to replica B still completes reruns on its open websocket, that
    sessions of A see their socket close and, reconnecting with the same cookie like the browser does,
    get a fresh session on B, and that brand-new visitors are served;
 5. restarts A and checks that new visitors are spread over both replicas again.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.harness import RESULTS, free_port, start_streamlit, stop, wait_healthy  # noqa: E402
from benchmarks.stclient import ProtocolError, Session  # noqa: E402
from ui.tour import live_pages  # noqa: E402

NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
COOKIE = "glassbox_route"
SESSIONS_PER_REPLICA = 3  # sessions we want pinned to each replica before the kill
MAX_OPEN_ATTEMPTS = 40  # bound on how many visitors we open to reach that


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("nginx not found: installing the Debian package (apt-get install -y nginx)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=env, timeout=300)
        return shutil.which("nginx") or "/usr/sbin/nginx"
    raise SystemExit("nginx is not installed: sudo apt-get install nginx")


def nginx_config(workdir: Path, listen_port: int, replica_ports: list[int]) -> Path:
    """deploy/nginx.conf with our ports, wrapped in a minimal main config that writes only into workdir."""
    site = NGINX_TEMPLATE.read_text()
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in replica_ports)
    site, n = re.subn(
        r"(upstream glassbox \{\n(?:.*\n)*?)((?:    server .*\n)+)", lambda m: m.group(1) + servers + "\n", site
    )
    assert n == 1, "could not find the upstream servers in deploy/nginx.conf"
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{listen_port};", site)
    site = re.sub(r"listen \[::\]:80;\n", "", site)
    (workdir / "glassbox.conf").write_text(site)
    main = f"""
daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format route '$glassbox_route|$upstream_addr|$status|$request';
    access_log {workdir}/access.log route;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {workdir}/glassbox.conf;
}}
"""
    path = workdir / "nginx-main.conf"
    path.write_text(main)
    return path


def http_get(url: str, cookie: str | None = None, timeout: float = 10) -> tuple[int, str | None]:
    """(status, route cookie set by nginx) for one plain GET, like a browser opening the page."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        set_cookie = response.headers.get("Set-Cookie") or ""
        match = re.search(rf"{COOKIE}=([^;]+)", set_cookie)
        return response.status, match.group(1) if match else None


def routes_from_access_log(path: Path, request: str = "GET / ") -> dict[str, str]:
    """route id -> upstream address, from the page loads (GET /) in nginx's access log."""
    routes: dict[str, str] = {}
    if not path.exists():
        return routes
    for line in path.read_text().splitlines():
        parts = line.split("|", 3)
        if len(parts) == 4 and parts[3].startswith(request):
            routes[parts[0]] = parts[1].split(",")[-1].strip()
    return routes


def websockets_follow_the_page(path: Path, routes: set[str]) -> dict[str, Any]:
    """Stickiness check: each websocket of these routes (logged when it closes) went to a replica that
    served the page load of the same route."""
    served: dict[str, set[str]] = {}
    sockets: list[tuple[str, str, str]] = []
    for line in path.read_text().splitlines() if path.exists() else []:
        parts = line.split("|", 3)
        if len(parts) < 4 or parts[0] not in routes:
            continue
        final = parts[1].split(",")[-1].strip()
        if parts[3].startswith("GET / "):
            served.setdefault(parts[0], set()).add(final)
        elif parts[3].startswith("GET /_stcore/stream"):
            sockets.append((parts[0], final, line))
    same = sum(1 for route, addr, _ in sockets if addr in served.get(route, set()))
    odd = [
        f"{line} (page served by {sorted(served.get(route, []))})"
        for route, addr, line in sockets
        if addr not in served.get(route, set())
    ]
    return {"websockets": len(sockets), "on_the_page_replica": same, "split": odd[:5]}


class Visitor:
    """A browser tab: a route cookie from the page load and a websocket session through nginx."""

    def __init__(self, base: str, name: str) -> None:
        self.base = base
        self.name = name
        self.cookie: str | None = None
        self.session: Session | None = None
        self.replica: str | None = None
        self.log: list[dict[str, Any]] = []

    async def open(self, page_path: str | None) -> None:
        status, cookie = await asyncio.to_thread(http_get, self.base + "/", self.cookie)
        if cookie:
            self.cookie = cookie
        await self.connect()
        result = await self.session.rerun(timeout=60)
        self.note("landing", result.ok, result.latency_s)
        if page_path:
            result = await self.session.open_page(page_path, timeout=60)
            self.note(f"open {page_path}", result.ok, result.latency_s)

    async def connect(self) -> None:
        # Like a browser: same-origin Origin header, and the route cookie sent with the websocket upgrade.
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        self.session = Session(self.base, origin=self.base, headers=headers)
        await self.session.connect()

    async def interact(self, label: str) -> bool:
        """A rerun on the open websocket (a widget change, if the page has one). True when it completed."""
        assert self.session is not None
        started = time.perf_counter()
        try:
            widgets = [w for w in self.session.value_widgets() if w.kind not in ("text_input", "text_area")]
            value = widgets[0].random_value(random.Random(len(self.log))) if widgets else None
            if widgets and value is not None:
                result = await self.session.set_widget(widgets[0], value, timeout=60)
            else:
                result = await self.session.rerun(timeout=60)
            self.note(label, result.ok, result.latency_s)
            return result.ok
        except (ProtocolError, OSError) as error:
            self.note(label, False, time.perf_counter() - started, str(error)[:160])
            return False

    def note(self, step: str, ok: bool, seconds: float, error: str = "") -> None:
        entry = {"step": step, "ok": ok, "ms": round(seconds * 1000, 1)}
        if error:
            entry["error"] = error
        self.log.append(entry)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()


async def scenario(base: str, access_log: Path, ports: list[int], replicas: dict[int, Any], report: dict) -> None:
    pages = live_pages()
    page_path = pages[0].path if pages else None
    report["page_used"] = page_path or "app.py"
    upstream = {p: f"127.0.0.1:{p}" for p in ports}
    a_port, b_port = ports

    # 1. Visitors until each replica holds a few sessions (bounded).
    visitors: list[Visitor] = []
    for attempt in range(MAX_OPEN_ATTEMPTS):
        visitor = Visitor(base, f"v{attempt}")
        await visitor.open(page_path)
        visitors.append(visitor)
        routes = routes_from_access_log(access_log)
        for v in visitors:
            v.replica = routes.get(v.cookie or "")
        counts = {p: sum(v.replica == upstream[p] for v in visitors) for p in ports}
        if all(c >= SESSIONS_PER_REPLICA for c in counts.values()):
            break
    report["before_kill"] = {
        "visitors": len(visitors),
        "per_replica": {str(p): sum(v.replica == upstream[p] for v in visitors) for p in ports},
        "all_first_runs_ok": all(e["ok"] for v in visitors for e in v.log),
    }
    log(f"before the kill: {report['before_kill']}")
    for v in visitors:
        await v.interact("rerun before kill")

    # 2. Crash replica A.
    log(f"killing replica A (port {a_port}) with SIGKILL")
    os.killpg(replicas[a_port].pid, signal.SIGKILL)
    replicas[a_port].wait(timeout=10)
    killed_at = time.monotonic()

    # 3. Sessions pinned to B carry on over their open websockets.
    on_b = [v for v in visitors if v.replica == upstream[b_port]]
    on_a = [v for v in visitors if v.replica == upstream[a_port]]
    b_results = [await v.interact("rerun after kill") for v in on_b]
    report["survivors_on_B"] = {"sessions": len(on_b), "reruns_ok": sum(b_results)}
    log(f"sessions on B after the kill: {sum(b_results)}/{len(on_b)} reruns completed")

    # 4. Sessions of A: their socket is gone; the browser reconnects (same cookie) and lands on B.
    a_dead = [not await v.interact("rerun on dead replica") for v in on_a]
    reconnected = 0
    for v in on_a:
        await v.close()
        try:
            await v.open(page_path)
            reconnected += all(e["ok"] for e in v.log[-2:])
        except (ProtocolError, OSError) as error:
            v.note("reconnect", False, 0.0, str(error)[:160])
    report["sessions_of_A"] = {
        "sessions": len(on_a),
        "socket_closed_as_expected": sum(a_dead),
        "reconnected_and_served_by_B": reconnected,
    }
    log(f"sessions of A: {sum(a_dead)}/{len(on_a)} saw the socket close; {reconnected} reconnected to B")

    # 5. Brand-new visitors are served while A is down.
    fresh = [Visitor(base, f"new{i}") for i in range(5)]
    served = 0
    for v in fresh:
        try:
            await v.open(page_path)
            served += all(e["ok"] for e in v.log) and await v.interact("first interaction")
        except (ProtocolError, OSError) as error:
            v.note("open", False, 0.0, str(error)[:160])
    report["new_visitors_while_A_down"] = {"visitors": len(fresh), "served": served}
    report["seconds_from_kill_to_checks_done"] = round(time.monotonic() - killed_at, 1)
    log(f"new visitors while A is down: {served}/{len(fresh)} served")

    # 6. A comes back; after fail_timeout nginx sends new visitors to it again.
    replicas[a_port] = start_streamlit(a_port, log_path=access_log.parent / "replica-a-restarted.log", env=REPLICA_ENV)
    wait_healthy(f"http://127.0.0.1:{a_port}", replicas[a_port], timeout=120)
    await asyncio.sleep(11)  # nginx fail_timeout=10s
    later = [Visitor(base, f"later{i}") for i in range(8)]
    for v in later:
        try:
            await v.open(None)
        except (ProtocolError, OSError) as error:
            v.note("open", False, 0.0, str(error)[:160])
    routes = routes_from_access_log(access_log)
    report["after_restart"] = {
        "visitors": len(later),
        "served": sum(all(e["ok"] for e in v.log) for v in later),
        "per_replica": {str(p): sum(routes.get(v.cookie or "") == upstream[p] for v in later) for p in ports},
    }
    log(f"after restarting A: {report['after_restart']}")
    for v in visitors + fresh + later:
        await v.close()
    await asyncio.sleep(1)  # nginx logs a websocket when it closes
    # Steady state (before the kill, and after the failover) versus the moment replica A comes back, when
    # nginx's passive health check sends one probe request to A while the rest of that visitor may go to B.
    steady = {v.cookie for v in visitors + fresh if v.cookie}
    report["stickiness"] = websockets_follow_the_page(access_log, steady)
    report["stickiness_while_A_recovers"] = websockets_follow_the_page(
        access_log, {v.cookie for v in later if v.cookie}
    )
    report["visitor_logs"] = {v.name: {"replica": v.replica, "steps": v.log} for v in visitors}


REPLICA_ENV: dict[str, str] = {}


def main() -> int:
    report: dict[str, Any] = {"what": "2 replicas behind nginx (deploy/nginx.conf) on loopback; replica A killed"}
    nginx = nginx_binary()
    report["nginx"] = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
    workdir = Path(tempfile.mkdtemp(prefix="glassbox-failover-"))
    os.chmod(workdir, 0o755)  # nginx workers (user nobody) write their temp files here
    ports = [free_port(), free_port()]
    while ports[1] == ports[0]:
        ports[1] = free_port()
    listen = free_port()
    REPLICA_ENV["STREAMLIT_SERVER_COOKIE_SECRET"] = secrets.token_hex(32)  # shared by all replicas
    replicas: dict[int, subprocess.Popen] = {}
    proxy: subprocess.Popen | None = None
    started = time.monotonic()
    try:
        for name, port in zip("AB", ports, strict=True):
            replicas[port] = start_streamlit(port, log_path=workdir / f"replica-{name.lower()}.log", env=REPLICA_ENV)
        for port in ports:
            wait_healthy(f"http://127.0.0.1:{port}", replicas[port], timeout=120)
        report["replicas"] = {"A": ports[0], "B": ports[1]}
        config = nginx_config(workdir, listen, ports)
        check = subprocess.run(
            [nginx, "-t", "-c", str(config), "-e", str(workdir / "error.log")], capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {check.stderr}")
        proxy = subprocess.Popen(
            [nginx, "-c", str(config), "-e", str(workdir / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{listen}"
        wait_healthy(base, proxy, timeout=30)
        report["nginx_listen"] = listen
        log(f"replicas A={ports[0]} B={ports[1]} behind nginx on {listen}")
        asyncio.run(asyncio.wait_for(scenario(base, workdir / "access.log", ports, replicas, report), timeout=600))
        b = report["survivors_on_B"]
        a = report["sessions_of_A"]
        n = report["new_visitors_while_A_down"]
        report["passed"] = bool(
            b["sessions"] > 0
            and b["reruns_ok"] == b["sessions"]
            and a["reconnected_and_served_by_B"] == a["sessions"]
            and n["served"] == n["visitors"]
            and report["stickiness"]["websockets"] == report["stickiness"]["on_the_page_replica"]
        )
    except Exception as error:  # report what broke; cleanup still runs
        report["passed"] = False
        report["error"] = f"{type(error).__name__}: {error}"
        log(f"FAILED: {report['error']}")
    finally:
        if proxy is not None and proxy.poll() is None:
            os.killpg(proxy.pid, signal.SIGQUIT)  # graceful nginx shutdown
            try:
                proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proxy.pid, signal.SIGKILL)
        for process in replicas.values():
            stop(process)
        errors = (workdir / "error.log").read_text()[-2000:] if (workdir / "error.log").exists() else ""
        report["nginx_error_log_tail"] = errors.splitlines()[-8:]
        if (workdir / "access.log").exists():  # kept for a reader who wants to check the routing
            (ROOT / "artifacts").mkdir(exist_ok=True)
            shutil.copy(workdir / "access.log", ROOT / "artifacts" / "failover-nginx-access.log")
        shutil.rmtree(workdir, ignore_errors=True)
    report["wall_s"] = round(time.monotonic() - started, 1)
    out = RESULTS / "failover.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    summary = {k: v for k, v in report.items() if k not in ("visitor_logs",)}
    print(json.dumps(summary, indent=2))
    print(f"\n{'PASSED' if report['passed'] else 'FAILED'}; wrote {out}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
