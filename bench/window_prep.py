"""The CPU work a full fine-tune does before its GPU window on ZeroGPU (sentiment/training/prepared.py).

The source's job at its size: 120,000 training reviews (the shared 3,000 repeated 40 times) and the 3,000 as
validation, a BERT-base-shaped model folder (random weights; a 32,000-piece MeCab + WordPiece vocabulary learned
from the reviews). Timed: `prepare()` (loading, cutting, tokenizing both splits, saving them), the same call
again (what a run retried after a refusal pays), and what the window itself still does before its first step:
reading the prepared sets (`load_inputs`) and the dataset as loaded (`prepared_splits`, for the run's report).

    python bench/window_prep.py               # 120,000 reviews
    python bench/window_prep.py --rows 90 --repeat 2   # 180, to try the script

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from common import bert_run, emit, machine, reviews, write_split_folder


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, round(time.perf_counter() - started, 1)


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=40, help="copies of the 3,000 reviews to train on")
    parser.add_argument("--rows", type=int, default=None, help="use only this many reviews (tiny runs, tests)")
    options = parser.parse_args(argv)

    from sentiment.training.config import TrainConfig
    from sentiment.training.prepared import load_inputs, prepare, prepared_splits

    table = reviews(options.rows)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        train_rows = pd.concat([table] * options.repeat, ignore_index=True)
        data = write_split_folder(folder / "reviews", train_rows, table)
        model = bert_run(folder / "bert-base-shaped", list(table["text"]))
        config = TrainConfig(model=str(model), method="full", dataset=str(data), output=str(folder / "runs" / "x"))
        prepared, first = timed(lambda: prepare(config))
        _, again = timed(lambda: prepare(config))
        _, reading = timed(lambda: load_inputs(prepared))
        _, loading = timed(lambda: prepared_splits(prepared, config.resolved()))
        size = folder_bytes(prepared)
    emit(
        {
            "benchmark": "window_prep",
            "machine": machine(),
            "train_reviews": len(train_rows),
            "validation_reviews": len(table),
            "prepare_seconds": first,
            "prepare_again_seconds": again,
            "in_window_read_seconds": reading,
            "in_window_dataset_seconds": loading,
            "prepared_megabytes": round(size / 2**20, 1),
        }
    )


if __name__ == "__main__":
    main()
