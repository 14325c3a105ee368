"""A small Streamlit client that speaks the app's own websocket protocol, for load tests and the failover check.

It does what the browser's frontend does, minus drawing: it opens `ws://host/_stcore/stream` with the
subprotocol "streamlit", sends protobuf `BackMsg.rerun_script` messages (page, query string, widget
states) and reads `ForwardMsg`s until `script_finished`. From the deltas it learns which widgets the
page drew (so an interaction can move a slider by its `key`), which fragments asked for timed reruns
(`st.fragment(run_every=...)`, used by live training), and whether an exception element was drawn.

It also keeps the page as the visitor would see it (`Session.page`: every element and container by its delta
path, stale ones removed when a run finishes, as the frontend does), so a load test can check that the
*expected result* arrived, not only that no exception box was drawn (see benchmarks/verify.py).

Only uses packages that streamlit itself depends on (websockets, protobuf).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED_EARLY_FOR_RERUN = 2
FINISHED_WITH_COMPILE_ERROR = 1

# Element types that are widgets a visitor can change, and how their value travels (see register_widget
# value_type in streamlit/elements/widgets/*.py).
VALUE_WIDGETS = {
    "slider",
    "number_input",
    "selectbox",
    "radio",
    "checkbox",
    "button_group",
    "text_input",
    "text_area",
    "select_slider",
    "multiselect",
}
TRIGGER_WIDGETS = {"button", "form_submit_button"}


class ProtocolError(RuntimeError):
    """The server closed the connection or did not finish a run in time (`kind` "timeout" or "connection")."""

    def __init__(self, message: str, kind: str = "connection") -> None:
        super().__init__(message)
        self.kind = kind
        self.recorded = False  # set by a caller that has already counted it


def forwarded_for(address: str) -> dict[str, str]:
    """Headers that make the server see this session as coming from `address`, as our nginx does in production
    (it sets X-Forwarded-For). Every load-test client connects from 127.0.0.1; this is how visitors differ."""
    return {"X-Forwarded-For": address}


@dataclass
class Element:
    """One element or container on the page, as the frontend holds it."""

    kind: str  # element type ("plotly_chart", "alert", "markdown", "imgs", ...), or "block" for a container
    path: tuple[int, ...]  # delta path: where on the page it sits
    proto: Any = field(repr=False)
    fragment_id: str = ""  # drawn by this st.fragment (also during a full run)
    _chart: Any = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """The user key of a keyed element ("$$ID-<hash>-<key>" ids), else ""."""
        ident = getattr(self.proto, "id", "") if self.kind != "block" else ""
        key = ident.rsplit("-", 1)[-1] if ident.startswith("$$ID-") else ""
        return "" if key == "None" else key

    @property
    def text(self) -> str:
        """What it says: markdown and captions, alerts, headings, code, metric label and value, text."""
        p = self.proto
        if self.kind in ("markdown", "alert", "heading", "text", "toast"):
            return p.body
        if self.kind == "code":
            return p.code_text
        if self.kind == "metric":
            return f"{p.label}: {p.body}"
        if self.kind == "block" and p.WhichOneof("type") == "expandable":
            return p.expandable.label
        return ""

    @property
    def alert_format(self) -> str:
        """'error', 'warning', 'info' or 'success' for an alert, else ''."""
        if self.kind != "alert":
            return ""
        return {1: "error", 2: "warning", 3: "info", 4: "success"}.get(self.proto.format, "")

    def chart(self) -> dict[str, Any] | None:
        """A Plotly chart's figure, or a custom component's data (st.components.v2), as a dict (parsed once)."""
        if self.kind not in ("plotly_chart", "bidi_component"):
            return None
        if self._chart is None:
            text = self.proto.spec if self.kind == "plotly_chart" else self.proto.json
            try:
                self._chart = json.loads(text) if text else {}
            except ValueError:
                self._chart = {}
        return self._chart


@dataclass
class Widget:
    kind: str  # element type, e.g. "slider", "button", "selectbox"
    id: str
    label: str
    proto: Any = field(repr=False)
    fragment_id: str = ""  # set when the widget lives in an st.fragment: changing it reruns only that

    @property
    def key(self) -> str:
        # Widget ids of keyed widgets end with "-<user key>" ("$$ID-<hash>-<key>").
        return self.id.rsplit("-", 1)[-1] if self.id.startswith("$$ID-") else ""

    def matches(self, name: str) -> bool:
        """True when `name` is this widget's key ("k_*" matches keys starting with "k_"), or a case-insensitive
        piece of its label."""
        if not name:
            return False
        if name.endswith("*"):
            return bool(self.key) and self.key.startswith(name[:-1])
        return name == self.key or name.lower() in self.label.lower()

    @property
    def is_select_slider(self) -> bool:
        # st.select_slider is drawn as a Slider proto with `options`; its value travels as option strings.
        return self.kind == "slider" and len(self.proto.options) > 0

    def default_value(self) -> Any:
        """The value the page starts this widget at, in the form `random_value` returns (None if unknown)."""
        p = self.proto
        try:
            if self.is_select_slider:
                return [p.options[int(p.default[0])]]
            if self.kind == "slider":
                return p.default[0] if len(p.default) == 1 else list(p.default)
            if self.kind == "number_input":
                return p.default
            if self.kind in ("selectbox", "radio"):
                return p.options[p.default]
            if self.kind == "button_group":
                return [p.options[int(p.default[0])].content] if len(p.default) else None
            if self.kind == "checkbox":
                return p.default
            if self.kind in ("text_input", "text_area"):
                return p.default
        except (IndexError, TypeError, ValueError, AttributeError):
            return None
        return None

    def shown_value(self) -> Any:
        """The value the page shows now, in the form of `default_value`: the server's own when it sent one
        (`set_value`), else the default. Streamlit keeps a keyed widget's value in the session when it lives in an
        st.fragment, so a reader who comes back to a page finds the story they picked, not the default."""
        p = self.proto
        if not getattr(p, "set_value", False) or self.is_select_slider:
            return self.default_value()
        try:
            if self.kind in ("selectbox", "radio"):
                return p.raw_value
            if self.kind == "slider":
                return p.value[0] if len(p.value) == 1 else list(p.value)
            if self.kind in ("number_input", "checkbox", "text_input", "text_area"):
                return p.value
            if self.kind == "button_group":
                return list(p.raw_values)
        except (IndexError, TypeError, ValueError, AttributeError):
            return None
        return self.default_value()

    def random_value(self, rng: random.Random) -> Any:
        """A random valid value, different from the default where possible (used by the generic interaction)."""
        p = self.proto
        if self.is_select_slider:
            return [rng.choice(list(p.options))]
        if self.kind == "slider":
            if p.data_type in (0, 1):  # INT, FLOAT
                lo, hi = p.min, p.max
                step = p.step or 1
                n = max(1, int(round((hi - lo) / step)))
                return lo + step * rng.randint(0, n)
            return None  # dates and times: not driven
        if self.kind == "number_input":
            lo = p.min if p.has_min else 0
            hi = p.max if p.has_max else lo + 10
            step = p.step or 1
            n = max(1, int(round((hi - lo) / step)))
            value = lo + step * rng.randint(0, min(n, 1000))
            return int(value) if p.data_type == 0 else value  # INT = 0
        if self.kind in ("selectbox", "radio"):
            options = list(p.options)
            return rng.choice(options) if options else None
        if self.kind == "select_slider":
            options = list(p.options)
            return [rng.choice(options)] if options else None
        if self.kind == "button_group":
            options = [o.content for o in p.options]
            return [rng.choice(options)] if options else None
        if self.kind == "checkbox":
            return rng.random() < 0.5
        if self.kind in ("text_input", "text_area"):
            return rng.choice(["the cat sat on the", "once upon a time", "hello world"])
        return None


def widget_state(widget: Widget, value: Any) -> WidgetState:
    """The WidgetState the frontend would send for `value` (value types as registered by each widget)."""
    state = WidgetState(id=widget.id)
    kind = widget.kind
    if kind in TRIGGER_WIDGETS:
        state.trigger_value = True
    elif widget.is_select_slider:
        values = value if isinstance(value, list | tuple) else [value]
        state.string_array_value.data.extend(str(v) for v in values)
    elif kind == "slider":
        values = value if isinstance(value, list | tuple) else [value]
        state.double_array_value.data.extend(float(v) for v in values)
    elif kind == "number_input":
        state.double_value = float(value)
    elif kind in ("selectbox", "radio", "text_input", "text_area"):
        state.string_value = str(value)
    elif kind in ("button_group", "select_slider", "multiselect"):
        values = value if isinstance(value, list | tuple) else [value]
        state.string_array_value.data.extend(str(v) for v in values)
    elif kind == "checkbox":
        state.bool_value = bool(value)
    else:
        raise ValueError(f"cannot set a {kind} widget")
    return state


@dataclass
class RunResult:
    ok: bool  # finished normally, no exception element drawn
    latency_s: float  # rerun sent -> script_finished received
    bytes_received: int
    messages: int
    exceptions: list[str]
    status: int | None
    fragment: bool = False
    page: list[Element] = field(default_factory=list, repr=False)  # the whole page after this run, in order
    drawn: int = 0  # elements and containers (re)drawn by this run


@dataclass
class PageRef:
    script_hash: str
    url_pathname: str
    page_name: str


def url_pathname_for(path: str) -> str:
    """The URL path Streamlit gives a file-based page: 'pages/2_Next_token.py' -> 'Next_token'."""
    stem = Path(path).stem
    return re.sub(r"^[0-9]+[_ -]*", "", stem) or stem


class Session:
    """One simulated visitor: one websocket, one Streamlit session.

    All calls are sequential, like a person: send a rerun, wait for it to finish, look, act again.
    """

    def __init__(
        self,
        base_url: str,
        *,
        origin: str | None = None,
        headers: dict[str, str] | None = None,
        open_timeout: float = 20,
        local_address: str | None = None,
    ) -> None:
        self.ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.local_address = local_address  # connect from this loopback address (127.x.y.z): a visitor of its own
        self.origin = origin
        self.headers = dict(headers or {})
        self.open_timeout = open_timeout
        self.ws: Any = None
        self.session_id = ""
        self.pages: dict[str, PageRef] = {}  # url_pathname -> page ("" is the landing page)
        self.page_hash = ""
        self.query_string = ""
        self.widgets: dict[str, Widget] = {}  # drawn on the current page, by id
        self.widget_values: dict[str, WidgetState] = {}  # values this visitor changed on the current page
        self.fragments: dict[str, float] = {}  # fragment id -> run_every interval (seconds)
        self.page: dict[tuple[int, ...], Element] = {}  # what the visitor sees, by delta path
        self._drawn: set[tuple[int, ...]] = set()  # paths (re)drawn by the run in progress
        self._fragment_run = ""  # the fragment the run in progress reruns ("" = a full run)
        self.total_bytes = 0

    async def connect(self) -> None:
        headers = {**self.headers, **({"Origin": self.origin} if self.origin else {})}
        self.ws = await websockets.connect(
            self.ws_url,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.open_timeout,
            additional_headers=headers or None,
            ping_interval=None,
            **({"local_addr": (self.local_address, 0)} if self.local_address else {}),
        )

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # closing a dead socket is fine
                await self.ws.close()
            self.ws = None

    async def __aenter__(self) -> Session:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- navigation -------------------------------------------------------------------------------------
    def page_hash_for(self, path: str) -> str | None:
        """Script hash of a page file like 'pages/5_GAN.py' (None if the server does not know it)."""
        if path in ("", "app.py"):
            return self.pages[""].script_hash if "" in self.pages else ""
        wanted = url_pathname_for(path).lower()
        for ref in self.pages.values():
            if ref.url_pathname.lower() == wanted:
                return ref.script_hash
        return None

    async def open_page(self, path: str = "app.py", query_string: str = "", timeout: float = 60) -> RunResult:
        """Navigate to a page (fresh widget state, like clicking a link)."""
        script_hash = self.page_hash_for(path)
        if script_hash is None and self.pages:
            raise ProtocolError(f"the server does not list a page for {path}")
        self.page_hash = script_hash or ""
        self.query_string = query_string
        self.widget_values.clear()
        self.widgets.clear()
        self.fragments.clear()
        self.page.clear()
        return await self.rerun(timeout=timeout)

    # --- interactions -----------------------------------------------------------------------------------
    def find(self, name: str, kinds: set[str] | None = None) -> Widget | None:
        """The widget whose key is `name`, else the first whose key pattern or label matches (Widget.matches)."""
        candidates = [w for w in self.widgets.values() if kinds is None or w.kind in kinds]
        exact = next((w for w in candidates if name and w.key == name), None)
        return exact or next((w for w in candidates if w.matches(name)), None)

    def value_widgets(self) -> list[Widget]:
        return [w for w in self.widgets.values() if w.kind in VALUE_WIDGETS and not getattr(w.proto, "disabled", False)]

    async def set_widget(self, widget: Widget, value: Any, timeout: float = 60) -> RunResult:
        self.widget_values[widget.id] = widget_state(widget, value)
        # Like the browser: a widget inside an st.fragment reruns only its fragment.
        return await self.rerun(fragment_id=widget.fragment_id, timeout=timeout)

    async def click(self, widget: Widget, timeout: float = 60) -> RunResult:
        # A trigger is true for one run only, exactly like the frontend.
        return await self.rerun(extra=[widget_state(widget, True)], fragment_id=widget.fragment_id, timeout=timeout)

    async def run_fragment(self, fragment_id: str, timeout: float = 60) -> RunResult:
        """What the browser does when a `run_every` timer fires."""
        return await self.rerun(fragment_id=fragment_id, auto=True, timeout=timeout)

    # --- the protocol -----------------------------------------------------------------------------------
    async def rerun(
        self,
        *,
        extra: list[WidgetState] | None = None,
        fragment_id: str = "",
        auto: bool = False,
        timeout: float = 60,
    ) -> RunResult:
        if self.ws is None:
            raise ProtocolError("not connected")
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash
        state.widget_states.widgets.extend(self.widget_values.values())
        if extra:
            state.widget_states.widgets.extend(extra)
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = auto
        else:
            self.fragments.clear()  # a full run re-registers the timers it still wants, as in the browser
        started = time.perf_counter()
        try:
            await self.ws.send(msg.SerializeToString())
        except websockets.ConnectionClosed as error:
            raise ProtocolError(f"connection closed: {error}") from error
        return await self._read_until_finished(started, fragment_id, timeout)

    async def _read_until_finished(self, started: float, fragment_id: str, timeout: float) -> RunResult:
        deadline = started + timeout
        received = 0
        count = 0
        exceptions: list[str] = []
        self.start_run(fragment_id)
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise ProtocolError(f"no script_finished within {timeout:.0f} s", "timeout")
            try:
                data = await asyncio.wait_for(self.ws.recv(), remaining)
            except TimeoutError as error:
                raise ProtocolError(f"no script_finished within {timeout:.0f} s", "timeout") from error
            except websockets.ConnectionClosed as error:
                raise ProtocolError(f"connection closed: {error}") from error
            received += len(data)
            count += 1
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            result = self.handle(fwd, exceptions)
            if result is None:
                continue
            status, finished = result
            latency = time.perf_counter() - started
            self.total_bytes += received
            return RunResult(
                ok=not exceptions,
                latency_s=latency,
                bytes_received=received,
                messages=count,
                exceptions=exceptions,
                status=status,
                fragment=bool(fragment_id),
                page=finished,
                drawn=len(self._drawn),
            )

    def start_run(self, fragment_id: str = "") -> None:
        """A run begins (a full run, or a rerun of fragment `fragment_id`): nothing drawn by it yet."""
        self._drawn = set()
        self._fragment_run = fragment_id

    def handle(self, fwd: ForwardMsg, exceptions: list[str]) -> tuple[int, list[Element]] | None:
        """Take in one ForwardMsg. When it ends the run: (status, the page as the visitor now sees it).

        Public so that tests can feed recorded or hand-made messages without a server."""
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            self.session_id = fwd.new_session.initialize.session_id or self.session_id
            self._learn_pages(fwd.new_session.app_pages)
            if fwd.new_session.page_script_hash:
                self.page_hash = fwd.new_session.page_script_hash
        elif kind == "navigation":
            self._learn_pages(fwd.navigation.app_pages)
            if fwd.navigation.page_script_hash:
                self.page_hash = fwd.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = fwd.page_info_changed.query_string
        elif kind == "delta":
            self._learn_delta(fwd, exceptions)
        elif kind == "auto_rerun":
            self.fragments[fwd.auto_rerun.fragment_id] = fwd.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fid in fwd.stop_auto_rerun.fragment_ids:
                self.fragments.pop(fid, None)
        elif kind == "page_not_found":
            exceptions.append(f"page not found: {fwd.page_not_found.page_name}")
        elif kind == "script_finished":
            status = fwd.script_finished
            if status == FINISHED_EARLY_FOR_RERUN:
                self.fragments.clear()  # a full rerun follows and re-registers its timers
                return None  # st.rerun() or an interrupted run: the next run follows
            if status == FINISHED_WITH_COMPILE_ERROR:
                exceptions.append("script failed to compile")
            self._drop_stale()
            return status, [self.page[path] for path in sorted(self.page)]
        return None

    def _drop_stale(self) -> None:
        """What the frontend does when a run finishes: elements the run could have drawn but did not are removed
        (a full run owns the whole page; a fragment run owns the elements of its fragment)."""
        if self._fragment_run:
            ran = {self._fragment_run} | {self.page[p].fragment_id for p in self._drawn if self.page[p].fragment_id}
            stale = [p for p, e in self.page.items() if e.fragment_id in ran and p not in self._drawn]
        else:
            stale = [p for p in self.page if p not in self._drawn]
        for path in stale:
            del self.page[path]

    def _learn_pages(self, app_pages: Any) -> None:
        for p in app_pages:
            self.pages[p.url_pathname] = PageRef(p.page_script_hash, p.url_pathname, p.page_name)

    def _learn_delta(self, fwd: ForwardMsg, exceptions: list[str]) -> None:
        delta = fwd.delta
        path = tuple(fwd.metadata.delta_path)
        dtype = delta.WhichOneof("type")
        if dtype == "add_block":
            self.page[path] = Element("block", path, delta.add_block, delta.fragment_id)
            self._drawn.add(path)
            return
        if dtype == "new_transient":
            # Short-lived elements (spinners, toasts) shown at `path`; each message replaces the previous set.
            for old in [p for p in self.page if p[: len(path) + 1] == (*path, -1)]:
                del self.page[old]
            for i, element in enumerate(delta.new_transient.elements):
                etype = element.WhichOneof("type") or ""
                where = (*path, -1, i)
                self.page[where] = Element(etype, where, getattr(element, etype) if etype else None, delta.fragment_id)
                self._drawn.add(where)
            return
        if dtype != "new_element":
            return
        element = delta.new_element
        etype = element.WhichOneof("type")
        self.page[path] = Element(etype or "", path, getattr(element, etype) if etype else None, delta.fragment_id)
        self._drawn.add(path)
        if etype == "exception":
            exc = element.exception
            exceptions.append(f"{exc.type}: {exc.message}".strip(": ") or "exception element")
            return
        if etype in VALUE_WIDGETS or etype in TRIGGER_WIDGETS:
            proto = getattr(element, etype)
            self.widgets[proto.id] = Widget(etype, proto.id, getattr(proto, "label", ""), proto, delta.fragment_id)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of a list; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(q / 100 * len(ordered) + 0.5))))
    return ordered[rank - 1]


def read_rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    """Resident memory of a process in MB, from /proc (no psutil needed). `field` "RssAnon" is the part
    the process allocated itself; "RssFile" is pages of files it mapped (code of the libraries it ran); "Pss" is
    its proportional share: a page shared by n processes counts 1/n (forked replicas, libraries)."""
    try:
        with open(f"/proc/{pid}/{'smaps_rollup' if field == 'Pss' else 'status'}") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
