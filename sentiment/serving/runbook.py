"""The run book: the finished runs of this server's runs folder, as the page lists and picks them.

It remembers them: the folder is listed (and each run's metrics and settings read) again only when the folder has
changed since, as its change time says, or a folder in it that was no run yet has (a copy into a bucket arriving:
its metrics come last, into the run's folder, which leaves the runs folder's own time as it was). A bucket's mount
may not move a folder's change time, so there the book also lists again once its memory is MAX_AGE_SECONDS old.
Every request, every page's timer tick, reads the one snapshot: at most one listing between two changes.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ..run_files import on_bucket
from ..training.runs import RunInfo, resolve_run, scan_runs

MAX_AGE_SECONDS = 5.0  # on a bucket: how stale the book may be (hf-mount's own reads may be 10-30 s stale)


class RunBook:
    def __init__(self, runs_dir: Path):
        self.runs_dir = runs_dir
        self._on_bucket = on_bucket(runs_dir)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._runs: list[RunInfo] = []
        self._pending: dict[str, int] = {}

    def runs(self) -> list[RunInfo]:
        """Finished runs, newest first."""
        with self._lock:
            folder = self._folder_stamp()
            if folder is None or (folder, self._pending_stamp()) != self._stamp:
                # Each time is read before what it dates: a change during the listing is seen at the next call.
                self._runs, self._pending = scan_runs(self.runs_dir)
                self._stamp = (folder, tuple(self._pending.items()))
            return self._runs

    def _folder_stamp(self) -> tuple | None:
        """The runs folder's change time (and, on a bucket, the memory's age); None where there is no folder."""
        try:
            folder = os.stat(self.runs_dir)
        except FileNotFoundError:
            return None
        age = int(time.monotonic() // MAX_AGE_SECONDS) if self._on_bucket else 0
        return folder.st_mtime_ns, folder.st_ino, age

    def _pending_stamp(self) -> tuple:
        """The change times of the folders that were no run yet at the last listing."""
        stamps = []
        for name in self._pending:
            try:
                stamps.append((name, os.stat(self.runs_dir / name).st_mtime_ns))
            except FileNotFoundError:
                stamps.append((name, None))
        return tuple(stamps)

    def names(self) -> list[str]:
        return [run.name for run in self.runs()]

    def folders(self) -> list[Path]:
        return [self.runs_dir / run.name for run in self.runs()]

    def info(self, name: str) -> RunInfo | None:
        return next((run for run in self.runs() if run.name == name), None)

    def resolve(self, name: str) -> Path:
        """The folder of the finished run `name`; one sentence for a name that is not one."""
        return resolve_run(self.runs_dir, name)

    def choices(self, bert_only: bool = False) -> list[tuple[str, str]]:
        """Runs as a picker offers them, newest first: ('full-starter-sample · full · 0.57', name)."""
        return [
            (f"{run.name} · {run.method} · {run.accuracy:.2f}", run.name)
            for run in self.runs()
            if run.reads_tokens or not bert_only
        ]

    def best(self, bert_only: bool = False) -> RunInfo | None:
        """The finished run with the highest validation accuracy, the newest of equals (a BERT run, for what needs
        tokens: "Why?", the maps), or None."""
        runs = [run for run in self.runs() if run.reads_tokens or not bert_only]
        return max(runs, key=lambda run: run.accuracy, default=None)  # max keeps the first, the newest, of a tie

    def baseline(self, run: RunInfo) -> RunInfo | None:
        """The newest n-gram baseline trained on the same dataset as `run` (not `run` itself)."""
        baselines = (other for other in self.runs() if other.is_baseline and other.name != run.name)
        return next((other for other in baselines if other.dataset == run.dataset), None)
