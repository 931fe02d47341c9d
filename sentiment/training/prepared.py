"""A run's inputs: the training and validation splits cut to size, the n-gram teacher's probabilities, the
starter's vocabulary, and both splits tokenized (MeCab + WordPiece, no padding: the collator pads per batch).

None of this needs a GPU, and on ZeroGPU a window bills the visitor's quota for every second it is open. So the
server prepares a run's inputs on the CPU before it opens the window (`prepare`, which window.py runs in a process
of its own) and the trainer inside the window reads them (`load_inputs`, `prepared_splits`); elsewhere the trainer
builds them itself (`build_inputs`).
Prepared inputs are kept under a hash of everything they depend on, so a run retried after a refusal (no GPU
free, quota) prepares nothing again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..corpus.loading import SentimentData, load_dataset, load_saved, save_loaded
from ..errors import UserError
from ..models.bert import positions
from ..models.teacher import TEACHER_COLUMN, out_of_fold_probabilities
from ..run_files import PARTIAL_SUFFIX, work_root
from ..storage import keep_newest
from ..text.tokenization import build_starter_tokenizer, load_tokenizer
from .config import TrainConfig

PREPARED_DIR = ".prepared"  # in the runs folder's work root (run_files.py)
PREPARED_KEPT = 3  # a retry or a second run on the same data prepares nothing; 110 MB each at 120,000 reviews (§15)
INPUTS_FILE = "inputs.json"
DATA_DIR = "data"  # the dataset as loaded: the run's report reads its validation split


@dataclass
class Inputs:
    tokenizer: object
    train_set: object  # a datasets.Dataset: text, label, input_ids, attention_mask, length (and the teacher's)
    eval_set: object  # likewise, sorted by length so evaluation batches pad little
    notices: list[str]
    test_set: object | None = None  # the test split the trainer answers at the end (held_out_test), likewise


def splits(config: TrainConfig) -> tuple[SentimentData, object, object]:
    """The run's dataset and its training and validation splits, cut to `train_examples` / `eval_examples`."""
    return cut(load_dataset(config.dataset, config.dataset_config), config)


def prepared_splits(folder: Path, config: TrainConfig) -> tuple[SentimentData, object, object]:
    """`splits`, from the dataset `prepare` kept: loading checks every row (10 s for 120,000 reviews), which a
    GPU window should not pay for."""
    return cut(load_saved(folder / DATA_DIR), config)


def cut(data: SentimentData, config: TrainConfig) -> tuple[SentimentData, object, object]:
    return (
        data,
        subsample(data["train"], config.train_examples, config.seed),
        subsample(data["validation"], config.eval_examples, config.seed),
    )


def held_out_test(data: SentimentData, config: TrainConfig):
    """The test split the trainer predicts at the end, so Evaluate can read the run's answers: bounded as the
    validation split is (`eval_examples`); None where the dataset has no test split."""
    return subsample(data["test"], config.eval_examples, config.seed) if "test" in data else None


def subsample(split, count: int | None, seed: int):
    if count is None or count >= len(split):
        return split
    return split.shuffle(seed=seed).select(range(count))


def build_inputs(
    config: TrainConfig, data: SentimentData, train_split, eval_split, tokenizer, max_length: int, test_split=None
):
    train_split, teaching = with_teacher(train_split, data.label_names, config)
    train_set = tokenize_split(train_split, tokenizer, max_length)
    eval_set = tokenize_split(eval_split, tokenizer, max_length).sort("length")
    test_set = None if test_split is None else tokenize_split(test_split, tokenizer, max_length).sort("length")
    return Inputs(tokenizer, train_set, eval_set, [*data.notices, *teaching], test_set)


def tokenize_split(split, tokenizer, max_length: int):
    """Token ids without padding (the collator pads per batch), plus each example's length."""

    def encode(batch):
        encoded = tokenizer(batch["text"], truncation=True, max_length=max_length)
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        return encoded

    return split.map(encode, batched=True, remove_columns=["source"], desc="Tokenizing")


