"""Command lines: `train.py` (training) and `python -m sentiment evaluate|examples|predict|overview|suspects|notebook`.

Each does what a tab of the page does, with the same code: the Evaluate tab's metrics and a confusion
cell's examples, the Classify tab's texts and batch CSV, the Dataset tab's overview and doubted labels.

Errors a user can cause (a missing folder, a bad file, an unreachable model, empty text) print
one line, `error: …`, and exit 2; other value and system errors print one line, `failed: …` (their
text may name server paths, so the app shows only `error:` lines to its visitors) and exit 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable

USAGE_EXIT = 2


def _guarded(command: Callable[[], int]) -> int:
    from transformers.utils import logging

    from .errors import UserError

    logging.disable_progress_bar()
    try:
        return command()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_EXIT
    except (ValueError, OSError) as error:
        print(f"failed: {error}", file=sys.stderr)
        return USAGE_EXIT


def train_main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    from .training.config import TrainConfig

    parser = HfArgumentParser(
        TrainConfig,
        description="Fine-tune a Japanese sentiment classifier. A single .json argument stands in for the flags.",
    )
    argv = sys.argv[1:] if argv is None else argv

    def run() -> int:
        import datasets

        from .training.trainer import train

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()

        if len(argv) == 1 and argv[0].endswith(".json"):
            (config,) = parser.parse_json_file(argv[0])
        else:
            (config,) = parser.parse_args_into_dataclasses(args=argv)
        # A stop (SIGTERM from the app or a shell) unwinds normally, so the partial run is removed.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
        run_dir = train(config, on_event=print_event)
        print(json.dumps({"run_dir": str(run_dir)}))
        return 0

    return _guarded(run)


def print_event(record) -> None:
    from .training.job_log import event_lines

    for line in event_lines(record):
        print(line, flush=True)


FIGURES = ("confusion", "normalized", "curves")  # counts, shares of each true label, the training curves


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:  # the same command line as train.py, for the app's background jobs
        return train_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m sentiment", description="Train, evaluate or use a Japanese sentiment classifier."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("train", help="Train a model: the same options as train.py (see train.py --help).")
    evaluate = commands.add_parser("evaluate", help="Print a run's metrics on a dataset split as JSON.")
    evaluate.add_argument("--model", required=True, help="A trained run folder (from train.py).")
    evaluate.add_argument("--dataset", default="sample", help="Dataset: a Hub id, a local folder or file, or 'sample'.")
    evaluate.add_argument("--dataset-config", default="japanese", help="The Hub dataset's configuration.")
    evaluate.add_argument("--split", default="validation", help="Which split: train, validation or test.")
    examples = commands.add_parser(
        "examples", help="List the examples of one confusion-matrix cell, highest loss first; one JSON object each."
    )
    examples.add_argument("--model", required=True, help="A trained run folder (from train.py).")
    examples.add_argument("--dataset", default="sample", help="Dataset: a Hub id, a local folder or file, or 'sample'.")
    examples.add_argument("--dataset-config", default="japanese", help="The Hub dataset's configuration.")
    examples.add_argument("--split", default="validation", help="Which split: train, validation or test.")
    examples.add_argument("--gold", required=True, help="The cell's true label (its row), e.g. negative.")
    examples.add_argument("--predicted", required=True, help="The cell's predicted label (its column), e.g. positive.")
    predict = commands.add_parser(
        "predict", help="Classify texts; one JSON object per text, or with --csv a CSV like the page's download."
    )
    predict.add_argument("--model", required=True, help="A trained run folder (from train.py).")
    predict.add_argument(
        "--csv", help="A CSV, TSV, JSON Lines or Parquet file with a text column: its texts are classified and "
        "printed as CSV (text, label, p_<class>…, truncated)."
    )
    predict.add_argument("texts", nargs="*", help="Texts to classify; with none, one text per line on standard input.")
    overview = commands.add_parser(
        "overview", help="Print a dataset's splits, labels by split and by source, and lengths per label as JSON."
    )
    overview.add_argument("--dataset", default="sample", help="Dataset: a Hub id, a local folder or file, or 'sample'.")
    overview.add_argument("--dataset-config", default="japanese", help="The Hub dataset's configuration.")
    overview.add_argument(
        "--tokenizer", help="Optional: a run folder (or a tokenizer's Hub id) whose tokens are counted too."
    )
    suspects = commands.add_parser(
        "suspects", help="List the reviews whose label the models doubt, most doubtful first; one JSON object each."
    )
    suspects.add_argument("--dataset", default="sample", help="Dataset: a Hub id, a local folder or file, or 'sample'.")
    suspects.add_argument("--dataset-config", default="japanese", help="The Hub dataset's configuration.")
    suspects.add_argument("--split", default="train", help="Which split: train, validation or test.")
    suspects.add_argument("--top", type=int, default=20, help="How many reviews to print.")
    suspects.add_argument(
        "--model", help="Optional: a run folder whose predictions join the n-gram view (one that did not train on "
        "this split, or it will vouch for the labels it learned)."
    )
    notebook = commands.add_parser(
        "notebook", help="Write a finished run as a Jupyter notebook that trains it again (notebook.ipynb)."
    )
    notebook.add_argument("--model", required=True, help="A trained run folder (from train.py).")
    notebook.add_argument(
        "--output", help="Where to write it (default: notebook.ipynb in the run folder, kept there once written)."
    )
    plot = commands.add_parser(
        "plot", help="Draw a run's confusion matrix or training curves as the page does, to a PNG, SVG or HTML file."
    )
    plot.add_argument("--model", required=True, help="A trained run folder (from train.py).")
    plot.add_argument("--figure", choices=FIGURES, default="confusion", help="Which figure (default: confusion).")
    plot.add_argument("--output", required=True, help="The file to write: .png or .svg (an image), or .html.")
    args = parser.parse_args(argv)
    commands = {
        "notebook": _notebook,
        "plot": _plot,
        "evaluate": _evaluate,
        "examples": _examples,
        "overview": _overview,
        "predict": _predict,
        "suspects": _suspects,
    }
    return _guarded(lambda: commands[args.command](args))


def _notebook(args) -> int:
    from pathlib import Path

    from .training.notebook import notebook_file

    print(notebook_file(Path(args.model), Path(args.output) if args.output else None))
    return 0


def _plot(args) -> int:
    """The figure the Evaluate or Train tab draws, from what the run folder recorded (no model is loaded)."""
    from pathlib import Path

    from .bilingual import Text
    from .errors import UserError
    from .run_files import METRICS_FILE, PROGRESS_FILE, read_progress
    from .serving.plots import confusion_matrix, training_curves

    run, output = Path(args.model), Path(args.output)
    if output.suffix not in (".png", ".svg", ".html"):
        raise UserError(
            Text(
                f"{output.name}: write a .png, .svg or .html file.",
                f"{output.name}: .png・.svg・.html のいずれかのファイルを指定してください。",
            )
        )
    if not (run / METRICS_FILE).is_file():
        raise UserError(
            Text(
                f"{run.name} is not a finished run (it has no {METRICS_FILE}): give a run folder from train.py.",
                f"{run.name} は学習の終わったモデルではありません（{METRICS_FILE} がありません）。train.py の出力"
                "フォルダーを指定してください。",
            )
        )
    if args.figure == "curves":
        figure = training_curves(read_progress(run / PROGRESS_FILE))
    else:
        metrics = json.loads((run / METRICS_FILE).read_text(encoding="utf-8"))
        figure = confusion_matrix(metrics, normalized=args.figure == "normalized")
    if output.suffix == ".html":
        figure.write_html(output, include_plotlyjs=True)  # works offline: plotly.js inside the file
    else:
        figure.write_image(output, width=720, height=560)  # kaleido, with the machine's Chromium
    print(output)
    return 0


def _evaluate(args) -> int:
    from .corpus.loading import load_dataset
    from .insight.evaluation import evaluate

    data = load_dataset(args.dataset, args.dataset_config)
    for notice in data.notices:
        print(f"note: {notice}", file=sys.stderr)
    print(json.dumps(evaluate(args.model, data, args.split).metrics, ensure_ascii=False, indent=2))
    return 0


def _examples(args) -> int:
    from .corpus.loading import load_dataset
    from .insight.evaluation import evaluate
    from .serving.analysis import doubted_in, marked

    data = load_dataset(args.dataset, args.dataset_config)
    for notice in data.notices:
        print(f"note: {notice}", file=sys.stderr)
    report = evaluate(args.model, data, args.split)
    for row in marked(report.cell(args.gold, args.predicted), doubted_in(report, data, args.split)).to_dict("records"):
        print(json.dumps(row, ensure_ascii=False))
    return 0


def _overview(args) -> int:
    from .corpus.browsing import frame, overview
    from .corpus.loading import load_dataset

    data = load_dataset(args.dataset, args.dataset_config)
    tokenizer = None
    if args.tokenizer:
        from .text.tokenization import load_tokenizer

        tokenizer = load_tokenizer(args.tokenizer)
    shown = overview(data, {split: frame(data, split) for split in data}, tokenizer)
    lengths = shown.lengths.groupby("label").describe().round(1)
    print(json.dumps(
        {
            "source": data.source,
            "notices": shown.notices,
            "splits": shown.summary.to_dict("records"),
            "labels": shown.label_counts.to_dict(),
            "sources": shown.source_counts.to_dict("records"),
            "lengths": {
                measure: lengths[measure][["mean", "50%", "max"]].rename(columns={"50%": "median"}).to_dict("index")
                for measure in ("characters", "tokens")
                if measure in shown.lengths
            },
        },
        ensure_ascii=False,
        indent=2,
    ))
    return 0


def _suspects(args) -> int:
    from .corpus.loading import load_dataset
    from .corpus.suspects import COLUMNS, find_suspects
    from .insight.evaluation import class_probabilities
    from .insight.inference import load_classifier

    data = load_dataset(args.dataset, args.dataset_config)
    views = []
    if args.model and args.split in data:
        views.append(class_probabilities(load_classifier(args.model), data[args.split]["text"], data.label_names))
    found = find_suspects(data, args.split, views)
    for notice in [*data.notices, *found.notices]:
        print(f"note: {notice}", file=sys.stderr)
    for row in found.table.head(max(args.top, 0)).to_dict("records"):
        print(json.dumps({key: row[key] for key in COLUMNS}, ensure_ascii=False))
    return 0


def _predict(args) -> int:
    from .insight.inference import load_classifier

    if args.csv:
        from pathlib import Path

        from .corpus.files import texts_in_file
        from .models.prediction import prediction_table

        texts = [*args.texts, *texts_in_file(Path(args.csv))]
        classifier = load_classifier(args.model)
        prediction_table(classifier.predict(texts)).to_csv(sys.stdout, index=False)
        return 0
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    classifier = load_classifier(args.model)
    for prediction in classifier.predict(texts):
        print(json.dumps(prediction.__dict__, ensure_ascii=False))
    return 0
