"""The app's endpoints, driven with gradio_client against `python app.py` as a remote script would."""

import json
import re
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from sentiment.insight.inference import Classifier
from sentiment.serving.pool import STARTER_TOKENIZER

from .conftest import (
    TOKENIZER_EXAMPLE,
    served_app,
    start_training,
    training_step_recorded,
    wait_for_training,
    wait_until,
)


def test_every_event_a_script_may_call_is_named(client):
    endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert endpoints == {
        "/load_dataset",
        "/upload_dataset",
        "/keep_label",
        "/change_label",
        "/notebook",
        "/download_corrected",
        "/load_server_decisions",
        "/forget_decisions",
        "/save_decisions",
        "/retrain_corrected",
        "/compare_retrain",
        "/dataset_page",
        "/tokenize",
        "/compare_tokenizers",
        "/tokenizer_stats",
        "/wordpiece",
        "/vocabulary",
        "/start_training",
        "/stop_training",
        "/training_status",
        "/evaluate",
        "/cell_examples",
        "/slice_metrics",
        "/data_map",
        "/data_map_region",
        "/model_card",
        "/suspects",
        "/compare_runs",
        "/model_map",
        "/layer_probe",
        "/explain",
        "/layers",
        "/what_if",
        "/classify",
        "/classify_batch",
    }


def test_offline_notice_is_on_the_page(app_url):
    config = urllib.request.urlopen(app_url + "config").read().decode("utf-8")
    assert "can't be reached" in config and "sample" in config


def test_tokenize_shows_both_stages(client):
    counts, words, pieces, specials, round_trip, table, pair = client.predict(
        STARTER_TOKENIZER, TOKENIZER_EXAMPLE, None, "短い", api_name="/tokenize"
    )
    assert "MeCab words" in counts
    assert "機械" in words and "名詞" in words
    assert 'class="tok cont"' in pieces, "## continuations are drawn joined to their word"
    assert "[CLS]" in pieces and "[SEP]" in pieces
    assert "[CLS]" in specials and "[PAD]" in specials
    assert "コ ##ア" not in round_trip and "コア" in round_trip
    assert table["headers"][:5] == ["index", "token", "input_id", "attention_mask", "token_type_id"]
    assert "mask 0" in pair and "[PAD]" in pair, "the shorter text of the pair is padded"
    cut = client.predict(STARTER_TOKENIZER, TOKENIZER_EXAMPLE, 8, "短い", api_name="/tokenize")
    assert "✂" in cut[2] and "truncated at 8" in cut[0]


def test_dataset_summary_filter_search_and_paging(client):
    loaded = client.predict("sample", api_name="/load_dataset")
    summary = loaded[1]
    assert [row[:2] for row in summary["data"]] == [["train", 249], ["validation", 30], ["test", 30]]
    assert "ClassLabel(positive, neutral, negative)" in summary["data"][0][2]
    rows, caption, page = client.predict("train", "negative", "", 1, api_name="/dataset_page")
    assert {row[2] for row in rows["data"]} == {"negative"} and len(rows["data"]) == 20
    assert "83 matching rows" in caption and page == 1
    rows, caption, _ = client.predict("train", "all", "最悪", 1, api_name="/dataset_page")
    assert rows["data"] and all("最悪" in row[1] for row in rows["data"])
    _, caption, page = client.predict("train", "all", "", 999, api_name="/dataset_page")
    assert page == 13 and caption.startswith("Page 13 of 13")


def test_uploads_are_checked_on_the_server(client, tmp_path):
    from gradio_client import handle_file

    good = tmp_path / "reviews.csv"
    good.write_text(
        "text,label\n" + "".join(f"良い{i},positive\n普通{i},neutral\n悪い{i},negative\n" for i in range(10)),
        encoding="cp932",
    )
    source, note, _ = client.predict(handle_file(str(good)), api_name="/upload_dataset")
    assert source.startswith("upload: reviews-") and source.endswith(".csv"), "a label, not a server path"
    assert "Not loaded" not in note and "at least 10 rows" in note, "the rules are stated before they are broken"
    assert client.predict(source, api_name="/load_dataset")[1]["data"][0][:2] == ["train", 24]
    # Each way a file can't be used has its own sentence, beside a picker left as it was (no error takes its place).
    files = {
        "bad.csv": ("review,label\nひどい,negative\n", "utf-8", r"bad\.csv has no text column"),
        "unknown.csv": ("text,label\nひどい,terrible\n", "utf-8", "unknown label 'terrible'"),
        "empty.csv": ("", "utf-8", r"empty\.csv is empty"),
        "few.csv": ("text,label\n" + "良い,positive\n" * 4, "utf-8", "has only 4 rows: at least 10"),
        "latin.csv": ("text,label\n" + "très bon ½,positive\n" * 12, "utf-16", "is not UTF-8, cp932"),
    }
    for name, (content, encoding, expected) in files.items():
        path = tmp_path / name
        path.write_text(content, encoding=encoding)
        kept, note, cleared = client.predict(handle_file(str(path)), api_name="/upload_dataset")
        assert re.search(expected, note) and note.startswith("⚠ Not loaded"), (name, note)
        assert cleared is None and kept != source, f"{name}: the Source picker is left as it was"


