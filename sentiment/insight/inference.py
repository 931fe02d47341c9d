"""Classify texts with a trained run: a label and the probability of each class per text.

On a CPU the fast path is dynamic int8 quantisation of the linear layers (most of BERT's work).
Training measures how often it agrees with full precision on the run's validation split and
records that in metrics.json; a run is served in int8 only where the agreement is at least
`FAST_PATH_AGREEMENT`.
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from ..models.baseline import NgramClassifier, is_ngram_run
from ..models.prediction import Prediction, RunError, check_texts
from ..text.limits import is_capped
from ..text.tokenization import STARTER_MAX_LENGTH, encode

FAST_PATH_AGREEMENT = 0.99
AGREEMENT_KEY = "int8_agreement"


class Classifier:
    """A trained run loaded once (safetensors only, no remote code) and kept for many predictions."""

    def __init__(self, run_dir: str | Path, device: str | None = None, batch_size: int = 32, fast: bool | None = None):
        run_dir = Path(run_dir)
        if not (run_dir / "config.json").is_file():
            raise RunError(f"{run_dir.name} is not a trained model folder (it has no config.json).")
        self.run_dir = run_dir
        self.lock = threading.Lock()  # held by work that hooks the model (attribution) and work beside it
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(run_dir)
        self.model = AutoModelForSequenceClassification.from_pretrained(run_dir, use_safetensors=True)
        self.model.to(self.device).eval()
        if fast is None:
            fast = self.device == "cpu" and recorded_agreement(run_dir) >= FAST_PATH_AGREEMENT
        self.fast = fast
        if fast:
            self.model = quantize_int8(self.model)
        config = self.model.config
        self.label_names = [config.id2label[i] for i in range(config.num_labels)]
        self.max_length = min(self.tokenizer.model_max_length, config.max_position_embeddings, STARTER_MAX_LENGTH)

    def predict(self, texts: list[str] | str) -> list[Prediction]:
        texts = [texts] if isinstance(texts, str) else list(texts)
        check_texts(texts)
        # Sorted by length so each batch pads to a similar length; answers come back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        results: dict[int, Prediction] = {}
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for index, prediction in zip(batch, self._predict_batch([texts[i] for i in batch]), strict=True):
                results[index] = prediction
        return [results[i] for i in range(len(texts))]

    def encode(self, texts: list[str]):
        """Padded tensors for `texts`, and which of them were cut (at the maximum length, or first at
        MAX_TEXT_CHARS characters)."""
        encoded, lengths = encode(self.tokenizer, texts, self.max_length)
        cut = [length > self.max_length or is_capped(text) for text, length in zip(texts, lengths, strict=True)]
        return self.tokenizer.pad(encoded, return_tensors="pt"), cut

    @torch.inference_mode()
    def _predict_batch(self, texts: list[str]) -> list[Prediction]:
        encoded, truncated = self.encode(texts)
        logits = self.model(**encoded.to(self.device)).logits.float()
        probabilities = torch.softmax(logits, dim=-1).cpu().tolist()
        return [
            Prediction(
                text=text,
                label=self.label_names[max(range(len(row)), key=row.__getitem__)],
                probabilities={name: float(p) for name, p in zip(self.label_names, row, strict=True)},
                truncated=cut,
            )
            for text, row, cut in zip(texts, probabilities, truncated, strict=True)
        ]


def load_classifier(run_dir: str | Path):
    """The classifier a run folder holds: a BERT model, or the n-gram baseline (baseline.py)."""
    return NgramClassifier(run_dir) if is_ngram_run(run_dir) else Classifier(run_dir)


def quantize_int8(model):
    """Dynamic int8 quantisation of every linear layer (CPU only): weights stored as int8,
    activations quantised on the fly."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization announces its move to torchao
        return quantize_dynamic(model.cpu(), {torch.nn.Linear}, dtype=torch.qint8)


def recorded_agreement(run_dir: Path) -> float:
    metrics = Path(run_dir) / "metrics.json"
    if not metrics.is_file():
        return 0.0
    return json.loads(metrics.read_text(encoding="utf-8")).get(AGREEMENT_KEY, 0.0)


def int8_agreement(run_dir: Path, texts: list[str], labels: list[str]) -> float:
    """The share of `texts` on which the int8 model predicts `labels` (the full-precision answers)."""
    fast = Classifier(run_dir, device="cpu", fast=True)
    predicted = [prediction.label for prediction in fast.predict(texts)]
    return sum(a == b for a, b in zip(predicted, labels, strict=True)) / len(labels)
