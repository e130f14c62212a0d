"""The durable inbox on PostgreSQL: a redelivered event is stored once, and a chat's events go to one
worker at a time, in order, even with several workers claiming at once."""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator

import psycopg
import pytest

from storage.pg_inbox import InboxRecord, PgInbox
from storage.pg_repo import PgRepository

pytestmark = pytest.mark.backend("postgresql")  # PostgreSQL's own SQL, schema and workers


@pytest.fixture
def repo(pg_url: str) -> Iterator[PgRepository]:
    """A repository (and its pool) on an empty, migrated database."""
    opened = PgRepository.open(pg_url)
    yield opened
    opened.close()


def _events(records: list[InboxRecord]) -> list[str]:
    return [r.event_id for r in records]


def test_a_redelivered_event_is_stored_once(repo: PgRepository) -> None:
    inbox = PgInbox(repo.pool)
    assert inbox.append("line", "ev-1", "line:U1", {"text": "สวัสดี", "n": 1}) is True
    assert inbox.append("line", "ev-1", "line:U1", {"text": "again"}) is False
    assert inbox.append("telegram", "ev-1", "telegram:7", {"text": "hi"}) is True  # ids are per platform
    pending = inbox.pending()
    assert [(r.platform, r.event_id, r.chat_key, r.state) for r in pending] == [
        ("line", "ev-1", "line:U1", "pending"),
        ("telegram", "ev-1", "telegram:7", "pending"),
    ]
    assert pending[0].payload == {"text": "สวัสดี", "n": 1}  # the first delivery is the one kept


def test_a_chat_belongs_to_one_worker_until_its_events_are_done(repo: PgRepository) -> None:
    one, two = PgInbox(repo.pool, worker="w1"), PgInbox(repo.pool, worker="w2")
    for event, chat in (("a1", "A"), ("b1", "B"), ("a2", "A")):
        inbox_append(one, event, chat)
    first = one.claim(limit=1)
    assert _events(first) == ["a1"]
    assert _events(two.claim(limit=10)) == ["b1"]  # chat A is held by w1, though a2 waits
    inbox_append(one, "a3", "A")
    assert two.claim(limit=10) == [] and one.claim(limit=10) == []  # both chats are held
    one.mark_done(first[0].id)
    assert _events(two.claim(limit=10)) == ["a2", "a3"]  # released with nothing in flight: next owner, in order
    assert [r.state for r in one.pending()] == ["claimed", "claimed", "claimed"]
    assert {r.event_id for r in one.pending()} == {"b1", "a2", "a3"}


def inbox_append(inbox: PgInbox, event: str, chat: str) -> None:
    """Append an event named after itself."""
    assert inbox.append("telegram", event, chat, {"event": event})


def test_claim_skips_a_chat_another_worker_is_locking(repo: PgRepository, pg_url: str) -> None:
    inbox = PgInbox(repo.pool)
    inbox_append(inbox, "a1", "A")
    inbox_append(inbox, "b1", "B")
    got: list[InboxRecord] = []
    with psycopg.connect(pg_url) as other:  # another worker in the middle of claiming chat A
        other.execute("SELECT 1 FROM inbox_chats WHERE chat_key = 'A' FOR UPDATE")
        claimer = threading.Thread(target=lambda: got.extend(inbox.claim(limit=10)))
        claimer.start()
        claimer.join(timeout=30)
        finished = not claimer.is_alive()
        other.rollback()
    claimer.join()
    assert finished, "claim waited for the other worker's lock instead of skipping the chat"
    assert _events(got) == ["b1"]
    assert _events(inbox.claim(limit=10)) == ["a1"]


def test_a_dead_workers_chat_is_claimed_again_after_its_lease(repo: PgRepository) -> None:
    dead, alive = PgInbox(repo.pool, worker="dead"), PgInbox(repo.pool, worker="alive")
    inbox_append(dead, "a1", "A")
    assert _events(dead.claim()) == ["a1"]
    assert alive.claim() == []
    with repo.pool.connection() as conn:  # the lease runs out (no sleeping in tests)
        conn.execute("UPDATE inbox_chats SET claimed_until = now() - interval '1 second' WHERE chat_key = 'A'")
    again = alive.claim()
    assert _events(again) == ["a1"]
    alive.mark_done(again[0].id)
    assert alive.pending() == [] and alive.claim() == []


