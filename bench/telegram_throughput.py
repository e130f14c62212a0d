"""Telegram throughput: our adapter + engine + storage against a bare python-telegram-bot echo bot.

Both bots poll the same kind of local fake Bot API server (bench/fake_bot_api.py) over real HTTP, in
the benchmark's process, with PTB's default sequential update processing. N simulated officers (one
per unit, spread over 20 hosted organizations whose rounds 3-9 are answered and round 12 is open)
each run a scripted report conversation, closed loop: an officer sends the next update only after
the bot's reply to the previous one arrived (as a person on a phone does):

  /report → press a measure → press ดำเนินการ → summary → outcome → link → /done → press บันทึก,
  then for each further measure the save offers the next one: ดำเนินการ → … → บันทึก.

The echo bot gets the same sequence of update kinds (texts, commands and button presses) and
answers each with one message (a press: answerCallbackQuery + sendMessage). Our bot uses its real
`ChatRateLimiter`, with pacing switched off (overall 0, chat interval 0) so both measure processing
capacity, not Telegram's 30 messages/s (benchmark `fanout` measures pacing). Latency is the time from
an update becoming available on the server to the bot's reply arriving there. Repetitions alternate
echo/ours; the reported figures are each bot's median repetition.

The same load runs twice: on TinyDB files (the headline figure) and, when PostgreSQL's server tools are
installed, on a throwaway local PostgreSQL server with default durability (`postgresql`, headline
`ratio_to_bare_ptb_postgresql`); each against its own echo runs.

Run: `python -m bench.telegram_throughput [--quick] [--no-postgresql]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.config import Settings
from bot.ratelimit import ChatRateLimiter
from bot.runner import telegram_adapter
from bot.wiring import build_services
from storage.clock import FixedClock

from . import pg_store
from .fake_bot_api import FakeBotAPI, Sent
from .storage_growth import percentile
from .workload import NOW, build_data_dir, load_users

__all__ = ["Drive", "drive", "officer_script", "run"]

OPEN_ROUND_DATA = (3, 6, 9)  # answered rounds; round 12 is open and empty
DATABASE_ENV = "ITABOT_DATABASE_URL"
PG_HEADLINE = "telegram_throughput.ratio_to_bare_ptb_postgresql"
POLL_TIMEOUT = 1.0  # long poll; short so that stopping a bot does not wait out a 10 s poll
Step = tuple[str, str, str]  # (kind "text"|"press", text or button label, marker expected in the reply)


def officer_script(measures: int) -> list[Step]:
    """The updates of one officer reporting `measures` measures as done, with what each reply must show."""
    steps: list[Step] = [("text", "/report", "มาตรการที่ต้องรายงาน"), ("press", ". ", "ดำเนินการ")]
    for i in range(measures):
        steps += [
            ("press", "ดำเนินการ", "สิ่งที่ดำเนินการ"),
            ("text", f"จัดอบรมและเผยแพร่ประกาศบนเว็บไซต์ ครั้งที่ {i + 1}", "ผลลัพธ์"),
            ("text", "บุคลากรรับทราบและปฏิบัติตาม", "หลักฐาน"),
            ("text", f"https://www.example.go.th/news/{i + 1}", "รับหลักฐานแล้ว"),  # earlier evidence is carried
            ("text", "/done", "ตรวจสอบก่อนบันทึก"),
            ("press", "บันทึก", "บันทึกแล้ว"),
        ]
    return steps


@dataclass
class Drive:
    """What one load run measured."""

    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    unexpected: int = 0  # messages that were not the awaited reply (e.g. reminder pushes), or a missing button
    timeouts: int = 0
    cpu_seconds: float = 0.0  # this process's CPU time over the run (bot, fake server and officers alike)
    api_calls: int = 0  # Bot API calls the bot made over the run, getUpdates apart (each costs client and server)

    @property
    def cpu_ms_per_update(self) -> float:
        """CPU milliseconds per answered update: what the run cost, whatever else the machine was doing."""
        return self.cpu_seconds * 1000 / self.updates if self.updates else 0.0

    @property
    def per_second(self) -> float:
        """Updates answered per second of wall time."""
        return self.updates / self.seconds if self.seconds else 0.0

    def figures(self) -> dict[str, Any]:
        """JSON-ready summary."""
        ms = [x * 1000 for x in self.latencies] or [0.0]
        return {"updates": self.updates, "seconds": round(self.seconds, 3),
                "updates_per_second": round(self.per_second, 1),
                "latency_p50_ms": round(statistics.median(ms), 2), "latency_p99_ms": round(percentile(ms, 99), 2),
                "unexpected_replies": self.unexpected, "timeouts": self.timeouts,
                "cpu_ms_per_update": round(self.cpu_ms_per_update, 2),
                "bot_api_calls_per_update": round(self.api_calls / self.updates, 2) if self.updates else 0.0}


def _button(last: Sent | None, label: str) -> str | None:
    buttons = last.buttons() if last else []
    for text, data in sorted(buttons, key=lambda b: b[0] != label):
        if label in text:
            return data
    return None


async def _reply(inbox: asyncio.Queue[Sent], marker: str, out: Drive, timeout: float) -> Sent | None:
    """The first message carrying the step's marker; others (reminder pushes, strays) are counted apart."""
    deadline = time.perf_counter() + timeout
    while True:
        try:
            msg = await asyncio.wait_for(inbox.get(), max(0.0, deadline - time.perf_counter()))
        except TimeoutError:
            out.timeouts += 1
            return None
        if marker in msg.text:
            return msg
        out.unexpected += 1


