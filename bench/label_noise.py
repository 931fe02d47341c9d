"""How well the suspect ranking finds wrong labels, and what the data map costs a run (issue 18).

10% of the shared 3,000 reviews get a wrong label (seeded; each flipped to one of the other two classes at
random). The whole set is the training split; then:

(a) the n-gram view alone (sentiment/corpus/suspects.py, as the app and `python -m sentiment suspects`
    rank): the share of the flipped reviews among the 300 most doubted (recall@300; with 300 flips it equals
    precision@300), and the time to rank the 3,000 reviews; the same with the teacher's logistic regression;
(b) the starter fine-tuned on the noisy labels (--distill 0, so it does not learn the n-gram model's
    opinion), with the data-map callback following every review: the data map's view alone (low confidence
    in the given label = doubt) and combined with the n-gram view; and the callback's cost against the run's
    training time.

    python bench/label_noise.py                     # about 5 minutes on 2 cores
    python bench/label_noise.py --rows 300 --epochs 1   # tiny
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from common import emit, machine, reviews

NOISE = 0.10
NOISE_SEED = 0
LABELS = ["positive", "neutral", "negative"]


def flip_labels(labels: np.ndarray, share: float = NOISE, seed: int = NOISE_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Labels with `share` of them moved to another class at random, and which ones were moved."""
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(labels), dtype=bool)
    flipped[rng.choice(len(labels), size=round(share * len(labels)), replace=False)] = True
    noisy = labels.copy()
    noisy[flipped] = (labels[flipped] + rng.integers(1, len(LABELS), size=flipped.sum())) % len(LABELS)
    return noisy, flipped


def found(order: np.ndarray, flipped: np.ndarray) -> dict:
    """recall@k and precision@k of a ranking (most doubted first), k = the number of flipped labels."""
    top = order[: flipped.sum()]
    hits = int(flipped[top].sum())
    return {
        "k": int(flipped.sum()),
        "recall_at_k": round(hits / flipped.sum(), 3),
        "precision_at_k": round(hits / len(top), 3),
    }


def write_noisy(folder: Path, table, noisy: np.ndarray) -> Path:
    """Every review as the training split; validation and test are a seeded 10% of it (only watched)."""
    table = table.assign(label=[LABELS[i] for i in noisy])
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "train.csv", index=False)
    held = table.sample(frac=0.1, random_state=0)
    for split in ("validation", "test"):
        held.to_csv(folder / f"{split}.csv", index=False)
    return folder


def rank_ngram(data, flipped: np.ndarray, learner=None) -> tuple[dict, np.ndarray]:
    from sentiment.corpus.suspects import doubt
    from sentiment.models.teacher import out_of_fold_probabilities

    split = data["train"]
    started = time.perf_counter()
    if learner is None:
        from sentiment.corpus.suspects import find_suspects

        table = find_suspects(data, "train").table
        seconds = time.perf_counter() - started
        score = np.empty(len(split))
        score[table["index"].to_numpy()] = table["score"].to_numpy()
    else:
        probabilities = out_of_fold_probabilities(split["text"], split["label"], len(LABELS), 0, learner)
        score = doubt(probabilities, np.asarray(split["label"]))[0]
        seconds = time.perf_counter() - started
    return {**found(np.argsort(-score, kind="stable"), flipped), "seconds": round(seconds, 2)}, score


def map_doubt(run_dir: Path, labels: np.ndarray) -> np.ndarray:
    """1 - confidence / the mean confidence of the review's class: the data map's doubt in each given label,
    with the same per-class normalisation as confident learning."""
    from sentiment.insight.data_map import read_data_map

    reviews = read_data_map(run_dir).reviews.sort_values("index")
    confidence = reviews["confidence"].to_numpy()
    means = np.array([confidence[labels == j].mean() for j in range(len(LABELS))])
    return np.clip(1 - confidence / means[labels], 0, 1)


def train_with_map(folder: Path, output: Path, epochs: float) -> dict:
    import sentiment.training.cartography as cartography
    from sentiment.training.config import TrainConfig
    from sentiment.training.trainer import train

    cartography.MAP_REVIEWS = 10**6  # follow every review here: the ranking needs them all
    started = time.perf_counter()
    train(TrainConfig(dataset=str(folder), output=str(output), model="starter", distill=0, epochs=epochs))
    wall = time.perf_counter() - started
    metrics = json.loads((output / "metrics.json").read_text())
    recorded = json.loads((output / "data_map.json").read_text())
    return {
        "wall_seconds": round(wall, 1),
        "train_seconds": metrics["train_seconds"],
        "callback_seconds": recorded["seconds"],
        "callback_share": round(recorded["seconds"] / metrics["train_seconds"], 4),
        "reviews_followed": len(recorded["index"]),
        "epochs": recorded["epochs"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="use only this many reviews (tiny runs)")
    parser.add_argument("--epochs", type=float, default=10, help="epochs of the starter run (its recipe: 10)")
    options = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegression

    from sentiment.corpus.loading import load_dataset
    from sentiment.corpus.suspects import MAX_RANKED

    table = reviews(options.rows)
    labels = np.array([LABELS.index(label) for label in table["label"]])
    noisy, flipped = flip_labels(labels)
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_noisy(Path(scratch) / "noisy", table, noisy)
        data = load_dataset(str(folder))
        assert len(data["train"]) == len(table) <= MAX_RANKED
        sgd, ngram_score = rank_ngram(data, flipped)
        logistic, _ = rank_ngram(data, flipped, LogisticRegression(C=4.0, max_iter=2000))
        run = train_with_map(folder, Path(scratch) / "run", options.epochs)
        map_score = map_doubt(Path(scratch) / "run", noisy)
    combined = (ngram_score + map_score) / 2
    emit(
        {
            "benchmark": "label_noise",
            "machine": machine(),
            "reviews": len(table),
            "flipped": int(flipped.sum()),
            "ngram_sgd (the app's)": sgd,
            "ngram_logistic_regression (the teacher's)": logistic,
            "data_map_alone": found(np.argsort(-map_score, kind="stable"), flipped),
            "ngram_plus_data_map": found(np.argsort(-combined, kind="stable"), flipped),
            "starter_run_with_data_map": run,
        }
    )


if __name__ == "__main__":
    main()
