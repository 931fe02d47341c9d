"""The lesson's runs as a user starts them: how long `train.py` takes for the starter and for the n-gram baseline
on the bundled sample, the runs the README and the Train tab talk about.

Each repeat runs `python train.py --dataset sample --model starter` (the default recipe: the run the Train tab
starts for a starter on the sample, and a fresh app's first run) and `python train.py --dataset sample --method
ngram`, alternated A B A B, each in a new process as a user's command is: the wall time includes importing
torch and transformers, building the vocabulary, fitting the teacher, training, evaluating and saving.
`train_seconds` is what the run recorded itself (metrics.json), which the Train tab's estimate paces from.

    python bench/lesson_run.py               # 3 repeats, medians reported
    python bench/lesson_run.py --repeats 1 --max_steps 2

The last lines printed are one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, emit, machine

RUNS = {
    "starter": ["--dataset", "sample", "--model", "starter"],
    "ngram": ["--dataset", "sample", "--method", "ngram"],
}


def one_run(flags: list[str], output: Path) -> dict:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "train.py", *flags, "--output", str(output)], cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    metrics = json.loads((output / "metrics.json").read_text(encoding="utf-8"))
    return {"wall_s": round(wall, 1), "train_s": round(metrics["train_seconds"], 1), "accuracy": metrics["accuracy"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max_steps", type=int, default=None, help="cut the starter's run (a quick check)")
    options = parser.parse_args(argv)
    starter = RUNS["starter"] + (["--max_steps", str(options.max_steps)] if options.max_steps else [])
    rounds = {"starter": [], "ngram": []}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(options.repeats):
            for name, flags in (("starter", starter), ("ngram", RUNS["ngram"])):
                rounds[name].append(one_run(flags, Path(folder) / f"{name}-{repeat}"))
    emit(
        {
            "benchmark": "lesson_run",
            "machine": machine(),
            "repeats": options.repeats,
            "max_steps": options.max_steps,
            **{
                name: {
                    "runs": runs,
                    "median_wall_s": statistics.median(run["wall_s"] for run in runs),
                    "median_train_s": statistics.median(run["train_s"] for run in runs),
                }
                for name, runs in rounds.items()
            },
        }
    )


if __name__ == "__main__":
    main()
