"""A run's inputs: the training and validation splits cut to size, the n-gram teacher's probabilities, the
starter's vocabulary, and both splits tokenized (MeCab + WordPiece, no padding: the collator pads per batch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..corpus.loading import SentimentData, load_dataset
from ..models.teacher import TEACHER_COLUMN, out_of_fold_probabilities
from ..text.tokenization import build_starter_tokenizer
from .config import TrainConfig


@dataclass
class Inputs:
    tokenizer: object
    train_set: object  # a datasets.Dataset: text, label, input_ids, attention_mask, length (and the teacher's)
    eval_set: object  # likewise, sorted by length so evaluation batches pad little
    notices: list[str]


def splits(config: TrainConfig) -> tuple[SentimentData, object, object]:
    """The run's dataset and its training and validation splits, cut to `train_examples` / `eval_examples`."""
    data = load_dataset(config.dataset, config.dataset_config)
    return data, subsample(data["train"], config.train_examples, config.seed), subsample(
        data["validation"], config.eval_examples, config.seed
    )


def subsample(split, count: int | None, seed: int):
    if count is None or count >= len(split):
        return split
    return split.shuffle(seed=seed).select(range(count))


def build_inputs(config: TrainConfig, data: SentimentData, train_split, eval_split, tokenizer, max_length: int):
    train_split, teaching = with_teacher(train_split, data.label_names, config)
    train_set = tokenize_split(train_split, tokenizer, max_length)
    eval_set = tokenize_split(eval_split, tokenizer, max_length).sort("length")
    return Inputs(tokenizer, train_set, eval_set, [*data.notices, *teaching])


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


def starter_tokenizer(config: TrainConfig, train_texts: list[str]):
    return build_starter_tokenizer(train_texts, config.starter_vocab_size, config.max_length)
