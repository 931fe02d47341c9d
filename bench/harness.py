"""What bench/ and tests/ share to serve the app: a free port, `python app.py` started and waited for until it
answers, and a server stopped with every process it started (its trainer).

The benchmarks import it as `harness` (they run as scripts, with bench/ on the path), tests/conftest.py as
`bench.harness`; it needs nothing but the standard library and psutil, so a benchmark run as a script needs no
test code, and the tests serve the app exactly as the benchmarks measure it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


class NotServing(RuntimeError):
    """The app exited, or did not answer in time; the message ends with the end of its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str, timeout: float = 2) -> bool:
    """Whether `url` answers an HTTP GET at all."""
    try:
        urllib.request.urlopen(url, timeout=timeout).close()
        return True
    except OSError:
        return False


def start_app(
    runs: Path,
    *flags: str,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> tuple[str, subprocess.Popen]:
    """`python app.py --runs RUNS --port <a free one> FLAGS…` from the repository root, its output written to `log`
    (or dropped), in `env` (default: this process's); its URL and process once the page answers. An app that exits
    or does not answer within `timeout` s is stopped and raises NotServing with its log's end."""
    port = free_port()
    command = [sys.executable, "app.py", "--runs", str(runs), "--port", str(port), *flags]
    with open(log or os.devnull, "w") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while not answers(url):
        if server.poll() is not None or time.monotonic() > deadline:
            stop_process_tree(server)
            said = log.read_text(errors="replace")[-3000:] if log else "(no log kept)"
            raise NotServing(f"The app did not start serving:\n{said}")
        time.sleep(0.5)
    return url, server


def stop_process_tree(process: subprocess.Popen | psutil.Process, timeout: float = 20) -> None:
    """Stop `process` and every process under it (an app's trainer), then reap them; kill what won't stop."""
    try:
        family = [*psutil.Process(process.pid).children(recursive=True), psutil.Process(process.pid)]
    except psutil.NoSuchProcess:
        family = []
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.terminate()
    _, alive = psutil.wait_procs(family, timeout)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    if isinstance(process, subprocess.Popen):
        process.wait(timeout)
