"""A model card for every finished run: `README.md` in the run folder, in the Hugging Face Hub's format.

YAML metadata first (language, license, datasets, metrics and the results as a `model-index`, which the
Hub reads into its evaluation widget), written by huggingface_hub's own `ModelCardData`; then the card a
person reads: the data, the method, the hyper-parameters, the training time, the metrics with the confusion
matrix and the slice table, and the limitations. The folder can be pushed to the Hub as it is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from huggingface_hub import EvalResult, ModelCardData

from ..models.bert import STARTER
from ..run_files import CARD_FILE

HYPER_PARAMETERS = (
    "epochs",
    "max_steps",
    "learning_rate",
    "batch_size",
    "weight_decay",
    "warmup",
    "max_length",
    "distill",
    "precision",
    "group_by_length",
    "seed",
)
METHODS = {
    "full": "Full fine-tuning: every layer of the BERT learns, through the `transformers` Trainer",
    "head": "Head only: the encoder stays frozen; a logistic regression fitted on each review's pooled `[CLS]` "
    "vector became the classification layer",
    "ngram": "The n-gram baseline: TF-IDF over character 1-3-grams and logistic regression (scikit-learn), no "
    "BERT; saved with skops",
}
HEADLINE = (
    ("accuracy", "accuracy", "Accuracy"),
    ("f1", "f1_weighted", "F1 (weighted)"),
    ("f1", "f1_macro", "F1 (macro)"),
)


def model_card(name: str, settings: dict, metrics: dict, slices: pd.DataFrame, train_examples: int) -> str:
    """The whole card as text: `---` YAML front matter `---`, then Markdown."""
    return f"---\n{_metadata(name, settings, metrics).to_yaml()}\n---\n\n" + "\n\n".join(
        [
            f"# {name}",
            "A Japanese sentiment classifier (positive / neutral / negative) trained with Japanese Sentiment Studio.",
            _data(settings, metrics, train_examples),
            _method(settings),
            _metrics(metrics),
            "## Metrics by slice\n\nThe validation reviews grouped by source (where the data has more than one), by "
            "length in MeCab words and by whether they contain a negation.\n\n" + _table(slices),
            _limitations(settings),
        ]
    ) + "\n"


def write_model_card(folder: Path, settings: dict, metrics: dict, slices: pd.DataFrame, train_examples: int) -> None:
    text = model_card(Path(settings["output"]).name, settings, metrics, slices, train_examples)
    (folder / CARD_FILE).write_text(text, encoding="utf-8")


def _is_hub_dataset(settings: dict) -> bool:
    source = settings["dataset"]
    return source != "sample" and "/" in source and not Path(source).is_absolute() and not source.startswith(".")


def _metadata(name: str, settings: dict, metrics: dict) -> ModelCardData:
    dataset = settings["dataset"] if _is_hub_dataset(settings) else settings["dataset_source"]
    results = [
        EvalResult(
            task_type="text-classification",
            task_name="Sentiment analysis",
            dataset_type=dataset,
            dataset_name=dataset,
            dataset_config=settings.get("dataset_config") if _is_hub_dataset(settings) else None,
            dataset_split=metrics["split"],
            metric_type=kind,
            metric_name=shown,
            metric_value=round(metrics[key], 4),
        )
        for kind, key, shown in HEADLINE
    ]
    bert = settings["method"] != "ngram"
    return ModelCardData(
        model_name=name,
        language="ja",
        license="other",  # the data's terms and the base model's apply: see the card's limitations
        datasets=[settings["dataset"]] if _is_hub_dataset(settings) else None,
        metrics=["accuracy", "f1"],
        library_name="transformers" if bert else "sklearn",
        pipeline_tag="text-classification",
        base_model=settings["model"] if bert and settings["model"] != STARTER else None,
        tags=["sentiment-analysis", "japanese", f"method-{settings['method']}"],
        eval_results=results,
    )


def _data(settings: dict, metrics: dict, train_examples: int) -> str:
    notices = "".join(f"\n- {notice}" for notice in settings.get("notices", []))
    return (
        f"## Data\n\nDataset: **{settings['dataset_source']}**"
        + (f" (`{settings['dataset']}`, config `{settings['dataset_config']}`)" if _is_hub_dataset(settings) else "")
        + f". Trained on {train_examples:,} reviews; evaluated on {metrics['examples']:,} reviews of the "
        f"{metrics['split']} split. Labels: {', '.join(metrics['confusion_matrix']['labels'])}.{notices}"
    )


def _method(settings: dict) -> str:
    model = "" if settings["method"] == "ngram" else f"Model: `{settings['model']}`"
    if settings["model"] == STARTER and settings["method"] != "ngram":
        model += " (a small BERT initialised at random and trained here, with no pretraining)"
    rows = pd.DataFrame(
        [{"hyper-parameter": key, "value": settings[key]} for key in _hyper_parameters(settings["method"])]
    )
    return (
        f"## Method\n\n{METHODS[settings['method']]}.{' ' + model + '.' if model else ''}\n\n"
        f"### Hyper-parameters\n\n{_table(rows)}"
    )


def _hyper_parameters(method: str) -> tuple[str, ...]:
    """The options that shaped the run (the baseline has no epochs or learning rate)."""
    return ("seed",) if method == "ngram" else HYPER_PARAMETERS


def _metrics(metrics: dict) -> str:
    headline = " · ".join(f"{shown} **{metrics[key]:.4f}**" for _, key, shown in HEADLINE)
    per_class = pd.DataFrame(
        [{"label": label, **{key: round(value, 4) for key, value in scores.items()}}
         for label, scores in metrics["per_class"].items()]
    )
    matrix = metrics["confusion_matrix"]
    confusion = pd.DataFrame(matrix["counts"], columns=matrix["labels"])
    confusion.insert(0, "true \\ predicted", matrix["labels"])
    seconds = metrics.get("train_seconds")
    time = f"\n\nTraining time: {seconds:,.1f} s." if seconds is not None else ""
    return (
        f"## Metrics\n\nOn the {metrics['split']} split ({metrics['examples']:,} reviews): {headline}.{time}\n\n"
        f"{_table(per_class)}\n\n### Confusion matrix (counts)\n\n{_table(confusion)}"
    )


def _limitations(settings: dict) -> str:
    lines = [
        "The labels come from star ratings where the data is Amazon reviews (1 star negative, 3 neutral, 5 "
        "positive): many are noisy, and 'neutral' hides mixed opinions.",
        "Judged on one split of one dataset: other domains, registers and very long texts may score lower (see "
        "the slice table).",
        "The licence is 'other': using these weights means following the training data's terms and, for a "
        "fine-tuned model, the base model's.",
    ]
    if settings["model"] == STARTER and settings["method"] != "ngram":
        lines.insert(0, "The starter has no pretraining: a lesson in why pretraining matters, not a model to trust.")
    return "## Limitations\n\n" + "\n".join(f"- {line}" for line in lines)


def _table(table: pd.DataFrame) -> str:
    """A Markdown table (pandas' to_markdown needs the `tabulate` package, which the app does not)."""
    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = [
        "| " + " | ".join(str(value).replace("|", "\\|") for value in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])
