"""Runs are folders: `<runs>/<name>/` holds everything a training run produced.

A run counts as finished when it has `metrics.json` (written last, before the rename from
`.partial`). Names chosen in the page resolve only inside the runs folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..bilingual import Text
from ..errors import UserError, quoted
from ..run_files import CARD_FILE, CONFIG_FILE, DATA_MAP_FILE, EXAMPLES_KEY, METRICS_FILE, PARTIAL_SUFFIX, RUN_NAME

NGRAM_MODEL = "character n-grams + logistic regression"


@dataclass
class RunInfo:
    name: str
    method: str  # full, head or ngram (config.METHODS)
    model: str
    dataset: str
    accuracy: float
    f1_weighted: float
    finished: datetime
    train_seconds: float | None  # absent in runs from before it was recorded
    examples_trained: int | None  # likewise
    has_data_map: bool = False  # full fine-tuning records one (cartography.py)
    has_card: bool = False  # runs from before model cards have none
    classes: int = 3  # how many labels its dataset has: what a guess gets right is one in this many
    settings: dict = field(default_factory=dict, repr=False)  # its train_config.json, read once with the run

    @property
    def source(self) -> str:
        """The dataset it was trained on, as its settings name it for loading (not as the page shows it)."""
        return self.settings.get("dataset", "?")

    @property
    def frozen_encoder(self) -> bool:
        """A head-only run: its encoder is the pretrained one, untouched (its two maps are the same)."""
        return self.method == "head"

    @property
    def reads_tokens(self) -> bool:
        """A BERT run: it has a tokenizer and hidden states, so "Why?", the maps and the Tokenizer tab can use it.
        The n-gram baseline reads characters and has neither."""
        return self.method != "ngram"

    @property
    def is_baseline(self) -> bool:
        """The n-gram baseline, the floor every other run of the same data is measured against."""
        return self.method == "ngram"

    def row(self) -> list:
        return [
            self.name,
            self.method,
            self.model,
            self.dataset,
            round(self.accuracy, 4),
            round(self.f1_weighted, 4),
            f"{self.finished:%Y-%m-%d %H:%M}",
        ]


RUN_COLUMNS = ["run", "method", "model", "dataset", "accuracy", "f1_weighted", "finished"]


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Finished runs, newest first."""
    return scan_runs(runs_dir)[0]


def scan_runs(runs_dir: Path) -> tuple[list[RunInfo], dict[str, int]]:
    """Finished runs, newest first, from one listing of the runs folder; and the folders that are no run yet (a copy
    into a bucket still arriving, a run being written) with their change times, whose change may make one."""
    runs, pending = [], {}
    try:
        entries = list(os.scandir(runs_dir))
    except (FileNotFoundError, NotADirectoryError):
        return runs, pending
    for entry in entries:
        if entry.name.startswith(".") or entry.name.endswith(PARTIAL_SUFFIX) or entry.is_symlink():
            continue
        if not entry.is_dir():
            continue
        folder = Path(entry.path)
        changed = entry.stat().st_mtime_ns  # before its metrics are looked for: an arrival after is a change
        try:
            metrics_file = folder / METRICS_FILE
            metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
            finished = metrics_file.stat().st_mtime
        except FileNotFoundError:
            pending[entry.name] = changed
            continue
        config_file = folder / CONFIG_FILE
        settings = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
        method = settings.get("method", "full")
        runs.append(
            RunInfo(
                name=folder.name,
                method=method,
                model=NGRAM_MODEL if method == "ngram" else settings.get("model", "?"),
                dataset=shown_source(settings.get("dataset", "?")),
                accuracy=metrics["accuracy"],
                f1_weighted=metrics["f1_weighted"],
                finished=datetime.fromtimestamp(finished),
                train_seconds=metrics.get("train_seconds"),
                examples_trained=metrics.get(EXAMPLES_KEY),
                has_data_map=(folder / DATA_MAP_FILE).is_file(),
                has_card=(folder / CARD_FILE).is_file(),
                classes=len(metrics.get("per_class", ())) or 3,
                settings=settings,
            )
        )
    return sorted(runs, key=lambda run: run.finished, reverse=True), pending


def shown_source(source: str) -> str:
    """A dataset as the page may show it: a local file or folder by its own name, never its server path."""
    return Path(source).name if Path(source).is_absolute() or source.startswith(".") else source


def resolve_run(runs_dir: Path, name: str) -> Path:
    """The folder of the finished run `name`, refusing anything that leads out of `runs_dir`."""
    if not name or not name.strip():
        raise UserError(
            Text(
                "No run is selected: train one in the Train tab first, or pick one from the list.",
                "モデルが選ばれていません。まず学習タブで学習するか、一覧から選んでください。",
            )
        )
    # The name rule first: it keeps odd names (too long, a null byte, a path) away from the filesystem.
    candidate = runs_dir / name
    if not RUN_NAME.fullmatch(name) or candidate.is_symlink():
        raise UserError(
            Text(
                f"{quoted(name)} is not a run name: pick a run from the list.",
                f"{quoted(name)} はモデル名ではありません。一覧からモデルを選んでください。",
            )
        )
    if candidate.resolve().parent != runs_dir.resolve() or not (candidate / METRICS_FILE).is_file():
        raise UserError(
            Text(
                f"There is no finished run called {quoted(name)}: pick one from the list.",
                f"{quoted(name)} という学習済みモデルはありません。一覧から選んでください。",
            )
        )
    return candidate


def run_dataset(run_dir: Path) -> tuple[str, str]:
    """The dataset source and config a run was trained on."""
    config = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    return config["dataset"], config.get("dataset_config", "japanese")
