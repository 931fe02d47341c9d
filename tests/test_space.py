"""A Space's runs folder: kept on a Storage Bucket at /data, or lost at restart; and what a bucket mount needs.

A bucket is object storage mounted with FUSE: it renames a folder file by file and uploads a file on close. So
a run bound for it is written in a local work folder and copied in with metrics.json last (run_files.py).
"""

import json
import os
import shutil
import subprocess
import time

import pytest

from sentiment.run_files import METRICS_FILE, on_bucket, partial_dir, work_root
from sentiment.serving.studio import LOST_AT_RESTART, OFFLINE_NOTICE, Studio
from sentiment.training.active_run import ACTIVE_FILE
from sentiment.training.config import TrainConfig
from sentiment.training.jobs import TrainingJob
from sentiment.training.runs import list_runs
from sentiment.training.trainer import train


def test_a_space_without_a_bucket_says_its_runs_are_lost_at_restart(tmp_path, monkeypatch):
    assert Studio(tmp_path / "local").notices == [OFFLINE_NOTICE], "off a Space, runs are the owner's own disk"
    monkeypatch.setenv("SPACE_ID", "someone/studio")
    assert Studio(tmp_path / "runs").notices == [OFFLINE_NOTICE, LOST_AT_RESTART]
    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(tmp_path / "data"))
    assert Studio(tmp_path / "data" / "runs").notices == [OFFLINE_NOTICE]


def test_a_run_bound_for_a_bucket_is_written_locally_and_copied_in_with_its_metrics_last(tmp_path, monkeypatch):
    bucket = tmp_path / "bucket"
    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(bucket))
    runs = bucket / "runs"
    assert on_bucket(runs) and not on_bucket(tmp_path / "elsewhere")
    output = runs / "kept"
    assert not partial_dir(output).is_relative_to(bucket), "the run is written on the local disk"
    copied = []
    real_copy = shutil.copyfile
    monkeypatch.setattr(shutil, "copyfile", lambda source, target: copied.append(os.path.basename(target)) or
                        real_copy(source, target))
    train(TrainConfig(method="ngram", dataset="sample", output=str(output)))
    assert copied[-1] == METRICS_FILE and len(copied) > 3, copied
    assert (output / METRICS_FILE).is_file() and not partial_dir(output).exists()
    assert [run.name for run in list_runs(runs)] == ["kept"]


def test_a_copy_into_a_bucket_cut_short_leaves_no_run_and_frees_the_name(tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(tmp_path))
    output = tmp_path / "runs" / "cut"
    real_copy = shutil.copyfile

    def stopped_at_the_metrics(source, target):
        if os.path.basename(target) == METRICS_FILE:
            raise SystemExit(143)  # a stop (SIGTERM) arriving mid-copy
        return real_copy(source, target)

    monkeypatch.setattr(shutil, "copyfile", stopped_at_the_metrics)
    with pytest.raises(SystemExit):
        train(TrainConfig(method="ngram", dataset="sample", output=str(output)))
    assert not output.exists() and not partial_dir(output).exists()


def test_a_copy_left_without_metrics_by_a_crash_is_removed_when_the_job_recovers(tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(tmp_path))
    runs = tmp_path / "runs"
    half = runs / "half"
    half.mkdir(parents=True)
    (half / "train_config.json").write_text("{}")  # copied before the app died; metrics.json never came
    jobs = work_root(runs) / ".jobs"  # this machine's records of its jobs: on its own disk, not in the bucket
    jobs.mkdir(parents=True)
    record = {"name": "half", "pid": 2**22 + 7, "config_file": str(jobs / "half.json"), "started": time.time()}
    (jobs / ACTIVE_FILE).write_text(json.dumps(record), encoding="utf-8")
    assert list_runs(runs) == [], "a folder without metrics.json is not a run"
    job = TrainingJob(runs)
    assert not half.exists() and not job.name_taken("half")
    assert job.status().state == "failed"
    assert work_root(runs) != runs and not (runs / ".jobs").exists(), "no job record in the bucket"


