"""Fine-tune a sequence classifier with the `Trainer`, following a run as it goes.

The order of work is the source tutorial's: load data → tokenizer and model → tokenize → train
with evaluation each epoch → metrics and confusion matrix → save with label names. Two changes
make it fast: examples are tokenized without padding and padded per batch (the tutorial padded
every review to the longest in the dataset), and batches group reviews of similar length.

A run is written to its partial folder (`<output>.partial/`, or a local work folder when the runs are on a
Storage Bucket: run_files.py) and put in place only when complete, so a crash or a stop never leaves a folder
that looks finished.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from ..bilingual import Text
from ..corpus.loading import SentimentData
from ..errors import UserError
from ..insight.evaluation import report, save_answers
from ..insight.slices import report_slices
from ..models import baseline
from ..models.bert import build_starter_model, load_model
from ..models.precision import PRECISIONS, resolve_precision
from ..run_files import (
    CONFIG_FILE,
    DATA_MAP_FILE,
    EXAMPLES_KEY,
    PROGRESS_FILE,
    ProgressRecord,
    partial_dir,
    publish,
    remove_unfinished,
    work_root,
)
from ..text.tokenization import load_tokenizer
from .cards import write_model_card
from .config import TrainConfig
from .prepared import (
    build_inputs,
    capped_length,
    held_out_test,
    load_inputs,
    prepared_splits,
    splits,
    starter_tokenizer,
)
from .progress import Progress

if TYPE_CHECKING:  # torch and the Trainer are imported where a BERT run needs them: an n-gram run imports neither
    from transformers import TrainingArguments

SHARED_TOKENIZER = ".starter-tokenizer"  # inside the partial folder, for the other ranks


class TrainingError(UserError):
    """A run that can't start as asked; the message says what to change."""


@dataclass
class Predicted:
    """A held-out split as the trained model answered it: texts, gold ids and probabilities, in one order."""

    texts: list[str]
    labels: list[int]
    probabilities: np.ndarray


@dataclass
class Outcome:
    """What a method leaves for the run's report: the validation texts, gold ids and probabilities, and the
    test split's answers (saved beside them, so Evaluate reads them instead of running the model again)."""

    texts: list[str]
    labels: list[int]
    probabilities: np.ndarray
    notices: list[str]
    examples_trained: int  # training examples processed, each epoch counted: the run's pace (estimate.py)
    test: Predicted | None = None


def train(
    config: TrainConfig, on_event: Callable[[ProgressRecord], None] | None = None, prepared: Path | None = None
) -> Path:
    """Train as `config` says; return the finished run folder. A full fine-tune reads its tokenized inputs from
    `prepared` when given (prepared.py: the server's CPU work before a GPU window)."""
    config = config.resolved()
    output, partial = Path(config.output), partial_dir(config.output)
    if output.exists():
        raise TrainingError(
            Text(
                f"{output} already exists: choose another output folder.",
                f"{output} はすでにあります。別の出力フォルダーを指定してください。",
            )
        )
    # Rank 0 owns the folder; under torchrun the other ranks only fine-tune.
    trainer_args = training_arguments(config, partial) if config.method == "full" else None
    is_main = trainer_args is None or trainer_args.process_index == 0
    if is_main:
        _claim(partial)
    try:
        started = time.monotonic()
        _seed(config)
        data, train_split, eval_split = splits(config) if prepared is None else prepared_splits(prepared, config)
        test_split = held_out_test(data, config)
        progress = Progress(partial / PROGRESS_FILE if is_main else None, on_event)
        if config.method == "full":
            outcome = _fine_tune(
                config, data, train_split, eval_split, test_split, partial, trainer_args, progress, is_main, prepared
            )
        else:
            method = _train_head if config.method == "head" else _train_ngram
            progress.emit(ProgressRecord("loaded", notices=tuple(data.notices), train_examples=len(train_split)))
            outcome = method(config, data, train_split, eval_split, test_split, partial, progress)
            progress.emit(_eval_record(outcome, progress.last_step))
        if is_main:
            _save_run(partial, config, data, outcome, time.monotonic() - started, len(train_split))
            publish(partial, output)
            progress.path = output / PROGRESS_FILE
            progress.emit(ProgressRecord("done", run_dir=str(output)))
    except BaseException:  # a stop (SIGTERM → SystemExit) or a crash: leave nothing half-written
        if is_main:
            remove_unfinished(output)  # the partial folder, and a copy into a bucket that was cut short
        raise
    return output


