"""Metrics, the confusion matrix and the per-example table, from gold labels and probabilities.

Training, `python -m sentiment evaluate` and the app's Evaluate tab all go through `report`, so
the numbers agree wherever they are shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from ..bilingual import Text, classes_listed, splits_listed
from ..errors import UserError, quoted
from ..run_files import ANSWERS_FILE, METRICS_FILE, PREDICTIONS_FILE
from ..storage import write_csv


@dataclass
class Report:
    metrics: dict
    rows: pd.DataFrame  # text, gold, predicted, p_<label>…, loss; highest loss first

    def cell(self, gold: str, predicted: str) -> pd.DataFrame:
        """The examples of one cell of the confusion matrix (true label, prediction), highest loss first."""
        labels = self.metrics["confusion_matrix"]["labels"]
        for name in (gold, predicted):
            if name not in labels:
                raise UserError(
                    Text(
                        f"{quoted(name)} is not a class of this run: pick one of {', '.join(labels)}.",
                        f"{quoted(name)} はこのモデルのクラスではありません。{classes_listed(labels).ja} の"
                        "いずれかを選んでください。",
                    )
                )
        return self.rows[(self.rows["gold"] == gold) & (self.rows["predicted"] == predicted)]

    def save(self, folder: Path) -> None:
        (folder / METRICS_FILE).write_text(json.dumps(self.metrics, ensure_ascii=False, indent=2), encoding="utf-8")
        write_csv(self.rows, folder / PREDICTIONS_FILE)


def report(texts: list[str], gold: list[int], probabilities: np.ndarray, label_names: list[str], split: str) -> Report:
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = probabilities.argmax(axis=1)
    gold = np.asarray(gold)
    classes = list(range(len(label_names)))
    counts = confusion_matrix(gold, predicted, labels=classes)
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=classes, zero_division=0)
    metrics = {
        "split": split,
        "examples": len(gold),
        "accuracy": float(accuracy_score(gold, predicted)),
        "f1_weighted": float(f1_score(gold, predicted, labels=classes, average="weighted", zero_division=0)),
        "f1_macro": float(f1_score(gold, predicted, labels=classes, average="macro", zero_division=0)),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(label_names, precision, recall, f1, support, strict=True)
        },
        "confusion_matrix": {
            "labels": list(label_names),
            "counts": counts.tolist(),
            "normalized": normalize_by_true(counts).tolist(),
        },
    }
    eps = np.finfo(np.float64).tiny  # keeps log(0) finite for a certain, wrong prediction
    rows = pd.DataFrame(
        {
            "text": list(texts),
            "gold": [label_names[g] for g in gold],
            "predicted": [label_names[p] for p in predicted],
            **{f"p_{name}": probabilities[:, i].round(4) for i, name in enumerate(label_names)},
            "loss": (-np.log(probabilities[np.arange(len(gold)), gold] + eps)).round(4),
        }
    )
    return Report(metrics, rows.sort_values("loss", ascending=False, kind="stable").reset_index(drop=True))


def normalize_by_true(counts: np.ndarray) -> np.ndarray:
    """Each row (true label) divided by its total; an empty row stays zeros."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0).round(4)


def evaluate(run_dir: str | Path, dataset, split: str = "validation", classifier=None) -> Report:
    """Classify `dataset[split]` with the run's model and report on it."""
    from .inference import load_classifier

    if split not in dataset:
        raise UserError(
            Text(
                f"The dataset has no {split} split; choose one of {', '.join(dataset)}.",
                f"このデータには {quoted(split)} という分割がありません。"
                f"{splits_listed(dataset).ja} から選んでください。",
            )
        )
    classifier = classifier or load_classifier(run_dir)
    rows = dataset[split]
    gold = _gold_ids(rows, classifier.label_names)
    probabilities = class_probabilities(classifier, rows["text"], classifier.label_names)
    return report(rows["text"], gold, probabilities, classifier.label_names, split)


