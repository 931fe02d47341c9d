"""The notebook's first code cells (notebook.py puts them in order): installing what is missing, the run's settings,
loading its data (the bundled sample written out whole, a Hub id, or a local folder's files, carved as the app
carves them), a look at it, the cut to the run's sizes, and the tokenizer (the source model's, or the starter's
vocabulary counted from the training texts). Code that uses `datasets`, `transformers` and `pandas` only."""

from __future__ import annotations

import json


def install(packages: dict) -> str:
    return f"""import importlib.metadata
import subprocess
import sys

PACKAGES = {packages!r}
missing = []
for name, version in PACKAGES.items():
    try:
        installed = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed is None or (version and name in ("transformers", "datasets") and installed != version):
        missing.append(f"{{name}}=={{version}}" if version else name)
if missing:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *missing])
print("installed:" if missing else "nothing to install", *missing)"""


SETTING_NAMES = (
    "method",
    "model",
    "dataset",
    "dataset_config",
    "seed",
    "epochs",
    "max_steps",
    "step_limit",
    "learning_rate",
    "batch_size",
    "max_length",
    "warmup",
    "distill",
    "weight_decay",
    "train_examples",
    "eval_examples",
    "precision",
    "group_by_length",
    "starter_vocab_size",
    "starter_layers",
    "starter_hidden",
    "logging_steps",
)


def settings_code(name: str, settings: dict, metrics: dict) -> str:
    lines = [f"{key.upper()} = {settings.get(key)!r}" for key in SETTING_NAMES]
    seeding = (
        "import random\n\nimport numpy as np\n\nrandom.seed(SEED)\nnp.random.seed(SEED)"
        if settings.get("method") == "ngram"
        else "from transformers import set_seed\n\nset_seed(SEED)  # Python, NumPy and torch"
    )
    return "\n".join(
        [
            f"RUN_NAME = {name!r}",
            *lines,
            f"DATASET_SOURCE = {settings.get('dataset_source', '')!r}",
            f"RUN_ACCURACY = {metrics.get('accuracy')!r}  # what the run reached in the app (validation)",
            'OUTPUT_DIR = f"{RUN_NAME}-notebook"  # the folder this notebook saves its model in',
            f"SETTINGS = {{name.lower(): globals()[name] for name in {[key.upper() for key in SETTING_NAMES]!r}}}",
            'SETTINGS["dataset_source"] = DATASET_SOURCE',
            "",
            seeding,
        ]
    )


_FEATURES = """import datasets

LABELS = ["positive", "neutral", "negative"]
FEATURES = datasets.Features(
    {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=LABELS), "source": datasets.Value("string")}
)
"""


def load_sample(rows: dict) -> str:
    literal = json.dumps(rows, ensure_ascii=False, indent=0)
    return (
        "# The app's bundled sample (written here whole, so the notebook runs anywhere) / アプリ同梱のサンプル\n"
        + _FEATURES
        + f"ROWS = {literal}\n"
        + """dataset = datasets.DatasetDict(
    {
        split: datasets.Dataset.from_dict(
            {
                "text": [row[0] for row in rows],
                "label": [LABELS.index(row[1]) for row in rows],
                "source": [row[2] for row in rows],
            },
            features=FEATURES,
        )
        for split, rows in ROWS.items()
    }
)
dataset"""
    )


def load_hub(source: str, config: str | None) -> str:
    return (
        f"# From the Hugging Face Hub / Hub から\n{_FEATURES}"
        + f"""SPLITS = {{"train": "train", "validation": "validation", "valid": "validation", "dev": "validation"}}
SPLITS["test"] = "test"
SOURCE = {source!r}
try:
    raw = datasets.load_dataset({source!r}, {config!r})
except Exception:  # a dataset built by a loading script: the Hub serves its Parquet export on this branch
    raw = datasets.load_dataset({source!r}, {config!r}, revision="refs/convert/parquet")
dataset = datasets.DatasetDict(
    {{
        SPLITS[name]: (split if "source" in split.column_names else split.add_column("source", [SOURCE] * len(split)))
        .select_columns(["text", "label", "source"])
        .cast(FEATURES)
        for name, split in raw.items()
        if name in SPLITS
    }}
)
dataset"""
    )


# A data file read as the app reads it (corpus/files.py): by its suffix, every cell as text. Shared by the notebook
# and the page's Code panels (serving/code_panels.py).
READ_FILE = '''def read(path):
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    if path.endswith((".jsonl", ".json")):
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, sep="\\t" if path.endswith(".tsv") else ",", dtype=str, keep_default_na=False)
'''


