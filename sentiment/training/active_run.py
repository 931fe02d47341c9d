"""The record of the job a runs folder trains (`<runs>/.jobs/.active.json`) and the lock every start holds:
what lets a restarted app, or a second app on the same folder, find a trainer that is still running."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

# Run names never start with ".", so these never clash with a run's own files here.
ACTIVE_FILE = ".active.json"
LOCK_FILE = ".start.lock"


@dataclass
class ActiveRun:
    """What is written to disk about the job that was started last."""

    name: str
    pid: int  # also its process group: the trainer starts a session of its own
    config_file: str
    started: float
    owner: str = ""  # the page (gradio session) that started it
    stopped: str = ""  # why it was stopped, when it was
    max_minutes: float | None = None  # stopped when still running after this long; None: no limit
    window: bool = False  # trained in a GPU window of this server's process, not in a child process


def read_active(jobs_dir: Path) -> ActiveRun | None:
    """The job's record, parsed once per version of the file (every page's tick asks for it): a copy, which the
    caller may change and write."""
    path = jobs_dir / ACTIVE_FILE
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    version = (found.st_ino, found.st_mtime_ns, found.st_size)
    read = _read.get(path)
    if read is None or read[0] != version:
        try:
            active = ActiveRun(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, FileNotFoundError):  # an older version's record, or one just replaced
            return None
        _read[path] = read = (version, active)
    return dataclasses.replace(read[1])


_read: dict[Path, tuple] = {}  # each jobs folder's record as last read, by the version of its file


def write_active(jobs_dir: Path, active: ActiveRun) -> None:
    temporary = jobs_dir / (ACTIVE_FILE + ".tmp")
    temporary.write_text(json.dumps(asdict(active), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, jobs_dir / ACTIVE_FILE)


@contextlib.contextmanager
def start_lock(jobs_dir: Path):
    """Held while checking and starting, so two apps on one runs folder can't both start a trainer."""
    with (jobs_dir / LOCK_FILE).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def is_trainer(pid: int, config_file: str) -> bool:
    """Whether `pid` is still the trainer started with `config_file` (not a process that reused the pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    zombie = status.rsplit(")", 1)[-1].split()[0] == "Z"
    return not zombie and config_file.encode() in command
