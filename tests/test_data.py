import json
import time

import pandas as pd
import pytest

from sentiment.corpus.loading import LABELS, DataError, hub_reachable, load_dataset, read_file

from .conftest import SHARED_REVIEWS

ROWS = [("とても良い", "positive"), ("普通です", "neutral"), ("最悪でした", "negative")] * 10


def write(path, rows=ROWS, columns=("text", "label"), encoding="utf-8"):
    frame = pd.DataFrame(rows, columns=list(columns))
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    elif path.suffix == ".jsonl":
        path.write_text(frame.to_json(orient="records", lines=True, force_ascii=False), encoding=encoding)
    else:
        frame.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",", encoding=encoding)
    return path


def test_sample_has_three_balanced_splits_with_class_labels():
    data = load_dataset("sample")
    assert list(data) == ["train", "validation", "test"]
    assert data["train"].features["label"].names == list(LABELS) == ["positive", "neutral", "negative"]
    assert sum(data.num_rows.values()) >= 300
    for split in data.values():
        counts = pd.Series(split["label"]).value_counts()
        assert counts.max() - counts.min() <= 1
    assert data.notices == ()


def test_sample_is_original_and_varied():
    texts = [t for split in load_dataset("sample").values() for t in split["text"]]
    assert len(set(texts)) == len(texts)
    joined = "".join(texts)
    assert "悪くない" in joined and "けど" in joined and "？" in joined
    assert any(ord(c) > 0xFFFF for c in joined), "emoji"
    assert any(0xFF61 <= ord(c) <= 0xFF9F for c in joined), "half-width katakana"
    sources = set(load_dataset("sample")["train"]["source"])
    assert {"product", "restaurant", "hotel", "app", "movie", "service"} <= sources


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("labels", ["strings", "integers"])
def test_each_format_and_label_style_loads(tmp_path, suffix, labels):
    rows = ROWS if labels == "strings" else [(t, LABELS.index(label)) for t, label in ROWS]
    for stem in ("train", "valid", "test"):
        write(tmp_path / f"{stem}{suffix}", rows)
    data = load_dataset(str(tmp_path))
    assert data.num_rows == {"train": 30, "validation": 30, "test": 30}
    assert data["train"][0] == {"text": "とても良い", "label": 0, "source": f"train{suffix}"}
    assert data["validation"].features["label"].int2str(2) == "negative"


def test_missing_splits_are_carved_stratified_and_announced(tmp_path):
    write(tmp_path / "train.csv", ROWS * 4)
    data = load_dataset(str(tmp_path))
    assert data.num_rows == {"train": 96, "validation": 12, "test": 12}
    assert pd.Series(data["validation"]["label"]).value_counts().to_dict() == {0: 4, 1: 4, 2: 4}
    assert "carved" in data.notices[0]
    again = load_dataset(str(tmp_path))
    assert again["test"]["text"] == data["test"]["text"], "carving is seeded"


def test_shared_reviews_validation_only_folder_becomes_three_splits():
    if not SHARED_REVIEWS.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    data = load_dataset(str(SHARED_REVIEWS))
    assert data.num_rows == {"train": 2400, "validation": 300, "test": 300}
    assert "No train split" in data.notices[0]


def test_cp932_and_bom_files_are_read(tmp_path):
    assert read_file(write(tmp_path / "a.csv", encoding="cp932"))["text"][0] == "とても良い"
    assert read_file(write(tmp_path / "b.csv", encoding="utf-8-sig"))["text"][0] == "とても良い"


@pytest.mark.parametrize(
    ("rows", "columns", "message"),
    [
        ([("良い", "positive"), ("悪い", "bad")], ("text", "label"), "b.csv, row 2: unknown label 'bad'"),
        ([("良い", "positive"), ("悪い", "5")], ("text", "label"), "row 2: unknown label '5'"),
        ([("良い", "positive")], ("review", "label"), "b.csv has no text column"),
        ([("良い", "positive")], ("text", "stars"), "has no label column"),
        ([("良い", "positive"), ("  ", "neutral")], ("text", "label"), "b.csv, row 2: the text is empty"),
    ],
)
def test_bad_files_get_one_clear_error(tmp_path, rows, columns, message):
    path = write(tmp_path / "b.csv", rows, columns)
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        read_file(path)


