"""What a run's job leaves for the page to read: its log, filtered for visitors, and its progress records."""

from __future__ import annotations

import json
import os
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ..bilingual import Text, same
from ..run_files import ProgressRecord

ERROR_PREFIX = "error: "  # how the trainer reports a problem a person can fix (cli.py)
FAILED = Text(
    "Run {name} failed: training stopped with an error (the details are in the server's log). Try other "
    "settings, for example a smaller learning rate.",
    "{name} の学習はエラーで止まりました（詳細はサーバーのログにあります）。設定を変えて、たとえば学習率を小さく"
    "してお試しください。",
)
ENDING_SUFFIX = ".ending"  # beside a run's log: how its GPU window ended (write_ending)
APP_STOPPED = "the app was stopped"  # why a run stops when its app does (jobs.py)
TIME_LIMIT = re.compile(r"it reached this server's limit of ([\d.]+) minutes")
# What the page shows of a trainer's output: its notes, steps, one-sentence errors and where it saved.
VISIBLE_LINE = re.compile(r"(note: |step |error: |saved )")
SERVER_PATH = re.compile(r"(?:/[^\s/'\"]+)+/")


@dataclass
class JobStatus:
    state: str  # idle, running, finished, failed, stopped
    run_name: str = ""
    records: list[ProgressRecord] = field(default_factory=list)
    log_tail: str = ""
    message: Text | str = ""  # one sentence about how it ended, in both languages
    waiting: list[str] = field(default_factory=list)  # runs queued to start after this one, in order

    @property
    def latest(self) -> ProgressRecord | None:
        """The last record that says how far training has come (none before it starts)."""
        steps = [record for record in self.records if record.is_step]
        return steps[-1] if steps else None


def visible_log(text: str) -> str:
    """The trainer's output as a visitor may see it: no tracebacks or library output, no server paths."""
    lines = [line for line in text.splitlines() if VISIBLE_LINE.match(line)]
    return "\n".join(SERVER_PATH.sub("", line) for line in lines)


def event_lines(record: ProgressRecord) -> list[str]:
    """A progress record as the lines of the run's log (the trainer prints the same; cli.print_event)."""
    if record.event == "loaded":
        return [f"note: {notice}" for notice in record.notices or ()]
    if record.event in ("log", "eval", "summary"):
        parts = [f"step {record.step}/{record.total_steps}", f"epoch {record.epoch:.2f}"]
        for key in ("loss", "learning_rate", "eval_loss", "eval_accuracy", "eval_f1_weighted"):
            if key in record.scores:
                parts.append(f"{key} {record.scores[key]:.4g}")
        if record.examples_per_second is not None:
            parts.append(f"{record.examples_per_second:.1f} ex/s, {record.remaining:.0f} s left")
        return [" | ".join(parts)]
    if record.event == "done":
        return [f"saved {record.run_dir}"]
    return []


def because(reason: str) -> Text:
    """Why a run was stopped, as a clause of the stop's sentence ('' for a visitor's own Stop)."""
    if reason == "stopped":
        return same("")
    if reason == APP_STOPPED:
        return Text(f" because {reason}", "（アプリが停止したため）")
    if limit := TIME_LIMIT.fullmatch(reason):
        return Text(f" because {reason}", f"（このサーバーの上限 {limit.group(1)} 分に達したため）")
    return same(f" because {reason}")


def write_ending(jobs_dir: Path, name: str, ending: Text) -> None:
    """How a run's window ended, in both languages, for the page to say in its visitor's (jobs.py reads it back):
    the log keeps one line of both."""
    (jobs_dir / f"{name}{ENDING_SUFFIX}").write_text(json.dumps([ending.en, ending.ja], ensure_ascii=False), "utf-8")


def read_ending(jobs_dir: Path, name: str) -> Text | None:
    try:
        english, japanese = json.loads((jobs_dir / f"{name}{ENDING_SUFFIX}").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Text(english, japanese)


class FollowedFile:
    """A file that only grows at its end (a run's progress records, its log), read from where the last read
    stopped: every open page's timer tick reads what the job's one follower holds, not the whole file again. A
    line still being written waits for its end; a file that was replaced (a run copied into a bucket, a new run of
    the name) is read again from its start."""

    def __init__(self, keep: int | None = None):
        self.keep = keep  # how many of the last lines to hold (None: all)
        self.readings = 0  # how many times the file was read from its start
        self._lock = threading.Lock()
        self._reset(None, None)

    def _reset(self, path: Path | None, inode: int | None) -> None:
        self.readings += 1
        self._path, self._inode, self._offset, self._rest = path, inode, 0, b""
        self._lines: deque[str] = deque(maxlen=self.keep)

    def lines(self, path: Path) -> list[str]:
        """The complete lines of `path` so far (the last `keep` of them)."""
        with self._lock:
            try:
                found = os.stat(path)
            except FileNotFoundError:
                self._reset(None, None)
                return []
            if path != self._path or found.st_ino != self._inode or found.st_size < self._offset:
                self._reset(path, found.st_ino)
            if found.st_size > self._offset:
                with open(path, "rb") as file:
                    file.seek(self._offset)
                    data = file.read(found.st_size - self._offset)
                self._offset += len(data)
                *complete, self._rest = (self._rest + data).split(b"\n")
                self._lines.extend(line.decode("utf-8", errors="replace") for line in complete)
            return list(self._lines)


class FollowedProgress:
    """A run's progress records, each line parsed once (FollowedFile)."""

    def __init__(self):
        self._file = FollowedFile()
        self._records: list[ProgressRecord] = []
        self._parsed, self._reading = 0, 0

    def records(self, path: Path) -> list[ProgressRecord]:
        lines = self._file.lines(path)
        if self._file.readings != self._reading:  # the file was read again from its start
            self._records, self._parsed, self._reading = [], 0, self._file.readings
        for line in lines[self._parsed :]:
            try:
                self._records.append(ProgressRecord.from_json(json.loads(line)))
            except json.JSONDecodeError:  # a line cut by a crash: what follows it is not this run's record
                break
            self._parsed += 1
        return list(self._records)
