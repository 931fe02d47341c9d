"""A stand-in for the trainer child a job starts (`python -m sentiment train CONFIG`), for the tests of a job's
bookkeeping (queue, stop, status, time limits, restarts), where what is trained is not the point.

It writes what the job reads, where the real trainer writes it: `<output>.partial/progress.jsonl` as it goes (a
"loaded" record, a "start", one "log" a step), the lines the log shows, then `metrics.json` and
`train_config.json`, and the folder put in place (run_files.publish). A SIGTERM ends it as it ends the real one:
its unfinished folder removed, exit status 143. It starts in a fraction of a second and imports no torch.

How long it trains: the config's max_steps (or its step_limit), else 4 steps an epoch (an n-gram run: 1 step),
STEP_SECONDS each. The real child stays covered by the tests whose point it is (test_training.py, test_methods.py,
the first runs, the browser's walk, test_app.py's methods side by side).

    python tests/stand_in_trainer.py train CONFIG.json     # the job's command line, its first word dropped
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from pathlib import Path

from sentiment.run_files import (
    CONFIG_FILE,
    METRICS_FILE,
    PROGRESS_FILE,
    ProgressRecord,
    partial_dir,
    publish,
    remove_unfinished,
)

STEP_SECONDS = 0.05
STEPS_PER_EPOCH = 4


def planned_steps(config: dict) -> int:
    if config.get("method") == "ngram":
        return 1
    limits = [value for value in (config.get("max_steps"), config.get("step_limit")) if value and value > 0]
    epochs = math.ceil(STEPS_PER_EPOCH * float(config.get("epochs") or 1))
    return min([epochs, *limits])


def record(progress: Path, event: str, **fields) -> None:
    line = ProgressRecord(event, time=time.time(), **fields).as_json()
    with progress.open("a", encoding="utf-8") as file:
        file.write(json.dumps(line) + "\n")


def main(config_file: str) -> int:
    config = json.loads(Path(config_file).read_text(encoding="utf-8"))
    output = Path(config["output"])
    partial = partial_dir(output)

    def stop(*_):
        remove_unfinished(output)
        sys.exit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    if output.exists() or partial.exists():
        print(f"error: {output.name} exists: choose another output folder.", flush=True)
        return 2
    partial.mkdir(parents=True)
    progress = partial / PROGRESS_FILE
    total = planned_steps(config)
    record(progress, "loaded", train_examples=249)
    record(progress, "start", step=0, total_steps=total, epochs=config.get("epochs"))
    for step in range(1, total + 1):
        time.sleep(STEP_SECONDS)
        record(progress, "log", step=step, total_steps=total, epoch=step / STEPS_PER_EPOCH, scores={"loss": 1 / step})
        print(f"step {step}/{total} | loss {1.0 / step:.4f}", flush=True)
    metrics = {"split": "validation", "examples": 30, "accuracy": 0.5, "f1_weighted": 0.5, "f1_macro": 0.5}
    (partial / CONFIG_FILE).write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    (partial / METRICS_FILE).write_text(json.dumps({**metrics, "train_seconds": total * STEP_SECONDS}))
    publish(partial, output)
    record(output / PROGRESS_FILE, "done", run_dir=str(output))
    print(f"saved {output}", flush=True)
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] != ["train"] or len(arguments) != 2:
        raise SystemExit("usage: stand_in_trainer.py train CONFIG.json")
    raise SystemExit(main(arguments[1]))
