"""Metrics by slice: where a model is good and where it is not.

One accuracy hides where the errors are. The reviews of a split are grouped three ways, each review in
exactly one group of each: by `source` (the product category, where the data has one), by length in MeCab
words (the same count for every run, so runs compare), and by whether the review contains a negation
(text/negation.py), where sentiment models stumble.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from ..text.negation import word_counts

LENGTH_BUCKETS = [(16, "≤ 16 words"), (32, "17–32 words"), (64, "33–64 words"), (128, "65–128 words")]
LONGEST = "> 128 words"
DIMENSIONS = {"source": "source", "length": "length (MeCab words)", "negation": "negation"}
COLUMNS = ["dimension", "slice", "examples", "correct", "accuracy", "f1_weighted"]


def length_bucket(words: int) -> str:
    return next((name for top, name in LENGTH_BUCKETS if words <= top), LONGEST)


def _order(value: str) -> tuple[int, str]:
    """Length buckets shortest first, other groups alphabetically."""
    buckets = [name for _, name in LENGTH_BUCKETS] + [LONGEST]
    return (buckets.index(value), "") if value in buckets else (len(buckets), value)


def slice_keys(texts: list[str], sources: list[str] | None) -> pd.DataFrame:
    """Each review's group in every dimension (source only where the data has more than one)."""
    counts = word_counts(texts)
    keys = {
        DIMENSIONS["length"]: [length_bucket(count.words) for count in counts],
        DIMENSIONS["negation"]: ["with negation" if count.negated else "without negation" for count in counts],
    }
    if sources is not None and len(set(sources)) > 1:
        keys = {DIMENSIONS["source"]: list(sources), **keys}
    return pd.DataFrame(keys)


def slice_metrics(texts: list[str], gold: list[str], predicted: list[str], sources: list[str] | None = None):
    """One row per slice: examples, correct predictions, accuracy and weighted F1 (COLUMNS)."""
    keys = slice_keys(texts, sources)
    gold, predicted = np.asarray(gold), np.asarray(predicted)
    rows = []
    for dimension in keys.columns:
        groups = keys.groupby(dimension, sort=False).groups
        for value in sorted(groups, key=_order):
            chosen = groups[value]
            truth, guess = gold[chosen], predicted[chosen]
            rows.append(
                {
                    "dimension": dimension,
                    "slice": value,
                    "examples": len(chosen),
                    "correct": int((truth == guess).sum()),
                    "accuracy": round(float((truth == guess).mean()), 4),
                    "f1_weighted": round(float(f1_score(truth, guess, average="weighted", zero_division=0)), 4),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def report_slices(rows: pd.DataFrame, split) -> pd.DataFrame:
    """A report's rows (evaluation.Report.rows) by slice; `split` is the dataset split they were scored on."""
    texts = list(rows["text"])
    sources = sources_of(texts, split["text"], split["source"])
    return slice_metrics(texts, list(rows["gold"]), list(rows["predicted"]), sources)


def sources_of(texts: list[str], split_texts: list[str], split_sources: list[str]) -> list[str]:
    """The `source` of each of `texts`, looked up in the split they came from (a report's rows are ordered
    by loss, not as the split)."""
    by_text = dict(zip(split_texts, split_sources, strict=True))
    return [by_text[text] for text in texts]
