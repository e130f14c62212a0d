"""Issue 14, walked as a new user would: each defect the issue lists, tried on the console demo or the CLI.

One test per bullet (or per part of one). The chat ones go through `ConsoleAdapter` on the demo office that
`itabot demo` creates (numbered options, typed labels, file paths), the CLI ones through `bot.cli.main` or a
subprocess where a pipe or a terminal is what the defect is about.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.demo import ensure_demo
from bot.config import make_clock
from bot.console import ConsoleAdapter
from bot.wiring import Services, build_services
from storage.models import Measure, ReportEntry
from tests.tools import clean_env

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-02-10"  # round 6 of FY 2569; round 3 is overdue
THAI = re.compile(r"[\u0e00-\u0e7f]+")
STATUS_Q = "ผลการดำเนินการรอบ 6 เดือนเป็นอย่างไร"
STATUS_BUTTONS = ["ยังไม่ได้ดำเนินการ", "ดำเนินการ", "« กลับไปรายการ"]


@dataclass
class Demo:
    """The console demo in memory: type a line, read what the terminal shows, see the numbered options."""

    services: Services
    adapter: ConsoleAdapter
    out: io.StringIO

    def type(self, line: str) -> str:
        """What the terminal prints for one typed line."""
        start = self.out.tell()
        self.adapter.send(line)
        self.out.seek(start)
        return self.out.read()

    def options(self) -> list[str]:
        """The labels now pressable by number."""
        return [b.label for b in self.adapter.buttons]

    def reports(self) -> list[ReportEntry]:
        """Every answer revision stored for FY 2569."""
        org = self.services.repo.list_orgs()[0]
        return self.services.repo.list_reports(org.id, 2569)


@pytest.fixture
def demo() -> Iterator[Demo]:
    services = build_services(None, make_clock(TODAY))
    ensure_demo(services)
    out = io.StringIO()
    yield Demo(services, ConsoleAdapter(services.engine, out), out)
    services.close()  # the PostgreSQL pass's pool too


def _seed_demo(data: Path) -> None:
    """The demo office in `data` (or the test database), its handles closed as the CLI's are."""
    services = build_services(data, make_clock(TODAY))
    ensure_demo(services)
    services.close()


def at_status(demo: Demo) -> str:
    """Open measure 3 (สำนักปลัด only) at the status question."""
    demo.type("/report")
    shown = demo.type("3")
    assert STATUS_Q in shown and demo.options() == STATUS_BUTTONS
    return shown


def at_evidence(demo: Demo) -> str:
    """Measure 3 as done, a summary, outcome skipped: the evidence step."""
    at_status(demo)
    demo.type("ดำเนินการ")
    demo.type("ออกคำสั่งมอบหมายงาน 12 ม.ค. 2569")
    shown = demo.type("/skip")
    assert "ส่งหลักฐาน" in shown and demo.options() == ["เสร็จสิ้น"]
    return shown


def at_recap(demo: Demo, *evidence: str, outcome: str = "") -> str:
    """Measure 3 at the recap with the given evidence lines."""
    at_status(demo)
    demo.type("ดำเนินการ")
    demo.type("ออกคำสั่งมอบหมายงาน 12 ม.ค. 2569")
    demo.type(outcome or "/skip")
    for line in evidence:
        demo.type(line)
    shown = demo.type("/done")
    assert "ตรวจสอบก่อนบันทึก" in shown and demo.options() == ["บันทึก", "แก้ไข", "ยกเลิก"]
    return shown


# --- 1. every prompt re-sent whole -----------------------------------------------------------------


def test_a_wrong_number_at_the_status_question_re_asks_it_with_its_buttons(demo: Demo) -> None:
    at_status(demo)
    shown = demo.type("5")
    assert STATUS_Q in shown and "[2] ดำเนินการ" in shown and demo.options() == STATUS_BUTTONS
    shown = demo.type("ไม่แน่ใจ")
    assert "กรุณาเลือกจากปุ่ม" in shown and demo.options() == STATUS_BUTTONS


