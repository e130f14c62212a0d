"""Two real `itabot run` workers on one PostgreSQL database, webhooks delivered round-robin between them.

Officers report through whichever worker Telegram's POST reaches: every update is answered once and in
order per chat; a worker SIGKILLed mid-run leaves no acknowledged update unanswered; a batch of 2,000
reminders survives a worker killed while one of its sends is at Telegram: each person gets theirs once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bench.pg_fleet import Fleet, seed, start_worker, stop_worker
from bench.telegram_throughput import OPEN_ROUND_DATA, officer_script
from bench.workload import evidence_pool, load_users, make_org
from scheduler.planner import chain_kind
from scheduler.reminders import due_sends, load_org_plans
from storage.clock import BANGKOK
from storage.evidence import EvidenceStore
from storage.pg_repo import PgRepository
from tests.fakes.telegram_api import ApiCall, FakeTelegramAPI
from tests.test_telegram_run import free_port

OFFICERS = int(os.environ.get("MW_OFFICERS", "200"))
EVENING = "2026-09-10 20:00"  # round 12 is open; outside the reminders' hours, so chats hear only replies


def _orgs(tmp: Path, count: int) -> tuple[list, Path]:
    evidence = tmp / "evidence"
    pool = evidence_pool(EvidenceStore(evidence))
    return [make_org(i, pool, rounds=OPEN_ROUND_DATA) for i in range(count)], evidence


async def _workers(url: str, tmp: Path, fakes: list[FakeTelegramAPI], now: str,
                   evidence: Path) -> tuple[list[asyncio.subprocess.Process], list[int]]:
    ports = [free_port() for _ in fakes]
    procs = await asyncio.gather(*(
        start_worker(url, port, tmp / f"w{i}", fake, now, tmp / f"w{i}.log", evidence)
        for i, (port, fake) in enumerate(zip(ports, fakes, strict=True))
    ))
    return list(procs), ports


async def test_two_workers_answer_200_officers_in_order_and_survive_a_sigkill(pg_url: str, tmp_path: Path) -> None:
    orgs, evidence = _orgs(tmp_path, OFFICERS // 20)
    seed(pg_url, orgs)
    users = load_users(orgs, OFFICERS)
    api = await FakeTelegramAPI().start()
    t0 = time.monotonic()
    procs, ports = await _workers(pg_url, tmp_path, [api, api], EVENING, evidence)
    print("started", time.monotonic() - t0)
    script = officer_script(1)
    try:
        async with Fleet([api], list(ports)) as fleet:
            # 200 officers complete a report each, every update to the other worker than the one before
            done = await asyncio.gather(*(fleet.officer(u, script) for u in users))
            assert done == [len(script)] * OFFICERS, f"timeouts {fleet.timeouts}, unexpected {fleet.unexpected}"
            print("reports", time.monotonic() - t0)
            by: dict[str, list[float]] = {}
            for m, sec in fleet.latencies:
                by.setdefault(m, []).append(sec)
            print({m: round(sum(v) / len(v), 2) for m, v in by.items()})
            assert fleet.unexpected == 0  # nothing answered twice, nothing out of turn
            assert all(len(fleet.received[u]) == len(script) for u in users)
            # per-chat order across workers: two commands back to back (each acknowledged before the next)
            for u in users:
                await fleet.post(u, api.text_update(u, "/status"))
                await fleet.post(u, api.text_update(u, "/help"))
            await api.wait_for(lambda: all(len(fleet.received[u]) == len(script) + 2 for u in users), timeout=60)
            for u in users:
                status, help_ = (c.params["text"] for c in fleet.received[u][-2:])
                assert "/cancel" in help_ and "/cancel" not in status, (status, help_)
            print("order", time.monotonic() - t0)
            # a SIGKILL mid-stream: the survivor answers everything that was acknowledged
            before = {u: len(fleet.received[u]) for u in users}
            killed = False
            for n, u in enumerate(users * 3):
                await fleet.post(u, api.text_update(u, "/help"))
                if n == len(users) and not killed:
                    procs[1].send_signal(signal.SIGKILL)
                    await procs[1].wait()
                    fleet.drop(ports[1])
                    killed = True
            await api.wait_for(lambda: all(len(fleet.received[u]) - before[u] >= 3 for u in users), timeout=60)
        print("kill", time.monotonic() - t0)
        acked = Counter({u: len(ids) for u, ids in fleet.acked.items()})
        assert all(len(fleet.received[u]) >= acked[u] for u in users)  # no acknowledged update lost
        repo = PgRepository.open(pg_url)
        try:
            saved = {(r.org_id, r.officer_id) for o in orgs for r in repo.list_reports(o.org.id, 2569, 12)}
        finally:
            repo.close()
        assert len(saved) == OFFICERS  # each officer's answer is stored once the conversation ends
    finally:
        for proc in procs:
            await stop_worker(proc)
        await api.stop()


REMINDERS = 2000


def _batch_moment(url: str, org_ids: list[str]) -> tuple[datetime, set[tuple[str, str]]]:
    """The first moment of round 12 when every office's officers are due a reminder, and who is due."""
    repo = PgRepository.open(url)
    try:
        start = datetime(2026, 9, 10, 20, 0, tzinfo=BANGKOK)
        plans = load_org_plans(repo, org_ids[0], start)
        moments = sorted({s.due for rp in plans.rounds for s in rp.sends if chain_kind(s.kind) and s.due > start})
        for moment in moments:
            at = moment + timedelta(minutes=1)
            due = {(org, s.officer.id) for org in org_ids for s in due_sends(repo, org, at)}
            if len(due) >= REMINDERS:
                return at, due
    finally:
        repo.close()
    raise AssertionError("no moment with a full batch of reminders")


