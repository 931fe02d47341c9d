"""The analyses: what the Evaluate tab, "Why?", the maps, the data lesson and the tokenizer lab compute.

Each is computed once per run (or dataset) and split, kept in a shared cache, and bounded by the server's
bounds; none trains or loads a model of its own but through the model pool.
"""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

import pandas as pd

from ..bilingual import Text, classes_listed
from ..corpus.files import texts_in_file
from ..corpus.loading import SentimentData
from ..corpus.suspects import Suspects, TooFewReviews, doubted, find_suspects
from ..corpus.token_stats import DatasetTokenStats, token_statistics
from ..errors import UserError, quoted, unknown_split
from ..insight.attribution import Attribution, integrated_gradients
from ..insight.data_map import DataMap, read_data_map, region_reviews
from ..insight.evaluation import Report, comparison, evaluate, probabilities_by_text, saved_report
from ..insight.inference import Classifier
from ..insight.maps import ModelMap, model_map, sample_rows
from ..insight.ngram_reasons import ngram_attribution
from ..insight.slices import report_slices
from ..models.bert import starting_model
from ..models.prediction import check_texts, prediction_table
from ..run_files import CARD_FILE
from ..storage import Downloads
from ..text.compare import Comparison, TokenizerLab
from ..text.limits import UNBOUNDED, affordable_rows
from ..text.morphology import mecab_nodes
from .cache import PER_TEXT_BYTES, SharedCache, run_key
from .catalog import Catalog
from .deployment import Deployment
from .pool import ModelPool, tokens_read, work_limit
from .runbook import RunBook

MAX_COMPARED = 6
DOUBTED = "label doubted"
REGION_ROWS = 200  # reviews of a data map's region sent to the page