def test_after_a_wrong_number_two_presses_done(demo: Demo) -> None:
    at_status(demo)
    demo.type("5")
    assert "พิมพ์สิ่งที่ดำเนินการแล้ว" in demo.type("2")


def test_after_a_wrong_number_the_label_presses_done(demo: Demo) -> None:
    at_status(demo)
    demo.type("5")
    assert "พิมพ์สิ่งที่ดำเนินการแล้ว" in demo.type("ดำเนินการ")


def test_after_a_wrong_number_back_to_the_list_goes_back(demo: Demo) -> None:
    at_status(demo)
    demo.type("5")
    shown = demo.type("« กลับไปรายการ")
    assert "มาตรการที่ต้องรายงาน รอบ 6 เดือน" in shown and "หน้า 1/2" in shown


def test_page_two_of_the_list_survives_a_wrong_number_and_a_word(demo: Demo) -> None:
    demo.type("/report")
    shown = demo.type("ถัดไป »")
    page_two = demo.options()
    assert "หน้า 2/2" in shown and page_two[0].startswith("7. ")
    for wrong in ("9", "สวัสดี"):
        shown = demo.type(wrong)
        assert "หน้า 2/2" in shown and demo.options() == page_two
    shown = demo.type("1")  # the first measure of page 2, not of page 1
    assert STATUS_Q in shown and "มาตรการที่ 7 ·" in shown


def test_help_in_the_evidence_step_keeps_finish_and_one_finishes(demo: Demo) -> None:
    at_evidence(demo)
    shown = demo.type("/help")
    assert "/report" in shown and "[1] เสร็จสิ้น" in shown and demo.options() == ["เสร็จสิ้น"]
    shown = demo.type("1")
    assert "ตรวจสอบก่อนบันทึก" in shown and "หลักฐาน: 0 รายการ" in shown  # "1" was no link


def test_decomposed_sara_am_presses_done(demo: Demo) -> None:
    at_status(demo)
    assert "พิมพ์สิ่งที่ดำเนินการแล้ว" in demo.type("ด\u0e4d\u0e32เนินการ")  # nikhahit + sara aa


# --- 2. the evidence step understands people ---------------------------------------------------------


def test_a_typed_sentence_in_the_evidence_step_gets_one_answer(demo: Demo) -> None:
    at_evidence(demo)
    shown = demo.type("ส่งคำสั่งให้หัวหน้าแล้ว รอเซ็นอีกสองวัน")
    assert shown.count("ไม่พบลิงก์") == 1 and "รับเฉพาะลิงก์" not in shown
    assert demo.options() == ["เสร็จสิ้น"]


def test_a_pasted_paragraph_is_one_short_answer_not_thousands_of_lines(demo: Demo) -> None:
    at_evidence(demo)
    shown = demo.type(" ".join(["รายงานผลการดำเนินงาน"] * 3000))
    assert len(shown.splitlines()) < 15 and demo.options() == ["เสร็จสิ้น"]


def test_www_address_is_taken_as_https_with_the_rest_as_its_note(demo: Demo) -> None:
    at_evidence(demo)
    shown = demo.type("คำสั่งอยู่ที่ www.khamniam.go.th/order ฉบับลงนาม")
    assert "รับหลักฐานแล้ว: https://www.khamniam.go.th/order (รวม 1 รายการ)" in shown
    shown = demo.type("/done")
    assert "1. 🔗 https://www.khamniam.go.th/order" in shown and "ฉบับลงนาม" in shown


def test_the_same_link_twice_is_kept_once_with_a_note(demo: Demo) -> None:
    at_evidence(demo)
    demo.type("https://www.khamniam.go.th/order")
    shown = demo.type("www.khamniam.go.th/order")
    assert "มีอยู่แล้ว ไม่เพิ่มซ้ำ" in shown and demo.options() == ["เสร็จสิ้น"]
    assert "หลักฐาน: 1 รายการ" in demo.type("/done")


