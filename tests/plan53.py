"""The Done-when office: seed 002's ten measures plus the OIT 2566 checklist (53 items) with a round's answers."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import datetime, timedelta

from handlers.plan_import import apply_plan
from handlers.samples import oit_template, sample_plan
from report.compile import RoundReport, compile_round
from storage.clock import BANGKOK
from storage.evidence import EvidenceStore
from storage.models import Evidence, Measure, Organization, ReportEntry, Unit, new_id, now_iso
from storage.repository import Repository
from tests.report_fixtures import make_image

__all__ = ["FY53", "NOW53", "OIT_SUB", "build_53", "compile_53"]

FY53 = 2569
NOW53 = datetime(2026, 4, 3, 9, 30, tzinfo=BANGKOK)  # just after round 6 ends
INDICATOR_NAMES = {
    "1": "การปฏิบัติหน้าที่", "2": "การใช้งบประมาณ", "3": "การใช้อำนาจ", "4": "การใช้ทรัพย์สินของราชการ",
    "5": "การแก้ไขปัญหาการทุจริต", "6": "คุณภาพการดำเนินงาน", "7": "ประสิทธิภาพการสื่อสาร",
    "8": "การปรับปรุงการทำงาน", "9": "การเปิดเผยข้อมูล", "10": "การป้องกันการทุจริต", "9.1": "ข้อมูลพื้นฐาน", "9.2": "การบริหารงาน", "9.3": "การบริหารเงินงบประมาณ",
    "9.4": "การบริหารและพัฒนาทรัพยากรบุคคล", "9.5": "การส่งเสริมความโปร่งใส",
    "10.1": "การดำเนินการเพื่อป้องกันการทุจริต", "10.2": "มาตรการภายในเพื่อป้องกันการทุจริต",
}
OIT_SUB: tuple[tuple[str, int, int], ...] = (  # sub-indicator, first and last OIT item of the 2566 form
    ("9.1", 1, 10), ("9.2", 11, 18), ("9.3", 19, 22), ("9.4", 23, 26), ("9.5", 27, 33), ("10.1", 34, 40),
    ("10.2", 41, 43),
)
DONE_TEXTS = (
    "จัดทำ{title} เสนอผู้บริหารพิจารณาเมื่อวันที่ {d} และเผยแพร่บนเว็บไซต์หลักของหน่วยงานครบตามองค์ประกอบ",
    "ประชุมชี้แจงบุคลากรทุกส่วนราชการ เมื่อวันที่ {d} มีผู้เข้าร่วม 42 คน และแจ้งเวียนหนังสือให้ถือปฏิบัติ"
    " ตามหลักธรรมาภิบาล (Good Governance) พร้อมประชาสัมพันธ์ทางบอร์ดและเพจ Facebook ของ อบต.",
    "ออกคำสั่งแต่งตั้งคณะทำงานที่ 112/2569 ลงวันที่ {d} กำหนดผู้รับผิดชอบ ขั้นตอน และระยะเวลาให้ชัดเจน",
)
LONG = ("ดำเนินการจัดอบรมเชิงปฏิบัติการเรื่องการป้องกันผลประโยชน์ทับซ้อนให้แก่พนักงานส่วนตำบลและพนักงานจ้าง"
        " จำนวน 3 รุ่น รุ่นละ 40 คน ระหว่างวันที่ 12-14 มกราคม 2569 ณ ห้องประชุม อบต. โดยเชิญวิทยากรจาก"
        "สำนักงาน ป.ป.ช. ประจำจังหวัดสุรินทร์ มีการทดสอบความรู้ก่อนและหลังการอบรม ผู้เข้าอบรมมีคะแนนเฉลี่ย"
        "เพิ่มขึ้นจากร้อยละ 61.5 เป็นร้อยละ 88.2 และจัดทำสรุปรายงานผลเสนอนายก อบต. ")


def _sub_of(code: str) -> str:
    n = int(code[1:])
    return next(sub for sub, lo, hi in OIT_SUB if lo <= n <= hi)


def _enrich(m: Measure) -> None:
    """What the importer fills (issue 11) when an older importer did not: number, name, OIT code, components."""
    if m.indicator_no:
        return
    if m.indicator.startswith("o") and m.indicator[1:].isdigit():
        m.oit_code, m.indicator_no = m.indicator, _sub_of(m.indicator)
        parts = re.split(r"(?:^|\s)-\s*(?=แสดง|มี|เป็น|ระบุ|สามารถ|จัดทำ|หน่วยงาน|ข้อมูล|ประกาศ|จะ)", m.components)
        m.component_list = [c.strip() for c in parts if c.strip(" -")]
    else:
        m.indicator_no = m.indicator.split(".")[0].strip()
    m.indicator_name = INDICATOR_NAMES.get(m.indicator_no, "")


def _evidence(rng: random.Random, store: EvidenceStore, no: int, stamp: str) -> list[Evidence]:
    """A link on most answers, a photo on some (platform names and captions mixed), a PDF on a few."""
    out = [store.link(f"https://www.khamniam.go.th/news/{no}", "p1", stamp)]
    if no % 3 == 0:
        name = f"photo_AgAD{no:04d}.jpg" if no % 2 else f"อบรมบุคลากร รุ่นที่ {no % 4 + 1}.jpg"
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        out.append(store.put(make_image(colour, (640, 480), "JPEG"), name, "image/jpeg", "p1", stamp))
    if no % 7 == 0:
        out.append(store.put(f"%PDF-1.4 {no}".encode(), "คำสั่ง.pdf", "application/pdf", "p1", stamp))
    return out


def _answer(rng: random.Random, store: EvidenceStore, m: Measure, unit: Unit, org_id: str) -> ReportEntry | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    when = NOW53 - timedelta(days=5 + rng.randrange(60), minutes=rng.randrange(600))
    stamp = now_iso(when)
    base = ReportEntry(id=new_id("r"), org_id=org_id, fiscal_year=FY53, measure_id=m.id, round=6, unit_id=unit.id,
                       status="not_done", officer_id="p1", officer_name="สมใจ ใจดี", created_at=stamp)
    if roll < 0.18:
        return replace(base, reason="อยู่ระหว่างรวบรวมข้อมูลจากส่วนราชการที่เกี่ยวข้อง")
    day = f"{when.day} {('ม.ค.', 'ก.พ.', 'มี.ค.', 'เม.ย.')[when.month % 4]} 2569"
    summary = DONE_TEXTS[m.no % 3].format(title=m.title[:60], d=day)
    if m.no in (3, 5, 12):
        summary = LONG * (4 if m.no == 3 else 2)
    return replace(base, status="done", summary=summary, outcome="บุคลากรและประชาชนรับทราบ เข้าถึงข้อมูลได้สะดวก",
                   evidence=_evidence(rng, store, m.no, stamp))


def build_53(repo: Repository, store: EvidenceStore, seed: int = 13) -> Organization:
    """Import the 53-item plan into the repository and answer round 6 as a real office would."""
    org = Organization(id="k53", name="องค์การบริหารส่วนตำบลคำเนียม", type="อบต.", district="กาบเชิง",
                       province="สุรินทร์", signer_name="นางสาวสมใจ ใจดี", signer_position="นักวิเคราะห์นโยบายและแผน")
    repo.save_org(org)
    apply_plan(repo, org.id, FY53, sample_plan(FY53))
    apply_plan(repo, org.id, FY53, oit_template())
    measures = repo.list_measures(org.id, FY53)
    for m in measures:
        _enrich(m)
    repo.save_measures(org.id, FY53, measures)
    units = repo.list_units(org.id)
    rng = random.Random(seed)
    for m in measures:
        for unit in units if m.all_units else [u for u in units if u.id in m.unit_ids]:
            entry = _answer(rng, store, m, unit, org.id)
            if entry is not None:
                repo.add_report(entry)
    return org


def compile_53(repo: Repository, org_id: str) -> RoundReport:
    """Round 6 of the office built by build_53."""
    return compile_round(repo, org_id, FY53, 6, NOW53)
