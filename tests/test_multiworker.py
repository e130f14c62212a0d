"""Two real `itabot run` workers on one PostgreSQL database, webhooks delivered round-robin between them.

Officers report through whichever worker Telegram's POST reaches: every update is answered once and in
order per chat; a worker SIGKILLed mid-run leaves no acknowledged update unanswered; a reminder batch
survives a worker killed while one of its sends is at Telegram: each person due one gets it once, and the
send cut mid-flight is logged "interrupted". `make test` runs the issue's full sizes: 200 officers and a batch
of 2,000 reminders.
"""

from __future__ import annotations

import asyncio
import os
import signal
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

pytestmark = pytest.mark.backend("postgresql")  # PostgreSQL's own SQL, schema and workers

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
    await officers_on_two_workers(pg_url, tmp_path, officers=200)


async def officers_on_two_workers(pg_url: str, tmp_path: Path, officers: int) -> None:
    """Officers report through two workers, then a worker is SIGKILLed while updates keep coming."""
    orgs, evidence = _orgs(tmp_path, max(2, officers // 5))  # one officer per unit: no two report the same measure
    seed(pg_url, orgs)
    users = load_users(orgs, officers)
    api = await FakeTelegramAPI().start()
    procs, ports = await _workers(pg_url, tmp_path, [api, api], EVENING, evidence)
    script = officer_script(1)
    try:
        async with Fleet([api], list(ports)) as fleet:
            # 200 officers complete a report each, every update to the other worker than the one before
            done = await asyncio.gather(*(fleet.officer(u, script, timeout=120) for u in users))
            assert done == [len(script)] * officers, f"timeouts {fleet.timeouts}, unexpected {fleet.unexpected}"
            by: dict[str, list[float]] = {}
            for m, sec in fleet.latencies:
                by.setdefault(m, []).append(sec)
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
        acked = Counter({u: len(ids) for u, ids in fleet.acked.items()})
        assert all(len(fleet.received[u]) >= acked[u] for u in users)  # no acknowledged update lost
        repo = PgRepository.open(pg_url)
        try:
            saved = {(r.org_id, r.officer_id) for o in orgs for r in repo.list_reports(o.org.id, 2569, 12)}
        finally:
            repo.close()
        assert len(saved) == officers  # each officer's answer is stored once the conversation ends
    finally:
        for proc in procs:
            await stop_worker(proc)
        await api.stop()


def _batch_moment(url: str, org_ids: list[str], size: int) -> tuple[datetime, set[tuple[str, str]]]:
    """The first moment of round 12 when an office's officers are all due a reminder, and who is due then
    (the offices are built alike: the first office's people stand for every office's)."""
    repo = PgRepository.open(url)
    try:
        start = datetime(2026, 9, 10, 20, 0, tzinfo=BANGKOK)
        plans = load_org_plans(repo, org_ids[0], start)
        moments = sorted({s.due for rp in plans.rounds for s in rp.sends if chain_kind(s.kind) and s.due > start})
        for moment in moments:
            at = moment + timedelta(minutes=1)
            people = {s.officer.id for s in due_sends(repo, org_ids[0], at)}
            if len(people) * len(org_ids) >= size:
                assert {s.officer.id for s in due_sends(repo, org_ids[-1], at)} == people
                return at, {(org, person) for org in org_ids for person in people}
    finally:
        repo.close()
    raise AssertionError("no moment with a full batch of reminders")


async def test_a_2000_reminder_batch_with_a_worker_killed_mid_batch_sends_each_once(pg_url: str, tmp_path: Path) -> None:
    await reminders_on_two_workers(pg_url, tmp_path, reminders=2000, kill_at=300)


async def reminders_on_two_workers(pg_url: str, tmp_path: Path, reminders: int, kill_at: int) -> None:
    """A batch of reminders sent by two workers; one dies while its `kill_at`-th send is at Telegram."""
    orgs, evidence = _orgs(tmp_path, reminders // 20)
    seed(pg_url, orgs)
    at, due = _batch_moment(pg_url, [o.org.id for o in orgs], reminders)
    chats = {int(i.user_id): (o.org.id, p.id) for o in orgs for p in o.officers for i in p.identities}
    fakes = [await FakeTelegramAPI().start(), await FakeTelegramAPI().start()]  # one Bot API per worker: who sent what
    victim: list[asyncio.subprocess.Process] = []
    cut: list[ApiCall] = []
    seen = Counter[str]()

    def kill_at_telegram(call: ApiCall) -> None:
        """Worker 0 dies while its `kill_at`-th reminder is at Telegram, before it hears "sent"."""
        seen[call.method.lower()] += 1
        if call.method.lower() == "sendmessage" and seen["sendmessage"] == kill_at and victim:
            cut.append(call)
            os.kill(victim[0].pid, signal.SIGKILL)

    fakes[0].on_call = kill_at_telegram
    procs, _ports = await _workers(pg_url, tmp_path, fakes, f"{at:%Y-%m-%d %H:%M}", evidence)
    victim.append(procs[0])
    try:
        def total() -> int:
            return sum(len(f.calls_of("sendMessage")) for f in fakes)

        try:
            await fakes[1].wait_for(lambda: cut and total() >= len(due), timeout=240)
        except AssertionError as exc:
            raise AssertionError(f"{total()} of {len(due)} sent, cut {len(cut)}: {_diagnose(pg_url, tmp_path)}") from exc
        await asyncio.sleep(2)  # anything still to come would be a duplicate
        with psycopg.connect(pg_url, autocommit=True) as conn:
            await fakes[1].wait_for(lambda: conn.execute(
                "SELECT count(*) FROM reminder_work WHERE handled_at IS NULL OR handled_at < wanted_at"
            ).fetchone() == (0,), timeout=60)
            results = Counter(r[0] for r in conn.execute("SELECT data->>'result' FROM sends"))
        sent = Counter(chats[int(c.params["chat_id"])] for f in fakes for c in f.calls_of("sendMessage"))
        assert set(sent) == due and set(sent.values()) == {1}  # each person due a reminder got exactly one
        assert len(fakes[0].calls_of("sendMessage")) == kill_at and len(fakes[1].calls_of("sendMessage")) > kill_at
        assert results == {"sent": len(due) - 1, "interrupted": 1}  # the send cut at Telegram: shown to admins
        with psycopg.connect(pg_url, autocommit=True) as conn:
            row = conn.execute("SELECT data->>'recipient', org_id FROM sends WHERE data->>'result' = 'interrupted'").fetchone()
        assert row is not None and chats[int(cut[0].params["chat_id"])] == (row[1], row[0])
    finally:
        for proc in procs:
            await stop_worker(proc)
        for fake in fakes:
            await fake.stop()


def _diagnose(url: str, tmp_path: Path) -> str:
    """What the database and the workers were doing (for a failure message)."""
    with psycopg.connect(url, autocommit=True) as conn:
        waits = conn.execute("SELECT wait_event_type, wait_event, state, left(query, 120) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
        work = conn.execute("SELECT org_id, wanted_at, handled_at, claimed_by FROM reminder_work").fetchall()
    logs = {p.name: [ln for ln in p.read_text(errors="replace").splitlines() if "HTTP Request" not in ln][-8:]
            for p in sorted(tmp_path.glob("w*.log"))}
    return f"activity {waits}; work {work}; logs {logs}"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhooks go straight to the workers on 127.0.0.1."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
