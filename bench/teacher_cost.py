"""Teacher cost: the n-gram teacher's out-of-fold fit (5 folds) as the training split grows.

The starter distils a TF-IDF character n-gram teacher (sentiment/models/teacher.py), fitted five times before
training starts. On the shared reviews that takes seconds; this measures what it costs at the size of
the Hub dataset's train split (120,000 reviews). Only 3,000 real reviews are here, so larger splits are
made of texts built from them (few repeat): a review followed by the first half of another review of the
same label (real vocabulary, about 1.5 times the mean length, so the figure errs on the slow side).

    python bench/teacher_cost.py [--sizes 2400 24000 120000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from common import emit, machine, reviews

from sentiment.corpus.loading import LABELS
from sentiment.models.teacher import FOLDS, out_of_fold_probabilities


def synthetic_split(table, rows: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """`rows` texts with labels, each a review plus half of another review of its label."""
    rng = np.random.default_rng(seed)
    texts, labels = table["text"].tolist(), [LABELS.index(label) for label in table["label"]]
    by_label = {label: np.flatnonzero(np.asarray(labels) == label) for label in range(len(LABELS))}
    made_texts, made_labels = [], []
    for first in rng.integers(len(texts), size=rows):
        label = labels[first]
        other = texts[rng.choice(by_label[label])]
        made_texts.append(texts[first] + other[: len(other) // 2])
        made_labels.append(label)
    return made_texts, made_labels


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2400, 24000, 120000], help="training rows")
    options = parser.parse_args(argv)
    table = reviews()
    measured = []
    for rows in sorted(options.sizes):  # ascending, so the process's peak memory is this size's
        texts, labels = synthetic_split(table, rows)
        started = time.perf_counter()
        out_of_fold_probabilities(texts, labels, len(LABELS), seed=42)
        seconds = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        measured.append({"rows": rows, "seconds": round(seconds, 1), "peak_rss_mib": round(peak_mib)})
    emit({"benchmark": "teacher_cost", "machine": machine(), "folds": FOLDS, "sizes": measured})


if __name__ == "__main__":
    main()
