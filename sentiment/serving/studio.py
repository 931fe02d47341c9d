"""The app's server-side state: what every page shares, kept out of the UI so it can be tested.

It knows where runs live, which defaults apply (the Hub's, or the sample and the starter when the
Hub can't be reached), what a visitor may ask for (see deployment.py), and caches what is slow to
load: datasets, tokenizers, classifiers and evaluations. One `TrainingJob` serves the whole server.

A dataset or model named in the page is one the app offers, never a path on the server: the
bundled sample, an upload (by the label the upload returned), a folder given at launch with
`--data-dir` (by its label), or a Hub id that is only ever loaded from the Hub.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from collections import OrderedDict
from pathlib import Path

import pandas as pd

from ..corpus.browsing import frame
from ..corpus.loading import (
    DEFAULT_CONFIG,
    DEFAULT_SOURCE,
    SAMPLE,
    SPLITS,
    SUFFIXES,
    DataError,
    SentimentData,
    hub_reachable,
    load_dataset,
    load_hub_dataset,
)
from ..corpus.suspects import Suspects, TooFewReviews, doubted, find_suspects
from ..corpus.token_stats import DatasetTokenStats, token_statistics
from ..errors import UserError, quoted
from ..insight.attribution import Attribution, integrated_gradients
from ..insight.data_map import DataMap, read_data_map, region_reviews
from ..insight.evaluation import METRICS_FILE, Report, comparison, evaluate, probabilities_by_text
from ..insight.inference import Classifier, load_classifier, unquantised_precision
from ..insight.maps import ModelMap, model_map, sample_rows
from ..insight.slices import report_slices
from ..insight.whatif import WhatIf, what_if
from ..models.baseline import is_ngram_run
from ..models.bert import STARTER, starting_model
from ..models.prediction import Prediction, check_texts
from ..storage import Downloads, keep_newest
from ..text.compare import Comparison, TokenizerLab
from ..text.limits import MAX_UPLOAD_MB, cap_text
from ..text.tokenization import SOURCE_MODEL, build_starter_tokenizer, load_tokenizer
from ..training.cards import CARD_FILE
from ..training.config import WHOLE_NUMBERS, TrainConfig, check_run_name, default_run_name
from ..training.estimate import estimate
from ..training.jobs import TrainingJob
from ..training.runs import RunInfo, list_runs, resolve_run, run_dataset, shown_source
from ..training.trainer import CONFIG_FILE
from .deployment import Deployment

STARTER_TOKENIZER = "starter (vocabulary learned from the sample)"
STARTER_TOKENIZER_SHOWN = STARTER_TOKENIZER + " / スターター（サンプルから学んだ語彙）"
RUN_PREFIX = "run: "
UPLOAD_PREFIX = "upload: "
DATA_PREFIX = "data: "
UPLOADS = ".uploads"
MAX_COMPARED = 6
REGION_ROWS = 200  # reviews of a data map's region sent to the page
FIRST_RUNS_OWNER = "server"  # the first runs belong to no page: only the password holder may stop them
DOWNLOADS = ".downloads"
# A Hub repository id: an optional owner and a name, each of letters, digits, '-', '_' and '.'.
HUB_ID = re.compile(r"(?!.*\.\.)([A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}", re.ASCII)
NOT_OFFERED = (
    "{name} is not a dataset this app offers: pick one from the list, give a Hub id (owner/name), or upload a file."
)
OFFLINE_NOTICE = (
    "The Hugging Face Hub can't be reached, so the app uses the bundled sample dataset and the starter model "
    "(a small BERT trained here). / Hub に接続できないため、同梱のサンプルとスターターモデルを使います。"
)


class _Cache:
    """A small least-recently-used cache that many requests share.

    Each value is made once: a request asking for a value being made waits for it, while requests for
    other values go on (one visitor loading a 120,000-row upload never blocks another's classify).
    A failed make is not kept; the next request tries again."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._making: dict = {}
        self._lock = threading.Lock()

    def get_or_make(self, key, make):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            try:
                with self._lock:
                    if key in self._values:  # made while this request waited
                        return self._values[key]
                value = make()
                with self._lock:
                    self._values[key] = value
                    while len(self._values) > self.size:
                        self._values.popitem(last=False)
                return value
            finally:
                with self._lock:
                    self._making.pop(key, None)


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
        self.notice = "" if self.online else OFFLINE_NOTICE
        self.job = TrainingJob(self.runs_dir)
        self.downloads = Downloads(self.runs_dir / DOWNLOADS, self.deployment.bounds.downloads_kept)
        self._datasets = _Cache(3)
        self._frames = _Cache(6)
        self._tokenizers = _Cache(4)
        self._classifiers = _Cache(2)
        self._evaluations = _Cache(8)
        self._maps = _Cache(4)
        self._unquantised = _Cache(1)
        self._attributions = _Cache(256)
        self._suspects = _Cache(6)
        self._slices = _Cache(8)
        self._data_maps = _Cache(4)
        self._tokenizer_labs = _Cache(3)
        self._token_stats = _Cache(3)

    # Datasets
    def dataset_choices(self) -> list[str]:
        """What the Dataset tab offers: the default, the sample, the Hub's dataset and the --data-dir folders."""
        return list(dict.fromkeys([self.default_dataset, SAMPLE, DEFAULT_SOURCE, *self._data_folders()]))

    def dataset(self, choice: str) -> SentimentData:
        source = self.resolve_dataset(choice)
        return self._datasets.get_or_make(source, lambda: self._load(source))

    def resolve_dataset(self, choice: str) -> str:
        """The source that `load_dataset` reads for a dataset chosen in the page, if the app offers it."""
        choice = (choice or "").strip()
        if not choice:
            raise DataError("No dataset is chosen: pick the sample, a Hub id or a folder, or upload a CSV.")
        if choice in (SAMPLE, self.default_dataset):
            return choice
        if choice.startswith(UPLOAD_PREFIX):
            name = choice.removeprefix(UPLOAD_PREFIX)
            kept = self.runs_dir / UPLOADS / name
            if Path(name).name == name and kept.is_file():
                return str(kept.resolve())
            raise DataError(f"The upload {quoted(name)} is no longer on this server: upload the file again.")
        if choice in (folders := self._data_folders()):
            return str(folders[choice])
        if HUB_ID.fullmatch(choice):  # loaded from the Hub only, whether or not such a path exists here
            return choice
        raise DataError(NOT_OFFERED.format(name=quoted(choice)))

    def _load(self, source: str, config: str = DEFAULT_CONFIG) -> SentimentData:
        # What the server or its operator named (the sample, --dataset, uploads, --data-dir folders, a
        # run's own dataset) loads as given; a Hub id from the page is never read as a local path.
        if source in (SAMPLE, self.default_dataset) or Path(source).is_absolute():
            return load_dataset(source, config)
        return load_hub_dataset(source, config)

    def _data_folders(self) -> dict[str, Path]:
        """Each --data-dir folder and its sub-folders that hold data files, by label."""
        folders = {}
        for root in self.deployment.data_dirs:
            if not root.is_dir():
                continue
            for folder in [root, *sorted(path for path in root.iterdir() if path.is_dir())]:
                resolved = folder.resolve()
                inside = resolved == root or root in resolved.parents  # no symlinks out of it
                if inside and any(path.suffix in SUFFIXES for path in folder.iterdir()):
                    label = root.name if folder == root else f"{root.name}/{folder.name}"
                    folders[DATA_PREFIX + label] = resolved
        return folders

    def frame(self, choice: str, split: str):
        """A split as a pandas table with label names, kept for paging and searching."""
        if split not in SPLITS:
            raise DataError(f"There is no {quoted(split)} split: choose train, validation or test.")
        data = self.dataset(choice)
        return self._frames.get_or_make((self.resolve_dataset(choice), split), lambda: frame(data, split))

    def length_tokenizer(self):
        """The tokenizer that counts tokens in the Dataset tab: the source model's, or the starter's offline."""
        return self.tokenizer(SOURCE_MODEL if self.online else STARTER_TOKENIZER)

    def save_upload(self, path: str | Path) -> str:
        """Check an uploaded file and keep a copy under the runs folder; return its label as a dataset choice.

        The uploads that finished runs were trained on are kept beyond the quota (the runs have a quota
        of their own), so those runs can still be evaluated."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".tsv", ".jsonl", ".parquet"):
            raise DataError(f"{path.name} is not a CSV, TSV, JSON Lines or Parquet file: upload one of those.")
        size = path.stat().st_size
        if size > MAX_UPLOAD_MB * 2**20:
            raise DataError(f"{path.name} is {size / 2**20:.1f} MB; uploads are limited to {MAX_UPLOAD_MB} MB.")
        data = load_dataset(str(path))  # read it now, so a bad file is reported at upload, by its own name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        stem = re.sub(r"[^\w-]", "-", path.stem)[:40] or "upload"
        uploads = self.runs_dir / UPLOADS
        uploads.mkdir(exist_ok=True)
        in_use = {Path(run_dataset(run_dir)[0]).name for run_dir in self._run_dirs()}
        prunable = [upload for upload in uploads.iterdir() if upload.name not in in_use]
        keep_newest(prunable, self.deployment.bounds.uploads_kept - 1)
        kept = uploads / f"{stem}-{digest}{suffix}"
        shutil.copyfile(path, kept)
        self._datasets.get_or_make(str(kept.resolve()), lambda: data)
        return UPLOAD_PREFIX + kept.name

    # Tokenizers
    def tokenizer_choices(self) -> list[tuple[str, str]]:
        """What the Tokenizer tab offers, as (shown, value) pairs: the value is what its API takes."""
        choices = [(STARTER_TOKENIZER_SHOWN, STARTER_TOKENIZER)]
        if self.online:
            choices.append((SOURCE_MODEL, SOURCE_MODEL))
        return choices + [(RUN_PREFIX + run.name,) * 2 for run in self.runs() if run.method != "ngram"]

    def tokenizer(self, choice: str):
        choice = choice or STARTER_TOKENIZER
        return self._tokenizers.get_or_make(choice, lambda: self._load_tokenizer(choice))

    def _load_tokenizer(self, choice: str):
        if choice == STARTER_TOKENIZER:
            return build_starter_tokenizer(load_dataset(SAMPLE)["train"]["text"], vocab_size=4000)
        if choice.startswith(RUN_PREFIX):
            return load_tokenizer(str(resolve_run(self.runs_dir, choice.removeprefix(RUN_PREFIX))))
        if choice == SOURCE_MODEL:
            return load_tokenizer(SOURCE_MODEL)
        raise UserError(f"Unknown tokenizer {quoted(choice)}: pick one from the list.")

    # Tokenizers side by side
    def tokenizer_lab(self, choice: str) -> TokenizerLab:
        """Every tokenizer of the comparison, with what it learned from the chosen dataset's training texts."""
        data = self.dataset(choice)
        return self._tokenizer_labs.get_or_make(
            self.resolve_dataset(choice), lambda: TokenizerLab(data["train"]["text"], data.source)
        )

    def compare_tokenizers(self, choice: str, text: str) -> Comparison:
        return self.tokenizer_lab(choice).compare(text)

    def tokenizer_stats(self, choice: str) -> DatasetTokenStats:
        """Every tokenizer over every split of the chosen dataset, computed once per dataset."""
        data, lab = self.dataset(choice), self.tokenizer_lab(choice)
        return self._token_stats.get_or_make(
            self.resolve_dataset(choice),
            lambda: token_statistics(lab, [text for split in data.values() for text in split["text"]]),
        )

    # Runs
    def runs(self) -> list[RunInfo]:
        return list_runs(self.runs_dir)

    def run_names(self) -> list[str]:
        return [run.name for run in self.runs()]

    def run_choices(self, bert_only: bool = False) -> list[tuple[str, str]]:
        """Runs as a picker offers them, newest first: ('full-starter-sample · full · 0.57', name)."""
        return [
            (f"{run.name} · {run.method} · {run.accuracy:.2f}", run.name)
            for run in self.runs()
            if not (bert_only and run.method == "ngram")
        ]

    def newest_run(self, bert_only: bool = False) -> str | None:
        """The newest finished run (a BERT run, for what needs tokens: "Why?", the maps), or None."""
        return next((name for _, name in self.run_choices(bert_only)), None)

    def preparing_notice(self) -> str:
        """While a fresh app trains its first runs and none has finished: what is going on and how long it
        should take; '' once a run has finished, or when nothing is training."""
        if self.runs():
            return ""
        status = self.job.status()
        if status.state != "running" and not status.waiting:
            return ""
        left = status.latest.get("remaining")
        eta = f" (about {left:.0f} s left for {status.run_name})" if left else ""
        return (
            f"The first model is being prepared{eta}: this page fills in by itself when it is ready. "
            f"/ 最初のモデルを準備しています{eta}。完了すると自動的に表示されます。"
        )

    def quality_note(self, run_name: str) -> str:
        """How good a run is, honestly: its accuracy on its dataset's validation split beside the n-gram
        baseline's on the same split, and why a from-scratch starter is weak. Both come from the metrics
        recorded at training, so a classify never waits for an evaluation."""
        infos = {run.name: run for run in self.runs()}
        run = infos.get(run_name)
        if run is None:
            return ""
        note = f"This run's accuracy on its validation split: **{run.accuracy:.2f}**"
        baseline = next(
            (other for other in infos.values() if other.method == "ngram" and other.dataset == run.dataset), None
        )
        if baseline is not None and baseline.name != run_name:
            note += f"; the n-gram baseline's on the same split: **{baseline.accuracy:.2f}**"
        note += "."
        if run.model == STARTER:
            note += (
                " The starter is a small BERT trained from scratch on this data only, with no pretraining, so it "
                "gets many texts wrong; the Hub model (cl-tohoku) is pretrained on Japanese Wikipedia and does far "
                "better. / スターターは事前学習なしの小さなモデルなので、誤りが多くなります。"
            )
        return note

    def _run_dirs(self) -> list[Path]:
        return [self.runs_dir / run.name for run in self.runs()]

    def classifier(self, run_name: str):
        run_dir = resolve_run(self.runs_dir, run_name)
        return self._classifiers.get_or_make(_run_key(run_dir), lambda: load_classifier(run_dir))

    def classify_many(self, run_name: str, texts: list[str]) -> list[Prediction]:
        """Many texts at once, within this server's bounds on their number and their characters together."""
        bounds = self.deployment.bounds
        if len(texts) > bounds.batch_rows:
            raise UserError(
                f"There are {len(texts):,} texts; this server classifies up to {bounds.batch_rows:,} at a time."
            )
        characters = 0  # what would be tokenized, counted until past the bound: a hostile batch costs no more
        for text in texts:
            characters += len(cap_text(text))
            if characters > bounds.batch_chars:
                raise UserError(
                    f"These texts have more than {bounds.batch_chars:,} characters together; this server "
                    f"classifies up to {bounds.batch_chars:,} at a time: send fewer or shorter texts."
                )
        return self.classifier(run_name).predict(texts)

    def what_if(self, run_name: str, text: str) -> WhatIf:
        """`text` and its Japanese-aware variants, classified in one batch within this server's bounds."""
        return what_if(lambda texts: self.classify_many(run_name, texts), text)

    def evaluation(self, run_name: str, split: str) -> Report:
        run_dir = resolve_run(self.runs_dir, run_name)
        return self._evaluations.get_or_make(
            (_run_key(run_dir), split),
            lambda: evaluate(run_dir, self._run_data(run_dir), split, self.classifier(run_name)),
        )

    def comparison(self, run_names: list[str], split: str) -> tuple[pd.DataFrame, dict[str, dict], str]:
        """Several runs scored on the same split: a table, each run's metrics, and a caution if their data differ."""
        if not run_names:
            raise UserError("No runs are chosen: pick two or more runs to compare.")
        if len(run_names) > MAX_COMPARED:
            raise UserError(f"{len(run_names)} runs are chosen: compare at most {MAX_COMPARED} at a time.")
        metrics = {name: self.evaluation(name, split).metrics for name in run_names}
        infos = {run.name: run for run in self.runs()}
        reports = {
            name: {"metrics": metrics[name], "method": infos[name].method, "train_seconds": infos[name].train_seconds}
            for name in run_names
        }
        datasets = sorted({infos[name].dataset for name in run_names})
        caution = (
            ""
            if len(datasets) == 1
            else f"These runs were trained on different datasets ({', '.join(datasets)}): each is scored on its own "
            f"dataset's {split} split, so the numbers are not directly comparable."
        )
        return comparison(reports), metrics, caution

    def unquantised(self, run_name: str) -> Classifier:
        """A BERT run not quantised, for what needs more than labels: gradients and hidden states (in bf16
        where the run is served in bf16, else fp32; see inference.unquantised_precision)."""
        run_dir = resolve_run(self.runs_dir, run_name)
        if is_ngram_run(run_dir):
            raise UserError("The n-gram baseline has no tokens or hidden states to show: pick a BERT run.")
        precision = unquantised_precision(run_dir)
        return self._unquantised.get_or_make(_run_key(run_dir), lambda: Classifier(run_dir, precision=precision))

    def attribution(self, run_name: str, text: str, label: str | None = None) -> Attribution:
        """How much each token and MeCab word of `text` moved the run toward `label` (default: its prediction).

        Answers are kept per run, text and class: a class asking "Why?" of the same example pays once."""
        model = self.unquantised(run_name)
        check_texts([text])
        if label is not None and label not in model.label_names:
            raise UserError(f"{quoted(label)} is not a class of this run: pick one of {', '.join(model.label_names)}.")
        key = (_run_key(model.run_dir), hashlib.sha256(text.encode()).hexdigest(), label)
        return self._attributions.get_or_make(key, lambda: self._attribute(model, text, label))

    def _attribute(self, model: Classifier, text: str, label: str | None) -> Attribution:
        # Integrated Gradients hooks the model's embedding layer: while it runs, no other request may use
        # this model (its answers would mix with this one's), so each full-precision model has a lock.
        with model.lock:
            label = label or model.predict([text])[0].label
            budget = self.deployment.bounds.why_budget
            bf16 = model.precision == "bf16"
            return integrated_gradients(model.model, model.tokenizer, text, label, model.max_length, budget, bf16)

    def model_maps(self, run_name: str, split: str) -> tuple[ModelMap, ModelMap]:
        """Where the model a run started from, and the trained run, put the reviews of a split."""
        trained = self.unquantised(run_name)
        return self._maps.get_or_make((_run_key(trained.run_dir), split), lambda: self._draw_maps(trained, split))

    def _draw_maps(self, trained: Classifier, split: str) -> tuple[ModelMap, ModelMap]:
        run_dir = trained.run_dir
        data = self._run_data(run_dir)
        if split not in data:
            raise UserError(f"There is no {quoted(split)} split: choose train, validation or test.")
        rows = data[split].select(sample_rows(len(data[split])))
        labels = [data.label_names[label] for label in rows["label"]]
        settings = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        try:
            start = starting_model(settings, trained.tokenizer, trained.label_names)
        except OSError as error:
            raise UserError(
                f"The model run {run_dir.name} started from ({quoted(settings['model'])}) can't be loaded here: "
                "it needs the Hugging Face Hub."
            ) from error
        texts, length, bf16 = rows["text"], trained.max_length, trained.precision == "bf16"
        before = model_map(start, trained.tokenizer, texts, labels, length, bf16)
        with trained.lock:  # the trained model is the one "Why?" hooks (see _attribute)
            return before, model_map(trained.model, trained.tokenizer, texts, labels, length, bf16)

    def _run_data(self, run_dir: Path) -> SentimentData:
        """The dataset a run was trained on, as its own settings name it."""
        source, config = run_dataset(run_dir)
        if source != SAMPLE and not Path(source).exists() and not HUB_ID.fullmatch(source):
            raise UserError(
                f"The dataset run {run_dir.name} was trained on is no longer on this server "
                "(uploads are kept for a while only): upload it again and train a new run."
            )
        return self._datasets.get_or_make(source, lambda: self._load(source, config))

    # The data lesson: doubted labels, slices, data maps, model cards
    def suspects(self, choice: str, split: str) -> Suspects:
        """The reviews of a dataset's split whose label the n-gram model's out-of-fold view doubts, ranked once
        per dataset and split (a bounded sample of a big split: suspects.MAX_RANKED)."""
        data = self.dataset(choice)
        return self._suspects.get_or_make((self.resolve_dataset(choice), split), lambda: find_suspects(data, split))

    def doubted_labels(self, run_name: str, split: str) -> dict[str, str]:
        """Text → suggested label for the reviews of a run's split whose label the models doubt: the n-gram view
        and the run's own predictions together (none for a split too small to judge)."""
        run_dir = resolve_run(self.runs_dir, run_name)

        def rank() -> dict[str, str]:
            data = self._run_data(run_dir)
            if split not in data:
                raise UserError(f"There is no {quoted(split)} split: choose train, validation or test.")
            view = probabilities_by_text(self.evaluation(run_name, split).rows, data[split]["text"], data.label_names)
            try:
                return doubted(find_suspects(data, split, [view]).table)
            except TooFewReviews:
                return {}

        return self._suspects.get_or_make((_run_key(run_dir), split), rank)

    def slices(self, run_name: str, split: str):
        """A run's metrics on a split by source, length and negation (insight/slices.py)."""
        run_dir = resolve_run(self.runs_dir, run_name)
        return self._slices.get_or_make(
            (_run_key(run_dir), split),
            lambda: report_slices(self.evaluation(run_name, split).rows, self._run_data(run_dir)[split]),
        )

    def data_map(self, run_name: str) -> DataMap:
        run_dir = resolve_run(self.runs_dir, run_name)
        return self._data_maps.get_or_make(_run_key(run_dir), lambda: read_data_map(run_dir))

    def data_map_region(self, run_name: str, region: str) -> pd.DataFrame:
        """The reviews of one region of a run's data map, the most typical first (at most REGION_ROWS)."""
        return region_reviews(self.data_map(run_name), region).head(REGION_ROWS)

    def model_card(self, run_name: str) -> Path:
        """A copy of the run's model card to download."""
        run_dir = resolve_run(self.runs_dir, run_name)
        if not (run_dir / CARD_FILE).is_file():
            raise UserError(f"{run_name} was trained before model cards were written: train it again to get one.")
        return self.downloads.copy(run_dir / CARD_FILE, f"{run_name}-{CARD_FILE}")

    # Training
    def resolve_model(self, spec: str) -> str:
        """A model named in the page, if the app offers it: the starter, the launch default or a Hub id."""
        spec = (spec or "").strip()
        if spec in (STARTER, SOURCE_MODEL, self.default_model) or (HUB_ID.fullmatch(spec) and not Path(spec).exists()):
            # A local folder of that name would load instead of the Hub's model, so it is refused; on a public
            # server only the password holder gets this far (start_from_page).
            return spec
        raise UserError(
            f"{quoted(spec)} is not a model this app offers: pick one from the list, or give a Hub id (owner/name)."
        )

    def start_training(
        self, config: TrainConfig, session: str = "", password: str | None = None, visitor: str = ""
    ) -> tuple[str, int]:
        """Start a run for the page `session`, within what this deployment allows, now or after the runs
        already waiting; return its name and its place in the queue (0: started)."""
        config, minutes = self.deployment.admit(config, password, visitor)
        place = self.job.submit(config, owner=session, max_minutes=minutes)
        self._make_room_for_a_run()  # after the start: a refused start removes nothing
        return Path(config.resolved().output).name, place

    def start_from_page(
        self, model: str, method: str, dataset: str, name: str, values: dict, session="", password=None, visitor=""
    ) -> tuple[str, int]:
        """A run as the Train tab asks for it (0 or blank: the recipe's value). On a public server anything
        but a lesson checks the password before the form is read, so a refused visitor learns nothing of
        what the server holds."""
        method = method or "full"
        lesson_shaped = dataset == SAMPLE and (method == "ngram" or model == STARTER)
        if self.deployment.public and (password or not lesson_shaped):
            self.deployment.check_may_train(password, visitor)
        return self.start_training(self._page_config(model, method, dataset, name, values), session, password, visitor)

    def _page_config(self, model: str, method: str, dataset: str, name: str, values: dict) -> TrainConfig:
        model, dataset = self.resolve_model(model), self.resolve_dataset(dataset)
        name = check_run_name((name or "").strip() or self.free_run_name(method, model, dataset))
        # 0 or blank leaves an option to the recipe (a number box can't be empty in every browser).
        options = {key: int(value) if key in WHOLE_NUMBERS else value for key, value in values.items() if value}
        output = str(self.runs_dir / name)
        return TrainConfig(model=model, method=method, dataset=dataset, output=output, **options)

    def cost_estimate(self, model: str, method: str, dataset: str, values: dict) -> str:
        """What the run the form describes would cost here, before it starts (estimate.py); one sentence."""
        asked = self._page_config(model, method or "full", dataset, "", values)
        config = self.deployment.as_trained_without_password(asked)
        found = estimate(self.runs(), config.resolved(), self.dataset(dataset)["train"].num_rows)
        if found is None:
            return (
                "No run of this model and method has finished on this machine yet, so its time can't be estimated. "
                "/ このモデルと手法の学習がまだないため、所要時間を見積もれません。"
            )
        return found.sentence()

    def free_run_name(self, method: str, model: str, dataset: str) -> str:
        """The default name of a new run: `<method>-<model>-<dataset>`, numbered when taken."""
        return default_run_name(method, model, shown_source(dataset), self.job.name_taken)

    def stop_training(self, session: str = "", password: str | None = None, visitor: str = "") -> str:
        self.deployment.check_may_stop(self.job.owner(), session, password, visitor)
        return self.job.stop()

    def _make_room_for_a_run(self) -> None:
        """Keep the runs trained from the page, the one just started included, within the quota; the oldest go first."""
        finished = [run for run in self.job.started_runs() if (run / METRICS_FILE).is_file()]
        keep_newest(finished, self.deployment.bounds.runs_kept - 1)
        self.job.forget_removed_runs()

    def prepare_first_runs(self) -> list[str]:
        """When no run has finished yet, queue the first ones through the ordinary job, so a fresh app (a new
        Space) has a model to classify with in about a minute: the n-gram baseline on the sample (seconds),
        then the starter fully fine-tuned on it. Return their names."""
        if self.runs():
            return []
        names = []
        for method in ("ngram", "full"):
            name = self.free_run_name(method, STARTER, SAMPLE)
            config = TrainConfig(model=STARTER, method=method, dataset=SAMPLE, output=str(self.runs_dir / name))
            self.job.submit(config, owner=FIRST_RUNS_OWNER)
            names.append(name)
        return names

    @staticmethod
    def device() -> str:
        import os

        import torch

        if torch.cuda.is_available():
            properties = torch.cuda.get_device_properties(0)
            return f"GPU: {properties.name}, {properties.total_memory / 2**30:.0f} GiB"
        return f"CPU: {os.cpu_count()} cores (no GPU found)"


def _run_key(run_dir: Path) -> tuple[str, int]:
    """A run's cache key: a pruned run's name may be used again by a new one."""
    return run_dir.name, (run_dir / METRICS_FILE).stat().st_mtime_ns
