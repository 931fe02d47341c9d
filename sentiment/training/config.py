"""Training options as a dataclass: every field has a default and help text, so `train.py --help`,
the app's Train tab and a JSON file all describe the same thing.

Hyper-parameters left unset take the recipe for the kind of model: the source tutorial's for a
pretrained model, a CPU-friendly one for the small randomly initialised starter.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..bilingual import Text
from ..corpus.loading import DEFAULT_CONFIG, DEFAULT_SOURCE
from ..errors import UserError, quoted
from ..models.bert import STARTER
from ..models.precision import PRECISIONS
from ..run_files import PARTIAL_SUFFIX, RUN_NAME, RUN_NAME_BYTES, look_alike_scripts
from ..text.tokenization import SOURCE_MODEL

# The source tutorial: lr 2e-5, batch 16, 2 epochs, weight decay 0.01, inputs up to 512 tokens.
PRETRAINED_RECIPE = {
    "learning_rate": 2e-5,
    "batch_size": 16,
    "epochs": 2.0,
    "max_length": 512,
    "warmup": 0.0,
    "distill": 0.0,
}
# A small BERT learning from scratch wants a higher rate, warm-up, more passes, short inputs and a teacher
# (sentiment/models/teacher.py). Chosen by bench/starter_quality.py (docs/benchmarks.md): 1e-3 collapsed to one
# class; 3e-4 over 10 epochs did best; distilling the n-gram teacher added about five points.
STARTER_RECIPE = {
    "learning_rate": 3e-4,
    "batch_size": 32,
    "epochs": 10.0,
    "max_length": 128,
    "warmup": 0.1,
    "distill": 0.7,
}
# The source tutorial names two ways to build the classifier; the baseline gives both a yardstick.
METHODS = ("full", "head", "ngram")
WHOLE_NUMBERS = {"epochs", "max_steps", "batch_size", "max_length", "train_examples", "eval_examples", "seed"}
SETTING_NAMES = {  # as a Japanese sentence names a setting
    "epochs": "エポック数",
    "learning_rate": "学習率",
    "batch_size": "バッチサイズ",
    "max_length": "最大トークン長",
    "train_examples": "学習に使う例の数",
    "eval_examples": "評価に使う例の数",
}


def _help(text: str, **kwargs):
    return field(metadata={"help": text}, **kwargs)


@dataclass
class TrainConfig:
    dataset: str = _help(
        "Dataset: a Hub id, a local folder or file (CSV/TSV/JSONL/Parquet named by split), or 'sample'.",
        default=DEFAULT_SOURCE,
    )
    dataset_config: str = _help("The Hub dataset's configuration (language).", default=DEFAULT_CONFIG)
    model: str = _help(
        "Model: a Hub id, a local model folder, or 'starter' (small BERT built here).", default=SOURCE_MODEL
    )
    output: str | None = _help("Run folder to write; default runs/<date>-<model>.", default=None)
    method: str = _help(
        "full: fine-tune every layer (the source's method); head: freeze the encoder and fit only the "
        "classification head on its features (fast, the choice without a GPU); ngram: the character n-gram "
        "TF-IDF + logistic regression baseline (no BERT).",
        default="full",
    )
    epochs: float | None = _help("Passes over the training data (default: 2, starter 10).", default=None)
    max_steps: int = _help("Stop after this many optimiser steps (-1: run all epochs).", default=-1)
    step_limit: int | None = _help(
        "Stop at this many optimiser steps only if the epochs would take more (a public server's bound).",
        default=None,
    )
    learning_rate: float | None = _help("Peak learning rate (default: 2e-5, starter 3e-4).", default=None)
    batch_size: int | None = _help("Examples per step on each device (default: 16, starter 32).", default=None)
    max_length: int | None = _help("Truncate inputs to this many tokens (default: 512, starter 128).", default=None)
    warmup: float | None = _help(
        "Share of steps spent warming the learning rate up (default 0, starter 0.1).", default=None
    )
    distill: float | None = _help(
        "Weight of a character n-gram teacher's probabilities in the loss, from 0 (gold labels only) "
        "to 1 (default 0, starter 0.7).",
        default=None,
    )
    weight_decay: float = _help("AdamW weight decay (source recipe 0.01).", default=0.01)
    train_examples: int | None = _help(
        "Train on this many examples only (seeded sample); for quick CPU runs.", default=None
    )
    eval_examples: int | None = _help("Evaluate on this many validation examples only (seeded sample).", default=None)
    seed: int = _help("Random seed for sampling, initialisation and shuffling.", default=42)
    precision: str = _help(
        "auto (on a GPU bf16, or fp16 where bf16 is missing; on a CPU bf16 for head-only runs where the CPU has "
        "bf16 instructions (AVX512-BF16, AMX), fp32 otherwise and for full fine-tuning), fp32, bf16 or fp16 "
        "(GPU only).",
        default="auto",
    )
    group_by_length: bool = _help("Batch examples of similar length together (less padding).", default=True)
    starter_vocab_size: int = _help("Starter: WordPiece vocabulary size learned from the training texts.", default=8000)
    starter_layers: int = _help("Starter: transformer layers.", default=2)
    starter_hidden: int = _help("Starter: hidden size (heads = hidden / 64).", default=256)
    logging_steps: int = _help("Log loss and progress every this many steps.", default=10)

    def __post_init__(self):
        if self.method not in METHODS:
            raise UserError(
                Text(
                    f"method must be one of {', '.join(METHODS)}, not {quoted(self.method)}.",
                    f"学習方法（method）は {', '.join(METHODS)} のいずれかにしてください（{quoted(self.method)} は"
                    "使えません）。",
                )
            )
        if self.precision not in PRECISIONS:
            raise UserError(
                Text(
                    f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}.",
                    f"精度（precision）は {', '.join(PRECISIONS)} のいずれかにしてください（{self.precision!r} は"
                    "使えません）。",
                )
            )
        for name in ("epochs", "learning_rate", "batch_size", "max_length", "train_examples", "eval_examples"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise UserError(
                    Text(
                        f"{name} must be positive, not {value}.",
                        f"{SETTING_NAMES[name]}（{name}）は正の数にしてください（{value} は使えません）。",
                    )
                )
        if self.learning_rate is not None and self.learning_rate > 1:
            raise UserError(
                Text(
                    f"learning_rate is far too large at {self.learning_rate:g}: try 2e-5 to 1e-3.",
                    f"学習率（learning_rate）{self.learning_rate:g} は大きすぎます。2e-5 から 1e-3 の間で"
                    "試してください。",
                )
            )
        if self.warmup is not None and not 0 <= self.warmup < 1:
            raise UserError(
                Text(
                    f"warmup is a share of the steps, from 0 up to 1, not {self.warmup}.",
                    f"ウォームアップ（warmup）はステップ数に対する割合で、0 以上 1 未満です（{self.warmup} は"
                    "使えません）。",
                )
            )
        if self.distill is not None and not 0 <= self.distill <= 1:
            raise UserError(
                Text(
                    f"distill is a weight from 0 to 1, not {self.distill}.",
                    f"蒸留の重み（distill）は 0 から 1 の間です（{self.distill} は使えません）。",
                )
            )
        if self.starter_hidden % 64:
            raise UserError(
                Text(
                    f"starter_hidden must be a multiple of 64, not {self.starter_hidden}.",
                    f"スターターの隠れ層サイズ（starter_hidden）は 64 の倍数にしてください（{self.starter_hidden} は"
                    "使えません）。",
                )
            )
        if self.output is not None:
            check_run_name(Path(self.output).name)

    @property
    def is_starter(self) -> bool:
        return self.model == STARTER

    def resolved(self) -> TrainConfig:
        """A copy with every unset hyper-parameter filled from the recipe for this kind of model."""
        recipe = STARTER_RECIPE if self.is_starter else PRETRAINED_RECIPE
        filled = {name: value for name, value in recipe.items() if getattr(self, name) is None}
        if self.output is None:
            taken = Path("runs").joinpath  # the CLI's runs folder: the first free name there
            name = default_run_name(self.method, self.model, self.dataset, lambda n: taken(n).exists())
            filled["output"] = f"runs/{name}"
        return dataclasses.replace(self, **filled)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def default_run_name(method: str, model: str, dataset: str, taken: Callable[[str], bool] = lambda name: False) -> str:
    """`<method>-<model>-<dataset>` (the baseline has no model), then `-2`, `-3` … for the first name not taken."""
    parts = [method] if method == "ngram" else [method, _name_part(model)]
    base = "-".join([*parts, _name_part(dataset)])[:RUN_NAME_BYTES // 3 * 2]
    return next(name for n in range(1, 10_000) if not taken(name := base if n == 1 else f"{base}-{n}"))


def _name_part(spec: str) -> str:
    """The last part of a model or dataset spec, as run-name characters ('cl-tohoku/bert-base…' → 'bert-base…')."""
    return re.sub(r"[^\w.-]", "-", spec.rstrip("/").split("/")[-1]).lstrip(".") or "data"


def check_run_name(name: str) -> str:
    """`name` if it is a valid run name, else one sentence saying what a run name may be."""
    if not RUN_NAME.fullmatch(name or "") or name.endswith(PARTIAL_SUFFIX) or len(name.encode()) > RUN_NAME_BYTES:
        raise UserError(
            Text(
                f"{quoted(name)} can't be a run name: use up to 100 letters, digits, '-', '_' and '.' "
                f"(not first; up to 33 Japanese characters), not ending in {PARTIAL_SUFFIX}.",
                f"{quoted(name)} はモデル名に使えません。英字・数字・'-'・'_'・'.'（先頭以外）で 100 文字まで"
                f"（日本語なら 33 文字まで）にし、末尾を {PARTIAL_SUFFIX} にしないでください。",
            )
        )
    if len(look_alike_scripts(name)) > 1:
        raise UserError(
            Text(
                f"{quoted(name)} mixes Latin letters with Cyrillic or Greek ones, which look alike: write it in one "
                "script.",
                f"{quoted(name)} はラテン文字とキリル文字・ギリシャ文字（見分けにくい文字）が混ざっています。"
                "一つの文字体系で書いてください。",
            )
        )
    return name


def help_text(name: str) -> str:
    return next(f.metadata["help"] for f in dataclasses.fields(TrainConfig) if f.name == name)
