"""What keeps one visitor of a public server from wearing it down: password guesses and uploads.

Visitors are told apart by their network address. Behind a trusted proxy, that is the last address of
`X-Forwarded-For`: the one the proxy itself saw, which a visitor can't choose (the entries before it are
whatever the visitor sent). Trusted are only the proxies the deployment names (Deployment.proxies): a Space's
own (from its private network), gradio's share tunnel (from this machine) and those named at launch
(`--trusted-proxy`). Any other client is known by its own address, whatever headers it sends: on a LAN, in
Docker or over a VPN, a neighbour's private address is no proxy, and believing its header would let it choose
a new identity with every request.
"""

from __future__ import annotations

import ipaddress
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from python_multipart.multipart import parse_options_header
from starlette.formparsers import MultiPartException

from ..bilingual import Text
from ..errors import UserError

FREE_GUESSES = 3  # a typo or two costs nothing
MAX_DELAY = 300.0  # seconds; the delay doubles with each wrong guess after the free ones
VISITORS_REMEMBERED = 10_000
FILES_PER_POST = 1  # each upload box of this app takes one file, and gradio's page posts a box's files together


# Where a Space's proxy reaches the app from (its private network), and gradio's share tunnel (this machine).
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
LOOPBACK = ("127.0.0.0/8", "::1/128")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(named) -> tuple[Network, ...]:
    """Addresses or networks (`10.1.2.3`, `10.0.0.0/8`) as networks; one that is neither gets one sentence."""
    found = []
    for name in named:
        try:
            found.append(ipaddress.ip_network(name.strip(), strict=False))
        except ValueError:
            raise UserError(
                Text(
                    f"{name!r} is not an address or a network (like 10.0.0.5 or 10.0.0.0/8).",
                    f"{name!r} はアドレスでもネットワークでもありません（10.0.0.5 や 10.0.0.0/8 のように書いてくださ"
                    "い）。",
                )
            ) from None
    return tuple(found)


def forwarded_allow_ips(proxies: tuple[Network, ...]) -> str:
    """The proxies as uvicorn's FORWARDED_ALLOW_IPS names them (`10.0.0.0/8,127.0.0.0/8`); '' believes no one
    (uvicorn's own default believes loopback: any process on this machine could name itself anyone)."""
    return ",".join(str(network) for network in proxies)


def visitor_address(client_host: str | None, forwarded_for: str | None, proxies: tuple[Network, ...] = ()) -> str:
    """Who is asking, as far as the server can tell (see the module's docstring)."""
    if forwarded_for and _is_one_of(client_host, proxies):
        return forwarded_for.split(",")[-1].strip()
    return client_host or "unknown"


