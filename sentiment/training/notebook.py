"""A finished run as a Jupyter notebook that trains it again: `notebook.ipynb`, written with `nbformat`.

The notebook is written from the run's own settings (its train_config.json, the TrainConfig the trainer read) in the
source tutorial's order: install, load, look at the data, tokenizer, tokenize the splits, model, metrics,
`TrainingArguments` and `Trainer` with this run's settings and seed, train, evaluate, the normalised confusion
matrix, save with `id2label` / `label2id`, reload and classify. Its code uses the libraries a learner would
(`datasets`, `transformers`, `scikit-learn`, `pandas`, `fugashi` through transformers' MeCab tokenizer), never this
project's package: what the run did beyond the tutorial (per-batch padding, length grouping, the precision, the
head-only method, the starter's counted vocabulary and its n-gram teacher) is written out as plain code, and a
markdown cell in Japanese and English says where this run differs from the tutorial.

The folder the notebook saves is a run folder (the model, `metrics.json`, `train_config.json` and the validation
answers), so copying it into the app's runs folder opens it there as a run.

It is written on demand (`notebook_file`: the first download or `python -m sentiment notebook`), not by the trainer:
it is a function of the run's settings alone, so a run trained before notebooks existed gets one too, and the file
is kept in the run folder once written.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..bilingual import Text
from ..corpus.loading import DEFAULT_SOURCE, LABELS, SAMPLE, SPLIT_STEMS, SPLITS, SUFFIXES, load_dataset
from ..errors import UserError
from ..models.bert import STARTER
from ..run_files import CONFIG_FILE, METRICS_FILE
from ..text.tokenization import SPECIAL_TOKENS
from . import notebook_cells as cells
from . import notebook_data_cells as data_cells
from . import notebook_notes as notes

NOTEBOOK_FILE = "notebook.ipynb"
# What the notebook installs where a package is missing (Colab has most): the versions this app was built with.
PINNED = {
    "transformers": "5.23.0",
    "datasets": "5.2.0",
    "accelerate": "1.15.0",
    "fugashi": "1.5.2",
    "ipadic": "1.0.0",
    "scikit-learn": "1.9.1",
    "pandas": "3.1.1",
    "matplotlib": None,
    "skops": "0.16.0",
}


def run_settings(run_dir: Path) -> dict:
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        name = Path(run_dir).name
        raise UserError(
            Text(
                f"{name} has no {CONFIG_FILE}: only a run trained here can be written out.",
                f"{name} には {CONFIG_FILE} がありません。ノートブックに書き出せるのは、ここで学習したモデルだけです。",
            )
        )
    return json.loads(path.read_text(encoding="utf-8"))


def notebook_file(run_dir: Path, output: Path | None = None) -> Path:
    """The run's notebook: `output` when given (written again), else `notebook.ipynb` in the run folder, written
    the first time it is asked for."""
    run_dir = Path(run_dir)
    target = Path(output) if output is not None else run_dir / NOTEBOOK_FILE
    if output is None and target.is_file():
        return target
    text = notebook_text(run_dir)
    target.parent.mkdir(parents=True, exist_ok=True)  # `--output` may name a folder not made yet
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)  # a reader never sees half a notebook
    return target


def notebook_text(run_dir: Path) -> str:
    import nbformat

    return nbformat.writes(build_notebook(run_dir))


def build_notebook(run_dir: Path):
    """The nbformat notebook of the run in `run_dir`."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    run_dir = Path(run_dir)
    settings = run_settings(run_dir)
    metrics_file = run_dir / METRICS_FILE
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    plan = notebook_plan(run_dir.name, settings, metrics)
    notebook = new_notebook(
        cells=[new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in plan],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "colab": {"provenance": []},
        },
    )
    nbformat.validate(notebook)
    return notebook


