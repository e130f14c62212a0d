"""bot.heap: a serving process keeps startup's objects out of the collector's passes, and gives the settings back."""

from __future__ import annotations

import gc

from bot.heap import SERVING_THRESHOLD, HeapSettings


def test_serving_freezes_what_startup_loaded_and_stopping_gives_the_settings_back():
    before = gc.get_threshold()
    loaded = [{"row": i} for i in range(1000)]  # a store's parsed rows, alive for the whole run
    heap = HeapSettings()
    heap.serve()
    try:
        assert gc.get_threshold() == SERVING_THRESHOLD
        assert gc.get_freeze_count() >= len(loaded)
        heap.serve()  # a second start changes nothing more
        assert gc.get_threshold() == SERVING_THRESHOLD
    finally:
        heap.restore()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    heap.restore()  # a second stop too
    assert gc.get_threshold() == before
