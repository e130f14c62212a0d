"""Report compile: how long a year's progress report takes to compile and render, and how it scales.

The office: 5 units and a plan of 53 measures (every tenth one for every unit, a third monitored
only at the 6- and 12-month rounds), answered in all four rounds (seeded random: most measures
done, some not done, a few unanswered), with 200 evidence items over the year (half small generated
photos, JPEG and PNG, a quarter stored files, a quarter links). Each of the four rounds is compiled
and rendered to DOCX, XLSX and PNG; the seconds are summed over the rounds. The same is done with
ten times the measures (same 200 evidence items) and the ratio reported.

Run: `.venv/bin/python -m bench.report_compile [SCALE]` prints {"report_compile": run()} as JSON.
"""

from __future__ import annotations

import io
import json
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from domain.fiscal import get_round
from report.chart import render_chart
from report.compile import compile_round
from report.docx import render_docx
from report.xlsx import render_xlsx
from storage.clock import BANGKOK
from storage.evidence import EvidenceStore
from storage.models import ROUNDS, Evidence, Measure, Organization, ReportEntry, Unit, new_id, now_iso
from storage.tinydb_repo import TinyRepository

__all__ = ["BASE_MEASURES", "EVIDENCE_ITEMS", "build_year", "run", "time_year"]

FISCAL_YEAR = 2569
BASE_MEASURES = 53
EVIDENCE_ITEMS = 200
UNIT_NAMES = ("สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม", "กองวิชาการและแผนงาน")
INDICATORS = ("1. การปฏิบัติหน้าที่", "2. การใช้งบประมาณ", "3. การใช้อำนาจ", "4. การใช้ทรัพย์สินของราชการ",
              "5. การแก้ไขปัญหาการทุจริต", "6. คุณภาพการดำเนินงาน", "7. ประสิทธิภาพการสื่อสาร",
              "8. การปรับปรุงการทำงาน", "9. การเปิดเผยข้อมูล", "10. การป้องกันการทุจริต")


