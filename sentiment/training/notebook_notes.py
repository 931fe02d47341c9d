"""The notes of a run's notebook (notebook.py puts them between its code cells): markdown in Japanese and English,
the title with the run's settings, and where the run differs from the source tutorial."""

from __future__ import annotations


def md(ja: str, en: str) -> str:
    return f"{ja}\n\n*{en}*"


def title(name: str, settings: dict, metrics: dict) -> str:
    method = {
        "full": "全層ファインチューニング / full fine-tuning",
        "head": "ヘッドのみ / head only",
        "ngram": "n-gram ベースライン / n-gram baseline",
    }[settings.get("method", "full")]
    accuracy = f"{metrics['accuracy']:.4f}" if "accuracy" in metrics else "?"
    model = "—" if settings.get("method") == "ngram" else f"`{settings.get('model')}`"
    return (
        f"# {name}\n\n"
        f"**日本語:** 日本語感情分析スタジオで学習した実行「{name}」を、もう一度学習するノートブックです。"
        "元のチュートリアル（データセットを読み、トークナイズし、BERT "
        "を `Trainer` でファインチューニングし、混同行列を描き、"
        "モデルを保存して新しい文を分類する）と同じ順序で、この実行の設定とシードをそのまま使います。"
        "このプロジェクトのパッケージは使いません。\n\n"
        f"**English:** this notebook trains the run “{name}” of Japanese Sentiment Studio again, in the source "
        "tutorial's order (load the dataset, tokenize, fine-tune BERT with the `Trainer`, draw the confusion matrix, "
        "save the model and classify new text), with this run's exact settings and seed. It uses `datasets`, "
        "`transformers`, `scikit-learn` and `pandas`, not the app's own package.\n\n"
        f"| | |\n|---|---|\n| method / 手法 | {method} |\n| model / モデル | {model} |\n"
        f"| dataset / データ | `{settings.get('dataset')}` ({settings.get('dataset_source', '')}) |\n"
        f"| seed / シード | {settings.get('seed')} |\n| validation "
        f"accuracy in the app / アプリでの検証正解率 | {accuracy} |\n\n"
        "Open in Colab / Colab で開く: push the run folder (with this file) to the Hub, or upload this file to "
        "Colab (*File → Upload notebook*). "
        "Hub にこのファイルを含む実行フォルダを push するか、このファイルを Colab にアップロードしてください。"
    )