def test_a_missing_file_path_says_file_not_found_in_full(demo: Demo, tmp_path: Path) -> None:
    at_evidence(demo)
    missing = tmp_path / "ไม่มีไฟล์นี้" / "คำสั่งแต่งตั้งคณะทำงาน_ฉบับลงนาม.pdf"
    shown = demo.type(str(missing))
    assert f"ไม่พบไฟล์ {missing}" in shown and "ไม่รู้จักคำสั่ง" not in shown
    assert demo.options() == ["เสร็จสิ้น"]  # still pressable after the note
    real = tmp_path / "คำสั่ง.pdf"
    real.write_bytes(b"%PDF-1.4 order")
    assert "รับหลักฐานแล้ว: คำสั่ง.pdf" in demo.type(str(real))


# --- 3. recap and edits ---------------------------------------------------------------------------------


def test_a_wrong_evidence_item_can_be_removed_at_the_recap(demo: Demo) -> None:
    at_recap(demo, "https://www.khamniam.go.th/right", "https://www.khamniam.go.th/wrong")
    demo.type("แก้ไข")
    shown = demo.type("🗑 ลบข้อ 2")
    note, recap = shown.split("ตรวจสอบก่อนบันทึก", 1)
    assert "ลบหลักฐานข้อ 2 แล้ว: 🔗 https://www.khamniam.go.th/wrong" in note
    assert "หลักฐาน: 1 รายการ" in recap and "/wrong" not in recap
    demo.type("บันทึก")
    [entry] = demo.reports()
    assert [e.url for e in entry.evidence] == ["https://www.khamniam.go.th/right"]


def test_skip_while_editing_the_outcome_keeps_it(demo: Demo) -> None:
    at_recap(demo, outcome="บุคลากรรับทราบครบทุกคน")
    demo.type("แก้ไข")
    shown = demo.type("ผลลัพธ์")
    assert "ข้อความเดิม: บุคลากรรับทราบครบทุกคน" in shown
    shown = demo.type("/skip")
    assert "ตรวจสอบก่อนบันทึก" in shown and "ผลลัพธ์: บุคลากรรับทราบครบทุกคน" in shown
    demo.type("บันทึก")
    assert demo.reports()[0].outcome == "บุคลากรรับทราบครบทุกคน"


def test_the_edit_menu_has_a_way_back(demo: Demo) -> None:
    at_recap(demo, "https://www.khamniam.go.th/order")
    demo.type("แก้ไข")
    assert demo.options()[-1] == "« กลับ"
    shown = demo.type("« กลับ")
    assert "ตรวจสอบก่อนบันทึก" in shown and demo.options() == ["บันทึก", "แก้ไข", "ยกเลิก"]


def test_cancel_button_on_a_draft_with_evidence_asks_once(demo: Demo) -> None:
    at_recap(demo, *(f"https://www.khamniam.go.th/{i}" for i in range(5)))
    shown = demo.type("ยกเลิก")
    assert "ยกเลิกคำตอบนี้หรือไม่" in shown and "หลักฐาน 5 รายการ" in shown
    shown = demo.type("« กลับไปตรวจสอบ")
    assert "หลักฐาน: 5 รายการ" in shown
    demo.type("ยกเลิก")
    assert "ยกเลิกแล้ว" in demo.type("ยืนยันยกเลิก") and demo.reports() == []


def test_cancel_command_on_a_draft_with_evidence_asks_once_too(demo: Demo) -> None:
    at_recap(demo, *(f"https://www.khamniam.go.th/{i}" for i in range(5)))
    shown = demo.type("/cancel")
    assert "ยกเลิกคำตอบนี้หรือไม่" in shown and "หลักฐาน 5 รายการ" in shown and "ยกเลิกแล้ว" not in shown
    shown = demo.type("« กลับไปตรวจสอบ")
    assert "หลักฐาน: 5 รายการ" in shown
    demo.type("/cancel")
    assert "ยกเลิกแล้ว" in demo.type("/cancel")  # asked once: the second /cancel confirms
    assert demo.reports() == [] and "/report" in demo.type("hello")


