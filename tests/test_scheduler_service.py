"""ReminderService across restarts: nothing sent twice, nothing that still matters dropped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from bench.line_cost import build_office
from domain.events import Reply
from scheduler.reminders import failed_sends, remind_now, run_due
from scheduler.service import REDERIVE_JOB, ReminderService
from storage.clock import BANGKOK, FixedClock
from storage.models import Officer
from storage.tinydb_repo import TinyRepository
from tests.factory import open_store

ROOT = Path(__file__).resolve().parents[1]
ORG = "bench"
# build_office(n_officers=5, n_measures=6): officer o{i} is in unit u{i}; round 3 waits for
# u1 (m5), u2 (m1), u3 (m2), u5 (m4) — so o1, o2, o3, o5 are chased and o4 is not
CHASED = {"o1", "o2", "o3", "o5"}


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=BANGKOK)


class Recorder:
    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, str, str]] = []

    async def send(self, officer: Officer, reply: Reply) -> bool:
        self.sent.append((self.clock.now(), officer.id, reply.text))
        return True


def office(tmp_path: Path) -> TinyRepository:
    repo = open_store(tmp_path / "data")
    build_office(repo, ORG, n_officers=5, n_measures=6)
    return repo


async def test_new_service_instance_neither_duplicates_nor_drops(tmp_path: Path) -> None:
    repo = office(tmp_path)
    clock = FixedClock(at("2025-12-17T09:00"))
    rec = Recorder(clock)
    svc = ReminderService(repo, clock, rec, retry_delays=())
    svc.start()
    # alarms derived from the plan (checked before the loop runs: these dates are past in real time)
    assert svc.scheduler.get_job(REDERIVE_JOB) is not None
    assert svc.scheduler.get_job("send:2025-12-24T09:00:00+07:00") is not None  # T-7
    assert svc.scheduler.get_job("send:2025-12-30T09:30:00+07:00") is not None  # heads' digest
    first = await svc.ready()
    assert {r.recipient for r in first} == CHASED  # round 3 opens: the four chased officers
    svc.shutdown()

    # killed on 17 Dec, back on 25 Dec at 10:00: T-7 (24 Dec) was missed and still matters
    clock.set(at("2025-12-25T10:00"))
    repo2 = open_store(tmp_path / "data")  # a fresh process would open the files anew
    svc2 = ReminderService(repo2, clock, rec, retry_delays=())
    svc2.start()
    late = await svc2.ready()
    assert {(r.kind, r.recipient) for r in late} == {("remind_T-7", o) for o in CHASED}
    assert await svc2.tick() == []  # nothing twice
    svc2.shutdown()

    # restarted again the same day: nothing new
    svc3 = ReminderService(open_store(tmp_path / "data"), clock, rec, retry_delays=())
    svc3.start()
    assert await svc3.ready() == []
    svc3.shutdown()
    per_officer = Counter(o for _, o, _ in rec.sent)
    assert per_officer == {o: 2 for o in CHASED}


async def test_a_superseded_reminder_is_not_sent_late(tmp_path: Path) -> None:
    repo = office(tmp_path)
    clock = FixedClock(at("2025-12-29T10:00"))  # down since before 24 Dec: T-7 and T-3 both missed
    rec = Recorder(clock)
    svc = ReminderService(repo, clock, rec, retry_delays=())
    svc.start()
    sent = await svc.ready()
    svc.shutdown()
    # only the newest one (T-3, until T0 on 30 Dec) goes out, once per chased officer
    assert sorted((r.kind, r.recipient) for r in sent) == sorted(("remind_T-3", o) for o in CHASED)
    assert all("อีก 2 วัน" in text for _, _, text in rec.sent)


async def test_restart_outside_quiet_hours_waits_for_the_window(tmp_path: Path) -> None:
    repo = office(tmp_path)
    clock = FixedClock(at("2025-12-24T18:00"))  # came back after office hours on T-7 day
    rec = Recorder(clock)
    svc = ReminderService(repo, clock, rec, retry_delays=())
    svc.start()
    assert await svc.ready() == []
    clock.set(at("2025-12-25T08:29"))
    assert await svc.tick() == []
    clock.set(at("2025-12-25T08:30"))
    assert {r.recipient for r in await svc.tick()} == CHASED
    svc.shutdown()


async def test_transient_errors_are_retried_with_backoff_and_final_failures_listed(tmp_path: Path) -> None:
    repo = office(tmp_path)
    clock = FixedClock(at("2025-12-17T09:00"))
    calls: Counter[str] = Counter()
    naps: list[float] = []

    class Flaky:
        async def send(self, officer: Officer, reply: Reply) -> bool:
            calls[officer.id] += 1
            if officer.id == "o1":
                raise ConnectionError("network down")
            if officer.id == "o2" and calls["o2"] < 3:
                raise TimeoutError("slow")
            return officer.id != "o3"  # o3 blocked the bot: permanent failure, no retry

    async def nap(seconds: float) -> None:
        naps.append(seconds)

    records = await run_due(repo, clock, Flaky(), retry_delays=(1, 5, 30), sleep=nap)
    by = {r.recipient: r for r in records}
    assert (by["o1"].result, by["o1"].attempts) == ("failed", 4)
    assert (by["o2"].result, by["o2"].attempts) == ("sent", 3)
    assert (by["o3"].result, by["o3"].attempts) == ("failed", 1)
    assert by["o5"].result == "sent"
    assert naps == [1, 5, 30, 1, 5]
    assert {r.recipient for r in failed_sends(repo, ORG, 2569)} == {"o1", "o3"}
    assert "ConnectionError" in by["o1"].detail
    # a final failure is not retried on the next run (admins see it instead)
    clock.set(at("2025-12-17T10:00"))
    assert await run_due(repo, clock, Flaky(), retry_delays=(), sleep=nap) == []


async def test_crash_between_log_and_send_is_not_resent_but_shown(tmp_path: Path) -> None:
    repo = office(tmp_path)
    clock = FixedClock(at("2025-12-17T09:00"))

    class Dies:
        async def send(self, officer: Officer, reply: Reply) -> bool:
            raise SystemExit("killed")  # the process dies mid-send

    with pytest.raises(SystemExit):
        await run_due(repo, clock, Dies(), retry_delays=())
    rec = Recorder(clock)
    svc = ReminderService(open_store(tmp_path / "data"), clock, rec, retry_delays=())
    svc.start()
    sent = await svc.ready()
    svc.shutdown()
    interrupted = [r for r in failed_sends(repo, ORG, 2569) if r.result == "interrupted"]
    assert len(interrupted) == 1
    assert interrupted[0].recipient not in {r.recipient for r in sent}
    assert len(sent) == len(CHASED) - 1


async def test_remind_now_once_a_day_within_hours(tmp_path: Path) -> None:
    repo = office(tmp_path)
    clock = FixedClock(at("2025-11-05T10:00"))  # before round 3 opens: /remind still chases it
    rec = Recorder(clock)
    reply = await remind_now(repo, clock, rec, ORG, "chief", retry_delays=())
    assert "4 คน" in reply.text
    assert {o for _, o, _ in rec.sent} == CHASED
    again = await remind_now(repo, clock, rec, ORG, "chief", retry_delays=())
    assert "วันนี้ส่งการแจ้งเตือนไปแล้ว" in again.text
    assert len(rec.sent) == 4
    clock.set(at("2025-11-05T19:00"))
    assert "08:30–16:30" in (await remind_now(repo, clock, rec, ORG, "chief", retry_delays=())).text
    clock.set(at("2025-11-06T09:00"))
    await remind_now(repo, clock, rec, ORG, "chief", retry_delays=())
    assert len(rec.sent) == 8
    assert {s.kind for s in repo.list_sends(ORG, 2569)} == {"remind_now", "remind_now_request"}


DRIVER = textwrap.dedent("""
    import asyncio, json, os, sys
    from datetime import datetime
    from scheduler.service import ReminderService
    from storage.clock import BANGKOK, FixedClock
    from pathlib import Path
    from tests.factory import open_store

    data_dir, out, *moments = sys.argv[1:]
    stamps = [datetime.fromisoformat(m).replace(tzinfo=BANGKOK) for m in moments]
    clock = FixedClock(stamps[0])

    class FileNotifier:
        async def send(self, officer, reply):
            with open(out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"at": clock.now().isoformat(), "to": officer.id}) + "\\n")
                fh.flush()
                os.fsync(fh.fileno())
            return True

    async def main():
        svc = ReminderService(open_store(Path(data_dir)), clock, FileNotifier(), retry_delays=())
        svc.start()
        await svc.ready()
        for stamp in stamps[1:]:
            clock.set(stamp)
            await svc.tick()
        print("idle", flush=True)
        await asyncio.Event().wait()  # keep the scheduler running until killed

    asyncio.run(main())
