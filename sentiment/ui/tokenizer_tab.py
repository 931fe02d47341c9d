"""Tab 2, Tokenizer: how a text becomes model input, stage by stage, updated as you type."""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr
import pandas as pd

from ..bilingual import Text
from ..serving.terms import MAX_TEXT_CHARS, Explanation, PaddedToken
from .code_panels import code_panel, fill, tokenization_code
from .common import Action, copy_link, link_box, over, user_errors
from .i18n import t

# Every character of it is in the starter's vocabulary (learned from the sample): no [UNK] on the first screen.
DEFAULT_TEXT = "この商品はとても使いやすくて、値段も安かったので満足しています。"
DEFAULT_PAIR = "短い文です。"
# Pastel colours, one per MeCab word in turn, so each word's pieces share a colour.
PALETTE = ("#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6", "#a0c4ff", "#ffadad")
INTRO = (
    "The source model reads Japanese in two stages: **MeCab** (IPA dictionary) splits the text into words, then "
    "**WordPiece** splits each word into pieces from its vocabulary; a piece that continues a word starts with `##`. "
    "Pieces become `input_ids`; `[CLS]` and `[SEP]` are added around them. Share an example: **Copy link** "
    "makes a link (`?tab=tokenizer&text=…`) that opens this tab with the text.",
    "元のモデルは日本語を 2 段階で読みます。**MeCab**（IPA 辞書）が文を単語に分け、**WordPiece** が各単語を語彙の"
    "サブワードに分けます。単語の続きのサブワードは `##` で始まります。サブワードは `input_ids` になり、前後に "
    "`[CLS]` と `[SEP]` が付きます。例を共有するには **リンクをコピー** を押してください"
    "（`?tab=tokenizer&text=…` のリンクで、このタブがそのテキストで開きます）。",
)

CSS = """
.tok-line { display: flex; flex-wrap: wrap; gap: 6px 4px; align-items: flex-end; line-height: 1.2; }
.tok { display: inline-flex; flex-direction: column; align-items: center; padding: 3px 6px; border-radius: 6px;
       border: 1px solid rgba(0,0,0,.15); color: #111; font-size: 1.05em; }
.tok small { font-size: .68em; color: #444; }
.tok.cont { margin-left: -5px; border-left: 2px dashed #555; border-top-left-radius: 0; border-bottom-left-radius: 0; }
.tok.special { background: #e9ecef; font-family: monospace; }
.tok.unk { outline: 2px solid #d62828; }
.tok.pad { opacity: .45; }
.cut { align-self: stretch; border-left: 3px solid #d62828; padding-left: 4px; color: #d62828; font-size: .8em; }
.pair-row { margin-bottom: 8px; }
"""


def _colour(word_index: int | None) -> str:
    return "#e9ecef" if word_index is None else PALETTE[word_index % len(PALETTE)]


def render_words(explanation: Explanation) -> str:
    chips = "".join(
        f'<span class="tok" style="background:{_colour(i)}">{html.escape(surface)}'
        f"<small>{html.escape(pos)}</small></span>"
        for i, (surface, pos) in enumerate(explanation.words)
    )
    return f'<div class="tok-line">{chips}</div>'


def normalised_note(explanation: Explanation) -> str:
    """Why MeCab's words may not read as typed: it reads the text after NFKC (ｶﾀｶﾅ → カタカナ)."""
    if not explanation.normalised:
        return ""
    shown = " · ".join(f"{html.escape(before)} → {html.escape(after)}" for before, after in explanation.normalised[:8])
    note = Text(
        f"MeCab reads the text after NFKC normalisation, so these words read as: {shown}",
        f"MeCab は NFKC 正規化した後の文を読むため、次のように変わります: {shown}",
    )
    return f'<div class="nfkc-note"><small>{note}</small></div>'


def render_pieces(explanation: Explanation) -> str:
    chips = []
    for row in explanation.rows:
        classes = ["tok"] + (["cont"] if row.continuation else []) + (["special"] if row.special else [])
        classes += ["unk"] if row.unknown else []
        chips.append(
            f'<span class="{" ".join(classes)}" style="background:{_colour(row.word_index)}" '
            f'title="word: {html.escape(row.word)}">{html.escape(row.token)}<small>{row.input_id}</small></span>'
        )
    if explanation.truncated:
        dropped = explanation.counts["tokens_before_truncation"] - explanation.max_length
        cut = Text(
            f"✂ cut at max length {explanation.max_length}: {dropped} tokens dropped",
            f"✂ 最大長 {explanation.max_length} で切り捨て（{dropped} トークン）",
        )
        chips.append(f'<span class="cut">{cut}</span>')
    return f'<div class="tok-line">{"".join(chips)}</div>'


def token_table(explanation: Explanation) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "index": r.index,
                "token": r.token,
                "input_id": r.input_id,
                "attention_mask": r.attention_mask,
                "token_type_id": r.token_type_id,
                "word": r.word,
                "part of speech": r.part_of_speech,
                "special": r.special,
                "[UNK]": r.unknown,
            }
            for r in explanation.rows
        ]
    )


