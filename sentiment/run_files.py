"""A run is a folder: this module owns its layout, so every floor names the same files the same way.

`<runs>/<name>/` holds what one training run produced. It is written as `<name>.partial/` and counts as
finished only once it has `metrics.json`; nothing here imports torch, so listing runs stays cheap.
"""

from __future__ import annotations

import re
from pathlib import Path

# One rule for run names in the page, the API and the CLI: a plain folder name that is safe in a
# path, a URL and HTML alike. Letters include Japanese (\w is Unicode), and a name has at most
# RUN_NAME_BYTES bytes in UTF-8 (a kanji takes three), so it and its `.partial` fit a file name.
RUN_NAME = re.compile(r"[\w-][\w.-]{0,99}")
RUN_NAME_BYTES = 100
PARTIAL_SUFFIX = ".partial"  # a run being written (trainer.py)

METRICS_FILE = "metrics.json"  # the run's validation metrics; its presence marks the run finished
PREDICTIONS_FILE = "predictions.csv"
PROGRESS_FILE = "progress.jsonl"
CONFIG_FILE = "train_config.json"  # the run's settings (TrainConfig) and the dataset it read
DATA_MAP_FILE = "data_map.json"
CARD_FILE = "README.md"
EXAMPLES_KEY = "examples_trained"  # in metrics.json


def partial_dir(output: str | Path) -> Path:
    """Where a run is written until it is complete."""
    output = Path(output)
    return output.with_name(output.name + PARTIAL_SUFFIX)
