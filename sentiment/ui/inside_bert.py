"""Inside BERT: the Tokenizer tab's WordPiece walk and vocabulary, the Classify tab's layer view and the Evaluate
tab's probe; each section is laid out inside the tab it belongs to, and each view is an API endpoint."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from ..bilingual import Text, class_text, current_language, split_text
from ..errors import UserError
from ..markup import code, literal
from ..serving.plots import PROBE_CURVES, attention_map, cls_attention_map, layer_probabilities, probe_curves
from ..serving.run_choice import answering_run
from ..serving.terms import SHOWN_DIMENSIONS, SHOWN_TOKENS
from .code_panels import code_panel, fill, wordpiece_code
from .common import ANALYSIS, over, reveal, user_errors
from .i18n import t

WORDPIECE_INTRO = (
    "#### How WordPiece picks its pieces\nWordPiece reads each MeCab word from the left and takes the **longest** "
    "run of characters its vocabulary holds (`##` when it continues the word), then goes on with the rest. If "
    "nothing matches, the **whole word** becomes `[UNK]`. Type a word to walk through it, or leave the box empty "
    "for every word of the text above; the table gives each word's reading and part of speech.",
    "#### WordPiece がサブワードを選ぶしくみ\nWordPiece は MeCab の各単語を左から読み、語彙にある**最も長い**文字列"
    "（単語の続きなら `##` 付き）を取り、残りを同じように読みます。どれにも一致しなければ、その**単語全体**が "
    "`[UNK]` になります。単語を入力するとその手順を、空欄なら上のテキストの全単語を表示します。表には読みと品詞も"
    "あります。",
)
VOCAB_INTRO = (
    "**Vocabulary look-up**: a token (`商品`, `##品`) or an id (a number): is it in the vocabulary, and how often "
    "does it occur in the dataset loaded in the Dataset tab?",
    "**語彙の検索**: トークン（`商品`、`##品`）または ID（数字）を入力すると、語彙にあるか、データタブで読み込んだ"
    "データセットに何回現れるかを表示します。",
)
LAYERS_INTRO = (
    "### Layer by layer\nBERT turns the `input_ids` into one vector per token, and each of its layers rewrites every "
    "vector by **attending** to the others. The classification head reads only the last layer's `[CLS]` vector; "
    "applied to `[CLS]` after the embeddings and after each layer it shows **where the sentiment appears**. The "
    "heat map shows how much each token (a row) attends to each other token (a column).",
    "### 層ごとの変化\nBERT は `input_ids` をトークンごとのベクトルに変え、各層が他のトークンへの**アテンション**で"
    "すべてのベクトルを書き換えます。分類ヘッドが読むのは最後の層の `[CLS]` だけです。埋め込みの後と各層の後の "
    "`[CLS]` に同じヘッドを当てると、**感情がどの層で現れるか**が分かります。ヒートマップは各トークン（行）が"
    "他のトークン（列）にどれだけ注目しているかを示します。",
)
STEPS_INTRO = (
    "**From ids to vectors, and from [CLS] to the label.** Below: each id's three embeddings (its token's row of "
    "the vocabulary's table, its position's and its segment's), their sum, and that sum normalised (LayerNorm), "
    "which is what the first layer reads; then, after the last layer, the `[CLS]` vector through the pooler "
    "(a dense layer and tanh), the classifier's weights (one dot product and a bias per class: the logits) and "
    "softmax: the probabilities Classify shows (computed here in full precision, so where Classify serves the model "
    "in int8 or bf16 they may differ in the third decimal). The first {dims} numbers of each vector, and its length "
    "(norm).",
    "**ID からベクトルへ、[CLS] からラベルへ。** 下の表は、各 ID の 3 つの埋め込み（語彙の表の行、位置の行、"
    "セグメントの行）、その和、和を正規化したもの（LayerNorm。第 1 層が読むもの）です。その次は最後の層の後の "
    "`[CLS]` ベクトルが、プーラー（全結合層と tanh）、分類層の重み（クラスごとの内積とバイアス＝ロジット）、"
    "softmax を経て、分類タブの確率になるまでです（ここでは全精度で計算するため、分類タブが int8 や bf16 で"
    "モデルを使う場合は小数第 3 位で異なることがあります）。各ベクトルの最初の {dims} 個の値と長さ（ノルム）を"
    "示します。",
)
PROBE_INTRO = (
    "### From which layer can sentiment be read?\nA logistic regression fitted on each layer's `[CLS]` (and "
    "mean-pooled) vectors of half of a sample of the split, scored on the other half, and the other way round: "
    "for the run's encoder after training and for the model it started from.",
    "### 感情はどの層から読み取れるか\n分割から選んだレビューの半分で各層の `[CLS]`（とトークン平均）のベクトルに"
    "ロジスティック回帰を当てはめ、残りの半分で採点します（逆も行います）。学習後のエンコーダーと学習前のモデルの"
    "両方で行います。",
)
AVERAGE = "average"
THE_LAYERS = Text("the layer view", "層の表示")
THE_PROBE = Text("the probe", "プローブ")


def build_wordpiece_section(studio, text: gr.Textbox, choice: gr.Dropdown, dataset_state: gr.State) -> None:
    gr.Markdown(t(*WORDPIECE_INTRO))
    with gr.Row():
        word = gr.Textbox(label=t("Word (empty: every word of the text)", "単語（空欄: テキストの全単語）"), scale=3)
        walk = gr.Button(t("Walk through WordPiece", "WordPiece の手順を見る"), scale=1)
    caption = gr.Markdown(elem_id="wordpiece-caption")
    words = gr.Dataframe(interactive=False, visible=False, wrap=True, max_height=320, elem_id="wordpiece-words")
    steps = gr.Dataframe(interactive=False, visible=False, wrap=True, elem_id="wordpiece-walk")
    code_accordion, walk_code = code_panel("wordpiece-code")
    gr.Markdown(t(*VOCAB_INTRO))
    with gr.Row():
        query = gr.Textbox(label=t("Token or id", "トークンまたは ID"), scale=3)
        look = gr.Button(t("Look up", "検索"), scale=1)
    entry = gr.Markdown(elem_id="vocabulary-entry")
    inputs, outputs = [choice, text, word], [caption, words, steps]
    # One event for the button and Enter: one endpoint each.
    walked = gr.on([walk.click, word.submit], over(studio, wordpiece), inputs, outputs, api_name="wordpiece")
    fill(code_accordion, walk_code, [walk.click, word.submit], over(studio, wordpiece_code), inputs)
    reveal(walked, [words, steps])
    looked = [look.click, query.submit]
    # The first look-up of a dataset counts its pieces (a few seconds): it takes turns with the other analyses.
    gr.on(looked, over(studio, vocabulary), [choice, query, dataset_state], [entry], api_name="vocabulary", **ANALYSIS)


@user_errors
def wordpiece(studio, chosen: str, value: str, word: str):
    """Every word of `value` (or the one `word`) with its pieces and reading, and the walk over one word."""
    if not (word or "").strip() and not (value or "").strip():
        raise UserError(Text("Type a text or a word first.", "テキストか単語を入力してください。"))
    read = studio.inside.words(chosen, word.strip() or value)
    english = current_language() == "en"
    table = pd.DataFrame(
        [
            {
                str(Text("word", "単語")): each.word,
                str(Text("reading", "読み")): reading.kana if reading else "",
                **({"romaji": reading.romaji if reading else ""} if english else {}),
                str(Text("part of speech", "品詞")): (reading.gloss if english else reading.part_of_speech)
                if reading
                else "",
                str(Text("pieces", "サブワード")): " ".join(each.pieces),
                "input_ids": " ".join(map(str, each.ids)),
            }
            for each, reading in read
        ]
    )
    # The walk shown: of the word typed, else of the text's first word that needs more than one look-up.
    shown = next((each for each, _ in read if len(each.steps) > 1 or each.too_long), read[0][0]) if read else None
    if shown is None:
        return Text("MeCab found no word in this text.", "このテキストに単語が見つかりませんでした。"), table, None
    return _walk_caption(shown), table, _walk_table(shown)


def _walk_table(walk) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                str(Text("step", "手順")): number,
                str(Text("remaining", "残りの文字")): step.remaining,
                str(Text("look-ups", "照合回数")): step.tried,
                str(Text("longest match in the vocabulary", "語彙にある最長一致")): step.piece or "—",
                "input_id": "" if step.input_id is None else step.input_id,
            }
            for number, step in enumerate(walk.steps, 1)
        ]
    )


def _walk_caption(walk) -> Text:
    pieces = " + ".join(code(piece) for piece in walk.pieces)
    word = literal(walk.word)
    if walk.too_long:
        return Text(
            f"**{word}** is longer than WordPiece reads (100 characters): it becomes `[UNK]` without a walk.",
            f"**{word}** は WordPiece が読む長さ（100 文字）を超えるため、そのまま `[UNK]` になります。",
        )
    if walk.steps and walk.steps[-1].piece is None:
        failed = walk.steps[-1].remaining
        return Text(
            f"**{word}** → `[UNK]`: no vocabulary entry starts {code(failed)}, so the whole word is unknown.",
            f"**{word}** → `[UNK]`: 語彙に {code(failed)} で始まる項目がないため、単語全体が未知語になります。",
        )
    whole = (
        Text(" (the whole word is in the vocabulary)", "（単語全体が語彙にあります）") if len(walk.steps) == 1 else ""
    )
    return Text(f"**{word}** → {pieces}", f"**{word}** → {pieces}") + whole


@user_errors
def vocabulary(studio, chosen: str, query: str, dataset: str):
    entry = studio.inside.vocabulary_entry(chosen, dataset, query or "")
    counted = Text(f"in {entry.counted:,} training reviews", f"学習データ {entry.counted:,} 件中")
    if entry.input_id is None:
        return Text(
            f"{code(entry.token)} is **not in the vocabulary** ({counted.en}: never a piece). WordPiece would spell it "
            "from shorter pieces, or make its word `[UNK]`.",
            f"{code(entry.token)} は**語彙にありません**（{counted.ja}、サブワードとしては現れません）。WordPiece は"
            "より短いサブワードに分けるか、その単語を `[UNK]` にします。",
        )
    return Text(
        f"{code(entry.token)} = id **{entry.input_id}** · occurs **{entry.count:,}** "
        f"{'time' if entry.count == 1 else 'times'} {counted.en}",
        f"{code(entry.token)} = ID **{entry.input_id}** · {counted.ja} **{entry.count:,}** 回",
    )


def build_layers_section(studio, run: gr.Dropdown, text: gr.Textbox) -> None:
    gr.Markdown(t(*LAYERS_INTRO))
    with gr.Row():
        show = gr.Button(t("Show the layers", "層を見る"), scale=1)
        layer = gr.Slider(1, 12, value=12, step=1, label=t("Layer", "層"), scale=2)
        average = [(t("average of the heads", "全ヘッドの平均"), AVERAGE)]
        head = gr.Dropdown(average, value=AVERAGE, label=t("Head", "ヘッド"), scale=1)
    caption = gr.Markdown(elem_id="layers-caption")
    with gr.Row():
        label = t("Class probabilities by layer", "層ごとのクラス確率")
        chart = gr.Plot(label=label, visible=False, elem_id="layers-chart")
        cls = gr.Plot(label=t("Where [CLS] attends", "[CLS] の注目先"), visible=False, elem_id="layers-cls")
    heat = gr.Plot(label=t("Attention", "アテンション"), visible=False, elem_id="layers-attention")
    table = gr.Dataframe(interactive=False, visible=False, elem_id="layers-table")
    gr.Markdown(t(*(part.format(dims=SHOWN_DIMENSIONS) for part in STEPS_INTRO)))
    label = t("From ids to what the first layer reads", "ID から第 1 層が読むベクトルまで")
    embedded = gr.Dataframe(interactive=False, visible=False, label=label, elem_id="layers-embeddings")
    label = t("From [CLS] to the label", "[CLS] からラベルまで")
    classified = gr.Dataframe(interactive=False, visible=False, label=label, elem_id="layers-head")
    outputs = [caption, chart, table, heat, cls, layer, head, embedded, classified]
    shown = show.click(over(studio, layers), [run, text, layer, head], outputs, api_name="layers")
    reveal(shown, [chart, table, heat, cls, embedded, classified])
    redraw = over(studio, attention)
    layer.release(redraw, [run, text, layer, head], [heat], api_visibility="private")
    head.input(redraw, [run, text, layer, head], [heat], api_visibility="private")


@user_errors
def layers(studio, run_name: str, value: str, layer: float, head: str):
    """The layer view of a text: the head's probabilities after each layer, and attention."""
    run_name, instead = answering_run(studio.runbook, run_name, THE_LAYERS)
    view = studio.inside.layers(run_name, value)
    chosen_layer = min(max(int(layer or view.layers), 1), view.layers)
    heads = [(str(Text("average of the heads", "全ヘッドの平均")), AVERAGE)] + [
        (str(Text(f"head {i}", f"ヘッド {i}")), str(i)) for i in range(1, view.heads + 1)
    ]
    chosen_head = head if head in {value for _, value in heads} else AVERAGE
    steps = [Text("embeddings", "埋め込み")] + [Text(f"layer {i}", f"第 {i} 層") for i in range(1, view.layers + 1)]
    table = pd.DataFrame(
        {
            str(Text("after", "位置")): [str(step) for step in steps],
            **{f"p_{label}": view.probabilities[:, i].round(6) for i, label in enumerate(view.label_names)},
        }
    )
    final = view.label_names[int(view.probabilities[-1].argmax())]
    answers = [view.label_names[int(row.argmax())] for row in view.probabilities]
    first = max((i + 1 for i, answer in enumerate(answers) if answer != final), default=0)  # final from here on
    caption = Text(
        f"{len(view.tokens)} tokens through {view.layers} layers: the head's answer becomes "
        f"**{class_text(final).en}** from {steps[first].en} on (the last row is the prediction).",
        f"{len(view.tokens)} トークンが {view.layers} 層を通ります。分類ヘッドの答えは{steps[first].ja}から"
        f"**{class_text(final).ja}**になります（最後の行が予測です）。",
    )
    if (run := studio.runbook.info(run_name)) is not None and run.method == "head":
        caption += Text(
            " This run trained the head only, on the last layer's [CLS]: the earlier rows apply a head that never "
            "saw those layers, and the encoder is the model it started from.",
            " この学習は最後の層の [CLS] で分類ヘッドだけを学習しました。それより前の行は、その層を見たことのない"
            "ヘッドを当てた結果で、エンコーダーは学習前のモデルのままです。",
        )
    if len(view.tokens) > SHOWN_TOKENS:
        caption += Text(
            f" The heat map shows the first {SHOWN_TOKENS} tokens.",
            f" ヒートマップは先頭 {SHOWN_TOKENS} トークンを示します。",
        )
    steps = studio.inside.forward(run_name, value)
    return (
        instead + "\n\n" + caption if instead else caption,
        layer_probabilities(view),
        table,
        attention_map(view, chosen_layer, None if chosen_head == AVERAGE else int(chosen_head)),
        cls_attention_map(view),
        # gradio wants a slider's maximum above its minimum: a one-layer model's slider has nothing to choose.
        gr.Slider(minimum=1, maximum=max(view.layers, 2), value=chosen_layer, interactive=view.layers > 1),
        gr.Dropdown(choices=heads, value=chosen_head),
        embeddings_table(steps),
        classification_table(steps),
    )


