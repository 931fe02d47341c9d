"""What correcting doubted labels is worth (issue 28): the n-gram baseline trained on four versions of the labels.

10% of the shared 3,000 reviews get a wrong label (seeded, as `bench/label_noise.py` flips them). The app's
ranking (sentiment/corpus/suspects.py, the n-gram view over the whole noisy set, as the Dataset tab ranks a
train split) orders the reviews by doubt, and the baseline (`train.py --method ngram`'s model,
sentiment/models/baseline.py) is trained on

1. the labels as published;
2. the flipped labels;
3. the flipped labels after a careful reader corrects the truly wrong among the 300 most doubted (an oracle:
   each flipped review there gets its published label back, every other stays as it is);
4. the flipped labels with the 300 most doubted set to the suggested label, unread;

and scored against the published labels on reviews it did not train on: five stratified folds, so each of the
3,000 reviews is scored once, by a model trained on the other 2,400. One run gives every row.

    python bench/label_fixes.py               # about a minute on 2 cores
    python bench/label_fixes.py --rows 300    # tiny
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from common import emit, machine, reviews
from label_noise import LABELS, flip_labels, found, write_noisy

READ = 300  # the most doubted reviews a reader goes through
FOLDS = 5


def held_out_accuracy(texts: list[str], train_labels: np.ndarray, truth: np.ndarray) -> float:
    """The baseline trained on `train_labels`, scored against `truth` on each fold it did not train on."""
    from sklearn.model_selection import StratifiedKFold

    from sentiment.models.baseline import fit

    texts = np.asarray(texts, dtype=object)
    predicted = np.empty(len(truth), dtype=int)
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(texts, truth):
        model = fit(list(texts[train]), list(train_labels[train]))
        predicted[test] = model.predict(list(texts[test]))
    return round(float((predicted == truth).mean()), 3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="use only this many reviews (tiny runs)")
    options = parser.parse_args(argv)

    from sentiment.corpus.loading import load_dataset
    from sentiment.corpus.suspects import find_suspects

    table = reviews(options.rows)
    texts = list(table["text"])
    published = np.array([LABELS.index(label) for label in table["label"]])
    noisy, flipped = flip_labels(published)
    with tempfile.TemporaryDirectory() as scratch:
        data = load_dataset(str(write_noisy(Path(scratch) / "noisy", table, noisy)))
        started = time.perf_counter()
        ranked = find_suspects(data, "train").table  # most doubted first, indexed by row
        rank_seconds = time.perf_counter() - started
    read = ranked.head(min(READ, len(ranked)))
    rows = read["index"].to_numpy()
    suggested = np.array([LABELS.index(label) for label in read["suggested"]])
    careful, unread = noisy.copy(), noisy.copy()
    truly_wrong = rows[flipped[rows]]
    careful[truly_wrong] = published[truly_wrong]
    unread[rows] = suggested
    versions = {
        "as published": published,
        "10% flipped (seeded)": noisy,
        f"flipped, then a careful reader corrects the truly wrong among the {len(rows)} most doubted": careful,
        f"flipped, then the {len(rows)} most doubted set to the suggested label, unread": unread,
    }
    order = ranked["index"].to_numpy()  # the rows, most doubted first
    emit(
        {
            "benchmark": "label_fixes",
            "machine": machine(),
            "reviews": len(published),
            "flipped": int(flipped.sum()),
            "read": len(rows),
            "truly_wrong_among_read": len(truly_wrong),
            "ranking": {**found(order, flipped), "seconds": round(rank_seconds, 2)},
            "training labels": {
                name: {
                    "labels_right": round(float((labels == published).mean()), 3),
                    "held_out_accuracy": held_out_accuracy(texts, labels, published),
                }
                for name, labels in versions.items()
            },
        }
    )


if __name__ == "__main__":
    main()
