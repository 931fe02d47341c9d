"""The Dataset tab's review of doubted labels: read a doubted review, keep its label or change it, and download the
dataset with the decisions laid over it. Decisions belong to the visitor's session (a State): one visitor never
changes what another sees, and the dataset itself is never edited."""

from __future__ import annotations

import functools

import gradio as gr
import pandas as pd

from ..bilingual import Text, class_text, counted
from ..errors import UserError
from ..markup import literal
from ..serving.plots import confusion_matrices
from ..serving.run_choice import default_run
from ..serving.terms import LABELS, MAX_CORRECTIONS, Overlay
from .common import ANALYSIS, class_choices, over, reveal, user_errors
from .i18n import t

INTRO = (
    "#### Read the doubted, decide, download\nClick a review in the list above to read it: **keep** its label, "
    f"**change** it to the label chosen below, or **skip** it; the next review not decided yet follows. Your "
    "decisions stay in this page's session (at most "
    f"{MAX_CORRECTIONS:,}), never in the dataset; download the dataset with them as CSV, each label with where it "
    "comes from.",
    "#### 疑わしいレビューを読んで決める\n上の一覧のレビューをクリックして読み、ラベルを**そのまま**にするか、"
    "下で選んだラベルに**変更**するか、**スキップ**してください。次の未判断のレビューが続きます。"
    f"判断はこのページのセッションにだけ保存され（最大 {MAX_CORRECTIONS:,} "
    "件）、データセット自体は変わりません。判断を反映したデータセットを、各ラベルの出所つきの CSV で"
    "ダウンロードできます。",
)
CHOOSE_LABEL = Text("Choose the label to change to first.", "まず変更先のラベルを選んでください。")
RETRAIN_INTRO = (
    "#### Retrain and compare\nThe run picked below, trained again as it was (method, model, seed, steps) on this "
    "dataset with your changed training labels, then the two side by side on the same validation reviews.",
    "#### 学習し直して比べる\n下で選んだ学習を、同じ設定（手法・モデル・シード・ステップ数）のまま、学習データの"
    "ラベルを変更したデータで学習し直し、同じ検証データで 2 つを並べて比べます。",
)
COMPARE_FIRST = Text("Retrain a run first.", "まずモデルを学習し直してください。")
STARTED_AGAIN = Text(
    "No review is decided in this session: every label is the published one again.",
    "このセッションの判断はありません。すべて公開されたラベルに戻りました。",
)
ALL_DECIDED = Text(
    "Every review in the list is decided: find the doubted of another split, or download your decisions.",
    "一覧のレビューはすべて判断済みです。別の分割の疑わしいレビューを探すか、判断をダウンロードしてください。",
)
NOT_RETRAINED = Text("⚠ Not retrained: {reason}", "⚠ 学習し直せませんでした: {reason}")
NOT_COMPARED = Text("⚠ Not compared: {reason}", "⚠ 比べられませんでした: {reason}")
NOT_SAVED = Text("⚠ Not saved: {reason}", "⚠ 保存できませんでした: {reason}")
PICK_ONE = Text("Click a review in the list above first.", "まず上の一覧のレビューをクリックしてください。")
DECISION_COLUMNS = ["split", "text", "given", "label", "by", "at"]