async def _officer(fake: FakeBotAPI, user: int, script: list[Step], echo: bool, out: Drive, timeout: float) -> None:
    inbox = fake.inbox(user)
    last: Sent | None = None
    for n, (kind, arg, marker) in enumerate(script):
        if kind == "text":
            t0 = fake.push_text(user, arg)
            marker = arg if echo else marker
        elif echo:
            marker = f"bench:{user}:{n}"
            t0 = fake.push_button(user, marker)
        else:
            data = _button(last, arg)
            if data is None:
                out.unexpected += 1
                return  # the conversation went off script; the rest of it cannot be driven
            t0 = fake.push_button(user, data, last)
        last = await _reply(inbox, marker, out, timeout)
        if last is None:
            return
        out.latencies.append(last.at - t0)
        out.updates += 1


async def drive(fake: FakeBotAPI, users: list[int], script: list[Step], echo: bool, timeout: float = 30.0) -> Drive:
    """All officers at once, each closed loop; wall time from first update to last reply."""
    out = Drive()
    for user in users:
        while not fake.inbox(user).empty():
            fake.inbox(user).get_nowait()
    calls0 = sum(n for method, n in fake.requests.items() if method != "getupdates")
    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(_officer(fake, u, script, echo, out, timeout) for u in users))
    out.seconds, out.cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    out.api_calls = sum(n for method, n in fake.requests.items() if method != "getupdates") - calls0
    return out


# ---------------------------------------------------------------------------------------- the two bots
async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None and update.effective_message.text is not None:
        await update.effective_message.reply_text(update.effective_message.text)


async def _echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None and update.effective_chat is not None:
        await query.answer()
        await context.bot.send_message(update.effective_chat.id, query.data or "?")


async def run_echo(fake: FakeBotAPI, users: list[int], script: list[Step]) -> Drive:
    """The bare PTB bot: two handlers, default settings, long polling."""
    app = Application.builder().token(fake.token).base_url(f"{fake.root_url}/bot").build()
    app.add_handler(MessageHandler(filters.TEXT, _echo_text))
    app.add_handler(CallbackQueryHandler(_echo_press))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=timedelta(seconds=POLL_TIMEOUT))
    try:
        return await drive(fake, users, script, echo=True)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def run_ours(fake: FakeBotAPI, data_dir: Path, users: list[int], script: list[Step],
                   database_url: str = "") -> Drive:
    """The real adapter from the runner's factory, wired to the real engine on the data directory (or database)."""
    saved = os.environ.pop(DATABASE_ENV, None)
    if database_url:
        os.environ[DATABASE_ENV] = database_url  # the composition root reads it, as `itabot run` does
    try:
        services = build_services(data_dir, FixedClock(NOW))
    finally:
        os.environ.pop(DATABASE_ENV, None)
        if saved is not None:
            os.environ[DATABASE_ENV] = saved
    settings = Settings(telegram_token=fake.token, telegram_api_base_url=fake.root_url)
    limiter = ChatRateLimiter(overall_per_second=0, chat_interval=0, group_interval=0)
    adapter = telegram_adapter(settings, services, None, rate_limiter=limiter, poll_timeout=POLL_TIMEOUT)
    await adapter.start()
    try:
        return await drive(fake, users, script, echo=False)
    finally:
        await adapter.stop()
        services.close()