def differences(settings: dict) -> str:
    """Where this run departs from the source tutorial, one line each, in both languages."""
    method, starter = settings.get("method", "full"), settings.get("model") == "starter"
    lines = []
    if method == "ngram":
        lines.append(
            (
                "BERT は使いません。文字 1〜3-gram の TF-IDF "
                "とロジスティック回帰（scikit-learn）だけの、比較の基準となるモデルです。",
                "No BERT: TF-IDF over character 1-3-grams and a logistic regression (scikit-learn), the yardstick "
                "every other run is measured against.",
            )
        )
    else:
        lines.append(
            (
                "パディングはバッチごと（`DataCollatorWithPadding`）"
                "。チュートリアルはデータセット全体の最長の長さに揃えていました。",
                "Padding per batch (`DataCollatorWithPadding`); the "
                "tutorial padded every review to the longest one in the "
                "whole dataset.",
            )
        )
    if method == "full" and settings.get("group_by_length", True):
        lines.append(
            (
                '長さの近いレビューを同じバッチにまとめます（`train_sampling_strategy="group_by_length"`）。',
                'Batches group reviews of similar length (`train_sampling_strategy="group_by_length"`).',
            )
        )
    if method != "ngram":
        lines.append(
            (
                f"精度（precision）: `{settings.get('precision', 'auto')}`。"
                "auto は GPU では bf16（なければ fp16）、CPU では"
                "全層学習は fp32、ヘッドのみは bf16 命令のある CPU で bf16 です。",
                f"Precision: `{settings.get('precision', 'auto')}`; auto "
                f"is bf16 on a GPU (fp16 without bf16), fp32 for full "
                "fine-tuning on a CPU, and bf16 for a head-only run on a CPU with bf16 instructions.",
            )
        )
    if method == "head":
        lines.append(
            (
                "ヘッドのみ: エンコーダーは固定し、各レビューの pooled "
                "`[CLS]` ベクトルにロジスティック回帰を当てはめ、その重みを"
                "分類層にコピーします。保存されるのは普通のモデルフォルダーです。",
                "Head only: the encoder is frozen; a logistic regression fitted on each review's pooled `[CLS]` vector "
                "becomes the classification layer, so what is saved is an ordinary model folder.",
            )
        )
    if starter:
        lines.append(
            (
                "スターター: 事前学習済みモデルの代わりに、学習テキストから数えて作る "
                "MeCab + WordPiece の語彙と、ランダムに"
                "初期化した小さな BERT を使います（Hub なしで動きます）。",
                "Starter: instead of a pretrained model, a MeCab + WordPiece vocabulary counted from the training "
                "texts and a small randomly initialised BERT (works without the Hub).",
            )
        )
    if method == "full" and settings.get("distill"):
        lines.append(
            (
                f"n-gram 教師: 損失は (1 − {settings['distill']:g}) "
                f"× 正解ラベルとの交差エントロピー + {settings['distill']:g} × "
                "文字 n-gram モデルの確率（5 分割の out-of-fold）との KL ダイバージェンスです。",
                f"The n-gram teacher: the loss is (1 − {settings['distill']:g}) × cross-entropy with the gold labels + "
                f"{settings['distill']:g} × KL divergence from a character n-gram model's out-of-fold probabilities.",
            )
        )
    for name, ja in (("train_examples", "学習"), ("eval_examples", "検証")):
        if settings.get(name):
            lines.append(
                (
                    f"{ja}データはシード付きで {settings[name]} 件に絞っています。",
                    f"The {'training' if name == 'train_examples' else 'validation'} split is cut to a seeded "
                    f"sample of {settings[name]}.",
                )
            )
    ja = "\n".join(f"- {line[0]}" for line in lines)
    en = "\n".join(f"- {line[1]}" for line in lines)
    return f"## チュートリアルとの違い / Where this run differs from the tutorial\n\n{ja}\n\n{en}"


INSTALL_MD = md(
    "## 1. インストール\n足りないパッケージだけを、"
    "このアプリと同じバージョンで入れます（Colab ではほとんど入っています）。",
    "Install: only the missing packages, at the versions this app uses (Colab has most of them).",
)


SETTINGS_MD = md(
    "## 2. 設定\nこの実行の設定です（アプリの train_config.json と同じ値）。シードで乱数を固定します。",
    "Settings: this run's values, as the app's train_config.json holds them; the seed fixes every random draw.",
)


LOAD_MD = md(
    "## 3. データセットを読む\nラベルは `ClassLabel`（positive, neutral, negative の順）です。",
    "Load the dataset: the label is a `ClassLabel` in the order positive, neutral, negative.",
)


LOOK_MD = md(
    "## 4. データを見る\n分割ごとの件数とラベルの内訳、最初の数行です。",
    "Look at the data: rows and labels per split, and the first rows.",
)


CUT_MD = md(
    "## 5. 学習と検証に使う行\n`train_examples` / `eval_examples` が設定されていれば、シード付きの標本に絞ります。",
    "The rows to train and validate on: a seeded sample where `train_examples` / `eval_examples` is set.",
)


TOKENIZER_MD = md(
    "## 6. トークナイザー\nMeCab で単語に分け、WordPiece でサブワードに分けます。",
    "The tokenizer: MeCab splits words, WordPiece splits them into pieces.",
)