def build_review_section(studio, dataset_state, split: gr.Dropdown, suspects: gr.Dataframe) -> gr.Dropdown:
    """The section under the doubted reviews; its picker of the run to retrain, which the page keeps up to date."""
    gr.Markdown(t(*INTRO))
    overlay = gr.State(Overlay())
    # The dataset row of the review being read: a hidden number, not a State, so the API can name a row too.
    row = gr.Number(value=None, precision=0, visible=False, label=t("Row", "行"))
    review = gr.Markdown(elem_id="review-card")
    with gr.Row():
        label = gr.Radio(class_choices(LABELS), value=None, label=t("Label", "ラベル"), scale=3)
        keep = gr.Button(t("Keep the label", "ラベルをそのままにする"), scale=1)
        change = gr.Button(t("Change to this label", "このラベルに変更"), variant="primary", scale=1)
        skip = gr.Button(t("Skip", "スキップ"), scale=1)
    decided = gr.Markdown(elem_id="review-decided")
    decisions = gr.Dataframe(interactive=False, wrap=True, visible=False, elem_id="review-decisions")
    download = gr.Button(t("Download the dataset with my decisions (CSV)", "判断を反映したデータを CSV で保存"))
    corrected = gr.File(label=t("Corrected dataset", "修正済みデータ"), visible=False, elem_id="review-download")
    with gr.Row():
        load_saved = gr.Button(t("Load this server's saved decisions", "このサーバーに保存された判断を読み込む"))
        published = gr.Button(t("Start again from the published labels", "公開されたラベルからやり直す"))
    with gr.Row():
        password = gr.Textbox(
            label=t("Training password", "学習用パスワード"),
            type="password",
            visible=studio.deployment.public,
            info=t(
                "its holder may save decisions as this server's, and retrain runs bigger than a lesson",
                "これを持つ人はサーバーの判断として保存でき、授業用より大きな学習もし直せます",
            ),
            scale=2,
        )
        save = gr.Button(t("Save my decisions as this server's", "判断をこのサーバーのものとして保存"), scale=1)

    gr.Markdown(t(*RETRAIN_INTRO))
    with gr.Row():
        run = gr.Dropdown(
            studio.runbook.choices(),
            value=default_run(studio.runbook),
            label=t("Run to retrain", "学習し直すモデル"),
            scale=3,
        )
        retrain = gr.Button(t("Retrain on my decisions", "判断を反映して学習し直す"), variant="primary", scale=1)
        compare = gr.Button(t("Compare the two runs", "2 つの学習を比べる"), scale=1)
    retrained = gr.Textbox(label=t("Retrained run", "学習し直したモデル"), interactive=False, elem_id="retrained-run")
    # While a retrain trains, a timer looks (cheaply) whether it has finished; then the page compares by itself.
    awaiting = gr.Timer(3.0, active=False)
    comparison_note = gr.Markdown(elem_id="retrain-comparison")
    compared = gr.Dataframe(interactive=False, visible=False, elem_id="retrain-table")
    matrices = gr.Plot(label=t("Confusion matrices", "混同行列"), visible=False)
    flipped = gr.Dataframe(interactive=False, wrap=True, visible=False, elem_id="retrain-changed")

    read_at = [suspects, dataset_state, split]
    # Another split makes the list and the card stale: a decision must never land on the row of the same number in
    # the other split. Both are put away until that split's doubted are found.
    split.change(
        lambda: (None, "", gr.Dataframe(value=None, visible=False)),
        None,
        [row, review, suspects],
        queue=False,
        api_visibility="private",
    )
    suspects.select(over(studio, read_review), read_at, [row, review, label], queue=False, api_visibility="private")
    outputs = [overlay, decided, decisions]
    read = [overlay, dataset_state, split, row]
    kept = keep.click(over(studio, keep_label), read, outputs, api_name="keep_label")
    changed = change.click(over(studio, change_label), [*read, label], outputs, api_name="change_label")
    card = [row, review, label]
    after = over(studio, next_review)
    for event in (kept, changed):
        reveal(event, [decisions])
        event.success(after, [suspects, dataset_state, split, row, overlay], card, api_visibility="private")
    skip.click(after, [suspects, dataset_state, split, row, overlay], card, queue=False, api_visibility="private")
    reveal(
        download.click(over(studio, download_corrected), [overlay, dataset_state], [corrected], **ANALYSIS), [corrected]
    )
    loading = load_saved.click(
        over(studio, load_server_decisions), [overlay, dataset_state], outputs, api_name="load_server_decisions"
    )
    reveal(loading, [decisions])
    published.click(forget_decisions, None, outputs, api_name="forget_decisions")
    save.click(over(studio, save_decisions), [overlay, dataset_state, password], [decided], api_name="save_decisions")
    retrain.click(
        over(studio, retrain_run),
        [overlay, dataset_state, run, password],
        [retrained, comparison_note, awaiting],
        api_name="retrain_corrected",
    )
    shown = [comparison_note, compared, matrices, flipped]
    comparing = compare.click(
        over(studio, compare_retrain), [run, retrained], shown, api_name="compare_retrain", **ANALYSIS
    )
    reveal(comparing, shown[1:])
    # Not revealed on every tick: the tables and the plot are shown with the comparison only (compare_when_trained).
    awaiting.tick(
        over(studio, compare_when_trained), [run, retrained], [awaiting, *shown], api_visibility="private", **ANALYSIS
    )
    return run


@user_errors
def read_review(studio, table: pd.DataFrame, choice: str, split: str, event: gr.SelectData):
    """A click on a doubted review: its card, and the suggestion chosen to change to."""
    return _card(studio, table.iloc[event.index[0]], choice, split)


@user_errors
def next_review(studio, table: pd.DataFrame, choice: str, split: str, index: int | None, overlay: Overlay):
    """The next review of the list after the one read that is not decided yet (a reader goes down the list with one
    click per review: skip, keep or change)."""
    if index is None or table is None or table.empty:  # nothing read yet, or the list was put away
        return gr.skip(), gr.skip(), gr.skip()
    after = list(table["index"]).index(index) + 1 if index in list(table["index"]) else 0
    for position in range(after, len(table)):
        if not overlay.has(split, table.iloc[position]["text"]):
            return _card(studio, table.iloc[position], choice, split)
    return None, ALL_DECIDED, None