def test_classify_gives_probabilities_and_refuses_empty_text(client, trained_run):
    label, info = client.predict(trained_run.name, "このホテルは最高でした！", api_name="/classify")
    assert label["label"] in ("positive", "neutral", "negative")
    assert abs(sum(item["confidence"] for item in label["confidences"]) - 1) < 1e-4
    assert " ms" in info and "✂" not in info, "a short text is read whole"
    assert label["label"] == Classifier(trained_run).predict("このホテルは最高でした！")[0].label
    for text in ("", "   \n ", "\x00\u200b"):
        with pytest.raises(AppError, match="is empty"):
            client.predict(trained_run.name, text, api_name="/classify")
    with pytest.raises(AppError, match="no trained run yet"):
        client.predict(None, "良い", api_name="/classify")
    _, long_info = client.predict(trained_run.name, "とても良い" * 300, api_name="/classify")
    assert "✂" in long_info


def test_classify_batch_lines(client, trained_run):
    table, download = client.predict(trained_run.name, "良い\n\n悪い\n普通", None, api_name="/classify_batch")
    assert Path(download).read_text(encoding="utf-8").startswith("text,label,p_positive")
    assert [row[0] for row in table["data"]] == ["良い", "悪い", "普通"]
    assert table["headers"] == ["text", "label", "p_positive", "p_neutral", "p_negative", "truncated"]
    with pytest.raises(AppError, match="no text to classify"):
        client.predict(trained_run.name, "  \n ", None, api_name="/classify_batch")


def test_evaluate_and_the_examples_behind_a_cell(client, trained_run):
    summary, per_class, heatmap, matrix, worst, download = client.predict(
        trained_run.name, "test", "counts", api_name="/evaluate"
    )
    assert "Accuracy" in summary and "30 examples (test)" in summary
    assert [row[0] for row in per_class["data"]] == ["positive", "neutral", "negative"]
    assert json.loads(heatmap["plot"])["data"][0]["type"] == "heatmap"
    assert matrix["headers"] == ["true \\ predicted", "positive", "neutral", "negative"]
    for row in matrix["data"]:
        for predicted, cell in zip(("positive", "neutral", "negative"), row[1:], strict=True):
            count = int(cell.split(" ")[0])
            caption, examples = client.predict(trained_run.name, "test", row[0], predicted, api_name="/cell_examples")
            assert len(examples["data"]) == count and f"**{count:,}** examples" in caption
            assert all(e[1] == row[0] and e[2] == predicted for e in examples["data"])
    assert len(Path(download).read_text(encoding="utf-8").splitlines()) == 31
    losses = [row[-1] for row in worst["data"]]
    assert losses == sorted(losses, reverse=True)


@pytest.mark.parametrize("name", ["../outside", "/etc", "..", "nonexistent-run"])
def test_runs_resolve_only_inside_the_runs_folder(client, name):
    with pytest.raises(AppError, match=r"not a run name|no finished run"):
        client.predict(name, "validation", "counts", api_name="/evaluate")


def test_training_start_queue_stop_and_restart_across_two_apps_on_one_runs_folder(client, app_runs, stand_in_trainer):
    """One runs folder, one trainer: a second app on it (a restart that overlaps, a second worker) sees the
    first app's run, queues its own start behind it instead of training beside it, and either app may stop it.
    The first app's run is the stand-in trainer; the second app (a process of its own) trains its run for real."""
    wait_for_training(client)
    with served_app(app_runs, log_name="second-app.log") as second_url:
        second = Client(second_url, verbose=False)
        # Ten thousand epochs: only the Stop below ends it, however fast the machine.
        assert start_training(client, "to-stop", 10_000) == "to-stop"
        assert "to-stop" in wait_for_training(second, states=("running",), timeout=60)
        assert start_training(second, "queued-next", 1) == "queued-next", "a second start waits in the queue"
        progress = wait_for_training(second, states=("running",))
        assert "to-stop" in progress and "queued-next" in progress
        wait_until(lambda: training_step_recorded(app_runs / "to-stop"), 120, "the first optimiser step")
        assert not (app_runs / "queued-next.partial").exists(), "it waits for the other app's trainer"
        assert "Stopped to-stop" in client.predict("", api_name="/stop_training")
        assert not (app_runs / "to-stop").exists() and not (app_runs / "to-stop.partial").exists()
        assert "queued-next" in wait_for_training(second, states=("finished", "failed"), timeout=240)
    assert not (app_runs / "queued-next.partial").exists()
    assert "Finished" in wait_for_training(client, states=("finished",), timeout=10), "both apps see it end"
    summary, *_ = client.predict("queued-next", "validation", "counts", api_name="/evaluate")
    assert "30 examples (validation)" in summary
    with pytest.raises(AppError, match="already exists"):
        start_training(client, "queued-next", 2)
    assert "Nothing is training" in client.predict("", api_name="/stop_training"), "a calm sentence, not an error"


