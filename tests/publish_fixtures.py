"""An office whose round 6 holds personal data and evidence the site must not show, and a way to approve it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

from domain.fiscal import to_arabic_digits
from domain.review import answers_digest
from report.docx import render_docx
from report.options import load_options
from storage.models import Approval, Identity, Measure, Officer, now_iso
from tests.photos import photo
from tests.report_fixtures import FY, NOW, Fixture, build, typical

__all__ = [
    "CHAT_ID", "LINE_ID", "OFFICER_ID", "OFFICER_NAME", "PHONE", "PRIVATE_FILES", "Published", "approve",
    "office", "personal_data_in", "text_files",
]

LINE_ID = "U" + "4f0c9e2ab71d3a58" * 2
CHAT_ID = "987654321"
OFFICER_ID = "p7f3a9c2e1d"
OFFICER_NAME = "สมใจ ใจดี"  # who typed the answers (report_fixtures): never on the site, not a signer
PHONE = "081-234-5678"
PRIVATE_FILES = (b"%PDF-1.4 round 12 only, not published yet", b"%PDF-1.4 superseded revision")
_LINE = re.compile(r"(?<![0-9A-Za-z])[UCR][0-9a-f]{32}(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\+66|0)\d{1,2}[- .]?\d{3}[- .]?\d{3,4}(?![0-9A-Za-z])")


@dataclass
class Published:
    """The office, its data folder and the approved document's hash."""

    fx: Fixture
    data: Path

    @property
    def site(self) -> Path:
        return self.data / "site" / self.fx.org.id


def office(tmp_path: Path) -> Published:
    """Round 6 answered (report_fixtures.typical) plus: an OIT item, an answer with a phone number, a LINE id
    and a chat id typed in, a photo with EXIF, a round-12 file and a superseded revision's file."""
    data = tmp_path / "data"
    fx = build(data)
    fx.measures.append(Measure(
        id="m6", no=6, indicator="o12", title="รายงานการกำกับติดตามการดำเนินงาน ประจำปี รอบ ๖ เดือน",
        unit_ids=["u1"], rounds=[6, 12], indicator_no="9.2", oit_code="o12",
        component_list=["แสดงความก้าวหน้าการดำเนินงาน", "ครอบคลุมระยะเวลา ๖ เดือน"],
    ))
    fx.repo.save_measures(fx.org.id, FY, fx.measures)
    typical(fx)
    fx.repo.save_officer(Officer(
        id=OFFICER_ID, org_id=fx.org.id, display_name="สมหญิง รักงาน", roles=["officer"], unit_ids=["u1"],
        identities=[Identity("line", LINE_ID, LINE_ID), Identity("telegram", CHAT_ID, CHAT_ID)],
    ))
    exif_photo = fx.store.put(photo(7, (2400, 1800), taken="2026:01:05 09:30:00"), "IMG_0001.jpg", "image/jpeg")
    exif_photo = replace(exif_photo, note="ประชุมคณะทำงานจัดทำรายงาน")
    fx.answer(6, "สำนักปลัด", "done",
              f"ประสานผ่านโทรศัพท์ {PHONE} (๐๘๑ ๒๓๔ ๕๖๗๘) ไลน์ {LINE_ID} แชต {CHAT_ID} ผู้ประสาน {OFFICER_ID}",
              "เผยแพร่รายงานบนเว็บไซต์", evidence=[exif_photo])
    fx.answer(5, "สำนักปลัด", "done", "อบรม", evidence=[fx.file("รอบ12.pdf", PRIVATE_FILES[0])], round_no=12)
    fx.answer(4, "กองช่าง", "done", "ฉบับเก่า", evidence=[fx.file("เก่า.pdf", PRIVATE_FILES[1])])
    fx.answer(4, "กองช่าง", "not_done", reason="อยู่ระหว่างจัดทำคู่มือ")
    return Published(fx, data)


def approve(pub: Published, round_no: int = 6) -> str:
    """The ปลัด approves the round's document (rendered into exports/, as the approval flow does); its hash."""
    fx = pub.fx
    report = fx.compile(round_no)
    doc = render_docx(report, pub.data / "exports" / fx.org.id / f"approved-r{round_no}.docx", fx.store, "thai",
                      load_options(fx.repo, fx.org.id))
    sha = hashlib.sha256(doc.read_bytes()).hexdigest()
    fx.repo.add_approval(Approval(
        org_id=fx.org.id, fiscal_year=FY, round_no=round_no, approver_id=OFFICER_ID,
        approver_name="สมหญิง รักงาน", platform="telegram", account=CHAT_ID, at=now_iso(NOW),
        document_sha256=sha, answers_digest=answers_digest(fx.repo.list_reports(fx.org.id, FY), round_no),
    ))
    return sha


def text_files(root: Path) -> dict[Path, str]:
    """Every page, stylesheet and data file of the site, as text."""
    return {p: p.read_text("utf-8") for p in root.rglob("*") if p.suffix in (".html", ".css", ".json", ".txt")}


def personal_data_in(text: str) -> list[str]:
    """Chat ids, LINE ids, phone numbers (Thai or Arabic digits), officer ids and the officer's name found."""
    plain = to_arabic_digits(text)
    found = _LINE.findall(plain) + _PHONE.findall(plain)
    found += [token for token in (CHAT_ID, OFFICER_ID, OFFICER_NAME, "สมหญิง") if token in plain]
    return found