async def _run(n_officers: int, measures: int, n_orgs: int, repeats: int, work_dir: str | None,
               cluster: Any = None) -> dict[str, Any]:
    """Alternating repetitions of the echo bot and ours on TinyDB files (or PostgreSQL when a cluster is given)."""
    tmp = Path(tempfile.mkdtemp(prefix="itabot-bench-tg-", dir=work_dir))
    fake = await FakeBotAPI().start()
    script = officer_script(measures)
    echo_runs: list[Drive] = []
    our_runs: list[Drive] = []
    try:
        for rep in range(repeats):
            echo_runs.append(await run_echo(fake, list(range(1, n_officers + 1)), script))
            data_dir = tmp / f"data{rep}"
            orgs = build_data_dir(data_dir, n_orgs, OPEN_ROUND_DATA)
            url = ""
            if cluster is not None:
                url = pg_store.new_database(cluster)
                pg_store.load_orgs(url, orgs)
            our_runs.append(await run_ours(fake, data_dir, load_users(orgs, n_officers), script, url))
            shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        await fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    echo = sorted(echo_runs, key=lambda d: d.per_second)[len(echo_runs) // 2]
    ours = sorted(our_runs, key=lambda d: d.per_second)[len(our_runs) // 2]
    store = ("PgRepository on a local PostgreSQL server (fsync on)" if cluster is not None
             else f"TinyRepository on disk ({n_orgs} orgs)")
    cpu = [d.cpu_ms_per_update for d in our_runs], [d.cpu_ms_per_update for d in echo_runs]
    return {
        "telegram_throughput.ratio_to_bare_ptb": round(ours.per_second / echo.per_second, 3),
        # echo's CPU per update ÷ ours (medians): the throughput ratio a CPU-bound run would show, steadier on
        # a shared machine, where the wall-clock ratio moves with whatever else runs
        "cpu_ratio_to_bare_ptb": round(statistics.median(cpu[1]) / statistics.median(cpu[0]), 3) if all(cpu[0]) else 0.0,
        "unit": "updates/s (answered updates per wall-clock second); latency in ms update→reply",
        "goal": "ratio_to_bare_ptb >= 0.5",
        "ours": ours.figures(),
        "bare_ptb_echo": echo.figures(),
        "ours_runs_updates_per_second": [round(d.per_second, 1) for d in our_runs],
        "echo_runs_updates_per_second": [round(d.per_second, 1) for d in echo_runs],
        "officers": n_officers, "measures_per_officer": measures, "organizations": n_orgs,
        "updates_per_officer": len(script),
        "how": (f"in-process fake Bot API over HTTP, long polling, closed-loop officers; ours = runner.telegram_adapter "
                f"+ Engine + {store}, ChatRateLimiter with pacing off; echo = bare PTB "
                f"Application; {repeats} alternating repetitions, median reported"),
    }


async def _both(n_officers: int, measures: int, n_orgs: int, repeats: int, work_dir: str | None,
                postgresql: bool) -> dict[str, Any]:
    """TinyDB's figures at the top (the headline), PostgreSQL's under "postgresql" when it is installed."""
    result = await _run(n_officers, measures, n_orgs, repeats, work_dir)
    if not postgresql:
        return result
    if not pg_store.available():
        result["postgresql"] = {"skipped": "PostgreSQL server tools (initdb) not installed: apt-get install postgresql"}
        return result
    with pg_store.durable_cluster() as cluster:
        pg = await _run(n_officers, measures, n_orgs, repeats, work_dir, cluster)
    result[PG_HEADLINE] = pg["telegram_throughput.ratio_to_bare_ptb"]
    result["postgresql"] = pg
    return result


def run(n_officers: int = 40, measures: int = 2, n_orgs: int = 20, repeats: int = 3,
        work_dir: str | None = None, postgresql: bool = True) -> dict[str, Any]:
    """Throughput and latency of both bots under the same scripted load, on TinyDB and on PostgreSQL."""
    return asyncio.run(_both(n_officers, measures, n_orgs, repeats, work_dir, postgresql))


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    pg = "--no-postgresql" not in sys.argv
    result = run(n_officers=5, measures=1, n_orgs=5, repeats=1, postgresql=pg) if quick else run(postgresql=pg)
    print(json.dumps({"telegram_throughput": result}, ensure_ascii=False, indent=2))
