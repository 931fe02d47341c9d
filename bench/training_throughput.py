"""Training throughput: the source pipeline against ours, same BERT-base-shaped model, same reviews.

Source: every review padded at map time to the longest in the dataset (truncated at 512), batches
drawn at random. Ours (sentiment.training.trainer): no padding at map time, padding per batch in the
collator, batches grouped by length; bf16 autocast, fused AdamW and SDPA attention on a GPU. On a CPU,
ours also runs a second time with bf16 autocast (`--precision bf16`), fast where the CPU has bf16
instructions. All run through the real `Trainer`; a callback times each step after a warm-up step.

    python bench/training_throughput.py [--source-steps 3] [--our-steps 24] [--batch-size 16]

It also projects 2 epochs over the shared reviews (2 × 3,000) at each variant's rate.

Random weights are fine for timing: a pretrained model of the same shape runs at the same speed.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import datasets
import torch
from common import add_shape_options, bert_classifier, emit, machine, reviews, shape_name

SOURCE_JOB_EXAMPLES = 2 * 120_000  # the source: 2 epochs of the 120,000-review train split
SOURCE_JOB_SECONDS = 21_710  # on a P100 (11.05 examples/s)


class StepTimer:
    """Wall time of every optimiser step (on a GPU, synchronised so the time is the GPU's)."""

    def __init__(self):
        from transformers import TrainerCallback

        timer = self

        class Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                timer._sync()
                timer.started = time.perf_counter()

            def on_step_end(self, args, state, control, **kwargs):
                timer._sync()
                timer.seconds.append(time.perf_counter() - timer.started)

        self.callback, self.seconds = Callback(), []

    @staticmethod
    def _sync():
        if torch.cuda.is_available():
            torch.cuda.synchronize()


class CountingCollator:
    """Wraps a collator to count the real (unpadded) tokens and positions of every batch."""

    def __init__(self, inner):
        self.inner, self.real, self.positions = inner, [], []

    def __call__(self, features):
        batch = self.inner(features)
        self.real.append(int(batch["attention_mask"].sum()))
        self.positions.append(int(batch["attention_mask"].numel()))
        return batch


def run(name: str, train_set, collator, args, steps: int, model_factory) -> dict:
    from transformers import Trainer
    from transformers.trainer_callback import PrinterCallback

    timer, counting = StepTimer(), CountingCollator(collator)
    args = dataclasses.replace(args, max_steps=steps + 1)
    trainer = Trainer(
        model=model_factory(),
        args=args,
        train_dataset=train_set,
        data_collator=counting,
        callbacks=[timer.callback],
    )
    trainer.remove_callback(PrinterCallback)  # keep stdout for the JSON report
    trainer.train()
    # Step 1 warms up (allocations, kernel selection); the rest is steady state.
    seconds, real = timer.seconds[1:], counting.real[1 : len(timer.seconds)]
    positions = counting.positions[1 : len(timer.seconds)]
    total = sum(seconds)
    examples = args.per_device_train_batch_size * len(seconds)
    return {
        "variant": name,
        "steps_timed": len(seconds),
        "median_step_seconds": round(statistics.median(seconds), 3),
        "examples_per_second": round(examples / total, 2),
        "real_tokens_per_second": round(sum(real) / total, 1),
        "padding_share": round(1 - sum(real) / sum(positions), 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-steps", type=int, default=3)
    parser.add_argument("--our-steps", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=16)
    add_shape_options(parser)
    options = parser.parse_args(argv)
    datasets.disable_progress_bars()

    from transformers import DataCollatorWithPadding, default_data_collator

    from sentiment.text.tokenization import build_starter_tokenizer
    from sentiment.training.config import TrainConfig
    from sentiment.training.prepared import tokenize_split
    from sentiment.training.trainer import training_arguments

    table = reviews(options.rows)
    labels = {"positive": 0, "neutral": 1, "negative": 2}
    data = datasets.Dataset.from_dict(
        {"text": list(table["text"]), "label": [labels[x] for x in table["label"]], "source": list(table["source"])}
    )
    tokenizer = build_starter_tokenizer(data["text"], vocab_size=32000)

    def model_factory():
        return bert_classifier(len(tokenizer), tokenizer.pad_token_id, options.layers, options.hidden)

    ours_set = tokenize_split(data, tokenizer, 512)
    source_set = data.map(
        lambda b: tokenizer(b["text"], padding=True, truncation=True, max_length=512),
        batched=True,
        batch_size=None,
        remove_columns=["text", "source"],
    )
    with tempfile.TemporaryDirectory() as scratch:
        config = TrainConfig(
            model="bench",
            output=scratch,
            batch_size=options.batch_size,
            learning_rate=2e-5,
            epochs=1.0,
            max_length=512,
            warmup=0.0,
            logging_steps=10_000,
        ).resolved()
        ours_args = dataclasses.replace(training_arguments(config, Path(scratch)), eval_strategy="no")
        source_args = dataclasses.replace(
            ours_args, train_sampling_strategy="random", bf16=False, fp16=False, optim="adamw_torch"
        )
        source = run(
            "source: padded to longest, random batches, fp32",
            source_set,
            default_data_collator,
            source_args,
            options.source_steps,
            model_factory,
        )
        ours = run(
            "ours: dynamic padding, grouped by length" + (", bf16, fused AdamW" if ours_args.bf16 else ""),
            ours_set,
            DataCollatorWithPadding(tokenizer),
            ours_args,
            options.our_steps,
            model_factory,
        )
        ours_cpu_bf16 = None
        if not torch.cuda.is_available():
            ours_cpu_bf16 = run(
                "ours, bf16 autocast on the CPU",
                ours_set,
                DataCollatorWithPadding(tokenizer),
                dataclasses.replace(ours_args, bf16=True),
                options.our_steps,
                model_factory,
            )
    fastest = max(filter(None, [ours, ours_cpu_bf16]), key=lambda variant: variant["examples_per_second"])
    # What a run on the shared reviews at the source recipe costs here: 2 epochs over all of them, at each
    # variant's measured rate (the Train tab's estimate is the same division).
    shared_job = 2 * len(table)
    projection = {
        "examples": shared_job,
        **{
            variant["variant"]: round(shared_job / variant["examples_per_second"])
            for variant in filter(None, [source, ours, ours_cpu_bf16])
        },
    }
    job_seconds = SOURCE_JOB_EXAMPLES / fastest["examples_per_second"]
    emit(
        {
            "benchmark": "training_throughput",
            "machine": machine(),
            "model": shape_name(options) + ", vocabulary 32,000, random weights",
            "batch_size": options.batch_size,
            "source": source,
            "ours": ours,
            "examples_per_second_ratio": round(ours["examples_per_second"] / source["examples_per_second"], 2),
            **(
                {
                    "ours_cpu_bf16": ours_cpu_bf16,
                    "cpu_bf16_examples_per_second_ratio": round(
                        ours_cpu_bf16["examples_per_second"] / source["examples_per_second"], 2
                    ),
                }
                if ours_cpu_bf16
                else {}
            ),
            "projected_seconds_2_epochs_shared_reviews": projection,
            "source_job_2_epochs_120k": {
                "variant": fastest["variant"],
                "extrapolated_seconds": round(job_seconds),
                "source_p100_seconds": SOURCE_JOB_SECONDS,
                "speedup_vs_p100": round(SOURCE_JOB_SECONDS / job_seconds, 2),
            },
        }
    )


if __name__ == "__main__":
    main()
