"""What a run will cost before it starts: "about N minutes on this machine", timed from the runs already here.

A run's time grows with the examples it trains on: each example once per epoch for full fine-tuning (or up to
its step limit), once for the head's features and for the n-gram baseline. Every finished run records how many
it trained on (`examples_trained` in metrics.json) and how long it took, so the newest run of the same model
and method gives this machine's measured pace. Start-up (loading, the tokenizer, evaluation) is inside that
time, so a small run's pace is a little pessimistic for a big one: the estimate errs long, never short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..bilingual import Text
from .config import TrainConfig
from .runs import RunInfo


@dataclass(frozen=True)
class Estimate:
    seconds: float
    per_second: float  # the measured pace, training examples a second
    timed_from: str  # the run it was measured on

    def sentence(self) -> Text:
        minutes = max(1, math.ceil(self.seconds / 60))
        return Text(
            f"About {minutes} minute{'s' if minutes > 1 else ''} on this machine (timed from {self.timed_from}: "
            f"{self.per_second:,.1f} training examples a second).",
            f"このマシンで約 {minutes} 分（{self.timed_from} の実測: 毎秒 {self.per_second:,.1f} 件）。",
        )


def examples_to_train(config: TrainConfig, train_rows: int) -> int:
    """How many training examples a run of the resolved `config` processes on a split of `train_rows` rows."""
    rows = min(train_rows, config.train_examples or train_rows)
    if config.method != "full":
        return rows  # features once (head) or one fit (n-gram): epochs don't repeat the costly part
    steps = math.ceil(rows / config.batch_size) * config.epochs
    for limit in (config.max_steps, config.step_limit):
        if limit is not None and limit > 0:
            steps = min(steps, limit)
    return min(steps * config.batch_size, math.ceil(rows * config.epochs))


def estimate(runs: list[RunInfo], config: TrainConfig, train_rows: int) -> Estimate | None:
    """The cost of `config` (resolved) at the pace of the newest finished run of its model and method; None
    when no such run has been timed here."""
    for run in runs:  # newest first
        same_model = config.method == "ngram" or run.model == config.model
        if run.method == config.method and same_model and run.examples_trained and run.train_seconds:
            per_second = run.examples_trained / run.train_seconds
            return Estimate(examples_to_train(config, train_rows) / per_second, per_second, run.name)
    return None
