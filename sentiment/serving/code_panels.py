"""The Code panels: beside each main view, the shortest runnable Python that produces what the view shows for its
current inputs, written with `datasets`, `transformers`, `scikit-learn`, `pandas` and `fugashi`, never this app's
package. Each names a Hub id where the Hub is used and a local folder otherwise (a run folder, the bundled sample),
and its first comment says which. Comments are in the visitor's language: each panel is a `Text`, its comments
written once as `# English || 日本語`.

Paths are written relative to the folder the app was started in where they lie under it (`runs/<name>`, the sample's
folder), else as the app was given them (`--runs`), so the code runs as shown from that folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..bilingual import Text
from ..corpus.loading import DEFAULT_CONFIG, SAMPLE, SAMPLE_DIR, SPLIT_STEMS, SUFFIXES
from ..models.bert import STARTER
from ..text.tokenization import SOURCE_MODEL
from ..training import notebook_data_cells
from ..training.config import WHOLE_NUMBERS, TrainConfig
from ..training.notebook import notebook_plan
from .pool import RUN_PREFIX, STARTER_TOKENIZER

COMMENT = re.compile(r"#\s(.*?)\s\|\|\s(.*)$", re.MULTILINE)
STARTER_VOCAB = 4000  # the Tokenizer tab's starter (pool.py)


def spoken(code: str) -> Text:
    """`code` with each `# English || 日本語` comment in one language: both versions."""
    return Text(COMMENT.sub(lambda m: f"# {m.group(1)}", code), COMMENT.sub(lambda m: f"# {m.group(2)}", code))


def shown_path(path: Path | str) -> str:
    """A path as a panel writes it: relative to the app's folder where it lies under it, else absolute."""
    path = Path(path).resolve()
    return Path(os.path.relpath(path)).as_posix() if path.is_relative_to(Path.cwd()) else path.as_posix()


def _where(spec: str, online: bool) -> str:
    if Path(spec).exists():
        return "# A local folder on this server || このサーバーのローカルフォルダー"
    if online:
        return "# From the Hugging Face Hub || Hugging Face Hub から"
    return "# A Hub id, from this machine's Hugging Face cache (offline) || Hub の ID（オフライン: キャッシュから）"


# Datasets: `frames`, one pandas table per split with text, label (a name) and source
FRAMES_FROM_FILES = """import pandas as pd

LABELS = ["positive", "neutral", "negative"]
FILES = {files}


{read_file}

def label_name(value):  # positive / neutral / negative, or 0 / 1 / 2 || positive / neutral / negative か 0 / 1 / 2
    text = str(value).strip().lower()
    return text if text in LABELS else LABELS[int(text)]


frames = {{}}
for split, path in FILES.items():
    table = read(path)
    table["label"] = table["label"].map(label_name)
    if "source" not in table.columns:
        table["source"] = Path(path).name
    frames[split] = table[["text", "label", "source"]]
"""
FRAMES_FROM_HUB = """import datasets
import pandas as pd

LABELS = ["positive", "neutral", "negative"]
try:
    raw = datasets.load_dataset({source!r}, {config!r})
except Exception:  # a dataset built by a script: the Hub's Parquet export || スクリプト形式のデータセット: Parquet 版
    raw = datasets.load_dataset({source!r}, {config!r}, revision="refs/convert/parquet")
frames = {{}}
for split in ("train", "validation", "test"):
    table = raw[split].to_pandas()
    table["label"] = [LABELS[label] for label in table["label"]]
    if "source" not in table.columns:
        table["source"] = {source!r}
    frames[split] = table[["text", "label", "source"]]
"""


def dataset_files(source: str) -> dict[str, str] | None:
    """The data files of a local dataset, one per split; None where one of the three splits has none (the app
    carves it, which this panel does not write out)."""
    path = SAMPLE_DIR if source == SAMPLE else Path(source)
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    found = {}
    for file in files:
        split = next((name for name, stems in SPLIT_STEMS.items() if file.name.split(".")[0] in stems), None)
        if split and file.suffix in SUFFIXES:
            found[split] = shown_path(file)
    splits = ("train", "validation", "test")
    return {split: found[split] for split in splits} if set(found) == set(splits) else None


