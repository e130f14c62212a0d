"""Several real `itabot run` workers on one PostgreSQL database, fed webhooks round-robin, as a host runs them.

Shared by `bench/hosting.py` and `tests/test_multiworker.py`: `seed` loads benchmark organizations
(bench/workload.py) into a migrated database with COPY; `start_worker` starts one worker process in
Telegram webhook mode against a fake Bot API (tests/fakes/telegram_api.py); `Fleet` plays Telegram
(each update POSTed to the next live worker until one acknowledges it, in order per chat) and the
officers (closed loop: the next update only after the reply to the previous one arrived).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from psycopg.types.json import Jsonb

from storage.models import to_dict
from tests.fakes.telegram_api import ApiCall, FakeTelegramAPI

from .workload import FISCAL_YEAR, OrgData

__all__ = ["CpuMeter", "Fleet", "WEBHOOK_SECRET", "proc_cpu", "seed", "start_worker", "stop_worker"]

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "fleet-webhook-secret"
_UPDATE_IDS = itertools.count(int(time.time()) % 10**6 * 1000)  # unique across fleets, as a bot's update ids are
Step = tuple[str, str, str]


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (None when the process is gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()


def _table() -> dict[int, list[str]]:
    """Every process's stat fields by pid (one pass over /proc)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                table[int(entry.name)] = fields
    return table


def proc_cpu(pid: int, table: dict[int, list[str]] | None = None) -> float:
    """CPU seconds of a process and its descendants: live ones' utime+stime, reaped ones' cutime+cstime."""
    table = table if table is not None else _table()
    fields = table.get(pid)
    if fields is None:
        return 0.0
    own = sum(int(x) for x in fields[11:15]) / _TICK  # utime stime cutime cstime
    return own + sum(proc_cpu(kid, table) for kid, f in table.items() if int(f[1]) == pid)


@dataclass
class CpuMeter:
    """CPU seconds spent between `start` and `stop` by named groups of processes (a process and its children)."""

    groups: dict[str, list[int]]
    spent: dict[str, float] = field(default_factory=dict)
    _at: dict[str, float] = field(default_factory=dict)
    _self: float = 0.0

    def _read(self) -> dict[str, float]:
        table = _table()
        return {name: sum(proc_cpu(p, table) for p in pids) for name, pids in self.groups.items()}

    def start(self) -> None:
        """Take the first reading (this process's own CPU too: the fake Bot API and the driver)."""
        self._at, self._self = self._read(), time.process_time()

    def stop(self) -> dict[str, float]:
        """CPU seconds per group since `start`, and "driver" for this process."""
        driver = time.process_time() - self._self  # before the /proc scan below, which is not the driver's work
        now = self._read()
        self.spent = {name: round(now[name] - self._at[name], 3) for name in now}
        self.spent["driver"] = round(driver, 3)
        return self.spent


