"""Head-only feature extraction: reviews per second in fp32, bf16 autocast and int8, through the project's own
`sentiment.models.head.features()` on the BERT-base shape (random weights: a pretrained model costs the same).

The reviews are the shared ones, tokenised (MeCab + WordPiece, inside `features()`, as a head run does) by a
starter tokenizer learned from all 3,000 of them. Each variant runs once untimed on one batch (warm-up), then
the variants alternate (fp32, bf16, int8, fp32, bf16, int8, …) so that a change in the machine's load falls
on all of them alike; the figure is each variant's median over the repeats.

    python bench/feature_speed.py                              # 384 reviews, 3 repeats: a few minutes on 2 cores
    python bench/feature_speed.py --reviews 3000 --repeats 1 --accuracy
        # all shared reviews, one pass each, and the fitted head's accuracy in fp32 and bf16 (2,400 / 600)
    python bench/feature_speed.py --tiny                       # a tiny model on a few reviews: seconds (tests)

The last line printed is one JSON object with every figure and the bf16/fp32 ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
from common import SPLIT_SEED, bert_classifier, machine, reviews

VARIANTS = ("fp32", "bf16", "int8")
VOCAB_SIZE = 30_000  # asked of the WordPiece trainer; 3,000 reviews give about 17,500 pieces
MAX_LENGTH = 512  # BERT's positions: what a head run on the BERT-base shape uses


def load_model(variant: str, model):
    """The model a variant runs: fp32 and bf16 (autocast inside features()) share it; int8 is a quantised copy."""
    if variant != "int8":
        return model
    from sentiment.insight.inference import quantize_int8

    return quantize_int8(model)


def padding(tokenizer, texts: list[str], max_length: int) -> dict:
    """Real tokens, padded positions and tokenising time of `texts` in features()'s batches (sorted by length)."""
    from sentiment.models.head import BATCH_SIZE
    from sentiment.text.tokenization import encode

    started = time.perf_counter()
    encoded, _ = encode(tokenizer, texts, max_length)
    seconds = time.perf_counter() - started
    lengths = sorted(len(ids) for ids in encoded["input_ids"])
    batches = [lengths[start : start + BATCH_SIZE] for start in range(0, len(lengths), BATCH_SIZE)]
    positions = sum(len(batch) * max(batch) for batch in batches)
    return {
        "tokenising_seconds": round(seconds, 2),
        "real_tokens": sum(lengths),
        "mean_tokens": round(sum(lengths) / len(lengths), 1),
        "padded_positions": positions,
        "padding_share": round(1 - sum(lengths) / positions, 3),
        "batches": len(batches),
        "batch_size": BATCH_SIZE,
    }


