"""What the Trainer is given for a BERT run (full fine-tuning): its subclass, which learns from the n-gram teacher
and feeds the data map, the metrics it reports at each evaluation, and the hooks that write its progress. (Only
a BERT run imports this module, and with it torch and the Trainer.)"""

from __future__ import annotations

import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from torch.utils.data import SequentialSampler
from transformers import Trainer, TrainerCallback

from ..models.teacher import TEACHER_COLUMN, distillation_loss
from ..run_files import ProgressRecord
from .cartography import EXAMPLE_COLUMN, DataMapCallback
from .progress import Progress


class SentimentTrainer(Trainer):
    """The Trainer, learning from the n-gram teacher too when the training set carries its probabilities, and
    handing each training batch's logits to the data map (cartography.py) when the set carries example ids."""

    def __init__(self, *args, distill: float = 0.0, data_map: DataMapCallback | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.distill = distill
        self.data_map = data_map

    def _set_signature_columns_if_needed(self):
        # The Trainer drops every column that model.forward does not take; keep the teacher's and the ids.
        super()._set_signature_columns_if_needed()
        self._signature_columns += [TEACHER_COLUMN, EXAMPLE_COLUMN]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        teacher_probs = inputs.pop(TEACHER_COLUMN, None)
        example_ids = inputs.pop(EXAMPLE_COLUMN, None)
        labels = inputs.get("labels")
        if teacher_probs is None:  # evaluation, or a run without a teacher
            loss, outputs = super().compute_loss(model, inputs, True, num_items_in_batch)
        else:
            inputs.pop("labels")
            outputs = model(**inputs)
            loss = distillation_loss(outputs.logits, labels, teacher_probs, self.distill)
        if example_ids is not None and self.data_map is not None:
            self.data_map.observe(example_ids, outputs.logits, labels)
        return (loss, outputs) if return_outputs else loss

    def _get_eval_sampler(self, eval_dataset):
        # The Trainer groups evaluation by length too when training does, which would shuffle the
        # predictions away from their texts; evaluation keeps its order.
        if self.args.world_size <= 1:
            return SequentialSampler(eval_dataset)
        return None


def trainer_metrics(eval_prediction) -> dict:
    predicted = np.argmax(eval_prediction.predictions, axis=-1)
    gold = eval_prediction.label_ids
    return {
        "accuracy": accuracy_score(gold, predicted),
        "f1_weighted": f1_score(gold, predicted, average="weighted"),
        "f1_macro": f1_score(gold, predicted, average="macro"),
    }


def _log_kind(logs: dict) -> str:
    if any(key.startswith("eval_") for key in logs):
        return "eval"
    return "summary" if "train_runtime" in logs else "log"


class ProgressCallback(TrainerCallback):
    """The Trainer's start and logs, written as records into the run's `progress`."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def on_train_begin(self, args, state, control, **kwargs):
        self.train_started = time.monotonic()
        self.progress.emit(ProgressRecord("start", step=0, total_steps=state.max_steps, epochs=args.num_train_epochs))

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        seconds = time.monotonic() - self.train_started
        per_step = seconds / state.global_step if state.global_step else 0.0
        numbers = {key: value for key, value in logs.items() if isinstance(value, int | float)}
        self.progress.emit(
            ProgressRecord(
                _log_kind(logs),
                step=state.global_step,
                total_steps=state.max_steps,
                epoch=numbers.pop("epoch", round(state.epoch or 0.0, 3)),  # the Trainer's own, when it logs one
                remaining=round(per_step * (state.max_steps - state.global_step), 1),
                examples_per_second=round(state.global_step * args.train_batch_size * args.world_size / seconds, 2)
                if seconds
                else 0.0,
                scores=numbers,
            )
        )
