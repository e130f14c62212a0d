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
from storage.pg_inbox import PgInbox
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


def test_done_says_when_a_held_chat_got_events_meanwhile(repo: PgRepository) -> None:
    """The last done of a chat tells the worker whether events came while it held the chat (claim again now)."""
    inbox = PgInbox(repo.pool, worker="w1")
    inbox.append("telegram", "a1", "telegram:7", {"n": 1})
    first = inbox.claim()
    inbox.append("telegram", "a2", "telegram:7", {"n": 2})  # stored while w1 holds the chat: nobody claims it yet
    assert [r.event_id for r in first] == ["a1"] and inbox.claim() == []
    assert inbox.mark_done(first[0].id) is True
    again = inbox.claim()
    assert [r.event_id for r in again] == ["a2"]
    assert inbox.mark_done(again[0].id) is False


@pytest.mark.parametrize("via", ["this worker", "the other worker"])
async def test_an_event_that_comes_while_its_chat_is_served_follows_at_once(
    repo: PgRepository, pg_url: str, via: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No idle poll is needed (it and housekeeping are a minute apart here): a chat's next event, accepted by this
    worker or by another while the chat is served here, is claimed as soon as the current one is done, in order."""
    monkeypatch.setattr(dispatch_shared, "REAP_EVERY_S", 60.0)
    first = SharedDispatcher(repo, pg_url, poll=60.0)
    other_repo = PgRepository.open(pg_url)
    second = SharedDispatcher(other_repo, pg_url, poll=60.0)
    seen: list[int] = []
    busy = asyncio.Event()
    go_on = asyncio.Event()

    async def process(rec: InboxRecord) -> None:
        if rec.payload["n"] == 1:
            busy.set()
            await go_on.wait()
        seen.append(rec.payload["n"])

    try:
        first.register("telegram", process)
        second.register("telegram", process)
        await first.accept([record("7", 1)])
        await asyncio.wait_for(busy.wait(), 10)
        await (first if via == "this worker" else second).accept([record("7", 2)])  # the chat is held by `first`
        await asyncio.sleep(0.3)
        assert seen == []
        go_on.set()
        for _ in range(60):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.05)
        assert seen == [1, 2]
    finally:
        for dispatcher in (first, second):
            await dispatcher.stop()
            dispatcher.close()
        other_repo.close()


def test_a_claim_of_given_chats_takes_those_chats_only(repo: PgRepository) -> None:
    """What a worker claims after its own accept or done: the chats it names, oldest event first; the rest stay."""
    inbox = PgInbox(repo.pool, worker="w1")
    for event, chat in (("a1", "7"), ("b1", "8"), ("a2", "7")):
        inbox.append("telegram", event, f"telegram:{chat}", {})
    assert [r.event_id for r in inbox.claim(chats=["telegram:7"])] == ["a1", "a2"]
    assert inbox.claim(chats=["telegram:7", "telegram:9"]) == []  # held by w1 already; 9 has nothing
    assert [r.event_id for r in inbox.claim()] == ["b1"]
