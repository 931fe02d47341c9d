"""Tab 3, Train: start fine-tuning in the background, watch it, stop it; see the finished runs."""

from __future__ import annotations

import html

import gradio as gr
import pandas as pd

from ..config import TrainConfig, check_run_name, default_run_name, help_text
from ..deployment import TRAINING_OFF
from ..modeling import STARTER
from ..plots import training_curves
from ..runs import RUN_COLUMNS
from ..tokenization import SOURCE_MODEL
from .common import user_errors
from .i18n import t

# The options a page may set, shown with the help text of TrainConfig; blank means the recipe default.
FORM_FIELDS = ("epochs", "learning_rate", "batch_size", "max_length", "train_examples", "seed")
METHOD_CHOICES = [
    ("Full fine-tuning / 全体を学習", "full"),
    ("Head only, encoder frozen / 分類ヘッドのみ", "head"),
    ("n-gram baseline / ベースライン", "ngram"),
]
WHOLE_NUMBERS = {"epochs", "batch_size", "max_length", "train_examples", "seed"}
INTRO = (
    "Fine-tune on the dataset chosen in the **Dataset** tab. Leave a number at 0 for the recipe default: the source "
    "tutorial's (lr 2e-5, batch 16, 2 epochs) for a pretrained model, a CPU-friendly one for the **starter** (a small "
    "BERT trained from scratch here, which also learns from a character n-gram teacher's probabilities). The source "
    "names two methods: **full fine-tuning** (every layer learns; most accurate) and **head only** (the encoder "
    "stays frozen, its features are computed once and only the classification layer is fitted: minutes on a CPU). "
    "The **n-gram baseline** needs no BERT at all; compare all three in the Evaluate tab. Training runs in the "
    "background: other tabs stay usable, and a page reload finds the run again.",
    "**データ**タブで選んだデータセットでファインチューニングします。数値を 0 にすると既定のレシピを使います: "
    "事前学習済みモデルには元のチュートリアルの値（学習率 2e-5、バッチ 16、2 エポック）、**スターター**（ここで一から"
    "学習する小さな BERT。文字 n-gram の教師モデルの確率からも学びます）には CPU 向けの値。元の記事は 2 つの手法を"
    "挙げています: **全体のファインチューニング**（すべての層が学習し、最も正確）と **分類ヘッドのみ**（エンコーダーは"
    "固定し、特徴量を一度だけ計算して分類層だけを学習。CPU で数分）。**n-gram ベースライン**は BERT を使いません。"
    "3 つは評価タブで比較できます。学習はバックグラウンドで実行され、ページを再読み込みしても続きが表示されます。",
)
FIELD_LABELS = {
    "epochs": ("epochs (0: default)", "エポック数（0: 既定）"),
    "learning_rate": ("learning rate (0: default)", "学習率（0: 既定）"),
    "batch_size": ("batch size (0: default)", "バッチサイズ（0: 既定）"),
    "max_length": ("max length (0: default)", "最大長（0: 既定）"),
    "train_examples": ("train examples (0: default)", "学習に使う件数（0: 既定）"),
    "seed": ("seed", "乱数シード"),
}


def config_from_form(studio, model: str, method: str, dataset: str, name: str, values: dict) -> TrainConfig:
    """The page's values as a TrainConfig: a model and dataset the app offers, the run inside the runs folder."""
    model = studio.resolve_model(model)
    name = check_run_name((name or "").strip() or default_run_name(model))
    # 0 or blank leaves an option to the recipe (a number box can't be empty in every browser).
    options = {key: int(value) if key in WHOLE_NUMBERS else value for key, value in values.items() if value}
    output = str(studio.runs_dir / name)
    dataset = studio.resolve_dataset(dataset)
    return TrainConfig(model=model, method=method or "full", dataset=dataset, output=output, **options)


def progress_html(status) -> str:
    latest = status.latest
    step, total = latest.get("step", 0), latest.get("total_steps", 0)
    share = step / total if total else 0.0
    label = {
        "idle": "No run yet",
        "running": "Training",
        "finished": "Finished",
        "failed": "Failed",
        "stopped": "Stopped",
    }[status.state]
    detail = f"step {step:,} / {total:,}" if total else "preparing (loading data, tokenizing)…"
    if status.state == "running" and latest.get("remaining") is not None and total:
        detail += f" · about {latest['remaining']:.0f} s left"
    message = f"<div>{html.escape(status.message)}</div>" if status.message else ""
    return (
        f'<div id="train-progress" data-state="{status.state}"><b>{label}</b> {html.escape(status.run_name)} · {detail}'
        f'<div style="background:#e9ecef;border-radius:6px;height:14px;margin-top:6px">'
        f'<div style="width:{share:.1%};background:#2a9d8f;height:14px;border-radius:6px"></div></div>{message}</div>'
    )


