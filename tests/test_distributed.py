"""`train.py` unchanged under torchrun: two CPU processes (gloo), one model folder."""

import os
import subprocess
import sys

from transformers import AutoModelForSequenceClassification

from sentiment.run_files import partial_dir

from .conftest import ROOT, free_port, starter_on_sample


def test_two_processes_train_one_model(tmp_path):
    output = tmp_path / "ddp-run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            f"--master_port={free_port()}",
            "train.py",
            *starter_on_sample(output, steps=4),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("saved ") == 1, "only rank 0 writes the run"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ddp-run"]
    assert not partial_dir(output).exists()
    model = AutoModelForSequenceClassification.from_pretrained(output)
    assert model.config.id2label == {0: "positive", 1: "neutral", 2: "negative"}
    progress = (output / "progress.jsonl").read_text().splitlines()
    assert '"total_steps": 4' in progress[-2] or any('"step": 4' in line for line in progress)
