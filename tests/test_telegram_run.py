"""The real `itabot run` process against the fake Bot API: registers someone, serves /healthz, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from datetime import datetime
from pathlib import Path

import aiohttp

from handlers.services import create_invite
from storage.clock import BANGKOK, FixedClock
from tests.factory import make_office, open_store
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.tools import clean_env

ROOT = Path(__file__).resolve().parent.parent
USER = 5150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_itabot_run_polls_the_fake_server_and_stops_cleanly(tmp_path: Path):
    data = tmp_path / "data"
    office = make_office(data, now=datetime(2026, 2, 10, 10, 0, tzinfo=BANGKOK))
    code = create_invite(office.repo, FixedClock(datetime(2026, 2, 10, tzinfo=BANGKOK)), "o1", "officer", ["u1"]).code
    office.repo.close()

    api = await FakeTelegramAPI().start()
    port = free_port()
    env = clean_env()
    env.update(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.root_url, PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--data-dir", str(data), "--today", "2026-02-10",
        "--port", str(port), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await api.wait_for(lambda: api.commands, timeout=30)
        assert {c["command"] for c in api.commands} >= {"report", "summary", "help"}
        api.push_text(USER, f"/start {code}")
        await api.wait_sent(USER, 1, timeout=15)
        assert "ลงทะเบียนเรียบร้อย" in api.texts_to(USER)[0]
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as resp:
            assert resp.status == 200
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await api.stop()
    output = (await proc.stdout.read()).decode() if proc.stdout else ""
    assert "itabot stopped" in output
    assert output.count("itabot ทำงานแล้ว") == 1 and "เปิดแชต Telegram;" in output  # says once what it started
    repo = open_store(data)
    try:
        assert repo.find_identity("telegram", str(USER)) is not None  # the registration was stored
    finally:
        repo.close()
