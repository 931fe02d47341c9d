"""Tab 3, Train: start fine-tuning in the background, watch it, stop it; see the finished runs."""

from __future__ import annotations

import html

import gradio as gr
import pandas as pd

from ..bilingual import Text
from ..errors import UserError
from ..serving.deployment import LESSON, TRAINING_OFF
from ..serving.plots import training_curves
from ..serving.terms import LESSON_STEPS, RUN_COLUMNS, SOURCE_MODEL, STARTER, WHOLE_NUMBERS, help_text
from .code_panels import code_panel, fill, train_code
from .common import Action, over, user_errors
from .i18n import t
from .tables import VALUES

# The options a page may set, shown with the help text of TrainConfig; blank means the recipe default.
FORM_FIELDS = ("epochs", "learning_rate", "batch_size", "max_length", "train_examples", "seed")
METHOD_CHOICES = [
    (t("Full fine-tuning", "全体を学習"), "full"),
    (t("Head only, encoder frozen", "分類ヘッドのみ（エンコーダーは固定）"), "head"),
    (t("n-gram baseline", "n-gram ベースライン"), "ngram"),
]
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


HELP = {
    "model": "モデル: Hub の ID、ローカルのモデルフォルダ、または 'starter'（ここで作る小さな BERT）。",
    "method": "full: すべての層を学習（元の記事の手法）。head: エンコーダーを固定し、分類ヘッドだけを学習（速く、GPU "
    "がなくても使えます）。ngram: 文字 n-gram の TF-IDF とロジスティック回帰のベースライン（BERT なし）。",
    "epochs": "学習データを何周するか（既定: 2、スターターは 10）。",
    "learning_rate": "学習率の最大値（既定: 2e-5、スターターは 3e-4）。",
    "batch_size": "1 ステップあたりの件数（既定: 16、スターターは 32）。",
    "max_length": "入力をこのトークン数で切り捨てます（既定: 512、スターターは 128）。",
    "train_examples": "学習に使う件数（シード付きで抽出）。CPU で素早く試すときに。",
    "seed": "抽出・初期化・シャッフルの乱数シード。",
}
STATES = {
    "idle": Text("Ready", "待機中"),
    "running": Text("Training", "学習中"),
    "finished": Text("Finished", "完了"),
    "failed": Text("Failed", "失敗"),
    "stopped": Text("Stopped", "停止"),
}
RUN_HEADERS = {
    "run": Text("run", "名前"),
    "method": Text("method", "手法"),
    "model": Text("model", "モデル"),
    "dataset": Text("dataset", "データ"),
    "accuracy": Text("accuracy", "正解率"),
    "f1_weighted": Text("weighted F1", "加重 F1"),
    "finished": Text("finished", "完了日時"),
}


def field_help(name: str):
    """A form field's help text in the visitor's language (the English is TrainConfig's own)."""
    return t(help_text(name), HELP[name]) if name in HELP else help_text(name)


def progress_html(status) -> str:
    """The run's state, its step and the time left, as a bar (in the language of the request it answers)."""
    latest = status.latest
    step, total = (latest.step or 0, latest.total_steps or 0) if latest else (0, 0)
    share = step / total if total else 0.0
    label = STATES[status.state]
    if status.state == "idle":
        detail = Text("no run has been started yet", "まだ学習していません")
    elif total:
        detail = Text(f"step {step:,} / {total:,}", f"ステップ {step:,} / {total:,}")
    elif status.state == "running":
        detail = Text("preparing (loading data, tokenizing)…", "準備中（データの読み込み、トークン化）…")
    else:
        detail = ""
    if status.state == "running" and latest and latest.remaining is not None and total:
        detail += Text(f" · about {latest.remaining:.0f} s left", f" · 残り約 {latest.remaining:.0f} 秒")
    if status.state == "finished":
        share = 1.0
    run_name = f" {html.escape(status.run_name)}" if status.run_name else ""
    detail = f" · {detail}" if detail else ""
    message = f"<div>{html.escape(str(status.message))}</div>" if status.message else ""
    if status.waiting:
        waiting = Text("Waiting to train", "学習の順番待ち")
        message += f"<div>{waiting}: {html.escape(', '.join(status.waiting))}</div>"
    return (
        f'<div id="train-progress" data-state="{status.state}"><b>{label}</b>{run_name}{detail}'
        f'<div style="background:#e9ecef;border-radius:6px;height:14px;margin-top:6px">'
        f'<div style="width:{share:.1%};background:#2a9d8f;height:14px;border-radius:6px"></div></div>{message}</div>'
    )