def frames_code(source: str, config: str | None, online: bool) -> str:
    if source == SAMPLE or Path(source).exists():
        files = dataset_files(source)
        if files is None:
            raise ValueError("a dataset whose splits the app carved")
        head = (
            "# The app's bundled sample, a local folder || アプリ同梱のサンプル（ローカルフォルダー）"
            if source == SAMPLE
            else "# Local files on this server || このサーバーのローカルファイル"
        )
        listed = "{\n" + "".join(f"    {split!r}: {path!r},\n" for split, path in files.items()) + "}"
        frames = FRAMES_FROM_FILES.format(files=listed, read_file=notebook_data_cells.READ_FILE)
        return f"{head}\nfrom pathlib import Path\n\n" + frames
    return _where(source, online) + "\n" + FRAMES_FROM_HUB.format(source=source, config=config or DEFAULT_CONFIG)


def dataset_code(source: str, config: str | None, online: bool) -> Text:
    """The Dataset tab's overview: rows per split, labels per split, sources × labels."""
    try:
        frames = frames_code(source, config, online)
    except ValueError:
        return _not_written()
    return spoken(
        frames
        + """
# Rows per split || 分割ごとの行数
print({split: len(table) for split, table in frames.items()})
# Labels per split || 分割ごとのラベル数
labels = pd.DataFrame({split: table["label"].value_counts() for split, table in frames.items()})
print(labels.reindex(LABELS).fillna(0).astype(int).to_string())
# Source × label || ソース別のラベル数
every = pd.concat(frames.values())
print(pd.crosstab(every["source"], every["label"]).reindex(columns=LABELS, fill_value=0).to_string())
"""
    )


def _not_written() -> Text:
    return Text(
        "# This dataset's missing splits were carved by the app: its code is not written out here.",
        "# このデータセットの足りない分割はアプリが切り出したため、ここではコードを示しません。",
    )


def tokenizer_code(choice: str, runs_dir: Path, online: bool) -> str:
    """Code that makes `tokenizer` as the Tokenizer tab's choice names it."""
    if choice == STARTER_TOKENIZER:
        files = dataset_files(SAMPLE)
        lines = notebook_data_cells.starter_tokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        return (
            "# The starter's tokenizer: a vocabulary counted from the sample (local files) "
            "|| スターターのトークナイザー: サンプル（ローカルファイル）から数えた語彙\n"
            f"import pandas as pd\n\nSTARTER_VOCAB_SIZE, MAX_LENGTH = {STARTER_VOCAB}, 512\n"
            f"train_split = pd.read_csv({files['train']!r}, dtype=str, keep_default_na=False)\n" + lines
        ).replace('print(len(tokenizer), "entries;", tokenizer.tokenize(train_split[0]["text"]))', "")
    if choice.startswith(RUN_PREFIX):
        spec = shown_path(runs_dir / choice.removeprefix(RUN_PREFIX))
        head = "# A run folder on this server || このサーバーの学習済みモデルのフォルダー"
    else:
        spec = shown_path(choice) if Path(choice).exists() else choice
        head = _where(choice, online)
    return f"{head}\nfrom transformers import AutoTokenizer\n\ntokenizer = AutoTokenizer.from_pretrained({spec!r})\n"


MECAB = """import unicodedata

import fugashi
import ipadic

# 1. MeCab words (IPA dictionary), as the tokenizer reads the text: after NFKC || 1. MeCab の単語（IPA 辞書）: NFKC の後
tagger = fugashi.GenericTagger(ipadic.MECAB_ARGS)
nodes = tagger(unicodedata.normalize("NFKC", text))
words = [(node.surface, "-".join(f for f in node.feature[:2] if f != "*")) for node in nodes]
print("words:", words)
"""


def tokenization_code(choice: str, runs_dir: Path, online: bool, text: str, max_length: int, second: str) -> Text:
    """The Tokenizer tab: MeCab's words, WordPiece's pieces and input_ids, the model input, the padded pair."""
    return spoken(
        tokenizer_code(choice, runs_dir, online)
        + f"text = {text!r}\nsecond = {second!r}\nmax_length = {max_length}\n\n"
        + (MECAB if choice == STARTER_TOKENIZER or _reads_mecab(choice) else "")
        + """# 2. WordPiece pieces and their input_ids, with [CLS] and [SEP] || 2. WordPiece のサブワードと input_ids
encoded = tokenizer(text, truncation=True, max_length=max_length)
print("pieces:", tokenizer.convert_ids_to_tokens(encoded["input_ids"]))
print("input_ids:", encoded["input_ids"])
print("attention_mask:", encoded["attention_mask"])
# Two texts in one batch, padding=True: [PAD] gets attention mask 0 || 2 つの文を 1 バッチに: [PAD] の mask は 0
pair = tokenizer([text, second], padding=True, truncation=True, max_length=max_length)
for ids, mask in zip(pair["input_ids"], pair["attention_mask"]):
    print("pair:", tokenizer.convert_ids_to_tokens(ids))
    print("pair input_ids:", ids)
    print("pair attention_mask:", mask)
"""
    )