def test_cancel_command_mid_report_asks_and_can_go_back_to_where_it_was(demo: Demo) -> None:
    at_evidence(demo)
    demo.type("https://www.khamniam.go.th/order")
    shown = demo.type("/cancel")
    assert "ยกเลิกคำตอบนี้หรือไม่" in shown and "หลักฐาน 1 รายการ" in shown
    shown = demo.type(demo.options()[1])  # the way back
    assert "ส่งหลักฐาน" in shown and demo.options() == ["เสร็จสิ้น"]
    assert "หลักฐาน: 1 รายการ" in demo.type("/done")


def test_cancel_command_with_nothing_typed_yet_just_cancels(demo: Demo) -> None:
    at_status(demo)
    assert "ยกเลิกแล้ว" in demo.type("/cancel")


# --- 4. languages ---------------------------------------------------------------------------------------


def _measures(demo: Demo) -> list[Measure]:
    repo = demo.services.repo
    return repo.list_measures(repo.list_orgs()[0].id, 2569)


def _plan_words(demo: Demo) -> list[str]:
    repo = demo.services.repo
    org = repo.list_orgs()[0]
    words = [org.name] + [u.name for u in repo.list_units(org.id)]
    for m in repo.list_measures(org.id, 2569):
        words += [m.title, m.title.lstrip("- "), m.steps, m.period, m.indicator_name, m.responsible_text]
    return sorted({w for w in words if w}, key=len, reverse=True)


def _no_thai_but(shown: str, plan: list[str], name: str) -> None:
    shown = shown.replace(name, "")  # the person's own name (Thai in the demo) is no interface text
    shown = shown.replace("/lang th – ภาษาไทย", "")  # the way back names Thai in Thai, on purpose
    for words in plan:
        shown = shown.replace(words, "")
    # what is left of cut plan titles ("… 3. มาตรการกำหนดหลักเกณฑ์…") is plan text too
    shown = re.sub(r"\d+\. [\u0e00-\u0e7f][^\n]*…", "", shown)
    assert not THAI.search(shown), shown


def test_lang_en_covers_status_list_card_recap_and_saved(demo: Demo) -> None:
    assert "Language: English" in demo.type("/lang en")
    plan = _plan_words(demo)
    name = "ผู้ทดลองใช้ (หัวหน้าและเจ้าหน้าที่ทุกส่วนราชการ)"
    screens = [demo.type("/status"), demo.type("/report"), demo.type("Next »"), demo.type("« Prev"), demo.type("3")]
    screens += [demo.type("5"), demo.type("Done"), demo.type("Order signed 12 Jan 2026"), demo.type("/skip")]
    screens += [demo.type("see www.khamniam.go.th/order"), demo.type("/help"), demo.type("/done")]
    screens += [demo.type("Edit"), demo.type("« Back"), demo.type("/cancel"), demo.type("« Back to review")]
    screens.append(demo.type("Save"))
    screens += [demo.type("/summary 4"), demo.type("/invite"), demo.type("/cancel"), demo.type("/frob")]
    screens += [demo.type("/invite 1 officer")]
    assert "Saved ✅" in screens[-6] and "Owed" in screens[1] and "expires 17 Feb 2026" in screens[-1]
    assert "Unknown round \"4\". Use: 3-month round, 6-month round, 9-month round, 12-month round" in screens[-5]
    assert "6-month round, due 31 Mar 2026" in screens[0]
    for shown in screens:
        _no_thai_but(shown, plan, name)


# --- 5. one parser for people's words ------------------------------------------------------------------


def test_invite_takes_the_thai_role_its_help_offers(demo: Demo) -> None:
    shown = demo.type("/invite สำนักปลัด เจ้าหน้าที่")
    assert "รหัสเชิญ" in shown and "สำนักปลัด" in shown and "/start " in shown


def test_cli_invite_takes_a_unit_number_as_the_chat_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    _seed_demo(data)
    assert main(["invite", "--data-dir", str(data), "--unit", "3", "--role", "officer"]) == 0
    out = capsys.readouterr().out
    assert "สำนักปลัด" in out and len(out.strip().splitlines()[-1]) == 8


