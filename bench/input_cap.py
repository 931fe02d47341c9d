"""Why every text is cut to MAX_TEXT_CHARS before MeCab, and what a cut text costs.

(a) MeCab, run bare in a child process on runs of one character: the lengths at which it crashes
    (exit by signal) instead of answering. The app must never give it such a text.
(b) The worst a request can ask once texts are cut: `explain()` (the Tokenizer tab, on every keystroke)
    and one classification, on texts of 1,000 characters up to 300,000 (cut to MAX_TEXT_CHARS), median
    of `--repeats`.

    python bench/input_cap.py
    python bench/input_cap.py --lengths 1000 20000 --crash-lengths 1000 --repeats 1   # a tiny run (tests)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from common import bert_run, emit, machine, median_seconds, reviews

MECAB = """
import sys
from sentiment.text.tokenization import _mecab_tokenizer
print(len(_mecab_tokenizer().tokenize(sys.argv[2] * int(sys.argv[1]))))
"""


def mecab_survives(length: int, character: str) -> bool:
    """Whether bare MeCab (no cap) answers on `length` repeats of `character`, in a child process."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", MECAB, str(length), character], cwd=root, capture_output=True, timeout=600
    )
    return result.returncode == 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crash-lengths", type=int, nargs="+", default=[100_000, 150_000, 160_000, 200_000, 300_000])
    parser.add_argument("--lengths", type=int, nargs="+", default=[1_000, 10_000, 300_000])
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args(argv)

    from sentiment.insight.inference import Classifier
    from sentiment.text.limits import MAX_TEXT_CHARS
    from sentiment.text.tokenization import explain

    crashes = {
        name: {
            f"{length:,}": "answers" if mecab_survives(length, character) else "crashes"
            for length in options.crash_lengths
        }
        for name, character in (("ascii 'a'", "a"), ("hiragana 'あ'", "あ"))
    }
    review = " ".join(reviews(30)["text"])
    with tempfile.TemporaryDirectory() as scratch:
        classifier = Classifier(bert_run(Path(scratch) / "run", reviews(300)["text"].tolist(), layers=2, hidden=256))
        timings = {}
        for name, unit in (("ascii 'a'", "a"), ("Japanese reviews", review)):
            for length in options.lengths:
                text = (unit * (length // len(unit) + 1))[:length]
                tokenizing, _ = median_seconds(lambda text=text: explain(classifier.tokenizer, text), options.repeats)
                classifying, _ = median_seconds(lambda text=text: classifier.predict([text]), options.repeats)
                timings[f"{name}, {length:,} characters"] = {
                    "explain_ms": round(tokenizing * 1000, 1),
                    "classify_ms": round(classifying * 1000, 1),
                }
    emit(
        {
            "benchmark": "input_cap",
            "machine": machine(),
            "max_text_chars": MAX_TEXT_CHARS,
            "bare_mecab": crashes,
            "cut_texts_median": timings,
        }
    )


if __name__ == "__main__":
    main()
