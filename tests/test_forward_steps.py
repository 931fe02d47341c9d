"""From ids to the label: each step the lesson shows equals the model's own forward pass."""

from __future__ import annotations

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification

from sentiment.insight.forward_steps import forward_steps
from sentiment.text.tokenization import load_tokenizer


def test_each_step_from_ids_to_probabilities_equals_the_models_forward_pass(trained_run):
    model = AutoModelForSequenceClassification.from_pretrained(trained_run).eval()
    tokenizer = load_tokenizer(str(trained_run))
    text = "このホテルは最高でした"
    steps = forward_steps(model, tokenizer, text, max_length=128)
    encoded = tokenizer(text, truncation=True, max_length=128, return_tensors="pt")
    with torch.inference_mode():
        output = model(**encoded, output_hidden_states=True)
    ids = encoded["input_ids"][0].tolist()
    assert [row.id for row in steps.embeddings] == ids
    table = model.base_model.embeddings
    for row in steps.embeddings:
        assert np.allclose(row.word, table.word_embeddings.weight[row.id].detach().numpy()), "the id's row"
        assert np.allclose(row.place, table.position_embeddings.weight[row.position].detach().numpy())
        assert np.allclose(row.segment_vector, table.token_type_embeddings.weight[row.segment].detach().numpy())
        assert np.allclose(row.summed, row.word + row.place + row.segment_vector)
    first_layer_input = output.hidden_states[0][0].numpy()
    assert np.allclose(np.stack([row.read for row in steps.embeddings]), first_layer_input, atol=1e-5)
    last = output.hidden_states[-1]
    classification = steps.classification
    assert np.allclose(classification.cls, last[0, 0].numpy(), atol=1e-5)
    with torch.inference_mode():
        pooled = model.base_model.pooler(last)[0].numpy()
    assert np.allclose(classification.pooled, pooled, atol=1e-5)
    assert np.allclose(classification.logits, output.logits[0].numpy(), atol=1e-5)
    assert np.allclose(classification.probabilities, torch.softmax(output.logits, -1)[0].numpy(), atol=1e-6)
    assert classification.label_names == [model.config.id2label[i] for i in range(model.config.num_labels)]