class Analyses:
    def __init__(
        self, catalog: Catalog, runbook: RunBook, pool: ModelPool, deployment: Deployment, downloads: Downloads
    ):
        self.catalog, self.runbook, self.pool = catalog, runbook, pool
        self.deployment, self.downloads = deployment, downloads
        self._evaluations = SharedCache(8)
        self._maps = SharedCache(4)
        self._attributions = SharedCache(256, PER_TEXT_BYTES)
        self._suspects = SharedCache(6)
        self._slices = SharedCache(8)
        self._data_maps = SharedCache(4)
        self._tokenizer_labs = SharedCache(3)
        self._token_stats = SharedCache(3)

    # Classify many
    def classify_batch(self, run_name: str, lines: str, file: str | Path | None) -> tuple[pd.DataFrame, Path]:
        """The texts typed one per line and those of a file's text column (no more rows read than may be
        classified), classified within this server's bounds; the table and a CSV of it to download."""
        texts = [line for line in (lines or "").splitlines() if line.strip()]
        if file is not None:
            texts += texts_in_file(Path(file), max_rows=self.deployment.bounds.batch_rows)
        table = prediction_table(self.pool.classify_many(run_name, texts))
        return table, self.downloads.csv(table, "classified.csv")

    # Evaluate
    def evaluation(self, run_name: str, split: str) -> Report:
        """A run scored on a split: from the answers its trainer saved where they cover the split (validation
        and test), else by running the model once per run and split."""
        run_dir = self.runbook.resolve(run_name)

        def make() -> Report:
            data = self.catalog.run_data(run_dir)
            if (saved := saved_report(run_dir, data, split)) is not None:
                return saved
            classifier = self.pool.classifier(run_name)
            if split not in data or (kept := self._affordable(classifier, data[split]["text"])) is None:
                return evaluate(run_dir, data, split, classifier)
            sampled = evaluate(run_dir, {split: data[split].select(kept)}, split, classifier)
            sampled.metrics["sampled_from"] = len(data[split])
            return sampled

        return self._evaluations.get_or_make((run_key(run_dir), split), make)

    def _affordable(self, model, texts: list[str], models: int = 1) -> list[int] | None:
        """Which of `texts` an analysis may have `model` (and `models` - 1 more of its size) read anew within this
        server's bound: a seeded sample, or None for all of them."""
        budget = self.deployment.bounds.analysis_work
        if budget == UNBOUNDED or not isinstance(model, Classifier):  # the n-gram baseline costs next to nothing
            return None
        texts = list(texts)
        kept = affordable_rows(
            len(texts), lambda rows: tokens_read(model, [texts[i] for i in rows]), work_limit(model, budget / models)
        )
        return None if len(kept) == len(texts) else kept

    def comparison(self, run_names: list[str], split: str) -> tuple[pd.DataFrame, dict[str, dict], str]:
        """Several runs scored on the same split: a table, each run's metrics, and a caution if their data differ."""
        if not run_names:
            raise UserError(
                Text(
                    "No runs are chosen: pick two or more runs to compare.",
                    "モデルが選ばれていません。比べるモデルを 2 つ以上選んでください。",
                )
            )
        if len(run_names) > MAX_COMPARED:
            raise UserError(
                Text(
                    f"{len(run_names)} runs are chosen: compare at most {MAX_COMPARED} at a time.",
                    f"{len(run_names)} 個のモデルが選ばれています。一度に比べられるのは {MAX_COMPARED} 個までです。",
                )
            )
        metrics = {name: self.evaluation(name, split).metrics for name in run_names}
        infos = {run.name: run for run in self.runbook.runs()}
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

    # Why? and the maps
    def attribution(self, run_name: str, text: str, label: str | None = None) -> Attribution:
        """How much each token and MeCab word of `text` moved the run toward `label` (default: its prediction):
        for a BERT run by Integrated Gradients over its tokens, for the n-gram baseline by its own weights over
        the characters (ngram_reasons.py). The run explained is always the run asked about.

        Answers are kept per run, text and class: a class asking "Why?" of the same example pays once."""
        run = self.runbook.info(run_name)
        reads_characters = run is not None and not run.reads_tokens
        model = self.pool.classifier(run_name) if reads_characters else self.pool.unquantised(run_name)
        check_texts([text])
        if label is not None and label not in model.label_names:
            raise UserError(
                Text(
                    f"{quoted(label)} is not a class of this run: pick one of {', '.join(model.label_names)}.",
                    f"{quoted(label)} はこのモデルのクラスではありません。{classes_listed(model.label_names).ja} の"
                    "いずれかを選んでください。",
                )
            )
        # The prediction is the one Classify showed (kept per text): it read the whole text, where "Why?" may read
        # only its head, and asking the model again cost a second of a long text's "Why?".
        label = label or self.pool.classify(run_name, text)[0].label
        key = (run_key(self.runbook.resolve(run_name)), hashlib.sha256(text.encode()).hexdigest(), label)
        if reads_characters:
            words = [node.surface for node in mecab_nodes(text)]
            reasons = partial(ngram_attribution, model.model, text, model.label_names.index(label), label, words)
            return self._attributions.get_or_make(key, reasons)
        return self._attributions.get_or_make(key, lambda: self._attribute(model, text, label))

    def _attribute(self, model: Classifier, text: str, label: str) -> Attribution:
        # Integrated Gradients hooks the model's embedding layer: while it runs, no other request may use
        # this model (its answers would mix with this one's), so each full-precision model has a lock.
        with model.lock:
            budget = self.deployment.bounds.why_budget
            bf16 = model.precision == "bf16"
            return integrated_gradients(model.model, model.tokenizer, text, label, model.max_length, budget, bf16)

    def model_maps(self, run_name: str, split: str) -> tuple[ModelMap, ModelMap]:
        """Where the model a run started from, and the trained run, put the reviews of a split."""
        trained = self.pool.unquantised(run_name)
        return self._maps.get_or_make((run_key(trained.run_dir), split), lambda: self._draw_maps(trained, split))

    def _draw_maps(self, trained: Classifier, split: str) -> tuple[ModelMap, ModelMap]:
        run_dir = trained.run_dir
        data = self.catalog.run_data(run_dir)
        if split not in data:
            raise UserError(unknown_split(split))
        rows = data[split].select(sample_rows(len(data[split])))
        run = self.runbook.info(run_dir.name)
        # A head-only run's encoder was frozen: the model it started from reads every review as the run does
        # (maps.py), so its two maps are one, drawn once, without loading that model again (a second BERT).
        start = None if run.frozen_encoder else started_from(run.settings, trained)
        if (kept := self._affordable(trained, rows["text"], 1 if start is None else 2)) is not None:
            rows = rows.select(kept)
        labels = [data.label_names[label] for label in rows["label"]]
        texts, length, bf16 = rows["text"], trained.max_length, trained.precision == "bf16"
        of = len(data[split])
        with trained.lock:  # the trained model is the one "Why?" hooks (see _attribute)
            after = model_map(trained.model, trained.tokenizer, texts, labels, length, bf16, of=of)
        before = after if start is None else model_map(start, trained.tokenizer, texts, labels, length, bf16, of=of)
        return before, after

    # The data lesson: doubted labels, slices, data maps, model cards
    def suspects(self, choice: str, split: str) -> Suspects:
        """The reviews of a dataset's split whose label the n-gram model's out-of-fold view doubts, ranked once
        per dataset and split (a bounded sample of a big split: suspects.MAX_RANKED)."""
        data = self.catalog.dataset(choice)
        key = (self.catalog.resolve(choice), split)
        return self._suspects.get_or_make(key, lambda: find_suspects(data, split))

    def doubted_labels(self, run_name: str, split: str) -> dict[str, str]:
        """Text → suggested label for the reviews of a run's split whose label the models doubt: the n-gram view
        and the run's own predictions together (none for a split too small to judge)."""
        run_dir = self.runbook.resolve(run_name)

        def rank() -> dict[str, str]:
            data = self.catalog.run_data(run_dir)
            if split not in data:
                raise UserError(unknown_split(split))
            return doubted_in(self.evaluation(run_name, split), data, split)

        return self._suspects.get_or_make((run_key(run_dir), split), rank)

    def cell_examples(self, run_name: str, split: str, gold: str, predicted: str) -> pd.DataFrame:
        """The examples of one confusion-matrix cell, with '⚠ neutral?' (the label the models suggest) in the
        DOUBTED column beside each review whose label they doubt."""
        return marked(self.evaluation(run_name, split).cell(gold, predicted), self.doubted_labels(run_name, split))

    def slices(self, run_name: str, split: str):
        """A run's metrics on a split by source, length and negation (insight/slices.py)."""
        run_dir = self.runbook.resolve(run_name)
        return self._slices.get_or_make(
            (run_key(run_dir), split),
            lambda: report_slices(self.evaluation(run_name, split).rows, self.catalog.run_data(run_dir)[split]),
        )

    def data_map(self, run_name: str) -> DataMap:
        run_dir = self.runbook.resolve(run_name)
        return self._data_maps.get_or_make(run_key(run_dir), lambda: read_data_map(run_dir))

    def data_map_region(self, run_name: str, region: str) -> pd.DataFrame:
        """The reviews of one region of a run's data map, the most typical first (at most REGION_ROWS)."""
        return region_reviews(self.data_map(run_name), region).head(REGION_ROWS)

    def model_card(self, run_name: str) -> Path:
        """A copy of the run's model card to download."""
        run_dir = self.runbook.resolve(run_name)
        if (run := self.runbook.info(run_name)) is not None and not run.has_card:
            raise UserError(
                Text(
                    f"{run_name} was trained before model cards were written: train it again to get one.",
                    f"{run_name} はモデルカードを書く機能より前に学習されました。"
                    "カードが必要なら学習し直してください。",
                )
            )
        return self.downloads.copy(run_dir / CARD_FILE, f"{run_name}-{CARD_FILE}")

    # Tokenizers side by side
    def tokenizer_lab(self, choice: str) -> TokenizerLab:
        """Every tokenizer of the comparison, with what it learned from the chosen dataset's training texts."""
        data = self.catalog.dataset(choice)
        return self._tokenizer_labs.get_or_make(
            self.catalog.resolve(choice), lambda: TokenizerLab(data["train"]["text"], data.source)
        )

    def compare_tokenizers(self, choice: str, text: str) -> Comparison:
        return self.tokenizer_lab(choice).compare(text)

    def tokenizer_stats(self, choice: str) -> DatasetTokenStats:
        """Every tokenizer over every split of the chosen dataset, computed once per dataset."""
        data, lab = self.catalog.dataset(choice), self.tokenizer_lab(choice)
        return self._token_stats.get_or_make(
            self.catalog.resolve(choice),
            lambda: token_statistics(lab, [text for split in data.values() for text in split["text"]]),
        )


