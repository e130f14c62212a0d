"""Storage growth: does one office's bot stay as fast when the data directory holds 200 offices' years?

One data directory grows from 1 to 20 to 200 organizations, each with a full FY 2569 (see
bench/workload.py: 53 measures, 4 rounds answered, 1-4 revisions and 1-3 evidence items per answer,
~600 revisions, ~0.6 MB per year file, 21 Telegram accounts per organization). At each size the
first organization's files are restored to the same content, services are opened afresh
(`bot.wiring.build_services`, as `itabot run` does) and one registered officer of it is driven
through the real Engine:

- list: `/report` → the officer's measure list for the open round (12), timed around Engine.handle;
- write: the officer walks to the recap (measure → ดำเนินการ → summary → outcome → /done, untimed),
  then presses บันทึก, timed: one report revision appended durably plus the next measure's prompt;
- add_report: the repository call alone, for comparison.

Figures are medians and p99 in milliseconds; `ratio_200_to_1` is the larger of the list and write
median ratios (200 organizations / 1). Run: `python -m bench.storage_growth [--quick]`.
"""

from __future__ import annotations

import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.wiring import build_services
from storage.clock import FixedClock
from storage.evidence import EvidenceStore
from storage.models import ReportEntry, new_id

from .workload import (
    FISCAL_YEAR,
    NOW,
    Chat,
    OrgData,
    check_readable,
    evidence_pool,
    make_org,
    write_orgs,
    write_registry,
)

__all__ = ["run", "percentile"]

SIZES = (1, 20, 200)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _stats(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"median_ms": round(statistics.median(ms), 3), "p99_ms": round(percentile(ms, 99), 3),
            "min_ms": round(min(ms), 3), "samples": len(ms)}


def _timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _expect(chat: Chat, marker: str, what: str) -> None:
    if marker not in chat.text:
        raise RuntimeError(f"storage_growth: {what} did not answer as expected: {chat.text[:200]!r}")


def measure(data_dir: Path, first: OrgData, samples: int) -> dict[str, Any]:
    """Open services on the data dir and time list building, report saves and raw appends."""
    t_open, services = _timed(lambda: build_services(data_dir, FixedClock(NOW)))
    check_readable(services.repo, first)
    officer = first.officers[0]
    chat = Chat(services.engine, officer.identities[0].user_id)
    lists, writes, appends = [], [], []
    chat.say("/report")  # warm caches once: every size is measured warm
    gc.collect()
    for _ in range(samples):
        dt, _ = _timed(lambda: chat.say("/report"))
        lists.append(dt)
        _expect(chat, "มาตรการที่ต้องรายงาน", "/report")
    for i in range(samples):
        chat.say("/report")
        chat.press(". ")  # the first measure of the list
        chat.press("ดำเนินการ")
        chat.say(f"จัดประชุมชี้แจงและประชาสัมพันธ์ผ่านเว็บไซต์ ครั้งที่ {i}")
        chat.say("บุคลากรรับทราบแนวทาง")
        chat.say("/done")
        _expect(chat, "ตรวจสอบก่อนบันทึก", "the recap")
        dt, _ = _timed(lambda: chat.press("บันทึก"))
        writes.append(dt)
        _expect(chat, "บันทึกแล้ว", "save")
    repo = services.repo
    for i in range(samples):
        entry = ReportEntry(id=new_id("r"), org_id=first.org.id, fiscal_year=FISCAL_YEAR, measure_id="m1", round=12,
                            unit_id="u1", status="done", summary=f"บันทึกตรง {i}", officer_id=officer.id,
                            created_at=NOW.isoformat(timespec="seconds"))
        dt, _ = _timed(lambda e=entry: repo.add_report(e))
        appends.append(dt)
    repo.close()
    return {"open_seconds": round(t_open, 3), "list": _stats(lists), "write": _stats(writes),
            "add_report": _stats(appends), "report_revisions_in_org": first.reports}


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(samples: int = 40, sizes: tuple[int, ...] = SIZES, work_dir: str | None = None) -> dict[str, Any]:
    """Grow one data directory through `sizes` organizations and time the first one's officer at each."""
    tmp = Path(tempfile.mkdtemp(prefix="itabot-bench-storage-", dir=work_dir))
    try:
        data_dir = tmp / "data"
        pool = evidence_pool(EvidenceStore(data_dir / "evidence"))
        orgs: list[OrgData] = []
        per_size: dict[str, Any] = {}
        t_gen = 0.0
        for size in sizes:
            t0 = time.perf_counter()
            new = [make_org(i, pool) for i in range(len(orgs), size)]
            orgs.extend(new)
            write_orgs(data_dir, new)
            write_orgs(data_dir, orgs[:1])  # restore the measured organization: same content at every size
            write_registry(data_dir, orgs)
            t_gen += time.perf_counter() - t0
            result = measure(data_dir, orgs[0], samples)
            result["data_dir_mb"] = round(_dir_bytes(data_dir) / 1e6, 1)
            per_size[str(size)] = result
        lo, hi = per_size[str(sizes[0])], per_size[str(sizes[-1])]
        ratios = {k: round(hi[k]["median_ms"] / lo[k]["median_ms"], 3) for k in ("list", "write", "add_report")}
        return {
            "storage_growth.ratio_200_to_1": max(ratios["list"], ratios["write"]),
            "unit": "ratio of medians (largest size / 1 organization); times in ms",
            "goal": "ratio_200_to_1 <= 1.5",
            "ratios": ratios,
            "sizes": per_size,
            "data_generation_seconds": round(t_gen, 1),
            "how": ("one data dir grown to 1/20/200 orgs (full FY 2569 each); fresh build_services per size; "
                    "one officer of org 1 driven through Engine.handle; list = /report, write = pressing บันทึก "
                    f"on the recap; {samples} samples each, warm; ratio = max(list, write) median ratio"),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    out = run(samples=5, sizes=(1, 5)) if quick else run()
    print(json.dumps({"storage_growth": out}, ensure_ascii=False, indent=2))
