""" "Why?" is bounded by the work it makes the model do, counted as the model sees it: tokens through the embedding
layer, pass by pass (a forward hook), not by timing."""

import pandas as pd
import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from sentiment.insight.attribution import BATCH_TOKENS, integrated_gradients
from sentiment.text.limits import MAX_TEXT_CHARS, PUBLIC
from sentiment.text.tokenization import explain, load_tokenizer

from .conftest import SHARED_REVIEWS

LABELS = {"positive": 0, "neutral": 1, "negative": 2}


def bert_classifier(layers: int, hidden: int) -> BertForSequenceClassification:
    """A randomly initialised BERT classifier of this shape, with the source model's vocabulary size and positions."""
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=32_000,
        max_position_embeddings=512,
        num_hidden_layers=layers,
        hidden_size=hidden,
        num_attention_heads=max(1, hidden // 64),
        intermediate_size=4 * hidden,
        label2id=LABELS,
        id2label={index: name for name, index in LABELS.items()},
    )
    return BertForSequenceClassification(config).eval()


def tokens_per_pass(model) -> list[int]:
    """Filled, as the model runs, with the tokens (rows × positions) of each pass through it."""
    passes = []

    def count(module, args, output):
        passes.append(output.shape[0] * output.shape[1])

    model.base_model.embeddings.register_forward_hook(count)
    return passes


@pytest.fixture(scope="module")
def long_review() -> str:
    """Real reviews joined up to the length the server accepts in one text."""
    texts = (
        pd.read_csv(SHARED_REVIEWS / "validation.csv")["text"]
        if SHARED_REVIEWS.is_dir()
        else ["とても良い商品でした。"]
    )
    joined = ""
    for text in texts:
        joined += text
        if len(joined) >= MAX_TEXT_CHARS:
            return joined[:MAX_TEXT_CHARS]
    return (joined * (MAX_TEXT_CHARS // len(joined) + 1))[:MAX_TEXT_CHARS]


@pytest.mark.slow  # a model of 110 M parameters through about 1,500 token-steps
def test_why_on_a_bert_base_shaped_run_stays_within_the_public_budget(trained_run, long_review):
    model = bert_classifier(layers=12, hidden=768)  # BERT-base: one token through it is one token-step
    passes = tokens_per_pass(model)
    tokenizer = load_tokenizer(str(trained_run))
    result = integrated_gradients(model, tokenizer, long_review, "positive", 512, PUBLIC.why_budget)
    assert sum(passes) <= PUBLIC.why_budget, f"{sum(passes)} token-steps for a budget of {PUBLIC.why_budget}"
    assert result.cut and len(result.token_scores) == len(result.tokens) >= 3
    assert sum(passes) > PUBLIC.why_budget / 2, "the budget is spent, not wasted"


def test_why_without_a_budget_goes_through_the_model_a_few_points_at_a_time(trained_run, long_review):
    model = bert_classifier(layers=1, hidden=64)  # a local server's "Why?" is unbounded in work, not in memory
    passes = tokens_per_pass(model)
    tokenizer = load_tokenizer(str(trained_run))
    result = integrated_gradients(model, tokenizer, long_review, "positive", 512)
    assert len(result.tokens) == 512 and result.steps == 32, "the whole explanation, unshortened"
    # Read from the text's head, the tokens are those of the whole text.
    assert result.tokens == [row.token for row in explain(tokenizer, long_review, 512).rows]
    assert max(passes) <= BATCH_TOKENS
    assert sum(passes) >= 32 * 512
