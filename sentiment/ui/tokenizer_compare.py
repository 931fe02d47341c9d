"""The Tokenizer tab's second half: Japanese tokenizers side by side on the typed text (text/compare.py),
the script of each character and what NFKC changes, and every tokenizer over the whole dataset."""

from __future__ import annotations

import html

import gradio as gr
import pandas as pd
import plotly.graph_objects as go

from ..bilingual import Text
from ..markup import code
from ..serving.plots import LAYOUT
from ..serving.terms import MAX_TEXT_CHARS, NFKC, Comparison, Piece, Row
from .common import ANALYSIS, Action, over, user_errors
from .i18n import t
from .tokenizer_tab import PALETTE

SCRIPT_COLOURS = {
    "kanji": "#ffadad",
    "hiragana": "#caffbf",
    "katakana": "#9bf6ff",
    "latin": "#ffd6a5",
    "digit": "#fdffb6",
    "symbol": "#e9ecef",
    "emoji": "#ffc6ff",
    "space": "#ffffff",
}
SCRIPT_NAMES = {
    "kanji": "漢字",
    "hiragana": "ひらがな",
    "katakana": "カタカナ",
    "latin": "ラテン文字",
    "digit": "数字",
    "symbol": "記号",
    "emoji": "絵文字",
    "space": "空白",
}
INTRO = (
    "### 3. Why Japanese needs a word splitter: tokenizers side by side\nJapanese is written without spaces, so "
    "every model first decides where the words are, and they decide differently. Each row splits the text above; "
    "pieces share a colour when they come from one word (for rows with no word splitter of their own, the MeCab "
    "word they start in). Vocabularies that only the Hub has are learned here from the loaded dataset's training "
    "texts, as the starter's is; each row says so.",
    "### 3. 日本語に単語分割が必要な理由: トークナイザーの比較\n日本語には空白がないため、モデルはまず単語の境界を"
    "決めますが、その決め方はトークナイザーごとに異なります。各行は上のテキストを分割したものです。同じ単語から"
    "できたサブワードは同じ色です（単語分割を持たない行では、そのサブワードが始まる MeCab の単語の色）。Hub にしか"
    "ない語彙は、スターターと同じ方法で読み込んだデータセットの学習データから学習しています。",
)
STATS_INTRO = (
    "#### Over the whole dataset\nEvery tokenizer over every review of the dataset loaded in the Dataset tab: "
    "tokens per review ([CLS] and [SEP] included), how many reviews a model reading 128 or 512 tokens would cut, "
    "how often a piece is `[UNK]`, and how large a vocabulary it needs.",
    "#### データセット全体では\n「データ」タブで読み込んだデータセットの全レビューを各トークナイザーで分割します。"
    "レビューあたりのトークン数（[CLS] と [SEP] を含む）、128・512 トークンで切り捨てられる割合、`[UNK]` の割合、"
    "必要な語彙の大きさを示します。",
)
CSS = """
.cmp-row { margin-bottom: 10px; }
.cmp-name { font-weight: 600; font-size: .9em; margin-bottom: 3px; }
.cmp-name small { font-weight: 400; color: #555; margin-left: 6px; }
.cmp-failed { color: #d62828; font-size: .9em; }
.script-char { border-radius: 2px; }
.script-legend span { display: inline-block; padding: 1px 6px; margin: 2px; border-radius: 4px; font-size: .8em; }
"""


def _chip(piece: Piece, background: str, title: str, note: str, by_script: bool) -> str:
    if by_script:  # each character on its script's colour, on a white chip
        runs = "".join(
            f'<span class="script-char" style="background:{SCRIPT_COLOURS[script]}">{html.escape(run)}</span>'
            for run, script in piece.scripts
        )
        inner, background = f"<span>{runs}</span>", "#ffffff"  # one line: a chip stacks its children
    else:
        inner = html.escape(piece.text)
    small = f"<small>{html.escape(note)}</small>" if note else ""
    classes = "tok unk" if piece.unknown else "tok"
    return f'<span class="{classes}" style="background:{background}" title="{html.escape(title)}">{inner}{small}</span>'


def render_row(row: Row, by_script: bool) -> str:
    """One tokenizer: its name and counts, then its pieces coloured by word (or by script)."""
    if row.error:
        counts, line = "", f'<div class="cmp-failed">⚠ {html.escape(str(row.error))}</div>'
    else:
        counts = Text(
            f"{len(row.pieces)} pieces · {row.unknown} [UNK] · {row.pieces_per_word:.2f} per word",
            f"{len(row.pieces)} トークン · [UNK] {row.unknown} 個 · 1 単語あたり {row.pieces_per_word:.2f}",
        )
        chips = [
            _chip(
                piece,
                PALETTE[index % len(PALETTE)],
                f"word: {word.surface}",
                word.normalized if word.normalized and word.normalized != word.surface else "",
                by_script,
            )
            for index, word in enumerate(row.words)
            for piece in word.pieces
        ]
        line = f'<div class="tok-line">{"".join(chips)}</div>'
    name = f'<div class="cmp-name">{html.escape(row.tokenizer)}<small>{counts}</small></div>'
    return f'<div class="cmp-row">{name}{line}</div>'


def render_comparison(comparison: Comparison, by_script: bool) -> str:
    legend = ""
    if by_script:
        legend = '<div class="script-legend">' + "".join(
            f'<span style="background:{colour}">{name} / {SCRIPT_NAMES[name]}</span>'
            for name, colour in SCRIPT_COLOURS.items()
            if name != "space"
        )
        legend += "</div>"
    return legend + "".join(render_row(row, by_script) for row in comparison.rows)


