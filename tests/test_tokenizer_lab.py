"""Japanese tokenizers side by side, over a dataset, the script and NFKC views, and what-if variants:
the real MeCab, Sudachi and SentencePiece in process, then the three endpoints through gradio_client."""

import json
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from gradio_client.exceptions import AppError
from transformers.models.bert_japanese.tokenization_bert_japanese import MecabTokenizer

from sentiment.corpus.loading import load_dataset
from sentiment.corpus.token_stats import token_statistics
from sentiment.errors import UserError
from sentiment.text.compare import FAILED, Reference, TokenizerLab
from sentiment.text.limits import MAX_TEXT_CHARS
from sentiment.text.scripts import normalization_changes, script_of, script_runs
from sentiment.text.variants import variants

from .conftest import SHARED_REVIEWS

NAMES = [
    "MeCab (IPA) → WordPiece",
    "MeCab (UniDic) → WordPiece",
    "Sudachi A",
    "Sudachi B",
    "Sudachi C",
    "Characters",
    "SentencePiece (unigram)",
]


@pytest.fixture(scope="module")
def lab():
    return TokenizerLab(load_dataset("sample")["train"]["text"], "sample")


def words(comparison, name: str) -> list[str]:
    (row,) = [row for row in comparison.rows if row.tokenizer == name]
    return [word.surface for word in row.words]


def test_each_tokenizer_splits_a_compound_its_own_way(lab):
    comparison = lab.compare("外国人参政権")
    assert [row.tokenizer for row in comparison.rows] == NAMES
    assert words(comparison, "MeCab (IPA) → WordPiece") == ["外国", "人参", "政権"]  # the famous "carrot" misreading
    assert words(comparison, "Sudachi A") == ["外国", "人", "参政", "権"]
    assert words(comparison, "Sudachi B") == ["外国人", "参政権"]
    assert words(comparison, "Sudachi C") == ["外国人参政権"]
    assert len(next(row for row in comparison.rows if row.tokenizer == "Characters").pieces) == 6
    # UniDic cuts shorter units than IPA where the two dictionaries differ.
    library = lab.compare("国立国会図書館に行った")
    assert "館" in words(library, "MeCab (UniDic) → WordPiece")
    assert "館" not in words(library, "MeCab (IPA) → WordPiece")


def test_the_labs_mecab_words_are_the_words_bert_reads():
    """The lab's own MeCab-IPA split (morphology.py) is the one cl-tohoku's tokenizer makes (transformers'
    MecabTokenizer with ipadic, NFKC first), word for word, on every one of the 3,000 real reviews."""
    bert = MecabTokenizer(do_lower_case=False, normalize_text=True, mecab_dic="ipadic")
    texts = pd.read_csv(SHARED_REVIEWS / "validation.csv")["text"]
    differ = [text for text in texts if Reference(text).surfaces != bert.tokenize(text)]
    assert len(texts) == 3000 and not differ, differ[:3]


def test_rows_count_pieces_unknowns_and_say_where_their_vocabulary_came_from(lab):
    comparison = lab.compare("外国人参政権")
    for row in comparison.rows:
        assert not row.error and row.pieces and row.pieces_per_word > 0
    ipa = comparison.rows[0]
    assert "249 training texts of sample" in ipa.note.en and "on the Hub" in ipa.note.en
    # A Japanese page reads the note in Japanese: the counts and names as they are, every other word Japanese.
    assert "sample の学習テキスト 249 件" in ipa.note.ja and "Hub にあります" in ipa.note.ja
    assert "training" not in ipa.note.ja and "vocabulary" not in ipa.note.ja
    # 人参 has a character the sample never uses: WordPiece reads the whole word as [UNK].
    assert [piece.text for piece in ipa.words[1].pieces] == ["[UNK]"] and ipa.unknown >= 1
    sudachi = next(row for row in comparison.rows if row.tokenizer == "Sudachi A")
    assert sudachi.pieces_per_word == 1.0
    assert [word.normalized for word in lab.compare("ｶﾀｶﾅ").rows[2].words] == ["片仮名"]


def test_nfkc_is_shown_before_splitting_and_the_cap_applies(lab):
    comparison = lab.compare("ｶﾀｶﾅとＡＢＣ１２３")
    assert comparison.changes == [("ｶﾀｶﾅ", "カタカナ"), ("ＡＢＣ１２３", "ABC123")]
    assert words(comparison, "MeCab (IPA) → WordPiece")[0] == "カタカナ"
    assert words(comparison, "Sudachi C")[0] == "ｶﾀｶﾅ", "Sudachi keeps the text as written"
    assert normalization_changes("ｶﾞｷﾞ") == [("ｶﾞｷﾞ", "ガギ")], "a voiced mark joins its kana"
    long = lab.compare("良い" * MAX_TEXT_CHARS)
    assert long.capped and len(long.text) == MAX_TEXT_CHARS
    assert len(long.rows[5].pieces) == MAX_TEXT_CHARS, "the character row reads only the capped text"
    with pytest.raises(UserError, match="is empty"):
        lab.compare(" \u200b ")