def throughput_text(status) -> str:
    latest = status.latest
    if not latest.get("examples_per_second"):
        return ""
    speed, epoch = latest["examples_per_second"], latest.get("epoch", 0)
    return f"Throughput / 処理速度: **{speed:.1f} examples/s** · epoch {epoch:.2f}"


def runs_table(studio) -> pd.DataFrame:
    return pd.DataFrame([run.row() for run in studio.runs()], columns=RUN_COLUMNS)


def build_train_tab(studio, dataset_state: gr.State) -> dict:
    gr.Markdown(t(*INTRO))
    with gr.Row():
        model = gr.Dropdown(
            list(dict.fromkeys([studio.default_model, STARTER, SOURCE_MODEL])),
            value=studio.default_model,
            allow_custom_value=True,
            label=t("Model", "モデル"),
            info=help_text("model"),
        )
        method = gr.Radio(METHOD_CHOICES, value="full", label=t("Method", "手法"), info=help_text("method"))
        dataset = gr.Textbox(
            studio.default_dataset,
            label=t("Dataset (from the Dataset tab)", "データセット（データタブで選択）"),
            interactive=False,
        )
        name = gr.Textbox(label=t("Run name (optional)", "学習名（任意）"), placeholder="starter-sample")
    with gr.Row():
        fields = {
            key: gr.Number(
                42 if key == "seed" else 0,
                label=t(*FIELD_LABELS[key]),
                info=help_text(key),
                minimum=0,
                elem_id=f"train-{key}",
                precision=0 if key in WHOLE_NUMBERS else None,
            )
            for key in FORM_FIELDS
        }
    device = studio.device()
    gr.Markdown(t(f"Runs on: **{device}**", f"実行環境: **{device}**"))
    deployment = studio.deployment
    if deployment.public:
        bounds = deployment.bounds
        gr.Markdown(
            TRAINING_OFF
            if not deployment.training_open
            else f"This is a public server: training needs the password, and a run may use up to "
            f"{bounds.train_examples:,} examples, {bounds.epochs:g} epochs and {bounds.run_minutes:g} minutes. "
            "/ 公開サーバーでは学習にパスワードが必要です。",
            elem_id="public-notice",
        )
    with gr.Row():
        password = gr.Textbox(
            label=t("Training password", "学習用パスワード"), type="password", visible=deployment.public, scale=1
        )
        start = gr.Button(t("Start", "開始"), variant="primary", interactive=deployment.training_open)
        stop = gr.Button(t("Stop", "停止"), variant="stop")
        current = gr.Textbox(label=t("Started run", "開始した学習"), interactive=False)
    progress = gr.HTML(progress_html(studio.job.status()))
    throughput = gr.Markdown()
    curves = gr.Plot(label=t("Loss and metrics", "損失と評価指標"))
    log = gr.Textbox(label=t("Log", "ログ"), lines=8, max_lines=8, autoscroll=True, interactive=False)
    gr.Markdown(t("### Finished runs", "### 学習済みモデル"))
    runs = gr.Dataframe(runs_table(studio), interactive=False)
    shown_records = gr.State(-1)  # how many progress records this page has drawn

    @user_errors
    def start_training(
        model,
        method,
        dataset,
        run_name,
        epochs,
        learning_rate,
        batch_size,
        max_length,
        train_examples,
        seed,
        secret,
        request: gr.Request,
    ):
        values = {
            "epochs": epochs,
            "learning_rate": learning_rate,
            "batch_size": batch_size,
            "max_length": max_length,
            "train_examples": train_examples,
            "seed": seed,
        }
        config = config_from_form(studio, model, method, dataset, run_name, values)
        started = studio.start_training(config, request.session_hash, secret)
        gr.Info(f"Training {started} started. / 学習を開始しました。")
        return started

    @user_errors
    def stop_training(secret, request: gr.Request):
        stopped = studio.stop_training(request.session_hash, secret)
        return f"Stopped {stopped}; nothing was saved."

    def training_status(drawn: int):
        status = studio.job.status()
        changed = len(status.records) != drawn
        return (
            progress_html(status),
            throughput_text(status),
            training_curves(status.records) if changed else gr.skip(),
            status.log_tail,
            runs_table(studio) if changed else gr.skip(),
            len(status.records),
        )

    form = [model, method, dataset_state, name, *fields.values(), password]
    start.click(start_training, form, [current], api_name="start_training")
    stop.click(stop_training, [password], [current], api_name="stop_training")
    status_outputs = [progress, throughput, curves, log, runs, shown_records]
    gr.Timer(1.0).tick(
        training_status,
        [shown_records],
        status_outputs,
        api_name="training_status",
        show_progress="hidden",
        queue=False,
    )
    dataset_state.change(lambda value: value, [dataset_state], [dataset], queue=False, api_visibility="private")
    return {"runs": runs}
