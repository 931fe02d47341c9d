"""The run's progress as the page and the log read it: one JSON object per event in progress.jsonl, also handed
to the caller (the app's job, a GPU window's stream)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

from transformers import TrainerCallback

from ..run_files import ProgressRecord


def _log_kind(logs: dict) -> str:
    if any(key.startswith("eval_") for key in logs):
        return "eval"
    return "summary" if "train_runtime" in logs else "log"


class ProgressCallback(TrainerCallback):
    """Appends one JSON object per event to progress.jsonl and hands it to `on_event`."""

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

    def on_train_begin(self, args, state, control, **kwargs):
        self.train_started = time.monotonic()
        self.emit(ProgressRecord("start", step=0, total_steps=state.max_steps, epochs=args.num_train_epochs))

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        seconds = time.monotonic() - self.train_started
        per_step = seconds / state.global_step if state.global_step else 0.0
        numbers = {key: value for key, value in logs.items() if isinstance(value, int | float)}
        self.emit(
            ProgressRecord(
                _log_kind(logs),
                step=state.global_step,
                total_steps=state.max_steps,
                epoch=numbers.pop("epoch", round(state.epoch or 0.0, 3)),  # the Trainer's own, when it logs one
                remaining=round(per_step * (state.max_steps - state.global_step), 1),
                examples_per_second=round(state.global_step * args.train_batch_size * args.world_size / seconds, 2)
                if seconds
                else 0.0,
                scores=numbers,
            )
        )
