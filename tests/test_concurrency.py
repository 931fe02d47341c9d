"""Every shared thing gives, under concurrent requests, exactly what it gives alone."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sentiment.corpus.loading import SAMPLE
from sentiment.serving.studio import Studio

ADJECTIVES = ("最高の", "ひどい", "普通の", "悪くない")
TEXTS = [f"{adjective}{thing}でした。" for adjective in ADJECTIVES for thing in ("商品", "対応")]


@pytest.mark.slow
def test_concurrent_explanations_equal_the_same_explanations_made_alone(app_runs):
    """"Why?" hooks the model's embedding layer; two at once on one model used to return each other's scores."""
    run = next(path.name for path in app_runs.iterdir() if (path / "metrics.json").is_file())
    together = Studio(app_runs)
    with ThreadPoolExecutor(max_workers=len(TEXTS)) as pool:
        concurrent = list(pool.map(lambda text: together.analyses.attribution(run, text), TEXTS))
    alone = Studio(app_runs)  # a fresh studio: nothing cached
    for text, answer in zip(TEXTS, concurrent, strict=True):
        expected = alone.analyses.attribution(run, text)
        assert answer.label == expected.label and answer.tokens == expected.tokens
        assert max(abs(a - b) for a, b in zip(answer.token_scores, expected.token_scores, strict=True)) < 1e-4


@pytest.mark.slow
def test_one_visitor_loading_a_big_upload_does_not_block_another_visitors_classify(app_runs, tmp_path, monkeypatch):
    """The upload is held in the middle of its reading (an event, not a guess at how long reading takes) until
    another visitor's classify has been answered: a lock the upload held would leave that classify waiting."""
    from sentiment.serving import catalog

    run = next(path.name for path in app_runs.iterdir() if (path / "metrics.json").is_file())
    studio = Studio(app_runs)
    classifier = studio.models.classifier(run)  # loaded once, before the upload arrives
    reading, answered = threading.Event(), threading.Event()
    read = catalog.load_dataset

    def read_until_classify_is_answered(*args, **kwargs):
        reading.set()
        answered.wait(120)
        return read(*args, **kwargs)

    monkeypatch.setattr(catalog, "load_dataset", read_until_classify_is_answered)
    upload = tmp_path / "upload.csv"
    upload.write_text("text,label\n" + "".join(f"レビュー{i}は良い,positive\n" for i in range(1_000)), encoding="utf-8")
    loading = threading.Thread(target=studio.catalog.save_upload, args=(upload,))
    loading.start()
    assert reading.wait(60), "the upload never began to be read"
    answers = []
    classify = threading.Thread(target=lambda: answers.append(studio.models.classifier(run).predict(["良い"])))
    classify.start()
    classify.join(60)
    in_time, held = list(answers), loading.is_alive()  # before the upload is let go
    answered.set()
    loading.join(60)
    assert in_time, "classify waited for the upload to be read"
    assert held and in_time[0][0].label in classifier.label_names
    assert studio.catalog.dataset(SAMPLE)["train"].num_rows > 0
