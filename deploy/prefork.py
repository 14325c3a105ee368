"""Several Streamlit replicas that share one copy of the libraries and the models: load once, then fork.

    python -m deploy.prefork --replicas 2 --port 8501 [streamlit options ...]   # replicas on 8501 and 8502

A replica is one Python process: Streamlit runs every visitor's page in threads of that one interpreter, so one
replica uses about one core however many a machine has. Two independent replicas each hold their own torch,
Plotly, Streamlit and models (about 550 MB idle each here). Here one process imports all of that and loads every
shipped model, freezes those objects out of the garbage collector's sight (so collections never write to, and so
copy, the shared pages), and only then forks the replicas. It also runs the warm-up (each page's default view) first,
so the replicas share those views too. Each replica starts its own Streamlit server; the pages they never write to
stay shared, in memory once. The parent only waits: it stops the replicas
when it is stopped, and stops the rest when one replica dies (a supervisor or Docker then restarts the whole set).

Each replica listens on its own port, as deploy/nginx.conf expects; nginx keeps each tab on one replica.
The parent runs the models on one torch thread, as every page run does, so no thread pool exists at the fork.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def preload() -> None:
    """Import the libraries, load every shipped model and compute each page's default view (the warm-up), into
    Streamlit's caches, which the replicas then share."""
    import logging

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    sys.path.insert(0, str(ROOT))
    import torch

    from ui import warmup

    torch.set_num_threads(1)  # as every page run does (ui.compute): no thread pool is started before the fork
    warmup.run_steps(warmup.warm_steps())
    gc.collect()
    gc.freeze()
    os.environ[warmup.PREFORKED] = "1"  # the replicas keep these objects frozen (ui.warmup's idle tidy-up)


def serve(port: int, streamlit_args: list[str]) -> None:
    """In a replica: run Streamlit's own command line, as `streamlit run app.py` would (never returns)."""
    from streamlit.web import cli

    os.chdir(ROOT)
    sys.argv = ["streamlit", "run", "app.py", "--server.port", str(port), *streamlit_args]
    sys.exit(cli.main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8501, help="the first replica's port; the others follow")
    args, streamlit_args = parser.parse_known_args(argv)
    preload()
    children: dict[int, int] = {}
    for index in range(args.replicas):
        pid = os.fork()
        if pid == 0:
            serve(args.port + index, streamlit_args)
        children[pid] = args.port + index

    def stop_all(signum: int = signal.SIGTERM, _frame: object = None) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    code = 0
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        port = children.pop(pid, None)
        if port is not None and children:
            code = code or os.waitstatus_to_exitcode(status) or 1
            print(f"prefork: the replica on port {port} stopped; stopping the others", file=sys.stderr)
            stop_all()
            time.sleep(0.1)
    return code


if __name__ == "__main__":
    sys.exit(main())
