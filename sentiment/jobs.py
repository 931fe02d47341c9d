"""One background training job for the whole server.

Training runs in a child process through the same code path as `train.py` (`python -m sentiment
train config.json`), so the server stays responsive, a stop is ending a process, and progress is
read from the run's `progress.jsonl`. A second start while one runs is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .config import TrainConfig
from .training import PROGRESS_FILE, partial_dir

STOP_GRACE_SECONDS = 8.0


class JobError(ValueError):
    """A job request that can't be honoured right now; the message says why."""


@dataclass
class JobStatus:
    state: str  # idle, running, finished, failed, stopped
    run_name: str = ""
    records: list[dict] = field(default_factory=list)
    log_tail: str = ""
    message: str = ""

    @property
    def latest(self) -> dict:
        steps = [record for record in self.records if record.get("event") in ("start", "log", "eval")]
        return steps[-1] if steps else {}


class TrainingJob:
    def __init__(self, runs_dir: Path):
        self.runs_dir = Path(runs_dir)
        self.jobs_dir = self.runs_dir / ".jobs"
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._output: Path | None = None
        self._stopped = False

    def start(self, config: TrainConfig) -> str:
        """Start training as `config` says; return the run's name."""
        with self._lock:
            if self._running():
                raise JobError(
                    f"A training run ({self._output.name}) is already in progress: stop it or wait for it to finish."
                )
            config = config.resolved()
            output = Path(config.output)
            if output.exists():
                raise JobError(f"A run called {output.name} already exists: choose another name.")
            self.jobs_dir.mkdir(parents=True, exist_ok=True)
            config_file = self.jobs_dir / f"{output.name}.json"
            config_file.write_text(json.dumps(config.to_dict(), ensure_ascii=False), encoding="utf-8")
            log = (self.jobs_dir / f"{output.name}.log").open("wb")
            self._process = subprocess.Popen(
                [sys.executable, "-m", "sentiment", "train", str(config_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=Path(__file__).resolve().parent.parent,
                # Library deprecation notices are noise in a log meant for the person training.
                env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore::FutureWarning"},
                start_new_session=True,  # a stop ends the whole process group
                preexec_fn=_lower_priority,
            )
            log.close()
            self._output, self._stopped = output, False
            return output.name

    def stop(self) -> str:
        with self._lock:
            if not self._running():
                raise JobError("No training run is in progress.")
            self._stopped = True
            process = self._process
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(STOP_GRACE_SECONDS)
            except ProcessLookupError:  # it ended on its own a moment ago: report that, not a stop
                self._stopped = False
                process.wait()
                raise JobError(f"Run {self._output.name} had already ended; there was nothing to stop.") from None
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            shutil.rmtree(partial_dir(self._output), ignore_errors=True)
            return self._output.name

    def status(self) -> JobStatus:
        with self._lock:
            if self._process is None:
                return JobStatus("idle")
            name = self._output.name
            code = self._process.poll()
            progress = self._output / PROGRESS_FILE
            if not progress.exists():
                progress = partial_dir(self._output) / PROGRESS_FILE
            records = _read_jsonl(progress)
            log_tail = _tail(self.jobs_dir / f"{name}.log")
            if code is None:
                return JobStatus("running", name, records, log_tail)
            if self._stopped:
                return JobStatus("stopped", name, records, log_tail, f"Run {name} was stopped; nothing was saved.")
            if code == 0 and self._output.is_dir():
                return JobStatus("finished", name, records, log_tail, f"Run {name} finished.")
            error = next((line for line in reversed(log_tail.splitlines()) if line.startswith("error:")), "")
            message = error.removeprefix("error: ") or f"Run {name} failed (exit code {code}); see the log."
            return JobStatus("failed", name, records, log_tail, message)

    def _running(self) -> bool:
        return self._process is not None and self._process.poll() is None


def _lower_priority() -> None:
    # On a small machine the page (tokenizer, classify) should win the CPU over training.
    os.nice(10)


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # the line being written right now
            break
    return records


def _tail(path: Path, lines: int = 30) -> str:
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
