"""Why a prediction was made: how much each token, and each MeCab word, moved the model toward a class.

Integrated Gradients (captum) compares the text with a baseline in which every piece but `[CLS]` and
`[SEP]` is `[PAD]`, and adds up the gradients of the class's logit along the straight path between
their embeddings. A token's score is its share of the difference: positive pushes toward the class,
negative away, and the scores add up to the logit's rise from the baseline (up to `delta`, the
approximation's error). A MeCab word's score is the sum of its pieces' scores, so a teacher can read
the explanation in the words the tokenizer tab shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .tokenization import explain

STEPS = 32


@dataclass
class Attribution:
    label: str  # the class explained
    tokens: list[str]
    token_scores: list[float]  # one per token, [CLS] and [SEP] included
    words: list[str]  # MeCab words
    word_scores: list[float]  # each word's pieces' scores, summed
    delta: float  # sum of the scores minus the logit's rise from the baseline


def integrated_gradients(model, tokenizer, text: str, label: str, max_length: int) -> Attribution:
    """Explain `model`'s logit for `label` on `text`; `model` must be in full precision (gradients)."""
    from captum.attr import LayerIntegratedGradients

    explanation = explain(tokenizer, text, max_length)
    rows = explanation.rows
    ids = torch.tensor([[row.input_id for row in rows]])
    baseline = torch.tensor([[row.input_id if row.special else tokenizer.pad_token_id for row in rows]])
    mask = torch.ones_like(ids)

    def logits(input_ids, attention_mask):
        return model(input_ids=input_ids, attention_mask=attention_mask).logits

    model.eval()
    scores, delta = LayerIntegratedGradients(logits, model.base_model.embeddings).attribute(
        ids,
        baselines=baseline,
        additional_forward_args=(mask,),
        target=model.config.label2id[label],
        n_steps=STEPS,
        internal_batch_size=STEPS,
        return_convergence_delta=True,
    )
    token_scores = scores.sum(dim=-1)[0].tolist()
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
    )
