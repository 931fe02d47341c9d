"""The source's two methods side by side, through `train()` on the same data: full fine-tuning, the
head only (frozen encoder), and the character n-gram baseline.

(a) Quality and time on a seeded 80/20 split of the shared reviews, with the offline starter:
    full fine-tuning (its recipe), head only on the starter's random encoder, head only on the
    encoder of that full run (what the head gets from an encoder that has learned), the baseline.
(b) Cost with the BERT-base shape (random weights; the pretrained model costs the same): the head
    path in fp32 and bf16 (--precisions), again with its features cached, and full fine-tuning's
    measured rate extrapolated to the source's 2 epochs on the same training split.

    python bench/methods.py                 # everything (about 10 minutes on 2 cores in fp32; bf16 adds a few)
    python bench/methods.py --rows 90 --layers 1 --hidden 64 --full-steps 1 --starter-steps 2   # tiny (tests)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from common import add_shape_options, bert_run, emit, machine, reviews, shape_name, split_80_20, write_split_folder


def run(folder: Path, output: Path, **options) -> dict:
    """Train with `options` on the split in `folder`; wall time and the held-out scores."""
    from sentiment.training.config import TrainConfig
    from sentiment.training.trainer import train

    started = time.perf_counter()
    train(TrainConfig(dataset=str(folder), output=str(output), **options))
    seconds = time.perf_counter() - started
    metrics = json.loads((output / "metrics.json").read_text())
    settings = json.loads((output / "train_config.json").read_text())
    return {
        "accuracy": round(metrics["accuracy"], 4),
        "f1_weighted": round(metrics["f1_weighted"], 4),
        "wall_seconds": round(seconds, 1),
        "cached": any("came from the cache" in notice for notice in settings["notices"]),
    }


def full_rate(folder: Path, output: Path, model: str, steps: int, precision: str) -> float:
    """Examples per second of full fine-tuning (batch 16, the source's), from the Trainer's own summary."""
    from sentiment.run_files import PROGRESS_FILE
    from sentiment.training.config import TrainConfig
    from sentiment.training.trainer import train

    train(
        TrainConfig(
            dataset=str(folder),
            output=str(output),
            model=model,
            max_steps=steps,
            batch_size=16,
            eval_examples=16,
            precision=precision,
        )
    )
    records = [json.loads(line) for line in (output / PROGRESS_FILE).read_text().splitlines()]
    return next(record["train_samples_per_second"] for record in records if record["event"] == "summary")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_shape_options(parser)
    parser.add_argument("--full-steps", type=int, default=16, help="steps timed for full fine-tuning's rate")
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=["fp32", "bf16"],
        help="precisions for (b), side by side; bf16 pays only where the CPU has bf16 instructions (AVX512-BF16, "
        "AMX): see bench/feature_speed.py",
    )
    parser.add_argument("--starter-steps", type=int, default=-1, help="cap the starter's full run (tiny runs, tests)")
    options = parser.parse_args(argv)
    train, held_out = split_80_20(reviews(options.rows))
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        folder = write_split_folder(scratch / "data", train, held_out)
        starter = {
            "full": run(
                folder, scratch / "runs" / "full", model="starter", method="full", max_steps=options.starter_steps
            ),
            "head_random_encoder": run(folder, scratch / "runs" / "head", model="starter", method="head"),
            "head_on_the_full_runs_encoder": run(
                folder, scratch / "runs" / "head-on-full", model=str(scratch / "runs" / "full"), method="head"
            ),
            "ngram_baseline": run(folder, scratch / "runs" / "ngram", model="starter", method="ngram"),
        }
        base = str(bert_run(scratch / "bert", list(train["text"]), options.layers, options.hidden))
        cost = {}
        for precision in options.precisions:
            first = run(
                folder, scratch / "runs" / f"base-head-{precision}", model=base, method="head", precision=precision
            )
            again = run(
                folder,
                scratch / "runs" / f"base-head-{precision}-again",
                model=base,
                method="head",
                precision=precision,
            )
            rate = full_rate(folder, scratch / "runs" / f"base-full-{precision}", base, options.full_steps, precision)
            full_seconds = 2 * len(train) / rate
            cost[precision] = {
                "head_wall_seconds": first["wall_seconds"],
                "head_wall_seconds_features_cached": again["wall_seconds"],
                "full_examples_per_second": round(rate, 2),
                "full_2_epochs_seconds_extrapolated": round(full_seconds, 1),
                "full_over_head": round(full_seconds / first["wall_seconds"], 1),
            }
    emit(
        {
            "benchmark": "methods",
            "machine": machine(),
            "train_examples": len(train),
            "eval_examples": len(held_out),
            "starter_same_split": starter,
            "cost_shape": shape_name(options),
            "cost": cost,
        }
    )


if __name__ == "__main__":
    main()
