"""GET /metrics of a real `itabot run` against the fake Bot API: updates, replies, latency, reminders, depths move."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import _outbox_counter
from storage.clock import BANGKOK, FixedClock
from storage.factory import Store, open_repository
from storage.models import Organization, SendRecord
from tests.factory import make_office
from tests.fakes.line_api import FakeLineAPI, WebhookBuilder
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_telegram_run import ROOT, free_port
from tests.tools import clean_env

OFFICER, BLOCKED = 5150, 5151
LINE_SECRET = "metrics-line-secret"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        return samples(await resp.text())


async def test_metrics_count_updates_replies_latency_reminders_and_depths(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data)
    for user, unit in ((OFFICER, "สำนักปลัด"), (BLOCKED, "กองคลัง")):
        welcome = office.chat(str(user), "telegram").say(f"/start {office.invite('officer', unit, name=f'คน{user}')}")
        assert "ลงทะเบียนเรียบร้อย" in welcome[0].text
    office.repo.close()
    api, line = await FakeTelegramAPI().start(), await FakeLineAPI().start()
    api.blocked.add(BLOCKED)  # their reminder fails (403): counted as failed
    port = free_port()
    env = clean_env()
    env.update(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.root_url, PYTHONPATH=str(ROOT),
               LINE_CHANNEL_SECRET=LINE_SECRET, LINE_CHANNEL_ACCESS_TOKEN=line.access_token,
               LINE_API_BASE_URL=line.root_url)
    proc = await asyncio.create_subprocess_exec(  # 17 Mar 2569 09:05: the round-6 opening reminders are due
        sys.executable, "-m", "bot.cli", "run", "--data-dir", str(data), "--now", "2026-03-17 09:05",
        "--port", str(port), cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await api.wait_sent(OFFICER, 1, timeout=30)  # the reminder reached the officer
        before = len(api.sent_to(OFFICER))
        for n, text in enumerate(("/help", "/status", "สวัสดี"), 1):
            api.push_text(OFFICER, text)
            await api.wait_sent(OFFICER, before + n, timeout=15)
        hook = WebhookBuilder(line, LINE_SECRET)  # one LINE delivery with two events from a stranger
        body = hook.body(hook.text("Ustranger", "สวัสดี"), hook.text("Ustranger", "/report"))
        async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{port}/line/webhook", data=body,
            headers={"X-Line-Signature": hook.sign(body), "Content-Type": "application/json"},
        ) as resp:
            assert resp.status == 200
        await line.wait_for(lambda: len(line.replies) >= 2, timeout=15)
        deadline = time.monotonic() + 20
        while True:
            got = await scrape(port)
            tg = (("platform", "telegram"),)
            done = got.get(("itabot_updates_handled_total", tg), 0) >= 3 and got.get(
                ("itabot_updates_handled_total", (("platform", "line"),)), 0) >= 2 and got.get(
                ("itabot_reminders_total", (("result", "failed"),)), 0) >= 1
            done = done and got.get(("itabot_inbox_depth", ()), -1) == 0  # marked done just after the reply
            if done or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert got[("itabot_updates_received_total", tg)] == 3
        assert got[("itabot_updates_handled_total", tg)] == 3
        assert got[("itabot_update_seconds_count", tg)] == 3 and got[("itabot_update_seconds_sum", tg)] > 0
        assert got[("itabot_engine_seconds_count", tg)] == 3
        assert got[("itabot_replies_sent_total", tg)] >= 3
        ln = (("platform", "line"),)
        assert got[("itabot_updates_received_total", ln)] == 2 and got[("itabot_updates_handled_total", ln)] == 2
        assert got[("itabot_engine_seconds_count", ln)] == 2 and got[("itabot_replies_sent_total", ln)] >= 2
        assert got[("itabot_reminders_total", (("result", "sent"),))] >= 1
        assert got[("itabot_reminders_total", (("result", "failed"),))] >= 1
        assert got[("itabot_inbox_depth", ())] == 0  # everything received was handled
        assert got[("itabot_outbox_depth", ())] == 0  # nothing waits for the LINE quota
        assert got[("process_resident_memory_bytes", ())] > 0
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await api.stop()
        await line.stop()


def _log_three(repo: Store) -> None:
    for key, result in (("a", "waiting"), ("b", "sent"), ("c", "sending")):
        repo.log_send(SendRecord(key=key, org_id="o1", fiscal_year=2569, round=6, kind="remind_T0",
                                 recipient="p1", due="2026-03-31T09:00:00+07:00", result=result))


@pytest.mark.backend("postgresql")  # compares both stores side by side
def test_outbox_depth_counts_reminders_still_to_go_out_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    clock = FixedClock(datetime(2026, 4, 1, 9, 0, tzinfo=BANGKOK))
    for repo in (open_repository(tmp_path / "tiny"), open_repository(None, pg_url)):
        try:
            repo.save_org(Organization(id="o1", name="อบต.ทดสอบ"))
            _log_three(repo)
            assert _outbox_counter(repo, clock)() == 2, repo  # waiting + sending; the sent one is gone
        finally:
            repo.close()
