"""Data pipeline: tokenizing the shared reviews the source's way against ours.

Source: `map(batched=True, batch_size=None)` with `padding=True`, so every review is padded to the
longest in the dataset (truncated at 512). Ours: no padding at map time, batched, in parallel
processes; padding happens per batch in the collator, and batches group reviews of similar length.

    python bench/data_pipeline.py [--repeats 3] [--num-proc 2]
"""

from __future__ import annotations

import argparse

import datasets
import numpy as np
from common import emit, machine, median_seconds, reviews

BATCH = 16
MAX_LENGTH = 512


def positions_per_epoch(lengths: list[int], order: list[int], batch: int = BATCH) -> tuple[int, int]:
    """(real tokens, padding) in one epoch when batches are taken in `order` and padded to their longest."""
    lengths = np.asarray(lengths)
    real = padded = 0
    for start in range(0, len(order), batch):
        chunk = lengths[order[start : start + batch]]
        real += int(chunk.sum())
        padded += int(chunk.max() * len(chunk))
    return real, padded - real


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--num-proc", type=int, default=2)
    parser.add_argument("--rows", type=int, default=None, help="use only this many reviews (tiny runs, tests)")
    options = parser.parse_args(argv)
    datasets.disable_progress_bars()
    datasets.disable_caching()  # each repeat really tokenizes

    from transformers.trainer_pt_utils import LengthGroupedSampler

    from sentiment.text.tokenization import build_starter_tokenizer

    table = reviews(options.rows)
    tokenizer = build_starter_tokenizer(table["text"], vocab_size=32000)
    dataset = datasets.Dataset.from_pandas(table[["text"]])

    def source_way():
        return dataset.map(
            lambda b: tokenizer(b["text"], padding=True, truncation=True, max_length=MAX_LENGTH),
            batched=True,
            batch_size=None,
        )

    def our_way():
        return dataset.map(
            lambda b: tokenizer(b["text"], truncation=True, max_length=MAX_LENGTH),
            batched=True,
            batch_size=1000,
            num_proc=options.num_proc,
        )

    source_seconds, source_times = median_seconds(source_way, options.repeats)
    ours_seconds, ours_times = median_seconds(our_way, options.repeats)
    padded = source_way()
    lengths = [len(ids) for ids in our_way()["input_ids"]]
    width = len(padded[0]["input_ids"])
    rng = np.random.default_rng(0)
    random_order = list(rng.permutation(len(lengths)))
    grouped_order = list(LengthGroupedSampler(BATCH, lengths=lengths, generator=None))
    source_real = sum(lengths)
    result = {
        "benchmark": "data_pipeline",
        "machine": machine(),
        "reviews": len(lengths),
        "tokens_per_review": {
            "mean": round(float(np.mean(lengths)), 1),
            "median": int(np.median(lengths)),
            "max": int(max(lengths)),
        },
        "map_seconds": {
            "source_padding_true_batch_none": round(source_seconds, 2),
            f"ours_no_padding_num_proc_{options.num_proc}": round(ours_seconds, 2),
            "ratio": round(source_seconds / ours_seconds, 2),
            "all_runs": {"source": [round(t, 2) for t in source_times], "ours": [round(t, 2) for t in ours_times]},
        },
        "positions_per_epoch": {
            "source_padded_to_longest": {
                "width": width,
                "real": source_real,
                "padding": width * len(lengths) - source_real,
            },
            "ours_dynamic_random_batches": dict(
                zip(("real", "padding"), positions_per_epoch(lengths, random_order), strict=True)
            ),
            "ours_dynamic_grouped_by_length": dict(
                zip(("real", "padding"), positions_per_epoch(lengths, grouped_order), strict=True)
            ),
        },
    }
    for variant in result["positions_per_epoch"].values():
        variant["padding_share"] = round(variant["padding"] / (variant["real"] + variant["padding"]), 3)
    emit(result)


if __name__ == "__main__":
    main()
