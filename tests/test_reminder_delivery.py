"""Issue 20: a reminder counts as sent only when a person got it, and hosts see what became of each.

Real processes and real SDKs: `itabot remind` and `itabot run` as subprocesses (or the same sending
path in-process), the fake LINE API and the fake Telegram Bot API on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.reminders import send_due_once
from bot.wiring import build_services
from domain.sends import REASON_QUOTA, RESULT_FOLDED, RESULT_SENT, RESULT_WAITING
from storage.clock import BANGKOK, FixedClock
from storage.models import Identity
from tests.factory import Chat, Office, make_office, open_store
from tests.fakes.line_api import FakeLineAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.tools import clean_env

ROOT = Path(__file__).resolve().parent.parent
SECRET = "line-channel-secret-for-tests"
TOKEN = "test-access-token"
SOMYING = "U0somying000000000000000000000001"  # กองคลัง, LINE only
SOMCHAI = "U0somchai000000000000000000000002"  # กองช่าง, LINE and Telegram
SOMCHAI_TG = 777


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=BANGKOK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def join(office: Office, user_id: str, unit: str, name: str, platform: str = "line", role: str = "officer") -> Chat:
    """Register a chat account with an invite, as a person would."""
    chat = office.chat(user_id, platform)
    units = (unit,) if unit else ()
    reply = chat.say(f"/start {office.invite(role, *units, name=name)}")
    assert "ลงทะเบียนเรียบร้อย" in reply[0].text
    return chat


def bare_env(**extra: str) -> dict[str, str]:
    """The environment without any real platform or data settings, plus what a test gives."""
    env = clean_env()
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def line_env(api: FakeLineAPI) -> dict[str, str]:
    return bare_env(LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN, LINE_API_BASE_URL=api.root_url)


async def itabot(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run the CLI as a host would; (exit code, everything it printed)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    return int(proc.returncode or 0), out.decode()


async def serve_until(cwd: Path, env: dict[str, str], data: Path, now: str, done: object, api: FakeLineAPI) -> str:
    """`itabot run --now` until `done()` holds (checked on every call to the fake LINE API), then SIGTERM."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--data-dir", str(data), "--now", now, "--port", str(free_port()),
        cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await api.wait_for(done, timeout=40)
        await asyncio.sleep(1.0)  # anything the server would wrongly send as well has time to arrive
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return (await proc.stdout.read()).decode() if proc.stdout else ""


def push_texts(api: FakeLineAPI, user_id: str) -> list[str]:
    return [m["text"] for p in api.pushes_to(user_id) for m in p["messages"] if m["type"] == "text"]


async def test_remind_then_the_server_on_the_same_day_reaches_the_officer_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-20T10:00"))
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    api = await FakeLineAPI(TOKEN).start()
    try:
        code, out = await itabot(tmp_path, line_env(api), "remind", "--data-dir", str(data), "--now", "2026-03-26 10:00")
        assert code == 0, out
        assert "ส่งแล้ว 1 ณ 26 มี.ค. 2569 10:00 น." in out
        [text] = push_texts(api, SOMYING)
        assert "อีก 5 วันครบกำหนดรายงานผลรอบ 6 เดือน" in text and "เผยแพร่ข้อมูลงบประมาณ" in text
        # someone joins after the CLI ran: the server reaching them proves its own run happened
        join(office, SOMCHAI, "กองช่าง", "สมชาย")
        await serve_until(tmp_path, line_env(api), data, "2026-03-26 10:30", lambda: api.pushes_to(SOMCHAI), api)
    finally:
        await api.stop()
    assert len(push_texts(api, SOMYING)) == 1  # not a second time by the server
    sent = [r for r in open_store(data).list_sends("o1", 2569) if r.recipient != "o1"]
    assert sorted(r.result for r in sent) == [RESULT_SENT, RESULT_SENT]


