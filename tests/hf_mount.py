"""hf-mount's rules for a Storage Bucket, at the `os` level, for the process that imports this module.

A Space mounts its bucket "the same idea as hf-mount" (v0.9.2, README and src/virtual_fs/mod.rs): a written file is
uploaded when it is closed (a process killed before the close leaves nothing of it), `fsync` does nothing, and a
rename is an add of the new name followed by a delete of the old one, file by file for a folder. Under
HF_MOUNT_ROOT this module makes Python's file writes and renames behave so: a file opened for writing is written to
a staging copy outside the bucket and appears at its name, whole, when it is closed; `os.rename` and `os.replace`
copy, then delete. Every change the bucket sees (an upload, an add, a delete) is a step, and the process kills
itself (exit 137, as kill -9 leaves it) at step HF_MOUNT_KILL_AT, so a test can stop it between any two. Each step
is logged to HF_MOUNT_LOG. With HF_MOUNT_STALE_SECONDS, a file another process overwrote less than that long ago
reads as it was before (hf-mount's reads may be 10-30 s stale; a process sees its own writes). Not emulated: stale
folder listings, and locks, which hold within one mount only (two replicas share a bucket, not a lock); the code
under test must not rely on either.

Usage in a child process: `import tests.hf_mount; tests.hf_mount.install()` before the code under test runs.
"""

from __future__ import annotations

import builtins
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

_open = builtins.open
_rename, _replace = os.rename, os.replace
_steps = 0


def _earlier(target: str) -> str:
    """Where the content a file had before its newest upload is kept, for stale reads by other processes."""
    return os.path.join(os.environ["HF_MOUNT_STAGING"], "earlier-" + target.replace(os.sep, "%"))


def _uploaded(target: str, source: str) -> None:
    """`source`'s content becomes `target`'s, keeping what it was for stale reads, and who uploaded it."""
    if os.path.exists(target):
        _copy(target, _earlier(target))
    _copy(source, target)
    with _open(_earlier(target) + ".by", "w") as owner:
        owner.write(str(os.getpid()))


def _uploader(target: str) -> int | None:
    try:
        with _open(_earlier(target) + ".by") as owner:
            return int(owner.read())
    except (OSError, ValueError):
        return None


def _stale(target: str) -> str:
    """The path to read for `target` as another process sees it: its content before the newest upload while that is
    newer than the staleness (a new file reads as it is, as the listing, not emulated, shows it)."""
    seconds = float(os.environ.get("HF_MOUNT_STALE_SECONDS", "0"))
    if not seconds or not os.path.exists(target) or _uploader(target) == os.getpid():
        return target  # a process reads its own upload fresh
    if os.path.getmtime(target) < time.time() - seconds:
        return target
    return _earlier(target) if os.path.exists(_earlier(target)) else target


def _under_bucket(path) -> bool:
    try:
        return Path(os.path.abspath(os.fspath(path))).is_relative_to(os.environ["HF_MOUNT_ROOT"])
    except TypeError:  # a file descriptor
        return False


def _step(what: str) -> None:
    """One change the bucket sees; the process dies here when it is the step the test chose."""
    global _steps
    _steps += 1
    with _open(os.environ["HF_MOUNT_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{_steps} {what}\n")
    if _steps == int(os.environ.get("HF_MOUNT_KILL_AT", "0")):
        os._exit(137)


class _Upload:
    """A file being written: a staging copy until it is closed, then uploaded whole to its name."""

    def __init__(self, target: str, staging, staging_path: str):
        self._target, self._file, self._staging = target, staging, staging_path

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __iter__(self):
        return iter(self._file)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._file.closed:
            return
        self._file.close()
        _step(f"upload {self._target}")
        _uploaded(self._target, self._staging)  # into the bucket, whole
        os.unlink(self._staging)


def _copy(source: str, target: str) -> None:
    with _open(source, "rb") as reading, _open(target, "wb") as writing:
        shutil.copyfileobj(reading, writing)


def _bucket_open(file, mode="r", *args, **kwargs):
    writing = any(flag in mode for flag in "wax+")
    if not _under_bucket(file):
        return _open(file, mode, *args, **kwargs)
    target = os.path.abspath(os.fspath(file))
    if not writing:
        return _open(_stale(target), mode, *args, **kwargs)
    if "x" in mode and os.path.exists(target):
        raise FileExistsError(target)
    if not os.path.isdir(os.path.dirname(target)):
        raise FileNotFoundError(target)
    descriptor, staging = tempfile.mkstemp(prefix="hf-mount-", dir=os.environ["HF_MOUNT_STAGING"])
    os.close(descriptor)
    if ("a" in mode or "+" in mode) and os.path.exists(target):
        _copy(target, staging)
    return _Upload(target, _open(staging, mode.replace("x", "w"), *args, **kwargs), staging)


def _copy_rename(source, target) -> None:
    """A rename as the bucket does it: add the new name (each file of a folder), then delete the old."""
    source, target = os.fspath(source), os.fspath(target)
    if not (_under_bucket(source) or _under_bucket(target)):
        return _replace(source, target)
    if os.path.isdir(source):
        for folder, _, names in os.walk(source):
            os.makedirs(os.path.join(target, os.path.relpath(folder, source)), exist_ok=True)
            for name in names:
                added = os.path.join(target, os.path.relpath(folder, source), name)
                _step(f"add {added}")
                _copy(os.path.join(folder, name), added)
        _step(f"delete {source}")
        shutil.rmtree(source)
        return None
    _step(f"add {target}")
    _uploaded(os.path.abspath(target), source)
    _step(f"delete {source}")
    os.unlink(source)
    return None


def _rename_no_overwrite(source, target) -> None:
    if (_under_bucket(source) or _under_bucket(target)) and os.path.isdir(target) and os.listdir(target):
        raise OSError(39, "Directory not empty", os.fspath(target))
    _copy_rename(source, target)


def install() -> None:
    """Apply the bucket's rules under HF_MOUNT_ROOT to this process."""
    builtins.open = io.open = _bucket_open
    os.replace = _copy_rename
    os.rename = _rename_no_overwrite
    os.fsync = lambda fd: None
