"""One worker's shared dispatcher in this process: events stored, processed in order, and a clean close that
leaves nothing behind (no housekeeping on a closed pool, no worker rejoining after it left)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import psycopg
import pytest

from bot import dispatch_shared
from bot.dispatch_shared import SharedDispatcher
from storage.inbox import InboxRecord
from storage.pg_repo import PgRepository


@pytest.fixture
def repo(pg_url: str) -> Iterator[PgRepository]:
    """A repository on an empty, migrated database (closed by the test itself when it tests closing)."""
    opened = PgRepository.open(pg_url)
    yield opened
    if not opened.pool.closed:
        opened.close()


def record(chat: str, n: int) -> InboxRecord:
    """A Telegram update of one chat."""
    return InboxRecord(f"telegram:{chat}:{n}", "telegram", chat, {"n": n})


async def test_events_are_processed_in_order_and_closing_leaves_no_noise_and_no_worker(
    repo: PgRepository, pg_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch_shared, "REAP_EVERY_S", 0.02)  # housekeeping as often as it can run
    dispatcher = SharedDispatcher(repo, pg_url, poll=0.02)
    seen: list[tuple[str, int]] = []

    async def process(rec: InboxRecord) -> None:
        seen.append((rec.chat, rec.payload["n"]))

    dispatcher.register("telegram", process)
    fresh = await dispatcher.accept([record("7", 1), record("7", 2), record("8", 1)])
    assert fresh == [True, True, True]
    assert await dispatcher.accept([record("7", 1)]) == [False]  # a redelivery is stored once
    for _ in range(200):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.02)
    assert [n for chat, n in seen if chat == "7"] == [1, 2] and ("8", 1) in seen

    caplog.set_level(logging.INFO, logger="bot.dispatch_shared")
    await dispatcher.drain()
    dispatcher.unregister("telegram")
    dispatcher.close()  # what Services.close() does, the event loop still running (as in the benchmarks)
    repo.close()
    await asyncio.sleep(0.3)  # long enough for many housekeeping rounds, had the pump survived

    noise = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert noise == []
    with psycopg.connect(pg_url, autocommit=True) as conn:
        workers = conn.execute("SELECT count(*) FROM workers").fetchone()
        locks = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()
    assert workers == (0,) and locks == (0,)  # left for good: no row, no liveness lock taken again