async def test_a_2000_reminder_batch_with_a_worker_killed_mid_batch_sends_each_once(pg_url: str, tmp_path: Path) -> None:
    orgs, evidence = _orgs(tmp_path, REMINDERS // 20)
    seed(pg_url, orgs)
    at, due = _batch_moment(pg_url, [o.org.id for o in orgs])
    chats = {int(i.user_id): (o.org.id, p.id) for o in orgs for p in o.officers for i in p.identities}
    fakes = [await FakeTelegramAPI().start(), await FakeTelegramAPI().start()]  # one Bot API per worker: who sent what
    victim: list[asyncio.subprocess.Process] = []
    cut: list[ApiCall] = []

    def kill_at_telegram(call: ApiCall) -> None:
        """Worker 0 dies while its 300th reminder is at Telegram, before it hears "sent"."""
        if call.method.lower() == "sendmessage" and len(fakes[0].calls_of("sendMessage")) == 300 and victim:
            cut.append(call)
            os.kill(victim[0].pid, signal.SIGKILL)

    fakes[0].on_call = kill_at_telegram
    print("planned", len(due), at)
    t0 = time.monotonic()
    procs, _ports = await _workers(pg_url, tmp_path, fakes, f"{at:%Y-%m-%d %H:%M}", evidence)
    print("started", time.monotonic() - t0)
    victim.append(procs[0])
    try:
        def total() -> int:
            return sum(len(f.calls_of("sendMessage")) for f in fakes)

        await fakes[1].wait_for(lambda: cut and total() >= len(due), timeout=120)
        print("sent", time.monotonic() - t0)
        await asyncio.sleep(2)  # anything still to come would be a duplicate
        with psycopg.connect(pg_url, autocommit=True) as conn:
            await fakes[1].wait_for(lambda: conn.execute(
                "SELECT count(*) FROM reminder_work WHERE handled_at IS NULL OR handled_at < wanted_at"
            ).fetchone() == (0,), timeout=60)
            results = Counter(r[0] for r in conn.execute("SELECT data->>'result' FROM sends"))
        sent = Counter(chats[int(c.params["chat_id"])] for f in fakes for c in f.calls_of("sendMessage"))
        assert set(sent) == due and set(sent.values()) == {1}  # each person due a reminder got exactly one
        assert len(fakes[0].calls_of("sendMessage")) >= 300 and len(fakes[1].calls_of("sendMessage")) > 300
        assert results == {"sent": len(due) - 1, "interrupted": 1}  # the send cut at Telegram: shown to admins
    finally:
        for proc in procs:
            await stop_worker(proc)
        for fake in fakes:
            await fake.stop()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhooks go straight to the workers on 127.0.0.1."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
