import unicodedata

import pytest
from transformers import AutoTokenizer, BertJapaneseTokenizer

from sentiment.corpus.loading import load_dataset
from sentiment.text.tokenization import build_starter_tokenizer, explain

from .conftest import TOKENIZER_EXAMPLE


@pytest.fixture(scope="module")
def starter_tokenizer():
    texts = load_dataset("sample")["train"]["text"]
    return build_starter_tokenizer([*texts, TOKENIZER_EXAMPLE], vocab_size=1500)


def test_starter_tokenizer_is_mecab_ipadic_wordpiece_and_reloads(starter_tokenizer, tmp_path):
    assert isinstance(starter_tokenizer, BertJapaneseTokenizer)
    assert starter_tokenizer.word_tokenizer_type == "mecab"
    assert starter_tokenizer.mecab_kwargs == {"mecab_dic": "ipadic"}
    vocab = starter_tokenizer.get_vocab()
    assert all(f"##{token}" in vocab for token in vocab if len(token) == 1), "every character can continue a word"
    starter_tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert type(reloaded) is BertJapaneseTokenizer
    assert reloaded(TOKENIZER_EXAMPLE)["input_ids"] == starter_tokenizer(TOKENIZER_EXAMPLE)["input_ids"]


def test_explain_shows_mecab_words_and_wordpiece_continuations(starter_tokenizer):
    result = explain(starter_tokenizer, TOKENIZER_EXAMPLE)
    words = [surface for surface, _ in result.words]
    assert words[:6] == ["機械", "学習", "の", "コア", "部分", "の"]
    assert result.words[0][1].startswith("名詞")
    assert result.rows[0].token == "[CLS]" and result.rows[0].special
    assert result.rows[-1].token == "[SEP]" and result.rows[-1].special
    continuations = [row for row in result.rows if row.continuation]
    assert continuations, "a vocabulary this small splits some words into ## pieces"
    for row in continuations:
        previous = result.rows[row.index - 1]
        assert row.word_index == previous.word_index and row.word == previous.word
    pieces_of_each_word = {}
    for row in result.rows:
        if not row.special:
            pieces_of_each_word.setdefault(row.word_index, []).append(row.token.removeprefix("##"))
    for index, pieces in pieces_of_each_word.items():
        if "[UNK]" not in pieces:
            assert "".join(pieces) == words[index]
    assert all(row.attention_mask == 1 and row.token_type_id == 0 for row in result.rows)
    assert result.counts["words"] == len(words)
    assert result.counts["tokens"] == len(result.rows)
    assert result.counts["characters"] == len(TOKENIZER_EXAMPLE)
    assert not result.truncated


def test_round_trip_rejoins_the_words(starter_tokenizer):
    result = explain(starter_tokenizer, "このアプリは使いやすい")
    assert result.counts["unknown"] == 0
    assert result.round_trip.replace(" ", "") == unicodedata.normalize("NFKC", "このアプリは使いやすい")


def test_words_of_known_characters_are_never_unknown(starter_tokenizer):
    result = explain(starter_tokenizer, "こんにちは、ありがとう")
    assert result.counts["unknown"] == 0
    assert any(row.continuation for row in result.rows)


def test_unknown_characters_and_truncation_are_flagged(starter_tokenizer):
    result = explain(starter_tokenizer, "鬱蒼とした森" * 20, max_length=16)
    assert result.truncated and len(result.rows) == 16
    assert result.counts["tokens_before_truncation"] > 16
    assert result.counts["unknown"] >= 1 and any(row.unknown for row in result.rows)


LAUNCH_MODEL_PAGE = """
import json, sys
from sentiment.serving.studio import Studio
studio = Studio(sys.argv[1], model=sys.argv[2])
print(json.dumps({
    "choices": [value for _, value in studio.models.tokenizer_choices()],
    "counted_with": studio.models.length_tokenizer().name_or_path,
}))
"""