def _fine_tune(
    config, data, train_split, eval_split, test_split, partial, trainer_args, progress, is_main, prepared
) -> Outcome:
    """The source's method: every layer learns, through the Trainer."""
    import torch
    from transformers import DataCollatorWithPadding
    from transformers.trainer_callback import PrinterCallback

    from .cartography import EXAMPLE_COLUMN, DataMapCallback
    from .hf_trainer import ProgressCallback, SentimentTrainer, trainer_metrics

    with trainer_args.main_process_first(desc="building the tokenizer"):
        partial.mkdir(parents=True, exist_ok=True)  # the other ranks, once rank 0 has made it
        inputs = load_inputs(prepared) if prepared is not None else None
        tokenizer = inputs.tokenizer if inputs else _tokenizer(config, train_split["text"], partial, is_main)
        model = _model(config, tokenizer, data.label_names)
    if inputs is None:
        max_length = capped_length(config, model.config.max_position_embeddings)
        inputs = build_inputs(config, data, train_split, eval_split, tokenizer, max_length, test_split)
    progress.emit(ProgressRecord("loaded", notices=tuple(inputs.notices), train_examples=len(inputs.train_set)))
    train_set, eval_set = inputs.train_set, inputs.eval_set  # the evaluation set is sorted by length
    _apply_step_limit(trainer_args, config, len(train_set))
    data_map = None
    if trainer_args.world_size == 1:  # each rank sees other batches; the map is drawn from one process's view
        texts, labels = train_set["text"], train_set["label"]
        data_map = DataMapCallback(partial / DATA_MAP_FILE, texts, labels, data.label_names)
        train_set = train_set.add_column(EXAMPLE_COLUMN, list(range(len(train_set))))
    trainer = SentimentTrainer(
        distill=config.distill,
        data_map=data_map,
        model=model,
        args=trainer_args,
        train_dataset=train_set,
        eval_dataset=eval_set,
        data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if torch.cuda.is_available() else None),
        processing_class=tokenizer,
        compute_metrics=trainer_metrics,
        callbacks=[ProgressCallback(progress)] if data_map is None else [ProgressCallback(progress), data_map],
    )
    trainer.remove_callback(PrinterCallback)  # progress is reported through ProgressCallback
    trainer.train()
    logits = trainer.predict(eval_set).predictions
    test = None
    if (test_set := inputs.test_set) is not None:  # every rank predicts: under torchrun predict is collective
        test = Predicted(test_set["text"], test_set["label"], softmax(trainer.predict(test_set).predictions))
    if is_main:
        trainer.save_model(str(partial))
        (partial / "training_args.bin").unlink(missing_ok=True)  # a pickle; train_config.json says it all
        shutil.rmtree(partial / SHARED_TOKENIZER, ignore_errors=True)
    trained = trainer.state.global_step * trainer_args.train_batch_size * trainer_args.world_size
    return Outcome(eval_set["text"], eval_set["label"], softmax(logits), inputs.notices, trained, test)


def softmax(logits) -> np.ndarray:
    import torch

    return torch.softmax(torch.from_numpy(np.asarray(logits, dtype=np.float32)), dim=-1).numpy()


