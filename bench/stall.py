"""Stall: does one heavy request stall everyone else? (issue 12, item 6)

The real web server and LINE adapter, wired as `itabot run` wires them (build_services: imports and
rendering in the bounded child process), talk to a fake LINE API on 127.0.0.1. A client thread polls
`GET /healthz` every ~20 ms and records each latency while an admin sends a 20-level nested-table DOCX
and a sparse XLSX with a cell at XFD1048576, and a head sends `/summary` for the 53-measure office of
tests/plan53.py with extra photos up to 100. Reports /healthz p50/p99/max and each heavy request's time.

Run: `.venv/bin/python -m bench.stall` prints {"stall": run()} as JSON.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp

from bot.config import Settings
from bot.line import line_adapter
from bot.outbox import Outbox
from bot.web import WebServer
from bot.wiring import build_services
from handlers.services import create_invite
from storage.clock import FixedClock
from storage.evidence import EvidenceStore
from storage.models import Evidence, ReportEntry, new_id, now_iso
from storage.tinydb_repo import TinyRepository
from tests.fakes.line_api import FakeLineAPI, WebhookBuilder
from tests.plan53 import FY53, NOW53, build_53
from tests.report_fixtures import make_image
from tests.test_import_limits import nested_docx, small_xlsx

__all__ = ["run"]

SECRET = "bench-line-channel-secret"
TOKEN = "bench-access-token"
HEAD = "U0head00000000000000000000000002"
ADMIN = "U0admin0000000000000000000000003"


POLL_TIMEOUT = 10.0  # seconds: a /healthz that answers nothing by then is counted as a failure


class HealthPoller(threading.Thread):
    """Polls /healthz from its own thread (so a blocked event loop cannot hide a slow answer)."""

    def __init__(self, port: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.port, self.interval = port, interval
        self.latencies_ms: list[float] = []
        self.failures = 0
        self.failure_reasons: list[str] = []
        self._halt = threading.Event()

    def run(self) -> None:
        """Poll until stopped: one GET on a fresh connection every interval."""
        while not self._halt.is_set():
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=POLL_TIMEOUT)
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status != 200:
                    self.failures += 1
                    self.failure_reasons.append(f"HTTP {resp.status}")
            except OSError as exc:
                self.failures += 1
                self.failure_reasons.append(f"{type(exc).__name__}: {exc}")
            elapsed = time.perf_counter() - start
            self.latencies_ms.append(elapsed * 1000)
            self._halt.wait(max(0.0, self.interval - elapsed))

    def stop(self) -> None:
        """Ask the thread to finish and wait for it."""
        self._halt.set()
        self.join()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0


def _add_photos(repo: TinyRepository, store: EvidenceStore, org_id: str, target: int) -> int:
    """Add photos to the answered reports until the round holds `target` photos; return the count."""
    reports = [r for r in repo.list_reports(org_id, FY53, round_no=6) if r.status == "done"]
    have = sum(1 for r in reports for e in r.evidence if e.mime.startswith("image/"))
    rng, stamp = random.Random(5), now_iso(NOW53)
    extra: dict[str, tuple[ReportEntry, list[Evidence]]] = {}
    while have < target:
        entry = reports[have % len(reports)]
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        photo = store.put(make_image(colour, (640, 480), "JPEG"), f"ภาพกิจกรรม {have + 1}.jpg", "image/jpeg", "p1", stamp)
        extra.setdefault(entry.id, (entry, []))[1].append(photo)
        have += 1
    for entry, photos in extra.values():  # one new revision per answer, as an officer adding photos makes
        repo.add_report(replace(entry, id=new_id("r"), evidence=[*entry.evidence, *photos]))
    return have


def _texts(api: FakeLineAPI, token: str) -> str:
    return json.dumps([m for r in api.replies_with_token(token) for m in r["messages"]], ensure_ascii=False)


def _plain(api: FakeLineAPI, token: str) -> str:
    """The text bodies a user reads in the replies to one event."""
    return "\n".join(m.get("text", "") for r in api.replies_with_token(token) for m in r["messages"])


def _cancel_data(api: FakeLineAPI, token: str) -> str:
    """Postback data of the ยกเลิก quick reply in the replies to one event ("" when there is none)."""
    for r in api.replies_with_token(token):
        for m in r["messages"]:
            for item in (m.get("quickReply") or {}).get("items", []):
                if item["action"].get("label") == "ยกเลิก":
                    return str(item["action"]["data"])
    return ""


async def _scenario(data_dir: Path, depth: int, photos: int, interval: float) -> dict[str, Any]:
    repo = TinyRepository(data_dir)
    store = EvidenceStore(data_dir / "evidence", max_bytes=10 * 1024 * 1024)
    org = build_53(repo, store)
    photo_count = _add_photos(repo, store, org.id, photos)
    unit = repo.list_units(org.id)[0]
    measures = len(repo.list_measures(org.id, FY53))
    clock = FixedClock(NOW53)
    invites = {user: create_invite(repo, clock, org.id, role, [unit.id], name=role).code
               for user, role in ((ADMIN, "admin"), (HEAD, "head"))}
    repo.close()

    services = build_services(data_dir, clock)  # the composition root of `itabot run`
    api = await FakeLineAPI(TOKEN).start()
    settings = Settings(line_channel_secret=SECRET, line_access_token=TOKEN, line_api_base_url=api.root_url,
                        public_base_url="https://placeholder.invalid")
    adapter = line_adapter(settings, services, Outbox())
    server = WebServer("127.0.0.1", 0)
    adapter.register_routes(server)
    await server.start()
    await adapter.start()
    hooks = WebhookBuilder(api, SECRET)
    http = aiohttp.ClientSession()
    poller = HealthPoller(server.bound_port, interval)
    heavy: dict[str, Any] = {}
    try:
        async def send(event: dict[str, Any]) -> tuple[float, str]:
            body = hooks.body(event)
            start = time.perf_counter()
            async with http.post(f"{server.url}/line/webhook", data=body,
                                 headers={"Content-Type": "application/json", "X-Line-Signature": hooks.sign(body)}) as resp:
                assert resp.status == 200, resp.status
            await adapter.drain()
            return time.perf_counter() - start, _texts(api, event["replyToken"])

        for user, code in invites.items():
            _, reply = await send(hooks.text(user, f"/start {code}"))
            assert "ลงทะเบียนเรียบร้อย" in reply, reply
        poller.start()
        await asyncio.sleep(10 * interval)  # a baseline before the heavy work
        requests = (
            ("nested_docx", hooks.file(ADMIN, nested_docx(depth), "แผน ซ้อนตาราง.docx",
                                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document")),
            ("sparse_xlsx", hooks.file(ADMIN, small_xlsx(far_cell="XFD1048576"), "แผน.xlsx",
                                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
            ("summary_53", hooks.text(HEAD, "/summary")),
        )
        for name, event in requests:
            seconds, reply = await send(event)
            heavy[name] = {"seconds": round(seconds, 3), "replied": bool(api.replies_with_token(event["replyToken"])),
                           "reply": _plain(api, event["replyToken"])[:300]}
            cancel = _cancel_data(api, event["replyToken"])
            if cancel:  # a preview waits for a confirm: cancel it, the way an admin would before the next file
                await send(hooks.postback(ADMIN, cancel))
        await asyncio.sleep(10 * interval)
    finally:
        if poller.is_alive():
            poller.stop()
        await http.close()
        await adapter.stop()
        await server.stop()
        await api.stop()
        services.close()
    lat = poller.latencies_ms
    return {
        "stall.healthz_p99_ms": _pct(lat, 0.99),
        "healthz_p50_ms": _pct(lat, 0.50),
        "healthz_max_ms": round(max(lat), 2) if lat else 0.0,
        "healthz_mean_ms": round(statistics.fmean(lat), 2) if lat else 0.0,
        "healthz_polls": len(lat),
        "healthz_failures": poller.failures,
        "healthz_failure_reasons": poller.failure_reasons[:10],
        "heavy": heavy,
        "measures": measures,
        "photos": photo_count,
        "docx_depth": depth,
    }


def run(depth: int = 20, photos: int = 100, interval: float = 0.02, work_dir: str | None = None) -> dict[str, Any]:
    """The stall scenario once; /healthz percentiles in ms and each heavy request's seconds."""
    tmp = Path(tempfile.mkdtemp(prefix="itabot-stall-", dir=work_dir))
    try:
        out = asyncio.run(_scenario(tmp / "data", depth, photos, interval))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out.update({
        "unit": "ms per GET /healthz from 127.0.0.1 while heavy requests run",
        "goal": "healthz_p99_ms < 100",
        "how": f"bench/stall.py: /healthz polled every {interval * 1000:.0f} ms from a separate thread while an "
               f"admin sends a {depth}-level nested-table DOCX and an XLSX with a cell at XFD1048576, and a head "
               f"sends /summary for {out['measures']} measures with {out['photos']} photos (LINE, bounded child process)",
    })
    return out


if __name__ == "__main__":
    print(json.dumps({"stall": run()}, ensure_ascii=False, indent=2))
