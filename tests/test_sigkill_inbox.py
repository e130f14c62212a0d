"""The real `itabot run` SIGKILLed while LINE webhooks pour in: every event it acknowledged is handled
after a restart; events it did not acknowledge are redelivered (as LINE does) and handled too."""

from __future__ import annotations

import asyncio
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.factory import make_office
from tests.fakes.line_api import FakeLineAPI, WebhookBuilder
from tests.test_telegram_run import free_port
from tests.tools import clean_env

ROOT = Path(__file__).resolve().parent.parent
SECRET = "line-channel-secret-for-sigkill"
TOKEN = "sigkill-access-token"


async def start_bot(data: Path, api: FakeLineAPI, port: int) -> asyncio.subprocess.Process:
    """`itabot run` with LINE pointed at the fake API; returns once /healthz answers."""
    env = clean_env()
    env.update(LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN, LINE_API_BASE_URL=api.root_url,
               PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--data-dir", str(data), "--today", "2026-02-10", "--port", str(port),
        cwd=data.parent, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=(data.parent / "bot.log").open("ab"),
    )
    deadline = time.monotonic() + 90  # a loaded 2-core machine takes a while to import everything
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as resp:
                    if resp.status == 200:
                        return proc
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise AssertionError("itabot run did not start: " + (data.parent / "bot.log").read_text()[-2000:])


async def deliver(http: aiohttp.ClientSession, port: int, hooks: WebhookBuilder, event: dict[str, Any]) -> bool:
    """One webhook with one event; True when the bot acknowledged it (200)."""
    body = hooks.body(event)
    headers = {"Content-Type": "application/json", "X-Line-Signature": hooks.sign(body)}
    try:
        async with http.post(f"http://127.0.0.1:{port}/line/webhook", data=body, headers=headers,
                             timeout=aiohttp.ClientTimeout(total=5)) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def kill_while_delivering(tmp_path: Path, events_total: int, kills: int, seed: int) -> None:
    """Deliver events eight at a time, SIGKILL the bot `kills` times at random moments, redeliver the rest."""
    rng = random.Random(seed)
    data = tmp_path / "data"
    make_office(data).repo.close()
    api = await FakeLineAPI(TOKEN).start()
    hooks = WebhookBuilder(api, SECRET)
    users = [f"U{n:032d}" for n in range(25)]
    events = [hooks.text(users[n % len(users)], f"ข้อความ {n}") for n in range(events_total)]
    acked: set[str] = set()
    port = free_port()
    kill_points = sorted(rng.sample(range(10, events_total - 10), kills))
    proc = await start_bot(data, api, port)
    try:
        async with aiohttp.ClientSession() as http:
            waiting = list(events)
            while waiting:
                batch, waiting = waiting[:8], waiting[8:]
                results = await asyncio.gather(*(deliver(http, port, hooks, e) for e in batch))
                acked.update(e["replyToken"] for e, ok in zip(batch, results, strict=True) if ok)
                waiting = [e for e, ok in zip(batch, results, strict=True) if not ok] + waiting  # LINE redelivers
                if kill_points and len(acked) >= kill_points[0]:
                    kill_points.pop(0)
                    await asyncio.sleep(rng.random() * 0.05)  # land inside the processing of the next events
                    proc.send_signal(signal.SIGKILL)
                    await proc.wait()
                    proc = await start_bot(data, api, port)
        assert len(acked) == events_total
        await api.wait_for(lambda: acked <= {r["replyToken"] for r in api.replies}, timeout=60)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 20)
        await api.stop()
    handled = {r["replyToken"] for r in api.replies}
    assert acked - handled == set()  # 0 acknowledged events lost


async def test_sigkill_loses_no_acknowledged_line_event(tmp_path: Path) -> None:
    await kill_while_delivering(tmp_path, events_total=100, kills=1, seed=12)


@pytest.mark.soak
async def test_sigkill_1500_events_lose_none(tmp_path: Path) -> None:
    await kill_while_delivering(tmp_path, events_total=1500, kills=12, seed=1500)