def _reads_mecab(choice: str) -> bool:
    return choice.startswith(RUN_PREFIX) or choice in (STARTER, SOURCE_MODEL)


WALK = """
# WordPiece's greedy longest match, word by word || WordPiece の貪欲な最長一致（単語ごと）
vocab = tokenizer.get_vocab()


def walk(word):
    pieces, start = [], 0
    while start < len(word):
        prefix = "##" if start else ""  # a piece that continues the word || 単語の続きのサブワード
        for end in range(len(word), start, -1):  # the longest candidate first || 長い候補から
            if prefix + word[start:end] in vocab:
                pieces.append(prefix + word[start:end])
                start = end
                break
        else:
            return [tokenizer.unk_token]  # nothing matched: the whole word is [UNK] || 一致なし: 単語全体が [UNK]
    return pieces


for word in words:
    pieces = walk(word)
    print(word, "→", pieces, [vocab[piece] for piece in pieces])
"""


def wordpiece_code(choice: str, runs_dir: Path, online: bool, text: str) -> Text:
    """The WordPiece walk of each MeCab word of `text` (or of the one word typed)."""
    return spoken(
        tokenizer_code(choice, runs_dir, online)
        + f"text = {text!r}\n\n"
        + MECAB.replace('print("words:", words)\n', "words = [surface for surface, _ in words]\n")
        + WALK
    )


def train_code(runs_dir: Path, dataset: str, model: str, method: str, name: str, values: dict) -> Text:
    """What Start would train, as code: the run's notebook, its cells one after the other."""
    options = {key: int(value) if key in WHOLE_NUMBERS else value for key, value in values.items() if value}
    config = TrainConfig(model=model, method=method or "full", dataset=dataset, output=str(runs_dir / name), **options)
    settings = {**config.resolved().to_dict(), "dataset_source": "sample (bundled)" if dataset == SAMPLE else dataset}
    sample = shown_path(SAMPLE_DIR)
    plan = notebook_plan(name, settings, {}, sample_folder=sample)
    code = "\n\n".join(text for kind, text in plan[4:] if kind == "code")  # after the install cell
    intro = Text(
        "# What Start trains, with this form's settings: the run's notebook without its notes "
        "(download it once the run is finished).\n",
        "# 「開始」で学習する内容（このフォームの設定）: 説明を除いた実行のノートブックです"
        "（学習が終わったらダウンロードできます）。\n",
    )
    return intro + code


def evaluate_code(run_dir: Path, method: str, settings: dict, split: str, online: bool) -> Text:
    """A finished run's evaluation on a split: accuracy and the confusion matrix (counts and normalised)."""
    try:
        frames = frames_code(settings.get("dataset", SAMPLE), settings.get("dataset_config"), online)
    except ValueError:
        return _not_written()
    run = shown_path(run_dir)
    if method == "ngram":
        model = f"""import json

import numpy as np
import skops.io

# The n-gram baseline's run folder on this server || n-gram ベースラインの学習済みフォルダー（このサーバー）
model = skops.io.load({run + "/ngram.skops"!r})
names = json.loads(open({run + "/labels.json"!r}, encoding="utf-8").read())["labels"]
texts = list(frames[{split!r}]["text"])
probabilities = np.zeros((len(texts), len(names)))
probabilities[:, model.classes_] = model.predict_proba(texts)
"""
    else:
        model = f"""import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

# The run folder on this server || このサーバーの学習済みモデルのフォルダー
tokenizer = AutoTokenizer.from_pretrained({run!r})
model = AutoModelForSequenceClassification.from_pretrained({run!r}).eval()
names = [model.config.id2label[i] for i in range(model.config.num_labels)]
max_length = min(tokenizer.model_max_length, model.config.max_position_embeddings, 512)
texts = list(frames[{split!r}]["text"])
probabilities = []
with torch.inference_mode():
    for start in range(0, len(texts), 32):  # batches padded to their longest || バッチごとに最長に合わせてパディング
        chosen = texts[start : start + 32]
        batch = tokenizer(chosen, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        probabilities.append(torch.softmax(model(**batch).logits.float(), dim=-1).numpy())
probabilities = np.concatenate(probabilities)
"""
    return spoken(
        frames
        + model
        + f"""from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

gold = [names.index(label) for label in frames[{split!r}]["label"]]
predicted = probabilities.argmax(axis=1)
print("accuracy:", round(accuracy_score(gold, predicted), 4))
print("f1_weighted:", round(f1_score(gold, predicted, average="weighted", zero_division=0), 4))
# The confusion matrix: rows are the true labels, columns the predictions || 混同行列: 行が正解、列が予測
counts = confusion_matrix(gold, predicted, labels=list(range(len(names))))
print(pd.DataFrame(counts, index=names, columns=names).to_string())
# Normalised by true label: each row divided by its total || 正解ラベルで正規化: 各行をその合計で割る
totals = counts.sum(axis=1, keepdims=True)
normalized = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0).round(4)
print(pd.DataFrame(normalized, index=names, columns=names).to_string())
"""
    )