def _is_one_of(host: str | None, proxies: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return any(address in network for network in proxies)


class _PerVisitor(OrderedDict):
    """A bounded record per visitor: the least recently seen are forgotten first."""

    def touch(self, visitor: str, default):
        value = self.pop(visitor, default)
        self[visitor] = value
        while len(self) > VISITORS_REMEMBERED:
            self.popitem(last=False)
        return value


class PasswordThrottle:
    """After FREE_GUESSES wrong passwords, a visitor waits 1 s, then 2 s, 4 s … (up to MAX_DELAY) before
    the next guess is even checked. A right password clears the record."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._failures = _PerVisitor()  # visitor → (wrong guesses in a row, time of the last)
        self._lock = threading.Lock()

    def check(self, visitor: str, guess_is_right: Callable[[], bool]) -> bool:
        with self._lock:
            failures, last = self._failures.touch(visitor, (0, 0.0))
            wait = math.ceil(self.delay(failures) - (self.clock() - last))
            if wait > 0:
                raise UserError(
                    Text(
                        f"Too many wrong passwords from your address: wait {wait} s, then try again.",
                        f"パスワードの誤りが続いたため、{wait} 秒待ってから再度お試しください。",
                    )
                )
            right = guess_is_right()
            if right:
                self._failures.pop(visitor, None)
            else:
                self._failures[visitor] = (failures + 1, self.clock())
            return right

    @staticmethod
    def delay(failures: int) -> float:
        return 0.0 if failures < FREE_GUESSES else min(MAX_DELAY, 2.0 ** (failures - FREE_GUESSES))


class UploadGuard:
    """ASGI middleware in front of gradio's own upload route (`…/gradio_api/upload`), which saves any file
    a visitor posts for an hour, outside the app's quotas: it refuses a post when the upload folder
    holds `max_bytes` already (the bytes on disk, those still to arrive of the posts admitted before it, and the
    post's own), when the visitor has posted `per_hour` times or `visitor_bytes` in the last hour, and a post
    that does not say its length: a chunked body could be any size, while the server holds a body with a
    Content-Length to that length. A post's bytes are reserved from its admission until they have arrived (as
    they arrive, gradio writes them to the folder), so posters arriving together can't pass the bound between
    them. A post holding more than `files_per_post` parts is stopped as soon as its delimiters show it (see
    _Parts), and gradio removes what it had written of it."""

    ROUTE = "/gradio_api/upload"

    def __init__(
        self,
        app,
        folder: str | Path,
        max_bytes: float,
        per_hour: float,
        visitor_bytes: float = float("inf"),
        proxies=(),
        files_per_post: int = FILES_PER_POST,
        clock=time.monotonic,
    ):
        self.app, self.folder, self.max_bytes, self.per_hour, self.clock = app, Path(folder), max_bytes, per_hour, clock
        self.visitor_bytes, self.proxies, self.files_per_post = visitor_bytes, proxies, files_per_post
        self._posts = _PerVisitor()  # visitor → (time, bytes) of their posts in the last hour
        self._arriving = 0  # bytes of the admitted posts not arrived yet
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].endswith(self.ROUTE):
            headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
            client = scope.get("client") or (None, None)
            visitor = visitor_address(client[0], headers.get("x-forwarded-for"), self.proxies)
            length = headers.get("content-length", "")
            if not length.isdigit() or "transfer-encoding" in headers:  # chunked framing overrides the length
                await _plain_text(send, 411, UNSIZED)
                return
            if refusal := self.refusal(visitor, int(length)):
                await _plain_text(send, 429, refusal)
                return
            to_arrive = [int(length)]
            parts = _Parts(headers.get("content-type", ""))

            async def arriving():
                message = await receive()
                body = message.get("body", b"") if message["type"] == "http.request" else b""
                arrived = min(len(body), to_arrive[0])
                to_arrive[0] -= arrived
                self.arrived(arrived)
                if parts.seen(body) > self.files_per_post:
                    # gradio's own parser answers this exception with its sentence (400) and removes the files
                    # it had begun to write.
                    raise MultiPartException(TOO_MANY_FILES.format(files=self.files_per_post))
                return message

            try:
                await self.app(scope, arriving, send)
            finally:  # what never arrived (a visitor gone, a refusal) is no longer reserved
                self.arrived(to_arrive[0])
            return
        await self.app(scope, receive, send)

    def arrived(self, size: int) -> None:
        """`size` bytes of an admitted post have arrived, or will not: they are no longer reserved."""
        with self._lock:
            self._arriving -= size

    def refusal(self, visitor: str, size: int) -> str:
        """Why this post of `size` bytes is refused, or '' when it may go on (and then it is counted)."""
        with self._lock:
            now = self.clock()
            recent = [(moment, posted) for moment, posted in self._posts.touch(visitor, []) if now - moment < 3600]
            self._posts[visitor] = recent
            if len(recent) >= self.per_hour:
                return (
                    f"You have uploaded {len(recent)} files in the last hour, this server's limit: try again later. "
                    "/ アップロードの上限に達しました。しばらくしてからお試しください。"
                )
            if sum(posted for _, posted in recent) + size > self.visitor_bytes:
                return (
                    f"You have uploaded {self.visitor_bytes / 2**20:,.0f} MB in the last hour, this server's limit "
                    "for one visitor: try again later. / 1 時間あたりのアップロード量の上限に達しました。"
                    "しばらくしてからお試しください。"
                )
            if folder_bytes(self.folder) + self._arriving + size > self.max_bytes:
                return (
                    "This server's upload space is full for now: try again in a few minutes. "
                    "/ アップロード領域がいっぱいです。数分後にお試しください。"
                )
            recent.append((now, size))
            self._arriving += size
            return ""


class _Parts:
    """How many parts a multipart body holds at least, counted as its delimiters arrive: a body of n parts has
    n + 1 (the closing one too), so one that has shown n + 2 holds more than n."""

    def __init__(self, content_type: str):
        boundary = parse_options_header(content_type)[1].get(b"boundary")
        self.delimiter = b"--" + boundary if boundary else b""
        self.count, self.tail = 0, b""

    def seen(self, body: bytes) -> int:
        """The parts the body holds at least, with `body` its next bytes."""
        if self.delimiter and body:
            data = self.tail + body
            self.count += data.count(self.delimiter)
            self.tail = data[-(len(self.delimiter) - 1) :]  # a delimiter cut between two messages
        return max(0, self.count - 1)


TOO_MANY_FILES = (
    "An upload holds at most {files} file(s) at a time on this server: send them one by one. "
    "/ 一度にアップロードできるファイル数を超えています。1 つずつ送ってください。"
)
UNSIZED = (
    "An upload must say its length (a Content-Length header), as a browser's does: send it that way. "
    "/ アップロードにはサイズ（Content-Length）が必要です。ブラウザーと同じ方法で送ってください。"
)


def folder_bytes(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name), follow_symlinks=False).st_size
            except OSError:  # removed meanwhile by gradio's own clean-up
                continue
    return total


async def _plain_text(send, status: int, message: str) -> None:
    body = message.encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
