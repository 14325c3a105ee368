"""Check deploy/nginx.conf's security headers, client address and per-address limits on loopback.

    .venv/bin/python deploy/nginx_check.py       # about 30 s; writes benchmarks/results/nginx.json

nginx runs this exact file (upstream and listen port swapped in, as deploy/failover.py does) in front of a small
echo server that answers every request with the headers it received (and holds websocket requests open for a
few seconds, like a tab). deploy/failover.py proves the same file with real Streamlit replicas. Checks:
 1. `nginx -t` accepts the configuration;
 2. the page, the health endpoint and an error page carry the security headers;
 3. the upstream sees X-Forwarded-For = the client's address, whatever the client claimed, and the Host the
    browser used (with its port);
 4. websockets: a burst of 150 handshakes from one address -> about 121 pass (burst 120), the rest get 429;
    130 tabs held open from one address -> 120 open, 10 get 429; a second address is unaffected;
 5. uploads: 60 at once from one address -> 41 pass (20 at once, 20 delayed by up to 10 s), 19 get 429.
Each limit test uses its own client address (127.0.0.2, .3, ...: all of 127/8 reaches loopback on Linux).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))

from failover import nginx_binary, nginx_config  # noqa: E402

from benchmarks.harness import RESULTS, free_port  # noqa: E402

HOLD_SECONDS = 4.0  # how long the echo server keeps a "websocket" open
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


class Echo(BaseHTTPRequestHandler):
    """Answers with the request's headers as JSON; holds requests marked X-Hold open for HOLD_SECONDS."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.headers.get("X-Hold"):  # a tab that stays open
            time.sleep(HOLD_SECONDS)
        body = b"ok" if self.path == "/_stcore/health" else json.dumps(dict(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain" if self.path == "/_stcore/health" else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_DELETE = _answer

    def log_message(self, *args: object) -> None:  # quiet
        pass


def request(
    port: int, method: str, path: str, source: str = "127.0.0.1", headers: dict[str, str] | None = None, body=b""
) -> tuple[int, dict[str, str], bytes, float]:
    """One request from a chosen loopback source address: (status, headers, body, seconds)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), data, time.perf_counter() - started
    finally:
        connection.close()


def websocket_handshake(port: int, source: str, hold: bool = False) -> int:
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}
    if hold:
        headers["X-Hold"] = "1"
    return request(port, "GET", "/_stcore/stream", source, headers)[0]


def statuses(results: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in results:
        counts[str(status)] = counts.get(str(status), 0) + 1
    return dict(sorted(counts.items()))


def run_checks(port: int) -> dict[str, Any]:
    report: dict[str, Any] = {}
    # 2. Security headers on the page (location /), the health endpoint, and a refused upload (429 path later).
    header_checks = {}
    for path in ("/", "/_stcore/health", "/some/static/file.js"):
        status, headers, _, _ = request(port, "GET", path)
        missing = {k: headers.get(k) for k, v in SECURITY_HEADERS.items() if headers.get(k) != v}
        header_checks[path] = {"status": status, "missing_or_wrong": missing}
    report["security_headers"] = header_checks
    # 3. The client address reaches the app, not what the client claims.
    _, _, body, _ = request(port, "GET", "/", "127.0.0.9", {"X-Forwarded-For": "6.6.6.6"})
    seen = json.loads(body)
    report["forwarded_for"] = {
        "client_sent": "6.6.6.6",
        "upstream_saw": seen.get("X-Forwarded-For"),
        "from": "127.0.0.9",
    }
    # The Host header keeps the port (Streamlit compares a websocket's Origin with it).
    report["host_header"] = {"client_sent": f"127.0.0.1:{port}", "upstream_saw": seen.get("Host")}
    # 4a. A burst of websocket handshakes from one address.
    started = time.perf_counter()
    burst = [websocket_handshake(port, "127.0.0.2") for _ in range(150)]
    report["websocket_burst_150_from_one_address"] = {
        **statuses(burst),
        "seconds": round(time.perf_counter() - started, 2),  # the bucket refills at 2 per second meanwhile
    }
    # 4b. 130 tabs open at once from one address; meanwhile another address opens one.
    with ThreadPoolExecutor(max_workers=140) as pool:
        tabs = [pool.submit(websocket_handshake, port, "127.0.0.3", True) for _ in range(130)]
        time.sleep(1.0)
        other = pool.submit(websocket_handshake, port, "127.0.0.4", True).result()
        held = [t.result() for t in tabs]
    report["open_tabs_130_from_one_address"] = statuses(held)
    report["another_address_meanwhile"] = other
    # 5. Sixty uploads at once from one address.
    body = b"x" * 200_000

    def upload(i: int) -> tuple[int, float]:
        status, _, _, seconds = request(port, "PUT", f"/_stcore/upload_file/session/file{i}", "127.0.0.5", {}, body)
        return status, seconds

    with ThreadPoolExecutor(max_workers=60) as pool:
        uploads = list(pool.map(upload, range(60)))
    passed = sorted(s for st, s in uploads if st == 200)
    report["uploads_60_at_once_from_one_address"] = {
        **statuses([st for st, _ in uploads]),
        "slowest_accepted_s": round(passed[-1], 2) if passed else None,
    }
    big = request(port, "PUT", "/_stcore/upload_file/session/big", "127.0.0.6", {}, b"x" * (1024 * 1024 + 1))
    report["upload_over_1_mb"] = big[0]
    report["429_carries_security_headers"] = {
        k: v for k, v in SECURITY_HEADERS.items() if request(port, "GET", "/_stcore/stream", "127.0.0.2")[1].get(k) == v
    }
    return report


def verdict(report: dict[str, Any]) -> bool:
    burst = report["websocket_burst_150_from_one_address"]
    tabs = report["open_tabs_130_from_one_address"]
    uploads = report["uploads_60_at_once_from_one_address"]
    return bool(
        report["nginx_t"] == 0
        and all(not v["missing_or_wrong"] for v in report["security_headers"].values())
        and report["forwarded_for"]["upstream_saw"] == "127.0.0.9"
        and report["host_header"]["upstream_saw"] == report["host_header"]["client_sent"]
        and 121 <= burst.get("200", 0) <= 121 + 2 * burst["seconds"] + 1
        and burst.get("429", 0) == 150 - burst.get("200", 0)
        and tabs.get("200") == 120
        and tabs.get("429") == 10
        and report["another_address_meanwhile"] == 200
        and uploads.get("200") == 41
        and uploads.get("429") == 19
        and report["upload_over_1_mb"] == 413
        and len(report["429_carries_security_headers"]) == len(SECURITY_HEADERS)
    )


def main() -> int:
    nginx = nginx_binary()
    report: dict[str, Any] = {
        "what": "deploy/nginx.conf in front of an echo server on loopback: headers, client address, limits",
        "nginx": subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip(),
    }
    workdir = Path(tempfile.mkdtemp(prefix="glassbox-nginx-check-"))
    os.chmod(workdir, 0o755)  # nginx workers (user nobody) write their temp files here
    ThreadingHTTPServer.request_queue_size = 512  # 130 tabs connect at once
    echo = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    echo.daemon_threads = True
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    listen = free_port()
    proxy = None
    try:
        config = nginx_config(workdir, listen, [echo.server_address[1]])
        check = subprocess.run([nginx, "-t", "-c", str(config), "-e", str(workdir / "error.log")], capture_output=True)
        report["nginx_t"] = check.returncode
        report["nginx_t_output"] = check.stderr.decode().strip().splitlines()
        proxy = subprocess.Popen(
            [nginx, "-c", str(config), "-e", str(workdir / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        report.update(run_checks(listen))
        report["passed"] = verdict(report)
    except Exception as error:  # report what broke; cleanup still runs
        report["passed"] = False
        report["error"] = f"{type(error).__name__}: {error}"
    finally:
        if proxy is not None and proxy.poll() is None:
            os.killpg(proxy.pid, signal.SIGQUIT)
            try:
                proxy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proxy.pid, signal.SIGKILL)
        echo.shutdown()
        errors = (workdir / "error.log").read_text() if (workdir / "error.log").exists() else ""
        report["nginx_error_log_limit_lines"] = sum("limiting" in line for line in errors.splitlines())
        shutil.rmtree(workdir, ignore_errors=True)
    out = RESULTS / "nginx.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"\n{'PASSED' if report['passed'] else 'FAILED'}; wrote {out}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
