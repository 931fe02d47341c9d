"""What the app writes under a runs folder on a Storage Bucket, checked against hf-mount's rules (tests/hf_mount.py:
a file is uploaded when it is closed, fsync does nothing, a rename is an add then a delete) with the writer killed
(kill -9) at every step the bucket sees, one step a run: whatever the step, a later reader finds the old state or the
new one, never half of it. Not emulated: stale reads and per-mount locks (README, "Runs that outlive a restart")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sentiment.run_files import METRICS_FILE
from sentiment.serving.catalog import Catalog
from sentiment.serving.deployment import Deployment
from sentiment.serving.runbook import RunBook
from sentiment.training.runs import list_runs

from .conftest import ROOT

pytestmark = pytest.mark.slow
PRELUDE = (
    "import sys; sys.path.insert(0, sys.argv[1]); import tests.hf_mount as bucket; bucket.install()\n"
    "from pathlib import Path\n"
    "runs = Path(sys.argv[2])\n"
)
# The server's catalogue of datasets on that runs folder, and the sample as it loads it.
CATALOG = PRELUDE + (
    "from sentiment.corpus.corrections import Overlay\n"
    "from sentiment.serving.catalog import Catalog\n"
    "from sentiment.serving.deployment import Deployment\n"
    "from sentiment.serving.runbook import RunBook\n"
    "catalog = Catalog(runs, 'sample', Deployment(), RunBook(runs))\n"
)
SAVE_DECISION = CATALOG + (
    "data = catalog.dataset('sample')\n"
    "catalog.keep_decisions('sample', Overlay().decided(data, 'train', int(sys.argv[3]), 'negative', 'reader'))\n"
)
PUBLISH = PRELUDE + (
    "from sentiment.run_files import partial_dir, publish\npublish(Path(sys.argv[3]), runs / 'copied')\n"
)
SAVE_CORRECTED = CATALOG + (
    "data = catalog.dataset('sample')\n"
    "label = next(name for name in data.label_names if name != data.label_names[data['train'][0]['label']])\n"
    "print(catalog.save_corrected('sample', 'japanese', Overlay().decided(data, 'train', 0, label, 'reader')))\n"
)
SAVE_UPLOAD = CATALOG + "print(catalog.save_upload(sys.argv[3]))\n"


def on_the_bucket(tmp_path: Path, script: str, *args: str, kill_at: int = 0) -> list[str]:
    """Run `script` under the bucket's rules at tmp_path/bucket, killed at step `kill_at` (0: never); the steps."""
    log = tmp_path / f"steps-{kill_at}.log"
    log.unlink(missing_ok=True)
    staging = tmp_path / "staging"
    staging.mkdir(exist_ok=True)
    environment = {
        **os.environ,
        "STORAGE_BUCKET_PATH": str(tmp_path / "bucket"),
        "HF_MOUNT_ROOT": str(tmp_path / "bucket"),
        "HF_MOUNT_STAGING": str(staging),
        "HF_MOUNT_LOG": str(log),
        "HF_MOUNT_KILL_AT": str(kill_at),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT), str(tmp_path / "bucket" / "runs"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == (137 if kill_at else 0), done.stderr[-3000:]
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def reader(runs: Path) -> Catalog:
    return Catalog(runs, "sample", Deployment(), RunBook(runs))


def test_a_save_of_decisions_killed_at_any_step_leaves_the_old_decisions_or_the_new(tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(tmp_path / "bucket"))
    runs = tmp_path / "bucket" / "runs"
    runs.mkdir(parents=True)
    on_the_bucket(tmp_path, SAVE_DECISION, "0")  # the server's decisions before: row 0
    before = reader(runs).server_decisions("sample").as_dict()
    pristine = tmp_path / "pristine"
    shutil.copytree(runs, pristine)
    steps = on_the_bucket(tmp_path, SAVE_DECISION, "1")
    assert steps, "the save changed the bucket"
    for step in range(1, len(steps) + 1):
        shutil.rmtree(runs)
        shutil.copytree(pristine, runs)
        on_the_bucket(tmp_path, SAVE_DECISION, "1", kill_at=step)
        after = reader(runs).server_decisions("sample").as_dict()
        assert set(before) <= set(after), f"killed at {steps[step - 1]}: the decisions before were lost"
        assert len(after) in (len(before), len(before) + 1), f"killed at {steps[step - 1]}"


def test_two_replicas_saving_decisions_at_once_lose_none(tmp_path, monkeypatch):
    """Two replicas of a Space share the bucket but not a lock (nor a memory), and each reads the other's writes
    late: two processes, each saving 15 decisions one at a time under the bucket's rules, at once; all 30 stand."""
    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(tmp_path / "bucket"))
    runs = tmp_path / "bucket" / "runs"
    runs.mkdir(parents=True)
    script = SAVE_DECISION.replace(
        "catalog.keep_decisions('sample', Overlay().decided(data, 'train', int(sys.argv[3]), 'negative', 'reader'))",
        "for row in range(int(sys.argv[3]), int(sys.argv[3]) + 15):\n"
        "    catalog.keep_decisions('sample', Overlay().decided(data, 'train', row, 'negative', 'reader'))",
    )
    staging = tmp_path / "staging"
    staging.mkdir()
    environment = {
        **os.environ,
        "STORAGE_BUCKET_PATH": str(tmp_path / "bucket"),
        "HF_MOUNT_ROOT": str(tmp_path / "bucket"),
        "HF_MOUNT_STAGING": str(staging),
        "HF_MOUNT_LOG": str(tmp_path / "steps.log"),
        "HF_MOUNT_STALE_SECONDS": "30",  # what one replica wrote reads as before in the other for 30 s
    }
    replicas = [
        subprocess.Popen([sys.executable, "-c", script, str(ROOT), str(runs), str(first)], env=environment)
        for first in (0, 15)
    ]
    assert [replica.wait(timeout=300) for replica in replicas] == [0, 0]
    assert len(reader(runs).server_decisions("sample").as_dict()) == 30, "a replica's save overwrote the other's"