def _train_head(config, data, train_split, eval_split, test_split, partial, progress) -> Outcome:
    """The source's other method: the encoder frozen, only the classification head fitted (head.py)."""
    from ..models import head

    tokenizer = _tokenizer(config, train_split["text"], partial, True)
    model = _model(config, tokenizer, data.label_names)
    shutil.rmtree(partial / SHARED_TOKENIZER, ignore_errors=True)
    bf16 = _precision(config.precision, config.method) == "bf16"
    splits = {"train": train_split, "validation": eval_split, **({"test": test_split} if test_split else {})}
    cache = work_root(Path(config.output).parent) / head.FEATURES_DIR  # a cache: on this machine's disk
    max_length = capped_length(config, model.config.max_position_embeddings)
    held_out, cache_notices = head.train_head(
        model, tokenizer, splits, max_length, bf16, cache, config.seed, progress.emit
    )
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    notices = [*data.notices, *cache_notices]
    test = Predicted(test_split["text"], test_split["label"], held_out["test"]) if test_split else None
    validation = held_out["validation"]
    return Outcome(eval_split["text"], eval_split["label"], validation, notices, len(train_split), test)


def _train_ngram(config, data, train_split, eval_split, test_split, partial, progress) -> Outcome:
    """The baseline: character n-grams and logistic regression, no BERT (baseline.py)."""
    progress.emit(ProgressRecord("start", step=0, total_steps=1, epochs=1))
    model = baseline.fit(train_split["text"], train_split["label"])
    progress.emit(ProgressRecord("log", step=1, total_steps=1, epoch=1.0))
    baseline.save(model, data.label_names, partial)

    def answers(split) -> np.ndarray:
        return baseline.class_probabilities(model, split["text"], len(data.label_names))

    test = Predicted(test_split["text"], test_split["label"], answers(test_split)) if test_split else None
    validation = answers(eval_split)
    return Outcome(eval_split["text"], eval_split["label"], validation, list(data.notices), len(train_split), test)


def _apply_step_limit(args: TrainingArguments, config: TrainConfig, examples: int) -> None:
    """Cut the run at `config.step_limit` steps when its epochs would take more. (A Trainer's max_steps
    always overrides the epochs, so the limit is set only when it is the smaller.)"""
    if config.step_limit is None:
        return
    per_epoch = math.ceil(examples / (args.per_device_train_batch_size * args.world_size))
    planned = args.max_steps if args.max_steps > 0 else math.ceil(per_epoch * args.num_train_epochs)
    if planned > config.step_limit:
        args.max_steps = config.step_limit


def _eval_record(outcome: Outcome, step: int) -> ProgressRecord:
    """The one evaluation a head or baseline run has, as a progress record (the Train tab draws it)."""
    predicted = outcome.probabilities.argmax(axis=1)
    gold = np.asarray(outcome.labels)
    chosen = outcome.probabilities[np.arange(len(gold)), gold]
    scores = {
        "eval_loss": float(-np.log(np.clip(chosen, 1e-12, 1)).mean()),
        "eval_accuracy": float(accuracy_score(gold, predicted)),
        "eval_f1_weighted": float(f1_score(gold, predicted, average="weighted")),
    }
    return ProgressRecord("eval", step=step, total_steps=step, epoch=1.0, scores=scores)


def _seed(config: TrainConfig) -> None:
    """Seed every generator the run draws from: transformers' set_seed (Python, NumPy, torch) for a BERT run;
    Python's and NumPy's for an n-gram run, which imports no torch."""
    if config.method == "ngram":
        random.seed(config.seed)
        np.random.seed(config.seed)
        return
    from transformers import set_seed

    set_seed(config.seed)


def _claim(partial: Path) -> None:
    """Make the run's partial folder, refusing one that exists: another trainer may be writing it."""
    try:
        partial.mkdir(parents=True)
    except FileExistsError:
        raise TrainingError(
            Text(
                f"{partial.name} exists: another run is writing it, or one was killed before it finished; "
                "remove it or choose another output folder.",
                f"{partial.name} がすでにあります。別の学習が書き込み中か、途中で止められた学習の残りです。"
                "削除するか、別の出力フォルダーを指定してください。",
            )
        ) from None


