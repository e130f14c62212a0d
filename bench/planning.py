"""Planning: starting on, and re-deriving the reminders of, 1,000 offices' full years (TinyDB).

A data directory of n offices (bench/workload.py: 5 units, 20 officers and a head each, 53 measures,
rounds 3, 6 and 9 of FY 2569 answered, ~0.45 MB per year file) is opened twice: the first start checks
every file in full (nothing is recorded as good yet), the second finds them in storage/verified.py's
record (the usual restart). The moment is 16 Sep 2026 10:00, the morning round 12 opens: every officer
owes it, so every office has a live send window. Every send due then is put in the send log as sent
(one write per year file), which is the state the 09:00 alarm leaves behind. Then, CPU seconds
(time.process_time of this process, worker threads included):
- `lease_take`: what a planner does once when it starts or takes the lease: recover cut sends and plan
  every office (ReminderService.prepare);
- `refresh` and `tick` with nothing changed: the 15-minute re-derive and an alarm, through the plan
  index (scheduler/plan_index.py); what they replace, measured in the same run on the same data:
  `full_pass` (the executor planning every office, as every tick did) and `full_moments` (every
  office's plans for the alarms, as every re-derive did on top of its tick);
- `tick_after_change`: one office gains an officer who owes round 12 (the one change): the tick plans
  that office alone and sends exactly that officer's round-open reminder (`sent_after_change` = 1);
- `restart_prepare`: `lease_take` again after a restart on TinyDB, where the summaries were kept
  (`.plan_index`): only the office whose send log changed since is planned.
Headline: `planning.refresh_ms_1000`, CPU milliseconds of one unchanged re-derive of 1,000 offices.
Goal ≤ 1,000 ms: a re-derive every 15 minutes then costs at most ~0.1 % of one core, and an alarm on a
busy morning leaves the event loop and the chats alone. Run: `python -m bench.planning [--quick]`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from domain.events import Reply
from scheduler.plan_index import PlanIndex
from scheduler.reminders import due_sends, run_due
from scheduler.service import ReminderService
from storage.atomic import AtomicJSONStorage
from storage.clock import BANGKOK, FixedClock
from storage.migrate import migrate_data_dir
from storage.models import Identity, Officer, SendRecord, now_iso, to_dict
from storage.tinydb_repo import TinyRepository

from .telegram_throughput import OPEN_ROUND_DATA
from .workload import FISCAL_YEAR, build_data_dir

__all__ = ["GOAL_MS", "run"]

GOAL_MS = 1000
MOMENT = datetime(2026, 9, 16, 10, 0, tzinfo=BANGKOK)  # round 12 opened at 09:00: every office has a live window
T = TypeVar("T")


@dataclass
class CountingNotifier:
    """Accepts every message and counts them (no platform: only planning is measured)."""

    sent: list[str] = field(default_factory=list)

    async def send(self, officer: Officer, reply: Reply) -> bool:
        """Accepted."""
        self.sent.append(officer.id)
        return True


def _cpu(action: Callable[[], T]) -> tuple[T, float, float]:
    """The action's result, CPU seconds and wall seconds."""
    c0, w0 = time.process_time(), time.perf_counter()
    out = action()
    return out, time.process_time() - c0, time.perf_counter() - w0


def _log_as_sent(repo: TinyRepository, data_dir: Path) -> int:
    """Put every send due at MOMENT in the send log as sent, one write per year file (as the alarm would)."""
    count = 0
    for org in repo.list_orgs():
        records = [
            to_dict(SendRecord(key=s.key, org_id=org.id, fiscal_year=s.slot.fiscal_year, round=s.slot.round,
                               kind=s.kind, recipient=s.officer.id, due=now_iso(s.due), result="sent", attempts=1,
                               sent_at=now_iso(MOMENT)))
            for s in due_sends(repo, org.id, MOMENT)
        ]
        if not records:
            continue
        store = AtomicJSONStorage(data_dir / "orgs" / org.id / f"fy{FISCAL_YEAR}.json")
        tables = store.read() or {}
        sends = tables.setdefault("sends", {})
        sends.update({str(len(sends) + i): r for i, r in enumerate(records, 1)})
        store.write(tables)
        count += len(records)
    return count


def _new_officer(repo: TinyRepository, org_id: str) -> None:
    """One change: a new officer of unit u1 joins on Telegram (owes round 12 like the others)."""
    uid = "59999999"
    repo.save_officer(Officer(id="p-new", org_id=org_id, display_name="เจ้าหน้าที่ใหม่", role="officer",
                              unit_ids=["u1"], identities=[Identity("telegram", uid, uid, True, now_iso(MOMENT))]))


