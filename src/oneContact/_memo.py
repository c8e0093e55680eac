"""One bounded memo for every cache oneContact keeps while it runs.

An engine, a set of policies or a module keeps what it worked out once and will be asked
again (provisional clocks, clocks not started, compiled evaluators, ...). Each such cache
is a :class:`BoundedMemo`: at its limit it forgets everything and starts again, so memory
stays bounded whatever a long-running service is asked, and writes take a lock, so one
memo can serve many threads (reads are plain dict reads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["BoundedMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """A thread-safe memo of at most *limit* entries (then it starts again)."""

    __slots__ = ("_entries", "_limit", "_lock")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"a memo holds at least one entry, not {limit}")
        self._entries: dict[K, V] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value kept for *key*, or None."""
        return self._entries.get(key)

    def put(self, key: K, value: V) -> V:
        """Keep *value* for *key* unless another thread kept one first; return the kept
        value (so every caller shares one)."""
        with self._lock:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            return self._entries.setdefault(key, value)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value kept for *key*, made by *make* and kept when there is none."""
        found = self._entries.get(key)
        return found if found is not None else self.put(key, make())
