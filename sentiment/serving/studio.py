"""The app's server-side state, kept out of the UI so it can be tested: a small root over six parts.

- `catalog`: the datasets the page may offer (catalog.py);
- `runbook`: the finished runs (runbook.py);
- `models`: the tokenizers and classifiers loaded and shared (pool.py);
- `analyses`: evaluation, "Why?", the maps, the doubted labels and the data map, the tokenizer lab (analysis.py);
- `review`: the label review: a reader's decisions, the server's saved ones, a retrain's corrected data and its
  download, what the retrain changed (label_review.py);
- `inside`: inside BERT: the WordPiece walk, the vocabulary, the layer view and the probe (inside_bert.py);
- `desk`: the one way into training (training_desk.py), in a child process or a ZeroGPU window.

The root decides only what the parts share: where runs live, who may do what (deployment.py), and
which defaults apply (the Hub's, or the sample and the starter when the Hub can't be reached).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..bilingual import Text
from ..corpus.loading import DEFAULT_SOURCE, SAMPLE, hub_reachable
from ..models.bert import STARTER
from ..run_files import on_bucket, work_root
from ..storage import Downloads
from ..text.tokenization import SOURCE_MODEL
from .analysis import Analyses
from .catalog import Catalog
from .deployment import Deployment
from .gpu_window import GpuWindow, on_zerogpu
from .inside_bert import InsideBert
from .label_review import LabelReview
from .pool import ModelPool
from .runbook import RunBook
from .training_desk import TrainingDesk

DOWNLOADS = ".downloads"
OFFLINE_NOTICE = Text(
    "The Hugging Face Hub can't be reached, so the app uses the bundled sample dataset and the starter model "
    "(a small BERT trained here).",
    "Hub に接続できないため、同梱のサンプルとスターターモデルを使います。",
)
# Offline with a dataset or a model named at launch, the notice says only what the Hub's absence replaced.
OFFLINE_SAMPLE_ONLY = Text(
    "The Hugging Face Hub can't be reached, so the app uses the bundled sample dataset.",
    "Hub に接続できないため、同梱のサンプルを使います。",
)
OFFLINE_STARTER_ONLY = Text(
    "The Hugging Face Hub can't be reached, so the app trains the starter model (a small BERT trained here).",
    "Hub に接続できないため、スターターモデルで学習します。",
)
OFFLINE = {(True, True): OFFLINE_NOTICE, (True, False): OFFLINE_SAMPLE_ONLY, (False, True): OFFLINE_STARTER_ONLY}

LOST_AT_RESTART = Text(
    "Runs on this Space are lost when it restarts: its owner can attach a Storage Bucket at /data to keep them.",
    "この Space の学習結果は再起動で消えます。/data にストレージバケットを接続すると保存されます。",
)


class Studio:
    def __init__(
        self,
        runs_dir: str | Path = "runs",
        dataset: str | None = None,
        model: str | None = None,
        deployment: Deployment | None = None,
    ):
        self.runs_dir = Path(runs_dir)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.deployment = deployment or Deployment()
        self.online = hub_reachable()
        self.default_dataset = dataset or (DEFAULT_SOURCE if self.online else SAMPLE)
        self.default_model = model or (SOURCE_MODEL if self.online else STARTER)
        on_space, kept = bool(os.environ.get("SPACE_ID")), on_bucket(self.runs_dir)
        replaced = (dataset is None, model is None)  # what the Hub's absence leaves the app to replace
        offline = [] if self.online or replaced == (False, False) else [OFFLINE[replaced]]
        self.notices = [*offline, *([LOST_AT_RESTART] if on_space and not kept else [])]
        self.downloads = Downloads(work_root(self.runs_dir) / DOWNLOADS, self.deployment.bounds.downloads_kept)
        self.runbook = RunBook(self.runs_dir)
        self.catalog = Catalog(self.runs_dir, self.default_dataset, self.deployment, self.runbook)
        self.models = ModelPool(self.runbook, self.deployment, self.online, self.default_model)
        self.analyses = Analyses(self.catalog, self.runbook, self.models, self.deployment, self.downloads)
        self.review = LabelReview(self.catalog, self.deployment, self.downloads, self.analyses)
        self.inside = InsideBert(self.catalog, self.runbook, self.models, self.analyses)
        window = GpuWindow() if on_zerogpu() else None
        self.desk = TrainingDesk(self.runs_dir, self.default_model, self.deployment, self.catalog, self.runbook, window)
