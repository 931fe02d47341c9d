"""Classify texts with a trained run: a label and the probability of each class per text.

On a CPU two faster precisions than fp32 are on offer: bf16 autocast, 2.9x fp32 on BERT-base where the CPU has
bf16 instructions (AVX512-BF16, AMX) and emulated (slower) elsewhere, and dynamic int8 quantisation of the linear
layers, 1.2-1.6x (docs/benchmarks.md §10). Training measures how often each agrees with the run's own answers on
its validation split and records that in metrics.json; the run is served in the fastest one this CPU has that
agrees on at least `FAST_PATH_AGREEMENT` of them, else in fp32. The choice is made where the run is served, so a
run folder moved to a CPU without bf16 falls back to int8 or fp32 by itself.
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from ..bilingual import Text
from ..models.baseline import NgramClassifier, is_ngram_run
from ..models.precision import cpu_has_bf16
from ..models.prediction import Prediction, RunError, check_texts
from ..text.limits import is_capped
from ..text.tokenization import STARTER_MAX_LENGTH, encode

FAST_PATH_AGREEMENT = 0.99
AGREEMENT_KEYS = {"bf16": "bf16_agreement", "int8": "int8_agreement"}  # in metrics.json


class Classifier:
    """A trained run loaded once (safetensors only, no remote code) and kept for many predictions."""

    def __init__(
        self, run_dir: str | Path, device: str | None = None, batch_size: int = 32, precision: str | None = None
    ):
        run_dir = Path(run_dir)
        if not (run_dir / "config.json").is_file():
            raise RunError(
                Text(
                    f"{run_dir.name} is not a trained model folder (it has no config.json).",
                    f"{run_dir.name} は学習済みモデルのフォルダーではありません（config.json がありません）。",
                )
            )
        self.run_dir = run_dir
        self.lock = threading.Lock()  # held by work that hooks the model (attribution) and work beside it
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(run_dir)
        self.model = AutoModelForSequenceClassification.from_pretrained(run_dir, use_safetensors=True)
        self.model.to(self.device).eval()
        if precision is None:
            precision = recorded_precision(run_dir) if self.device == "cpu" else "fp32"
        self.precision = precision  # fp32, bf16 (autocast) or int8 (CPU only)
        if precision == "int8":
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
        with torch.autocast(torch.device(self.device).type, torch.bfloat16, enabled=self.precision == "bf16"):
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


def serving_candidates() -> list[str]:
    """This CPU's faster precisions, fastest first (bf16 only where the CPU has it: emulated it is slower)."""
    return ["bf16", "int8"] if cpu_has_bf16() else ["int8"]


def recorded_precision(run_dir: Path) -> str:
    """The precision to serve the run in on this CPU: the fastest whose recorded agreement is high enough."""
    metrics = Path(run_dir) / "metrics.json"
    recorded = json.loads(metrics.read_text(encoding="utf-8")) if metrics.is_file() else {}
    agreeing = (p for p in serving_candidates() if recorded.get(AGREEMENT_KEYS[p], 0.0) >= FAST_PATH_AGREEMENT)
    return next(agreeing, "fp32")


def unquantised_precision(run_dir: Path) -> str:
    """The precision for what needs gradients or hidden states ("Why?", the maps), which int8 can't give:
    bf16 where the run is served in bf16 (on BERT-base "Why?" is 2.4x faster and names the same words,
    docs/benchmarks.md §11), else fp32."""
    return "bf16" if recorded_precision(run_dir) == "bf16" else "fp32"


def agreements(run_dir: Path, texts: list[str], labels: list[str]) -> dict[str, float]:
    """For each faster precision this CPU serves in (serving_candidates), the share of `texts` on which it
    predicts `labels` (the run's own answers), keyed as metrics.json records it. A CPU without bf16 instructions
    measures no bf16: it would only emulate it, many times slower than fp32 (for a BERT-base run's 600 validation
    reviews, minutes: docs/benchmarks.md §15), for a precision it never serves; a run it trained is served in
    int8 on any CPU, and one trained where bf16 was measured falls back to int8 on a CPU without it."""
    measured = {}
    for precision in serving_candidates():
        predicted = [p.label for p in Classifier(run_dir, device="cpu", precision=precision).predict(texts)]
        measured[AGREEMENT_KEYS[precision]] = sum(a == b for a, b in zip(predicted, labels, strict=True)) / len(labels)
    return measured
