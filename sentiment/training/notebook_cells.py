"""The code cells of a run's notebook from the model on (notebook.py puts them in order; notebook_data_cells.py has
the cells before, notebook_notes.py the notes between them): code that uses `datasets`, `transformers`,
`scikit-learn` and `pandas` only. Each code cell reads the names the cells before it defined, as a learner's
notebook does; the templates that depend on the run are functions of its settings."""

from __future__ import annotations

_LABEL_MAPS = """id2label = dict(enumerate(LABELS))
label2id = {name: index for index, name in id2label.items()}
"""
MODEL = (
    "from transformers import AutoModelForSequenceClassification\n\n"
    + _LABEL_MAPS
    + """model = AutoModelForSequenceClassification.from_pretrained(
    MODEL, num_labels=len(LABELS), id2label=id2label, label2id=label2id
)
max_length = min(MAX_LENGTH, model.config.max_position_embeddings)  # never past the position table"""
)
STARTER_MODEL = (
    "import torch\nfrom transformers import BertConfig, BertForSequenceClassification\n\n"
    + _LABEL_MAPS
    + """torch.manual_seed(SEED)
config = BertConfig(
    vocab_size=len(tokenizer),
    hidden_size=STARTER_HIDDEN,
    num_hidden_layers=STARTER_LAYERS,
    num_attention_heads=STARTER_HIDDEN // 64,
    intermediate_size=STARTER_HIDDEN * 4,
    max_position_embeddings=MAX_LENGTH,
    pad_token_id=tokenizer.pad_token_id,
    num_labels=len(LABELS),
    id2label=id2label,
    label2id=label2id,
)
model = BertForSequenceClassification(config)  # a small BERT, randomly initialised
max_length = min(MAX_LENGTH, model.config.max_position_embeddings)
print(sum(p.numel() for p in model.parameters()), "parameters")"""
)

TOKENIZE = """def encode(batch):
    encoded = tokenizer(batch["text"], truncation=True, max_length=max_length)
    encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
    return encoded


train_set = train_split.map(encode, batched=True, remove_columns=["source"])
eval_set = eval_split.map(encode, batched=True, remove_columns=["source"]).sort("length")
train_set"""

TEACHER = """import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

teacher = make_pipeline(
    TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
    LogisticRegression(C=4.0, max_iter=2000),
)
labels = train_split["label"]
if len(labels) >= 10 and np.bincount(labels, minlength=len(LABELS)).min() >= 5:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    teacher_probs = cross_val_predict(teacher, train_split["text"], labels, cv=folds, method="predict_proba")
    print("the teacher's out-of-fold accuracy:", float(np.mean(teacher_probs.argmax(axis=1) == np.asarray(labels))))
    train_set = train_set.add_column("teacher_probs", teacher_probs.astype(np.float32).tolist())
else:
    print("Too few training examples per label for the n-gram teacher: learning from the labels only.")"""

METRICS = """import numpy as np
from sklearn.metrics import accuracy_score, f1_score


def compute_metrics(eval_prediction):
    predicted = np.argmax(eval_prediction.predictions, axis=-1)
    gold = eval_prediction.label_ids
    return {
        "accuracy": accuracy_score(gold, predicted),
        "f1_weighted": f1_score(gold, predicted, average="weighted"),
        "f1_macro": f1_score(gold, predicted, average="macro"),
    }"""