def save_answers(
    folder: Path, split: str, texts: list[str], gold: list[int], probabilities: np.ndarray, label_names: list[str]
) -> None:
    """The trained model's answers for a held-out split, at full precision and unsorted (predictions.csv is a
    download: rounded, sorted by loss, its formulas neutralised), for `saved_report`."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    columns = {f"p_{name}": probabilities[:, i] for i, name in enumerate(label_names)}
    table = pd.DataFrame({"text": list(texts), "gold": [label_names[g] for g in gold], **columns})
    table.to_parquet(folder / ANSWERS_FILE.format(split=split), index=False)


def saved_report(run_dir: str | Path, dataset, split: str) -> Report | None:
    """The report on `dataset[split]` from the answers the trainer saved (on its CPU or GPU, at the end of
    training), without running the model; None where none were saved for exactly that split's reviews (another
    dataset, a bounded sample of a big split, a run trained before they were saved)."""
    path = Path(run_dir) / ANSWERS_FILE.format(split=split)
    if split not in dataset or not path.is_file():
        return None
    saved = pd.read_parquet(path)
    label_names = [column.removeprefix("p_") for column in saved.columns if column.startswith("p_")]
    rows, names = dataset[split], dataset[split].features["label"].names
    if not set(names) <= set(label_names):
        return None
    given = sorted(zip(rows["text"], (names[label] for label in rows["label"]), strict=True))
    if given != sorted(zip(saved["text"], saved["gold"], strict=True)):
        return None
    gold = [label_names.index(name) for name in saved["gold"]]
    probabilities = saved[[f"p_{name}" for name in label_names]].to_numpy()
    return report(list(saved["text"]), gold, probabilities, label_names, split)


def class_probabilities(classifier, texts: list[str], label_names: list[str]) -> np.ndarray:
    """The classifier's probabilities for `texts`, one column per name of `label_names`, in that order."""
    missing = sorted(set(label_names) - set(classifier.label_names))
    if missing:
        raise UserError(missing_labels(missing, classifier.label_names))
    predictions = classifier.predict(texts)
    return np.array([[p.probabilities[name] for name in label_names] for p in predictions])


def probabilities_by_text(rows: pd.DataFrame, texts: list[str], label_names: list[str]) -> np.ndarray:
    """A report's probabilities (its rows are ordered by loss) put back in the order of `texts`, one column per
    name of `label_names`."""
    by_text = dict(zip(rows["text"], rows[[f"p_{name}" for name in label_names]].to_numpy(), strict=True))
    return np.array([by_text[text] for text in texts])


def missing_labels(missing: list[str], known: list[str]) -> Text:
    return Text(
        f"The model has no label {', '.join(missing)}; it knows {', '.join(known)}.",
        f"このモデルには {classes_listed(missing).ja} のラベルがありません。"
        f"知っているのは {classes_listed(known).ja} です。",
    )


def _gold_ids(rows, label_names: list[str]) -> list[int]:
    """Gold labels as the model's ids, matched by name so a differently ordered dataset still scores right."""
    names = rows.features["label"].names
    missing = sorted(set(names) - set(label_names))
    if missing:
        raise UserError(missing_labels(missing, label_names))
    return [label_names.index(names[label]) for label in rows["label"]]


def comparison(reports: dict[str, dict]) -> pd.DataFrame:
    """One row per run: `reports` maps a run's name to its metrics, method and training time."""
    rows = []
    for name, run in reports.items():
        metrics = run["metrics"]
        rows.append(
            {
                "run": name,
                "method": run["method"],
                "accuracy": round(metrics["accuracy"], 4),
                "f1_weighted": round(metrics["f1_weighted"], 4),
                "f1_macro": round(metrics["f1_macro"], 4),
                **{f"f1_{label}": round(scores["f1"], 4) for label, scores in metrics["per_class"].items()},
                "train_seconds": run["train_seconds"],
                "examples": metrics["examples"],
            }
        )
    return pd.DataFrame(rows)
