"""One background training job for the whole server.

Training runs in a child process through the same code path as `train.py` (`python -m sentiment
train config.json`), so the server stays responsive, a stop is ending a process, and progress is
read from the run's `progress.jsonl`. A second start while one runs is refused.

The running job is recorded on disk (active_run.py: `<runs>/.jobs/.active.json`, pid, name, start, owner), not
only in memory, and every start holds a file lock. So an app that crashed and restarted, or a
second app on the same runs folder, finds a trainer that is still running and re-attaches to it
(progress, stop) instead of starting another on the same name; and a trainer that died with the
app has its unfinished folder removed at start-up.

Starts that arrive while a run trains wait in a queue (in memory: an app restart forgets them), and
each starts when the runs before it have ended; the page shows their places.

On ZeroGPU a visitor's run trains in a GPU window instead (window.py, serving/gpu_window.py), followed by a
thread of the server; its record names the server's own pid and `window: true`, and a stop closes the window.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..bilingual import Text, same
from ..errors import UserError
from ..run_files import (
    METRICS_FILE,
    PARTIAL_SUFFIX,
    PROGRESS_FILE,
    name_key,
    partial_dir,
    remove_abandoned_copies,
    remove_unfinished,
    unfinished,
    work_root,
)
from .active_run import ActiveRun, is_trainer, read_active, start_lock, write_active
from .config import TrainConfig
from .job_log import (
    APP_STOPPED,
    ENDING_SUFFIX,
    ERROR_PREFIX,
    FAILED,
    FollowedFile,
    FollowedProgress,
    JobStatus,
    because,
    read_ending,
    visible_log,
)
from .processes import child_environment, lower_priority
from .window import follow_window

logger = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 8.0
MAX_WAITING = 10
LOG_LINES_SHOWN = 30  # the end of a run's log that the page shows
QUEUE_POLL_SECONDS = 0.5
# The trainer's command line, the config file's path appended: train.py's code path in a process of its own.
TRAINER_COMMAND = (sys.executable, "-m", "sentiment", "train")
class JobError(UserError):
    """A job request that can't be honoured right now; the message says why."""


@dataclass
class Waiting:
    """A run queued to start when the one training has ended."""

    config: TrainConfig
    owner: str
    max_minutes: float | None
    window_seconds: int | None = None
    # The request's context (ZeroGPU bills a window to the visitor whose request it finds there).
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


