"""Recording the data map while a run fine-tunes (insight/data_map.py says what it shows).

The probabilities come from the training steps' own forward passes, as in the paper's code: each batch's
logits are already there, so recording costs one softmax and a copy of a few numbers per step, not an extra
pass over the data (which on a small dataset would cost a third of the run). Only a seeded sample of
MAP_REVIEWS training reviews is followed, so the file and the drawing stay small on a big dataset.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from transformers import TrainerCallback

from ..insight.data_map import save_data_map
from ..insight.maps import sample_rows

EXAMPLE_COLUMN = "example_id"  # each training review's row, carried through the batches
MAP_REVIEWS = 2000


class DataMapCallback(TrainerCallback):
    """Collects each followed review's gold-label probability per epoch (`observe`, called from the loss) and
    writes the data map to `path` when training ends (None: another rank's copy, which writes nothing)."""

    def __init__(self, path: Path | None, texts: list[str], labels: list[int], label_names: list[str]):
        self.path = path
        self.index = np.asarray(sample_rows(len(texts), MAP_REVIEWS))
        self.position = np.full(len(texts), -1)
        self.position[self.index] = np.arange(len(self.index))
        self.texts = [texts[i] for i in self.index]
        self.labels = [label_names[labels[i]] for i in self.index]
        self.probabilities: list[np.ndarray] = []
        self.correct: list[np.ndarray] = []
        self.seconds = 0.0
        self._start_epoch()

    def _start_epoch(self) -> None:
        self.epoch_probabilities = np.full(len(self.index), np.nan)
        self.epoch_correct = np.zeros(len(self.index), dtype=bool)

    def observe(self, example_ids: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> None:
        started = time.perf_counter()
        positions = self.position[example_ids.cpu().numpy()]
        followed = positions >= 0
        if followed.any():
            with torch.no_grad():
                probabilities = torch.softmax(logits.detach().float(), dim=-1)
                gold = probabilities.gather(1, labels.view(-1, 1)).squeeze(1).cpu().numpy()
                correct = (probabilities.argmax(dim=-1) == labels).cpu().numpy()
            self.epoch_probabilities[positions[followed]] = gold[followed]
            self.epoch_correct[positions[followed]] = correct[followed]
        self.seconds += time.perf_counter() - started

    def on_epoch_end(self, args, state, control, **kwargs):
        if not np.isnan(self.epoch_probabilities).all():  # a run cut at an epoch's start saw nothing of it
            self.probabilities.append(self.epoch_probabilities)
            self.correct.append(self.epoch_correct)
        self._start_epoch()

    def on_train_end(self, args, state, control, **kwargs):
        if self.path is None or not self.probabilities:
            return
        probabilities, correct = np.stack(self.probabilities), np.stack(self.correct)
        save_data_map(self.path, self.index, self.texts, self.labels, probabilities, correct, self.seconds)
