"""The head-only first run a fresh app with a pretrained launch model trains by itself: its time and accuracy.

A BERT-base-shaped classifier (12 layers × 768, random weights, a 32,000-piece vocabulary learned from the
reviews) is saved as a model folder; the shared 3,000 reviews are split 80/20 (seeded); the run is sized as the
app sizes it (`first_head_size(HEAD_PACE)`, serving/training_desk.py) and trained through the ordinary `train()`
on the CPU, as the app's first run is. Random weights give the speed of the real model, not its accuracy: the
accuracy printed is what a head reads from random features, the floor a pretrained encoder lifts.

    python bench/first_head_run.py                         # BERT-base shape
    python bench/first_head_run.py --layers 2 --hidden 64  # a tiny shape, to try the script

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import add_shape_options, bert_run, emit, machine, reviews, shape_name, split_80_20, write_split_folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_shape_options(parser)
    options = parser.parse_args(argv)

    from sentiment.serving.training_desk import FIRST_RUN_SECONDS, HEAD_PACE, first_head_size
    from sentiment.training.config import TrainConfig
    from sentiment.training.runs import list_runs
    from sentiment.training.trainer import train

    train_rows, held_out = split_80_20(reviews(options.rows))
    size = first_head_size(HEAD_PACE)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        data = write_split_folder(folder / "reviews", train_rows, held_out)
        model = bert_run(folder / "bert-base-shaped", list(train_rows["text"]), options.layers, options.hidden)
        output = str(folder / "runs" / "head")
        started = time.perf_counter()
        train(TrainConfig(model=str(model), method="head", dataset=str(data), output=output, **size))
        seconds = time.perf_counter() - started
        run = list_runs(folder / "runs")[0]
    reviews_encoded = min(size["train_examples"], len(train_rows)) + min(size["eval_examples"], len(held_out))
    emit(
        {
            "benchmark": "first_head_run",
            "machine": machine(),
            "shape": shape_name(options),
            "target_seconds": FIRST_RUN_SECONDS,
            "pace_assumed": HEAD_PACE,
            **size,
            "seconds": round(seconds, 1),
            "train_seconds_recorded": run.train_seconds,
            "reviews_encoded": reviews_encoded,
            "reviews_encoded_per_second": round(reviews_encoded / run.train_seconds, 2),
            # what HEAD_PACE and HEAD_SAVING_SECONDS stand for, as a finished run records them
            "pace_measured": round(run.examples_trained / run.train_seconds, 2),
            "saving_seconds": round(seconds - run.train_seconds, 1),
            "accuracy": round(run.accuracy, 4),
            "f1_weighted": round(run.f1_weighted, 4),
        }
    )


if __name__ == "__main__":
    main()
