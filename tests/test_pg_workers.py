"""Several workers on one database: each reminder claimed by exactly one of them, a dead worker's claim
retried after its lease, a finished send never repeated, and one planner at a time through a lease."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from storage.models import Organization, SendRecord
from storage.pg_lease import PgLease
from storage.pg_repo import PgRepository
from storage.pg_schema import LATEST, connect, migrate

pytestmark = pytest.mark.backend("postgresql")  # PostgreSQL's own SQL, schema and workers


@pytest.fixture
def repo(pg_url: str) -> Iterator[PgRepository]:
    """A repository on an empty, migrated database."""
    opened = PgRepository.open(pg_url)
    yield opened
    opened.close()


def sending(key: str, worker: str) -> SendRecord:
    """A reminder about to go out, as a worker logs it before sending."""
    return SendRecord(
        key=key, org_id="o1", fiscal_year=2569, round=6, kind="officer_first", recipient="p1",
        due="2026-03-20T09:00:00+07:00", result="sending", attempts=0, detail=worker,
    )


def expire_claims(repo: PgRepository) -> None:
    """Let every running claim's lease run out (instead of sleeping through it)."""
    with repo.pool.connection() as conn:
        conn.execute("UPDATE sends SET claimed_until = now() - interval '1 second' WHERE claimed_until IS NOT NULL")


def test_a_send_is_claimed_once_and_a_finished_one_never_again(repo: PgRepository) -> None:
    assert repo.claim_send(sending("k1", "w1")) is True
    assert repo.claim_send(sending("k1", "w2")) is False  # w1's claim is running
    expire_claims(repo)
    assert repo.claim_send(sending("k1", "w2")) is True  # w1 died mid-send: w2 takes over
    got = repo.get_send("o1", 2569, "k1")
    assert got is not None and got.detail == "w2" and got.result == "sending"
    repo.log_send(SendRecord(**{**got.__dict__, "result": "sent", "attempts": 1}))
    expire_claims(repo)
    assert repo.claim_send(sending("k1", "w3")) is False  # done is done, however old
    assert [(s.key, s.result, s.detail) for s in repo.list_sends("o1", 2569)] == [("k1", "sent", "w2")]


