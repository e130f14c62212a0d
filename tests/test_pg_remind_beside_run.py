"""`itabot remind` beside a running worker on one PostgreSQL: each reminder still goes out exactly once.

On TinyDB a file lock keeps `itabot remind` from sending beside `itabot run`. On PostgreSQL the sender may be
on another machine, so the send log's claim (a unique key, taken atomically) is what stops a second send.
Here two senders, each with its own connection pool as two processes would have, run the same due batch at
the same moment: every officer owed a reminder gets it once, and the log holds each send once, as sent.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from datetime import datetime

import pytest

from bench.line_cost import build_office
from domain.events import Reply
from domain.sends import RESULT_SENT
from scheduler.reminders import run_due
from storage.clock import BANGKOK, FixedClock
from storage.factory import open_repository
from storage.models import Officer
from tests.factory import open_store

pytestmark = pytest.mark.backend("postgresql")

NOW = datetime(2025, 12, 24, 9, 0, tzinfo=BANGKOK)  # round 3's reminders are due (a Wednesday)
OFFICES = ("o1", "o2", "o3")


class Recorder:
    """A platform that takes every message after a short delay, so the two senders interleave."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    async def send(self, officer: Officer, reply: Reply) -> bool:
        await asyncio.sleep(0.002)
        with self._lock:
            self.got.append((officer.org_id, officer.id))
        return True


def _send_all(recorder: Recorder, start: threading.Barrier) -> None:
    """One sender: its own pool (a separate process would have one), started together with the other."""
    repo = open_repository(None, os.environ["ITABOT_DATABASE_URL"])
    try:
        start.wait()
        asyncio.run(run_due(repo, FixedClock(NOW), recorder, retry_delays=()))
    finally:
        repo.close()


def test_two_senders_on_one_database_send_each_reminder_once() -> None:
    repo = open_store(None)
    for org_id in OFFICES:
        build_office(repo, org_id, n_officers=12, n_measures=8)
    recorder = Recorder()
    start = threading.Barrier(2)
    senders = [threading.Thread(target=_send_all, args=(recorder, start)) for _ in range(2)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in senders)

    logged = [s for org_id in OFFICES for fy in repo.fiscal_years(org_id) for s in repo.list_sends(org_id, fy)]
    assert logged and all(s.result == RESULT_SENT for s in logged)
    assert len({(s.org_id, s.key) for s in logged}) == len(logged)  # each send logged once
    got = Counter(recorder.got)
    assert len(recorder.got) == len(logged)  # one message per logged send: nothing sent twice, nothing dropped
    assert {org for org, _ in got} == set(OFFICES)
    per_person = Counter((s.org_id, s.recipient) for s in logged)
    assert got == per_person  # every person got exactly the reminders logged for them
