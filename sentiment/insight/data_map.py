"""The data map of a training run (Swayamdipta et al., 2020, "Dataset Cartography: Mapping and Diagnosing
Datasets with Training Dynamics", EMNLP).

While a run fine-tunes, its callback (training/cartography.py) records for each of a bounded sample of
training reviews the probability the model gave its gold label, once per epoch. Over the epochs:

- confidence: the mean of those probabilities;
- variability: their standard deviation;
- correctness: the share of epochs in which the model predicted the gold label.

Reviews with high confidence and low variability are *easy to learn*; with low confidence and low
variability *hard to learn* (the paper found most mislabelled reviews there); with high variability
*ambiguous* (the model changed its mind about them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..bilingual import Text
from ..errors import UserError, quoted
from ..run_files import DATA_MAP_FILE

AMBIGUOUS_VARIABILITY = 0.2  # a standard deviation of at least this over the epochs (0.5 is the most possible)
CONFIDENT = 0.5
REGIONS = ("easy-to-learn", "ambiguous", "hard-to-learn")


@dataclass
class DataMap:
    reviews: pd.DataFrame  # index, text, label, confidence, variability, correctness, region; one row per review
    epochs: int
    seconds: float  # what recording cost the run


def region(confidence: np.ndarray, variability: np.ndarray) -> np.ndarray:
    """Each review's region: ambiguous above the variability line, else easy or hard by confidence."""
    return np.where(
        variability >= AMBIGUOUS_VARIABILITY, REGIONS[1], np.where(confidence >= CONFIDENT, REGIONS[0], REGIONS[2])
    )


def save_data_map(
    path: Path, index, texts, labels, gold_probabilities: np.ndarray, correct: np.ndarray, seconds: float
) -> None:
    """Write the epochs' records (`gold_probabilities`, `correct`: epochs × reviews) for the reviews `index`."""
    record = {
        "epochs": len(gold_probabilities),
        "seconds": round(seconds, 3),
        "index": [int(i) for i in index],
        "text": list(texts),
        "label": list(labels),
        "gold_probability": np.round(gold_probabilities, 4).tolist(),
        "correct": np.asarray(correct, dtype=bool).tolist(),
    }
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def read_data_map(run_dir: Path) -> DataMap:
    """The run's data map; a run without one (the baseline, a head-only run, a run from before maps) says so."""
    path = Path(run_dir) / DATA_MAP_FILE
    if not path.is_file():
        raise UserError(
            Text(
                f"{Path(run_dir).name} has no data map: only full fine-tuning records one (runs trained before it "
                "was added have none); pick a full run or train one.",
                f"{Path(run_dir).name} にはデータマップがありません。"
                "データマップを記録するのは全体のファインチューニング"
                "だけです（この機能より前に学習したモデルにもありません）。"
                "全体をファインチューニングしたモデルを選ぶか、"
                "新しく学習してください。",
            )
        )
    record = json.loads(path.read_text(encoding="utf-8"))
    # An epoch a run stopped inside of left some reviews unseen (NaN): they count over the epochs they had.
    probabilities = np.array(record["gold_probability"], dtype=np.float64)
    correct = np.array(record["correct"], dtype=np.float64)
    correct[np.isnan(probabilities)] = np.nan
    confidence = np.nanmean(probabilities, axis=0)
    variability = np.nanstd(probabilities, axis=0)
    reviews = pd.DataFrame(
        {
            "index": record["index"],
            "text": record["text"],
            "label": record["label"],
            "confidence": confidence.round(4),
            "variability": variability.round(4),
            "correctness": np.nanmean(correct, axis=0).round(4),
            "region": region(confidence, variability),
        }
    )
    return DataMap(reviews, record["epochs"], record["seconds"])


def region_reviews(data_map: DataMap, name: str) -> pd.DataFrame:
    """The reviews of one region, the most typical first (easy: most confident; hard: least; ambiguous: most
    variable)."""
    if name not in REGIONS:
        raise UserError(
            Text(
                f"{quoted(name)} is not a region of the data map: pick one of {', '.join(REGIONS)}.",
                f"{quoted(name)} はデータマップの領域ではありません。{', '.join(REGIONS)} のいずれかを選んでください。",
            )
        )
    chosen = data_map.reviews[data_map.reviews["region"] == name]
    key, ascending = {"easy-to-learn": ("confidence", False), "ambiguous": ("variability", False)}.get(
        name, ("confidence", True)
    )
    return chosen.sort_values(key, ascending=ascending, kind="stable").reset_index(drop=True)
