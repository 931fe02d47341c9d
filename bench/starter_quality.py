"""Starter quality: train the starter on a seeded 80% of the shared reviews, evaluate on the other
20%, beside a TF-IDF character n-gram + logistic regression baseline on the same split.

    python bench/starter_quality.py                  # the starter's default recipe
    python bench/starter_quality.py --epochs 4 ...   # any train.py option overrides the recipe
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import emit, machine, reviews, split_80_20, write_split_folder


def tfidf_baseline(train, held_out) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline

    started = time.perf_counter()
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
        LogisticRegression(C=4.0, max_iter=2000),
    )
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

    from sentiment.config import TrainConfig
    from sentiment.training import train

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
        )
    }
    return {
        "accuracy": round(metrics["accuracy"], 4),
        "f1_weighted": round(metrics["f1_weighted"], 4),
        "int8_agreement": metrics["int8_agreement"],
        "wall_seconds": round(seconds, 1),
        "recipe": recipe,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=None, help="use only this many reviews (tiny runs, tests)")
    parser.add_argument("--keep", default=None, help="keep the trained run in this folder (e.g. for inference_latency)")
    known, options = parser.parse_known_args()
    train, held_out = split_80_20(reviews(known.rows))
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_split_folder(Path(scratch) / "data", train, held_out)
        run_dir = Path(known.keep) if known.keep else Path(scratch) / "run"
        starter = train_starter(folder, run_dir, options)
    emit(
        {
            "benchmark": "starter_quality",
            "machine": machine(),
            "train_examples": len(train),
            "eval_examples": len(held_out),
            "starter": starter,
            "tfidf_char_ngram_logreg": tfidf_baseline(train, held_out),
        }
    )


if __name__ == "__main__":
    main()