def test_summary_reads_thai_digits_and_round_words_and_refuses_the_rest(demo: Demo) -> None:
    for typed in ("/summary ๓", "/summary 3", "/summary รอบ 3", "/summary ไตรมาส 1"):
        assert "ปีงบประมาณ 2569 · รอบ 3 เดือน" in demo.type(typed), typed
    for bad in ("4", "abc", "รอบ 5"):
        shown = demo.type(f"/summary {bad}")
        assert f'ไม่รู้จักรอบ "{bad}"' in shown and "รอบ 3 เดือน, รอบ 6 เดือน, รอบ 9 เดือน, รอบ 12 เดือน" in shown
        assert "ปีงบประมาณ 2569 · รอบ 6 เดือน" not in shown  # no silent fallback to the current round


# --- 6. /status --------------------------------------------------------------------------------------------


def test_status_cuts_titles_at_a_word_with_an_ellipsis(demo: Demo) -> None:
    shown = demo.type("/status")
    titles = {str(m.no): m.title.lstrip("- ") for m in _measures(demo)}
    lines = [x[2:] for x in shown.splitlines() if x.startswith("• ") and x[2:3].isdigit()]
    assert len(lines) == 10
    for line in lines:
        no, title = line.split(". ", 1)
        full = titles[no]
        assert title == full or (title.endswith("…") and full.startswith(title[:-1])), line
    five = next(x for x in lines if x.startswith("5. "))
    assert five == "5. มาตรการเสริมสร้างจิตสำนึกที่ดีในการรับผิดชอบงานต่อหน้าที่…"  # cut at the space, marked


def test_status_of_an_officer_who_is_also_head_says_the_round_once_in_two_blocks(demo: Demo) -> None:
    shown = demo.type("/status")
    assert shown.count("รอบ 6 เดือน กำหนดส่ง 31 มี.ค. 69") == 1
    blocks = [b for b in shown.strip().split("\n\n") if b.strip()]
    mine = next(b for b in blocks if "ที่คุณต้องรายงาน" in b)
    overseen = next(b for b in blocks if "ส่วนราชการที่คุณดูแล" in b)
    assert mine != overseen and "• 3. " in mine and "• 3. " not in overseen
    assert "• สำนักปลัด: ยังไม่ได้รายงาน" in overseen and "• สำนักปลัด" not in mine


def test_status_says_not_yet_reported_the_way_everything_else_does(demo: Demo) -> None:
    shown = demo.type("/status")
    assert "ยังไม่ได้รายงาน" in shown and "ยังไม่รายงาน" not in shown


def test_status_names_the_overdue_earlier_round_that_report_flags(demo: Demo) -> None:
    assert "⚠️ ค้างรอบ 3 เดือน (10)" in demo.type("/report")
    demo.type("/cancel")
    assert "⚠️ ค้างรอบ 3 เดือน: 10 มาตรการ" in demo.type("/status")


# --- 7. CLI: no tracebacks, --today, import, run -----------------------------------------------------------


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_data_dir_that_is_a_file_is_one_thai_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, text = _cli(["plan", "--data-dir", str(afile)], capsys)
    assert code == 2 and "เป็นไฟล์" in text and "Traceback" not in text


