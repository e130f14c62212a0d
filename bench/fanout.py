"""Reminder fan-out: 2,000 reminders through the Telegram adapter's send path to a server capped at 30/s.

The fake Bot API server (bench/fake_bot_api.py) accepts at most 30 messages in any one-second window
bot-wide and answers the rest with 429 `retry_after: 1`, as Telegram does. The adapter is the real
one from `bot.runner.telegram_adapter` with its default `ChatRateLimiter` (30/s overall, 429 retries);
reminders go through `TelegramAdapter.push` — the sender the adapter registers in the Outbox for the
reminder service — one per officer (2,000 different chats), all handed over at once, with the
reminder's text and its "รายงานผล" button.

Figures: sustained rate = messages accepted / (last accepted − first accepted), as a fraction of 30/s;
`errors_429` = pushes that ended in failure (the fake's only failure is 429, so these are 429s that
reached the caller); `duplicates` = messages beyond the first per chat; `lost` = chats that got none.

Run: `python -m bench.fanout [--quick]`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

from bot.config import Settings
from bot.runner import telegram_adapter
from bot.wiring import build_services
from domain.events import Button, Reply
from handlers.engine import REPORT_BUTTON
from storage.clock import FixedClock

from .fake_bot_api import FakeBotAPI
from .workload import NOW

__all__ = ["run"]

CAP = 30.0
REMINDER = ("แจ้งเตือน: ใกล้ครบกำหนดรายงานผลมาตรการ รอบ 12 เดือน ปีงบประมาณ 2569 (กำหนดส่ง 30 ก.ย. 69)\n"
            "ยังไม่ได้รายงาน 3 มาตรการ")


class _Count(logging.Handler):
    """Counts log records of the adapter's pacing and rendering (429s retried, sends that failed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.retried = 0
        self.failed = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            self.failed += 1
        else:
            self.retried += 1


async def _fan(count: int, concurrent: bool, rtt: float = 0.0) -> dict[str, Any]:
    fake = await FakeBotAPI(cap_per_second=CAP, retry_after=1, send_delay=rtt).start()
    services = build_services(None, FixedClock(NOW))  # the send path needs no data
    settings = Settings(telegram_token=fake.token, telegram_api_base_url=fake.root_url)
    adapter = telegram_adapter(settings, services, None, poll_timeout=1.0)
    counter = _Count()
    watched = [logging.getLogger(n) for n in ("bot.ratelimit", "bot.telegram_render")]
    for lg in watched:
        lg.addHandler(counter)
    await adapter.start()
    chats = [90_000_000 + i for i in range(count)]
    reply = Reply(REMINDER, [[Button("รายงานผล", REPORT_BUTTON)]])
    results: list[Any] = []
    try:
        await asyncio.sleep(1.1)  # start() made calls; begin with an empty one-second window
        t0 = time.perf_counter()
        if concurrent:
            results = await asyncio.gather(*(adapter.push(str(c), reply) for c in chats), return_exceptions=True)
        else:  # one after another, as scheduler.reminders.run_due awaits each send
            for c in chats:
                try:
                    results.append(await adapter.push(str(c), reply))
                except Exception as exc:  # noqa: BLE001 - counted as a failed push
                    results.append(exc)
        wall = time.perf_counter() - t0
    finally:
        await adapter.stop()
        await fake.stop()
        services.close()
        for lg in watched:
            lg.removeHandler(counter)
    sent = [s for s in fake.sent if s.chat_id in set(chats)]
    span = (sent[-1].at - sent[0].at) if len(sent) > 1 else 0.0
    rate = (len(sent) - 1) / span if span else 0.0
    failed = sum(1 for r in results if r is not True)
    return {
        "fanout.fraction_of_cap": round(rate / CAP, 3),
        "fanout.errors_429": failed,
        "fanout.duplicates": sum(max(0, fake.sent_per_chat[c] - 1) for c in chats),
        "fanout.lost": sum(1 for c in chats if fake.sent_per_chat[c] == 0),
        "unit": "fraction of 30 messages/s; counts of messages",
        "goal": "fraction_of_cap >= 0.9; errors_429, duplicates, lost = 0",
        "reminders": count,
        "messages_per_second": round(rate, 2),
        "seconds": round(wall, 2),
        "server_429_answers": fake.rejected_429,
        "adapter_429_retries_logged": counter.retried,
        "adapter_send_failures_logged": counter.failed,
        "how": (f"{count} pushes via TelegramAdapter.push (runner.telegram_adapter, default ChatRateLimiter) "
                "gathered at once, one per chat; fake Bot API accepts <= 30 sends per sliding second, else 429 "
                "retry_after=1; rate = (accepted-1)/(last-first accepted)"),
    }


def run(count: int = 2000, sequential_count: int = 150, rtt: float = 0.05) -> dict[str, Any]:
    """Fan `count` reminders out at once and report rate, 429s, duplicates and losses.

    Also, with `sequential_count` > 0, the same path one push after another over a simulated network
    round trip of `rtt` seconds: the way the reminder executor sends today.
    """
    out = asyncio.run(_fan(count, concurrent=True))
    if sequential_count:
        seq = asyncio.run(_fan(sequential_count, concurrent=False, rtt=rtt))
        out["sequential_with_rtt"] = {
            "rtt_ms": round(rtt * 1000), "reminders": sequential_count,
            "fraction_of_cap": seq["fanout.fraction_of_cap"], "messages_per_second": seq["messages_per_second"],
            "errors_429": seq["fanout.errors_429"], "duplicates": seq["fanout.duplicates"], "lost": seq["fanout.lost"],
            "how": "same send path, pushes awaited one after another (like scheduler.reminders.run_due), "
                   "fake server answers each send after the round trip"}
    return out


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    result = run(150, 30) if quick else run()
    print(json.dumps({"fanout": result}, ensure_ascii=False, indent=2))