def test_scripts():
    assert [script_of(c) for c in "漢ひカｶAa１.😊々"] == [
        "kanji",
        "hiragana",
        "katakana",
        "katakana",
        "latin",
        "latin",
        "digit",
        "symbol",
        "emoji",
        "kanji",
    ]
    assert script_runs("外国人はABCを") == [
        ("外国人", "kanji"),
        ("は", "hiragana"),
        ("ABC", "latin"),
        ("を", "hiragana"),
    ]


class Broken:
    """A tokenizer that fails on every text, as a real one might on an input it can't take."""

    name, note, normalisation, vocabulary = "broken", "", "", None

    def split(self, reference):
        raise RuntimeError("cannot split")


def test_a_failing_tokenizer_gets_one_sentence_and_the_others_still_show():
    lab = TokenizerLab(load_dataset("sample")["train"]["text"], "sample")
    lab.splitters.insert(1, Broken())
    comparison = lab.compare("良い商品")
    assert [row.error for row in comparison.rows] == ["", FAILED] + [""] * 6
    assert all(row.pieces for row in comparison.rows if row.tokenizer != "broken")
    stats = token_statistics(lab, ["良い", "悪い"])
    assert [row.failed for row in stats.rows] == [0, 2] + [0] * 6


def test_many_threads_get_what_one_gets(lab):
    """The server answers 30 visitors at once: MeCab taggers and Sudachi tokenizers are per thread."""
    texts = [f"この商品{i}はとても使いやすくて、外国人参政権について{i}回考えました。" * 3 for i in range(40)]

    def shown(text):
        return [[piece.text for piece in row.pieces] for row in lab.compare(text).rows]

    alone = [shown(text) for text in texts]
    with ThreadPoolExecutor(16) as pool:
        together = list(pool.map(shown, texts))
    assert together == alone


def test_statistics_over_a_dataset(lab):
    data = load_dataset("sample")
    texts = [text for split in data.values() for text in split["text"]]
    stats = token_statistics(lab, texts)
    assert stats.reviews == stats.total == 309
    by_name = {row.tokenizer: row for row in stats.rows}
    assert list(by_name) == NAMES
    characters, sentencepiece = by_name["Characters"], by_name["SentencePiece (unigram)"]
    assert characters.median > by_name["MeCab (IPA) → WordPiece"].median > sentencepiece.median > 2
    assert all(len(row.lengths) == 309 and row.p95 >= row.median for row in stats.rows)
    assert 0 <= characters.cut_share(128) <= characters.cut_share(64) <= 1
    assert by_name["Sudachi A"].vocabulary is None and characters.vocabulary == lab.splitters[5].vocabulary
    assert 0 < characters.unknown_rate < 0.05, "the validation and test splits have characters train lacks"


def texts_of(found, kind):
    return {variant.text for variant in found if variant.kind == kind}


def test_what_if_variants_read_conjugation():
    found = variants("とても良い商品です")
    assert texts_of(found, "negation") == {"とても良くない商品です", "とても良い商品ではありません"}
    assert texts_of(found, "plain") == {"とても良い商品だ"}
    assert texts_of(found, "left out") == {"良い商品です", "とても商品です", "とても良いです", "とても良い商品"}
    assert texts_of(variants("悪くないけど高い"), "affirmation") == {"悪いけど高い"}
    polite = variants("使いやすくて満足しています。二度と買いません。")
    assert texts_of(polite, "plain") == {"使いやすくて満足している。二度と買わない。"}
    assert "使いやすくて満足しています。二度と買います。" in texts_of(polite, "affirmation")
    assert texts_of(variants("昨日買った。"), "polite") == {"昨日買いました。"}
    assert texts_of(variants("最高だった！また行きたい。"), "polite") == {"最高でした！また行きたいです。"}
    assert texts_of(variants("買わなかった"), "affirmation") == {"買った"}
    widths = variants("ｶﾀｶﾅとＡＢＣ")
    assert texts_of(widths, "full width") == {"カタカナとＡＢＣ"} and texts_of(widths, "half width") == {"ｶﾀｶﾅとABC"}