def notebook_plan(name: str, settings: dict, metrics: dict, sample_folder: str | None = None) -> list[tuple[str, str]]:
    """The notebook's cells, in order: ("md", markdown) or ("code", Python). The bundled sample is written into the
    notebook whole, so it runs anywhere, or read from `sample_folder` where given (the Train tab's Code panel)."""
    method = settings.get("method", "full")
    starter = settings.get("model") == STARTER
    plan = [
        ("md", notes.title(name, settings, metrics)),
        ("md", notes.differences(settings)),
        ("md", notes.INSTALL_MD),
        ("code", data_cells.install(_packages(method))),
        ("md", notes.SETTINGS_MD),
        ("code", data_cells.settings_code(name, settings, metrics)),
        ("md", notes.LOAD_MD),
        ("code", _load_code(settings, sample_folder)),
        ("md", notes.LOOK_MD),
        ("code", data_cells.LOOK),
        ("md", notes.CUT_MD),
        ("code", data_cells.CUT),
    ]
    if method == "ngram":
        plan += [("md", notes.NGRAM_MD), ("code", cells.NGRAM)]
    else:
        plan += [("md", notes.STARTER_TOKENIZER_MD if starter else notes.TOKENIZER_MD)]
        plan += [("code", data_cells.starter_tokenizer(SPECIAL_TOKENS) if starter else data_cells.TOKENIZER)]
        plan += [("md", notes.MODEL_MD), ("code", cells.STARTER_MODEL if starter else cells.MODEL)]
        if method == "head":
            plan += [("md", notes.HEAD_MD), ("code", cells.head_code(settings.get("precision", "auto")))]
        else:
            plan += [("md", notes.TOKENIZE_MD), ("code", cells.TOKENIZE)]
            if settings.get("distill"):
                plan += [("md", notes.TEACHER_MD), ("code", cells.TEACHER)]
            plan += [("md", notes.METRICS_MD), ("code", cells.METRICS)]
            plan += [("md", notes.TRAINER_MD), ("code", cells.trainer_code(settings))]
            plan += [("md", notes.TRAIN_MD), ("code", cells.TRAIN)]
    plan += [
        ("md", notes.EVALUATE_MD),
        ("code", cells.EVALUATE),
        ("md", notes.MATRIX_MD),
        ("code", cells.MATRIX),
        ("md", notes.SAVE_MD),
        ("code", cells.SAVE_NGRAM if method == "ngram" else cells.SAVE),
        ("md", notes.CLASSIFY_MD),
        ("code", cells.CLASSIFY_NGRAM if method == "ngram" else cells.CLASSIFY),
    ]
    return plan


def _packages(method: str) -> dict:
    skip = {"transformers", "fugashi", "ipadic", "accelerate"} if method == "ngram" else {"skops"}
    return {name: version for name, version in PINNED.items() if name not in skip}


def data_origin(settings: dict) -> tuple[str, str]:
    """Where the run's data came from, as the notebook loads it: ("sample", ""), ("hub", id) or ("local", path).
    A run that asked for the Hub's dataset offline trained on the bundled sample, which its settings record."""
    source, shown = settings.get("dataset", DEFAULT_SOURCE), settings.get("dataset_source", "")
    if source == SAMPLE or (source == DEFAULT_SOURCE and shown.startswith("sample")):
        return "sample", ""
    if Path(source).expanduser().exists():
        return "local", str(Path(source).expanduser().resolve())
    return "hub", source


def _load_code(settings: dict, sample_folder: str | None = None) -> str:
    origin, where = data_origin(settings)
    if origin == "sample" and sample_folder is not None:
        return data_cells.load_local({split: f"{sample_folder}/{split}.csv" for split in SPLITS})
    if origin == "sample":
        data = load_dataset(SAMPLE)
        rows = {
            split: [[text, LABELS[label], source] for text, label, source in zip(*_columns(data[split]), strict=True)]
            for split in data
        }
        return data_cells.load_sample(rows)
    if origin == "hub":
        return data_cells.load_hub(where, settings.get("dataset_config") or None)
    path = Path(where)
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    by_split = {}
    for file in files:
        stem = file.name.split(".")[0]
        split = next((name for name, stems in SPLIT_STEMS.items() if stem in stems), None)
        if file.suffix in SUFFIXES and (split or path.is_file()):
            by_split[split or "train"] = str(file)
    return data_cells.load_local(by_split)


def _columns(split) -> tuple[list, list, list]:
    return split["text"], split["label"], split["source"]
