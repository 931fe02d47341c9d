"""What the Dataset tab shows: split summaries, label counts, lengths and one page of rows.

Everything here runs on the server over pandas views of the splits, so a 120,000-row split is
filtered and paged without sending it to the browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .loading import SentimentData

ALL_LABELS = "all"
PAGE_SIZE = 20
LENGTH_SAMPLE = 2000  # rows per split tokenized for the length histogram


def split_summary(data: SentimentData) -> pd.DataFrame:
    rows = []
    for name, split in data.items():
        features = ", ".join(
            f"{column}: {feature.__class__.__name__}"
            + (f"({', '.join(feature.names)})" if hasattr(feature, "names") else "")
            for column, feature in split.features.items()
        )
        rows.append({"split": name, "rows": len(split), "features": features})
    return pd.DataFrame(rows)


def frame(data: SentimentData, split: str) -> pd.DataFrame:
    """A split as text / label name / source, the label names taken from its ClassLabel."""
    table = data[split].to_pandas()
    table["label"] = [data.label_names[label] for label in table["label"]]
    return table[["text", "label", "source"]]


def label_counts(frames: dict[str, pd.DataFrame], label_names: list[str]) -> pd.DataFrame:
    """Rows per split (`frames`: split name → `frame`) and label, in label order."""
    counts = {split: table["label"].value_counts() for split, table in frames.items()}
    return pd.DataFrame(counts).reindex(label_names).fillna(0).astype(int)


def source_label_counts(frames: dict[str, pd.DataFrame], label_names: list[str]) -> pd.DataFrame:
    table = pd.concat(frames.values())
    counts = pd.crosstab(table["source"], table["label"]).reindex(columns=label_names, fill_value=0)
    return counts.reset_index()


def lengths(table: pd.DataFrame, tokenizer=None, seed: int = 0) -> pd.DataFrame:
    """Characters (and tokens, with a tokenizer) per text for up to LENGTH_SAMPLE rows of a `frame`."""
    if len(table) > LENGTH_SAMPLE:
        table = table.sample(LENGTH_SAMPLE, random_state=seed)
    result = pd.DataFrame({"label": table["label"], "characters": table["text"].str.len()})
    if tokenizer is not None:
        result["tokens"] = [len(ids) for ids in tokenizer(list(table["text"]), verbose=False)["input_ids"]]
    return result


@dataclass
class Page:
    rows: pd.DataFrame
    page: int
    pages: int
    matches: int

    @property
    def caption(self) -> str:
        return f"Page {self.page} of {self.pages} · {self.matches:,} matching rows"


@dataclass
class Overview:
    """What the Dataset tab shows of a dataset at once: its splits, labels by split and by source, lengths."""

    summary: pd.DataFrame
    label_counts: pd.DataFrame
    source_counts: pd.DataFrame
    lengths: pd.DataFrame
    first_page: Page
    notices: list[str]


def overview(data: SentimentData, frames: dict[str, pd.DataFrame], tokenizer=None) -> Overview:
    """`frames`: split name → `frame`; `tokenizer` (optional) counts the tokens of the training sample."""
    return Overview(
        summary=split_summary(data),
        label_counts=label_counts(frames, data.label_names),
        source_counts=source_label_counts(frames, data.label_names),
        lengths=lengths(frames["train"], tokenizer),
        first_page=page_rows(frames["train"]),
        notices=list(data.notices),
    )


def page_rows(
    table: pd.DataFrame, label: str = ALL_LABELS, query: str = "", page: int = 1, page_size: int = PAGE_SIZE
) -> Page:
    """One page of rows with `label` (or all) whose text contains `query` (plain text, not a pattern)."""
    selected = table
    if label and label != ALL_LABELS:
        selected = selected[selected["label"] == label]
    if query and query.strip():
        selected = selected[selected["text"].str.contains(query.strip(), regex=False, case=False)]
    pages = max(1, math.ceil(len(selected) / page_size))
    page = min(max(1, int(page or 1)), pages)
    start = (page - 1) * page_size
    rows = selected.iloc[start : start + page_size].reset_index(names="row")
    return Page(rows, page, pages, len(selected))