def load_local(files: dict) -> str:
    code = (
        "# Local files on the machine that trained the run: on Colab, upload them and change the paths\n"
        "# 学習したマシンのローカルファイル: Colab ではアップロードしてパスを書き換えてください\n"
        + _FEATURES
        + f"""from pathlib import Path

import pandas as pd

FILES = {json.dumps(files, ensure_ascii=False, indent=4)}


{READ_FILE}

def label_id(value):
    text = str(value).strip().lower()
    return LABELS.index(text) if text in LABELS else int(text)


splits = {{}}
for name, path in FILES.items():
    frame = read(path)
    sources = frame["source"].astype(str) if "source" in frame.columns else [Path(path).name] * len(frame)
    columns = {{"text": list(frame["text"]), "label": [label_id(v) for v in frame["label"]], "source": list(sources)}}
    splits[name] = datasets.Dataset.from_dict(columns, features=FEATURES)
"""
    )
    if set(files) != {"train", "validation", "test"}:
        code += """

def carve(pool, names):
    # As the app carves a missing split: 80/10/10 (or 90/10), seeded, stratified by label where it can
    held_out = 0.1 * (len(names) - 1)
    try:
        parts = pool.train_test_split(test_size=held_out, seed=42, stratify_by_column="label")
    except ValueError:
        parts = pool.train_test_split(test_size=held_out, seed=42)
    if len(names) == 2:
        return {names[0]: parts["train"], names[1]: parts["test"]}
    rest = parts["test"].train_test_split(test_size=0.5, seed=42)
    return {names[0]: parts["train"], names[1]: rest["train"], names[2]: rest["test"]}


if "train" not in splits:
    splits = carve(datasets.concatenate_datasets(list(splits.values())), ("train", "validation", "test"))
missing = [name for name in ("validation", "test") if name not in splits]
if missing:
    splits.update(carve(splits["train"], ("train", *missing)))
"""
    splits = '{name: splits[name] for name in ("train", "validation", "test")}'
    return code + f"\ndataset = datasets.DatasetDict({splits})\ndataset"


LOOK = """import pandas as pd

frames = {name: split.to_pandas() for name, split in dataset.items()}
labels_by_split = pd.DataFrame(
    {name: frame["label"].map(dict(enumerate(LABELS))).value_counts() for name, frame in frames.items()}
).reindex(LABELS).fillna(0).astype(int)
print(labels_by_split)
frames["train"].head()"""

CUT = """def subsample(split, count):
    if count is None or count >= len(split):
        return split
    return split.shuffle(seed=SEED).select(range(count))


train_split = subsample(dataset["train"], TRAIN_EXAMPLES)
eval_split = subsample(dataset["validation"], EVAL_EXAMPLES)
print(len(train_split), "training,", len(eval_split), "validation reviews")"""

TOKENIZER = """from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(MODEL)
print(tokenizer.tokenize(train_split[0]["text"]))"""


def starter_tokenizer(special_tokens: list[str]) -> str:
    ranges = "(*range(0x3041, 0x3097), *range(0x30A1, 0x30FB), *range(0x21, 0x7F))"  # tokenization.BASE_ALPHABET
    return f"""import tempfile
from collections import Counter
from pathlib import Path

from transformers import BertJapaneseTokenizer
from transformers.models.bert_japanese.tokenization_bert_japanese import MecabTokenizer

mecab = MecabTokenizer(do_lower_case=False, mecab_dic="ipadic")  # fugashi + the IPA dictionary
words = Counter()
for text in train_split["text"]:
    words.update(mecab.tokenize(text))
characters = Counter()
for word, count in words.items():
    for character in word:
        characters[character] += count


def by_frequency(counts):
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


kana_and_ascii = [chr(c) for c in {ranges}]
alphabet = [c for c, _ in by_frequency(characters)] + [c for c in kana_and_ascii if c not in characters]
vocab = [*{special_tokens!r}, *alphabet, *(f"##{{c}}" for c in alphabet)]
known = set(vocab)
frequent = [w for w, n in by_frequency(words) if n >= 2 and len(w) > 1 and w not in known]
vocab += frequent[: max(0, STARTER_VOCAB_SIZE - len(vocab))]
vocab_file = Path(tempfile.mkdtemp()) / "vocab.txt"  # saved with the model later
vocab_file.write_text("".join(f"{{token}}\\n" for token in vocab), encoding="utf-8")
tokenizer = BertJapaneseTokenizer(
    str(vocab_file),
    do_lower_case=False,
    word_tokenizer_type="mecab",
    subword_tokenizer_type="wordpiece",
    mecab_kwargs={{"mecab_dic": "ipadic"}},
    model_max_length=MAX_LENGTH,
)
print(len(tokenizer), "entries;", tokenizer.tokenize(train_split[0]["text"]))"""