def throughput_text(status) -> Text | str:
    latest = status.latest
    if not latest or not latest.examples_per_second:
        return ""
    speed, epoch = latest.examples_per_second, latest.epoch or 0
    return Text(
        f"Throughput: **{speed:.1f} examples/s** · epoch {epoch:.2f}",
        f"処理速度: **{speed:.1f} 件/秒** · エポック {epoch:.2f}",
    )


def runs_table(studio) -> pd.DataFrame:
    table = pd.DataFrame([run.row() for run in studio.runbook.runs()], columns=RUN_COLUMNS)
    for column in ("method", "model"):  # a method, and the baseline's model, as the page names them
        table[column] = [str(VALUES[column].get(value, value)) for value in table[column]]
    return table.rename(columns={column: str(header) for column, header in RUN_HEADERS.items()})


def build_train_tab(studio, dataset_state: gr.State) -> Action:
    """Lays the tab out and returns estimating the form's run (the page does anew when the tab is opened)."""
    gr.Markdown(t(*INTRO))
    with gr.Row():
        model = gr.Dropdown(
            list(dict.fromkeys([studio.default_model, STARTER, SOURCE_MODEL])),
            value=studio.default_model,
            allow_custom_value=True,
            label=t("Model", "モデル"),
            info=field_help("model"),
        )
        method = gr.Radio(METHOD_CHOICES, value="full", label=t("Method", "手法"), info=field_help("method"))
        dataset = gr.Textbox(
            studio.default_dataset,
            label=t("Dataset (from the Dataset tab)", "データセット（データタブで選択）"),
            interactive=False,
        )
        name = gr.Textbox(
            label=t("Run name (optional)", "学習名（任意）"),
            placeholder=studio.desk.free_run_name("full", studio.default_model, studio.default_dataset),
        )
    with gr.Row():
        fields = {
            key: gr.Number(
                42 if key == "seed" else 0,
                label=t(*FIELD_LABELS[key]),
                info=field_help(key),
                minimum=0,
                elem_id=f"train-{key}",
                precision=0 if key in WHOLE_NUMBERS else None,
            )
            for key in FORM_FIELDS
        }
    device = studio.desk.device()
    gr.Markdown(t(f"Runs on: **{device.en}**", f"実行環境: **{device.ja}**"))

    # Filled when the tab is opened and when the form changes, not while the app is built: on a Space the
    # default dataset is the Hub's 120,000 reviews, which start-up must not wait for.
    estimate = gr.Markdown(elem_id="train-estimate")
    code_accordion, code = code_panel("train-code")
    deployment = studio.deployment
    if deployment.public:
        bounds = deployment.bounds
        bigger = Text(
            f" Bigger runs need the training password, and may use up to {bounds.train_examples:,} examples, "
            f"{bounds.epochs:g} epochs and {bounds.run_minutes:g} minutes.",
            f"それより大きな学習には学習用パスワードが必要で、最大 {bounds.train_examples:,} 件、"
            f"{bounds.epochs:g} エポック、{bounds.run_minutes:g} 分までです。",
        )
        notice = LESSON + bigger if deployment.training_open else TRAINING_OFF
        gr.Markdown(t(notice.format(steps=LESSON_STEPS)), elem_id="public-notice")
    with gr.Row():
        password = gr.Textbox(
            label=t("Training password", "学習用パスワード"), type="password", visible=deployment.public, scale=1
        )
        start = gr.Button(t("Start", "開始"), variant="primary")
        stop = gr.Button(t("Stop", "停止"), variant="stop")
        current = gr.Textbox(label=t("Started run", "開始した学習"), interactive=False)
    # The state and the runs are drawn by the status timer's first tick (a second after the page opens), in the
    # visitor's language: the page is built once for every visitor, before any of them has asked.
    progress = gr.HTML()
    throughput = gr.Markdown()
    curves = gr.Plot(label=t("Loss and metrics", "損失と評価指標"), elem_id="train-curves")
    log = gr.Textbox(label=t("Log", "ログ"), lines=8, max_lines=8, autoscroll=True, interactive=False)
    gr.Markdown(t("### Finished runs", "### 学習済みモデル"))
    runs = gr.Dataframe(interactive=False, elem_classes="run-table")
    shown_records = gr.State(-1)  # how many progress records this page has drawn

    form = [model, method, dataset_state, name, *fields.values(), password]
    named = Action(over(studio, default_name), [model, method, dataset_state], [name])
    start.click(over(studio, start_training), form, [current], api_name="start_training").then(
        named.fn, named.inputs, named.outputs, queue=False, api_visibility="private"
    )
    for trigger in (model.change, method.change, dataset_state.change):
        trigger(named.fn, named.inputs, named.outputs, queue=False, api_visibility="private")
    form_changes = [model.change, method.change, dataset_state.change, *(field.change for field in fields.values())]
    estimating = Action(over(studio, cost), [model, method, dataset_state, *fields.values()], [estimate])
    gr.on(form_changes, estimating.fn, estimating.inputs, estimating.outputs, api_visibility="private")
    coded = [model, method, dataset_state, name, *fields.values()]
    fill(code_accordion, code, [*form_changes, name.change], over(studio, train_code), coded)
    stop.click(over(studio, stop_training), [password], [current], api_name="stop_training")
    status_outputs = [progress, throughput, curves, log, runs, shown_records, current]
    gr.Timer(1.0).tick(
        over(studio, training_status),
        [shown_records],
        status_outputs,
        api_name="training_status",
        show_progress="hidden",
        queue=False,
    )
    dataset_state.change(lambda value: value, [dataset_state], [dataset], queue=False, api_visibility="private")
    return estimating


