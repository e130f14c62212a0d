"""Garbage-collector settings for a serving process: startup's data is long-lived, updates make short-lived garbage.

A data directory's parsed files and converted answers are hundreds of thousands of objects that live as long
as the process. CPython's collector would scan them again and again (a full pass costs hundreds of ms and
comes whenever the heap grew by a quarter), and its young generation is collected every 700 allocations,
several times per update. Once startup is done, `HeapSettings.serve()` moves what is alive to the
permanent generation (gc.freeze) and collects the young generation less often; `restore()` undoes both.
Reference counting still frees everything at once; only cyclic garbage waits a little longer.
"""

from __future__ import annotations

import gc

__all__ = ["SERVING_THRESHOLD", "HeapSettings"]

SERVING_THRESHOLD = (10_000, 10, 10)  # young-generation allocations between collections, then the older ones


class HeapSettings:
    """One serving component's change to the collector, undone when it stops."""

    def __init__(self) -> None:
        self._before: tuple[int, int, int] | None = None

    def serve(self) -> None:
        """Startup is done: collect once, keep what is alive out of later passes, collect young garbage less often."""
        if self._before is not None:
            return
        self._before = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(*SERVING_THRESHOLD)

    def restore(self) -> None:
        """Back to the settings found at serve() (frozen objects are scanned again)."""
        if self._before is None:
            return
        gc.unfreeze()
        gc.set_threshold(*self._before)
        self._before = None
