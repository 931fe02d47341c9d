"""Inference on CPU: single-review latency (tokenizer included) and bulk throughput for the
BERT-base shape, plain fp32 against the fast path (dynamic int8 quantisation), side by side.

    python bench/inference_latency.py [--reviews 200] [--bulk 600] [--run runs/NAME]

With --run, the label agreement of the two paths is also measured on a trained run over the held-out
20% of the shared reviews (the figure that decides whether a run is served in int8).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import add_shape_options, bert_run, emit, machine, reviews, shape_name, split_80_20


def latency(classifier, texts: list[str], warmup: int = 5) -> dict:
    for text in texts[:warmup]:
        classifier.predict([text])
    times = []
    for text in texts:
        started = time.perf_counter()
        classifier.predict([text])
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "p90_ms": round(float(np.percentile(times, 90)), 1)}


def bulk(classifier, texts: list[str]) -> float:
    started = time.perf_counter()
    classifier.predict(texts)
    return round(len(texts) / (time.perf_counter() - started), 1)


def agreement(plain, fast, texts: list[str]) -> float:
    a = [p.label for p in plain.predict(texts)]
    b = [p.label for p in fast.predict(texts)]
    return round(sum(x == y for x, y in zip(a, b, strict=True)) / len(a), 4)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=200, help="reviews timed one at a time")
    parser.add_argument("--bulk", type=int, default=600, help="reviews classified in one call")
    parser.add_argument("--run", default=None, help="a trained run for the agreement figure")
    add_shape_options(parser)
    options = parser.parse_args(argv)

    from sentiment.insight.inference import Classifier

    table = reviews(options.rows)
    _, held_out = split_80_20(table)
    single = list(held_out["text"].sample(min(options.reviews, len(held_out)), random_state=1))
    many = list(held_out["text"].iloc[: options.bulk])
    result = {
        "benchmark": "inference_latency",
        "machine": machine(),
        "model": shape_name(options) + ", random weights",
        "variants": {},
    }
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = bert_run(Path(scratch), list(table["text"]), options.layers, options.hidden)
        plain = Classifier(run_dir, device="cpu", precision="fp32")
        fast = Classifier(run_dir, device="cpu", precision="int8")
        for name, classifier in (("fp32 eager (plain)", plain), ("int8 dynamic quantisation (fast path)", fast)):
            result["variants"][name] = {
                **latency(classifier, single),
                "bulk_reviews_per_second": bulk(classifier, many),
            }
        one_thread = torch.get_num_threads()
        torch.set_num_threads(1)
        result["variants"]["int8, 1 thread"] = latency(fast, single[: max(1, len(single) // 3)])
        torch.set_num_threads(one_thread)
        result["agreement_random_weights"] = agreement(plain, fast, many)
    names = list(result["variants"])
    result["median_ratio_plain_over_fast"] = round(
        result["variants"][names[0]]["median_ms"] / result["variants"][names[1]]["median_ms"], 2
    )
    if options.run:
        trained_plain = Classifier(options.run, device="cpu", precision="fp32")
        trained_fast = Classifier(options.run, device="cpu", precision="int8")
        recorded = json.loads((Path(options.run) / "metrics.json").read_text()).get("int8_agreement")
        result["agreement_trained_run"] = {
            "run": options.run,
            "held_out_reviews": len(held_out),
            "agreement": agreement(trained_plain, trained_fast, list(held_out["text"])),
            "recorded_at_training": recorded,
        }
    emit(result)


if __name__ == "__main__":
    main()
