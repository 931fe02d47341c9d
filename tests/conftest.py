"""Shared fixtures. Every test runs offline: no Hub, the bundled sample and the starter model."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SHARED_REVIEWS = ROOT.parent / "shared" / "data" / "multilingual-sentiments-ja"
TOKENIZER_EXAMPLE = (
    "機械学習のコア部分のロジックを、定型的な実装部分から切り離して定義できるようなインターフェースに工夫されています。"
)


def run_cli(*args: str, stdin: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a command line of the project as a user would, from the repository root."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A starter model trained for a few steps on the sample through `train.py`."""
    output = tmp_path_factory.mktemp("runs") / "starter-sample"
    result = run_cli(
        "train.py",
        "--dataset",
        "sample",
        "--model",
        "starter",
        "--output",
        str(output),
        "--max_steps",
        "24",
        "--logging_steps",
        "4",
        "--starter_vocab_size",
        "3000",
    )
    assert result.returncode == 0, result.stderr
    return output