def counts_text(explanation: Explanation) -> Text:
    c = explanation.counts
    text = Text(
        f"**{c['characters']}** characters · **{c['words']}** MeCab words · **{c['tokens']}** tokens · "
        f"**{c['unknown']}** `[UNK]`",
        f"**{c['characters']}** 文字 · MeCab の単語 **{c['words']}** 個 · トークン **{c['tokens']}** 個 · "
        f"`[UNK]` **{c['unknown']}** 個",
    )
    if explanation.truncated:
        text += Text(f" · ✂ truncated at {explanation.max_length}", f" · ✂ 最大長 {explanation.max_length} で切り捨て")
    if explanation.capped:
        text += Text(
            f" · ✂ only the first {MAX_TEXT_CHARS:,} characters were tokenized",
            f" · ✂ 先頭 {MAX_TEXT_CHARS:,} 文字だけをトークン化しました",
        )
    return text


def special_tokens_text(specials: list[tuple[str, int]]) -> Text:
    listed = " · ".join(f"`{token}` = {token_id}" for token, token_id in specials)
    return Text(f"Special tokens: {listed}", f"特殊トークン: {listed}")


def render_pair(pair: list[list[PaddedToken]]) -> str:
    """Two texts batched with padding=True: the shorter is padded, and its attention mask shows 0s."""
    rows = []
    for tokens in pair:
        chips = "".join(
            f'<span class="tok{" pad" if token.attention_mask == 0 else ""}{" special" if token.special else ""}">'
            f"{html.escape(token.token)}<small>id {token.input_id} · mask {token.attention_mask}</small></span>"
            for token in tokens
        )
        rows.append(f'<div class="tok-line pair-row">{chips}</div>')
    return "".join(rows)


@dataclass(frozen=True)
class TokenizerTab:
    """What the rest of the page wires to: the text (Compare reads it too), the tokenizer picker, and
    tokenizing (a shared link does)."""

    text: gr.Textbox
    choice: gr.Dropdown
    tokenize: Action


def build_tokenizer_tab(studio) -> TokenizerTab:
    gr.Markdown(t(*INTRO))
    with gr.Row():
        text = gr.Textbox(DEFAULT_TEXT, label=t("Text", "テキスト"), lines=2, scale=4, elem_id="tokenizer-text")
        with gr.Column(scale=1):
            choice = gr.Dropdown(
                studio.models.tokenizer_choices(),
                value=studio.models.tokenizer_choices()[0][1],
                label=t("Tokenizer", "トークナイザー"),
                allow_custom_value=True,
            )
            max_length = gr.Number(
                0, precision=0, minimum=0, label=t("Max length (0: the model's)", "最大長（0: モデルの値）")
            )
            copy = gr.Button(t("Copy link", "リンクをコピー"), size="sm")
    link = link_box("tokenizer-link")
    counts = gr.Markdown()
    gr.Markdown(t("#### 1. MeCab words (part of speech)", "#### 1. MeCab の単語（品詞）"))
    words = gr.HTML(elem_id="mecab-words")
    gr.Markdown(
        t(
            "#### 2. WordPiece pieces, coloured by word, with input_ids",
            "#### 2. WordPiece のサブワード（単語ごとに色分け）と input_ids",
        )
    )
    pieces = gr.HTML(elem_id="wordpiece-pieces")
    specials = gr.Markdown()
    round_trip = gr.Textbox(
        label=t("Round trip: convert_tokens_to_string", "復元: convert_tokens_to_string"), interactive=False
    )
    table = gr.Dataframe(label=t("Model input", "モデルへの入力"), interactive=False, max_height=360)
    gr.Markdown(
        t(
            "#### Two texts in one batch, `padding=True`: `[PAD]` tokens get attention mask 0",
            "#### 2 つの文を 1 つのバッチに（`padding=True`）: `[PAD]` の attention mask は 0",
        )
    )
    pair_text = gr.Textbox(DEFAULT_PAIR, label=t("Second text", "2 つ目のテキスト"))
    pair = gr.HTML(elem_id="padded-pair")
    code_accordion, code = code_panel("tokenizer-code")

    inputs, outputs = [choice, text, max_length, pair_text], [counts, words, pieces, specials, round_trip, table, pair]
    tokenized = Action(over(studio, tokenize), inputs, outputs)
    text.change(tokenized.fn, inputs, outputs, api_name="tokenize", trigger_mode="always_last", show_progress="hidden")
    for trigger in (choice.change, max_length.change, pair_text.change):
        trigger(
            tokenized.fn, inputs, outputs, api_visibility="private", trigger_mode="always_last", show_progress="hidden"
        )
    changes = [text.change, choice.change, max_length.change, pair_text.change]
    fill(code_accordion, code, changes, over(studio, tokenization_code), inputs)
    copy_link(copy, link, "tokenizer", {"text": text})
    return TokenizerTab(text, choice, tokenized)


@user_errors
def tokenize(studio, chosen: str, value: str, limit: float | None, second: str):
    if not value.strip():
        studio.models.tokenizer(chosen)  # an unknown tokenizer is still named, even before any text
        return Text("Type some Japanese text above.", "上にテキストを入力してください。"), "", "", "", "", None, ""
    explanation, specials, pair = studio.models.tokenization(
        chosen, value, int(limit) if limit else None, second or DEFAULT_PAIR
    )
    return (
        counts_text(explanation),
        render_words(explanation) + normalised_note(explanation),
        render_pieces(explanation),
        special_tokens_text(specials),
        explanation.round_trip,
        token_table(explanation),
        render_pair(pair),
    )