def comparison_table(comparison: Comparison) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "tokenizer": row.tokenizer,
                "pieces": str(row.error) or " | ".join(" ".join(p.text for p in word.pieces) for word in row.words),
                "count": len(row.pieces),
                "[UNK]": row.unknown,
                "pieces per word": round(row.pieces_per_word, 2),
                "normalised forms": " | ".join(word.normalized for word in row.words if word.normalized),
                "normalisation": str(row.normalisation),
                "note": str(row.note),
            }
            for row in comparison.rows
        ]
    )


def normalisation_line(comparison: Comparison) -> Text:
    """What NFKC does to this text before the NFKC rows split it."""
    applies = ", ".join(row.tokenizer for row in comparison.rows if str(row.normalisation).startswith(NFKC))
    if comparison.changes:
        shown = " · ".join(f"{code(before)} → {code(after)}" for before, after in comparison.changes)
        line = Text(
            f"**NFKC before splitting** ({applies}): {shown}", f"**分割前の NFKC 正規化**（{applies}）: {shown}"
        )
    else:
        line = Text(
            f"**NFKC before splitting** ({applies}): nothing in this text changes.",
            f"**分割前の NFKC 正規化**（{applies}）: この文では何も変わりません。",
        )
    if comparison.capped:
        line += Text(
            f" · ✂ only the first {MAX_TEXT_CHARS:,} characters were split",
            f" · ✂ 先頭 {MAX_TEXT_CHARS:,} 文字だけを分割しました",
        )
    return line


def stats_table(stats) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "tokenizer": row.tokenizer,
                "median tokens": row.median,
                "p95 tokens": row.p95,
                "cut at 128": f"{row.cut_share(128):.1%}",
                "cut at 512": f"{row.cut_share(512):.1%}",
                "[UNK] rate": f"{row.unknown_rate:.2%}",
                "vocabulary": row.vocabulary if row.vocabulary is not None else "— (dictionary)",
                "distinct pieces": row.distinct,
                "failed": row.failed,
            }
            for row in stats.rows
        ]
    )


def stats_figure(stats) -> go.Figure:
    """Tokens per review, one box per tokenizer, with the 128 and 512 cuts (the axis stops a little above
    the longest 95th percentile, so short reviews' boxes are not flattened by a line far above them)."""
    figure = go.Figure()
    for row in stats.rows:
        figure.add_box(y=row.lengths, name=row.tokenizer, boxpoints=False)
    top = max(140, 1.3 * max((row.p95 for row in stats.rows), default=0))
    for limit in (128, 512):
        if limit < top:
            cut = Text(f"cut at {limit}", f"{limit} で切り捨て")
            figure.add_hline(y=limit, line_dash="dot", line_color="#d62828", annotation_text=str(cut))
    figure.update_layout(
        title=str(Text("Tokens per review", "レビューあたりのトークン数")),
        yaxis_title=str(Text("tokens", "トークン数")),
        yaxis_range=[0, top],
        showlegend=False,
        **LAYOUT,
    )
    return figure


def build_compare_section(studio, text, dataset_state) -> Action:
    """Lays the section out and returns comparing the tokenizers (a shared link does)."""
    with gr.Column(elem_id="tokenizer-compare"):
        gr.Markdown(t(*INTRO))
        with gr.Row():
            by_script = gr.Checkbox(False, label=t("Colour by script", "文字種で色分け"), scale=1)
            compare = gr.Button(t("Compare tokenizers", "トークナイザーを比較"), scale=1, size="sm")
        normalisation = gr.Markdown(elem_id="nfkc-line")
        view = gr.HTML(elem_id="compare-view")
        table = gr.Dataframe(
            label=t("One row per tokenizer", "トークナイザーごとの分割"),
            interactive=False,
            wrap=True,
            elem_id="tokenizers-table",
        )
    gr.Markdown(t(*STATS_INTRO))
    show_stats = gr.Button(t("Statistics over the whole dataset", "データセット全体の統計"), size="sm")
    stats_caption = gr.Markdown(elem_id="stats-caption")
    stats = gr.Dataframe(interactive=False, elem_id="stats-table")
    chart = gr.Plot(label=t("Tokens per review", "レビューあたりのトークン数"))

    inputs, outputs = [text, by_script, dataset_state], [normalisation, view, table]
    compared = Action(over(studio, compare_tokenizers), inputs, outputs)
    compare.click(compared.fn, inputs, outputs, api_name="compare_tokenizers")
    for trigger in (text.change, by_script.change):
        trigger(
            compared.fn,
            inputs,
            outputs,
            api_visibility="private",
            trigger_mode="always_last",
            show_progress="hidden",
        )
    show_stats.click(
        over(studio, tokenizer_stats),
        [dataset_state],
        [stats_caption, stats, chart],
        api_name="tokenizer_stats",
        **ANALYSIS,
    )
    return compared


@user_errors
def compare_tokenizers(studio, value: str, coloured_by_script: bool, dataset: str):
    comparison = studio.analyses.compare_tokenizers(dataset, value)
    return (
        normalisation_line(comparison),
        render_comparison(comparison, coloured_by_script),
        comparison_table(comparison),
    )


@user_errors
def tokenizer_stats(studio, dataset: str):
    result = studio.analyses.tokenizer_stats(dataset)
    sampled = result.reviews < result.total
    caption = Text(
        f"**{result.total:,}** reviews of {code(dataset)}, every split"
        + (f" (a sample of {result.reviews:,})." if sampled else "."),
        f"{code(dataset)} の全分割 **{result.total:,}** 件のレビュー"
        + (f"（うち {result.reviews:,} 件を抽出）。" if sampled else "。"),
    )
    return caption, stats_table(result), stats_figure(result)
