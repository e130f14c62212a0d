"""A least-recently-used cache bounded by the summed size of what it holds (rows, bytes), not by a count."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

__all__ = ["SizedLRU"]

K = TypeVar("K")
V = TypeVar("V")


class SizedLRU(Generic[K, V]):
    """Items in use order; the oldest go once the sizes sum above `limit` (or there are more than `count`).

    Offices differ a hundredfold in size, so a bound by count holds anything from a few to hundreds of
    megabytes. Sizes are measured again at every trim (an open file's size grows with each write); the newest
    item always stays, even alone above the limit: it is the one being used. Not thread-safe: callers lock.
    """

    def __init__(self, limit: int, size: Callable[[V], int], count: int | None = None,
                 on_evict: Callable[[K, V], None] | None = None) -> None:
        self.limit = limit
        self.count = count
        self._size = size
        self._on_evict = on_evict
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The item, now the most recently used; None when absent."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def peek(self, key: K) -> V | None:
        """The item without changing the use order."""
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        """Keep an item as the most recently used, then trim."""
        self._items[key] = value
        self._items.move_to_end(key)
        self.trim()

    def replace(self, key: K, value: V) -> None:
        """Change an item in place (its use order stays); absent keys are not added."""
        if key in self._items:
            self._items[key] = value

    def pop(self, key: K) -> V | None:
        """Forget one item (not counted as an eviction)."""
        return self._items.pop(key, None)

    def trim(self) -> None:
        """Drop the least recently used items until the bounds hold (the newest always stays)."""
        total = sum(self._size(v) for v in self._items.values())
        while len(self._items) > 1 and (total > self.limit or (self.count is not None and len(self._items) > self.count)):
            key, value = self._items.popitem(last=False)
            total -= self._size(value)
            if self._on_evict is not None:
                self._on_evict(key, value)

    def total(self) -> int:
        """The summed size of what is held now."""
        return sum(self._size(v) for v in self._items.values())

    def clear(self) -> None:
        """Forget everything (not counted as evictions)."""
        self._items.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)
