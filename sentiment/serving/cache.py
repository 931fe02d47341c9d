"""The cache every part of the studio keeps its slow values in (datasets, models, analyses)."""

from __future__ import annotations

import dataclasses
import math
import sys
import threading
from collections import OrderedDict
from pathlib import Path

from ..run_files import METRICS_FILE

# What a cache of one value per visitor's text (the WordPiece walk, a tokenization, an explanation, a prediction) keeps
# at most, as deep_size weighs its values: 50 distinct 10,000-character texts kept ~15 MB each in the walk's cache.
PER_TEXT_BYTES = 32 * 2**20


class SharedCache:
    """A small least-recently-used cache that many requests share.

    Each value is made once: a request asking for a value being made waits for it, while requests for
    other values go on (one visitor loading a 120,000-row upload never blocks another's classify).
    A failed make is not kept; the next request tries again.

    `size` bounds its entries; `max_bytes`, where given, the bytes its values hold together as `deep_size`
    weighs them (a cache of one value per visitor's text: a flood of distinct long texts would otherwise keep
    `size` times the largest). A value heavier than `max_bytes` on its own is answered and not kept."""

    def __init__(self, size: int, max_bytes: int | None = None):
        self.size, self.max_bytes = size, max_bytes
        self._values: OrderedDict = OrderedDict()
        self._weights: dict = {}
        self._bytes = 0
        self._making: dict = {}
        self._lock = threading.Lock()

    def retained_bytes(self) -> int:
        """What the values kept weigh together (0 for a cache bounded by entries only)."""
        with self._lock:
            return self._bytes

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
                weight = deep_size(value) if self.max_bytes is not None else 0
                with self._lock:
                    if self.max_bytes is not None and weight > self.max_bytes:
                        return value
                    self._values[key], self._weights[key] = value, weight
                    self._bytes += weight
                    while len(self._values) > self.size or self._bytes > (self.max_bytes or math.inf):
                        old, _ = self._values.popitem(last=False)
                        self._bytes -= self._weights.pop(old)
                return value
            finally:
                with self._lock:
                    self._making.pop(key, None)


def deep_size(value) -> int:
    """About the bytes `value` holds: its own and those of what it refers to (containers, dataclasses and objects'
    attributes, numpy arrays, pandas frames and torch tensors by their buffers), each object counted once."""
    seen, total, stack = set(), 0, [value]
    while stack:
        item = stack.pop()
        if id(item) in seen or item is None or isinstance(item, type):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item, 0)
        if isinstance(item, str | bytes | bytearray | int | float | bool | complex):
            continue
        module = type(item).__module__.split(".")[0]
        if module == "numpy":
            total += getattr(item, "nbytes", 0)
        elif module == "pandas":
            usage = item.memory_usage(deep=True)
            total += int(usage.sum() if hasattr(usage, "sum") else usage)
        elif module == "torch":
            total += item.element_size() * item.nelement() if hasattr(item, "element_size") else 0
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif dataclasses.is_dataclass(item):
            stack.extend(getattr(item, field.name) for field in dataclasses.fields(item))
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())
    return total


def run_key(run_dir: Path) -> tuple[str, int]:
    """A run's cache key: a pruned run's name may be used again by a new one."""
    return run_dir.name, (run_dir / METRICS_FILE).stat().st_mtime_ns