def accuracy(values: dict[str, np.ndarray], labels: np.ndarray, seeds: list[int]) -> dict:
    """For each seeded 80/20 split (stratified, as in every bench): a head fitted on each variant's features of
    the 80%, scored on the 20%; how often each variant's head predicts what the fp32 head predicts; and how
    often the fp32 head itself, given this variant's features, predicts what it predicts on fp32's."""
    from sklearn.model_selection import train_test_split

    from sentiment.models.head import fit_head, probabilities

    reference = values["fp32"]
    cosine = {
        variant: np.sum(features * reference, axis=1)
        / (np.linalg.norm(features, axis=1) * np.linalg.norm(reference, axis=1) + 1e-12)
        for variant, features in values.items()
    }
    result = {variant: {"accuracy": []} for variant in values}
    for seed in seeds:
        train, held_out = train_test_split(np.arange(len(labels)), test_size=0.2, random_state=seed, stratify=labels)
        heads = {
            variant: fit_head(features[train], labels[train].tolist(), seed) for variant, features in values.items()
        }
        predicted = {
            variant: probabilities(values[variant][held_out], *head).argmax(axis=1) for variant, head in heads.items()
        }
        for variant, features in values.items():
            result[variant]["accuracy"].append(round(float((predicted[variant] == labels[held_out]).mean()), 4))
            if variant == "fp32":
                continue
            same_head = probabilities(features[held_out], *heads["fp32"]).argmax(axis=1)
            scores = result[variant]
            scores.setdefault("change_points", []).append(
                round(100 * (scores["accuracy"][-1] - result["fp32"]["accuracy"][-1]), 2)
            )
            scores.setdefault("agreement_with_fp32_head", []).append(
                round(float((predicted[variant] == predicted["fp32"]).mean()), 4)
            )
            scores.setdefault("fp32_head_agreement", []).append(
                round(float((same_head == predicted["fp32"]).mean()), 4)
            )
    for variant, scores in result.items():
        if variant != "fp32":
            scores["mean_change_points"] = round(float(np.mean(scores["change_points"])), 2)
            scores["feature_cosine_to_fp32_min"] = round(float(cosine[variant].min()), 5)
    return {"train_reviews": len(train), "held_out_reviews": len(held_out), "split_seeds": seeds, **result}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=384, help="how many shared reviews (all: 3000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes of each variant, alternating")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--layers", type=int, default=12, help="transformer layers (BERT-base: 12)")
    parser.add_argument("--hidden", type=int, default=768, help="hidden size (BERT-base: 768)")
    parser.add_argument("--accuracy", action="store_true", help="also fit a head on each variant's features")
    parser.add_argument(
        "--split-seeds",
        type=int,
        nargs="+",
        default=[SPLIT_SEED],
        help="80/20 splits for --accuracy (42: every bench's; a --model run trained on another split's 80%% "
        "has seen part of these 20%%)",
    )
    parser.add_argument(
        "--model", help="a run folder (model and tokenizer) instead of the random BERT-base shape: a learned encoder"
    )
    parser.add_argument("--tiny", action="store_true", help="1 layer x 64, 24 reviews, 1 repeat (tests)")
    options = parser.parse_args(argv)
    if options.tiny:
        options.layers, options.hidden, options.reviews, options.repeats = 1, 64, 24, 1

    import torch

    from sentiment.models.head import BATCH_SIZE, features
    from sentiment.models.precision import cpu_has_bf16
    from sentiment.text.tokenization import build_starter_tokenizer

    everything = reviews()
    table = everything if options.reviews >= len(everything) else reviews(options.reviews)
    texts = list(table["text"])
    _, labels = np.unique(table["label"].to_numpy(), return_inverse=True)  # names to class ids, as the head fits
    if options.model:
        from transformers import AutoModelForSequenceClassification

        from sentiment.text.tokenization import load_tokenizer

        tokenizer = load_tokenizer(options.model)
        base = AutoModelForSequenceClassification.from_pretrained(options.model)
        options.layers, options.hidden = base.config.num_hidden_layers, base.config.hidden_size
    else:
        vocabulary = 1_000 if options.tiny else VOCAB_SIZE
        tokenizer = build_starter_tokenizer(list(everything["text"]), vocab_size=vocabulary)
        base = bert_classifier(len(tokenizer), tokenizer.pad_token_id, options.layers, options.hidden)
    max_length = min(MAX_LENGTH, base.config.max_position_embeddings)  # a starter run has 128 positions
    models = {variant: load_model(variant, base) for variant in options.variants}
    shape = padding(tokenizer, texts, max_length)
    load_before = os.getloadavg()[0]  # the machine is shared: its load says how far to trust the figures

    for variant, model in models.items():  # warm-up: first-call costs (oneDNN kernels, allocator) not timed
        features(model, tokenizer, texts[:BATCH_SIZE], max_length, bf16=variant == "bf16")
    seconds, values = {variant: [] for variant in models}, {}
    for _ in range(options.repeats):
        for variant, model in models.items():
            started = time.perf_counter()
            values[variant] = features(model, tokenizer, texts, max_length, bf16=variant == "bf16")
            seconds[variant].append(round(time.perf_counter() - started, 2))

    medians = {variant: statistics.median(times) for variant, times in seconds.items()}
    rates = {variant: len(texts) / median for variant, median in medians.items()}
    result = {
        "benchmark": "feature_speed",
        "machine": machine(),
        "load_average_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        # What decides bf16's worth, recorded with the figures (the old 6.5x-slower figure recorded no flags).
        "cpu_bf16_instructions": cpu_has_bf16(),
        "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"),
        "shape": f"{options.layers} layers, hidden {options.hidden}, vocabulary {len(tokenizer)}",
        "model": options.model or "random weights",
        "reviews": len(texts),
        "repeats": options.repeats,
        "max_length": max_length,
        "torch_threads": torch.get_num_threads(),
        "batches": shape,
        "variants": {
            variant: {
                "median_seconds": round(medians[variant], 2),
                "reviews_per_second": round(rates[variant], 2),
                "seconds": seconds[variant],
            }
            for variant in models
        },
    }
    for variant in models:
        if variant != "fp32" and "fp32" in models:
            result[f"{variant}_over_fp32"] = round(rates[variant] / rates["fp32"], 2)
    if options.accuracy and "fp32" in values:
        result["accuracy"] = accuracy(values, labels, options.split_seeds)

    print(f"{len(texts)} reviews, {result['shape']}, {options.repeats} repeat(s), {torch.get_num_threads()} threads")
    print(f"{'variant':<8}{'median s':>10}{'reviews/s':>11}{'x fp32':>8}  every repeat (s)")
    for variant in models:
        ratio = rates[variant] / rates["fp32"] if "fp32" in rates else float("nan")
        print(f"{variant:<8}{medians[variant]:>10.2f}{rates[variant]:>11.2f}{ratio:>8.2f}  {seconds[variant]}")
    for variant, scores in result.get("accuracy", {}).items():
        if isinstance(scores, dict):
            print(f"head accuracy, {variant}: {scores}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