def _photo(rng: random.Random, i: int) -> tuple[bytes, str, str]:
    """A small generated photo, alternately JPEG and PNG."""
    img = Image.new("RGB", (480, 360), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    fmt, ext, mime = ("JPEG", "jpg", "image/jpeg") if i % 2 else ("PNG", "png", "image/png")
    img.save(out, fmt)
    return out.getvalue(), f"ภาพกิจกรรม{i}.{ext}", mime


def _plan(units: list[Unit], count: int) -> list[Measure]:
    measures = []
    for no in range(1, count + 1):
        every = no % 10 == 0
        measures.append(Measure(
            id=f"m{no}", no=no, indicator=INDICATORS[(no - 1) % len(INDICATORS)],
            title=f"มาตรการส่งเสริมคุณธรรมและความโปร่งใส กิจกรรมที่ {no}",
            steps="1. จัดทำแผนและคำสั่งมอบหมาย 2. ดำเนินกิจกรรมและประชาสัมพันธ์ 3. รายงานผลต่อผู้บริหาร",
            unit_ids=[] if every else [units[no % len(units)].id], all_units=every,
            period="ตุลาคม 2568 - กันยายน 2569", rounds=[6, 12] if no % 3 == 0 else list(ROUNDS),
        ))
    return measures


def _evidence(rng: random.Random, store: EvidenceStore, i: int, stamp: str) -> Evidence:
    """The i-th evidence item: half photos, a quarter files, a quarter links."""
    if i % 2 == 0:
        data, name, mime = _photo(rng, i)
        return store.put(data, name, mime, "p1", stamp)
    if i % 4 == 1:
        return store.put(f"%PDF-1.4 คำสั่ง {i}".encode(), f"คำสั่งที่{i}.pdf", "application/pdf", "p1", stamp)
    return store.link(f"https://www.example.go.th/news/{i}", "p1", stamp)


def build_year(data_dir: Path, measures: int, evidence_items: int = EVIDENCE_ITEMS, seed: int = 7
               ) -> tuple[TinyRepository, EvidenceStore, str]:
    """An office's plan and a whole year of answers; returns (repo, store, org_id)."""
    rng = random.Random(seed)
    repo = TinyRepository(None)  # answers in memory: the bench times reports, not database writes
    store = EvidenceStore(data_dir / "evidence")
    org = Organization(id="o1", name="องค์การบริหารส่วนตำบลคำเนียม", district="กันทรารมย์", province="ศรีสะเกษ",
                       signer_name="นายทดลอง ใช้ระบบ", signer_position="ปลัดองค์การบริหารส่วนตำบล")
    repo.save_org(org)
    units = [Unit(id=f"u{i}", org_id=org.id, name=name) for i, name in enumerate(UNIT_NAMES)]
    for unit in units:
        repo.save_unit(unit)
    plan = _plan(units, measures)
    repo.save_measures(org.id, FISCAL_YEAR, plan)
    entries: list[ReportEntry] = []
    for months in ROUNDS:
        end = get_round(FISCAL_YEAR, months).end
        for m in plan:
            if not m.monitored_in(months):
                continue
            for unit in units if m.all_units else [u for u in units if u.id in m.unit_ids]:
                if rng.random() < 0.1:
                    continue  # not reported
                done = rng.random() < 0.8
                when = datetime(end.year, end.month, end.day, 10, tzinfo=BANGKOK) - timedelta(days=rng.randrange(30))
                entries.append(ReportEntry(
                    id=new_id("r"), org_id=org.id, fiscal_year=FISCAL_YEAR, measure_id=m.id, round=months,
                    unit_id=unit.id, status="done" if done else "not_done",
                    summary=f"ดำเนินการตามขั้นตอนครบถ้วน ประชาสัมพันธ์ผ่านเว็บไซต์และบอร์ด {m.no}" if done else "",
                    outcome="บุคลากรและประชาชนรับทราบ" if done else "",
                    reason="" if done else "อยู่ระหว่างดำเนินการ", officer_id="p1", officer_name="สมใจ ใจดี",
                    created_at=now_iso(when)))
    for i in range(evidence_items):
        entry = entries[rng.randrange(len(entries))]
        entry.evidence.append(_evidence(rng, store, i, entry.created_at))
    for entry in entries:
        repo.add_report(entry)
    return repo, store, org.id


def time_year(measures: int, evidence_items: int = EVIDENCE_ITEMS) -> dict[str, Any]:
    """Seconds to compile and render all four rounds of a year with that many measures."""
    with tempfile.TemporaryDirectory(prefix="itabot-bench-") as tmp:
        out = Path(tmp)
        repo, store, org_id = build_year(out, measures, evidence_items)
        now = datetime(2026, 10, 5, 9, tzinfo=BANGKOK)
        seconds = {"compile": 0.0, "docx": 0.0, "xlsx": 0.0, "png": 0.0}
        sizes = {"docx": 0, "xlsx": 0, "png": 0}
        rows = 0
        for months in ROUNDS:
            t0 = time.perf_counter()
            report = compile_round(repo, org_id, FISCAL_YEAR, months, now)
            seconds["compile"] += time.perf_counter() - t0
            rows += len(report.rows)
            for fmt, render in (("docx", render_docx), ("xlsx", render_xlsx)):
                t0 = time.perf_counter()
                path = render(report, out / f"r{months}.{fmt}", store, "thai")
                seconds[fmt] += time.perf_counter() - t0
                sizes[fmt] += path.stat().st_size
            t0 = time.perf_counter()
            path = render_chart(report, out / f"r{months}.png", "thai")
            seconds["png"] += time.perf_counter() - t0
            sizes["png"] += path.stat().st_size
        answers = len(repo.list_reports(org_id, FISCAL_YEAR))
    return {
        "measures": measures,
        "rounds": len(ROUNDS),
        "report_rows": rows,
        "answers": answers,
        "evidence_items": evidence_items,
        "photos": (evidence_items + 1) // 2,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "bytes": sizes,
    }


def run(scale: int = 1) -> dict[str, Any]:
    """Time a year at 53×scale measures and at ten times that; report the ratio per format."""
    base = time_year(BASE_MEASURES * scale)
    tenx = time_year(BASE_MEASURES * scale * 10)
    ratio = {k: round(tenx["seconds"][k] / base["seconds"][k], 2) if base["seconds"][k] else None
             for k in base["seconds"]}
    return {"1x": base, "10x": tenx, "ratio_10x": ratio}


if __name__ == "__main__":
    scale_arg = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(json.dumps({"report_compile": run(scale_arg)}, ensure_ascii=False, indent=2))
