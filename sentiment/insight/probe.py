"""From which layer can sentiment be read? A linear probe on each layer's hidden states.

For a sample of a split's reviews, each layer's `[CLS]` vector and mean-pooled vector (every real token's,
padding left out) are kept; a logistic regression fitted on one half of the reviews is scored on the other half,
and the other way round (two folds, stratified, seeded). Done for the run's encoder and for the model it started
from, it shows where training put the sentiment: a fully fine-tuned run's upper layers become readable, while
the start model's curve stays lower. A head-only run's encoder is its start model's, frozen, so there is one
curve, and its last `[CLS]` point is close to what the run's own head reaches.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from ..text.tokenization import encode

PROBE_REVIEWS = 200  # reviews of a split read at most (a seeded sample), for each encoder
PROBE_TOKENS = 128  # tokens read of each review
BATCH_SIZE = 32
FOLDS = 2


@dataclass(frozen=True)
class LayerProbe:
    # Accuracy of the probe on each layer, the embeddings first: keyed (encoder, pooling), encoder "before"
    # (the start model) or "after" (the run), pooling "cls" or "mean". A head-only run has "after" only.
    curves: dict[tuple[str, str], list[float]]
    reviews: int  # reviews probed
    of: int  # reviews in the split


@torch.inference_mode()
def layer_states(model, tokenizer, texts: list[str], bf16: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Each layer's `[CLS]` vectors and mean-pooled vectors of `texts`: two arrays of (layers + 1) × texts ×
    hidden, the embeddings first; batched by length, padded per batch."""
    encoded, _ = encode(tokenizer, texts, PROBE_TOKENS)
    order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
    config = model.config
    cls = np.zeros((config.num_hidden_layers + 1, len(texts), config.hidden_size), dtype=np.float32)
    mean = np.zeros_like(cls)
    device = next(model.parameters()).device
    model.eval()
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            batch = tokenizer.pad(
                {key: [values[i] for i in rows] for key, values in encoded.items()}, return_tensors="pt"
            )
            states = torch.stack(model.base_model(**batch.to(device), output_hidden_states=True).hidden_states).float()
            mask = batch["attention_mask"].to(states.dtype)[None, :, :, None]
            cls[:, rows] = states[:, :, 0].cpu().numpy()
            mean[:, rows] = ((states * mask).sum(dim=2) / mask.sum(dim=2)).cpu().numpy()
    return cls, mean


def probe_accuracies(states: np.ndarray, labels: list[int], seed: int = 0) -> list[float]:
    """For each layer's vectors (layers × texts × hidden), the accuracy of a logistic regression scored on the
    reviews it was not fitted on (FOLDS folds, stratified where every class has enough reviews)."""
    labels = np.asarray(labels)
    folds = FOLDS if np.bincount(labels).min(initial=len(labels)) >= FOLDS else None
    if folds is None or len(set(labels.tolist())) < 2:
        return [float("nan")] * len(states)
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(states[0], labels))
    accuracies = []
    for values in states:
        right = 0
        for fitted, scored in splits:
            scaler = StandardScaler().fit(values[fitted])
            regression = LogisticRegression(C=0.1, max_iter=1000, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a few hundred points in hundreds of dimensions may not converge
                regression.fit(scaler.transform(values[fitted]), labels[fitted])
            right += int((regression.predict(scaler.transform(values[scored])) == labels[scored]).sum())
        accuracies.append(right / len(labels))
    return accuracies


def probe(encoders: dict[str, tuple], texts: list[str], labels: list[int], of: int) -> LayerProbe:
    """The probe of each encoder (`name → (model, tokenizer, bf16)`) on `texts` with their `labels`."""
    curves = {}
    for name, (model, tokenizer, bf16) in encoders.items():
        cls, mean = layer_states(model, tokenizer, texts, bf16)
        curves[(name, "cls")] = probe_accuracies(cls, labels)
        curves[(name, "mean")] = probe_accuracies(mean, labels)
    return LayerProbe(curves, len(texts), of)