# Through the app, as a remote script calls it (conftest's `client` of the shared app).
def test_compare_tokenizers_endpoint(client):
    line, view, table = client.predict("外国人参政権とｶﾀｶﾅ", api_name="/compare_tokenizers")
    assert [row[0] for row in table["data"]] == NAMES
    pieces = {row[0]: row[1] for row in table["data"]}
    assert pieces["Sudachi C"].startswith("外国人参政権") and pieces["Sudachi A"].startswith("外国 | 人 | 参政 | 権")
    assert pieces["MeCab (IPA) → WordPiece"] != pieces["Sudachi A"]
    assert "`ｶﾀｶﾅ` → `カタカナ`" in line
    assert view.count('class="cmp-row"') == len(NAMES) and "script-char" not in view
    _, by_script, _ = client.predict("外国人はABCを", True, api_name="/compare_tokenizers")
    assert "script-char" in by_script and "kanji / 漢字" in by_script
    with pytest.raises(AppError, match="is empty"):
        client.predict("   ", api_name="/compare_tokenizers")
    huge, *_ = client.predict("ｱ" * 300_000, api_name="/compare_tokenizers")
    assert f"only the first {MAX_TEXT_CHARS:,} characters" in huge


def test_tokenizer_stats_endpoint(client):
    caption, table, chart = client.predict(api_name="/tokenizer_stats")
    assert "**309** reviews" in caption
    assert [row[0] for row in table["data"]] == NAMES
    assert table["headers"][:5] == ["tokenizer", "median tokens", "p95 tokens", "cut at 128", "cut at 512"]
    boxes = json.loads(chart["plot"])["data"]
    assert [box["name"] for box in boxes] == NAMES and all(box["type"] == "box" for box in boxes)


def test_what_if_endpoint(client, trained_run):
    caption, table = client.predict(trained_run.name, "とても良い商品です", api_name="/what_if")
    records = [dict(zip(table["headers"], row, strict=True)) for row in table["data"]]
    original, rows = records[0], {row["text"]: row for row in records}
    assert original["variant"].startswith("original") and original["text"] == "とても良い商品です"
    chosen = f"p_{original['label']}"
    for text in ("とても良くない商品です", "とても良い商品だ"):
        probabilities = [rows[text][f"p_{name}"] for name in ("positive", "neutral", "negative")]
        assert abs(sum(probabilities) - 1) < 0.01
        assert rows[text]["change"] == pytest.approx(rows[text][chosen] - original[chosen], abs=2e-3)
    left_out = [row["change"] for row in records if row["variant"].startswith("word left out")]
    assert len(left_out) == 4 and [abs(c) for c in left_out] == sorted((abs(c) for c in left_out), reverse=True)
    assert "change" in caption
    with pytest.raises(AppError, match="is empty"):
        client.predict(trained_run.name, "  ", api_name="/what_if")
    huge, _ = client.predict(trained_run.name, "とても良い商品です。" * 30_000, api_name="/what_if")
    assert "✂ only the first" in huge and "more variants were not classified" in huge


def test_what_if_bounds_its_work(trained_run):
    """A long review: only its beginning is varied, and variants are classified up to a character budget."""
    from sentiment.insight.inference import Classifier
    from sentiment.insight.whatif import what_if
    from sentiment.text.limits import WHAT_IF_BUDGET, WHAT_IF_CHARS

    long = "この商品はとても使いやすくて、値段も安かったので満足しています。" * 20
    result = what_if(Classifier(trained_run).predict, long)
    assert result.cut and result.left > 0
    assert len(result.outcomes[0].variant.text) == WHAT_IF_CHARS
    assert sum(len(outcome.variant.text) for outcome in result.outcomes) <= WHAT_IF_BUDGET
    assert result.outcomes[1].variant.kind == "negation", "edits come before words left out"


def test_endpoints_answer_many_visitors_as_they_answer_one(client, trained_run):
    texts = [f"この商品{i}は外国人参政権についての本で、とても良いです。" for i in range(8)]
    alone = [client.predict(text, api_name="/compare_tokenizers")[2]["data"] for text in texts[:2]]
    alone += [client.predict(trained_run.name, text, api_name="/what_if")[1]["data"] for text in texts[:2]]
    jobs = [client.submit(text, api_name="/compare_tokenizers") for text in texts]
    jobs += [client.submit(trained_run.name, text, api_name="/what_if") for text in texts]
    together = [job.result()[-1]["data"] for job in jobs]
    assert together[:2] == alone[:2] and together[8:10] == alone[2:]
    assert len({str(table) for table in together[:8]}) == 8, "each visitor gets the answer to their own text"
