"""Inside BERT: the WordPiece walk, readings, the layer view and the layer probe, against what transformers,
the IPA dictionary and the served model themselves give."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import AutoModelForSequenceClassification

from sentiment.corpus.loading import SAMPLE, load_dataset
from sentiment.errors import UserError
from sentiment.insight.inference import Classifier
from sentiment.insight.layers import layer_view
from sentiment.serving.studio import Studio
from sentiment.text.readings import romaji
from sentiment.text.tokenization import build_starter_tokenizer, load_tokenizer
from sentiment.text.wordpiece import walk, walk_text, words_read
from sentiment.training.config import TrainConfig
from sentiment.training.trainer import train

from .conftest import SHARED_REVIEWS, copy_run

STARTER = "starter (vocabulary learned from the sample)"


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def starter_tokenizer(sample):
    return build_starter_tokenizer(sample["train"]["text"], vocab_size=4000)


@pytest.fixture(scope="module")
def pretrained_style_tokenizer(tmp_path_factory):
    """A 32,000-piece vocabulary learned from the 3,000 shared reviews, saved and loaded back as a pretrained
    model's tokenizer folder is."""
    texts = pd.read_csv(SHARED_REVIEWS / "validation.csv")["text"].tolist()
    folder = tmp_path_factory.mktemp("vocab32k")
    build_starter_tokenizer(texts, vocab_size=32000).save_pretrained(folder)
    return load_tokenizer(str(folder))


@pytest.mark.parametrize("which", ["starter_tokenizer", "pretrained_style_tokenizer"])
def test_the_walk_ends_in_the_tokenizers_own_pieces_for_every_word_of_the_sample(request, sample, which):
    tokenizer = request.getfixturevalue(which)
    checked = 0
    for split in sample.values():
        for text in split["text"]:
            walks = walk_text(tokenizer, text)
            assert [piece for each in walks for piece in each.pieces] == tokenizer.tokenize(text)
            for each in walks:
                assert each.pieces == tokenizer.subword_tokenizer.tokenize(each.word)
                assert each.ids == tokenizer.convert_tokens_to_ids(each.pieces)
            checked += len(walks)
    assert checked > 4000  # every word of every split


def test_a_word_with_a_character_outside_the_vocabulary_becomes_one_unk(starter_tokenizer):
    word = "商品𪚲"  # a character no review of the sample has, after two that it has
    assert "𪚲" not in starter_tokenizer.get_vocab() and "##𪚲" not in starter_tokenizer.get_vocab()
    result = walk(starter_tokenizer, word)
    assert result.pieces == ["[UNK]"] == starter_tokenizer.subword_tokenizer.tokenize(word)
    assert result.steps[0].piece == "商品" and result.steps[-1].piece is None
    too_long = walk(starter_tokenizer, "あ" * 101)
    assert too_long.too_long and too_long.pieces == starter_tokenizer.subword_tokenizer.tokenize("あ" * 101)


def test_each_mecab_word_has_its_reading_romaji_and_part_of_speech(starter_tokenizer):
    read = {each.word: reading for each, reading in words_read(starter_tokenizer, "東京の駅ではｶﾀｶﾅを見ました")}
    assert (read["東京"].kana, read["東京"].romaji) == ("とうきょう", "tōkyō")
    assert read["東京"].part_of_speech == "名詞-固有名詞" and read["東京"].gloss == "noun, proper noun"
    assert (read["は"].kana, read["は"].romaji, read["は"].gloss) == ("は", "wa", "particle, binding particle")
    assert read["カタカナ"].kana == "かたかな"  # NFKC made the half-width katakana full-width, as MeCab read it
    assert read["見"].gloss == "verb, independent"
    assert [romaji(k) for k in ("シンブン", "ガッコウ", "キャッチ", "カンイ", "マッチャ")] == [
        "shinbun",
        "gakkou",
        "kyatchi",
        "kan'i",
        "matcha",
    ]


