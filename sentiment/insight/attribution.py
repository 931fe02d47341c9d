"""Why a prediction was made: how much each token, and each MeCab word, moved the model toward a class.

Integrated Gradients (captum) compares the text with a baseline in which every piece but `[CLS]` and
`[SEP]` is `[PAD]`, and adds up the gradients of the class's logit along the straight path between
their embeddings. A token's score is its share of the difference: positive pushes toward the class,
negative away, and the scores add up to the logit's rise from the baseline (up to `delta`, the
approximation's error). A MeCab word's score is the sum of its pieces' scores, so a teacher can read
the explanation in the words the tokenizer tab shows.

Its cost is steps × tokens × the model's size, so a server may give it a budget (limits.Bounds.why_budget,
in BERT-base token-steps): fewer steps first, down to MIN_STEPS, then only the first tokens. Its memory is
bounded whatever the budget: the path's points go through the model a few at a time (BATCH_TOKENS).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..models.bert import work_per_token
from ..text.tokenization import explain

STEPS = 32
MIN_STEPS = 8
# Beside the path's points, captum runs the text and the baseline through the model twice each: for the embedding
# layer's values at both ends, and for the convergence delta.
EXTRA_PASSES = 4
# Tokens through the model at once (points on the path × tokens). At BERT-base size 32 steps of a long review at
# once took 7.2 GB; in batches of this size an unbounded "Why?" of 512 tokens added at most 0.4 GB (§17).
BATCH_TOKENS = 1024
# Characters read per token that may be explained: a real 450-character review gave 445 tokens with a 4,000-piece
# starter vocabulary (§17), and a 32,000-piece one gives fewer.
HEAD_CHARACTERS = 4


@dataclass
class Attribution:
    label: str  # the class explained
    tokens: list[str]
    token_scores: list[float]  # one per token, [CLS] and [SEP] included
    words: list[str]  # MeCab words
    word_scores: list[float]  # each word's pieces' scores, summed
    delta: float  # sum of the scores minus the logit's rise from the baseline
    steps: int  # points on the path: STEPS unless the budget asked for fewer
    cut: bool  # only the first tokens were explained, to stay within the budget


def warm_up_attribution() -> None:
    """Import captum now: 0.8 s of CPU once per process, which would otherwise land on the first "Why?"."""
    import captum.attr  # noqa: F401


def plan(config, tokens: int, budget: float) -> tuple[int, int]:
    """Steps and tokens for explaining `tokens` tokens within `budget` BERT-base token-steps, captum's extra
    passes included."""
    scale = work_per_token(config)
    steps = STEPS
    while steps > MIN_STEPS and (steps + EXTRA_PASSES) * tokens * scale > budget:
        steps //= 2
    affordable = budget / ((steps + EXTRA_PASSES) * scale)
    return steps, tokens if affordable >= tokens else max(3, int(affordable))  # [CLS], one piece, [SEP] at least


def integrated_gradients(
    model, tokenizer, text: str, label: str, max_length: int, budget: float = float("inf"), bf16: bool = False
) -> Attribution:
    """Explain `model`'s logit for `label` on `text`; `model` must not be quantised (gradients). `bf16`: under
    bf16 autocast (where the run is served in bf16; the scores are summed in fp32).

    It runs hooks on the model's embedding layer: the caller must keep other work off `model` meanwhile."""
    from captum.attr import LayerIntegratedGradients

    # Only the first tokens are explained, so MeCab and WordPiece need not read the rest of a long text (1.2 s of a
    # 4 s "Why?" of 10,000 characters): a head of HEAD_CHARACTERS per token leaves the cut far beyond the last one.
    head = text[: HEAD_CHARACTERS * max_length]
    explanation = explain(tokenizer, head, max_length)
    if head != text and not explanation.truncated:  # a head of spaces or long words: fewer tokens than it could take
        head, explanation = text, explain(tokenizer, text, max_length)
    steps, tokens = plan(model.config, len(explanation.rows), budget)
    if tokens < len(explanation.rows):
        explanation = explain(tokenizer, head, tokens)
    rows = explanation.rows
    ids = torch.tensor([[row.input_id for row in rows]])
    baseline = torch.tensor([[row.input_id if row.special else tokenizer.pad_token_id for row in rows]])
    mask = torch.ones_like(ids)

    def logits(input_ids, attention_mask):
        return model(input_ids=input_ids, attention_mask=attention_mask).logits

    model.eval()
    device = next(model.parameters()).device.type
    with torch.autocast(device, torch.bfloat16, enabled=bf16):
        scores, delta = LayerIntegratedGradients(logits, model.base_model.embeddings).attribute(
            ids,
            baselines=baseline,
            additional_forward_args=(mask,),
            target=model.config.label2id[label],
            n_steps=steps,
            internal_batch_size=max(1, min(steps, BATCH_TOKENS // len(rows))),
            return_convergence_delta=True,
        )
    token_scores = scores.float().sum(dim=-1)[0].tolist()
    word_scores = [0.0] * len(explanation.words)
    for row, score in zip(rows, token_scores, strict=True):
        if row.word_index is not None:
            word_scores[row.word_index] += score
    return Attribution(
        label=label,
        tokens=[row.token for row in rows],
        token_scores=token_scores,
        words=[surface for surface, _ in explanation.words],
        word_scores=word_scores,
        delta=float(delta[0]),
        steps=steps,
        cut=tokens < max_length and explanation.truncated,
    )