def test_undecodable_bytes_are_named(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b"text,label\n\x85\x40\x81\x7f,positive\n")
    with pytest.raises(DataError, match=r"train\.csv is not UTF-8, cp932 \(Shift-JIS\) or EUC-JP"):
        load_dataset(str(tmp_path))


def test_too_few_rows_to_carve_splits(tmp_path):
    write(tmp_path / "train.csv", ROWS[:3])
    with pytest.raises(DataError, match="has only 3 rows: at least 10"):
        load_dataset(str(tmp_path))


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(DataError, match="No folder or file"):
        load_dataset(str(tmp_path / "nope"))
    with pytest.raises(DataError, match="has no data files"):
        load_dataset(str(tmp_path))


def test_offline_default_falls_back_to_sample_quickly():
    assert not hub_reachable()
    started = time.monotonic()
    data = load_dataset()
    assert time.monotonic() - started < 5
    assert data.source == "sample (bundled)"
    assert "can't be reached" in data.notices[0]


def test_offline_named_hub_dataset_is_an_error_not_a_swap():
    with pytest.raises(DataError, match="can't be reached"):
        load_dataset("someone/other-dataset")


def test_single_uploaded_file_becomes_a_dataset(tmp_path):
    path = tmp_path / "upload.jsonl"
    path.write_text("\n".join(json.dumps({"text": t, "label": label}) for t, label in ROWS * 2), encoding="utf-8")
    data = load_dataset(str(path))
    assert sum(data.num_rows.values()) == 60


def test_texts_longer_than_mecab_takes_safely_are_cut_when_loaded(tmp_path):
    from sentiment.text.limits import MAX_TEXT_CHARS

    long = "a" * 300_000
    data = load_dataset(str(write(tmp_path / "long.csv", [(long, "negative"), *ROWS])))
    assert max(len(text) for split in data.values() for text in split["text"]) == MAX_TEXT_CHARS
    assert any("longer than 10,000 characters and were cut" in notice for notice in data.notices)


def test_euc_jp_files_are_detected_not_read_as_mojibake(tmp_path):
    pairs = (f"とても良い商品でした{i},positive\n残念な対応でした{i},negative\n" for i in range(6))
    rows = "text,label\n" + "".join(pairs)
    path = tmp_path / "train.csv"
    path.write_bytes(rows.encode("euc_jp"))
    assert read_file(path)["text"][0] == "とても良い商品でした0"


def test_texts_of_nothing_but_control_or_zero_width_characters_are_empty(tmp_path):
    from sentiment.errors import UserError
    from sentiment.models.prediction import check_texts
    from sentiment.text.limits import cap_text

    for nothing in ("\x00\x00", "\u200b\u200b", "\x01 \x7f", "\ufeff"):
        with pytest.raises(UserError, match="is empty"):
            check_texts([nothing])
    assert cap_text("良い\x00悪い") == "良い 悪い", "MeCab would stop reading at the NUL"
    path = tmp_path / "train.csv"
    path.write_text("text,label\n\u200b,positive\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 1: the text is empty"):
        read_file(path)


def test_a_datasets_overview_is_made_once_and_shared_by_every_display(tmp_path):
    from sentiment.serving.studio import Studio

    studio = Studio(tmp_path / "runs")
    tokenizer = studio.models.length_tokenizer()
    first = studio.catalog.overview("sample", tokenizer)
    assert first.lengths["tokens"].notna().all()
    assert studio.catalog.overview("sample", tokenizer) is first, "a second display counts no tokens again"