@pytest.mark.parametrize("precision", ["fp32", None])
def test_the_layer_view_ends_in_the_prediction_and_its_attention_is_berts(trained_run, precision):
    classifier = Classifier(trained_run, precision=precision)  # None: as served (int8 where it agrees)
    text = "この商品はとても使いやすくて、値段も安かったので満足しています。"
    view = layer_view(classifier, text)
    layers = classifier.model.config.num_hidden_layers
    assert view.probabilities.shape == (layers + 1, 3)
    assert np.allclose(view.probabilities.sum(axis=1), 1, atol=1e-5)
    (prediction,) = classifier.predict([text])
    assert np.allclose(view.probabilities[-1], [prediction.probabilities[n] for n in view.label_names], atol=1e-5)
    if precision == "fp32":
        eager = AutoModelForSequenceClassification.from_pretrained(trained_run, attn_implementation="eager").eval()
        encoded, _ = classifier.encode([text])
        with torch.no_grad():
            attentions = eager(**encoded, output_attentions=True).attentions
        expected = torch.stack([a[0] for a in attentions]).numpy()
        shown = view.attention.shape[-1]
        assert np.abs(expected[:, :, :shown, :shown] - view.attention.astype(np.float32)).max() < 2e-3
        assert np.allclose(view.cls_attention, expected[:, :, 0, :].mean(axis=1), atol=1e-5)
    assert len(view.tokens) == len(view.words) == view.cls_attention.shape[1]


@pytest.fixture(scope="module")
def studio_with_runs(trained_run, tmp_path_factory):
    runs = tmp_path_factory.mktemp("inside-runs")
    copy_run(trained_run, runs)
    head = train(TrainConfig(dataset="sample", model="starter", method="head", output=str(runs / "head"), seed=3))
    return Studio(runs), trained_run.name, head.name


def test_the_probe_after_full_training_ends_near_the_runs_accuracy(studio_with_runs):
    studio, full, _ = studio_with_runs
    answer = studio.inside.layer_probe(full, "train")  # the run learned its training split: a clear signal
    after, before = answer.probe.curves[("after", "cls")], answer.probe.curves[("before", "cls")]
    assert answer.probe.reviews == 200 and answer.probe.of == 249
    assert abs(after[-1] - answer.run_accuracy) <= 0.1
    assert after[-1] > before[-1] + 0.2  # the start model's last layer reads far less of it
    assert not answer.frozen


def test_a_head_only_runs_two_curves_coincide(studio_with_runs):
    studio, _, head = studio_with_runs
    answer = studio.inside.layer_probe(head, "train")
    assert answer.frozen
    for pooling in ("cls", "mean"):
        assert answer.probe.curves[("before", pooling)] == answer.probe.curves[("after", pooling)]


def test_ten_identical_layer_requests_at_once_return_what_one_returns_alone(studio_with_runs, trained_run):
    studio, full, _ = studio_with_runs
    text = "届いた商品が壊れていて、問い合わせにも返事がありません。"
    with ThreadPoolExecutor(10) as pool:
        views = list(pool.map(lambda _: studio.inside.layers(full, text), range(10)))
    alone = layer_view(Classifier(trained_run), text)
    for view in views:
        assert np.array_equal(view.probabilities, alone.probabilities)
        assert np.array_equal(view.attention, alone.attention)


def test_the_vocabulary_look_up_counts_pieces_in_the_loaded_dataset(studio_with_runs, sample, starter_tokenizer):
    studio = studio_with_runs[0]
    entry = studio.inside.vocabulary_entry(STARTER, "sample", "商品")
    expected = sum(starter_tokenizer.tokenize(text).count("商品") for text in sample["train"]["text"])
    assert (entry.input_id, entry.count, entry.counted) == (starter_tokenizer.get_vocab()["商品"], expected, 249)
    by_id = studio.inside.vocabulary_entry(STARTER, "sample", str(entry.input_id))
    assert by_id.token == "商品"
    missing = studio.inside.vocabulary_entry(STARTER, "sample", "存在しない語彙")
    assert missing.input_id is None and missing.count == 0


def test_the_views_answer_through_the_api(client, trained_run):
    text = "最高の買い物でした"
    caption, words, steps = client.predict(STARTER, "外国人の友達", "", api_name="/wordpiece")
    assert words["headers"][:3] == ["word", "reading", "romaji"] and steps["data"]
    _, _, table, _, _, _, _, embedded, classified = client.predict(
        trained_run.name, text, 1, "average", api_name="/layers"
    )
    label, _ = client.predict(trained_run.name, text, api_name="/classify")
    # From ids to the label: one row per token the model read, then [CLS] → pooler → logits → softmax.
    assert embedded["data"][0][0] == "[CLS]" and embedded["data"][-1][0] == "[SEP]"
    softmax = dict(part.rsplit(" ", 1) for part in classified["data"][-1][1].split(" · "))
    for entry in label["confidences"]:  # in full precision; the served model (int8 or bf16) within a few 1e-4
        assert abs(float(softmax[entry["label"]]) - entry["confidence"]) < 3e-3
    last = dict(zip(table["headers"][1:], table["data"][-1][1:], strict=True))
    for entry in label["confidences"]:
        assert abs(last[f"p_{entry['label']}"] - entry["confidence"]) < 1e-5
    for row in table["data"]:
        assert abs(sum(row[1:]) - 1) < 1e-4
    caption, _, probe = client.predict(trained_run.name, "validation", api_name="/layer_probe")
    assert "reviews of the validation split" in caption and len(probe["data"]) == len(table["data"])