def test_many_workers_handle_each_event_once_and_each_chat_in_order(repo: PgRepository) -> None:
    chats, per_chat, workers = 8, 12, 4
    writer = PgInbox(repo.pool)
    handled: dict[str, list[int]] = defaultdict(list)
    busy: set[str] = set()
    guard = threading.Lock()
    problems: list[str] = []
    appended = threading.Event()

    def append_all() -> None:
        for n in range(per_chat):  # interleaved chats, each chat's events in order
            for c in range(chats):
                writer.append("line", f"c{c}-{n}", f"c{c}", {"n": n})
        appended.set()

    def work(name: str) -> None:
        inbox = PgInbox(repo.pool, worker=name)
        while True:
            batch = inbox.claim(limit=5)
            if not batch:
                if appended.is_set() and not inbox.pending():
                    return
                time.sleep(0.01)
                continue
            chats_in_batch = set(dict.fromkeys(r.chat_key for r in batch))
            with guard:
                problems.extend(f"{name} got {c} while another worker had it" for c in chats_in_batch & busy)
                busy.update(chats_in_batch)
            for record in batch:
                handled[record.chat_key].append(record.payload["n"])
                time.sleep(0.001)  # widen the window a second owner would show up in
            with guard:
                busy.difference_update(chats_in_batch)  # before the database releases the chats
            for record in batch:
                inbox.mark_done(record.id)

    threads = [threading.Thread(target=append_all)] + [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    assert dict(handled) == {f"c{c}": list(range(per_chat)) for c in range(chats)}  # once each, in order


def test_done_events_are_forgotten_after_a_day_and_open_ones_never(repo: PgRepository) -> None:
    inbox = PgInbox(repo.pool)
    inbox_append(inbox, "old", "A")
    inbox_append(inbox, "open", "B")
    done = inbox.claim(limit=1)
    inbox.mark_done(done[0].id)
    assert inbox.prune() == 0  # done just now: kept, so a redelivery is still recognised
    with repo.pool.connection() as conn:
        conn.execute("UPDATE inbox SET done_at = now() - interval '2 days' WHERE state = 'done'")
    assert inbox.prune() == 1
    assert [r.event_id for r in inbox.pending()] == ["open"]


def test_the_worker_that_stores_an_event_serves_its_chat_when_nobody_holds_it(repo: PgRepository) -> None:
    one, two = PgInbox(repo.pool, worker="w1"), PgInbox(repo.pool, worker="w2")
    fresh, claimed = one.append_claim([("telegram", "a1", "A", {"n": 1})], ["A"])
    assert fresh == [True] and _events(claimed) == ["a1"]  # stored and taken in one transaction
    a1 = claimed[0]
    assert two.claim(limit=10) == []  # w1 holds chat A
    fresh, claimed = two.append_claim([("telegram", "a2", "A", {"n": 2}), ("telegram", "b1", "B", {})], ["A", "B"])
    assert fresh == [True, True] and _events(claimed) == ["b1"]  # A is w1's: a2 waits for it
    taken = one.finish(a1)
    assert _events(taken) == ["a2"] and taken[0].state == "claimed"  # w1's done mark takes what came meanwhile
    assert two.claim(limit=10) == []  # and w1 still holds A for it
    assert one.finish(taken[0]) == []  # nothing left: A is let go
    fresh, claimed = two.append_claim([("telegram", "a2", "A", {"n": 2})], ["A"])
    assert fresh == [False] and claimed == []  # a redelivery of a done event: nothing to serve, A stays free
    fresh, claimed = two.append_claim([("telegram", "a3", "A", {"n": 3})], ["A"])
    assert _events(claimed) == ["a3"]  # the next event of A goes to whoever stores it


def test_an_unfinished_event_keeps_its_chat_held_after_a_later_one_is_done(repo: PgRepository) -> None:
    one, two = PgInbox(repo.pool, worker="w1"), PgInbox(repo.pool, worker="w2")
    _, claimed = one.append_claim([("telegram", "a1", "A", {}), ("telegram", "a2", "A", {})], ["A"])
    assert _events(claimed) == ["a1", "a2"]
    assert one.finish(claimed[0]) == []  # a2 is still w1's to do
    assert two.claim(limit=10) == [] and two.append_claim([("telegram", "a3", "A", {})], ["A"])[1] == []
    assert _events(one.finish(claimed[1])) == ["a3"]


def _generic_plan(conn: psycopg.Connection, sql: str, values: dict[str, str]) -> str:
    """The plan a relaxed-pool connection keeps for a prepared statement (values: SQL literals by parameter)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    text = re.sub(r"%\((\w+)\)s", number, sql)
    conn.execute("DEALLOCATE ALL")
    conn.execute(f"PREPARE probe AS {text}".encode())
    args = ", ".join(values[n] for n in names)
    return "\n".join(r[0] for r in conn.execute(f"EXPLAIN EXECUTE probe({args})".encode()).fetchall())


@pytest.mark.parametrize("stats", ["taken while empty", "taken full"])
def test_a_chats_claim_and_done_mark_read_its_open_events_by_key_however_big_the_inbox(pg_url: str, stats: str) -> None:
    # the inbox keeps a day of handled events for redeliveries; a statement that scans them all per update costs a
    # host more with every office it adds. Plans are made once per connection, whatever the statistics were then.
    from storage import pg_inbox

    with psycopg.connect(pg_url, autocommit=True) as conn:
        if stats == "taken while empty":
            conn.execute("ANALYZE inbox")
        conn.execute("INSERT INTO inbox (platform, event_id, chat_key, payload, state) SELECT 'telegram', 'e' || n, "
                     "'telegram:' || (n % 3000), '{}', 'done' FROM generate_series(1, 30000) n")
        conn.execute("INSERT INTO inbox_chats (chat_key) SELECT 'telegram:' || n FROM generate_series(0, 2999) n")
        if stats == "taken full":
            conn.execute("ANALYZE inbox")
            conn.execute("ANALYZE inbox_chats")
        conn.execute("SET plan_cache_mode = force_generic_plan")
        values = {"chat": "'telegram:7'", "chats": "ARRAY['telegram:7']", "id": "5", "limit": "64", "me": "'w1'",
                  "lease": "60"}
        for name in ("_CLAIM_ONE", "_FINISH", "_CLAIM_CHATS"):
            plan = _generic_plan(conn, getattr(pg_inbox, name), values)
            assert not re.search(r"Seq Scan on inbox\b(?!_chats)", plan), f"{name} reads the whole inbox:\n{plan}"


@pytest.mark.parametrize("looks", [5, 1])
def test_a_done_mark_racing_with_a_new_events_commit_never_lets_the_chat_go_without_it(
        repo: PgRepository, pg_url: str, looks: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # w2 stores the chat's next event while w1 marks the current one done: w1's statement read the inbox before the
    # event was committed. Without the chat's arrivals counter w1 let the chat go, and the event waited for a sweep.
    from psycopg.types.json import Jsonb

    from storage import pg_inbox
    from storage.pg_inbox import _APPEND

    monkeypatch.setattr(pg_inbox, "FINISH_LOOKS", looks)  # 1: no second look, the fallback lets the chat go
    holder, other = PgInbox(repo.pool, worker="w1"), PgInbox(repo.pool, worker="w2")
    _, claimed = holder.append_claim([("telegram", "a1", "A", {"n": 1})], ["A"])
    done: list[list[InboxRecord]] = []
    with psycopg.connect(pg_url) as storing:  # w2's transaction: the event stored, not committed yet
        storing.execute(_APPEND, ("telegram", "a2", "A", Jsonb({"n": 2})))
        marking = threading.Thread(target=lambda: done.append(holder.finish(claimed[0])))
        marking.start()
        with psycopg.connect(pg_url, autocommit=True) as watch:
            for _ in range(200):  # until the done mark waits for the stored event's lock
                if watch.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()[0]:
                    break
                time.sleep(0.02)
            else:
                pytest.fail("the done mark did not wait for the event being stored")
        storing.commit()
    marking.join(10)
    if looks == 1:  # the chat is free, not held by a worker with nothing of it to do: any claim takes the event
        assert done == [[]] and _events(other.claim(limit=10)) == ["a2"]
        return
    assert [_events(d) for d in done] == [["a2"]]  # w1 took the event that came while it let go
    assert other.claim(limit=10) == []  # and holds the chat for it
    assert _events(holder.finish(done[0][0])) == [] and _events(other.claim(limit=10)) == []  # then lets it go
    _, claimed = other.append_claim([("telegram", "a3", "A", {"n": 3})], ["A"])
    assert _events(claimed) == ["a3"]
