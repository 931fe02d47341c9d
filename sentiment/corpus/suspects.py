"""Reviews whose label the models doubt: confident learning over out-of-fold class probabilities.

Amazon star ratings are noisy sentiment labels (3 stars = "neutral" hides many opinions). Confident
learning (Northcutt, Jiang & Chuang, 2021, "Confident Learning: Estimating Uncertainty in Dataset
Labels", JAIR 70) finds the reviews whose given label is most likely wrong from class probabilities
that no model learned the review's own label for:

1. each class j gets a threshold t_j, the mean probability of j over the reviews labelled j (what a
   review of that class usually gets; a class the models find hard gets a low bar);
2. a review is *flagged* when some other class j reaches its threshold, p_j >= t_j, with more margin
   than the given label reaches its own (the off-diagonal of the "confident joint");
3. reviews are ranked by how far the given label's probability falls below its class's threshold
   (self-confidence, normalised by t: score = 1 - p_given / t_given, clipped to [0, 1]).

The step is written here rather than taken from `cleanlab`, whose AGPL-3.0 licence would bind the
whole app; it is these few lines of numpy. The probabilities are the n-gram baseline's, k-fold
(teacher.out_of_fold_probabilities), averaged with any other views given, such as a BERT run's
predictions on a split it did not train on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import SGDClassifier

from ..bilingual import Text, split_text, splits_listed
from ..errors import quoted
from ..models.teacher import out_of_fold_probabilities
from .loading import DataError, SentimentData

MAX_RANKED = 3000  # rows ranked at most (a seeded sample of a larger split): about 4 s of CPU on 2 cores
COLUMNS = ["index", "text", "label", "suggested", "score"]


class TooFewReviews(DataError):
    """A split with too few reviews of some label for out-of-fold probabilities."""


@dataclass
class Suspects:
    table: pd.DataFrame  # COLUMNS plus `flagged` and `p_<label>` for each label; most doubtful first
    notices: list[Text]

    def reasons(self, index: int, neighbours: int = 3) -> tuple[dict[str, float], list[str]]:
        """Why row `index` is doubted: its class probabilities, and the texts of the most doubted other reviews of
        its confusion cell (the same given label, the same suggested one)."""
        row = self.table[self.table["index"] == index]
        if row.empty:
            raise DataError(
                Text(
                    f"Row {index} is not among the ranked reviews: pick a review from the list.",
                    f"{index} 行目は順位付けしたレビューに含まれていません。一覧からレビューを選んでください。",
                )
            )
        row = row.iloc[0]
        probabilities = {c.removeprefix("p_"): float(row[c]) for c in self.table.columns if c.startswith("p_")}
        cell = self.table[
            (self.table["label"] == row["label"])
            & (self.table["suggested"] == row["suggested"])
            & self.table["flagged"]
            & (self.table["index"] != index)
        ]
        return probabilities, list(cell["text"].head(neighbours))


def class_thresholds(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """t_j: the mean probability of class j over the reviews labelled j (1 for a class with none, so it
    never confidently claims a review)."""
    return np.array(
        [probabilities[labels == j, j].mean() if np.any(labels == j) else 1.0 for j in range(probabilities.shape[1])]
    )


def doubt(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per review: its score (0: no doubt, 1: the given label has no probability), the suggested label (the
    other class most above its threshold), and whether the confident joint flags it."""
    probabilities, labels = np.asarray(probabilities, dtype=np.float64), np.asarray(labels)
    rows = np.arange(len(labels))
    relative = probabilities / np.maximum(class_thresholds(probabilities, labels), 1e-12)
    given = relative[rows, labels]
    others = relative.copy()
    others[rows, labels] = -np.inf
    suggested = others.argmax(axis=1)
    flagged = (others[rows, suggested] >= 1.0) & (others[rows, suggested] > given)
    return np.clip(1.0 - given, 0.0, 1.0), suggested, flagged


def rank(
    texts: list[str], labels: list[int], label_names: list[str], views: list[np.ndarray], index=None
) -> pd.DataFrame:
    """The reviews most doubtful first, from the average of the models' probability `views`."""
    labels, probabilities = np.asarray(labels), np.mean(views, axis=0)
    score, suggested, flagged = doubt(probabilities, labels)
    table = pd.DataFrame(
        {
            "index": np.arange(len(labels)) if index is None else np.asarray(index),
            "text": list(texts),
            "label": [label_names[i] for i in labels],
            "suggested": [label_names[i] for i in suggested],
            "score": score.round(4),
            "flagged": flagged,
            # why: each class's probability (what a reader of the review sees the models weigh)
            **{f"p_{name}": probabilities[:, j].round(3) for j, name in enumerate(label_names)},
        }
    )
    return table.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)


def doubted(table: pd.DataFrame) -> dict[str, str]:
    """Text → suggested label, for the reviews the confident joint flags."""
    flagged = table[table["flagged"]]
    return dict(zip(flagged["text"], flagged["suggested"], strict=True))


def ngram_view(texts: list[str], labels: list[int], num_labels: int, seed: int = 0) -> np.ndarray | None:
    """Out-of-fold probabilities of the character n-gram model, fitted by stochastic gradient descent: the
    same ranking as the baseline's logistic regression on the shared reviews (docs/benchmarks.md) at a
    twentieth of the time, so a split is ranked within a request."""
    learner = SGDClassifier(loss="log_loss", alpha=1e-4, random_state=seed)
    return out_of_fold_probabilities(texts, labels, num_labels, seed, learner)


def find_suspects(data: SentimentData, split: str, views: list[np.ndarray] = (), limit: int = MAX_RANKED) -> Suspects:
    """The reviews of `data[split]` whose label the models doubt. `views` are other models' probabilities for
    the split's rows (label order as the dataset's); a split larger than `limit` is ranked on a seeded sample."""
    if split not in data:
        raise DataError(
            Text(
                f"The dataset has no {quoted(split)} split; choose one of {', '.join(data)}.",
                f"このデータには {quoted(split)} という分割がありません。{splits_listed(data).ja} から選んでください。",
            )
        )
    rows, notices = data[split], []
    index = np.arange(len(rows))
    if len(rows) > limit:
        index = np.sort(np.random.default_rng(0).choice(len(rows), size=limit, replace=False))
        rows = rows.select(index)
        views = [np.asarray(view)[index] for view in views]
        notices.append(
            Text(
                f"The {split} split has {len(data[split]):,} rows: a seeded sample of {limit:,} was ranked.",
                f"{split_text(split).ja}データは {len(data[split]):,} 行あるため、シード固定で抽出した {limit:,} 行を"
                "順位付けしました。",
            )
        )
    ngram = ngram_view(rows["text"], rows["label"], len(data.label_names))
    if ngram is None:
        raise TooFewReviews(
            Text(
                f"The {split} split has too few reviews of some label to judge its labels: every label needs at "
                "least 5 reviews.",
                f"{split_text(split).ja}データには、レビューが少なすぎるラベルがあるため、ラベルを判定できません。"
                "どのラベルにも 5 件以上のレビューが必要です。",
            )
        )
    table = rank(rows["text"], rows["label"], data.label_names, [ngram, *views], index)
    return Suspects(table, notices)
