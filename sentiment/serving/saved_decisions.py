"""The server's saved label decisions for one dataset: a folder of saves, a file each, merged when read.

The runs folder of a Space may be a Storage Bucket that replicas of the Space share, with hf-mount's rules: no lock
holds across mounts, a file is uploaded whole when it is closed, a rename is an add and then a delete, and a
replica may read what another wrote 10-30 s late. A file rewritten by read-merge-write loses a save made on
another replica in between. So a save never rewrites what anyone wrote: it adds a file of its own decisions
(written under a `.partial` name and renamed, so on a local disk a kill mid-write leaves no half save, and on a
bucket a kill between the rename's add and delete leaves a whole save and a stray `.partial` that reading skips).
Reading merges the saves in the order they were made: for a review decided twice, the later decision stands.
When saves pile up (FOLD_AFTER), a save folds them into one file named where the newest folded one sorts, and
removes only the files it folded, so a save another replica adds meanwhile stays after it.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from ..corpus.corrections import Overlay
from .cache import SharedCache

SAVE_SUFFIX = ".json"
FOLD_AFTER = 32  # saves kept side by side before they are folded into one file


class SavedDecisions:
    def __init__(self, folder: Path, readings: SharedCache):
        self.folder = folder
        self._readings = readings  # one parse per version of the folder, shared by every session reading it

    def read(self) -> Overlay:
        """Every save merged, oldest first (none yet: an empty overlay). Raises ValueError (and its kin) for a save
        that is not a save of decisions."""
        for _ in range(3):  # a save another replica folded away between the listing and the reading: list again
            saves = self._saves()
            if not saves:
                return Overlay()
            try:
                version = (str(self.folder), *((save.name, save.stat().st_size) for save in saves))
                return self._readings.get_or_make(version, lambda saves=saves: merge(saves))
            except FileNotFoundError:
                continue
        return self._readings.get_or_make(("unlisted", str(self.folder)), lambda: merge(self._saves()))

    def save(self, overlay: Overlay) -> Overlay:
        """Add `overlay`'s decisions as a save of their own; what every save then reads as, merged. The merge is
        checked first (at most MAX_CORRECTIONS reviews), so a refused save writes nothing."""
        kept = self.read().merged(overlay)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write(f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}", overlay)
        saves = self._saves()
        if len(saves) > FOLD_AFTER:
            self._write(f"{saves[-1].stem}-folded", merge(saves))  # sorts right after the newest it folds
            for save in saves:
                save.unlink(missing_ok=True)
        return kept

    def _write(self, stem: str, overlay: Overlay) -> None:
        partial = self.folder / f"{stem}.{uuid.uuid4().hex[:8]}.partial"
        partial.write_text(overlay.to_json(), encoding="utf-8")
        partial.replace(self.folder / f"{stem}{SAVE_SUFFIX}")

    def _saves(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(path for path in self.folder.iterdir() if path.name.endswith(SAVE_SUFFIX))


def merge(saves: list[Path]) -> Overlay:
    merged = Overlay()
    for save in saves:
        merged = merged.merged(Overlay.from_json(save.read_text(encoding="utf-8")))
    return merged