def test_a_head_only_runs_layer_view_says_its_head_read_only_the_last_layer(studio_with_runs):
    from sentiment.ui.inside_bert import layers

    studio, full, head = studio_with_runs
    caption = layers(studio, head, "最高の買い物でした", 1, "average")[0]
    assert "trained the head only, on the last layer's [CLS]" in caption
    assert "head only" not in layers(studio, full, "最高の買い物でした", 1, "average")[0]


@pytest.fixture(scope="module")
def baseline_studio(tmp_path_factory):
    """A studio whose one run is the n-gram baseline on the sample."""
    runs = tmp_path_factory.mktemp("baseline-runs")
    train(TrainConfig(dataset="sample", model="starter", method="ngram", output=str(runs / "ngram")))
    return Studio(runs, dataset="sample")


def test_the_n_gram_baseline_as_the_walks_tokenizer_gets_one_sentence(baseline_studio):
    """Issue 43, item 8: `run: ngram` as the WordPiece walk's (or the Tokenizer tab's) tokenizer got the general
    error: transformers could not load a tokenizer from a folder that has none."""
    import gradio as gr

    from sentiment.ui.inside_bert import wordpiece

    with pytest.raises(gr.Error, match="'ngram' is an n-gram baseline: it reads characters and has no tokenizer"):
        wordpiece(baseline_studio, "run: ngram", "良い商品でした", "")
    with pytest.raises(UserError, match="n-gram baseline"):
        baseline_studio.models.tokenization("run: ngram", "良い", None, "")


@pytest.mark.parametrize(
    "query",
    ["\ud800", "商品\udfff", "a" * 300_000, "##" + "品" * 101],
    ids=["lone-surrogate", "surrogate-after-text", "300000-characters", "103-characters"],
)
def test_a_vocabulary_query_no_entry_could_be_gets_one_sentence_without_it(baseline_studio, query):
    """Issue 43, item 8: /vocabulary echoed its query: a lone surrogate broke the visitor's reply stream (the
    answer can't be encoded), and 300,000 characters came back whole. Both get one sentence that repeats nothing."""
    import gradio as gr

    from sentiment.ui.inside_bert import vocabulary

    with pytest.raises(gr.Error) as refused:
        vocabulary(baseline_studio, STARTER, query, "sample")
    message = str(refused.value)
    assert message.encode("utf-8") and len(message) < 300 and query not in message
    assert "type a token" in message or "type one token" in message
    entry = baseline_studio.inside.vocabulary_entry(STARTER, "sample", "##" + "品" * 100)
    assert entry.input_id is None, "the longest entry still looks up"


def test_a_one_layer_models_layer_view_answers(tmp_path, trained_run):
    """A model of one layer has no other layer to choose: its view answers, its slider offers nothing more."""
    from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

    from sentiment.serving.studio import Studio
    from sentiment.ui.inside_bert import layers

    run = copy_run(trained_run, tmp_path / "runs")
    trained = AutoModelForSequenceClassification.from_pretrained(run)
    config = BertConfig(**{**trained.config.to_dict(), "num_hidden_layers": 1})
    BertForSequenceClassification(config).save_pretrained(run)
    outputs = layers(Studio(tmp_path / "runs"), run.name, "最高の買い物でした", 1, "average")
    slider = outputs[5]
    assert slider.interactive is False and "1 layers" in str(outputs[0])


def test_the_probe_on_the_training_split_says_what_its_scores_mean(studio_with_runs):
    """Issue 46: the train split's near-1.00 scores are memory (overfitting); the page says so, the validation
    split's caption does not."""
    from sentiment.ui.inside_bert import layer_probe

    studio, full, _ = studio_with_runs
    train_caption = str(layer_probe(studio, full, "train")[0])
    assert "remember them (overfitting)" in train_caption and "the validation split tells that" in train_caption
    assert "overfitting" not in str(layer_probe(studio, full, "validation")[0])