def started_from(settings: dict, trained: Classifier):
    """The model a run started from (its train_config.json's), loaded again."""
    try:
        return starting_model(settings, trained.tokenizer, trained.label_names)
    except OSError as error:
        raise UserError(
            Text(
                f"The model run {trained.run_dir.name} started from ({quoted(settings['model'])}) can't be loaded "
                "here: it needs the Hugging Face Hub.",
                f"{trained.run_dir.name} の学習の出発点になったモデル（{quoted(settings['model'])}）は、ここでは"
                "読み込めません。Hugging Face Hub への接続が必要です。",
            )
        ) from error


def doubted_in(report: Report, data: SentimentData, split: str) -> dict[str, str]:
    """Text → suggested label for the reviews of a split whose label the models doubt: the n-gram view and the
    evaluated run's predictions (`report`) together; none for a split too small to judge."""
    # A report on a sample of the split (a public server's bound) has no view of the rest: the n-gram's alone.
    views = (
        []
        if "sampled_from" in report.metrics
        else [probabilities_by_text(report.rows, data[split]["text"], data.label_names)]
    )
    try:
        return doubted(find_suspects(data, split, views).table)
    except TooFewReviews:
        return {}


def marked(rows: pd.DataFrame, doubted_labels: dict[str, str]) -> pd.DataFrame:
    """`rows` with '⚠ neutral?' (the label the models suggest) in a DOUBTED column beside each doubted review."""
    marks = [f"⚠ {doubted_labels[text]}?" if text in doubted_labels else "" for text in rows["text"]]
    return rows.assign(**{DOUBTED: marks})
