"""Memory: peak resident memory of `python app.py` idle with a BERT-base-sized run loaded, its growth
over 1,000 classifications, and the peak of a starter training run on the shared reviews.

    python bench/memory.py [--classifications 1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from common import ROOT, SHARED_REVIEWS, add_shape_options, bert_run, emit, machine, reviews, shape_name
from harness import start_app


def as_finished_run(folder: Path) -> Path:
    """Give a model folder the files that make the app list it as a finished run."""
    confusion = {"labels": ["positive", "neutral", "negative"], "counts": [[0] * 3] * 3, "normalized": [[0.0] * 3] * 3}
    metrics = {
        "split": "validation",
        "examples": 0,
        "accuracy": 0.0,
        "f1_weighted": 0.0,
        "f1_macro": 0.0,
        "per_class": {},
        "confusion_matrix": confusion,
        "int8_agreement": 1.0,
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "train_config.json").write_text(json.dumps({"model": "bert-base-shape", "dataset": "sample"}))
    return folder


def megabytes(value: int) -> float:
    return round(value / 2**20, 1)


def app_memory(runs: Path, classifications: int, texts: list[str]) -> dict:
    from gradio_client import Client

    url, server = start_app(runs)
    try:
        process = psutil.Process(server.pid)
        started_rss = process.memory_info().rss
        client = Client(url, verbose=False)
        client.predict("bert-base", texts[0], api_name="/classify")  # loads the model
        time.sleep(2)
        loaded_rss = process.memory_info().rss
        after = {}
        for count in range(1, classifications + 1):
            client.predict("bert-base", texts[count % len(texts)], api_name="/classify")
            if count in (min(100, classifications), classifications):
                after[count] = process.memory_info().rss
        status = Path(f"/proc/{server.pid}/status").read_text()
        peak = int(status.split("VmHWM:")[1].split()[0]) * 1024
        return {
            "idle_before_loading_mb": megabytes(started_rss),
            "idle_with_bert_base_loaded_mb": megabytes(loaded_rss),
            "peak_mb": megabytes(peak),
            "after_100_classifications_mb": megabytes(after[min(100, classifications)]),
            f"after_{classifications}_classifications_mb": megabytes(after[classifications]),
            "growth_100_to_last_mb": megabytes(after[classifications] - after[min(100, classifications)]),
        }
    finally:
        server.terminate()
        server.wait(30)


def training_memory(scratch: Path, steps: int, rows: int | None) -> dict:
    """Peak memory of a starter run of `steps` steps on the shared reviews (`rows` of them, or all)."""
    started = time.perf_counter()
    subset = ["--train_examples", str(rows)] if rows else []
    subprocess.run(
        [
            sys.executable,
            "train.py",
            "--dataset",
            str(SHARED_REVIEWS.parent),
            "--model",
            "starter",
            "--output",
            str(scratch / "starter-run"),
            "--max_steps",
            str(steps),
            *subset,
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"peak_mb": megabytes(peak), "steps": steps, "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classifications", type=int, default=1000)
    parser.add_argument("--train-steps", type=int, default=60, help="steps of the starter training run")
    add_shape_options(parser)
    options = parser.parse_args(argv)
    table = reviews(options.rows)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        training = training_memory(scratch, options.train_steps, options.rows)
        runs = scratch / "runs"
        (runs / "bert-base").mkdir(parents=True)
        as_finished_run(bert_run(runs / "bert-base", list(table["text"]), options.layers, options.hidden))
        app = app_memory(runs, options.classifications, list(table["text"].iloc[:200]))
    emit(
        {
            "benchmark": "memory",
            "machine": machine(),
            "model": shape_name(options),
            "app": app,
            "starter_training": training,
        }
    )


if __name__ == "__main__":
    main()