def test_a_batch_survives_a_worker_dying_mid_batch_sending_each_reminder_once(repo: PgRepository) -> None:
    keys = [f"o1:2569:6:officer_first:p{i}" for i in range(150)]
    sent: list[str] = []
    guard = threading.Lock()

    doomed_is_dead = threading.Event()

    def worker(name: str, dies_after: int | None) -> None:
        claimed = 0
        for key in keys:
            if not repo.claim_send(sending(key, name)):
                continue
            claimed += 1
            if dies_after is not None and claimed > dies_after:
                doomed_is_dead.set()
                return  # killed between claiming and sending: the claim is left "sending"
            with guard:
                sent.append(key)
            repo.log_send(SendRecord(**{**sending(key, name).__dict__, "result": "sent", "attempts": 1}))

    def survivor(name: str) -> None:
        doomed_is_dead.wait(timeout=60)  # the death is certain; the three survivors then race each other
        worker(name, None)

    threads = [threading.Thread(target=worker, args=("doomed", 10))]
    threads += [threading.Thread(target=survivor, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == len(keys) - 1  # the doomed worker's last claim is waiting for its lease
    expire_claims(repo)
    worker("survivor", None)  # the next tick of a live worker
    counts = Counter(sent)
    assert set(counts) == set(keys) and max(counts.values()) == 1
    assert {s.result for s in repo.list_sends("o1", 2569)} == {"sent"}


def test_one_planner_holds_the_lease_and_a_dead_ones_passes_at_once(pg_url: str) -> None:
    first, second = PgLease(pg_url, "reminders"), PgLease(pg_url, "reminders")
    other = PgLease(pg_url, "another-job")
    try:
        assert first.acquire() is True and first.acquire() is True  # re-acquiring is a no-op
        assert second.acquire() is False and other.acquire() is True
        with psycopg.connect(pg_url, autocommit=True) as admin:  # the first worker's machine vanishes
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND "
                "objid = (hashtextextended('itabot-lease:reminders', 0) & x'ffffffff'::bigint)::oid"
            )
        assert first.held() is False
        assert second.acquire() is True and first.acquire() is False
        second.release()
        assert first.acquire() is True
    finally:
        for lease in (first, second, other):
            lease.release()


def test_migrating_an_older_database_keeps_its_data(pg_empty_url: str) -> None:
    empty_url = pg_empty_url
    with connect(empty_url) as conn:
        assert [m.version for m in migrate(conn, target=1)] == [1]
        conn.execute("""INSERT INTO orgs (id, data) VALUES ('o1', '{"id": "o1", "name": "อบต.เก่า"}')""")
        conn.execute(
            "INSERT INTO sends (org_id, fiscal_year, key, data) VALUES ('o1', 2569, 'k0', %s::jsonb)",
            ('{"key": "k0", "org_id": "o1", "fiscal_year": 2569, "round": 6, "kind": "k", '
             '"recipient": "p1", "due": "", "result": "sent"}',),
        )
        assert [m.version for m in migrate(conn)] == list(range(2, LATEST + 1))
    repo = PgRepository.open(empty_url)
    try:
        assert repo.get_org("o1") == Organization(id="o1", name="อบต.เก่า")
        assert repo.claim_send(sending("k0", "w1")) is False  # sent under the old schema: still sent
        assert repo.claim_send(sending("k1", "w1")) is True
    finally:
        repo.close()



def test_a_killed_worker_is_reaped_at_once_its_chats_freed_and_its_cut_send_interrupted(repo: PgRepository,
                                                                                         pg_url: str) -> None:
    from storage.pg_inbox import PgInbox
    from storage.pg_workers import PgWorkers

    doomed, survivor = PgWorkers(repo.pool, pg_url, "doomed"), PgWorkers(repo.pool, pg_url, "survivor")
    doomed.register()
    survivor.register()
    try:
        assert set(survivor.live()) == {"doomed", "survivor"}
        inbox = PgInbox(repo.pool, worker="doomed")
        inbox.append("telegram", "1", "telegram:7", {"n": 1})
        assert [r.event_id for r in inbox.claim()] == ["1"]
        repo.worker = "doomed"
        assert repo.claim_send(sending("k1", "doomed"))  # in flight at the platform when it dies
        assert survivor.reap() == (0, 0, 0)  # alive: nothing to take
        doomed.liveness.release()  # its connection ends: SIGKILL, or its machine vanished
        assert survivor.tend(60) == (1, 1, 1, 1)  # the reaper as the dispatcher runs it: reaped, cut, chats, live
        assert survivor.live() == ["survivor"]
        assert [r.event_id for r in PgInbox(repo.pool, worker="survivor", lease_seconds=1).claim()] == ["1"]
        survivor.tend(60)  # a slow event is not a dead worker: its chat's lease runs on
        with repo.pool.connection() as conn:
            left = conn.execute("SELECT claimed_by, claimed_until - now() > interval '30 seconds' FROM inbox_chats")
            assert left.fetchall() == [("survivor", True)]
        got = repo.get_send("o1", 2569, "k1")
        assert got is not None and got.result == "interrupted"  # at most once: never sent again
        repo.worker = "survivor"
        assert repo.claim_send(sending("k1", "survivor")) is False
    finally:
        doomed.leave()
        survivor.leave()


def test_polling_is_refused_beside_another_worker_and_a_webhook_beside_a_poller(repo: PgRepository,
                                                                               pg_url: str) -> None:
    from storage.pg_workers import PgWorkers, TelegramModeRefused

    first, second = PgWorkers(repo.pool, pg_url, "first"), PgWorkers(repo.pool, pg_url, "second")
    first.register()
    try:
        first.choose_telegram(polling=True)  # alone: polling is fine
        second.register()
        with pytest.raises(TelegramModeRefused, match="TELEGRAM_WEBHOOK_URL"):
            second.choose_telegram(polling=True)
        with pytest.raises(TelegramModeRefused, match="polls Telegram"):
            second.choose_telegram(polling=False)
        first.leave()  # the poller stops: webhooks may start
        second.choose_telegram(polling=False)
    finally:
        first.leave()
        second.leave()


def test_reminder_work_is_claimed_one_office_at_a_time_and_reopened_by_a_newer_request(repo: PgRepository) -> None:
    from storage.pg_workers import PgReminderWork

    one, two = PgReminderWork(repo.pool, "w1"), PgReminderWork(repo.pool, "w2")
    one.request(["o1", "o2", "o3"])
    a, b = one.claim(), two.claim()
    assert a is not None and b is not None and {a.org_id, b.org_id} <= {"o1", "o2", "o3"} and a.org_id != b.org_id
    assert one.open_count() == 3
    one.request([a.org_id])  # a new tick while w1 is still sending: the office stays open after this pass
    one.finish(a)
    two.finish(b)
    c = one.claim()
    d = two.claim()
    assert c is not None and d is not None and {c.org_id, d.org_id} == ({"o1", "o2", "o3"} - {b.org_id})
    one.finish(c)
    two.finish(d)
    assert one.claim() is None and one.open_count() == 0


def test_two_workers_count_line_pushes_in_one_monthly_count_and_warn_once(repo: PgRepository) -> None:
    from datetime import datetime

    from bot.line_quota_shared import SharedPushQuota
    from storage.clock import BANGKOK, FixedClock

    clock = FixedClock(datetime(2026, 3, 20, 10, 0, tzinfo=BANGKOK))
    one, two = SharedPushQuota(repo.pool, 10, clock), SharedPushQuota(repo.pool, 10, clock)
    notices = []
    for n in range(10):
        notices += (one if n % 2 else two).record()
    assert one.used == two.used == 10 and not one.allows() and not two.allows()
    assert sorted(notices) == ["cap", "warn"]  # each given once, whichever worker pushed
    assert one.owed("admin") == ["warn", "cap"]
    two.mark_told("admin", ["warn", "cap"])
    assert one.owed("admin") == [] and one.mark_capped() is False


def test_itabot_run_refuses_telegram_polling_beside_a_live_worker(
    repo: PgRepository, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main as cli
    from storage.pg_workers import PgWorkers

    other = PgWorkers(repo.pool, pg_url, "webhook-worker-on-another-machine")
    other.register()
    try:
        for name in ("TELEGRAM_WEBHOOK_URL", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ITABOT_DATABASE_URL", pg_url)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-token")
        monkeypatch.chdir(tmp_path)
        code = cli(["run", "--data-dir", str(tmp_path / "data"), "--port", "0"])
        assert code == 1  # refused before anything listens or polls
        err = capsys.readouterr().err
        assert "TELEGRAM_WEBHOOK_URL" in err and "polling" in err
        assert other.live() == ["webhook-worker-on-another-machine"]  # the refused one left the workers again
    finally:
        other.leave()