def seed(url: str, orgs: list[OrgData], handled_per_chat: int = 0) -> None:
    """Write the organizations (people, chat accounts, plans, answered rounds) into a migrated database;
    `handled_per_chat`: and that many handled events per chat account in the inbox, as a live host keeps a day of
    them to recognize redeliveries (what the inbox's statistics and its claims' plans then see)."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table, columns, rows in _tables(orgs) + _inbox(orgs, handled_per_chat):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        # as autovacuum leaves a live database (index-only counts, planner statistics); the checkpoint first flushes
        # the COPY's commit, which the test cluster made without waiting (VACUUM marks no page all-visible before)
        conn.execute("CHECKPOINT")
        conn.execute("VACUUM ANALYZE")


def _inbox(orgs: list[OrgData], per_chat: int) -> list[tuple[str, str, list[tuple[Any, ...]]]]:
    """Handled Telegram updates, `per_chat` for every chat account (none: no rows)."""
    if per_chat <= 0:
        return []
    chats = [f"{i['platform']}:{i['user_id']}" for d in orgs for i in d.identities]
    stamp = "2026-09-10 08:00+07"
    events = []
    for n, (chat, k) in enumerate((c, k) for c in chats for k in range(per_chat)):
        user = int(chat.partition(":")[2])
        update = {"update_id": n, "message": {"message_id": k + 1, "date": 0, "text": "/report",
                                              "chat": {"id": user, "type": "private"}, "from": {"id": user}}}
        events.append((chat.partition(":")[0], f"seeded-{n}", chat, Jsonb(update), "done", stamp, stamp, stamp))
    return [("inbox_chats", "chat_key", [(c,) for c in chats]),
            ("inbox", "platform, event_id, chat_key, payload, state, received_at, claimed_at, done_at", events)]


def _tables(orgs: list[OrgData]) -> list[tuple[str, str, list[tuple[Any, ...]]]]:
    """Rows per table, in the column order of storage/migrations."""
    units, officers, measures, reports = [], [], [], []
    for d in orgs:
        oid = d.org.id
        people = d.files[f"orgs/{oid}/org.json"]
        units += [(oid, u["id"], Jsonb(u)) for u in people["units"]]
        officers += [(oid, p["id"], Jsonb(p)) for p in people["officers"]]
        year = d.files[f"orgs/{oid}/fy{FISCAL_YEAR}.json"]
        measures += [(oid, FISCAL_YEAR, m["id"], Jsonb(m)) for m in year["measures"]]
        reports += [(oid, FISCAL_YEAR, r["measure_id"], r["round"], r["unit_id"], r["revision"], r["id"], Jsonb(r))
                    for r in year["reports"]]
    return [
        ("orgs", "id, data", [(d.org.id, Jsonb(to_dict(d.org))) for d in orgs]),
        ("units", "org_id, id, data", units),
        ("officers", "org_id, id, data", officers),
        ("identities", "platform, user_id, org_id, officer_id",
         [(i["platform"], i["user_id"], i["org_id"], i["officer_id"]) for d in orgs for i in d.identities]),
        ("measures", "org_id, fiscal_year, id, data", measures),
        ("reports", "org_id, fiscal_year, measure_id, round, unit_id, revision, id, data", reports),
    ]


async def start_worker(url: str | None, port: int, data_dir: Path, api: FakeTelegramAPI, now: str, log: Path,
                       evidence_dir: Path | None = None, per_second: int = 1000,
                       link_check: bool = True) -> asyncio.subprocess.Process:
    """One `itabot run` worker in webhook mode on the shared database (None: TinyDB in `data_dir`); returns once
    /healthz answers. `link_check=False`: no background check of the seeded evidence links (thousands of them,
    never checked, all queued at start: a one-off cost of seeding, not of serving)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "LINE_", "ITABOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.root_url,
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook", TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        ITABOT_TELEGRAM_MAX_PER_SECOND=str(per_second), PYTHONPATH=str(ROOT),
        ITABOT_LINK_CHECK="1" if link_check else "0",
    )
    if url is not None:
        env["ITABOT_DATABASE_URL"] = url
    if evidence_dir is not None:
        env["ITABOT_EVIDENCE_DIR"] = str(evidence_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--data-dir", str(data_dir), "--now", now, "--port", str(port),
        cwd=data_dir.parent, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log.open("ab"),
    )
    deadline = time.monotonic() + 120  # a loaded 2-core machine takes a while to import everything
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and proc.returncode is None:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as r:
                    if r.status == 200:
                        return proc
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    if proc.returncode is None:
        proc.kill()
    await proc.wait()
    raise AssertionError(f"worker on port {port} did not start: " + log.read_text(errors="replace")[-3000:])


async def stop_worker(proc: asyncio.subprocess.Process) -> int:
    """SIGTERM and wait (a clean stop gives the worker's chats back at once)."""
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0