def with_teacher(train_split, label_names: list[str], config: TrainConfig) -> tuple:
    """The training split with the n-gram teacher's out-of-fold probabilities, and a line saying so."""
    if not config.distill:
        return train_split, []
    labels = train_split["label"]
    probabilities = out_of_fold_probabilities(train_split["text"], labels, len(label_names), config.seed)
    if probabilities is None:
        return train_split, [
            "Too few training examples per label for the n-gram teacher: learning from the labels only."
        ]
    accuracy = float(np.mean(probabilities.argmax(axis=1) == np.asarray(labels)))
    notice = (
        f"Distilling a character n-gram teacher (weight {config.distill:g}; its out-of-fold accuracy on the "
        f"training split: {accuracy:.3f})."
    )
    return train_split.add_column(TEACHER_COLUMN, probabilities.astype(np.float32).tolist()), [notice]


def capped_length(config: TrainConfig, positions: int) -> int:
    """The run's max length, never past the model's position table (a folder from a starter run has 128)."""
    return min(config.max_length, positions)


def starter_tokenizer(config: TrainConfig, train_texts: list[str]):
    return build_starter_tokenizer(train_texts, config.starter_vocab_size, config.max_length)


def prepare(config: TrainConfig) -> Path:
    """Build the inputs of the full fine-tune `config` describes, on the CPU, and keep them; return their folder
    (one that exists already is reused)."""
    config = config.resolved()
    data, train_split, eval_split = splits(config)
    test_split = held_out_test(data, config)
    root = work_root(Path(config.output).parent) / PREPARED_DIR
    folder = root / _key(config, train_split, eval_split, test_split)
    if (folder / INPUTS_FILE).is_file():
        folder.touch()  # recently used: the quota removes the oldest first
        return folder
    if config.is_starter:
        tokenizer, max_length = starter_tokenizer(config, train_split["text"]), config.max_length
    else:
        tokenizer, max_length = load_tokenizer(config.model), capped_length(config, positions(config.model))
    inputs = build_inputs(config, data, train_split, eval_split, tokenizer, max_length, test_split)
    partial = folder.with_name(folder.name + PARTIAL_SUFFIX)
    shutil.rmtree(partial, ignore_errors=True)
    save_loaded(data, partial / DATA_DIR)
    tokenizer.save_pretrained(partial / "tokenizer")
    inputs.train_set.save_to_disk(partial / "train")
    inputs.eval_set.save_to_disk(partial / "validation")
    if inputs.test_set is not None:
        inputs.test_set.save_to_disk(partial / "test")
    (partial / INPUTS_FILE).write_text(json.dumps({"notices": inputs.notices}, ensure_ascii=False), encoding="utf-8")
    partial.rename(folder)  # a local disk (work_root): at once, so a stop mid-write leaves no half set
    keep_newest([path for path in root.iterdir() if not path.name.endswith(PARTIAL_SUFFIX)], PREPARED_KEPT)
    return folder


def load_inputs(folder: Path) -> Inputs:
    from datasets import load_from_disk

    notices = json.loads((folder / INPUTS_FILE).read_text(encoding="utf-8"))["notices"]
    tokenizer = load_tokenizer(str(folder / "tokenizer"))
    train, validation = load_from_disk(str(folder / "train")), load_from_disk(str(folder / "validation"))
    test = load_from_disk(str(folder / "test")) if (folder / "test").is_dir() else None
    return Inputs(tokenizer, train, validation, notices, test)


def _key(config: TrainConfig, train_split, eval_split, test_split) -> str:
    """A name for the inputs from all they depend on: the texts and labels, the tokenizer and the settings."""
    depends = {
        "model": config.model,
        "max_length": config.max_length,
        "distill": config.distill,
        "seed": config.seed,
        "vocab": config.starter_vocab_size if config.is_starter else None,
        "train": _texts_and_labels(train_split),
        "validation": _texts_and_labels(eval_split),
        "test": None if test_split is None else _texts_and_labels(test_split),
    }
    return hashlib.sha256(json.dumps(depends, ensure_ascii=False).encode()).hexdigest()[:24]


def _texts_and_labels(split) -> list[list]:
    # Through Arrow: a split's columns read row by row take 8 s for 120,000 reviews, this 0.1 s.
    table = split.select_columns(["text", "label"]).with_format("arrow")[:]
    return [table.column("text").to_pylist(), table.column("label").to_pylist()]


def main(argv: list[str]) -> int:
    """`python -m sentiment.training.prepared CONFIG_FILE`: `prepare` in a process of its own (window.py), so the
    server's threads keep the interpreter and a Stop can end it. Prints the folder; a sentence a person can act
    on goes to stderr, with exit status 2."""
    config = TrainConfig(**json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    try:
        print(prepare(config))
    except UserError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
