"""The data catalogue: the datasets the page may offer, loaded once and shared.

A dataset named in the page is one the app offers, never a path on the server: the bundled sample,
an upload (by the label the upload returned), a folder given at launch with `--data-dir` (by its
label), or a Hub id that is only ever loaded from the Hub.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from ..bilingual import Text
from ..corpus.browsing import Overview, Page, frame, overview, page_rows
from ..corpus.corrections import Overlay
from ..corpus.loading import (
    DEFAULT_CONFIG,
    DEFAULT_SOURCE,
    SAMPLE,
    SPLITS,
    SUFFIXES,
    DataError,
    SentimentData,
    load_dataset,
    load_hub_dataset,
)
from ..errors import UserError, quoted, unknown_split
from ..run_files import ABANDONED_SECONDS, publish, work_root
from ..storage import keep_newest, partial_path, remove_abandoned
from ..text.limits import MAX_UPLOAD_MB
from ..training.runs import run_dataset
from .cache import SharedCache
from .deployment import Deployment
from .runbook import RunBook
from .saved_decisions import SavedDecisions

UPLOAD_PREFIX = "upload: "
COMPLETE = ".complete"  # the last file a corrected copy gets: a folder without it is no dataset yet
DATA_PREFIX = "data: "
UPLOADS = ".uploads"
CORRECTED = "-corrected"  # the suffix of a folder of a dataset with a reader's training-label decisions
DECISIONS = ".decisions"  # the server's own label decisions, one file per dataset, beside the runs
DECISION_VERSIONS_KEPT = 8  # parsed files of decisions kept (at most MAX_CORRECTIONS decisions each)
# A Hub repository id: an optional owner and a name, each of letters, digits, '-', '_' and '.'.
HUB_ID = re.compile(r"(?!.*\.\.)([A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}", re.ASCII)
NOT_OFFERED = Text(
    "{name} is not a dataset this app offers: pick one from the list, give a Hub id (owner/name), or upload a file.",
    "{name} はこのアプリで扱えるデータセットではありません。一覧から選ぶか、Hub の ID（owner/name）を入力するか、"
    "ファイルをアップロードしてください。",
)
GONE = Text(
    "The dataset this run was trained on is no longer on this server (uploads are kept for a while only): upload it "
    "again and train a new run.",
    "このモデルの学習に使ったデータセットは、もうこのサーバーにありません（アップロードは一定期間だけ保存されます）。"
    "もう一度アップロードして、新しく学習してください。",
)


class Catalog:
    def __init__(self, runs_dir: Path, default_dataset: str, deployment: Deployment, runbook: RunBook):
        self.runs_dir = runs_dir
        self.default_dataset = default_dataset
        self.deployment = deployment
        self.runbook = runbook
        self._datasets = SharedCache(3)
        self._frames = SharedCache(6)
        self._overviews = SharedCache(6)
        # The server's decisions for a dataset, read once per version of their file and shared by every session.
        self._decisions = SharedCache(DECISION_VERSIONS_KEPT)
        # A corrected copy its server was killed while writing is removed at the next start (and at each copy).
        remove_abandoned(self.runs_dir / UPLOADS, ABANDONED_SECONDS)

    def choices(self) -> list[str]:
        """What the Dataset tab offers: the default, the sample, the Hub's dataset and the --data-dir folders."""
        return list(dict.fromkeys([self.default_dataset, SAMPLE, DEFAULT_SOURCE, *self._data_folders()]))

    def dataset(self, choice: str) -> SentimentData:
        source = self.resolve(choice)
        return self._datasets.get_or_make(source, lambda: self._load(source))

    def resolve(self, choice: str) -> str:
        """The source that `load_dataset` reads for a dataset chosen in the page, if the app offers it."""
        choice = (choice or "").strip()
        if not choice:
            raise DataError(
                Text(
                    "No dataset is chosen: pick the sample, a Hub id or a folder, or upload a CSV.",
                    "データセットが選ばれていません。サンプル、Hub の ID、フォルダーのいずれかを選ぶか、CSV を"
                    "アップロードしてください。",
                )
            )
        if choice in (SAMPLE, self.default_dataset):
            return choice
        if choice.startswith(UPLOAD_PREFIX):
            name = choice.removeprefix(UPLOAD_PREFIX)
            kept = self.runs_dir / UPLOADS / name
            if Path(name).name == name and (kept.is_file() or (kept.name.endswith(CORRECTED) and complete(kept))):
                return str(kept.resolve())
            raise DataError(
                Text(
                    f"The upload {quoted(name)} is no longer on this server: upload the file again.",
                    f"アップロードした {quoted(name)} は、もうこのサーバーにありません。"
                    "もう一度アップロードしてください。",
                )
            )
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
            raise DataError(unknown_split(split))
        data = self.dataset(choice)
        return self._frames.get_or_make((self.resolve(choice), split), lambda: frame(data, split))

    def overview(self, choice: str, tokenizer=None) -> Overview:
        """The splits, label counts, lengths (tokens counted with `tokenizer`) and first page of a dataset. Made
        once per dataset and tokenizer and shared by every visitor: counting the tokens of a few thousand rows
        took seconds of CPU on every display of the Dataset tab."""

        def make() -> Overview:
            data = self.dataset(choice)
            return overview(data, {split: self.frame(choice, split) for split in data}, tokenizer)

        return self._overviews.get_or_make((self.resolve(choice), tokenizer), make)

    def page(self, choice: str, split: str, label: str, query: str, number: int) -> Page:
        """One page of a split's rows with a label (or all) whose text contains `query`."""
        return page_rows(self.frame(choice, split), label, query, number)

    def run_data(self, run_dir: Path) -> SentimentData:
        """The dataset a run was trained on, as its own settings name it."""
        source, config = run_dataset(run_dir)
        if source != SAMPLE and not Path(source).exists() and not HUB_ID.fullmatch(source):
            raise UserError(
                Text(
                    f"The dataset run {run_dir.name} was trained on is no longer on this server "
                    "(uploads are kept for a while only): upload it again and train a new run.",
                    f"{run_dir.name} の学習に使ったデータセットは、もうこのサーバーにありません"
                    "（アップロードは一定期間だけ保存されます）。もう一度アップロードして、新しく学習してください。",
                )
            )
        return self.by_source(source, config)

    def by_source(self, source: str, config: str = DEFAULT_CONFIG) -> SentimentData:
        """A dataset by the source the server resolved it to (a run's settings, a config being admitted)."""
        return self._datasets.get_or_make(source, lambda: self._load(source, config))

    def save_corrected(self, source: str, config: str, overlay: Overlay) -> str:
        """The dataset a run was trained on (`source`, `config`: as its settings name it) with a reader's decisions
        about its training labels laid over it (its validation and test splits as published, so a run on it is
        scored as the run before), kept beside the uploads; its choice."""
        decisions = overlay.of_split("train")
        if not any(correction.changed for correction in decisions.as_dict().values()):
            raise UserError(
                Text(
                    "No training label is changed yet: change at least one, then retrain.",
                    "学習データのラベルがまだ変更されていません。1 つ以上変更してから学習し直してください。",
                )
            )
        if source != SAMPLE and not Path(source).exists() and not HUB_ID.fullmatch(source):
            raise UserError(GONE)
        data = self.by_source(source, config)
        stem = file_stem(source, "dataset")
        folder = self.runs_dir / UPLOADS / f"{stem}-{decisions.digest()}{CORRECTED}"
        remove_abandoned(folder.parent, ABANDONED_SECONDS)
        remove_abandoned(work_root(folder.parent), ABANDONED_SECONDS)
        if not complete(folder):
            # Written aside with its mark of completion last, then put in place (publish): renamed beside it on a
            # local disk; on a bucket, which renames a folder file by file, written locally and copied in, the
            # mark last. A folder without the mark is a copy a killed server began: removed and written again.
            shutil.rmtree(folder, ignore_errors=True)
            partial = decisions.write(data, partial_path(work_root(folder.parent) / folder.name))
            (partial / COMPLETE).write_text("", encoding="utf-8")
            try:
                publish(partial, folder, last=COMPLETE)
            except OSError:  # another request wrote the same decisions first
                shutil.rmtree(partial, ignore_errors=True)
        return UPLOAD_PREFIX + folder.name

    def server_decisions(self, choice: str) -> Overlay:
        """The label decisions this server keeps for a dataset (none yet: an empty overlay): its saves merged
        (saved_decisions.py), read once per version and shared by every session loading them."""
        saved = self._saved_decisions(choice)
        try:
            return saved.read()
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise UserError(
                Text(
                    f"This server's saved decisions for {quoted(choice)} cannot be read: a file in "
                    f"{DECISIONS}/{saved.folder.name} is not a save of decisions; its owner can remove it.",
                    f"{quoted(choice)} についてこのサーバーに保存された判断を読めません（{DECISIONS}/"
                    f"{saved.folder.name} に判断の保存ではないファイルがあります）。管理者が削除できます。",
                )
            ) from error

    def keep_decisions(self, choice: str, overlay: Overlay) -> Overlay:
        """A reader's decisions laid over the server's own for a dataset (the reader's stand where both decided a
        review): a save of their own, which no other save, on this server or a replica sharing its bucket,
        overwrites."""
        return self._saved_decisions(choice).save(overlay)

    def _saved_decisions(self, choice: str) -> SavedDecisions:
        # By the page's choice, which names the same dataset after a restart (a resolved path may not).
        self.resolve(choice)  # only a dataset this app offers
        digest = hashlib.sha256(choice.strip().encode()).hexdigest()[:12]
        folder = self.runs_dir / DECISIONS / f"{file_stem(choice.strip(), 'dataset')}-{digest}"
        single = folder.with_name(folder.name + ".json")  # where one file held them all, before saves
        if single.is_file() and not folder.is_dir():
            folder.mkdir(parents=True)
            single.replace(folder / f"{0:020d}-single.json")  # the oldest save
        return SavedDecisions(folder, self._decisions)

    def save_upload(self, path: str | Path) -> str:
        """Check an uploaded file and keep a copy under the runs folder; return its label as a dataset choice.

        The uploads that finished runs were trained on are kept beyond the quota (the runs have a quota
        of their own), so those runs can still be evaluated."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".tsv", ".jsonl", ".parquet"):
            raise DataError(
                Text(
                    f"{path.name} is not a CSV, TSV, JSON Lines or Parquet file: upload one of those.",
                    f"{path.name} は CSV・TSV・JSON Lines・Parquet のどのファイルでもありません。"
                    "そのいずれかをアップロードしてください。",
                )
            )
        size = path.stat().st_size
        if size > MAX_UPLOAD_MB * 2**20:
            raise DataError(
                Text(
                    f"{path.name} is {size / 2**20:.1f} MB; uploads are limited to {MAX_UPLOAD_MB} MB.",
                    f"{path.name} は {size / 2**20:.1f} MB あります。"
                    f"アップロードできるのは {MAX_UPLOAD_MB} MB までです。",
                )
            )
        data = load_dataset(str(path))  # read it now, so a bad file is reported at upload, by its own name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        stem = file_stem(path, "upload")
        uploads = self.runs_dir / UPLOADS
        uploads.mkdir(exist_ok=True)
        in_use = {Path(run_dataset(run_dir)[0]).name for run_dir in self.runbook.folders()}
        prunable = [upload for upload in uploads.iterdir() if upload.name not in in_use]
        keep_newest(prunable, self.deployment.bounds.uploads_kept - 1)
        kept = uploads / f"{stem}-{digest}{suffix}"
        shutil.copyfile(path, kept)
        self._datasets.get_or_make(str(kept.resolve()), lambda: data)
        return UPLOAD_PREFIX + kept.name


def complete(corrected: Path) -> bool:
    """Whether a corrected copy was written whole (its mark of completion comes last)."""
    return (corrected / COMPLETE).is_file()


def file_stem(name: str | Path, fallback: str) -> str:
    """A file name's stem as the start of a name on this server: word characters and '-', at most 40."""
    return re.sub(r"[^\w-]", "-", Path(name).stem)[:40] or fallback