def test_a_run_copied_into_the_bucket_killed_at_any_step_is_no_run_or_the_whole_run(tmp_path, trained_run):
    runs = tmp_path / "bucket" / "runs"
    runs.mkdir(parents=True)
    local = tmp_path / "local" / "copied.partial"
    shutil.copytree(trained_run, local)
    steps = on_the_bucket(tmp_path, PUBLISH, str(local))
    assert steps[-1].endswith(METRICS_FILE), "metrics.json is uploaded last"
    files = sorted(path.relative_to(trained_run) for path in trained_run.rglob("*") if path.is_file())
    for step in range(1, len(steps) + 1):
        shutil.rmtree(runs)
        runs.mkdir()
        shutil.rmtree(local, ignore_errors=True)
        shutil.copytree(trained_run, local)
        on_the_bucket(tmp_path, PUBLISH, str(local), kill_at=step)
        listed = [run.name for run in list_runs(runs)]
        assert listed == [], f"killed at {steps[step - 1]}: a run without its metrics is listed"
    shutil.rmtree(runs)
    runs.mkdir()
    on_the_bucket(tmp_path, PUBLISH, str(local))
    copied = sorted(path.relative_to(runs / "copied") for path in (runs / "copied").rglob("*") if path.is_file())
    assert copied == files and [run.name for run in list_runs(runs)] == ["copied"]


def test_an_upload_killed_at_any_step_is_no_dataset_or_the_whole_file(tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(tmp_path / "bucket"))
    runs = tmp_path / "bucket" / "runs"
    runs.mkdir(parents=True)
    upload = tmp_path / "reviews.csv"
    lines = ["text,label"] + [f"レビュー{i}はとても良かった,positive" for i in range(30)]
    lines += [f"レビュー{i}は最悪だった,negative" for i in range(30)]
    upload.write_text("\n".join(lines) + "\n", encoding="utf-8")
    steps = on_the_bucket(tmp_path, SAVE_UPLOAD, str(upload))
    assert steps
    for step in range(1, len(steps) + 1):
        shutil.rmtree(runs)
        runs.mkdir()
        on_the_bucket(tmp_path, SAVE_UPLOAD, str(upload), kill_at=step)
        kept = (
            [path for path in (runs / ".uploads").rglob("*") if path.is_file()] if (runs / ".uploads").exists() else []
        )
        for path in kept:
            assert path.name.endswith(".partial") or path.read_bytes() == upload.read_bytes(), (
                f"killed at {steps[step - 1]}: {path.name} is half an upload under a dataset's name"
            )


def test_a_corrected_copy_killed_at_any_step_is_no_dataset_or_the_whole_one(tmp_path, monkeypatch):
    """A corrected copy is a folder: a bucket renames one file by file, so it is made locally and copied in with its
    mark of completion last; a folder without the mark is no dataset, and the next copy writes it again."""
    from sentiment.errors import UserError

    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(tmp_path / "bucket"))
    runs = tmp_path / "bucket" / "runs"
    runs.mkdir(parents=True)
    steps = on_the_bucket(tmp_path, SAVE_CORRECTED)
    choice = next(name for name in (runs / ".uploads").iterdir() if name.name.endswith("-corrected"))
    whole = {split: len(rows) for split, rows in reader(runs).dataset("upload: " + choice.name).items()}
    for step in range(1, len(steps) + 1):
        shutil.rmtree(runs)
        runs.mkdir()
        on_the_bucket(tmp_path, SAVE_CORRECTED, kill_at=step)
        try:
            found = {split: len(rows) for split, rows in reader(runs).dataset("upload: " + choice.name).items()}
        except UserError:
            continue  # no dataset: the next copy writes it again
        assert found == whole, f"killed at {steps[step - 1]}: half a dataset is offered"
    assert steps[-1].endswith(".complete"), "the mark of completion is the last file the bucket gets"
    on_the_bucket(tmp_path, SAVE_CORRECTED)  # after the last kill, a copy completes what is left
    assert {split: len(rows) for split, rows in reader(runs).dataset("upload: " + choice.name).items()} == whole