""")


def _run_until_idle_then_kill(data_dir: Path, out: Path, *moments: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(data_dir), str(out), *moments],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "idle", proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_sigkilled_process_restarts_without_duplicates_or_drops(tmp_path: Path) -> None:
    repo = office(tmp_path)
    del repo
    data, out = tmp_path / "data", tmp_path / "sent.jsonl"
    # 1st life: round 3 opens on 17 Dec; killed the same day
    _run_until_idle_then_kill(data, out, "2025-12-17T09:00", "2025-12-17T15:00")
    # 2nd life from 25 Dec 10:00 (T-7 on 24 Dec missed while down), on to T-3 on 26 Dec; killed
    _run_until_idle_then_kill(data, out, "2025-12-25T10:00", "2025-12-26T09:00", "2025-12-26T12:00")
    # 3rd life later that day: nothing to do
    _run_until_idle_then_kill(data, out, "2025-12-26T14:00")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    days = Counter((x["to"], x["at"][:16]) for x in lines)
    assert all(n == 1 for n in days.values())
    expected = {(o, stamp) for o in CHASED for stamp in ("2025-12-17T09:00", "2025-12-25T10:00", "2025-12-26T09:00")}
    assert set(days) == expected
    sends = open_store(data).list_sends(ORG, 2569)
    assert Counter(s.kind for s in sends) == {"round_open": 4, "remind_T-7": 4, "remind_T-3": 4}


async def test_one_office_with_a_broken_policy_does_not_silence_another(tmp_path: Path) -> None:
    repo = office(tmp_path)
    build_office(repo, "other", n_officers=5, n_measures=6)
    repo.set_setting("other", "reminder_policy", {"send_tme": "09:00"})  # typo
    clock = FixedClock(at("2025-12-17T09:00"))
    rec = Recorder(clock)
    svc = ReminderService(repo, clock, rec, retry_delays=())
    svc.start()
    sent = await svc.ready()
    svc.shutdown()
    assert {(r.org_id, r.recipient) for r in sent} == {(ORG, o) for o in CHASED}