def _card(studio, picked: pd.Series, choice: str, split: str):
    """A doubted review's row, its card (text, given and suggested label, why: the class probabilities, and the
    other doubted reviews of its confusion cell) and its suggested label."""
    probabilities, neighbours = studio.analyses.suspects(choice, split).reasons(int(picked["index"]))
    given, suggested = class_text(picked["label"]), class_text(picked["suggested"])
    weighed = {
        language: " · ".join(f"{getattr(class_text(name), language)} {p:.2f}" for name, p in probabilities.items())
        for language in ("en", "ja")
    }
    quoted_neighbours = "".join(f"\n- {literal(text)}" for text in neighbours)
    card = Text(
        f"**Review {picked['index']}** (doubt {picked['score']:.2f}): {literal(picked['text'])}\n\n"
        f"Given **{given.en}**; the "
        f"models suggest **{suggested.en}**. Why: they weigh {weighed['en']}."
        + (
            f"\n\nOther reviews given {given.en} that the models hear as {suggested.en}:{quoted_neighbours}"
            if neighbours
            else ""
        ),
        f"**レビュー {picked['index']}**（疑わしさ {picked['score']:.2f}）: {literal(picked['text'])}\n\n"
        "与えられたラベル"
        f"**{given.ja}**、モデルの提案**{suggested.ja}**。理由: モデルの確率は {weighed['ja']}。"
        + (
            f"\n\n{given.ja}とされ、モデルには{suggested.ja}に聞こえるほかのレビュー:{quoted_neighbours}"
            if neighbours
            else ""
        ),
    )
    return int(picked["index"]), card, picked["suggested"]


@user_errors
def keep_label(studio, overlay: Overlay, choice: str, split: str, index: int | None, request: gr.Request):
    """The review read keeps its label (it was read, and found right)."""
    return _decided(studio, overlay, choice, split, index, None, request)


@user_errors
def change_label(studio, overlay: Overlay, choice: str, split: str, index: int | None, label: str, request: gr.Request):
    """The review read gets `label` instead of its given one."""
    if not label:
        return gr.skip(), CHOOSE_LABEL, gr.skip()
    return _decided(studio, overlay, choice, split, index, label, request)


def _decided(studio, overlay: Overlay, choice: str, split: str, index: int | None, label: str | None, request):
    """The session's decisions with this one added, a sentence counting them, and their table."""
    if index is None:
        return gr.skip(), PICK_ONE, gr.skip()
    by = f"visitor {request.session_hash[:6]}" if request is not None and request.session_hash else "reader"
    overlay = studio.review.decide_label(choice, overlay, split, int(index), label, by)
    return overlay, *session_decisions(overlay)


def session_decisions(overlay: Overlay, before: Text | None = None) -> tuple[Text, pd.DataFrame]:
    """A sentence counting the session's decisions (after `before`) and their table."""
    latest = list(overlay.as_dict().values())
    changed = sum(decision.changed for decision in latest)
    kept = len(latest) - changed
    note = Text(
        f"{counted(len(latest), 'review')} decided in this session: {counted(changed, 'label')} changed, "
        f"{kept:,} kept.",
        f"このセッションで {len(latest):,} 件を判断しました（変更 {changed:,} 件、そのまま {kept:,} 件）。",
    )
    table = pd.DataFrame([{column: getattr(d, column) for column in DECISION_COLUMNS} for d in latest])
    return (before + " " + note if before else note), table


@user_errors
def load_server_decisions(studio, overlay: Overlay, choice: str):
    """The decisions this server keeps for the dataset, laid under the session's own."""
    overlay, saved = studio.review.with_server_decisions(choice, overlay)
    if not saved:
        note = Text(
            f"This server keeps no decisions for {literal(choice)} yet.",
            f"このサーバーには {literal(choice)} の判断がまだありません。",
        )
        return gr.skip(), note, gr.skip()
    loaded = Text(
        f"{saved:,} decisions this server keeps for {literal(choice)} are loaded "
        "(yours stand where both decided a review).",
        f"このサーバーが保存している {literal(choice)} の判断 {saved:,} 件を読み込みました"
        "（同じレビューはあなたの判断が優先）。",
    )
    return overlay, *session_decisions(overlay, loaded)


@user_errors
def forget_decisions():
    """The session's decisions dropped: the dataset as published again."""
    return Overlay(), STARTED_AGAIN, pd.DataFrame(columns=DECISION_COLUMNS)


