"""Load a sentiment dataset from the Hub, a local folder, an uploaded file or the bundled sample.

Every source comes out the same shape: a `SentimentData` (a `DatasetDict`) with the splits
train / validation / test, the columns `text` and `label`, and `label` a `ClassLabel` with the
source's order positive, neutral, negative. What was done to get there (a split carved, the Hub
swapped for the sample) travels with it as `notices`, so the CLI and the app can say so.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import datasets

from ..bilingual import Text, split_text
from ..errors import quoted
from ..text.limits import MAX_TEXT_CHARS, cap_text, has_content, is_capped
from .files import DataError, read_frame

logger = logging.getLogger(__name__)
LABELS = ("positive", "neutral", "negative")
SPLITS = ("train", "validation", "test")
DEFAULT_SOURCE = "tyqiangz/multilingual-sentiments"
DEFAULT_CONFIG = "japanese"
PARQUET_EXPORT = "refs/convert/parquet"
SAMPLE = "sample"
SAMPLE_DIR = Path(__file__).parent / "samples"

# File stems that name each split, and the readers for each suffix.
SPLIT_STEMS = {"train": ("train",), "validation": ("validation", "valid", "dev"), "test": ("test",)}
SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet")
CARVE_SEED = 42
ORIGIN_FILE = "origin.json"  # where saved data came from and what was done to it (save_loaded)
MIN_ROWS_TO_CARVE = 10

# `source` says where a row came from (the Hub data's own column, a file's name, the sample's domain).
FEATURES = datasets.Features(
    {
        "text": datasets.Value("string"),
        "label": datasets.ClassLabel(names=list(LABELS)),
        "source": datasets.Value("string"),
    }
)


class SentimentData(datasets.DatasetDict):
    """A `DatasetDict` that remembers where it came from and what was done to it."""

    source: str = ""
    notices: tuple[str, ...] = ()

    @property
    def label_names(self) -> list[str]:
        return self["train"].features["label"].names


def load_dataset(source: str = DEFAULT_SOURCE, config: str | None = DEFAULT_CONFIG) -> SentimentData:
    """Load `source`: "sample", a local folder or file, or a Hub dataset id (with `config`)."""
    if source == SAMPLE:
        return _finish(_read_folder(SAMPLE_DIR), "sample (bundled)", [])
    path = Path(source).expanduser()
    # Messages name a file or folder by its own name, never by where it lies on the server.
    if path.is_dir():
        return _finish(_read_folder(path), path.name, [])
    if path.is_file():
        return _finish({"train": read_file(path)}, path.name, [])
    if _looks_like_path(source):
        raise DataError(
            Text(
                f"No folder or file at {quoted(source)}: check the path.",
                f"{quoted(source)} にフォルダーもファイルもありません。パスを確認してください。",
            )
        )
    return load_hub_dataset(source, config)


def save_loaded(data: SentimentData, folder: Path) -> None:
    """Keep `data` as loaded (checked, carved, capped) in `folder`, for `load_saved` to read back at once."""
    data.save_to_disk(str(folder))
    origin = {"source": data.source, "notices": list(data.notices)}
    (folder / ORIGIN_FILE).write_text(json.dumps(origin, ensure_ascii=False), encoding="utf-8")


def load_saved(folder: Path) -> SentimentData:
    """What `save_loaded` kept: memory-mapped, so reading 120,000 reviews back takes no time."""
    origin = json.loads((folder / ORIGIN_FILE).read_text(encoding="utf-8"))
    return _with_notices(SentimentData(datasets.load_from_disk(str(folder))), origin["notices"], origin["source"])


def _looks_like_path(source: str) -> bool:
    return source.startswith((".", "/", "~")) or source.count("/") != 1 or Path(source).suffix in SUFFIXES


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hub can be reached: False at once when HF_HUB_OFFLINE is set, else a quick connect."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return False
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    try:
        with socket.create_connection((url.hostname, url.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def load_hub_dataset(source: str, config: str | None = DEFAULT_CONFIG) -> SentimentData:
    """A dataset from the Hub only: `source` is never taken for a local path."""
    if not hub_reachable():
        if source == DEFAULT_SOURCE:
            sample = load_dataset(SAMPLE)
            notice = (
                f"The Hugging Face Hub can't be reached, so the bundled sample ({sum(sample.num_rows.values())} "
                f"sentences) stands in for {DEFAULT_SOURCE}."
            )
            return _with_notices(sample, [notice, *sample.notices])
        raise DataError(
            Text(
                f"The Hugging Face Hub can't be reached, so the dataset {quoted(source)} can't be loaded.",
                f"Hugging Face Hub に接続できないため、データセット {quoted(source)} を読み込めません。",
            )
        )
    not_loaded = DataError(
        Text(
            f"Could not load {quoted(source)} ({quoted(config)}) from the Hub: check the dataset id and configuration.",
            f"{quoted(source)}（{quoted(config)}）を Hub から読み込めませんでした。データセットの ID と設定を"
            "確認してください。",
        )
    )
    if Path(source).exists():  # `datasets` would read a local path of that name: answer as for a missing id
        raise not_loaded
    try:
        loaded = datasets.load_dataset(source, config)
    except Exception as error:  # the Hub raises many types; the user needs one sentence
        try:
            # Datasets built by a loading script (no longer run by `datasets`) are served by the Hub
            # as an automatic Parquet export on this branch.
            loaded = datasets.load_dataset(source, config, revision=PARQUET_EXPORT)
        except Exception:
            logger.warning("Loading %s (%s) from the Hub failed", source, config, exc_info=error)
            raise not_loaded from error
    splits = {}
    for name, split in loaded.items():
        if _split_name(name):
            if "source" not in split.column_names:
                split = split.add_column("source", [source] * len(split))
            splits[_split_name(name)] = split.select_columns(list(FEATURES)).cast(FEATURES)
    return _finish(splits, f"{source} ({config})" if config else source, [])


def _split_name(name: str) -> str | None:
    return next((split for split, stems in SPLIT_STEMS.items() if name in stems), None)


def _read_folder(folder: Path) -> dict[str, datasets.Dataset]:
    splits = {}
    for path in sorted(folder.iterdir()):
        split = _split_name(path.name.split(".")[0])
        if split and path.suffix in SUFFIXES:
            if split in splits:
                raise DataError(
                    Text(
                        f"{folder.name} has two files for the {split} split: keep one.",
                        f"{folder.name} には{split_text(split).ja}データのファイルが 2 つあります。"
                        "1 つだけ残してください。",
                    )
                )
            splits[split] = read_file(path)
    if not splits:
        names = ", ".join(f"{stem}.csv" for stems in SPLIT_STEMS.values() for stem in stems[:1])
        raise DataError(
            Text(
                f"{folder.name} has no data files: name them by split ({names}, also .tsv/.jsonl/.parquet).",
                f"{folder.name} にデータファイルがありません。分割ごとの名前を付けてください（{names}。"
                ".tsv/.jsonl/.parquet も使えます）。",
            )
        )
    return splits


def read_file(path: Path) -> datasets.Dataset:
    """Read one CSV / TSV / JSON Lines / Parquet file and check every row."""
    frame = read_frame(Path(path))
    missing = [column for column in ("text", "label") if column not in frame.columns]
    if missing:
        raise DataError(
            Text(
                f"{path.name} has no {' or '.join(missing)} column: it needs the columns text and label.",
                f"{path.name} に {'・'.join(missing)} 列がありません。text と label の列が必要です。",
            )
        )
    sources = frame["source"].astype(str) if "source" in frame.columns else [path.name] * len(frame)
    labels = [_label_id(value, path, row) for row, value in enumerate(frame["label"], start=1)]
    for row, text in enumerate(frame["text"], start=1):
        if not isinstance(text, str) or not has_content(text):
            raise DataError(
                Text(
                    f"{path.name}, row {row}: the text is empty; fill it in or remove the row.",
                    f"{path.name} の {row} 行目: テキストが空です。入力するか、その行を削除してください。",
                )
            )
    if frame.empty:
        raise DataError(
            Text(
                f"{path.name} has no rows.",
                f"{path.name} に行がありません。text と label の行を 1 行以上入れてください。",
            )
        )
    columns = {"text": list(frame["text"]), "label": labels, "source": list(sources)}
    return datasets.Dataset.from_dict(columns, features=FEATURES)


def _label_id(value, path: Path, row: int) -> int:
    text = str(value).strip().lower()
    if text in LABELS:
        return LABELS.index(text)
    if text.lstrip("-").isdigit() and int(text) in range(len(LABELS)):
        return int(text)
    allowed = ", ".join(LABELS)
    raise DataError(
        Text(
            f"{path.name}, row {row}: unknown label {quoted(value)}; use {allowed} (or 0, 1, 2).",
            f"{path.name} の {row} 行目: {quoted(value)} は使えないラベルです。{allowed}（または 0, 1, 2）を"
            "使ってください。",
        )
    )


def _finish(splits: dict[str, datasets.Dataset], source: str, notices: list[str]) -> SentimentData:
    """Carve any missing split, seeded and stratified by label, and say what was carved."""
    rows = sum(len(split) for split in splits.values())
    if len(splits) < len(SPLITS) and rows < MIN_ROWS_TO_CARVE:
        raise DataError(
            Text(
                f"{source} has only {rows} rows: at least {MIN_ROWS_TO_CARVE} are needed to carve the missing "
                "validation and test splits; add rows or give the splits as files.",
                f"{source} には {rows} 行しかありません。足りない validation と test の分割を切り出すには "
                f"{MIN_ROWS_TO_CARVE} 行以上が必要です。行を増やすか、分割をファイルで渡してください。",
            )
        )
    if "train" not in splits:
        names = " + ".join(splits)
        pool = datasets.concatenate_datasets(list(splits.values()))
        splits = _carve(pool, ("train", "validation", "test"))
        notices.append(f"No train split: carved train / validation / test 80/10/10 from {names} (seed {CARVE_SEED}).")
    missing = [name for name in ("validation", "test") if name not in splits]
    if missing:
        carved = _carve(splits["train"], ("train", *missing))
        splits.update(carved)
        share = "10%" if len(missing) == 1 else "10% each"
        notices.append(f"No {' or '.join(missing)} split: carved {share} from train (seed {CARVE_SEED}).")
    data = SentimentData({name: _cap_texts(splits[name], name, notices) for name in SPLITS})
    return _with_notices(data, notices, source)


def _cap_texts(split: datasets.Dataset, name: str, notices: list[str]) -> datasets.Dataset:
    """`split` with every text cut to MAX_TEXT_CHARS (see limits.py), and a notice if any was cut."""
    cut = sum(map(is_capped, split["text"]))
    if not cut:
        return split
    notices.append(f"{cut:,} {name} texts were longer than {MAX_TEXT_CHARS:,} characters and were cut there.")
    return split.map(lambda batch: {"text": [cap_text(text) for text in batch["text"]]}, batched=True)


def _carve(pool: datasets.Dataset, names: tuple[str, ...]) -> dict[str, datasets.Dataset]:
    """Split `pool` into `names`: the first keeps 80% (90% if only two), the rest share what is left."""
    held_out = 0.1 * (len(names) - 1)
    try:
        parts = pool.train_test_split(test_size=held_out, seed=CARVE_SEED, stratify_by_column="label")
    except ValueError:  # a class too small to stratify: split without it
        parts = pool.train_test_split(test_size=held_out, seed=CARVE_SEED)
    if len(names) == 2:
        return {names[0]: parts["train"], names[1]: parts["test"]}
    rest = parts["test"].train_test_split(test_size=0.5, seed=CARVE_SEED)
    return {names[0]: parts["train"], names[1]: rest["train"], names[2]: rest["test"]}


def _with_notices(data: SentimentData, notices: list[str], source: str | None = None) -> SentimentData:
    copy = SentimentData(data)
    copy.source = source if source is not None else data.source
    copy.notices = tuple(notices)
    return copy