def _vector(values) -> str:
    """A vector's first SHOWN_DIMENSIONS numbers and its norm, as the tables print it."""
    shown = ", ".join(f"{value:+.3f}" for value in values[:SHOWN_DIMENSIONS])
    return f"[{shown}, …] ‖{float((values**2).sum() ** 0.5):.2f}‖"


def embeddings_table(steps) -> pd.DataFrame:
    """Each token: its id, position and segment, its three embeddings, their sum and what the first layer reads."""
    headers = [
        Text("token", "トークン"),
        Text("id", "ID"),
        Text("position", "位置"),
        Text("segment", "セグメント"),
        Text("token embedding (row of the id)", "トークン埋め込み（ID の行）"),
        Text("+ position embedding", "＋位置埋め込み"),
        Text("+ segment embedding", "＋セグメント埋め込み"),
        Text("= sum", "＝和"),
        Text("LayerNorm: the first layer reads", "LayerNorm: 第 1 層が読むもの"),
    ]
    vectors = [(row.word, row.place, row.segment_vector, row.summed, row.read) for row in steps.embeddings]
    rows = [
        [row.token, row.id, row.position, row.segment, *map(_vector, shown)]
        for row, shown in zip(steps.embeddings, vectors, strict=True)
    ]
    return pd.DataFrame(rows, columns=[str(header) for header in headers])