def launch_model_page(runs, model: str, **environment) -> dict:
    """What a page launched offline with `--model MODEL` offers in the Tokenizer tab and counts tokens with."""
    import json
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    result = subprocess.run(
        [sys.executable, "-c", LAUNCH_MODEL_PAGE, str(runs), model],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_launch_model_folder_is_the_pages_model(trained_run, tmp_path):
    from sentiment.serving.studio import Studio

    # Its tokenizer is the Tokenizer tab's first and counts the Dataset tab's tokens.
    models = Studio(tmp_path / "runs", model=str(trained_run)).models
    assert models.tokenizer_choices()[0][1] == str(trained_run)
    assert models.length_tokenizer().name_or_path == str(trained_run)


@pytest.mark.slow  # a process of its own: the Hugging Face cache's place is read when huggingface_hub is imported
def test_the_source_model_from_the_cache_is_the_pages_model_offline(trained_run, tmp_path):
    import shutil

    from sentiment.text.tokenization import SOURCE_MODEL

    # The source model's Hub id with its files in this machine's Hugging Face cache, as a Space's build leaves
    # them: offline, it is still the page's model.
    commit = "0" * 40
    cached = tmp_path / "hub" / ("models--" + SOURCE_MODEL.replace("/", "--"))
    shutil.copytree(trained_run, cached / "snapshots" / commit)
    (cached / "refs").mkdir()
    (cached / "refs" / "main").write_text(commit)
    page = launch_model_page(tmp_path / "runs", SOURCE_MODEL, HF_HUB_CACHE=str(tmp_path / "hub"))
    assert page["choices"][:2] == [SOURCE_MODEL, "starter (vocabulary learned from the sample)"]
    assert page["counted_with"] == SOURCE_MODEL


def test_encode_cuts_long_texts_as_the_tokenizers_own_truncation_does_reading_each_text_once(starter_tokenizer):
    import pandas as pd

    from sentiment.text.limits import cap_text
    from sentiment.text.tokenization import encode

    from .conftest import SHARED_REVIEWS

    texts = [*pd.read_csv(SHARED_REVIEWS / "validation.csv")["text"][:200], "㌖" * 10000, " "]
    read = []
    mecab = starter_tokenizer.word_tokenizer
    original = mecab.tokenize
    mecab.tokenize = lambda text, **kwargs: read.append(text) or original(text, **kwargs)
    try:
        encoded, lengths = encode(starter_tokenizer, texts, 64)
    finally:
        mecab.tokenize = original
    assert len(read) == len(texts), "MeCab reads each text once, the long ones too"
    capped = [cap_text(text) for text in texts]
    expected = starter_tokenizer(capped, truncation=True, max_length=64)
    assert encoded == {key: [list(ids) for ids in values] for key, values in expected.items()}
    assert lengths == [len(ids) for ids in starter_tokenizer(capped)["input_ids"]]
    assert sum(length > 64 for length in lengths) >= 10, "many of them were cut"


def test_a_text_tokenized_again_is_answered_from_the_kept_tokenization(tmp_path):
    from sentiment.serving.pool import STARTER_TOKENIZER
    from sentiment.serving.studio import Studio

    studio = Studio(tmp_path / "runs", dataset="sample", model="starter")
    first = studio.models.tokenization(STARTER_TOKENIZER, TOKENIZER_EXAMPLE, None, "短い文")
    assert studio.models.tokenization(STARTER_TOKENIZER, TOKENIZER_EXAMPLE, None, "短い文") is first
    other = studio.models.tokenization(STARTER_TOKENIZER, TOKENIZER_EXAMPLE, None, "別の文です")
    assert other is not first and other[0].rows == first[0].rows and other[2] != first[2]
    cut = studio.models.tokenization(STARTER_TOKENIZER, TOKENIZER_EXAMPLE, 8, "短い文")
    assert len(cut[0].rows) == 8 and len(first[0].rows) > 8


def test_the_mecab_row_says_what_nfkc_rewrote(starter_tokenizer):
    explanation = explain(starter_tokenizer, "ｶﾀｶﾅとＡＢＣ、かな")
    assert explanation.normalised == [("ｶﾀｶﾅ", "カタカナ"), ("ＡＢＣ", "ABC")]
    assert [surface for surface, _ in explanation.words][:1] == ["カタカナ"], "MeCab read the NFKC form"
    assert explain(starter_tokenizer, "かなカナ").normalised == []
