"""Heavy or untrusted work runs in a child process and is stopped at its CPU, memory and time limits."""

from __future__ import annotations

import os
import time

import pytest

from bot.bounded import BoundedProcessRunner, Limits
from domain.limits import WorkLimitExceeded
from tests import bounded_work as work


@pytest.fixture(scope="module")
def runner() -> BoundedProcessRunner:
    return BoundedProcessRunner(Limits(cpu_seconds=1, memory_mb=512, wall_seconds=3))


def test_work_runs_in_another_process_and_returns_its_result(runner: BoundedProcessRunner) -> None:
    pid, value = runner(work.whoami, 21)
    assert value == 42 and pid != os.getpid()


def test_cpu_bomb_is_stopped_at_the_cpu_limit() -> None:
    runner = BoundedProcessRunner(Limits(cpu_seconds=1, memory_mb=512, wall_seconds=60))
    with pytest.raises(WorkLimitExceeded) as err:
        runner(work.burn_cpu)
    assert err.value.limit == "cpu"


def test_memory_bomb_is_stopped_at_the_memory_limit(runner: BoundedProcessRunner) -> None:
    with pytest.raises(WorkLimitExceeded) as err:
        runner(work.eat_memory)
    assert err.value.limit == "memory"


def test_a_hang_is_killed_at_the_wall_clock_limit(runner: BoundedProcessRunner) -> None:
    start = time.monotonic()
    with pytest.raises(WorkLimitExceeded) as err:
        runner(work.sleep_long)
    assert err.value.limit == "time"
    assert time.monotonic() - start < 6


def test_ordinary_errors_come_back_as_themselves(runner: BoundedProcessRunner) -> None:
    with pytest.raises(ValueError, match="ไฟล์เสีย"):
        runner(work.fail_plainly)
    assert runner(work.whoami, 1)[1] == 2  # and the runner still works
