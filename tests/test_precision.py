"""Precision: what `--precision` resolves to on each device, and bf16 head features that predict as fp32's do.

Nothing here depends on timings: bf16 is emulated (slowly) on a CPU without bf16 instructions, and the
results must agree all the same.
"""

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

import sentiment.models.precision as precision
from sentiment.models.precision import cpu_has_bf16, resolve_precision
from sentiment.run_files import PREDICTIONS_FILE
from sentiment.training.config import TrainConfig
from sentiment.training.trainer import TrainingError, _precision, train

from .conftest import SHARED_REVIEWS, run_cli

# bf16 keeps 8 significant bits, so each matrix product's inputs are rounded by up to 0.4%, and the pooled
# features of the 2-layer starter differ from fp32's by about that much. A prediction can flip only where the
# head's two best logits are that close: at most one of the sample's 30 validation reviews. A broken bf16 path
# (rows out of order, another layer's output, NaNs) agrees on about a third, as chance does with three labels.
AGREEMENT = 0.95


def test_explicit_precisions_are_kept_and_fp16_needs_a_gpu():
    assert resolve_precision("fp32", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"
    assert resolve_precision("fp16", "cuda") == "fp16"
    with pytest.raises(ValueError, match="fp16 needs a GPU"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("fp8", "cpu")


def test_auto_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    assert resolve_precision("auto", "cpu") == "bf16"
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    assert resolve_precision("auto", "cpu") == "fp32"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert resolve_precision("auto", "cuda") == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    assert resolve_precision("auto", "cuda") == "fp16"


@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="reads /proc/cpuinfo")
def test_the_cpu_probe_agrees_with_proc_cpuinfo(monkeypatch):
    """torch's probes and the kernel's flags name the same bf16 instructions (the fallback is the flags)."""
    probed = cpu_has_bf16.__wrapped__()
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    assert cpu_has_bf16.__wrapped__() == probed


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU's choices")
def test_training_auto_gives_the_head_bf16_where_the_cpu_has_it_and_keeps_full_fine_tuning_fp32():
    assert _precision("auto", "head") == ("bf16" if cpu_has_bf16() else "fp32")
    assert _precision("auto", "full") == "fp32"
    assert _precision("bf16", "full") == "bf16" and _precision("fp32", "head") == "fp32"
    with pytest.raises(TrainingError, match="fp16 needs a GPU"):
        _precision("fp16", "head")


def test_head_features_in_bf16_predict_as_fp32_does(trained_run, tmp_path):
    """Two head runs on the trained starter's encoder, one per precision: the same predictions on the sample's
    validation split (each run fits its own head on its own features)."""
    runs = {}
    for name in ("fp32", "bf16"):
        output = tmp_path / f"head-{name}"
        train(TrainConfig(dataset="sample", model=str(trained_run), method="head", precision=name, output=str(output)))
        runs[name] = pd.read_csv(output / PREDICTIONS_FILE).set_index("text")
        assert json.loads((output / "train_config.json").read_text(encoding="utf-8"))["precision"] == name
    # The training features per precision, the validation and test splits' once: a head run reads them in fp32
    # either way.
    assert len(list((tmp_path / ".features").glob("*.npy"))) == 4
    fp32, bf16 = runs["fp32"], runs["bf16"].loc[runs["fp32"].index]
    agreement = (fp32["predicted"] == bf16["predicted"]).mean()
    assert agreement >= AGREEMENT, f"bf16 and fp32 heads agree on {agreement:.1%} of the validation reviews"
    accuracy = {name: (rows["predicted"] == rows["gold"]).mean() for name, rows in runs.items()}
    assert abs(accuracy["bf16"] - accuracy["fp32"]) <= 1 - AGREEMENT + 1e-9


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_REVIEWS.is_dir(), reason="../shared/data is not beside this checkout")
def test_feature_speed_bench_prints_its_figures_last():
    result = run_cli("bench/feature_speed.py", "--tiny", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["benchmark"] == "feature_speed" and report["reviews"] == 24
    assert set(report["variants"]) == {"fp32", "bf16", "int8"}
    assert all(variant["reviews_per_second"] > 0 for variant in report["variants"].values())
    assert report["bf16_over_fp32"] > 0