@user_errors
def save_decisions(studio, overlay: Overlay, choice: str, password: str, request: gr.Request):
    """The session's decisions made this server's own for the dataset (on a public server, by the password holder)."""
    visitor = studio.deployment.visitor(request.client.host, request.headers.get("x-forwarded-for"))
    try:
        kept = studio.review.keep_decisions(choice, overlay, password, visitor)
    except UserError as error:  # beside the button, not as an error over the session's decisions
        return NOT_SAVED.format(reason=str(error))
    return Text(
        f"Saved: this server now keeps {len(kept):,} decisions for {literal(choice)}, which any visitor can load.",
        f"保存しました。このサーバーは {literal(choice)} の判断を {len(kept):,} 件保存しており、誰でも読み込めます。",
    )


@user_errors
def retrain_run(studio, overlay: Overlay, choice: str, run_name: str, password: str, request: gr.Request):
    """The picked run trained again, as it was, on its own dataset with this session's corrected training labels
    (on a public server a run bigger than a lesson needs the training password, as in the Train tab; the retrain of
    a lesson is one); the timer that compares it once it has finished is started. A refusal is said beside the
    button, and nothing starts or is written. `choice`, the dataset the session shows, is not what it trains on:
    the decisions are laid over the run's own dataset by their reviews' texts."""
    visitor = studio.deployment.visitor(request.client.host, request.headers.get("x-forwarded-for"))
    try:
        if not run_name:
            raise UserError(Text("Pick the run to retrain first.", "まず学習し直すモデルを選んでください。"))
        # Who may, and within which bounds, is settled before the corrected copy is written.
        corrected = functools.partial(studio.review.retrain_on, overlay=overlay)
        name, _ = studio.desk.retrain(run_name, corrected, request.session_hash, password, visitor)
    except UserError as error:
        return gr.skip(), NOT_RETRAINED.format(reason=str(error)), gr.skip()
    training = Text(
        f"{literal(name)} is training (its progress is in the Train tab); "
        "the comparison appears here when it has finished.",
        f"{literal(name)} を学習中です（進み具合は学習タブ）。終わるとここに比較が表示されます。",
    )
    return name, training, gr.Timer(active=True)


@user_errors
def compare_when_trained(studio, run_name: str, retrained: str):
    """The timer's look at a retrain: nothing while it trains or waits, the comparison once it has finished, and one
    sentence if it ended without finishing; the timer stops once it has ended either way."""
    status = studio.desk.status()
    if retrained in status.waiting or (status.run_name == retrained and status.state == "running"):
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    stopped = gr.Timer(active=False)
    if not retrained:
        return stopped, gr.skip(), gr.skip(), gr.skip(), gr.skip()
    if studio.runbook.info(retrained) is None:
        ended = Text(
            f"{retrained} ended without finishing: the Train tab says why.",
            f"{retrained} は学習を終えられませんでした。理由は学習タブにあります。",
        )
        return stopped, ended, gr.skip(), gr.skip(), gr.skip()
    note, parts = _comparison(studio, run_name, retrained)
    shown = [gr.update(value=part, visible=True) for part in parts] if parts else [gr.skip()] * 3
    return stopped, note, *shown


@user_errors
def compare_retrain(studio, run_name: str, retrained: str):
    """A run and its retrain on corrected labels, on the same validation reviews (their published labels)."""
    note, parts = _comparison(studio, run_name, retrained)
    return note, *(parts or (gr.skip(),) * 3)


def _comparison(studio, run_name: str, retrained: str) -> tuple[Text, tuple | None]:
    """The comparison's sentence and its table, confusion matrices and changed predictions; or a sentence saying
    why there is none (beside the button, not as an error over the page) and None."""
    if not retrained:
        return COMPARE_FIRST, None
    if studio.runbook.info(retrained) is None:
        return Text(
            f"{retrained} has not finished yet: its progress is in the Train tab; compare once it has.",
            f"{retrained} はまだ学習中です。進み具合は学習タブで確認できます。終わってから比べてください。",
        ), None
    try:
        table, metrics, _ = studio.analyses.comparison([run_name, retrained], "validation")
        changed = studio.review.changed_predictions(run_name, retrained, "validation")
    except UserError as error:
        return NOT_COMPARED.format(reason=str(error)), None
    better, worse = int((changed["change"] == "better").sum()), int((changed["change"] == "worse").sum())
    note = Text(
        f"Both scored on the same {metrics[run_name]['examples']:,} validation reviews, with their published labels: "
        f"**{len(changed):,}** predictions changed, **{better:,}** for the better, **{worse:,}** for the worse.",
        f"どちらも同じ検証データ {metrics[run_name]['examples']:,} 件（公開されたラベル）で評価: 予測が変わったのは "
        f"**{len(changed):,}** 件、良くなったもの **{better:,}** 件、悪くなったもの **{worse:,}** 件。",
    )
    return note, (table, confusion_matrices(metrics, True), changed)


@user_errors
def download_corrected(studio, overlay: Overlay, choice: str):
    return str(studio.review.corrected_download(choice, overlay))
