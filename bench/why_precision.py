""""Why?" (Integrated Gradients) in fp32 against bf16 autocast: time per explanation and whether the two name
the same words. BERT-base shape, random weights (a pretrained model costs the same), one PyTorch thread as the
app serves a request, shared reviews of 40-120 characters; fp32 and bf16 alternate on each review.

    python bench/why_precision.py [--texts 6] [--repeats 2]

Then every figure as one JSON object.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from common import add_shape_options, bert_classifier, emit, machine, reviews, shape_name

from sentiment.insight.attribution import integrated_gradients
from sentiment.text.tokenization import build_starter_tokenizer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=6, help="reviews explained")
    parser.add_argument("--repeats", type=int, default=2, help="explanations of each review in each precision")
    add_shape_options(parser)
    options = parser.parse_args(argv)
    torch.set_num_threads(1)
    texts = list(reviews(options.rows)["text"])
    tokenizer = build_starter_tokenizer(texts, vocab_size=4000)
    model = bert_classifier(len(tokenizer), tokenizer.pad_token_id, options.layers, options.hidden).eval()
    chosen = [text for text in texts if 40 <= len(text) <= 120][: options.texts]
    for bf16 in (False, True):  # warm-up, untimed: the first call of each path pays one-off set-up
        integrated_gradients(model, tokenizer, chosen[0], "positive", 512, bf16=bf16)
    seconds = {"fp32": [], "bf16": []}
    same_top_word, correlations, deltas = 0, [], {"fp32": [], "bf16": []}
    for text in chosen:
        answers = {}
        for precision in ["fp32", "bf16"] * options.repeats:  # A B A B: a busy moment hits both
            started = time.perf_counter()
            answers[precision] = integrated_gradients(model, tokenizer, text, "positive", 512, bf16=precision == "bf16")
            seconds[precision].append(time.perf_counter() - started)
        full, half = (np.array(answers[name].word_scores) for name in ("fp32", "bf16"))
        same_top_word += int(np.argmax(np.abs(full)) == np.argmax(np.abs(half)))
        correlations.append(float(np.corrcoef(full, half)[0, 1]) if len(full) > 1 else 1.0)
        for name in deltas:
            deltas[name].append(abs(answers[name].delta))
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    for name, median in medians.items():
        print(f"{name}: median {median:.2f} s per explanation")
    print(f"bf16 is {medians['fp32'] / medians['bf16']:.2f}x fp32; same top word {same_top_word}/{len(chosen)}")
    emit(
        {
            "benchmark": "why_precision",
            "machine": machine(),
            "model": shape_name(options),
            "texts": len(chosen),
            "median_seconds": {name: round(median, 3) for name, median in medians.items()},
            "bf16_over_fp32": round(medians["fp32"] / medians["bf16"], 2),
            "same_top_word": same_top_word,
            "median_word_score_correlation": round(statistics.median(correlations), 4),
            "max_abs_delta": {name: round(max(values), 5) for name, values in deltas.items()},
        }
    )


if __name__ == "__main__":
    main()
