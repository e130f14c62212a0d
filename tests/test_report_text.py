"""The chat /summary text a head reads on the phone."""

from __future__ import annotations

from report.text import summary_text
from tests.report_fixtures import LONG_ANSWER, build, typical


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_header_totals_and_counts() -> None:
    fx = typical(build())
    text = summary_text(fx.compile())
    lines = _lines(text)
    assert "องค์การบริหารส่วนตำบลคำเนียม อำเภอกาบเชิง จังหวัดสุรินทร์" in lines
    assert "ปีงบประมาณ 2569 · รอบ 6 เดือน (1 ต.ค. 68 – 31 มี.ค. 69)" in lines
    assert "รวม 4 มาตรการ" in lines  # measure 5 is monitored in round 12 only
    # measure 1 (every unit): สำนักปลัด done, กองคลัง not done, กองช่าง silent → partly, never done
    assert "☑ ดำเนินการ 1" in lines
    assert "◐ ดำเนินการบางส่วน 1" in lines
    assert "☐ ยังไม่ได้ดำเนินการ 1" in lines
    assert "• 1. การปฏิบัติหน้าที่: ดำเนินการ 0/1 · ดำเนินการบางส่วน 1" in lines
    assert "☐ ยังไม่ได้รายงาน 1" in lines
    assert "• 3. การใช้อำนาจ: ดำเนินการ 0/1 · ยังไม่ได้ดำเนินการ 1" in lines
    assert "• กองช่าง: ดำเนินการ 0/2 · ยังไม่ได้รายงาน 2" in lines
    assert "มาตรการเสริมสร้างจิตสำนึก" not in text


def test_each_measure_with_box_and_latest_answers() -> None:
    fx = typical(build())
    text = summary_text(fx.compile())
    assert "◐ 1. จัดทำคู่มือ/แนวทางการปฏิบัติงาน หรือการให้บริการ — ดำเนินการบางส่วน (1/3 ส่วนราชการ)" in text
    assert " • สำนักปลัด (10 มี.ค. 69): ดำเนินการ" in text
    assert "ผลลัพธ์: ประชาชนเข้าถึงคู่มือได้สะดวก" in text
    assert "หลักฐาน: 1 ภาพ, 1 ลิงก์" in text and "🔗 https://example.go.th/manual" in text
    assert "เหตุผล: อยู่ระหว่างรวบรวมข้อมูล" in text
    assert "⏳ ยังไม่ได้รายงาน: กองช่าง" in text
    # the newest revision wins: กองคลัง first said not done, then done
    assert "รออนุมัติ" not in text and "เผยแพร่แผนการจัดซื้อจัดจ้างประจำปี" in text
    assert "☐ 3. มาตรการใช้อำนาจหน้าที่ตามหลักธรรมาภิบาล" in text
    assert "☐ 4. มาตรการการใช้ทรัพย์สินของทางราชการ — ยังไม่ได้รายงาน" in text
    assert text.index("◐ 1.") < text.index("☑ 2.") < text.index("☐ 3.") < text.index("☐ 4.")


def test_unit_filter_and_thai_digits() -> None:
    fx = typical(build())
    text = summary_text(fx.compile(unit="กองคลัง"), digits="thai")
    assert "ส่วนราชการ: กองคลัง" in text
    assert "ปีงบประมาณ ๒๕๖๙ · รอบ ๖ เดือน (๑ ต.ค. ๖๘ – ๓๑ มี.ค. ๖๙)" in text
    assert "รวม ๒ มาตรการ" in text
    assert "สำนักปลัด" not in text.split("รายมาตรการ")[1]
    assert "กองช่าง" not in text


def test_long_answers_are_shortened_for_chat_and_odd_text_survives() -> None:
    fx = build()
    fx.answer(4, "กองช่าง", "done", LONG_ANSWER + "\x00\x07", "ใช้งานได้ 🎉👍", evidence=[fx.link("https://ตัวอย่าง.ไทย/ข่าว")])
    text = summary_text(fx.compile())
    assert len(text) < 3000
    assert "…" in text and "\x00" not in text and "\x07" not in text
    assert "ใช้งานได้ 🎉👍" in text
    assert "https://ตัวอย่าง.ไทย/ข่าว" in text


def test_round_without_measures_says_so() -> None:
    fx = build()
    fx.repo.save_measures(fx.org.id, 2569, [m for m in fx.measures if m.no == 5])
    text = summary_text(fx.compile(round_no=3))
    assert "ไม่มีมาตรการที่ต้องรายงานในรอบนี้" in text
