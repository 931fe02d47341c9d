"""The baseline: a character n-gram TF-IDF + logistic regression model as a run kind of its own.

It is the same model that teaches the starter (teacher.py), trained on the gold labels in seconds.
It gives every other run a yardstick: a BERT that can't beat it has learned little beyond
characters. It is saved with skops rather than pickle: loading builds only the types that skops
trusts (scikit-learn's own), and refuses a file that asks for anything else.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import numpy as np

from ..bilingual import Text
from ..text.limits import cap_text, is_capped
from .prediction import Prediction, RunError, check_texts
from .teacher import ngram_classifier

MODEL_FILE = "ngram.skops"
LABELS_FILE = "labels.json"


def fit(texts: list[str], labels: list[int]):
    return ngram_classifier().fit([cap_text(text) for text in texts], labels)


def save(model, label_names: list[str], folder: Path) -> None:
    _skops_without_torch().dump(model, folder / MODEL_FILE)
    (folder / LABELS_FILE).write_text(json.dumps({"labels": list(label_names)}, ensure_ascii=False), encoding="utf-8")


def _skops_without_torch():
    """skops.io, imported here, not at the top: 0.6 s of every trainer's and app's start-up, for n-gram runs only.

    Importing it walks every scikit-learn module for the types it trusts, and one of them
    (sklearn.externals.array_api_compat.torch, which holds no estimator) imports torch: 2 s and 100 MB an n-gram
    trainer has no use for. In a process that has not imported torch and runs no other thread (the trainer),
    torch reads as absent for that walk, which passes over a package it can't import."""
    if "torch" in sys.modules or "skops.io" in sys.modules or threading.active_count() > 1:
        import skops.io

        return skops.io
    sys.modules["torch"] = None  # `import torch` raises ImportError until it is removed again
    try:
        import skops.io
    finally:
        del sys.modules["torch"]
    return skops.io


def is_ngram_run(run_dir: Path) -> bool:
    return (Path(run_dir) / MODEL_FILE).is_file()


def class_probabilities(model, texts: list[str], num_labels: int) -> np.ndarray:
    """One column per label id, in order, also for a label the model never saw in training (zeros)."""
    seen = model.predict_proba([cap_text(text) for text in texts])
    result = np.zeros((len(texts), num_labels))
    result[:, model.classes_] = seen
    return result


class NgramClassifier:
    """A saved baseline, with the same `predict` as `Classifier`."""

    max_length = None  # it reads characters, not tokens
    fast = False

    def __init__(self, run_dir: str | Path):
        import skops.io  # as in `save`

        run_dir = Path(run_dir)
        try:
            self.model = skops.io.load(run_dir / MODEL_FILE)
        except Exception as error:  # skops refuses untrusted types; a damaged file fails in many ways
            raise RunError(
                Text(
                    f"{run_dir.name} holds an n-gram model that can't be loaded safely.",
                    f"{run_dir.name} の n-gram モデルは安全に読み込めません。学習し直してください。",
                )
            ) from error
        self.label_names = json.loads((run_dir / LABELS_FILE).read_text(encoding="utf-8"))["labels"]

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return class_probabilities(self.model, texts, len(self.label_names))

    def predict(self, texts: list[str] | str) -> list[Prediction]:
        texts = [texts] if isinstance(texts, str) else list(texts)
        check_texts(texts)
        probabilities = self.probabilities(texts)
        return [
            Prediction(
                text=text,
                label=self.label_names[int(np.argmax(row))],
                probabilities={name: float(p) for name, p in zip(self.label_names, row, strict=True)},
                truncated=is_capped(text),
            )
            for text, row in zip(texts, probabilities, strict=True)
        ]