def trainer_code(settings: dict) -> str:
    precision = settings.get("precision", "auto")
    rule = {
        "auto": "BF16 = cuda and torch.cuda.is_bf16_supported()  # auto: bf16 on a GPU that has it, else fp16;\n"
        "FP16 = cuda and not BF16  # full fine-tuning on a CPU stays in fp32",
        "bf16": "BF16, FP16 = True, False",
        "fp16": "BF16, FP16 = False, True  # a GPU only",
        "fp32": "BF16, FP16 = False, False",
    }[precision]
    code = f"""import math

import torch
import torch.nn.functional as F
from torch.utils.data import SequentialSampler
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

cuda = torch.cuda.is_available()
{rule}


class SentimentTrainer(Trainer):
    def _set_signature_columns_if_needed(self):
        super()._set_signature_columns_if_needed()
        self._signature_columns += ["teacher_probs"]  # keep the teacher's column in the batches

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        teacher_probs = inputs.pop("teacher_probs", None)
        if teacher_probs is None:  # evaluation, or no teacher
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float()
        gold = F.cross_entropy(logits, labels)
        taught = F.kl_div(F.log_softmax(logits, dim=-1), teacher_probs.float(), reduction="batchmean")
        loss = (1 - DISTILL) * gold + DISTILL * taught
        return (loss, outputs) if return_outputs else loss

    def _get_eval_sampler(self, eval_dataset):
        return SequentialSampler(eval_dataset)  # evaluation keeps its order, so predictions match their texts


args = TrainingArguments(
    output_dir=OUTPUT_DIR,
    num_train_epochs=EPOCHS,
    max_steps=MAX_STEPS,
    learning_rate=LEARNING_RATE,
    per_device_train_batch_size=BATCH_SIZE,
    per_device_eval_batch_size=BATCH_SIZE * 2,
    weight_decay=WEIGHT_DECAY,
    warmup_steps=WARMUP,  # under 1: a share of the steps
    eval_strategy="epoch",
    save_strategy="no",
    logging_strategy="steps",
    logging_steps=LOGGING_STEPS,
    logging_first_step=True,
    report_to="none",
    seed=SEED,
    bf16=BF16,
    fp16=FP16,
    train_sampling_strategy="group_by_length" if GROUP_BY_LENGTH else "random",
    length_column_name="length",
    optim="adamw_torch_fused" if cuda else "adamw_torch",
    dataloader_pin_memory=cuda,
    use_cpu=not cuda,
)"""
    if settings.get("step_limit"):
        code += """
# The server's bound: stop at STEP_LIMIT steps where the epochs would take more
planned = args.max_steps if args.max_steps > 0 else math.ceil(math.ceil(len(train_set) / BATCH_SIZE) * EPOCHS)
if planned > STEP_LIMIT:
    args.max_steps = STEP_LIMIT"""
    return (
        code
        + """
trainer = SentimentTrainer(
    model=model,
    args=args,
    train_dataset=train_set,
    eval_dataset=eval_set,
    data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if cuda else None),  # pads per batch
    processing_class=tokenizer,
    compute_metrics=compute_metrics,
)"""
    )


TRAIN = """trainer.train()
logits = trainer.predict(eval_set).predictions
probabilities = torch.softmax(torch.from_numpy(np.asarray(logits, dtype=np.float32)), dim=-1).numpy()
eval_texts, eval_labels = eval_set["text"], eval_set["label"]"""


def head_code(precision: str) -> str:
    rule = {
        "auto": """if torch.cuda.is_available():
    BF16 = torch.cuda.is_bf16_supported()
else:  # a CPU: bf16 only with bf16 instructions (AVX512-BF16 or AMX); emulated it is slower than fp32
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    BF16 = any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)""",
        "bf16": "BF16 = True",
        "fp16": "BF16 = False",
        "fp32": "BF16 = False",
    }[precision]
    return f"""import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

{rule}  # bf16 for the training features only; the validation features in fp32
device = next(model.parameters()).device


def pooled_features(texts, bf16=False, batch_size=64):
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")  # similar lengths together
    result = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    model.eval()
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            chosen = {{key: [values[i] for i in rows] for key, values in encoded.items()}}
            batch = tokenizer.pad(chosen, return_tensors="pt")
            result[rows] = model.base_model(**batch.to(device)).pooler_output.float().cpu().numpy()
    return result


train_features = pooled_features(train_split["text"], bf16=BF16)
eval_features = pooled_features(eval_split["text"])
scaler = StandardScaler().fit(train_features)
regression = LogisticRegression(max_iter=2000, random_state=SEED)
regression.fit(scaler.transform(train_features), train_split["label"])
scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
weight = regression.coef_ / scale  # (W / σ) x + (b − W μ / σ) = W (x − μ) / σ + b
bias = regression.intercept_ - weight @ scaler.mean_
if weight.shape[0] == 1:  # two classes: scikit-learn keeps one row; the layer needs one per class
    weight, bias = np.vstack([-weight / 2, weight / 2]), np.array([-bias[0] / 2, bias[0] / 2])
weight, bias = weight.astype(np.float32), bias.astype(np.float32)
with torch.no_grad():
    model.classifier.weight.copy_(torch.from_numpy(weight))
    model.classifier.bias.copy_(torch.from_numpy(bias))
probabilities = torch.softmax(torch.from_numpy(eval_features @ weight.T + bias), dim=-1).numpy()
eval_texts, eval_labels = eval_split["text"], eval_split["label"]"""


