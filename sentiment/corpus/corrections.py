"""Label corrections: what a reader decided about doubted reviews, kept beside the data, never written into it.

A correction names a review by its split and text (a row's position can change when a dataset is loaded again;
its text does not), the label it was given and the label the reader chose, who chose it and when. A reader who
keeps the given label records that too: the review was read. The dataset can then be loaded with the
corrections laid over it (`apply`) or without, and written out as CSV with a provenance column saying, for each
row, whether its label is the published one or a correction, by whom and when.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ..bilingual import Text, classes_listed, split_text, splits_listed
from ..errors import UserError, quoted
from .loading import SentimentData

MAX_CORRECTIONS = 1000  # one reader's decisions kept at most (a public server's visitor's, in their session)
PUBLISHED = "published"
TABLE_COLUMNS = ("split", "text", "label", "provenance")  # the rows of a download of the corrected dataset


@dataclass(frozen=True)
class Correction:
    split: str
    text: str
    given: str
    label: str  # the reader's label: the given one when they kept it
    by: str
    at: str  # ISO 8601, UTC

    @property
    def changed(self) -> bool:
        return self.label != self.given

    def provenance(self) -> str:
        if not self.changed:
            return f"published, kept by {self.by} at {self.at}"
        return f"corrected from {self.given} by {self.by} at {self.at}"


def row_key(split: str, text: str) -> str:
    return hashlib.sha256(f"{split}\0{text}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Overlay:
    """Row key → the reader's decision; immutable, so a visitor's session holds its own."""

    corrections: tuple[tuple[str, Correction], ...] = ()

    def as_dict(self) -> dict[str, Correction]:
        return dict(self.corrections)

    def __len__(self) -> int:
        return len(self.corrections)

    def has(self, split: str, text: str) -> bool:
        """Whether the review of `split` with this text is decided (kept or changed)."""
        wanted = row_key(split, text)
        return any(key == wanted for key, _ in self.corrections)

    def decided(self, data: SentimentData, split: str, index: int, label: str | None, by: str) -> Overlay:
        """This overlay with the reader's `label` for row `index` of `split` (None, or the given label: kept)."""
        if split not in data:
            raise UserError(
                Text(
                    f"The dataset has no {quoted(split)} split; choose one of {', '.join(data)}.",
                    f"このデータには {quoted(split)} という分割がありません。"
                    f"{splits_listed(data).ja} から選んでください。",
                )
            )
        if not 0 <= index < len(data[split]):
            raise UserError(
                Text(
                    f"The {split} split has no row {index}: pick a review from the list.",
                    f"{split_text(split).ja}データに {index} 行目はありません。一覧からレビューを選んでください。",
                )
            )
        if label is not None and label not in data.label_names:
            raise UserError(
                Text(
                    f"{quoted(label)} is not a label of this dataset: use {', '.join(data.label_names)}.",
                    f"{quoted(label)} はこのデータのラベルではありません。{classes_listed(data.label_names).ja} "
                    "のいずれかを使ってください。",
                )
            )
        row = data[split][int(index)]
        key = row_key(split, row["text"])
        decisions = self.as_dict()
        if key not in decisions and len(decisions) >= MAX_CORRECTIONS:
            raise UserError(
                Text(
                    f"{MAX_CORRECTIONS:,} reviews are decided already: download them, then start anew.",
                    f"すでに {MAX_CORRECTIONS:,} 件のレビューを判断済みです。ダウンロードしてから、"
                    "新しく始めてください。",
                )
            )
        given = data.label_names[row["label"]]
        label = label or given
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        decisions[key] = Correction(split, row["text"], given, label, by, at)
        return Overlay(tuple(decisions.items()))

    def merged(self, newer: Overlay) -> Overlay:
        """These decisions with `newer`'s laid over them: for a review decided in both, `newer`'s stands. The
        result refers to the decisions of both (no copy of their texts); with one side empty it is the other."""
        if not newer.corrections or not self.corrections:
            return self if not newer.corrections else newer
        decisions = self.as_dict() | newer.as_dict()
        if len(decisions) > MAX_CORRECTIONS:
            raise UserError(
                Text(
                    f"Together they are {len(decisions):,} decided reviews, more than the {MAX_CORRECTIONS:,} kept: "
                    "download them as CSV instead.",
                    f"合わせると判断済みのレビューが {len(decisions):,} 件になり、保存できる {MAX_CORRECTIONS:,} 件を"
                    "超えます。代わりに CSV としてダウンロードしてください。",
                )
            )
        return Overlay(tuple(decisions.items()))

    def to_json(self) -> str:
        return json.dumps([{"key": key, **asdict(c)} for key, c in self.corrections], ensure_ascii=False, indent=1)

    @staticmethod
    def from_json(text: str) -> Overlay:
        """The decisions `to_json` wrote; a key is checked against its split and text, so an edited file cannot
        lay a decision over another review."""
        decisions = []
        for entry in json.loads(text)[:MAX_CORRECTIONS]:
            key = entry.pop("key")
            correction = Correction(**entry)
            if key == row_key(correction.split, correction.text):
                decisions.append((key, correction))
        return Overlay(tuple(decisions))

    def of_split(self, split: str) -> Overlay:
        """The decisions about one split only (a retrain corrects its training labels, never what it is scored on)."""
        return Overlay(tuple((key, c) for key, c in self.corrections if c.split == split))

    def version(self) -> str:
        """Names these decisions exactly, who decided and when included (a download shows them)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def digest(self) -> str:
        """The same decisions give the same name: a retrain on them twice reads one folder."""
        decided = sorted(f"{key}:{c.label}" for key, c in self.corrections)
        return hashlib.sha256("\n".join(decided).encode()).hexdigest()[:12]

    def write(self, data: SentimentData, folder: Path) -> Path:
        """`data` with these decisions laid over it, one CSV per split (text, label, source) in `folder`."""
        corrected = self.apply(data)  # a decision it can't lay over the data is refused before a byte is written
        folder.mkdir(parents=True, exist_ok=True)
        names = data.label_names
        for split, rows in corrected.items():
            table = rows.select_columns([c for c in ("text", "label", "source") if c in rows.column_names]).to_pandas()
            table["label"] = [names[label] for label in table["label"]]
            table.to_csv(folder / f"{split}.csv", index=False)
        return folder

    def apply(self, data: SentimentData) -> SentimentData:
        """`data` with the changed labels laid over it (a new dataset; the source is untouched). A decision whose
        label is not one of the dataset's (an edited file of saved decisions) is one sentence."""
        names, splits = data.label_names, {}
        unknown = sorted({c.label for _, c in self.corrections if c.changed and c.label not in names})
        if unknown:
            raise UserError(
                Text(
                    f"A decision gives a review the label {quoted(unknown[0])}, which this dataset does not have "
                    f"({', '.join(names)}): decide that review again, or load the decisions anew.",
                    f"判断の中に、このデータにないラベル {quoted(unknown[0])} があります（{', '.join(names)}）。"
                    "そのレビューを判断し直すか、判断を読み込み直してください。",
                )
            )
        for split, rows in data.items():
            changed = {text: c for text, c in self._by_text(split).items() if c.changed}
            labels = [
                names.index(changed[text].label) if text in changed else label
                for text, label in zip(column(rows, "text"), column(rows, "label"), strict=True)
            ]
            relabelled = rows.remove_columns("label").add_column("label", labels)
            splits[split] = relabelled.cast_column("label", rows.features["label"])
        corrected = SentimentData(splits)
        corrected.source, corrected.notices = data.source, data.notices
        return corrected

    def rows(self, data: SentimentData) -> Iterator[tuple[str, str, str, str]]:
        """Every row of every split, one at a time: its split, text, label after the corrections and where that
        label comes from (TABLE_COLUMNS)."""
        names = data.label_names
        for split, rows in data.items():
            decided = self._by_text(split)
            for text, label in zip(column(rows, "text"), column(rows, "label"), strict=True):
                decision = decided.get(text)
                if decision is None:
                    yield split, text, names[label], PUBLISHED
                else:
                    yield split, text, decision.label, decision.provenance()

    def table(self, data: SentimentData) -> pd.DataFrame:
        """`rows` as a table."""
        return pd.DataFrame(self.rows(data), columns=TABLE_COLUMNS)

    def _by_text(self, split: str) -> dict[str, Correction]:
        """The decisions about one split by their reviews' texts. A decision's key is its split and text (checked
        when read back), so a row is found by its text without hashing every row of the dataset."""
        return {c.text: c for _, c in self.corrections if c.split == split}


def column(rows, name: str) -> list:
    """A column of a split as a list, read from its Arrow table at once: read row by row, 120,000 texts take
    about 2 s of CPU, at once 0.2 s."""
    return rows.with_format("arrow")[name].to_pylist()
