"""The label review: a reader's decisions about a dataset's labels (kept or changed, in the reader's session, never an
edit of the dataset), the server's own saved decisions, a run's dataset with a reader's training-label decisions laid
over it for a retrain, its download with each label's provenance, and what the retrain changed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..bilingual import Text, split_text
from ..corpus.corrections import TABLE_COLUMNS, Overlay
from ..errors import UserError
from ..storage import Downloads
from .analysis import Analyses
from .cache import SharedCache
from .catalog import Catalog
from .deployment import Deployment

NOTHING_DECIDED = Text(
    "No review is decided in this session yet: keep or change a label first, then save.",
    "このセッションではまだどのレビューも判断していません。ラベルをそのままにするか変更してから保存してください。",
)


class LabelReview:
    def __init__(self, catalog: Catalog, deployment: Deployment, downloads: Downloads, analyses: Analyses):
        self.catalog, self.deployment, self.downloads, self.analyses = catalog, deployment, downloads, analyses
        self._corrected = SharedCache(8)  # (dataset, decisions) → the download of its corrected rows

    def decide_label(
        self, choice: str, overlay: Overlay, split: str, index: int, label: str | None, by: str
    ) -> Overlay:
        """A reader's decision about row `index` of a dataset's split (its label kept, or changed), added to the
        reader's own `overlay`: the dataset itself is never changed (corpus/corrections.py)."""
        return overlay.decided(self.catalog.dataset(choice), split, index, label, by)

    def with_server_decisions(self, choice: str, overlay: Overlay) -> tuple[Overlay, int]:
        """The reader's decisions laid over those the server keeps for a dataset (the reader's stand where both
        decided a review), and how many the server keeps."""
        saved = self.catalog.server_decisions(choice)
        return saved.merged(overlay), len(saved)

    def keep_decisions(self, choice: str, overlay: Overlay, password: str | None, visitor: str) -> Overlay:
        """A reader's decisions made the server's own for a dataset (on a public server by the password holder
        only); what the server keeps for it now."""
        self.deployment.check_may_keep_decisions(password, visitor)
        if not len(overlay):
            raise UserError(NOTHING_DECIDED)
        return self.catalog.keep_decisions(choice, overlay)

    def retrain_on(self, source: str, config: str, overlay: Overlay) -> str:
        """A run's own dataset with the reader's training-label decisions laid over it, as a page's choice."""
        return self.catalog.save_corrected(source, config, overlay)

    def corrected_download(self, choice: str, overlay: Overlay) -> Path:
        """The dataset with a reader's corrections laid over it, as CSV with each label's provenance: its rows
        written as they are read, once per version of the dataset and of the decisions (the same request again,
        from any session, is the file written the first time, unless newer downloads have pruned it since)."""
        data = self.catalog.dataset(choice)
        version = (tuple(rows._fingerprint for rows in data.values()), overlay.version())

        def write() -> Path:
            return self.downloads.rows(TABLE_COLUMNS, overlay.rows(data), "corrected-labels.csv")

        path = self._corrected.get_or_make(version, write)
        return path if path.is_file() else write()

    def changed_predictions(self, before: str, after: str, split: str) -> pd.DataFrame:
        """The reviews of `split` that two runs of the same held-out data predict differently (a run and its retrain
        on corrected labels): text, gold, each run's prediction, and whether the change is for the better."""
        first, second = self.analyses.evaluation(before, split).rows, self.analyses.evaluation(after, split).rows
        if sorted(first["text"]) != sorted(second["text"]):
            raise UserError(
                Text(
                    f"{before} and {after} were not scored on the same {split} reviews: pick a run and its retrain.",
                    f"{before} と {after} は同じ{split_text(split).ja}データのレビューで評価されていません。"
                    "モデルと、その再学習版を選んでください。",
                )
            )
        paired = first[["text", "gold", "predicted"]].merge(
            second[["text", "predicted"]].drop_duplicates("text"), on="text", suffixes=("_before", "_after")
        )
        paired = paired[paired["predicted_before"] != paired["predicted_after"]]
        change = [
            "better" if after_label == gold else "worse" if before_label == gold else "other"
            for gold, before_label, after_label in zip(
                paired["gold"], paired["predicted_before"], paired["predicted_after"], strict=True
            )
        ]
        return paired.assign(change=change).rename(columns={"predicted_before": before, "predicted_after": after})
