"""Starter quality: train the starter on a seeded 80% of the shared reviews, evaluate on the other
20%, beside a TF-IDF character n-gram + logistic regression baseline on the same split (the same model
that teaches the starter, sentiment/models/teacher.py). Runs differ by a few points, so the starter is trained
once per seed and the median is reported.

    python bench/starter_quality.py                  # the starter's default recipe, seeds 42 1 2
    python bench/starter_quality.py --epochs 4 ...   # any train.py option overrides the recipe
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import emit, machine, reviews, split_80_20, write_split_folder


def tfidf_baseline(train, held_out) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    from sentiment.models.teacher import ngram_classifier

    started = time.perf_counter()
    model = ngram_classifier()
    model.fit(train["text"], train["label"])
    predicted = model.predict(held_out["text"])
    return {
        "accuracy": round(accuracy_score(held_out["label"], predicted), 4),
        "f1_weighted": round(f1_score(held_out["label"], predicted, average="weighted"), 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def train_starter(folder: Path, output: Path, options: list[str]) -> dict:
    import json

    from transformers import HfArgumentParser

    from sentiment.training.config import TrainConfig
    from sentiment.training.trainer import train

    (config,) = HfArgumentParser(TrainConfig).parse_args_into_dataclasses(
        args=["--dataset", str(folder), "--model", "starter", "--output", str(output), *options]
    )
    started = time.perf_counter()
    train(config)
    seconds = time.perf_counter() - started
    metrics = json.loads((output / "metrics.json").read_text())
    settings = json.loads((output / "train_config.json").read_text())
    recipe = {
        key: settings[key]
        for key in (
            "epochs",
            "learning_rate",
            "batch_size",
            "max_length",
            "warmup",
            "starter_vocab_size",
            "starter_layers",
            "starter_hidden",
            "distill",
            "seed",
        )
    }
    return {
        "accuracy": round(metrics["accuracy"], 4),
        "f1_weighted": round(metrics["f1_weighted"], 4),
        "int8_agreement": metrics["int8_agreement"],
        "wall_seconds": round(seconds, 1),
        "recipe": recipe,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=None, help="use only this many reviews (tiny runs, tests)")
    parser.add_argument("--keep", default=None, help="keep the first seed's run in this folder (for inference_latency)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2], help="train once per seed")
    known, options = parser.parse_known_args(argv)
    train, held_out = split_80_20(reviews(known.rows))
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_split_folder(Path(scratch) / "data", train, held_out)
        runs = []
        for index, seed in enumerate(known.seeds):
            run_dir = Path(known.keep) if known.keep and index == 0 else Path(scratch) / f"run-{seed}"
            runs.append(train_starter(folder, run_dir, [*options, "--seed", str(seed)]))
    emit(
        {
            "benchmark": "starter_quality",
            "machine": machine(),
            "train_examples": len(train),
            "eval_examples": len(held_out),
            "starter_median": {
                key: statistics.median(run[key] for run in runs) for key in ("accuracy", "f1_weighted", "wall_seconds")
            },
            "starter_runs": runs,
            "tfidf_char_ngram_logreg": tfidf_baseline(train, held_out),
        }
    )


if __name__ == "__main__":
    main()
