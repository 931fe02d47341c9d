"""What happens between `input_ids` and the label, layer by layer, for one text.

BERT turns the ids into one vector per token (the embeddings), and each of its encoder layers rewrites every
token's vector by attending to the others. The classification head reads only the last layer's `[CLS]` vector
(through BERT's pooler). Applying that same head to the `[CLS]` vector after the embeddings and after each layer
shows where in the network the sentiment appears: usually only in the upper layers, and for a head-only run the
head was fitted on the last layer alone. The last row is the prediction itself.

Attention is read from the same pass: each layer's weights are recomputed from the hidden state it was given
(softmax(QKᵀ/√d) per head, as BERT's eager attention computes them), so the served model (SDPA attention,
quantised or not) needs no second pass and no change of its attention implementation, which other requests
share. A single text has no padding, so there is no mask to add.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..text.tokenization import explain

SHOWN_TOKENS = 64  # the attention heat map's side: the first tokens of a longer text (a 512² map is unreadable)


@dataclass(frozen=True)
class LayerView:
    label_names: list[str]
    tokens: list[str]  # every token the model read, [CLS] and [SEP] included
    words: list[str]  # the MeCab word of each token ('' for the special tokens)
    probabilities: np.ndarray  # (layers + 1) × classes: the head on [CLS] after the embeddings, then each layer
    cls_attention: np.ndarray  # layers × tokens: where [CLS] attends in each layer, averaged over its heads
    attention: np.ndarray  # layers × heads × shown × shown (float16): the first SHOWN_TOKENS tokens' weights

    @property
    def layers(self) -> int:
        return len(self.cls_attention)

    @property
    def heads(self) -> int:
        return self.attention.shape[1]


def has_layers(model) -> bool:
    """Whether the layer view can read this model: a BERT-style encoder with a pooler and a classification layer."""
    encoder = getattr(model.base_model, "encoder", None)
    return (
        getattr(model.base_model, "pooler", None) is not None
        and hasattr(model, "classifier")
        and hasattr(getattr(encoder, "layer", [None])[0], "attention")
    )


@torch.inference_mode()
def layer_view(classifier, text: str) -> LayerView:
    """The layer view of `text` through a loaded run (insight/inference.Classifier), in the precision it is
    served in: its last row equals what `classifier.predict` gives for the text."""
    model = classifier.model
    encoded, _ = classifier.encode([text])
    device = torch.device(classifier.device)
    with torch.autocast(device.type, torch.bfloat16, enabled=classifier.precision == "bf16"):
        states = model.base_model(**encoded.to(device), output_hidden_states=True).hidden_states
        head = [model.classifier(model.dropout(model.base_model.pooler(state))).float() for state in states]
        inputs = zip(model.base_model.encoder.layer, states[:-1], strict=True)  # each layer and the state it read
        weights = [attention_weights(layer.attention.self, state) for layer, state in inputs]
    probabilities = torch.softmax(torch.cat(head), dim=-1).cpu().numpy()
    attention = torch.stack(weights)  # layers × heads × tokens × tokens
    explanation = explain(classifier.tokenizer, text, classifier.max_length)
    return LayerView(
        label_names=list(classifier.label_names),
        tokens=[row.token for row in explanation.rows],
        words=[row.word for row in explanation.rows],
        probabilities=probabilities,
        cls_attention=attention[:, :, 0, :].mean(dim=1).cpu().numpy(),
        attention=attention[:, :, :SHOWN_TOKENS, :SHOWN_TOKENS].to(torch.float16).cpu().numpy(),
    )


def attention_weights(attention, hidden: torch.Tensor) -> torch.Tensor:
    """One layer's attention weights (heads × tokens × tokens) for one unpadded text's hidden state."""
    shape = (hidden.shape[1], attention.num_attention_heads, attention.attention_head_size)
    query = attention.query(hidden)[0].float().view(shape).transpose(0, 1)
    key = attention.key(hidden)[0].float().view(shape).transpose(0, 1)
    scores = (query @ key.transpose(1, 2)).float()  # bf16 under a bf16 run's autocast, whose numpy has no bf16
    return torch.softmax(scores * attention.attention_head_size**-0.5, dim=-1)
