"""A stand-in for ZeroGPU's device API, which `spaces` (zero mode) calls over HTTP from a Space's app.

The shapes are `spaces/zero/api.py`'s and `spaces/zero/client.py`'s (spaces 0.51.3): `POST /startup-report`,
`POST /schedule` (200 with a ScheduleResponse, or an event stream while queued; 429 with QuotaInfos when refused;
401 for an expired proxy token), `POST /allow`, `POST /release` and `GET /queue-size`. What this stand-in decides is
what the platform decides, written out so that tests can set it: a daily quota per visitor, keyed by the identity in
the `X-IP-Token` a Space's proxy adds to each request (anonymous 120 s, a free account 300 s, PRO 2,400 s; hub-docs
spaces-zerogpu.md), a per-call maximum, a GPU that may be busy (the request waits in a queue that can time out), and
a ledger charged with each window's seconds when it is released. The duration it is asked for is the one `spaces`
computed: the declared duration × the card's `duration_factor` (`spaces/zero/configs.json`).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DAILY_QUOTA = {None: 120, "regular": 300, "pro": 2400}  # seconds a day by account (hub-docs spaces-zerogpu.md)
DAY_SECONDS = 24 * 3600


def make_token(visitor: str, auth: str | None = None, expires_in: float = 300) -> str:
    """An `X-IP-Token` as a Space's proxy adds it: a JWT whose payload `spaces` decodes (zero/utils.py
    `jwt_payload`: the middle part, base64url JSON) and passes on to the device API unverified."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    payload = {"sub": visitor, "auth": auth, "exp": time.time() + expires_in}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}.emulated"


