"""The app's server-side state: what every page shares, kept out of the UI so it can be tested.

It knows where runs live, which defaults apply (the Hub's, or the sample and the starter when the
Hub can't be reached), and caches what is slow to load: datasets, tokenizers, classifiers and
evaluations. One `TrainingJob` serves the whole server.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections import OrderedDict
from pathlib import Path

from .browsing import frame
from .data import (
    DEFAULT_CONFIG,
    DEFAULT_SOURCE,
    MAX_UPLOAD_MB,
    SAMPLE,
    SPLITS,
    DataError,
    SentimentData,
    hub_reachable,
    load_dataset,
)
from .evaluation import Report, evaluate
from .inference import Classifier
from .jobs import TrainingJob
from .modeling import STARTER
from .runs import RunInfo, list_runs, resolve_run, run_dataset
from .tokenization import SOURCE_MODEL, build_starter_tokenizer, load_tokenizer

STARTER_TOKENIZER = "starter (vocabulary learned from the sample)"
RUN_PREFIX = "run: "
OFFLINE_NOTICE = (
    "The Hugging Face Hub can't be reached, so the app uses the bundled sample dataset and the starter model "
    "(a small BERT trained here). / Hub に接続できないため、同梱のサンプルとスターターモデルを使います。"
)


class _Cache(OrderedDict):
    """A small least-recently-used cache: models are large, keep only the last few."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get_or_make(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class Studio:
    def __init__(self, runs_dir: str | Path = "runs", dataset: str | None = None, model: str | None = None):
        self.runs_dir = Path(runs_dir)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.online = hub_reachable()
        self.default_dataset = dataset or (DEFAULT_SOURCE if self.online else SAMPLE)
        self.default_model = model or (SOURCE_MODEL if self.online else STARTER)
        self.notice = "" if self.online else OFFLINE_NOTICE
        self.job = TrainingJob(self.runs_dir)
        self._lock = threading.RLock()
        self._datasets = _Cache(3)
        self._frames = _Cache(6)
        self._tokenizers = _Cache(4)
        self._classifiers = _Cache(2)
        self._evaluations = _Cache(8)

    # Datasets
    def dataset(self, source: str, config: str = DEFAULT_CONFIG) -> SentimentData:
        source = (source or "").strip()
        if not source:
            raise DataError("No dataset is chosen: pick the sample, a Hub id or a folder, or upload a CSV.")
        with self._lock:
            return self._datasets.get_or_make((source, config), lambda: load_dataset(source, config))

    def frame(self, source: str, split: str):
        """A split as a pandas table with label names, kept for paging and searching."""
        if split not in SPLITS:
            raise DataError(f"There is no {split!r} split: choose train, validation or test.")
        data = self.dataset(source)
        with self._lock:
            return self._frames.get_or_make((source, split), lambda: frame(data, split))

    def length_tokenizer(self):
        """The tokenizer that counts tokens in the Dataset tab: the source model's, or the starter's offline."""
        return self.tokenizer(SOURCE_MODEL if self.online else STARTER_TOKENIZER)

    def save_upload(self, path: str | Path) -> str:
        """Check an uploaded file and keep a copy under the runs folder; return it as a dataset source."""
        path = Path(path)
        if path.suffix.lower() not in (".csv", ".tsv", ".jsonl", ".parquet"):
            raise DataError(f"{path.name} is not a CSV, TSV, JSON Lines or Parquet file: upload one of those.")
        size = path.stat().st_size
        if size > MAX_UPLOAD_MB * 2**20:
            raise DataError(f"{path.name} is {size / 2**20:.1f} MB; uploads are limited to {MAX_UPLOAD_MB} MB.")
        data = load_dataset(str(path))  # read it now, so a bad file is reported at upload, by its own name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        uploads = self.runs_dir / ".uploads"
        uploads.mkdir(exist_ok=True)
        kept = uploads / f"upload-{digest}{path.suffix.lower()}"
        shutil.copyfile(path, kept)
        with self._lock:
            self._datasets.get_or_make((str(kept), DEFAULT_CONFIG), lambda: data)
        return str(kept)

    # Tokenizers
    def tokenizer_choices(self) -> list[str]:
        choices = [STARTER_TOKENIZER]
        if self.online:
            choices.append(SOURCE_MODEL)
        return choices + [RUN_PREFIX + run.name for run in self.runs()]

    def tokenizer(self, choice: str):
        choice = choice or STARTER_TOKENIZER
        with self._lock:
            return self._tokenizers.get_or_make(choice, lambda: self._load_tokenizer(choice))

    def _load_tokenizer(self, choice: str):
        if choice == STARTER_TOKENIZER:
            return build_starter_tokenizer(load_dataset(SAMPLE)["train"]["text"], vocab_size=4000)
        if choice.startswith(RUN_PREFIX):
            return load_tokenizer(str(resolve_run(self.runs_dir, choice.removeprefix(RUN_PREFIX))))
        if choice == SOURCE_MODEL:
            return load_tokenizer(SOURCE_MODEL)
        raise ValueError(f"Unknown tokenizer {choice!r}: pick one from the list.")

    # Runs
    def runs(self) -> list[RunInfo]:
        return list_runs(self.runs_dir)

    def run_names(self) -> list[str]:
        return [run.name for run in self.runs()]

    def classifier(self, run_name: str) -> Classifier:
        run_dir = resolve_run(self.runs_dir, run_name)
        with self._lock:
            return self._classifiers.get_or_make(run_name, lambda: Classifier(run_dir))

    def evaluation(self, run_name: str, split: str) -> Report:
        run_dir = resolve_run(self.runs_dir, run_name)
        with self._lock:
            return self._evaluations.get_or_make(
                (run_name, split),
                lambda: evaluate(run_dir, self.dataset(*run_dataset(run_dir)), split, self.classifier(run_name)),
            )

    @staticmethod
    def device() -> str:
        import os

        import torch

        if torch.cuda.is_available():
            properties = torch.cuda.get_device_properties(0)
            return f"GPU: {properties.name}, {properties.total_memory / 2**30:.0f} GiB"
        return f"CPU: {os.cpu_count()} cores (no GPU found)"
