""" "Why?" within a budget of model work: the CPU one explanation costs on a BERT-base-shaped run (random weights, a
pretrained model costs the same), one PyTorch thread as the app serves a request, for a real review of about 450
characters and a 10,000-character text of real reviews, under the public server's budget and unbounded (the local
server's), the two alternating; with the tokens the model really ran (a hook on its embedding layer) and the
memory the explanation added to the process.

    python bench/why_budget.py [--repeats 3] [--no-unbounded]

Then every figure as one JSON object.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import psutil
import torch
from common import add_shape_options, bert_classifier, emit, machine, reviews, shape_name

from sentiment.insight.attribution import integrated_gradients
from sentiment.text.limits import MAX_TEXT_CHARS, PUBLIC, UNBOUNDED
from sentiment.text.tokenization import build_starter_tokenizer


def peak_rss_during(work, *args) -> tuple[object, float]:
    """`work(*args)`'s result and how far above the resident memory before it the process rose meanwhile, in MB."""
    process, before = psutil.Process(), psutil.Process().memory_info().rss
    peak, done = [before], threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = work(*args)
    finally:
        done.set()
        sampler.join()
    return result, (max(peak[0], process.memory_info().rss) - before) / 2**20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="explanations of each text under each budget")
    parser.add_argument("--no-unbounded", action="store_true", help="skip the unbounded explanations (minutes)")
    add_shape_options(parser)
    options = parser.parse_args(argv)
    torch.set_num_threads(1)
    texts = list(reviews(options.rows)["text"])
    tokenizer = build_starter_tokenizer(texts, vocab_size=4000)
    model = bert_classifier(32_000, tokenizer.pad_token_id, options.layers, options.hidden).eval()
    passes = []
    model.base_model.embeddings.register_forward_hook(
        lambda module, args, output: passes.append(output.shape[:2].numel())
    )
    review = min((text for text in texts if len(text) >= 450), key=len, default=max(texts, key=len))
    joined = "".join(texts)
    cases = {"review": review, "10000_chars": (joined * (MAX_TEXT_CHARS // len(joined) + 1))[:MAX_TEXT_CHARS]}
    budgets = {"public": PUBLIC.why_budget, **({} if options.no_unbounded else {"unbounded": UNBOUNDED})}
    integrated_gradients(model, tokenizer, texts[0], "positive", 512, PUBLIC.why_budget)  # one-off set-up, untimed
    results = {}
    for case, text in cases.items():
        for name, budget in [*budgets.items()] * options.repeats:  # A B A B: a busy moment hits both
            passes.clear()
            cpu, wall = time.process_time(), time.perf_counter()
            answer, added_mb = peak_rss_during(integrated_gradients, model, tokenizer, text, "positive", 512, budget)
            entry = results.setdefault(f"{case} {name}", {"cpu_s": [], "wall_s": [], "added_mb": []})
            entry["cpu_s"].append(time.process_time() - cpu)
            entry["wall_s"].append(time.perf_counter() - wall)
            entry["added_mb"].append(added_mb)
            entry.update(steps=answer.steps, tokens=len(answer.tokens), cut=answer.cut, token_steps=sum(passes))
    report = {}
    for key, entry in results.items():
        report[key] = {
            "median_cpu_s": round(statistics.median(entry["cpu_s"]), 2),
            "median_wall_s": round(statistics.median(entry["wall_s"]), 2),
            "max_added_mb": round(max(entry["added_mb"])),
            "steps": entry["steps"],
            "tokens": entry["tokens"],
            "cut": entry["cut"],
            "token_steps": entry["token_steps"],
            "cpu_ms_per_token_step": round(1000 * statistics.median(entry["cpu_s"]) / entry["token_steps"], 2),
        }
        print(f"{key}: {report[key]}")
    emit(
        {
            "benchmark": "why_budget",
            "machine": machine(),
            "model": shape_name(options),
            "public_budget_token_steps": PUBLIC.why_budget,
            "review_chars": len(review),
            "explanations": report,
        }
    )


if __name__ == "__main__":
    main()
