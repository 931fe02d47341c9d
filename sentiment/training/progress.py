"""The run's progress as the page and the log read it: one JSON object per event in progress.jsonl, also handed
to the caller (the app's job, a GPU window's stream)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

from ..run_files import ProgressRecord


class Progress:
    """Appends one JSON object per event to progress.jsonl and hands it to `on_event`. (The Trainer reports
    into it through hf_trainer.ProgressCallback; an n-gram run, which imports no torch, emits its own.)"""

    def __init__(self, path: Path | None, on_event: Callable[[ProgressRecord], None] | None):
        self.path, self.on_event = path, on_event
        self.started = time.monotonic()
        self.last_step = 0

    def emit(self, record: ProgressRecord) -> None:
        record = dataclasses.replace(record, time=time.time(), elapsed=round(time.monotonic() - self.started, 2))
        self.last_step = self.last_step if record.step is None else record.step
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(record.as_json(), ensure_ascii=False) + "\n")
        if self.on_event is not None:
            self.on_event(record)
