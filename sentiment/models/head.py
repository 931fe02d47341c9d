"""Head-only training: the source tutorial's first method, beside full fine-tuning.

The encoder stays frozen. Each review goes through it once, and its pooled output (the `[CLS]`
state through BERT's pooler: exactly what the classification layer reads) is kept as a feature
vector. A logistic regression fitted on those vectors is the head; its weights are copied into the
model's `classifier` layer, so the run is an ordinary model folder that Evaluate and Classify load
like any other. No gradient flows through the encoder, which is why this is the method to use
without a GPU.

Features are computed batched, sorted by length and padded per batch (no padding at map time),
in bf16 when the run asks for it, and cached on disk per model, tokenizer, texts and settings,
so the second head on the same data skips the encoder.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from ..run_files import ProgressRecord
from ..storage import keep_newest
from ..text.tokenization import encode

FEATURES_DIR = ".features"  # beside the runs, shared by every head run on the same model and data
FEATURES_KEPT = 20
BATCH_SIZE = 64


def features(
    model,
    tokenizer,
    texts: list[str],
    max_length: int,
    bf16: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """The encoder's pooled output for each text, one row per text, in input order."""
    encoded, _ = encode(tokenizer, texts, max_length)
    order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
    result = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            chosen = {key: [values[i] for i in rows] for key, values in encoded.items()}
            batch = tokenizer.pad(chosen, return_tensors="pt")
            output = model.base_model(**batch.to(device))
            result[rows] = output.pooler_output.float().cpu().numpy()
            if on_batch is not None:
                on_batch(len(rows))
    return result


def cached_features(folder: Path, key: dict, compute: Callable[[], np.ndarray]) -> tuple[np.ndarray, bool]:
    """`compute()`'s features, kept in `folder` under a hash of `key`; and whether they came from the cache."""
    name = hashlib.sha256(json.dumps(key, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:24]
    path = folder / f"{name}.npy"
    if path.is_file():
        path.touch()  # recently used: the quota removes the oldest first
        return np.load(path), True
    values = compute()
    folder.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npy")
    np.save(temporary, values)
    temporary.replace(path)  # a stop mid-write never leaves a truncated cache file
    keep_newest(list(folder.glob("*.npy")), FEATURES_KEPT)
    return values, False


def feature_key(model, tokenizer, texts: list[str], max_length: int, bf16: bool) -> dict:
    """What the features depend on: the weights, the vocabulary, the texts and the settings."""
    weights = hashlib.sha256()
    for name, tensor in sorted(model.base_model.state_dict().items()):
        weights.update(name.encode())
        weights.update(tensor.detach().cpu().float().numpy()[:64].tobytes())  # a fingerprint, not a full hash
    vocab = hashlib.sha256(json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False).encode())
    corpus = hashlib.sha256("\x00".join(texts).encode())
    return {
        "weights": weights.hexdigest(),
        "vocab": vocab.hexdigest(),
        "texts": corpus.hexdigest(),
        "max_length": max_length,
        "bf16": bf16,
    }


def fit_head(train_features: np.ndarray, labels: list[int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A logistic regression on standardised features, folded back to act on the raw features:
    the weight matrix and bias of the classification layer."""
    scaler = StandardScaler().fit(train_features)
    regression = LogisticRegression(max_iter=2000, random_state=seed).fit(scaler.transform(train_features), labels)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    weight = regression.coef_ / scale  # (W / σ) x + (b − W μ / σ) = W (x − μ) / σ + b
    bias = regression.intercept_ - weight @ scaler.mean_
    if weight.shape[0] == 1:  # two classes: scikit-learn keeps one row; the layer needs one per class
        weight, bias = np.vstack([-weight / 2, weight / 2]), np.array([-bias[0] / 2, bias[0] / 2])
    return weight.astype(np.float32), bias.astype(np.float32)


def set_head(model, weight: np.ndarray, bias: np.ndarray) -> None:
    with torch.no_grad():
        model.classifier.weight.copy_(torch.from_numpy(weight))
        model.classifier.bias.copy_(torch.from_numpy(bias))


def probabilities(values: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """What the classification layer with this head gives for these features."""
    return torch.softmax(torch.from_numpy(values @ weight.T + bias), dim=-1).numpy()


def train_head(
    model,
    tokenizer,
    splits: dict,
    max_length: int,
    bf16: bool,
    cache: Path,
    seed: int,
    emit: Callable[[ProgressRecord], None],
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Fit `model`'s classification head on its frozen encoder's features of `splits["train"]`; return the
    head's probabilities for each other split (validation, and test where given) and a notice for each split
    whose features were cached.

    `bf16` speeds up the training features only: the held-out splits are read in fp32, so the run records the
    saved model's own answers, the ones Evaluate reads and each serving precision is checked against."""
    progress = Progress(sum(len(split) for split in splits.values()), emit)
    values, notices = {}, []
    for name, split in splits.items():
        texts, half = split["text"], bf16 and name == "train"
        key = feature_key(model, tokenizer, texts, max_length, half)
        compute = partial(features, model, tokenizer, texts, max_length, half, progress.advance)
        values[name], cached = cached_features(cache, key, compute)
        if cached:
            progress.advance(len(texts))
            notices.append(f"The encoder's features of the {name} split came from the cache (same model and texts).")
    weight, bias = fit_head(values["train"], splits["train"]["label"], seed)
    set_head(model, weight, bias)
    held_out = {name: probabilities(value, weight, bias) for name, value in values.items() if name != "train"}
    return held_out, notices


class Progress:
    """Progress records while features are computed: examples done, per second, time left; about one a second."""

    def __init__(self, total: int, emit: Callable[[ProgressRecord], None]):
        self.total, self.emit, self.done = total, emit, 0
        self.started = self.last = time.monotonic()
        emit(ProgressRecord("start", step=0, total_steps=total, epochs=1))

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.last < 1.0 and self.done < self.total:
            return
        self.last, seconds = now, now - self.started
        rate = self.done / seconds if seconds else 0.0
        self.emit(
            ProgressRecord(
                "log",
                step=self.done,
                total_steps=self.total,
                epoch=round(self.done / self.total, 3),
                examples_per_second=round(rate, 2),
                remaining=round((self.total - self.done) / rate, 1) if rate else 0.0,
            )
        )