def test_the_two_methods_and_the_baseline_side_by_side(client, app_runs, trained_run):
    """Head-only and baseline runs started from the page load in Classify and compare with a full run."""
    for name, method in (("head-only", "head"), ("baseline", "ngram")):
        wait_for_training(client)
        assert start_training(client, name, method=method) == name
        assert "Finished" in wait_for_training(client, states=("finished", "failed"))
        label, _ = client.predict(name, "このホテルは最高でした！", api_name="/classify")
        assert abs(sum(item["confidence"] for item in label["confidences"]) - 1) < 1e-4
    runs = [trained_run.name, "head-only", "baseline"]
    caution, table, plot = client.predict(runs, "validation", "counts", api_name="/compare_runs")
    assert [row[:2] for row in table["data"]] == [
        [trained_run.name, "full"],
        ["head-only", "head"],
        ["baseline", "ngram"],
    ]
    assert "f1_neutral" in table["headers"] and not caution
    for row in table["data"]:  # each run evaluated again on the split it was validated on: its recorded figures
        shown = dict(zip(table["headers"], row, strict=True))
        recorded = json.loads((app_runs / shown["run"] / "metrics.json").read_text(encoding="utf-8"))
        assert shown["f1_weighted"] == round(recorded["f1_weighted"], 4), shown["run"]
        assert shown["train_seconds"] == recorded["train_seconds"] and shown["examples"] == recorded["examples"]
    heatmaps = [trace for trace in json.loads(plot["plot"])["data"] if trace["type"] == "heatmap"]
    assert len(heatmaps) == 3
    with pytest.raises(AppError, match="No runs are chosen"):
        client.predict([], "validation", "counts", api_name="/compare_runs")


def test_why_a_prediction_was_made_and_the_models_view(client, trained_run):
    caption, words, tokens = client.predict(trained_run.name, "最高のホテルでした", "negative", api_name="/explain")
    # (after the weak-model sentence, where the shared runs folder holds a better baseline by now)
    assert "Why **negative**" in caption and "最高" in words and "[CLS]" in tokens
    predicted, *_ = client.predict(trained_run.name, "最高のホテルでした", "predicted", api_name="/explain")
    assert "Why **" in predicted
    # The value scripts sent before it became plain "predicted" is still taken, for one release.
    former, *_ = client.predict(trained_run.name, "最高のホテルでした", "predicted / 予測", api_name="/explain")
    assert former == predicted
    with pytest.raises(AppError, match="There is no class “happy” to explain"):
        client.predict(trained_run.name, "最高のホテルでした", "happy", api_name="/explain")
    with pytest.raises(AppError, match="no-such-run"):
        client.predict("no-such-run", "最高のホテルでした", "predicted", api_name="/explain")
    with pytest.raises(AppError, match="is empty"):
        client.predict(trained_run.name, "  ", "predicted", api_name="/explain")
    before, after = client.predict(trained_run.name, "validation", api_name="/model_map")
    for figure in (before, after):
        points = sum(len(trace["x"]) for trace in json.loads(figure["plot"])["data"])
        assert points == 30, "one point per review of the split"


def test_the_page_says_plainly_when_a_run_gets_an_example_wrong(client, trained_run):
    from sentiment.ui.classify_tab import EXAMPLE_LABELS

    for text, expected in EXAMPLE_LABELS.items():
        label, info = client.predict(trained_run.name, text, api_name="/classify")
        assert ("gets this example wrong" in info) == (label["label"] != expected), (text, label["label"])
        assert "accuracy on its validation split" in info


def test_an_upload_over_the_size_limit_is_refused_by_the_server(app_url):
    """The browser refuses a file over MAX_UPLOAD_MB before sending it; a script posting one is refused too."""
    import urllib.error

    from sentiment.text.limits import MAX_UPLOAD_MB

    boundary = "studio-test"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.csv"\r\n\r\ntext,label\r\n'
    body = head.encode() + b"a,0\r\n" * (MAX_UPLOAD_MB * 2**20 // 5 + 1000) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        app_url + "gradio_api/upload", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 413, refused.value.read()
