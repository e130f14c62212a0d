"""Module-level work for the bounded runner tests (a child process must be able to import it)."""

from __future__ import annotations

import os
import time


def whoami(x: int) -> tuple[int, int]:
    """The child's pid and a result."""
    return os.getpid(), x * 2


def burn_cpu() -> None:
    """Spin until the CPU limit stops it."""
    n = 0
    while True:
        n += 1


def eat_memory() -> int:
    """Allocate far beyond any sane limit."""
    blocks = [bytearray(64 * 1024 * 1024) for _ in range(200)]
    return len(blocks)


def sleep_long() -> None:
    """Wait past the wall-clock limit."""
    time.sleep(60)


def fail_plainly() -> None:
    """An ordinary error of the work."""
    raise ValueError("ไฟล์เสีย")