class _Poster:
    """Bare HTTP/1.1 keep-alive POSTs for the webhooks: aiohttp's client cost this process (beside the workers
    under test, on the same two cores) more CPU per update than the update costs the worker to store."""

    def __init__(self) -> None:
        self._idle: dict[int, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = defaultdict(list)

    async def post(self, port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
        """The response status (its body read and dropped); raises OSError/ValueError on a broken exchange."""
        idle = self._idle[port]
        reader, writer = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
        try:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body)
            status = int((await reader.readline()).split()[1])
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                length = int(value) if name == "content-length" else length
                close = close or (name == "connection" and value.strip().lower() == "close")
            await reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, asyncio.CancelledError):
            writer.close()
            raise
        if close:
            writer.close()
        else:
            idle.append((reader, writer))
        return status

    def close(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for _, writer in idle:
                writer.close()
        self._idle.clear()


@dataclass
class Fleet:
    """Telegram's side: webhooks round-robin over live workers, and what each chat received."""

    fakes: list[FakeTelegramAPI]
    ports: list[int]
    received: dict[int, list[ApiCall]] = field(default_factory=lambda: defaultdict(list))
    acked: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # chat → update ids
    unexpected: int = 0
    timeouts: int = 0
    answered: int = 0
    latencies: list[tuple[str, float]] = field(default_factory=list)  # (step marker, seconds update → reply)
    answered_at: list[float] = field(default_factory=list)  # monotonic time of every answer, in order
    think: tuple[float, float] | None = None  # an officer's pause before each update, uniform in (low, high) s

    def __post_init__(self) -> None:
        self._turn = itertools.count()
        self._arrived: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        self._http: _Poster | None = None
        for fake in self.fakes:
            fake.on_call = self._seen

    def _seen(self, call: ApiCall) -> None:
        if call.method.lower() in ("sendmessage", "senddocument", "sendphoto"):
            chat = int(call.params.get("chat_id", 0))
            self.received[chat].append(call)
            self._arrived[chat].set()

    async def __aenter__(self) -> Fleet:
        self._http = _Poster()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.close()

    def drop(self, port: int) -> None:
        """A worker is gone: the reverse proxy stops sending to it."""
        if port in self.ports and len(self.ports) > 1:
            self.ports.remove(port)

    async def post(self, chat: int, update: dict[str, Any]) -> int:
        """Deliver one update (next worker first, the others after a failure) until acknowledged; its id."""
        assert self._http is not None
        update = {"update_id": next(_UPDATE_IDS), **update}
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        body = json.dumps(update).encode()
        for attempt in range(200):
            ports = list(self.ports)
            port = ports[(next(self._turn) + attempt) % len(ports)]
            try:
                async with asyncio.timeout(10):  # no task per post, as wait_for makes (this process's CPU is measured)
                    status = await self._http.post(port, "/telegram/webhook", body, headers)
                if status == 200:
                    self.acked[chat].append(update["update_id"])
                    return int(update["update_id"])
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError):
                pass
            await asyncio.sleep(0.05)
        raise AssertionError(f"no worker acknowledged update {update['update_id']}")

    async def reply(self, chat: int, seen: int, marker: str, timeout: float) -> tuple[ApiCall | None, int]:
        """The first message after `seen` that carries `marker`; others are counted as unexpected."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.received[chat]
            while seen < len(calls):
                call = calls[seen]
                seen += 1
                if marker in str(call.params.get("text", "")):
                    return call, seen
                self.unexpected += 1
            left = deadline - time.monotonic()
            if left <= 0:
                self.timeouts += 1
                return None, seen
            event = self._arrived[chat]
            event.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left, 1.0)):
                    await event.wait()

    def _button(self, call: ApiCall | None, label: str) -> str | None:
        markup = call.params.get("reply_markup") if call else None
        buttons = [b for row in (markup or {}).get("inline_keyboard", []) for b in row]
        for button in sorted(buttons, key=lambda b: b.get("text") != label):
            if label in button.get("text", ""):
                return str(button.get("callback_data", ""))
        return None

    def _update(self, fake: FakeTelegramAPI, user: int, kind: str, arg: str, last: ApiCall | None) -> dict[str, Any] | None:
        if kind == "text":
            return fake.text_update(user, arg)
        data = self._button(last, arg)
        if data is None:
            return None
        message = next((f.last_message.get(user) for f in self.fakes if user in f.last_message), None)
        return fake.callback_update(user, data, message)

    async def officer(self, user: int, script: list[Step], timeout: float = 60.0) -> int:
        """Run one officer's scripted conversation, closed loop; how many of its updates were answered."""
        fake = self.fakes[0]
        last: ApiCall | None = None
        seen = len(self.received[user])
        done = 0
        pauses = random.Random(user)  # the same pauses for the same officer in every run
        for kind, arg, marker in script:
            if self.think is not None:
                await asyncio.sleep(pauses.uniform(*self.think))
            update = self._update(fake, user, kind, arg, last)
            if update is None:
                self.unexpected += 1
                return done  # off script: the button to press is not there
            t0 = time.monotonic()
            await self.post(user, update)
            last, seen = await self.reply(user, seen, marker, timeout)
            if last is None:
                return done
            now = time.monotonic()
            self.latencies.append((marker, now - t0))
            self.answered_at.append(now)
            done += 1
            self.answered += 1
        return done