@user_errors
def cost(studio, model_spec, method_name, dataset_choice, *numbers):
    """What the form's run would cost here, before Start (the pace of the newest run of its kind)."""
    try:
        values = form_values(*numbers)
        return studio.desk.cost_estimate(model_spec, method_name, dataset_choice, values)
    except UserError as error:  # a value past this server's bounds, a dataset that can't load: its sentence
        return str(error)


def form_values(*numbers) -> dict:
    """The form's numbers by option name, in FORM_FIELDS's order (as the page lays them out)."""
    return dict(zip(FORM_FIELDS, numbers, strict=True))


@user_errors
def start_training(
    studio,
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
    values = form_values(epochs, learning_rate, batch_size, max_length, train_examples, seed)
    visitor = studio.deployment.visitor(request.client.host, request.headers.get("x-forwarded-for"))
    started, place = studio.desk.start_from_page(
        model, method, dataset, run_name, values, request.session_hash, secret, visitor
    )
    if place:
        gr.Info(
            str(
                Text(
                    f"{started} is number {place} in the queue: it starts when the runs before it finish.",
                    f"{started} は待機中の {place} 番目です。前の学習が終わると始まります。",
                )
            )
        )
    else:
        gr.Info(str(Text(f"Training {started} started.", f"{started} の学習を開始しました。")))
    return started


@user_errors
def stop_training(studio, secret, request: gr.Request):
    status = studio.desk.status()
    if status.state != "running" and not status.waiting:  # nothing to stop: a calm sentence, not an error
        return Text("Nothing is training right now.", "学習中のものはありません。")
    visitor = studio.deployment.visitor(request.client.host, request.headers.get("x-forwarded-for"))
    stopped = studio.desk.stop(request.session_hash, secret, visitor)
    return Text(f"Stopped {stopped}; nothing was saved.", f"{stopped} を停止しました（保存されていません）。")


@user_errors
def training_status(studio, drawn: int):
    status = studio.desk.status()
    # A stopped run leaves nothing on disk, so its status has no records: the curves and log this page drew stay.
    kept = not status.records and drawn > 0 and status.state != "running"
    changed = len(status.records) != drawn and not kept
    return (
        progress_html(status),
        throughput_text(status),
        training_curves(status.records) if changed else gr.skip(),
        gr.skip() if kept and not status.log_tail else status.log_tail,
        runs_table(studio) if changed else gr.skip(),
        drawn if kept else len(status.records),
        # The first tick of a page just opened (a reload) names the run training; later ticks leave the box alone.
        (status.run_name if status.state == "running" else "") if drawn < 0 else gr.skip(),
    )


def default_name(studio, model_spec: str, method_name: str, dataset_choice: str):
    """The placeholder is the name a run started now gets when the box is left empty."""
    try:
        return gr.Textbox(placeholder=studio.desk.free_run_name(method_name or "full", model_spec, dataset_choice))
    except UserError:  # a model or dataset the app doesn't offer: Start will say so
        return gr.skip()
