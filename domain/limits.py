"""The port for heavy or untrusted work (imports, rendering): run it bounded, or say which limit it hit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["WorkLimitExceeded", "BoundedRunner", "run_inline"]

T = TypeVar("T")


class WorkLimitExceeded(RuntimeError):
    """The work was stopped: .limit is "cpu", "memory", "time" or "crash"."""

    def __init__(self, limit: str, detail: str = "") -> None:
        super().__init__(f"{limit}: {detail}" if detail else limit)
        self.limit = limit
        self.detail = detail


class BoundedRunner(Protocol):
    """Runs fn(*args) under CPU, memory and wall-clock limits (a child process in production)."""

    def __call__(self, fn: Callable[..., T], *args: Any) -> T: ...


def run_inline(fn: Callable[..., T], *args: Any) -> T:
    """No bounds: tests and the in-memory store."""
    return fn(*args)
