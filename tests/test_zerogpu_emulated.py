"""The Space as ZeroGPU runs it: the real `spaces` package in zero mode, in a virtual environment built as a Space
builds it (Python 3.12, the torch ZeroGPU installs: requirements.txt), against a stand-in for ZeroGPU's device API
(tests/zerogpu/device_api.py) and an emulated card (the driver file `spaces` reads to pick its `duration_factor`).

On a machine without a GPU exactly one step is replaced, the forked worker's CUDA attach (tests/zerogpu/space_app.py),
so each window's body trains on the CPU; with a GPU nothing is. What only a real Space shows: the GPU itself, the
platform's real quotas and queue, its proxy's tokens (README, "On a Space").

These run where SPACE_PYTHON names that environment's interpreter (`.ci/run` builds it and runs
`pytest -k zerogpu_emulated` after the main suite); elsewhere they are skipped.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

import psutil
import pytest

from sentiment.run_files import partial_dir

from .conftest import ROOT, free_port, stop_process_tree, train_form, wait_until
from .zerogpu.device_api import DAILY_QUOTA, DeviceApi, make_token

SPACE_PYTHON = os.environ.get("SPACE_PYTHON", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (SPACE_PYTHON and Path(SPACE_PYTHON).is_file()),
        reason="the Space-like environment is not built here (SPACE_PYTHON; .ci/run builds it)",
    ),
    pytest.mark.skipif(shutil.which("unshare") is None, reason="the emulated card needs unshare (util-linux)"),
]
# The cards `spaces` knows, as its own config lists them (never a copy): model name and duration factor.
CARDS = {
    card["model"]: card["duration_factor"]
    for card in json.loads(files("spaces.zero").joinpath("configs.json").read_text())
}
BLACKWELL = next(model for model, factor in CARDS.items() if factor > 1)
ENDED = ("finished", "failed", "stopped")
# A starter lesson run small enough for a test: one epoch of 32 reviews.
LESSON = train_form(method="full", run_name="lesson", epochs=1, train_examples=32)
# The card's driver file, where `spaces` (zero/config.py) reads the model, in a mount namespace of the app's own.
WITH_CARD = (
    "mount -t tmpfs tmpfs /proc/driver && mkdir -p /proc/driver/nvidia/gpus/0000:00:00.0 && "
    'printf "Model: \\t\\t %s\\n" "$CARD" > /proc/driver/nvidia/gpus/0000:00:00.0/information && exec "$@"'
)


@contextlib.contextmanager
def space(tmp_path: Path, api: DeviceApi, card: str, first_runs: bool = False):
    """`python app.py` in ZeroGPU's zero mode, on the emulated `card`, serving on a free port: its URL. The first
    runs (a fresh Space's own) only where a test asks for them."""
    flags = () if first_runs else ("--no-first-runs",)
    port = free_port()
    log_path = tmp_path / "space.log"
    environment = {
        **os.environ,
        "SPACES_ZERO_GPU": "true",
        "SPACES_ZERO_DEVICE_API_URL": api.url,
        "ZEROGPU_EMULATOR_LOG": str(tmp_path / "replaced.log"),
        "ZEROGPU_OFFLOAD_DIR": str(tmp_path / "offload"),
        "CARD": card,
        "HF_HUB_OFFLINE": "1",
    }
    command = [
        *("unshare", "--mount", "--", "sh", "-c", WITH_CARD, "sh"),
        *(SPACE_PYTHON, "tests/zerogpu/space_app.py", "--runs", str(tmp_path / "runs"), "--port", str(port), *flags),
    ]
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        import urllib.request

        def serving() -> bool:
            assert server.poll() is None, log_path.read_text()
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                return True
            return False

        wait_until(serving, timeout=300, what="the Space to serve")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_process_tree(server)


@pytest.fixture()
def api():
    device_api = DeviceApi()
    yield device_api
    device_api.close()


def visitor(url: str, token: str | None, language: str = "en"):
    """A visitor's page as the Space's proxy passes it on: their `X-IP-Token` on every request."""
    from gradio_client import Client

    headers = {"Accept-Language": "ja-JP,ja;q=0.9" if language == "ja" else "en-US"}
    if token:
        headers["X-IP-Token"] = token
    return Client(url, verbose=False, headers=headers)


def start_lesson(page, name: str) -> None:
    page.predict(**{**LESSON, "run_name": name}, api_name="/start_training")


def wait_for_end(client, name: str, timeout: float = 300) -> str:
    """The page's training status once the run `name` has ended."""

    def ended() -> str:
        shown = html.unescape(client.predict(-1, api_name="/training_status")[0])
        return shown if f"</b> {name}" in shown and any(f'data-state="{state}"' in shown for state in ENDED) else ""

    return wait_until(ended, timeout=timeout, what="the run to end")


def windows_of(api: DeviceApi, who: str):
    """The pids of the workers allowed for `who`'s windows."""
    return (window.allowed_pid for window in api.windows.values() if window.visitor == who and window.allowed_pid)


def step_recorded(run: Path) -> bool:
    progress = partial_dir(run) / "progress.jsonl"
    lines = progress.read_text(encoding="utf-8").splitlines()[:-1] if progress.is_file() else []
    return any(json.loads(line).get("step", 0) >= 1 for line in lines)


def nothing_half_written(runs: Path) -> bool:
    return not [path for path in runs.rglob("*") if path.name.endswith(".partial")]


@pytest.mark.parametrize("card", sorted(CARDS))
def test_zerogpu_emulated_anonymous_lesson_run_on_a_fresh_space_fits_the_quota_and_lands(tmp_path, api, card):
    """A fresh Space (no pace timed yet) in zero mode: one start-up report, no window for nobody; an anonymous
    visitor's lesson run is scheduled with their token, asks for declared × the card's factor within their 120 s,
    trains in the forked worker, streams its progress to the page and lands as a complete run."""
    with space(tmp_path, api, card) as url:
        assert api.startup_reports == 1, "spaces reports the GPU function once, at launch"
        page = visitor(url, make_token("anonymous-visitor"))
        start_lesson(page, "lesson")
        shown = wait_for_end(page, "lesson")
        assert 'data-state="finished"' in shown, shown
    (schedule,) = api.schedules
    assert schedule.visitor == "anonymous-visitor", "the window is billed to the visitor whose click started it"
    assert schedule.outcome == "granted"
    assert schedule.requested <= DAILY_QUOTA[None], f"{schedule.requested} s asked of a 120 s quota on {card}"
    declared = round(schedule.requested / CARDS[card])
    assert round(declared * CARDS[card]) == schedule.requested
    (window,) = api.windows.values()
    assert window.released and window.failed is False and window.allowed_pid is not None
    run = tmp_path / "runs" / "lesson"
    assert (run / "metrics.json").is_file() and (run / "model.safetensors").is_file()
    assert nothing_half_written(tmp_path / "runs")
    log = (tmp_path / "runs" / ".jobs" / "lesson.log").read_text(encoding="utf-8")
    assert "step " in log and "saved " in log, "each progress record crossed from the worker to the server"
    assert f"GPU window of {schedule.requested} s" in log, "the page says what the window counts"
    replaced = (tmp_path / "replaced.log").read_text() if (tmp_path / "replaced.log").exists() else ""
    if Path("/dev/nvidiactl").exists():
        assert not replaced, "with a GPU nothing is replaced"
    else:
        assert replaced.count("replaced: CUDA attach") == 1, "without a GPU only the worker's CUDA attach is"
    assert "CUDA has been initialized before" not in (tmp_path / "space.log").read_text()


def test_zerogpu_emulated_refusals_reach_the_page_as_one_sentence_and_leave_nothing(tmp_path, api):
    """On Blackwell: quota used up, a duration over the per-call maximum, a queue that times out, a token that
    expired while the run waited in the app's queue, and a worker that dies: each is one true sentence in the
    visitor's language, and nothing is half-written."""
    runs = tmp_path / "runs"
    with space(tmp_path, api, BLACKWELL) as url:
        # Quota used up: 100 of the anonymous 120 s spent today.
        api.spend("spent", 100)
        page = visitor(url, make_token("spent"), "ja")
        start_lesson(page, "over-quota")
        shown = wait_for_end(page, "over-quota")
        assert 'data-state="failed"' in shown and "本日の利用枠の残りは 20 秒" in shown, shown
        assert api.schedules[-1].outcome == "quota-exceeded"

        # A duration over what one call may have.
        api.max_call_seconds = 60
        page = visitor(url, make_token("long"))
        start_lesson(page, "too-long")
        shown = wait_for_end(page, "too-long")
        assert "ZeroGPU refused the time this run asked for (120 s" in shown, shown
        assert api.schedules[-1].outcome == "illegal-duration"
        api.max_call_seconds = 300

        # No GPU free before the queue times out.
        api.gpu_busy.set()
        page = visitor(url, make_token("queued"))
        start_lesson(page, "queued")
        shown = wait_for_end(page, "queued")
        api.gpu_busy.clear()
        assert "No GPU was free on ZeroGPU" in shown, shown
        assert api.schedules[-1].outcome == "queue-timeout"

        # A token that expires while the run waits in the app's queue behind a baseline (a CPU run, no window).
        first = visitor(url, make_token("baseline-visitor"))
        first.predict(**train_form(method="ngram", run_name="baseline"), api_name="/start_training")
        page = visitor(url, make_token("waiting", expires_in=2))
        start_lesson(page, "waited")
        shown = wait_for_end(page, "waited")
        assert "ZeroGPU no longer accepted your visit's pass" in shown, shown
        assert api.schedules[-1].outcome == "expired-token"

        # A worker that dies mid-run (the allowed pid is the forked worker's: spaces calls /allow from it).
        page = visitor(url, make_token("unlucky"))
        page.predict(**train_form(method="full", run_name="killed"), api_name="/start_training")  # the whole lesson
        worker = wait_until(lambda: next(windows_of(api, "unlucky"), None), timeout=300, what="the worker")
        wait_until(lambda: step_recorded(runs / "killed"), timeout=300, what="a training step")
        psutil.Process(worker).kill()
        shown = wait_for_end(page, "killed")
        assert "ZeroGPU's GPU worker stopped after" in shown, shown
    assert not [
        path for path in runs.iterdir() if path.name in ("over-quota", "too-long", "queued", "waited", "killed")
    ]
    assert nothing_half_written(runs)


def test_zerogpu_emulated_first_runs_open_no_window_and_a_stop_releases_the_window(tmp_path, api):
    """A fresh Space's first runs belong to no visitor: they train on the CPU and ask ZeroGPU for nothing. A visitor's
    Stop closes their window: the worker ends, `/release` is called, and nothing of the run stays."""
    runs = tmp_path / "runs"
    with space(tmp_path, api, BLACKWELL, first_runs=True) as url:
        page = visitor(url, make_token("stopper"))
        wait_until(lambda: len(list(runs.glob("*/metrics.json"))) == 2, timeout=400, what="the first runs")
        assert api.schedules == [], "the first runs opened no window"
        page.predict(**train_form(method="full", run_name="stopped"), api_name="/start_training")
        wait_until(lambda: step_recorded(runs / "stopped"), timeout=300, what="a training step")
        page.predict("", api_name="/stop_training")
        shown = wait_for_end(page, "stopped")
        assert 'data-state="stopped"' in shown, shown
        (window,) = api.windows.values()
        wait_until(lambda: window.released, timeout=120, what="the window's release")
        assert window.visitor == "stopper"
    assert not (runs / "stopped").exists() and nothing_half_written(runs)