def read_token(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@dataclass
class Window:
    """A GPU window the API granted: to whom, for how long, and how it ended."""

    visitor: str
    auth: str | None
    requested: int  # seconds, as `spaces` asked for them (declared × the card's factor)
    granted_at: float
    allowed_pid: int | None = None
    released: bool = False
    failed: bool | None = None
    charged: int = 0


@dataclass
class Schedule:
    """One `/schedule` call as the API saw it."""

    visitor: str | None
    auth: str | None
    requested: int
    outcome: str  # granted, quota-exceeded, illegal-duration, expired-token, queue-timeout


@dataclass
class DeviceApi:
    """The device API on 127.0.0.1; `url` is what SPACES_ZERO_DEVICE_API_URL names."""

    max_call_seconds: int = 300  # the longest window one call may ask for (PRO accounts: 40 min)
    queue_timeout: float = 3.0  # how long a queued request waits for the GPU before it fails
    gpu_busy: threading.Event = field(default_factory=threading.Event)
    startup_reports: int = 0
    schedules: list[Schedule] = field(default_factory=list)
    windows: dict[str, Window] = field(default_factory=dict)  # by allow token
    used: dict[str, float] = field(default_factory=dict)  # quota seconds used today, by visitor
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: the tests read the ledger, not the access log
                pass

            def do_POST(self):
                api.handle(self, "POST")

            def do_GET(self):
                api.handle(self, "GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="device-api", daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # The ledger, as the tests set and read it
    def left(self, visitor: str, auth: str | None = None) -> int:
        return int(DAILY_QUOTA[auth] - self.used.get(visitor, 0))

    def spend(self, visitor: str, seconds: float) -> None:
        with self.lock:
            self.used[visitor] = self.used.get(visitor, 0) + seconds

    # The HTTP API
    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        params = {key: values[0] for key, values in parse_qs(url.query).items()}
        if "Content-Length" in request.headers:
            request.rfile.read(int(request.headers["Content-Length"]))
        route = (method, url.path)
        if route == ("POST", "/startup-report"):
            with self.lock:
                self.startup_reports += 1
            return self._reply(request, 200, {})
        if route == ("POST", "/schedule"):
            return self._schedule(request, params)
        if route == ("POST", "/allow"):
            window = self.windows.get(params.get("allowToken", ""))
            if window is None:
                return self._reply(request, 404, {"detail": "unknown allow token"})
            window.allowed_pid = int(params["pid"])
            return self._reply(request, 200, {})
        if route == ("POST", "/release"):
            return self._release(request, params)
        if route == ("GET", "/queue-size"):
            return self._reply(request, 200, 1.0 if self.gpu_busy.is_set() else 0.0)
        return self._reply(request, 404, {"detail": "not found"})

    def _schedule(self, request, params: dict) -> None:
        requested = int(params.get("durationSeconds", 60))
        token = params.get("token")
        payload = read_token(token) if token else {}
        visitor, auth = payload.get("sub"), payload.get("auth")

        def refuse(outcome: str, status: int, body: dict, headers: dict | None = None) -> None:
            self.schedules.append(Schedule(visitor, auth, requested, outcome))
            self._reply(request, status, body, headers)

        if token and payload.get("exp", 0) < time.time():
            return refuse("expired-token", 401, {"detail": "expired token"})
        identity = visitor or f"ip:{request.client_address[0]}"
        headers = {"X-Authenticated": auth} if auth else {}
        if requested > self.max_call_seconds:  # spaces reads a negative wait as an illegal duration
            return refuse("illegal-duration", 429, {"left": self.left(identity, auth), "wait": -1}, headers)
        if requested > self.left(identity, auth):
            wait = DAY_SECONDS - int(time.time()) % DAY_SECONDS  # quotas reset daily
            return refuse("quota-exceeded", 429, {"left": self.left(identity, auth), "wait": wait}, headers)
        if not self.gpu_busy.is_set():
            self.schedules.append(Schedule(visitor, auth, requested, "granted"))
            return self._reply(request, 200, self._grant(identity, auth, requested), headers)
        self._queue(request, identity, auth, requested, headers)

    def _grant(self, identity: str, auth: str | None, requested: int) -> dict:
        allow_token = uuid.uuid4().hex
        self.windows[allow_token] = Window(identity, auth, requested, time.monotonic())
        return {"idle": False, "nvidiaIndex": 0, "nvidiaUUID": "GPU-emulated", "allowToken": allow_token}

    def _queue(self, request, identity: str, auth: str | None, requested: int, headers: dict) -> None:
        """An event stream as ZeroGPU's queue sends it: pings, then `succeeded` or `failed`. One event a chunk, as
        `spaces`' sse_stream parses each chunk it reads as one event."""
        request.send_response(200)
        request.send_header("Content-Type", "text/event-stream")
        request.send_header("X-Queuing-Reason", "node")
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Connection", "close")
        request.end_headers()
        deadline = time.monotonic() + self.queue_timeout
        while self.gpu_busy.is_set() and time.monotonic() < deadline:
            request.wfile.write(b"event: ping\n\n")
            request.wfile.flush()
            time.sleep(0.5)
        if self.gpu_busy.is_set():
            self.schedules.append(Schedule(identity, auth, requested, "queue-timeout"))
            request.wfile.write(b"event: failed\n\n")
        else:
            self.schedules.append(Schedule(identity, auth, requested, "granted"))
            data = json.dumps(self._grant(identity, auth, requested))
            request.wfile.write(f"event: succeeded\ndata: {data}\n\n".encode())
        request.wfile.flush()
        request.close_connection = True

    def _release(self, request, params: dict) -> None:
        window = self.windows.get(params.get("allowToken", ""))
        if window is None:
            return self._reply(request, 404, {"detail": "unknown allow token"})
        if not window.released:
            window.released, window.failed = True, params.get("fail") == "true"
            # Charged what the window held the GPU, at most what it asked for (a window ends at its length).
            window.charged = min(window.requested, max(1, round(time.monotonic() - window.granted_at)))
            self.spend(window.visitor, window.charged)
        self._reply(request, 200, {})

    @staticmethod
    def _reply(request, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