@pytest.mark.parametrize("data_dir", ["/proc/itabot-none/data", "/proc/self"])  # cannot be made / exists, unwritable
@pytest.mark.parametrize("argv", [
    ["demo"], ["invite", "--unit", "1", "--role", "officer"], ["backup"], ["plan"],
])
def test_an_unwritable_data_dir_is_one_thai_line(
    argv: list[str], data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _cli([*argv, "--data-dir", data_dir], capsys)
    assert code in (1, 2) and THAI.search(text) and "Traceback" not in text and len(text.strip().splitlines()) == 1
    assert "ไม่คาดคิด" not in text  # said as what it is, not as a bug


def test_a_read_only_data_dir_for_backup_is_one_thai_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    _seed_demo(data)
    code, text = _cli(["backup", "--data-dir", str(data), "--out", "/proc/itabot-none/b.tar.gz"], capsys)
    assert code == 1 and THAI.search(text) and "Traceback" not in text


def _shell(cmd: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_plan_json_into_head_ends_quietly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _seed_demo(data)
    done = _shell(f"{sys.executable} -m bot.cli plan --json --data-dir {data} | head -n 2")
    assert done.stdout.startswith("[") and "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_a_buddhist_era_today_is_refused_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _cli(["summary", "--data-dir", str(tmp_path / "d"), "--today", "2569-02-10"], capsys)
    assert code == 2 and "ปี พ.ศ.? ใช้ ค.ศ. เช่น 2026-02-10" in text and "3112" not in text


def test_import_previews_and_a_first_import_needs_org(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from handlers.samples import sample_csv_bytes
    from tests.factory import open_store

    data, plan = tmp_path / "data", tmp_path / "plan.csv"
    plan.write_bytes(sample_csv_bytes(2569))
    code, text = _cli(["import", str(plan), "--data-dir", str(data), "--today", TODAY, "--org", "อบต.ทดลอง"], capsys)
    assert code == 0 and "พบมาตรการ 10 รายการ" in text and "--yes" in text and "นำเข้าแล้ว" not in text
    assert open_store(data).list_orgs() == []  # a preview stores nothing
    code, text = _cli(["import", str(plan), "--yes", "--data-dir", str(data), "--today", TODAY], capsys)
    assert code == 2 and "--org" in text and "หน่วยงานของฉัน" not in text
    assert open_store(data).list_orgs() == []


def test_run_with_no_platform_refuses_and_says_why(tmp_path: Path) -> None:
    env = clean_env()
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--data-dir", str(tmp_path / "d")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 2 and "ยังไม่ได้ตั้งค่าแพลตฟอร์มแชต" in done.stderr and "--no-chat" in done.stderr
    assert "component" not in done.stderr + done.stdout and "Traceback" not in done.stderr


# --- 8. README, sample plan and words -----------------------------------------------------------------------


def test_readme_example_files_exist_and_every_command_is_in_its_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    piped = re.search(r"^\$ (printf .*?)$", readme, flags=re.M)
    assert piped and "/tmp/order.pdf" not in piped.group(1) and (ROOT / "examples" / "order.pdf").is_file()
    helptext = subprocess.run([sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60).stdout
    commands = set(re.findall(r"^    (\w+)\s", helptext, flags=re.M))
    assert {"demo", "import", "org", "summary"} <= commands
    table = set(re.findall(r"^\| `itabot (\w+)", readme, flags=re.M))
    assert commands <= table, commands - table


def test_readme_sample_output_matches_what_the_demo_prints(demo: Demo) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = readme.split("> /report\n", 1)[1].split("\n\n> ", 1)[0]
    shown = demo.type("/report")
    assert shown.strip() == sample.strip()


def test_the_sample_plan_has_no_stray_spaces_of_pdf_extraction() -> None:
    plan = (ROOT / "handlers" / "samples" / "plan_2569.csv").read_text(encoding="utf-8")
    assert "การ ปฏิบัติ งาน" not in plan and not re.search(r"[\u0e00-\u0e7f] [ก-ฮ][\u0e31\u0e34-\u0e3a]? [\u0e00-\u0e7f] ", plan)


def test_units_are_called_ส่วนราชการ_and_the_office_หน่วยงาน(demo: Demo) -> None:
    shown = demo.type("/invite")
    assert "ส่วนราชการ" in shown and "หน่วยงาน" not in shown
    shown = demo.type("/invite กองเรือ เจ้าหน้าที่")
    assert "ไม่พบส่วนราชการ" in shown and "หน่วยงาน" not in shown
    shown = demo.type("/status")
    assert "ส่วนราชการที่คุณดูแล" in shown and "หน่วยงาน" not in shown