def classification_table(steps) -> pd.DataFrame:
    """[CLS] after the last layer, the pooler, each class's dot product and bias (its logit), and softmax."""
    head = steps.classification
    rows = [
        [str(Text("[CLS] after the last layer", "最後の層の後の [CLS]")), _vector(head.cls)],
        [str(Text("pooler: tanh(dense([CLS]))", "プーラー: tanh(dense([CLS]))")), _vector(head.pooled)],
    ]
    for i, name in enumerate(head.label_names):
        dot = float(head.logits[i] - head.bias[i])
        rows.append(
            [
                str(
                    Text(
                        f"logit {class_text(name).en} = weights · pooled + bias",
                        f"ロジット {class_text(name).ja} = 重み · プーラー出力 + バイアス",
                    )
                ),
                f"{dot:+.4f} {head.bias[i]:+.4f} = {head.logits[i]:+.4f}",
            ]
        )
    probabilities = " · ".join(
        f"{class_text(name)} {p:.4f}" for name, p in zip(head.label_names, head.probabilities, strict=True)
    )
    rows.append([str(Text("softmax: the probabilities", "softmax: 確率")), probabilities])
    return pd.DataFrame(rows, columns=[str(Text("step", "段階")), str(Text("values", "値"))])


@user_errors
def attention(studio, run_name: str, value: str, layer: float, head: str):
    """The heat map again for another layer or head (the view is kept: no model runs)."""
    view = studio.inside.layers(answering_run(studio.runbook, run_name, THE_LAYERS)[0], value)
    chosen = None if head in (None, AVERAGE) else min(int(head), view.heads)
    return attention_map(view, min(max(int(layer), 1), view.layers), chosen)


