"""How the app starts its helper processes (the trainer, a GPU window's preparation): with the package on the
path, library notices kept out of the log, and a lower priority than the page."""

from __future__ import annotations

import os
from pathlib import Path


def child_environment() -> dict[str, str]:
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    # Library deprecation notices are noise in a log meant for the person training.
    return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore::FutureWarning"}


def lower_priority() -> None:
    # On a small machine the page (tokenizer, classify) should win the CPU over training.
    os.nice(10)
