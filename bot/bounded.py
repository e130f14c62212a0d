"""Heavy or untrusted work in a child process with CPU, memory and wall-clock limits.

A plan file can be a decompression or nesting bomb and a report of 100 photos takes seconds of CPU: run
in this process they would stall every office's chat. Each call gets a fresh child forked from a small
fork server (fast: modules preloaded), RLIMIT_CPU and RLIMIT_AS set before the work starts, and a
wall-clock timeout after which it is killed. The parent only waits on a pipe.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from domain.limits import WorkLimitExceeded

__all__ = ["Limits", "BoundedProcessRunner", "BoundedWorkError", "WorkLimitExceeded"]

T = TypeVar("T")
_PRELOAD = ["report.render", "report.mpl", "handlers.plan_import", "domain.status"]


@dataclass(frozen=True)
class Limits:
    """Per-call bounds: CPU seconds, address space in MB, wall-clock seconds."""

    cpu_seconds: int = 60
    memory_mb: int = 1536
    wall_seconds: float = 120.0


class _Failure:
    """An exception raised by the work, carried back by type name and message."""

    def __init__(self, kind: str, message: str, memory: bool) -> None:
        self.kind, self.message, self.memory = kind, message, memory


def _child(conn: Connection, limits: Limits, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Set the limits, run, send the result (or the failure) back."""
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        cap = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        result: Any = fn(*args)
    except MemoryError as exc:
        result = _Failure("MemoryError", str(exc), True)
    except Exception as exc:  # the parent re-raises the same exception
        result = exc
    try:
        conn.send(result)
    except Exception as exc:  # an unpicklable result or exception
        conn.send(_Failure(type(exc).__name__, f"{exc}\n{traceback.format_exc(limit=5)}", False))
    finally:
        conn.close()


class BoundedProcessRunner:
    """The production BoundedRunner: one fresh child per call; raises WorkLimitExceeded on a limit."""

    def __init__(self, limits: Limits | None = None, method: str = "forkserver") -> None:
        self.limits = limits or Limits()
        self._ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(_PRELOAD)

    def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) in a child; its exceptions come back as RuntimeError naming their type."""
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(  # type: ignore[attr-defined]
            target=_child, args=(child, self.limits, fn, args), daemon=True)
        proc.start()
        child.close()
        try:
            if not parent.poll(self.limits.wall_seconds):
                raise WorkLimitExceeded("time", f"{self.limits.wall_seconds:g} s")
            try:
                result = parent.recv()
            except EOFError:  # died without a word: CPU limit (SIGXCPU/SIGKILL) or killed by the OOM killer
                proc.join(5)
                code = proc.exitcode
                if code in (-signal.SIGXCPU, -signal.SIGKILL):
                    raise WorkLimitExceeded("cpu", f"{self.limits.cpu_seconds} s") from None
                raise WorkLimitExceeded("crash", f"exit code {code}") from None
        finally:
            parent.close()
            if proc.is_alive():
                proc.kill()
            proc.join(5)
        if isinstance(result, _Failure):
            if result.memory:
                raise WorkLimitExceeded("memory", f"{self.limits.memory_mb} MB")
            raise BoundedWorkError(f"{result.kind}: {result.message.splitlines()[0] if result.message else ''}")
        if isinstance(result, Exception):
            raise result
        return result  # type: ignore[no-any-return]


class BoundedWorkError(RuntimeError):
    """A failure of the work that could not be carried back as itself."""


def pid() -> int:
    """The current process id (the tests use it to see the work ran elsewhere)."""
    return os.getpid()