def _round(seconds: float) -> float:
    return round(seconds, 3)


async def _measure(repo: TinyRepository, first_org: str) -> dict[str, Any]:
    clock = FixedClock(MOMENT)
    notifier = CountingNotifier()
    service = ReminderService(repo, clock, notifier)
    moments, lease_cpu, lease_wall = _cpu(service.prepare)
    service.scheduler.start(paused=True)  # alarms are not needed: ticks are called directly
    c0 = time.process_time()
    await service.refresh()
    refresh_cpu = time.process_time() - c0
    c0 = time.process_time()
    await service.tick()
    tick_cpu = time.process_time() - c0
    steady_sent = len(notifier.sent)
    loop = asyncio.get_running_loop()
    c0 = time.process_time()
    await run_due(repo, clock, notifier, MOMENT)  # every office planned, as every tick did before the index
    full_pass_cpu = time.process_time() - c0
    _, full_moments_cpu, _ = await loop.run_in_executor(None, _cpu, lambda: PlanIndex(repo, lambda o, y: {}).moments(MOMENT))
    _new_officer(repo, first_org)
    planned_before = service.index.planned
    c0 = time.process_time()
    await service.tick()
    change_cpu = time.process_time() - c0
    service.shutdown()
    restarted = ReminderService(TinyRepository(repo.data_dir), clock, notifier)  # a restart: summaries were kept
    _, restart_cpu, _ = _cpu(restarted.prepare)
    return {
        "restart_prepare_cpu_s": _round(restart_cpu), "offices_planned_at_restart": restarted.index.planned,
        "lease_take_cpu_s": _round(lease_cpu), "lease_take_wall_s": _round(lease_wall), "alarms": len(moments),
        "refresh_cpu_s": _round(refresh_cpu), "tick_cpu_s": _round(tick_cpu),
        "full_pass_cpu_s": _round(full_pass_cpu), "full_moments_cpu_s": _round(full_moments_cpu),
        "sent_in_steady_ticks": steady_sent, "tick_after_change_cpu_s": _round(change_cpu),
        "offices_planned_after_change": service.index.planned - planned_before,
        "sent_after_change": len(notifier.sent) - steady_sent,
    }


def run(offices: int = 1000, work_dir: str | None = None) -> dict[str, Any]:
    """Startup and planning costs of n offices: before (every office every time) and after (the index)."""
    tmp = Path(tempfile.mkdtemp(prefix="itabot-bench-plan-", dir=work_dir))
    try:
        data_dir = tmp / "data"
        _, build_cpu, _ = _cpu(lambda: build_data_dir(data_dir, offices, OPEN_ROUND_DATA))
        migrate_data_dir(data_dir)
        repo, cold_cpu, cold_wall = _cpu(lambda: TinyRepository(data_dir))
        logged = _log_as_sent(repo, data_dir)
        repo.close()
        TinyRepository(data_dir).close()  # the start after the log writes: those files are checked and recorded
        repo, warm_cpu, warm_wall = _cpu(lambda: TinyRepository(data_dir))
        figures = asyncio.run(_measure(repo, repo.list_orgs()[0].id))
        repo.close()
        scale = 1000 / offices
        before = figures["full_pass_cpu_s"] + figures["full_moments_cpu_s"]
        return {
            "planning.refresh_ms_1000": round(figures["refresh_cpu_s"] * 1000 * scale, 1),
            "unit": "CPU ms of one re-derive (alarms and due sends) with nothing changed, scaled to 1,000 offices",
            "goal": f"refresh_ms_1000 ≤ {GOAL_MS}",
            "offices": offices,
            "refresh_before_cpu_s": _round(before),
            "refresh_speedup": round(before / max(figures["refresh_cpu_s"], 1e-6), 1),
            "startup_cold_cpu_s": _round(cold_cpu), "startup_cold_wall_s": _round(cold_wall),
            "startup_warm_cpu_s": _round(warm_cpu), "startup_warm_wall_s": _round(warm_wall),
            "sends_logged_at_setup": logged,
            **figures,
            "data_dir_mb": round(sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file()) / 1e6, 1),
            "build_cpu_s": _round(build_cpu),
            "how": (f"{offices} offices (bench/workload.py, rounds 3-9 answered) at {MOMENT:%Y-%m-%d %H:%M} "
                    "with the due round-open reminders logged; CPU seconds by time.process_time; "
                    "before = run_due over every office + every office's plans for the alarms"),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    out = run(offices=20) if "--quick" in sys.argv else run()
    print(json.dumps({"planning": out}, ensure_ascii=False, indent=2))
