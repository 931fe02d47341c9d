"""Inside BERT's cost: the CPU one text's layer view and one layer probe take on a BERT-base-shaped run (random
weights: a pretrained model costs the same), on one PyTorch thread as the app serves a request.

The layer view is timed on real reviews of 100-128 tokens (each a different text, as nothing is kept between
them here), served in fp32 and in int8 (the precision a CPU without bf16 serves a run in), the two alternating.
The probe reads PROBE_REVIEWS seeded real reviews: a head-only run's (one encoder) and a full run's (its encoder
and its start model), the two alternating.

    python bench/inside_bert.py [--repeats 3]

Then every figure as one JSON object.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from common import add_shape_options, bert_run, emit, machine, reviews, shape_name

from sentiment.insight.inference import Classifier
from sentiment.insight.layers import layer_view
from sentiment.insight.probe import PROBE_REVIEWS, probe
from sentiment.text.tokenization import encode

LAYER_TOKENS = (100, 128)


def cpu_seconds(work, *args) -> tuple[float, float]:
    """CPU seconds of this process and wall seconds that `work(*args)` took."""
    cpu, wall = time.process_time(), time.perf_counter()
    work(*args)
    return time.process_time() - cpu, time.perf_counter() - wall


def texts_of_length(tokenizer, texts: list[str], low: int, high: int) -> list[str]:
    """The reviews whose model input (special tokens included) is `low` to `high` tokens long."""
    _, lengths = encode(tokenizer, texts, 512)
    return [text for text, length in zip(texts, lengths, strict=True) if low <= length <= high]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timings of each variant")
    add_shape_options(parser)
    options = parser.parse_args(argv)
    torch.set_num_threads(1)
    table = reviews(options.rows)
    texts = list(table["text"])
    with tempfile.TemporaryDirectory() as folder:
        run = bert_run(Path(folder) / "bert", texts, options.layers, options.hidden, embeddings=32_000)
        served = {precision: Classifier(run, precision=precision) for precision in ("fp32", "int8")}
        long_texts = texts_of_length(served["fp32"].tokenizer, texts, *LAYER_TOKENS)
        layer_times = {precision: [] for precision in served}
        for repeat in range(options.repeats):
            for precision, classifier in served.items():  # alternated: fp32, int8, fp32, int8 …
                text = long_texts[repeat % len(long_texts)]
                layer_view(classifier, long_texts[-1 - repeat % len(long_texts)])  # warm, another text
                layer_times[precision].append(cpu_seconds(layer_view, classifier, text))
        sample = table.sample(min(PROBE_REVIEWS, len(table)), random_state=0)
        labels = [["positive", "neutral", "negative"].index(label) for label in sample["label"]]
        model, tokenizer = served["fp32"].model, served["fp32"].tokenizer
        start = Classifier(run, precision="fp32").model  # a full run's start model: a second encoder of its size
        after, before = (model, tokenizer, False), (start, tokenizer, False)
        variants = {
            "head-only run (one encoder)": {"after": after},
            "full run (encoder and start model)": {"after": after, "before": before},
        }
        probe_times = {name: [] for name in variants}
        for _ in range(options.repeats):
            for name, encoders in variants.items():
                probe_times[name].append(cpu_seconds(probe, encoders, list(sample["text"]), labels, len(table)))
    emit(
        {
            "benchmark": "inside_bert",
            "machine": machine(),
            "shape": shape_name(options),
            "layer_view_tokens": f"{LAYER_TOKENS[0]}-{LAYER_TOKENS[1]} (real reviews: {len(long_texts)})",
            "layer_view_cpu_s": {p: round(statistics.median(c for c, _ in t), 3) for p, t in layer_times.items()},
            "layer_view_runs": {p: [round(c, 3) for c, _ in t] for p, t in layer_times.items()},
            "probe_reviews": len(sample),
            "probe_cpu_s": {name: round(statistics.median(c for c, _ in t), 2) for name, t in probe_times.items()},
            "probe_wall_s": {name: round(statistics.median(w for _, w in t), 2) for name, t in probe_times.items()},
        }
    )


if __name__ == "__main__":
    main()
