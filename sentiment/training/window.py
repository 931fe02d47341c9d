"""Training inside a GPU window: the body of the function that ZeroGPU runs in its forked GPU worker.

On ZeroGPU only a worker process forked for a `@spaces.GPU` call sees the GPU, for the call's duration; its
arguments and results cross to it pickled, and a generator's yields stream back one by one. So the ordinary
`train()` runs here, in a thread of the worker, and each progress record it writes to the run's
`progress.jsonl` is also yielded to the server, as the flat JSON object it is on disk
(ProgressRecord.as_json). Closing the generator early (a Stop, the server shutting down) makes the run's next
progress event raise, and `train()` then removes its `.partial` folder as on any stop. The server does a full
fine-tune's CPU work (loading, tokenizing, the teacher: prepared.py) before it opens the window, so the window
holds the GPU's work. A failure a person can fix comes back as a last record (`{"event": "error", "message":
…}`), plain data, because ZeroGPU turns any other exception into its class name.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import UserError
from ..run_files import ProgressRecord, remove_unfinished
from .config import TrainConfig
from .job_log import ERROR_PREFIX, event_lines, write_ending
from .processes import child_environment, lower_priority

logger = logging.getLogger(__name__)

CLOSE_GRACE_SECONDS = 30.0  # how long a closed window waits for the run to reach its next event and unwind
PREPARE_POLL_SECONDS = 0.2  # how often the preparation looks for a Stop


class WindowClosed(Exception):
    """Raised inside the run when its window was closed before the run finished."""


def stream_training(config: dict, seconds: int, prepared: str | None = None) -> Iterator[dict]:
    """Train the run `config` (TrainConfig.to_dict()) describes, from the inputs in the folder `prepared` when
    given (prepared.py), yielding its progress records; `seconds` is the window's length, taken by ZeroGPU's
    duration callable (gpu_window.py), unused here."""
    from .trainer import train  # the worker imports torch; the server need not, to name this function

    records: queue.Queue = queue.Queue()
    closed = threading.Event()
    ending: dict = {}

    def on_event(record: ProgressRecord) -> None:
        if closed.is_set():
            raise WindowClosed
        records.put(record.as_json())  # plain data across the worker's process boundary

    def run() -> None:
        try:
            train(TrainConfig(**config), on_event, Path(prepared) if prepared else None)
        except WindowClosed:
            pass
        except UserError as error:
            ending["record"] = ProgressRecord("error", message=str(error)).as_json()
        except BaseException as error:  # handed to the generator, so the window ends with it
            ending["error"] = error
        finally:
            records.put(None)

    thread = threading.Thread(target=run, name="window-training", daemon=True)
    thread.start()
    try:
        while (record := records.get()) is not None:
            yield record
    finally:
        closed.set()
        thread.join(CLOSE_GRACE_SECONDS)
    if "record" in ending:
        yield ending["record"]
    if "error" in ending:
        raise ending["error"]


def follow_window(window, config: TrainConfig, seconds: int, jobs_dir: Path, closing: threading.Event) -> None:
    """The server's side of a window (jobs.py runs it in a thread): open it, write what it streams to the run's
    log as the trainer would, close it when `closing` is set; whatever way it ends, nothing half-written stays."""
    output = Path(config.output)
    config_file = jobs_dir / f"{output.name}.json"  # written by jobs.py, as for the child-process trainer
    with (jobs_dir / f"{output.name}.log").open("w", encoding="utf-8") as log:
        try:
            prepared = _prepare(config, config_file, log, closing)
        except UserError as error:
            log.write(f"{ERROR_PREFIX}{error}\n")
            return
        except Exception:  # the page says the run failed; the details go to the server's log
            logger.exception("Preparing %s failed", output.name)
            return
        if closing.is_set():  # stopped while preparing: no window was opened
            return
        factor = window.factor()
        charged = round(seconds * factor)  # what `spaces` asks ZeroGPU for (gpu_window.WindowSize)
        log.write(
            f"note: Asking ZeroGPU for a GPU window of {charged} s of the visitor's daily quota ({seconds} s × "
            f"{factor:g} on this card). / ZeroGPU に GPU の時間枠 {charged} 秒（1 日の利用枠から）を求めています。\n"
        )
        log.flush()
        opened = time.monotonic()
        records = window.train(config.to_dict(), seconds, prepared)
        try:
            for data in records:
                record = ProgressRecord.from_json(data)
                if record.event == "error":
                    log.write(f"{ERROR_PREFIX}{record.message}\n")
                for line in event_lines(record):
                    log.write(line + "\n")
                log.flush()
                if closing.is_set():
                    break
        except Exception as error:  # ZeroGPU's refusals (quota, no GPU, duration) or a worker that died
            logger.warning("The GPU window of %s ended with %r", output.name, error)
            if not closing.is_set():
                ending = window.refusal(error, time.monotonic() - opened, charged)
                log.write(f"{ERROR_PREFIX}{ending.en} / {ending.ja}\n")
                write_ending(jobs_dir, output.name, ending)
        finally:
            with contextlib.suppress(Exception):
                records.close()
            remove_unfinished(output)


def _prepare(config: TrainConfig, config_file: Path, log, closing: threading.Event) -> str | None:
    """A full fine-tune's CPU work, done before its window opens (prepared.py), in a process of its own: tokenizing
    120,000 reviews holds the interpreter for a minute and a half, which the server's other visitors would feel,
    and a Stop must not wait for it. Returns its folder, or None when there is none to read (not a full
    fine-tune, or stopped)."""
    if config.method != "full":  # a head run's features are the GPU's work, tokenizing included
        return None
    log.write(
        "note: Preparing the data on the CPU before the GPU window: loading, tokenizing, the teacher. "
        "/ GPU を使う前に CPU でデータを準備しています（読み込み・トークン化・教師モデル）。\n"
    )
    log.flush()
    started = time.monotonic()
    command = [sys.executable, "-m", "sentiment.training.prepared", str(config_file)]
    # Files, not pipes: nothing reads its output before it ends, and a full pipe (64 KB) would block it.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        with subprocess.Popen(
            command,
            stdout=out,
            stderr=err,
            cwd=Path.cwd(),  # the app's own folder, so relative paths (runs, datasets) name the same files
            env=child_environment(),
            preexec_fn=lower_priority,
        ) as process:
            while process.poll() is None:
                if closing.wait(PREPARE_POLL_SECONDS):
                    process.kill()  # its half-written folder is a .partial, which the next prepare replaces
                    return None
        out.seek(0)
        err.seek(0)
        folder, errors = out.read().strip(), err.read().strip()
    if process.returncode == 2:
        raise UserError(errors.splitlines()[-1])
    if process.returncode != 0:
        raise RuntimeError(f"preparing the data ended with status {process.returncode}: {errors[-2000:]}")
    took = time.monotonic() - started
    log.write(f"note: Prepared in {took:.0f} s; the GPU window opens. / {took:.0f} 秒で準備完了。GPU を使います。\n")
    log.flush()
    return folder.splitlines()[-1]
