"""One fixture, all views, same numbers: /report, /status, /summary, DOCX, XLSX, chart, planner and digest.

The office (FY 2569, round 6, 20 Mar 2026) has สำนักปลัด, กองคลัง with its section งานพัสดุ, and กองช่าง.
Measures and their round-6 answers:
  1 สำนักปลัด                   done                        → done
  2 สำนักปลัด + กองช่าง          done + not done              → partial 1/2
  3 กองคลัง + กองช่าง            done + nothing               → partial 1/2 (กองช่าง owes)
  4 งานพัสดุ (section of กองคลัง) nothing                      → not reported (งานพัสดุ owes)
  5 every unit (3 divisions)     all done                     → done
  6 สำนักปลัด                   done in round 3 only         → done, carried from round 3 (สำนักปลัด owes)
  7 กองช่าง                     not done                     → not done
Totals: done 3 · partial 2 · not done 1 · not reported 1 · carried 1 · fully reported 4 of 7.
The admin is also กองช่าง's officer (roles combine); a head heads กองคลัง; the ปลัด heads the office.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl

from domain.fiscal import get_round
from domain.people import grant
from handlers.engine import Engine
from handlers.services import create_invite
from report.chart import build_figure, legend_counts
from report.compile import RoundReport, compile_round
from report.docx import render_docx
from report.xlsx import MEASURE_SHEET, STATUS_COLUMN, render_xlsx
from scheduler.messages import head_digest, officer_reminder
from scheduler.planner import KIND_DIGEST_ORG, KIND_DIGEST_UNIT, PlannedSend, pending_items, plan_round
from scheduler.policy import load_policy
from scheduler.workdays import WorkCalendar
from storage.clock import BANGKOK, FixedClock
from storage.evidence import EvidenceStore
from storage.models import Measure, Officer, Organization, ReportEntry, Unit, from_dict, new_id, now_iso
from storage.tinydb_repo import TinyRepository
from tests.docx_read import open_docx
from tests.factory import Chat, open_store

FY = 2569
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=BANGKOK)
ORG = "o1"
UNITS = {"สำนักปลัด": ("u1", ""), "กองคลัง": ("u2", ""), "งานพัสดุ": ("u3", "u2"), "กองช่าง": ("u4", "")}
PLAN = [  # no, title, units ("*": every unit)
    (1, "จัดทำคู่มือการปฏิบัติงาน", ["สำนักปลัด"]),
    (2, "เผยแพร่ข้อมูลข่าวสาร", ["สำนักปลัด", "กองช่าง"]),
    (3, "เปิดเผยแผนการใช้จ่ายงบประมาณ", ["กองคลัง", "กองช่าง"]),
    (4, "ประกาศผลการจัดซื้อจัดจ้าง", ["งานพัสดุ"]),
    (5, "อบรมคุณธรรมจริยธรรม", ["*"]),
    (6, "ประเมินความเสี่ยงการทุจริต", ["สำนักปลัด"]),
    (7, "ซ่อมบำรุงถนนอย่างโปร่งใส", ["กองช่าง"]),
]
ANSWERS = [  # no, unit, status, round
    (1, "สำนักปลัด", "done", 6),
    (2, "สำนักปลัด", "done", 6), (2, "กองช่าง", "not_done", 6),
    (3, "กองคลัง", "done", 6),
    (5, "สำนักปลัด", "done", 6), (5, "กองคลัง", "done", 6), (5, "กองช่าง", "done", 6),
    (6, "สำนักปลัด", "done", 3),
    (7, "กองช่าง", "not_done", 6),
]
TOTALS = {"done": 3, "partial": 2, "not_done": 1, "none": 1}


@dataclass
class Office:
    repo: TinyRepository
    store: EvidenceStore
    engine: Engine
    chats: dict[str, Chat]

    def compile(self, round_no: int = 6) -> RoundReport:
        return compile_round(self.repo, ORG, FY, round_no, NOW)


def _register(repo: TinyRepository, engine: Engine, clock: FixedClock, who: str, role: str, units: list[str]) -> Chat:
    code = create_invite(repo, clock, ORG, role, [UNITS[u][0] for u in units], name=who).code
    chat = Chat(engine, "test", who)
    assert "ลงทะเบียนเรียบร้อย" in chat.say(f"/start {code}")[0].text
    return chat


def answer(repo: TinyRepository, no: int, unit: str, status: str, round_no: int, fy: int = FY) -> None:
    """Store one answer (round 3's in December, later rounds in March)."""
    when = datetime(2025, 12, 15, 10, 0, tzinfo=BANGKOK) if round_no == 3 else datetime(2026, 3, 10, 10, no, tzinfo=BANGKOK)
    repo.add_report(ReportEntry(
        new_id("r"), ORG, fy, f"m{no}", round_no, UNITS[unit][0], status,
        summary=f"ผลมาตรการที่ {no} ของ{unit}" if status == "done" else "",
        reason="รองบประมาณ" if status == "not_done" else "", officer_name="ผู้ทดสอบ",
        created_at=now_iso(when),
    ))


def plan(repo: TinyRepository, fy: int, rounds: list[int]) -> None:
    repo.save_measures(ORG, fy, [
        Measure(f"m{no}", no, str(no), title, unit_ids=[UNITS[u][0] for u in who if u != "*"],
                all_units=who == ["*"], rounds=list(rounds), period="ตุลาคม 2568 - กันยายน 2569")
        for no, title, who in PLAN
    ])


def office() -> Office:
    repo = open_store(None)
    store = EvidenceStore(None)
    clock = FixedClock(NOW)
    repo.save_org(Organization(ORG, "อบต.ทดสอบ", district="เมือง", province="ศรีสะเกษ"))
    for name, (uid, parent) in UNITS.items():
        repo.save_unit(Unit(uid, ORG, name, parent_id=parent))
    plan(repo, FY, [3, 6, 9, 12])
    for no, unit, status, round_no in ANSWERS:
        answer(repo, no, unit, status, round_no)
    engine = Engine(repo, store, clock)
    chats = {
        "สมศรี": _register(repo, engine, clock, "สมศรี", "officer", ["สำนักปลัด"]),
        "คลัง": _register(repo, engine, clock, "คลัง", "officer", ["กองคลัง"]),
        "พัสดุ": _register(repo, engine, clock, "พัสดุ", "officer", ["งานพัสดุ"]),
        "ผอ.คลัง": _register(repo, engine, clock, "ผอ.คลัง", "head", ["กองคลัง"]),
        "ปลัด": _register(repo, engine, clock, "ปลัด", "head", []),
        "แอดมิน": _register(repo, engine, clock, "แอดมิน", "admin", []),
    }
    admin = next(p for p in repo.list_officers(ORG) if p.display_name == "แอดมิน")
    repo.save_officer(grant(admin, "officer", [UNITS["กองช่าง"][0]]))  # the admin is กองช่าง's officer too
    return Office(repo, store, engine, chats)


def _text(chat: Chat, line: str) -> str:
    chat.say(line)
    return chat.text


def test_report_totals_come_from_the_one_rule() -> None:
    report = office().compile()
    assert {s: report.count(s) for s in TOTALS} == TOTALS
    assert (report.totals.carried, report.totals.reported, report.totals.total) == (1, 4, 7)
    rows = {r.measure.no: r for r in report.rows}
    assert [rows[n].status for n in range(1, 8)] == ["done", "partial", "partial", "none", "done", "done", "not_done"]
    assert (rows[2].done_units, rows[2].total_units) == (1, 2)
    assert rows[6].carried_from == 3 and rows[6].answers[0].carried_from == 3
    assert [u.name for u in rows[5].units] == ["สำนักปลัด", "กองคลัง", "กองช่าง"]  # a section is no division
    assert [u.name for u in rows[3].pending_units] == ["กองช่าง"]


def test_report_list_and_officer_status_agree() -> None:
    o = office()
    # สำนักปลัด: 1, 2, 5 answered in round 6; 6 only carries round 3's answer
    listed = _text(o.chats["สมศรี"], "/report")
    assert "รายงานแล้ว 3/4" in listed
    labels = [b.label for b in o.chats["สมศรี"].buttons()]
    assert [lb[:4] for lb in labels[:4]] == ["✅ 1.", "✅ 2.", "✅ 5.", "↪ 6."]
    assert "↪ = มีผลจากรอบก่อน" in listed
    status = _text(o.chats["สมศรี"], "/status")
    assert "ยังไม่ได้รายงาน 1 มาตรการ" in status and "• 6. ประเมินความเสี่ยงการทุจริต (มีผลรอบก่อน)" in status
    assert "รายงานแล้ว 3/4 มาตรการ" in status
    # the admin reports for กองช่าง: 2, 5 and 7 answered, 3 owed
    listed = _text(o.chats["แอดมิน"], "/report")
    assert "รายงานแล้ว 3/4" in listed and "↪" not in listed
    status = _text(o.chats["แอดมิน"], "/status")
    assert "ยังไม่ได้รายงาน 1 มาตรการ" in status and "• 3. เปิดเผยแผนการใช้จ่ายงบประมาณ" in status
    # the section's officer sees the section's measure, the division's officer does not
    assert "รายงานแล้ว 0/1" in _text(o.chats["พัสดุ"], "/report")
    assert "รายงานแล้ว 2/2" in _text(o.chats["คลัง"], "/report")


def test_heads_status_agrees_and_a_division_head_sees_its_section() -> None:
    o = office()
    status = _text(o.chats["ปลัด"], "/status")
    assert "รายงานแล้ว 4/7 มาตรการ" in status
    assert "ดำเนินการ 3 · บางส่วน 2 · ยังไม่ได้ดำเนินการ 1 · ยังไม่ได้รายงาน 1 · ยกมาจากรอบก่อน 1" in status
    assert "• สำนักปลัด: ยังไม่ได้รายงาน 1 มาตรการ (สมศรี)" in status
    assert "• กองช่าง: ยังไม่ได้รายงาน 1 มาตรการ (แอดมิน)" in status  # the admin is its officer
    assert "• งานพัสดุ: ยังไม่ได้รายงาน 1 มาตรการ (พัสดุ)" in status
    # the head of กองคลัง: measures 3 and 5 (กองคลัง) and 4 (its section งานพัสดุ)
    status = _text(o.chats["ผอ.คลัง"], "/status")
    assert "รายงานแล้ว 1/3 มาตรการ" in status
    assert "• งานพัสดุ: ยังไม่ได้รายงาน 1 มาตรการ (พัสดุ)" in status
    assert "สำนักปลัด" not in status


def test_summary_text_prints_the_same_totals_and_marks() -> None:
    o = office()
    text = _text(o.chats["ปลัด"], "/summary")
    lines = text.splitlines()
    assert "รวม 7 มาตรการ" in lines
    assert {"☑ ดำเนินการ 3", "◐ ดำเนินการบางส่วน 2", "☐ ยังไม่ได้ดำเนินการ 1", "☐ ยังไม่ได้รายงาน 1",
            "↪ ยกมาจากรอบก่อน 1"} <= set(lines)
    assert "◐ 2. เผยแพร่ข้อมูลข่าวสาร — ดำเนินการบางส่วน (1/2 ส่วนราชการ)" in lines
    assert " • สำนักปลัด (15 ธ.ค. 68): ดำเนินการ · ยกมาจากรอบ 3 เดือน" in lines
    assert " ⏳ ยังไม่ได้รายงาน: กองช่าง" in lines  # measure 3


NBSP = "\u00a0"  # the box and its word never part


def test_docx_prints_the_same_status_and_totals(tmp_path: Path) -> None:
    o = office()
    doc = open_docx(render_docx(o.compile(), tmp_path / "r.docx", o.store))
    texts = [p.text.split(" (ร้อยละ")[0] for p in doc.paragraphs]
    assert "สรุปผลการดำเนินการรอบ ๖ เดือน" in texts and "มาตรการและรายการทั้งหมด ๗ รายการ" in texts
    assert {"ดำเนินการ ๓ รายการ", "ดำเนินการบางส่วน ๒ รายการ", "ยังไม่ได้ดำเนินการ ๑ รายการ",
            "ยังไม่ได้รายงาน ๑ รายการ", "ยกมาจากรอบก่อน ๑ รายการ"} <= set(texts)
    cells = {r.cells[0].text: r.cells[-1].text for r in doc.tables[0].rows[1:]}
    # a partial measure never ticks "ดำเนินการ": its ticked box says how many units are done
    assert cells["๒"].startswith(f"☐{NBSP}ยังไม่ได้ดำเนินการ  ☑{NBSP}ดำเนินการบางส่วน (๑/๒ ส่วนราชการ)")
    assert cells["๑"].startswith(f"☐{NBSP}ยังไม่ได้ดำเนินการ  ☑{NBSP}ดำเนินการ")
    assert "ยกมาจากรอบ ๓ เดือน" in cells["๖"] and cells["๖"].startswith(f"☐{NBSP}ยังไม่ได้ดำเนินการ  ☑{NBSP}ดำเนินการ")
    assert "ยกมา" not in cells["๑"]


def test_xlsx_counts_the_same(tmp_path: Path) -> None:
    o = office()
    ws = openpyxl.load_workbook(render_xlsx(o.compile(), tmp_path / "r.xlsx", o.store))[MEASURE_SHEET]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    labels = Counter(str(r[STATUS_COLUMN - 1]).split(" (")[0] for r in rows)
    assert labels == {"ดำเนินการ": 3, "ดำเนินการบางส่วน": 2, "ยังไม่ได้ดำเนินการ": 1, "ยังไม่ได้รายงาน": 1}
    assert sum(1 for r in rows if "ยกมาจากรอบ ๓ เดือน" in str(r[STATUS_COLUMN])) == 1
    assert {r[0]: r[STATUS_COLUMN - 1] for r in rows}[3] == "ดำเนินการบางส่วน (๑/๒ ส่วนราชการ)"


def test_chart_counts_the_same() -> None:
    report = office().compile()
    assert legend_counts(report) == TOTALS
    fig = build_figure(report, digits="arabic")
    legend = {t.get_text() for lg in fig.legends for t in lg.get_texts()}
    assert legend == {"ดำเนินการ 3", "ดำเนินการบางส่วน 2", "ยังไม่ได้ดำเนินการ 1", "ยังไม่ได้รายงาน 1"}


def _sends(o: Office) -> list[PlannedSend]:
    policy = load_policy(o.repo, ORG)
    rp = plan_round(ORG, policy, WorkCalendar.for_policy(policy), get_round(FY, 6), o.repo.list_measures(ORG, FY),
                    o.repo.list_units(ORG), o.repo.list_officers(ORG), o.repo.list_reports(ORG, FY))
    assert rp is not None
    first = rp.sends[0].slot
    digest = next(s.slot for s in rp.sends if s.kind in (KIND_DIGEST_ORG, KIND_DIGEST_UNIT))
    return [s for s in rp.sends if s.slot in (first, digest)]


def test_planner_and_digest_owe_the_same() -> None:
    o = office()
    owed = pending_items(6, o.repo.list_measures(ORG, FY), o.repo.list_units(ORG), o.repo.list_reports(ORG, FY))
    assert {(p.measure.no, p.unit.name) for p in owed} == {(3, "กองช่าง"), (4, "งานพัสดุ"), (6, "สำนักปลัด")}
    sends = _sends(o)
    reminded = {s.officer.display_name: [i.measure.no for i in s.items] for s in sends if s.kind == "round_open"}
    assert reminded == {"สมศรี": [6], "พัสดุ": [4], "แอดมิน": [3]}  # the admin is reminded as กองช่าง's officer
    today = date(2026, 3, 20)
    assert "มาตรการที่ยังไม่ได้รายงาน 1 รายการ" in officer_reminder(
        next(s for s in sends if s.officer.display_name == "แอดมิน" and s.kind == "round_open"), today).text
    digests = {s.officer.display_name: s for s in sends if s.kind in (KIND_DIGEST_ORG, KIND_DIGEST_UNIT)}
    assert set(digests) == {"ปลัด", "แอดมิน", "ผอ.คลัง"}
    staff = o.repo.list_officers(ORG)
    org_text = head_digest(digests["ปลัด"], today, staff).text
    assert "• กองช่าง (แอดมิน): 1 มาตรการ — ข้อ 3" in org_text and "ยังไม่มีเจ้าหน้าที่" not in org_text
    assert "รวม 3 ส่วนราชการ 3 รายการ" in org_text
    unit_text = head_digest(digests["ผอ.คลัง"], today, staff).text
    assert "• งานพัสดุ (พัสดุ): 1 มาตรการ — ข้อ 4" in unit_text and "กองช่าง" not in unit_text


def test_twelve_month_report_carries_round_six_answers(tmp_path: Path) -> None:
    repo = open_store(None)
    store = EvidenceStore(None)
    repo.save_org(Organization(ORG, "อบต.ทดสอบ"))
    for name, (uid, parent) in UNITS.items():
        repo.save_unit(Unit(uid, ORG, name, parent_id=parent))
    plan(repo, FY, [6, 12])
    answer(repo, 1, "สำนักปลัด", "done", 6)
    answer(repo, 2, "สำนักปลัด", "done", 6)
    answer(repo, 2, "กองช่าง", "done", 6)
    answer(repo, 7, "กองช่าง", "not_done", 6)
    report = compile_round(repo, ORG, FY, 12, datetime(2026, 10, 5, 9, 0, tzinfo=BANGKOK))
    rows = {r.measure.no: r for r in report.rows}
    assert [rows[n].status for n in (1, 2, 7)] == ["done", "done", "not_done"]
    assert all(rows[n].carried_from == 6 for n in (1, 2, 7))
    assert report.totals.carried == 3 and report.count("done") == 2 and report.count("none") == 4
    doc = open_docx(render_docx(report, tmp_path / "r12.docx", store))
    cells = {r.cells[0].text: r.cells[-1].text for r in doc.tables[0].rows[1:]}
    assert "ยกมาจากรอบ ๖ เดือน" in cells["๑"] and "ผลมาตรการที่ ๑ ของสำนักปลัด" in cells["๑"].replace("1", "๑")
    assert cells["๑"].startswith(f"☐{NBSP}ยังไม่ได้ดำเนินการ  ☑{NBSP}ดำเนินการ")
    assert "ยกมาจากรอบก่อน ๓ รายการ" in [p.text for p in doc.paragraphs]


def test_old_people_records_keep_their_meaning() -> None:
    head = from_dict(Officer, {"id": "h", "org_id": ORG, "display_name": "ผอ.", "role": "head", "unit_ids": ["u2"],
                               "some_future_key": 1})
    admin = from_dict(Officer, {"id": "a", "org_id": ORG, "display_name": "แอดมิน", "role": "admin", "unit_ids": ["u4"]})
    officer = from_dict(Officer, {"id": "o", "org_id": ORG, "display_name": "เจ้าหน้าที่", "unit_ids": ["u1"]})
    assert (head.roles, head.head_unit_ids) == (["head"], ["u2"])  # a unit head, not its reporter
    assert (admin.roles, admin.role) == (["officer", "admin"], "admin")  # the admin who reported for a unit
    assert officer.roles == ["officer"] and officer.role == "officer"


def test_officer_status_names_earlier_rounds_still_owed_and_cuts_titles_with_an_ellipsis() -> None:
    from datetime import datetime

    from storage.clock import BANGKOK
    from storage.models import Measure
    from tests.factory import make_office

    office = make_office(now=datetime(2026, 5, 10, 10, 0, tzinfo=BANGKOK))
    long_title = "มาตรการเสริมสร้างจิตสำนึกที่ดีในการรับผิดชอบงานต่อหน้าที่ การแยกแยะระหว่างผลประโยชน์ส่วนตนกับผลประโยชน์ส่วนรวม"
    plan = office.repo.list_measures("o1", 2569)
    office.repo.save_measures("o1", 2569, [*plan, Measure("m9", 9, "1", long_title, unit_ids=["u0"], rounds=[9])])
    officer = office.register("s1", "officer", "สำนักปลัด")
    officer.say("/status")
    assert "⚠️ ค้างรอบ 3 เดือน: 1 มาตรการ" in officer.text
    assert "⚠️ ค้างรอบ 6 เดือน: 2 มาตรการ" in officer.text
    line = next(x for x in officer.text.splitlines() if x.startswith("• 9."))
    assert line.endswith("…") and "การแยกแยะระห" not in line