NGRAM = """import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

model = make_pipeline(
    TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
    LogisticRegression(C=4.0, max_iter=2000),
)
model.fit(train_split["text"], train_split["label"])
probabilities = np.zeros((len(eval_split), len(LABELS)))
probabilities[:, model.classes_] = model.predict_proba(eval_split["text"])  # a column per label, even unseen ones
eval_texts, eval_labels = eval_split["text"], eval_split["label"]"""

EVALUATE = """import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score

classes = list(range(len(LABELS)))
gold = np.asarray(eval_labels)
predicted = probabilities.argmax(axis=1)
accuracy = float(accuracy_score(gold, predicted))
print(f"accuracy {accuracy:.4f}; the run in the app: {RUN_ACCURACY}")
print(classification_report(gold, predicted, labels=classes, target_names=LABELS, zero_division=0, digits=4))"""

MATRIX = """from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

counts = confusion_matrix(gold, predicted, labels=classes)
totals = counts.sum(axis=1, keepdims=True)
normalized = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0).round(4)
print(counts)
ConfusionMatrixDisplay(normalized, display_labels=LABELS).plot(cmap="Blues", values_format=".2f");"""

_RUN_FILES = """import json

import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=classes, zero_division=0)
metrics = {
    "split": "validation",
    "examples": len(gold),
    "accuracy": accuracy,
    "f1_weighted": float(f1_score(gold, predicted, labels=classes, average="weighted", zero_division=0)),
    "f1_macro": float(f1_score(gold, predicted, labels=classes, average="macro", zero_division=0)),
    "per_class": {
        name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for name, p, r, f, s in zip(LABELS, precision, recall, f1, support)
    },
    "confusion_matrix": {"labels": LABELS, "counts": counts.tolist(), "normalized": normalized.tolist()},
}
answers = pd.DataFrame(
    {"text": list(eval_texts), "gold": [LABELS[g] for g in gold]}
    | {f"p_{name}": probabilities[:, i].astype(np.float64) for i, name in enumerate(LABELS)}
)
answers.to_parquet(output / "answers-validation.parquet", index=False)
(output / "train_config.json").write_text(json.dumps(SETTINGS, ensure_ascii=False, indent=2), encoding="utf-8")
(output / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")  # last
print(sorted(path.name for path in output.iterdir()))"""
SAVE = (
    """from pathlib import Path

output = Path(OUTPUT_DIR)
model.save_pretrained(output)
tokenizer.save_pretrained(output)
"""
    + _RUN_FILES
)
SAVE_NGRAM = (
    """from pathlib import Path

import skops.io  # scikit-learn models saved without pickle

output = Path(OUTPUT_DIR)
output.mkdir(parents=True, exist_ok=True)
skops.io.dump(model, output / "ngram.skops")
(output / "labels.json").write_text(json.dumps({"labels": LABELS}), encoding="utf-8")
""".replace("import skops.io", "import json\n\nimport skops.io", 1)
    + _RUN_FILES
)

CLASSIFY = """from transformers import pipeline

classify = pipeline("text-classification", model=OUTPUT_DIR, top_k=None, device=-1)
texts = ["この商品は最高です。また買います。", "思っていたより悪くないけど、値段が高い。"]
for text, scores in zip(texts, classify(texts)):
    print(text, "→", scores[0]["label"], round(scores[0]["score"], 3))"""
CLASSIFY_NGRAM = """import skops.io

reloaded = skops.io.load(Path(OUTPUT_DIR) / "ngram.skops")
texts = ["この商品は最高です。また買います。", "思っていたより悪くないけど、値段が高い。"]
for text, row in zip(texts, reloaded.predict_proba(texts)):
    print(text, "→", LABELS[reloaded.classes_[row.argmax()]], round(float(row.max()), 3))"""
