"""The cache every part of the studio keeps its slow values in (datasets, models, analyses)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from ..run_files import METRICS_FILE


class SharedCache:
    """A small least-recently-used cache that many requests share.

    Each value is made once: a request asking for a value being made waits for it, while requests for
    other values go on (one visitor loading a 120,000-row upload never blocks another's classify).
    A failed make is not kept; the next request tries again."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._making: dict = {}
        self._lock = threading.Lock()

    def get_or_make(self, key, make):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            try:
                with self._lock:
                    if key in self._values:  # made while this request waited
                        return self._values[key]
                value = make()
                with self._lock:
                    self._values[key] = value
                    while len(self._values) > self.size:
                        self._values.popitem(last=False)
                return value
            finally:
                with self._lock:
                    self._making.pop(key, None)


def run_key(run_dir: Path) -> tuple[str, int]:
    """A run's cache key: a pruned run's name may be used again by a new one."""
    return run_dir.name, (run_dir / METRICS_FILE).stat().st_mtime_ns