def _tokenizer(config: TrainConfig, train_texts: list[str], folder: Path, is_main: bool):
    if not config.is_starter:
        return _loading(config, load_tokenizer)
    # The vocabulary is learned from the texts; under torchrun rank 0 learns it and the other ranks load it,
    # so every rank has the same one.
    shared = folder / SHARED_TOKENIZER
    if not is_main:
        return load_tokenizer(str(shared))
    tokenizer = starter_tokenizer(config, train_texts)
    tokenizer.save_pretrained(shared)
    return tokenizer


def _model(config: TrainConfig, tokenizer, label_names: list[str]):
    if config.is_starter:
        return build_starter_model(
            tokenizer, label_names, config.starter_layers, config.starter_hidden, config.max_length, config.seed
        )
    return _loading(config, lambda spec: load_model(spec, label_names))


def _loading(config: TrainConfig, load):
    try:
        return load(config.model)
    except OSError as error:
        raise TrainingError(
            Text(
                f"Could not load the model {config.model} ({error.__class__.__name__}); "
                "check the name or folder, or use --model starter offline.",
                f"モデル {config.model} を読み込めませんでした（{error.__class__.__name__}）。名前かフォルダーを"
                "確認するか、オフラインでは --model starter を使ってください。",
            )
        ) from error


def training_arguments(config: TrainConfig, folder: Path) -> TrainingArguments:
    import torch
    from transformers import TrainingArguments

    precision = _precision(config.precision, config.method)
    return TrainingArguments(
        output_dir=str(folder),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size * 2,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup,
        eval_strategy="epoch",
        save_strategy="no",  # the finished model is saved once, at the end
        logging_strategy="steps",
        logging_steps=config.logging_steps,
        logging_first_step=True,
        report_to="none",
        disable_tqdm=True,
        seed=config.seed,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        length_column_name="length",
        optim="adamw_torch_fused" if torch.cuda.is_available() else "adamw_torch",
        dataloader_pin_memory=torch.cuda.is_available(),
        use_cpu=not torch.cuda.is_available(),  # also what makes torchrun on CPU use gloo data parallelism
    )


def _precision(choice: str, method: str) -> str:
    """`--precision` resolved for this machine and method (sentiment/models/precision.py). On a CPU, `auto` gives the
    head bf16 where the CPU has bf16 instructions (its features measured against fp32: docs/benchmarks.md),
    while full fine-tuning stays in fp32 there: bf16 has not been checked to keep a pretrained model's accuracy
    when every layer learns on a CPU."""
    import torch

    if choice == "auto" and method == "full" and not torch.cuda.is_available():
        return "fp32"
    try:
        return resolve_precision(choice)
    except ValueError as error:
        japanese = (
            "fp16 には GPU が必要です。CPU では bf16・fp32・auto のいずれかを使ってください。"
            if choice == "fp16"
            else f"精度（precision）は {', '.join(PRECISIONS)} のいずれかにしてください（{choice!r} は使えません）。"
        )
        raise TrainingError(Text(str(error), japanese)) from error


def _save_run(
    folder: Path, config: TrainConfig, data: SentimentData, outcome: Outcome, seconds: float, train_examples: int
) -> None:
    result = report(outcome.texts, outcome.labels, outcome.probabilities, data.label_names, "validation")
    if config.method != "ngram":
        from ..insight.inference import agreements

        predicted = list(result.rows["predicted"])
        result.metrics.update(agreements(folder, list(result.rows["text"]), predicted))
    result.metrics["train_seconds"] = round(seconds, 1)
    result.metrics[EXAMPLES_KEY] = outcome.examples_trained
    settings = {**config.to_dict(), "dataset_source": data.source, "notices": outcome.notices}
    write_model_card(folder, settings, result.metrics, report_slices(result.rows, data["validation"]), train_examples)
    result.save(folder)
    held_out = {"validation": Predicted(outcome.texts, outcome.labels, outcome.probabilities), "test": outcome.test}
    for split, answers in held_out.items():
        if answers is not None:
            save_answers(folder, split, answers.texts, answers.labels, answers.probabilities, data.label_names)
    (folder / CONFIG_FILE).write_text(json.dumps(settings, ensure_ascii=False, indent=2), encoding="utf-8")
