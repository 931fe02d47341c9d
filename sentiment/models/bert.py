"""Models: a pretrained checkpoint with a fresh classification head, or the offline starter.

Labels are set when the model is created (`id2label` / `label2id` from the dataset's ClassLabel),
so every saved run reloads with names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # transformers' models import torch: an n-gram run never needs them
    from transformers import BertForSequenceClassification

STARTER = "starter"
BERT_BASE_WORK = 12 * 768**2  # layers × hidden²: what a token costs BERT-base, the unit of the servers' work bounds


def label_maps(label_names: list[str]) -> dict:
    return {
        "num_labels": len(label_names),
        "id2label": dict(enumerate(label_names)),
        "label2id": {name: index for index, name in enumerate(label_names)},
    }


def load_model(spec: str, label_names: list[str]):
    """A pretrained model (Hub id or local folder) with a classification head for `label_names`."""
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(spec, **label_maps(label_names))


def positions(spec: str) -> int:
    """How many tokens a pretrained model (Hub id or local folder) reads at most: its position table."""
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(spec).max_position_embeddings


def build_starter_model(
    tokenizer, label_names: list[str], layers: int = 4, hidden: int = 256, max_length: int = 512, seed: int = 42
) -> BertForSequenceClassification:
    """A small BERT, randomly initialised, over the starter tokenizer's vocabulary."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 64,
        intermediate_size=hidden * 4,
        max_position_embeddings=max_length,
        pad_token_id=tokenizer.pad_token_id,
        **label_maps(label_names),
    )
    return BertForSequenceClassification(config)


def starting_model(settings: dict, tokenizer, label_names: list[str]):
    """The model a run started from, rebuilt from its train_config.json: the starter's initialisation is
    seeded, so it comes out as it was; a pretrained model loads again by its id or folder."""
    if settings["model"] == STARTER:
        return build_starter_model(
            tokenizer,
            label_names,
            settings["starter_layers"],
            settings["starter_hidden"],
            settings["max_length"],
            settings["seed"],
        )
    return load_model(settings["model"], label_names)


def work_per_token(config) -> float:
    """What one token costs a model of this shape, in BERT-base tokens (layers × hidden², the bulk of its work)."""
    return config.num_hidden_layers * config.hidden_size**2 / BERT_BASE_WORK
