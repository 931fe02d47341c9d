"""Which run answers, and what the page says of a run: the rules every front door shares (the page, the API through
it, the CLI): the run a picker opens on, the run that answers what needs tokens for an n-gram run, a weak model's
warning and a run's honest quality note. They read the run book only."""

from __future__ import annotations

from ..bilingual import METHOD_RUNS, Text
from ..errors import UserError
from ..markup import literal
from ..training.runs import RunInfo
from .catalog import CORRECTED
from .runbook import RunBook
from .terms import STARTER

# A run that gets at most this much more right than guessing (one in `classes`) is near chance.
NEAR_CHANCE = 0.1
NOT_BERT = Text(
    "**{run}** is the n-gram baseline: it has no tokens or hidden states, so a BERT run is needed for {what}. Pick "
    "one above.",
    "**{run}** は n-gram ベースラインで、トークンも隠れ状態もないため、{what}には BERT の学習済みモデルが必要です。"
    "上で選び直してください。",
)
NO_DATA_MAP = Text(
    "**{run}** is {method}: only full fine-tuning records a data map while it trains.",
    "**{run}** は{method}です。データマップは全体のファインチューニングの学習中にだけ記録されます。",
)
FULL_RUN_HINT = Text(
    " Pick a full run above, for example **{full}**.", " 上で全体の学習（たとえば **{full}**）を選んでください。"
)


def default_run(runbook: RunBook) -> str | None:
    """The run a picker starts on: the most accurate on its validation split, the newest of equals."""
    best = _shared_best(runbook)
    return best.name if best else None


def _shared_best(runbook: RunBook) -> RunInfo | None:
    """The best run every visitor may open on: not a run trained on one reader's corrected labels (its reader's
    page compares it with the run it repeats; no picker opens on it)."""
    shared = [run for run in runbook.runs() if not run.source.endswith(CORRECTED)]
    return max(shared, key=lambda run: run.accuracy, default=None)  # max keeps the first, the newest, of a tie


def default_reason(runbook: RunBook) -> Text | str:
    """Why a picker starts where it does, for its help line: '' while there are no runs."""
    best = _shared_best(runbook)
    if best is None:
        return ""
    return Text(
        f"Opens on {best.name}: the highest validation accuracy here ({best.accuracy:.2f}; the newest of equals).",
        f"最初は {best.name} を表示します: 検証データの正解率がここで最も高いモデルです（{best.accuracy:.2f}。"
        "同じなら新しいもの）。",
    )


def is_ngram(runbook: RunBook, run_name: str | None) -> bool:
    """The run can't show tokens or hidden states ("Why?", the maps): the page says so beside the button."""
    run = runbook.info(run_name)
    return run is not None and not run.reads_tokens


def token_run(runbook: RunBook, run_name: str | None, what: Text) -> tuple[str | None, Text | str]:
    """The run that answers what needs tokens or hidden states (`what`: the maps, the layers, the probe) for the
    picked run: the run itself, never another in its place; for the n-gram baseline, none, with the sentence that
    says why and what to pick. ("Why?" reads the baseline's own reasons: ngram_reasons.py.)"""
    if not is_ngram(runbook, run_name):
        return run_name, ""
    return None, NOT_BERT.format(run=literal(run_name or ""), what=what)


def has_data_map(runbook: RunBook, run_name: str | None) -> bool:
    run = runbook.info(run_name)
    return run is None or run.has_data_map  # no run: the handler's own sentence says what to pick


def data_map_unavailable(runbook: RunBook, run_name: str | None) -> Text | str:
    """Why the picked run has no data map to draw, and which run has one; '' where it has one."""
    run = runbook.info(run_name)
    if run is None or run.has_data_map:
        return ""
    note = NO_DATA_MAP.format(run=literal(run.name), method=METHOD_RUNS.get(run.method, run.method))
    full = next((other.name for other in runbook.runs() if other.has_data_map), None)
    return note + FULL_RUN_HINT.format(full=literal(full)) if full else note


def answering_run(runbook: RunBook, run_name: str | None, what: Text) -> tuple[str, Text | str]:
    """`token_run` for a handler: the run itself and '' (no other run answers in its place), or the sentence
    saying why it can't as the visitor's error."""
    answering, instead = token_run(runbook, run_name, what)
    if answering is None:
        raise UserError(instead)
    return answering, instead


def weak_note(runbook: RunBook, run_name: str | None, meaning: Text) -> Text | str:
    """The sentence that comes first where a run near chance, or below the n-gram baseline, judges the data:
    a weak model is speaking, and `meaning` what that means for what it says; '' for a run that is not weak."""
    run = runbook.info(run_name)
    if run is None:
        return ""
    chance = 1 / run.classes
    baseline = runbook.baseline(run)
    if run.accuracy <= chance + NEAR_CHANCE:
        strength = Text(
            f"it gets {run.accuracy:.2f} of its validation reviews right, near the {chance:.2f} of guessing",
            f"検証データの正解率は {run.accuracy:.2f} で、当て推量の {chance:.2f} に近い値です",
        )
    elif baseline is not None and run.accuracy < baseline.accuracy:
        strength = Text(
            f"it gets {run.accuracy:.2f} of its validation reviews right, below the n-gram baseline's "
            f"{baseline.accuracy:.2f}",
            f"検証データの正解率は {run.accuracy:.2f} で、n-gram ベースラインの {baseline.accuracy:.2f} を下回ります",
        )
    else:
        return ""
    return Text(
        f"⚠ A weak model is speaking: **{literal(run.name)}** — ", f"⚠ 弱いモデルの判断です: **{literal(run.name)}** — "
    ) + (strength + Text(". ", "。") + meaning)


def quality_note(runbook: RunBook, run_name: str) -> Text | str:
    """How good a run is, honestly: its accuracy on its dataset's validation split beside the n-gram
    baseline's on the same split, and why a from-scratch starter is weak. Both come from the metrics
    recorded at training, so a classify never waits for an evaluation."""
    run = runbook.info(run_name)
    if run is None:
        return ""
    note = Text(
        f"This run's accuracy on its validation split: **{run.accuracy:.2f}**",
        f"この学習の検証データでの正解率: **{run.accuracy:.2f}**",
    )
    baseline = runbook.baseline(run)
    if baseline is not None:
        note += Text(
            f"; the n-gram baseline's on the same split: **{baseline.accuracy:.2f}**",
            f"（同じデータでの n-gram ベースライン: **{baseline.accuracy:.2f}**）",
        )
    note += Text(".", "。")
    if run.model == STARTER:
        note += Text(
            " The starter is a small BERT trained from scratch on this data only, with no pretraining, so it "
            "gets many texts wrong; the Hub model (cl-tohoku) is pretrained on Japanese Wikipedia and does far "
            "better.",
            "スターターは事前学習なしでこのデータだけから学習した小さな BERT なので、誤りが多くなります。"
            "Hub のモデル（cl-tohoku）は日本語 Wikipedia で事前学習されており、はるかに正確です。",
        )
    return note