STARTER_TOKENIZER_MD = md(
    "## 6. トークナイザー（スターター）\n事前学習済みの語彙の代わりに、"
    "学習テキストの MeCab 単語と文字を数えて WordPiece の語彙を作ります。"
    "特殊トークン、すべての文字（単独と `##` 付き）、2 "
    "回以上現れる単語の多い順（同数は文字列順）で、語彙数に達するまで。",
    "The tokenizer (starter): instead of a pretrained vocabulary, a WordPiece vocabulary counted from the training "
    "texts' MeCab words and characters: the special tokens, every character alone and as `##`, then the most frequent "
    "words seen at least twice (ties in text order) until it has the vocabulary size.",
)


MODEL_MD = md(
    "## 7. モデル\nラベル名（`id2label` / `label2id`）"
    "はモデルを作るときに渡すので、保存したモデルは名前付きで読み込めます。",
    "The model: the label names (`id2label` / `label2id`) are set when it is created, so the saved model "
    "reloads with names.",
)


TOKENIZE_MD = md(
    "## 8. 分割をトークナイズ\nパディングせずに（バッチごとにコレーターが揃えます）、各レビューの長さを記録します。",
    "Tokenize the splits without padding (the collator pads each batch), recording each review's length.",
)


TEACHER_MD = md(
    "## 8b. n-gram 教師\n各学習レビューに、"
    "そのレビューを学習していない文字 n-gram モデル（5 分割）のクラス確率を付けます。",
    "The n-gram teacher: each training review gets the class probabilities of a character n-gram model "
    "that did not train on it (5 folds).",
)


METRICS_MD = md("## 9. 評価指標", "Metrics: accuracy and F1, at each evaluation.")


TRAINER_MD = md(
    "## 10. `TrainingArguments` と `Trainer`\nこの実行の設定とシードそのままです。",
    "`TrainingArguments` and `Trainer`, with this run's exact settings and seed.",
)


TRAIN_MD = md("## 11. 学習", "Train, then predict the validation split.")


HEAD_MD = md(
    "## 8–11. ヘッドのみの学習\nエンコーダーは固定したまま、"
    "各レビューを一度だけ通して pooled `[CLS]` ベクトル（分類層が読むもの）を取り、"
    "長さ順に並べてバッチごとにパディングします。"
    "標準化したベクトルにロジスティック回帰を当てはめ、その重みを元のベクトルに効くように"
    "畳み込んで `model.classifier` にコピーします。",
    "Head only: the encoder stays frozen; each review goes through it once for its pooled `[CLS]` vector (what the "
    "classification layer reads), sorted by length and padded per batch. A logistic regression on the standardised "
    "vectors is folded back to act on the raw ones and copied into `model.classifier`.",
)


NGRAM_MD = md(
    "## 6–11. n-gram ベースライン\n単語内の文字 1〜3-gram の TF-IDF とロジスティック回帰。"
    "トークナイザーも `Trainer` も使いません。",
    "The n-gram baseline: TF-IDF over character 1-3-grams within words and a logistic regression; no "
    "tokenizer, no `Trainer`.",
)


EVALUATE_MD = md(
    "## 12. 評価\n検証データの正解率とクラスごとの指標。アプリでの実行の値と並べます。",
    "Evaluate: accuracy and per-class scores on the validation split, beside the run's in the app.",
)


MATRIX_MD = md(
    "## 13. 混同行列（正解ラベルで正規化）\n各行（正解ラベル）をその行の合計で割ります。",
    "The confusion matrix, normalised by true label: each row divided by its total.",
)


SAVE_MD = md(
    "## 14. 保存\nモデルとトークナイザー（`config.json` に "
    "`id2label` / `label2id`）に加えて、アプリが実行として読むファイル"
    "（metrics.json, train_config.json, 検証の答え）"
    "も書きます。このフォルダーをアプリの runs フォルダーにコピーすると実行として開けます。",
    "Save the model and tokenizer (`config.json` holds `id2label` / `label2id`), and the files the app reads as a run "
    "(metrics.json, train_config.json, the validation answers): copy this folder into the app's runs folder and it "
    "opens there as a run.",
)


CLASSIFY_MD = md("## 15. 読み込み直して分類", "Reload the saved model and classify new text.")
