"""What every benchmark shares: the machine it ran on, the real reviews, and a seeded 80/20 split."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED_REVIEWS = ROOT.parent / "shared" / "data" / "multilingual-sentiments-ja" / "validation.csv"
SPLIT_SEED = 42


def machine() -> dict:
    import torch

    from sentiment.models.precision import cpu_has_bf16

    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.processor())
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "bf16": cpu_has_bf16(),  # one CPU name covers models with and without bf16 instructions (AMD EPYC)
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "python": platform.python_version(),
        "torch": torch.__version__,
    }


def reviews(rows: int | None = None, path: Path = SHARED_REVIEWS) -> pd.DataFrame:
    """The real reviews (all, or a seeded sample of `rows` keeping the label balance)."""
    if not path.is_file():
        raise SystemExit(f"The shared reviews are not at {path}: run from a checkout with ../shared beside it.")
    table = pd.read_csv(path)
    if rows:
        table = table.groupby("label", group_keys=False).sample(rows // 3, random_state=0).reset_index(drop=True)
    return table


def split_80_20(table: pd.DataFrame, seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded split stratified by label: 80% to train on, 20% to evaluate on."""
    from sklearn.model_selection import train_test_split

    train, held_out = train_test_split(table, test_size=0.2, random_state=seed, stratify=table["label"])
    return train.reset_index(drop=True), held_out.reset_index(drop=True)


def write_split_folder(folder: Path, train: pd.DataFrame, held_out: pd.DataFrame) -> Path:
    """train.csv and validation.csv (the 20%); test.csv repeats validation so nothing is carved from train."""
    folder.mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    held_out.to_csv(folder / "validation.csv", index=False)
    held_out.to_csv(folder / "test.csv", index=False)
    return folder


def median_seconds(function, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def add_shape_options(parser) -> None:
    """Model shape and data size; the defaults are the BERT-base shape on all 3,000 reviews."""
    parser.add_argument("--layers", type=int, default=12, help="transformer layers (BERT-base: 12)")
    parser.add_argument("--hidden", type=int, default=768, help="hidden size (BERT-base: 768)")
    parser.add_argument("--rows", type=int, default=None, help="use only this many reviews (tiny runs, tests)")


def shape_name(options) -> str:
    base = options.layers == 12 and options.hidden == 768
    return "BERT-base shape: 12 layers, hidden 768" if base else f"{options.layers} layers, hidden {options.hidden}"


def bert_classifier(vocab_size: int, pad_token_id: int, layers: int = 12, hidden: int = 768):
    """A randomly initialised BERT classifier (three labels); its speed is the pretrained model's speed."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from sentiment.models.bert import label_maps

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=vocab_size,
        pad_token_id=pad_token_id,
        num_hidden_layers=layers,
        hidden_size=hidden,
        num_attention_heads=max(1, hidden // 64),
        intermediate_size=hidden * 4,
        **label_maps(["positive", "neutral", "negative"]),
    )
    return BertForSequenceClassification(config)


def bert_run(
    folder: Path, texts: list[str], layers: int = 12, hidden: int = 768, embeddings: int | None = None
) -> Path:
    """A model folder holding a random BERT classifier over a starter vocabulary of up to 32,000 pieces learned
    from `texts` (a MeCab + WordPiece BertJapaneseTokenizer, the source model's format), with `embeddings` rows
    in its embedding table (default: one per piece; 32,000 is the source model's vocabulary)."""
    from sentiment.text.tokenization import build_starter_tokenizer

    tokenizer = build_starter_tokenizer(texts, vocab_size=32000)
    vocab_size = max(embeddings or 0, len(tokenizer))
    bert_classifier(vocab_size, tokenizer.pad_token_id, layers, hidden).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def emit(result: dict) -> None:
    print(json.dumps(result, ensure_ascii=False, indent=2))