async def test_remind_without_a_platform_refuses_and_the_server_sends_later(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-20T10:00"))
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    code, out = await itabot(tmp_path, bare_env(), "remind", "--data-dir", str(data), "--now", "2026-03-26 10:00")
    assert code == 2
    assert out.strip().count("\n") == 0 and "itabot remind --dry-run" in out  # one Thai line
    assert open_store(data).list_sends("o1", 2569) == []  # nothing recorded as sent
    api = await FakeLineAPI(TOKEN).start()
    try:
        output = await serve_until(tmp_path, line_env(api), data, "2026-03-26 10:30", lambda: api.pushes_to(SOMYING), api)
    finally:
        await api.stop()
    assert "rehearsal" in output
    [text] = push_texts(api, SOMYING)
    assert "อีก 5 วันครบกำหนด" in text  # the rehearsed day, not the real one


async def test_run_on_a_taken_port_says_so_in_one_line_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out = await itabot(tmp_path, bare_env(), "run", "--no-chat", "--data-dir", str(tmp_path / "data"),
                               "--port", str(port))
    assert code == 1
    assert len(out.strip().splitlines()) == 1 and str(port) in out and "Traceback" not in out
    assert not (tmp_path / "data").exists()  # nothing was opened


# ----- the LINE quota used up --------------------------------------------------------------------
def settings(line: FakeLineAPI, telegram: FakeTelegramAPI, push_limit: int = 300) -> Settings:
    return Settings(
        telegram_token=telegram.token, telegram_api_base_url=telegram.root_url,
        line_channel_secret=SECRET, line_access_token=TOKEN, line_api_base_url=line.root_url,
        line_monthly_push_limit=push_limit,
    )


def on_telegram(office: Office, name: str, chat_id: int) -> None:
    """Give a registered person a Telegram account too."""
    person = next(p for p in office.repo.list_officers("o1") if p.display_name == name)
    person.identities.append(Identity("telegram", str(chat_id)))
    office.repo.save_officer(person)


async def remind_at(data: Path, conf: Settings, stamp: str) -> list[str]:
    """`itabot remind` at a moment, in-process (the same send_due_once the CLI calls)."""
    services = build_services(data, FixedClock(at(stamp)))
    try:
        records = await send_due_once(conf, services, at(stamp))
    finally:
        services.repo.close()
    assert records is not None
    return [r.result for r in records]


def schedule_line(data: Path, capsys: pytest.CaptureFixture[str], when: str) -> str:
    assert main(["schedule", "--fiscal-year", "2569", "--data-dir", str(data), "--today", "2026-03-27"]) == 0
    out = capsys.readouterr().out
    found = re.search(rf"{when}\s+\S.*", out)
    assert found, out
    return found.group(0)


async def test_quota_used_up_is_named_fallback_to_telegram_then_one_reminder_when_pushes_are_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-20T10:00"))
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    join(office, SOMCHAI, "กองช่าง", "สมชาย")
    on_telegram(office, "สมชาย", SOMCHAI_TG)
    admin = office.register("adm", "admin", name="ผู้ดูแล")
    line, telegram = await FakeLineAPI(TOKEN).start(), await FakeTelegramAPI().start()
    try:
        line.quota_limit = 0  # this month's pushes are used up
        await remind_at(data, settings(line, telegram), "2026-03-24T10:00")  # the T-7 reminder
        assert line.pushes == []
        [tg] = telegram.texts_to(SOMCHAI_TG)  # สมชาย also has Telegram: reached there
        assert "อีก 7 วันครบกำหนด" in tg
        log = {r.recipient: r for r in open_store(data).list_sends("o1", 2569)}
        waiting = log[next(p.id for p in office.repo.list_officers("o1") if p.display_name == "สมหญิง")]
        assert (waiting.result, waiting.reason) == (RESULT_WAITING, REASON_QUOTA)
        assert "ส่งแล้ว 1 · ไม่สำเร็จ 1: โควตา LINE หมด 1" in schedule_line(data, capsys, "24 มี.ค. 2569 09:00")
        office.clock.set(at("2026-03-24T11:00"))
        admin.say("/status")
        assert "สมหญิง: โควตา LINE หมด — เพิ่มโควตา LINE หรือผูก Telegram" in admin.text

        line.quota_limit = None  # pushes available again, on the morning the next reminder is due
        await remind_at(data, settings(line, telegram), "2026-03-27T09:00")
        [one] = push_texts(line, SOMYING)  # one reminder, not the waiting one and the new one
        assert "อีก 4 วันครบกำหนด" in one
        assert open_store(data).get_send("o1", 2569, waiting.key).result == RESULT_FOLDED  # type: ignore[union-attr]
        await remind_at(data, settings(line, telegram), "2026-03-27T13:00")
        assert len(push_texts(line, SOMYING)) == 1
    finally:
        await line.stop()
        await telegram.stop()
    assert "ไม่สำเร็จ 1: โควตา LINE หมด 1" in schedule_line(data, capsys, "24 มี.ค. 2569 09:00")
    assert "ส่งแล้ว 2" in schedule_line(data, capsys, "27 มี.ค. 2569 09:00")
    admin.say("/status")
    assert "โควตา LINE" not in admin.text  # reached since: nothing left for the admin to do


async def test_a_waiting_reminder_goes_out_once_when_pushes_are_back_if_still_owed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-20T10:00"))
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    somchai = join(office, SOMCHAI, "กองช่าง", "สมชาย")
    line, telegram = await FakeLineAPI(TOKEN).start(), await FakeTelegramAPI().start()
    try:
        line.quota_limit = 0
        assert await remind_at(data, settings(line, telegram), "2026-03-24T10:00") == [RESULT_WAITING] * 2
        office.clock.set(at("2026-03-24T15:00"))  # สมชาย reports his unit's measures meanwhile
        somchai.say("/report")
        somchai.press("จัดทำคู่มือ")
        somchai.press("ยังไม่ได้ดำเนินการ")
        somchai.say("รอจัดสรรงบประมาณ")
        somchai.press("บันทึก")
        assert "บันทึกแล้ว" in somchai.text
        line.quota_limit = None
        await remind_at(data, settings(line, telegram), "2026-03-25T10:00")
        await remind_at(data, settings(line, telegram), "2026-03-25T11:00")
    finally:
        await line.stop()
        await telegram.stop()
    [late] = push_texts(line, SOMYING)  # still owes: one reminder, late, worded for today
    assert "อีก 6 วันครบกำหนด" in late
    assert push_texts(line, SOMCHAI) == []  # reported everything meanwhile: nothing to chase


async def test_a_person_who_blocked_the_bot_on_telegram_is_logged_as_blocked_not_sent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-20T10:00"))
    join(office, "4242", "กองคลัง", "สมหญิง", platform="telegram")
    admin = office.register("adm", "admin", name="ผู้ดูแล")
    line, telegram = await FakeLineAPI(TOKEN).start(), await FakeTelegramAPI().start()
    try:
        telegram.blocked.add(4242)
        assert await remind_at(data, settings(line, telegram), "2026-03-24T10:00") == ["failed"]
    finally:
        await line.stop()
        await telegram.stop()
    [record] = [r for r in open_store(data).list_sends("o1", 2569) if r.kind == "remind_T-7"]
    assert (record.reason, record.attempts) == ("blocked", 1)  # a refusal is not retried
    office.clock.set(at("2026-03-24T11:00"))
    admin.say("/status")
    assert "สมหญิง: บล็อกบอตหรือเลิกเป็นเพื่อน — ให้เพิ่มเพื่อนบอตใหม่" in admin.text


async def test_heads_digest_names_who_cannot_be_reached_and_what_to_do(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-20T10:00"))
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    office.register("head", "head", name="ปลัด")
    on_telegram(office, "ปลัด", 888)
    line, telegram = await FakeLineAPI(TOKEN).start(), await FakeTelegramAPI().start()
    try:
        line.quota_limit = 0
        # 30 Mar: the T-1 reminder (09:00) cannot go out, then the heads' digest (09:30) says so
        assert await remind_at(data, settings(line, telegram), "2026-03-30T09:30") == [RESULT_WAITING, RESULT_SENT]
    finally:
        await line.stop()
        await telegram.stop()
    [digest] = telegram.texts_to(888)
    assert "กองคลัง (สมหญิง)" in digest
    assert "บอตติดต่อไม่ได้ 1 คน" in digest
    assert "• สมหญิง: โควตา LINE หมด — เพิ่มโควตา LINE หรือผูก Telegram" in digest


async def test_admin_is_told_once_at_80_percent_with_the_reminders_at_risk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-20T10:00"))
    for i in range(4):
        join(office, f"U0officer{i:023d}", "กองคลัง", f"เจ้าหน้าที่ {i + 1}")
    join(office, "999", "", "ผู้ดูแล", platform="telegram", role="admin")
    line, telegram = await FakeLineAPI(TOKEN).start(), await FakeTelegramAPI().start()
    try:
        conf = settings(line, telegram, push_limit=5)
        assert await remind_at(data, conf, "2026-03-24T10:00") == [RESULT_SENT] * 4  # 4 of 5 pushes: 80 %
        [warning] = telegram.texts_to(999)
        assert "ใช้ไปแล้ว 4 จาก 5 ข้อความ" in warning
        # still planned this month over LINE: T-3, T-1 and T0 for 4 people = 12, only 1 push left
        assert "เดือนนี้ 12 ข้อความ เสี่ยงส่งไม่ได้ 11 ข้อความ" in warning
        results = await remind_at(data, conf, "2026-03-27T10:00")
        assert sorted(results) == [RESULT_SENT] + [RESULT_WAITING] * 3
    finally:
        await line.stop()
        await telegram.stop()
    told = telegram.texts_to(999)
    assert sum("เสี่ยงส่งไม่ได้" in t for t in told) == 1  # the 80 % notice is given once
    assert any("ครบ 5 ข้อความแล้ว" in t for t in told)  # then the cap itself


@pytest.mark.backend("tinydb")  # the data directory's sender lock; on PostgreSQL every worker sends and claims
async def test_a_server_starting_while_remind_runs_takes_over_the_reminders_afterwards(tmp_path: Path) -> None:
    from bot.outbox import OfficerNotifier, Outbox
    from bot.reminders import ReminderComponent, SchedulerLock
    from domain.events import Reply

    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-26T10:00"))
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    got: list[str] = []

    async def line_sender(user_id: str, reply: Reply) -> bool:
        got.append(user_id)
        return True

    outbox = Outbox()
    outbox.register("line", line_sender)
    services = build_services(data, office.clock)
    remind = SchedulerLock(data)
    assert remind.take()  # `itabot remind` is sending right now
    component = ReminderComponent(services, OfficerNotifier(outbox), lock_retry=0.05)
    try:
        await component.start()
        await asyncio.sleep(0.2)
        assert got == [] and services.engine.remind is None  # never two senders at once
        remind.release()
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        await component.service.ready()
        assert got == [SOMYING] and services.engine.remind is not None
    finally:
        await component.stop()
        services.repo.close()


async def test_head_remind_says_who_was_not_reached_instead_of_everyone_reported(tmp_path: Path) -> None:
    from bot.line import line_adapter
    from bot.outbox import OfficerNotifier, Outbox
    from scheduler.reminders import remind_now

    data = tmp_path / "data"
    office = make_office(data, now=at("2026-03-26T10:00"))
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    office.register("head", "head", name="ปลัด")
    head_id = next(p.id for p in office.repo.list_officers("o1") if p.display_name == "ปลัด")
    line, telegram = await FakeLineAPI(TOKEN).start(), await FakeTelegramAPI().start()
    services = build_services(data, office.clock)
    outbox = Outbox()
    adapter = line_adapter(settings(line, telegram), services, outbox)
    try:
        line.quota_limit = 0
        await adapter.start()
        reply = await remind_now(services.repo, office.clock, OfficerNotifier(outbox), "o1", head_id, retry_delays=())
    finally:
        await adapter.stop()
        services.repo.close()
        await line.stop()
        await telegram.stop()
    assert "รายงานครบแล้ว" not in reply.text
    assert "แล้ว 0 คน" in reply.text and "ไม่สำเร็จ 1: โควตา LINE หมด 1" in reply.text and "/status" in reply.text
