"""Every benchmark script runs on a tiny configuration and prints its JSON (timings are not checked).

Each script's `main(argv)` is called in the test process, as transformers' example tests call theirs: the script's
own code on the flags a person would type, without the 5-10 s of a new interpreter importing torch again. (What a
script itself starts as a process, it still starts: lesson_run.py's trainers, memory.py's app.)"""

import json

import pytest

from .conftest import SHARED_REVIEWS, bench_main

TINY = {
    "data_pipeline.py": ["--rows", "90", "--repeats", "1", "--num-proc", "1"],
    "training_throughput.py": [
        "--rows",
        "90",
        "--layers",
        "1",
        "--hidden",
        "64",
        "--source-steps",
        "1",
        "--our-steps",
        "2",
        "--batch-size",
        "4",
    ],
    "inference_latency.py": ["--rows", "90", "--layers", "1", "--hidden", "64", "--reviews", "6", "--bulk", "12"],
    "starter_quality.py": ["--rows", "150", "--max_steps", "2", "--starter_vocab_size", "500", "--seeds", "7", "8"],
    "teacher_cost.py": ["--sizes", "60", "120"],
    "input_cap.py": ["--lengths", "1000", "20000", "--crash-lengths", "1000", "--repeats", "1"],
    "methods.py": ["--rows", "90", "--layers", "1", "--hidden", "64", "--full-steps", "1", "--starter-steps", "2"],
    "why_budget.py": ["--rows", "90", "--layers", "1", "--hidden", "64", "--repeats", "1"],
    "why_precision.py": ["--rows", "120", "--layers", "1", "--hidden", "64", "--texts", "1", "--repeats", "1"],
    "memory.py": ["--rows", "90", "--layers", "1", "--hidden", "64", "--classifications", "3", "--train-steps", "2"],
    "tokenizer_lab.py": ["--rows", "90", "--repeats", "2"],
    "label_noise.py": ["--rows", "150", "--epochs", "1"],
    "first_head_run.py": ["--rows", "120", "--layers", "1", "--hidden", "64"],
    "window_prep.py": ["--rows", "90", "--repeat", "2"],
    "inside_bert.py": ["--rows", "120", "--layers", "1", "--hidden", "64", "--repeats", "1"],
    "lesson_run.py": ["--repeats", "1", "--max_steps", "2"],
    "label_fixes.py": ["--rows", "150"],
    "text_flood.py": ["--texts", "2", "--rows", "90", "--layers", "2", "--hidden", "64"],
}

pytestmark = pytest.mark.skipif(not SHARED_REVIEWS.is_dir(), reason="../shared/data is not beside this checkout")


@pytest.mark.parametrize("script", list(TINY))
def test_benchmark_runs_tiny(script, as_a_script, capsys):
    bench_main(script)(TINY[script])
    printed = capsys.readouterr().out
    report = json.loads(printed[printed.index("{\n") :])
    assert report["benchmark"] == script.removesuffix(".py")
    assert report["machine"]["cores"] >= 1
