"""The first five minutes: how long a fresh app takes from `python app.py` to its first classification.

Each round starts `python app.py` on an empty runs folder (offline: the sample and the starter), so the
app trains its first runs in the background, and asks `/classify` about a Classify example every second
until an answer comes: the time from launch to that answer is the round's figure. It then lets the first
runs finish and reports their accuracy on the sample's test split (`/evaluate`).

    python bench/first_run.py              # 3 rounds, median reported
    python bench/first_run.py --rounds 1   # one round

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import machine
from harness import start_app

EXAMPLE = "このイヤホン、音がすごくクリアで買ってよかったです！"
FIRST_RUNS = ("ngram-sample", "full-starter-sample")


def one_round(timeout: float) -> dict:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder) / "runs"
        environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
        started = time.monotonic()
        url, server = start_app(runs, env=environment, timeout=timeout)
        try:
            served = time.monotonic() - started
            client = Client(url, verbose=False)
            first = None
            while first is None and time.monotonic() - started < timeout:
                names = [name for name in FIRST_RUNS if (runs / name / "metrics.json").is_file()]
                try:
                    if names:
                        client.predict(names[-1], EXAMPLE, api_name="/classify")
                        first = (time.monotonic() - started, names[-1])
                except AppError:
                    pass
                time.sleep(1)
            while not all((runs / name / "metrics.json").is_file() for name in FIRST_RUNS):
                if time.monotonic() - started > timeout:
                    raise SystemExit("the first runs did not finish in time")
                time.sleep(1)
            ready = time.monotonic() - started
            accuracy = {}
            for name in FIRST_RUNS:
                summary, *_ = client.predict(name, "test", "counts", api_name="/evaluate")
                accuracy[name] = float(summary.split("正解率 ")[1].split("*")[0])
            return {
                "served_s": round(served, 1),
                "first_classification_s": round(first[0], 1),
                "first_run": first[1],
                "both_ready_s": round(ready, 1),
                "test_accuracy": accuracy,
            }
        finally:
            server.terminate()
            server.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600, help="seconds a round may take")
    options = parser.parse_args(argv)
    rounds = [one_round(options.timeout) for _ in range(options.rounds)]
    for number, result in enumerate(rounds, start=1):
        print(f"round {number}: {result}")
    summary = {
        "machine": machine(),
        "rounds": rounds,
        "median_first_classification_s": statistics.median(r["first_classification_s"] for r in rounds),
        "median_both_ready_s": statistics.median(r["both_ready_s"] for r in rounds),
    }
    print(f"median time to the first classification: {summary['median_first_classification_s']} s")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
