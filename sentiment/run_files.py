"""A run is a folder: this module owns its layout, so every floor names the same files the same way.

`<runs>/<name>/` holds what one training run produced. It is written as `<name>.partial/` and counts as
finished only once it has `metrics.json`; nothing here imports torch, so listing runs stays cheap.

A runs folder on a Space's Storage Bucket (object storage mounted with FUSE) does not rename a folder at once:
hf-mount renames it file by file, and uploads a file when it is closed. So a run bound for a bucket is written
in a local work folder (`work_root`) and, once complete, copied in with `metrics.json` last (`publish`): a crash
mid-copy leaves a folder without it, which is not a run and is removed when the job recovers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# One rule for run names in the page, the API and the CLI: a plain folder name that is safe in a
# path, a URL and HTML alike. Letters include Japanese (\w is Unicode), and a name has at most
# RUN_NAME_BYTES bytes in UTF-8 (a kanji takes three), so it and its `.partial` fit a file name.
RUN_NAME = re.compile(r"[\w-][\w.-]{0,99}")
RUN_NAME_BYTES = 100
ABANDONED_SECONDS = 600  # a copy into a bucket untouched this long was left by a machine that is gone
PARTIAL_SUFFIX = ".partial"  # a run being written (trainer.py)
# Scripts whose letters pass for each other's (Cyrillic і, о, е for Latin i, o, e): a run name keeps to one.
LOOK_ALIKE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")

METRICS_FILE = "metrics.json"  # the run's validation metrics; its presence marks the run finished
PREDICTIONS_FILE = "predictions.csv"
ANSWERS_FILE = "answers-{split}.parquet"  # the trained model's answers for a held-out split, read by Evaluate
PROGRESS_FILE = "progress.jsonl"
CONFIG_FILE = "train_config.json"  # the run's settings (TrainConfig) and the dataset it read
DATA_MAP_FILE = "data_map.json"
CARD_FILE = "README.md"
EXAMPLES_KEY = "examples_trained"  # in metrics.json


# Where the Space's Storage Bucket is mounted (`hf spaces volumes set … -v hf://buckets/<ns>/<b>:/data`); set
# STORAGE_BUCKET_PATH when it is mounted elsewhere.
BUCKET_PATH = "/data"


# Letters that pass for a basic Latin one in a name, as NFKC and casefold leave them (an upper-case letter as its
# lower case): Cyrillic and Greek ones, and Latin's own variants. A name written wholly in them (`ѕсоре`, all
# Cyrillic) or with one of them (`ngrɑm`, `nɡram`) uses one script and passes check_run_name, but reads as the
# Latin name it imitates.
LOOK_ALIKE_LETTERS = str.maketrans(
    {
        **dict.fromkeys("аαɑ", "a"),
        **dict.fromkeys("вβƅ", "b"),
        **dict.fromkeys("сᴄ", "c"),
        "ԁ": "d",
        **dict.fromkeys("еε", "e"),
        "ɡ": "g",
        **dict.fromkeys("һнη", "h"),
        **dict.fromkeys("іιıɩɪ", "i"),
        **dict.fromkeys("јϳ", "j"),
        **dict.fromkeys("кκ", "k"),
        **dict.fromkeys("ӏʟ", "l"),
        **dict.fromkeys("мμ", "m"),
        **dict.fromkeys("оοᴏ", "o"),
        **dict.fromkeys("рρ", "p"),
        "ԛ": "q",
        **dict.fromkeys("ѕꜱ", "s"),
        **dict.fromkeys("тτ", "t"),
        **dict.fromkeys("υᴜ", "u"),
        **dict.fromkeys("νᴠ", "v"),
        **dict.fromkeys("ԝᴡ", "w"),
        **dict.fromkeys("хχ", "x"),
        **dict.fromkeys("уү", "y"),
        **dict.fromkeys("ζᴢ", "z"),
    }
)


def name_key(name: str) -> str:
    """What a run name reads as: names with the same key (`tiny`, `ｔｉｎｙ`, `Tiny`, `ѕсоре` for `scope`) would be
    taken for one run."""
    return unicodedata.normalize("NFKC", name).casefold().translate(LOOK_ALIKE_LETTERS)


def look_alike_scripts(name: str) -> set[str]:
    """The scripts among LOOK_ALIKE_SCRIPTS whose letters `name` uses; more than one makes a look-alike name."""
    names = (unicodedata.name(character, "") for character in name if character.isalpha())
    return {script for given in names for script in LOOK_ALIKE_SCRIPTS if given.startswith(script + " ")}


def partial_dir(output: str | Path) -> Path:
    """Where a run is written until it is complete: beside it, or in the local work folder of a bucket."""
    output = Path(output)
    return work_root(output.parent) / (output.name + PARTIAL_SUFFIX)


def work_root(runs_dir: Path) -> Path:
    """Where work on `runs_dir`'s runs happens before it is finished: the runs folder itself on a local disk, a
    local folder of its own (the same for every process on this machine) when the runs folder is on a bucket."""
    if not on_bucket(runs_dir):
        return Path(runs_dir)
    digest = hashlib.sha256(str(Path(runs_dir).resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "sentiment-work" / digest


def bucket_path() -> Path:
    return Path(os.environ.get("STORAGE_BUCKET_PATH", BUCKET_PATH))


def on_bucket(folder: Path) -> bool:
    """Whether `folder` lies on object storage: under the bucket's mount on a Space (or wherever
    STORAGE_BUCKET_PATH says), or on any FUSE mount (hf-mount, s3fs, rclone)."""
    folder = Path(folder).resolve()
    named = bool(os.environ.get("SPACE_ID") or os.environ.get("STORAGE_BUCKET_PATH"))
    if named and folder.is_relative_to(bucket_path().resolve()):
        return True
    return _mount_type(folder).startswith("fuse")


def _mount_type(folder: Path) -> str:
    """The file system type of the mount `folder` is on ("" when /proc/mounts can't say)."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    found, kind = Path("/"), ""
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(fields[1].replace("\\040", " "))
        if folder.is_relative_to(point) and len(point.parts) >= len(found.parts):
            found, kind = point, fields[2]
    return kind


def publish(partial: Path, output: Path, last: str = METRICS_FILE) -> None:
    """Put the complete folder `partial` (a run) in place as `output`: a rename beside it; from a local work
    folder, a copy with `last` last (a run's `metrics.json`: a folder without it is no run), then the local folder
    is removed. (A bucket renames a folder file by file, in no order: so what is bound for one is made locally.)"""
    if partial.parent == output.parent:
        partial.rename(output)
        return
    output.mkdir(parents=True)
    for path in sorted(partial.rglob("*"), key=lambda path: path.name == last):
        target = output / path.relative_to(partial)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    shutil.rmtree(partial, ignore_errors=True)


def unfinished(output: Path) -> bool:
    """A run folder that a copy into a bucket left without its `metrics.json`."""
    return output.is_dir() and not (output / METRICS_FILE).is_file()


def remove_abandoned_copies(runs_dir: Path) -> None:
    """On a bucket: remove the copies of runs that a machine began and never finished (a restarted Space has a new
    machine, which knows nothing of the last one's jobs). A copy takes seconds; one whose newest file is older than
    ABANDONED_SECONDS is no other replica's copy in progress."""
    if not on_bucket(runs_dir) or not Path(runs_dir).is_dir():
        return
    now = time.time()
    for folder in Path(runs_dir).iterdir():
        if folder.name.startswith(".") or not unfinished(folder):
            continue
        newest = max((path.stat().st_mtime for path in folder.rglob("*")), default=folder.stat().st_mtime)
        if now - newest > ABANDONED_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


def remove_unfinished(output: Path) -> None:
    """Remove what a run that ended early left of `output`: its partial folder, and a copy into a bucket that
    never got its metrics.json."""
    shutil.rmtree(partial_dir(output), ignore_errors=True)
    if unfinished(output):
        shutil.rmtree(output, ignore_errors=True)


@dataclass(frozen=True)
class ProgressRecord:
    """One line of a run's progress.jsonl: what its training did at a moment, written by the trainer (trainer.py,
    head.py) and read by the job, its log and the page's curves.

    `event` says which fields are set: `loaded` (notices, train_examples), `start` (step 0, total_steps, epochs),
    `log` and `eval` (step, total_steps, epoch, scores; a log has remaining and examples_per_second), `summary`
    (the Trainer's totals), `done` (run_dir), `error` (message: one sentence for a visitor). `scores` holds the
    numbers the Trainer logs: loss, learning_rate, grad_norm, eval_loss, eval_accuracy, eval_f1_weighted…
    On disk (and across ZeroGPU's process boundary) a record is one flat JSON object (`as_json`), as before
    there was a type, so the files of older runs read back the same (`from_json`)."""

    event: str
    step: int | None = None
    total_steps: int | None = None
    epoch: float | None = None
    epochs: float | None = None
    remaining: float | None = None  # seconds left at the pace so far
    examples_per_second: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    notices: tuple[str, ...] | None = None
    train_examples: int | None = None
    run_dir: str | None = None
    message: str | None = None
    time: float | None = None  # when it was written (time.time())
    elapsed: float | None = None  # seconds since training began

    @property
    def is_step(self) -> bool:
        """A record that says how far training has come: its start, a log or an evaluation."""
        return self.event in ("start", "log", "eval")

    def as_json(self) -> dict:
        fields = {name: getattr(self, name) for name in _RECORD_FIELDS if name != "scores"}
        flat = {name: value for name, value in fields.items() if value is not None}
        if "notices" in flat:
            flat["notices"] = list(flat["notices"])
        return {**flat, **self.scores}

    @classmethod
    def from_json(cls, data: dict) -> ProgressRecord:
        known = {name: value for name, value in data.items() if name in _RECORD_FIELDS}
        if "notices" in known:
            known["notices"] = tuple(known["notices"])
        scores = {name: value for name, value in data.items() if name not in _RECORD_FIELDS}
        return cls(**known, scores=scores)


_RECORD_FIELDS = {field.name for field in dataclasses.fields(ProgressRecord)}


def read_progress(path: Path) -> list[ProgressRecord]:
    """The records of a progress.jsonl, up to a line still being written."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(ProgressRecord.from_json(json.loads(line)))
        except json.JSONDecodeError:  # the line being written right now
            break
    return records
