"""Subprocess for the one-write crash tests: run one operation, SIGKILL itself after the n-th durable write.

`plan N` replaces the plan, `invite N CODE` redeems an invite, `report N` saves an answer and its state, `redeem-all TAG CODES GO` races another
process over a list of codes once the file GO exists. N = 0 never kills and prints the write count.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import storage.atomic as atomic
from handlers.services import InviteError, redeem_invite
from storage.clock import BANGKOK, FixedClock
from storage.factory import Store
from storage.models import Measure, ReportEntry
from storage.tinydb_repo import TinyRepository
from tests.factory import open_store

CLOCK = FixedClock(datetime(2026, 2, 10, 10, 0, tzinfo=BANGKOK))


def count_writes(kill_at: int) -> list[int]:
    """Count every durable write (temp file, fsync, rename); die right after the kill_at-th."""
    done = [0]
    original = atomic.atomic_write_bytes

    def counting(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        done[0] += 1
        if done[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    atomic.atomic_write_bytes = counting  # type: ignore[assignment]
    return done


def new_plan() -> list[Measure]:
    """The plan that replaces the four-measure one: seven measures."""
    return [Measure(id=f"n{i}", no=i, indicator=str(i), title=f"มาตรการใหม่ {i}") for i in range(1, 8)]


def saved_entry() -> ReportEntry:
    """The answer the recap saves; its id was fixed when the recap was shown."""
    return ReportEntry(id="r-recap-1", org_id="o1", fiscal_year=2569, measure_id="m2", round=6, unit_id="u1",
                       status="done", summary="ประกาศแผนบนเว็บไซต์")


def race(repo: Store, tag: str, codes: list[str], go: Path) -> None:
    """Wait for the start signal, then try every code; print which ones this process won."""
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    for i, code in enumerate(codes):
        try:
            redeem_invite(repo, CLOCK, code, "line", f"U{tag}{i}", f"U{tag}{i}", tag)
            print(f"won {code}", flush=True)
        except InviteError as exc:
            print(f"lost {code} {exc.key}", flush=True)


def main(data_dir: str, op: str, *args: str) -> None:
    """Run the named operation against the data directory."""
    if op == "redeem-all":
        race(open_store(Path(data_dir)), args[0], Path(args[1]).read_text().split(), Path(args[2]))
        return
    done = count_writes(int(args[0]))
    repo = TinyRepository(data_dir)
    if op == "plan":
        repo.save_measures("o1", 2569, new_plan())
    elif op == "report":  # the recap's บันทึก: the revision, then the conversation state
        repo.add_report(saved_entry())
        repo.set_state("o1", "line:Unew", None)
    elif op == "invite":
        redeem_invite(repo, CLOCK, args[1], "line", "Unew", "Unew", "คนใหม่")
    print(done[0], flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
