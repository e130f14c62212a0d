"""Test helpers: an organization with units, a plan and answers in a repository, for the report tests."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image

from report.compile import RoundReport, compile_round
from storage.clock import BANGKOK
from storage.evidence import EvidenceStore
from storage.factory import Store
from storage.models import Evidence, Measure, Organization, ReportEntry, Unit, new_id, now_iso
from tests.factory import open_store

__all__ = ["FY", "LONG_ANSWER", "NOW", "Fixture", "build", "make_image", "thai_url", "typical"]

FY = 2569
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=BANGKOK)  # inside round 6 of FY 2569
LONG_ANSWER = ("จัดอบรมเจ้าหน้าที่เรื่องคุณธรรมและความโปร่งใส ครั้งที่ 1 " * 90)[:5000]
thai_url = "https://www.คำเนียม.go.th/ข่าว/ประกาศ?id=๑๒"


def make_image(color: tuple[int, int, int] = (200, 60, 40), size: tuple[int, int] = (320, 240),
               fmt: str = "PNG") -> bytes:
    """A small generated photo."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


@dataclass
class Fixture:
    """A repository with one organization, its units and FY 2569 plan, plus helpers to answer."""

    repo: Store
    store: EvidenceStore
    org: Organization
    units: dict[str, Unit]
    measures: list[Measure]
    clock_now: datetime = NOW
    _tick: int = field(default=0)

    def unit(self, name: str) -> Unit:
        """A unit by its Thai name."""
        return self.units[name]

    def measure(self, no: int) -> Measure:
        """A measure by its plan number."""
        return next(m for m in self.measures if m.no == no)

    def answer(self, no: int, unit: str, status: str = "done", summary: str = "", outcome: str = "",
               reason: str = "", evidence: list[Evidence] | None = None, round_no: int = 6,
               when: datetime | None = None) -> ReportEntry:
        """Store one answer revision of a unit for a measure."""
        self._tick += 1
        moment = when or (self.clock_now - timedelta(days=10) + timedelta(minutes=self._tick))
        entry = ReportEntry(
            id=new_id("r"), org_id=self.org.id, fiscal_year=FY, measure_id=self.measure(no).id,
            round=round_no, unit_id=self.unit(unit).id, status=status, summary=summary, outcome=outcome,
            reason=reason, evidence=list(evidence or []), officer_id="o1", officer_name="สมใจ ใจดี",
            created_at=now_iso(moment),
        )
        return self.repo.add_report(entry)

    def photo(self, name: str = "อบรม.jpg", color: tuple[int, int, int] = (200, 60, 40)) -> Evidence:
        """A stored photo."""
        return self.store.put(make_image(color, fmt="JPEG"), name, "image/jpeg", "o1", now_iso(self.clock_now))

    def file(self, name: str = "คำสั่ง.pdf", data: bytes = b"%PDF-1.4 fake") -> Evidence:
        """A stored document."""
        return self.store.put(data, name, "application/pdf", "o1", now_iso(self.clock_now))

    def link(self, url: str) -> Evidence:
        """A link (stored as is, like the bot would after validation)."""
        return Evidence(id=new_id("e"), kind="url", url=url, uploader_id="o1", created_at=now_iso(self.clock_now))

    def compile(self, round_no: int = 6, unit: str | None = None) -> RoundReport:
        """Compile the round (optionally for one unit)."""
        unit_id = self.unit(unit).id if unit else None
        return compile_round(self.repo, self.org.id, FY, round_no, self.clock_now, unit_id)


PLAN: list[tuple[int, str, str, str, str, list[int]]] = [  # no, indicator, title, steps, units ("*" = every unit), rounds
    (1, "1. การปฏิบัติหน้าที่", "จัดทำคู่มือ/แนวทางการปฏิบัติงาน หรือการให้บริการ",
     "1. จัดทำคู่มือ 2. แจ้งเวียนให้บุคลากรรับทราบ 3. เผยแพร่ทางเว็บไซต์", "*", [3, 6, 9, 12]),
    (2, "2. การใช้งบประมาณ", "มาตรการการเผยแพร่ข้อมูลงบประมาณและการใช้จ่ายงบประมาณ",
     "1. เปิดเผยแผนการจัดซื้อจัดจ้าง 2. ประชาสัมพันธ์แผนการใช้จ่ายงบประมาณ", "กองคลัง", [3, 6, 9, 12]),
    (3, "3. การใช้อำนาจ", "มาตรการใช้อำนาจหน้าที่ตามหลักธรรมาภิบาล",
     "1. กำหนดหลักเกณฑ์การประเมินผลการปฏิบัติงาน", "สำนักปลัด", [6, 12]),
    (4, "4. การใช้ทรัพย์สินของราชการ", "มาตรการการใช้ทรัพย์สินของทางราชการ",
     "1. จัดทำคู่มือการยืมทรัพย์สิน", "กองช่าง", [6, 12]),
    (5, "5. การแก้ไขปัญหาการทุจริต", "มาตรการเสริมสร้างจิตสำนึกที่ดีในการรับผิดชอบงาน",
     "1. จัดกิจกรรมอบรมสัมมนา", "สำนักปลัด", [12]),
]


def build(data_dir: Path | None = None, signer: bool = True) -> Fixture:
    """An อบต. with three units and a five-measure FY 2569 plan (measure 5 only in round 12)."""
    repo = open_store(data_dir)
    store = EvidenceStore(data_dir / "evidence" if data_dir else None)
    org = Organization(
        id="org1", name="องค์การบริหารส่วนตำบลคำเนียม", type="อบต.", district="กาบเชิง", province="สุรินทร์",
        signer_name="นายสมชาย ตั้งใจ" if signer else "", signer_position="ปลัดองค์การบริหารส่วนตำบล" if signer else "",
    )
    repo.save_org(org)
    units: dict[str, Unit] = {}
    for i, name in enumerate(("สำนักปลัด", "กองคลัง", "กองช่าง")):
        units[name] = Unit(id=f"u{i + 1}", org_id=org.id, name=name)
        repo.save_unit(units[name])
    measures = []
    for no, indicator, title, steps, who, rounds in PLAN:
        measures.append(Measure(
            id=f"m{no}", no=no, indicator=indicator, title=title, steps=steps,
            unit_ids=[] if who == "*" else [units[who].id], all_units=who == "*",
            period="ตุลาคม 2568 - กันยายน 2569", rounds=list(rounds),
            responsible_text="ทุกส่วนราชการ" if who == "*" else who,
        ))
    repo.save_measures(org.id, FY, measures)
    return Fixture(repo, store, org, units, measures)


def typical(fx: Fixture) -> Fixture:
    """Answers for round 6: measure 1 done by two units (one not done), 2 done, 3 not done, 4 not reported."""
    fx.answer(1, "สำนักปลัด", "done", "จัดทำคู่มือการให้บริการประชาชน และเผยแพร่ผ่านเว็บไซต์",
              "ประชาชนเข้าถึงคู่มือได้สะดวก", evidence=[fx.photo(), fx.link("https://example.go.th/manual")])
    fx.answer(1, "กองคลัง", "not_done", reason="อยู่ระหว่างรวบรวมข้อมูล")
    fx.answer(2, "กองคลัง", "not_done", reason="รออนุมัติ")
    fx.answer(2, "กองคลัง", "done", "เผยแพร่แผนการจัดซื้อจัดจ้างประจำปี", evidence=[fx.file()])
    fx.answer(3, "สำนักปลัด", "not_done", reason="รอคำสั่งแต่งตั้งคณะทำงาน")
    return fx
