"""The two ends of BERT's forward pass, step by step with their numbers, for one text: the lesson from `input_ids` to
the label that the layer view (layers.py) fills in between.

First, each id becomes a vector: BERT adds three embeddings, the token's (a row of the vocabulary's table, looked
up by its id), its position's (one row per place in the text) and its segment's (one row per `token_type_id`), then
normalises the sum (LayerNorm); that is what the first layer reads. Last, the classification: the last layer's
`[CLS]` vector goes through the pooler (a dense layer, then tanh), the classifier's weights turn it into one logit
per class (a dot product plus a bias), and softmax turns the logits into the probabilities Classify shows. Each
step is computed with the model's own modules, in fp32, in the order its forward pass applies them (dropout is off
in evaluation), so the last step equals the model's answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SHOWN_DIMENSIONS = 6  # how many of a vector's first dimensions the page prints (all of them would be 768)


@dataclass(frozen=True)
class TokenEmbedding:
    token: str
    id: int
    position: int
    segment: int
    word: np.ndarray  # the vocabulary's row for the id (the full vector)
    place: np.ndarray  # the position's row
    segment_vector: np.ndarray  # the segment's row
    summed: np.ndarray  # word + place + segment
    read: np.ndarray  # after LayerNorm: what the first layer reads


@dataclass(frozen=True)
class Classification:
    label_names: list[str]
    cls: np.ndarray  # the last layer's [CLS] vector
    pooled: np.ndarray  # tanh(dense(cls)): the pooler's output
    weights: np.ndarray  # classes × hidden: the classifier's weights
    bias: np.ndarray  # one per class
    logits: np.ndarray  # weights · pooled + bias
    probabilities: np.ndarray  # softmax(logits)


@dataclass(frozen=True)
class ForwardSteps:
    embeddings: list[TokenEmbedding]
    classification: Classification


@torch.inference_mode()
def forward_steps(model, tokenizer, text: str, max_length: int) -> ForwardSteps:
    """The embedding of each token of `text` and the classification of its `[CLS]`, with `model`'s own modules."""
    model.eval()
    encoded = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")
    device = next(model.parameters()).device
    ids = encoded["input_ids"].to(device)
    segments = encoded.get("token_type_ids", torch.zeros_like(ids)).to(device)
    positions = torch.arange(ids.shape[1], device=device).unsqueeze(0)
    layers = model.base_model.embeddings
    word = layers.word_embeddings(ids).float()[0]
    place = layers.position_embeddings(positions).float()[0]
    segment = layers.token_type_embeddings(segments).float()[0]
    summed = word + place + segment
    read = torch.nn.functional.layer_norm(
        summed,
        summed.shape[-1:],
        layers.LayerNorm.weight.float(),
        layers.LayerNorm.bias.float(),
        layers.LayerNorm.eps,
    )
    tokens = tokenizer.convert_ids_to_tokens(ids[0].tolist())
    embeddings = [
        TokenEmbedding(
            token=token,
            id=int(ids[0, i]),
            position=i,
            segment=int(segments[0, i]),
            word=word[i].cpu().numpy(),
            place=place[i].cpu().numpy(),
            segment_vector=segment[i].cpu().numpy(),
            summed=summed[i].cpu().numpy(),
            read=read[i].cpu().numpy(),
        )
        for i, token in enumerate(tokens)
    ]
    last = model.base_model(input_ids=ids, token_type_ids=segments).last_hidden_state.float()
    cls = last[0, 0]
    dense = model.base_model.pooler.dense
    pooled = torch.tanh(cls @ dense.weight.float().T + dense.bias.float())
    weights, bias = model.classifier.weight.float(), model.classifier.bias.float()
    logits = pooled @ weights.T + bias
    names = [model.config.id2label[i] for i in range(len(bias))]
    classification = Classification(
        label_names=names,
        cls=cls.cpu().numpy(),
        pooled=pooled.cpu().numpy(),
        weights=weights.cpu().numpy(),
        bias=bias.cpu().numpy(),
        logits=logits.cpu().numpy(),
        probabilities=torch.softmax(logits, dim=-1).cpu().numpy(),
    )
    return ForwardSteps(embeddings, classification)