class TrainingJob:
    def __init__(self, runs_dir: Path, window=None):
        self.runs_dir = Path(runs_dir)
        self.window = window  # a GpuWindow: runs train through it, not in a child process
        self._window_thread: threading.Thread | None = None
        self._window_closing = threading.Event()
        # The job's records name this machine's processes and hold its locks, so they live on this machine: beside
        # the runs on a local disk, in the local work folder when the runs are on a bucket (whose locks hold within
        # one mount, and which two replicas of a Space share).
        self.jobs_dir = work_root(self.runs_dir) / ".jobs"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        remove_abandoned_copies(self.runs_dir)
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None  # only for a trainer this app started
        self._restart_notice = ""
        self._followed: tuple = ("", None, None)  # the run whose progress and log are followed, and their followers
        self._waiting: list[Waiting] = []
        self._queue_thread: threading.Thread | None = None
        self._recover()

    # Starting and stopping
    def submit(
        self, config: TrainConfig, owner: str = "", max_minutes: float | None = None, window_seconds: int | None = None
    ) -> int:
        """Start training now or, while another run trains, queue it; return its place in the queue (0: started).
        With `window_seconds` (its GPU window's length) the run trains in the job's window, else in a child process."""
        config = config.resolved()
        waiting = Waiting(config, owner, max_minutes, window_seconds)
        with self._lock:
            active = read_active(self.jobs_dir)
            if not self._waiting and not (active and self._alive(active)):
                self._start(waiting)
                return 0
            self._check_name(Path(config.output))
            if len(self._waiting) >= MAX_WAITING:
                raise JobError(
                    Text(
                        f"{MAX_WAITING} runs are waiting to train already: try again when one has finished.",
                        f"すでに {MAX_WAITING} 件の学習が待機しています。どれかが終わってから、"
                        "もう一度お試しください。",
                    )
                )
            self._waiting.append(waiting)
            if self._queue_thread is None:
                self._queue_thread = threading.Thread(target=self._serve_queue, daemon=True)
                self._queue_thread.start()
            return len(self._waiting)

    def name_taken(self, name: str) -> bool:
        """Whether a run, an unfinished run or a queued run has this name, or one that reads the same."""
        with self._lock:
            return name_key(name) in self._names_read()

    def _names_read(self) -> dict[str, str]:
        """What each name of a run, an unfinished run or a queued run reads as (name_key) → the name."""
        folders = {*self.runs_dir.glob("*"), *work_root(self.runs_dir).glob("*" + PARTIAL_SUFFIX)}
        names = [folder.name.removesuffix(PARTIAL_SUFFIX) for folder in folders if folder.is_dir()]
        return {name_key(name): name for name in [*names, *self._waiting_names()]}

    def _waiting_names(self) -> list[str]:
        return [Path(waiting.config.output).name for waiting in self._waiting]

    def _check_name(self, output: Path) -> None:
        if output.exists():
            raise JobError(
                Text(
                    f"A run called {output.name} already exists: choose another name.",
                    f"{output.name} という学習はすでにあります。別の名前にしてください。",
                )
            )
        if partial_dir(output).exists():
            raise JobError(
                Text(
                    f"A run called {output.name} is still being written, or was left unfinished: choose another name.",
                    f"{output.name} という学習は書き込み中か、途中で終わったままです。別の名前にしてください。",
                )
            )
        if output.name in self._waiting_names():
            raise JobError(
                Text(
                    f"A run called {output.name} is waiting to train already: choose another name.",
                    f"{output.name} という学習はすでに待機中です。別の名前にしてください。",
                )
            )
        if (other := self._names_read().get(name_key(output.name))) is not None:
            raise JobError(
                Text(
                    f"{output.name} reads the same as the run {other}: choose a name that can't be taken for it.",
                    f"{output.name} は既存の {other} と同じに読めます。取り違えられない名前にしてください。",
                )
            )

    def _serve_queue(self) -> None:
        """Start each queued run once the one before it has ended; end when the queue is empty."""
        while True:
            time.sleep(QUEUE_POLL_SECONDS)
            with self._lock:
                active = read_active(self.jobs_dir)
                if active and self._alive(active):
                    continue
                if not self._waiting:
                    self._queue_thread = None
                    return
                waiting = self._waiting.pop(0)
                try:
                    self._start(waiting)
                except JobError as error:  # another app on the runs folder took the name or the slot
                    logger.warning("A queued run could not start: %s", error)

    def _start(self, waiting: Waiting) -> str:
        config, owner, max_minutes = waiting.config, waiting.owner, waiting.max_minutes
        output = Path(config.output)
        with start_lock(self.jobs_dir):
            active = read_active(self.jobs_dir)
            if active and self._alive(active):
                raise JobError(
                    Text(
                        f"A training run ({active.name}) is already in progress: stop it or wait for it to finish.",
                        f"学習（{active.name}）がすでに進行中です。止めるか、終わるまでお待ちください。",
                    )
                )
            self._check_name(output)
            config_file = self.jobs_dir / f"{output.name}.json"
            (self.jobs_dir / f"{output.name}{ENDING_SUFFIX}").unlink(missing_ok=True)  # a failed run's of this name
            config_file.write_text(json.dumps(config.to_dict(), ensure_ascii=False), encoding="utf-8")
            window = self.window is not None and waiting.window_seconds is not None
            if not window:
                with (self.jobs_dir / f"{output.name}.log").open("wb") as log:
                    self._process = subprocess.Popen(
                        [*TRAINER_COMMAND, str(config_file)],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        # The app's own folder, so relative paths (runs, datasets) name the same files there.
                        cwd=Path.cwd(),
                        env=child_environment(),
                        start_new_session=True,  # a stop ends the whole process group; an app crash does not
                        preexec_fn=lower_priority,
                    )
            pid = os.getpid() if window else self._process.pid
            active = ActiveRun(output.name, pid, str(config_file), time.time(), owner, "", max_minutes, window)
            write_active(self.jobs_dir, active)
            if window:
                self._open_window(waiting)
            self._restart_notice = ""
            self._watch(active)
            return output.name

    def stop(self, reason: str = "stopped") -> str:
        # Under the start lock too: another app on this runs folder, whose queue starts its run the moment this
        # trainer ends, must not write its record before this stop has written "stopped" (which would hide it).
        with self._lock, start_lock(self.jobs_dir):
            active = read_active(self.jobs_dir)
            if active is None or not self._alive(active):
                raise JobError(Text("No training run is in progress.", "進行中の学習はありません。"))
            if not self._end(active):  # it ended on its own a moment ago: report that, not a stop
                raise JobError(
                    Text(
                        f"Run {active.name} had already ended; there was nothing to stop.",
                        f"{active.name} の学習はすでに終わっていたため、止めるものはありませんでした。",
                    )
                )
            active.stopped = reason
            write_active(self.jobs_dir, active)
            remove_unfinished(self.runs_dir / active.name)
            return active.name

    def shutdown(self) -> None:
        """The app is stopping on purpose: forget the queue and stop the run this app started. (A trainer
        outlives only a crash of its app, which a restarted app re-attaches to.)"""
        with self._lock:
            self._waiting.clear()
            active = read_active(self.jobs_dir)
            started_here = active is not None and (
                active.window or (self._process is not None and self._process.pid == active.pid)
            )
        if started_here and self._alive(active):
            with contextlib.suppress(JobError):
                self.stop(APP_STOPPED)

    def started_runs(self) -> list[Path]:
        """The run folders this job has started (finished or not), from the configs it wrote."""
        return [
            self.runs_dir / path.stem for path in self.jobs_dir.glob("*.json") if (self.runs_dir / path.stem).is_dir()
        ]

    def forget_removed_runs(self) -> None:
        """Remove the config and log of every run whose folder is gone, but the job's current one."""
        active = read_active(self.jobs_dir)
        for path in [*self.jobs_dir.glob("*.json"), *self.jobs_dir.glob("*.log")]:
            name = path.stem
            if path.name.startswith(".") or (active and name == active.name):
                continue
            if not (self.runs_dir / name).exists() and not partial_dir(self.runs_dir / name).exists():
                path.unlink(missing_ok=True)

    def owner(self) -> str | None:
        """The page that started the running job; None when none runs."""
        active = read_active(self.jobs_dir)
        return active.owner if active and self._alive(active) else None

    # What the page shows
    def status(self) -> JobStatus:
        with self._lock:
            status = self._status()
            status.waiting = self._waiting_names()
            return status

    def _status(self) -> JobStatus:
        active = read_active(self.jobs_dir)
        if active is None:
            return JobStatus("idle")
        output = self.runs_dir / active.name
        progress = output / PROGRESS_FILE
        if not progress.exists():
            progress = partial_dir(output) / PROGRESS_FILE
        if self._followed[0] != active.name:  # one follower per run: every page's tick reads what it holds
            self._followed = (active.name, FollowedProgress(), FollowedFile(keep=LOG_LINES_SHOWN))
        _, progress_file, log_file = self._followed
        records = progress_file.records(progress)
        log_tail = visible_log("\n".join(log_file.lines(self.jobs_dir / f"{active.name}.log")))
        if self._alive(active):
            return JobStatus("running", active.name, records, log_tail)
        if (output / METRICS_FILE).is_file():  # in place: finished, even if a stop reached its trainer as it exited
            finished = Text(f"Run {active.name} finished.", f"{active.name} の学習が完了しました。")
            return JobStatus("finished", active.name, records, log_tail, finished)
        if active.stopped:
            reason = because(active.stopped)
            message = Text(
                f"Run {active.name} was stopped{reason.en}; nothing was saved.",
                f"{active.name} の学習を停止しました{reason.ja}。保存されたものはありません。",
            )
            return JobStatus("stopped", active.name, records, log_tail, message)
        # The trainer ended without finishing (killed, or failed): what it left half-written goes, so
        # the name is free again.
        remove_unfinished(output)
        error = next((line for line in reversed(log_tail.splitlines()) if line.startswith(ERROR_PREFIX)), "")
        message = read_ending(self.jobs_dir, active.name) or (same(error.removeprefix(ERROR_PREFIX)) if error else None)
        message = message or self._restart_notice or FAILED.format(name=active.name)
        return JobStatus("failed", active.name, records, log_tail, message)

    # The record on disk
    def _recover(self) -> None:
        """At start-up: re-attach to a trainer that outlived the last app, or clean up after one that died."""
        active = read_active(self.jobs_dir)
        if active is None:
            return
        if self._alive(active):
            self._watch(active)
            return
        output = self.runs_dir / active.name
        if (partial_dir(output).exists() or unfinished(output)) and not active.stopped:
            remove_unfinished(output)
            self._restart_notice = Text(
                f"Run {active.name} did not finish: the app stopped while it was training. "
                "Its unfinished folder was removed; start it again.",
                f"{active.name} の学習は完了しませんでした: 学習中にアプリが停止しました。途中のフォルダは削除"
                "したので、もう一度始めてください。",
            )

    # The GPU window
    def _open_window(self, waiting: Waiting) -> None:
        self._window_closing = closing = threading.Event()
        thread = threading.Thread(
            target=waiting.context.run,
            args=(follow_window, self.window, waiting.config, waiting.window_seconds or 0, self.jobs_dir, closing),
            name="gpu-window",
            daemon=True,
        )
        self._window_thread = thread
        thread.start()

    # The process
    def _alive(self, active: ActiveRun) -> bool:
        if active.window:
            return active.pid == os.getpid() and self._window_thread is not None and self._window_thread.is_alive()
        if self._process is not None and self._process.pid == active.pid:
            return self._process.poll() is None
        return is_trainer(active.pid, active.config_file)

    def _end(self, active: ActiveRun) -> bool:
        """End the trainer's process group, gently first; False if it had already ended."""
        if active.window:
            self._window_closing.set()  # only called on a live run: its thread exists
            self._window_thread.join(STOP_GRACE_SECONDS)
            return True
        try:
            os.killpg(active.pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self._alive(active) and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._alive(active):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(active.pid, signal.SIGKILL)
            if self._process is not None and self._process.pid == active.pid:
                self._process.wait()
        return True

    def _watch(self, active: ActiveRun) -> None:
        """Stop the run when it passes its time limit (on a public server, so no one holds the slot for days)."""
        if active.max_minutes is None:
            return
        remaining = active.started + active.max_minutes * 60 - time.time()
        timer = threading.Timer(max(0.0, remaining), self._time_out, (active.pid, active.max_minutes))
        timer.daemon = True
        timer.start()

    def _time_out(self, pid: int, minutes: float) -> None:
        active = read_active(self.jobs_dir)
        if active is not None and active.pid == pid:
            with contextlib.suppress(JobError):
                self.stop(f"it reached this server's limit of {minutes:g} minutes")