def classify_code(run_dir: Path, method: str, text: str) -> Text:
    """Classify's answer: the label and each class's probability for one text."""
    run = shown_path(run_dir)
    if method == "ngram":
        return spoken(
            f"""import json

import skops.io

# The n-gram baseline's run folder on this server || n-gram ベースラインの学習済みフォルダー（このサーバー）
model = skops.io.load({run + "/ngram.skops"!r})
names = json.loads(open({run + "/labels.json"!r}, encoding="utf-8").read())["labels"]
text = {text!r}
(row,) = model.predict_proba([text])
scores = dict.fromkeys(names, 0.0) | {{names[c]: float(p) for c, p in zip(model.classes_, row)}}
print("label:", max(scores, key=scores.get))
for name, score in scores.items():
    print(name, round(score, 4))
"""
        )
    return spoken(
        f"""from transformers import pipeline

# The run folder on this server || このサーバーの学習済みモデルのフォルダー
classify = pipeline("text-classification", model={run!r}, top_k=None, device=-1)
text = {text!r}
scores = {{score["label"]: score["score"] for score in classify([text], truncation=True)[0]}}
print("label:", max(scores, key=scores.get))
for name, score in scores.items():
    print(name, round(score, 4))
"""
    )


class CodePanels:
    """Each view's Code panel for the page's current inputs, from the studio's parts (what the view itself read)."""

    def __init__(self, studio):
        self.studio = studio

    def dataset(self, choice: str) -> Text:
        return dataset_code(self.studio.catalog.resolve(choice), DEFAULT_CONFIG, self.studio.online)

    def tokenization(self, choice: str, text: str, max_length: int | None, second: str) -> Text:
        tokenizer = self.studio.models.tokenizer(choice)
        length = max_length or min(tokenizer.model_max_length, 512)
        runs = self.studio.runs_dir
        return tokenization_code(choice or STARTER_TOKENIZER, runs, self.studio.online, text, length, second)

    def wordpiece(self, choice: str, text: str, word: str) -> Text:
        self.studio.inside.words(choice, (word or "").strip() or text)  # one sentence for a tokenizer without one
        value = (word or "").strip() or text
        return wordpiece_code(choice or STARTER_TOKENIZER, self.studio.runs_dir, self.studio.online, value)

    def train(self, model: str, method: str, dataset: str, name: str, values: dict) -> Text:
        desk, catalog = self.studio.desk, self.studio.catalog
        model, source = desk.resolve_model(model), catalog.resolve(dataset)
        name = (name or "").strip() or desk.free_run_name(method or "full", model, source)
        return train_code(self.studio.runs_dir, source, model, method, name, values)

    def evaluation(self, run_name: str, split: str) -> Text:
        run_dir = self.studio.runbook.resolve(run_name)
        run = self.studio.runbook.info(run_name)
        return evaluate_code(run_dir, run.method, run.settings, split, self.studio.online)

    def classify(self, run_name: str, text: str) -> Text:
        run_dir = self.studio.runbook.resolve(run_name)
        return classify_code(run_dir, self.studio.runbook.info(run_name).method, text)

    def notebook(self, run_name: str) -> Path:
        """The run's notebook.ipynb, written into its folder the first time it is asked for."""
        from ..training.notebook import notebook_file

        return notebook_file(self.studio.runbook.resolve(run_name))