def build_probe_section(studio, run: gr.Dropdown, split: gr.Dropdown) -> None:
    gr.Markdown(t(*PROBE_INTRO))
    go = gr.Button(t("Probe each layer", "各層をプローブ"))
    caption = gr.Markdown(elem_id="probe-caption")
    label = t("Probe accuracy by layer", "層ごとのプローブの正解率")
    chart = gr.Plot(label=label, visible=False, elem_id="probe-chart")
    table = gr.Dataframe(interactive=False, visible=False, elem_id="probe-table")
    outputs = [caption, chart, table]
    probed = go.click(over(studio, layer_probe), [run, split], outputs, api_name="layer_probe", **ANALYSIS)
    reveal(probed, [chart, table])


@user_errors
def layer_probe(studio, run_name: str, split: str):
    run_name, instead = answering_run(studio.runbook, run_name, THE_PROBE)
    answer = studio.inside.layer_probe(run_name, split)
    curves, result = answer.probe.curves, answer.probe
    layers = len(curves[("after", "cls")])
    names = {key: str(name) for key, name, _, _ in PROBE_CURVES}
    table = pd.DataFrame(
        {
            str(Text("layer", "層")): [str(Text("embeddings", "埋め込み")), *(str(i) for i in range(1, layers))],
            **{names[key]: [round(v, 4) for v in curves[key]] for key in names},
        }
    )
    caption = Text(
        f"{result.reviews:,} reviews of the {split} split (of {result.of:,}), two folds. The run's own accuracy on "
        f"the split: **{answer.run_accuracy:.2f}**; the probe on its last layer's [CLS]: "
        f"**{curves[('after', 'cls')][-1]:.2f}**.",
        f"{split_text(split).ja}データの {result.of:,} 件から {result.reviews:,} 件、2 分割で評価。この学習の正解率: "
        f"**{answer.run_accuracy:.2f}**、最後の層の [CLS] のプローブ: **{curves[('after', 'cls')][-1]:.2f}**。",
    )
    if answer.frozen:
        caption += Text(
            " This run trained the head only: its encoder is the model it started from, frozen, so the curves "
            "before and after training are the same.",
            " この学習は分類ヘッドだけを学習しました。エンコーダーは学習前のモデルのまま固定なので、学習前と学習後の"
            "曲線は同じです。",
        )
    if split == "train":
        caption += Text(
            " These are the reviews the run and the n-gram baseline learned from: scores near 1.00 here say they "
            "remember them (overfitting), not that they read sentiment well; the validation split tells that.",
            " これは学習したモデルと n-gram ベースラインが学習に使ったレビューです。ここで 1.00 に近い値は、"
            "感情を読めることではなく、覚えていること（過学習）を示します。読めるかどうかは検証データで分かります。",
        )
    return (instead + "\n\n" + caption if instead else caption), probe_curves(answer), table