def test_a_copy_a_gone_machine_left_in_the_bucket_is_removed_and_a_copy_in_progress_is_not(tmp_path, monkeypatch):
    """A restarted Space is a new machine that knows nothing of the last one's jobs; two replicas share a bucket."""
    monkeypatch.setenv("STORAGE_BUCKET_PATH", str(tmp_path))
    runs = tmp_path / "runs"
    abandoned, copying = runs / "abandoned", runs / "copying"
    for folder in (abandoned, copying):
        folder.mkdir(parents=True)
        (folder / "train_config.json").write_text("{}")  # no metrics.json: no run yet
    hour_ago = time.time() - 3600
    os.utime(abandoned / "train_config.json", (hour_ago, hour_ago))
    TrainingJob(runs)
    assert not abandoned.exists(), "left by a machine that is gone"
    assert copying.exists(), "another replica's copy in progress (its files are new) stays"


@pytest.fixture
def fuse_mount(tmp_path):
    """A real FUSE mount (rclone over a local folder, writes cached and uploaded on close): object storage's way
    of writing, as a Space's bucket volume has it, on this machine. Skipped where rclone or FUSE is missing."""
    if not (shutil.which("rclone") and shutil.which("fusermount3") and os.path.exists("/dev/fuse")):
        pytest.skip("needs rclone and FUSE (apt-get install rclone fuse3)")
    store, mount = tmp_path / "store", tmp_path / "mount"
    store.mkdir()
    mount.mkdir()
    command = ["rclone", "mount", str(store), str(mount), "--vfs-cache-mode", "writes", "--daemon"]
    command += ["--cache-dir", str(tmp_path / "cache"), "--config", os.devnull]
    subprocess.run(command, check=True, timeout=60)
    deadline = time.monotonic() + 60
    while not os.path.ismount(mount):
        assert time.monotonic() < deadline, "the FUSE mount never came up"
        time.sleep(0.2)
    yield store, mount
    subprocess.run(["fusermount3", "-u", "-z", str(mount)], check=False, timeout=60)


@pytest.mark.slow
def test_a_run_trained_onto_a_real_fuse_mount_lands_whole_and_never_half(fuse_mount, monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.delenv("STORAGE_BUCKET_PATH", raising=False)
    store, mount = fuse_mount
    runs = mount / "runs"
    assert on_bucket(runs), "a FUSE mount is object storage, named by no variable"
    job = TrainingJob(runs)  # its start lock (flock) lives on the mount
    config = TrainConfig(model="starter", dataset="sample", output=str(runs / "kept"), max_steps=4,
                         train_examples=64, eval_examples=32)
    job.submit(config)
    seen = set()
    deadline = time.monotonic() + 420
    while (status := job.status()).state not in {"finished", "failed", "stopped"}:
        assert time.monotonic() < deadline, f"still {status.state}"
        seen.update(path.name for path in (store / "runs").glob("*"))
        time.sleep(0.2)
    assert status.state == "finished", status.message
    assert not [name for name in seen if name.endswith(".partial")], "a half run was written to the bucket"
    assert [run.name for run in list_runs(runs)] == ["kept"]
    settled = time.monotonic() + 60  # the mount uploads a file when it is closed, a moment later
    while not (store / "runs" / "kept" / METRICS_FILE).is_file():
        assert time.monotonic() < settled, "metrics.json never reached the store"
        time.sleep(0.2)
    assert (store / "runs" / "kept" / "model.safetensors").is_file()


def test_the_offline_notice_says_only_what_the_hub_s_absence_replaced(tmp_path, trained_run):
    from sentiment.serving.studio import OFFLINE_SAMPLE_ONLY

    assert Studio(tmp_path / "runs", model=str(trained_run)).notices == [OFFLINE_SAMPLE_ONLY]
    assert "starter" in str(Studio(tmp_path / "runs", dataset="sample").notices[0])
    assert Studio(tmp_path / "runs", dataset="sample", model=str(trained_run)).notices == []
